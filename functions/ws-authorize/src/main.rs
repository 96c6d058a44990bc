//! Lambda request authorizer of the WebSocket API's `$connect` route: wiring only; the logic lives
//! in `people::ws::authorize`.

use lambda_runtime::{LambdaEvent, service_fn};
use people::ws::authorize::{AuthorizerRequest, WsAuthorizer};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    people::telemetry::init();
    let authorizer = WsAuthorizer::from_env()?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<AuthorizerRequest>| {
        let authorizer = &authorizer;
        async move { Ok::<_, lambda_runtime::Error>(authorizer.authorize(&event.payload).await?) }
    }))
    .await
}
