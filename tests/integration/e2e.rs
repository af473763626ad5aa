//! Generated projects work for real: `validate-service` (../shared/validate) installs, tests,
//! lints, starts, probes and stops each one on Node 24 and 26, and runs every static validator.
//! PostgreSQL and Redis (Debian packages) are started here on loopback with their own ports and
//! data directories, so the projects' integration tests run against real servers.
//!
//! The harness is found through ESPRESSO_VALIDATE_DIR (set by `.ci/run`). Without it the test
//! says plainly that it was skipped; under CI=true that is a failure.

use crate::servers::{Postgres, Redis};
use crate::support::{KEYWORD_FIELDS, Sandbox, field_matrix, missing, tell, variants};
use crate::targets;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Resources with every field type and modifier between them, and references with every delete rule.
const RESOURCES: &[&[&str]] = &[
    &[
        "add",
        "resource",
        "order-item",
        "--field",
        "title",
        "--field",
        "quantity:integer:default=1",
        "--field",
        "status:enum(open|paid|void):default=open",
        "--field",
        "note:text:optional",
        "--field",
        "sku:string:unique",
        "--field",
        "price:number",
        "--field",
        "gift:boolean:optional",
        "--field",
        "due:date",
        "--field",
        "shipped-at:datetime:optional",
        "--field",
        "ref:uuid:optional",
        "--field",
        "site:url:optional",
        "--field",
        "meta:json:optional",
    ],
    &[
        "add",
        "resource",
        "customers",
        "--field",
        "email:email:unique",
        "--field",
        "name",
        "--field",
        "vip:boolean:default=false",
    ],
    // References with each delete rule, each tested on its own (deleting the item it refers to
    // touches nothing else), and two references to one resource.
    &[
        "add",
        "resource",
        "review",
        "--field",
        "rating:integer",
        "--field",
        "customer:ref(customer)",
        "--field",
        "item:ref(order-item,cascade):optional",
    ],
    &[
        "add",
        "resource",
        "shipment",
        "--field",
        "carrier",
        "--field",
        "review:ref(review,set-null):optional",
        "--field",
        "courier:ref(customer,set-null):optional",
    ],
];

/// API version v2 beside v1, with a resource of its own, and v1 deprecated (dates given, so the
/// sunset stays after the deprecation whatever day the test runs).
const API_VERSIONS: &[&[&str]] = &[
    &["add", "api-version", "v2"],
    &["add", "resource", "ledger-entry", "--api", "v2", "--field", "amount:decimal", "--field", "memo:text:optional"],
    &["deprecate", "api-version", "v1", "--since", "2026-12-01", "--sunset", "2027-06-30"],
];

#[track_caller]
/// `espresso <args> -q` in `dir`, which must succeed.
pub fn espresso_in(dir: &Path, args: &[&str]) {
    crate::support::espresso().current_dir(dir).args(args).arg("-q").assert().success();
}

/// The checks that apply to a variant: a check with nothing to look at would be a SKIP.
fn checks_for(args: &[&str]) -> &'static str {
    match args {
        ["--language", _, rest @ ..] | ["--preset", _, rest @ ..] => checks_for(rest),
        [] | ["--database", ..] | ["--cache", ..] => "dockerfile,k8s,workflows,compose,schemas,node",
        ["--deploy", "docker,kubernetes", ..]
        | ["--deploy", "docker,kubernetes,helm", ..]
        | ["--deploy", "docker,kubernetes,helm,ecs", ..] => "dockerfile,k8s,workflows,schemas,node",
        ["--deploy", "docker", ..] => "dockerfile,workflows,schemas,node",
        ["--deploy", "kubernetes", ..] => "k8s,workflows,schemas,node",
        ["--deploy", "none", ..] => "schemas,node",
        _ => panic!("no check list for {args:?}"),
    }
}

