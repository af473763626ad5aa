//! Files derived from the config schema carry exactly what the schema says.

use crate::support::{plan, variants};
use espresso::documents::config_schema::read_schema;
use std::collections::BTreeSet;
use yaml_serde::Value;

fn yaml(text: &str) -> Value {
    yaml_serde::from_str(text).expect("valid YAML")
}

#[test]
fn env_example_compose_configmap_secret_and_readme_follow_the_schema() {
    let v = variants().into_iter().find(|v| v.name == "postgres-redis-both-ci").unwrap();
    let plan = plan("orders", &v.choices);
    let file = |p: &str| plan.get(p).unwrap_or_else(|| panic!("{p} is planned")).contents.as_str();
    let vars = read_schema(file("config.schema.json")).unwrap();
    let secrets: BTreeSet<&str> = vars.iter().filter(|v| v.secret).map(|v| v.name.as_str()).collect();
    assert_eq!(secrets, BTreeSet::from(["DATABASE_URL", "REDIS_URL"]));

    let example = file(".env.example");
    let readme = file("README.md");
    for var in &vars {
        assert!(
            example.lines().any(|l| l.trim_start_matches("# ").starts_with(&format!("{}=", var.name))),
            "{} not in .env.example",
            var.name
        );
        assert!(readme.contains(&format!("| `{}` |", var.name)), "{} not in the README table", var.name);
    }

    let secret = yaml(file("k8s/secret.example.yaml"));
    let keys: BTreeSet<&str> = secret["stringData"].as_mapping().unwrap().keys().map(|k| k.as_str().unwrap()).collect();
    assert_eq!(keys, secrets, "the Secret has one key per secret variable");
    assert!(secret["stringData"].as_mapping().unwrap().values().all(|v| v.as_str() == Some("")), "placeholders only");
    // A deploy applies the kustomization: listing the placeholders there would blank the real
    // values on every deploy. No kustomization may name the example or any Secret.
    let kustomizations: Vec<_> = plan.files.iter().filter(|f| f.path.ends_with("kustomization.yaml")).collect();
    assert!(kustomizations.len() >= 3, "the base and two overlays");
    for f in kustomizations {
        let k = yaml(&f.contents);
        let resources = k["resources"].as_sequence().map(Vec::as_slice).unwrap_or_default();
        let applied = resources.iter().filter_map(Value::as_str).find(|r| r.contains("secret"));
        assert!(
            applied.is_none() && k.get("secretGenerator").is_none(),
            "{} applies a Secret:\n{}",
            f.path,
            f.contents
        );
    }

    let configmap: BTreeSet<&str> = file("k8s/base/config.env").lines().map(|l| l.split('=').next().unwrap()).collect();
    let expected: BTreeSet<&str> = vars
        .iter()
        .filter(|v| !v.secret && (v.default.is_some() || v.name == "SECRETS_DIR"))
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(configmap, expected, "the ConfigMap holds every non-secret variable with a value, and no secret");
    assert!(file("k8s/base/config.env").contains("NODE_ENV=production\n"));

    let compose = yaml(file("compose.yaml"));
    let env = compose["services"]["app"]["environment"].as_mapping().unwrap();
    let names: BTreeSet<&str> = env.keys().map(|k| k.as_str().unwrap()).collect();
    let with_values: BTreeSet<&str> =
        vars.iter().filter(|v| !v.dev_value.is_empty() || v.default.is_some()).map(|v| v.name.as_str()).collect();
    assert_eq!(names, with_values);
    assert_eq!(
        compose["services"]["app"]["environment"]["DATABASE_URL"].as_str(),
        Some("postgres://orders@postgres:5432/orders")
    );
    assert_eq!(compose["services"]["postgres"]["healthcheck"]["test"][1].as_str(), Some("pg_isready"));

    let prod = yaml(file("compose.prod.yaml"));
    assert_eq!(prod["services"]["app"]["environment"]["NODE_ENV"].as_str(), Some("production"));
    assert_eq!(prod["services"]["app"]["environment"]["REDIS_URL"].as_str(), Some("redis://redis:6379"));
}

