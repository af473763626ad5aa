//! `add resource` and `remove resource`: planned, checked, shown or applied, never losing the
//! user's work.

use crate::support::{Sandbox, espresso, repo_root, state_diff, tree_state};
use espresso::engine::change::plan_changes;
use espresso::model::project::{Project, ResourceSpec};
use espresso::model::resource::{Field, ResourceName};
use predicates::prelude::*;
use similar::TextDiff;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

const FIELDS: &[&str] = &[
    "--field",
    "title",
    "--field",
    "quantity:integer:default=1",
    "--field",
    "status:enum(open|paid)",
    "--field",
    "note:text:optional",
    "--field",
    "sku:string:unique",
];

/// A sandbox holding a fresh project `shop` made with `args` (in JavaScript unless they say).
fn project(args: &[&str]) -> Sandbox {
    let sb = Sandbox::new();
    let mut all = vec!["new", "shop", "-q", "--ci", "none"];
    all.extend_from_slice(args);
    // These tests were written against the JavaScript set; TypeScript ones say so.
    if !args.contains(&"--language") {
        all.extend(["--language", "javascript"]);
    }
    sb.run(&all).success();
    sb
}

fn in_shop(sb: &Sandbox, args: &[&str]) -> assert_cmd::assert::Assert {
    espresso().current_dir(sb.path().join("shop")).args(args).assert()
}

fn add_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["add", "resource", "order-item"];
    v.extend_from_slice(FIELDS);
    v.extend_from_slice(extra);
    v
}

/// The unified diff between two trees, in the format `--dry-run` prints.
fn tree_diff(before: &BTreeMap<PathBuf, Vec<u8>>, after: &BTreeMap<PathBuf, Vec<u8>>) -> String {
    let mut paths: Vec<&PathBuf> = before.keys().chain(after.keys()).collect();
    // By the path as text, as espresso prints them (`openapi.json` before `openapi/…`).
    paths.sort_by_key(|p| (p.as_path() == Path::new("espresso.toml"), p.to_string_lossy().into_owned()));
    paths.dedup();
    let mut out = String::new();
    for p in paths {
        let (a, b) = (before.get(p), after.get(p));
        if a == b {
            continue;
        }
        let text = |v: Option<&Vec<u8>>| v.map(|b| String::from_utf8(b.clone()).unwrap()).unwrap_or_default();
        let name = p.to_string_lossy();
        let old = if a.is_some() { format!("a/{name}") } else { "/dev/null".into() };
        let new = if b.is_some() { format!("b/{name}") } else { "/dev/null".into() };
        let (before_text, after_text) = (text(a), text(b));
        let diff = TextDiff::from_lines(before_text.as_str(), after_text.as_str());
        out.push_str(&diff.unified_diff().context_radius(3).header(&old, &new).to_string());
    }
    out
}

fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(repo_root().join("snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s
}

use crate::support::without_digests;

/// `tree` without its migrations and their record in espresso.toml: the history a change only
/// appends to, which `remove` therefore leaves longer.
fn without_history(mut tree: BTreeMap<PathBuf, Vec<u8>>) -> BTreeMap<PathBuf, Vec<u8>> {
    tree.retain(|p, _| !(p.starts_with("migrations") && p.extension().is_some_and(|e| e == "sql")));
    if let Some(toml) = tree.get_mut(Path::new("espresso.toml")) {
        let mut doc: toml_edit::DocumentMut = String::from_utf8(toml.clone()).unwrap().parse().unwrap();
        doc.remove("migrations");
        let text = doc.to_string();
        let kept: Vec<&str> = text
            .split_inclusive('\n')
            .filter(|l| !(l.len() > 66 && l[66..].starts_with("migrations/") && l.trim_end().ends_with(".sql")))
            .collect();
        *toml = kept.concat().into_bytes();
    }
    tree
}

/// The names of the migration files in a tree, in order.
fn migrations(tree: &BTreeMap<PathBuf, Vec<u8>>) -> Vec<String> {
    tree.keys()
        .filter(|p| p.starts_with("migrations") && p.extension().is_some_and(|e| e == "sql"))
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn add_then_remove_leaves_the_tree_byte_identical_but_for_appended_migrations() {
    for args in [&[][..], &["--database", "postgres", "--cache", "redis"][..]] {
        let sb = project(args);
        // A comment in espresso.toml must survive toml_edit's edits.
        let toml = sb.path().join("shop/espresso.toml");
        fs::write(&toml, format!("{}# my note\n", fs::read_to_string(&toml).unwrap())).unwrap();
        let before = sb.snapshot("shop");
        in_shop(&sb, &add_args(&["-q"])).success();
        assert!(fs::read_to_string(&toml).unwrap().contains("# my note"));
        in_shop(&sb, &["add", "resource", "customer", "--field", "email:email:unique", "-q"]).success();
        in_shop(&sb, &["add", "field", "customer", "vip:boolean:default=false", "-q"]).success();
        in_shop(&sb, &["remove", "field", "customer", "vip", "-q"]).success();
        in_shop(&sb, &["remove", "resource", "customer", "-q"]).success();
        in_shop(&sb, &["remove", "resource", "order-items", "-q"]).success();
        let after = sb.snapshot("shop");
        if args.is_empty() {
            assert_eq!(tree_diff(&before, &after), "", "{args:?}");
        } else {
            // Every file but the history is as it was; the history says what happened, in order.
            assert_eq!(tree_diff(&without_history(before), &without_history(after.clone())), "");
            assert_eq!(
                migrations(&after),
                [
                    "0001_create_order_items.sql",
                    "0002_create_customers.sql",
                    "0003_add_vip_to_customers.sql",
                    "0004_drop_vip_from_customers.sql",
                    "0005_drop_customers.sql",
                    "0006_drop_order_items.sql",
                ]
            );
        }
        let empty_dirs: Vec<_> = walkdir::WalkDir::new(sb.path().join("shop"))
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_dir() && fs::read_dir(e.path()).unwrap().next().is_none())
            .collect();
        assert!(empty_dirs.is_empty(), "{empty_dirs:?}");
    }
}

#[test]
fn dry_run_prints_exactly_the_diff_that_applying_makes_and_writes_nothing() {
    let sb = project(&["--database", "postgres"]);
    let before = sb.snapshot("shop");
    let shown = in_shop(&sb, &add_args(&["--dry-run"]))
        .success()
        .stderr(predicate::str::contains("nothing was written"))
        .get_output()
        .stdout
        .clone();
    assert_eq!(sb.snapshot("shop"), before, "--dry-run wrote something");
    in_shop(&sb, &add_args(&["-q"])).success();
    let applied = tree_diff(&before, &sb.snapshot("shop"));
    assert_eq!(String::from_utf8(shown).unwrap(), applied);
    snapshot_settings().bind(|| insta::assert_snapshot!("add-resource-postgres", without_digests(&applied)));

    let before_remove = sb.snapshot("shop");
    let shown = in_shop(&sb, &["remove", "resource", "order-item", "--dry-run"]).success().get_output().stdout.clone();
    assert_eq!(sb.snapshot("shop"), before_remove);
    in_shop(&sb, &["remove", "resource", "order-item", "-q"]).success();
    assert_eq!(String::from_utf8(shown).unwrap(), tree_diff(&before_remove, &sb.snapshot("shop")));
}

#[test]
fn add_resource_diff_matches_its_snapshot() {
    let sb = project(&["--deploy", "none"]);
    let before = sb.snapshot("shop");
    in_shop(&sb, &add_args(&["-q"])).success();
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("add-resource-memory", without_digests(&tree_diff(&before, &sb.snapshot("shop"))))
    });
}

