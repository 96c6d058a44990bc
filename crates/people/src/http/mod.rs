//! The HTTP edge: an API Gateway v2 (HTTP API) event in, a response out.
//!
//! One request goes [`route`] → [`extract`] → [`handlers`] → service, and comes back as a
//! [`reply`] or a [`problem`] document. Routing is on `requestContext.http.method` and `rawPath`
//! against the one route table, so it does not depend on API Gateway's `pathParameters` (the local
//! gateway sends them too, older tools do not); bodies may arrive base64-encoded.

mod auth;
mod cors;
mod extract;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod handlers;
mod idempotency;
#[cfg(feature = "openapi")]
pub mod openapi;
mod problem;
mod reply;
pub mod route;

use std::time::{Duration, Instant, SystemTime};

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use http::header::HeaderName;
use http::{Method, StatusCode};
use lambda_runtime::{Context, LambdaEvent};

pub use crate::config::Access;
pub use extract::{DEFAULT_LIMIT, MAX_BODY_BYTES, MAX_LIMIT};
pub use problem::Problem;
#[cfg(feature = "realtime")]
pub(crate) use reply::PersonBody;
pub use route::{Action, FALLBACK, Function, ROUTES, Resolution, Route, Scope};

use self::auth::Caller;
use self::idempotency::IdempotencyKey;
use self::problem::{ApiError, error_chain};
use self::reply::{Reply, header_value};
use crate::config::AllowedOrigins;
use crate::model::PersonId;
use crate::service::PeopleService;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Time kept back from the invocation's deadline to answer (and log) before Lambda stops the
/// function: a request that runs out of time is a 503 with a problem document, not a timeout.
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(500);
/// The budget of a request whose invocation has no deadline (tests, tools).
const NO_DEADLINE_BUDGET: Duration = Duration::from_secs(10);

/// When the request must be answered: the invocation's deadline less [`DEADLINE_MARGIN`].
///
/// Lambda sends the deadline as epoch milliseconds; `cargo lambda watch` sends the function's timeout
/// in milliseconds instead, so a value before 2001 is read as that duration from now.
fn deadline(context: &Context) -> tokio::time::Instant {
    const EPOCH_MS_FLOOR: u64 = 1_000_000_000_000;
    let now = tokio::time::Instant::now();
    let remaining = match context.deadline {
        0 => return now + NO_DEADLINE_BUDGET,
        timeout if timeout < EPOCH_MS_FLOOR => Duration::from_millis(timeout),
        _ => context
            .deadline()
            .duration_since(SystemTime::now())
            .unwrap_or_default(),
    };
    now + remaining.saturating_sub(DEADLINE_MARGIN)
}

/// The people API's HTTP edge for one function.
#[derive(Debug, Clone)]
pub struct Edge {
    service: PeopleService,
    origins: AllowedOrigins,
    access: Access,
    function: Function,
}

impl Edge {
    /// An edge serving `function`'s routes to callers `access` admits.
    pub fn new(
        service: PeopleService,
        origins: AllowedOrigins,
        access: Access,
        function: Function,
    ) -> Self {
        Self {
            service,
            origins,
            access,
            function,
        }
    }

    /// Handles one invocation. Never fails: every error is a response, and a 5xx is logged here with
    /// its cause.
    pub async fn handle(
        &self,
        event: LambdaEvent<ApiGatewayV2httpRequest>,
    ) -> Result<ApiGatewayV2httpResponse, lambda_runtime::Error> {
        let started = Instant::now();
        let (request, context) = event.into_parts();
        let deadline = deadline(&context);
        let request_id = request
            .request_context
            .request_id
            .clone()
            .unwrap_or(context.request_id);
        let method = request.request_context.http.method.clone();
        let path = request.raw_path.as_deref().unwrap_or("/");
        let caller = Caller::from_request(&request);
        let (template, id, outcome) = self
            .dispatch(
                &request,
                &request_id,
                caller.as_ref(),
                &method,
                path,
                deadline,
            )
            .await;
        let mut reply = outcome.unwrap_or_else(|err| {
            let problem = err.problem();
            if problem.status == StatusCode::SERVICE_UNAVAILABLE {
                tracing::warn!(request_id, error = %error_chain(&err), "storage unavailable");
            } else if problem.status >= 500 {
                tracing::error!(request_id, error = %error_chain(&err), "unexpected error");
            }
            problem.into_reply(&request_id)
        });
        reply
            .headers
            .insert(X_REQUEST_ID, header_value(&request_id));
        cors::apply(&self.origins, &request.headers, &mut reply.headers);

        tracing::info!(
            request_id = %request_id,
            method = %method,
            route = template,
            person_id = id.map(|i| i.to_string()),
            caller = caller.as_ref().map(Caller::subject),
            status = reply.status.as_u16(),
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        );
        Ok(reply.into_response(method == Method::HEAD))
    }

