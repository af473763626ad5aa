//! `espresso add middleware`, `remove middleware` and `list middleware`: a kind in or out of the
//! chain, with what it protects.

use super::{access, finish, open, open_to_list};
use crate::cli::MiddlewareArgs;
use crate::engine::change;
use crate::error;
use crate::model::options::{Choices, cache_str};
use crate::model::resource::ResourceName;
use crate::report::Reporter;
use crate::templates::bundle::middleware_kinds;
use std::path::Path;

/// `espresso list middleware`: every kind in chain order; `*` marks those the project has.
pub fn list(cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let project = open_to_list(cwd, reporter)?;
    let project = project.as_ref().map(|(p, _)| p);
    // Outside a project, the kinds of the language `espresso new` makes by default.
    let language = project.as_ref().map_or(Choices::default().language, |p| p.spec.choices.language);
    let mut out = String::new();
    for (kind, bundle) in middleware_kinds(language)? {
        let has = project.as_ref().is_some_and(|p| p.spec.middleware.contains(&kind));
        let summary = bundle.manifest.middleware.as_ref().map_or("", |m| m.summary.as_str());
        out.push_str(&format!("{} {kind:<16} {summary}\n", if has { "*" } else { " " }));
    }
    std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes())?;
    Ok(())
}

/// The middleware kind that `--protect` refers to.
pub const AUTH: &str = "auth-jwt";

/// `espresso add middleware` / `remove middleware`: the kind in or out of the spec, applied as a change.
pub fn change(args: MiddlewareArgs, add: bool, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let (mut project, _lock) = open(cwd, access(&args.flags), reporter)?;
    let kinds = middleware_kinds(project.spec.choices.language)?;
    let names: Vec<String> = kinds.iter().map(|(k, _)| format!("`{k}`")).collect();
    if !kinds.iter().any(|(k, _)| *k == args.kind) {
        return error::usage(
            format!("unknown middleware `{}`", args.kind),
            format!("the kinds are {} (`espresso list middleware`)", names.join(", ")),
        );
    }
    let present = project.spec.middleware.contains(&args.kind);
    let meta = kinds.iter().find(|(k, _)| *k == args.kind).and_then(|(_, b)| b.manifest.middleware.as_ref());
    if let Some(needed) = meta.and_then(|m| m.requires_cache.as_deref())
        && add
        && cache_str(project.spec.choices.cache) != needed
    {
        return error::usage(
            format!(
                "middleware `{}` needs the project's cache to be `{needed}`, and it is `{}`",
                args.kind,
                cache_str(project.spec.choices.cache)
            ),
            format!("create projects that cache with `espresso new <name> --cache {needed}`"),
        );
    }
    let protect_allowed = add && args.kind == AUTH;
    if !args.protect.is_empty() && !protect_allowed {
        return error::usage(
            "`--protect` goes with `espresso add middleware auth-jwt`",
            "protect a later resource with `espresso add resource <name> --protect`",
        );
    }
    let mut spec = project.spec.clone();
    for wanted in &args.protect {
        let wanted = ResourceName::parse(wanted)?;
        match spec.resources.iter_mut().find(|r| r.name.plural_kebab == wanted.plural_kebab) {
            Some(r) => r.protected = true,
            None => {
                return error::usage(
                    format!("resource `{}` does not exist", wanted.name),
                    "`--protect` names resources of the project; add them with `espresso add resource`",
                );
            }
        }
    }
    if !add && args.kind == AUTH {
        // A gateway route open to everyone is not what removing a middleware should mean.
        let guarded: Vec<String> =
            spec.upstreams.iter().filter(|u| u.protect).map(|u| format!("`{}`", u.name)).collect();
        if !guarded.is_empty() {
            return error::usage(
                format!("the gateway verifies tokens with auth-jwt for {}", guarded.join(", ")),
                "remove those upstreams first (`espresso remove upstream <name>`), then add them back without `--protect`",
            );
        }
        // Without authentication nothing can stay protected: removing it undoes the protection too.
        spec.resources.iter_mut().for_each(|r| r.protected = false);
    }
    match (add, present) {
        (true, true) => {
            return error::usage(
                format!("middleware `{}` is already in the project", args.kind),
                "nothing to do; `espresso list middleware` shows what the project has",
            );
        }
        (false, false) => {
            return error::usage(
                format!("middleware `{}` is not in the project", args.kind),
                "`espresso list middleware` marks the kinds the project has with `*`",
            );
        }
        (true, false) => {
            spec.middleware.push(args.kind.clone());
            // Chain order, whatever the order of the commands.
            spec.middleware.sort_by_key(|m| kinds.iter().position(|(k, _)| k == m));
        }
        (false, true) => spec.middleware.retain(|m| *m != args.kind),
    }
    let changes = change::plan_changes(&mut project, &spec, args.flags.force)?;
    finish(&changes, &args.flags, reporter)
}
