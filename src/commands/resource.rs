//! `espresso add resource` and `remove resource`.

use super::middleware::AUTH;
use super::{access, finish, open};
use crate::cli::{AddResourceArgs, RemoveResourceArgs};
use crate::engine::change;
use crate::error;
use crate::model::project::ResourceSpec;
use crate::model::resource::{Field, ResourceName};
use crate::report::Reporter;
use std::path::Path;

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
    let fields = args.fields.iter().map(|f| Field::parse(f)).collect::<Result<Vec<_>, _>>()?;
    for (i, f) in fields.iter().enumerate() {
        if fields[..i].iter().any(|g| g.name == f.name) {
            return error::usage(format!("field `{}` is given twice", f.name), "give each field once");
        }
    }
    if let Some(existing) = project.spec.resources.iter().find(|r| r.name.plural_kebab == name.plural_kebab) {
        return error::usage(
            format!("resource `{}` already exists", existing.name.name),
            format!(
                "change it by removing it first (`espresso remove resource {}`), or choose another name",
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
    let migration = project.spec.resources.iter().map(|r| r.migration).max().unwrap_or(0) + 1;
    let mut spec = project.spec.clone();
    spec.resources.push(ResourceSpec { name, fields, migration, protected: args.protect });
    let changes = change::plan_changes(&mut project, &spec, args.flags.force)?;
    finish(&changes, &args.flags, reporter)
}

/// `espresso remove resource`: the spec without the resource, applied as a change.
pub fn remove(args: RemoveResourceArgs, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let (mut project, _lock) = open(cwd, access(&args.flags), reporter)?;
    let wanted = ResourceName::parse(&args.name)?;
    let mut spec = project.spec.clone();
    let before = spec.resources.len();
    spec.resources.retain(|r| r.name.plural_kebab != wanted.plural_kebab);
    if spec.resources.len() == before {
        let known: Vec<String> = project.spec.resources.iter().map(|r| format!("`{}`", r.name.name)).collect();
        let hint = if known.is_empty() {
            "the project has no resources".to_owned()
        } else {
            format!("the project's resources: {}", known.join(", "))
        };
        return error::usage(format!("resource `{}` does not exist", args.name), hint);
    }
    let changes = change::plan_changes(&mut project, &spec, args.flags.force)?;
    finish(&changes, &args.flags, reporter)
}
