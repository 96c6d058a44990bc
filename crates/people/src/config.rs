//! Configuration from the environment, read once at start.

use aws_config::BehaviorVersion;
use dynamodel::Table;

use crate::http::{Edge, Function};
use crate::model::table_spec;
use crate::service::PeopleService;

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
}

/// A required setting is missing.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {0} must be set")]
pub struct MissingSetting(&'static str);

impl Config {
    /// Reads the environment.
    pub fn from_env() -> Result<Self, MissingSetting> {
        let var = |name| {
            std::env::var(name)
                .ok()
                .filter(|v: &String| !v.trim().is_empty())
        };
        Ok(Self {
            table_name: var("TABLE_NAME").ok_or(MissingSetting("TABLE_NAME"))?,
            allowed_origins: AllowedOrigins::parse(
                &var("ALLOWED_ORIGINS").unwrap_or_else(|| "*".into()),
            ),
            dynamodb_endpoint: var("DYNAMODB_ENDPOINT"),
        })
    }

    /// Builds the DynamoDB client (once per process) and the edge for `function`.
    pub async fn edge(self, function: Function) -> Edge {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(endpoint) = &self.dynamodb_endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        let client = aws_sdk_dynamodb::Client::new(&loader.load().await);
        let table = Table::new(client, self.table_name, table_spec());
        Edge::new(PeopleService::new(table), self.allowed_origins, function)
    }
}
