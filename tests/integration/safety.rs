//! Crash safety and serialised changes, tested on real processes: a change is killed with SIGKILL
//! at each of its fault points (and at random instants), and the next command must leave the
//! project exactly as it was before the change or exactly as the change would have left it, with
//! no temporary file and no journal; failures injected in-process restore everything; two
//! commands started together never lose each other's work.

use crate::support::{
    Sandbox, copy_tree, espresso, espresso_process, fault_points, kill_at, state_diff, tell, tree_state,
};
use predicates::prelude::*;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

type State = BTreeMap<PathBuf, crate::support::Node>;

/// A change to try: the project it starts from and the command.
struct Scenario {
    name: &'static str,
    new_args: &'static [&'static str],
    /// Commands run (and hand edits made) to reach the starting state.
    setup: fn(&Path),
    command: &'static [&'static str],
}

fn run_in(dir: &Path, args: &[&str]) {
    espresso().current_dir(dir).args(args).arg("-q").assert().success();
}

fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "add resource to a PostgreSQL project (new directories, a migration)",
            new_args: &["--database", "postgres", "--deploy", "docker,compose", "--ci", "none"],
            setup: |_| {},
            command: &["add", "resource", "order-item", "--field", "title", "--field", "sku:string:unique"],
        },
        Scenario {
            name: "remove resource (files deleted, emptied directories removed)",
            new_args: &["--deploy", "none", "--ci", "none"],
            setup: |dir| run_in(dir, &["add", "resource", "order-item", "--field", "title"]),
            command: &["remove", "resource", "order-item"],
        },
        Scenario {
            name: "sync after a hand edit of config.schema.json",
            new_args: &["--deploy", "docker,compose,kubernetes,helm", "--ci", "none"],
            setup: |dir| {
                let path = dir.join("config.schema.json");
                let text = fs::read_to_string(&path).unwrap();
                let mut schema: serde_json::Value = serde_json::from_str(&text).unwrap();
                schema["properties"]["FEATURE_FLAGS"] =
                    serde_json::json!({ "type": "string", "description": "Enabled features.", "default": "beta" });
                fs::write(&path, format!("{}\n", serde_json::to_string_pretty(&schema).unwrap())).unwrap();
            },
            command: &["sync"],
        },
        Scenario {
            name: "add middleware tracing (package.json, lockfile, start commands)",
            new_args: &["--deploy", "docker", "--ci", "none"],
            setup: |_| {},
            command: &["add", "middleware", "tracing"],
        },
        Scenario {
            name: "add deployment kubernetes (a tree of new directories)",
            new_args: &["--deploy", "none", "--ci", "none"],
            setup: |_| {},
            command: &["add", "deployment", "kubernetes"],
        },
    ]
}

/// A prepared scenario: its starting tree, kept pristine, and the states before and after.
struct Prepared {
    sandbox: Sandbox,
    start: PathBuf,
    before: State,
    after: State,
    points: Vec<String>,
    copies: std::cell::Cell<usize>,
}

impl Prepared {
    fn new(s: &Scenario) -> Self {
        let sandbox = Sandbox::new();
        let mut args = vec!["new", "shop", "-q", "--language", "javascript"];
        args.extend_from_slice(s.new_args);
        sandbox.run(&args).success();
        let start = sandbox.path().join("shop");
        (s.setup)(&start);
        let before = tree_state(&start);
        let done = sandbox.path().join("done");
        copy_tree(&start, &done);
        run_in(&done, s.command);
        let after = tree_state(&done);
        assert!(before != after, "{}: the command changes nothing", s.name);
        let traced = sandbox.path().join("traced");
        copy_tree(&start, &traced);
        let points = fault_points(&traced, s.command);
        assert_state(&tree_state(&traced), &after, &format!("{}: a traced run differs from a plain one", s.name));
        Self { sandbox, start, before, after, points, copies: std::cell::Cell::new(0) }
    }

    /// A fresh copy of the starting tree.
    fn copy(&self) -> PathBuf {
        let n = self.copies.get();
        self.copies.set(n + 1);
        let dir = self.sandbox.path().join(format!("copy-{n}"));
        copy_tree(&self.start, &dir);
        dir
    }