#[test]
fn add_resource_diff_matches_its_snapshot_in_typescript() {
    let sb = project(&["--deploy", "none", "--language", "typescript"]);
    let before = sb.snapshot("shop");
    in_shop(&sb, &add_args(&["-q"])).success();
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("add-resource-typescript", without_digests(&tree_diff(&before, &sb.snapshot("shop"))))
    });
}

#[test]
fn status_lines_name_every_file_on_stderr() {
    let sb = project(&[]);
    in_shop(&sb, &add_args(&[])).success().stdout("").stderr(
        predicate::str::contains("  create src/routes/order-items.router.js")
            .and(predicate::str::contains("  update src/routes/index.js"))
            .and(predicate::str::contains("  update espresso.toml")),
    );
}

#[test]
fn the_users_code_outside_fences_survives_add_and_remove() {
    let sb = project(&[]);
    let index = sb.path().join("shop/src/routes/index.js");
    let original = fs::read_to_string(&index).unwrap();
    let edited = original.replace(
        "  const router = Router();\n",
        "  const router = Router();\n  router.get('/ping', (_req, res) => res.json({ pong: true })); // mine\n",
    );
    assert_ne!(edited, original);
    fs::write(&index, &edited).unwrap();
    in_shop(&sb, &add_args(&["-q"])).success();
    let with_resource = fs::read_to_string(&index).unwrap();
    assert!(
        with_resource.contains("// mine") && with_resource.contains("'v1/order-items': createOrderItemsRouter,"),
        "{with_resource}"
    );
    in_shop(&sb, &["remove", "resource", "order-item", "-q"]).success();
    assert_eq!(fs::read_to_string(&index).unwrap(), edited);
}

#[test]
fn an_existing_file_in_the_way_is_a_conflict_and_nothing_is_written() {
    let sb = project(&[]);
    let mine = sb.path().join("shop/src/routes/order-items.router.js");
    fs::write(&mine, "// my own router\n").unwrap();
    let before = sb.snapshot("shop");
    in_shop(&sb, &add_args(&[])).code(1).stderr(
        predicate::str::contains("src/routes/order-items.router.js (exists, and espresso needs to create it)")
            .and(predicate::str::contains("use `--force`")),
    );
    assert_eq!(sb.snapshot("shop"), before);
    in_shop(&sb, &add_args(&["--force", "-q"])).success();
    assert!(fs::read_to_string(&mine).unwrap().contains("createOrderItemsRouter"));
}

#[test]
fn remove_keeps_and_reports_generated_files_the_user_changed() {
    let sb = project(&[]);
    in_shop(&sb, &add_args(&["-q"])).success();
    let test = sb.path().join("shop/test/order-items.test.js");
    fs::write(&test, format!("{}// my extra case\n", fs::read_to_string(&test).unwrap())).unwrap();
    in_shop(&sb, &["remove", "resource", "order-item"]).success().stderr(
        predicate::str::contains("keep   test/order-items.test.js (you changed it")
            .and(predicate::str::contains("delete src/routes/order-items.router.js")),
    );
    assert!(test.exists());
    assert!(!sb.path().join("shop/src/routes/order-items.router.js").exists());
    assert!(!fs::read_to_string(sb.path().join("shop/espresso.toml")).unwrap().contains("test/order-items.test.js"));
}

#[test]
fn adding_what_exists_or_removing_what_does_not_is_a_usage_error() {
    let sb = project(&[]);
    in_shop(&sb, &add_args(&["-q"])).success();
    let before = sb.snapshot("shop");
    in_shop(&sb, &["add", "resource", "order-items", "--field", "x"])
        .code(2)
        .stderr(predicate::str::contains("resource `order-item` already exists"));
    in_shop(&sb, &["remove", "resource", "invoice"]).code(2).stderr(
        predicate::str::contains("resource `invoice` does not exist").and(predicate::str::contains("`order-item`")),
    );
    in_shop(&sb, &["add", "resource", "invoice"]).code(2).stderr(predicate::str::contains("needs at least one field"));
    in_shop(&sb, &["add", "resource", "invoice", "--field", "total:money"])
        .code(2)
        .stderr(predicate::str::contains("unknown type `money`").and(predicate::str::contains("enum(a|b|c)")));
    in_shop(&sb, &["add", "resource", "invoice", "--field", "a", "--field", "a:integer"])
        .code(2)
        .stderr(predicate::str::contains("given twice"));
    in_shop(&sb, &["add", "resource", "Invoice", "--field", "a"]).code(2);
    assert_eq!(sb.snapshot("shop"), before);
}

