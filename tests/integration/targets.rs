//! Checks of the deployment targets that `validate-service` has no check for, run by the
//! end-to-end test on generated projects:
//! - nginx: `nginx -t` (Debian package `nginx`) on each configuration, with a throwaway certificate;
//! - Helm: `helm lint --strict`, then `helm template` with the default values and with the other
//!   routing, each render checked by validate-service's strict Kubernetes schemas and references
//!   (and checkov when asked) like the kustomize renders, and its Deployment compared with the
//!   kustomize base's hardening;
//! - ECS: the task definition against botocore's model of `RegisterTaskDefinition`, and every
//!   Terraform file parsed by python-hcl2 (checkov, run by validate-service, reads them too);
//! - PM2: the ecosystem file started for real in cluster mode on the Node line asked for, reloaded
//!   under traffic with no request refused, and stopped.
//!
//! helm, botocore, python-hcl2 and pm2 come from `.ci/tools`, found through ESPRESSO_TOOLS.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// What `.ci/tools` installed.
pub struct Tools {
    dir: PathBuf,
}

impl Tools {
    pub fn find() -> Option<Self> {
        let dir = PathBuf::from(std::env::var_os("ESPRESSO_TOOLS")?);
        dir.join("venv/bin/helm").is_file().then_some(Self { dir })
    }

    fn helm(&self) -> PathBuf {
        self.dir.join("venv/bin/helm")
    }

    fn python(&self) -> PathBuf {
        self.dir.join("venv/bin/python")
    }

    fn pm2(&self) -> PathBuf {
        self.dir.join("node_modules/.bin/pm2")
    }

    pub fn spectral(&self) -> PathBuf {
        self.dir.join("node_modules/.bin/spectral")
    }

    /// Redocly's entry script, run with the Node line under test.
    pub fn redocly(&self) -> PathBuf {
        self.dir.join("node_modules/@redocly/cli/bin/cli.js")
    }

    pub fn schemathesis(&self) -> PathBuf {
        self.dir.join("venv/bin/st")
    }
}

/// Runs a command; its output on failure.
/// The documents of a multi-document YAML text (a render, a manifest) that parse.
pub fn yaml_documents(text: &str) -> Vec<yaml_serde::Value> {
    text.split("\n---").filter_map(|doc| yaml_serde::from_str(doc).ok()).collect()
}

fn output(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.success() { Ok(text) } else { Err(format!("{cmd:?} failed:\n{text}")) }
}

/// `nginx -t` on every configuration in `nginx/`, in a copy holding a self-signed certificate.
/// The compose variant names its upstream `app`, which only compose's DNS resolves, so the copy
/// points it at 127.0.0.1; nothing else differs.
pub fn check_nginx(project: &Path) -> Result<String, String> {
    let scratch = tempfile::tempdir().map_err(|e| e.to_string())?;
    let conf_dir = scratch.path().join("nginx");
    std::fs::create_dir_all(conf_dir.join("tls")).map_err(|e| e.to_string())?;
    output(Command::new("openssl").args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]).args([
        "-subj",
        "/CN=localhost",
        "-keyout",
        conf_dir.join("tls/tls.key").to_str().unwrap(),
        "-out",
        conf_dir.join("tls/tls.crt").to_str().unwrap(),
    ]))?;
    let prefix = scratch.path().join("prefix");
    std::fs::create_dir_all(prefix.join("logs")).map_err(|e| e.to_string())?;
    let mut checked = Vec::new();
    for entry in std::fs::read_dir(project.join("nginx")).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_none_or(|e| e != "conf") {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        let copy = conf_dir.join(&name);
        std::fs::write(&copy, text.replace("server app:", "server 127.0.0.1:")).map_err(|e| e.to_string())?;
        output(Command::new("nginx").arg("-t").arg("-p").arg(&prefix).arg("-c").arg(&copy))
            .map_err(|e| format!("{name}: {e}"))?;
        checked.push(name);
    }
    if checked.is_empty() {
        return Err("no nginx configuration found".into());
    }
    checked.sort();
    Ok(format!("nginx -t: {}", checked.join(", ")))
}