#[test]
fn deployment_mounts_secrets_as_files_only_when_there_are_secrets() {
    for v in variants().iter().filter(|v| v.choices.deploy.contains(&espresso::model::options::Deploy::Kubernetes)) {
        let plan = plan("orders", &v.choices);
        let deployment = yaml(&plan.get("k8s/base/deployment.yaml").unwrap().contents);
        let volumes: Vec<&str> = deployment["spec"]["template"]["spec"]["volumes"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap())
            .collect();
        let has_secrets = plan.get("k8s/secret.example.yaml").is_some();
        assert_eq!(volumes.contains(&"secrets"), has_secrets, "{}", v.name);
        assert_eq!(
            plan.get("k8s/base/config.env").unwrap().contents.contains("SECRETS_DIR="),
            has_secrets,
            "{}",
            v.name
        );
        let container = &deployment["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["securityContext"]["readOnlyRootFilesystem"].as_bool(), Some(true));
        assert_eq!(container["readinessProbe"]["httpGet"]["port"].as_str(), Some("http"));
    }
}

/// Only the API and its OpenAPI document are routed from outside the cluster, by the Ingress or
/// the HTTPRoute of the kustomize base, in both routings; probes and metrics stay inside; with
/// `--ingress none`, nothing is.
#[test]
fn public_routing_exposes_the_api_and_its_document_only() {
    use espresso::cli::Ingress;
    for ingress in [Ingress::Ingress, Ingress::Gateway, Ingress::None] {
        let v = variants().into_iter().find(|v| v.name == "javascript").unwrap();
        let mut choices = v.choices.clone();
        choices.ingress = ingress;
        let plan = plan("orders", &choices);
        let routed: BTreeSet<(String, String)> = match ingress {
            // Nothing is routed from outside: no Ingress, no HTTPRoute, neither in the kustomization.
            Ingress::None => {
                let base = &plan.get("k8s/base/kustomization.yaml").expect("a kustomization").contents;
                assert!(!base.contains("ingress.yaml") && !base.contains("httproute.yaml"), "{base}");
                assert!(plan.get("k8s/base/ingress.yaml").is_none() && plan.get("k8s/base/httproute.yaml").is_none());
                let mut with_helm = choices.clone();
                with_helm.deploy.push(espresso::model::options::Deploy::Helm);
                let values = crate::support::plan("orders", &with_helm)
                    .get("charts/orders/values.yaml")
                    .expect("values")
                    .contents
                    .clone();
                assert!(
                    values.contains("ingress:\n  enabled: false") && values.contains("httpRoute:\n  enabled: false"),
                    "{values}"
                );
                continue;
            }
            Ingress::Ingress => {
                let doc = yaml(&plan.get("k8s/base/ingress.yaml").expect("an Ingress").contents);
                doc["spec"]["rules"][0]["http"]["paths"]
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .map(|p| (p["pathType"].as_str().unwrap().to_owned(), p["path"].as_str().unwrap().to_owned()))
                    .collect()
            }
            Ingress::Gateway => {
                let doc = yaml(&plan.get("k8s/base/httproute.yaml").expect("an HTTPRoute").contents);
                doc["spec"]["rules"]
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .flat_map(|r| r["matches"].as_sequence().unwrap().iter())
                    .map(|m| {
                        let kind = match m["path"]["type"].as_str().unwrap() {
                            "PathPrefix" => "Prefix",
                            other => other,
                        };
                        (kind.to_owned(), m["path"]["value"].as_str().unwrap().to_owned())
                    })
                    .collect()
            }
        };
        let expected = BTreeSet::from([("Prefix".into(), "/api".into()), ("Exact".into(), "/openapi.json".into())]);
        assert_eq!(routed, expected, "{ingress:?}");
    }
}
