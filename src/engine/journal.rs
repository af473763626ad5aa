//! The journal of a change in flight, so that a change killed half-way (SIGKILL, the OOM killer,
//! a power loss) is completed or rolled back by the next espresso command instead of leaving the
//! project half old, half new.
//!
//! Before the first file is replaced, the applier writes `.espresso/journal`: the command, every
//! file the change touches with its previous bytes and mode (or that it did not exist), a digest
//! of what it becomes, and the directories the change creates. The journal is written to a
//! temporary name, fsynced and renamed, so it is either whole or absent. `.espresso/` holds a
//! `.gitignore` of `*`, so `git status` never shows it; it is removed when the change is done.
//!
//! Recovery compares each file with both states: if every file is already in its new state the
//! change is complete and only the journal goes; otherwise every file is put back as it was and
//! the directories the change created are removed. Either way the temporary files go too. A file
//! in neither state was changed by someone after the interruption: that is a conflict, and it is
//! only overwritten with `--force`. Rolling back is idempotent, so recovery killed half-way is
//! recovered the same way. The applier uses the same rollback when a step fails in-process.

use super::fault;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

/// espresso's own directory in a project, present only while a change is in flight.
pub const DIR: &str = ".espresso";
const FILE: &str = "journal";
const PARTIAL: &str = "journal.tmp";
const MAGIC: &str = "espresso journal 1";

/// One file a change writes or deletes.
#[derive(Debug, Clone, Copy)]
pub struct Op<'a> {
    /// Relative to the project root, with `/` separators.
    pub path: &'a str,
    /// What is there now (`None`: nothing).
    pub before: Option<&'a [u8]>,
    /// What it becomes (`None`: deleted).
    pub after: Option<&'a [u8]>,
    /// A new file is created executable (an existing file keeps its mode).
    pub executable: bool,
}

