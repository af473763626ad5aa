//! `espresso add resource` and `remove resource`.

use super::middleware::AUTH;
use super::{access, finish, open, record_migration};
use crate::cli::{AddResourceArgs, RemoveResourceArgs};
use crate::engine::change;
use crate::error;
use crate::model::migration::Step;
use crate::model::project::{ProjectSpec, ResourceSpec};
use crate::model::relation::{check_references, references_to};
use crate::model::resource::{Field, ResourceName};
use crate::report::Reporter;
use std::path::Path;

/// Parses field specs given on the command line: each valid, none twice.
pub fn parse_fields(raw: &[String]) -> Result<Vec<Field>, error::UsageError> {
    let fields = raw.iter().map(|f| Field::parse(f)).collect::<Result<Vec<_>, _>>()?;
    for (i, f) in fields.iter().enumerate() {
        if fields[..i].iter().any(|g| g.name == f.name) {
            return Err(
                error::UsageError::new(format!("field `{}` is given twice", f.name)).hint("give each field once")
            );
        }
    }
    Ok(fields)
}

/// The resource of `spec` named `raw`, or a usage error that lists the project's resources.
pub fn existing<'a>(spec: &'a ProjectSpec, raw: &str) -> Result<&'a ResourceSpec, error::UsageError> {
    let wanted = ResourceName::parse(raw)?;
    spec.resource(&wanted).ok_or_else(|| {
        let known: Vec<String> = spec.resources.iter().map(|r| format!("`{}`", r.name.name)).collect();
        let hint = if known.is_empty() {
            "the project has no resources".to_owned()
        } else {
            format!("the project's resources: {}", known.join(", "))
        };
        error::UsageError::new(format!("resource `{raw}` does not exist")).hint(hint)
    })
}

/// `espresso add resource`: a new resource in the project's spec, applied as a change.
pub fn add(args: AddResourceArgs, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let (mut project, _lock) = open(cwd, access(&args.flags), reporter)?;
    let name = ResourceName::parse(&args.name)?;
    if args.fields.is_empty() {
        return error::usage(
            format!("resource `{}` needs at least one field", args.name),
            "add `--field <name>[:<type>]`, for example `--field title --field quantity:integer`",
        );
    }
    let fields = parse_fields(&args.fields)?;
    if let Some(existing) = project.spec.resource(&name) {
        return error::usage(
            format!("resource `{}` already exists", existing.name.name),
            format!(
                "change its fields with `espresso add field {0} <field>...` or `espresso remove field {0} <field>...`, or choose another name",
                existing.name.name
            ),
        );
    }
    if args.protect && !project.spec.middleware.iter().any(|m| m == AUTH) {
        return error::usage(
            format!("`--protect` needs the `{AUTH}` middleware, which the project does not have"),
            format!("add it first: `espresso add middleware {AUTH}`"),
        );
    }
    if args.events {
        super::messaging::require(&project.spec, "`--events`")?;
    }
    let api = super::api::chosen(&project.spec, args.api.as_deref())?;
    check_references(&name, &api, &fields, &project.spec.resources)?;
    let mut spec = project.spec.clone();
    record_migration(&mut spec, &project.root, Step::CreateTable, &name, fields.clone())?;
    spec.resources.push(ResourceSpec { name, fields, protected: args.protect, api, events: args.events });
    let changes = change::plan_changes(&mut project, &spec, args.flags.force)?;
    finish(&changes, &args.flags, reporter)
}

/// `espresso remove resource`: the spec without the resource, applied as a change. In a
/// PostgreSQL project its table is dropped by a new migration: the one that created it may have
/// run, so it stays.
pub fn remove(args: RemoveResourceArgs, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let (mut project, _lock) = open(cwd, access(&args.flags), reporter)?;
    let gone = existing(&project.spec, &args.name)?.clone();
    let referring: Vec<(String, String)> = references_to(&gone.name.name, &project.spec.resources)
        .map(|(r, f)| (r.name.name.clone(), f.name.clone()))
        .collect();
    if !referring.is_empty() {
        let fields: Vec<String> = referring.iter().map(|(r, f)| format!("`{r}.{f}`")).collect();
        let commands: Vec<String> = referring.iter().map(|(r, f)| format!("`espresso remove field {r} {f}`")).collect();
        return error::usage(
            format!("resource `{}` is still referred to by {}", gone.name.name, fields.join(", ")),
            format!("remove the references first: {}", commands.join(", then ")),
        );
    }
    let mut spec = project.spec.clone();
    spec.resources.retain(|r| r.name != gone.name);
    let dropped = record_migration(&mut spec, &project.root, Step::DropTable, &gone.name, gone.fields.clone())?;
    let changes = change::plan_changes(&mut project, &spec, args.flags.force)?;
    finish(&changes, &args.flags, reporter)?;
    if let Some(path) = dropped {
        reporter.status(
            "note",
            &format!(
                "{path} drops table `{}` and its rows where it runs; the migrations before it stay, as they may have run",
                gone.name.plural_snake
            ),
        );
    }
    Ok(())
}
