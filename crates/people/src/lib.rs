//! # people
//!
//! The people API: the [`Person`](model::Person) model, the [`PeopleService`](service::PeopleService)
//! (create, get, replace, patch, delete, list, with emails unique across people), and the HTTP edge
//! that turns API Gateway v2 events into service calls.
//!
//! This file is the composition root: [`edge`] builds, from a [`Config`], everything a function
//! runs. Each Lambda binary is wiring: telemetry, `Config::from_env`, [`edge`], the runtime.
#![warn(missing_docs)]

pub mod client;
pub mod config;
#[cfg(feature = "fixtures")]
pub mod fixtures;
pub mod http;
pub mod model;
pub mod service;
pub mod telemetry;
pub mod tls;

pub use config::{Access, AllowedOrigins, Config, ConfigError};
pub use http::{Edge, Function};
pub use model::{Person, PersonId, table_spec};
pub use service::{Actor, PeopleService, PersonInput};

/// The edge for `function`, with its DynamoDB client (built once per process).
///
/// The credentials come from the environment only: Lambda sets them for the execution role, and
/// `make dev` sets local ones. Without `aws-config`'s provider chain (profiles, SSO, web identity,
/// IMDS) a function binary is smaller and starts faster (`benchmarks/RESULTS.md`, "Where init
/// goes"); to run a function by hand against AWS, export credentials into the environment first
/// (`aws configure export-credentials --format env`).
pub fn edge(config: Config, function: Function) -> Edge {
    let client = client::dynamodb_client(
        config.region,
        config.credentials,
        config.dynamodb_endpoint.as_deref(),
        config.trust_store,
    );
    let table = dynamodel::Table::new(client, config.table_name, table_spec());
    Edge::new(
        PeopleService::new(table),
        config.allowed_origins,
        config.access,
        function,
    )
}
