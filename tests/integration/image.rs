//! The Dockerfile built and run for real, by podman (Debian packages `podman` and `runc`), on a
//! machine that reaches no container registry. The Dockerfile's base, `node:<line>-alpine`, is
//! replaced by a local image of the same name in a throwaway podman store: the Node binary the
//! tests already run (from `../shared/validate`'s install), npm, a shell and the libraries `ldd`
//! names, imported with `podman import`. Everything else is the project's own Dockerfile: `npm ci`
//! runs inside the build (through the host's network, to the npm registry), the runtime stage
//! copies what it copies, and the container then runs as its numeric user with a read-only root
//! filesystem, as the Kubernetes manifests run it, answers its probes and its HEALTHCHECK, and
//! stops on SIGTERM with status 0; with messaging, so does the event consumer, run with its
//! Deployment's command.
//!
//! podman runs rootful with `--runtime runc`: crun, its default, refuses this sandbox's hybrid
//! cgroups, and the container's rlimits must be lowered (`../shared/research/validators.md`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A throwaway podman store and the base images imported into it, one per Node line.
pub struct Podman {
    dir: tempfile::TempDir,
    bases: std::cell::RefCell<BTreeSet<String>>,
}

fn output(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.success() { Ok(text) } else { Err(format!("{cmd:?} failed:\n{text}")) }
}

impl Podman {
    /// `None` when podman is not installed.
    pub fn new() -> Option<Self> {
        if !crate::support::on_path("podman") {
            return None;
        }
        Some(Self { dir: tempfile::tempdir().ok()?, bases: Default::default() })
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("podman");
        cmd.arg("--root").arg(self.dir.path().join("store")).arg("--runroot").arg(self.dir.path().join("run")).args([
            "--cgroup-manager=cgroupfs",
            "--events-backend=file",
            "--runtime",
            "runc",
        ]);
        cmd
    }

    /// `docker.io/library/node:<line>-alpine` in this store, made from the Node binaries in
    /// `node_bin` and the machine's npm.
    fn base(&self, node: &str, node_bin: &Path) -> Result<(), String> {
        if self.bases.borrow().contains(node) {
            return Ok(());
        }
        let rootfs = self.dir.path().join(format!("rootfs-{node}"));
        let node_exe = std::fs::canonicalize(node_bin.join("node")).map_err(|e| e.to_string())?;
        let npm_root = output(Command::new("npm").args(["root", "-g"]))?.trim().to_owned();
        let copy = |from: &Path, to: &str| -> Result<(), String> {
            let target = rootfs.join(to.trim_start_matches('/'));
            std::fs::create_dir_all(target.parent().unwrap()).map_err(|e| e.to_string())?;
            output(Command::new("cp").arg("-rL").arg(from).arg(&target)).map(|_| ())
        };
        copy(&node_exe, "usr/local/bin/node")?;
        copy(&Path::new(&npm_root).join("npm"), "usr/local/lib/node_modules/npm")?;
        std::os::unix::fs::symlink("../lib/node_modules/npm/bin/npm-cli.js", rootfs.join("usr/local/bin/npm"))
            .map_err(|e| e.to_string())?;
        let programs = [node_exe.clone(), PathBuf::from("/bin/sh"), PathBuf::from("/usr/bin/env")];
        for program in &programs[1..] {
            copy(program, &program.to_string_lossy())?;
        }
        let mut libraries = BTreeSet::new();
        for program in &programs {
            let listed = output(Command::new("ldd").arg(program))?;
            libraries.extend(listed.split_whitespace().filter(|w| w.starts_with('/')).map(str::to_owned));
        }
        for library in &libraries {
            copy(Path::new(library), library)?;
        }
        // The registry's certificate authorities, for npm inside the build.
        copy(Path::new("/etc/ssl/certs/ca-certificates.crt"), "etc/ssl/certs/ca-certificates.crt")?;
        std::fs::write(rootfs.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").map_err(|e| e.to_string())?;
        std::fs::write(rootfs.join("etc/group"), "root:x:0:\n").map_err(|e| e.to_string())?;
        for dir in ["tmp", "root"] {
            std::fs::create_dir_all(rootfs.join(dir)).map_err(|e| e.to_string())?;
        }
        output(Command::new("chmod").arg("1777").arg(rootfs.join("tmp")))?;
        let tar = Command::new("tar").arg("-C").arg(&rootfs).args(["-c", "."]).stdout(Stdio::piped()).spawn();
        let mut tar = tar.map_err(|e| e.to_string())?;
        let mut import = self.command();
        import
            .args(["import", "--change", "ENV PATH=/usr/local/bin:/usr/bin:/bin"])
            .args(["--change", "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt"])
            .args(["--change", "CMD [\"node\"]", "-"])
            .arg(format!("docker.io/library/node:{node}-alpine"))
            .stdin(tar.stdout.take().unwrap());
        output(&mut import)?;
        tar.wait().map_err(|e| e.to_string())?;
        self.bases.borrow_mut().insert(node.to_owned());
        Ok(())
    }
}

fn status(port: u16, path: &str) -> Result<u16, String> {
    crate::support::http_get(port, path).map(|(status, _)| status)
}

/// The command every deployment file runs the image's migrations with, read from each of them:
/// they must agree, so that running it here proves them all.
fn migrate_command(project: &Path) -> Result<Vec<String>, String> {
    let read = |rel: &str| std::fs::read_to_string(project.join(rel)).map_err(|e| format!("{rel}: {e}"));
    let yaml = |rel: &str| -> Result<serde_json::Value, String> {
        yaml_serde::from_str(&read(rel)?).map_err(|e| format!("{rel}: {e}"))
    };
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect()).unwrap_or_default()
    };
    let mut found: Vec<(String, Vec<String>)> = Vec::new();
    if project.join("k8s/base/deployment.yaml").is_file() {
        let d = yaml("k8s/base/deployment.yaml")?;
        found.push((
            "k8s init container".into(),
            strings(&d["spec"]["template"]["spec"]["initContainers"][0]["command"]),
        ));
    }
    if project.join("compose.prod.yaml").is_file() {
        found
            .push(("compose.prod.yaml".into(), strings(&yaml("compose.prod.yaml")?["services"]["migrate"]["command"])));
    }
    if project.join("ecs/task-definition.json").is_file() {
        let t: serde_json::Value =
            serde_json::from_str(&read("ecs/task-definition.json")?).map_err(|e| e.to_string())?;
        found.push(("ECS task".into(), strings(&t["containerDefinitions"][0]["command"])));
    }
    let Some((_, first)) = found.first().cloned() else { return Ok(vec!["node".into(), "dist/migrate.js".into()]) };
    match found.iter().find(|(_, c)| *c != first || c.is_empty()) {
        Some((which, c)) => Err(format!("{which} runs migrations with {c:?}, others with {first:?}")),
        None => Ok(first),
    }
}

