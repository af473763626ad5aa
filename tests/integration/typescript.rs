//! TypeScript projects: the flag and its record, what the TypeScript set does not cover yet
//! (refused, nothing written), changes on a TypeScript project, and the two language sets held
//! in lockstep: each JavaScript module of a bundle has a TypeScript sibling with the same exports
//! and fences, and each test file has the same tests, by name.

use crate::support::{Sandbox, espresso, plan, read_tree as tree};
use espresso::model::options::Choices;
use espresso::templates::bundle::{Bundle, TEMPLATES, all_bundle_ids, middleware_kinds};
use std::collections::BTreeSet;

/// `espresso <args>` run in `dir`.
fn run_in(dir: &std::path::Path, args: &[&str]) -> assert_cmd::assert::Assert {
    espresso().current_dir(dir).args(args).assert()
}

fn typescript() -> Choices {
    Choices { language: "typescript", ..Choices::default() }
}

#[test]
fn language_flag_and_its_aliases_are_recorded() {
    let sb = Sandbox::new();
    for (i, (args, language)) in [
        (&["--language", "typescript"][..], "typescript"),
        (&["--lang", "ts"], "typescript"),
        (&["--lang", "js"], "javascript"),
        (&["--language", "javascript"], "javascript"),
        (&[], "typescript"),
    ]
    .into_iter()
    .enumerate()
    {
        let name = format!("svc-{i}");
        sb.run(&[&["new", name.as_str(), "-q"][..], args].concat()).success();
        let record = std::fs::read_to_string(sb.path().join(&name).join("espresso.toml")).unwrap();
        assert!(record.contains(&format!("language = \"{language}\"")), "{args:?}:\n{record}");
        let entry = if language == "typescript" { "src/server.ts" } else { "src/server.js" };
        assert!(sb.path().join(&name).join(entry).is_file(), "{args:?}: no {entry}");
    }
    sb.run(&["new", "svc-x", "--lang", "rust"]).failure().code(2);
}

#[test]
fn every_javascript_bundle_has_a_typescript_sibling_and_both_list_the_same_middleware() {
    let ids = all_bundle_ids();
    for id in ids.iter().filter(|id| id.starts_with("javascript/")) {
        let twin = id.replacen("javascript/", "typescript/", 1);
        assert!(ids.contains(&twin), "{id} has no TypeScript sibling {twin}");
    }
    let kinds = |language| -> Vec<String> { middleware_kinds(language).unwrap().into_iter().map(|(k, _)| k).collect() };
    assert_eq!(kinds("typescript"), kinds("javascript"));
    assert_eq!(kinds("typescript").len(), 8);
}

#[test]
fn every_middleware_kind_is_added_and_removed_exactly_in_typescript() {
    let sb = Sandbox::new();
    sb.run(&["new", "shop", "--lang", "ts", "--cache", "redis", "--deploy", "docker,pm2", "-q"]).success();
    let dir = sb.path().join("shop");
    run_in(&dir, &["add", "resource", "order", "--field", "title", "-q"]).success();
    let before = tree(&dir);
    let kinds: Vec<String> = middleware_kinds("typescript").unwrap().into_iter().map(|(k, _)| k).collect();
    for kind in &kinds {
        let mut args = vec!["add", "middleware", kind.as_str(), "-q"];
        if kind == "auth-jwt" {
            args.extend(["--protect", "order"]);
        }
        run_in(&dir, &args).success();
    }
    let listed = run_in(&dir, &["list", "middleware"]).success();
    let stdout = String::from_utf8_lossy(&listed.get_output().stdout).into_owned();
    assert_eq!(stdout.lines().filter(|l| l.starts_with('*')).count(), kinds.len(), "{stdout}");
    let read = |file: &str| std::fs::read_to_string(dir.join(file)).unwrap();
    let app = read("src/app.ts");
    assert!(app.contains("app.use('/api', responseCache(config, dependencies['redis']));"), "{app}");
    assert!(read("src/routes/orders.router.ts").contains("router.use(authenticate(config));"));
    assert!(read("package.json").contains("\"start\": \"node --import ./src/instrumentation.ts src/server.ts\""));
    assert!(read("Dockerfile").contains("\"--import\", \"./dist/instrumentation.js\", \"dist/server.js\""));
    assert!(read("scripts/build.mjs").contains("instrumentation: 'src/instrumentation.ts',"));
    assert!(read("ecosystem.config.cjs").contains("node_args: ['--import', './src/instrumentation.ts']"));
    for kind in kinds.iter().rev() {
        run_in(&dir, &["remove", "middleware", kind, "-q"]).success();
    }
    assert_eq!(tree(&dir), before, "remove did not undo the adds exactly");
}

