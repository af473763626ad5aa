//! Template hygiene: manifests parse and list every file, templates compile for every supported
//! combination, every variable a template reads is documented, lockfiles match.

use crate::support::{plan, repo_root};
use espresso::cli::{Broker, Cache, Database, Ingress, NodeVersion, Preset};
use espresso::engine::fence;
use espresso::engine::package_json;
use espresso::engine::plan::{all_npm_dependencies, plan_project};
use espresso::model::messaging::MessagingSpec;
use espresso::model::migration::Step;
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
/// wherever Kubernetes or Helm routes. The other five settings (database, cache, GitHub, GitLab,
/// Node line) are drawn for each row from a mix of the row number, so that each varies
/// independently of the targets and of each other: `pairwise_coverage` checks that every pair of
/// values of any two factors occurs, and that all 32 combinations of the five occur.
pub(crate) fn all_choices() -> Vec<Choices> {
    let mut out = Vec::new();
    for deploy_mask in 0..(1u16 << Deploy::ALL.len()) {
        let deploy: Vec<Deploy> =
            Deploy::ALL.iter().enumerate().filter(|(i, _)| deploy_mask & (1 << i) != 0).map(|(_, d)| *d).collect();
        let with = |d: Deploy| deploy.contains(&d);
        if Deploy::REQUIRES.iter().any(|(target, needs, _)| with(*target) && !with(*needs)) {
            continue;
        }
        let routes: &[Ingress] = if with(Deploy::Kubernetes) || with(Deploy::Helm) {
            &[Ingress::Ingress, Ingress::Gateway, Ingress::None]
        } else {
            &[Ingress::Ingress]
        };
        for ingress in routes {
            // A multiplicative hash of the row number: its bits do not follow the target bits.
            let k = ((out.len() as u32).wrapping_mul(2654435761) >> 27) as usize;
            let bit = |i: usize| k & (1 << i) != 0;
            let postgres = bit(0);
            out.push(Choices {
                language: "javascript",
                // The auth service (which needs PostgreSQL) in about half the PostgreSQL rows.
                // and the gateway in about a third of the others.
                preset: match (postgres, bit(1) == bit(3), bit(2) == bit(4)) {
                    (true, true, _) => Preset::AuthService,
                    (false, true, true) => Preset::ApiGateway,
                    _ => Preset::Service,
                },
                database: if postgres { Database::Postgres } else { Database::None },
                cache: if bit(1) { Cache::Redis } else { Cache::None },
                deploy: deploy.clone(),
                ci: [(bit(2), Ci::Github), (bit(3), Ci::Gitlab)]
                    .into_iter()
                    .filter(|(on, _)| *on)
                    .map(|(_, c)| c)
                    .collect(),
                node: if bit(4) { NodeVersion::V26 } else { NodeVersion::V24 },
                ingress: *ingress,
            });
        }
    }
    out
}

/// The factors of a choice set as booleans: each deployment target in or out, the routing, and
/// the five settings.
fn factors(c: &Choices) -> Vec<bool> {
    let mut f: Vec<bool> = Deploy::ALL.iter().map(|d| c.has_deploy(*d)).collect();
    f.extend([
        c.ingress == Ingress::Gateway,
        c.database == Database::Postgres,
        c.cache == Cache::Redis,
        c.has_ci(Ci::Github),
        c.has_ci(Ci::Gitlab),
        c.node == NodeVersion::V26,
    ]);
    f
}

#[test]
fn the_combinations_cover_every_pair_of_factor_values() {
    let combos = all_choices();
    let rows: Vec<Vec<bool>> = combos.iter().map(factors).collect();
    let n = rows[0].len();
    // A target without what it needs (compose or ecs without docker) cannot occur.
    let index = |d: &Deploy| Deploy::ALL.iter().position(|x| x == d).unwrap();
    let impossible = |a: usize, va: bool, b: usize, vb: bool| {
        Deploy::REQUIRES.iter().any(|(target, needs, _)| {
            let (t, n) = (index(target), index(needs));
            (a, va, b, vb) == (n, false, t, true) || (a, va, b, vb) == (t, true, n, false)
        })
    };
    let mut missing = Vec::new();
    for a in 0..n {
        for b in a + 1..n {
            for (va, vb) in [(false, false), (false, true), (true, false), (true, true)] {
                if !impossible(a, va, b, vb) && !rows.iter().any(|r| r[a] == va && r[b] == vb) {
                    missing.push((a, va, b, vb));
                }
            }
        }
    }
    assert!(missing.is_empty(), "pairs of factor values never planned: {missing:?}");
    let settings: BTreeSet<Vec<bool>> = rows.iter().map(|r| r[n - 5..].to_vec()).collect();
    assert_eq!(settings.len(), 32, "not every combination of database, cache, pipelines and Node occurs");
}

