//! Resolves the npm lockfile for the union of every dependency any bundle can bring and stores
//! it as `templates/<language>/lockfiles/union.json`. A project's lockfile is this union pruned
//! to its own dependencies (`src/lockfile.rs`), so `npm ci` works without espresso touching the
//! network. Packages already in the union keep their versions. Run after changing any bundle's
//! `[npm]` table:
//!
//!     cargo run --example update_lockfiles [javascript|typescript ...]
//!
//! With no argument it resolves every language's; name one to leave the others' as they are.
//! Needs npm and the npm registry.

use espresso::engine::package_json::{self, LOCK_PLACEHOLDER};
use espresso::engine::plan::all_npm_dependencies;
use std::path::Path;
use std::process::Command;

fn main() -> anyhow::Result<()> {
    let mut languages: Vec<String> = std::env::args().skip(1).collect();
    if languages.is_empty() {
        languages = vec!["javascript".into(), "typescript".into()];
    }
    for language in &languages {
        resolve(language)?;
    }
    Ok(())
}

fn resolve(language: &str) -> anyhow::Result<()> {
    let (deps, dev) = all_npm_dependencies(language)?;
    let work = tempfile::tempdir()?;
    let manifest = serde_json::json!({ "name": LOCK_PLACEHOLDER, "version": "0.1.0", "private": true });
    std::fs::write(
        work.path().join("package.json"),
        package_json::with_dependencies(&manifest.to_string(), &deps, &dev)?,
    )?;
    let dest =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("templates").join(package_json::union_lockfile_path(language));
    // Starting from the current union keeps every package that is already locked at its version:
    // adding a dependency does not move the others.
    if dest.exists() {
        std::fs::copy(&dest, work.path().join("package-lock.json"))?;
    }
    let status = Command::new("npm")
        .args(["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"])
        .current_dir(work.path())
        .status()?;
    anyhow::ensure!(status.success(), "npm install failed");
    std::fs::create_dir_all(dest.parent().unwrap())?;
    std::fs::copy(work.path().join("package-lock.json"), &dest)?;
    println!("resolved {} ({} dependencies, {} dev dependencies)", dest.display(), deps.len(), dev.len());
    Ok(())
}