    /// Routes the request and runs its handler: the route template for the log, the person's id,
    /// and the outcome.
    async fn dispatch(
        &self,
        request: &ApiGatewayV2httpRequest,
        request_id: &str,
        caller: Option<&Caller>,
        method: &Method,
        path: &str,
        deadline: tokio::time::Instant,
    ) -> (&'static str, Option<PersonId>, Result<Reply, ApiError>) {
        match route::resolve(method, path) {
            Resolution::NotFound { suggestion } => (
                "unknown",
                None,
                Err(ApiError::RouteNotFound {
                    suggestion: suggestion.map(str::to_owned),
                }),
            ),
            Resolution::MethodNotAllowed { path, allow } => {
                (path, None, Err(ApiError::MethodNotAllowed { allow }))
            }
            Resolution::Options { path, allow } => (path, None, Ok(cors::preflight(&allow))),
            Resolution::Route { route, .. } if route.function != self.function => {
                tracing::warn!(
                    method = %method,
                    route = route.path,
                    function = self.function.binary(),
                    served_by = route.function.binary(),
                    "a request reached a function that does not serve its route: the API's routes differ from infra/routes.json"
                );
                (
                    route.path,
                    None,
                    Err(ApiError::RouteNotFound { suggestion: None }),
                )
            }
            Resolution::Route { route, id } => {
                // Who before what: an unauthorized caller learns nothing about its input.
                let actor = match auth::authorize(self.access, caller, route.action) {
                    Ok(actor) => actor,
                    Err(e) => return (route.path, None, Err(e)),
                };
                let id = match id.map(str::parse::<PersonId>).transpose() {
                    Ok(id) => id,
                    Err(e) => return (route.path, None, Err(e.into())),
                };
                let key = match route.action.writes() {
                    true => IdempotencyKey::from_request(request, &actor),
                    false => Ok(None),
                };
                let key = match key {
                    Ok(key) => key,
                    Err(e) => return (route.path, id, Err(e)),
                };
                let actor = match &key {
                    Some(key) => actor.with_request_token(key.request_token()),
                    None => actor,
                };
                let service = &self.service;
                let handle = handlers::handle(service, route.action, request, id, &actor);
                // Boxed: the handlers' futures are deep (service, SDK), and nesting them unboxed
                // in the runtime's future overflows the compiler's layout depth in the binaries.
                let work: std::pin::Pin<Box<dyn Future<Output = _> + Send + '_>> = match &key {
                    Some(key) => Box::pin(idempotency::once(service, key, request_id, handle)),
                    None => Box::pin(handle),
                };
                let outcome = tokio::time::timeout_at(deadline, work)
                    .await
                    .unwrap_or(Err(ApiError::DeadlineExceeded));
                (route.path, id, outcome)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(deadline: u64) -> Duration {
        let mut context = Context::default();
        context.deadline = deadline;
        super::deadline(&context) - tokio::time::Instant::now()
    }

    #[test]
    fn deadlines_come_from_the_invocation() {
        let epoch_ms = |d: Duration| {
            (SystemTime::now() + d)
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_millis() as u64
        };
        let in_three = budget(epoch_ms(Duration::from_secs(3)));
        assert!(in_three <= Duration::from_millis(2500) && in_three > Duration::from_secs(2));
        assert_eq!(
            budget(epoch_ms(Duration::ZERO).saturating_sub(5000)),
            Duration::ZERO
        );
        // cargo lambda watch: the timeout, not a point in time.
        let watch = budget(600_000);
        assert!(watch <= Duration::from_millis(599_500) && watch > Duration::from_secs(599));
        assert!(budget(0) > Duration::from_millis(9_900));
    }
}
