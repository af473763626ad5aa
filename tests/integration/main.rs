//! espresso's integration tests: one binary, a small helper DSL in `support`.

mod changes;
mod cli;
mod contract;
mod deployments;
mod derived;
pub mod e2e;
mod events;
mod evolution;
mod fields;
mod http_contract;
mod hygiene;
mod image;
mod messaging;
mod presets;
mod safety;
mod servers;
mod snapshots;
mod stack;
mod support;
mod targets;
mod typescript;
mod versions;
