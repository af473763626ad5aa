//! espresso: scaffolds production-grade Express.js microservices.
//!
//! Layers, one direction: `cli` (clap vocabulary) → `options` (validated choices) → `plan` (pure,
//! returns files) → `apply` (touches the disk) → `report` (prints). `main.rs` only calls [`run`].

pub mod apply;
pub mod change;
pub mod cli;
pub mod config_schema;
pub mod error;
pub mod fence;
pub mod lockfile;
pub mod name;
pub mod openapi;
pub mod options;
pub mod package_json;
pub mod plan;
pub mod project;
pub mod project_file;
pub mod prompt;
pub mod render;
pub mod report;
pub mod resource;
pub mod templates;

use anyhow::Context;
use clap::Parser;
use cli::{
    AddCommand, AddResourceArgs, ChangeFlags, Cli, ColorChoice, Command, ConfigAddArgs, ConfigCommand,
    ConfigRemoveArgs, DeploymentArgs, ListCommand, MiddlewareArgs, NewArgs, RemoveCommand, RemoveResourceArgs,
};
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
        Command::New(args) => new(args, &cwd, reporter),
        Command::Add(AddCommand::Resource(args)) => add_resource(args, &cwd, reporter),
        Command::Remove(RemoveCommand::Resource(args)) => remove_resource(args, &cwd, reporter),
        Command::Add(AddCommand::Middleware(args)) => change_middleware(args, true, &cwd, reporter),
        Command::Remove(RemoveCommand::Middleware(args)) => change_middleware(args, false, &cwd, reporter),
        Command::List(ListCommand::Middleware) => list_middleware(&cwd),
        Command::List(ListCommand::Deployments) => list_deployments(&cwd),
        Command::Add(AddCommand::Deployment(args)) => change_deployment(args, true, &cwd, reporter),
        Command::Remove(RemoveCommand::Deployment(args)) => change_deployment(args, false, &cwd, reporter),
        Command::Config(ConfigCommand::Add(args)) => config_add(args, &cwd, reporter),
        Command::Config(ConfigCommand::Remove(args)) => config_remove(args, &cwd, reporter),
        Command::Sync(flags) => sync(flags, &cwd, reporter),
    }
}

/// `espresso list deployments`: every target; `*` marks those the project has.
fn list_deployments(cwd: &Path) -> anyhow::Result<()> {
    let project = project::Project::find(cwd).ok();
    let mut out = String::new();
    for target in options::Target::all() {
        let has = project.as_ref().is_some_and(|p| target.is_in(&p.spec.choices));
        let bundle = templates::Bundle::load(&target.bundle())?;
        out.push_str(&format!(
            "{} {:<16} {}\n",
            if has { "*" } else { " " },
            target.name(),
            bundle.manifest.description
        ));
    }
    std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes())?;
    Ok(())
}