#[test]
fn a_broken_fence_is_a_hard_error_naming_the_file_and_the_remedy() {
    let sb = project(&[]);
    let index = sb.path().join("shop/src/routes/index.js");
    let text = fs::read_to_string(&index).unwrap();
    fs::write(&index, text.replace("  // espresso:end routes\n", "")).unwrap();
    fs::write(&index, format!("// mine\n{}", fs::read_to_string(&index).unwrap())).unwrap();
    let before = sb.snapshot("shop");
    in_shop(&sb, &add_args(&[])).code(1).stderr(
        predicate::str::contains("src/routes/index.js:")
            .and(predicate::str::contains("fence `routes` is never closed"))
            .and(predicate::str::contains("hint: add an `espresso:end routes` line")),
    );
    assert_eq!(sb.snapshot("shop"), before);
}

#[test]
fn crlf_line_endings_are_kept() {
    let sb = project(&[]);
    let index = sb.path().join("shop/src/routes/index.js");
    fs::write(&index, fs::read_to_string(&index).unwrap().replace('\n', "\r\n")).unwrap();
    in_shop(&sb, &add_args(&["-q"])).success();
    let text = fs::read_to_string(&index).unwrap();
    assert!(text.contains("'v1/order-items': createOrderItemsRouter,\r\n"));
    assert!(!text.replace("\r\n", "").contains('\n'), "every line ends in CRLF");
}

#[test]
fn outside_a_project_or_with_a_broken_project_file_the_error_says_so() {
    let sb = Sandbox::new();
    sb.run(&add_args(&[])).code(2).stderr(
        predicate::str::contains("not inside an espresso project").and(predicate::str::contains("espresso new <name>")),
    );
    let sb = project(&[]);
    let toml = sb.path().join("shop/espresso.toml");
    fs::write(&toml, fs::read_to_string(&toml).unwrap().replace("name = \"shop\"", "name = shop\"")).unwrap();
    in_shop(&sb, &add_args(&[])).code(1).stderr(predicate::str::contains("espresso.toml:9:8: missing opening quote"));
}

#[test]
fn a_real_failure_half_way_restores_every_file_and_directory() {
    // Not injected: after planning, someone makes a directory where a new file must go, so its
    // rename fails once the files before it (and the new directories) were written.
    let sb = project(&["--database", "postgres"]);
    let root = sb.path().join("shop");
    let mut project = Project::load(&root).unwrap();
    let mut spec = project.spec.clone();
    let fields = ["title", "sku:string:unique"].iter().map(|f| Field::parse(f).unwrap()).collect();
    spec.resources.push(ResourceSpec {
        name: ResourceName::parse("order-item").unwrap(),
        fields,
        protected: false,
        api: "v1".into(),
        events: false,
    });
    let changes = plan_changes(&mut project, &spec, false).unwrap();
    let new_files: Vec<_> = changes.changes.iter().filter(|c| c.before.is_none()).collect();
    let middle = new_files[new_files.len() / 2];
    fs::create_dir_all(root.join(&middle.path).join("mine")).unwrap();
    let before = tree_state(&root);
    let mut written = Vec::new();
    let err = changes.apply(&mut |_, path| written.push(path.to_owned())).unwrap_err();
    assert!(!written.is_empty(), "the failure came before any file was written");
    assert!(format!("{err:#}").contains("every file was restored"), "{err:#}");
    let after = tree_state(&root);
    assert!(after == before, "{:?}", state_diff(&before, &after));
}

