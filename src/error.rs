//! The two kinds of failure the binary reports: usage errors (exit 2) and everything else (exit 1).

use std::fmt;

/// A problem with what the user asked for: a bad name, a bad option value, a target in the way.
/// Reported with exit status 2 and a remedy on its own line; nothing has been written.
#[derive(Debug)]
pub struct UsageError {
    pub message: String,
    pub hint: Option<String>,
}

impl UsageError {
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), hint: None }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UsageError {}

/// Shorthand for returning a usage error from a function that returns `anyhow::Result`.
pub fn usage<T>(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Result<T> {
    Err(UsageError::new(message).hint(hint).into())
}
