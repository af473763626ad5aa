//! Template hygiene: manifests parse and list every file, templates compile for every supported
//! combination, every variable a template reads is documented, lockfiles match.

use crate::support::{plan, repo_root};
use espresso::cli::{Cache, Database, Ingress, NodeVersion};
use espresso::engine::fence;
use espresso::engine::package_json;
use espresso::engine::plan::{all_npm_dependencies, plan_project};
use espresso::model::name::ProjectName;
use espresso::model::options::{Choices, Ci, Deploy};
use espresso::model::project::{ProjectSpec, ResourceSpec};
use espresso::model::resource::{Field, ResourceName};
use espresso::templates::bundle::{Bundle, MANIFEST, TEMPLATES, all_bundle_ids, bundle_ids, middleware_kinds};
use include_dir::Dir;
use std::collections::BTreeSet;

fn files_below(dir: &Dir<'static>, out: &mut Vec<String>) {
    for f in dir.files() {
        out.push(f.path().to_string_lossy().replace('\\', "/"));
    }
    for d in dir.dirs() {
        files_below(d, out);
    }
}

/// Every supported set of deployment targets (compose and ecs need docker), with both routings
/// wherever Kubernetes or Helm routes. The backing services, pipelines and Node line rotate
/// through their values from one combination to the next: a product of everything would be
/// thousands of plans.
fn all_choices() -> Vec<Choices> {
    let mut out = Vec::new();
    for deploy_mask in 0..(1u16 << Deploy::ALL.len()) {
        let deploy: Vec<Deploy> =
            Deploy::ALL.iter().enumerate().filter(|(i, _)| deploy_mask & (1 << i) != 0).map(|(_, d)| *d).collect();
        let with = |d: Deploy| deploy.contains(&d);
        if Deploy::REQUIRES.iter().any(|(target, needs, _)| with(*target) && !with(*needs)) {
            continue;
        }
        let routes: &[Ingress] = if with(Deploy::Kubernetes) || with(Deploy::Helm) {
            &[Ingress::Ingress, Ingress::Gateway]
        } else {
            &[Ingress::Ingress]
        };
        for ingress in routes {
            let n = out.len();
            let ci: Vec<Ci> =
                Ci::ALL.iter().enumerate().filter(|(i, _)| (n % 4) & (1 << i) != 0).map(|(_, c)| *c).collect();
            let node = if n % 2 == 0 { NodeVersion::V24 } else { NodeVersion::V26 };
            let database = if n % 4 < 2 { Database::None } else { Database::Postgres };
            let cache = if n % 2 == 0 { Cache::None } else { Cache::Redis };
            out.push(Choices {
                language: "javascript",
                database,
                cache,
                deploy: deploy.clone(),
                ci,
                node,
                ingress: *ingress,
            });
        }
    }
    out
}

#[test]
fn every_manifest_parses_and_lists_every_file_of_its_bundle() {
    let ids = all_bundle_ids();
    assert!(ids.len() >= 9, "bundles found: {ids:?}");
    for id in ids {
        let bundle = Bundle::load(&id).unwrap_or_else(|e| panic!("{e:#}"));
        let mut present = Vec::new();
        files_below(bundle.dir, &mut present);
        // Partials (`_name.jinja`) are included by other templates, not written themselves.
        let is_partial = |p: &str| p.rsplit('/').next().is_some_and(|n| n.starts_with('_') && n.ends_with(".jinja"));
        let present: BTreeSet<String> =
            present.into_iter().filter(|p| *p != format!("{id}/{MANIFEST}") && !is_partial(p)).collect();
        let listed: BTreeSet<String> = bundle.manifest.files.iter().map(|f| format!("{id}/{}", f.source)).collect();
        assert_eq!(present, listed, "bundle `{id}`: files on disk and files in {MANIFEST} differ");
        assert!(!bundle.manifest.description.is_empty());
    }
}

#[test]
fn every_folder_under_templates_is_a_bundle_or_the_lockfiles() {
    for set in TEMPLATES.dirs() {
        for dir in set.dirs() {
            let path = dir.path().to_string_lossy().replace('\\', "/");
            let is_bundle = dir.get_file(dir.path().join(MANIFEST)).is_some();
            assert!(
                is_bundle || path.ends_with("/lockfiles"),
                "templates/{path} is neither a bundle nor a lockfile folder"
            );
        }
        assert!(set.files().next().is_none(), "loose files in templates/{}", set.path().display());
    }
}