/// The chart: lint, then each routing rendered and validated as a Kubernetes manifest set.
pub fn check_helm(project: &Path, tools: &Tools, harness: &Path, checkov: bool) -> Result<String, String> {
    let charts: Vec<PathBuf> = std::fs::read_dir(project.join("charts"))
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    let [chart] = charts.as_slice() else { return Err(format!("expected one chart, found {charts:?}")) };
    let name = chart.file_name().unwrap().to_string_lossy().into_owned();
    output(Command::new(tools.helm()).args(["lint", "--strict"]).arg(chart))?;
    let values = std::fs::read_to_string(chart.join("values.yaml")).map_err(|e| e.to_string())?;
    let ingress_on = values.contains("ingress:\n  enabled: true");
    let routings: [(&str, &[&str]); 2] = [
        ("default values", &[]),
        (
            "the other routing",
            if ingress_on {
                &["--set", "ingress.enabled=false", "--set", "httpRoute.enabled=true"]
            } else {
                &["--set", "ingress.enabled=true", "--set", "httpRoute.enabled=false"]
            },
        ),
    ];
    let mut summaries = Vec::new();
    for (what, args) in routings {
        let rendered = output(Command::new(tools.helm()).args(["template", &name]).arg(chart).args(args))?;
        same_hardening_as_kustomize(project, &rendered)?;
        let scratch = tempfile::tempdir().map_err(|e| e.to_string())?;
        std::fs::create_dir_all(scratch.path().join("k8s")).map_err(|e| e.to_string())?;
        std::fs::write(scratch.path().join("k8s/helm-template.yaml"), &rendered).map_err(|e| e.to_string())?;
        let only = if checkov { "k8s,checkov" } else { "k8s" };
        let report = output(
            Command::new(harness)
                .arg(scratch.path())
                .args(["--fail-on-skip", "--only", only])
                .env("VALIDATE_CHECKOV_SKIP", "CKV_K8S_15,CKV_K8S_21,CKV_K8S_43"),
        )
        .map_err(|e| format!("helm template with {what}: {e}"))?;
        let summary = report.lines().last().unwrap_or_default().to_owned();
        summaries.push(format!("{what}: {summary}"));
    }
    let secrets = check_helm_secret(tools, chart, &name)?;
    let consumer = check_helm_consumer(tools, chart, &name)?;
    Ok(format!("helm lint --strict; helm template, validated ({}); {secrets}{consumer}", summaries.join("; ")))
}

