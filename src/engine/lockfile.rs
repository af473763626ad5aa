//! npm lockfiles without the network: npm resolves one lockfile for the union of every
//! dependency any bundle can bring (`cargo run --example update_lockfiles`), and a project's
//! lockfile is that union pruned to what its own `package.json` reaches, following Node's module
//! resolution, with the `dev` and `optional` flags recomputed for the subset. `npm ci` installs
//! exactly that tree; the end-to-end tests run it for every combination they generate.

use anyhow::{Context, bail};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, VecDeque};

type Deps = BTreeMap<String, String>;

/// How a package is reached: through required edges only, or through an optional one; from a
/// production or a development root dependency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reach {
    Prod,
    ProdOptional,
    Dev,
    DevOptional,
}

impl Reach {
    fn optional(self) -> Self {
        match self {
            Reach::Prod | Reach::ProdOptional => Reach::ProdOptional,
            Reach::Dev | Reach::DevOptional => Reach::DevOptional,
        }
    }
}

/// The install path of the package directory that contains `path` (`""` for the root).
fn parent(path: &str) -> &str {
    path.rfind("/node_modules/").map_or("", |i| &path[..i])
}

/// Where Node finds `name` required from the package installed at `from`.
fn resolve<'a>(packages: &'a Map<String, Value>, from: &str, name: &str) -> Option<&'a str> {
    let mut base = from;
    loop {
        let candidate =
            if base.is_empty() { format!("node_modules/{name}") } else { format!("{base}/node_modules/{name}") };
        if let Some((key, _)) = packages.get_key_value(&candidate) {
            return Some(key.as_str());
        }
        if base.is_empty() {
            return None;
        }
        base = parent(base);
    }
}