    /// Which of the two states `dir` is in; panics with the differences when it is in neither.
    #[track_caller]
    fn settled(&self, dir: &Path, what: &str) -> &'static str {
        let now = tree_state(dir);
        if now == self.before {
            "before"
        } else if now == self.after {
            "after"
        } else {
            panic!(
                "{what}: the tree is in neither state\n  against before: {:?}\n  against after: {:?}",
                state_diff(&self.before, &now),
                state_diff(&self.after, &now)
            );
        }
    }
}

/// Asserts that two tree states are equal, naming only the paths that differ.
#[track_caller]
fn assert_state(now: &State, expected: &State, what: &str) {
    assert!(now == expected, "{what}: {:?}", state_diff(expected, now));
}

/// The state a kill at a fault point must recover to: the record (espresso.toml) is renamed last,
/// so only points after it leave a change that recovery completes.
fn expected_at(point: &str) -> &'static str {
    if point.starts_with("every file") || point.starts_with("journal removed") { "after" } else { "before" }
}

#[test]
fn a_change_killed_at_every_fault_point_is_recovered_to_exactly_before_or_after() {
    // Each scenario in its own sandbox, side by side.
    let counts: Vec<Vec<&'static str>> = std::thread::scope(|scope| {
        let handles: Vec<_> = scenarios().into_iter().map(|s| scope.spawn(move || kill_at_every_point(&s))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    let mut outcomes = BTreeMap::<&str, usize>::new();
    for state in counts.iter().flatten() {
        *outcomes.entry(state).or_default() += 1;
    }
    tell(&format!("crash safety: {} kill points tried and recovered ({outcomes:?})", counts.iter().flatten().count()));
}

/// Kills the scenario's command at each of its fault points and checks the recovery; returns the
/// state expected at each point.
fn kill_at_every_point(s: &Scenario) -> Vec<&'static str> {
    let mut expected = Vec::new();
    let p = Prepared::new(s);
    assert!(p.points.len() >= 8, "{}: only {} fault points: {:?}", s.name, p.points.len(), p.points);
    for (i, point) in p.points.iter().enumerate() {
        let k = i + 1;
        let what = format!("{} killed at point {k} ({point})", s.name);
        let dir = p.copy();
        kill_at(&dir, s.command, k).unwrap_or_else(|| panic!("{what}: never reached the point"));
        // Read-only commands say that a change is pending and how to recover it; once the
        // journal is gone, nothing is pending and only `.espresso/` is left to tidy.
        let pending = !point.starts_with("journal removed");
        let list = espresso().current_dir(&dir).args(["list", "middleware"]).assert().success();
        let said = String::from_utf8_lossy(&list.get_output().stderr).into_owned();
        assert_eq!(said.contains("was interrupted") && said.contains("espresso recover"), pending, "{what}: {said}");
        // The note names the command that was interrupted, as it was typed.
        let typed = format!("`espresso {}` was interrupted", s.command.join(" "));
        assert_eq!(said.contains(&typed), pending, "{what}: {said}");
        if pending {
            espresso()
                .current_dir(&dir)
                .args(["add", "resource", "widget", "--field", "name", "--dry-run"])
                .assert()
                .code(1)
                .stderr(predicate::str::contains("was interrupted").and(predicate::str::contains("espresso recover")));
        }
        if k % 2 == 1 {
            let recovered = espresso().current_dir(&dir).arg("recover").assert().success();
            let said = String::from_utf8_lossy(&recovered.get_output().stderr).into_owned();
            let state = p.settled(&dir, &what);
            assert_eq!(state, expected_at(point), "{what}: {said}");
            let word = match (pending, state) {
                (false, _) => "no interrupted change",
                (true, "after") => "completed it",
                (true, _) => "was interrupted",
            };
            assert!(said.contains(word), "{what}: {said}");
        } else {
            // The next command, whatever it is, recovers first: running the interrupted command
            // again ends exactly where it would have ended.
            let again = espresso_process().current_dir(&dir).args(s.command).output().unwrap();
            let said = String::from_utf8_lossy(&again.stderr).into_owned();
            assert!(!pending || said.contains("  recover "), "{what}: the next command did not recover first:\n{said}");
            assert_eq!(p.settled(&dir, &what), "after", "{what}: {said}");
        }
        assert!(!dir.join(".espresso").exists(), "{what}: the journal is still there");
        expected.push(expected_at(point));
    }
    expected
}