/// With messaging, `consumer.enabled` alone chooses who consumes the events: the consumer's own
/// Deployment with the web pods told to leave them (`separate`), or the web pods (`in-process`).
fn check_helm_consumer(tools: &Tools, chart: &Path, name: &str) -> Result<String, String> {
    if !chart.join("templates/consumer.yaml").exists() {
        return Ok(String::new());
    }
    let mut seen = Vec::new();
    for (enabled, mode) in [(true, "separate"), (false, "in-process")] {
        let rendered = output(
            Command::new(tools.helm())
                .args(["template", name])
                .arg(chart)
                .args(["--set", &format!("consumer.enabled={enabled}")]),
        )?;
        let docs = yaml_documents(&rendered);
        let mut kinds = docs
            .iter()
            .filter(|d| d["metadata"]["name"].as_str().is_some_and(|n| n.ends_with("-consumer")))
            .map(|d| d["kind"].as_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>();
        kinds.sort();
        let expected: &[&str] = if enabled { &["Deployment", "NetworkPolicy", "PodDisruptionBudget"] } else { &[] };
        if kinds != expected {
            return Err(format!("consumer.enabled={enabled} renders the consumer's {kinds:?}, not {expected:?}"));
        }
        let configmap = docs.iter().find(|d| d["kind"] == "ConfigMap").ok_or("the chart renders no ConfigMap")?;
        if configmap["data"]["MESSAGING_CONSUMER_MODE"] != mode {
            return Err(format!(
                "consumer.enabled={enabled}: the ConfigMap sets MESSAGING_CONSUMER_MODE to {:?}, not {mode}",
                configmap["data"]["MESSAGING_CONSUMER_MODE"]
            ));
        }
        seen.push(format!("consumer.enabled={enabled}: {mode}"));
    }
    Ok(format!("; {}", seen.join(", ")))
}

/// The chart's Secret: a value given at install time is stored (base64, as `data` wants it), one
/// not given stays empty (in a cluster, `lookup` keeps what the Secret already holds; `helm
/// template` has no cluster, so that branch is left to the template's review).
fn check_helm_secret(tools: &Tools, chart: &Path, name: &str) -> Result<String, String> {
    let values: yaml_serde::Value =
        yaml_serde::from_str(&std::fs::read_to_string(chart.join("values.yaml")).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    let keys: Vec<String> = values["secrets"]["values"]
        .as_mapping()
        .into_iter()
        .flatten()
        .filter_map(|(k, _)| k.as_str().map(str::to_owned))
        .collect();
    let Some(given) = keys.first() else { return Ok("no secret variables".into()) };
    let rendered = output(
        Command::new(tools.helm())
            .args(["template", name])
            .arg(chart)
            .args(["--set-string", &format!("secrets.values.{given}=s3cret-value")]),
    )?;
    let secret = yaml_documents(&rendered)
        .into_iter()
        .find(|doc| doc["kind"] == "Secret")
        .ok_or("the chart renders no Secret")?;
    // base64 of "s3cret-value".
    if secret["data"][given.as_str()] != "czNjcmV0LXZhbHVl" {
        return Err(format!("the Secret does not hold the value given for {given}:\n{rendered}"));
    }
    let empty: Vec<&String> = keys[1..].iter().filter(|k| secret["data"][k.as_str()] == "").collect();
    if empty.len() != keys.len() - 1 {
        return Err(format!("a value not given is not left empty in the Secret:\n{rendered}"));
    }
    Ok(format!("Secret holds the value given for {given} and {} left empty", empty.len()))
}

/// The chart's Deployments carry the kustomize base's hardening: the same pod and container
/// security contexts, probes, preStop hook and resources, for the web pods and (with messaging)
/// the event consumer's (the two are written in different template languages, so this is what
/// keeps them from drifting).
fn same_hardening_as_kustomize(project: &Path, rendered: &str) -> Result<(), String> {
    let deployments: Vec<yaml_serde::Value> =
        yaml_documents(rendered).into_iter().filter(|doc| doc["kind"] == "Deployment").collect();
    let consumer = |d: &&yaml_serde::Value| d["metadata"]["name"].as_str().is_some_and(|n| n.ends_with("-consumer"));
    let web = deployments.iter().find(|d| !consumer(d)).ok_or("the chart renders no Deployment")?;
    same_pod(project, "k8s/base/deployment.yaml", web)?;
    let base_consumer = project.join("k8s/base/consumer.yaml");
    match deployments.iter().find(consumer) {
        Some(chart) => same_pod(project, "k8s/base/consumer.yaml", chart),
        None if base_consumer.exists() => Err("k8s/base has the event consumer's Deployment, the chart none".into()),
        None => Ok(()),
    }
}

/// The pod of `chart` has the hardening of the first Deployment in `base` (a file of the project).
fn same_pod(project: &Path, base: &str, chart: &yaml_serde::Value) -> Result<(), String> {
    let text = std::fs::read_to_string(project.join(base))
        .map_err(|e| format!("the chart's hardening is compared with {base}, which cannot be read: {e}"))?;
    let base_doc = yaml_documents(&text)
        .into_iter()
        .find(|doc| doc["kind"] == "Deployment")
        .ok_or_else(|| format!("{base} holds no Deployment"))?;
    let pod = |d: &yaml_serde::Value| d["spec"]["template"]["spec"].clone();
    let (a, b) = (pod(&base_doc), pod(chart));
    let mut differs = Vec::new();
    for key in ["securityContext", "automountServiceAccountToken", "terminationGracePeriodSeconds"] {
        if a[key] != b[key] {
            differs.push(key.to_owned());
        }
    }
    // The same init containers (the migrations), by name.
    let init = |p: &yaml_serde::Value| {
        p["initContainers"].as_sequence().map(|s| s.iter().map(|c| c["name"].clone()).collect::<Vec<_>>())
    };
    if init(&a) != init(&b) {
        differs.push("initContainers".to_owned());
    }
    for key in
        ["securityContext", "startupProbe", "livenessProbe", "readinessProbe", "lifecycle", "resources", "command"]
    {
        if a["containers"][0][key] != b["containers"][0][key] {
            differs.push(format!("containers[0].{key}"));
        }
    }
    if differs.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the chart's Deployment {} differs from {base} in {differs:?}",
            chart["metadata"]["name"].as_str().unwrap_or("?")
        ))
    }
}

const ECS_CHECK: &str = r#"
import json, pathlib, sys
import botocore.session, hcl2
from botocore.validate import ParamValidator

root = pathlib.Path(sys.argv[1])
doc = json.loads((root / "ecs/task-definition.json").read_text())
shape = botocore.session.get_session().get_service_model("ecs").operation_model("RegisterTaskDefinition").input_shape
report = ParamValidator().validate(doc, shape)
if report.has_errors():
    sys.exit("task-definition.json: " + report.generate_report())
files = sorted((root / "ecs/terraform").glob("*.tf"))
expected = int(sys.argv[2])
if expected == 0 or len(files) != expected:
    sys.exit(f"espresso.toml records {expected} Terraform files, ecs/terraform holds {len(files)}")
