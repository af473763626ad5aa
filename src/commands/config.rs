//! `espresso config add|remove` and `espresso sync`: the config schema edited or re-read, and every
//! file derived from it re-rendered.

use super::{access, finish, open};
use crate::cli::{ChangeFlags, ConfigAddArgs, ConfigRemoveArgs};
use crate::documents::config_schema::EnvVar;
use crate::engine::change;
use crate::engine::plan::{SCHEMA_FILE, schema_for};
use crate::error;
use crate::model::project::Project;
use crate::report::Reporter;
use crate::templates::renderer::Renderer;
use anyhow::Context;
use std::path::Path;

/// Reads the project's `config.schema.json` as a JSON object.
fn read_schema_document(project: &Project) -> anyhow::Result<serde_json::Value> {
    let path = project.root.join(SCHEMA_FILE);
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read `{}`", SCHEMA_FILE))?;
    let doc: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("`{}` is not valid JSON\nfix it, or restore it from version control", SCHEMA_FILE))?;
    anyhow::ensure!(
        doc.get("properties").is_some_and(serde_json::Value::is_object),
        "`{}` has no `properties` object\nrestore it from version control",
        SCHEMA_FILE
    );
    Ok(doc)
}

/// `espresso config add`: a new property in config.schema.json, then every derived file.
pub fn add(args: ConfigAddArgs, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let (mut project, _lock) = open(cwd, access(&args.flags), reporter)?;
    let var = EnvVar::from_flags(&args)?;
    let mut doc = read_schema_document(&project)?;
    let props = doc["properties"].as_object_mut().expect("checked above");
    if props.contains_key(&var.name) {
        return error::usage(
            format!("`{}` is already declared in {}", var.name, SCHEMA_FILE),
            format!("choose another name, or `espresso config remove {}` first", var.name),
        );
    }
    props.insert(var.name.clone(), var.to_property());
    let text = format!("{}\n", serde_json::to_string_pretty(&doc)?);
    resync(&mut project, Some(&text), &args.flags, reporter)
}

/// `espresso config remove`: a variable the user declared leaves the schema and every derived file.
pub fn remove(args: ConfigRemoveArgs, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let (mut project, _lock) = open(cwd, access(&args.flags), reporter)?;
    let mut doc = read_schema_document(&project)?;
    let declared = schema_for(&project.spec, &Renderer::new())?;
    if serde_json::from_str::<serde_json::Value>(&declared)?["properties"].get(&args.name).is_some() {
        return error::usage(
            format!("`{}` is read by code espresso generated, so it cannot be removed on its own", args.name),
            "remove the middleware or deployment target that declares it instead",
        );
    }
    let props = doc["properties"].as_object_mut().expect("checked above");
    if props.remove(&args.name).is_none() {
        return error::usage(
            format!("`{}` is not declared in {}", args.name, SCHEMA_FILE),
            "`config.schema.json` lists every variable under `properties`",
        );
    }
    let text = format!("{}\n", serde_json::to_string_pretty(&doc)?);
    resync(&mut project, Some(&text), &args.flags, reporter)
}

/// `espresso sync`: every file derived from config.schema.json and espresso.toml, re-rendered.
pub fn sync(flags: ChangeFlags, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let (mut project, _lock) = open(cwd, access(&flags), reporter)?;
    resync(&mut project, None, &flags, reporter)
}

/// Re-renders every file whose rendering changed, from `schema` (the edited config schema) or
/// the project's own, with the project's spec unchanged.
fn resync(project: &mut Project, schema: Option<&str>, flags: &ChangeFlags, reporter: &Reporter) -> anyhow::Result<()> {
    let spec = project.spec.clone();
    let options = change::ChangeOptions { force: flags.force, schema, sync: true };
    let changes = change::plan_changes_with(project, &spec, options)?;
    if changes.changes.is_empty() && !flags.dry_run {
        reporter.status("note", "every derived file is up to date");
    }
    finish(&changes, flags, reporter)
}
