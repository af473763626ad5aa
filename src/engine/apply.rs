//! The applier: writes a plan to disk so that a failure at any point leaves nothing behind.
//! A new project is staged in a hidden directory beside the target and renamed into place.

use crate::engine::plan::Plan;
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
    }
    Ok(())
}

/// Creates the missing ancestors of `dir`, returning the topmost one created (to remove on failure).
fn create_parents(dir: &Path) -> anyhow::Result<Option<PathBuf>> {
    let mut missing = None;
    let mut cur = Some(dir);
    while let Some(p) = cur {
        if p.as_os_str().is_empty() || p.exists() {
            break;
        }
        missing = Some(p.to_path_buf());
        cur = p.parent();
    }
    if missing.is_some() {
        fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    }
    Ok(missing)
}

/// Writes a new project at `target`: stage beside it, then rename into place. With `--force`
/// into a non-empty directory, files are moved in one by one and undone on failure.
pub fn write_new(plan: &Plan, target: &Path, state: TargetState) -> anyhow::Result<()> {
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let created = create_parents(parent)?;
    let result = stage_and_move(plan, parent, target, state);
    if result.is_err()
        && let Some(top) = created
    {
        let _ = fs::remove_dir_all(top);
    }
    result
}

fn stage_and_move(plan: &Plan, parent: &Path, target: &Path, state: TargetState) -> anyhow::Result<()> {
    let staging = tempfile::Builder::new()
        .prefix(".espresso-staging-")
        .tempdir_in(parent)
        .with_context(|| format!("cannot write in `{}`", parent.display()))?;
    write_tree(plan, staging.path())?;
    match state {
        TargetState::Missing | TargetState::Empty => {
            // rename(2) replaces an empty directory atomically.
            fs::rename(staging.path(), target)
                .with_context(|| format!("cannot move the new project into `{}`", target.display()))?;
            // The staging directory is now the target; nothing is left to clean up.
            let _ = staging.keep();
            Ok(())
        }
        TargetState::NonEmpty => merge_into(plan, staging.path(), target),
    }
}

/// Moves staged files over an existing tree, keeping backups until every move succeeded.
fn merge_into(plan: &Plan, staged: &Path, target: &Path) -> anyhow::Result<()> {
    let backups =
        tempfile::Builder::new().prefix(".espresso-backup-").tempdir_in(target.parent().unwrap_or(Path::new(".")))?;
    let mut done: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
    let mut dirs: Vec<PathBuf> = Vec::new();
    let result = (|| -> anyhow::Result<()> {
        for (i, f) in plan.files.iter().enumerate() {
            let dest = target.join(&f.path);
            if let Some(dir) = dest.parent()
                && let Some(top) = create_parents(dir)?
            {
                dirs.push(top);
            }
            let backup = if dest.exists() {
                let b = backups.path().join(i.to_string());
                fs::rename(&dest, &b).with_context(|| format!("cannot replace `{}`", dest.display()))?;
                Some(b)
            } else {
                None
            };
            done.push((dest.clone(), backup));
            fs::rename(staged.join(&f.path), &dest).with_context(|| format!("cannot write `{}`", dest.display()))?;
        }
        Ok(())
    })();
    if result.is_err() {
        for (dest, backup) in done.into_iter().rev() {
            let _ = fs::remove_file(&dest);
            if let Some(b) = backup {
                let _ = fs::rename(b, &dest);
            }
        }
        for d in dirs.into_iter().rev() {
            let _ = fs::remove_dir_all(d);
        }
    }
    result
}