/// Parses a generated document by its extension: JSON, YAML (every document of a stream) and
/// TOML. Helm's templates are Go templates, not YAML, until Helm renders them.
pub(crate) fn parse_document(path: &str, text: &str) -> Result<bool, String> {
    if path.contains("/templates/") && path.starts_with("charts/") {
        return Ok(false);
    }
    if path.ends_with(".json") {
        serde_json::from_str::<serde_json::Value>(text).map_err(|e| e.to_string())?;
    } else if path.ends_with(".yaml") || path.ends_with(".yml") {
        for doc in yaml_serde::Deserializer::from_str(text) {
            <yaml_serde::Value as serde::Deserialize>::deserialize(doc).map_err(|e| e.to_string())?;
        }
    } else if path.ends_with(".toml") {
        text.parse::<toml_edit::DocumentMut>().map_err(|e| e.to_string())?;
    } else {
        return Ok(false);
    }
    Ok(true)
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
    // 160 target sets (32 without docker, 128 with it); 40 of them have no Kubernetes or Helm to
    // route, the other 120 are planned with each routing: an Ingress, an HTTPRoute, none.
    assert_eq!(combos.len(), 40 + 120 * 3);
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
        protected: false,
        api: "v1".into(),
        events: false,
    }];
    let mut parsed = 0;
    let mut with_messaging = [0; 2];
    for (i, choices) in combos.iter().enumerate() {
        let mut spec = ProjectSpec::new(ProjectName::parse("orders").unwrap(), choices.clone());
        let bare = plan_project(&spec).unwrap_or_else(|e| panic!("{choices:?}: {e:#}"));
        spec.resources = resources.clone();
        // Every other set that can have a broker gets one, Redis Streams and RabbitMQ in turn,
        // with the resource publishing its events and a consumer.
        let (postgres, redis) = (choices.database == Database::Postgres, choices.cache == Cache::Redis);
        if i % 2 == 0 && (postgres || redis) {
            let broker = if redis && i % 4 == 0 { Broker::Redis } else { Broker::Rabbitmq };
            with_messaging[usize::from(broker == Broker::Rabbitmq)] += 1;
            spec.messaging = Some(MessagingSpec {
                broker,
                migration: postgres.then(|| "0001_create_messaging_tables.sql".to_owned()),
                consumers: vec!["order-item.created".into(), "payment.refund-issued".into()],
            });
            spec.resources[0].events = true;
        }
        for r in &resources {
            spec.record_migration(Step::CreateTable, &r.name, r.fields.clone(), []);
        }
        let plan = plan_project(&spec).unwrap_or_else(|e| panic!("{choices:?} with a resource: {e:#}"));
        assert!(plan.files.len() > bare.files.len());
        for f in &plan.files {
            if parse_document(&f.path, &f.contents)
                .unwrap_or_else(|e| panic!("{} does not parse ({choices:?}): {e}", f.path))
            {
                parsed += 1;
            }
            fence::find(&f.path, &f.contents).unwrap_or_else(|e| panic!("{choices:?}: {e:#}"));
            assert!(f.contents.is_empty() || f.contents.ends_with('\n'), "{} has no final newline", f.path);
            assert!(!f.contents.contains("\n\n\n"), "{} has doubled blank lines ({choices:?})", f.path);
        }
        let record = &plan.get("espresso.toml").unwrap().contents;
        for id in bundle_ids(choices) {
            assert!(record.contains(&format!("\"{id}\"")), "espresso.toml does not record bundle {id}");
        }
    }
    assert!(with_messaging.iter().all(|n| *n > 40), "too few sets with a broker: {with_messaging:?}");
    // About 40 documents a plan: JSON, YAML and TOML alike are parsed, not only fence-checked.
    assert!(parsed > 280 * 20, "only {parsed} documents parsed");
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
    let choices = Choices { language: "javascript", deploy: Deploy::ALL.to_vec(), ..Choices::default() };
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

/// A language's union lockfile, checked to hold exactly what its bundles can bring.
pub(crate) fn current_union_lockfile(language: &str) -> serde_json::Value {
    let union: serde_json::Value = serde_json::from_str(
        TEMPLATES.get_file(package_json::union_lockfile_path(language)).unwrap().contents_utf8().unwrap(),
    )
    .unwrap();
    let (deps, dev) = all_npm_dependencies(language).unwrap();
    let as_json = |d: &std::collections::BTreeMap<String, String>| serde_json::to_value(d).unwrap();
    let hint = format!("run `cargo run --example update_lockfiles -- {language}`");
    assert_eq!(union["packages"][""]["dependencies"], as_json(&deps), "{hint}");
    assert_eq!(union["packages"][""]["devDependencies"], as_json(&dev), "{hint}");
    union
}

#[test]
fn the_union_lockfile_is_current_and_every_pruned_lockfile_matches_its_package_json() {
    every_pruned_lockfile_matches_its_package_json("javascript");
}

