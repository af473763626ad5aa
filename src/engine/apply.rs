//! The applier: the only code that writes to a project, so that a failure or a kill at any point
//! leaves either the state before or, once recovered, exactly the state after.
//!
//! - A change to an existing directory ([`apply`]) is journaled first (`journal`), then every new
//!   file is written beside its target and flushed, then renamed into place in order (the project
//!   file last), then the directories are flushed and the journal removed. A step that fails
//!   rolls everything back at once; a process killed half-way is recovered by the next command.
//! - A new project in a missing or empty directory ([`write_new`]) is staged in a hidden
//!   directory beside the target, locked while it is written, and renamed into place; a staging
//!   directory left by a killed `espresso new` is removed by the next one in the same place.

use super::fault;
use super::journal::{self, Journal, Op};
use super::lock::ProjectLock;
use super::plan::Plan;
use crate::error::UsageError;
use anyhow::Context;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What is at the target before writing.
#[derive(Debug, PartialEq, Eq)]
pub enum TargetState {
    Missing,
    Empty,
    NonEmpty,
}

const STAGING_PREFIX: &str = ".espresso-staging-";

/// Checks the target directory; a file in the way or a non-empty directory without `--force`
/// is a usage error. `shown` is the path as the user gave it, for messages.
pub fn check_target(target: &Path, shown: &Path, force: bool) -> anyhow::Result<TargetState> {
    let shown = shown.display();
    match fs::symlink_metadata(target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(TargetState::Missing),
        Err(e) => Err(e).with_context(|| format!("cannot inspect `{shown}`")),
        Ok(m) if !m.is_dir() => Err(UsageError::new(format!("destination `{shown}` exists and is not a directory"))
            .hint("choose another name or location with `--dir <path>`")
            .into()),
        Ok(_) => {
            let empty = fs::read_dir(target).with_context(|| format!("cannot read `{shown}`"))?.next().is_none();
            match (empty, force) {
                (true, _) => Ok(TargetState::Empty),
                (false, true) => Ok(TargetState::NonEmpty),
                (false, false) => Err(UsageError::new(format!(
                    "destination `{shown}` already exists and is not empty"
                ))
                .hint(
                    "use `--force` to write into it (files espresso generates are replaced), or choose another `--dir`",
                )
                .into()),
            }
        }
    }
}

/// Applies `ops` to the directory `root` (whose lock the caller holds), in order: journaled,
/// flushed, all-or-nothing. `report(verb, path)` is called as each file lands.
pub fn apply(root: &Path, command: &str, ops: &[Op], report: &mut dyn FnMut(&str, &str)) -> anyhow::Result<()> {
    if ops.is_empty() {
        return Ok(());
    }
    let journal = Journal::new(root, command, ops)?;
    if let Err(e) = journal.write(root) {
        // Nothing was replaced: only what the journal left of itself goes.
        let _ = journal::discard(root);
        return Err(e);
    }
    let result = write_all(root, ops, &journal, report);
    match result {
        Ok(()) => {
            fault::point(|| "every file written; journal not yet removed".into())?;
            journal::discard(root).context(
                "the change is complete, but its journal could not be removed; the next espresso command removes it",
            )
        }
        Err(err) => match journal.roll_back(root, true).and_then(|_| journal::discard(root)) {
            Ok(()) => Err(err.context("every file was restored; nothing was changed")),
            Err(undo) => Err(err.context(format!(
                "the change could not be undone ({undo:#})\nrun `espresso recover` to finish putting the files back"
            ))),
        },
    }
}

fn write_all(root: &Path, ops: &[Op], journal: &Journal, report: &mut dyn FnMut(&str, &str)) -> anyhow::Result<()> {
    fault::point(|| "journal written; nothing replaced".into())?;
    for dir in journal.created_dirs() {
        fs::create_dir_all(root.join(dir)).with_context(|| format!("cannot create `{dir}`"))?;
    }
    // Every new file beside its target first, then all flushed: nothing is replaced until every
    // new file is safely on disk.
    let mut temps = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let (Some(bytes), Some(mode)) = (op.after, journal.new_mode(i)) else { continue };
        let temp = journal::temp_path(root, op.path);
        let mut file = fs::File::create(&temp).with_context(|| format!("cannot write `{}`", op.path))?;
        file.write_all(bytes).with_context(|| format!("cannot write `{}`", op.path))?;
        journal::set_mode(&file, mode).with_context(|| format!("cannot set the mode of `{}`", op.path))?;
        temps.push(file);
        fault::point(|| format!("temporary file of {} written", op.path))?;
    }
    for file in &temps {
        file.sync_data().context("cannot flush a new file to disk")?;
    }
    drop(temps);
    let mut dirs: Vec<PathBuf> = Vec::new();
    for op in ops {
        fault::point(|| format!("about to {} {}", op.verb(), op.path))?;
        let path = root.join(op.path);
        match op.after {
            Some(_) => fs::rename(journal::temp_path(root, op.path), &path)
                .with_context(|| format!("cannot write `{}`", op.path))?,
            None => {
                fs::remove_file(&path).with_context(|| format!("cannot delete `{}`", op.path))?;
                // Directories espresso emptied go too, so add then remove leaves the tree as it was.
                let mut dir = path.parent();
                while let Some(d) = dir.filter(|d| *d != root) {
                    if fs::remove_dir(d).is_err() {
                        break;
                    }
                    dirs.push(d.parent().unwrap_or(root).to_path_buf());
                    dir = d.parent();
                }
            }
        }
        dirs.push(path.parent().unwrap_or(root).to_path_buf());
        report(op.verb(), op.path);
    }
    fault::point(|| "every file replaced; directories not yet flushed".into())?;
    dirs.sort();
    dirs.dedup();
    for d in dirs.iter().filter(|d| d.is_dir()) {
        journal::sync_dir(d).with_context(|| format!("cannot flush `{}`", d.display()))?;
    }
    Ok(())
}

