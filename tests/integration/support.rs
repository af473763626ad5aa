//! Helpers in front of the binary and the library.

use assert_cmd::Command;
use espresso::cli::{Cache, Database, Ingress, NodeVersion};
use espresso::engine::plan::{Plan, plan_new};
use espresso::model::name::ProjectName;
use espresso::model::options::{Choices, Ci, Deploy};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// The binary under test, with colour and prompts off and a clean environment for both.
pub fn espresso() -> Command {
    let mut cmd = Command::cargo_bin("espresso").expect("the espresso binary is built");
    cmd.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE").env_remove("CI");
    cmd
}

/// A scratch directory espresso runs in.
pub struct Sandbox {
    pub dir: TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Self { dir: tempfile::tempdir().expect("a temporary directory") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `espresso <args>` run inside the sandbox.
    pub fn run(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        espresso().current_dir(self.path()).args(args).assert()
    }

    /// Every file below `rel` with its bytes, for before/after comparisons.
    #[track_caller]
    pub fn snapshot(&self, rel: &str) -> BTreeMap<PathBuf, Vec<u8>> {
        read_tree(&self.path().join(rel))
    }

    /// Names directly inside the sandbox, sorted.
    pub fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> =
            fs::read_dir(self.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }
}

#[track_caller]
pub fn read_tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.expect("readable tree"))
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().strip_prefix(root).unwrap().to_path_buf(), fs::read(e.path()).unwrap()))
        .collect()
}

/// A named set of choices that the snapshot and end-to-end tests cover.
pub struct Variant {
    pub name: &'static str,
    pub args: &'static [&'static str],
    pub choices: Choices,
}

fn choices(database: Database, cache: Cache, deploy: &[Deploy], ci: &[Ci], node: NodeVersion) -> Choices {
    Choices {
        language: "javascript",
        preset: espresso::cli::Preset::Service,
        database,
        cache,
        deploy: deploy.to_vec(),
        ci: ci.to_vec(),
        node,
        ingress: Ingress::Ingress,
    }
}

