//! Benchmark: `espresso new` against copying the same finished tree with `cp -r` (the floor for
//! writing those files), and the binary's start-up against spawning `true`.
//!
//!     cargo bench --bench new            (RUNS=50 by default)
//!
//! The commands are interleaved run by run so that drift on a shared machine affects all alike.
//! Every run writes into a fresh directory and nothing is deleted, not even afterwards: a large
//! delete slows file creation on these disks for minutes, which would distort the next
//! measurement. The output directory is printed; remove it when nothing else is being timed.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn time(cmd: &mut Command) -> Duration {
    let start = Instant::now();
    let status = cmd.stdout(Stdio::null()).stderr(Stdio::null()).status().expect("command runs");
    let elapsed = start.elapsed();
    assert!(status.success(), "{cmd:?} failed");
    elapsed
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn files_and_bytes(dir: &Path) -> (usize, u64) {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .fold((0, 0), |(n, b), e| (n + 1, b + e.metadata().unwrap().len()))
}

fn main() {
    let bin = env!("CARGO_BIN_EXE_espresso");
    let runs: usize = std::env::var("RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(50);
    let out = std::env::temp_dir().join(format!("espresso-bench-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();

    println!("espresso new vs cp -r of the same tree; {runs} interleaved runs each, medians\n");
    println!("| variant | files | KiB | espresso new | cp -r | ratio |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (name, args) in [
        ("javascript default", &["--language", "javascript"][..]),
        (
            "postgres+redis, both CIs",
            &["--language", "javascript", "--database", "postgres", "--cache", "redis", "--ci", "github,gitlab"][..],
        ),
        ("typescript default (no flags)", &[][..]),
    ] {
        let tag = name.split(|c: char| !c.is_alphanumeric()).next().unwrap();
        let reference = out.join(format!("{tag}-reference"));
        let new = |dest: &Path| {
            let mut c = Command::new(bin);
            c.args(["new", "orders", "-q", "--dir"]).arg(dest).args(args);
            c
        };
        time(&mut new(&reference));
        // Warm the page cache and the directory entries for both commands before timing.
        time(&mut new(&out.join(format!("{tag}-warm"))));
        let (files, bytes) = files_and_bytes(&reference);
        let (mut t_new, mut t_cp) = (Vec::new(), Vec::new());
        for i in 0..runs + 3 {
            let a = time(&mut new(&out.join(format!("{tag}-new-{i}"))));
            let b = time(Command::new("cp").arg("-r").arg(&reference).arg(out.join(format!("{tag}-cp-{i}"))));
            if i >= 3 {
                t_new.push(a);
                t_cp.push(b);
            }
        }
        let (n, c) = (median(t_new), median(t_cp));
        println!(
            "| {name} | {files} | {:.0} | {} | {} | {:.2}x |",
            bytes as f64 / 1024.0,
            ms(n),
            ms(c),
            n.as_secs_f64() / c.as_secs_f64()
        );
    }

    let (mut t_ver, mut t_true) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        t_ver.push(time(Command::new(bin).arg("--version")));
        t_true.push(time(&mut Command::new("true")));
    }
    println!("\n| start-up | median |\n| --- | ---: |");
    println!("| espresso --version | {} |", ms(median(t_ver)));
    println!("| true (process spawn floor) | {} |", ms(median(t_true)));
    println!("\n(output kept in {})", out.display());
}
