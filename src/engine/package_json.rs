//! `package.json` and `package-lock.json`: dependencies come from the bundles' manifests, and the
//! lockfile comes from a set resolved by npm ahead of time (see `examples/update_lockfiles.rs`),
//! so `npm ci` works on a fresh project without espresso touching the network.

use crate::templates::bundle::TEMPLATES;
use anyhow::Context;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub type Deps = BTreeMap<String, String>;

/// The lockfile npm resolved for every dependency any bundle of a language can bring.
pub fn union_lockfile_path(language: &str) -> String {
    format!("{language}/lockfiles/union.json")
}

/// The name used for the project inside the stored lockfile; replaced by the real name.
pub const LOCK_PLACEHOLDER: &str = "espresso-lockfile";

/// Sets `dependencies` and `devDependencies` in a rendered `package.json`, keeping key order.
pub fn with_dependencies(package_json: &str, deps: &Deps, dev: &Deps) -> anyhow::Result<String> {
    let mut doc: Map<String, Value> =
        serde_json::from_str(package_json).context("package.json template is not a JSON object")?;
    doc.insert("dependencies".into(), to_object(deps));
    doc.insert("devDependencies".into(), to_object(dev));
    Ok(to_npm_json(&Value::Object(doc)))
}

fn to_object(deps: &Deps) -> Value {
    Value::Object(deps.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect())
}

/// JSON the way npm writes it: two-space indent and a final newline.
pub fn to_npm_json(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("a JSON value always serialises");
    s.push('\n');
    s
}

type LockKey = (String, String, Deps, Deps);

thread_local! {
    /// The last lockfile made: a change plans the project twice, usually with the same dependencies.
    static LAST_LOCKFILE: std::cell::RefCell<Option<(LockKey, String)>> = const { std::cell::RefCell::new(None) };
}

/// The lockfile for this dependency set: the union lockfile pruned to it, named for the project.
pub fn lockfile(language: &str, project: &str, deps: &Deps, dev: &Deps) -> anyhow::Result<String> {
    let key: LockKey = (language.to_owned(), project.to_owned(), deps.clone(), dev.clone());
    if let Some(text) =
        LAST_LOCKFILE.with_borrow(|last| last.as_ref().filter(|(k, _)| *k == key).map(|(_, t)| t.clone()))
    {
        return Ok(text);
    }
    let text = prune_union(language, project, deps, dev)?;
    LAST_LOCKFILE.set(Some((key, text.clone())));
    Ok(text)
}

fn prune_union(language: &str, project: &str, deps: &Deps, dev: &Deps) -> anyhow::Result<String> {
    let path = union_lockfile_path(language);
    let union = TEMPLATES
        .get_file(&path)
        .and_then(|f| f.contents_utf8())
        .with_context(|| format!("`templates/{path}` is missing"))?;
    crate::engine::lockfile::prune(union, project, deps, dev).map_err(|e| {
        anyhow::anyhow!("{e:#}\nthis is a bug in espresso's templates: run `cargo run --example update_lockfiles`")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deps(pairs: &[(&str, &str)]) -> Deps {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn dependencies_are_set_in_place_and_sorted() {
        let src = r#"{"name": "x", "dependencies": {}, "scripts": {"test": "node --test"}}"#;
        let out = with_dependencies(src, &deps(&[("pg", "^8"), ("express", "^5")]), &deps(&[])).unwrap();
        let keys: Vec<&str> =
            out.lines().filter_map(|l| l.strip_prefix("  \"")).map(|l| l.split('"').next().unwrap()).collect();
        assert_eq!(keys, ["name", "dependencies", "scripts", "devDependencies"]);
        assert!(out.find("express").unwrap() < out.find("pg").unwrap());
        assert!(out.ends_with("}\n"));
    }
}
