//! # people
//!
//! The people API: the [`Person`](model::Person) model, the [`PeopleService`](service::PeopleService)
//! (create, get, replace, delete, list, with emails unique across people), and the HTTP edge that
//! turns API Gateway v2 events into service calls. Each Lambda binary is wiring: telemetry, [`Config`], one client, then the edge's handler.
#![warn(missing_docs)]

pub mod config;
pub mod fixtures;
pub mod http;
pub mod model;
pub mod service;
pub mod telemetry;
pub mod tls;

pub use config::{AllowedOrigins, Config, ConfigError};
pub use http::{Edge, Function};
pub use model::{Person, PersonId, table_spec};
pub use service::{PeopleService, PersonInput};
