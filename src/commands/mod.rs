//! One module per command family. Each turns its clap arguments into a new project spec (or, for
//! `new`, validated options), hands it to the engine and reports the outcome.

pub mod config;
pub mod deployment;
pub mod middleware;
pub mod new;
pub mod resource;

use crate::cli::ChangeFlags;
use crate::engine::change::ChangeSet;
use crate::report::Reporter;

/// Shows (`--dry-run`) or applies a change set.
fn finish(changes: &ChangeSet, flags: &ChangeFlags, reporter: &Reporter) -> anyhow::Result<()> {
    if flags.dry_run {
        reporter.diff(&changes.diff())?;
    } else {
        changes.apply(&mut |verb, path| reporter.status(verb, path))?;
    }
    for path in &changes.kept {
        reporter.status("keep", &format!("{path} (you changed it; espresso no longer needs it)"));
    }
    for advice in &changes.advice {
        reporter.status("note", advice);
    }
    Ok(())
}
