//! espresso: scaffolds production-grade Express.js microservices.
//!
//! Layers, one direction: `cli` (clap vocabulary) → `commands` (one module per command family,
//! building validated `model` values) → `engine` (`plan`: pure, returns files; `change`: two plans
//! against the disk; `apply`: touches the disk) → `report` (prints). `templates` and `documents`
//! are what the planner renders from. `main.rs` only calls [`run`].

pub mod cli;
pub mod commands;
pub mod documents;
pub mod engine;
pub mod error;
pub mod model;
pub mod prompt;
pub mod report;
pub mod templates;

use clap::Parser;
use cli::{AddCommand, Cli, ColorChoice, Command, ConfigCommand, DeprecateCommand, ListCommand, RemoveCommand};
use commands::{api, config, deployment, field, messaging, middleware, new, recover, resource, upstream};
use error::UsageError;
use report::Reporter;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit status for usage errors (bad names, bad option values, a target in the way).
pub const EXIT_USAGE: u8 = 2;
/// Exit status for failures while doing the work.
pub const EXIT_FAILURE: u8 = 1;

/// Runs the command line and returns the process exit status.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    configure_colour(cli.color);
    let reporter = Reporter::new(cli.quiet);
    match execute(cli, &reporter) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if let Some(u) = err.downcast_ref::<UsageError>() {
                reporter.error(&u.message, u.hint.as_deref());
                ExitCode::from(EXIT_USAGE)
            } else {
                // The cause chain; a message of several lines carries its remedy on the last one.
                let text = format!("{err:#}");
                match text.rsplit_once('\n') {
                    Some((message, hint)) => reporter.error(message, Some(hint)),
                    None => reporter.error(&text, None),
                }
                ExitCode::from(EXIT_FAILURE)
            }
        }
    }
}

fn configure_colour(choice: ColorChoice) {
    let on = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            !no_color && console::Term::stderr().is_term()
        }
    };
    console::set_colors_enabled(on);
    console::set_colors_enabled_stderr(on);
}

fn working_dir(dir: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let cwd = std::env::current_dir().map_err(|e| anyhow::anyhow!("cannot read the current directory: {e}"))?;
    match dir {
        None => Ok(cwd),
        Some(d) => {
            let d = cwd.join(d);
            if d.is_dir() {
                Ok(d)
            } else {
                Err(UsageError::new(format!("cannot run in `{}`: no such directory", d.display()))
                    .hint("give `-C` an existing directory")
                    .into())
            }
        }
    }
}

fn execute(cli: Cli, reporter: &Reporter) -> anyhow::Result<()> {
    let cwd = working_dir(cli.directory)?;
    match cli.command {
        Command::New(args) => new::new(args, &cwd, reporter),
        Command::Add(AddCommand::Resource(args)) => resource::add(args, &cwd, reporter),
        Command::Remove(RemoveCommand::Resource(args)) => resource::remove(args, &cwd, reporter),
        Command::Add(AddCommand::Field(args)) => field::add(args, &cwd, reporter),
        Command::Remove(RemoveCommand::Field(args)) => field::remove(args, &cwd, reporter),
        Command::Add(AddCommand::Middleware(args)) => middleware::change(args, true, &cwd, reporter),
        Command::Remove(RemoveCommand::Middleware(args)) => middleware::change(args, false, &cwd, reporter),
        Command::List(ListCommand::Middleware) => middleware::list(&cwd, reporter),
        Command::List(ListCommand::Deployments) => deployment::list(&cwd, reporter),
        Command::Add(AddCommand::Deployment(args)) => deployment::change(args, true, &cwd, reporter),
        Command::Remove(RemoveCommand::Deployment(args)) => deployment::change(args, false, &cwd, reporter),
        Command::Add(AddCommand::ApiVersion(args)) => api::add(args, &cwd, reporter),
        Command::Add(AddCommand::Upstream(args)) => upstream::add(args, &cwd, reporter),
        Command::Remove(RemoveCommand::Upstream(args)) => upstream::remove(args, &cwd, reporter),
        Command::Add(AddCommand::Messaging(args)) => messaging::add(args, &cwd, reporter),
        Command::Remove(RemoveCommand::Messaging(args)) => messaging::remove(args, &cwd, reporter),
        Command::Add(AddCommand::Consumer(args)) => messaging::consumer(args, true, &cwd, reporter),
        Command::Remove(RemoveCommand::Consumer(args)) => messaging::consumer(args, false, &cwd, reporter),
        Command::Add(AddCommand::Events(args)) => messaging::events(args, true, &cwd, reporter),
        Command::Remove(RemoveCommand::Events(args)) => messaging::events(args, false, &cwd, reporter),
        Command::Remove(RemoveCommand::ApiVersion(args)) => api::remove(args, &cwd, reporter),
        Command::Deprecate(DeprecateCommand::ApiVersion(args)) => api::deprecate(args, &cwd, reporter),
        Command::Config(ConfigCommand::Add(args)) => config::add(args, &cwd, reporter),
        Command::Config(ConfigCommand::Remove(args)) => config::remove(args, &cwd, reporter),
        Command::Sync(flags) => config::sync(flags, &cwd, reporter),
        Command::Recover(args) => recover::recover(args, &cwd, reporter),
    }
}
