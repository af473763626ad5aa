//! espresso: scaffolds production-grade Express.js microservices.
//!
//! Layers, one direction: `cli` (clap vocabulary) → `options` (validated choices) → `plan` (pure,
//! returns files) → `apply` (touches the disk) → `report` (prints). `main.rs` only calls [`run`].

pub mod apply;
pub mod cli;
pub mod config_schema;
pub mod error;
pub mod fence;
pub mod name;
pub mod options;
pub mod package_json;
pub mod plan;
pub mod project_file;
pub mod prompt;
pub mod render;
pub mod report;
pub mod templates;

use clap::Parser;
use cli::{Cli, ColorChoice, Command, NewArgs};
use error::UsageError;
use report::Reporter;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
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
                // The cause chain, then any remedy that a message carries on its own line.
                let text = format!("{err:#}");
                let (message, hint) = match text.split_once('\n') {
                    Some((m, h)) => (m.to_owned(), Some(h.to_owned())),
                    None => (text, None),
                };
                reporter.error(&message, hint.as_deref());
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
    let cwd = std::env::current_dir()
        .map_err(|e| anyhow::anyhow!("cannot read the current directory: {e}"))?;
    match dir {
        None => Ok(cwd),
        Some(d) => {
            let d = cwd.join(d);
            if d.is_dir() {
                Ok(d)
            } else {
                Err(UsageError::new(format!(
                    "cannot run in `{}`: no such directory",
                    d.display()
                ))
                .hint("give `-C` an existing directory")
                .into())
            }
        }
    }
}

fn execute(cli: Cli, reporter: &Reporter) -> anyhow::Result<()> {
    let cwd = working_dir(cli.directory)?;
    match cli.command {
        Command::New(args) => new(args, &cwd, reporter),
    }
}

/// `espresso new`: validate, plan, then dry-run or apply.
pub fn new(args: NewArgs, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let mut prompter: Box<dyn prompt::Prompter> = match prompt::Terminal::detect() {
        Some(t) if !args.yes => Box::new(t),
        _ => Box::new(prompt::Unattended),
    };
    let opts = options::NewOptions::from_args(args, cwd, prompter.as_mut())?;
    let shown = opts.target.strip_prefix(cwd).unwrap_or(&opts.target);
    let state = apply::check_target(&opts.target, shown, opts.force)?;
    let plan = plan::plan_new(&opts.name, &opts.choices)?;
    if opts.dry_run {
        reporter.dry_run(&plan, shown)?;
        return Ok(());
    }
    apply::write_new(&plan, &opts.target, state)?;
    reporter.created(&plan, shown);
    Ok(())
}
