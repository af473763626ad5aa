//! The seeds' three services working together, as real processes on loopback: an auth service
//! (PostgreSQL), two resource services that verify its tokens through its JWKS, and a gateway in
//! front of all three, one upstream protected at the gateway. JavaScript and TypeScript mixed, so
//! each language's side of every hop is crossed.

use crate::contract::spawn_service;
use crate::e2e::{espresso_in, node_bin, signing_keys};
use crate::support::{Sandbox, missing, npm, tell};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A client of one service, by port.
struct Client {
    port: u16,
    agent: ureq::Agent,
}

impl Client {
    fn new(port: u16) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build();
        Self { port, agent: agent.into() }
    }

    /// `method path` with an optional Bearer token and JSON body: the status and the JSON answer.
    fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let mut request =
            ureq::http::Request::builder().method(method).uri(format!("http://127.0.0.1:{}{path}", self.port));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        if body.is_some() {
            request = request.header("Content-Type", "application/json");
        }
        let bytes = body.map(|b| serde_json::to_vec(&b).unwrap()).unwrap_or_default();
        let mut response =
            self.agent.run(request.body(bytes).unwrap()).unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap();
        (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) })
    }
}

#[test]
fn an_auth_service_two_services_and_a_gateway_work_together() {
    if std::env::var_os("ESPRESSO_VALIDATE_DIR").is_none() {
        return missing(
            "ESPRESSO_VALIDATE_DIR is not set, so the services were not run together (Node 24 from ../shared/validate)",
        );
    }
    let Some(postgres) = crate::servers::Postgres::start() else {
        return missing("PostgreSQL (Debian package `postgresql`) is not installed");
    };
    let started = Instant::now();
    let node = node_bin("24");
    let sb = Sandbox::new();
    let base = ["-q", "--deploy", "none", "--ci", "none"];
    let make = |name: &str, language: &str, extra: &[&str], then: &[&[&str]]| {
        sb.run(&[&["new", name, "--language", language][..], &base, extra].concat()).success();
        let dir = sb.path().join(name);
        for command in then {
            espresso_in(&dir, command);
        }
        npm(&dir, &node, &["ci", "--no-audit", "--no-fund", "--prefer-offline"], &[]);
        dir
    };
    let accounts = make("accounts", "javascript", &["--preset", "auth-service"], &[]);
    let profiles: [&[&str]; 2] =
        [&["add", "middleware", "auth-jwt"], &["add", "resource", "profile", "--field", "bio:text", "--protect"]];
    let orders_commands: [&[&str]; 2] =
        [&["add", "middleware", "auth-jwt"], &["add", "resource", "order", "--field", "total:decimal", "--protect"]];
    let users = make("users", "typescript", &[], &profiles);
    let orders = make("orders", "javascript", &[], &orders_commands);
    let gateway = make(
        "gateway",
        "typescript",
        &["--preset", "api-gateway"],
        &[
            &["add", "middleware", "auth-jwt"],
            &["add", "upstream", "accounts", "--path", "/api/v1/auth"],
            &["add", "upstream", "users", "--path", "/api/v1/profiles"],
            &["add", "upstream", "orders", "--protect", "--timeout-ms", "2000"],
        ],
    );

    let env = |pairs: &[(&str, String)]| -> Vec<(String, String)> {
        let mut all = vec![("LOG_LEVEL".to_owned(), "warn".to_owned())];
        all.extend(pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        all
    };
    let log = |name: &str| sb.path().join(format!("{name}.log"));
    let accounts_env = env(&[
        ("DATABASE_URL", postgres.database("accounts")),
        ("AUTH_SIGNING_KEYS", signing_keys(&node)),
        ("AUTH_ISSUER", "accounts".into()),
        ("AUTH_DEFAULT_ROLES", "writer".into()),
        ("AUTH_PASSWORD_HASH_COST", "14".into()),
    ]);
    npm(&accounts, &node, &["run", "-s", "migrate"], &accounts_env);
    let (_accounts, accounts_port) = spawn_service(&accounts, &node, &accounts_env, &log("accounts")).unwrap();
    let jwks = format!("http://127.0.0.1:{accounts_port}/.well-known/jwks.json");
    let verifying = env(&[("JWT_JWKS_URL", jwks.clone()), ("JWT_ISSUER", "accounts".into())]);
    let (users_service, users_port) = spawn_service(&users, &node, &verifying, &log("users")).unwrap();
    let (_orders, orders_port) = spawn_service(&orders, &node, &verifying, &log("orders")).unwrap();
    let url = |port: u16| format!("http://127.0.0.1:{port}");
    let gateway_env = env(&[
        ("JWT_JWKS_URL", jwks),
        ("JWT_ISSUER", "accounts".into()),
        ("ACCOUNTS_URL", url(accounts_port)),
        ("USERS_URL", url(users_port)),
        ("ORDERS_URL", url(orders_port)),
    ]);
    let (_gateway, gateway_port) = spawn_service(&gateway, &node, &gateway_env, &log("gateway")).unwrap();
    let api = Client::new(gateway_port);
    let logs = || {
        ["accounts", "users", "orders", "gateway"]
            .map(|n| format!("--- {n}\n{}", std::fs::read_to_string(log(n)).unwrap_or_default()))
            .join("\n")
    };
    let check = |ok: bool, what: &str| assert!(ok, "{what}\n{}", logs());

    // Register and log in through the gateway.
    let credentials = json!({ "email": "Ada@Example.com", "password": "correct horse battery staple" });
    let (status, account) = api.call("POST", "/api/v1/auth/register", None, Some(credentials.clone()));
    check(status == 201 && account["email"] == "ada@example.com", &format!("register: {status} {account}"));
    let (status, tokens) = api.call("POST", "/api/v1/auth/login", None, Some(credentials));
    check(status == 200, &format!("login: {status} {tokens}"));
    let access = tokens["accessToken"].as_str().unwrap().to_owned();
    let refresh = tokens["refreshToken"].as_str().unwrap().to_owned();

    // Both services with the token: one checks it itself, the other behind the gateway's check too.
    let (status, profile) =
        api.call("POST", "/api/v1/profiles", Some(&access), Some(json!({ "bio": "mathematician" })));
    check(status == 201, &format!("create a profile: {status} {profile}"));
    let (status, order) = api.call("POST", "/api/v1/orders", Some(&access), Some(json!({ "total": "12.50" })));
    check(status == 201 && order["total"] == "12.50", &format!("create an order: {status} {order}"));
    let (status, me) = api.call("GET", "/api/v1/auth/me", Some(&access), None);
    check(status == 200 && me["email"] == "ada@example.com", &format!("me: {status} {me}"));

    // Refused without the token, and with a tampered one.
    let (head, rest) = access.split_once('.').unwrap();
    let (claims, signature) = rest.split_once('.').unwrap();
    let forged_claims = claims.chars().rev().collect::<String>();
    let tampered = format!("{head}.{forged_claims}.{signature}");
    for path in ["/api/v1/profiles", "/api/v1/orders"] {
        for token in [None, Some(tampered.as_str())] {
            let (status, body) = api.call("GET", path, token, None);
            check(status == 401, &format!("GET {path} with {token:?}: {status} {body}"));
        }
    }

    // Refresh, then the used refresh token is refused and its login revoked.
    let (status, renewed) = api.call("POST", "/api/v1/auth/refresh", None, Some(json!({ "refreshToken": refresh })));
    check(status == 200, &format!("refresh: {status} {renewed}"));
    let (status, reused) = api.call("POST", "/api/v1/auth/refresh", None, Some(json!({ "refreshToken": refresh })));
    check(status == 401 && reused["code"] == "refresh_token_reused", &format!("reuse: {status} {reused}"));
    let (status, revoked) =
        api.call("POST", "/api/v1/auth/refresh", None, Some(json!({ "refreshToken": renewed["refreshToken"] })));
    check(status == 401, &format!("the family after reuse: {status} {revoked}"));
    let renewed_access = renewed["accessToken"].as_str().unwrap();
    let (status, page) = api.call("GET", "/api/v1/orders", Some(renewed_access), None);
    check(status == 200 && page["total"] == 1, &format!("orders with the refreshed token: {status} {page}"));

    // One upstream stops: the gateway answers its error fast, and the other keeps serving.
    drop(users_service);
    let asked = Instant::now();
    let (status, problem) = api.call("GET", "/api/v1/profiles", Some(renewed_access), None);
    let waited = asked.elapsed();
    check(
        status == 502 && problem["detail"].as_str().is_some_and(|d| d.contains("users")),
        &format!("a stopped upstream: {status} {problem}"),
    );
    check(waited < Duration::from_secs(1), &format!("a stopped upstream took {waited:?}"));
    let (status, page) = api.call("GET", "/api/v1/orders", Some(renewed_access), None);
    check(status == 200, &format!("the other upstream: {status} {page}"));
    let (status, ready) = api.call("GET", "/ready", None, None);
    check(status == 200, &format!("the gateway stays ready: {status} {ready}"));
    let (_, health) = api.call("GET", "/health", None, None);
    check(
        health["checks"]["upstream:users"] == "down" && health["checks"]["upstream:orders"] == "up",
        &format!("health: {health}"),
    );

    tell(&format!(
        "stack: auth service (JavaScript, PostgreSQL), users (TypeScript) and orders (JavaScript) on its JWKS, gateway (TypeScript): register, login, both services, 401 without or with a tampered token, refresh, reuse refused, a stopped upstream answered 502 in {waited:.0?} while the other served ({:.0?})",
        started.elapsed()
    ));
}
