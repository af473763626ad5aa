//! Project names: one name is used as the npm package name, the directory, the container image,
//! and Kubernetes object names and namespaces, so it must satisfy all of their rules at once.

use crate::error::UsageError;
use std::fmt;

/// The longest accepted name: `<name>-production` must still be a DNS-1123 label (63 characters).
pub const MAX_LEN: usize = 50;

/// Node's core modules (`node -p "require('module').builtinModules"`, Node 24): a package with one
/// of these names cannot be required by name and npm refuses to publish it.
const NODE_CORE_MODULES: &[&str] = &[
    "assert",
    "async_hooks",
    "buffer",
    "child_process",
    "cluster",
    "console",
    "constants",
    "crypto",
    "dgram",
    "diagnostics_channel",
    "dns",
    "domain",
    "events",
    "fs",
    "http",
    "http2",
    "https",
    "inspector",
    "module",
    "net",
    "os",
    "path",
    "perf_hooks",
    "process",
    "punycode",
    "querystring",
    "readline",
    "repl",
    "stream",
    "string_decoder",
    "sys",
    "timers",
    "tls",
    "trace_events",
    "tty",
    "url",
    "util",
    "v8",
    "vm",
    "wasi",
    "worker_threads",
    "zlib",
    "test",
    "sqlite",
    "sea",
];

/// Names npm itself rejects, and JavaScript reserved words (the name is also turned into identifiers).
const RESERVED: &[&str] = &[
    "node_modules",
    "favicon.ico",
    "node",
    "npm",
    "espresso",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "implements",
    "import",
    "in",
    "instanceof",
    "interface",
    "let",
    "new",
    "null",
    "package",
    "private",
    "protected",
    "public",
    "return",
    "static",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
];

/// A validated project name: lowercase ASCII letters, digits and single hyphens, starting with a
/// letter and ending with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectName(String);

impl ProjectName {
    pub fn parse(raw: &str) -> Result<Self, UsageError> {
        let bad = |why: &str| UsageError::new(format!("invalid project name `{raw}`: {why}")).hint(suggestion(raw));
        if raw.is_empty() {
            return Err(bad("the name is empty"));
        }
        if raw.contains('/') || raw.contains('\\') || raw.contains("..") {
            return Err(bad("a name cannot contain path separators or `..`")
                .hint("give the bare name and choose the location with `--dir <path>`"));
        }
        if raw.len() > MAX_LEN {
            return Err(bad(&format!(
                "the name is {} characters long; the limit is {MAX_LEN} (it becomes Kubernetes names such as `<name>-production`)",
                raw.len()
            )));
        }
        if raw.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(bad("npm package names must be lowercase"));
        }
        if !raw.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(bad("the name must start with a lowercase letter"));
        }
        if let Some(c) = raw.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
            return Err(bad(&format!(
                "`{c}` is not allowed; use lowercase letters, digits and hyphens (the name is also a Kubernetes object name)"
            )));
        }
        if raw.ends_with('-') || raw.contains("--") {
            return Err(bad("hyphens must separate words: no trailing or doubled `-`"));
        }
        if NODE_CORE_MODULES.contains(&raw) {
            return Err(bad("it is the name of a Node.js core module"));
        }
        if RESERVED.contains(&raw) {
            return Err(bad("it is a reserved name in npm or JavaScript"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A concrete remedy: the nearest valid name when one can be derived, otherwise the rule.
fn suggestion(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let kebab = heck::ToKebabCase::to_kebab_case(base);
    let cleaned: String = kebab
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
        .collect::<String>()
        .trim_matches('-')
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '-')
        .chars()
        .take(MAX_LEN)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned();
    let rule = "use lowercase letters, digits and hyphens, starting with a letter";
    match cleaned {
        c if !c.is_empty() && c != raw && ProjectName::parse(&c).is_ok() => {
            format!("{rule}, for example `{c}`")
        }
        c if !c.is_empty() && (NODE_CORE_MODULES.contains(&c.as_str()) || RESERVED.contains(&c.as_str())) => {
            format!("choose another name, for example `{c}-service`")
        }
        _ => format!("{rule}, for example `orders`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_service_names() {
        for ok in ["orders", "order-items", "a1", "payments-v2"] {
            assert_eq!(ProjectName::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn rejects_names_outside_the_rules_with_a_reason() {
        let cases = [
            ("", "empty"),
            ("Orders", "lowercase"),
            ("1orders", "start with"),
            ("-orders", "start with"),
            ("orders-", "trailing"),
            ("or--ders", "doubled"),
            ("my_service", "`_` is not allowed"),
            ("my.service", "`.` is not allowed"),
            ("a/b", "path separators"),
            ("..", "path separators"),
            ("@scope/name", "path separators"),
            ("http", "core module"),
            ("fs", "core module"),
            ("class", "reserved"),
            ("node_modules", "`_` is not allowed"),
        ];
        for (name, why) in cases {
            let err = ProjectName::parse(name).unwrap_err();
            assert!(err.message.contains(why), "{name:?}: {}", err.message);
            assert!(err.hint.is_some(), "{name:?} has no remedy");
        }
    }

    #[test]
    fn rejects_names_too_long_for_kubernetes() {
        let long = "a".repeat(MAX_LEN + 1);
        assert!(ProjectName::parse(&long).unwrap_err().message.contains("limit is 50"));
        assert!(ProjectName::parse(&"a".repeat(MAX_LEN)).is_ok());
    }

    #[test]
    fn suggests_a_valid_name_when_one_can_be_derived() {
        let err = ProjectName::parse("MyService").unwrap_err();
        assert!(err.hint.unwrap().contains("`my-service`"));
        let err = ProjectName::parse("http").unwrap_err();
        assert!(err.hint.unwrap().contains("`http-service`"));
    }
}
