//! Lambda for the WebSocket API's message (`$default`) route: wiring only; the logic lives in `people::ws`.

use lambda_runtime::{LambdaEvent, service_fn};
use people::ws::WsEvent;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    people::telemetry::init();
    let edge = people::ws_edge(people::Config::from_env()?);
    lambda_runtime::run(service_fn(|event: LambdaEvent<WsEvent>| {
        let edge = &edge;
        async move { Ok::<_, lambda_runtime::Error>(edge.handle(event.payload).await) }
    }))
    .await
}
