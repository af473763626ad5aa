//! `espresso new`: validate, plan, then dry-run or apply.

use super::{lock, settle};
use crate::cli::NewArgs;
use crate::engine::apply::{self, TargetState};
use crate::engine::lock::Access;
use crate::engine::plan;
use crate::model::options;
use crate::prompt;
use crate::report::Reporter;
use std::path::Path;

/// `espresso new`: validate, plan, then dry-run or apply.
pub fn new(args: NewArgs, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let mut prompter: Box<dyn prompt::Prompter> = match prompt::Terminal::detect() {
        Some(t) if !args.yes => Box::new(t),
        _ => Box::new(prompt::Unattended),
    };
    let opts = options::NewOptions::from_args(args, cwd, prompter.as_mut())?;
    for note in &opts.notes {
        reporter.status("note", note);
    }
    let shown = opts.target.strip_prefix(cwd).unwrap_or(&opts.target);
    let state = apply::check_target(&opts.target, shown, opts.force)?;
    let plan = plan::plan_new(&opts.name, &opts.choices)?;
    if opts.dry_run {
        reporter.dry_run(&plan, shown)?;
        return Ok(());
    }
    // Into an existing directory: one command at a time, after any change interrupted there.
    let _lock = match state {
        TargetState::NonEmpty => {
            let lock = lock(&opts.target, Access::Change, reporter)?;
            settle(&opts.target, false, reporter)?;
            Some(lock)
        }
        TargetState::Missing | TargetState::Empty => {
            // The parent's lock, held until the project is in place: a sweep then never meets a
            // staging directory made but not yet locked by a `new` running beside this one.
            let parent = opts.target.parent().unwrap_or(Path::new("."));
            let parent_lock = if parent.is_dir() { Some(lock(parent, Access::Change, reporter)?) } else { None };
            for name in apply::sweep_staging(parent)? {
                reporter.status("recover", &format!("removed `{name}`, left by an interrupted `espresso new`"));
            }
            parent_lock
        }
    };
    apply::write_new(&plan, &opts.target, state)?;
    reporter.created(&plan, shown);
    Ok(())
}
