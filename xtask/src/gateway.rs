//! The local API Gateway of `make dev`: HTTP in, the API Gateway v2 (HTTP API, payload 2.0) event
//! the deployed API would send, to the function the deployed API would choose, through the Lambda
//! invoke API of `cargo lambda watch`; the function's response back as HTTP.
//!
//! Routes come from the same export the infrastructure builds the deployed routes from
//! ([`people::http::route::export`], committed as `infra/routes.json`), matched the way API Gateway
//! matches them: the exact method, the path segment by segment (`{id}` is one non-empty segment),
//! else the `$default` route. The event carries the `routeKey`, `pathParameters`, joined headers,
//! `cookies` and a base64 body for non-text content, as API Gateway's does.
//!
//! With `AUTH=on` every route, `$default` included, sits behind the stand-in for API Gateway's JWT
//! authorizer ([`crate::jwt::Authorizer`]): without a valid token the answer is API Gateway's own
//! 401, without one of the route's scopes (its `scopes` in the export, `fallback_scopes` for
//! `$default`) its 403, and the function is not invoked; otherwise the event carries
//! `requestContext.authorizer.jwt` with the token's claims and scopes. CORS preflights pass without
//! a token, as API Gateway answers them before any route when the API has a CORS configuration.
//!
//! `GET /openapi.json` (and `HEAD`) answers the committed OpenAPI document of the API, without a
//! token, so tools and people reach the contract on the same origin as the API. The deployed API
//! does not serve it.
//!
//! The web app is served on the same origin, as CloudFront serves it beside `/people*` ([`web`]):
//! `/`, `/index.html` and `/assets/*` from `web/dist` with the deployed caching and security headers,
//! `/config.json` with the page's sign-in settings and the local WebSocket gateway's URL
//! ([`Gateway::with_web_socket`]), and with `AUTH=on` a development token endpoint.
//!
//! The gateway never waits for a function without a bound, and never lets `cargo lambda watch`
//! queue more than it can hold:
//!
//! - A function that has answered before gets [`INVOKE_TIMEOUT`] (API Gateway's own limit on an
//!   HTTP API integration); one that has not gets [`COLD_START_TIMEOUT`], because watch builds and
//!   starts a function on its first invocation. When the bound passes, the answer is a 504 problem
//!   document. Watch itself waits for a function's answer without a limit, and an invocation whose
//!   function it stops (it restarts every running function on any change in the work tree it does
//!   not ignore) is never answered: without the bound, such a request hung until the client gave up.
//! - At most [`MAX_IN_FLIGHT`] invocations of one function are with watch at once; the others wait
//!   here, within the same bound. Watch 1.9 queues at most 100 invocations per function, and when
//!   that queue is full its scheduler waits for room while holding the lock the function needs to
//!   take the next one: every function of the stack stops answering, for good.
//! - [`Gateway::warm`] invokes every function once, so that the stack is ready (and the short
//!   bound applies) before the first request: `xtask dev` does it before it reports ready.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use people::http::route::{Export, Scope, export};
use serde_json::{Map, Value, json};
use tokio::sync::Semaphore;

use crate::jwt::{Authorizer, Decision};

mod web;

/// API Gateway's limit on an HTTP API request body.
const MAX_PAYLOAD: usize = 10 * 1024 * 1024;
/// The API's OpenAPI document, as committed (`cargo run -p xtask -- openapi > openapi.json`).
pub const OPENAPI_JSON: &str = include_str!("../../openapi.json");
/// Where the gateway serves [`OPENAPI_JSON`].
pub const OPENAPI_PATH: &str = "/openapi.json";

/// How long the gateway waits for a function that has answered before: API Gateway's limit on an
/// HTTP API integration (the functions' own Lambda timeout is 10 s).
pub const INVOKE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long it waits for a function's first answer, which `cargo lambda watch` gives only after it
/// has built and started the function.
pub const COLD_START_TIMEOUT: Duration = Duration::from_secs(600);
/// The most invocations of one function the gateway has with `cargo lambda watch` at once: watch
/// 1.9 deadlocks when more than 100 wait for one function (see the module documentation).
pub const MAX_IN_FLIGHT: usize = 64;

/// The gateway's bounds on waiting for a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// For a function that has answered before.
    pub invoke: Duration,
    /// For a function's first answer.
    pub cold_start: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            invoke: INVOKE_TIMEOUT,
            cold_start: COLD_START_TIMEOUT,
        }
    }
}

