//! Lambda for the table's stream: each batch of changes pushed to the WebSocket connections
//! subscribed to them (`people::ws::feed`); records that could not be delivered come back as batch
//! item failures, so only they are retried.

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    people::telemetry::init();
    let feed = people::feed(people::Config::from_env()?)?;
    // The metrics' Stage dimension (STAGE, set by the stack; "local" without it).
    let stage = people::ws::feed::metrics_stage();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Event>| {
        let (feed, stage) = (&feed, &stage);
        async move {
            // Boxed: the fan-out's future is deep enough to overflow rustc's layout depth inline.
            let delivery = Box::pin(feed.deliver(&event.payload.records)).await?;
            people::ws::feed::log_metrics(&delivery, stage);
            let mut response = DynamoDbEventResponse::default();
            for id in delivery.failed_records {
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = Some(id);
                response.batch_item_failures.push(failure);
            }
            Ok::<_, lambda_runtime::Error>(response)
        }
    }))
    .await
}
