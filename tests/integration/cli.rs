//! The command line: exit codes, messages, and what is (not) written.

use crate::support::{Sandbox, espresso, plan, read_tree, variants};
use espresso::engine::apply::{TargetState, write_new};
use espresso::engine::plan::{Plan, PlannedFile};
use espresso::model::options::Choices;
use predicates::prelude::*;
use std::fs;

#[test]
fn help_teaches_with_examples() {
    espresso().arg("--help").assert().success().stdout(
        predicate::str::contains("Examples:").and(predicate::str::contains("espresso new orders --database postgres")),
    );
    espresso().args(["new", "--help"]).assert().success().stdout(predicate::str::contains("--deploy <TARGETS>"));
}

#[test]
fn version_is_printed() {
    espresso().arg("--version").assert().success().stdout(format!("espresso {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn new_writes_the_project_and_reports_each_file_on_stderr() {
    let sb = Sandbox::new();
    sb.run(&["new", "orders", "--yes"])
        .success()
        .stdout("")
        .stderr(predicate::str::contains("  create src/app.ts").and(predicate::str::contains("Created orders (")));
    let tree = sb.snapshot("orders");
    for path in [
        "package.json",
        "package-lock.json",
        "config.schema.json",
        "Dockerfile",
        "k8s/base/deployment.yaml",
        ".github/workflows/ci.yml",
        "espresso.toml",
    ] {
        assert!(tree.contains_key(std::path::Path::new(path)), "{path} was not written");
    }
    assert_eq!(sb.entries(), ["orders"], "no staging directory is left beside the project");
}

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let sb = Sandbox::new();
    sb.run(&["new", "orders", "--dry-run"]).success().stdout(
        predicate::str::contains("would create orders (")
            .and(predicate::str::contains("create src/app.ts ("))
            .and(predicate::str::contains("nothing was written")),
    );
    assert!(sb.entries().is_empty());
}

#[test]
fn invalid_names_are_usage_errors_that_write_nothing() {
    let sb = Sandbox::new();
    let long = "a".repeat(51);
    let cases: [(&str, &str); 8] = [
        ("Orders", "must be lowercase"),
        ("../orders", "path separators"),
        ("a/b", "path separators"),
        ("http", "Node.js core module"),
        ("class", "reserved"),
        ("my_service", "`_` is not allowed"),
        ("9lives", "start with a lowercase letter"),
        (&long, "limit is 50"),
    ];
    for (name, why) in cases {
        sb.run(&["new", name]).code(2).stderr(
            predicate::str::contains(format!("error: invalid project name `{name}`"))
                .and(predicate::str::contains(why))
                .and(predicate::str::contains("hint:")),
        );
    }
    assert!(sb.entries().is_empty());
}

#[test]
fn unknown_option_values_list_the_valid_ones() {
    let sb = Sandbox::new();
    sb.run(&["new", "orders", "--database", "mysql"])
        .code(2)
        .stderr(predicate::str::contains("[possible values: none, postgres]"));
    sb.run(&["new", "orders", "--deploy", "docker,openshift"]).code(2).stderr(predicate::str::contains(
        "[possible values: docker, compose, kubernetes, monitoring, nginx, pm2, helm, ecs, none]",
    ));
    sb.run(&["new", "orders", "--node", "22"]).code(2).stderr(predicate::str::contains("[possible values: 24, 26]"));
    assert!(sb.entries().is_empty());
}

#[test]
fn a_target_that_needs_another_brings_it_and_says_so() {
    let sb = Sandbox::new();
    sb.run(&["new", "orders", "--deploy", "compose,ecs", "--ci", "none"]).success().stderr(
        predicate::str::contains("note   adding `docker` too: `compose` needs it")
            .and(predicate::str::contains("compose files build the service's image")),
    );
    let record = fs::read_to_string(sb.path().join("orders/espresso.toml")).unwrap();
    assert!(record.contains("deploy = [\"docker\", \"compose\", \"ecs\"]"), "{record}");
    assert!(sb.path().join("orders/Dockerfile").is_file());
}

#[test]
fn impossible_combinations_name_the_fix() {
    let sb = Sandbox::new();
    sb.run(&["new", "orders", "--deploy", "none,docker"])
        .code(2)
        .stderr(predicate::str::contains("`--deploy none` cannot be combined"));
    sb.run(&["new", "orders", "--ci", "github,none"])
        .code(2)
        .stderr(predicate::str::contains("`--ci none` cannot be combined"));
    assert!(sb.entries().is_empty());
}

#[test]
fn a_non_empty_target_needs_force_and_is_left_untouched() {
    let sb = Sandbox::new();
    fs::create_dir(sb.path().join("orders")).unwrap();
    fs::write(sb.path().join("orders/notes.txt"), "mine").unwrap();
    let before = sb.snapshot("orders");
    sb.run(&["new", "orders"]).code(2).stderr(
        predicate::str::contains("destination `orders` already exists and is not empty")
            .and(predicate::str::contains("use `--force`")),
    );
    assert_eq!(sb.snapshot("orders"), before);
}

#[test]
fn a_file_in_the_way_is_a_usage_error() {
    let sb = Sandbox::new();
    fs::write(sb.path().join("orders"), "x").unwrap();
    sb.run(&["new", "orders"]).code(2).stderr(predicate::str::contains("exists and is not a directory"));
}

#[test]
fn force_writes_generated_files_and_keeps_the_users_other_files() {
    let sb = Sandbox::new();
    fs::create_dir(sb.path().join("orders")).unwrap();
    fs::write(sb.path().join("orders/notes.txt"), "mine").unwrap();
    fs::write(sb.path().join("orders/package.json"), "{}").unwrap();
    sb.run(&["new", "orders", "--force", "-q"]).success().stderr("");
    let tree = sb.snapshot("orders");
    assert_eq!(tree[std::path::Path::new("notes.txt")], b"mine");
    assert!(String::from_utf8_lossy(&tree[std::path::Path::new("package.json")]).contains("\"name\": \"orders\""));
    assert_eq!(sb.entries(), ["orders"], "no staging or backup directory is left");
}

#[test]
fn an_empty_target_directory_is_filled() {
    let sb = Sandbox::new();
    fs::create_dir(sb.path().join("orders")).unwrap();
    sb.run(&["new", "orders", "-q"]).success();
    assert!(sb.path().join("orders/src/server.ts").is_file());
}

#[test]
fn typescript_is_the_default_language() {
    let sb = Sandbox::new();
    sb.run(&["new", "orders", "--dir", "default", "-q"]).success();
    sb.run(&["new", "orders", "--dir", "typescript", "-q", "--language", "typescript"]).success();
    assert_eq!(sb.snapshot("default"), sb.snapshot("typescript"), "`new` without --language is not TypeScript");
}

#[test]
fn dir_and_directory_flags_choose_where_to_write() {
    let sb = Sandbox::new();
    fs::create_dir(sb.path().join("work")).unwrap();
    sb.run(&["-C", "work", "new", "orders", "--dir", "services/orders-api", "-q"]).success();
    assert!(sb.path().join("work/services/orders-api/package.json").is_file());
    sb.run(&["-C", "missing", "new", "orders"]).code(2).stderr(predicate::str::contains("no such directory"));
}

#[test]
fn an_unwritable_location_fails_with_status_1_and_leaves_nothing() {
    let sb = Sandbox::new();
    fs::write(sb.path().join("blocker"), "a file, not a directory").unwrap();
    sb.run(&["new", "orders", "--dir", "blocker/sub/orders"]).code(1).stderr(
        predicate::str::contains("error: cannot inspect `blocker/sub/orders`")
            .and(predicate::str::contains("Not a directory")),
    );
    assert_eq!(sb.entries(), ["blocker"]);
}

#[test]
fn a_failure_half_way_through_writing_leaves_nothing_behind() {
    let sb = Sandbox::new();
    let target = sb.path().join("nested/orders");
    // The second file needs `a` to be a directory, but the first made it a file.
    let file = |p: &str| PlannedFile { path: p.into(), contents: "x".into(), executable: false };
    let broken = Plan { files: vec![file("README.md"), file("a"), file("a/b")] };
    assert!(write_new(&broken, &target, TargetState::Missing).is_err());
    assert!(sb.entries().is_empty(), "left behind: {:?}", sb.entries());

    fs::create_dir(sb.path().join("orders")).unwrap();
    fs::write(sb.path().join("orders/README.md"), "the user's").unwrap();
    fs::write(sb.path().join("orders/a"), "the user's").unwrap();
    let before = sb.snapshot("orders");
    let broken = Plan { files: vec![file("README.md"), file("new.txt"), file("a/b")] };
    assert!(write_new(&broken, &sb.path().join("orders"), TargetState::NonEmpty).is_err());
    assert_eq!(sb.snapshot("orders"), before, "a forced write that fails restores every file");
    assert_eq!(sb.entries(), ["orders"]);
}

/// What `espresso new <flags>` writes is exactly the plan of the choices those flags mean: no flag
/// is ignored on its way from clap to the planner (the snapshot and hygiene tests plan from
/// `Choices` directly, so they cannot see that).
#[test]
fn every_flag_reaches_the_files_new_writes() {
    use espresso::cli::{Cache, Database, Ingress, NodeVersion};
    use espresso::model::options::{Ci, Deploy};
    let mut cases: Vec<(String, Vec<&str>, Choices)> =
        variants().into_iter().map(|v| (v.name.to_owned(), v.args.to_vec(), v.choices)).collect();
    let extra: [(&str, &[&str], Choices); 3] = [
        (
            "gateway",
            &["--ingress", "gateway", "--deploy", "kubernetes,helm", "--ci", "gitlab", "--node", "26"],
            Choices {
                deploy: vec![Deploy::Kubernetes, Deploy::Helm],
                ci: vec![Ci::Gitlab],
                node: NodeVersion::V26,
                ingress: Ingress::Gateway,
                ..Choices::default()
            },
        ),
        (
            "redis-ecs",
            &["--cache", "redis", "--deploy", "ecs,pm2,nginx,monitoring", "--ci", "github,gitlab"],
            Choices {
                cache: Cache::Redis,
                deploy: vec![Deploy::Docker, Deploy::Monitoring, Deploy::Nginx, Deploy::Pm2, Deploy::Ecs],
                ci: Ci::ALL.to_vec(),
                ..Choices::default()
            },
        ),
        (
            "postgres-26-none",
            &["--database", "postgres", "--node", "26", "--deploy", "none", "--ci", "none"],
            Choices {
                database: Database::Postgres,
                node: NodeVersion::V26,
                deploy: vec![],
                ci: vec![],
                ..Choices::default()
            },
        ),
    ];
    cases.extend(extra.into_iter().map(|(n, a, c)| (n.to_owned(), a.to_vec(), c)));
    let sb = Sandbox::new();
    for (name, args, choices) in cases {
        let dir = format!("p-{name}");
        let mut all = vec!["new", "orders", "--dir", dir.as_str(), "-q", "--yes"];
        all.extend(&args);
        sb.run(&all).success();
        let written = read_tree(&sb.path().join(&dir));
        let planned = plan("orders", &choices);
        let expected: std::collections::BTreeMap<_, _> =
            planned.files.iter().map(|f| (std::path::PathBuf::from(&f.path), f.contents.as_bytes().to_vec())).collect();
        let differ: Vec<_> = expected
            .keys()
            .chain(written.keys())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .filter(|p| written.get(*p) != expected.get(*p))
            .collect();
        assert!(differ.is_empty(), "{name} ({args:?}): written and planned differ in {differ:?}");
        #[cfg(unix)]
        for f in &planned.files {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(sb.path().join(&dir).join(&f.path)).unwrap().permissions().mode();
            assert_eq!(mode & 0o111 != 0, f.executable, "{name}: mode of {}", f.path);
        }
    }
}

#[test]
fn output_is_deterministic() {
    let sb = Sandbox::new();
    sb.run(&["new", "one", "--dir", "a", "-q", "--database", "postgres"]).success();
    sb.run(&["new", "one", "--dir", "b", "-q", "--database", "postgres"]).success();
    assert_eq!(read_tree(&sb.path().join("a")), read_tree(&sb.path().join("b")));
    assert_eq!(plan("one", &Choices::default()), plan("one", &Choices::default()));
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let sb = Sandbox::new();
    let out = sb.run(&["--color", "always", "new", "a"]).success().get_output().stderr.clone();
    assert!(String::from_utf8_lossy(&out).contains("\u{1b}["), "--color always colours");
    let out = espresso()
        .current_dir(sb.path())
        .env("NO_COLOR", "1")
        .args(["new", "b"])
        .assert()
        .success()
        .get_output()
        .stderr
        .clone();
    assert!(!String::from_utf8_lossy(&out).contains('\u{1b}'), "NO_COLOR disables colour");
    let out = sb.run(&["--color", "never", "new", "c", "--database", "oracle"]).code(2).get_output().stderr.clone();
    assert!(!String::from_utf8_lossy(&out).contains('\u{1b}'));
}

#[test]
fn without_a_terminal_the_defaults_apply_and_are_recorded() {
    let sb = Sandbox::new();
    sb.run(&["new", "orders", "-q"]).success();
    let record = fs::read_to_string(sb.path().join("orders/espresso.toml")).unwrap();
    for line in [
        "database = \"none\"",
        "cache = \"none\"",
        "deploy = [\"docker\", \"compose\", \"kubernetes\"]",
        "ci = [\"github\"]",
        "node = \"24\"",
    ] {
        assert!(record.contains(line), "espresso.toml lacks {line}:\n{record}");
    }
}
