//! Event-driven services end to end, as real processes on loopback: a producer whose resource
//! publishes its events through the transactional outbox, and a consumer service (its own
//! process, `npm run consumer`) whose handler writes each event into its database. On each broker
//! (Redis Streams with a JavaScript producer and a TypeScript consumer; RabbitMQ the other way
//! round), orders are created under load while the broker is stopped and started again and the
//! consumer is killed with SIGKILL and restarted; then every order must have been applied once,
//! and an event whose handler always fails must reach the dead letters.

use crate::contract::{Service, spawn_entry, spawn_service};
use crate::e2e::{espresso_in, node_bin};
use crate::servers::{Postgres, RabbitMq, Redis};
use crate::support::{Sandbox, free_port, http_get, missing, npm, tell};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Orders created in each run, by this many clients at once.
const ORDERS: usize = 400;
const CLIENTS: usize = 8;

/// The broker under test, which the run stops and starts again.
enum Broker {
    Redis(Redis),
    RabbitMq(RabbitMq),
}

impl Broker {
    fn name(&self) -> &'static str {
        match self {
            Self::Redis(_) => "redis",
            Self::RabbitMq(_) => "rabbitmq",
        }
    }

    fn restart(&mut self, down_for: Duration) {
        match self {
            Self::Redis(r) => r.restart(down_for),
            Self::RabbitMq(r) => r.restart(down_for),
        }
    }
}

/// The consumer's handlers, as its owner would write them: `order.created` bills the order in
/// the handler's transaction; `order.updated` always fails.
fn write_handlers(dir: &Path, language: &str) {
    let ts = language == "typescript";
    let ext = if ts { "ts" } else { "js" };
    let (import, created, updated) = if ts {
        (
            "import type { Handler } from '../messaging/consumer.ts';\n\n",
            "export const handle: Handler = async (event, { db }) => {\n  await db?.query('INSERT INTO billed (event_id, order_id) VALUES ($1, $2)', [event.id, event.subject]);\n};\n",
            "export const handle: Handler = async () => {\n  throw new Error('billing does not take changes to an order');\n};\n",
        )
    } else {
        (
            "",
            "export async function handle(event, { db }) {\n  await db.query('INSERT INTO billed (event_id, order_id) VALUES ($1, $2)', [event.id, event.subject]);\n}\n",
            "export async function handle() {\n  throw new Error('billing does not take changes to an order');\n}\n",
        )
    };
    let consumers = dir.join("src/consumers");
    std::fs::write(consumers.join(format!("order-created.consumer.{ext}")), format!("{import}{created}")).unwrap();
    std::fs::write(consumers.join(format!("order-updated.consumer.{ext}")), format!("{import}{updated}")).unwrap();
    std::fs::write(
        dir.join("migrations/0100_create_billed.sql"),
        "CREATE TABLE billed (event_id text NOT NULL, order_id text NOT NULL, at timestamptz NOT NULL DEFAULT now());\n",
    )
    .unwrap();
}

/// A ureq agent that reports every status.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

fn post_order(agent: &ureq::Agent, port: u16) -> Result<String, String> {
    let mut response = agent
        .post(format!("http://127.0.0.1:{port}/api/v1/orders"))
        .header("Content-Type", "application/json")
        .send(r#"{"total":1}"#)
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().map_err(|e| e.to_string())?;
    if status != 201 {
        return Err(format!("{status} {text}"));
    }
    let body: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    Ok(body["id"].as_str().ok_or("no id")?.to_owned())
}

/// Creates `n` orders with CLIENTS clients at once; `progress` runs on this thread each time
/// another order is answered, with the count so far (the faults hook in there). The ids created.
fn create_orders(port: u16, n: usize, mut progress: impl FnMut(usize)) -> Result<BTreeSet<String>, String> {
    let next = Arc::new(AtomicUsize::new(0));
    let (sender, answers) = std::sync::mpsc::channel::<Result<String, String>>();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (next, sender) = (next.clone(), sender.clone());
            std::thread::spawn(move || {
                let agent = agent();
                while next.fetch_add(1, Ordering::SeqCst) < n {
                    if sender.send(post_order(&agent, port)).is_err() {
                        return;
                    }
                }
            })
        })
        .collect();
    drop(sender);
    let (mut created, mut refused) = (BTreeSet::new(), Vec::new());
    for (done, answer) in answers.iter().enumerate() {
        match answer {
            Ok(id) => {
                created.insert(id);
            }
            Err(e) => refused.push(e),
        }
        progress(done + 1);
    }
    for c in clients {
        c.join().unwrap();
    }
    if refused.is_empty() {
        Ok(created)
    } else {
        Err(format!("{} orders were refused: {:?}", refused.len(), &refused[..refused.len().min(5)]))
    }
}