#[test]
fn resources_are_added_and_removed_exactly_in_typescript() {
    let sb = Sandbox::new();
    sb.run(&["new", "shop", "--lang", "ts", "-q"]).success();
    let dir = sb.path().join("shop");
    let before = tree(&dir);
    let add = ["add", "resource", "order-item", "--field", "title", "--field", "sku:string:unique", "-q"];
    let dry = run_in(&dir, &[&add[..], &["--dry-run"]].concat()).success();
    let diff = String::from_utf8_lossy(&dry.get_output().stdout).into_owned();
    assert!(
        diff.contains("+++ b/src/routes/order-items.router.ts") && diff.contains("+++ b/src/routes/index.ts"),
        "{diff}"
    );
    assert_eq!(tree(&dir), before, "--dry-run wrote");
    run_in(&dir, &add).success();
    let index = std::fs::read_to_string(dir.join("src/routes/index.ts")).unwrap();
    assert!(index.contains("import { createOrderItemsRouter } from './order-items.router.ts';"), "{index}");
    for file in ["src/schemas/order-items.schema.ts", "test/order-items.test.ts"] {
        assert!(dir.join(file).is_file(), "{file} is missing");
    }
    run_in(&dir, &["remove", "resource", "order-item", "-q"]).success();
    assert_eq!(tree(&dir), before, "remove did not undo the add exactly");
}

#[test]
fn config_changes_keep_the_type_mirror_exact_and_undo_exactly() {
    let sb = Sandbox::new();
    sb.run(&["new", "shop", "--lang", "ts", "--deploy", "docker,kubernetes", "-q"]).success();
    let dir = sb.path().join("shop");
    let before = tree(&dir);
    let mirror = || {
        let text = std::fs::read_to_string(dir.join("config.schema.d.json.ts")).unwrap();
        let literal =
            text.split_once("declare const schema: ").unwrap().1.strip_suffix(";\nexport = schema;\n").unwrap();
        serde_json::from_str::<serde_json::Value>(literal).unwrap()
    };
    let schema =
        || serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(dir.join("config.schema.json")).unwrap());
    assert_eq!(mirror(), schema().unwrap());
    run_in(&dir, &["config", "add", "PAYMENT_API_KEY", "--secret", "--description", "Key of the payment API.", "-q"])
        .success();
    assert_eq!(mirror(), schema().unwrap());
    assert!(mirror()["properties"]["PAYMENT_API_KEY"]["x-secret"] == true);
    run_in(&dir, &["add", "deployment", "pm2", "-q"]).success();
    let ecosystem = std::fs::read_to_string(dir.join("ecosystem.config.cjs")).unwrap();
    assert!(ecosystem.contains("script: 'src/server.ts'") && ecosystem.contains("interpreter: 'node'"));
    run_in(&dir, &["remove", "deployment", "pm2", "-q"]).success();
    run_in(&dir, &["config", "remove", "PAYMENT_API_KEY", "-q"]).success();
    assert_eq!(tree(&dir), before, "add then remove did not restore the project exactly");
}

#[test]
fn the_typescript_lockfile_carries_the_native_type_checker_and_linter() {
    // That the union is current and every pruned lockfile matches its package.json is checked
    // for both languages in hygiene.rs.
    let plan = plan("orders", &typescript());
    let lock: serde_json::Value = serde_json::from_str(&plan.get("package-lock.json").unwrap().contents).unwrap();
    // The type checker and the linter come as native binaries, one optional package per platform.
    for package in ["node_modules/@typescript/typescript-linux-x64", "node_modules/@oxlint/binding-linux-x64-gnu"] {
        assert!(lock["packages"][package].is_object(), "{package} is missing from the lockfile");
    }
}

