//! `espresso.toml`: the choices a project was made with and a record of every file espresso wrote
//! (with its SHA-256), so later commands can tell the user's edits from espresso's own output and
//! an upgrade can re-create the exact base of a three-way merge from the recorded version and choices.

use crate::engine::plan::PlannedFile;
use crate::model::options::{cache_str, database_str, ingress_str, node_str};
use crate::model::project::ProjectSpec;
use crate::templates::bundle::Bundle;
use sha2::{Digest, Sha256};
use toml_edit::{Array, DocumentMut, Item, Table, value};

pub const FILE: &str = "espresso.toml";

pub fn digest(contents: &str) -> String {
    format!("sha256:{}", hex_digest(contents))
}

/// The SHA-256 of `contents` in lowercase hex.
pub fn hex_digest(contents: &str) -> String {
    Sha256::digest(contents.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The record of written files, as `sha256sum` prints it: digest, two spaces, path; sorted.
/// One string keeps the project file quick to parse however many files a project has.
pub fn manifest(entries: &std::collections::BTreeMap<String, String>) -> String {
    entries.iter().map(|(path, hex)| format!("{hex}  {path}\n")).collect()
}

/// Reads a record written by [`manifest`]; lines that do not parse are an error.
pub fn parse_manifest(text: &str) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (hex, path) = l
                .split_once("  ")
                .filter(|(h, _)| h.len() == 64)
                .ok_or_else(|| anyhow::anyhow!("`[files] sha256` has a malformed line: `{l}`"))?;
            Ok((path.to_owned(), hex.to_owned()))
        })
        .collect()
}

fn array<'a>(items: impl IntoIterator<Item = &'a str>) -> Array {
    let mut a = Array::new();
    for i in items {
        a.push(i);
    }
    a
}

/// Writes the project file for a new project. Edited later with toml_edit, so comments survive.
pub fn render(spec: &ProjectSpec, bundles: &[Bundle], files: &[PlannedFile]) -> anyhow::Result<String> {
    let (name, choices) = (&spec.name, &spec.choices);
    let mut doc = DocumentMut::new();
    doc.decor_mut().set_prefix(
        "# espresso project file: how this service was generated and what espresso wrote.\n\
         # Keep it in version control. espresso reads it to tell your edits from its own output;\n\
         # change the choices with espresso commands rather than by hand.\n\n",
    );

    let mut esp = Table::new();
    esp.insert("version", value(env!("CARGO_PKG_VERSION")));
    doc.insert("espresso", Item::Table(esp));

    let mut project = Table::new();
    project.insert("name", value(name.as_str()));
    project.insert("language", value(choices.language));
    // Omitted for the default, so projects made before presets existed read the same.
    if choices.preset != crate::cli::Preset::Service {
        project.insert("preset", value(choices.preset.as_str()));
    }
    project.insert("node", value(node_str(choices.node)));
    project.insert("database", value(database_str(choices.database)));
    project.insert("cache", value(cache_str(choices.cache)));
    project.insert("deploy", value(array(choices.deploy.iter().map(|d| d.as_str()))));
    project.insert("ci", value(array(choices.ci.iter().map(|c| c.as_str()))));
    project.insert("ingress", value(ingress_str(choices.ingress)));
    if !spec.middleware.is_empty() {
        project.insert("middleware", value(array(spec.middleware.iter().map(String::as_str))));
    }
    project.insert("bundles", value(array(bundles.iter().map(|b| b.id.as_str()))));
    doc.insert("project", Item::Table(project));

    if !spec.resources.is_empty() {
        let mut list = toml_edit::ArrayOfTables::new();
        for r in &spec.resources {
            list.push(resource_table(r));
        }
        doc.insert("resources", Item::ArrayOfTables(list));
    }
    if let Some(list) = migrations(spec) {
        doc.insert("migrations", Item::ArrayOfTables(list));
    }
    if let Some(list) = api_versions(spec) {
        doc.insert("api-versions", Item::ArrayOfTables(list));
    }
    if let Some(list) = upstreams(spec) {
        doc.insert("upstreams", Item::ArrayOfTables(list));
    }
    if let Some(table) = messaging(spec) {
        doc.insert("messaging", Item::Table(table));
    }

    let mut record = Table::new();
    record.decor_mut().set_prefix(
        "\n# Every file espresso wrote, as `sha256sum` prints it: the digest of what espresso wrote, then the path.\n",
    );
    let entries = files.iter().map(|f| (f.path.clone(), hex_digest(&f.contents))).collect();
    record.insert("sha256", value(manifest(&entries)));
    doc.insert("files", Item::Table(record));
    Ok(doc.to_string())
}