#[test]
fn events_arrive_exactly_once_through_a_broker_restart_and_a_killed_consumer() {
    if std::env::var_os("ESPRESSO_VALIDATE_DIR").is_none() {
        return missing(
            "ESPRESSO_VALIDATE_DIR is not set, so the event-driven services were not run (Node 24 from ../shared/validate)",
        );
    }
    let Some(postgres) = Postgres::start() else {
        return missing("PostgreSQL (Debian package `postgresql`) is not installed");
    };
    let Some(redis) = Redis::start_durable() else {
        return missing("redis-server (Debian package `redis-server`) is not installed");
    };
    let Some(rabbitmq) = RabbitMq::start() else {
        return missing("rabbitmq-server (Debian package `rabbitmq-server`) is not installed");
    };
    let node = node_bin("24");
    let sb = Sandbox::new();
    let mut figures = Vec::new();
    for (mut broker, producer, consumer) in
        [(Broker::Redis(redis), "javascript", "typescript"), (Broker::RabbitMq(rabbitmq), "typescript", "javascript")]
    {
        figures.push(run(&sb, &postgres, &node, &mut broker, producer, consumer));
    }
    tell(&format!("events: {}", figures.join("; ")));
}

/// One run on one broker; returns its figures.
fn run(sb: &Sandbox, postgres: &Postgres, node: &Path, broker: &mut Broker, producer: &str, consumer: &str) -> String {
    let name = broker.name();
    let url = match broker {
        Broker::Redis(r) => ("REDIS_URL", r.url()),
        Broker::RabbitMq(r) => ("RABBITMQ_URL", r.url()),
    };
    let cache: &[&str] = if name == "redis" { &["--cache", "redis"] } else { &[] };
    let make = |project: &str, language: &str, then: &[&[&str]]| -> PathBuf {
        let base = [
            "new",
            project,
            "-q",
            "--language",
            language,
            "--database",
            "postgres",
            "--deploy",
            "none",
            "--ci",
            "none",
        ];
        sb.run(&[&base[..], cache].concat()).success();
        let dir = sb.path().join(project);
        espresso_in(&dir, &["add", "messaging", name]);
        for command in then {
            espresso_in(&dir, command);
        }
        npm(&dir, node, &["ci", "--no-audit", "--no-fund", "--prefer-offline"], &[]);
        dir
    };
    let orders = make(
        &format!("orders-{name}"),
        producer,
        &[&["add", "resource", "order", "--field", "total:number", "--events"]],
    );
    let billing = make(
        &format!("billing-{name}"),
        consumer,
        &[&["add", "consumer", "order.created"], &["add", "consumer", "order.updated"]],
    );
    write_handlers(&billing, consumer);

    let billing_db = format!("billing-{name}");
    let env = |db: &str| -> Vec<(String, String)> {
        [
            ("LOG_LEVEL", "warn".to_owned()),
            ("DATABASE_URL", postgres.database(db)),
            (url.0, url.1.clone()),
            ("MESSAGING_CONSUMER_MODE", "separate".to_owned()),
            ("MESSAGING_MAX_ATTEMPTS", "3".to_owned()),
            ("MESSAGING_RETRY_BASE_MS", "20".to_owned()),
            ("MESSAGING_CLAIM_IDLE_MS", "1000".to_owned()),
            ("MESSAGING_OUTBOX_POLL_MS", "100".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    };
    let orders_env = env(&format!("orders-{name}"));
    let billing_env = env(&billing_db);
    npm(&orders, node, &["run", "-s", "migrate"], &orders_env);
    npm(&billing, node, &["run", "-s", "migrate"], &billing_env);
    let ext = if consumer == "typescript" { "ts" } else { "js" };
    let entry = format!("src/consumer.{ext}");
    let log = |what: &str| sb.path().join(format!("{what}-{name}.log"));
    let consumer_port = free_port();
    let start_consumer = |round: usize| -> Service {
        spawn_entry(&billing, &entry, consumer_port, node, &billing_env, &log(&format!("consumer{round}")))
            .unwrap_or_else(|e| panic!("{name}: the consumer did not start: {e}"))
    };
    let consumer_process = start_consumer(1);
    let (_producer, port) = spawn_service(&orders, node, &orders_env, &log("orders"))
        .unwrap_or_else(|e| panic!("{name}: the producer did not start: {e}"));
    let logs = || {
        ["orders", "consumer1", "consumer2"]
            .map(|w| format!("--- {w}\n{}", std::fs::read_to_string(log(w)).unwrap_or_default()))
            .join("\n")
    };
    let billed = || -> (usize, usize, usize) {
        let row = postgres
            .query_in(&billing_db, "SELECT count(*), count(DISTINCT event_id), count(DISTINCT order_id) FROM billed");
        let n: Vec<usize> = row.trim().split('|').map(|v| v.parse().unwrap()).collect();
        (n[0], n[1], n[2])
    };
    let wait_billed = |n: usize| {
        let deadline = Instant::now() + Duration::from_secs(90);
        while billed().0 < n {
            assert!(Instant::now() < deadline, "{name}: {:?} of {n} billed after 90 s\n{}", billed(), logs());
            std::thread::sleep(Duration::from_millis(20));
        }
    };

    // Throughput first, without faults: from the first request to the last order billed.
    let started = Instant::now();
    let mut created = create_orders(port, ORDERS, |_| {}).unwrap_or_else(|e| panic!("{name}: {e}\n{}", logs()));
    wait_billed(ORDERS);
    let clean = started.elapsed();

    // Then faults mid-run: the broker stops and starts again, then the consumer is killed outright.
    let mut consumer_process = Some(consumer_process);
    let started = Instant::now();
    let more = create_orders(port, ORDERS, |done| {
        if done == ORDERS / 4 {
            broker.restart(Duration::from_secs(1));
        } else if done == ORDERS / 2 {
            consumer_process.take().unwrap().crash();
            std::thread::sleep(Duration::from_millis(300));
            consumer_process = Some(start_consumer(2));
        }
    })
    .unwrap_or_else(|e| panic!("{name}: {e}\n{}", logs()));
    created.extend(more);
    assert_eq!(created.len(), 2 * ORDERS);
    wait_billed(2 * ORDERS);
    let faulted = started.elapsed();

    // Every order billed once: nothing lost, nothing applied twice.
    std::thread::sleep(Duration::from_millis(500));
    let (rows, events, distinct_orders) = billed();
    let lost = 2 * ORDERS - distinct_orders.min(2 * ORDERS);
    let duplicates = rows - events;
    assert!(
        lost == 0 && duplicates == 0 && rows == 2 * ORDERS,
        "{name}: {rows} rows, {events} events, {distinct_orders} orders of {}\n{}",
        2 * ORDERS,
        logs()
    );
    let ids: BTreeSet<String> =
        postgres.query_in(&billing_db, "SELECT order_id FROM billed").lines().map(str::to_owned).collect();
    assert_eq!(ids, created, "{name}: the billed orders are not the created ones");

    // A handler that always fails: its event goes to the dead letters after three tries.
    let id = created.first().unwrap();
    let mut response = agent()
        .patch(format!("http://127.0.0.1:{port}/api/v1/orders/{id}"))
        .header("Content-Type", "application/json")
        .send(r#"{"total":2}"#)
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "{}", response.body_mut().read_to_string().unwrap_or_default());
    let deadline = Instant::now() + Duration::from_secs(30);
    let dead_lettered = loop {
        let metrics = http_get(consumer_port, "/metrics").map(|(_, body)| body).unwrap_or_default();
        let line =
            metrics.lines().find(|l| l.starts_with("messaging_events_dead_lettered_total{type=\"order.updated\"}"));
        if let Some(line) = line {
            let failed = metrics
                .lines()
                .find(|l| l.starts_with("messaging_events_failed_total{type=\"order.updated\"}"))
                .unwrap_or_default()
                .to_owned();
            break format!("{line}; {failed}");
        }
        assert!(Instant::now() < deadline, "{name}: the failing event was not dead-lettered\n{}", logs());
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(dead_lettered.contains("} 1") && dead_lettered.ends_with("} 3"), "{name}: {dead_lettered}");
    drop(consumer_process);

    let rate = ORDERS as f64 / clean.as_secs_f64();
    format!(
        "{name} ({producer} producer, {consumer} consumer): {ORDERS} orders created by {CLIENTS} clients and billed in {clean:.1?} ({rate:.0} events/s end to end); {ORDERS} more through a broker restart and a SIGKILLed consumer in {faulted:.1?}: {lost} lost, {duplicates} applied twice; an always-failing event dead-lettered after 3 tries"
    )
}
