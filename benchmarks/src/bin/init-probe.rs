//! Attributes init time: runs our functions' start-up only up to `PROBE_STAGE`, then the same runtime
//! loop as the hello-world floor.
//! 0 = nothing, 1 = + JSON tracing subscriber, 2 = + `aws_config` defaults loaded,
//! 3 = + DynamoDB client built, 4 = + the people edge (what the functions do),
//! 5 = an `SdkConfig` built directly from the environment, 6 = 5 + a DynamoDB client from it (the SDK's
//! default HTTPS client: the operating system's trust store), 7 = 5 + the functions' own DynamoDB client
//! (`people::client::dynamodb_client`: the compiled-in Amazon Trust Services roots, no provider chain).

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let stage: u32 = std::env::var("PROBE_STAGE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut keep: Vec<Box<dyn std::any::Any>> = Vec::new();
    if stage >= 1 {
        people::telemetry::init();
    }
    if stage == 2 || stage == 3 {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        if stage == 3 {
            keep.push(Box::new(aws_sdk_dynamodb::Client::new(&config)));
        }
        keep.push(Box::new(config));
    }
    if (5..=7).contains(&stage) {
        let config = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .build();
        if stage == 6 {
            keep.push(Box::new(aws_sdk_dynamodb::Client::new(&config)));
        }
        if stage == 7 {
            keep.push(Box::new(people::client::dynamodb_client(
                aws_sdk_dynamodb::config::Region::new("us-east-1"),
                aws_sdk_dynamodb::config::Credentials::new("probe", "probe", None, None, "probe"),
                None,
                people::tls::TrustStore::AmazonTrustServices,
            )));
        }
        keep.push(Box::new(config));
    }
    if stage == 4 {
        keep.push(Box::new(people::edge(
            people::Config::from_env()?,
            people::Function::Get,
        )));
    }
    lambda_runtime::run(service_fn(|_event: LambdaEvent<Value>| async {
        Ok::<_, Error>(json!({ "statusCode": 200 }))
    }))
    .await?;
    drop(keep);
    Ok(())
}
