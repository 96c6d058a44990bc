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

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

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

use crate::jwt::{Authorizer, Decision};

/// API Gateway's limit on an HTTP API request body.
const MAX_PAYLOAD: usize = 10 * 1024 * 1024;
/// The API's OpenAPI document, as committed (`cargo run -p xtask -- openapi > openapi.json`).
pub const OPENAPI_JSON: &str = include_str!("../../openapi.json");
/// Where the gateway serves [`OPENAPI_JSON`].
pub const OPENAPI_PATH: &str = "/openapi.json";

/// Where requests go.
pub struct Gateway {
    routes: Export,
    invoke_url: String,
    agent: ureq::Agent,
    authorizer: Option<Authorizer>,
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

impl Gateway {
    /// A gateway invoking functions through the Lambda invoke API at `invoke_base`
    /// (`http://127.0.0.1:PORT`), with `authorizer` on every route when there is one.
    pub fn new(invoke_base: &str, authorizer: Option<Authorizer>) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // The first invocation of a function waits for `cargo lambda watch` to build it.
            .timeout_global(Some(Duration::from_secs(600)))
            .build()
            .into();
        Self {
            routes: export(),
            invoke_url: format!("{}/2015-03-31/functions", invoke_base.trim_end_matches('/')),
            agent,
            authorizer,
        }
    }

    /// Serves HTTP/1.1 on `listener` until the process ends.
    pub async fn serve(self, listener: tokio::net::TcpListener) {
        let gateway = Arc::new(self);
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                continue;
            };
            let gateway = gateway.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let gateway = gateway.clone();
                    async move { Ok::<_, Infallible>(gateway.handle(request, peer).await) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
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
        let url = format!("{}/{function}/invocations", self.invoke_url);
        let agent = self.agent.clone();
        let invoked = tokio::task::spawn_blocking(move || {
            let mut response = agent
                .post(&url)
                .send_json(&event)
                .map_err(|e| e.to_string())?;
            let status = response.status();
            let text = response
                .body_mut()
                .read_to_string()
                .map_err(|e| e.to_string())?;
            if status != 200 {
                return Err(format!("invoke answered {status}: {text}"));
            }
            serde_json::from_str::<Value>(&text).map_err(|e| format!("{e}: {text}"))
        })
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
        match invoked.and_then(|payload| response(&payload)) {
            Ok(response) => response,
            Err(e) => {
                // What API Gateway answers when the integration fails.
                eprintln!("gateway: {method} {path} -> {function} failed: {e}");
                message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
        }
    }
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
