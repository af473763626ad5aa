//! `espresso add api-version`, `remove api-version` and `deprecate api-version`: the versions of
//! the API, each mounted at `/api/<version>`, and the resources' choice of one (`--api`).

use super::{access, finish, open};
use crate::cli::{ApiVersionArgs, DeprecateArgs};
use crate::engine::change;
use crate::error::{self, UsageError};
use crate::model::api::{self, ApiVersion};
use crate::model::project::{ProjectSpec, ResourceSpec};
use crate::report::Reporter;
use std::path::Path;

/// The version `--api` names (it must exist), or the newest when it names none.
pub fn chosen(spec: &ProjectSpec, raw: Option<&str>) -> Result<String, UsageError> {
    let Some(raw) = raw else { return Ok(spec.newest_api().to_owned()) };
    let name = ApiVersion::parse_name(raw)?;
    if spec.api_version(&name).is_none() {
        return Err(UsageError::new(format!("API version `{name}` does not exist"))
            .hint(format!("add it first (`espresso add api-version {name}`), or use one of {}", listed(spec))));
    }
    Ok(name)
}

/// Refuses `--api <version>` on a change to a resource served in another version.
pub fn check_resource_version(resource: &ResourceSpec, raw: Option<&str>) -> Result<(), UsageError> {
    match raw {
        Some(raw) if raw != resource.api => Err(UsageError::new(format!(
            "resource `{}` is served in API version `{}`, not `{raw}`",
            resource.name.name, resource.api
        ))
        .hint(format!("a resource lives in one version: leave out `--api`, or give `--api {}`", resource.api))),
        _ => Ok(()),
    }
}

fn listed(spec: &ProjectSpec) -> String {
    spec.api_versions.iter().map(|v| format!("`{}`", v.name)).collect::<Vec<_>>().join(", ")
}

/// `espresso add api-version <version>`.
pub fn add(args: ApiVersionArgs, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let (mut project, _lock) = open(cwd, access(&args.flags), reporter)?;
    let name = ApiVersion::parse_name(&args.name)?;
    if project.spec.api_version(&name).is_some() {
        return error::usage(
            format!("API version `{name}` already exists"),
            format!("add resources to it with `espresso add resource <name> --api {name} --field ...`"),
        );
    }
    let mut spec = project.spec.clone();
    spec.api_versions.push(ApiVersion::new(&name));
    spec.api_versions.sort_by_key(ApiVersion::number);
    let changes = change::plan_changes(&mut project, &spec, args.flags.force)?;
    finish(&changes, &args.flags, reporter)
}

/// `espresso remove api-version <version>`: only a version no resource is in, and never the last.
pub fn remove(args: ApiVersionArgs, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let (mut project, _lock) = open(cwd, access(&args.flags), reporter)?;
    let name = chosen(&project.spec, Some(&args.name))?;
    if project.spec.api_versions.len() == 1 {
        return error::usage(format!("`{name}` is the API's only version"), "an API keeps at least one version");
    }
    let inside: Vec<String> =
        project.spec.resources.iter().filter(|r| r.api == name).map(|r| format!("`{}`", r.name.name)).collect();
    if !inside.is_empty() {
        return error::usage(
            format!("API version `{name}` still serves {}", inside.join(", ")),
            "remove those resources first (`espresso remove resource <name>`)",
        );
    }
    let mut spec = project.spec.clone();
    spec.api_versions.retain(|v| v.name != name);
    let changes = change::plan_changes(&mut project, &spec, args.flags.force)?;
    finish(&changes, &args.flags, reporter)
}

/// `espresso deprecate api-version <version> [--sunset <date>] [--since <date>]`, or `--withdraw`.
pub fn deprecate(args: DeprecateArgs, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let (mut project, _lock) = open(cwd, access(&args.flags), reporter)?;
    let name = chosen(&project.spec, Some(&args.name))?;
    let (deprecated, sunset) = if args.withdraw {
        if project.spec.api_version(&name).is_some_and(|v| v.deprecated.is_none()) {
            return error::usage(format!("API version `{name}` is not deprecated"), "nothing to withdraw");
        }
        (None, None)
    } else {
        let since = match &args.since {
            Some(raw) => api::parse_day(raw, "--since")?,
            None => api::today(),
        };
        let sunset = args.sunset.as_deref().map(|raw| api::parse_day(raw, "--sunset")).transpose()?;
        if let Some(day) = &sunset
            && *day <= since
        {
            return error::usage(
                format!("the sunset {day} is not after the deprecation ({since})"),
                "give a later `--sunset`: clients need time to move to another version",
            );
        }
        (Some(since), sunset)
    };
    let mut spec = project.spec.clone();
    let version = spec.api_versions.iter_mut().find(|v| v.name == name).expect("the version exists");
    (version.deprecated, version.sunset) = (deprecated, sunset);
    let changes = change::plan_changes(&mut project, &spec, args.flags.force)?;
    finish(&changes, &args.flags, reporter)
}