/// The monitoring target's Prometheus files, checked by promtool (Debian package `prometheus`):
/// the configuration, its alert rules, the same rules inside the Kubernetes PrometheusRule, and
/// every query of the Grafana dashboard (as recording rules, so promtool parses each one).
fn check_monitoring(dir: &Path) -> Result<usize, String> {
    let promtool = |args: &[&str]| -> Result<(), String> {
        let out =
            Command::new("promtool").args(args).current_dir(dir).output().map_err(|e| format!("promtool: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "promtool {args:?}:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    promtool(&["check", "config", "monitoring/prometheus.yml"])?;
    promtool(&["check", "rules", "monitoring/alerts.yml"])?;
    let scratch = tempfile::tempdir().map_err(|e| e.to_string())?;
    cpu_alert_fires_under_the_limit(dir, scratch.path(), &promtool)?;
    let rule_file = dir.join("k8s/components/monitoring/prometheusrule.yaml");
    if rule_file.exists() {
        let rule: yaml_serde::Value = yaml_serde::from_str(&std::fs::read_to_string(&rule_file).unwrap()).unwrap();
        let groups =
            yaml_serde::to_string(&yaml_serde::Mapping::from_iter([("groups".into(), rule["spec"]["groups"].clone())]))
                .unwrap();
        let path = scratch.path().join("prometheusrule-groups.yml");
        std::fs::write(&path, groups).unwrap();
        promtool(&["check", "rules", path.to_str().unwrap()])?;
    }
    let dashboards = std::fs::read_dir(dir.join("monitoring/grafana/dashboards")).map_err(|e| e.to_string())?;
    let mut queries = 0;
    for entry in dashboards {
        let dashboard: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap())
                .map_err(|e| e.to_string())?;
        let panels = dashboard["panels"].as_array().ok_or("a dashboard without panels")?;
        if let Some(empty) = panels.iter().find(|p| p["targets"].as_array().is_none_or(Vec::is_empty)) {
            return Err(format!("dashboard panel {} has no query", empty["title"]));
        }
        let rules: Vec<serde_json::Value> = panels
            .iter()
            .flat_map(|p| p["targets"].as_array().unwrap().iter())
            .enumerate()
            .map(|(i, t)| serde_json::json!({ "record": format!("dashboard:query_{i}"), "expr": t["expr"] }))
            .collect();
        queries += rules.len();
        let path = scratch.path().join("dashboard-queries.yml");
        let doc = serde_json::json!({ "groups": [{ "name": "dashboard", "rules": rules }] });
        std::fs::write(&path, serde_json::to_string(&doc).unwrap()).unwrap();
        promtool(&["check", "rules", path.to_str().unwrap()])?;
    }
    if queries == 0 {
        return Err("the monitoring target has no dashboard query to check".into());
    }
    Ok(queries)
}

/// `promtool test rules` on the CPU saturation alert's expression: a process using 0.48 cores of
/// the Kubernetes base's 500m limit (96%) is saturated, one using 0.40 (80%) is not. Before the
/// alert compared with the limit, it needed 0.9 of a whole core, which a 500m limit never allows.
fn cpu_alert_fires_under_the_limit(
    dir: &Path,
    scratch: &Path,
    promtool: &dyn Fn(&[&str]) -> Result<(), String>,
) -> Result<(), String> {
    let alerts: yaml_serde::Value =
        yaml_serde::from_str(&std::fs::read_to_string(dir.join("monitoring/alerts.yml")).unwrap()).unwrap();
    let rule = alerts["groups"][0]["rules"]
        .as_sequence()
        .into_iter()
        .flatten()
        .find(|r| r["alert"].as_str().is_some_and(|a| a.ends_with("CpuSaturated")))
        .ok_or("no CpuSaturated alert in monitoring/alerts.yml")?;
    let expr = rule["expr"].as_str().ok_or("the CpuSaturated alert has no expression")?;
    let job = expr.split("job=\"").nth(1).and_then(|r| r.split('"').next()).ok_or("no job selector")?;
    let limit = std::fs::read_to_string(dir.join("k8s/base/deployment.yaml")).unwrap_or_default();
    if !limit.contains("cpu: 500m") {
        return Err("the Kubernetes base no longer limits CPU to 500m; update this test's figures".into());
    }
    let case = |per_minute: f64, expected: &str| {
        serde_json::json!({
            "interval": "1m",
            "input_series": [
                { "series": format!("process_cpu_seconds_total{{job=\"{job}\",instance=\"a\"}}"), "values": format!("0+{per_minute}x30") },
                { "series": format!("process_cpu_limit_cores{{job=\"{job}\",instance=\"a\"}}"), "values": "0.5x30" }
            ],
            "promql_expr_test": [{ "expr": format!("count({expr})"), "eval_time": "20m", "exp_samples": serde_json::from_str::<serde_json::Value>(expected).unwrap() }]
        })
    };
    let tests = serde_json::json!({
        "tests": [case(28.8, r#"[{ "labels": "{}", "value": 1 }]"#), case(24.0, "[]")]
    });
    let path = scratch.join("cpu-alert-test.yml");
    std::fs::write(&path, serde_json::to_string(&tests).unwrap()).map_err(|e| e.to_string())?;
    promtool(&["test", "rules", path.to_str().unwrap()])
}

/// Where `validate-service` keeps what its setup installed (Node lines, checkov).
fn validate_home() -> PathBuf {
    std::env::var_os("VALIDATE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/svc-validate"))
}

/// Whether the harness finds checkov, as `validate-service` looks for it.
fn checkov_installed() -> bool {
    let home = validate_home();
    std::env::var_os("CHECKOV").is_some()
        || home.join("checkov-venv/bin/checkov").is_file()
        || crate::support::on_path("checkov")
}

/// The checks of `targets` that apply to a project (by the files it has), each with its result.
/// A missing tool is a failure under CI and a plain SKIPPED note otherwise.
fn check_targets(
    project: &Path,
    harness: &Path,
    checkov: bool,
    node: &str,
    env: &[(String, String)],
) -> Vec<(&'static str, Result<String, String>)> {
    let mut results = Vec::new();
    if project.join("nginx").is_dir() {
        if crate::support::on_path("nginx") || Path::new("/usr/sbin/nginx").is_file() {
            results.push(("nginx", targets::check_nginx(project)));
        } else {
            missing("nginx (Debian package `nginx`) is not installed, so the nginx configuration was not checked");
        }
    }
    let uses_tools = project.join("charts").is_dir()
        || project.join("ecs").is_dir()
        || project.join("ecosystem.config.cjs").is_file();
    let Some(tools) = uses_tools.then(targets::Tools::find).flatten() else {
        if uses_tools {
            missing("ESPRESSO_TOOLS does not name what `.ci/tools` installs (helm, botocore, python-hcl2, pm2)");
        }
        return results;
    };
    if project.join("charts").is_dir() {
        results.push(("helm", targets::check_helm(project, &tools, harness, checkov)));
    }
    if project.join("ecs").is_dir() {
        results.push(("ecs", targets::check_ecs(project, &tools)));
    }
    if project.join("ecosystem.config.cjs").is_file() {
        results.push(("pm2", targets::check_pm2(project, &tools, &node_bin(node), env)));
    }
    results
}

/// Whether a variant's middleware verify tokens.
fn jwt_in(middleware: &[&str]) -> bool {
    middleware.contains(&"auth-jwt")
}

/// `K=V` words, each value in single quotes (none of ours holds one), for a shell-like split.
fn shell_words(words: &str) -> String {
    let quoted = words.split_whitespace().filter_map(|kv| kv.split_once('=')).map(|(k, v)| format!("{k}='{v}'"));
    quoted.collect::<Vec<_>>().join(" ")
}

/// A compact AUTH_SIGNING_KEYS (one Ed25519 private JWK, no spaces: the harness splits its
/// start environment on them), made with node:crypto as `npm run keygen` makes one.
pub(crate) fn signing_keys(node_bin: &Path) -> String {
    let script = "const k = require('node:crypto').generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }); \
        process.stdout.write(JSON.stringify([{ ...k, kid: 'e2e', alg: 'EdDSA', use: 'sig' }]))";
    let out = Command::new(node_bin.join("node")).args(["-e", script]).output().expect("node runs");
    assert!(out.status.success(), "node could not make a key: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("a JWK is ASCII")
}

/// The node binaries of a Node line the harness installed.
pub fn node_bin(node: &str) -> PathBuf {
    validate_home().join("node").join(node).join("bin")
}

/// The served document linted and the running service fuzzed from it ([`contract`]), with the
/// credentials its authentication needs.
fn contract_check(
    project: &Path,
    node: &str,
    env: &[(String, String)],
    api_key: bool,
    jwt: bool,
) -> Result<String, String> {
    let Some(tools) = targets::Tools::find() else {
        missing("ESPRESSO_TOOLS does not name what `.ci/tools` installs (spectral, redocly, schemathesis)");
        return Ok("not checked".into());
    };
    let bin = node_bin(node);
    let mut headers = Vec::new();
    if api_key {
        headers.push("X-API-Key: e2e-key".to_owned());
    }
    if jwt {
        let secret = env.iter().find(|(k, _)| k == "JWT_SECRET").map(|(_, v)| v.as_str()).unwrap_or_default();
        headers.push(format!(
            "Authorization: Bearer {}",
            crate::contract::bearer_token(&bin.join("node"), secret, &["writer"])?
        ));
    }
    crate::contract::check_contract(project, &tools, &bin, env, &headers)
}

#[test]
fn generated_projects_pass_every_validator_on_node_24_and_26() {
    let Some(dir) = std::env::var_os("ESPRESSO_VALIDATE_DIR").map(PathBuf::from) else {
        return missing(
            "ESPRESSO_VALIDATE_DIR is not set, so the end-to-end validation (../shared/validate) did not run",
        );
    };
    let harness = dir.join("validate-service");
    assert!(harness.is_file(), "{} does not exist", harness.display());
    let Some(postgres) = Postgres::start() else {
        return missing("PostgreSQL (Debian package `postgresql`) is not installed");
    };
    let Some(redis) = Redis::start() else {
        return missing("redis-server (Debian package `redis-server`) is not installed");
    };
    let Some(rabbitmq) = crate::servers::RabbitMq::start() else {
        return missing("rabbitmq-server (Debian package `rabbitmq-server`) is not installed");
    };
    let podman = crate::image::Podman::new();
    if podman.is_none() {
        missing("podman (Debian packages `podman` and `runc`) is not installed, so no image was built");
    }
    let checkov = checkov_installed();
    if !checkov {
        missing(
            "checkov is not installed (`../shared/validate/setup --with-checkov`), so no project was checked by it",
        );
    }

    // ESPRESSO_E2E_VARIANTS=name,... runs only those variants (and not the field matrix), for
    // working on one; CI runs them all.
    let only_variants: Option<Vec<String>> = std::env::var("ESPRESSO_E2E_VARIANTS")
        .ok()
        .filter(|v| !v.is_empty())
        .map(|v| v.split(',').map(str::to_owned).collect());
    assert!(
        !(crate::support::in_ci() && only_variants.is_some()),
        "ESPRESSO_E2E_VARIANTS is for local work: CI runs every variant"
    );
    let sb = Sandbox::new();
    let mut failures = Vec::new();
    for v in variants().into_iter().filter(|v| only_variants.as_ref().is_none_or(|o| o.iter().any(|n| n == v.name))) {
        let project = format!("svc-{}", v.name);
        let mut args = vec!["new", project.as_str(), "-q"];
        args.extend_from_slice(v.args);
        sb.run(&args).success();
        // Resources with varied fields in most variants; their generated tests exercise every
        // endpoint, validation failure and unique rule, against PostgreSQL where the project has it.
        let gateway = v.choices.preset == espresso::cli::Preset::ApiGateway;
        let with_resources = !matches!(v.name, "kubernetes-only" | "redis") && !gateway;
        if with_resources {
            for add in RESOURCES {
                espresso_in(&sb.path().join(&project), add);
            }
            // A second API version with a resource of its own, and the first deprecated: both
            // versions' paths are in the one document the fuzzer and the validators read.
            for add in API_VERSIONS {
                espresso_in(&sb.path().join(&project), add);
            }
        }
        let middleware: &[&str] = match v.name {
            "javascript" => &["api-key", "request-timeout", "tracing"],
            "postgres-redis-both-ci" => &["request-timeout", "compression", "rate-limit", "cache", "tracing"],
            "redis" => &["compression", "rate-limit"],
            "postgres" => &["auth-jwt"],
            "docker-gitlab-node26" => &["circuit-breaker", "request-timeout"],
            // Every kind in TypeScript too: those that use Redis where the project has it, and
            // each authentication with the other store than in JavaScript.
            "typescript-postgres-redis-node26" => &["request-timeout", "rate-limit", "api-key", "cache", "tracing"],
            "typescript-docker-gitlab" => &["request-timeout", "compression", "auth-jwt", "circuit-breaker"],
            // The auth service with a limiter in front (JavaScript), and with protected resources
            // beside its own routes (TypeScript).
            "auth-service" => &["rate-limit", "request-timeout"],
            "typescript-auth-service" => &["auth-jwt", "compression"],
            // The gateway limited per client in Redis (JavaScript), and verifying tokens for a
            // protected upstream (TypeScript).
            "api-gateway" => &["rate-limit"],
            "typescript-api-gateway" => &["auth-jwt", "compression"],
            _ => &[],
        };
        for kind in middleware {
            let protect: &[&str] =
                if *kind == "auth-jwt" && with_resources { &["--protect", "order-item"] } else { &[] };
            espresso_in(&sb.path().join(&project), &[&["add", "middleware", kind][..], protect].concat());
        }
        // Messaging, pairwise: Redis Streams in JavaScript and RabbitMQ in TypeScript, each with
        // PostgreSQL (so the transactional outbox), every deployment target in one of them, a
        // resource publishing its events and a consumer of them; the projects' own integration
        // tests run against the real broker.
        let broker = match v.name {
            "postgres-redis-both-ci" => Some("redis"),
            "typescript-postgres-redis-node26" => Some("rabbitmq"),
            _ => None,
        };
        if let Some(broker) = broker {
            let dir = sb.path().join(&project);
            espresso_in(&dir, &["add", "messaging", broker]);
            espresso_in(&dir, &["add", "events", "order-item"]);
            espresso_in(&dir, &["add", "consumer", "order-item.created"]);
        }
        // A gateway's upstreams: their URL variables reach every derived file, and in the run
        // below nothing listens at them, so the gateway must stay ready and answer 502.
        if gateway {
            let dir = sb.path().join(&project);
            espresso_in(&dir, &["add", "upstream", "users"]);
            espresso_in(&dir, &["add", "upstream", "orders", "--path", "/api/v2/orders", "--timeout-ms", "2000"]);
            if jwt_in(middleware) {
                espresso_in(&dir, &["add", "upstream", "accounts", "--protect"]);
            }
        }
        // Deployment targets on demand, and a secret declared after the fact: every derived file
        // must carry it and still pass the validators.
        let on_demand = v.name == "docker-gitlab-node26";
        if on_demand {
            let dir = sb.path().join(&project);
            espresso_in(&dir, &["add", "deployment", "compose"]);
            espresso_in(&dir, &["add", "deployment", "kubernetes", "--ingress", "gateway"]);
            espresso_in(&dir, &["add", "deployment", "github-actions"]);
            for target in ["nginx", "pm2", "helm", "ecs"] {
                espresso_in(&dir, &["add", "deployment", target]);
            }
            espresso_in(
                &dir,
                &[
                    "config",
                    "add",
                    "PAYMENT_API_KEY",
                    "--secret",
                    "--required-in-production",
                    "--description",
                    "Key of the payment API.",
                ],
            );
            let schema_path = dir.join("config.schema.json");
            let mut schema: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&schema_path).unwrap()).unwrap();
            schema["properties"]["FEATURE_FLAGS"] =
                serde_json::json!({ "type": "string", "description": "Enabled features.", "default": "beta" });
            std::fs::write(&schema_path, format!("{}\n", serde_json::to_string_pretty(&schema).unwrap())).unwrap();
            espresso_in(&dir, &["sync"]);
            let read = |rel: &str| std::fs::read_to_string(dir.join(rel)).unwrap();
            assert!(read("k8s/secret.example.yaml").contains("PAYMENT_API_KEY"));
            assert!(read("k8s/base/config.env").contains("FEATURE_FLAGS=beta"));
            assert!(
                read("compose.prod.yaml").contains("PAYMENT_API_KEY") && read("compose.yaml").contains("FEATURE_FLAGS")
            );
            let values = read(&format!("charts/{project}/values.yaml"));
            assert!(values.contains("    PAYMENT_API_KEY: \"\"") && values.contains("  FEATURE_FLAGS: \"beta\""));
            assert!(read(&format!("charts/{project}/values.schema.json")).contains("\"PAYMENT_API_KEY\""));
            let task: serde_json::Value = serde_json::from_str(&read("ecs/task-definition.json")).unwrap();
            let container = &task["containerDefinitions"][0];
            assert!(container["secrets"].as_array().unwrap().iter().any(|s| s["name"] == "PAYMENT_API_KEY"));
            assert!(container["environment"].as_array().unwrap().iter().any(|e| e["name"] == "FEATURE_FLAGS"));
        }
        let protected = middleware.contains(&"api-key");
        let jwt = middleware.contains(&"auth-jwt");
        let mut only = if on_demand { checks_for(&[]).to_owned() } else { checks_for(v.args).to_owned() };
        if checkov {
            only.push_str(",checkov");
        }
        let mut start_env = match (protected, jwt, on_demand) {
            (true, _, _) => "API_KEYS=e2e-key",
            (_, true, _) => "JWT_SECRET=an-e2e-secret-of-at-least-thirty-two-characters",
            (_, _, true) => "PAYMENT_API_KEY=e2e-payment-key",
            _ => "",
        }
        .to_owned();
        // The auth service signs with a key it is given in production; scrypt at its lowest cost,
        // since the fuzzer registers and logs in thousands of times.
        let auth_service = v.choices.preset == espresso::cli::Preset::AuthService;
        if gateway {
            let urls = ["USERS_URL", "ORDERS_URL", "ACCOUNTS_URL"].map(|v| format!("{v}=http://127.0.0.1:9"));
            start_env = format!("{start_env} {}", urls.join(" ")).trim().to_owned();
        }
        if broker == Some("rabbitmq") {
            start_env = format!("{start_env} RABBITMQ_URL={}", rabbitmq.url()).trim().to_owned();
        }
        if auth_service {
            let keys = signing_keys(&node_bin(if v.args.contains(&"26") { "26" } else { "24" }));
            start_env = format!("{start_env} AUTH_SIGNING_KEYS={keys} AUTH_PASSWORD_HASH_COST=14").trim().to_owned();
        }
        let database_url = postgres.database(&project);
        let started = Instant::now();
        let out = Command::new(&harness)
            .arg(sb.path().join(&project))
            .args(["--node", "24,26", "--fail-on-skip", "-v", "--only", &only])
            .env("DATABASE_URL", &database_url)
            .env("REDIS_URL", redis.url())
            .env("RABBITMQ_URL", rabbitmq.url())
            // Family names as the Prometheus parser reports them: a counter `x_total` is family `x`.
            .env("VALIDATE_METRICS_REQUIRE", "http_request_duration_seconds http_requests")
            .env(
                "VALIDATE_EXTRA_PROBES",
                match (with_resources, protected) {
                    _ if gateway && jwt => "/api/v1/nope=404 /api/v1/users/1=502 /api/v2/orders=502 /api/v1/accounts=401",
                    _ if gateway => "/api/v1/nope=404 /api/v1/users/1=502 /api/v2/orders=502",
                    _ if auth_service => {
                        "/api/v1/nope=404 /openapi.json=200 /.well-known/jwks.json=200 /api/v1/auth/me=401 /api/v1/auth/login=405 /api/v1/customers=200"
                    }
                    (true, true) => "/api/v1/nope=401 /openapi.json=200 /api/v1/order-items=401",
                    (true, false) if jwt => {
                        "/api/v1/nope=404 /openapi.json=200 /api/v1/order-items=401 /api/v1/customers=200"
                    }
                    (true, false) => {
                        "/api/v1/nope=404 /openapi.json=200 /api/v1/order-items=200 /api/v1/customers/not-a-uuid=404"
                    }
                    (false, _) => "/api/v1/nope=404 /openapi.json=200",
                },
            )
            // The harness splits it as a shell would: quoted, a JSON value keeps its quotes.
            .env("VALIDATE_START_ENV", shell_words(&start_env))
            .env("VALIDATE_CHECKOV_SKIP", "CKV_K8S_15,CKV_K8S_21,CKV_K8S_43")
            .output()
            .expect("validate-service runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let summary = stdout.lines().last().unwrap_or_default().to_owned();
        tell(&format!("{:<24} {summary} ({:.0?}, checks: {only})", v.name, started.elapsed()));
        if !out.status.success() || !summary.ends_with(" 0 failed") {
            failures.push(format!("{}: {summary}\n{stdout}{}", v.name, String::from_utf8_lossy(&out.stderr)));
            continue;
        }
        if sb.path().join(&project).join("monitoring").is_dir() {
            if !crate::support::on_path("promtool") {
                missing(
                    "promtool (Debian package `prometheus`) is not installed, so monitoring files were not checked",
                );
            } else {
                match check_monitoring(&sb.path().join(&project)) {
                    Ok(queries) => tell(&format!(
                        "{:<24} promtool: configuration, alert rules, PrometheusRule, {queries} dashboard queries, CPU alert under a 500m limit",
                        v.name
                    )),
                    Err(e) => failures.push(format!("{}: {e}", v.name)),
                }
            }
        }
        let env: Vec<(String, String)> = [
            ("DATABASE_URL".to_owned(), database_url.clone()),
            ("REDIS_URL".into(), redis.url()),
            ("RABBITMQ_URL".into(), rabbitmq.url()),
        ]
        .into_iter()
        .chain(start_env.split_whitespace().filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.into(), v.into())))
        .collect();
        let node = if v.args.contains(&"26") { "26" } else { "24" };
        // The served API is fuzzed wherever it differs: by language, store, authentication and
        // the middleware that answer requests. docker-gitlab-node26's is bare's (JavaScript,
        // memory, no authentication; request-timeout and circuit-breaker add no operation), and
        // Node 26 is fuzzed with TypeScript, so it is left out to keep CI within its budget.
        if with_resources && v.name != "docker-gitlab-node26" {
            match contract_check(&sb.path().join(&project), node, &env, protected, jwt) {
                Ok(summary) => tell(&format!("{:<24} contract: {summary}", v.name)),
                Err(e) => failures.push(format!("{} (contract): {e}", v.name)),
            }
        }
        // The image of each language, Node line and backing-service set, pairwise: JavaScript on
        // Node 24 in memory with tracing (javascript), JavaScript on Node 26 without (node26), and
        // TypeScript on Node 26 with PostgreSQL, migrations, Redis and tracing. The Dockerfile is
        // one template, read by language only for the module extension, so JavaScript with
        // PostgreSQL builds what those three do between them.
        let build_image = matches!(v.name, "javascript" | "docker-gitlab-node26" | "typescript-postgres-redis-node26");
        if let Some(podman) =
            podman.as_ref().filter(|_| build_image && sb.path().join(&project).join("Dockerfile").is_file())
        {
            let fresh = postgres.database(&format!("{project}-image"));
            match crate::image::check_image(
                podman,
                &sb.path().join(&project),
                node,
                &node_bin(node),
                &env,
                Some(&fresh),
            ) {
                Ok(summary) => tell(&format!("{:<24} image: {summary}", v.name)),
                Err(e) => failures.push(format!("{} (image): {e}", v.name)),
            }
        }
        for (what, result) in check_targets(&sb.path().join(&project), &harness, checkov, node, &env) {
            match result {
                Ok(summary) => tell(&format!("{:<24} {what}: {summary}", v.name)),
                Err(e) => failures.push(format!("{} ({what}): {e}", v.name)),
            }
        }
        // The projects' own integration tests must have run against the servers, not skipped.
        let uses_services = v.args.contains(&"postgres") || v.args.contains(&"redis");
        let skipped = stdout
            .lines()
            .filter(|l| l.contains("ℹ skipped "))
            .map(|l| l.trim_start_matches(['|', ' ']).to_owned())
            .collect::<Vec<_>>();
        assert_eq!(skipped.len(), 2, "{}: npm test ran once per Node line:\n{stdout}", v.name);
        if uses_services {
            assert!(
                skipped.iter().all(|l| l.ends_with("skipped 0")),
                "{}: integration tests were skipped: {skipped:?}",
                v.name
            );
        }
    }
    if only_variants.is_some() {
        tell("ESPRESSO_E2E_VARIANTS is set: the field matrix did not run");
    } else if let Err(e) = every_accepted_field_works(&sb, &harness, &postgres) {
        failures.push(e);
    }
    assert!(failures.is_empty(), "validate-service failed:\n{}", failures.join("\n\n"));
}

/// Every field definition espresso accepts (each type with each set of modifiers it allows, and
/// names that are reserved words in JavaScript or SQL) in one PostgreSQL project per language,
/// whose own tests then run in memory and against the real server: JavaScript on both Node lines,
/// TypeScript (whose type check is the new risk: a field named `constructor`) on Node 26, the
/// pair the variants cover least. Also: espresso's list of SQL key words that need quoting
/// covers the server's.
fn every_accepted_field_works(sb: &Sandbox, harness: &Path, postgres: &Postgres) -> Result<(), String> {
    let reserved = postgres.query("SELECT word FROM pg_get_keywords() WHERE catcode IN ('R', 'T') ORDER BY word");
    let missing: Vec<&str> =
        reserved.lines().filter(|w| !espresso::model::resource::SQL_RESERVED.contains(w)).collect();
    if !missing.is_empty() {
        return Err(format!("SQL_RESERVED lacks key words the server reserves: {missing:?}"));
    }
    for (language, nodes) in [("javascript", "24,26"), ("typescript", "26")] {
        let project = format!("svc-fields-{language}");
        sb.run(&[
            "new",
            &project,
            "-q",
            "--language",
            language,
            "--database",
            "postgres",
            "--deploy",
            "none",
            "--ci",
            "none",
        ])
        .success();
        let dir = sb.path().join(&project);
        let matrix = field_matrix();
        let mut combinations = 0;
        for (short, _, _) in crate::support::FIELD_TYPES {
            let resource = format!("probe-{short}");
            let mut args = vec!["add", "resource", resource.as_str()];
            for (_, spec, _) in matrix.iter().filter(|(s, _, d)| s == short && d.is_ok()) {
                args.extend(["--field", spec.as_str()]);
                combinations += 1;
            }
            espresso_in(&dir, &args);
        }
        let mut args = vec!["add", "resource", "keyword"];
        for f in KEYWORD_FIELDS {
            args.extend(["--field", f]);
        }
        espresso_in(&dir, &args);
        let started = Instant::now();
        let out = Command::new(harness)
            .arg(&dir)
            .args(["--node", nodes, "--fail-on-skip", "-v", "--only", "schemas,node"])
            .env("DATABASE_URL", postgres.database(&project))
            .env("VALIDATE_EXTRA_PROBES", "/openapi.json=200 /api/v1/keywords=200")
            .output()
            .expect("validate-service runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let summary = stdout.lines().last().unwrap_or_default().to_owned();
        tell(&format!(
            "{:<24} {summary} ({:.0?}, {combinations} field combinations and {} keyword names, Node {nodes})",
            format!("fields {language}"),
            started.elapsed(),
            KEYWORD_FIELDS.len()
        ));
        let skipped: Vec<&str> = stdout.lines().filter(|l| l.contains("ℹ skipped ")).collect();
        if !out.status.success() || !summary.ends_with(" 0 failed") {
            return Err(format!("fields {language}: {summary}\n{stdout}{}", String::from_utf8_lossy(&out.stderr)));
        }
        let runs = nodes.split(',').count();
        if skipped.len() != runs || !skipped.iter().all(|l| l.trim_end().ends_with("skipped 0")) {
            return Err(format!("fields {language}: the PostgreSQL tests did not all run: {skipped:?}"));
        }
    }
    Ok(())
}
