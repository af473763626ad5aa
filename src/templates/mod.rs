//! The templates built into the binary: bundles and their manifests (`bundle`), and the minijinja
//! environment that renders them (`renderer`).

pub mod bundle;
pub mod renderer;