#[test]
fn recovery_killed_half_way_is_recovered_too() {
    let mut tried = 0;
    for s in scenarios() {
        let p = Prepared::new(&s);
        // Killed in the middle of the change, so recovery has files to put back.
        let k = p.points.iter().position(|w| w.starts_with("about to")).unwrap() + 3;
        let probe = p.copy();
        kill_at(&probe, s.command, k).unwrap();
        let recovery_points = fault_points(&probe, &["recover"]);
        assert!(
            recovery_points.iter().filter(|w| w.starts_with("rolling back")).count() >= 2,
            "{}: {recovery_points:?}",
            s.name
        );
        for m in 1..=recovery_points.len() {
            let what = format!("{}: recovery killed at its point {m} ({})", s.name, recovery_points[m - 1]);
            let dir = p.copy();
            kill_at(&dir, s.command, k).unwrap();
            kill_at(&dir, &["recover"], m).unwrap_or_else(|| panic!("{what}: never reached the point"));
            espresso().current_dir(&dir).arg("recover").assert().success();
            assert_eq!(p.settled(&dir, &what), "before", "{what}");
            tried += 1;
        }
    }
    tell(&format!("crash safety: recovery itself killed at {tried} points and recovered"));
}

/// A small deterministic generator, so a failing instant can be reproduced.
fn lcg(seed: &mut u64) -> u64 {
    *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    *seed >> 33
}

#[test]
fn a_change_killed_at_random_instants_is_recovered_to_exactly_before_or_after() {
    let s = &scenarios()[0];
    let p = Prepared::new(s);
    // How long the command takes here, so the kills spread over its whole run.
    let dir = p.copy();
    let start = std::time::Instant::now();
    espresso_process().current_dir(&dir).args(s.command).output().unwrap();
    let span = start.elapsed().as_micros() as u64 * 3 / 2;
    let mut seed = 0x5eed;
    let mut outcomes = BTreeMap::<&str, usize>::new();
    for i in 0..40 {
        let delay = std::time::Duration::from_micros(lcg(&mut seed) % span.max(1));
        let dir = p.copy();
        let mut child = espresso_process()
            .current_dir(&dir)
            .args(s.command)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        child.wait().unwrap();
        espresso().current_dir(&dir).arg("recover").assert().success();
        let state = p.settled(&dir, &format!("killed after {delay:?} (run {i})"));
        assert!(!dir.join(".espresso").exists());
        *outcomes.entry(state).or_default() += 1;
    }
    tell(&format!("crash safety: 40 kills at random instants within {span} µs: {outcomes:?}"));
}

#[test]
fn a_failure_at_the_first_a_middle_or_the_record_write_restores_every_file() {
    for s in scenarios().iter().filter(|s| ["add", "remove", "sync"].contains(&s.command[0])) {
        let p = Prepared::new(s);
        let writes: Vec<usize> =
            p.points.iter().enumerate().filter(|(_, w)| w.starts_with("about to")).map(|(i, _)| i + 1).collect();
        let record = writes.last().copied().unwrap();
        assert_eq!(
            p.points[record - 1],
            "about to update espresso.toml",
            "{}: espresso.toml is not written last",
            s.name
        );
        let first_temp = p.points.iter().position(|w| w.starts_with("temporary file")).unwrap() + 1;
        for (where_, k) in [
            ("the first temporary file", first_temp),
            ("the first write", writes[0]),
            ("a middle write", writes[writes.len() / 2]),
            ("the record write", record),
        ] {
            let dir = p.copy();
            let out = espresso_process()
                .current_dir(&dir)
                .args(s.command)
                .env("ESPRESSO_FAULT", format!("fail:{k}"))
                .output()
                .unwrap();
            let said = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{}: failure at {where_}: {said}", s.name);
            assert!(said.contains("injected failure") && said.contains("every file was restored"), "{said}");
            assert_eq!(p.settled(&dir, &format!("{}: failure at {where_}", s.name)), "before");
        }
    }
}

