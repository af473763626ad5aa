//! Resources that evolve: `add field` and `remove field` change a resource's code, and in a
//! PostgreSQL project append a migration. Migrations are history: no change rewrites or deletes
//! one, hand-written ones are numbered around, and a project made before migrations were
//! recorded keeps its files. (The same sequence against a real database, with rows, is in
//! `e2e::evolution`.)

use crate::support::{Sandbox, espresso};
use predicates::prelude::*;
use std::fs;
use std::path::Path;

/// A project `shop` made with `args` (JavaScript unless they say) and a resource `order`.
fn shop(args: &[&str]) -> Sandbox {
    let sb = Sandbox::new();
    let mut all = vec!["new", "shop", "-q", "--deploy", "none", "--ci", "none"];
    all.extend_from_slice(args);
    if !args.contains(&"--language") {
        all.extend(["--language", "javascript"]);
    }
    sb.run(&all).success();
    run(&sb, &["add", "resource", "order", "--field", "customer"]).success();
    sb
}

fn run(sb: &Sandbox, args: &[&str]) -> assert_cmd::assert::Assert {
    espresso().current_dir(sb.path().join("shop")).args(args).arg("-q").assert()
}

fn read(sb: &Sandbox, rel: &str) -> String {
    fs::read_to_string(sb.path().join("shop").join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn migrations(sb: &Sandbox) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(sb.path().join("shop/migrations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    names.sort();
    names
}

#[test]
fn a_field_added_reaches_the_code_the_contract_and_a_new_migration() {
    let sb = shop(&["--database", "postgres"]);
    let created = read(&sb, "migrations/0001_create_orders.sql");
    run(&sb, &["add", "field", "order", "total:number:default=0", "note:text:optional"]).success();
    assert_eq!(read(&sb, "migrations/0001_create_orders.sql"), created, "history is never rewritten");
    let added = read(&sb, "migrations/0002_add_columns_to_orders.sql");
    for line in [
        "-- Orders: written by `espresso add field order total:number:default=0 note:text:optional`.",
        "SET LOCAL lock_timeout = '5s';",
        "  ADD COLUMN total double precision DEFAULT 0 NOT NULL,",
        "  ADD COLUMN note text;",
    ] {
        assert!(added.contains(line), "{line}\n{added}");
    }
    for (file, text) in [
        ("src/schemas/orders.schema.js", "total"),
        ("src/repositories/orders.postgres.repository.js", "total: 'total'"),
        ("test/orders.test.js", "total"),
        ("openapi/orders.json", "\"total\""),
    ] {
        assert!(read(&sb, file).contains(text), "{file} does not mention {text}");
    }
    let toml = read(&sb, "espresso.toml");
    assert!(
        toml.contains("fields = [\"customer:string\", \"total:number:default=0\", \"note:text:optional\"]"),
        "{toml}"
    );
    assert!(toml.contains("file = \"0002_add_columns_to_orders.sql\"\nstep = \"add-columns\""), "{toml}");

    // The record of history is the user's to annotate: a change appends to it, and keeps the rest.
    let toml_path = sb.path().join("shop/espresso.toml");
    fs::write(&toml_path, toml.replacen("[[migrations]]", "# applied everywhere by 2026-12-01\n[[migrations]]", 1))
        .unwrap();
    run(&sb, &["remove", "field", "order", "note"]).success();
    let toml = read(&sb, "espresso.toml");
    assert!(
        toml.contains("# applied everywhere by 2026-12-01\n[[migrations]]\nfile = \"0001_create_orders.sql\""),
        "{toml}"
    );
    assert!(toml.contains("file = \"0003_drop_note_from_orders.sql\""), "{toml}");
    let dropped = read(&sb, "migrations/0003_drop_note_from_orders.sql");
    assert!(dropped.contains("ALTER TABLE orders\n  DROP COLUMN note;\n"), "{dropped}");
    assert!(!read(&sb, "src/schemas/orders.schema.js").contains("note"));
}

#[test]
fn fields_a_table_with_rows_cannot_take_are_refused_with_a_hint_and_nothing_changes() {
    let sb = shop(&["--database", "postgres"]);
    let before = sb.snapshot("shop");
    for (args, message, hint) in [
        (&["add", "field", "order", "total:number"][..], "may already hold rows", "total:number:default=<value>"),
        (
            &["add", "field", "order", "sku:string:unique:optional:default=a"],
            "the same value",
            "sku:string:optional:unique",
        ),
        (
            &["add", "field", "order", "customer:text:optional"],
            "already has a field `customer`",
            "remove field order customer",
        ),
        (&["add", "field", "invoice", "x:string:optional"], "resource `invoice` does not exist", "`order`"),
        (&["add", "field", "order", "x:int"], "unknown type `int`", "a type among"),
        (&["add", "field", "order", "a:string:optional", "a:text:optional"], "given twice", "each field once"),
        (&["remove", "field", "order", "customer"], "no field left", "remove resource order"),
        (&["remove", "field", "order", "nope"], "has no field `nope`", "`customer`"),
        (
            &["add", "field", "order", "buyer:ref(customer):optional"],
            "refers to resource `customer`, which does not exist",
            "add it first",
        ),
        (&["add", "field", "order", "parent:ref(order):optional"], "refers to `order` itself", "plain field"),
        (&["add", "field", "order", "x:ref(order,bogus):optional"], "not a delete rule", "a type among"),
        (&["add", "field", "order", "x:ref(order):indexed:optional"], "indexed already", "a type among"),
        (&["add", "field", "order", "x:ref(order,set-null)"], "needs an optional field", "a type among"),
    ] {
        espresso()
            .current_dir(sb.path().join("shop"))
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message).and(predicate::str::contains(hint)));
    }
    // Without a list of fields clap itself refuses.
    espresso().current_dir(sb.path().join("shop")).args(["add", "field", "order"]).assert().code(2);
    assert!(sb.snapshot("shop") == before, "a refused change wrote something");

    // In memory there is no table whose rows need a value.
    let memory = shop(&[]);
    run(&memory, &["add", "field", "order", "total:number", "sku:string:unique"]).success();
    assert!(!memory.path().join("shop/migrations").exists());
}

#[test]
fn a_reference_is_a_foreign_key_added_without_a_long_lock_and_its_target_stays_while_referred_to() {
    let sb = shop(&["--database", "postgres"]);
    run(&sb, &["add", "resource", "customer", "--field", "name"]).success();
    // A required reference cannot be added to a table that may hold rows.
    espresso()
        .current_dir(sb.path().join("shop"))
        .args(["add", "field", "order", "buyer:ref(customer)"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("may already hold rows")
                .and(predicate::str::contains("buyerId:ref(customer):optional")),
        );
    run(&sb, &["add", "field", "order", "buyer:ref(customer,set-null):optional"]).success();
    let files = migrations(&sb);
    let added = read(&sb, &format!("migrations/{}", files[files.len() - 2]));
    assert!(
        added.contains("  ADD COLUMN buyer_id uuid,\n  ADD CONSTRAINT orders_buyer_id_fkey FOREIGN KEY (buyer_id) REFERENCES customers (id) ON DELETE SET NULL NOT VALID;\n"),
        "{added}"
    );
    let indexed = read(&sb, &format!("migrations/{}", files[files.len() - 1]));
    assert!(indexed.starts_with("-- espresso:no-transaction\n"), "{indexed}");
    assert!(
        indexed.contains("CREATE INDEX CONCURRENTLY orders_buyer_id_idx ON orders (buyer_id);\nALTER TABLE orders VALIDATE CONSTRAINT orders_buyer_id_fkey;\n"),
        "{indexed}"
    );
    // The target cannot go while the reference is there; the hint names the command that removes it.
    let before = sb.snapshot("shop");
    espresso().current_dir(sb.path().join("shop")).args(["remove", "resource", "customer"]).assert().code(2).stderr(
        predicate::str::contains("still referred to by `order.buyerId`")
            .and(predicate::str::contains("espresso remove field order buyerId")),
    );
    assert!(sb.snapshot("shop") == before, "a refused change wrote something");
    // A reference is removed by the name it was given, and then its target can go.
    run(&sb, &["remove", "field", "order", "buyer"]).success();
    run(&sb, &["remove", "resource", "customer"]).success();
    assert!(!read(&sb, "src/routes/index.js").contains("createCustomersRouter"));
}

#[test]
fn removing_and_adding_again_appends_history_and_never_rewrites_it() {
    let sb = shop(&["--database", "postgres", "--language", "typescript"]);
    let first = read(&sb, "migrations/0001_create_orders.sql");
    run(&sb, &["remove", "resource", "order"]).success();
    // A migration the user wrote by hand is run in file-name order with espresso's own.
    fs::write(sb.path().join("shop/migrations/0002_seed_settings.sql"), "SELECT 1;\n").unwrap();
    run(&sb, &["add", "resource", "order", "--field", "customer", "--field", "total:number"]).success();
    assert_eq!(read(&sb, "migrations/0001_create_orders.sql"), first);
    assert_eq!(
        migrations(&sb),
        ["0001_create_orders.sql", "0002_drop_orders.sql", "0002_seed_settings.sql", "0003_create_orders.sql"]
    );
    assert!(read(&sb, "migrations/0002_drop_orders.sql").contains("DROP TABLE orders;"));
    assert!(read(&sb, "migrations/0003_create_orders.sql").contains("  total double precision NOT NULL,"));

    // A migration edited by hand is the user's: neither a change nor sync touches it.
    let path = sb.path().join("shop/migrations/0001_create_orders.sql");
    fs::write(&path, format!("{first}-- applied in production on 2026-11-30\n")).unwrap();
    let edited = fs::read_to_string(&path).unwrap();
    run(&sb, &["add", "field", "order", "note:text:optional"]).success();
    run(&sb, &["sync"]).success();
    run(&sb, &["sync", "--force"]).success();
    assert_eq!(fs::read_to_string(&path).unwrap(), edited);
    assert!(migrations(&sb).contains(&"0004_add_note_to_orders.sql".to_owned()));
}

#[test]
fn a_project_made_before_migrations_were_recorded_keeps_its_migration_files() {
    let sb = shop(&["--database", "postgres"]);
    // espresso.toml as earlier versions wrote it: the number on the resource, no [[migrations]].
    let path = sb.path().join("shop/espresso.toml");
    let mut doc: toml_edit::DocumentMut = fs::read_to_string(&path).unwrap().parse().unwrap();
    doc.remove("migrations");
    doc["resources"].as_array_of_tables_mut().unwrap().get_mut(0).unwrap().insert("migration", toml_edit::value(1));
    fs::write(&path, doc.to_string()).unwrap();
    let created = read(&sb, "migrations/0001_create_orders.sql");
    run(&sb, &["add", "field", "order", "paid:boolean:default=false"]).success();
    assert_eq!(read(&sb, "migrations/0001_create_orders.sql"), created);
    assert_eq!(migrations(&sb), ["0001_create_orders.sql", "0002_add_paid_to_orders.sql"]);
    let toml = read(&sb, "espresso.toml");
    assert!(toml.contains("file = \"0001_create_orders.sql\"\nstep = \"create-table\""), "{toml}");
    assert!(!toml.contains("migration = 1"), "{toml}");
}

#[test]
fn add_field_dry_run_prints_the_diff_and_writes_nothing() {
    let sb = shop(&["--database", "postgres"]);
    let before = sb.snapshot("shop");
    let out = espresso()
        .current_dir(sb.path().join("shop"))
        .args(["add", "field", "order", "total:number:default=0", "--dry-run"])
        .assert()
        .success();
    let diff = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(diff.contains("+++ b/migrations/0002_add_total_to_orders.sql"), "{diff}");
    assert!(diff.contains("+  ADD COLUMN total double precision DEFAULT 0 NOT NULL;"), "{diff}");
    assert!(sb.snapshot("shop") == before);
    assert!(!Path::new(&sb.path().join("shop/migrations/0002_add_total_to_orders.sql")).exists());
}

/// One step of an evolution: espresso commands, then what the running service must answer.
struct Step {
    what: &'static str,
    commands: &'static [&'static [&'static str]],
    /// Checked against the service started after the migrations ran: `Err` says what is wrong.
    check: fn(&Api) -> Result<(), String>,
}

/// The running service of a step.
struct Api {
    port: u16,
    agent: ureq::Agent,
}

impl Api {
    /// `method path` with an optional JSON body: the status and the JSON answer (null when empty).
    fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<(u16, serde_json::Value), String> {
        let mut request =
            ureq::http::Request::builder().method(method).uri(format!("http://127.0.0.1:{}{path}", self.port));
        if body.is_some() {
            request = request.header("Content-Type", "application/json");
        }
        let bytes = body.map(|b| serde_json::to_vec(&b).unwrap()).unwrap_or_default();
        let request = request.body(bytes).map_err(|e| e.to_string())?;
        let mut response = self.agent.run(request).map_err(|e| format!("{method} {path}: {e}"))?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().map_err(|e| e.to_string())?;
        let json = if text.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text).map_err(|e| format!("{method} {path}: {e}: {text}"))?
        };
        Ok((status, json))
    }

    /// Every item of a list route (the test keeps lists under one page).
    fn items(&self, path: &str) -> Result<Vec<serde_json::Value>, String> {
        let joiner = if path.contains('?') { '&' } else { '?' };
        match self.call("GET", &format!("{path}{joiner}limit=100"), None)? {
            (200, page) => Ok(page["items"].as_array().cloned().unwrap_or_default()),
            (status, body) => Err(format!("GET {path}: {status} {body}")),
        }
    }

    fn create(&self, path: &str, body: serde_json::Value) -> Result<serde_json::Value, String> {
        match self.call("POST", path, Some(body.clone()))? {
            (201, item) => Ok(item),
            (status, answer) => Err(format!("POST {path} {body}: {status} {answer}")),
        }
    }
}

fn expect(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what()) }
}

