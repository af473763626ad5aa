//! The project lock: one espresso command at a time changes a project. The lock is an advisory
//! `flock` on the project directory itself (std's `File::lock`), so no lock file is ever left
//! behind and the lock ends with the process however it ends. A change holds it exclusively from
//! before it reads the project until after its last write; read-only commands (`list`,
//! `--dry-run`) share it, so they never see a change half-applied.

use anyhow::Context;
use std::fs::{File, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

/// How long a command waits for another one by default; `ESPRESSO_LOCK_TIMEOUT` (seconds) changes it.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Exclusive (a change) or shared (a command that only reads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Change,
    Read,
}

/// A held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct ProjectLock {
    _dir: File,
}

fn timeout() -> anyhow::Result<Duration> {
    match std::env::var("ESPRESSO_LOCK_TIMEOUT") {
        Err(_) => Ok(DEFAULT_TIMEOUT),
        Ok(text) => text.parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0).map(Duration::from_secs_f64).with_context(
            || format!("ESPRESSO_LOCK_TIMEOUT is `{text}`, not a number of seconds\nset it to a number of seconds, for example `ESPRESSO_LOCK_TIMEOUT=120`"),
        ),
    }
}

impl ProjectLock {
    /// Takes the lock on the directory `root`, waiting while another espresso command holds it;
    /// `waiting` is called once, when the wait begins.
    pub fn acquire(root: &Path, access: Access, waiting: &mut dyn FnMut()) -> anyhow::Result<Self> {
        let dir = File::open(root).with_context(|| format!("cannot open `{}` to lock it", root.display()))?;
        let try_lock = |dir: &File| match access {
            Access::Change => dir.try_lock(),
            Access::Read => dir.try_lock_shared(),
        };
        let limit = timeout()?;
        let start = Instant::now();
        let mut told = false;
        loop {
            match try_lock(&dir) {
                Ok(()) => return Ok(Self { _dir: dir }),
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("cannot lock `{}`", root.display()));
                }
            }
            if !told {
                waiting();
                told = true;
            }
            if start.elapsed() >= limit {
                anyhow::bail!(
                    "another espresso command has held `{}` for {:.0} s; gave up waiting\n\
                     let it finish (or stop it), then run this command again; `ESPRESSO_LOCK_TIMEOUT=<seconds>` waits longer",
                    root.display(),
                    limit.as_secs_f64()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Takes the lock only if it is free: `None` while another process holds it.
    pub fn try_acquire(root: &Path) -> anyhow::Result<Option<Self>> {
        let dir = File::open(root).with_context(|| format!("cannot open `{}` to lock it", root.display()))?;
        match dir.try_lock() {
            Ok(()) => Ok(Some(Self { _dir: dir })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => Err(e).with_context(|| format!("cannot lock `{}`", root.display())),
        }
    }
}