/// Where requests go.
pub struct Gateway {
    routes: Export,
    invoke_url: String,
    agent: ureq::Agent,
    authorizer: Option<Authorizer>,
    timeouts: Timeouts,
    /// Every function of the route table, by binary name.
    upstreams: HashMap<&'static str, Upstream>,
    /// The web app (`web/dist`) and its settings.
    site: web::Site,
}

/// What the gateway knows of one function under `cargo lambda watch`.
struct Upstream {
    /// Whether it has answered: watch has built and started it.
    warm: AtomicBool,
    /// One permit per invocation with watch ([`MAX_IN_FLIGHT`]).
    slots: Semaphore,
}

/// Why an invocation has no payload.
#[derive(Debug)]
enum InvokeError {
    /// Nothing within the bound (how long that was).
    Timeout(Duration),
    /// Anything else: unreachable, an error status from watch, a payload that is no JSON.
    Failed(String),
}

/// The result of one call to the invoke API, made on a blocking thread.
enum Call {
    /// Watch answered this status and body.
    Answered(u16, String),
    /// The call's own timeout passed.
    TimedOut,
    /// It failed otherwise.
    Failed(String),
}

/// The route API Gateway selects for a request.
struct Target {
    /// The function's binary name.
    function: &'static str,
    /// `METHOD /path` or `$default`.
    route_key: String,
    /// The `{name}` segments, if the route has any.
    path_parameters: Option<Map<String, Value>>,
    /// The scopes of which a token needs one.
    scopes: &'static [Scope],
}

/// Serves HTTP/1.1 on `listener` until the process ends: each request answered by `handle`, with
/// the peer's address; `upgrades` lets a response take the connection over (WebSockets).
pub(crate) async fn serve_http<F, Fut>(listener: tokio::net::TcpListener, upgrades: bool, handle: F)
where
    F: Fn(Request<Incoming>, SocketAddr) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        let handle = handle.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let answer = handle(request, peer);
                async move { Ok::<_, Infallible>(answer.await) }
            });
            let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            let _ = if upgrades {
                connection.with_upgrades().await
            } else {
                connection.await
            };
        });
    }
}

impl Gateway {
    /// A gateway invoking functions through the Lambda invoke API at `invoke_base`
    /// (`http://127.0.0.1:PORT`), with `authorizer` on every route when there is one.
    pub fn new(invoke_base: &str, authorizer: Option<Authorizer>) -> Self {
        Self::with_timeouts(invoke_base, authorizer, Timeouts::default())
    }

