//! Pushes through API Gateway's management API (`POST @connections/{id}`), feature `push`: only the
//! stream function links the client.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_apigatewaymanagement::config::{BehaviorVersion, StalledStreamProtectionConfig};
use aws_sdk_apigatewaymanagement::error::SdkError;
use aws_sdk_apigatewaymanagement::operation::post_to_connection::PostToConnectionError;
use aws_sdk_apigatewaymanagement::primitives::Blob;

use super::feed::{PushError, Pusher};
use crate::config::Config;

/// How long one push may take before it is abandoned (and its record retried).
const PUSH_TIMEOUT: Duration = Duration::from_secs(3);

/// The management API of one WebSocket API stage.
#[derive(Debug, Clone)]
pub struct ManagementApi {
    client: aws_sdk_apigatewaymanagement::Client,
}

impl ManagementApi {
    /// A client of the stage at `endpoint` (`https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`,
    /// or the local gateway's `http://127.0.0.1:9001`), with the function's region, credentials and
    /// HTTPS client.
    pub fn new(config: &Config, endpoint: &str) -> Self {
        use aws_sdk_apigatewaymanagement::config::timeout::TimeoutConfig;
        let conf = aws_sdk_apigatewaymanagement::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(config.region.clone())
            .credentials_provider(config.credentials.clone())
            .http_client(config.trust_store.https_client())
            .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(crate::client::CONNECT_TIMEOUT)
                    .operation_attempt_timeout(PUSH_TIMEOUT)
                    .build(),
            )
            .endpoint_url(endpoint)
            .build();
        Self {
            client: aws_sdk_apigatewaymanagement::Client::from_conf(conf),
        }
    }
}

impl Pusher for ManagementApi {
    async fn push(&self, connection_id: &str, message: Arc<str>) -> Result<(), PushError> {
        let sent = self
            .client
            .post_to_connection()
            .connection_id(connection_id)
            .data(Blob::new(message.as_bytes()))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), PostToConnectionError::GoneException(_)) =>
            {
                Err(PushError::Gone)
            }
            Err(e) => Err(PushError::Failed(
                aws_sdk_apigatewaymanagement::error::DisplayErrorContext(&e).to_string(),
            )),
        }
    }
}