/// Prunes a lockfile resolved for a superset of dependencies down to `deps` and `dev`.
pub fn prune(union: &str, project: &str, deps: &Deps, dev: &Deps) -> anyhow::Result<String> {
    let mut lock: Map<String, Value> = serde_json::from_str(union).context("the union lockfile is not valid JSON")?;
    let packages =
        lock.get("packages").and_then(Value::as_object).context("the union lockfile has no `packages`")?.clone();

    let mut reached: BTreeMap<&str, std::collections::BTreeSet<Reach>> = BTreeMap::new();
    let mut queue: VecDeque<(&str, Reach)> = VecDeque::new();
    for (roots, reach) in [(deps, Reach::Prod), (dev, Reach::Dev)] {
        for name in roots.keys() {
            let at = resolve(&packages, "", name)
                .with_context(|| format!("the union lockfile does not contain `{name}`"))?;
            queue.push_back((at, reach));
        }
    }
    while let Some((path, reach)) = queue.pop_front() {
        if !reached.entry(path).or_default().insert(reach) {
            continue;
        }
        let entry = &packages[path];
        let optional_peers: Vec<&str> = entry
            .get("peerDependenciesMeta")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter(|(_, v)| v.get("optional").and_then(Value::as_bool) == Some(true))
                    .map(|(k, _)| k.as_str())
                    .collect()
            })
            .unwrap_or_default();
        let edges = [("dependencies", false), ("optionalDependencies", true), ("peerDependencies", false)];
        for (field, optional_edge) in edges {
            let Some(names) = entry.get(field).and_then(Value::as_object) else { continue };
            for name in names.keys() {
                let optional =
                    optional_edge || (field == "peerDependencies" && optional_peers.contains(&name.as_str()));
                match resolve(&packages, path, name) {
                    Some(child) => queue.push_back((child, if optional { reach.optional() } else { reach })),
                    // Optional dependencies for other platforms, and optional peers nobody installs.
                    None if optional => {}
                    None => bail!("the union lockfile cannot resolve `{name}` for `{path}`"),
                }
            }
        }
    }

    let mut pruned = Map::new();
    for (path, entry) in &packages {
        if path.is_empty() {
            let mut root = entry.as_object().cloned().unwrap_or_default();
            root.insert("name".into(), Value::String(project.to_owned()));
            root.remove("optionalDependencies");
            root.insert(
                "dependencies".into(),
                deps.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect(),
            );
            root.insert(
                "devDependencies".into(),
                dev.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect(),
            );
            pruned.insert(String::new(), Value::Object(root));
            continue;
        }
        let Some(reaches) = reached.get(path.as_str()) else { continue };
        let mut e = entry.as_object().cloned().unwrap_or_default();
        for flag in ["dev", "optional", "devOptional"] {
            e.remove(flag);
        }
        let (prod, prod_opt, dev_req, dev_opt) = (
            reaches.contains(&Reach::Prod),
            reaches.contains(&Reach::ProdOptional),
            reaches.contains(&Reach::Dev),
            reaches.contains(&Reach::DevOptional),
        );
        if !prod {
            if prod_opt {
                e.insert(if dev_req || dev_opt { "devOptional" } else { "optional" }.into(), Value::Bool(true));
            } else {
                e.insert("dev".into(), Value::Bool(true));
                if !dev_req {
                    e.insert("optional".into(), Value::Bool(true));
                }
            }
        }
        pruned.insert(path.clone(), Value::Object(e));
    }
    lock.insert("name".into(), Value::String(project.to_owned()));
    lock.insert("packages".into(), Value::Object(pruned));
    let mut text = serde_json::to_string_pretty(&Value::Object(lock))?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_what_the_dependencies_reach_and_recomputes_flags() {
        let union = json!({
            "name": "x", "lockfileVersion": 3, "requires": true,
            "packages": {
                "": { "name": "x", "dependencies": { "a": "^1", "b": "^1" }, "devDependencies": { "t": "^1" } },
                "node_modules/a": { "version": "1.0.0", "dependencies": { "shared": "^1" } },
                "node_modules/b": { "version": "1.0.0", "dependencies": { "c": "^2" } },
                "node_modules/c": { "version": "1.0.0" },
                "node_modules/b/node_modules/c": { "version": "2.0.0" },
                "node_modules/shared": { "version": "1.0.0", "optionalDependencies": { "native": "^1", "other-os": "^1" } },
                "node_modules/native": { "version": "1.0.0", "optional": true },
                "node_modules/t": { "version": "1.0.0", "dev": true, "dependencies": { "shared": "^1", "c": "^1" } }
            }
        })
        .to_string();
        let deps: Deps = [("a".into(), "^1".into())].into();
        let dev: Deps = [("t".into(), "^1".into())].into();
        let out: Value = serde_json::from_str(&prune(&union, "shop", &deps, &dev).unwrap()).unwrap();
        let packages = out["packages"].as_object().unwrap();
        let keys: Vec<&str> = packages.keys().map(String::as_str).collect();
        // The union's order (npm's own) is kept.
        assert_eq!(
            keys,
            ["", "node_modules/a", "node_modules/c", "node_modules/shared", "node_modules/native", "node_modules/t"]
        );
        assert_eq!(out["name"], "shop");
        assert_eq!(packages[""]["dependencies"], json!({ "a": "^1" }));
        assert_eq!(packages["node_modules/shared"].get("dev"), None, "reached from production");
        assert_eq!(
            packages["node_modules/native"]["devOptional"], true,
            "optional in production, reached from dev too"
        );
        assert_eq!(packages["node_modules/c"]["dev"], true, "only the dev dependency t needs c@1");
        assert_eq!(packages["node_modules/t"]["dev"], true);
    }

    #[test]
    fn nested_installs_win_over_hoisted_ones() {
        let union = json!({ "packages": {
            "": {},
            "node_modules/b": { "dependencies": { "c": "^2" } },
            "node_modules/c": { "version": "1.0.0" },
            "node_modules/b/node_modules/c": { "version": "2.0.0" }
        }})
        .to_string();
        let deps: Deps = [("b".into(), "^1".into())].into();
        let out: Value = serde_json::from_str(&prune(&union, "p", &deps, &Deps::new()).unwrap()).unwrap();
        let keys: Vec<&String> = out["packages"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["", "node_modules/b", "node_modules/b/node_modules/c"]);
    }
}
