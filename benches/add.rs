//! Benchmark: `espresso add resource` and `espresso add field` in a fresh PostgreSQL project
//! (one resource, so a field has somewhere to go) against the same commands in a project that
//! already has 200 resources and their migrations (the target: at most 2x).
//!
//!     cargo bench --bench add            (RUNS=30 by default)
//!
//! Each run gets its own copy of the project, made and flushed to disk before the timer starts;
//! the two projects alternate, and which goes first alternates from run to run; nothing is
//! deleted (see benches/new.rs).

use espresso::cli::Database;
use espresso::engine::apply::{TargetState, write_new};
use espresso::engine::plan::plan_project;
use espresso::model::migration::Step;
use espresso::model::name::ProjectName;
use espresso::model::options::Choices;
use espresso::model::project::{ProjectSpec, ResourceSpec};
use espresso::model::resource::{Field, ResourceName};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn copy(from: &Path, to: &Path) {
    let status = Command::new("cp").arg("-r").arg(from).arg(to).status().expect("cp runs");
    assert!(status.success());
}

/// Flushes what the copies wrote (`sync`) and waits a moment for the disk to go quiet.
fn settle() {
    let status = Command::new("sync").status().expect("sync runs");
    assert!(status.success());
    std::thread::sleep(Duration::from_millis(200));
}

fn project(dir: &Path, resources: usize) {
    let mut spec = ProjectSpec::new(
        ProjectName::parse("shop").unwrap(),
        Choices {
            language: "javascript",
            database: Database::Postgres,
            deploy: vec![],
            ci: vec![],
            ..Choices::default()
        },
    );
    for i in 0..resources {
        let fields: Vec<Field> =
            ["title", "quantity:integer", "sku:string:unique"].iter().map(|f| Field::parse(f).unwrap()).collect();
        let name = ResourceName::parse(&format!("thing{i}")).unwrap();
        spec.record_migration(Step::CreateTable, &name, fields.clone(), []);
        spec.resources.push(ResourceSpec { name, fields, protected: false, api: "v1".into(), events: false });
    }
    write_new(&plan_project(&spec).unwrap(), dir, TargetState::Missing).unwrap();
}

/// Runs `espresso -C dir <args> -q` and returns how long it took.
fn timed(bin: &str, dir: &Path, args: &[&str]) -> Duration {
    let start = Instant::now();
    let status = Command::new(bin).arg("-C").arg(dir).args(args).arg("-q").stdout(Stdio::null()).status().unwrap();
    let t = start.elapsed();
    assert!(status.success(), "{args:?} in {}", dir.display());
    t
}

fn main() {
    let bin = env!("CARGO_BIN_EXE_espresso");
    let runs: usize = std::env::var("RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(30);
    let out = std::env::temp_dir().join(format!("espresso-bench-add-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let (fresh, big) = (out.join("fresh"), out.join("big"));
    project(&fresh, 1);
    project(&big, 200);
    let commands: [(&str, &[&str]); 2] = [
        (
            "add resource",
            &[
                "add",
                "resource",
                "widget",
                "--field",
                "title",
                "--field",
                "count:integer",
                "--field",
                "code:string:unique",
            ],
        ),
        ("add field", &["add", "field", "thing0", "note:text:optional", "total:decimal:default=0"]),
    ];
    println!("espresso add in a PostgreSQL project; {runs} alternating runs, medians\n");
    println!("| command | fresh (1 resource) | 200 resources | ratio |\n| --- | ---: | ---: | ---: |");
    for (label, args) in commands {
        let (mut t_fresh, mut t_big) = (Vec::new(), Vec::new());
        for i in 0..runs + 3 {
            let slug = label.replace(' ', "-");
            let (a, b) = (out.join(format!("{slug}-fresh-{i}")), out.join(format!("{slug}-big-{i}")));
            copy(&fresh, &a);
            copy(&big, &b);
            // Let the copies' writes reach the disk first, so neither command pays for them.
            settle();
            // Which project goes first alternates, so neither always follows the other's writes.
            let (x, y) = if i % 2 == 0 {
                let x = timed(bin, &a, args);
                (x, timed(bin, &b, args))
            } else {
                let y = timed(bin, &b, args);
                (timed(bin, &a, args), y)
            };
            if i >= 3 {
                t_fresh.push(x);
                t_big.push(y);
            }
        }
        let (f, b) = (median(t_fresh), median(t_big));
        println!(
            "| {label} | {:.2} ms | {:.2} ms | {:.2}x |",
            f.as_secs_f64() * 1000.0,
            b.as_secs_f64() * 1000.0,
            b.as_secs_f64() / f.as_secs_f64()
        );
    }
    println!("\n(output kept in {})", out.display());
}
