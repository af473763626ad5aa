//! Changing an existing project: the difference between the plan of its current spec and the
//! plan of the new one, checked against what is on disk, then shown (`--dry-run`) or applied.
//!
//! A file still exactly as espresso wrote it is replaced. A file the user edited keeps the
//! user's lines: only espresso's fenced regions are re-rendered, and JSON documents get a
//! three-way merge. Anything else is a conflict, reported all at once, and nothing is written
//! unless `--force`. The change set is applied by `apply` as one journaled change, `espresso.toml`
//! last.

use crate::documents::openapi;
use crate::engine::apply;
use crate::engine::fence;
use crate::engine::journal::Op;
use crate::engine::plan::{SCHEMA_FILE, Scope, plan_with, schema_for};
use crate::model::migration;
use crate::model::project::{Project, ProjectSpec};
use crate::model::project_file::{self, FILE};
use crate::templates::renderer::Renderer;
use anyhow::Context;
use serde_json::Value;
use similar::TextDiff;
use std::fs;
use std::path::{Path, PathBuf};
use toml_edit::{ArrayOfTables, Item};

const LOCKFILE: &str = "package-lock.json";

/// One file to write or delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub path: String,
    /// What is on disk now (`None`: the file does not exist).
    pub before: Option<String>,
    /// What it becomes (`None`: deleted).
    pub after: Option<String>,
    pub executable: bool,
    /// Digest of what espresso rendered for the file, recorded in `espresso.toml`: `after` may
    /// also hold the user's lines (a fence refilled in their file), and a later change must
    /// still see their edit.
    pub rendered: Option<String>,
}

/// Everything a command will do, computed before anything is written.
#[derive(Debug)]
pub struct ChangeSet {
    pub root: PathBuf,
    pub changes: Vec<Change>,
    /// Generated files the user edited that espresso no longer needs: reported and kept.
    pub kept: Vec<String>,
    /// Things the user should do after the change (a lockfile they manage themselves).
    pub advice: Vec<String>,
    /// `espresso.toml` before and after.
    pub record: Change,
}

/// Files the user changed where espresso needs to write; nothing is written while any exist.
#[derive(Debug)]
pub struct Conflicts(pub Vec<String>);

impl std::fmt::Display for Conflicts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} file(s) changed since espresso wrote them, and espresso needs to rewrite them:", self.0.len())?;
        for c in &self.0 {
            writeln!(f, "  {c}")?;
        }
        write!(
            f,
            "nothing was written\nkeep your changes elsewhere and use `--force` to let espresso rewrite these files"
        )
    }
}

impl std::error::Error for Conflicts {}