/// Writes every file of `plan` under `root`, creating directories.
fn write_tree(plan: &Plan, root: &Path) -> anyhow::Result<()> {
    for f in &plan.files {
        let path = root.join(&f.path);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
        }
        let mut out = fs::File::create(&path).with_context(|| format!("cannot write `{}`", path.display()))?;
        out.write_all(f.contents.as_bytes()).with_context(|| format!("cannot write `{}`", path.display()))?;
        #[cfg(unix)]
        if f.executable {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755))?;
        }
        fault::point(|| format!("staged {}", f.path))?;
    }
    Ok(())
}

/// Creates the missing ancestors of `dir` (and `dir`), returning those it created, deepest first.
fn create_parents(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut missing = Vec::new();
    let mut cur = Some(dir);
    while let Some(p) = cur {
        if p.as_os_str().is_empty() || p.exists() {
            break;
        }
        missing.push(p.to_path_buf());
        cur = p.parent();
    }
    if !missing.is_empty() {
        fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    }
    Ok(missing)
}

/// Removes directories `create_parents` made, deepest first. Never recursively: a directory that
/// is not empty is someone else's and stays, so a wrong list can only leave an empty one behind.
fn remove_created(dirs: &[PathBuf]) {
    for d in dirs {
        let _ = fs::remove_dir(d);
    }
}

/// Removes staging directories in `parent` that no running `espresso new` holds: what a killed
/// one left behind. Returns their names.
pub fn sweep_staging(parent: &Path) -> anyhow::Result<Vec<String>> {
    let Ok(entries) = fs::read_dir(parent) else { return Ok(Vec::new()) };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(STAGING_PREFIX) || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        // Held by a live `espresso new`: not ours to touch.
        if ProjectLock::try_acquire(&entry.path())?.is_some() {
            fs::remove_dir_all(entry.path()).with_context(|| format!("cannot remove `{}`", entry.path().display()))?;
            removed.push(name);
        }
    }
    removed.sort();
    Ok(removed)
}

/// Writes a new project at `target`: stage beside it, then rename into place. With `--force`
/// into a non-empty directory, the files are applied to it as a journaled change (the caller
/// holds that directory's lock and has recovered any change pending there).
pub fn write_new(plan: &Plan, target: &Path, state: TargetState) -> anyhow::Result<()> {
    if state == TargetState::NonEmpty {
        return merge_into(plan, target);
    }
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let created = create_parents(parent)?;
    // The staging directory is gone by the time this returns an error, so what was created is empty.
    let result = stage_and_move(plan, parent, target);
    if result.is_err() {
        remove_created(&created);
    }
    result
}

fn stage_and_move(plan: &Plan, parent: &Path, target: &Path) -> anyhow::Result<()> {
    let staging = tempfile::Builder::new()
        .prefix(STAGING_PREFIX)
        .tempdir_in(parent)
        .with_context(|| format!("cannot write in `{}`", parent.display()))?;
    fault::point(|| "staging directory made; not yet locked".into())?;
    // Held until the process ends: the staging directory becomes the project, so the lock is the
    // project's, and a sweep by another `espresso new` leaves a live staging directory alone.
    let _lock = ProjectLock::try_acquire(staging.path())?.context("cannot lock the staging directory")?;
    write_tree(plan, staging.path())?;
    fault::point(|| "staged every file; not yet moved into place".into())?;
    // rename(2) replaces an empty directory atomically.
    fs::rename(staging.path(), target)
        .with_context(|| format!("cannot move the new project into `{}`", target.display()))?;
    // The staging directory is now the target; nothing is left to clean up.
    let _ = staging.keep();
    Ok(())
}

/// Writes the plan into an existing non-empty directory as one journaled change, the project file last.
fn merge_into(plan: &Plan, target: &Path) -> anyhow::Result<()> {
    let record = super::super::model::project_file::FILE;
    let mut files: Vec<_> = plan.files.iter().collect();
    files.sort_by_key(|f| f.path == record);
    let befores: Vec<Option<Vec<u8>>> = files
        .iter()
        .map(|f| match fs::read(target.join(&f.path)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read `{}`", f.path)),
        })
        .collect::<anyhow::Result<_>>()?;
    let ops: Vec<Op> = files
        .iter()
        .zip(&befores)
        .filter(|(f, before)| before.as_deref() != Some(f.contents.as_bytes()))
        .map(|(f, before)| Op {
            path: &f.path,
            before: before.as_deref(),
            after: Some(f.contents.as_bytes()),
            executable: f.executable,
        })
        .collect();
    apply(target, &command_line(), &ops, &mut |_, _| {})
}

/// This process's command line, as the journal records it for recovery messages.
pub fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!("espresso {}", args.join(" "))
}
