//! Validated options: what the user asked for, checked and completed with defaults or answers.

use crate::cli::{Cache, CiArg, Database, DeployArg, NewArgs, NodeVersion};
use crate::error::usage;
use crate::name::ProjectName;
use crate::prompt::Prompter;
use std::path::{Path, PathBuf};

/// Deployment files a project can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Deploy {
    Docker,
    Compose,
    Kubernetes,
}

/// CI pipelines a project can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ci {
    Github,
    Gitlab,
}

impl Deploy {
    pub const ALL: [Deploy; 3] = [Deploy::Docker, Deploy::Compose, Deploy::Kubernetes];
    pub fn as_str(self) -> &'static str {
        match self {
            Deploy::Docker => "docker",
            Deploy::Compose => "compose",
            Deploy::Kubernetes => "kubernetes",
        }
    }
}

impl Ci {
    pub const ALL: [Ci; 2] = [Ci::Github, Ci::Gitlab];
    pub fn as_str(self) -> &'static str {
        match self {
            Ci::Github => "github",
            Ci::Gitlab => "gitlab",
        }
    }
}

pub fn database_str(d: Database) -> &'static str {
    match d {
        Database::None => "none",
        Database::Postgres => "postgres",
    }
}

pub fn cache_str(c: Cache) -> &'static str {
    match c {
        Cache::None => "none",
        Cache::Redis => "redis",
    }
}

pub fn node_str(n: NodeVersion) -> &'static str {
    match n {
        NodeVersion::V24 => "24",
        NodeVersion::V26 => "26",
    }
}

/// Every choice that shapes a generated project; recorded in `espresso.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choices {
    pub language: &'static str,
    pub database: Database,
    pub cache: Cache,
    pub deploy: Vec<Deploy>,
    pub ci: Vec<Ci>,
    pub node: NodeVersion,
}

impl Default for Choices {
    fn default() -> Self {
        Self {
            language: "javascript",
            database: Database::None,
            cache: Cache::None,
            deploy: Deploy::ALL.to_vec(),
            ci: vec![Ci::Github],
            node: NodeVersion::V24,
        }
    }
}

impl Choices {
    pub fn has_deploy(&self, d: Deploy) -> bool {
        self.deploy.contains(&d)
    }

    pub fn has_ci(&self, c: Ci) -> bool {
        self.ci.contains(&c)
    }

    /// Combinations that cannot work are usage errors, named with their remedy.
    fn check(&self) -> anyhow::Result<()> {
        if self.has_deploy(Deploy::Compose) && !self.has_deploy(Deploy::Docker) {
            return usage(
                "`--deploy compose` needs `docker`: the compose files build the service's image from its Dockerfile",
                "use `--deploy docker,compose` (and `kubernetes` if you want it)",
            );
        }
        Ok(())
    }
}

/// Everything `espresso new` needs, validated.
#[derive(Debug, Clone)]
pub struct NewOptions {
    pub name: ProjectName,
    pub target: PathBuf,
    pub choices: Choices,
    pub dry_run: bool,
    pub force: bool,
}

impl NewOptions {
    /// Validates the arguments, fills gaps from prompts (when attended) or defaults, and resolves
    /// the target directory against `cwd`.
    pub fn from_args(args: NewArgs, cwd: &Path, prompter: &mut dyn Prompter) -> anyhow::Result<Self> {
        let name = ProjectName::parse(&args.name)?;
        let defaults = Choices::default();
        let ask = !args.yes && prompter.attended();

        let database = match args.database {
            Some(d) => d,
            None if ask => prompter.database(defaults.database)?,
            None => defaults.database,
        };
        let cache = match args.cache {
            Some(c) => c,
            None if ask => prompter.cache(defaults.cache)?,
            None => defaults.cache,
        };
        let deploy = match args.deploy {
            Some(list) => deploy_list(&list)?,
            None if ask => prompter.deploy(&defaults.deploy)?,
            None => defaults.deploy.clone(),
        };
        let ci = match args.ci {
            Some(list) => ci_list(&list)?,
            None if ask => prompter.ci(&defaults.ci)?,
            None => defaults.ci.clone(),
        };
        let node = match args.node {
            Some(n) => n,
            None if ask => prompter.node(defaults.node)?,
            None => defaults.node,
        };
        let choices = Choices { language: "javascript", database, cache, deploy, ci, node };
        choices.check()?;

        let target = match args.dir {
            Some(dir) => cwd.join(dir),
            None => cwd.join(name.as_str()),
        };
        Ok(Self { name, target, choices, dry_run: args.dry_run, force: args.force })
    }
}

/// A comma-separated flag whose `none` value means the empty list and cannot be combined; each
/// other value maps to a choice (`None` from `map` for the `none` value itself).
fn choice_list<A: Copy, T: Ord>(
    flag: &str,
    what: &str,
    list: &[A],
    map: impl Fn(A) -> Option<T>,
) -> anyhow::Result<Vec<T>> {
    let mapped: Vec<Option<T>> = list.iter().map(|a| map(*a)).collect();
    if mapped.iter().any(Option::is_none) {
        if list.len() > 1 {
            return usage(
                format!("`--{flag} none` cannot be combined with other {what}"),
                format!("use `--{flag} none` alone, or list the {what} you want"),
            );
        }
        return Ok(Vec::new());
    }
    let mut out: Vec<T> = mapped.into_iter().flatten().collect();
    out.sort();
    out.dedup();
    Ok(out)
}

fn deploy_list(list: &[DeployArg]) -> anyhow::Result<Vec<Deploy>> {
    choice_list("deploy", "targets", list, |d| match d {
        DeployArg::Docker => Some(Deploy::Docker),
        DeployArg::Compose => Some(Deploy::Compose),
        DeployArg::Kubernetes => Some(Deploy::Kubernetes),
        DeployArg::None => None,
    })
}

fn ci_list(list: &[CiArg]) -> anyhow::Result<Vec<Ci>> {
    choice_list("ci", "pipelines", list, |c| match c {
        CiArg::Github => Some(Ci::Github),
        CiArg::Gitlab => Some(Ci::Gitlab),
        CiArg::None => None,
    })
}