/// `espresso add deployment` / `remove deployment`: the target in or out of the choices.
fn change_deployment(args: DeploymentArgs, add: bool, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let mut project = project::Project::find(cwd)?;
    let target = options::Target::parse(&args.target)?;
    let kubernetes = options::Target::Deploy(options::Deploy::Kubernetes);
    // Both route HTTP into a cluster, and share the one recorded routing choice.
    let routes = [kubernetes, options::Target::Deploy(options::Deploy::Helm)].contains(&target);
    if args.ingress.is_some() && !(add && routes) {
        return error::usage(
            "`--ingress` goes with `espresso add deployment kubernetes` or `helm`",
            "leave `--ingress` out, or use it when adding `kubernetes` or `helm`",
        );
    }
    let present = target.is_in(&project.spec.choices);
    match (add, present) {
        (true, true) => {
            let hint = if target == kubernetes {
                "nothing to do; to route differently, `espresso remove deployment kubernetes`, then add it with `--ingress`"
                    .to_owned()
            } else {
                "nothing to do; `espresso list deployments` shows what the project has".to_owned()
            };
            return error::usage(format!("deployment target `{}` is already in the project", target.name()), hint);
        }
        (false, false) => {
            return error::usage(
                format!("deployment target `{}` is not in the project", target.name()),
                "`espresso list deployments` marks the targets the project has with `*`",
            );
        }
        _ => {}
    }
    let mut spec = project.spec.clone();
    target.toggle(&mut spec.choices, add);
    if let Some(ingress) = args.ingress {
        spec.choices.ingress = ingress;
    }
    if let (false, options::Target::Deploy(d)) = (add, target) {
        let needing = project.spec.choices.needing(d);
        if let Some(first) = needing.first() {
            let names: Vec<String> = needing.iter().map(|n| format!("`{}`", n.as_str())).collect();
            // Every rule so far is an image built from the Dockerfile.
            return error::usage(
                format!(
                    "`{}` is needed by {}, which {} the image its Dockerfile builds",
                    d.as_str(),
                    names.join(" and "),
                    if names.len() == 1 { "runs" } else { "run" }
                ),
                format!("remove {} first: `espresso remove deployment {}`", names.join(" and "), first.as_str()),
            );
        }
    }
    spec.choices.check()?;
    let changes = change::plan_changes(&mut project, &spec, args.flags.force)?;
    finish(&changes, &args.flags, reporter)
}

/// Reads the project's `config.schema.json` as a JSON object.
fn read_schema_document(project: &project::Project) -> anyhow::Result<serde_json::Value> {
    let path = project.root.join(plan::SCHEMA_FILE);
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read `{}`", plan::SCHEMA_FILE))?;
    let doc: serde_json::Value = serde_json::from_str(&text).with_context(|| {
        format!("`{}` is not valid JSON\nfix it, or restore it from version control", plan::SCHEMA_FILE)
    })?;
    anyhow::ensure!(
        doc.get("properties").is_some_and(serde_json::Value::is_object),
        "`{}` has no `properties` object\nrestore it from version control",
        plan::SCHEMA_FILE
    );
    Ok(doc)
}

/// `espresso config add`: a new property in config.schema.json, then every derived file.
fn config_add(args: ConfigAddArgs, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let mut project = project::Project::find(cwd)?;
    let var = config_schema::EnvVar::from_flags(&args)?;
    let mut doc = read_schema_document(&project)?;
    let props = doc["properties"].as_object_mut().expect("checked above");
    if props.contains_key(&var.name) {
        return error::usage(
            format!("`{}` is already declared in {}", var.name, plan::SCHEMA_FILE),
            format!("choose another name, or `espresso config remove {}` first", var.name),
        );
    }
    props.insert(var.name.clone(), var.to_property());
    let text = format!("{}\n", serde_json::to_string_pretty(&doc)?);
    resync(&mut project, Some(&text), &args.flags, reporter)
}

/// `espresso config remove`: a variable the user declared leaves the schema and every derived file.
fn config_remove(args: ConfigRemoveArgs, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let mut project = project::Project::find(cwd)?;
    let mut doc = read_schema_document(&project)?;
    let declared = plan::schema_for(&project.spec, &render::Renderer::new())?;
    if serde_json::from_str::<serde_json::Value>(&declared)?["properties"].get(&args.name).is_some() {
        return error::usage(
            format!("`{}` is read by code espresso generated, so it cannot be removed on its own", args.name),
            "remove the middleware or deployment target that declares it instead",
        );
    }
    let props = doc["properties"].as_object_mut().expect("checked above");
    if props.remove(&args.name).is_none() {
        return error::usage(
            format!("`{}` is not declared in {}", args.name, plan::SCHEMA_FILE),
            "`config.schema.json` lists every variable under `properties`",
        );
    }
    let text = format!("{}\n", serde_json::to_string_pretty(&doc)?);
    resync(&mut project, Some(&text), &args.flags, reporter)
}

