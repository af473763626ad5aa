//! Validated options: what the user asked for, checked and completed with defaults or answers.

use crate::cli::{Cache, CiArg, Database, DeployArg, Ingress, Language, NewArgs, NodeVersion, Preset};
use crate::error::usage;
use crate::model::name::ProjectName;
use crate::prompt::Prompter;
use std::path::{Path, PathBuf};

/// Deployment files a project can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Deploy {
    Docker,
    Compose,
    Kubernetes,
    Monitoring,
    Nginx,
    Pm2,
    Helm,
    Ecs,
}

/// CI pipelines a project can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ci {
    Github,
    Gitlab,
}

impl Deploy {
    pub const ALL: [Deploy; 8] = [
        Deploy::Docker,
        Deploy::Compose,
        Deploy::Kubernetes,
        Deploy::Monitoring,
        Deploy::Nginx,
        Deploy::Pm2,
        Deploy::Helm,
        Deploy::Ecs,
    ];
    /// Targets that need another one: (target, what it needs, why).
    pub const REQUIRES: [(Deploy, Deploy, &'static str); 2] = [
        (Deploy::Compose, Deploy::Docker, "the compose files build the service's image from its Dockerfile"),
        (Deploy::Ecs, Deploy::Docker, "the ECS task runs the image built from the service's Dockerfile"),
    ];
    /// What `espresso new` writes unless told otherwise.
    pub const DEFAULT: [Deploy; 3] = [Deploy::Docker, Deploy::Compose, Deploy::Kubernetes];
    pub fn as_str(self) -> &'static str {
        match self {
            Deploy::Docker => "docker",
            Deploy::Compose => "compose",
            Deploy::Kubernetes => "kubernetes",
            Deploy::Monitoring => "monitoring",
            Deploy::Nginx => "nginx",
            Deploy::Pm2 => "pm2",
            Deploy::Helm => "helm",
            Deploy::Ecs => "ecs",
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

pub fn ingress_str(i: Ingress) -> &'static str {
    match i {
        Ingress::Ingress => "ingress",
        Ingress::Gateway => "gateway",
        Ingress::None => "none",
    }
}

/// A deployment target as `espresso add deployment` names it: deployment files or a CI pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Deploy(Deploy),
    Ci(Ci),
}

impl Target {
    pub fn all() -> Vec<Target> {
        Deploy::ALL.iter().map(|d| Target::Deploy(*d)).chain(Ci::ALL.iter().map(|c| Target::Ci(*c))).collect()
    }

    pub fn name(self) -> &'static str {
        match self {
            Target::Deploy(d) => d.as_str(),
            Target::Ci(Ci::Github) => "github-actions",
            Target::Ci(Ci::Gitlab) => "gitlab-ci",
        }
    }

    /// The template bundle that holds the target's files.
    pub fn bundle(self) -> String {
        match self {
            Target::Deploy(d) => format!("deploy/{}", d.as_str()),
            Target::Ci(c) => format!("ci/{}", c.as_str()),
        }
    }

    pub fn parse(name: &str) -> anyhow::Result<Target> {
        match Target::all().into_iter().find(|t| t.name() == name) {
            Some(t) => Ok(t),
            None => {
                let names: Vec<String> = Target::all().iter().map(|t| format!("`{}`", t.name())).collect();
                usage(
                    format!("unknown deployment target `{name}`"),
                    format!("the targets are {} (`espresso list deployments`)", names.join(", ")),
                )
            }
        }
    }

    pub fn is_in(self, choices: &Choices) -> bool {
        match self {
            Target::Deploy(d) => choices.has_deploy(d),
            Target::Ci(c) => choices.has_ci(c),
        }
    }

