//! `espresso add|remove messaging`, `consumer` and `events`: what they record, what they refuse,
//! and that removing them restores the project (the generated code's behaviour is tested by its
//! own suite against the real brokers, in e2e.rs, and end to end in events.rs).

use crate::support::{Sandbox, espresso};
use predicates::prelude::*;
use std::fs;

fn make(sb: &Sandbox, name: &str, extra: &[&str]) {
    sb
        .run(
            &[
                &[
                    "new",
                    name,
                    "-q",
                    "--language",
                    "javascript",
                    "--deploy",
                    "docker,compose,kubernetes",
                    "--ci",
                    "none",
                ][..],
                extra,
            ]
            .concat(),
        )
        .success();
}

fn run(sb: &Sandbox, project: &str, args: &[&str]) -> assert_cmd::assert::Assert {
    espresso().current_dir(sb.path().join(project)).args(args).arg("-q").assert()
}

#[test]
fn bad_messaging_commands_exit_2_with_a_remedy_and_change_nothing() {
    let sb = Sandbox::new();
    make(&sb, "bare", &[]);
    make(&sb, "cached", &["--cache", "redis"]);
    let bare = sb.snapshot("bare");
    // No store for processed ids, no Redis for Streams, no broker for consumers or events.
    run(&sb, "bare", &["add", "messaging", "rabbitmq"])
        .code(2)
        .stderr(predicate::str::contains("neither").and(predicate::str::contains("--database postgres")));
    run(&sb, "bare", &["add", "messaging", "redis"]).code(2).stderr(predicate::str::contains("--cache redis"));
    run(&sb, "bare", &["add", "consumer", "order.created"])
        .code(2)
        .stderr(predicate::str::contains("espresso add messaging"));
    run(&sb, "bare", &["add", "resource", "order", "--field", "total:number", "--events"])
        .code(2)
        .stderr(predicate::str::contains("`--events` needs a message broker"));
    run(&sb, "bare", &["add", "messaging", "kafka"]).code(2).stderr(predicate::str::contains("redis, rabbitmq"));
    assert_eq!(sb.snapshot("bare"), bare, "a refused command changed the project");

    run(&sb, "cached", &["add", "messaging", "rabbitmq"]).success();
    run(&sb, "cached", &["add", "messaging", "redis"]).code(2).stderr(predicate::str::contains("remove messaging"));
    for bad in ["Order.created", "order", "order..created"] {
        run(&sb, "cached", &["add", "consumer", bad]).code(2).stderr(predicate::str::contains("order.created"));
    }
    run(&sb, "cached", &["add", "consumer", "order.created"]).success();
    run(&sb, "cached", &["add", "consumer", "order.created"]).code(2).stderr(predicate::str::contains("already"));
    run(&sb, "cached", &["remove", "consumer", "order.paid"])
        .code(2)
        .stderr(predicate::str::contains("`order.created`"));
    run(&sb, "cached", &["remove", "messaging"])
        .code(2)
        .stderr(predicate::str::contains("espresso remove consumer order.created"));
    run(&sb, "cached", &["add", "events", "order"]).code(2).stderr(predicate::str::contains("does not exist"));
}