/// `espresso sync`: every file derived from config.schema.json and espresso.toml, re-rendered.
fn sync(flags: ChangeFlags, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    resync(&mut project::Project::find(cwd)?, None, &flags, reporter)
}

/// Re-renders every file whose rendering changed, from `schema` (the edited config schema) or
/// the project's own, with the project's spec unchanged.
fn resync(
    project: &mut project::Project,
    schema: Option<&str>,
    flags: &ChangeFlags,
    reporter: &Reporter,
) -> anyhow::Result<()> {
    let spec = project.spec.clone();
    let options = change::ChangeOptions { force: flags.force, schema, sync: true };
    let changes = change::plan_changes_with(project, &spec, options)?;
    if changes.changes.is_empty() && !flags.dry_run {
        reporter.status("note", "every derived file is up to date");
    }
    finish(&changes, flags, reporter)
}

/// `espresso list middleware`: every kind in chain order; `*` marks those the project has.
fn list_middleware(cwd: &Path) -> anyhow::Result<()> {
    let project = project::Project::find(cwd).ok();
    let language = project.as_ref().map_or("javascript", |p| p.spec.choices.language);
    let mut out = String::new();
    for (kind, bundle) in templates::middleware_kinds(language)? {
        let has = project.as_ref().is_some_and(|p| p.spec.middleware.contains(&kind));
        let summary = bundle.manifest.middleware.as_ref().map_or("", |m| m.summary.as_str());
        out.push_str(&format!("{} {kind:<16} {summary}\n", if has { "*" } else { " " }));
    }
    std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes())?;
    Ok(())
}

/// The middleware kind that `--protect` refers to.
const AUTH: &str = "auth-jwt";

/// `espresso add middleware` / `remove middleware`: the kind in or out of the spec, applied as a change.
fn change_middleware(args: MiddlewareArgs, add: bool, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let mut project = project::Project::find(cwd)?;
    let kinds = templates::middleware_kinds(project.spec.choices.language)?;
    let names: Vec<String> = kinds.iter().map(|(k, _)| format!("`{k}`")).collect();
    if !kinds.iter().any(|(k, _)| *k == args.kind) {
        return error::usage(
            format!("unknown middleware `{}`", args.kind),
            format!("the kinds are {} (`espresso list middleware`)", names.join(", ")),
        );
    }
    let present = project.spec.middleware.contains(&args.kind);
    let meta = kinds.iter().find(|(k, _)| *k == args.kind).and_then(|(_, b)| b.manifest.middleware.as_ref());
    if let Some(needed) = meta.and_then(|m| m.requires_cache.as_deref())
        && add
        && options::cache_str(project.spec.choices.cache) != needed
    {
        return error::usage(
            format!(
                "middleware `{}` needs the project's cache to be `{needed}`, and it is `{}`",
                args.kind,
                options::cache_str(project.spec.choices.cache)
            ),
            format!("create projects that cache with `espresso new <name> --cache {needed}`"),
        );
    }
    let protect_allowed = add && args.kind == AUTH;
    if !args.protect.is_empty() && !protect_allowed {
        return error::usage(
            "`--protect` goes with `espresso add middleware auth-jwt`",
            "protect a later resource with `espresso add resource <name> --protect`",
        );
    }
    let mut spec = project.spec.clone();
    for wanted in &args.protect {
        let wanted = resource::ResourceName::parse(wanted)?;
        match spec.resources.iter_mut().find(|r| r.name.plural_kebab == wanted.plural_kebab) {
            Some(r) => r.protected = true,
            None => {
                return error::usage(
                    format!("resource `{}` does not exist", wanted.name),
                    "`--protect` names resources of the project; add them with `espresso add resource`",
                );
            }
        }
    }
    if !add && args.kind == AUTH {
        // Without authentication nothing can stay protected: removing it undoes the protection too.
        spec.resources.iter_mut().for_each(|r| r.protected = false);
    }
    match (add, present) {
        (true, true) => {
            return error::usage(
                format!("middleware `{}` is already in the project", args.kind),
                "nothing to do; `espresso list middleware` shows what the project has",
            );
        }
        (false, false) => {
            return error::usage(
                format!("middleware `{}` is not in the project", args.kind),
                "`espresso list middleware` marks the kinds the project has with `*`",
            );
        }
        (true, false) => {
            spec.middleware.push(args.kind.clone());
            // Chain order, whatever the order of the commands.
            spec.middleware.sort_by_key(|m| kinds.iter().position(|(k, _)| k == m));
        }
        (false, true) => spec.middleware.retain(|m| *m != args.kind),
    }
    let changes = change::plan_changes(&mut project, &spec, args.flags.force)?;
    finish(&changes, &args.flags, reporter)
}