#[test]
fn espresso_toml_is_written_last() {
    let s = &scenarios()[0];
    let p = Prepared::new(s);
    let record = p.points.iter().position(|w| w == "about to update espresso.toml").unwrap() + 1;
    let dir = p.copy();
    kill_at(&dir, s.command, record).unwrap();
    let now = tree_state(&dir);
    let record_path = Path::new("espresso.toml");
    for (path, contents) in &p.after {
        if path == record_path {
            assert_eq!(now.get(path), p.before.get(path), "espresso.toml changed before the other files");
        } else {
            assert_eq!(now.get(path), Some(contents), "{} is not written before espresso.toml", path.display());
        }
    }
}

#[test]
fn a_file_changed_after_an_interruption_is_only_overwritten_with_force() {
    let s = &scenarios()[0];
    let p = Prepared::new(s);
    let k = p.points.iter().position(|w| w == "about to update espresso.toml").unwrap() + 1;
    let dir = p.copy();
    kill_at(&dir, s.command, k).unwrap();
    let index = dir.join("src/routes/index.js");
    fs::write(&index, format!("{}// mine, after the crash\n", fs::read_to_string(&index).unwrap())).unwrap();
    let edited = tree_state(&dir);
    espresso().current_dir(&dir).arg("recover").assert().code(1).stderr(
        predicate::str::contains("src/routes/index.js")
            .and(predicate::str::contains("changed since it was interrupted"))
            .and(predicate::str::contains("espresso recover --force")),
    );
    espresso().current_dir(&dir).args(["add", "middleware", "compression"]).assert().code(1);
    assert_state(&tree_state(&dir), &edited, "a refused recovery changed something");
    espresso().current_dir(&dir).args(["recover", "--force"]).assert().success();
    assert_eq!(p.settled(&dir, "recover --force"), "before");
}

#[test]
fn new_killed_while_staging_leaves_nothing_that_the_next_new_does_not_remove() {
    let sb = Sandbox::new();
    let points = fault_points(sb.path(), &["new", "probe", "-q"]);
    let moved = points.iter().position(|p| p == "staged every file; not yet moved into place").unwrap() + 1;
    assert!(moved > 40, "{points:?}");
    for k in [1, moved / 2, moved] {
        let sb = Sandbox::new();
        kill_at(sb.path(), &["new", "orders", "-q"], k).unwrap_or_else(|| panic!("`new` never reached point {k}"));
        assert!(sb.entries().iter().any(|e| e.starts_with(".espresso-staging-")), "{:?}", sb.entries());
        assert!(!sb.path().join("orders").exists());
        sb.run(&["new", "orders"]).success().stderr(predicate::str::contains("left by an interrupted `espresso new`"));
        assert_eq!(sb.entries(), ["orders"], "point {k}");
    }
}