blocks = 0
for f in files:
    with f.open() as fh:
        try:
            blocks += sum(len(v) for v in hcl2.load(fh).values())
        except Exception as e:
            sys.exit(f"{f.name}: {e}")
container = doc["containerDefinitions"][0]
print(f"task definition valid for RegisterTaskDefinition ({len(container['environment'])} environment, "
      f"{len(container['secrets'])} secrets); {len(files)} Terraform files, {blocks} blocks parsed")
"#;

/// The task definition against the ECS API model, and every Terraform file espresso recorded
/// parsed (none missing, none extra).
pub fn check_ecs(project: &Path, tools: &Tools) -> Result<String, String> {
    let record = std::fs::read_to_string(project.join("espresso.toml")).map_err(|e| e.to_string())?;
    let recorded = record.lines().filter(|l| l.contains("  ecs/terraform/") && l.ends_with(".tf")).count();
    output(Command::new(tools.python()).args(["-c", ECS_CHECK]).arg(project).arg(recorded.to_string()))
        .map(|s| s.trim().to_owned())
}

/// Kills the PM2 daemon of a test, whatever happened.
struct Pm2<'a> {
    tools: &'a Tools,
    home: &'a Path,
    node_bin: &'a Path,
    dir: &'a Path,
}

impl Pm2<'_> {
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(self.tools.pm2());
        cmd.args(args).current_dir(self.dir).env("PM2_HOME", self.home).env("PATH", path_with(self.node_bin));
        cmd
    }
}

/// PATH with `dir` first.
fn path_with(dir: &Path) -> std::ffi::OsString {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(dir.to_path_buf()).chain(std::env::split_paths(&path))).unwrap()
}

impl Drop for Pm2<'_> {
    fn drop(&mut self) {
        let _ = self.command(&["kill"]).output();
    }
}

/// The status of `GET path` on a fresh connection, or what went wrong (refused, reset, no answer).
fn http_status(port: u16, path: &str) -> Result<u16, String> {
    crate::support::http_get(port, path).map(|(status, _)| status)
}