/// `espresso add resource`: a new resource in the project's spec, applied as a change.
pub fn add_resource(args: AddResourceArgs, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let mut project = project::Project::find(cwd)?;
    let name = resource::ResourceName::parse(&args.name)?;
    if args.fields.is_empty() {
        return error::usage(
            format!("resource `{}` needs at least one field", args.name),
            "add `--field <name>[:<type>]`, for example `--field title --field quantity:integer`",
        );
    }
    let fields = args.fields.iter().map(|f| resource::Field::parse(f)).collect::<Result<Vec<_>, _>>()?;
    for (i, f) in fields.iter().enumerate() {
        if fields[..i].iter().any(|g| g.name == f.name) {
            return error::usage(format!("field `{}` is given twice", f.name), "give each field once");
        }
    }
    if let Some(existing) = project.spec.resources.iter().find(|r| r.name.plural_kebab == name.plural_kebab) {
        return error::usage(
            format!("resource `{}` already exists", existing.name.name),
            format!(
                "change it by removing it first (`espresso remove resource {}`), or choose another name",
                existing.name.name
            ),
        );
    }
    if args.protect && !project.spec.middleware.iter().any(|m| m == AUTH) {
        return error::usage(
            format!("`--protect` needs the `{AUTH}` middleware, which the project does not have"),
            format!("add it first: `espresso add middleware {AUTH}`"),
        );
    }
    let migration = project.spec.resources.iter().map(|r| r.migration).max().unwrap_or(0) + 1;
    let mut spec = project.spec.clone();
    spec.resources.push(project::ResourceSpec { name, fields, migration, protected: args.protect });
    let changes = change::plan_changes(&mut project, &spec, args.flags.force)?;
    finish(&changes, &args.flags, reporter)
}

/// `espresso remove resource`: the spec without the resource, applied as a change.
pub fn remove_resource(args: RemoveResourceArgs, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let mut project = project::Project::find(cwd)?;
    let wanted = resource::ResourceName::parse(&args.name)?;
    let mut spec = project.spec.clone();
    let before = spec.resources.len();
    spec.resources.retain(|r| r.name.plural_kebab != wanted.plural_kebab);
    if spec.resources.len() == before {
        let known: Vec<String> = project.spec.resources.iter().map(|r| format!("`{}`", r.name.name)).collect();
        let hint = if known.is_empty() {
            "the project has no resources".to_owned()
        } else {
            format!("the project's resources: {}", known.join(", "))
        };
        return error::usage(format!("resource `{}` does not exist", args.name), hint);
    }
    let changes = change::plan_changes(&mut project, &spec, args.flags.force)?;
    finish(&changes, &args.flags, reporter)
}

/// Shows (`--dry-run`) or applies a change set.
fn finish(changes: &change::ChangeSet, flags: &ChangeFlags, reporter: &Reporter) -> anyhow::Result<()> {
    if flags.dry_run {
        reporter.diff(&changes.diff())?;
    } else {
        changes.apply(&mut |verb, path| reporter.status(verb, path))?;
    }
    for path in &changes.kept {
        reporter.status("keep", &format!("{path} (you changed it; espresso no longer needs it)"));
    }
    for advice in &changes.advice {
        reporter.status("note", advice);
    }
    Ok(())
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
