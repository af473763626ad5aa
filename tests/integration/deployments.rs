//! `add deployment`, `remove deployment`, `list deployments`, `config add|remove` and `sync`:
//! deployment files on demand, and every derived file kept in step with the config schema.

use crate::support::{Sandbox, espresso};
use predicates::prelude::*;
use std::fs;

fn project(args: &[&str]) -> Sandbox {
    let sb = Sandbox::new();
    let mut all = vec!["new", "shop", "-q"];
    all.extend_from_slice(args);
    // These tests were written against the JavaScript set; TypeScript ones say so.
    if !args.contains(&"--language") {
        all.extend(["--language", "javascript"]);
    }
    sb.run(&all).success();
    sb
}

fn in_shop(sb: &Sandbox, args: &[&str]) -> assert_cmd::assert::Assert {
    espresso().current_dir(sb.path().join("shop")).args(args).assert()
}

fn read(sb: &Sandbox, rel: &str) -> String {
    fs::read_to_string(sb.path().join("shop").join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// A target, the project's choices before, the same choices with the target, files it brings.
type Case = (&'static str, &'static [&'static str], &'static [&'static str], &'static [&'static str]);

/// Every target, added to a project and removed again, leaves the tree byte-identical; what it
/// adds is exactly what `new` writes for the same choices.
#[test]
fn each_target_is_added_as_new_would_write_it_and_removed_exactly() {
    let cases: [Case; 10] = [
        (
            "monitoring",
            &["--deploy", "docker,compose,kubernetes", "--ci", "none"],
            &["--deploy", "docker,compose,kubernetes,monitoring", "--ci", "none"],
            &["monitoring/prometheus.yml", "monitoring/alerts.yml", "k8s/components/monitoring/prometheusrule.yaml"],
        ),
        (
            "docker",
            &["--deploy", "none", "--ci", "none"],
            &["--deploy", "docker", "--ci", "none"],
            &["Dockerfile", ".dockerignore"],
        ),
        (
            "compose",
            &["--deploy", "docker", "--ci", "none"],
            &["--deploy", "docker,compose", "--ci", "none"],
            &["compose.yaml", "compose.prod.yaml"],
        ),
        (
            "kubernetes",
            &["--deploy", "none", "--ci", "none"],
            &["--deploy", "kubernetes", "--ci", "none"],
            &["k8s/base/deployment.yaml", "k8s/components/vpa/vpa.yaml"],
        ),
        (
            "nginx",
            &["--deploy", "docker,compose", "--ci", "none"],
            &["--deploy", "docker,compose,nginx", "--ci", "none"],
            &["nginx/nginx.conf", "nginx/nginx.compose.conf", "nginx/tls/.gitignore"],
        ),
        ("pm2", &["--deploy", "none", "--ci", "none"], &["--deploy", "pm2", "--ci", "none"], &["ecosystem.config.cjs"]),
        (
            "helm",
            &["--database", "postgres", "--deploy", "kubernetes", "--ci", "none"],
            &["--database", "postgres", "--deploy", "kubernetes,helm", "--ci", "none"],
            &["charts/shop/Chart.yaml", "charts/shop/values.yaml", "charts/shop/templates/deployment.yaml"],
        ),
        (
            "ecs",
            &["--database", "postgres", "--cache", "redis", "--deploy", "docker", "--ci", "none"],
            &["--database", "postgres", "--cache", "redis", "--deploy", "docker,ecs", "--ci", "none"],
            &[
                "ecs/task-definition.json",
                "ecs/terraform/main.tf",
                "ecs/terraform/rds.tf",
                "ecs/terraform/elasticache.tf",
            ],
        ),
        (
            "github-actions",
            &["--deploy", "docker", "--ci", "none"],
            &["--deploy", "docker", "--ci", "github"],
            &[".github/workflows/ci.yml"],
        ),
        (
            "gitlab-ci",
            &["--deploy", "docker", "--ci", "github"],
            &["--deploy", "docker", "--ci", "github,gitlab"],
            &[".gitlab-ci.yml"],
        ),
    ];
    for (target, before_args, with_args, files) in cases {
        let sb = project(before_args);
        let before = sb.snapshot("shop");
        in_shop(&sb, &["add", "deployment", target, "-q"]).success();
        for f in files {
            assert!(sb.path().join("shop").join(f).is_file(), "{target}: {f}");
        }
        in_shop(&sb, &["list", "deployments"]).success().stdout(predicate::str::contains(format!("* {target} ")));

        let fresh = project(with_args);
        let mut added = sb.snapshot("shop");
        let mut expected = fresh.snapshot("shop");
        // espresso.toml lists the same choices and digests; only its layout after edits differs.
        let record = std::path::Path::new("espresso.toml");
        assert_eq!(without_layout(&added[record]), without_layout(&expected[record]), "{target}");
        added.remove(record);
        expected.remove(record);
        assert_eq!(added.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>(), "{target}");
        for (path, contents) in &expected {
            assert!(added[path] == *contents, "{target}: {} differs from what `new` writes", path.display());
        }

        in_shop(&sb, &["remove", "deployment", target, "-q"]).success();
        assert!(sb.snapshot("shop") == before, "{target}: add then remove is not byte-identical");
    }
}

/// The lines of a TOML file, sorted, without blank lines: the same content in any layout.
fn without_layout(bytes: &[u8]) -> Vec<String> {
    let mut lines: Vec<String> =
        String::from_utf8_lossy(bytes).lines().filter(|l| !l.trim().is_empty()).map(str::to_owned).collect();
    lines.sort();
    lines
}

#[test]
fn deployment_errors_name_their_remedy_and_change_nothing() {
    let sb = project(&["--deploy", "docker,compose", "--ci", "none"]);
    let before = sb.snapshot("shop");
    in_shop(&sb, &["add", "deployment", "openshift"]).code(2).stderr(
        predicate::str::contains("unknown deployment target `openshift`").and(predicate::str::contains("`kubernetes`")),
    );
    in_shop(&sb, &["add", "deployment", "compose"]).code(2).stderr(predicate::str::contains("already in the project"));
    in_shop(&sb, &["remove", "deployment", "gitlab-ci"])
        .code(2)
        .stderr(predicate::str::contains("is not in the project"));
    in_shop(&sb, &["remove", "deployment", "docker"])
        .code(2)
        .stderr(predicate::str::contains("remove deployment compose"));
    in_shop(&sb, &["add", "deployment", "ecs", "-q"]).success();
    in_shop(&sb, &["remove", "deployment", "docker"])
        .code(2)
        .stderr(predicate::str::contains("needed by `compose` and `ecs`"));
    in_shop(&sb, &["remove", "deployment", "ecs", "-q"]).success();
    in_shop(&sb, &["add", "deployment", "docker", "--ingress", "gateway"])
        .code(2)
        .stderr(predicate::str::contains("`--ingress` goes with"));
    assert!(sb.snapshot("shop") == before);
}

/// Like a package manager: a target brings what it needs, says so, and what it brought then
/// cannot be removed while the target is there.
#[test]
fn adding_a_target_that_needs_docker_adds_docker_and_says_so() {
    for target in ["compose", "ecs"] {
        let sb = project(&["--deploy", "pm2", "--ci", "none"]);
        in_shop(&sb, &["add", "deployment", target])
            .success()
            .stderr(predicate::str::contains(format!("note   adding `docker` too: `{target}` needs it")));
        let fresh = project(&["--deploy", &format!("docker,pm2,{target}"), "--ci", "none"]);
        for file in ["Dockerfile", ".dockerignore", "espresso.toml"] {
            let (a, b) = (read(&sb, file), read(&fresh, file));
            let strip = |t: &str| {
                t.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned).collect::<std::collections::BTreeSet<_>>()
            };
            assert_eq!(strip(&a), strip(&b), "{target}: {file} differs from `new --deploy docker,pm2,{target}`");
        }
        in_shop(&sb, &["remove", "deployment", "docker"])
            .code(2)
            .stderr(predicate::str::contains(format!("needed by `{target}`")));
    }
}

#[test]
fn a_project_file_listing_compose_without_docker_is_refused() {
    let sb = project(&["--deploy", "docker,compose", "--ci", "none"]);
    let path = sb.path().join("shop/espresso.toml");
    let text =
        fs::read_to_string(&path).unwrap().replace("deploy = [\"docker\", \"compose\"]", "deploy = [\"compose\"]");
    fs::write(&path, text).unwrap();
    in_shop(&sb, &["add", "middleware", "compression"]).code(1).stderr(
        predicate::str::contains("`compose` is listed without `docker`")
            .and(predicate::str::contains("restore the file")),
    );
}

#[test]
fn kubernetes_routes_through_a_gateway_when_asked_and_remembers_it() {
    let sb = project(&["--deploy", "docker", "--ci", "none"]);
    in_shop(&sb, &["add", "deployment", "kubernetes", "--ingress", "gateway", "-q"]).success();
    let route = read(&sb, "k8s/base/httproute.yaml");
    assert!(route.contains("kind: HTTPRoute") && route.contains("port: 80"));
    assert!(!sb.path().join("shop/k8s/base/ingress.yaml").exists());
    assert!(read(&sb, "k8s/base/kustomization.yaml").contains("  - httproute.yaml"));
    assert!(read(&sb, "k8s/overlays/staging/kustomization.yaml").contains("path: /spec/hostnames/0"));
    assert!(read(&sb, "espresso.toml").contains("ingress = \"gateway\""));
    // Later changes keep the choice.
    in_shop(&sb, &["add", "middleware", "compression", "-q"]).success();
    assert!(sb.path().join("shop/k8s/base/httproute.yaml").exists());
    // The Helm chart follows the recorded routing.
    in_shop(&sb, &["add", "deployment", "helm", "-q"]).success();
    let values = read(&sb, "charts/shop/values.yaml");
    assert!(values.contains("ingress:\n  enabled: false") && values.contains("httpRoute:\n  enabled: true"));
}

#[test]
fn helm_takes_the_routing_choice_too() {
    let sb = project(&["--deploy", "none", "--ci", "none"]);
    in_shop(&sb, &["add", "deployment", "helm", "--ingress", "gateway", "-q"]).success();
    assert!(read(&sb, "charts/shop/values.yaml").contains("httpRoute:\n  enabled: true"));
    assert!(read(&sb, "espresso.toml").contains("ingress = \"gateway\""));
    in_shop(&sb, &["add", "deployment", "pm2", "--ingress", "gateway"])
        .code(2)
        .stderr(predicate::str::contains("`--ingress` goes with `espresso add deployment kubernetes` or `helm`"));
}

#[test]
fn a_secret_added_with_config_add_reaches_every_derived_file_and_leaves_with_config_remove() {
    let sb = project(&["--deploy", "docker,compose,kubernetes,helm,ecs", "--ci", "none"]);
    let before = sb.snapshot("shop");
    in_shop(
        &sb,
        &[
            "config",
            "add",
            "PAYMENT_API_KEY",
            "--secret",
            "--required-in-production",
            "--description",
            "Key of the payment provider's API.",
            "-q",
        ],
    )
    .success();
    let schema: serde_json::Value = serde_json::from_str(&read(&sb, "config.schema.json")).unwrap();
    let var = &schema["properties"]["PAYMENT_API_KEY"];
    assert_eq!((var["x-secret"].as_bool(), var["x-required-in-production"].as_bool()), (Some(true), Some(true)));
    assert!(read(&sb, ".env.example").contains("# PAYMENT_API_KEY="));
    assert!(read(&sb, "k8s/secret.example.yaml").contains("  PAYMENT_API_KEY: \"\""));
    assert!(!read(&sb, "k8s/base/config.env").contains("PAYMENT_API_KEY"), "a secret never goes in the ConfigMap");
    assert!(read(&sb, "compose.prod.yaml").contains("PAYMENT_API_KEY: \"${PAYMENT_API_KEY:?set PAYMENT_API_KEY}\""));
    assert!(read(&sb, "README.md").contains("| `PAYMENT_API_KEY` |"));
    let values = read(&sb, "charts/shop/values.yaml");
    let secrets_fence = &values[values.find("espresso:begin secrets").unwrap()..];
    assert!(secrets_fence.contains("    PAYMENT_API_KEY: \"\""), "{values}");
    assert!(!values[..values.find("secrets:").unwrap()].contains("PAYMENT_API_KEY"), "not in the chart's config");
    let values_schema: serde_json::Value = serde_json::from_str(&read(&sb, "charts/shop/values.schema.json")).unwrap();
    assert!(
        values_schema["properties"]["secrets"]["properties"]["values"]["properties"]["PAYMENT_API_KEY"].is_object()
    );
    let task: serde_json::Value = serde_json::from_str(&read(&sb, "ecs/task-definition.json")).unwrap();
    let container = &task["containerDefinitions"][0];
    assert!(
        container["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "PAYMENT_API_KEY" && s["valueFrom"] == "${parameter_arn_prefix}/PAYMENT_API_KEY")
    );
    assert!(!container["environment"].as_array().unwrap().iter().any(|e| e["name"] == "PAYMENT_API_KEY"));

    in_shop(&sb, &["config", "add", "PAYMENT_API_KEY"]).code(2).stderr(predicate::str::contains("already declared"));
    in_shop(&sb, &["config", "add", "payment-url"]).code(2).stderr(predicate::str::contains("`PAYMENT_URL`"));
    in_shop(&sb, &["config", "add", "RETRIES", "--type", "integer", "--default", "many"])
        .code(2)
        .stderr(predicate::str::contains("not a integer").or(predicate::str::contains("not an integer")));
    in_shop(&sb, &["config", "add", "TOKEN", "--secret", "--default", "x"])
        .code(2)
        .stderr(predicate::str::contains("cannot have a default"));
    in_shop(&sb, &["config", "remove", "PORT"])
        .code(2)
        .stderr(predicate::str::contains("cannot be removed on its own"));

    in_shop(&sb, &["config", "remove", "PAYMENT_API_KEY", "-q"]).success();
    assert!(sb.snapshot("shop") == before, "config add then remove is not byte-identical");
}

#[test]
fn sync_renders_a_hand_edited_schema_into_every_derived_file_and_respects_user_edits() {
    let sb = project(&["--deploy", "docker,compose,kubernetes,helm,ecs", "--ci", "none"]);
    // A values file tuned by the user keeps the tuning: only the fenced lists are espresso's.
    let values = sb.path().join("shop/charts/shop/values.yaml");
    fs::write(&values, fs::read_to_string(&values).unwrap().replace("maxReplicas: 10", "maxReplicas: 30")).unwrap();
    let path = sb.path().join("shop/config.schema.json");
    let mut schema: serde_json::Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    schema["properties"]["FEATURE_FLAGS"] =
        serde_json::json!({ "type": "string", "description": "Enabled features.", "default": "beta" });
    fs::write(&path, format!("{}\n", serde_json::to_string_pretty(&schema).unwrap())).unwrap();

    let shown = in_shop(&sb, &["sync", "--dry-run"]).success().get_output().stdout.clone();
    let shown = String::from_utf8(shown).unwrap();
    for file in [
        ".env.example",
        "README.md",
        "compose.yaml",
        "compose.prod.yaml",
        "k8s/base/config.env",
        "charts/shop/values.yaml",
        "charts/shop/values.schema.json",
        "ecs/task-definition.json",
    ] {
        assert!(shown.contains(&format!("+++ b/{file}")), "sync --dry-run does not show {file}:\n{shown}");
    }
    assert!(!shown.contains("b/config.schema.json"), "sync never rewrites the user's schema");
    in_shop(&sb, &["sync", "-q"]).success();
    assert!(read(&sb, "k8s/base/config.env").contains("FEATURE_FLAGS=beta"));
    assert!(read(&sb, "compose.yaml").contains("FEATURE_FLAGS: \"beta\""));
    let values_text = read(&sb, "charts/shop/values.yaml");
    assert!(values_text.contains("  FEATURE_FLAGS: \"beta\"") && values_text.contains("maxReplicas: 30"));
    assert!(read(&sb, "ecs/task-definition.json").contains("{ \"name\": \"FEATURE_FLAGS\", \"value\": \"beta\" }"));
    let settled = sb.snapshot("shop");
    in_shop(&sb, &["sync"]).success().stderr(predicate::str::contains("up to date"));
    assert!(sb.snapshot("shop") == settled, "a second sync changed something");

    // A derived file the user edited is a conflict, and nothing is written.
    let env = sb.path().join("shop/.env.example");
    fs::write(&env, format!("{}# mine\n", fs::read_to_string(&env).unwrap())).unwrap();
    schema["properties"]["FEATURE_FLAGS"]["default"] = serde_json::json!("gamma");
    fs::write(&path, format!("{}\n", serde_json::to_string_pretty(&schema).unwrap())).unwrap();
    let edited = sb.snapshot("shop");
    in_shop(&sb, &["sync"])
        .code(1)
        .stderr(predicate::str::contains(".env.example").and(predicate::str::contains("--force")));
    assert!(sb.snapshot("shop") == edited);
    // Edits outside espresso's fences survive: the README table is a fenced region.
    let readme = sb.path().join("shop/README.md");
    fs::write(&readme, format!("{}\nOur own notes.\n", fs::read_to_string(&readme).unwrap())).unwrap();
    in_shop(&sb, &["sync", "--force", "-q"]).success();
    assert!(read(&sb, "README.md").contains("Our own notes.") && read(&sb, "README.md").contains("`gamma`"));
    assert!(read(&sb, ".env.example").contains("FEATURE_FLAGS=gamma"));

    fs::write(&path, "{ not json").unwrap();
    in_shop(&sb, &["sync"]).code(1).stderr(predicate::str::contains("config.schema.json` is not valid JSON"));
}

/// The optional kustomize components (VPA, monitoring, registry credentials) render into an overlay that enables them,
/// and point at the Deployment, container and Service port the base defines. Their kinds are
/// CRDs, for which no schema is available offline.
#[test]
fn the_optional_components_compose_with_an_overlay() {
    let sb = project(&["--deploy", "kubernetes,monitoring", "--ci", "none"]);
    let root = sb.path().join("shop/k8s");
    // Enabled the way README.md says: listed under `components` in an overlay.
    let overlay = root.join("overlays/staging");
    let kustomization = overlay.join("kustomization.yaml");
    let text = fs::read_to_string(&kustomization).unwrap();
    fs::write(
        &kustomization,
        format!(
            "{text}\ncomponents:\n  - ../../components/vpa\n  - ../../components/monitoring\n  - ../../components/registry-auth\n"
        ),
    )
    .unwrap();
    let Some(kubectl) = ["kubectl", "kustomize"].into_iter().find(|c| crate::support::on_path(c)) else {
        return crate::support::missing("kubectl (or kustomize) is not installed, so the components were not rendered");
    };
    let args: &[&str] = if kubectl == "kubectl" { &["kustomize", "."] } else { &["build", "."] };
    let out = std::process::Command::new(kubectl).args(args).current_dir(&overlay).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let docs: Vec<yaml_serde::Value> =
        String::from_utf8(out.stdout).unwrap().split("\n---\n").map(|d| yaml_serde::from_str(d).unwrap()).collect();
    let kind = |k: &str| docs.iter().find(|d| d["kind"].as_str() == Some(k)).unwrap_or_else(|| panic!("no {k}"));
    let deployment = kind("Deployment");
    let container = deployment["spec"]["template"]["spec"]["containers"][0]["name"].as_str().unwrap();
    let vpa = kind("VerticalPodAutoscaler");
    assert_eq!(vpa["apiVersion"].as_str(), Some("autoscaling.k8s.io/v1"));
    assert_eq!(vpa["spec"]["targetRef"]["name"], deployment["metadata"]["name"]);
    assert_eq!(vpa["spec"]["targetRef"]["kind"].as_str(), Some("Deployment"));
    let policy = &vpa["spec"]["resourcePolicy"]["containerPolicies"][0];
    assert_eq!(policy["containerName"].as_str(), Some(container));
    // The HPA scales on CPU; the VPA must leave CPU alone.
    let hpa = kind("HorizontalPodAutoscaler");
    assert_eq!(hpa["spec"]["metrics"][0]["resource"]["name"].as_str(), Some("cpu"));
    assert_eq!(policy["controlledResources"].as_sequence().unwrap().len(), 1);
    assert_eq!(policy["controlledResources"][0].as_str(), Some("memory"));
    let monitor = kind("ServiceMonitor");
    let service = kind("Service");
    assert_eq!(monitor["spec"]["endpoints"][0]["port"], service["spec"]["ports"][0]["name"]);
    assert_eq!(
        monitor["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"],
        service["metadata"]["labels"]["app.kubernetes.io/name"]
    );
    assert_eq!(monitor["metadata"]["namespace"].as_str(), Some("shop-staging"), "the overlay's namespace applies");
    assert!(kind("PrometheusRule")["spec"]["groups"][0]["rules"].as_sequence().unwrap().len() >= 5);
    // Registry credentials, as the chart's `imagePullSecrets` gives them.
    assert_eq!(deployment["spec"]["template"]["spec"]["imagePullSecrets"][0]["name"].as_str(), Some("shop-registry"));
}