fn wait_ready(port: u16) -> Result<(), String> {
    let start = Instant::now();
    while http_status(port, "/ready") != Ok(200) {
        if start.elapsed() > Duration::from_secs(30) {
            return Err(format!("/ready on port {port} did not answer 200 within 30 s"));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

/// Requests to /health sent before the metrics are scraped.
const HEALTH_REQUESTS: u64 = 12;

/// `http_requests_total` for `GET /health` in one scrape of /metrics, summed by `worker` label
/// (a series without one counts as worker "?").
fn health_requests_by_worker(port: u16) -> Result<std::collections::BTreeMap<String, u64>, String> {
    let (status, body) = crate::support::http_get(port, "/metrics")?;
    if status != 200 {
        return Err(format!("/metrics answered {status}"));
    }
    let mut by_worker = std::collections::BTreeMap::new();
    for line in body.lines().filter(|l| l.starts_with("http_requests_total{") && l.contains("route=\"/health\"")) {
        let worker = line.split("worker=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap_or("?");
        let value: u64 =
            line.rsplit(' ').next().and_then(|v| v.parse().ok()).ok_or_else(|| format!("unreadable sample: {line}"))?;
        *by_worker.entry(worker.to_owned()).or_default() += value;
    }
    Ok(by_worker)
}

/// The ecosystem file for real: production dependencies installed in a copy of the project, two
/// cluster workers started with `--env production` on `node_bin`'s node (npm is the one on PATH),
/// ready, their metrics scraped as one cluster, reloaded one by one, stopped; every worker logs its
/// shutdown and exits 0.
pub fn check_pm2(project: &Path, tools: &Tools, node_bin: &Path, env: &[(String, String)]) -> Result<String, String> {
    // PM2 runs whichever `node` PATH finds first: without this one, the machine's would run instead.
    if !node_bin.join("node").is_file() {
        return Err(format!("no node in {}, so PM2 would run another one", node_bin.display()));
    }
    let scratch = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = scratch.path().join("app");
    output(Command::new("cp").arg("-r").arg(project).arg(&dir))?;
    output(
        Command::new("npm")
            .args(["ci", "--omit=dev", "--no-audit", "--no-fund", "--prefer-offline"])
            .current_dir(&dir)
            .env("PATH", path_with(node_bin)),
    )?;
    let home = scratch.path().join("pm2-home");
    let pm2 = Pm2 { tools, home: &home, node_bin, dir: &dir };
    let port = crate::support::free_port();
    let mut start = pm2.command(&["start", "ecosystem.config.cjs", "--env", "production"]);
    start.env("PORT", port.to_string()).env("WEB_CONCURRENCY", "2");
    for (k, v) in env {
        start.env(k, v);
    }
    output(&mut start)?;
    wait_ready(port)?;
    let list: serde_json::Value =
        serde_json::from_str(output(&mut pm2.command(&["jlist"]))?.trim()).map_err(|e| format!("pm2 jlist: {e}"))?;
    let workers = list.as_array().map(Vec::len).unwrap_or_default();
    let online_cluster = list
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["pm2_env"]["status"] == "online" && p["pm2_env"]["exec_mode"] == "cluster_mode")
        .count();
    if workers != 2 || online_cluster != 2 {
        return Err(format!("expected 2 online cluster workers, pm2 jlist says:\n{list:#}"));
    }
    let expected = output(Command::new(node_bin.join("node")).arg("--version"))?.trim().to_owned();
    let versions: Vec<&str> =
        list.as_array().into_iter().flatten().filter_map(|p| p["pm2_env"]["node_version"].as_str()).collect();
    if versions.len() != 2 || versions.iter().any(|v| format!("v{v}") != expected) {
        return Err(format!("the workers run Node {versions:?}, not {expected}"));
    }
    let name = list[0]["name"].as_str().unwrap_or_default().to_owned();
    // Whichever worker is scraped answers for the cluster: the same counts every time.
    for _ in 0..HEALTH_REQUESTS {
        http_status(port, "/health")?;
    }
    let mut scrapes = Vec::new();
    for _ in 0..6 {
        scrapes.push(health_requests_by_worker(port)?);
    }
    let total: u64 = scrapes[0].values().sum();
    if scrapes.iter().any(|s| s != &scrapes[0] || s.len() != 2) || total != HEALTH_REQUESTS {
        return Err(format!(
            "six scrapes after {HEALTH_REQUESTS} requests to /health should each show both workers and {HEALTH_REQUESTS} in all; by worker: {scrapes:?}"
        ));
    }
    // Requests all through the reload: replacing the workers one by one means none is refused.
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (served, refused) = std::thread::scope(|scope| -> Result<(usize, Vec<String>), String> {
        let traffic = scope.spawn(|| {
            let (mut served, mut refused) = (0, Vec::new());
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                match http_status(port, "/health") {
                    Ok(200) => served += 1,
                    Ok(status) => refused.push(format!("status {status}")),
                    Err(e) => refused.push(e),
                }
            }
            (served, refused)
        });
        let reload = output(&mut pm2.command(&["reload", &name]));
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let counts = traffic.join().map_err(|_| "the traffic thread panicked".to_owned())?;
        reload.map(|_| counts)
    })?;
    if served < 20 || !refused.is_empty() {
        return Err(format!(
            "during the reload {served} requests were served and {} refused: {refused:?}",
            refused.len()
        ));
    }
    wait_ready(port)?;
    let after_reload = health_requests_by_worker(port)?;
    if after_reload.len() != 2 {
        return Err(format!("after the reload /metrics shows the workers {after_reload:?}, not both"));
    }
    output(&mut pm2.command(&["stop", &name]))?;
    let logs = std::fs::read_to_string(home.join(format!("logs/{name}-out.log"))).map_err(|e| e.to_string())?;
    let count = |msg: &str| logs.lines().filter(|l| l.contains(&format!("\"msg\":\"{msg}\""))).count();
    let daemon = std::fs::read_to_string(home.join("pm2.log")).map_err(|e| e.to_string())?;
    let clean_exits = daemon.lines().filter(|l| l.contains("exited with code [0]")).count();
    // Two workers, replaced once by the reload, then stopped: four of each.
    if count("listening") != 4 || count("stopped") != 4 || clean_exits != 4 {
        // What a worker wrote to stderr (an exception PM2 caught, say) is in the error log.
        let errors = std::fs::read_to_string(home.join(format!("logs/{name}-error.log"))).unwrap_or_default();
        return Err(format!(
            "expected 4 workers to listen, stop and exit 0; got {}, {} and {}:\n{logs}\nstderr:\n{errors}\n{daemon}",
            count("listening"),
            count("stopped"),
            clean_exits
        ));
    }
    Ok(format!(
        "2 cluster workers on Node {expected} ready; 6 scrapes each showed both workers' {HEALTH_REQUESTS} requests; reloaded while serving {served} requests with none refused; 4 graceful exits with status 0"
    ))
}