    /// [`Gateway::new`] with other bounds on waiting for a function.
    pub fn with_timeouts(
        invoke_base: &str,
        authorizer: Option<Authorizer>,
        timeouts: Timeouts,
    ) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // Each call sets its own bound (see `invoke`); this is only the longest.
            .timeout_global(Some(timeouts.invoke.max(timeouts.cold_start)))
            .build()
            .into();
        let routes = export();
        let upstreams = routes
            .routes
            .iter()
            .map(|route| route.function)
            .chain([routes.fallback])
            .map(|function| {
                let upstream = Upstream {
                    warm: AtomicBool::new(false),
                    slots: Semaphore::new(MAX_IN_FLIGHT),
                };
                (function.binary(), upstream)
            })
            .collect();
        // With AUTH=on the page gets tokens signed with the key the authorizer trusts.
        let site = web::Site::new(
            dynamodb_local::workspace_root().join("web/dist"),
            authorizer.as_ref().map(|_| crate::jwt::key_dir()),
        );
        Self {
            routes,
            invoke_url: format!("{}/2015-03-31/functions", invoke_base.trim_end_matches('/')),
            agent,
            authorizer,
            timeouts,
            upstreams,
            site,
        }
    }

    /// The page connects to the real-time feed at `url` (the local WebSocket gateway,
    /// `ws://127.0.0.1:$WS_PORT`): `/config.json` names it and the page's `connect-src` allows it.
    pub fn with_web_socket(mut self, url: &str) -> Self {
        self.site = self.site.with_web_socket(url);
        self
    }

    /// The functions requests may go to, by binary name, sorted.
    pub fn functions(&self) -> Vec<&'static str> {
        let mut functions: Vec<_> = self.upstreams.keys().copied().collect();
        functions.sort_unstable();
        functions
    }

    /// Invokes every function once, all at once, with a CORS preflight (which a function answers
    /// without storage or a token): how long each took to answer, or why it did not, by function.
    /// A function that answers is warm: its later invocations get the short bound.
    pub async fn warm(self: &Arc<Self>) -> Vec<(&'static str, Result<Duration, String>)> {
        let mut calls = tokio::task::JoinSet::new();
        for function in self.functions() {
            let gateway = self.clone();
            calls.spawn(async move {
                let started = Instant::now();
                let outcome = match gateway.invoke(function, preflight_event()).await {
                    Ok(payload) if payload["statusCode"].as_u64().is_some_and(|s| s < 500) => {
                        Ok(started.elapsed())
                    }
                    Ok(payload) => Err(format!("answered {payload}")),
                    Err(InvokeError::Timeout(bound)) => {
                        Err(format!("no answer within {} s", seconds(bound)))
                    }
                    Err(InvokeError::Failed(e)) => Err(e),
                };
                (function, outcome)
            });
        }
        let mut outcomes = Vec::new();
        while let Some(joined) = calls.join_next().await {
            outcomes.push(joined.expect("a warm-up call does not panic"));
        }
        outcomes.sort_by_key(|(function, _)| *function);
        outcomes
    }

    /// Invokes `function` with `event` through watch's invoke API, within the function's bound:
    /// the function's payload.
    async fn invoke(&self, function: &str, event: Value) -> Result<Value, InvokeError> {
        let upstream = self
            .upstreams
            .get(function)
            .ok_or_else(|| InvokeError::Failed(format!("no function {function}")))?;
        let bound = if upstream.warm.load(Ordering::Acquire) {
            self.timeouts.invoke
        } else {
            self.timeouts.cold_start
        };
        let deadline = tokio::time::Instant::now() + bound;
        let _slot = match tokio::time::timeout_at(deadline, upstream.slots.acquire()).await {
            Ok(Ok(slot)) => slot,
            Ok(Err(closed)) => return Err(InvokeError::Failed(closed.to_string())),
            Err(_) => return Err(InvokeError::Timeout(bound)),
        };
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        let url = format!("{}/{function}/invocations", self.invoke_url);
        let agent = self.agent.clone();
        let call = tokio::task::spawn_blocking(move || {
            let mut response = match agent
                .post(&url)
                .config()
                .timeout_global(Some(remaining))
                .build()
                .send_json(&event)
            {
                Ok(response) => response,
                Err(e) => return Call::from(e),
            };
            let status = response.status().as_u16();
            match response.body_mut().read_to_string() {
                Ok(text) => Call::Answered(status, text),
                Err(e) => Call::from(e),
            }
        });
        // The call times itself out at the same deadline; this is the backstop should it not.
        let call = match tokio::time::timeout_at(deadline + Duration::from_secs(1), call).await {
            Ok(Ok(call)) => call,
            Ok(Err(join)) => return Err(InvokeError::Failed(join.to_string())),
            Err(_) => return Err(InvokeError::Timeout(bound)),
        };
        let (status, text) = match call {
            Call::Answered(status, text) => (status, text),
            Call::TimedOut => return Err(InvokeError::Timeout(bound)),
            Call::Failed(e) => return Err(InvokeError::Failed(e)),
        };
        // Watch answered, so the function runs (or ran, and failed): no cold start any more.
        upstream.warm.store(true, Ordering::Release);
        if status != 200 {
            return Err(InvokeError::Failed(format!(
                "invoke answered {status}: {text}"
            )));
        }
        serde_json::from_str::<Value>(&text)
            .map_err(|e| InvokeError::Failed(format!("{e}: {text}")))
    }

    /// Serves HTTP/1.1 on `listener` until the process ends.
    pub async fn serve(self: Arc<Self>, listener: tokio::net::TcpListener) {
        serve_http(listener, false, move |request, peer| {
            let gateway = self.clone();
            async move { gateway.handle(request, peer).await }
        })
        .await
    }

    /// The route API Gateway selects.
    fn route(&self, method: &str, path: &str) -> Target {
        let segments: Vec<&str> = path.split('/').collect();
        for route in &self.routes.routes {
            if route.method != method {
                continue;
            }
            let template: Vec<&str> = route.path.split('/').collect();
            if template.len() != segments.len() {
                continue;
            }
            let mut parameters = Map::new();
            let matched = template.iter().zip(&segments).all(|(t, s)| {
                match t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                    Some(name) if !s.is_empty() => {
                        parameters.insert(name.to_owned(), json!(s));
                        true
                    }
                    Some(_) => false,
                    None => t == s,
                }
            });
            if matched {
                return Target {
                    function: route.function.binary(),
                    route_key: format!("{method} {}", route.path),
                    path_parameters: (!parameters.is_empty()).then_some(parameters),
                    scopes: route.scopes,
                };
            }
        }
        Target {
            function: self.routes.fallback.binary(),
            route_key: "$default".to_owned(),
            path_parameters: None,
            scopes: self.routes.fallback_scopes,
        }
    }

    /// The authorizer's decision for a request to `target`; `None` when no authorizer applies.
    fn authorize(&self, parts: &hyper::http::request::Parts, target: &Target) -> Option<Decision> {
        let authorizer = self.authorizer.as_ref()?;
        let header = |name| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let preflight = parts.method == hyper::Method::OPTIONS
            && header(hyper::header::ORIGIN).is_some()
            && header(hyper::header::ACCESS_CONTROL_REQUEST_METHOD).is_some();
        if preflight {
            return None;
        }
        let scopes: Vec<&str> = target.scopes.iter().map(|s| s.name()).collect();
        Some(authorizer.authorize(header(hyper::header::AUTHORIZATION), &scopes))
    }

    async fn handle(&self, request: Request<Incoming>, peer: SocketAddr) -> Response<Full<Bytes>> {
        let (parts, body) = request.into_parts();
        if let Some(response) = openapi_document(&parts) {
            return response;
        }
        let body = match Limited::new(body, MAX_PAYLOAD).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => return message(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large"),
        };
        if let Some(response) = self.site.answer(&parts, &body, peer) {
            return response;
        }
        let method = parts.method.as_str();
        let path = parts.uri.path();
        let target = self.route(method, path);
        let authorizer = match self.authorize(&parts, &target) {
            None => None,
            Some(Decision::Allow(context)) => Some(context),
            Some(Decision::Unauthorized(reason)) => {
                eprintln!("gateway: {method} {path} -> 401: {reason}");
                let mut response = message(StatusCode::UNAUTHORIZED, "Unauthorized");
                response.headers_mut().insert(
                    hyper::header::WWW_AUTHENTICATE,
                    hyper::header::HeaderValue::from_static("Bearer"),
                );
                return response;
            }
            Some(Decision::Forbidden(reason)) => {
                eprintln!("gateway: {method} {path} -> 403: {reason}");
                return message(StatusCode::FORBIDDEN, "Forbidden");
            }
        };
        let function = target.function;
        let mut event = event(
            &parts,
            &body,
            peer,
            &target.route_key,
            target.path_parameters,
        );
        if let Some(context) = authorizer {
            event["requestContext"]["authorizer"] = context;
        }
        let request_id = event["requestContext"]["requestId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let invoked = match self.invoke(function, event).await {
            Ok(payload) => response(&payload),
            Err(InvokeError::Timeout(bound)) => {
                eprintln!(
                    "gateway: {method} {path} -> {function}: no answer within {} s",
                    seconds(bound)
                );
                return gateway_timeout(function, bound, &request_id);
            }
            Err(InvokeError::Failed(e)) => Err(e),
        };
        match invoked {
            Ok(response) => response,
            Err(e) => {
                // What API Gateway answers when the integration fails.
                eprintln!("gateway: {method} {path} -> {function} failed: {e}");
                message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
        }
    }
}