#[test]
fn middleware_is_listed_added_in_chain_order_and_removed_exactly() {
    let sb = project(&["--database", "postgres"]);
    let before = sb.snapshot("shop");
    in_shop(&sb, &["list", "middleware"])
        .success()
        .stdout(predicate::str::contains("  request-timeout ").and(predicate::str::contains("  api-key ")));
    in_shop(&sb, &["add", "middleware", "api-key", "-q"]).success();
    in_shop(&sb, &add_args(&["-q"])).success();
    in_shop(&sb, &["add", "middleware", "request-timeout", "-q"]).success();
    in_shop(&sb, &["list", "middleware"])
        .success()
        .stdout(predicate::str::contains("* request-timeout").and(predicate::str::contains("* api-key")));
    let app = fs::read_to_string(sb.path().join("shop/src/app.js")).unwrap();
    let (timeout, key) =
        (app.find("app.use(requestTimeout(config));").unwrap(), app.find("app.use('/api', apiKey(config));").unwrap());
    assert!(timeout < key, "chain order follows the kinds' positions, not the order of the commands");
    let schema = fs::read_to_string(sb.path().join("shop/config.schema.json")).unwrap();
    assert!(schema.contains("\"API_KEYS\"") && schema.contains("\"REQUEST_HANDLER_TIMEOUT_MS\""));
    assert!(sb.path().join("shop/k8s/secret.example.yaml").exists(), "a secret variable brings the Secret");
    assert!(fs::read_to_string(sb.path().join("shop/README.md")).unwrap().contains("| `API_KEYS` |"));

    in_shop(&sb, &["add", "middleware", "api-key"]).code(2).stderr(predicate::str::contains("already in the project"));
    in_shop(&sb, &["add", "middleware", "xss-clean"])
        .code(2)
        .stderr(predicate::str::contains("unknown middleware `xss-clean`").and(predicate::str::contains("`api-key`")));
    in_shop(&sb, &["remove", "middleware", "api-key", "-q"]).success();
    in_shop(&sb, &["remove", "middleware", "api-key"])
        .code(2)
        .stderr(predicate::str::contains("is not in the project"));
    in_shop(&sb, &["remove", "resource", "order-item", "-q"]).success();
    in_shop(&sb, &["remove", "middleware", "request-timeout", "-q"]).success();
    assert_eq!(tree_diff(&without_history(before), &without_history(sb.snapshot("shop"))), "");
}

#[test]
fn a_readme_the_user_edited_keeps_their_text_when_middleware_adds_configuration() {
    let sb = project(&[]);
    let readme = sb.path().join("shop/README.md");
    let mine = format!("{}\n## Our notes\n\nOn call: team orders.\n", fs::read_to_string(&readme).unwrap());
    fs::write(&readme, &mine).unwrap();
    in_shop(&sb, &["add", "middleware", "api-key", "-q"]).success();
    let text = fs::read_to_string(&readme).unwrap();
    assert!(text.contains("On call: team orders.") && text.contains("| `API_KEYS` |"), "{text}");
    in_shop(&sb, &["remove", "middleware", "api-key", "-q"]).success();
    assert_eq!(fs::read_to_string(&readme).unwrap(), mine);
}

