//! Lambda for the people API's `put` routes: wiring only; the logic lives in the `people` crate.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    people::telemetry::init();
    let edge = people::edge(people::Config::from_env()?, people::Function::Put);
    lambda_runtime::run(lambda_runtime::service_fn(|event| edge.handle(event))).await
}
