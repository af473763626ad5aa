//! `espresso add upstream` and `remove upstream`: the services behind an API gateway, each a path
//! prefix the gateway streams to it unchanged, from a base URL in a config variable of its own.

use super::middleware::AUTH;
use super::{access, finish, open};
use crate::cli::{AddUpstreamArgs, Preset, RemoveUpstreamArgs};
use crate::engine::change;
use crate::error::{self, UsageError};
use crate::model::project::ProjectSpec;
use crate::model::upstream::{DEFAULT_TIMEOUT_MS, UpstreamSpec, overlaps};
use crate::report::Reporter;
use std::path::Path;

/// Refuses upstreams in a project that is not a gateway.
fn check_gateway(spec: &ProjectSpec) -> Result<(), UsageError> {
    if spec.choices.preset == Preset::ApiGateway {
        return Ok(());
    }
    Err(UsageError::new(format!("`{}` is not an API gateway, so it has no upstreams", spec.name.as_str()))
        .hint("make a gateway with `espresso new <name> --preset api-gateway`, and add upstreams there"))
}

/// `espresso add upstream <name> [--path <prefix>] [--protect] [--timeout-ms <n>]`.
pub fn add(args: AddUpstreamArgs, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let (mut project, _lock) = open(cwd, access(&args.flags), reporter)?;
    check_gateway(&project.spec)?;
    let name = UpstreamSpec::parse_name(&args.name)?;
    let path = match &args.path {
        Some(raw) => UpstreamSpec::check_path(raw)?,
        None => UpstreamSpec::default_path(&name),
    };
    let spec = &project.spec;
    if spec.upstreams.iter().any(|u| u.name == name) {
        return error::usage(
            format!("upstream `{name}` already exists"),
            format!("remove it first (`espresso remove upstream {name}`) to change it"),
        );
    }
    if let Some(other) = spec.upstreams.iter().find(|u| overlaps(&u.path, &path)) {
        return error::usage(
            format!("`{path}` overlaps `{}`, which goes to upstream `{}`", other.path, other.name),
            "each path must go to one upstream: give `--path` a prefix of its own",
        );
    }
    if args.protect && !spec.middleware.iter().any(|m| m == AUTH) {
        return error::usage(
            "`--protect` verifies tokens with the auth-jwt middleware, which this gateway does not have",
            "add it first: `espresso add middleware auth-jwt` (then set JWT_JWKS_URL to the auth service's JWKS)",
        );
    }
    let mut new_spec = spec.clone();
    new_spec.upstreams.push(UpstreamSpec {
        name,
        path,
        protect: args.protect,
        timeout_ms: args.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
    });
    let changes = change::plan_changes(&mut project, &new_spec, args.flags.force)?;
    finish(&changes, &args.flags, reporter)
}

/// `espresso remove upstream <name>`.
pub fn remove(args: RemoveUpstreamArgs, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let (mut project, _lock) = open(cwd, access(&args.flags), reporter)?;
    check_gateway(&project.spec)?;
    if !project.spec.upstreams.iter().any(|u| u.name == args.name) {
        let known: Vec<String> = project.spec.upstreams.iter().map(|u| format!("`{}`", u.name)).collect();
        return error::usage(
            format!("upstream `{}` does not exist", args.name),
            if known.is_empty() {
                "this gateway has no upstreams yet".to_owned()
            } else {
                format!("its upstreams: {}", known.join(", "))
            },
        );
    }
    let mut new_spec = project.spec.clone();
    new_spec.upstreams.retain(|u| u.name != args.name);
    let changes = change::plan_changes(&mut project, &new_spec, args.flags.force)?;
    finish(&changes, &args.flags, reporter)
}