const ORDERS: &str = "/api/v1/orders";
const CUSTOMERS: &str = "/api/v1/customers";

/// The evolution: a deployed table with rows, then changes, each deployed in turn.
fn steps() -> Vec<Step> {
    vec![
        Step {
            what: "add resource order; rows inserted",
            commands: &[&["add", "resource", "order", "--field", "customer", "--field", "status:enum(open|paid)"]],
            check: |api| {
                for (customer, status) in [("ada", "open"), ("grace", "paid"), ("edsger", "open")] {
                    api.create(ORDERS, serde_json::json!({ "customer": customer, "status": status }))?;
                }
                expect(api.items(ORDERS)?.len() == 3, || "three orders".into())
            },
        },
        Step {
            what: "add field total (default 0) and note (optional)",
            commands: &[&["add", "field", "order", "total:number:default=0", "note:text:optional"]],
            check: |api| {
                let items = api.items(ORDERS)?;
                expect(items.len() == 3 && items.iter().all(|i| i["total"] == 0 && i["note"].is_null()), || {
                    format!("the rows already there read total 0 and note null: {items:?}")
                })?;
                let made = api.create(
                    ORDERS,
                    serde_json::json!({ "customer": "barbara", "status": "paid", "total": 12.5, "note": "gift" }),
                )?;
                expect(made["total"] == 12.5 && made["note"] == "gift", || format!("{made}"))?;
                let id = items[0]["id"].as_str().unwrap_or_default().to_owned();
                match api.call("PATCH", &format!("{ORDERS}/{id}"), Some(serde_json::json!({ "total": 3 })))? {
                    (200, item) if item["total"] == 3 && item["customer"] == items[0]["customer"] => Ok(()),
                    other => Err(format!("PATCH an old row: {other:?}")),
                }
            },
        },
        Step {
            what: "remove field note",
            commands: &[&["remove", "field", "order", "note"]],
            check: |api| {
                let items = api.items(ORDERS)?;
                expect(
                    items.len() == 4 && items.iter().all(|i| i.get("note").is_none() && i["total"].is_number()),
                    || format!("four orders, none with a note: {items:?}"),
                )?;
                match api.call(
                    "POST",
                    ORDERS,
                    Some(serde_json::json!({ "customer": "x", "status": "open", "note": "n" })),
                )? {
                    (400, _) => Ok(()),
                    other => Err(format!("a body with the removed field: {other:?}")),
                }
            },
        },
        Step {
            what: "add an indexed field (its index built concurrently); filter and sort the rows",
            commands: &[&["add", "field", "order", "region:string:indexed:default=eu"]],
            check: |api| {
                let all = api.items(&format!("{ORDERS}?region=eu&sort=-total,customer"))?;
                let totals: Vec<_> = all.iter().map(|i| i["total"].clone()).collect();
                expect(
                    totals
                        == [serde_json::json!(12.5), serde_json::json!(3), serde_json::json!(0), serde_json::json!(0)],
                    || format!("the four rows, by total descending: {all:?}"),
                )?;
                let paid = api.items(&format!("{ORDERS}?status=paid&total[gt]=1"))?;
                expect(paid.len() == 1 && paid[0]["customer"] == "barbara", || format!("{paid:?}"))?;
                match api.call("GET", &format!("{ORDERS}?region[gt]=x"), None)? {
                    (400, _) => Ok(()),
                    other => Err(format!("a range on a string: {other:?}")),
                }
            },
        },
        Step {
            what: "add resource customer, remove it, add it again with other fields",
            commands: &[
                &["add", "resource", "customer", "--field", "name"],
                &["remove", "resource", "customer"],
                &[
                    "add",
                    "resource",
                    "customer",
                    "--field",
                    "email:email:unique",
                    "--field",
                    "vip:boolean:default=false",
                ],
            ],
            check: |api| {
                let made = api.create(CUSTOMERS, serde_json::json!({ "email": "ada@example.com" }))?;
                expect(made["vip"] == false, || format!("{made}"))?;
                expect(api.items(ORDERS)?.len() == 4, || "the orders are still there".into())
            },
        },
        Step {
            what: "add a relation from orders to customers (set-null); follow it, and delete its customer",
            commands: &[&["add", "field", "order", "buyer:ref(customer,set-null):optional"]],
            check: |api| {
                let orders = api.items(ORDERS)?;
                expect(orders.iter().all(|o| o["buyerId"].is_null()), || {
                    format!("the rows there refer to nobody: {orders:?}")
                })?;
                let customer = api.create(CUSTOMERS, serde_json::json!({ "email": "grace@example.com" }))?;
                let (customer_id, order_id) =
                    (customer["id"].as_str().unwrap_or_default(), orders[0]["id"].as_str().unwrap_or_default());
                let patched = match api.call(
                    "PATCH",
                    &format!("{ORDERS}/{order_id}"),
                    Some(serde_json::json!({ "buyerId": customer_id })),
                )? {
                    (200, item) if item["buyerId"] == customer_id => item,
                    other => return Err(format!("PATCH an old row with a buyer: {other:?}")),
                };
                let nobody = "00000000-0000-4000-8000-000000000000";
                match api.call(
                    "PATCH",
                    &format!("{ORDERS}/{order_id}"),
                    Some(serde_json::json!({ "buyerId": nobody })),
                )? {
                    (422, problem) if problem["code"] == "unprocessable" => {}
                    other => return Err(format!("a buyer that does not exist: {other:?}")),
                }
                let bought = api.items(&format!("{CUSTOMERS}/{customer_id}/buyer-orders"))?;
                expect(bought.len() == 1 && bought[0]["id"] == order_id, || {
                    format!("the customer's orders: {bought:?}")
                })?;
                match api.call("GET", &format!("{CUSTOMERS}/{nobody}/buyer-orders"), None)? {
                    (404, _) => {}
                    other => return Err(format!("the orders of nobody: {other:?}")),
                }
                match api.call("DELETE", &format!("{CUSTOMERS}/{customer_id}"), None)? {
                    (204, _) => {}
                    other => return Err(format!("delete the buyer: {other:?}")),
                }
                let after = api.items(ORDERS)?;
                let order = after.iter().find(|o| o["id"] == order_id);
                // ON DELETE SET NULL changes the row, not its updatedAt.
                expect(
                    after.len() == 4
                        && order.is_some_and(|o| o["buyerId"].is_null() && o["updatedAt"] == patched["updatedAt"]),
                    || format!("the order stays, its buyer null, its updatedAt kept: {after:?}"),
                )
            },
        },
        Step {
            what: "add API version v2 with a resource of its own; v1 keeps serving its rows",
            commands: &[
                &["add", "api-version", "v2"],
                &[
                    "add",
                    "resource",
                    "refund",
                    "--api",
                    "v2",
                    "--field",
                    "amount:decimal",
                    "--field",
                    "reason:text:optional",
                ],
            ],
            check: |api| {
                let made = api.create("/api/v2/refunds", serde_json::json!({ "amount": "12.5" }))?;
                expect(made["amount"] == "12.50" && made["reason"].is_null(), || format!("{made}"))?;
                expect(api.items("/api/v2/refunds")?.len() == 1, || "one refund in v2".into())?;
                expect(api.items(ORDERS)?.len() == 4, || "v1 still serves the four orders".into())?;
                match api.call("GET", "/api/v1/refunds", None)? {
                    (404, _) => Ok(()),
                    other => Err(format!("v1 serving v2's resource: {other:?}")),
                }
            },
        },
    ]
}

