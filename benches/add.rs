//! Benchmark: `espresso add resource` in a fresh project against the same command in a project
//! that already has 200 resources (the target: at most 2x).
//!
//!     cargo bench --bench add            (RUNS=30 by default)
//!
//! Each run gets its own copy of the project, made and flushed to disk before the timer starts;
//! the two projects alternate, and which goes first alternates from run to run; nothing is
//! deleted (see benches/new.rs).

use espresso::engine::apply::{TargetState, write_new};
use espresso::engine::plan::plan_project;
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
        Choices { language: "javascript", deploy: vec![], ci: vec![], ..Choices::default() },
    );
    for i in 0..resources {
        let fields =
            ["title", "quantity:integer", "sku:string:unique"].iter().map(|f| Field::parse(f).unwrap()).collect();
        spec.resources.push(ResourceSpec {
            name: ResourceName::parse(&format!("thing{i}")).unwrap(),
            fields,
            protected: false,
        });
    }
    write_new(&plan_project(&spec).unwrap(), dir, TargetState::Missing).unwrap();
}

fn main() {
    let bin = env!("CARGO_BIN_EXE_espresso");
    let runs: usize = std::env::var("RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(30);
    let out = std::env::temp_dir().join(format!("espresso-bench-add-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let (fresh, big) = (out.join("fresh"), out.join("big"));
    project(&fresh, 0);
    project(&big, 200);

    let add = |dir: &Path| {
        let start = Instant::now();
        let status = Command::new(bin)
            .arg("-C")
            .arg(dir)
            .args([
                "add",
                "resource",
                "widget",
                "--field",
                "title",
                "--field",
                "count:integer",
                "--field",
                "code:string:unique",
                "-q",
            ])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        let t = start.elapsed();
        assert!(status.success());
        t
    };
    let (mut t_fresh, mut t_big) = (Vec::new(), Vec::new());
    for i in 0..runs + 3 {
        let (a, b) = (out.join(format!("fresh-{i}")), out.join(format!("big-{i}")));
        copy(&fresh, &a);
        copy(&big, &b);
        // Let the copies' writes reach the disk first, so neither command pays for them.
        settle();
        // Which project goes first alternates, so neither always follows the other's writes.
        let (x, y) = if i % 2 == 0 {
            let x = add(&a);
            (x, add(&b))
        } else {
            let y = add(&b);
            (add(&a), y)
        };
        if i >= 3 {
            t_fresh.push(x);
            t_big.push(y);
        }
    }
    let (f, b) = (median(t_fresh), median(t_big));
    println!("espresso add resource; {runs} alternating runs, medians\n");
    println!("| project | add resource |\n| --- | ---: |");
    println!("| fresh | {:.2} ms |", f.as_secs_f64() * 1000.0);
    println!("| 200 resources | {:.2} ms |", b.as_secs_f64() * 1000.0);
    println!("| ratio | {:.2}x |", b.as_secs_f64() / f.as_secs_f64());
    println!("\n(output kept in {})", out.display());
}
