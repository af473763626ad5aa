//! The project model: names, validated choices, resources and fields, and a project as
//! `espresso.toml` records it.

pub mod api;
pub mod messaging;
pub mod migration;
pub mod name;
pub mod options;
pub mod project;
pub mod project_file;
pub mod relation;
pub mod resource;
pub mod upstream;