#[test]
fn messaging_is_recorded_and_removing_it_restores_every_file() {
    let sb = Sandbox::new();
    sb.run(&[
        "new",
        "shop",
        "-q",
        "--language",
        "javascript",
        "--cache",
        "redis",
        "--deploy",
        "docker,kubernetes,helm",
        "--ci",
        "none",
    ])
    .success();
    run(&sb, "shop", &["add", "resource", "order", "--field", "total:number"]).success();
    // The user's own README: espresso fills its fence and leaves their lines.
    let readme = sb.path().join("shop/README.md");
    fs::write(&readme, fs::read_to_string(&readme).unwrap() + "\nOur on-call rota is in the wiki.\n").unwrap();
    let before = sb.snapshot("shop");
    run(&sb, "shop", &["add", "messaging", "redis"]).success();
    run(&sb, "shop", &["add", "consumer", "payment.refund-issued"]).success();
    run(&sb, "shop", &["add", "events", "order"]).success();
    let read =
        |rel: &str| fs::read_to_string(sb.path().join("shop").join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let record = read("espresso.toml");
    assert!(record.contains("[messaging]\nbroker = \"redis\"\nconsumers = [\"payment.refund-issued\"]\n"), "{record}");
    assert!(record.contains("events = true"), "{record}");
    assert!(read("src/consumers/index.js").contains("'payment.refund-issued': paymentRefundIssued,"));
    assert!(read("src/consumers/payment-refund-issued.consumer.js").contains("payment.refund-issued"));
    assert!(read("src/routes/orders.router.js").contains("withEvents("));
    assert!(read("package.json").contains("\"consumer\": \"node src/consumer.js\""));
    assert!(read("k8s/base/kustomization.yaml").contains("  - consumer.yaml\n"));
    assert!(read("k8s/base/consumer.yaml").contains("command: [\"node\", \"dist/consumer.js\"]"));
    assert!(read("k8s/base/config.env").contains("MESSAGING_CONSUMER_MODE=separate\n"));
    assert!(read(".env.example").contains("MESSAGING_GROUP=shop"));
    // Helm: the consumer's own Deployment, and `consumer.enabled` (not a config value) decides
    // who consumes (checked rendered by targets.rs).
    assert!(read("charts/shop/templates/consumer.yaml").contains("kind: Deployment"));
    let values = read("charts/shop/values.yaml");
    assert!(values.contains("  command: [\"node\", \"dist/consumer.js\"]\n"), "{values}");
    assert!(
        values.contains("consumer:\n  enabled: true\n") && !values.contains("MESSAGING_CONSUMER_MODE:"),
        "{values}"
    );
    let readme = read("README.md");
    assert!(readme.contains("## Events\n") && readme.contains("Consumed here: `payment.refund-issued`."), "{readme}");
    assert!(
        readme.contains("`consumer.enabled`") && readme.ends_with("Our on-call rota is in the wiki.\n"),
        "{readme}"
    );

    run(&sb, "shop", &["remove", "events", "order"]).success();
    run(&sb, "shop", &["remove", "consumer", "payment.refund-issued"]).success();
    run(&sb, "shop", &["remove", "messaging"]).success();
    assert_eq!(sb.snapshot("shop"), before, "add then remove left the project changed");
}

#[test]
fn in_a_postgres_project_the_outbox_migration_is_numbered_after_the_others_and_stays() {
    let sb = Sandbox::new();
    make(&sb, "ledger", &["--database", "postgres"]);
    run(&sb, "ledger", &["add", "resource", "entry", "--field", "amount:number", "--events"])
        .code(2)
        .stderr(predicate::str::contains("espresso add messaging"));
    run(&sb, "ledger", &["add", "resource", "entry", "--field", "amount:number"]).success();
    run(&sb, "ledger", &["add", "messaging", "rabbitmq"])
        .success()
        .stderr(predicate::str::is_empty().or(predicate::str::contains("npm run migrate")));
    let dir = sb.path().join("ledger");
    let sql = fs::read_to_string(dir.join("migrations/0002_create_messaging_tables.sql")).unwrap();
    assert!(sql.contains("CREATE TABLE IF NOT EXISTS outbox") && sql.contains("processed_events"), "{sql}");
    run(&sb, "ledger", &["add", "events", "entry"]).success();
    let repository = fs::read_to_string(dir.join("src/repositories/entries.postgres.repository.js")).unwrap();
    assert!(repository.contains("recordEvent(client, { type: 'entry.created'"), "{repository}");
    run(&sb, "ledger", &["add", "resource", "account", "--field", "name"]).success();
    assert!(dir.join("migrations/0003_create_accounts.sql").is_file());
    // Removed, the history stays: the migration may have run.
    run(&sb, "ledger", &["remove", "events", "entry"]).success();
    run(&sb, "ledger", &["remove", "messaging"]).success();
    assert!(dir.join("migrations/0002_create_messaging_tables.sql").is_file());
    assert!(!dir.join("src/messaging").exists());
    let record = fs::read_to_string(dir.join("espresso.toml")).unwrap();
    assert!(!record.contains("[messaging]"), "{record}");
}