impl From<ureq::Error> for Call {
    fn from(error: ureq::Error) -> Self {
        match error {
            ureq::Error::Timeout(_) => Call::TimedOut,
            ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => Call::TimedOut,
            e => Call::Failed(e.to_string()),
        }
    }
}

/// The event of `OPTIONS /people` without an `Origin`: every function answers it (204, `Allow`)
/// without storage or a token.
fn preflight_event() -> Value {
    let parts = Request::builder()
        .method(hyper::Method::OPTIONS)
        .uri("/people")
        .header(hyper::header::HOST, "127.0.0.1")
        .header(hyper::header::USER_AGENT, "xtask-warm")
        .body(())
        .expect("a request")
        .into_parts()
        .0;
    let peer = SocketAddr::from(([127, 0, 0, 1], 0));
    event(&parts, &Bytes::new(), peer, "$default", None)
}

/// `d` in seconds, for messages: `30`, `0.5`.
fn seconds(d: Duration) -> String {
    d.as_secs_f64().to_string()
}

/// The 504 problem document for a function that did not answer within `bound`.
fn gateway_timeout(function: &str, bound: Duration, request_id: &str) -> Response<Full<Bytes>> {
    let detail = format!(
        "{function} did not answer within {} s. cargo lambda watch may be building or restarting it \
         (it restarts the functions on changes in the work tree), or lost the invocation when it \
         stopped the function: see the log of `make dev`, and retry.",
        seconds(bound)
    );
    let problem = json!({
        "type": "about:blank",
        "title": "Gateway Timeout",
        "status": 504,
        "detail": detail,
        "request_id": request_id,
    });
    let mut response = Response::new(Full::new(Bytes::from(problem.to_string())));
    *response.status_mut() = StatusCode::GATEWAY_TIMEOUT;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/problem+json"),
    );
    response
}