#[test]
fn every_supported_combination_plans_with_valid_fences() {
    let combos = all_choices();
    // 160 target sets (32 without docker, 128 with it); 40 of them route neither way.
    assert_eq!(combos.len(), 40 + 120 * 2);
    for (database, cache) in [(Database::None, Cache::None), (Database::Postgres, Cache::Redis)] {
        let ecs = |c: &&Choices| c.has_deploy(Deploy::Ecs) && c.database == database && c.cache == cache;
        assert!(combos.iter().filter(ecs).count() > 10, "ecs with {database:?} and {cache:?}");
    }
    let resources = vec![ResourceSpec {
        name: ResourceName::parse("order-item").unwrap(),
        fields: [
            "title",
            "qty:integer:default=1",
            "state:enum(a|b)",
            "note:text:optional",
            "sku:string:unique",
            "meta:json:optional",
            "at:datetime",
        ]
        .iter()
        .map(|f| Field::parse(f).unwrap())
        .collect(),
        migration: 1,
        protected: false,
    }];
    for choices in combos {
        let mut spec = ProjectSpec::new(ProjectName::parse("orders").unwrap(), choices.clone());
        let bare = plan_project(&spec).unwrap_or_else(|e| panic!("{choices:?}: {e:#}"));
        spec.resources = resources.clone();
        let plan = plan_project(&spec).unwrap_or_else(|e| panic!("{choices:?} with a resource: {e:#}"));
        assert!(plan.files.len() > bare.files.len());
        for f in &plan.files {
            fence::find(&f.path, &f.contents).unwrap_or_else(|e| panic!("{choices:?}: {e:#}"));
            assert!(f.contents.is_empty() || f.contents.ends_with('\n'), "{} has no final newline", f.path);
            assert!(!f.contents.contains("\n\n\n"), "{} has doubled blank lines ({choices:?})", f.path);
        }
        let record = &plan.get("espresso.toml").unwrap().contents;
        for id in bundle_ids(&choices) {
            assert!(record.contains(&format!("\"{id}\"")), "espresso.toml does not record bundle {id}");
        }
    }
}

#[test]
fn every_variable_a_template_reads_is_documented() {
    let docs = std::fs::read_to_string(repo_root().join("docs/templates.md")).expect("docs/templates.md exists");
    let env = minijinja::Environment::new();
    let mut read = BTreeSet::new();
    for id in all_bundle_ids() {
        let bundle = Bundle::load(&id).unwrap();
        let mut sources: Vec<(String, String)> = bundle
            .manifest
            .files
            .iter()
            .filter(|f| f.is_template())
            .map(|f| (format!("{id}/{}", f.source), bundle.source(&f.source).unwrap().to_owned()))
            .collect();
        sources.extend(bundle.manifest.registrations.iter().map(|r| (format!("{id} registration"), r.text.clone())));
        for (name, source) in sources {
            let template = env
                .template_from_named_str(&name, &source)
                .unwrap_or_else(|e| panic!("{name} does not compile: {e:#}"));
            read.extend(template.undeclared_variables(false));
        }
        for when in bundle.manifest.files.iter().filter_map(|f| f.when.as_deref()) {
            read.extend(env.compile_expression(when).unwrap().undeclared_variables(false));
        }
    }
    assert!(read.contains("project") && read.contains("config"), "analysis found {read:?}");
    for var in &read {
        assert!(
            docs.contains(&format!("| `{var}` |")),
            "templates read `{var}`, which docs/templates.md does not document"
        );
    }
}

#[test]
fn every_fence_is_documented() {
    let docs = std::fs::read_to_string(repo_root().join("docs/templates.md")).unwrap();
    // Every deployment target, so each file that can carry a fence is written.
    let choices = Choices { deploy: Deploy::ALL.to_vec(), ..Choices::default() };
    let plan = plan("orders", &choices);
    for f in &plan.files {
        let documented = f.path.replace("charts/orders/", "charts/<name>/");
        for fence in fence::find(&f.path, &f.contents).unwrap() {
            assert!(
                docs.contains(&format!("`{}` in `{}`", fence.name, documented)),
                "fence `{}` in `{}` is not documented",
                fence.name,
                f.path
            );
        }
    }
}

#[test]
fn the_union_lockfile_is_current_and_every_pruned_lockfile_matches_its_package_json() {
    let union: serde_json::Value = serde_json::from_str(
        TEMPLATES.get_file(package_json::union_lockfile_path("javascript")).unwrap().contents_utf8().unwrap(),
    )
    .unwrap();
    let (deps, dev) = all_npm_dependencies("javascript").unwrap();
    let as_json = |d: &std::collections::BTreeMap<String, String>| serde_json::to_value(d).unwrap();
    assert_eq!(union["packages"][""]["dependencies"], as_json(&deps), "run `cargo run --example update_lockfiles`");
    assert_eq!(union["packages"][""]["devDependencies"], as_json(&dev), "run `cargo run --example update_lockfiles`");

    let kinds: Vec<String> = middleware_kinds("javascript").unwrap().into_iter().map(|(k, _)| k).collect();
    for choices in
        all_choices().into_iter().filter(|c| c.deploy.is_empty() && c.ci.is_empty() && c.node == NodeVersion::V24)
    {
        for middleware in [vec![], kinds.clone()] {
            let mut spec = ProjectSpec::new(ProjectName::parse("orders").unwrap(), choices.clone());
            spec.middleware = middleware;
            let plan = plan_project(&spec).unwrap();
            let pkg: serde_json::Value = serde_json::from_str(&plan.get("package.json").unwrap().contents).unwrap();
            let lock: serde_json::Value =
                serde_json::from_str(&plan.get("package-lock.json").unwrap().contents).unwrap();
            let root = &lock["packages"][""];
            assert_eq!(root["dependencies"], pkg["dependencies"], "{:?}", spec.middleware);
            assert_eq!(root["devDependencies"], pkg["devDependencies"]);
            assert_eq!((lock["name"].as_str(), root["name"].as_str()), (Some("orders"), Some("orders")));
            assert_eq!(lock["lockfileVersion"], 3);
            let pruned = lock["packages"].as_object().unwrap().len();
            assert!(pruned < union["packages"].as_object().unwrap().len() || spec.middleware.len() == kinds.len());
        }
    }
}
