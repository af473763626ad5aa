//! Resolves the npm lockfile of every dependency set espresso can generate and stores it under
//! `templates/<language>/lockfiles/<key>.json`, so a new project has a lockfile without espresso
//! touching the network. Run after changing any bundle's `[npm]` table:
//!
//!     cargo run --example update_lockfiles
//!
//! Needs npm and the npm registry. Lockfiles no dependency set uses any more are deleted.

use espresso::package_json::{self, LOCK_PLACEHOLDER};
use espresso::plan::npm_dependencies;
use espresso::templates::{Bundle, bundle_ids};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut keep = BTreeSet::new();
    for choices in espresso::plan::dependency_variants() {
        let bundles: Vec<Bundle> =
            bundle_ids(&choices).iter().map(|id| Bundle::load(id)).collect::<anyhow::Result<_>>()?;
        let (deps, dev) = npm_dependencies(&bundles)?;
        let key = package_json::lockfile_key(&deps, &dev);
        let dir = root.join(package_json::lockfile_dir(choices.language));
        std::fs::create_dir_all(&dir)?;
        let dest = dir.join(format!("{key}.json"));
        keep.insert(dest.clone());
        if dest.exists() {
            println!("up to date  {}", dest.display());
            continue;
        }
        let work = tempfile::tempdir()?;
        let manifest = serde_json::json!({ "name": LOCK_PLACEHOLDER, "version": "0.1.0", "private": true });
        let pkg = package_json::with_dependencies(&manifest.to_string(), &deps, &dev)?;
        std::fs::write(work.path().join("package.json"), pkg)?;
        let status = Command::new("npm")
            .args(["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"])
            .current_dir(work.path())
            .status()?;
        anyhow::ensure!(status.success(), "npm install failed for {choices:?}");
        std::fs::copy(work.path().join("package-lock.json"), &dest)?;
        println!("resolved    {}", dest.display());
    }
    for lang in ["javascript"] {
        for entry in std::fs::read_dir(root.join(package_json::lockfile_dir(lang)))? {
            let path = entry?.path();
            if !keep.contains(&path) {
                std::fs::remove_file(&path)?;
                println!("removed     {}", path.display());
            }
        }
    }
    Ok(())
}