/// The OpenAPI document for `GET` and `HEAD /openapi.json`.
fn openapi_document(parts: &hyper::http::request::Parts) -> Option<Response<Full<Bytes>>> {
    let head = parts.method == hyper::Method::HEAD;
    if parts.uri.path() != OPENAPI_PATH || !(head || parts.method == hyper::Method::GET) {
        return None;
    }
    let body = if head { "" } else { OPENAPI_JSON };
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        hyper::header::CONTENT_LENGTH,
        hyper::header::HeaderValue::from(OPENAPI_JSON.len()),
    );
    Some(response)
}

/// API Gateway's own error body.
fn message(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(
        json!({ "message": text }).to_string(),
    )));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        "application/json".parse().expect("a header value"),
    );
    response
}

/// True for the content types API Gateway passes as text.
fn is_text(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    media.starts_with("text/")
        || media == "application/json"
        || media.ends_with("+json")
        || media == "application/xml"
        || media.ends_with("+xml")
        || media == "application/x-www-form-urlencoded"
        || media == "application/javascript"
}

/// The payload 2.0 event for a request.
fn event(
    parts: &hyper::http::request::Parts,
    body: &Bytes,
    peer: SocketAddr,
    route_key: &str,
    path_parameters: Option<Map<String, Value>>,
) -> Value {
    let mut headers = Map::new();
    let mut cookies = Vec::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == hyper::header::COOKIE {
            cookies.extend(value.split(';').map(|c| json!(c.trim())));
            continue;
        }
        match headers.get_mut(name.as_str()) {
            Some(Value::String(joined)) => {
                joined.push(',');
                joined.push_str(&value);
            }
            _ => {
                headers.insert(name.as_str().to_owned(), json!(value));
            }
        }
    }
    let raw_query = parts.uri.query().unwrap_or("");
    let mut query = Map::new();
    for (key, value) in form_urlencoded::parse(raw_query.as_bytes()) {
        match query.get_mut(key.as_ref()) {
            Some(Value::String(joined)) => {
                joined.push(',');
                joined.push_str(&value);
            }
            _ => {
                query.insert(key.into_owned(), json!(value));
            }
        }
    }
    let content_type = headers
        .get("content-type")
        .and_then(Value::as_str)
        .unwrap_or("");
    let (body, base64) = match std::str::from_utf8(body) {
        _ if body.is_empty() => (Value::Null, false),
        Ok(text) if is_text(content_type) => (json!(text), false),
        _ => (json!(STANDARD.encode(body)), true),
    };
    let now = time::OffsetDateTime::now_utc();
    let user_agent = headers.get("user-agent").cloned().unwrap_or(json!(""));
    let host = headers.get("host").cloned().unwrap_or(json!("127.0.0.1"));
    let path = parts.uri.path();
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": host,
            "domainPrefix": "local",
            "http": {
                "method": parts.method.as_str(),
                "path": path,
                "protocol": format!("{:?}", parts.version),
                "sourceIp": peer.ip().to_string(),
                "userAgent": user_agent,
            },
            "requestId": ulid::Ulid::generate().to_string(),
            "routeKey": route_key,
            "stage": "$default",
            "time": now.format(&time::macros::format_description!(
                "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
            )).unwrap_or_default(),
            "timeEpoch": now.unix_timestamp_nanos() / 1_000_000,
        },
        "isBase64Encoded": base64,
    });
    let fields = event.as_object_mut().expect("an object");
    if !body.is_null() {
        fields.insert("body".into(), body);
    }
    if !cookies.is_empty() {
        fields.insert("cookies".into(), json!(cookies));
    }
    if !query.is_empty() {
        fields.insert("queryStringParameters".into(), Value::Object(query));
    }
    if let Some(parameters) = path_parameters {
        fields.insert("pathParameters".into(), Value::Object(parameters));
    }
    event
}

