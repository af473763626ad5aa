//! The served OpenAPI document is the exact contract, checked on a running project by the
//! end-to-end test: the document is linted by Spectral (`spectral:oas`) and Redocly
//! (`recommended`), with no error and no warning but the owner's contact and licence, and
//! Schemathesis fuzzes the service from it (every check: no server error, no valid request
//! rejected, no invalid one accepted, no undocumented status, header or body, auth enforced,
//! stateful sequences through the inferred links). The tools come from `.ci/tools`.

use crate::targets::Tools;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// The only findings allowed: who owns the API and under which licence are the owner's to say.
const ALLOWED: &[&str] = &["info-contact", "info-license"];

/// Examples per operation and phase: about 1,000 requests for two resources in about 20 s.
const MAX_EXAMPLES: &str = "40";

/// A fixed seed: the same ~1,000 cases on every run, so CI is reproducible; a finding names it.
const SEED: &str = "20261201";

/// The service, started with `node <package.json main>` (`src/server.js` or `src/server.ts`); stopped with SIGTERM on drop.
pub struct Service(Child);

impl Service {
    /// SIGKILL, as a crash or the OOM killer ends a process: nothing is finished or flushed.
    pub fn crash(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.0.try_wait() {
            return;
        }
        let _ = Command::new("kill").arg("-TERM").arg(self.0.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The body of `GET path` on loopback, when it answers 200.
fn get(port: u16, path: &str) -> Result<String, String> {
    match crate::support::http_get(port, path)? {
        (200, body) => Ok(body),
        (status, _) => Err(format!("GET {path}: {status}")),
    }
}

pub fn output(cmd: &mut Command) -> Result<(bool, String), String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    Ok((
        out.status.success(),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    ))
}

/// `Authorization` for a project with `auth-jwt`: an HS256 token for `roles`, valid for an hour,
/// minted by node:crypto with the secret the service was started with.
pub fn bearer_token(node: &Path, secret: &str, roles: &[&str]) -> Result<String, String> {
    let script = "const { createHmac } = require('node:crypto');\
        const part = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');\
        const roles = process.argv[2] ? process.argv[2].split(',') : [];\
        const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: 'client', roles, exp: Math.floor(Date.now() / 1000) + 3600 })}`;\
        console.log(`${unsigned}.${createHmac('sha256', process.argv[1]).update(unsigned).digest('base64url')}`);";
    let (ok, text) = output(Command::new(node).args(["-e", script, secret, &roles.join(",")]))?;
    if ok { Ok(text.trim().to_owned()) } else { Err(text) }
}

/// Lints the document the running project serves and fuzzes the project from it. `env` starts
/// it; `headers` are the credentials an authorised client sends.
pub fn check_contract(
    project: &Path,
    tools: &Tools,
    node_bin: &Path,
    env: &[(String, String)],
    headers: &[String],
) -> Result<String, String> {
    // The production dependencies in a copy, as the image has them; the project stays untouched.
    let scratch = tempfile::tempdir().map_err(|e| e.to_string())?;
    let copy = scratch.path().join("app");
    let (ok, text) = output(Command::new("cp").arg("-r").arg(project).arg(&copy))?;
    if !ok {
        return Err(text);
    }
    let env: Vec<(String, String)> = [
        ("NODE_ENV".to_owned(), "production".to_owned()),
        ("LOG_LEVEL".to_owned(), "warn".to_owned()),
        // The fuzzer is one client sending a thousand requests: its budget must not end the run.
        ("RATE_LIMIT_MAX".to_owned(), "1000000".to_owned()),
    ]
    .into_iter()
    .chain(env.iter().cloned())
    .collect();
    let (_service, port) = start_service(&copy, node_bin, &env, &scratch.path().join("service.log"))?;
    let document = get(port, "/openapi.json")?;
    let file = scratch.path().join("openapi.json");
    std::fs::write(&file, &document).map_err(|e| e.to_string())?;

    let spectral = lint_spectral(tools, &file, scratch.path())?;
    let redocly = lint_redocly(tools, &file, node_bin)?;
    let fuzz = fuzz(tools, port, headers, scratch.path())?;
    Ok(format!("spectral:oas {spectral}; redocly recommended {redocly}; schemathesis {fuzz}"))
}

/// Installs `project`'s production dependencies, as the image has them, applies its migrations
/// when it has any, and starts it with `node <package.json main>` on a free loopback port with
/// `env` (later entries win); returns once `/live` answers 200. The service logs to `log` and
/// stops with SIGTERM when the returned guard is dropped.
pub fn start_service(
    project: &Path,
    node_bin: &Path,
    env: &[(String, String)],
    log: &Path,
) -> Result<(Service, u16), String> {
    let path = std::env::join_paths(
        std::iter::once(node_bin.to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .map_err(|e| e.to_string())?;
    let (ok, text) = output(
        Command::new("npm")
            .args(["ci", "--omit=dev", "--no-audit", "--no-fund", "--prefer-offline"])
            .current_dir(project)
            .env("PATH", &path),
    )?;
    if !ok {
        return Err(format!("npm ci failed:\n{text}"));
    }
    if std::fs::read_to_string(project.join("package.json")).is_ok_and(|p| p.contains("\"migrate\":")) {
        let mut migrate = Command::new("npm");
        migrate.args(["run", "-s", "migrate"]).current_dir(project).env("PATH", &path).envs(env.iter().cloned());
        let (ok, text) = output(&mut migrate)?;
        if !ok {
            return Err(format!("npm run migrate failed:\n{text}"));
        }
    }
    spawn_service(project, node_bin, env, log)
}

/// Starts `project` as it is (dependencies installed, migrations applied) with `node <package.json
/// main>` on a free loopback port with `env`; returns once `/live` answers 200.
pub fn spawn_service(
    project: &Path,
    node_bin: &Path,
    env: &[(String, String)],
    log: &Path,
) -> Result<(Service, u16), String> {
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(project.join("package.json")).map_err(|e| e.to_string())?)
            .map_err(|e| format!("package.json: {e}"))?;
    let entry = manifest["main"].as_str().ok_or("package.json names no main module")?.to_owned();
    let port = crate::support::free_port();
    spawn_entry(project, &entry, port, node_bin, env, log).map(|service| (service, port))
}

/// Starts `node <entry>` in `project` on `port` (its own process, killed when the value drops),
/// and waits until it answers /live.
pub fn spawn_entry(
    project: &Path,
    entry: &str,
    port: u16,
    node_bin: &Path,
    env: &[(String, String)],
    log: &Path,
) -> Result<Service, String> {
    let file = std::fs::File::create(log).map_err(|e| e.to_string())?;
    let mut start = Command::new(node_bin.join("node"));
    start
        .arg(entry)
        .current_dir(project)
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .envs(env.iter().cloned())
        .stdout(file.try_clone().map_err(|e| e.to_string())?)
        .stderr(file);
    let service = Service(start.spawn().map_err(|e| format!("node {entry}: {e}"))?);
    let started = Instant::now();
    while crate::support::http_get(port, "/live").map(|(status, _)| status) != Ok(200) {
        if started.elapsed() > Duration::from_secs(30) {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            return Err(format!("the service did not answer /live within 30 s:\n{log}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(service)
}

fn lint_spectral(tools: &Tools, file: &Path, scratch: &Path) -> Result<String, String> {
    let ruleset = scratch.join(".spectral.yaml");
    std::fs::write(&ruleset, "extends: [\"spectral:oas\"]\n").map_err(|e| e.to_string())?;
    let (_, text) = output(
        Command::new(tools.spectral()).arg("lint").arg(file).arg("--ruleset").arg(&ruleset).args(["-f", "json", "-q"]),
    )?;
    let findings: serde_json::Value =
        serde_json::from_str(text.trim()).map_err(|e| format!("spectral printed no JSON ({e}):\n{text}"))?;
    let findings = findings.as_array().ok_or_else(|| format!("spectral: {text}"))?;
    let (allowed, other): (Vec<_>, Vec<_>) =
        findings.iter().partition(|f| f["code"].as_str().is_some_and(|c| ALLOWED.contains(&c)));
    if !other.is_empty() {
        return Err(format!("spectral found: {}", serde_json::to_string_pretty(&other).unwrap_or_default()));
    }
    Ok(format!("0 errors, {} allowed warnings", allowed.len()))
}

fn lint_redocly(tools: &Tools, file: &Path, node_bin: &Path) -> Result<String, String> {
    let (_, text) = output(
        Command::new(node_bin.join("node"))
            .arg(tools.redocly())
            .arg("lint")
            .arg(file)
            .arg("--format=json")
            .env("REDOCLY_TELEMETRY", "off")
            .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true"),
    )?;
    let start = text.find('{').ok_or_else(|| format!("redocly printed no JSON:\n{text}"))?;
    let report: serde_json::Value = serde_json::Deserializer::from_str(&text[start..])
        .into_iter()
        .next()
        .and_then(Result::ok)
        .ok_or_else(|| format!("redocly printed no JSON:\n{text}"))?;
    let problems = report["problems"].as_array().ok_or_else(|| format!("redocly: {text}"))?;
    let (allowed, other): (Vec<_>, Vec<_>) =
        problems.iter().partition(|p| p["ruleId"].as_str().is_some_and(|r| ALLOWED.contains(&r)));
    if !other.is_empty() {
        return Err(format!("redocly found: {}", serde_json::to_string_pretty(&other).unwrap_or_default()));
    }
    Ok(format!("0 errors, {} allowed warnings", allowed.len()))
}

fn fuzz(tools: &Tools, port: u16, headers: &[String], scratch: &Path) -> Result<String, String> {
    let config = crate::support::repo_root().join("tests/integration/schemathesis.toml");
    let mut cmd = Command::new(tools.schemathesis());
    // It keeps a cache of findings in `.schemathesis/` under its working directory.
    cmd.current_dir(scratch)
        .arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(format!("http://127.0.0.1:{port}/openapi.json"))
        .args(["--url", &format!("http://127.0.0.1:{port}/api")])
        .args(["--checks", "all", "--max-examples", MAX_EXAMPLES, "--workers", "1", "--seed", SEED])
        .env("NO_COLOR", "1")
        .env("SCHEMATHESIS_TELEMETRY", "false");
    for header in headers {
        cmd.args(["-H", header]);
    }
    let (ok, text) = output(&mut cmd)?;
    // "1165 generated, 1165 passed, 12 skipped": the line after "Test cases:".
    let cases =
        text.lines().skip_while(|l| !l.starts_with("Test cases:")).nth(1).map(str::trim).unwrap_or_default().to_owned();
    let operations = text.lines().find(|l| l.trim_start().starts_with("Operations:")).map(|l| l.trim().to_owned());
    if !ok || cases.is_empty() {
        let shown: String = text.lines().map(|l| l.chars().take(400).collect::<String>() + "\n").collect();
        return Err(format!("schemathesis failed:\n{shown}"));
    }
    Ok(format!("{cases} ({})", operations.unwrap_or_default()))
}
