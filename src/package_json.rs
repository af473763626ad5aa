//! `package.json` and `package-lock.json`: dependencies come from the bundles' manifests, and the
//! lockfile comes from a set resolved by npm ahead of time (see `examples/update_lockfiles.rs`),
//! so `npm ci` works on a fresh project without espresso touching the network.

use crate::templates::TEMPLATES;
use anyhow::{Context, bail};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub type Deps = BTreeMap<String, String>;

/// Where the pre-resolved lockfiles of a language set live.
pub fn lockfile_dir(language: &str) -> String {
    format!("{language}/lockfiles")
}

/// The name used for the project inside stored lockfiles; replaced by the real name.
pub const LOCK_PLACEHOLDER: &str = "espresso-lockfile";

/// A stable key for a dependency set: the file name of its lockfile.
pub fn lockfile_key(deps: &Deps, dev: &Deps) -> String {
    let mut h = Sha256::new();
    for (section, map) in [("dependencies", deps), ("devDependencies", dev)] {
        h.update(section.as_bytes());
        for (k, v) in map {
            h.update(format!("\n{k}@{v}").as_bytes());
        }
        h.update(b"\n\n");
    }
    let digest = h.finalize();
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

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

/// The lockfile for this dependency set, with the project's name filled in.
pub fn lockfile(language: &str, project: &str, deps: &Deps, dev: &Deps) -> anyhow::Result<String> {
    let key = lockfile_key(deps, dev);
    let path = format!("{}/{key}.json", lockfile_dir(language));
    let Some(raw) = TEMPLATES.get_file(&path).and_then(|f| f.contents_utf8()) else {
        bail!(
            "no resolved lockfile for this dependency set (`templates/{path}`)\nthis is a bug in espresso's templates: run `cargo run --example update_lockfiles`"
        );
    };
    let mut lock: Map<String, Value> =
        serde_json::from_str(raw).with_context(|| format!("templates/{path} is not valid JSON"))?;
    lock.insert("name".into(), Value::String(project.to_owned()));
    if let Some(Value::Object(root)) = lock.get_mut("packages").and_then(|p| p.get_mut("")) {
        root.insert("name".into(), Value::String(project.to_owned()));
    }
    Ok(to_npm_json(&Value::Object(lock)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deps(pairs: &[(&str, &str)]) -> Deps {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn key_depends_on_every_name_range_and_section() {
        let a = lockfile_key(&deps(&[("express", "^5.1.0")]), &deps(&[]));
        assert_ne!(a, lockfile_key(&deps(&[("express", "^5.2.0")]), &deps(&[])));
        assert_ne!(a, lockfile_key(&deps(&[]), &deps(&[("express", "^5.1.0")])));
        assert_eq!(a, lockfile_key(&deps(&[("express", "^5.1.0")]), &deps(&[])));
        assert_eq!(a.len(), 16);
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