    /// `choices` with the target added or removed.
    pub fn toggle(self, choices: &mut Choices, on: bool) {
        match self {
            Target::Deploy(d) => {
                choices.deploy.retain(|x| *x != d);
                if on {
                    choices.deploy.push(d);
                    choices.deploy.sort();
                }
            }
            Target::Ci(c) => {
                choices.ci.retain(|x| *x != c);
                if on {
                    choices.ci.push(c);
                    choices.ci.sort();
                }
            }
        }
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
    /// The kind of service (`--preset`): its own bundles on top of the service's.
    pub preset: Preset,
    pub database: Database,
    pub cache: Cache,
    pub deploy: Vec<Deploy>,
    pub ci: Vec<Ci>,
    pub node: NodeVersion,
    /// Kubernetes routing (recorded whatever the targets, so adding `kubernetes` later keeps it).
    pub ingress: Ingress,
}

impl Default for Choices {
    fn default() -> Self {
        Self {
            language: Language::DEFAULT.as_str(),
            preset: Preset::Service,
            database: Database::None,
            cache: Cache::None,
            deploy: Deploy::DEFAULT.to_vec(),
            ci: vec![Ci::Github],
            node: NodeVersion::V24,
            ingress: Ingress::Ingress,
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

    /// Adds every target that a chosen one needs (compose and ecs need docker), the way a
    /// package manager adds what a package depends on. Returns a sentence for each addition.
    pub fn add_requirements(&mut self) -> Vec<String> {
        let mut added = Vec::new();
        for (target, needs, why) in Deploy::REQUIRES {
            if self.has_deploy(target) && !self.has_deploy(needs) {
                self.deploy.push(needs);
                self.deploy.sort();
                added.push(format!("adding `{}` too: `{}` needs it ({why})", needs.as_str(), target.as_str()));
            }
        }
        added
    }

    /// A combination that cannot work, as a project file may hold after a hand edit.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.preset == Preset::AuthService && self.database != Database::Postgres {
            anyhow::bail!(
                "the auth-service preset needs `database = \"postgres\"`: its users and refresh tokens are stored there"
            );
        }
        for (target, needs, why) in Deploy::REQUIRES {
            if self.has_deploy(target) && !self.has_deploy(needs) {
                anyhow::bail!("`{}` is listed without `{}`, which it needs: {why}", target.as_str(), needs.as_str());
            }
        }
        Ok(())
    }

    /// The targets in the project that need `d`.
    pub fn needing(&self, d: Deploy) -> Vec<Deploy> {
        Deploy::REQUIRES.iter().filter(|(t, n, _)| *n == d && self.has_deploy(*t)).map(|(t, _, _)| *t).collect()
    }
}

/// Everything `espresso new` needs, validated.
#[derive(Debug, Clone)]
pub struct NewOptions {
    pub name: ProjectName,
    pub target: PathBuf,
    pub choices: Choices,
    /// What was chosen on the user's behalf, to tell them (`docker` added for `compose`).
    pub notes: Vec<String>,
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

        let language = match args.language {
            Some(l) => l,
            None if ask => prompter.language(Language::DEFAULT)?,
            None => Language::DEFAULT,
        };
        let preset = match args.preset {
            Some(p) => p,
            None if ask => prompter.preset(defaults.preset)?,
            None => defaults.preset,
        };
        // The auth service stores its users in PostgreSQL: asked for, or implied when not given.
        let database = match (args.database, preset) {
            (Some(Database::None), Preset::AuthService) => {
                return usage(
                    "the auth-service preset needs PostgreSQL: it stores users and refresh tokens there",
                    "use `--database postgres`, or leave `--database` out",
                );
            }
            (Some(d), _) => d,
            (None, Preset::AuthService) => Database::Postgres,
            (None, _) if ask => prompter.database(defaults.database)?,
            (None, _) => defaults.database,
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
        let ingress = args.ingress.unwrap_or_default();
        let mut choices = Choices { language: language.as_str(), preset, database, cache, deploy, ci, node, ingress };
        let notes = choices.add_requirements();

        let target = match args.dir {
            Some(dir) => cwd.join(dir),
            None => cwd.join(name.as_str()),
        };
        Ok(Self { name, target, choices, notes, dry_run: args.dry_run, force: args.force })
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
        DeployArg::Monitoring => Some(Deploy::Monitoring),
        DeployArg::Nginx => Some(Deploy::Nginx),
        DeployArg::Pm2 => Some(Deploy::Pm2),
        DeployArg::Helm => Some(Deploy::Helm),
        DeployArg::Ecs => Some(Deploy::Ecs),
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
