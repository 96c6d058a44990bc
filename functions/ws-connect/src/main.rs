//! Lambda for the WebSocket API's `$connect` route: wiring only; the logic lives in `people::ws`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    people::telemetry::init();
    let edge = people::ws_edge(people::Config::from_env()?);
    lambda_runtime::run(lambda_runtime::service_fn(|event| edge.invoke(event))).await
}