/// The modules a bundle writes under `src/` and `test/`, by target path without extension, with
/// their template sources. Files only PostgreSQL projects have are left out while the TypeScript
/// set has no `postgres` bundle: no TypeScript project can have them yet.
fn modules(bundle: &Bundle, ext: &str) -> std::collections::BTreeMap<String, String> {
    let postgres_in_typescript = TEMPLATES.get_dir("typescript/postgres").is_some();
    bundle
        .manifest
        .files
        .iter()
        .filter(|f| postgres_in_typescript || !f.when.as_deref().is_some_and(|w| w.contains("postgres")))
        .filter_map(|f| {
            let target = f.target().trim_end_matches(".jinja");
            let stem = target.strip_suffix(ext)?;
            (stem.starts_with("src/") || stem.starts_with("test/")).then(|| (stem.to_owned(), f.source.clone()))
        })
        .collect()
}

/// The names a module exports as values (`export function|const|class|async function`).
fn value_exports(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| {
            let l = l.strip_prefix("async ").unwrap_or(l);
            let rest = ["function ", "const ", "class "].iter().find_map(|k| l.strip_prefix(k))?;
            Some(rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next()?.to_owned())
        })
        .collect()
}

/// The fences a file opens (`espresso:begin <name>`).
fn fences(text: &str) -> BTreeSet<String> {
    text.lines().filter_map(|l| l.split_once("espresso:begin ").map(|(_, name)| name.trim().to_owned())).collect()
}

/// The titles of a test file's `describe` and `it` calls, template literals with their `${...}`.
fn test_titles(text: &str) -> Vec<String> {
    let mut titles = Vec::new();
    for line in text.lines().map(str::trim_start) {
        for call in ["describe(", "it("] {
            if let Some(rest) = line.strip_prefix(call) {
                let quote = rest.chars().next().unwrap_or(' ');
                if let Some(title) = rest[1..].split(quote).next().filter(|_| "'`\"".contains(quote)) {
                    titles.push(format!("{call}{title}"));
                }
            }
        }
    }
    titles
}

/// Tests of what only TypeScript has: the type mirror of the config schema.
const TYPESCRIPT_ONLY_TESTS: &[&str] =
    &["it(is mirrored exactly by config.schema.d.json.ts, from which TypeScript takes the Config type"];

#[test]
fn the_typescript_set_holds_its_javascript_sibling_in_lockstep() {
    let typescript_bundles: Vec<String> =
        all_bundle_ids().into_iter().filter(|id| id.starts_with("typescript/")).collect();
    assert!(!typescript_bundles.is_empty());
    for id in typescript_bundles {
        let name = id.trim_start_matches("typescript/");
        let ts = Bundle::load(&id).unwrap();
        let js = Bundle::load(&format!("javascript/{name}")).unwrap();
        let (ts_modules, js_modules) = (modules(&ts, ".ts"), modules(&js, ".js"));
        let stems = |m: &std::collections::BTreeMap<String, String>| m.keys().cloned().collect::<Vec<_>>();
        assert_eq!(stems(&ts_modules), stems(&js_modules), "{id}: the modules differ from javascript/{name}'s");
        assert_eq!(ts.manifest.npm.dependencies, js.manifest.npm.dependencies, "{id}: runtime dependencies differ");
        // What is not code is the same file in both: a migration, a README (package.json is where
        // the languages' scripts differ).
        let not_code = |f: &&espresso::templates::bundle::FileEntry| {
            !f.source.trim_end_matches(".jinja").ends_with(".js") && f.source != "package.json.jinja"
        };
        for entry in js.manifest.files.iter().filter(not_code) {
            if let Some(twin) = ts.manifest.files.iter().find(|f| f.source == entry.source) {
                assert_eq!(
                    ts.source(&twin.source).unwrap(),
                    js.source(&entry.source).unwrap(),
                    "{id}: {} differs",
                    entry.source
                );
                assert_eq!((twin.target(), &twin.when), (entry.target(), &entry.when), "{id}: {}", entry.source);
            }
        }
        // The same registrations, into the language's own file.
        let registrations = |b: &Bundle, ext: &str| -> Vec<(String, String, String)> {
            b.manifest
                .registrations
                .iter()
                .map(|r| (r.file.replace(ext, ".EXT"), r.fence.clone(), r.text.replace(ext, ".EXT")))
                .collect()
        };
        assert_eq!(registrations(&ts, ".ts"), registrations(&js, ".js"), "{id}: registrations differ");
        for (module, js_source) in &js_modules {
            let (js_text, ts_text) = (js.source(js_source).unwrap(), ts.source(&ts_modules[module]).unwrap());
            assert_eq!(value_exports(ts_text), value_exports(js_text), "{id}: {module} exports differ");
            assert_eq!(fences(ts_text), fences(js_text), "{id}: {module} fences differ");
            if module.starts_with("test/") {
                let mut titles = test_titles(ts_text);
                titles.retain(|t| !TYPESCRIPT_ONLY_TESTS.contains(&t.as_str()));
                assert_eq!(titles, test_titles(js_text), "{id}: {module} tests differ");
            }
        }
    }
}

