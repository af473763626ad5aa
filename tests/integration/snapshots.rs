//! The whole generated tree, one snapshot per supported combination, under `snapshots/`.
//! Lockfiles are npm's output, not espresso's: they appear as a digest and their root entry.

use crate::support::{plan, repo_root, variants};
use espresso::engine::plan::Plan;
use espresso::model::project_file::digest;

fn document(plan: &Plan) -> String {
    let mut plan = plan.clone();
    for f in &mut plan.files {
        if f.path == "package-lock.json" {
            let lock: serde_json::Value = serde_json::from_str(&f.contents).unwrap();
            f.contents = format!(
                "[npm lockfile v{}: {} packages, {}]\n{}\n",
                lock["lockfileVersion"],
                lock["packages"].as_object().unwrap().len(),
                digest(&f.contents),
                serde_json::to_string_pretty(&lock["packages"][""]).unwrap()
            );
        }
        if f.path == "espresso.toml" {
            // Digests change whenever any file changes; the files they stand for are snapshotted.
            f.contents = crate::support::without_digests(&f.contents) + "\n";
        }
    }
    plan.to_document()
}

#[test]
fn every_supported_combination_matches_its_snapshot() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(repo_root().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for v in variants() {
            insta::assert_snapshot!(format!("new-{}", v.name), document(&plan("orders", &v.choices)));
        }
    });
}