fn read(root: &Path, rel: &str) -> anyhow::Result<Option<String>> {
    match fs::read(root.join(rel)) {
        Ok(bytes) => Ok(Some(String::from_utf8(bytes).with_context(|| format!("`{rel}` is not UTF-8 text"))?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read `{rel}`")),
    }
}

fn unix(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains("\r\n") { text.replace("\r\n", "\n").into() } else { text.into() }
}

/// Writes `text` with the line endings `like` uses.
fn with_endings_of(like: &str, text: String) -> String {
    if like.contains("\r\n") { text.replace('\n', "\r\n") } else { text }
}

/// The lines of a file with every fence body removed (markers kept).
fn skeleton(path: &str, text: &str) -> anyhow::Result<Vec<String>> {
    let lines: Vec<&str> = text.lines().collect();
    let mut keep = vec![true; lines.len()];
    for f in fence::find(path, text)? {
        for k in keep.iter_mut().take(f.end).skip(f.begin + 1) {
            *k = false;
        }
    }
    Ok(lines.iter().zip(keep).filter(|(_, k)| *k).map(|(l, _)| (*l).to_owned()).collect())
}

/// Puts the fence bodies of `new` into the user's `current` text.
fn refill_fences(path: &str, current: &str, new: &str) -> anyhow::Result<String> {
    let lines: Vec<&str> = new.lines().collect();
    let mut out = current.to_owned();
    for f in fence::find(path, new)? {
        let body: Vec<String> = lines[f.begin + 1..f.end].iter().map(|l| (*l).to_owned()).collect();
        out = fence::fill(path, &out, &f.name, &body)?;
    }
    Ok(out)
}

/// Three-way merge of JSON values: the user's side wins where only the user changed something,
/// espresso's where only espresso did; objects merge key by key, keeping the user's key order.
fn merge_json(base: Option<&Value>, ours: Option<&Value>, theirs: Option<&Value>) -> Result<Option<Value>, ()> {
    if ours == base {
        return Ok(theirs.cloned());
    }
    if theirs == base || ours == theirs {
        return Ok(ours.cloned());
    }
    match (base, ours, theirs) {
        (Some(Value::Object(b)), Some(Value::Object(o)), Some(Value::Object(t))) => {
            let mut out = serde_json::Map::new();
            for key in o.keys().chain(t.keys().filter(|k| !o.contains_key(*k))) {
                if let Some(v) = merge_json(b.get(key), o.get(key), t.get(key))? {
                    out.insert(key.clone(), v);
                }
            }
            Ok(Some(Value::Object(out)))
        }
        _ => Err(()),
    }
}

fn json_merge(base: &str, ours: &str, theirs: &str) -> Option<String> {
    let parse = |s: &str| serde_json::from_str::<Value>(s).ok();
    let merged = merge_json(Some(&parse(base)?), Some(&parse(ours)?), Some(&parse(theirs)?)).ok()??;
    let mut text = serde_json::to_string_pretty(&merged).ok()?;
    text.push('\n');
    Some(text)
}

/// How a change treats the project's files.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChangeOptions<'a> {
    /// Overwrite files the user changed.
    pub force: bool,
    /// The project's `config.schema.json` as it should be (`espresso config add`), instead of
    /// what is on disk.
    pub schema: Option<&'a str>,
    /// Re-render every file whose rendering differs from what espresso last wrote, not only the
    /// files the two specs render differently (`espresso sync`).
    pub sync: bool,
}

/// Plans the change from the project's current spec to `new_spec`.
pub fn plan_changes(project: &mut Project, new_spec: &ProjectSpec, force: bool) -> anyhow::Result<ChangeSet> {
    plan_changes_with(project, new_spec, ChangeOptions { force, ..ChangeOptions::default() })
}

/// The schemas of a change: what the bundles of the old spec declare (the old plan is rendered
/// from it), and what every derived file of the new plan is rendered from: the new spec's
/// declarations merged with what the user changed in the project's own document (variables
/// added with `espresso config add` or by hand), `None` when the user changed nothing.
fn schemas(
    project: &Project,
    new_spec: &ProjectSpec,
    own: Option<&str>,
    renderer: &Renderer,
) -> anyhow::Result<(String, Option<String>)> {
    let old = schema_for(&project.spec, renderer)?;
    let disk = match own {
        Some(text) => Some(text.to_owned()),
        None => read(&project.root, SCHEMA_FILE)?.map(|t| unix(&t).into_owned()),
    };
    let disk = match disk {
        Some(disk) if disk != old => disk,
        _ => return Ok((old, None)),
    };
    serde_json::from_str::<Value>(&disk)
        .with_context(|| format!("`{SCHEMA_FILE}` is not valid JSON\nfix it, or restore it from version control"))?;
    let new = schema_for(new_spec, renderer)?;
    match json_merge(&old, &disk, &new) {
        Some(merged) => Ok((old, Some(merged))),
        None => Err(Conflicts(vec![format!("{SCHEMA_FILE} (you and espresso changed the same variable)")]).into()),
    }
}

/// Plans the change from the project's current spec to `new_spec` with `options`.
pub fn plan_changes_with(
    project: &mut Project,
    new_spec: &ProjectSpec,
    options: ChangeOptions,
) -> anyhow::Result<ChangeSet> {
    let force = options.force;
    // Resources present and identical in both specs render the same files on both sides: only
    // the others need rendering (shared files such as fences and openapi.json are always whole).
    // A change to what the project adds to every operation (an API key, a rate limit, ...) is in
    // every resource's OpenAPI fragment.
    let every = options.sync
        || openapi::Api::of(&project.spec) != openapi::Api::of(new_spec)
        || project.spec.api_versions != new_spec.api_versions;
    let mut touched: Vec<&str> = project
        .spec
        .resources
        .iter()
        .chain(&new_spec.resources)
        .filter(|r| every || !(project.spec.resources.contains(r) && new_spec.resources.contains(r)))
        .map(|r| r.name.name.as_str())
        .collect();
    // A resource's files also show the resources it refers to (its tests create their items
    // first) and those that refer to it (its deletes): close the set over references both ways.
    let all: Vec<&crate::model::project::ResourceSpec> =
        project.spec.resources.iter().chain(&new_spec.resources).collect();
    loop {
        let before = touched.len();
        for r in &all {
            let targets = || r.fields.iter().filter_map(|f| f.reference()).map(|(t, _)| t);
            if touched.contains(&r.name.name.as_str()) {
                for t in targets() {
                    if !touched.contains(&t) {
                        touched.push(t);
                    }
                }
            } else if targets().any(|t| touched.contains(&t)) {
                touched.push(r.name.name.as_str());
            }
        }
        if touched.len() == before {
            break;
        }
    }
    let mut renderer = Renderer::new();
    let (declared, schema) = schemas(project, new_spec, options.schema, &renderer)?;
    // Migrations both specs hold are history: the same files on both sides, never rewritten.
    let common = project.spec.migrations.iter().zip(&new_spec.migrations).take_while(|(a, b)| a == b).count();
    let scope = Scope {
        resources: Some(&touched),
        migrations_from: if options.sync { 0 } else { common },
        without_record: true,
        schema: Some(&declared),
    };
    let old = plan_with(&project.spec, scope, &mut renderer)?;
    let new = plan_with(new_spec, Scope { schema: schema.as_deref(), ..scope }, &mut renderer)?;
    let recorded = project_file::parse_manifest(
        project
            .doc
            .get("files")
            .and_then(|f| f.get("sha256"))
            .and_then(Item::as_str)
            .context("espresso.toml has no `[files] sha256` record")?,
    )?;
    // What espresso wrote: the old plan's text, or (for files rendered from a schema the user
    // extended, which the old plan does not know) the digest recorded when it was written.
    let pristine = |path: &str, old: &str, current: &str| {
        current == old || recorded.get(path).is_some_and(|d| *d == project_file::hex_digest(current))
    };
    let root = &project.root.clone();
    let mut changes = Vec::new();
    let mut kept = Vec::new();
    let mut advice = Vec::new();
    let mut conflicts = Vec::new();

    let mut paths: Vec<&str> =
        old.files.iter().chain(&new.files).map(|f| f.path.as_str()).filter(|p| *p != FILE).collect();
    if options.sync {
        paths.extend(recorded.keys().map(String::as_str).filter(|p| *p != FILE));
    }
    paths.sort_unstable();
    paths.dedup();
    for path in paths {
        let (o, n) = (old.get(path), new.get(path));
        // A migration on disk may have run: no change rewrites or deletes it, not even `sync`
        // after espresso's templates changed, nor `--force`.
        if migration::is_history(path) && o.is_some() && root.join(path).exists() {
            continue;
        }
        if options.sync {
            // Only what espresso would now write differently from what it wrote last time, and
            // the schema itself, which `config add` and `remove` rewrite.
            let now = n.map(|f| project_file::hex_digest(&f.contents));
            if now.as_ref() == recorded.get(path) && path != SCHEMA_FILE {
                continue;
            }
        } else if o.map(|f| &f.contents) == n.map(|f| &f.contents) {
            continue;
        }
        let cur = read(root, path)?;
        let executable = n.or(o).is_some_and(|f| f.executable);
        let rendered = n.map(|f| project_file::hex_digest(&f.contents));
        let change = |after: Option<String>| Change {
            path: path.to_owned(),
            before: cur.clone(),
            after,
            executable,
            rendered: rendered.clone(),
        };
        // The base of merges: what espresso rendered for the old spec (empty for a file it never planned).
        let base = o.map_or("", |f| f.contents.as_str());
        match (n, cur.as_deref()) {
            // The schema rendered from the project's own document already holds the user's edits.
            (Some(n), Some(_)) if path == SCHEMA_FILE && schema.is_some() => {
                changes.push(change(Some(n.contents.clone())))
            }
            (Some(n), None) => {
                if recorded.contains_key(path) && !force {
                    conflicts.push(format!("{path} (deleted; espresso needs to update it)"));
                } else {
                    changes.push(change(Some(n.contents.clone())));
                }
            }
            (Some(n), Some(c)) if unix(c) == n.contents => {}
            (Some(n), Some(_)) if o.is_none() && !recorded.contains_key(path) => {
                if force {
                    changes.push(change(Some(n.contents.clone())));
                } else {
                    conflicts.push(format!("{path} (exists, and espresso needs to create it)"));
                }
            }
            (None, None) => {}
            (None, Some(c)) => {
                if pristine(path, base, &unix(c)) || force {
                    changes.push(change(None));
                } else {
                    kept.push(path.to_owned());
                }
            }
            // A lockfile npm rewrote is npm's to update: a merged tree could be inconsistent.
            (Some(_), Some(c)) if path == LOCKFILE && !pristine(path, base, &unix(c)) && !force => {
                advice.push(format!("{LOCKFILE} was changed by npm since espresso wrote it; run `npm install` to bring it in line with package.json"));
            }
            (Some(n), Some(c)) => {
                let after = if pristine(path, base, &unix(c)) {
                    Some(n.contents.clone())
                } else if skeleton(path, base)? == skeleton(path, &n.contents)?
                    && !fence::find(path, &n.contents)?.is_empty()
                {
                    Some(refill_fences(path, c, &n.contents)?)
                } else if path.ends_with(".json") && o.is_some() {
                    json_merge(base, &unix(c), &n.contents)
                } else {
                    None
                };
                match after {
                    Some(a) => changes.push(change(Some(with_endings_of(c, a)))),
                    None if force => changes.push(change(Some(with_endings_of(c, n.contents.clone())))),
                    None => conflicts.push(path.to_owned()),
                }
            }
        }
    }
    if !conflicts.is_empty() {
        return Err(Conflicts(conflicts).into());
    }
    changes.retain(|c| c.before != c.after);
    let record = record_change(project, new_spec, &changes, &kept)?;
    Ok(ChangeSet { root: root.clone(), changes, kept, advice, record })
}

/// Edits `espresso.toml` with toml_edit (comments and layout survive): the resources and the
/// digest of every file written; files deleted or handed over to the user leave the record.
fn record_change(
    project: &mut Project,
    spec: &ProjectSpec,
    changes: &[Change],
    kept: &[String],
) -> anyhow::Result<Change> {
    let before = read(&project.root, FILE)?.context("espresso.toml disappeared")?;
    // The project is done with its document: edit it in place rather than copying it.
    let mut doc = std::mem::take(&mut project.doc);
    if spec.resources.is_empty() {
        doc.remove("resources");
    } else {
        let mut list = ArrayOfTables::new();
        for r in &spec.resources {
            list.push(project_file::resource_table(r));
        }
        doc.insert("resources", Item::ArrayOfTables(list));
    }
    for (key, item) in [
        ("api-versions", project_file::api_versions(spec).map(Item::ArrayOfTables)),
        ("upstreams", project_file::upstreams(spec).map(Item::ArrayOfTables)),
        ("messaging", project_file::messaging(spec).map(Item::Table)),
    ] {
        match item {
            Some(item) => {
                let first = !doc.contains_key(key);
                doc.insert(key, item);
                // The record of files stays last, where a reader looks for it.
                if first && let Some(files) = doc.remove("files") {
                    doc.insert("files", files);
                }
            }
            None => {
                doc.remove(key);
            }
        }
    }
    // History only grows: the recorded entries stay as they are in the file (comments and all),
    // and only the new ones are appended; anything else (a project made before the record) is
    // written whole.
    let recorded = &project.spec.migrations;
    match doc.get_mut("migrations").and_then(Item::as_array_of_tables_mut) {
        Some(list) if list.len() == recorded.len() && spec.migrations.starts_with(recorded) => {
            for m in &spec.migrations[recorded.len()..] {
                list.push(project_file::migration_table(m));
            }
        }
        _ => match project_file::migrations(spec) {
            Some(list) => {
                doc.insert("migrations", Item::ArrayOfTables(list));
            }
            None => {
                doc.remove("migrations");
            }
        },
    }
    let table = doc.get_mut("project").and_then(Item::as_table_mut).context("espresso.toml has no [project] table")?;
    let choices = &spec.choices;
    for (key, list) in [
        ("deploy", choices.deploy.iter().map(|d| d.as_str().to_owned()).collect::<Vec<_>>()),
        ("ci", choices.ci.iter().map(|c| c.as_str().to_owned()).collect()),
    ] {
        if table.get(key).and_then(Item::as_array).map(|a| a.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>())
            != Some(list.iter().map(String::as_str).collect())
        {
            table.insert(key, toml_edit::value(string_array(&list)));
        }
    }
    let ingress = crate::model::options::ingress_str(choices.ingress);
    if table.get("ingress").and_then(Item::as_str) != Some(ingress) {
        table.insert("ingress", toml_edit::value(ingress));
    }
    if spec.middleware.is_empty() {
        table.remove("middleware");
    } else {
        table.insert("middleware", toml_edit::value(string_array(&spec.middleware)));
    }
    let bundles = crate::templates::bundle::spec_bundle_ids(spec);
    table.insert("bundles", toml_edit::value(string_array(&bundles)));
    let files = doc.get_mut("files").and_then(Item::as_table_mut).context("espresso.toml has no [files] table")?;
    let mut entries = project_file::parse_manifest(
        files.get("sha256").and_then(Item::as_str).context("espresso.toml has no `[files] sha256` record")?,
    )?;
    for c in changes {
        match (&c.after, &c.rendered) {
            (Some(_), Some(digest)) => entries.insert(c.path.clone(), digest.clone()),
            _ => entries.remove(&c.path),
        };
    }
    for k in kept {
        entries.remove(k);
    }
    // Keep the existing string's formatting (a multi-line string) by replacing only its value.
    let decor = files.get("sha256").and_then(Item::as_value).map(|v| v.decor().clone());
    let mut record = toml_edit::Value::from(project_file::manifest(&entries));
    if let Some(d) = decor {
        *record.decor_mut() = d;
    }
    files.insert("sha256", Item::Value(record));
    order_tables(&mut doc);
    let after = doc.to_string();
    // Freeing a large toml_edit tree item by item costs as much as parsing it; the process ends
    // right after this command, so the memory is handed back to the OS instead.
    std::mem::forget(doc);
    Ok(Change { path: FILE.into(), after: Some(after), before: Some(before), executable: false, rendered: None })
}

/// Puts the tables of `espresso.toml` in the order a new project file has them, whatever order
/// the edits left: the resources and migrations before `[files]`, the long record, which stays last.
fn order_tables(doc: &mut toml_edit::DocumentMut) {
    let mut position = 0;
    let mut next = || {
        position += 1;
        Some(position)
    };
    for key in ["espresso", "project", "resources", "migrations", "files"] {
        match doc.get_mut(key) {
            Some(Item::Table(t)) => t.set_position(next()),
            Some(Item::ArrayOfTables(list)) => list.iter_mut().for_each(|t| t.set_position(next())),
            _ => {}
        }
    }
}

fn string_array(items: &[String]) -> toml_edit::Array {
    items.iter().map(String::as_str).collect()
}

impl ChangeSet {
    /// Every change as a unified diff, `espresso.toml` last.
    pub fn diff(&self) -> String {
        let mut out = String::new();
        for c in self.changes.iter().chain(std::iter::once(&self.record)) {
            let (a, b) = (c.before.as_deref().unwrap_or(""), c.after.as_deref().unwrap_or(""));
            if a == b {
                continue;
            }
            let old_name = if c.before.is_some() { format!("a/{}", c.path) } else { "/dev/null".into() };
            let new_name = if c.after.is_some() { format!("b/{}", c.path) } else { "/dev/null".into() };
            let diff = TextDiff::from_lines(a, b);
            // `similar` marks a missing final newline itself.
            out.push_str(&diff.unified_diff().context_radius(3).header(&old_name, &new_name).to_string());
        }
        out
    }

    /// Applies every change, `espresso.toml` last, as one journaled change: a failure restores
    /// every file, and a process killed half-way is completed or rolled back by the next command.
    pub fn apply(&self, report: &mut dyn FnMut(&str, &str)) -> anyhow::Result<()> {
        let record = std::iter::once(&self.record).filter(|r| r.before != r.after);
        let ops: Vec<Op> = self
            .changes
            .iter()
            .chain(record)
            .map(|c| Op {
                path: &c.path,
                before: c.before.as_deref().map(str::as_bytes),
                after: c.after.as_deref().map(str::as_bytes),
                executable: c.executable,
            })
            .collect();
        apply::apply(&self.root, &apply::command_line(), &ops, report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_merge_keeps_the_users_entries_and_order() {
        let base = json!({ "name": "x", "dependencies": { "a": "1" } }).to_string();
        let ours =
            json!({ "dependencies": { "a": "1", "mine": "2" }, "name": "x", "scripts": { "mine": "y" } }).to_string();
        let theirs = json!({ "name": "x", "dependencies": { "a": "1", "b": "3" } }).to_string();
        let merged: Value = serde_json::from_str(&json_merge(&base, &ours, &theirs).unwrap()).unwrap();
        assert_eq!(
            merged,
            json!({ "dependencies": { "a": "1", "mine": "2", "b": "3" }, "name": "x", "scripts": { "mine": "y" } })
        );
        let keys: Vec<&String> = merged["dependencies"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["a", "mine", "b"]);
        let clash = json!({ "name": "y", "dependencies": { "a": "1" } }).to_string();
        let theirs_clash = json!({ "name": "z", "dependencies": { "a": "1" } }).to_string();
        assert!(json_merge(&base, &clash, &theirs_clash).is_none());
    }

    #[test]
    fn fences_are_refilled_in_the_users_text() {
        let new = "a\n// espresso:begin r\nx\ny\n// espresso:end r\nb\n";
        let user = "mine\r\na\r\n// espresso:begin r\r\nx\r\n// espresso:end r\r\nb changed\r\n";
        assert_eq!(
            refill_fences("f", user, new).unwrap(),
            "mine\r\na\r\n// espresso:begin r\r\nx\r\ny\r\n// espresso:end r\r\nb changed\r\n"
        );
    }
}