impl Op<'_> {
    pub fn verb(&self) -> &'static str {
        match (self.before, self.after) {
            (None, _) => "create",
            (_, None) => "delete",
            _ => "update",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Saved {
    offset: usize,
    len: usize,
    mode: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Planned {
    sha256: String,
    mode: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    path: String,
    before: Option<Saved>,
    after: Option<Planned>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Header {
    command: String,
    entries: Vec<Entry>,
    /// Directories the change creates, parents before children.
    created_dirs: Vec<String>,
}

/// A change's journal: the header and the previous bytes of every file it touches.
#[derive(Debug, Clone)]
pub struct Journal {
    header: Header,
    saved: Vec<u8>,
}

/// How an interrupted change ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every file was already in its new state: the change is done.
    Completed,
    /// Every file is back as it was before the change.
    RolledBack,
}

/// What recovery did.
#[derive(Debug, Clone)]
pub struct Recovery {
    /// The interrupted command (`espresso add resource order-item …`), if the journal said.
    pub command: Option<String>,
    pub outcome: Outcome,
    /// Files put back (rolled back) or found complete.
    pub files: usize,
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(unix)]
fn mode_of(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(_meta: &fs::Metadata) -> u32 {
    0o644
}

/// Sets the permission bits of an open file (a no-op where there are none).
#[cfg(unix)]
pub fn set_mode(file: &fs::File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
pub fn set_mode(_file: &fs::File, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// Where a file's new contents wait before they are renamed into place: beside it, so the rename
/// stays on one filesystem, under a name derived from the path so recovery can find it.
pub fn temp_path(root: &Path, rel: &str) -> PathBuf {
    let path = root.join(rel);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.espresso-tmp"))
}

/// Writes `bytes` to a new file at `path` with `mode`, flushed to disk.
pub fn write_synced(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let mut file = fs::File::create(path)?;
    file.write_all(bytes)?;
    set_mode(&file, mode)?;
    file.sync_data()
}

/// Makes the entries of `dir` (renames, creations, deletions) durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// What is at a path now.
#[derive(Debug, PartialEq, Eq)]
enum Found {
    Absent,
    File(Vec<u8>),
    /// A directory or anything else that is not a regular file: never espresso's to replace.
    NotAFile,
}

/// What `path` holds now, read through symlinks as the planner reads it.
fn current(path: &Path) -> std::io::Result<Found> {
    match fs::metadata(path) {
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Found::Absent),
        Err(e) => return Err(e),
        Ok(meta) if !meta.is_file() => return Ok(Found::NotAFile),
        Ok(_) => {}
    }
    fs::read(path).map(Found::File)
}

/// Whether a change is pending in the project at `root` (its journal, whole or partial, exists).
pub fn exists(root: &Path) -> bool {
    let dir = root.join(DIR);
    dir.join(FILE).exists() || dir.join(PARTIAL).exists()
}

/// The change pending in the project at `root`, described for messages; `None` when none is.
pub fn pending(root: &Path) -> Option<String> {
    if !exists(root) {
        return None;
    }
    Some(match Journal::read(root) {
        Ok(Some(journal)) => format!("`{}`", journal.header.command),
        _ => "a change".to_owned(),
    })
}

/// The command that recovers a pending change, for messages.
pub const RECOVER_HINT: &str =
    "run `espresso recover` (or any command that changes the project) to complete or roll it back";

impl Journal {
    /// The journal of applying `ops` under `root`: reads the mode of every existing file and
    /// finds the directories the change will create.
    pub fn new(root: &Path, command: &str, ops: &[Op]) -> anyhow::Result<Self> {
        let mut saved = Vec::new();
        let mut entries = Vec::with_capacity(ops.len());
        let mut created_dirs: Vec<String> = Vec::new();
        for op in ops {
            let path = root.join(op.path);
            // Through a symlink, like the planner's read: the mode is the file's, not the link's.
            let existing = match fs::metadata(&path) {
                Ok(meta) => Some(mode_of(&meta)),
                Err(e) if e.kind() == ErrorKind::NotFound => None,
                Err(e) => return Err(e).with_context(|| format!("cannot inspect `{}`", op.path)),
            };
            let before = op.before.map(|bytes| {
                let entry = Saved { offset: saved.len(), len: bytes.len(), mode: existing.unwrap_or(0o644) };
                saved.extend_from_slice(bytes);
                entry
            });
            let after = op.after.map(|bytes| Planned {
                sha256: sha256(bytes),
                mode: existing.unwrap_or(if op.executable { 0o755 } else { 0o644 }),
            });
            if op.after.is_some() {
                // Missing ancestors, topmost first.
                let mut missing = Vec::new();
                let mut dir = Path::new(op.path).parent();
                while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
                    let rel = d.to_string_lossy().replace('\\', "/");
                    if root.join(d).is_dir() || created_dirs.contains(&rel) {
                        break;
                    }
                    missing.push(rel);
                    dir = d.parent();
                }
                created_dirs.extend(missing.into_iter().rev());
            }
            entries.push(Entry { path: op.path.to_owned(), before, after });
        }
        Ok(Self { header: Header { command: command.to_owned(), entries, created_dirs }, saved })
    }

    /// The mode the `index`-th file of the change gets: the existing file's, or the default for a
    /// new (executable) file; `None` when the change deletes it.
    pub fn new_mode(&self, index: usize) -> Option<u32> {
        self.header.entries.get(index).and_then(|e| e.after.as_ref()).map(|a| a.mode)
    }

    /// The directories this change creates, parents first.
    pub fn created_dirs(&self) -> impl Iterator<Item = &str> {
        self.header.created_dirs.iter().map(String::as_str)
    }

    /// Writes the journal durably: to a temporary name, flushed, renamed, and the directory
    /// entries flushed, so that after any interruption it is either whole or absent.
    pub fn write(&self, root: &Path) -> anyhow::Result<()> {
        let dir = root.join(DIR);
        fs::create_dir_all(&dir).with_context(|| format!("cannot create `{DIR}` in `{}`", root.display()))?;
        let result = (|| -> std::io::Result<()> {
            fs::write(dir.join(".gitignore"), "# espresso's journal of a change in flight; see docs/safety.md\n*\n")?;
            let header = serde_json::to_string(&self.header).map_err(std::io::Error::other)?;
            let mut bytes = Vec::with_capacity(MAGIC.len() + header.len() + self.saved.len() + 2);
            bytes.extend_from_slice(MAGIC.as_bytes());
            bytes.push(b'\n');
            bytes.extend_from_slice(header.as_bytes());
            bytes.push(b'\n');
            bytes.extend_from_slice(&self.saved);
            write_synced(&dir.join(PARTIAL), &bytes, 0o644)?;
            fs::rename(dir.join(PARTIAL), dir.join(FILE))?;
            sync_dir(&dir)?;
            // `.espresso/` itself must be durable in the project (cheap when it already was).
            sync_dir(root)
        })();
        result.with_context(|| format!("cannot write the journal in `{}`", dir.display()))
    }

    /// Reads the journal of the project at `root`, if there is one.
    fn read(root: &Path) -> anyhow::Result<Option<Self>> {
        let path = root.join(DIR).join(FILE);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", path.display())),
        };
        let damaged = || {
            anyhow::anyhow!(
                "`{}` is damaged, so the interrupted change cannot be undone automatically\n\
                 compare the project with version control, then delete `{DIR}`",
                path.display()
            )
        };
        let rest = bytes.strip_prefix(MAGIC.as_bytes()).and_then(|r| r.strip_prefix(b"\n")).ok_or_else(damaged)?;
        let end = rest.iter().position(|b| *b == b'\n').ok_or_else(damaged)?;
        let header: Header = serde_json::from_slice(&rest[..end]).map_err(|_| damaged())?;
        let saved = rest[end + 1..].to_vec();
        if header.entries.iter().filter_map(|e| e.before.as_ref()).any(|s| s.offset + s.len > saved.len()) {
            return Err(damaged());
        }
        Ok(Some(Self { header, saved }))
    }

    fn before(&self, entry: &Entry) -> Option<&[u8]> {
        entry.before.as_ref().map(|s| &self.saved[s.offset..s.offset + s.len])
    }

    /// Removes the temporary files of every entry that may have been left behind.
    fn remove_temps(&self, root: &Path) -> anyhow::Result<()> {
        for entry in &self.header.entries {
            let temp = temp_path(root, &entry.path);
            match fs::remove_file(&temp) {
                Err(e) if e.kind() != ErrorKind::NotFound => {
                    return Err(e).with_context(|| format!("cannot remove `{}`", temp.display()));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Puts every file back as it was and removes the directories the change created. Files in
    /// neither state are a conflict unless `force`. Returns how many files were put back.
    pub fn roll_back(&self, root: &Path, force: bool) -> anyhow::Result<usize> {
        let mut restore = Vec::new();
        let mut foreign = Vec::new();
        for entry in &self.header.entries {
            let now = current(&root.join(&entry.path)).with_context(|| format!("cannot read `{}`", entry.path))?;
            if self.is_before(entry, &now) {
                continue;
            }
            if now == Found::NotAFile {
                // Someone else's directory (or link) stands there: left alone, even with --force.
                foreign.push(format!("{} (not a file)", entry.path));
                continue;
            }
            if !is_after(entry, &now) {
                foreign.push(entry.path.clone());
            }
            restore.push(entry);
        }
        if !foreign.is_empty() && !force {
            anyhow::bail!(
                "the interrupted change cannot be rolled back: {} changed since it was interrupted:\n  {}\n\
                 keep your changes elsewhere, then run `espresso recover --force` to put back what espresso replaced",
                if foreign.len() == 1 { "this file was" } else { "these files were" },
                foreign.join("\n  ")
            );
        }
        // Only now, so that a refused rollback changes nothing at all.
        self.remove_temps(root)?;
        let mut dirs = Vec::new();
        for entry in restore.iter().rev() {
            fault::point(|| format!("rolling back: restoring {}", entry.path))?;
            let path = root.join(&entry.path);
            let parent = path.parent().context("a path without a parent")?.to_path_buf();
            match (self.before(entry), &entry.before) {
                (Some(bytes), Some(saved)) => {
                    fs::create_dir_all(&parent).with_context(|| format!("cannot create `{}`", parent.display()))?;
                    let temp = temp_path(root, &entry.path);
                    write_synced(&temp, bytes, saved.mode)
                        .and_then(|()| fs::rename(&temp, &path))
                        .with_context(|| format!("cannot restore `{}`", entry.path))?;
                }
                _ => match fs::remove_file(&path) {
                    Err(e) if e.kind() != ErrorKind::NotFound => {
                        return Err(e).with_context(|| format!("cannot remove `{}`", entry.path));
                    }
                    _ => {}
                },
            }
            dirs.push(parent);
        }
        for rel in self.header.created_dirs.iter().rev() {
            // Only if empty: anything else in it is not espresso's to remove.
            let dir = root.join(rel);
            if fs::remove_dir(&dir).is_ok() {
                dirs.push(dir.parent().unwrap_or(root).to_path_buf());
            }
        }
        dirs.sort();
        dirs.dedup();
        for d in dirs.iter().filter(|d| d.is_dir()) {
            sync_dir(d).with_context(|| format!("cannot flush `{}`", d.display()))?;
        }
        Ok(restore.len())
    }

    fn is_before(&self, entry: &Entry, now: &Found) -> bool {
        match (now, self.before(entry)) {
            (Found::Absent, None) => true,
            (Found::File(bytes), Some(before)) => bytes == before,
            _ => false,
        }
    }

    /// Whether every file is already in its new state.
    fn complete(&self, root: &Path) -> anyhow::Result<bool> {
        for entry in &self.header.entries {
            let now = current(&root.join(&entry.path)).with_context(|| format!("cannot read `{}`", entry.path))?;
            if !is_after(entry, &now) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

fn is_after(entry: &Entry, now: &Found) -> bool {
    match (now, &entry.after) {
        (Found::Absent, None) => true,
        (Found::File(bytes), Some(planned)) => sha256(bytes) == planned.sha256,
        _ => false,
    }
}

/// Removes the journal and `.espresso/`: the change it described is settled.
pub fn discard(root: &Path) -> anyhow::Result<()> {
    let dir = root.join(DIR);
    // The journal first: once it is gone the change is settled, and what is left of `.espresso/`
    // is tidied by the next command.
    for name in [FILE, PARTIAL, ".gitignore"] {
        match fs::remove_file(dir.join(name)) {
            Err(e) if e.kind() != ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("cannot remove `{DIR}/{name}`"));
            }
            _ => {}
        }
        if name == FILE {
            fault::point(|| "journal removed; .espresso not yet".into())?;
        }
    }
    // Anything else in it is not the journal's; leave the directory then.
    if fs::remove_dir(&dir).is_ok() {
        sync_dir(root).with_context(|| format!("cannot flush `{}`", root.display()))?;
    }
    Ok(())
}

/// Completes or rolls back the change pending in the project at `root`, if any.
pub fn recover(root: &Path, force: bool) -> anyhow::Result<Option<Recovery>> {
    let Some(journal) = Journal::read(root)? else {
        if root.join(DIR).join(PARTIAL).exists() {
            // Interrupted while writing its journal: nothing else had been touched.
            discard(root)?;
            return Ok(Some(Recovery { command: None, outcome: Outcome::RolledBack, files: 0 }));
        }
        if root.join(DIR).is_dir() {
            // A settled change whose clean-up was interrupted: only `.espresso/` itself is left.
            discard(root)?;
        }
        return Ok(None);
    };
    let command = Some(journal.header.command.clone());
    let files = journal.header.entries.len();
    if journal.complete(root)? {
        journal.remove_temps(root)?;
        discard(root)?;
        return Ok(Some(Recovery { command, outcome: Outcome::Completed, files }));
    }
    let restored = journal.roll_back(root, force)?;
    fault::point(|| "rolled back; journal not yet removed".into())?;
    discard(root)?;
    Ok(Some(Recovery { command, outcome: Outcome::RolledBack, files: restored }))
}
