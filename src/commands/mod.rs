//! One module per command family. Each turns its clap arguments into a new project spec (or, for
//! `new`, validated options), hands it to the engine and reports the outcome.

pub mod api;
pub mod config;
pub mod deployment;
pub mod field;
pub mod messaging;
pub mod middleware;
pub mod new;
pub mod recover;
pub mod resource;
pub mod upstream;

use crate::cli::ChangeFlags;
use crate::cli::Database;
use crate::engine::change::ChangeSet;
use crate::engine::journal::{self, Outcome, Recovery};
use crate::engine::lock::{Access, ProjectLock};
use crate::model::migration::Step;
use crate::model::project::{Project, ProjectSpec};
use crate::model::resource::{Field, ResourceName};
use crate::report::Reporter;
use anyhow::Context;
use std::path::Path;

/// Opens the project containing `cwd`: finds its root, takes its lock (waiting, with a line that
/// says so, while another espresso command holds it), settles a change that was interrupted
/// there, and only then reads it. A change completes or rolls back the interrupted one first; a
/// read-only command (`--dry-run`) cannot plan against a half-applied project and says so.
fn open(cwd: &Path, access: Access, reporter: &Reporter) -> anyhow::Result<(Project, ProjectLock)> {
    let root = Project::find_root(cwd, journal::exists)?;
    let lock = lock(&root, access, reporter)?;
    match access {
        Access::Change => {
            settle(&root, false, reporter)?;
        }
        Access::Read => {
            if let Some(change) = journal::pending(&root) {
                anyhow::bail!(
                    "{change} was interrupted in `{}`, so a dry run cannot show what this command would change\n{}",
                    root.display(),
                    journal::RECOVER_HINT
                );
            }
        }
    }
    Ok((Project::load(&root)?, lock))
}

/// Opens the project containing `cwd` for listing what it has: `None` outside a project (the
/// list is still shown). An interrupted change is reported, and listed as far as espresso.toml
/// says, which is always whole: it is written last, by a rename.
fn open_to_list(cwd: &Path, reporter: &Reporter) -> anyhow::Result<Option<(Project, ProjectLock)>> {
    let Ok(root) = Project::find_root(cwd, journal::exists) else { return Ok(None) };
    let lock = lock(&root, Access::Read, reporter)?;
    if let Some(change) = journal::pending(&root) {
        reporter.status("note", &format!("{change} was interrupted in this project; {}", journal::RECOVER_HINT));
    }
    Ok(Project::load(&root).ok().map(|p| (p, lock)))
}

/// Records in `spec` the migration of `step` on `resource` (PostgreSQL projects only), numbered
/// after every migration recorded and every numbered file in the project's `migrations/` folder
/// (hand-written ones included); returns the new file's path.
fn record_migration(
    spec: &mut ProjectSpec,
    root: &Path,
    step: Step,
    resource: &ResourceName,
    fields: Vec<Field>,
) -> anyhow::Result<Option<String>> {
    if spec.choices.database != Database::Postgres {
        return Ok(None);
    }
    let on_disk = migrations_on_disk(root)?;
    Ok(spec.record_migration(step, resource, fields, on_disk.iter().map(String::as_str)).map(|m| m.path()))
}

/// The file names in the project's `migrations/` folder (none when it does not exist).
fn migrations_on_disk(root: &Path) -> anyhow::Result<Vec<String>> {
    let dir = root.join(crate::model::migration::DIR);
    let mut on_disk = Vec::new();
    match std::fs::read_dir(&dir) {
        Ok(entries) => {
            for entry in entries {
                let entry = entry.with_context(|| format!("cannot read `{}`", dir.display()))?;
                on_disk.extend(entry.file_name().to_str().map(str::to_owned));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot read `{}`", dir.display()))),
    }
    Ok(on_disk)
}

/// The access a changing command needs: `--dry-run` only reads.
fn access(flags: &ChangeFlags) -> Access {
    if flags.dry_run { Access::Read } else { Access::Change }
}

/// Takes the lock of the project at `root`, telling the user when another command holds it.
fn lock(root: &Path, access: Access, reporter: &Reporter) -> anyhow::Result<ProjectLock> {
    ProjectLock::acquire(root, access, &mut || {
        reporter.status("wait", "waiting for another espresso command in this project to finish");
    })
}

/// Completes or rolls back the change interrupted in the project at `root`, and says which.
fn settle(root: &Path, force: bool, reporter: &Reporter) -> anyhow::Result<Option<Recovery>> {
    let recovery = journal::recover(root, force)?;
    if let Some(r) = &recovery {
        let command = r.command.as_deref().map_or("a change".to_owned(), |c| format!("`{c}`"));
        let what = match r.outcome {
            Outcome::Completed => format!("{command} was interrupted after writing every file; completed it"),
            Outcome::RolledBack if r.files == 0 => {
                format!("{command} was interrupted before it changed anything; cleaned up after it")
            }
            Outcome::RolledBack => {
                format!("{command} was interrupted; rolled it back: {} file(s) are as they were before it", r.files)
            }
        };
        reporter.status("recover", &what);
    }
    Ok(recovery)
}

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