#[test]
fn auth_jwt_protects_the_chosen_resources_and_its_removal_unprotects_them() {
    let sb = project(&[]);
    in_shop(&sb, &add_args(&["-q"])).success();
    in_shop(&sb, &["add", "resource", "customer", "--field", "name", "-q"]).success();
    let before = sb.snapshot("shop");
    in_shop(&sb, &["add", "resource", "invoice", "--field", "total:number", "--protect"]).code(2).stderr(
        predicate::str::contains("`--protect` needs the `auth-jwt` middleware")
            .and(predicate::str::contains("espresso add middleware auth-jwt")),
    );
    in_shop(&sb, &["add", "middleware", "auth-jwt", "--protect", "invoice"])
        .code(2)
        .stderr(predicate::str::contains("resource `invoice` does not exist"));
    in_shop(&sb, &["add", "middleware", "compression", "--protect", "customer"])
        .code(2)
        .stderr(predicate::str::contains("`--protect` goes with"));
    assert_eq!(sb.snapshot("shop"), before);

    in_shop(&sb, &["add", "middleware", "auth-jwt", "--protect", "order-item", "-q"]).success();
    let router = |name: &str| fs::read_to_string(sb.path().join(format!("shop/src/routes/{name}.router.js"))).unwrap();
    assert!(router("order-items").contains("router.use(authenticate(config));"));
    assert!(router("order-items").contains(".post(write, controller.create)"));
    assert!(!router("customers").contains("authenticate"));
    assert!(fs::read_to_string(sb.path().join("shop/espresso.toml")).unwrap().contains("protected = true"));
    in_shop(&sb, &["remove", "middleware", "auth-jwt", "-q"]).success();
    assert_eq!(tree_diff(&before, &sb.snapshot("shop")), "");
}

#[test]
fn the_cache_middleware_needs_a_redis_project() {
    let sb = project(&[]);
    let before = sb.snapshot("shop");
    in_shop(&sb, &["add", "middleware", "cache"]).code(2).stderr(
        predicate::str::contains("needs the project's cache to be `redis`")
            .and(predicate::str::contains("--cache redis")),
    );
    assert_eq!(sb.snapshot("shop"), before);

    let sb = project(&["--cache", "redis"]);
    let before = sb.snapshot("shop");
    in_shop(&sb, &add_args(&["-q"])).success();
    in_shop(&sb, &["add", "middleware", "cache", "-q"]).success();
    let app = fs::read_to_string(sb.path().join("shop/src/app.js")).unwrap();
    assert!(app.contains("app.use('/api', responseCache(config, dependencies['redis']));"));
    in_shop(&sb, &["remove", "middleware", "cache", "-q"]).success();
    in_shop(&sb, &["remove", "resource", "order-item", "-q"]).success();
    assert_eq!(tree_diff(&before, &sb.snapshot("shop")), "");
}

#[test]
fn a_lockfile_npm_rewrote_is_left_to_npm_with_advice() {
    let sb = project(&[]);
    let lock = sb.path().join("shop/package-lock.json");
    let mine = fs::read_to_string(&lock).unwrap().replacen(
        "\"lockfileVersion\": 3",
        "\"lockfileVersion\": 3,\n  \"requires\": true",
        1,
    );
    fs::write(&lock, &mine).unwrap();
    in_shop(&sb, &["add", "middleware", "compression"]).success().stderr(
        predicate::str::contains("note   package-lock.json was changed by npm")
            .and(predicate::str::contains("run `npm install`")),
    );
    assert_eq!(fs::read_to_string(&lock).unwrap(), mine);
    assert!(fs::read_to_string(sb.path().join("shop/package.json")).unwrap().contains("\"compression\""));
}

#[test]
fn a_compose_file_the_user_extended_takes_new_configuration() {
    let sb = project(&[]);
    let compose = sb.path().join("shop/compose.yaml");
    let mine = format!(
        "{}\n  mailpit:\n    image: axllent/mailpit:v1.27\n",
        fs::read_to_string(&compose).unwrap().trim_end_matches('\n')
    );
    let mine = mine.replace("\n  mailpit:", "\n\n  mailpit:");
    fs::write(&compose, &mine).unwrap();
    in_shop(&sb, &["add", "middleware", "rate-limit", "-q"]).success();
    let text = fs::read_to_string(&compose).unwrap();
    assert!(text.contains("RATE_LIMIT_MAX: \"300\"") && text.contains("mailpit:"), "{text}");
    in_shop(&sb, &["remove", "middleware", "rate-limit", "-q"]).success();
    assert_eq!(fs::read_to_string(&compose).unwrap(), mine);
}