/// Runs the image's migrations as the deployment files do: against `fresh` (an empty database)
/// they must apply every file and exit 0; against a server that is not there, exit non-zero
/// fast, which is what stops a rollout. A summary.
fn check_migrations(
    podman: &Podman,
    project: &Path,
    tag: &str,
    env: &[(String, String)],
    fresh: &str,
) -> Result<String, String> {
    let command = migrate_command(project)?;
    let run = |url: &str| {
        let mut run = podman.command();
        run.args(["run", "--rm", "--network=host", "--read-only", "--tmpfs", "/tmp"]).args([
            "--ulimit",
            "nofile=1024:1024",
            "--ulimit",
            "nproc=4096:4096",
        ]);
        for (k, v) in env.iter().filter(|(k, _)| k != "DATABASE_URL") {
            run.args(["-e", &format!("{k}={v}")]);
        }
        run.args(["-e", &format!("DATABASE_URL={url}")]).arg(tag).args(&command);
        run.output().map_err(|e| e.to_string())
    };
    let out = run(fresh)?;
    // podman's own complaints (no systemd here) go to stderr; the runner's report to stdout.
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let files = std::fs::read_dir(project.join("migrations"))
        .map_err(|e| e.to_string())?
        .filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "sql")))
        .count();
    if !out.status.success() || !text.starts_with("applied ") || text.matches(".sql").count() != files {
        return Err(format!(
            "`{}` in the image did not apply the {files} migrations: {text}{}",
            command.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let started = Instant::now();
    let closed = format!("postgres://nobody@127.0.0.1:{}/none", crate::support::free_port());
    let out = run(&closed)?;
    if out.status.success() {
        return Err("the migrations ran against a server that is not there and exited 0".into());
    }
    Ok(format!(
        "`{}` applied {files} migrations to an empty database and exited 1 in {:.1?} without a server",
        command.join(" "),
        started.elapsed()
    ))
}

/// Builds the project's image, runs it and stops it; a summary with the figures. With
/// PostgreSQL, `fresh` is an empty database for the image's migrations (`check_migrations`).
pub fn check_image(
    podman: &Podman,
    project: &Path,
    node: &str,
    node_bin: &Path,
    env: &[(String, String)],
    fresh: Option<&str>,
) -> Result<String, String> {
    podman.base(node, node_bin)?;
    let name = project.file_name().unwrap().to_string_lossy().into_owned();
    let tag = format!("localhost/{name}:e2e");
    let started = Instant::now();
    // Docker's image format keeps the HEALTHCHECK (OCI has no field for it).
    output(
        podman
            .command()
            .args(["build", "--pull=never", "--network=host", "--format", "docker", "-t", &tag])
            .arg(project),
    )?;
    let built = started.elapsed();
    let inspect = output(podman.command().args(["image", "inspect", &tag]))?;
    let image: serde_json::Value = serde_json::from_str(&inspect).map_err(|e| format!("podman image inspect: {e}"))?;
    let config = &image[0]["Config"];
    if config["User"] != "10001:10001" {
        return Err(format!("the image runs as {:?}, not the numeric non-root user", config["User"]));
    }
    if image[0]["Healthcheck"].is_null() && config["Healthcheck"].is_null() {
        return Err("the image has no HEALTHCHECK".into());
    }
    let size_mb = image[0]["Size"].as_f64().unwrap_or_default() / 1e6;
    let migrations = match fresh.filter(|_| project.join("migrations").is_dir()) {
        Some(url) => format!("; {}", check_migrations(podman, project, &tag, env, url)?),
        None => String::new(),
    };

    let stopped_in = run_and_stop(podman, &format!("{name}-e2e"), &tag, env, &[], &["/live", "/openapi.json"])?;
    let consumer = match consumer_command(project)? {
        Some(command) => {
            let stopped_in =
                run_and_stop(podman, &format!("{name}-consumer-e2e"), &tag, env, &command, &["/live", "/metrics"])?;
            format!(
                "; the consumer (`{}`): /live, /ready and /metrics 200, HEALTHCHECK healthy, SIGTERM to exit 0 in {stopped_in:.1?}",
                command.join(" ")
            )
        }
        None => String::new(),
    };
    Ok(format!(
        "image built in {:.0?} ({size_mb:.0} MB) from a local node:{node}-alpine stand-in; runs as 10001:10001 on a read-only root; /live, /ready and /openapi.json 200; HEALTHCHECK healthy; SIGTERM to exit 0 in {stopped_in:.1?}{migrations}{consumer}",
        built
    ))
}

/// The command the event consumer's Deployment runs the image with (the chart's is compared with
/// it in targets.rs), or `npm run consumer`'s bundle when there is no Kubernetes; `None` without
/// messaging.
fn consumer_command(project: &Path) -> Result<Option<Vec<String>>, String> {
    let manifest = project.join("k8s/base/consumer.yaml");
    if !manifest.is_file() {
        let has_consumer = ["src/consumer.js", "src/consumer.ts"].iter().any(|f| project.join(f).is_file());
        return Ok(has_consumer.then(|| vec!["node".into(), "dist/consumer.js".into()]));
    }
    let text = std::fs::read_to_string(&manifest).map_err(|e| e.to_string())?;
    let deployment = crate::targets::yaml_documents(&text)
        .into_iter()
        .find(|doc| doc["kind"] == "Deployment")
        .ok_or("k8s/base/consumer.yaml holds no Deployment")?;
    let command: Vec<String> = deployment["spec"]["template"]["spec"]["containers"][0]["command"]
        .as_sequence()
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    if command.is_empty() {
        return Err("k8s/base/consumer.yaml runs the image without a command".into());
    }
    Ok(Some(command))
}

/// Runs the image as `container` (with `command` instead of its CMD, as a Deployment's
/// `command` replaces it: the image has no ENTRYPOINT), as Kubernetes runs it; probes it and
/// `paths`, and stops it. How long the graceful stop took.
fn run_and_stop(
    podman: &Podman,
    container: &str,
    tag: &str,
    env: &[(String, String)],
    command: &[String],
    paths: &[&str],
) -> Result<Duration, String> {
    let port = crate::support::free_port();
    let mut run = podman.command();
    run.args(["run", "-d", "--name", container, "--network=host", "--read-only", "--tmpfs", "/tmp"])
        .args(["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096"])
        .args(["-e", &format!("PORT={port}"), "-e", "HOST=127.0.0.1"]);
    for (k, v) in env {
        run.args(["-e", &format!("{k}={v}")]);
    }
    output(run.arg(tag).args(command))?;
    let result = probe_and_stop(podman, container, port, paths);
    let logs = output(podman.command().args(["logs", container])).unwrap_or_default();
    let _ = podman.command().args(["rm", "-f", container]).output();
    let stopped_in = result.map_err(|e| format!("{container}: {e}\ncontainer log:\n{logs}"))?;
    if !logs.contains("\"msg\":\"stopped\"") {
        return Err(format!("{container} did not log its graceful stop:\n{logs}"));
    }
    Ok(stopped_in)
}

fn probe_and_stop(podman: &Podman, container: &str, port: u16, paths: &[&str]) -> Result<Duration, String> {
    let start = Instant::now();
    while status(port, "/ready") != Ok(200) {
        if start.elapsed() > Duration::from_secs(30) {
            return Err(format!("/ready did not answer 200 within 30 s ({:?})", status(port, "/ready")));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    for &path in paths {
        if status(port, path) != Ok(200) {
            return Err(format!("{path} answered {:?}", status(port, path)));
        }
    }
    output(podman.command().args(["healthcheck", "run", container])).map_err(|e| format!("HEALTHCHECK: {e}"))?;
    let stopping = Instant::now();
    output(podman.command().args(["stop", "-t", "20", container]))?;
    let stopped_in = stopping.elapsed();
    let code = output(podman.command().args(["inspect", container, "--format", "{{.State.ExitCode}}"]))?;
    if code.trim() != "0" {
        return Err(format!("the container exited with status {} on SIGTERM", code.trim()));
    }
    Ok(stopped_in)
}
