//! `espresso new --preset`: what each kind of service records and refuses, and that every other
//! command keeps working on it (the generated auth service's own behaviour is tested by its own
//! suite, run against PostgreSQL by e2e.rs).

use crate::support::{Sandbox, espresso};
use predicates::prelude::*;
use std::fs;

fn read(sb: &Sandbox, rel: &str) -> String {
    fs::read_to_string(sb.path().join("auth").join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn run(sb: &Sandbox, args: &[&str]) -> assert_cmd::assert::Assert {
    espresso().current_dir(sb.path().join("auth")).args(args).arg("-q").assert()
}

#[test]
fn the_auth_service_implies_postgres_is_recorded_and_takes_resources_after_its_own_migration() {
    let sb = Sandbox::new();
    sb.run(&[
        "new",
        "auth",
        "-q",
        "--preset",
        "auth-service",
        "--language",
        "javascript",
        "--deploy",
        "none",
        "--ci",
        "none",
    ])
    .success();
    let record = read(&sb, "espresso.toml");
    assert!(record.contains("preset = \"auth-service\"\n") && record.contains("database = \"postgres\"\n"), "{record}");
    assert!(read(&sb, "src/routes/index.js").contains("'v1/auth': createAuthRouter,"));
    let document: serde_json::Value = serde_json::from_str(&read(&sb, "openapi/auth.json")).unwrap();
    let paths: Vec<&String> = document["paths"].as_object().unwrap().keys().collect();
    assert_eq!(paths, ["/v1/auth/register", "/v1/auth/login", "/v1/auth/refresh", "/v1/auth/logout", "/v1/auth/me"]);
    assert_eq!(document["paths"]["/v1/auth/me"]["get"]["security"], serde_json::json!([{ "bearerAuth": [] }]));
    let schema: serde_json::Value = serde_json::from_str(&read(&sb, "config.schema.json")).unwrap();
    let keys = &schema["properties"]["AUTH_SIGNING_KEYS"];
    assert_eq!((keys["x-secret"].as_bool(), keys["x-required-in-production"].as_bool()), (Some(true), Some(true)));
    assert_eq!(schema["properties"]["AUTH_ISSUER"]["default"], "auth");

    // Every other command works on it: a resource's migration comes after the service's own,
    // and removing the resource restores every other file.
    let before = sb.snapshot("auth");
    run(&sb, &["add", "resource", "profile", "--field", "bio:text"]).success();
    assert!(sb.path().join("auth/migrations/0002_create_profiles.sql").is_file());
    run(&sb, &["add", "middleware", "auth-jwt", "--protect", "profile"]).success();
    run(&sb, &["remove", "middleware", "auth-jwt"]).success();
    run(&sb, &["remove", "resource", "profile"]).success();
    let after = sb.snapshot("auth");
    let changed: Vec<_> = after.keys().filter(|p| before.get(*p) != after.get(*p)).collect();
    // Only history was added: the migrations that created and dropped the table, and their record.
    assert!(changed.iter().all(|p| p.starts_with("migrations") || p.ends_with("espresso.toml")), "{changed:?}");
    assert_eq!(changed.len(), 3, "{changed:?}");
}

#[test]
fn the_auth_service_without_postgres_is_a_usage_error_that_writes_nothing() {
    let sb = Sandbox::new();
    sb.run(&["new", "auth", "--preset", "auth-service", "--database", "none"])
        .code(2)
        .stderr(predicate::str::contains("needs PostgreSQL").and(predicate::str::contains("--database postgres")));
    assert!(!sb.path().join("auth").exists());
    sb.run(&["new", "auth", "--preset", "gateway"]).code(2).stderr(predicate::str::contains("auth-service"));
    assert!(!sb.path().join("auth").exists());
}

#[test]
fn a_service_records_no_preset_and_a_recorded_one_must_be_known() {
    let sb = Sandbox::new();
    sb.run(&["new", "auth", "-q", "--deploy", "none", "--ci", "none"]).success();
    let record = read(&sb, "espresso.toml");
    assert!(!record.contains("preset"), "projects made before presets read the same: {record}");
    fs::write(sb.path().join("auth/espresso.toml"), record.replace("[project]\n", "[project]\npreset = \"mystery\"\n"))
        .unwrap();
    run(&sb, &["add", "resource", "note", "--field", "text"])
        .code(1)
        .stderr(predicate::str::contains("unknown preset `mystery`"));
}

fn gateway() -> Sandbox {
    let sb = Sandbox::new();
    sb.run(&["new", "auth", "-q", "--preset", "api-gateway", "--language", "javascript", "--ci", "none"]).success();
    sb
}

#[test]
fn an_upstream_is_recorded_configured_everywhere_and_removed_exactly() {
    let sb = gateway();
    let before = sb.snapshot("auth");
    run(&sb, &["add", "upstream", "users"]).success();
    let record = read(&sb, "espresso.toml");
    assert!(record.contains("[[upstreams]]\nname = \"users\"\npath = \"/api/v1/users\"\n"), "{record}");
    assert!(
        read(&sb, "src/gateway/upstreams.js")
            .contains("{ name: 'users', path: '/api/v1/users', env: 'USERS_URL', protect: false, timeoutMs: 5000 },")
    );
    let schema: serde_json::Value = serde_json::from_str(&read(&sb, "config.schema.json")).unwrap();
    let url = &schema["properties"]["USERS_URL"];
    assert_eq!((url["x-upstream"].as_str(), url["x-required-in-production"].as_bool()), (Some("users"), Some(true)));
    // Each deployment path points it at the service's DNS name.
    assert!(read(&sb, ".env.example").contains("USERS_URL=http://localhost:3001"));
    assert!(read(&sb, "compose.yaml").contains("USERS_URL: \"http://users:3000\""));
    assert!(read(&sb, "k8s/base/config.env").contains("USERS_URL=http://users\n"));
    let policy = read(&sb, "k8s/base/networkpolicy.yaml");
    assert!(policy.contains("app.kubernetes.io/name: users"), "{policy}");

    run(&sb, &["add", "upstream", "orders", "--path", "/api/v2/orders", "--timeout-ms", "2000"]).success();
    assert!(read(&sb, "espresso.toml").contains("name = \"orders\"\npath = \"/api/v2/orders\"\ntimeout-ms = 2000\n"));
    run(&sb, &["remove", "upstream", "orders"]).success();
    run(&sb, &["remove", "upstream", "users"]).success();
    assert_eq!(sb.snapshot("auth"), before, "removing the upstreams restores every file");
}

#[test]
fn upstreams_that_cannot_work_are_usage_errors_that_change_nothing() {
    let sb = gateway();
    run(&sb, &["add", "upstream", "users"]).success();
    let before = sb.snapshot("auth");
    let refused: &[(&[&str], &str)] = &[
        (&["add", "upstream", "users"], "already exists"),
        (&["add", "upstream", "admins", "--path", "/api/v1/users/admin"], "overlaps `/api/v1/users`"),
        (&["add", "upstream", "probes", "--path", "/health"], "answers `/health` itself"),
        (&["add", "upstream", "accounts", "--protect"], "espresso add middleware auth-jwt"),
        (&["add", "upstream", "Bad_Name"], "invalid upstream name"),
        (&["add", "upstream", "slow", "--timeout-ms", "0"], "0"),
        (&["remove", "upstream", "nobody"], "its upstreams: `users`"),
    ];
    for (args, message) in refused {
        run(&sb, args).code(2).stderr(predicate::str::contains(*message));
        assert_eq!(sb.snapshot("auth"), before, "{args:?} changed the project");
    }
    // A protected upstream keeps auth-jwt in the gateway.
    run(&sb, &["add", "middleware", "auth-jwt"]).success();
    run(&sb, &["add", "upstream", "accounts", "--protect"]).success();
    run(&sb, &["remove", "middleware", "auth-jwt"]).code(2).stderr(predicate::str::contains("`accounts`"));
    // Upstreams belong to gateways.
    let service = Sandbox::new();
    service.run(&["new", "auth", "-q", "--deploy", "none", "--ci", "none"]).success();
    run(&service, &["add", "upstream", "users"]).code(2).stderr(
        predicate::str::contains("is not an API gateway").and(predicate::str::contains("--preset api-gateway")),
    );
}
