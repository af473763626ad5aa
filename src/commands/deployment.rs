//! `espresso add deployment`, `remove deployment` and `list deployments`: deployment targets and
//! CI pipelines in or out of the project's choices.

use super::{access, finish, open, open_to_list};
use crate::cli::DeploymentArgs;
use crate::engine::change;
use crate::error;
use crate::model::options::{Deploy, Target};
use crate::report::Reporter;
use crate::templates::bundle::Bundle;
use std::path::Path;

/// `espresso list deployments`: every target; `*` marks those the project has.
pub fn list(cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let project = open_to_list(cwd, reporter)?;
    let project = project.as_ref().map(|(p, _)| p);
    let mut out = String::new();
    for target in Target::all() {
        let has = project.as_ref().is_some_and(|p| target.is_in(&p.spec.choices));
        let bundle = Bundle::load(&target.bundle())?;
        out.push_str(&format!(
            "{} {:<16} {}\n",
            if has { "*" } else { " " },
            target.name(),
            bundle.manifest.description
        ));
    }
    std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes())?;
    Ok(())
}

/// `espresso add deployment` / `remove deployment`: the target in or out of the choices.
pub fn change(args: DeploymentArgs, add: bool, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let (mut project, _lock) = open(cwd, access(&args.flags), reporter)?;
    let target = Target::parse(&args.target)?;
    let kubernetes = Target::Deploy(Deploy::Kubernetes);
    // Both route HTTP into a cluster, and share the one recorded routing choice.
    let routes = [kubernetes, Target::Deploy(Deploy::Helm)].contains(&target);
    if args.ingress.is_some() && !(add && routes) {
        return error::usage(
            "`--ingress` goes with `espresso add deployment kubernetes` or `helm`",
            "leave `--ingress` out, or use it when adding `kubernetes` or `helm`",
        );
    }
    let present = target.is_in(&project.spec.choices);
    match (add, present) {
        (true, true) => {
            let hint = if target == kubernetes {
                "nothing to do; to route differently, `espresso remove deployment kubernetes`, then add it with `--ingress`"
                    .to_owned()
            } else {
                "nothing to do; `espresso list deployments` shows what the project has".to_owned()
            };
            return error::usage(format!("deployment target `{}` is already in the project", target.name()), hint);
        }
        (false, false) => {
            return error::usage(
                format!("deployment target `{}` is not in the project", target.name()),
                "`espresso list deployments` marks the targets the project has with `*`",
            );
        }
        _ => {}
    }
    let mut spec = project.spec.clone();
    target.toggle(&mut spec.choices, add);
    if let Some(ingress) = args.ingress {
        spec.choices.ingress = ingress;
    }
    if let (false, Target::Deploy(d)) = (add, target) {
        let needing = project.spec.choices.needing(d);
        if let Some(first) = needing.first() {
            let names: Vec<String> = needing.iter().map(|n| format!("`{}`", n.as_str())).collect();
            // Every rule so far is an image built from the Dockerfile.
            return error::usage(
                format!(
                    "`{}` is needed by {}, which {} the image its Dockerfile builds",
                    d.as_str(),
                    names.join(" and "),
                    if names.len() == 1 { "runs" } else { "run" }
                ),
                format!("remove {} first: `espresso remove deployment {}`", names.join(" and "), first.as_str()),
            );
        }
    }
    if add {
        for note in spec.choices.add_requirements() {
            reporter.status("note", &note);
        }
    }
    let changes = change::plan_changes(&mut project, &spec, args.flags.force)?;
    finish(&changes, &args.flags, reporter)
}