/// The `[[resources]]` entry of one resource.
pub fn resource_table(r: &crate::model::project::ResourceSpec) -> Table {
    let mut t = Table::new();
    t.insert("name", value(r.name.name.as_str()));
    let specs: Vec<String> = r.fields.iter().map(|f| f.spec()).collect();
    t.insert("fields", value(array(specs.iter().map(String::as_str))));
    if r.protected {
        t.insert("protected", value(true));
    }
    if r.api != crate::model::api::FIRST {
        t.insert("api", value(r.api.as_str()));
    }
    if r.events {
        t.insert("events", value(true));
    }
    t
}

/// The `[messaging]` table, `None` without a broker.
pub fn messaging(spec: &ProjectSpec) -> Option<Table> {
    let m = spec.messaging.as_ref()?;
    let mut t = Table::new();
    t.insert("broker", value(m.broker.as_str()));
    if let Some(file) = &m.migration {
        t.insert("migration", value(file.as_str()));
    }
    if !m.consumers.is_empty() {
        t.insert("consumers", value(array(m.consumers.iter().map(String::as_str))));
    }
    Some(t)
}

/// The `[[upstreams]]` entries of an API gateway, `None` while it has none.
pub fn upstreams(spec: &ProjectSpec) -> Option<toml_edit::ArrayOfTables> {
    if spec.upstreams.is_empty() {
        return None;
    }
    let mut list = toml_edit::ArrayOfTables::new();
    for u in &spec.upstreams {
        let mut t = Table::new();
        t.insert("name", value(u.name.as_str()));
        t.insert("path", value(u.path.as_str()));
        if u.protect {
            t.insert("protect", value(true));
        }
        if u.timeout_ms != crate::model::upstream::DEFAULT_TIMEOUT_MS {
            t.insert("timeout-ms", value(i64::from(u.timeout_ms)));
        }
        list.push(t);
    }
    Some(list)
}

/// The `[[api-versions]]` entries, `None` while the API is only `v1` as it began.
pub fn api_versions(spec: &ProjectSpec) -> Option<toml_edit::ArrayOfTables> {
    if spec.api_versions == [crate::model::api::ApiVersion::new(crate::model::api::FIRST)] {
        return None;
    }
    let mut list = toml_edit::ArrayOfTables::new();
    for v in &spec.api_versions {
        let mut t = Table::new();
        t.insert("name", value(v.name.as_str()));
        if let Some(day) = &v.deprecated {
            t.insert("deprecated", value(day.as_str()));
        }
        if let Some(day) = &v.sunset {
            t.insert("sunset", value(day.as_str()));
        }
        list.push(t);
    }
    Some(list)
}

/// The `[[migrations]]` entries of a project, `None` when it has none.
pub fn migrations(spec: &ProjectSpec) -> Option<toml_edit::ArrayOfTables> {
    if spec.migrations.is_empty() {
        return None;
    }
    let mut list = toml_edit::ArrayOfTables::new();
    for m in &spec.migrations {
        list.push(migration_table(m));
    }
    Some(list)
}

/// The `[[migrations]]` entry of one migration.
pub fn migration_table(m: &crate::model::migration::Migration) -> Table {
    let mut t = Table::new();
    t.insert("file", value(m.file.as_str()));
    t.insert("step", value(m.step.as_str()));
    t.insert("resource", value(m.resource.name.as_str()));
    let specs: Vec<String> = m.fields.iter().map(|f| f.spec()).collect();
    t.insert("fields", value(array(specs.iter().map(String::as_str))));
    t
}
