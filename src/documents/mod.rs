//! Documents espresso computes rather than renders from a template: the config schema, the one
//! source of every environment variable, and the OpenAPI document.

pub mod config_schema;
pub mod openapi;
pub mod openapi_auth;
