//! `espresso recover`: complete or roll back a change that was interrupted in this project. Every
//! command that changes the project does this first anyway; this one does only that.

use super::{lock, settle};
use crate::cli::RecoverArgs;
use crate::engine::journal;
use crate::engine::lock::Access;
use crate::model::project::Project;
use crate::report::Reporter;
use std::path::Path;

pub fn recover(args: RecoverArgs, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let root = Project::find_root(cwd, journal::exists)?;
    let _lock = lock(&root, Access::Change, reporter)?;
    if settle(&root, args.force, reporter)?.is_none() {
        reporter.status("note", "no interrupted change to recover; the project is as the last command left it");
    }
    Ok(())
}
