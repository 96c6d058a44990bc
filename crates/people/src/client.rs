//! The functions' DynamoDB client.

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
