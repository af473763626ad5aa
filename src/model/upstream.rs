//! The services behind an API gateway (`espresso add upstream`): each a path prefix, passed
//! through unchanged, to a base URL read from a config variable of its own.

use crate::documents::config_schema::{EnvVar, VarType};
use crate::error::UsageError;
use heck::ToShoutySnakeCase;
use serde::Serialize;

/// The deadline an upstream gets when `--timeout-ms` is not given.
pub const DEFAULT_TIMEOUT_MS: u32 = 5_000;

/// Paths the gateway answers itself, which no upstream may take.
const OWN_PATHS: &[&str] = &["/live", "/ready", "/health", "/metrics", "/openapi.json"];

/// One upstream as recorded in espresso.toml (`[[upstreams]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamSpec {
    /// The upstream service's name, as its DNS name: `users`.
    pub name: String,
    /// The path prefix routed to it: `/api/v1/users`.
    pub path: String,
    /// Whether the gateway verifies the caller's JWT before passing a request on.
    pub protect: bool,
    /// How long the upstream may take to start answering.
    pub timeout_ms: u32,
}

/// An upstream as templates see it.
#[derive(Debug, Clone, Serialize)]
pub struct UpstreamContext {
    pub name: String,
    /// The config variable holding its base URL: `USERS_URL`.
    pub env: String,
    pub path: String,
    pub protect: bool,
    pub timeout_ms: u32,
    /// A local URL for development: one port per upstream from 3001.
    pub dev_url: String,
}

impl UpstreamSpec {
    /// Checks the name: a service name, as Kubernetes and compose spell it.
    pub fn parse_name(raw: &str) -> Result<String, UsageError> {
        let valid = raw.len() <= 40
            && raw.starts_with(|c: char| c.is_ascii_lowercase())
            && raw.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !raw.ends_with('-')
            && !raw.contains("--");
        if valid {
            Ok(raw.to_owned())
        } else {
            Err(UsageError::new(format!("invalid upstream name `{raw}`"))
                .hint("name the service behind the gateway as its DNS name: lowercase letters, digits and single hyphens, such as `users` or `order-history`"))
        }
    }

    /// The prefix an upstream gets by default: `/api/v1/<plural of its name>`.
    pub fn default_path(name: &str) -> String {
        let (head, last) = name.rsplit_once('-').map_or(("", name), |(h, l)| (h, l));
        let plural = if last.ends_with('s') { last.to_owned() } else { crate::model::resource::pluralize(last) };
        let joined = if head.is_empty() { plural } else { format!("{head}-{plural}") };
        format!("/api/v1/{joined}")
    }

    /// Checks a `--path` prefix: absolute, no trailing slash, query or dot segments, and not a
    /// path the gateway answers itself.
    pub fn check_path(raw: &str) -> Result<String, UsageError> {
        let bad = |why: &str| {
            UsageError::new(format!("invalid upstream path `{raw}`: {why}"))
                .hint("give a prefix such as `/api/v1/users`: every path under it goes to the upstream, unchanged")
        };
        if !raw.starts_with('/') || raw.len() < 2 {
            return Err(bad("it must start with `/` and name at least one segment"));
        }
        if raw.ends_with('/') {
            return Err(bad("it must not end with `/`"));
        }
        if !raw.chars().all(|c| c.is_ascii_alphanumeric() || "/-._~".contains(c)) {
            return Err(bad("it may hold only letters, digits, `/`, `-`, `.`, `_` and `~`"));
        }
        if raw.contains("//") {
            return Err(bad("it must not hold empty segments"));
        }
        if raw.split('/').any(|s| s == "." || s == "..") {
            return Err(bad("it must not hold `.` or `..` segments"));
        }
        if let Some(own) = OWN_PATHS.iter().find(|own| overlaps(raw, own)) {
            return Err(bad(&format!("the gateway answers `{own}` itself")));
        }
        Ok(raw.to_owned())
    }

    /// Its config variable: `USERS_URL` for `users`.
    pub fn env(&self) -> String {
        format!("{}_URL", self.name.to_shouty_snake_case())
    }

    pub fn context(&self, index: usize) -> UpstreamContext {
        UpstreamContext {
            name: self.name.clone(),
            env: self.env(),
            path: self.path.clone(),
            protect: self.protect,
            timeout_ms: self.timeout_ms,
            dev_url: format!("http://localhost:{}", 3001 + index),
        }
    }

    /// The variable `config.schema.json` declares for it: its base URL, required in production,
    /// `x-upstream` naming the service so deployment files can point it at the service's DNS name.
    pub fn env_var(&self, index: usize) -> EnvVar {
        EnvVar {
            name: self.env(),
            kind: VarType::String,
            description: format!(
                "Base URL of the `{}` service, which serves {} behind the gateway (scheme, host and port; the path is passed through).",
                self.name, self.path
            ),
            default: None,
            choices: None,
            minimum: None,
            maximum: None,
            min_length: None,
            format: Some("uri".into()),
            example: Some(self.context(index).dev_url),
            secret: false,
            required_in_production: true,
            alternatives: Vec::new(),
            upstream: Some(self.name.clone()),
        }
    }
}

/// Whether two prefixes route some path to both: one is the other, or starts it at a segment.
pub fn overlaps(a: &str, b: &str) -> bool {
    let within = |long: &str, short: &str| long == short || long.starts_with(&format!("{short}/"));
    within(a, b) || within(b, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_paths_and_variables() {
        assert_eq!(UpstreamSpec::default_path("user"), "/api/v1/users");
        assert_eq!(UpstreamSpec::default_path("users"), "/api/v1/users");
        assert_eq!(UpstreamSpec::default_path("order-history"), "/api/v1/order-histories");
        let u = UpstreamSpec { name: "order-history".into(), path: "/x".into(), protect: false, timeout_ms: 1 };
        assert_eq!(u.env(), "ORDER_HISTORY_URL");
        assert!(UpstreamSpec::parse_name("Users").is_err() && UpstreamSpec::parse_name("a--b").is_err());
        assert!(UpstreamSpec::check_path("/api/v1/users").is_ok());
        for bad in ["api", "/", "/api/", "/a//b", "/a/../b", "/health", "/metrics/x", "/a?b"] {
            assert!(UpstreamSpec::check_path(bad).is_err(), "{bad}");
        }
        assert!(overlaps("/api/v1/users", "/api/v1/users/admin") && !overlaps("/api/v1/users", "/api/v1/users2"));
    }
}