/// The columns of every table in `db`, with their types, nullability and defaults.
fn schema_of(postgres: &crate::servers::Postgres, db: &str) -> String {
    postgres.query_in(
        db,
        "SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, '') \
         FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, column_name",
    ) + &postgres.query_in(
        db,
        "SELECT c.relname, i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' ORDER BY c.relname",
    )
}

#[test]
fn a_deployed_database_keeps_its_rows_through_every_change() {
    if std::env::var_os("ESPRESSO_VALIDATE_DIR").is_none() {
        return crate::support::missing(
            "ESPRESSO_VALIDATE_DIR is not set, so the evolution against PostgreSQL (Node 24 from ../shared/validate) did not run",
        );
    }
    let Some(postgres) = crate::servers::Postgres::start() else {
        return crate::support::missing("PostgreSQL (Debian package `postgresql`) is not installed");
    };
    let node_bin = crate::e2e::node_bin("24");
    let path = std::env::join_paths(
        std::iter::once(node_bin.clone()).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap();
    for language in ["typescript", "javascript"] {
        let started = std::time::Instant::now();
        let sb = Sandbox::new();
        sb.run(&["new", "shop", "-q", "--language", language, "--database", "postgres"]).success();
        let dir = sb.path().join("shop");
        let npm = |args: &[&str], env: &[(&str, &str)]| {
            let out = std::process::Command::new("npm")
                .args(args)
                .current_dir(&dir)
                .env("PATH", &path)
                .envs(env.iter().copied())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{language}: npm {args:?} failed:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        // One install: adding and removing fields changes no dependency.
        npm(&["ci", "--no-audit", "--no-fund", "--prefer-offline"], &[]);
        let live_db = format!("evolution_{language}");
        let live = postgres.database(&live_db);
        let mut tests = 0;
        for (n, step) in steps().iter().enumerate() {
            for command in step.commands {
                run(&sb, command).success();
            }
            let applied = npm(&["run", "-s", "migrate"], &[("DATABASE_URL", &live)]);
            let env = [("DATABASE_URL".to_owned(), live.clone()), ("LOG_LEVEL".to_owned(), "warn".to_owned())];
            let log = sb.path().join(format!("service-{n}.log"));
            let (service, port) = crate::contract::spawn_service(&dir, &node_bin, &env, &log)
                .unwrap_or_else(|e| panic!("{language}, step {n} ({}): {e}", step.what));
            let api = Api { port, agent: ureq::Agent::config_builder().http_status_as_error(false).build().into() };
            if let Err(e) = (step.check)(&api) {
                panic!(
                    "{language}, step {n} ({}), after {}: {e}\n{}",
                    step.what,
                    applied.trim(),
                    fs::read_to_string(&log).unwrap_or_default()
                );
            }
            drop(service);
            // The project's own suite, lint and type check, on a fresh database: it starts from
            // an empty schema and must reach the one the live database reached step by step.
            let fresh_db = format!("evolution_{language}_fresh_{n}");
            let fresh = postgres.database(&fresh_db);
            let out = npm(&["test"], &[("DATABASE_URL", &fresh)]);
            assert!(out.contains("ℹ fail 0") && out.contains("ℹ skipped 0"), "{language}, step {n}: npm test\n{out}");
            tests =
                out.lines().find_map(|l| l.strip_prefix("ℹ pass ")).and_then(|p| p.trim().parse().ok()).unwrap_or(0);
            npm(&["run", "-s", "lint"], &[]);
            if language == "typescript" {
                npm(&["run", "-s", "typecheck"], &[]);
            }
            assert_eq!(
                schema_of(&postgres, &live_db),
                schema_of(&postgres, &fresh_db),
                "{language}, step {n}: the deployed database and a fresh one differ"
            );
        }
        let index = postgres
            .query_in(&live_db, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'orders_region_idx'::regclass");
        assert_eq!(index.trim(), "t", "{language}: the concurrently built index is valid");
        crate::support::tell(&format!(
            "evolution {language:<10} {} steps on PostgreSQL: rows kept, schemas equal, lint{} clean, {tests} tests pass at the end ({:.0?})",
            steps().len(),
            if language == "typescript" { " and type check" } else { "" },
            started.elapsed()
        ));
    }
}
