//! Configuration from the environment, read once at start.

use std::time::Duration;

use aws_config::BehaviorVersion;
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
}

/// The SDK configuration straight from the variables Lambda sets (region and the execution role's
/// credentials), or `None` outside Lambda-like environments.
///
/// Loading `aws_config`'s full provider chain (profiles, SSO, web identity, IMDS) costs about 3.7 ms of
/// init, measured with `benchmarks/src/bin/init-probe.rs`; a function never needs it, because Lambda
/// puts the region and the role's credentials in the environment.
fn lambda_environment() -> Option<aws_config::SdkConfig> {
    use aws_config::{Region, SdkConfig};
    use aws_sdk_dynamodb::config::{Credentials, SharedCredentialsProvider};
    let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
    let region = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION"))?;
    let credentials = Credentials::new(
        var("AWS_ACCESS_KEY_ID")?,
        var("AWS_SECRET_ACCESS_KEY")?,
        var("AWS_SESSION_TOKEN"),
        None,
        "lambda-environment",
    );
    Some(
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region))
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build(),
    )
}

/// How long a function waits to connect to DynamoDB before the attempt fails and is retried.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long one DynamoDB request may take, response body included, before it is abandoned and
/// retried. Three attempts of this with backoff fit in the functions' 10 s Lambda timeout, so a stuck
/// connection ends as a retried request or a 503, never as a Lambda timeout.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);

/// The functions' DynamoDB client: `config`'s region and credentials, an HTTPS client trusting
/// `trust_store`, explicit connect and attempt timeouts, and no stalled-stream protection.
///
/// Stalled-stream protection watches the throughput of every request and response body with timers
/// (about 5% of the client's CPU per call, measured by `make bench`); for DynamoDB's small bodies
/// the attempt timeout is the better guard and costs one timer per attempt.
pub fn dynamodb_client(
    config: &aws_config::SdkConfig,
    endpoint: Option<&str>,
    trust_store: TrustStore,
) -> aws_sdk_dynamodb::Client {
    use aws_sdk_dynamodb::config::{StalledStreamProtectionConfig, timeout::TimeoutConfig};
    let mut builder = aws_sdk_dynamodb::config::Builder::from(config)
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
        Ok(Self {
            table_name: var("TABLE_NAME").ok_or(ConfigError::Missing("TABLE_NAME"))?,
            allowed_origins: AllowedOrigins::parse(
                &var("ALLOWED_ORIGINS").unwrap_or_else(|| "*".into()),
            ),
            dynamodb_endpoint: var("DYNAMODB_ENDPOINT"),
            trust_store: TrustStore::choose(
                var("TLS_TRUST_STORE").as_deref(),
                var("AWS_REGION")
                    .or_else(|| var("AWS_DEFAULT_REGION"))
                    .as_deref(),
            )?,
        })
    }

    /// Builds the DynamoDB client (once per process) and the edge for `function`.
    pub async fn edge(self, function: Function) -> Edge {
        let config = match lambda_environment() {
            Some(config) => config,
            // Outside Lambda: profiles, SSO and the rest of the provider chain.
            None => aws_config::defaults(BehaviorVersion::latest()).load().await,
        };
        let client = dynamodb_client(&config, self.dynamodb_endpoint.as_deref(), self.trust_store);
        let table = Table::new(client, self.table_name, table_spec());
        Edge::new(PeopleService::new(table), self.allowed_origins, function)
    }
}
