//! `espresso add field` and `remove field`: a resource's fields change, its code follows, and in
//! a PostgreSQL project a new migration changes its table, which may already hold rows.

use super::resource::{existing, parse_fields};
use super::{access, finish, open, record_migration};
use crate::cli::Database;
use crate::cli::{AddFieldArgs, RemoveFieldArgs};
use crate::engine::change;
use crate::error;
use crate::model::migration::Step;
use crate::model::relation::check_references;
use crate::report::Reporter;
use heck::ToLowerCamelCase;
use std::path::Path;

/// `espresso add field <resource> <field>...`.
pub fn add(args: AddFieldArgs, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let (mut project, _lock) = open(cwd, access(&args.flags), reporter)?;
    let resource = existing(&project.spec, &args.resource)?.clone();
    let fields = parse_fields(&args.fields)?;
    let name = &resource.name.name;
    if let Some(f) = fields.iter().find(|f| resource.fields.iter().any(|g| g.name == f.name)) {
        return error::usage(
            format!("resource `{name}` already has a field `{}`", f.name),
            format!(
                "to change it, remove it first (`espresso remove field {name} {}`), or choose another name",
                f.name
            ),
        );
    }
    super::api::check_resource_version(&resource, args.api.as_deref())?;
    check_references(&resource.name, &resource.api, &fields, &project.spec.resources)?;
    if project.spec.choices.database == Database::Postgres {
        let table = &resource.name.plural_snake;
        // The rows already in the table need a value for a required column, and distinct ones
        // for a unique column.
        if let Some(f) = fields.iter().find(|f| !f.optional && f.default.is_none()) {
            return error::usage(
                format!(
                    "field `{}` is required and has no default, but table `{table}` may already hold rows, which would have no value for it",
                    f.name
                ),
                if f.reference().is_some() {
                    format!("make it optional (`{}:optional`): the rows there then refer to nothing", f.spec())
                } else {
                    format!("give it a default (`{0}:default=<value>`) or make it optional (`{0}:optional`)", f.spec())
                },
            );
        }
        if let Some(f) = fields.iter().find(|f| f.unique && (!f.optional || f.default.is_some())) {
            return error::usage(
                format!("unique field `{}` would give every row already in table `{table}` the same value", f.name),
                format!(
                    "add it as `{}:{}:optional:unique` without a default (the rows there hold null), fill it in, then make it required by hand if you need to",
                    f.name,
                    f.spec().split(':').nth(1).unwrap_or("string")
                ),
            );
        }
    }
    let mut spec = project.spec.clone();
    record_migration(&mut spec, &project.root, Step::AddColumns, &resource.name, fields.clone())?;
    // Declared indexes and the references' (whose foreign keys are validated there too).
    let indexed: Vec<_> = fields.iter().filter(|f| f.has_index() || f.reference().is_some()).cloned().collect();
    if !indexed.is_empty() {
        record_migration(&mut spec, &project.root, Step::CreateIndexes, &resource.name, indexed)?;
    }
    let target = spec.resources.iter_mut().find(|r| r.name == resource.name).expect("the resource exists");
    target.fields.extend(fields);
    let changes = change::plan_changes(&mut project, &spec, args.flags.force)?;
    finish(&changes, &args.flags, reporter)
}

/// `espresso remove field <resource> <field>...`.
pub fn remove(args: RemoveFieldArgs, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let (mut project, _lock) = open(cwd, access(&args.flags), reporter)?;
    let resource = existing(&project.spec, &args.resource)?.clone();
    super::api::check_resource_version(&resource, args.api.as_deref())?;
    let name = &resource.name.name;
    let mut gone = Vec::new();
    for raw in &args.fields {
        let wanted = raw.to_lower_camel_case();
        // A reference may be named as it was given: `customer` for `customerId`.
        let Some(field) =
            resource.fields.iter().find(|f| f.name == wanted).or_else(|| {
                resource.fields.iter().find(|f| f.reference().is_some() && f.name == format!("{wanted}Id"))
            })
        else {
            let known: Vec<String> = resource.fields.iter().map(|f| format!("`{}`", f.name)).collect();
            return error::usage(
                format!("resource `{name}` has no field `{raw}`"),
                format!("its fields: {}", known.join(", ")),
            );
        };
        if gone.contains(field) {
            return error::usage(format!("field `{}` is given twice", field.name), "give each field once");
        }
        gone.push(field.clone());
    }
    if gone.len() == resource.fields.len() {
        return error::usage(
            format!("resource `{name}` would have no field left"),
            format!("keep at least one, or remove the resource: `espresso remove resource {name}`"),
        );
    }
    let mut spec = project.spec.clone();
    let dropped = record_migration(&mut spec, &project.root, Step::DropColumns, &resource.name, gone.clone())?;
    let target = spec.resources.iter_mut().find(|r| r.name == resource.name).expect("the resource exists");
    target.fields.retain(|f| !gone.contains(f));
    let changes = change::plan_changes(&mut project, &spec, args.flags.force)?;
    finish(&changes, &args.flags, reporter)?;
    if let Some(path) = dropped {
        reporter.status(
            "note",
            &format!(
                "{path} drops the column(s) and their values where it runs; instances of the previous version fail reading them until replaced"
            ),
        );
    }
    Ok(())
}