/// A child process killed (SIGKILL) and reaped when dropped, even when the test fails first.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_staging_directory_not_yet_locked_is_never_swept_by_another_new() {
    let sb = Sandbox::new();
    let mut first = Killed(
        espresso_process()
            .current_dir(sb.path())
            .args(["new", "one", "-q"])
            .env("ESPRESSO_FAULT", "pause:1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(first.0.stderr.take().unwrap()), &mut line).unwrap();
    assert!(line.contains("staging directory made; not yet locked"), "{line}");
    let staging: Vec<String> = sb.entries().into_iter().filter(|e| e.starts_with(".espresso-staging-")).collect();
    assert_eq!(staging.len(), 1);
    // A second `new` here waits for the first instead of taking its directory for a leftover.
    espresso()
        .current_dir(sb.path())
        .env("ESPRESSO_LOCK_TIMEOUT", "0.5")
        .args(["new", "two", "-q"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("gave up waiting"));
    assert!(sb.path().join(&staging[0]).is_dir(), "the live staging directory was swept");
    drop(first);
    sb.run(&["new", "two"]).success().stderr(predicate::str::contains("left by an interrupted `espresso new`"));
    assert_eq!(sb.entries(), ["two"]);
}

#[test]
fn new_commands_started_together_in_one_place_all_succeed() {
    for round in 0..5 {
        let sb = Sandbox::new();
        let names = ["one", "two", "three", "four"];
        let children: Vec<_> = names
            .iter()
            .map(|n| espresso_process().current_dir(sb.path()).args(["new", n, "-q", "--ci", "none"]).spawn().unwrap())
            .collect();
        for (mut child, name) in children.into_iter().zip(names) {
            assert!(child.wait().unwrap().success(), "round {round}: `new {name}` failed");
        }
        assert_eq!(sb.entries(), ["four", "one", "three", "two"], "round {round}");
        for name in names {
            assert!(sb.path().join(name).join("espresso.toml").is_file(), "round {round}: {name}");
        }
    }
}

#[test]
fn new_force_into_a_directory_is_journaled_and_recovered() {
    let sb = Sandbox::new();
    for name in ["orders", "probe"] {
        let dir = sb.path().join(name);
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("notes.txt"), "mine").unwrap();
        fs::write(dir.join("package.json"), "{ \"mine\": true }\n").unwrap();
    }
    let target = sb.path().join("orders");
    let before = tree_state(&target);
    let points = fault_points(sb.path(), &["new", "probe", "--force", "-q"]);
    let middle = points.iter().position(|w| w.starts_with("about to")).unwrap() + 10;
    kill_at(sb.path(), &["new", "orders", "--force", "-q"], middle).unwrap();
    assert!(tree_state(&target) != before, "the killed `new --force` changed nothing");
    espresso()
        .current_dir(&target)
        .arg("recover")
        .assert()
        .success()
        .stderr(predicate::str::contains("rolled it back"));
    assert_state(&tree_state(&target), &before, "recover after a killed `new --force`");
    // Killed again, then `new --force` itself recovers first and writes the project.
    kill_at(sb.path(), &["new", "orders", "--force", "-q"], middle).unwrap();
    sb.run(&["new", "orders", "--force"]).success().stderr(predicate::str::contains("rolled it back"));
    assert_eq!(fs::read_to_string(target.join("notes.txt")).unwrap(), "mine");
    assert!(target.join("espresso.toml").is_file() && !target.join(".espresso").exists());
}

#[test]
fn concurrent_commands_never_interleave_and_every_success_is_recorded() {
    let sb = Sandbox::new();
    sb.run(&["new", "shop", "-q", "--language", "javascript", "--deploy", "none", "--ci", "none"]).success();
    let shop = sb.path().join("shop");
    let commands: [&[&str]; 4] = [
        &["add", "resource", "order", "--field", "title"],
        &["add", "resource", "customer", "--field", "email:email:unique"],
        &["add", "middleware", "compression"],
        &["config", "add", "PAYMENT_URL", "--default", "https://pay.example.com"],
    ];
    for round in 0..5 {
        let root = sb.path().join(format!("round-{round}"));
        copy_tree(&shop, &root);
        let children: Vec<_> = commands
            .iter()
            .map(|args| espresso_process().current_dir(&root).args(*args).arg("-q").spawn().unwrap())
            .collect();
        for (mut child, args) in children.into_iter().zip(commands) {
            assert!(child.wait().unwrap().success(), "round {round}: {args:?} failed");
        }
        let record = fs::read_to_string(root.join("espresso.toml")).unwrap();
        let index = fs::read_to_string(root.join("src/routes/index.js")).unwrap();
        let app = fs::read_to_string(root.join("src/app.js")).unwrap();
        let schema = fs::read_to_string(root.join("config.schema.json")).unwrap();
        for (what, found) in [
            ("order in espresso.toml", record.contains("name = \"order\"")),
            ("customer in espresso.toml", record.contains("name = \"customer\"")),
            ("compression in espresso.toml", record.contains("middleware = [\"compression\"]")),
            ("orders route", index.contains("'v1/orders': createOrdersRouter")),
            ("customers route", index.contains("'v1/customers': createCustomersRouter")),
            ("compression in app.js", app.contains("compression")),
            ("PAYMENT_URL in the schema", schema.contains("\"PAYMENT_URL\"")),
            ("orders' files recorded", record.contains("  src/routes/orders.router.js")),
            ("customers' files recorded", record.contains("  src/routes/customers.router.js")),
        ] {
            assert!(found, "round {round}: {what} was lost");
        }
        // Every file is recorded as written: nothing is left for sync to redo.
        espresso().current_dir(&root).arg("sync").assert().success().stderr(predicate::str::contains("up to date"));
    }
}

/// Holds the project lock from this test process, as another espresso command would.
fn hold_lock(root: &Path) -> fs::File {
    let dir = fs::File::open(root).unwrap();
    dir.lock().unwrap();
    dir
}

#[test]
fn a_command_waits_for_the_lock_and_then_plans_against_the_new_state() {
    let sb = Sandbox::new();
    sb.run(&["new", "shop", "-q", "--language", "javascript", "--deploy", "none", "--ci", "none"]).success();
    let shop = sb.path().join("shop");
    let held = hold_lock(&shop);
    let mut child = espresso_process()
        .current_dir(&shop)
        .args(["add", "resource", "order", "--field", "title"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut first).unwrap();
    assert!(first.contains("waiting for another espresso command in this project"), "{first}");
    // Meanwhile "another command" changes espresso.toml: the waiting one must read it afterwards.
    fs::write(
        shop.join("espresso.toml"),
        fs::read_to_string(shop.join("espresso.toml")).unwrap() + "# changed while waiting\n",
    )
    .unwrap();
    drop(held);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(child.wait().unwrap().success(), "{rest}");
    assert!(fs::read_to_string(shop.join("espresso.toml")).unwrap().contains("# changed while waiting"));
}

#[test]
fn a_command_gives_up_waiting_after_the_bound_with_a_clear_message() {
    let sb = Sandbox::new();
    sb.run(&["new", "shop", "-q", "--language", "javascript", "--deploy", "none", "--ci", "none"]).success();
    let shop = sb.path().join("shop");
    let before = tree_state(&shop);
    let _held = hold_lock(&shop);
    espresso()
        .current_dir(&shop)
        .env("ESPRESSO_LOCK_TIMEOUT", "0.3")
        .args(["add", "resource", "order", "--field", "title"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("waiting for another espresso command")
                .and(predicate::str::contains("gave up waiting"))
                .and(predicate::str::contains("ESPRESSO_LOCK_TIMEOUT")),
        );
    espresso()
        .current_dir(&shop)
        .env("ESPRESSO_LOCK_TIMEOUT", "0.3")
        .args(["add", "resource", "order", "--field", "title", "--dry-run"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("gave up waiting"));
    assert_state(&tree_state(&shop), &before, "a command that gave up waiting");
}

#[test]
fn a_lock_timeout_that_is_not_a_number_of_seconds_is_refused_clearly() {
    let sb = Sandbox::new();
    sb.run(&["new", "shop", "-q", "--language", "javascript", "--deploy", "none", "--ci", "none"]).success();
    let shop = sb.path().join("shop");
    let before = tree_state(&shop);
    for bad in ["soon", "-1", "inf", "NaN"] {
        espresso()
            .current_dir(&shop)
            .env("ESPRESSO_LOCK_TIMEOUT", bad)
            .args(["add", "resource", "order", "--field", "title"])
            .assert()
            .code(1)
            .stderr(
                predicate::str::contains(format!("ESPRESSO_LOCK_TIMEOUT is `{bad}`"))
                    .and(predicate::str::contains("hint: set it to a number of seconds"))
                    .and(predicate::str::contains("panicked").not()),
            );
    }
    assert!(tree_state(&shop) == before, "a refused command wrote something");
    espresso().current_dir(&shop).env("ESPRESSO_LOCK_TIMEOUT", "2.5").args(["list", "middleware"]).assert().success();
}

#[cfg(unix)]
#[test]
fn modes_are_kept_by_a_change_and_restored_by_a_rollback() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    sb.run(&["new", "shop", "-q", "--language", "javascript", "--deploy", "none", "--ci", "none"]).success();
    let shop = sb.path().join("shop");
    let index = shop.join("src/routes/index.js");
    fs::set_permissions(&index, fs::Permissions::from_mode(0o600)).unwrap();
    fs::set_permissions(shop.join("espresso.toml"), fs::Permissions::from_mode(0o755)).unwrap();
    let before = tree_state(&shop);
    let args = ["add", "resource", "order", "--field", "title"];
    let points = fault_points(
        &{
            let probe = sb.path().join("probe");
            copy_tree(&shop, &probe);
            probe
        },
        &args,
    );
    let last = points.iter().position(|w| w == "about to update espresso.toml").unwrap() + 1;
    kill_at(&shop, &args, last).unwrap();
    assert_eq!(fs::metadata(&index).unwrap().permissions().mode() & 0o777, 0o600, "an update changed the mode");
    espresso().current_dir(&shop).arg("recover").assert().success();
    assert_state(&tree_state(&shop), &before, "rolled back with the modes");
    espresso().current_dir(&shop).args(args).arg("-q").assert().success();
    assert_eq!(fs::metadata(&index).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(fs::metadata(shop.join("espresso.toml")).unwrap().permissions().mode() & 0o777, 0o755);
    assert_eq!(fs::metadata(shop.join("src/routes/orders.router.js")).unwrap().permissions().mode() & 0o777, 0o644);
}

#[cfg(unix)]
#[test]
fn a_symlinked_file_in_the_project_is_recovered_like_any_other() {
    let sb = Sandbox::new();
    sb.run(&["new", "shop", "-q", "--language", "javascript", "--deploy", "none", "--ci", "none"]).success();
    let shop = sb.path().join("shop");
    // README.md kept elsewhere and linked into the project, as some monorepos do.
    fs::rename(shop.join("README.md"), sb.path().join("README.shared.md")).unwrap();
    std::os::unix::fs::symlink(sb.path().join("README.shared.md"), shop.join("README.md")).unwrap();
    let args = ["add", "middleware", "api-key"];
    let probe = sb.path().join("probe");
    copy_tree(&shop, &probe);
    let points = fault_points(&probe, &args);
    let first = points.iter().position(|w| w.starts_with("about to")).unwrap() + 1;
    kill_at(&shop, &args, first).unwrap();
    espresso().current_dir(&shop).arg("recover").assert().success().stderr(predicate::str::contains("interrupted"));
    assert!(fs::symlink_metadata(shop.join("README.md")).unwrap().file_type().is_symlink(), "the link was replaced");
    assert!(!shop.join(".espresso").exists());
}

/// One step of a traced run that matters for durability, with paths resolved.
#[derive(Debug, PartialEq)]
enum Step {
    Flush(String),
    Rename(String, String),
    Unlink(String),
}

/// The flushes, renames and unlinks of `espresso <args>` in `dir`, from strace: file descriptors
/// are mapped back to the paths they were opened with.
fn traced_steps(dir: &Path, args: &[&str]) -> Option<Vec<Step>> {
    if !crate::support::on_path("strace") {
        crate::support::missing(
            "strace (Debian package `strace`) is not installed, so the order of flushes was not checked",
        );
        return None;
    }
    let trace = dir.parent().unwrap().join("trace.txt");
    let status = std::process::Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=openat,close,fdatasync,fsync,rename,renameat,renameat2,unlink,unlinkat", "-o"])
        .arg(&trace)
        .arg(assert_cmd::cargo::cargo_bin("espresso"))
        .args(args)
        .arg("-q")
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success());
    let quoted = |s: &str| s.split('"').nth(1).map(str::to_owned);
    let quoted2 = |s: &str| s.split('"').nth(3).map(str::to_owned);
    let mut fds = BTreeMap::<String, String>::new();
    let mut steps = Vec::new();
    for line in fs::read_to_string(&trace).unwrap().lines() {
        let call = line.split_once(' ').map_or(line, |(_, rest)| rest.trim_start());
        let result = call.rsplit_once(" = ").map(|(_, r)| r.trim());
        if call.starts_with("openat(") {
            if let (Some(path), Some(fd)) = (quoted(call), result.filter(|r| !r.starts_with('-'))) {
                fds.insert(fd.split_whitespace().next().unwrap().to_owned(), path);
            }
        } else if let Some(fd) = call.strip_prefix("close(").and_then(|r| r.split(')').next()) {
            fds.remove(fd);
        } else if let Some(fd) =
            call.strip_prefix("fdatasync(").or_else(|| call.strip_prefix("fsync(")).and_then(|r| r.split(')').next())
        {
            steps.push(Step::Flush(fds.get(fd).cloned().unwrap_or_else(|| format!("fd {fd}"))));
        } else if call.starts_with("rename") {
            steps.push(Step::Rename(quoted(call).unwrap(), quoted2(call).unwrap()));
        } else if call.starts_with("unlink") {
            steps.push(Step::Unlink(quoted(call).unwrap()));
        }
    }
    Some(steps)
}

/// The journal is flushed before anything is replaced; every new file is flushed before it is
/// renamed into place; the directories are flushed before the journal goes. A power loss at any
/// instant then leaves a whole journal and whole files (docs/safety.md): tested by the order of
/// the system calls, since no test can cut the power.
#[test]
fn the_journal_and_every_file_are_flushed_before_they_count() {
    let sb = Sandbox::new();
    sb.run(&[
        "new",
        "shop",
        "-q",
        "--language",
        "javascript",
        "--database",
        "postgres",
        "--deploy",
        "none",
        "--ci",
        "none",
    ])
    .success();
    let root = sb.path().join("shop");
    let Some(steps) = traced_steps(&root, &["add", "resource", "order", "--field", "title"]) else { return };
    let r = |p: &str| root.join(p).to_string_lossy().into_owned();
    let at = |step: &Step| steps.iter().position(|s| s == step).unwrap_or_else(|| panic!("no {step:?} in {steps:#?}"));
    let journal = at(&Step::Rename(r(".espresso/journal.tmp"), r(".espresso/journal")));
    assert!(at(&Step::Flush(r(".espresso/journal.tmp"))) < journal, "the journal is renamed before it is flushed");
    let journal_dir_flushed = at(&Step::Flush(r(".espresso")));
    let root_flushed = at(&Step::Flush(root.to_string_lossy().into_owned()));
    let project_renames: Vec<(usize, &String, &String)> = steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            Step::Rename(from, to) if from.ends_with(".espresso-tmp") => Some((i, from, to)),
            _ => None,
        })
        .collect();
    assert!(project_renames.len() >= 8, "{steps:#?}");
    let first = project_renames[0].0;
    assert!(
        journal < journal_dir_flushed && journal_dir_flushed < first,
        "a file is replaced before the journal is durable"
    );
    assert!(root_flushed < first, "`.espresso` is not durable in the project directory before the first replace");
    for (i, from, to) in &project_renames {
        assert!(
            steps[..*i].contains(&Step::Flush((*from).clone())),
            "{to} is renamed into place before its contents are flushed"
        );
    }
    assert_eq!(project_renames.last().unwrap().2, &r("espresso.toml"), "espresso.toml is not the last file replaced");
    let last = project_renames.last().unwrap().0;
    let removed = at(&Step::Unlink(r(".espresso/journal")));
    for (_, _, to) in &project_renames {
        let parent = Path::new(to).parent().unwrap().to_string_lossy().into_owned();
        assert!(
            steps[last..removed].contains(&Step::Flush(parent.clone())),
            "{parent} is not flushed before the journal is removed"
        );
    }
}

#[test]
fn a_journal_that_cannot_be_read_is_reported_never_ignored() {
    let sb = Sandbox::new();
    sb.run(&["new", "shop", "-q", "--language", "javascript", "--deploy", "none", "--ci", "none"]).success();
    let shop = sb.path().join("shop");
    fs::create_dir_all(shop.join(".espresso")).unwrap();
    // Damaged (not a journal espresso wrote), then unreadable (a directory in its place).
    fs::write(shop.join(".espresso/journal"), "not a journal\n").unwrap();
    let before = tree_state(&shop);
    for command in [&["recover"][..], &["add", "resource", "order", "--field", "title"]] {
        espresso().current_dir(&shop).args(command).assert().code(1).stderr(
            predicate::str::contains(".espresso/journal` is damaged")
                .and(predicate::str::contains("compare the project with version control, then delete `.espresso`")),
        );
    }
    assert_state(&tree_state(&shop), &before, "a damaged journal was acted on");
    fs::remove_file(shop.join(".espresso/journal")).unwrap();
    fs::create_dir(shop.join(".espresso/journal")).unwrap();
    let before = tree_state(&shop);
    espresso().current_dir(&shop).arg("recover").assert().code(1).stderr(predicate::str::contains("cannot read"));
    assert_state(&tree_state(&shop), &before, "an unreadable journal was acted on");
}
