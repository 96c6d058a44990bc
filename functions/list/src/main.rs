//! Lambda for the people API's `list` routes: wiring only; the logic lives in the `people` crate.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    people::telemetry::init();
    let edge = people::list_edge(people::Config::from_env()?);
    lambda_runtime::run(lambda_runtime::service_fn(|event| edge.handle(event))).await
}