/// The supported combinations worth telling apart: every bundle appears, each backing service
/// alone and together, each pipeline, each Node line, and deployment subsets without Docker.
pub fn variants() -> Vec<Variant> {
    use Cache::Redis;
    use Database::Postgres;
    let defaults = &Deploy::DEFAULT[..];
    vec![
        // The JavaScript set with every default; `espresso new` without --language makes
        // TypeScript (cli.rs checks that it is the same tree as --language typescript).
        Variant {
            name: "javascript",
            args: &["--language", "javascript"],
            choices: Choices { language: "javascript", ..Choices::default() },
        },
        Variant {
            name: "postgres",
            args: &["--language", "javascript", "--database", "postgres"],
            choices: choices(Postgres, Cache::None, defaults, &[Ci::Github], NodeVersion::V24),
        },
        Variant {
            name: "redis",
            args: &["--language", "javascript", "--cache", "redis"],
            choices: choices(Database::None, Redis, defaults, &[Ci::Github], NodeVersion::V24),
        },
        Variant {
            name: "postgres-redis-both-ci",
            args: &[
                "--language",
                "javascript",
                "--database",
                "postgres",
                "--cache",
                "redis",
                "--deploy",
                "docker,compose,kubernetes,monitoring,nginx,pm2,helm,ecs",
                "--ci",
                "github,gitlab",
            ],
            choices: choices(Postgres, Redis, &Deploy::ALL, &Ci::ALL, NodeVersion::V24),
        },
        Variant {
            name: "docker-gitlab-node26",
            args: &["--language", "javascript", "--deploy", "docker", "--ci", "gitlab", "--node", "26"],
            choices: choices(Database::None, Cache::None, &[Deploy::Docker], &[Ci::Gitlab], NodeVersion::V26),
        },
        Variant {
            name: "kubernetes-only",
            args: &["--language", "javascript", "--deploy", "kubernetes", "--ci", "github"],
            choices: choices(Database::None, Cache::None, &[Deploy::Kubernetes], &[Ci::Github], NodeVersion::V24),
        },
        Variant {
            name: "bare",
            args: &["--language", "javascript", "--deploy", "none", "--ci", "none"],
            choices: choices(Database::None, Cache::None, &[], &[], NodeVersion::V24),
        },
        // TypeScript, pairwise with the JavaScript set: both backing services, every deployment
        // target and pipeline on Node 26; then the memory store, Docker with Kubernetes and GitLab
        // on Node 24. The middleware kinds are split between the two (see e2e.rs).
        Variant {
            name: "typescript-postgres-redis-node26",
            args: &[
                "--language",
                "typescript",
                "--database",
                "postgres",
                "--cache",
                "redis",
                "--deploy",
                "docker,compose,kubernetes,monitoring,nginx,pm2,helm,ecs",
                "--ci",
                "github,gitlab",
                "--node",
                "26",
            ],
            choices: Choices {
                language: "typescript",
                ..choices(Postgres, Redis, &Deploy::ALL, &Ci::ALL, NodeVersion::V26)
            },
        },
        // The auth service in each language: JavaScript with the default targets on Node 24,
        // TypeScript with Helm and GitLab on Node 26, without a public route (behind a gateway).
        Variant {
            name: "auth-service",
            args: &["--language", "javascript", "--preset", "auth-service"],
            choices: Choices {
                preset: espresso::cli::Preset::AuthService,
                ..choices(Postgres, Cache::None, defaults, &[Ci::Github], NodeVersion::V24)
            },
        },
        Variant {
            name: "typescript-auth-service",
            args: &[
                "--language",
                "typescript",
                "--preset",
                "auth-service",
                "--deploy",
                "docker,kubernetes,helm",
                "--ci",
                "gitlab",
                "--node",
                "26",
                "--ingress",
                "none",
            ],
            choices: Choices {
                language: "typescript",
                preset: espresso::cli::Preset::AuthService,
                ingress: Ingress::None,
                ..choices(
                    Postgres,
                    Cache::None,
                    &[Deploy::Docker, Deploy::Kubernetes, Deploy::Helm],
                    &[Ci::Gitlab],
                    NodeVersion::V26,
                )
            },
        },
        // The API gateway in each language: JavaScript with Redis (the rate limiter's store) and
        // the default targets, TypeScript with Helm and ECS on Node 26.
        Variant {
            name: "api-gateway",
            args: &["--language", "javascript", "--preset", "api-gateway", "--cache", "redis"],
            choices: Choices {
                preset: espresso::cli::Preset::ApiGateway,
                ..choices(Database::None, Redis, defaults, &[Ci::Github], NodeVersion::V24)
            },
        },
        Variant {
            name: "typescript-api-gateway",
            args: &[
                "--language",
                "typescript",
                "--preset",
                "api-gateway",
                "--deploy",
                "docker,kubernetes,helm,ecs",
                "--node",
                "26",
            ],
            choices: Choices {
                language: "typescript",
                preset: espresso::cli::Preset::ApiGateway,
                ..choices(
                    Database::None,
                    Cache::None,
                    &[Deploy::Docker, Deploy::Kubernetes, Deploy::Helm, Deploy::Ecs],
                    &[Ci::Github],
                    NodeVersion::V26,
                )
            },
        },
        Variant {
            name: "typescript-docker-gitlab",
            args: &["--language", "typescript", "--deploy", "docker,kubernetes", "--ci", "gitlab"],
            choices: Choices {
                language: "typescript",
                ..choices(
                    Database::None,
                    Cache::None,
                    &[Deploy::Docker, Deploy::Kubernetes],
                    &[Ci::Gitlab],
                    NodeVersion::V24,
                )
            },
        },
    ]
}

#[track_caller]
pub fn plan(name: &str, choices: &Choices) -> Plan {
    plan_new(&ProjectName::parse(name).unwrap(), choices).unwrap_or_else(|e| panic!("planning {name} failed: {e:#}"))
}

/// The repository root (for docs and templates).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether this run is CI, where a missing tool is a failure rather than a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// A TCP port free on loopback right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Whether `command` is an executable file on PATH.
pub fn on_path(command: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(command).is_file()))
}

