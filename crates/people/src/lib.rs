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
pub mod cursor_key;
#[cfg(feature = "fixtures")]
pub mod fixtures;
pub mod http;
pub mod model;
pub mod service;
pub mod telemetry;
pub mod tls;
#[cfg(feature = "authorizer")]
pub mod token;
pub mod ws;

pub use config::{Access, AllowedOrigins, Config, ConfigError, CursorKeySetting};
pub use cursor_key::{CursorKeyError, CursorKeys};
pub use http::{Edge, Function};
pub use model::{PeopleItem, Person, PersonId, table_spec};
pub use service::{Actor, PeopleService, PersonInput};

/// The edge for `function`, with its DynamoDB client (built once per process).
///
/// The credentials come from the environment only: Lambda sets them for the execution role, and
/// `make dev` sets local ones. Without `aws-config`'s provider chain (profiles, SSO, web identity,
/// IMDS) a function binary is smaller and starts faster (`benchmarks/RESULTS.md`, "Where init
/// goes"); to run a function by hand against AWS, export credentials into the environment first
/// (`aws configure export-credentials --format env`).
///
/// The list edge signs its cursors with `CURSOR_KEY` (see [`cursor_key`]); it cannot read
/// `CURSOR_SECRET_ARN`, which needs `list_edge` (feature `secrets-manager`).
pub fn edge(config: Config, function: Function) -> Edge {
    assemble(config, function, None)
}

/// The list function's edge: as [`edge`], and it reads its cursor key from the Secrets Manager
/// secret `CURSOR_SECRET_ARN` names, at the first listing. Only the list binary calls this, so only
/// it links the Secrets Manager client.
#[cfg(feature = "secrets-manager")]
pub fn list_edge(config: Config) -> Edge {
    assemble(config, Function::List, Some(secret_keys))
}

/// The WebSocket routes' handlers (`$connect`, `$disconnect`, messages), over the people table.
pub fn ws_edge(config: Config) -> ws::WsEdge {
    ws::WsEdge::new(table(&config), config.access)
}

/// The stream function's feed: changes pushed through the management API of the WebSocket stage at
/// `WEBSOCKET_ENDPOINT` (feature `push`).
#[cfg(feature = "push")]
pub fn feed(config: Config) -> Result<ws::feed::Feed<ws::push::ManagementApi>, ConfigError> {
    let endpoint = std::env::var("WEBSOCKET_ENDPOINT")
        .ok()
        .filter(|e| !e.trim().is_empty())
        .ok_or(ConfigError::Missing("WEBSOCKET_ENDPOINT"))?;
    let pusher = ws::push::ManagementApi::new(&config, &endpoint);
    Ok(ws::feed::Feed::new(table(&config), pusher))
}

/// The people table with the functions' DynamoDB client.
fn table(config: &Config) -> dynamodel::Table {
    let client = client::dynamodb_client(
        config.region.clone(),
        config.credentials.clone(),
        config.dynamodb_endpoint.as_deref(),
        config.trust_store,
    );
    dynamodel::Table::new(client, config.table_name.clone(), table_spec())
}

/// Reads the cursor key from `secret` at the first listing.
#[cfg(feature = "secrets-manager")]
fn secret_keys(config: &Config, dynamodb: &aws_sdk_dynamodb::Client, secret: &str) -> CursorKeys {
    CursorKeys::secret(client::SecretsManager::new(
        dynamodb,
        config.credentials.clone(),
        config.trust_store,
        None,
        secret,
    ))
}

/// How a list edge finds a key held in a secret (`None`: it cannot).
type SecretKeys = fn(&Config, &aws_sdk_dynamodb::Client, &str) -> CursorKeys;

fn assemble(config: Config, function: Function, secrets: Option<SecretKeys>) -> Edge {
    let client = client::dynamodb_client(
        config.region.clone(),
        config.credentials.clone(),
        config.dynamodb_endpoint.as_deref(),
        config.trust_store,
    );
    let keys = (function == Function::List).then(|| match &config.cursor_key {
        CursorKeySetting::Key(key) => CursorKeys::fixed(key.clone()),
        CursorKeySetting::Secret(arn) => match secrets {
            Some(read) => read(&config, &client, arn),
            None => CursorKeys::unavailable(CursorKeyError::SecretsUnsupported),
        },
        CursorKeySetting::Unset if config.access == Access::Open => {
            tracing::warn!(
                "no CURSOR_KEY or CURSOR_SECRET_ARN: list cursors are signed with a random key of this process, and stop working when it restarts"
            );
            CursorKeys::random()
        }
        CursorKeySetting::Unset => {
            tracing::error!("{}", CursorKeyError::NotConfigured);
            CursorKeys::unavailable(CursorKeyError::NotConfigured)
        }
    });
    let table = dynamodel::Table::new(client, config.table_name, table_spec());
    let mut service = PeopleService::new(table);
    if let Some(keys) = keys {
        service = service.with_cursor_keys(keys);
    }
    Edge::new(service, config.allowed_origins, config.access, function)
}
