//! The functions' AWS clients: DynamoDB, and for the list function Secrets Manager.

use std::time::Duration;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};

use crate::tls::TrustStore;

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

/// The list function's reader of its cursor key secret: a Secrets Manager client configured as the
/// DynamoDB client is (region, credentials, the same HTTPS client and timeouts), built at the first
/// read rather than at start.
#[cfg(feature = "secrets-manager")]
#[derive(Debug)]
pub struct SecretsManager {
    region: Region,
    credentials: Credentials,
    http_client: Option<aws_sdk_dynamodb::config::SharedHttpClient>,
    trust_store: TrustStore,
    endpoint: Option<String>,
    secret_id: String,
    client: std::sync::OnceLock<aws_sdk_secretsmanager::Client>,
}

#[cfg(feature = "secrets-manager")]
impl SecretsManager {
    /// A reader of `secret_id` with `dynamodb`'s region and HTTPS client; `endpoint` overrides
    /// Secrets Manager's (tests).
    pub fn new(
        dynamodb: &aws_sdk_dynamodb::Client,
        credentials: Credentials,
        trust_store: TrustStore,
        endpoint: Option<&str>,
        secret_id: impl Into<String>,
    ) -> Self {
        let config = dynamodb.config();
        Self {
            region: config
                .region()
                .cloned()
                .unwrap_or_else(|| Region::from_static("us-east-1")),
            credentials,
            http_client: config.http_client(),
            trust_store,
            endpoint: endpoint.map(str::to_owned),
            secret_id: secret_id.into(),
            client: std::sync::OnceLock::new(),
        }
    }

    fn client(&self) -> &aws_sdk_secretsmanager::Client {
        use aws_sdk_secretsmanager::config::{
            StalledStreamProtectionConfig, timeout::TimeoutConfig,
        };
        self.client.get_or_init(|| {
            let http_client = self
                .http_client
                .clone()
                .unwrap_or_else(|| self.trust_store.https_client());
            let mut builder = aws_sdk_secretsmanager::Config::builder()
                .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
                .region(self.region.clone())
                .credentials_provider(self.credentials.clone())
                .http_client(http_client)
                .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
                .timeout_config(
                    TimeoutConfig::builder()
                        .connect_timeout(CONNECT_TIMEOUT)
                        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                        .build(),
                );
            builder.set_endpoint_url(self.endpoint.clone());
            aws_sdk_secretsmanager::Client::from_conf(builder.build())
        })
    }

    /// Reads the secret and makes the cursor key of its value.
    pub async fn cursor_key(
        &self,
    ) -> Result<dynamodel::CursorKey, crate::cursor_key::CursorKeyError> {
        use crate::cursor_key::CursorKeyError;
        use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
        let secret = self.secret_id.clone();
        let out = self
            .client()
            .get_secret_value()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(|e| {
                let transient = match &e {
                    SdkError::TimeoutError(_)
                    | SdkError::DispatchFailure(_)
                    | SdkError::ResponseError(_) => true,
                    SdkError::ServiceError(service) => {
                        service.raw().status().is_server_error()
                            || matches!(
                                e.code(),
                                Some("ThrottlingException" | "InternalServiceError")
                            )
                    }
                    _ => false,
                };
                let source: crate::cursor_key::SharedError = std::sync::Arc::new(e);
                if transient {
                    CursorKeyError::Unavailable {
                        secret: secret.clone(),
                        source,
                    }
                } else {
                    CursorKeyError::Refused {
                        secret: secret.clone(),
                        source,
                    }
                }
            })?;
        crate::cursor_key::key_from_secret(
            &secret,
            out.secret_string(),
            out.secret_binary().map(|b| b.as_ref()),
        )
    }
}