#[test]
fn every_pruned_typescript_lockfile_matches_its_package_json() {
    every_pruned_lockfile_matches_its_package_json("typescript");
}

fn every_pruned_lockfile_matches_its_package_json(language: &'static str) {
    let union = current_union_lockfile(language);

    let kinds: Vec<String> = middleware_kinds(language).unwrap().into_iter().map(|(k, _)| k).collect();
    // Every kind alone and every pair of kinds, with each database and cache: the root entries
    // must match package.json. Each kind alone, none and all are also handed to npm, whose
    // `npm ls --package-lock-only` checks that the whole tree resolves.
    let mut sets: Vec<Vec<String>> = vec![vec![], kinds.clone()];
    for (i, a) in kinds.iter().enumerate() {
        sets.push(vec![a.clone()]);
        for b in &kinds[i + 1..] {
            sets.push(vec![a.clone(), b.clone()]);
        }
    }
    let mut for_npm = Vec::new();
    let mut checked = 0;
    for (database, cache) in [
        (Database::None, Cache::None),
        (Database::Postgres, Cache::None),
        (Database::None, Cache::Redis),
        (Database::Postgres, Cache::Redis),
    ] {
        let choices = Choices { language, database, cache, deploy: vec![], ci: vec![], ..Choices::default() };
        for middleware in &sets {
            let mut spec = ProjectSpec::new(ProjectName::parse("orders").unwrap(), choices.clone());
            spec.middleware = middleware.clone();
            spec.middleware.sort_by_key(|m| kinds.iter().position(|k| k == m));
            let plan = match plan_project(&spec) {
                Ok(plan) => plan,
                // `cache` needs the Redis cache: refused by `add middleware`, so never planned.
                Err(_) if middleware.iter().any(|m| m == "cache") && cache == Cache::None => continue,
                Err(e) => panic!("{middleware:?} with {database:?}, {cache:?}: {e:#}"),
            };
            let pkg_text = plan.get("package.json").unwrap().contents.clone();
            let lock_text = plan.get("package-lock.json").unwrap().contents.clone();
            let pkg: serde_json::Value = serde_json::from_str(&pkg_text).unwrap();
            let lock: serde_json::Value = serde_json::from_str(&lock_text).unwrap();
            let root = &lock["packages"][""];
            assert_eq!(root["dependencies"], pkg["dependencies"], "{middleware:?}");
            assert_eq!(root["devDependencies"], pkg["devDependencies"], "{middleware:?}");
            assert_eq!((lock["name"].as_str(), root["name"].as_str()), (Some("orders"), Some("orders")));
            assert_eq!(lock["lockfileVersion"], 3);
            let pruned = lock["packages"].as_object().unwrap().len();
            assert!(pruned < union["packages"].as_object().unwrap().len() || middleware.len() == kinds.len());
            checked += 1;
            if middleware.len() != 2 {
                for_npm.push((format!("{database:?}/{cache:?}/{middleware:?}"), pkg_text, lock_text));
            }
        }
    }
    assert!(checked > 150, "{checked}");
    npm_resolves_every_lockfile(for_npm);
}

/// `npm ls --package-lock-only --all` on each (package.json, lockfile) pair: npm's own check that
/// every dependency of every package in the tree is present at a version that satisfies it.
fn npm_resolves_every_lockfile(cases: Vec<(String, String, String)>) {
    if !crate::support::on_path("npm") {
        return crate::support::missing("npm is not on PATH, so the pruned lockfiles were not checked by npm");
    }
    let scratch = tempfile::tempdir().unwrap();
    let cases: Vec<(usize, (String, String, String))> = cases.into_iter().enumerate().collect();
    let failures: Vec<String> = std::thread::scope(|scope| {
        let chunks: Vec<_> = cases.chunks(cases.len().div_ceil(4)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let root = scratch.path();
                scope.spawn(move || {
                    let mut failed = Vec::new();
                    for (i, (what, pkg, lock)) in chunk {
                        let dir = root.join(i.to_string());
                        std::fs::create_dir_all(&dir).unwrap();
                        std::fs::write(dir.join("package.json"), pkg).unwrap();
                        std::fs::write(dir.join("package-lock.json"), lock).unwrap();
                        let out = std::process::Command::new("npm")
                            .args(["ls", "--package-lock-only", "--all", "--silent"])
                            .current_dir(&dir)
                            .output()
                            .unwrap();
                        if !out.status.success() {
                            failed.push(format!("{what}: {}", String::from_utf8_lossy(&out.stderr)));
                        }
                    }
                    failed
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert!(failures.is_empty(), "npm rejects pruned lockfiles:\n{}", failures.join("\n"));
    crate::support::tell(&format!("lockfiles: npm ls --package-lock-only passed {} pruned lockfiles", cases.len()));
}
