//! Configuration from the environment, read once at start.

use std::time::Duration;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use dynamodel::Table;

use crate::http::{Edge, Function};
use crate::model::table_spec;
use crate::service::PeopleService;
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

/// How long a function waits to connect to DynamoDB before the attempt fails and is retried.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long one DynamoDB request may take, response body included, before it is abandoned and
/// retried. Three attempts of this with backoff fit in the functions' 10 s Lambda timeout, so a stuck
/// connection ends as a retried request or a 503, never as a Lambda timeout.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);

/// The functions' DynamoDB client: `region` and `credentials`, an HTTPS client trusting
/// `trust_store`, explicit connect and attempt timeouts, and no stalled-stream protection.
///
/// Stalled-stream protection watches the throughput of every request and response body with timers
/// (about 5% of the client's CPU per call, measured by `make bench`); for DynamoDB's small bodies
/// the attempt timeout is the better guard and costs one timer per attempt.
pub fn dynamodb_client(
    region: Region,
    credentials: Credentials,
    endpoint: Option<&str>,
    trust_store: TrustStore,
) -> aws_sdk_dynamodb::Client {
    use aws_sdk_dynamodb::config::{StalledStreamProtectionConfig, timeout::TimeoutConfig};
    let mut builder = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(region)
        .credentials_provider(credentials)
        .http_client(trust_store.https_client())
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .build(),
        );
    builder.set_endpoint_url(endpoint.map(str::to_owned));
    aws_sdk_dynamodb::Client::from_conf(builder.build())
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

    /// Builds the DynamoDB client (once per process) and the edge for `function`.
    ///
    /// The credentials come from the environment only: Lambda sets them for the execution role, and
    /// `make dev` sets local ones. Without `aws-config`'s provider chain (profiles, SSO, web identity,
    /// IMDS) a function binary is smaller and starts faster (`benchmarks/RESULTS.md`, "Where init
    /// goes"); to run a function by hand against AWS, export credentials into the environment first
    /// (`aws configure export-credentials --format env`).
    pub fn edge(self, function: Function) -> Edge {
        let client = dynamodb_client(
            self.region,
            self.credentials,
            self.dynamodb_endpoint.as_deref(),
            self.trust_store,
        );
        let table = Table::new(client, self.table_name, table_spec());
        Edge::new(PeopleService::new(table), self.allowed_origins, function)
    }
}
