//! The command-line vocabulary (clap types only). Validation and defaults live in `options.rs`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  espresso new orders                      a service with Docker, compose, Kubernetes and GitHub Actions
  espresso new orders --database postgres --cache redis
  espresso new orders --deploy docker --ci gitlab --node 26
  espresso new orders --deploy none --ci none --yes
  espresso new orders --dry-run            show what would be written, write nothing
  espresso -C ~/src new orders             run as if started in ~/src

Exit status: 0 success, 1 failure, 2 usage error (nothing was written).";

#[derive(Debug, Parser)]
#[command(
    name = "espresso",
    version,
    about = "Scaffold production-grade Express.js microservices",
    long_about = "espresso writes complete Express 5 services from templates built into the binary: \
                  application code, tests, config schema, Dockerfile, compose files, Kubernetes \
                  manifests and CI pipelines.",
    after_help = EXAMPLES,
    propagate_version = true
)]
pub struct Cli {
    /// Run as if espresso was started in <DIR>
    #[arg(short = 'C', value_name = "DIR", global = true)]
    pub directory: Option<PathBuf>,

    /// When to use colour (NO_COLOR is honoured with `auto`)
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    /// Print only errors
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new service in ./<NAME> (or --dir)
    #[command(after_help = EXAMPLES)]
    New(NewArgs),
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Service name: lowercase letters, digits and hyphens (npm package and Kubernetes name)
    pub name: String,

    /// Where to create the service [default: ./<NAME>]
    #[arg(long, value_name = "PATH")]
    pub dir: Option<PathBuf>,

    /// Database the service uses
    #[arg(long, value_enum)]
    pub database: Option<Database>,

    /// Cache the service uses
    #[arg(long, value_enum)]
    pub cache: Option<Cache>,

    /// Deployment files, comma-separated [default: docker,compose,kubernetes]
    #[arg(long, value_enum, value_delimiter = ',', value_name = "TARGETS")]
    pub deploy: Option<Vec<DeployArg>>,

    /// CI pipelines, comma-separated [default: github]
    #[arg(long, value_enum, value_delimiter = ',', value_name = "PIPELINES")]
    pub ci: Option<Vec<CiArg>>,

    /// Node.js major version for the image, CI and engines field [default: 24]
    #[arg(long, value_enum)]
    pub node: Option<NodeVersion>,

    /// Accept the defaults for everything not given as a flag; never prompt
    #[arg(short, long)]
    pub yes: bool,

    /// Print the files that would be written, write nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Write into a non-empty directory, replacing files espresso generates
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Database {
    None,
    Postgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Cache {
    None,
    Redis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeployArg {
    Docker,
    Compose,
    Kubernetes,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CiArg {
    Github,
    Gitlab,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NodeVersion {
    #[value(name = "24")]
    V24,
    #[value(name = "26")]
    V26,
}
