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
        Variant { name: "default", args: &[], choices: Choices::default() },
        Variant {
            name: "postgres",
            args: &["--database", "postgres"],
            choices: choices(Postgres, Cache::None, defaults, &[Ci::Github], NodeVersion::V24),
        },
        Variant {
            name: "redis",
            args: &["--cache", "redis"],
            choices: choices(Database::None, Redis, defaults, &[Ci::Github], NodeVersion::V24),
        },
        Variant {
            name: "postgres-redis-both-ci",
            args: &[
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
            args: &["--deploy", "docker", "--ci", "gitlab", "--node", "26"],
            choices: choices(Database::None, Cache::None, &[Deploy::Docker], &[Ci::Gitlab], NodeVersion::V26),
        },
        Variant {
            name: "kubernetes-only",
            args: &["--deploy", "kubernetes", "--ci", "github"],
            choices: choices(Database::None, Cache::None, &[Deploy::Kubernetes], &[Ci::Github], NodeVersion::V24),
        },
        Variant {
            name: "bare",
            args: &["--deploy", "none", "--ci", "none"],
            choices: choices(Database::None, Cache::None, &[], &[], NodeVersion::V24),
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

/// A tool the test needs is missing: fail under CI, otherwise say plainly that it was skipped.
#[track_caller]
pub fn missing(what: &str) {
    if in_ci() {
        panic!("{what} (required under CI=true; `.ci/run` installs it)");
    }
    eprintln!("SKIPPED: {what}; run `.ci/run` or see README.md to install it");
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
