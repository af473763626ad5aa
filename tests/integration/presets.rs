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
