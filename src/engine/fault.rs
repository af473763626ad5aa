//! Fault points: named places in the applier and in recovery where a test can make espresso fail
//! or stop, so that crash safety is tested by killing a real process at a known instant rather
//! than by guessing timings. Off unless `ESPRESSO_FAULT` is set:
//!
//! - `trace`: print every point to stderr as `espresso: fault point N: <what>`;
//! - `fail:N`: the N-th point returns an injected I/O error (the in-process rollback path);
//! - `pause:N`: at the N-th point, print `espresso: paused at fault point N: <what>` and sleep
//!   until killed (the test sends SIGKILL: nothing of espresso's own runs after that instant).
//!
//! Points are numbered from 1 in the order the process reaches them. This is a test hook, not a
//! feature: it is documented in docs/safety.md and nothing else reads the variable.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Off,
    Trace,
    Fail(usize),
    Pause(usize),
}

fn mode() -> Mode {
    static MODE: OnceLock<Mode> = OnceLock::new();
    *MODE.get_or_init(|| {
        let Ok(value) = std::env::var("ESPRESSO_FAULT") else { return Mode::Off };
        let at = |prefix: &str| value.strip_prefix(prefix).and_then(|n| n.parse().ok());
        match value.as_str() {
            "trace" => Mode::Trace,
            _ => at("fail:").map(Mode::Fail).or_else(|| at("pause:").map(Mode::Pause)).unwrap_or(Mode::Off),
        }
    })
}

static REACHED: AtomicUsize = AtomicUsize::new(0);

/// Marks a fault point; `what` names the state the disk is in at this instant.
pub fn point(what: impl FnOnce() -> String) -> std::io::Result<()> {
    let mode = mode();
    if mode == Mode::Off {
        return Ok(());
    }
    let n = REACHED.fetch_add(1, Ordering::SeqCst) + 1;
    match mode {
        Mode::Trace => eprintln!("espresso: fault point {n}: {}", what()),
        Mode::Fail(at) if at == n => {
            return Err(std::io::Error::other(format!("injected failure at fault point {n} ({})", what())));
        }
        Mode::Pause(at) if at == n => {
            eprintln!("espresso: paused at fault point {n}: {}", what());
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
        _ => {}
    }
    Ok(())
}