/// The HTTP response for a function's payload 2.0 response.
fn response(payload: &Value) -> Result<Response<Full<Bytes>>, String> {
    let status = payload["statusCode"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| format!("no valid statusCode in {payload}"))?;
    let body = match payload["body"].as_str() {
        None => Bytes::new(),
        Some(text) if payload["isBase64Encoded"] == true => {
            Bytes::from(STANDARD.decode(text).map_err(|e| e.to_string())?)
        }
        Some(text) => Bytes::from(text.to_owned()),
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    // Payload 2.0 responses have `headers` and `cookies`; API Gateway ignores `multiValueHeaders`.
    for (name, value) in payload["headers"].as_object().into_iter().flatten() {
        let name: hyper::header::HeaderName =
            name.parse().map_err(|_| format!("bad header {name}"))?;
        let values = match value {
            Value::Array(values) => values.clone(),
            other => vec![other.clone()],
        };
        for value in values {
            let text = value
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| value.to_string());
            let value = text.parse().map_err(|_| format!("bad value for {name}"))?;
            headers.append(name.clone(), value);
        }
    }
    for cookie in payload["cookies"].as_array().into_iter().flatten() {
        if let Some(cookie) = cookie.as_str().and_then(|c| c.parse().ok()) {
            headers.append(hyper::header::SET_COOKIE, cookie);
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::DevKey;

    fn parts(method: &str, path: &str, headers: &[(&str, &str)]) -> hyper::http::request::Parts {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn every_route_and_default_need_a_token_with_one_of_their_scopes() {
        let (key, dir) = DevKey::temporary();
        let gateway = Gateway::new("http://127.0.0.1:9", Some(key.authorizer()));
        let decide = |method: &str, path: &str, headers: &[(&str, &str)]| {
            let parts = parts(method, path, headers);
            gateway.authorize(
                &parts,
                &gateway.route(method, path.split('?').next().unwrap()),
            )
        };
        let bearer = |scopes: &str| format!("Bearer {}", key.mint("alice", scopes, 60).unwrap());
        let (read, own, other_api) = (
            bearer("people/read"),
            bearer("people/self"),
            bearer("openid"),
        );
        let item = "/people/01ARZ3NDEKTSV4RRFFQ69G5FAV";
        for (method, path) in [
            ("GET", "/people"),
            ("HEAD", "/people"),
            ("POST", "/people"),
            ("GET", item),
            ("PUT", item),
            ("PATCH", item),
            ("DELETE", item),
            ("GET", "/nowhere"),
            ("DELETE", "/people"),
            ("OPTIONS", "/people"),
        ] {
            assert!(
                matches!(decide(method, path, &[]), Some(Decision::Unauthorized(_))),
                "{method} {path}"
            );
            assert!(
                matches!(
                    decide(method, path, &[("authorization", &other_api)]),
                    Some(Decision::Forbidden(_))
                ),
                "{method} {path}"
            );
            assert!(
                matches!(
                    decide(method, path, &[("authorization", &own)]),
                    Some(Decision::Allow(_))
                ),
                "{method} {path}"
            );
        }
        // people/read: the reads and `$default`, not the writes.
        for (method, path, allowed) in [
            ("GET", "/people", true),
            ("GET", item, true),
            ("GET", "/nowhere", true),
            ("POST", "/people", false),
            ("PUT", item, false),
            ("PATCH", item, false),
            ("DELETE", item, false),
        ] {
            let decision = decide(method, path, &[("authorization", &read)]);
            assert_eq!(
                matches!(decision, Some(Decision::Allow(_))),
                allowed,
                "{method} {path}: {decision:?}"
            );
        }
        // A CORS preflight is answered before any route, without a token.
        let preflight = [
            ("origin", "http://localhost:3000"),
            ("access-control-request-method", "POST"),
        ];
        assert_eq!(decide("OPTIONS", "/people", &preflight), None);
        assert_eq!(decide("OPTIONS", item, &preflight), None);
        // Without an authorizer (AUTH=off) nothing is checked.
        let open = Gateway::new("http://127.0.0.1:9", None);
        let parts = parts("POST", "/people", &[]);
        assert_eq!(open.authorize(&parts, &open.route("POST", "/people")), None);
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// A stand-in for the invoke API of `cargo lambda watch`: it records each invocation (function,
    /// event) and answers it after the delay `answer` gives for the function and the number of the
    /// call (from 1), or never (`None`), as watch does for an invocation whose function it stopped.
    struct FakeWatch {
        base: String,
        calls: Arc<std::sync::Mutex<Vec<(String, Value)>>>,
        most_at_once: Arc<std::sync::atomic::AtomicUsize>,
    }

    async fn fake_watch(
        answer: impl Fn(&str, usize) -> Option<Duration> + Send + Sync + 'static,
    ) -> FakeWatch {
        use std::sync::atomic::AtomicUsize;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let calls = Arc::new(std::sync::Mutex::new(Vec::new()));
        let most_at_once = Arc::new(AtomicUsize::new(0));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let answer = Arc::new(answer);
        let fake = FakeWatch {
            base,
            calls: calls.clone(),
            most_at_once: most_at_once.clone(),
        };
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let (calls, most_at_once, in_flight, answer) = (
                    calls.clone(),
                    most_at_once.clone(),
                    in_flight.clone(),
                    answer.clone(),
                );
                let service = service_fn(move |request: Request<Incoming>| {
                    let (calls, most_at_once, in_flight, answer) = (
                        calls.clone(),
                        most_at_once.clone(),
                        in_flight.clone(),
                        answer.clone(),
                    );
                    async move {
                        // /2015-03-31/functions/<function>/invocations
                        let function = request.uri().path().split('/').nth(3).unwrap().to_owned();
                        let body = request.into_body().collect().await.unwrap().to_bytes();
                        let event: Value = serde_json::from_slice(&body).unwrap();
                        let call = {
                            let mut calls = calls.lock().unwrap();
                            calls.push((function.clone(), event));
                            calls.len()
                        };
                        let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                        most_at_once.fetch_max(now, Ordering::SeqCst);
                        match answer(&function, call) {
                            Some(delay) => tokio::time::sleep(delay).await,
                            None => std::future::pending::<()>().await,
                        }
                        in_flight.fetch_sub(1, Ordering::SeqCst);
                        let payload = json!({
                            "statusCode": 204,
                            "headers": {"allow": "GET, HEAD, POST, OPTIONS"},
                            "isBase64Encoded": false,
                            "cookies": [],
                        });
                        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(
                            payload.to_string(),
                        ))))
                    }
                });
                tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
            }
        });
        fake
    }

    /// The gateway in front of `watch`, serving on a free port: its base URL.
    async fn serve(gateway: &Arc<Gateway>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(gateway.clone().serve(listener));
        base
    }

    /// What a client gets for `method url` with `headers`: status, content type, body, and how long
    /// it took. The client gives up after 20 s.
    async fn send(
        method: &'static str,
        url: String,
        headers: &'static [(&'static str, &'static str)],
    ) -> (u16, String, Value, Duration) {
        tokio::task::spawn_blocking(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(20)))
                .build()
                .into();
            let mut request = ureq::http::Request::builder().method(method).uri(&url);
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            let started = Instant::now();
            let mut response = agent
                .run(request.body(()).unwrap())
                .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
            let text = response.body_mut().read_to_string().unwrap();
            let content_type = response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            let body = serde_json::from_str(&text).unwrap_or(Value::Null);
            (
                response.status().as_u16(),
                content_type,
                body,
                started.elapsed(),
            )
        })
        .await
        .unwrap()
    }

    fn runtime() -> tokio::runtime::Runtime {
        // The runtime `xtask dev` runs the gateway on.
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// The request of the contract test that hung: the gateway answers it even when the function
    /// never does, within the bound, with a 504 problem document.
    #[test]
    fn a_function_that_never_answers_is_a_504_problem_within_the_bound() {
        let runtime = runtime();
        runtime.block_on(async {
            let watch = fake_watch(|_, _| None).await;
            let timeouts = Timeouts {
                invoke: Duration::from_millis(200),
                cold_start: Duration::from_millis(800),
            };
            let gateway = Arc::new(Gateway::with_timeouts(&watch.base, None, timeouts));
            let base = serve(&gateway).await;
            let (status, content_type, body, took) = send(
                "PUT",
                format!("{base}/people/01KAZ3NDEKTSV4RRFFQ69G5FAV"),
                &[
                    ("if-match", "*"),
                    ("if-none-match", "*"),
                    ("idempotency-key", "contract-1"),
                ],
            )
            .await;
            assert_eq!(status, 504, "{body}");
            assert_eq!(content_type, "application/problem+json");
            assert_eq!(body["status"], 504);
            assert_eq!(body["title"], "Gateway Timeout");
            assert_eq!(body["type"], "about:blank");
            assert!(
                body["detail"].as_str().unwrap().contains("people-put"),
                "{body}"
            );
            assert!(!body["request_id"].as_str().unwrap().is_empty(), "{body}");
            // It never answered, so the function is still cold: the cold-start bound applies.
            assert!(took >= timeouts.cold_start, "{took:?}");
            assert!(
                took < timeouts.cold_start + Duration::from_secs(2),
                "{took:?}"
            );
            let calls = watch.calls.lock().unwrap();
            assert_eq!(calls.len(), 1);
            assert_eq!(calls[0].0, "people-put");
            assert_eq!(calls[0].1["headers"]["if-none-match"], "*");
        });
        runtime.shutdown_background();
    }

    #[test]
    fn a_function_has_the_cold_start_bound_until_it_answers_then_the_short_one() {
        let runtime = runtime();
        runtime.block_on(async {
            // Every call takes 300 ms: longer than the short bound, shorter than the cold-start one.
            let watch = fake_watch(|_, _| Some(Duration::from_millis(300))).await;
            let timeouts = Timeouts {
                invoke: Duration::from_millis(100),
                cold_start: Duration::from_secs(5),
            };
            let gateway = Arc::new(Gateway::with_timeouts(&watch.base, None, timeouts));
            let base = serve(&gateway).await;
            let url = format!("{base}/people/01KAZ3NDEKTSV4RRFFQ69G5FAV");
            let (first, ..) = send("GET", url.clone(), &[]).await;
            assert_eq!(first, 204, "the first call waits for the function to start");
            let (second, content_type, body, took) = send("GET", url, &[]).await;
            assert_eq!(second, 504, "{body}");
            assert_eq!(content_type, "application/problem+json");
            assert!(took < Duration::from_secs(2), "{took:?}");
            // Another function is still cold.
            let (other, ..) = send("GET", format!("{base}/people"), &[]).await;
            assert_eq!(other, 204);
        });
        runtime.shutdown_background();
    }

    #[test]
    fn watch_never_has_more_than_max_in_flight_invocations_of_one_function() {
        let runtime = runtime();
        runtime.block_on(async {
            let watch = fake_watch(|_, _| Some(Duration::from_millis(100))).await;
            let timeouts = Timeouts {
                invoke: Duration::from_secs(15),
                cold_start: Duration::from_secs(15),
            };
            let gateway = Arc::new(Gateway::with_timeouts(&watch.base, None, timeouts));
            let mut calls = tokio::task::JoinSet::new();
            for _ in 0..MAX_IN_FLIGHT * 2 + 10 {
                let gateway = gateway.clone();
                calls.spawn(async move { gateway.invoke("people-put", preflight_event()).await });
            }
            while let Some(outcome) = calls.join_next().await {
                assert_eq!(outcome.unwrap().unwrap()["statusCode"], 204);
            }
            assert_eq!(watch.calls.lock().unwrap().len(), MAX_IN_FLIGHT * 2 + 10);
            let most = watch.most_at_once.load(Ordering::SeqCst);
            assert!(most <= MAX_IN_FLIGHT, "{most} at once");
            assert!(
                most < 100,
                "watch 1.9 deadlocks at 100 waiting for one function"
            );
        });
        runtime.shutdown_background();
    }

    #[test]
    fn warm_invokes_every_function_once_and_reports_the_one_that_does_not_answer() {
        let runtime = runtime();
        runtime.block_on(async {
            let watch =
                fake_watch(|function, _| (function != "people-list").then_some(Duration::ZERO))
                    .await;
            let timeouts = Timeouts {
                invoke: Duration::from_millis(100),
                cold_start: Duration::from_millis(500),
            };
            let gateway = Arc::new(Gateway::with_timeouts(&watch.base, None, timeouts));
            assert_eq!(
                gateway.functions(),
                ["people-delete", "people-get", "people-list", "people-put"]
            );
            let outcomes = gateway.warm().await;
            let functions: Vec<&str> = outcomes.iter().map(|(f, _)| *f).collect();
            assert_eq!(functions, gateway.functions());
            for (function, outcome) in &outcomes {
                match *function {
                    "people-list" => assert_eq!(
                        outcome.as_ref().unwrap_err(),
                        "no answer within 0.5 s",
                        "the cold-start bound"
                    ),
                    _ => assert!(outcome.is_ok(), "{function}: {outcome:?}"),
                }
            }
            let calls = watch.calls.lock().unwrap();
            let mut invoked: Vec<&str> = calls.iter().map(|(f, _)| f.as_str()).collect();
            invoked.sort_unstable();
            assert_eq!(invoked, gateway.functions(), "each once");
            for (_, event) in calls.iter() {
                assert_eq!(event["requestContext"]["http"]["method"], "OPTIONS");
                assert_eq!(event["rawPath"], "/people");
            }
            assert!(gateway.upstreams["people-get"].warm.load(Ordering::SeqCst));
            assert!(!gateway.upstreams["people-list"].warm.load(Ordering::SeqCst));
        });
        runtime.shutdown_background();
    }

    #[test]
    fn routes_carry_the_exported_scopes() {
        let gateway = Gateway::new("http://127.0.0.1:9", None);
        let names =
            |target: Target| -> Vec<&str> { target.scopes.iter().map(|s| s.name()).collect() };
        assert_eq!(
            names(gateway.route("POST", "/people")),
            ["people/write", "people/self"]
        );
        assert_eq!(
            names(gateway.route("GET", "/people")),
            ["people/read", "people/write", "people/self"]
        );
        let fallback = gateway.route("GET", "/elsewhere");
        assert_eq!(fallback.route_key, "$default");
        assert_eq!(
            names(fallback),
            ["people/read", "people/write", "people/self"]
        );
    }
}
