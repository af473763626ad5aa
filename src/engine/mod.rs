//! The change engine: a spec becomes a plan of files (`plan`), two plans and the disk become a
//! change (`change`), and the applier writes it (`apply`). Fences, npm manifests and lockfiles are
//! the file formats the engine edits in place.

pub mod apply;
pub mod change;
pub mod fault;
pub mod fence;
pub mod journal;
pub mod lock;
pub mod lockfile;
pub mod package_json;
pub mod plan;