#[test]
fn tracing_changes_every_start_command_and_brings_the_clients_instrumentations() {
    let sb = project(&["--database", "postgres", "--cache", "redis", "--deploy", "docker,compose"]);
    let before = sb.snapshot("shop");
    in_shop(&sb, &["add", "middleware", "tracing", "-q"]).success();
    let after = sb.snapshot("shop");
    let text = |path: &str| String::from_utf8(after[Path::new(path)].clone()).unwrap();

    let pkg: serde_json::Value = serde_json::from_str(&text("package.json")).unwrap();
    assert_eq!(pkg["scripts"]["start"], "node --import ./src/instrumentation.js src/server.js");
    assert!(pkg["dependencies"]["@opentelemetry/instrumentation-pg"].is_string());
    assert!(pkg["dependencies"]["@opentelemetry/instrumentation-redis"].is_string());
    let lock: serde_json::Value = serde_json::from_str(&text("package-lock.json")).unwrap();
    assert!(lock["packages"]["node_modules/@opentelemetry/instrumentation-pg"].is_object());
    assert!(text("Dockerfile").contains(r#"CMD ["node", "--import", "./dist/instrumentation.js", "dist/server.js"]"#));
    // The image's bundle gains the instrumentation as an entry, and leaves the packages it hooks
    // in node_modules.
    let build = text("scripts/build.mjs");
    assert!(
        build.contains("instrumentation: 'src/instrumentation.js',") && build.contains("packages: 'external',"),
        "{build}"
    );
    assert!(text("compose.yaml").contains("OTEL_EXPORTER_OTLP_ENDPOINT: \"http://jaeger:4318\""));

    // The lockfile's diff is npm's business; every other line of the change is reviewed here.
    let mut without_lock = after.clone();
    without_lock.insert("package-lock.json".into(), before[Path::new("package-lock.json")].clone());
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("add-middleware-tracing", without_digests(&tree_diff(&before, &without_lock)))
    });

    in_shop(&sb, &["remove", "middleware", "tracing", "-q"]).success();
    assert_eq!(tree_diff(&before, &sb.snapshot("shop")), "");
}

#[test]
fn tracing_in_a_project_without_clients_brings_no_instrumentation_of_them() {
    let sb = project(&["--deploy", "none"]);
    in_shop(&sb, &["add", "middleware", "tracing", "-q"]).success();
    let pkg = fs::read_to_string(sb.path().join("shop/package.json")).unwrap();
    assert!(pkg.contains("@opentelemetry/instrumentation-http"));
    assert!(!pkg.contains("instrumentation-pg") && !pkg.contains("instrumentation-redis"));
    let tracing = fs::read_to_string(sb.path().join("shop/src/tracing.js")).unwrap();
    assert!(!tracing.contains("Pg") && !tracing.contains("Redis"));
}

#[test]
fn every_conflict_is_reported_at_once_and_nothing_is_written() {
    // Tracing changes the start command of the Dockerfile and of compose, outside any fence, and
    // creates src/instrumentation.js: the user edited both and has a file of that name.
    let sb = project(&["--deploy", "docker,compose"]);
    let root = sb.path().join("shop");
    for path in ["Dockerfile", "compose.yaml"] {
        let file = root.join(path);
        fs::write(&file, format!("# edited by hand\n{}", fs::read_to_string(&file).unwrap())).unwrap();
    }
    fs::write(root.join("src/instrumentation.js"), "// my own instrumentation\n").unwrap();
    let before = tree_state(&root);
    let out = in_shop(&sb, &["add", "middleware", "tracing"]).code(1).get_output().stderr.clone();
    let said = String::from_utf8_lossy(&out);
    let listed: Vec<&str> = said.lines().filter(|l| l.starts_with("  ")).map(str::trim).collect();
    assert_eq!(
        listed,
        ["Dockerfile", "compose.yaml", "src/instrumentation.js (exists, and espresso needs to create it)"],
        "{said}"
    );
    assert!(said.contains("3 file(s) changed") && said.contains("nothing was written") && said.contains("--force"));
    let after = tree_state(&root);
    assert!(after == before, "{:?}", state_diff(&before, &after));
}

