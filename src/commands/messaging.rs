//! `espresso add|remove messaging`, `add|remove consumer` and `add|remove events`: a broker, the
//! event types the service consumes, and the resources whose writes publish events.

use super::resource::existing;
use super::{access, finish, migrations_on_disk, open};
use crate::cli::{Broker, Cache, ConsumerArgs, Database, EventsArgs, MessagingArgs, RemoveMessagingArgs};
use crate::engine::change;
use crate::error::{self, UsageError};
use crate::model::messaging::{self, MessagingSpec};
use crate::model::project::ProjectSpec;
use crate::report::Reporter;
use std::path::Path;

/// The project's messaging, or a usage error naming the command that adds it.
pub fn require(spec: &ProjectSpec, what: &str) -> Result<MessagingSpec, UsageError> {
    spec.messaging.clone().ok_or_else(|| {
        UsageError::new(format!("{what} needs a message broker, which the project does not have"))
            .hint("add one first: `espresso add messaging redis` (Redis Streams) or `espresso add messaging rabbitmq`")
    })
}

/// `espresso add messaging redis|rabbitmq`.
pub fn add(args: MessagingArgs, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let (mut project, _lock) = open(cwd, access(&args.flags), reporter)?;
    let spec = &project.spec;
    if let Some(m) = &spec.messaging {
        return error::usage(
            format!("the project already publishes and consumes through {}", m.broker.as_str()),
            "a project has one broker: `espresso remove messaging` first to change it",
        );
    }
    let (postgres, redis) = (spec.choices.database == Database::Postgres, spec.choices.cache == Cache::Redis);
    if args.broker == Broker::Redis && !redis {
        return error::usage(
            "`messaging redis` uses the project's Redis, and this project has none",
            "use `espresso add messaging rabbitmq`, or make the service with `espresso new <name> --cache redis`",
        );
    }
    if !postgres && !redis {
        return error::usage(
            "consumers record the events they processed, in PostgreSQL or Redis, and this project has neither",
            "make the service with `--database postgres` (events then go through a transactional outbox) or `--cache redis`",
        );
    }
    let mut new_spec = spec.clone();
    let migration = if postgres {
        let on_disk = migrations_on_disk(&project.root)?;
        let number = crate::model::migration::next_number(&spec.migrations, on_disk.iter().map(String::as_str));
        Some(messaging::migration_file(number))
    } else {
        None
    };
    new_spec.messaging =
        Some(MessagingSpec { broker: args.broker, migration: migration.clone(), consumers: Vec::new() });
    let changes = change::plan_changes(&mut project, &new_spec, args.flags.force)?;
    finish(&changes, &args.flags, reporter)?;
    if let Some(file) = migration
        && !args.flags.dry_run
    {
        reporter.status(
            "note",
            &format!("run `npm run migrate`: migrations/{file} creates the outbox and processed_events tables"),
        );
    }
    Ok(())
}

/// `espresso remove messaging`: only once nothing publishes or consumes through it.
pub fn remove(args: RemoveMessagingArgs, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let (mut project, _lock) = open(cwd, access(&args.flags), reporter)?;
    let m = require(&project.spec, "`remove messaging`")?;
    if let Some(t) = m.consumers.first() {
        return error::usage(
            format!("the service still consumes `{t}`"),
            format!("remove its consumers first: `espresso remove consumer {t}`"),
        );
    }
    if let Some(r) = project.spec.resources.iter().find(|r| r.events) {
        return error::usage(
            format!("resource `{}` still publishes events", r.name.name),
            format!("stop them first: `espresso remove events {}`", r.name.name),
        );
    }
    let mut new_spec = project.spec.clone();
    new_spec.messaging = None;
    let changes = change::plan_changes(&mut project, &new_spec, args.flags.force)?;
    finish(&changes, &args.flags, reporter)
}

/// `espresso add consumer <event-type>` (`adding`) or `remove consumer <event-type>`.
pub fn consumer(args: ConsumerArgs, adding: bool, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let (mut project, _lock) = open(cwd, access(&args.flags), reporter)?;
    let mut m = require(&project.spec, "a consumer")?;
    let event_type = messaging::parse_event_type(&args.event_type)?;
    let present = m.consumers.contains(&event_type);
    if adding && present {
        return error::usage(
            format!("the service already consumes `{event_type}`"),
            "one handler per event type: edit its module in src/consumers/",
        );
    }
    if !adding && !present {
        let known: Vec<String> = m.consumers.iter().map(|t| format!("`{t}`")).collect();
        return error::usage(
            format!("the service does not consume `{event_type}`"),
            if known.is_empty() {
                "it has no consumers".to_owned()
            } else {
                format!("its consumers: {}", known.join(", "))
            },
        );
    }
    if adding {
        m.consumers.push(event_type);
    } else {
        m.consumers.retain(|t| *t != event_type);
    }
    let mut new_spec = project.spec.clone();
    new_spec.messaging = Some(m);
    let changes = change::plan_changes(&mut project, &new_spec, args.flags.force)?;
    finish(&changes, &args.flags, reporter)
}

/// `espresso add events <resource>` (`adding`) or `remove events <resource>`.
pub fn events(args: EventsArgs, adding: bool, cwd: &Path, reporter: &Reporter) -> anyhow::Result<()> {
    let (mut project, _lock) = open(cwd, access(&args.flags), reporter)?;
    let name = existing(&project.spec, &args.resource)?.name.clone();
    if adding {
        require(&project.spec, "`add events`")?;
    }
    let mut new_spec = project.spec.clone();
    let r = new_spec.resources.iter_mut().find(|r| r.name == name).expect("the resource exists");
    if r.events == adding {
        let state = if adding { "already publishes" } else { "does not publish" };
        return error::usage(
            format!("resource `{}` {state} events", name.name),
            "see its `events = true` in espresso.toml: nothing to change",
        );
    }
    r.events = adding;
    let changes = change::plan_changes(&mut project, &new_spec, args.flags.force)?;
    finish(&changes, &args.flags, reporter)
}