/// Writes a line to the terminal even when the test harness captures output (it captures only
/// the print macros), so that skips and measured figures are seen on a passing run.
pub fn tell(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// A tool the test needs is missing: fail under CI, otherwise say plainly, on the terminal, that
/// the check was skipped.
#[track_caller]
pub fn missing(what: &str) {
    if in_ci() {
        panic!("{what} (required under CI=true; `.ci/run` installs it)");
    }
    tell(&format!("SKIPPED: {what}; run `.ci/run` or see README.md to install it"));
}

/// Digests in espresso.toml's record change with every template edit; the files themselves are
/// snapshotted, so the record shows `…` in place of each digest.
pub fn without_digests(text: &str) -> String {
    text.lines()
        .map(|l| {
            let body = l.trim_start_matches(['+', '-', ' ']);
            match body.split_once("  ") {
                Some((hex, path)) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    format!("{}…  {path}", &l[..l.len() - body.len()])
                }
                _ => l.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One entry of a tree: its permission bits, and its bytes (`None` for a directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub mode: u32,
    pub contents: Option<Vec<u8>>,
}

/// Every file and directory below `root`, relative to it, with modes and bytes: the whole state of
/// a tree, so comparisons notice a directory left behind or missing and a mode that changed.
#[track_caller]
pub fn tree_state(root: &Path) -> BTreeMap<PathBuf, Node> {
    walkdir::WalkDir::new(root)
        .min_depth(1)
        .into_iter()
        .map(|e| e.expect("readable tree"))
        .map(|e| {
            let rel = e.path().strip_prefix(root).unwrap().to_path_buf();
            let contents = e.file_type().is_file().then(|| fs::read(e.path()).unwrap());
            #[cfg(unix)]
            let mode = std::os::unix::fs::PermissionsExt::mode(&e.metadata().unwrap().permissions()) & 0o7777;
            #[cfg(not(unix))]
            let mode = 0;
            (rel, Node { mode, contents })
        })
        .collect()
}

/// The paths where two tree states differ, for assertion messages.
pub fn state_diff(a: &BTreeMap<PathBuf, Node>, b: &BTreeMap<PathBuf, Node>) -> Vec<String> {
    a.keys()
        .chain(b.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|p| a.get(*p) != b.get(*p))
        .map(|p| {
            let what = |s: Option<&Node>| match s {
                None => "absent".to_owned(),
                Some(Node { mode, contents: None }) => format!("a directory {mode:o}"),
                Some(Node { mode, contents: Some(_) }) => format!("a file {mode:o}"),
            };
            format!("{} ({} / {})", p.display(), what(a.get(p)), what(b.get(p)))
        })
        .collect()
}

/// Copies the tree at `from` to `to` (which must not exist), keeping file modes.
pub fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let dest = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            fs::create_dir_all(&dest).unwrap();
        } else {
            fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// The espresso binary as a plain `std::process::Command`, for tests that signal the process.
pub fn espresso_process() -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("espresso"));
    cmd.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE").env_remove("CI").env_remove("ESPRESSO_FAULT");
    cmd
}

/// Runs `espresso <args>` in `dir` with `ESPRESSO_FAULT=pause:<point>`, waits until it stops at
/// that point and kills it with SIGKILL. Returns what it printed before the kill, or `None` when
/// it finished without reaching the point (it has fewer points).
pub fn kill_at(dir: &Path, args: &[&str], point: usize) -> Option<String> {
    use std::io::BufRead;
    let mut child = espresso_process()
        .current_dir(dir)
        .args(args)
        .env("ESPRESSO_FAULT", format!("pause:{point}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("espresso starts");
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap() > 0 {
        seen.push_str(&line);
        if line.starts_with(&format!("espresso: paused at fault point {point}:")) {
            child.kill().unwrap();
            child.wait().unwrap();
            return Some(seen);
        }
        line.clear();
    }
    child.wait().unwrap();
    None
}

/// The fault points `espresso <args>` passes in `dir` (it runs to the end), in order.
pub fn fault_points(dir: &Path, args: &[&str]) -> Vec<String> {
    let out = espresso_process().current_dir(dir).args(args).env("ESPRESSO_FAULT", "trace").output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stderr)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("espresso: fault point "))
        .map(|l| l.split_once(": ").map(|(_, what)| what.to_owned()).unwrap())
        .collect()
}

/// The field types with a valid default for each (`datetime` and `json` take none; theirs are
/// there to be refused).
pub const FIELD_TYPES: &[(&str, &str, &str)] = &[
    ("string", "string", "hello"),
    ("text", "text", "hello"),
    ("integer", "integer", "7"),
    ("number", "number", "2.5"),
    ("boolean", "boolean", "true"),
    ("date", "date", "2026-03-04"),
    ("datetime", "datetime", "2026-03-04T10:00:00Z"),
    ("uuid", "uuid", "00000000-0000-4000-8000-00000000abcd"),
    ("email", "email", "x@example.com"),
    ("url", "url", "https://example.com/x?a=1"),
    ("json", "json", "{}"),
    ("enum", "enum(a|b|c)", "b"),
    ("decimal", "decimal(10,3)", "-12.5"),
    ("whole", "decimal(6,0)", "-7"),
];

/// Every field type with every set of modifiers, and what espresso decides for it: `Ok` (it
/// works end to end) or `Err` with part of the reason it is refused. Names encode the modifiers
/// (`vou`: optional, unique), one resource per type.
pub fn field_matrix() -> Vec<(&'static str, String, Result<(), &'static str>)> {
    let mut out = Vec::new();
    for (short, kind, default) in FIELD_TYPES {
        for mask in 0..8 {
            let (optional, unique, with_default) = (mask & 1 != 0, mask & 2 != 0, mask & 4 != 0);
            let mut name = String::from("v");
            let mut spec = String::new();
            for (on, letter, modifier) in [(optional, 'o', ":optional"), (unique, 'u', ":unique")] {
                if on {
                    name.push(letter);
                    spec.push_str(modifier);
                }
            }
            if with_default {
                name.push('d');
                spec.push_str(&format!(":default={default}"));
            }
            let decision = match *short {
                "boolean" | "json" if unique => Err("cannot be unique"),
                "text" if unique => Err("a text field cannot be unique"),
                "datetime" if with_default => Err("datetime fields take no default"),
                "json" if with_default => Err("json fields take no default"),
                _ => Ok(()),
            };
            out.push((*short, format!("{name}:{kind}{spec}"), decision));
        }
    }
    out
}

/// Definitions refused beyond the type × modifier table: each with part of its reason.
pub const REFUSED_FIELDS: &[(&str, &str)] = &[
    ("s:enum(a|a)", "enum value `a` is listed twice"),
    ("s:enum(a|b|a):default=a", "listed twice"),
    ("s:enum(a):unique", "a unique enum needs at least two values"),
    ("s:enum(a||b)", "enum value ``"),
    ("s:string:default=", "1 to 255 characters"),
    ("i:integer:default=3000000000", "an integer between"),
    ("d:date:default=2026-02-30", "a date (YYYY-MM-DD)"),
    ("d:date:default=0000-01-01", "a date (YYYY-MM-DD)"),
    ("d:date:default=2026-1-5", "a date (YYYY-MM-DD)"),
    ("u:uuid:default=------------------------------------", "a UUID"),
    ("e:email:default=nobody", "an email address"),
    ("e:email:default=a@localhost", "an email address"),
    ("w:url:default=ftp://example.com", "an http:// or https:// URL"),
    ("w:url:default=https://exa mple.com", "an http:// or https:// URL"),
    ("n:number:default=NaN", "a finite number"),
    ("b:boolean:default=yes", "`true` or `false`"),
    ("s:string:optional:optional", "`optional` is given twice"),
    ("a-very-long-field-name-that-postgresql-would-silently-cut-short-x:string", "PostgreSQL's limit"),
    ("created_at:datetime", "managed by the service"),
    ("s:money", "unknown type `money`"),
    ("p:decimal(5,6)", "a scale s from 0 to p"),
    ("p:decimal(40,2)", "a precision p from 1 to 38"),
    ("p:decimal:default=1.234", "at most 10 digits before the point and 2 after it"),
    ("p:decimal(3,1):default=123", "at most 2 digits before the point"),
    ("p:decimal:default=1e3", "a decimal of"),
    ("s:string:unique:indexed", "indexed already"),
    ("t:text:indexed", "cannot be indexed"),
    ("j:json:optional:indexed", "cannot be indexed"),
    ("s:string:indexed:indexed", "`indexed` is given twice"),
];

/// Names that are reserved words in JavaScript or SQL, or inherited by every JavaScript object:
/// each works as a field name.
pub const KEYWORD_FIELDS: &[&str] = &[
    "class",
    "new",
    "delete",
    "constructor",
    "order:integer:unique",
    "user:string:optional:indexed",
    "select:text",
    "limit:integer:default=3",
    "default:enum(x|y):default=y",
    "group:date:optional:indexed",
    "to-string",
    "value-of:json",
    "site:url:optional:default=https://example.com:8443/a?b=c",
];

/// `GET path` on loopback over a fresh connection (`Connection: close`): the status and the body,
/// or what went wrong (refused, reset, no answer within 5 s).
pub fn http_get(port: u16, path: &str) -> Result<(u16, String), String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(5))).map_err(|e| e.to_string())?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("send: {e}"))?;
    let mut response = String::new();
    stream.read_to_string(&mut response).map_err(|e| format!("receive: {e}"))?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((response.as_str(), ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok());
    let status = status.ok_or_else(|| format!("no HTTP status in {:?}", head.lines().next().unwrap_or_default()))?;
    Ok((status, body.to_owned()))
}

/// `npm <args>` in `dir` with the harness's Node on PATH, which must succeed.
pub fn npm(dir: &Path, node: &Path, args: &[&str], env: &[(String, String)]) {
    let path = std::env::join_paths(
        std::iter::once(node.to_path_buf()).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap();
    let out = std::process::Command::new("npm")
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .envs(env.iter().cloned())
        .output()
        .expect("npm runs");
    assert!(
        out.status.success(),
        "npm {args:?} in {} failed:\n{}{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
