//! Backing services for the end-to-end tests, started on loopback with their own ports and data
//! directories and stopped on drop: PostgreSQL, Redis and RabbitMQ from their Debian packages.

use crate::support::free_port;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn wait_for_port(port: u16, what: &str) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(30), "{what} did not start on port {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[track_caller]
pub fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether we are root: PostgreSQL refuses to run as root, so it then runs as `postgres`.
fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// A throwaway PostgreSQL cluster: initdb, pg_ctl start on a free port, stopped on drop.
pub struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    _dir: tempfile::TempDir,
    port: u16,
}

impl Postgres {
    pub fn start() -> Option<Self> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("bin"))
            .filter(|p| p.join("initdb").exists())
            .max()?;
        let dir = tempfile::tempdir().unwrap();
        if is_root() {
            run(Command::new("chown").arg("postgres").arg(dir.path()));
        }
        let data = dir.path().join("data");
        run(as_server_user(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", "espresso", "--auth=trust", "--no-sync"])
            .stdout(Stdio::null()));
        let port = free_port();
        let opts = format!("-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", dir.path().display());
        run(as_server_user(&bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .args(["-o", &opts, "-w", "-l"])
            .arg(dir.path().join("log"))
            .arg("start"));
        Some(Self { bin, data, _dir: dir, port })
    }

    /// The rows of a query, one per line.
    pub fn query(&self, sql: &str) -> String {
        self.query_in("postgres", sql)
    }

    /// The rows of a query in database `db`, one per line, columns separated by `|`.
    pub fn query_in(&self, db: &str, sql: &str) -> String {
        let port = self.port.to_string();
        let out = Command::new(self.bin.join("psql"))
            .args(["-h", "127.0.0.1", "-p", &port, "-U", "espresso", "-d", db, "-Atc", sql])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// A new, empty database, so projects with same-named tables do not meet.
    pub fn database(&self, name: &str) -> String {
        let sql = format!("CREATE DATABASE \"{name}\"");
        let port = self.port.to_string();
        run(Command::new(self.bin.join("psql")).args([
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            "espresso",
            "-d",
            "postgres",
            "-qc",
            &sql,
        ]));
        format!("postgres://espresso@127.0.0.1:{port}/{name}")
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = as_server_user(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "-w", "stop"])
            .stdout(Stdio::null())
            .status();
    }
}

/// A throwaway Redis on a free port, killed on drop.
pub struct Redis {
    child: Child,
    port: u16,
    /// Where a durable one keeps its append-only file.
    dir: Option<tempfile::TempDir>,
}

impl Redis {
    pub fn start() -> Option<Self> {
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .ok()?;
        wait_for_port(port, "redis-server");
        Some(Self { child, port, dir: None })
    }

    /// A Redis that keeps every write (append-only file, fsync on each), so a restart loses nothing.
    pub fn start_durable() -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let child = Self::spawn_durable(port, dir.path())?;
        wait_for_port(port, "redis-server");
        Some(Self { child, port, dir: Some(dir) })
    }

    fn spawn_durable(port: u16, dir: &Path) -> Option<Child> {
        Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""])
            .args(["--appendonly", "yes", "--appendfsync", "always", "--dir"])
            .arg(dir)
            .stdout(Stdio::null())
            .spawn()
            .ok()
    }

    /// Stops a durable Redis (SIGTERM) and starts it again on the same port and data.
    pub fn restart(&mut self, down_for: Duration) {
        let dir = self.dir.as_ref().expect("only a durable Redis restarts").path().to_path_buf();
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
        std::thread::sleep(down_for);
        self.child = Self::spawn_durable(self.port, &dir).expect("redis-server starts again");
        wait_for_port(self.port, "redis-server");
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A throwaway RabbitMQ node on free ports (AMQP, distribution, epmd) with its own data
/// directory, on loopback only; stopped on drop. `guest` may connect from loopback.
pub struct RabbitMq {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
    env: Vec<(String, String)>,
}

impl RabbitMq {
    const SERVER: &'static str = "/usr/lib/rabbitmq/bin/rabbitmq-server";

    pub fn start() -> Option<Self> {
        if !Path::new(Self::SERVER).exists() {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("enabled_plugins"), "[].\n").unwrap();
        let port = free_port();
        let home = dir.path().display().to_string();
        let env: Vec<(String, String)> = [
            ("HOME", home.clone()),
            ("RABBITMQ_NODE_PORT", port.to_string()),
            ("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1".into()),
            ("RABBITMQ_NODENAME", format!("espresso-{port}@localhost")),
            ("RABBITMQ_MNESIA_BASE", format!("{home}/mnesia")),
            ("RABBITMQ_LOG_BASE", format!("{home}/log")),
            ("RABBITMQ_ENABLED_PLUGINS_FILE", format!("{home}/enabled_plugins")),
            ("RABBITMQ_CONFIG_FILE", format!("{home}/rabbitmq")),
            ("RABBITMQ_ADVANCED_CONFIG_FILE", format!("{home}/advanced.config")),
            ("RABBITMQ_DIST_PORT", free_port().to_string()),
            ("ERL_EPMD_ADDRESS", "127.0.0.1".into()),
            ("ERL_EPMD_PORT", free_port().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let child = Self::spawn(&env, dir.path());
        let mut node = Self { child, dir, port, env };
        node.wait_ready();
        Some(node)
    }

    fn spawn(env: &[(String, String)], dir: &Path) -> Child {
        Command::new(Self::SERVER)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(std::fs::File::create(dir.join("server.log")).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("rabbitmq-server starts")
    }

    /// Waits until the node takes AMQP connections (it listens once the broker has booted).
    fn wait_ready(&mut self) {
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(start.elapsed() < Duration::from_secs(90), "RabbitMQ did not start on port {}", self.port);
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}", self.port)
    }

    /// Stops the node (its data kept) and starts it again: a broker restart mid-run.
    pub fn restart(&mut self, down_for: Duration) {
        self.stop();
        std::thread::sleep(down_for);
        self.child = Self::spawn(&self.env, self.dir.path());
        self.wait_ready();
    }

    fn stop(&mut self) {
        // SIGTERM stops the node cleanly; the Erlang port mapper it started goes with the group.
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let start = Instant::now();
        while self.child.try_wait().ok().flatten().is_none() && start.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for RabbitMq {
    fn drop(&mut self) {
        self.stop();
        // epmd outlives the node; it serves this node's port alone, so it is told to leave.
        if let Some((_, port)) = self.env.iter().find(|(k, _)| k == "ERL_EPMD_PORT") {
            let _ = Command::new("/usr/lib/erlang/bin/epmd")
                .arg("-kill")
                .env("ERL_EPMD_PORT", port)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}
