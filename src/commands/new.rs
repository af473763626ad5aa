//! `espresso new`: validate, plan, then dry-run or apply.

use crate::cli::NewArgs;
use crate::engine::{apply, plan};
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
    let shown = opts.target.strip_prefix(cwd).unwrap_or(&opts.target);
    let state = apply::check_target(&opts.target, shown, opts.force)?;
    let plan = plan::plan_new(&opts.name, &opts.choices)?;
    if opts.dry_run {
        reporter.dry_run(&plan, shown)?;
        return Ok(());
    }
    apply::write_new(&plan, &opts.target, state)?;
    reporter.created(&plan, shown);
    Ok(())
}
