//! npm lockfiles without the network: npm resolves one lockfile for the union of every
//! dependency any bundle can bring (`cargo run --example update_lockfiles`), and a project's
//! lockfile is that union pruned to what its own `package.json` reaches, following Node's module
//! resolution, with the `dev` and `optional` flags recomputed for the subset. `npm ci` installs
//! exactly that tree; the end-to-end tests run it for every combination they generate.

use anyhow::{Context, bail};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

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

/// A tree of installed packages, by install path.
trait Installed {
    /// The path itself, when a package is installed there.
    fn installed(&self, path: &str) -> Option<&str>;
}

impl Installed for Map<String, Value> {
    fn installed(&self, path: &str) -> Option<&str> {
        self.get_key_value(path).map(|(key, _)| key.as_str())
    }
}

impl Installed for BTreeMap<String, &Value> {
    fn installed(&self, path: &str) -> Option<&str> {
        self.get_key_value(path).map(|(key, _)| key.as_str())
    }
}

/// Where Node finds `name` required from the package installed at `from`.
fn resolve<'a>(packages: &'a impl Installed, from: &str, name: &str) -> Option<&'a str> {
    let mut base = from;
    loop {
        let candidate =
            if base.is_empty() { format!("node_modules/{name}") } else { format!("{base}/node_modules/{name}") };
        if let Some(key) = packages.installed(&candidate) {
            return Some(key);
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
    let Some(Value::Object(packages)) = lock.remove("packages") else { bail!("the union lockfile has no `packages`") };

    let mut reached: BTreeMap<&str, BTreeSet<Reach>> = BTreeMap::new();
    let mut queue: VecDeque<(&str, Reach)> = VecDeque::new();
    // Every dependency edge of the kept tree: from, the name required, and what it resolves to.
    let mut edges: Vec<(&str, &str, &str)> = Vec::new();
    for (roots, reach) in [(deps, Reach::Prod), (dev, Reach::Dev)] {
        for name in roots.keys() {
            let at = resolve(&packages, "", name)
                .with_context(|| format!("the union lockfile does not contain `{name}`"))?;
            queue.push_back((at, reach));
            edges.push(("", name, at));
        }
    }
    while let Some((path, reach)) = queue.pop_front() {
        let first_visit = !reached.contains_key(path);
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
        let fields = [("dependencies", false), ("optionalDependencies", true), ("peerDependencies", false)];
        for (field, optional_edge) in fields {
            let Some(names) = entry.get(field).and_then(Value::as_object) else { continue };
            for name in names.keys() {
                let optional =
                    optional_edge || (field == "peerDependencies" && optional_peers.contains(&name.as_str()));
                match resolve(&packages, path, name) {
                    Some(child) => {
                        queue.push_back((child, if optional { reach.optional() } else { reach }));
                        if first_visit {
                            edges.push((path, name, child));
                        }
                    }
                    // Optional dependencies for other platforms, and optional peers nobody installs.
                    None if optional => {}
                    None => bail!("the union lockfile cannot resolve `{name}` for `{path}`"),
                }
            }
        }
    }

    let location = hoist(&packages, &reached, &edges);

    // Each kept package once, at its place in the tree, in the union's order (npm's own).
    let mut pruned = Map::new();
    let mut merged: BTreeMap<&str, BTreeSet<Reach>> = BTreeMap::new();
    for (path, at) in &location {
        merged.entry(at.as_str()).or_default().extend(reached[path].iter().copied());
    }
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
        let Some(at) = location.get(path.as_str()) else { continue };
        if pruned.contains_key(at.as_str()) {
            continue;
        }
        let reaches = &merged[at.as_str()];
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
        pruned.insert(at.clone(), Value::Object(e));
    }
    lock.insert("name".into(), Value::String(project.to_owned()));
    lock.insert("packages".into(), Value::Object(pruned));
    let mut text = serde_json::to_string_pretty(&Value::Object(lock))?;
    text.push('\n');
    Ok(text)
}

/// What makes two installs of a package the same files.
fn identity(entry: &Value) -> [Option<&str>; 3] {
    ["version", "resolved", "integrity"].map(|key| entry.get(key).and_then(Value::as_str))
}

