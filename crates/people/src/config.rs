//! Configuration from the environment, read once at start. Reads only; building the client and the
//! edge from it happens in the composition root ([`crate::edge`]).

use aws_sdk_dynamodb::config::{Credentials, Region};

use crate::tls::{InvalidTrustStore, TrustStore};

/// Which origins get CORS headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// Every origin (`*`).
    Any,
    /// Only these exact origins, e.g. `https://app.example.com`.
    List(Vec<String>),
}

impl AllowedOrigins {
    /// Parses `*` or a comma-separated list.
    pub fn parse(text: &str) -> Self {
        let list: Vec<String> = text
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(String::from)
            .collect();
        if list.is_empty() || list.iter().any(|o| o == "*") {
            Self::Any
        } else {
            Self::List(list)
        }
    }
}

/// What a function needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    /// `TABLE_NAME` (required).
    pub table_name: String,
    /// `ALLOWED_ORIGINS` (default `*`).
    pub allowed_origins: AllowedOrigins,
    /// `DYNAMODB_ENDPOINT`, for DynamoDB Local.
    pub dynamodb_endpoint: Option<String>,
    /// `TLS_TRUST_STORE`: `amazon` (default) or `system`; see [`crate::tls`].
    pub trust_store: TrustStore,
    /// `AWS_REGION` (or `AWS_DEFAULT_REGION`).
    pub region: Region,
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`: the execution role's
    /// credentials, which Lambda puts in the environment (its `Debug` hides the secret).
    pub credentials: Credentials,
}

/// A setting is missing or malformed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is unset or blank.
    #[error("environment variable {0} must be set")]
    Missing(&'static str),
    /// `TLS_TRUST_STORE` names no store.
    #[error(transparent)]
    TrustStore(#[from] InvalidTrustStore),
}

impl Config {
    /// Reads the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let var = |name| {
            std::env::var(name)
                .ok()
                .filter(|v: &String| !v.trim().is_empty())
        };
        let required = |name| var(name).ok_or(ConfigError::Missing(name));
        let region = var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .ok_or(ConfigError::Missing("AWS_REGION"))?;
        Ok(Self {
            table_name: required("TABLE_NAME")?,
            allowed_origins: AllowedOrigins::parse(
                &var("ALLOWED_ORIGINS").unwrap_or_else(|| "*".into()),
            ),
            dynamodb_endpoint: var("DYNAMODB_ENDPOINT"),
            trust_store: TrustStore::choose(var("TLS_TRUST_STORE").as_deref(), Some(&region))?,
            credentials: Credentials::new(
                required("AWS_ACCESS_KEY_ID")?,
                required("AWS_SECRET_ACCESS_KEY")?,
                var("AWS_SESSION_TOKEN"),
                None,
                "environment",
            ),
            region: Region::new(region),
        })
    }
}