#[test]
fn a_typescript_project_has_the_same_files_as_its_javascript_twin_but_for_the_language() {
    let javascript = Choices { language: "javascript", ..Choices::default() };
    let with_services = Choices {
        database: espresso::cli::Database::Postgres,
        cache: espresso::cli::Cache::Redis,
        ..javascript.clone()
    };
    for choices in [javascript, with_services] {
        same_files_but_for_the_language(&choices);
    }
}

fn same_files_but_for_the_language(choices: &Choices) {
    let js = plan("orders", choices);
    let ts = plan("orders", &Choices { language: "typescript", ..choices.clone() });
    let as_js = |path: &str| match path {
        "tsconfig.json" | ".oxlintrc.json" | "config.schema.d.json.ts" => None,
        p => Some(p.strip_suffix(".ts").map_or(p.to_owned(), |stem| format!("{stem}.js"))),
    };
    let ts_paths: BTreeSet<String> = ts.files.iter().filter_map(|f| as_js(&f.path)).collect();
    let js_paths: BTreeSet<String> =
        js.files.iter().map(|f| f.path.clone()).filter(|p| p != "eslint.config.js").collect();
    assert_eq!(ts_paths, js_paths);
    // The language-neutral files are the same, byte for byte, once a module's name is spelt `.js`;
    // the rest differ where the language does (its scripts, its type check, its image's cache).
    let as_javascript = |text: &str| text.replace(".ts`", ".js`").replace(".ts'", ".js'").replace(".ts\"", ".js\"");
    for f in ts.files.iter().filter(|f| !f.path.ends_with(".ts") && !f.path.starts_with("src/")) {
        let Some(other) = js.get(&f.path) else { continue };
        let differs = ["package.json", "package-lock.json", "README.md", "espresso.toml", "Dockerfile", "compose.yaml"];
        if !differs.contains(&f.path.as_str()) && !f.path.starts_with(".github/") {
            assert_eq!(as_javascript(&f.contents), other.contents, "{} differs between the languages", f.path);
        }
    }
}

#[test]
fn every_supported_combination_plans_in_typescript_and_its_documents_parse() {
    let mut seen = BTreeSet::new();
    let mut parsed = 0;
    for choices in crate::hygiene::all_choices() {
        let choices = Choices { language: "typescript", ..choices };
        if !seen.insert(format!("{choices:?}")) {
            continue;
        }
        let plan = plan("orders", &choices);
        for f in &plan.files {
            let ok = crate::hygiene::parse_document(&f.path, &f.contents)
                .unwrap_or_else(|e| panic!("{} does not parse ({choices:?}): {e}", f.path));
            parsed += usize::from(ok);
            // The image's bundle is dist/server.js in both languages; the sources are .ts.
            assert!(!f.contents.contains("src/server.js"), "{} names src/server.js ({choices:?})", f.path);
        }
    }
    assert!(seen.len() > 150 && parsed > 3000, "{} choice sets, {parsed} documents", seen.len());
}