/// The package name a path installs (`node_modules/a/node_modules/@s/b` installs `@s/b`).
fn installed_name(path: &str) -> &str {
    path.rfind("node_modules/").map_or(path, |i| &path[i + "node_modules/".len()..])
}

/// Where each kept package of the union goes once the packages the project does not reach are
/// gone: the union's place, unless a nested install can move up to a top-level place that the
/// pruning left free, and copies of the same package then merge into it. The union hoists the
/// version most of *its* packages need, so a project without those packages would otherwise
/// install, and load, one nested copy per dependent (Express 5's `debug` six times over,
/// beneath a pruned top-level `debug@2`). A move is kept only if every package still resolves
/// every dependency to the same package as before, as Node resolves it; npm would hoist so too.
fn hoist<'a>(
    packages: &'a Map<String, Value>,
    reached: &BTreeMap<&'a str, BTreeSet<Reach>>,
    edges: &[(&'a str, &'a str, &'a str)],
) -> BTreeMap<&'a str, String> {
    let edges: Vec<(&str, &str, [Option<&str>; 3])> =
        edges.iter().map(|&(from, name, to)| (from, name, identity(&packages[to]))).collect();
    let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut by_from: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, (from, name, _)) in edges.iter().enumerate() {
        by_name.entry(name).or_default().push(i);
        by_from.entry(from).or_default().push(i);
    }

    let mut location: BTreeMap<&str, String> = reached.keys().map(|&p| (p, p.to_owned())).collect();
    let mut tree: BTreeMap<String, &Value> = reached.keys().map(|&p| (p.to_owned(), &packages[p])).collect();
    loop {
        // Nested installs with nothing installed beneath them, by the name they install, where
        // the top-level place of that name is free; grouped by what they are.
        let mut movable: BTreeMap<String, BTreeMap<[Option<&str>; 3], Vec<String>>> = BTreeMap::new();
        for (path, entry) in &tree {
            if path.matches("node_modules/").count() < 2 {
                continue;
            }
            let name = installed_name(path);
            let beneath = format!("{path}/");
            let leaf = tree.range::<String, _>(&beneath..).next().is_none_or(|(p, _)| !p.starts_with(&beneath));
            if leaf && !tree.contains_key(&format!("node_modules/{name}")) {
                movable.entry(name.to_owned()).or_default().entry(identity(entry)).or_default().push(path.clone());
            }
        }
        let mut moved = false;
        for (name, groups) in movable {
            let top = format!("node_modules/{name}");
            if tree.contains_key(&top) {
                continue;
            }
            // The largest group that can move does; the others stay where they are.
            let mut groups: Vec<Vec<String>> = groups.into_values().collect();
            groups.sort_by_key(|group| std::cmp::Reverse(group.len()));
            for group in groups {
                let removed: Vec<(String, &Value)> =
                    group.iter().filter_map(|path| tree.remove_entry(path.as_str())).collect();
                tree.insert(top.clone(), removed[0].1);
                // Only what requires `name`, and what the moved packages require, can resolve
                // differently.
                let mut affected = by_name
                    .get(name.as_str())
                    .into_iter()
                    .chain(group.iter().filter_map(|path| by_from.get(path.as_str())))
                    .flatten();
                let alike = affected.all(|&i| {
                    let (from, required, expected) = edges[i];
                    let from = if group.iter().any(|g| g == from) {
                        top.as_str()
                    } else {
                        location.get(from).map_or("", String::as_str)
                    };
                    resolve(&tree, from, required).is_some_and(|to| identity(tree[to]) == expected)
                });
                if alike {
                    for at in location.values_mut() {
                        if group.contains(at) {
                            *at = top.clone();
                        }
                    }
                    moved = true;
                    break;
                }
                tree.remove(&top);
                tree.extend(removed);
            }
        }
        if !moved {
            return location;
        }
    }
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
        // c@1 stays at the top for a, so b keeps its own c@2.
        let union = json!({ "packages": {
            "": {},
            "node_modules/a": { "dependencies": { "c": "^1" } },
            "node_modules/b": { "dependencies": { "c": "^2" } },
            "node_modules/c": { "version": "1.0.0" },
            "node_modules/b/node_modules/c": { "version": "2.0.0" }
        }})
        .to_string();
        let deps: Deps = [("a".into(), "^1".into()), ("b".into(), "^1".into())].into();
        let out: Value = serde_json::from_str(&prune(&union, "p", &deps, &Deps::new()).unwrap()).unwrap();
        let keys: Vec<&String> = out["packages"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["", "node_modules/a", "node_modules/b", "node_modules/c", "node_modules/b/node_modules/c"]);
    }

    #[test]
    fn copies_move_up_into_a_place_the_pruning_freed_and_merge() {
        // The union hoists debug@2 for `old`; without `old`, the three nested copies of debug@4
        // (and the ms@2.1 each needs) become one, at the top.
        let debug4 = json!({ "version": "4.4.3", "integrity": "sha512-d4", "dependencies": { "ms": "^2.1.3" } });
        let ms21 = json!({ "version": "2.1.3", "integrity": "sha512-m21" });
        let union = json!({ "packages": {
            "": {},
            "node_modules/old": { "version": "1.0.0", "dependencies": { "debug": "2.6.9" } },
            "node_modules/debug": { "version": "2.6.9", "integrity": "sha512-d2", "dependencies": { "ms": "2.0.0" } },
            "node_modules/ms": { "version": "2.0.0", "integrity": "sha512-m20" },
            "node_modules/x": { "version": "1.0.0", "dependencies": { "debug": "^4" } },
            "node_modules/x/node_modules/debug": debug4,
            "node_modules/x/node_modules/ms": ms21,
            "node_modules/y": { "version": "1.0.0", "dependencies": { "debug": "^4" } },
            "node_modules/y/node_modules/debug": debug4,
            "node_modules/y/node_modules/ms": ms21,
            "node_modules/z": { "version": "1.0.0", "dev": true, "dependencies": { "debug": "^4" } },
            "node_modules/z/node_modules/debug": debug4,
            "node_modules/z/node_modules/ms": ms21
        }})
        .to_string();
        let deps: Deps = [("x".into(), "^1".into()), ("y".into(), "^1".into())].into();
        let dev: Deps = [("z".into(), "^1".into())].into();
        let out: Value = serde_json::from_str(&prune(&union, "p", &deps, &dev).unwrap()).unwrap();
        let packages = out["packages"].as_object().unwrap();
        let keys: Vec<&String> = packages.keys().collect();
        assert_eq!(
            keys,
            ["", "node_modules/x", "node_modules/debug", "node_modules/ms", "node_modules/y", "node_modules/z"]
        );
        assert_eq!(packages["node_modules/debug"]["version"], "4.4.3");
        assert_eq!(packages["node_modules/debug"].get("dev"), None, "production and dev packages need it");
        assert_eq!(packages["node_modules/ms"]["version"], "2.1.3");
        assert_eq!(packages["node_modules/z"]["dev"], true);
    }

    #[test]
    fn a_copy_stays_where_moving_it_would_change_what_another_package_gets() {
        // The pruning frees the top place of c (c@3, for `gone`). c@2 there would leave b, which
        // is beneath a, finding a's c@1; c@1 there changes nothing a or b finds.
        let union = json!({ "packages": {
            "": {},
            "node_modules/gone": { "dependencies": { "c": "^3" } },
            "node_modules/c": { "version": "3.0.0" },
            "node_modules/a": { "dependencies": { "c": "^1", "b": "^1" } },
            "node_modules/a/node_modules/c": { "version": "1.0.0" },
            "node_modules/a/node_modules/b": { "dependencies": { "c": "^2" } },
            "node_modules/a/node_modules/b/node_modules/c": { "version": "2.0.0" }
        }})
        .to_string();
        let deps: Deps = [("a".into(), "^1".into())].into();
        let out: Value = serde_json::from_str(&prune(&union, "p", &deps, &Deps::new()).unwrap()).unwrap();
        let packages = out["packages"].as_object().unwrap();
        assert_eq!(packages["node_modules/c"]["version"], "1.0.0");
        assert_eq!(packages["node_modules/a/node_modules/b/node_modules/c"]["version"], "2.0.0");
        assert!(packages.get("node_modules/a/node_modules/c").is_none());
    }
}