#[test]
fn package_json_the_user_edited_is_merged_three_ways() {
    let sb = project(&[]);
    let path = sb.path().join("shop/package.json");
    let mut pkg: serde_json::Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    pkg["scripts"]["release"] = "npm version patch".into();
    pkg["dependencies"]["left-pad"] = "^1.3.0".into();
    fs::write(&path, format!("{}\n", serde_json::to_string_pretty(&pkg).unwrap())).unwrap();
    in_shop(&sb, &["add", "middleware", "compression", "-q"]).success();
    let merged: serde_json::Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(merged["scripts"]["release"], "npm version patch", "the user's script was lost");
    assert_eq!(merged["dependencies"]["left-pad"], "^1.3.0", "the user's dependency was lost");
    assert!(merged["dependencies"]["compression"].is_string(), "espresso's dependency is missing");
    let keys: Vec<&String> = merged["dependencies"].as_object().unwrap().keys().collect();
    assert!(keys.iter().position(|k| *k == "left-pad") < keys.iter().position(|k| *k == "compression"));
    in_shop(&sb, &["remove", "middleware", "compression", "-q"]).success();
    let back: serde_json::Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(back, pkg, "removing the middleware kept more than the user's edits");

    // Both sides set the same key to different values: a conflict, and nothing is written.
    pkg["dependencies"]["compression"] = "^1.0.0".into();
    fs::write(&path, format!("{}\n", serde_json::to_string_pretty(&pkg).unwrap())).unwrap();
    let before = tree_state(&sb.path().join("shop"));
    in_shop(&sb, &["add", "middleware", "compression"]).code(1).stderr(predicate::str::contains("package.json"));
    assert!(tree_state(&sb.path().join("shop")) == before);
}

#[test]
fn middleware_that_every_operation_answers_for_is_in_every_fragment() {
    // api-key and rate-limit add 401 and 429 to every operation: an existing resource's fragment
    // must say so, although the resource itself did not change.
    let sb = project(&[]);
    in_shop(&sb, &add_args(&["-q"])).success();
    let before = sb.snapshot("shop");
    let fragment = || {
        let text = fs::read_to_string(sb.path().join("shop/openapi/order-items.json")).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap()
    };
    let statuses = |doc: &serde_json::Value| {
        doc["paths"]["/v1/order-items/{id}"]["delete"]["responses"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(statuses(&fragment()), ["204", "400", "404"]);
    in_shop(&sb, &["add", "middleware", "api-key", "-q"]).success();
    in_shop(&sb, &["add", "middleware", "rate-limit", "-q"]).success();
    assert_eq!(statuses(&fragment()), ["204", "400", "401", "404", "429"]);
    let base: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(sb.path().join("shop/openapi.json")).unwrap()).unwrap();
    assert_eq!(base["security"], serde_json::json!([{ "apiKey": [] }]));
    assert_eq!(base["components"]["securitySchemes"]["apiKey"]["name"], "X-API-Key");

    in_shop(&sb, &["add", "middleware", "auth-jwt", "--protect", "order-item", "-q"]).success();
    let delete = &fragment()["paths"]["/v1/order-items/{id}"]["delete"];
    assert_eq!(delete["security"], serde_json::json!([{ "apiKey": [], "bearerAuth": [] }]));
    assert!(delete["responses"]["403"].is_object(), "a write needs the writer role: {delete:#}");
    assert!(fragment()["paths"]["/v1/order-items/{id}"]["get"]["responses"]["403"].is_null());

    for kind in ["auth-jwt", "rate-limit", "api-key"] {
        in_shop(&sb, &["remove", "middleware", kind, "-q"]).success();
    }
    assert_eq!(tree_diff(&before, &sb.snapshot("shop")), "");
}
