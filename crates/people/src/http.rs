//! The HTTP edge: an API Gateway v2 (HTTP API) event in, a response out.
//!
//! Routing is on `requestContext.http.method` and `rawPath`, because `cargo lambda watch` sends no
//! path parameters; bodies may arrive base64-encoded. Every error becomes an RFC 9457
//! `application/problem+json` response in [`ApiError::into_reply`], the one place statuses are chosen.

use std::time::Instant;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use dynamodel::{Cursor, ValidationErrors};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use lambda_runtime::LambdaEvent;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::config::AllowedOrigins;
use crate::model::{MalformedId, Person, PersonId, PersonPatch, normalise_email, normalise_tag};
use crate::service::{ListQuery, PeopleService, PersonInput, Precondition, ServiceError};

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Page size when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 20;
/// Largest page size.
pub const MAX_LIMIT: usize = 100;

const PROBLEM_JSON: &str = "application/problem+json";
const JSON: &str = "application/json";
const MERGE_PATCH_JSON: &str = "application/merge-patch+json";
const ITEM_METHODS: &str = "GET, HEAD, PUT, PATCH, DELETE, OPTIONS";
const COLLECTION_METHODS: &str = "GET, HEAD, POST, OPTIONS";
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Fields the server sets; a body that names one is rejected.
const SERVER_FIELDS: [&str; 4] = ["id", "created_at", "updated_at", "version"];
const CLIENT_FIELDS: [&str; 4] = ["name", "email", "phone", "tags"];

/// Which of the API's functions this edge runs in; each serves only its own routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `GET /people/{id}`, and the catch-all that answers unknown routes and methods.
    Get,
    /// `POST /people`, `PUT /people/{id}`, `PATCH /people/{id}`.
    Put,
    /// `GET /people`.
    List,
    /// `DELETE /people/{id}`.
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    List,
    Create,
    Read,
    Replace,
    Patch,
    Delete,
    Preflight,
}

impl Function {
    fn serves(self, action: Action) -> bool {
        matches!(
            (self, action),
            (_, Action::Preflight)
                | (Function::Get, Action::Read)
                | (
                    Function::Put,
                    Action::Create | Action::Replace | Action::Patch
                )
                | (Function::List, Action::List)
                | (Function::Delete, Action::Delete)
        )
    }
}

/// Everything the edge can answer with other than success.
#[derive(Debug, thiserror::Error)]
enum ApiError {
    #[error("no such route")]
    RouteNotFound,
    #[error("method not allowed")]
    MethodNotAllowed { allow: &'static str },
    #[error("unsupported media type")]
    UnsupportedMediaType(&'static str),
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    #[error("malformed id")]
    MalformedId(#[from] MalformedId),
    #[error("invalid request: {0}")]
    Invalid(ValidationErrors),
    #[error("this function does not serve {0}")]
    Misrouted(&'static str),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// A response before it becomes an API Gateway response.
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Option<String>,
}

impl Reply {
    fn empty(status: StatusCode) -> Self {
        Self {
            status,
            headers: HeaderMap::new(),
            body: None,
        }
    }

    fn json(status: StatusCode, body: &impl Serialize) -> Self {
        let mut reply = Self::empty(status);
        reply
            .headers
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
        reply.body = Some(serde_json::to_string(body).expect("response bodies serialise"));
        reply
    }

    fn person(status: StatusCode, person: &Person) -> Self {
        let mut reply = Self::json(status, person);
        reply.headers.insert(header::ETAG, etag(person.version));
        reply
    }

    fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }
}

fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"v{version}\"")).expect("an etag is ASCII")
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

impl ApiError {
    /// The one mapping from errors to statuses and problem documents.
    fn into_reply(self, request_id: &str) -> Reply {
        let mut headers = HeaderMap::new();
        let (status, kind, title, detail, errors): (
            StatusCode,
            &str,
            &str,
            String,
            Option<ValidationErrors>,
        ) = match self {
            ApiError::RouteNotFound => (
                StatusCode::NOT_FOUND,
                "about:blank",
                "Not Found",
                "No route matches this path.".into(),
                None,
            ),
            ApiError::MethodNotAllowed { allow } => {
                headers.insert(header::ALLOW, HeaderValue::from_static(allow));
                (
                    StatusCode::METHOD_NOT_ALLOWED,
                    "about:blank",
                    "Method Not Allowed",
                    format!("This resource supports {allow}."),
                    None,
                )
            }
            ApiError::UnsupportedMediaType(expected) => {
                headers.insert(
                    HeaderName::from_static("accept-patch"),
                    HeaderValue::from_static(MERGE_PATCH_JSON),
                );
                (
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "about:blank",
                    "Unsupported Media Type",
                    format!("The body must be sent with Content-Type: {expected} (UTF-8)."),
                    None,
                )
            }
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "about:blank",
                "Content Too Large",
                format!("The body must not exceed {MAX_BODY_BYTES} bytes."),
                None,
            ),
            ApiError::MalformedJson(at) => (
                StatusCode::BAD_REQUEST,
                "/problems/malformed-json",
                "Malformed JSON",
                format!("The body is not valid JSON: {at}."),
                None,
            ),
            ApiError::MalformedId(e) => (
                StatusCode::BAD_REQUEST,
                "/problems/validation",
                "Invalid Request",
                "The id in the path is malformed.".into(),
                Some(ValidationErrors::single("id", e.to_string())),
            ),
            ApiError::Invalid(errors) | ApiError::Service(ServiceError::Validation(errors)) => (
                StatusCode::BAD_REQUEST,
                "/problems/validation",
                "Invalid Request",
                format!("{} field(s) failed validation.", errors.errors().len()),
                Some(errors),
            ),
            ApiError::Service(ServiceError::InvalidCursor) => (
                StatusCode::BAD_REQUEST,
                "/problems/validation",
                "Invalid Request",
                "The cursor is not one this listing returned.".into(),
                Some(ValidationErrors::single(
                    "cursor",
                    "must be a next_cursor returned by this listing",
                )),
            ),
            ApiError::Service(ServiceError::NotFound) => (
                StatusCode::NOT_FOUND,
                "/problems/not-found",
                "Not Found",
                "No person has this id.".into(),
                None,
            ),
            ApiError::Service(ServiceError::EmailTaken) => (
                StatusCode::CONFLICT,
                "/problems/email-taken",
                "Email Already In Use",
                "Another person already has this email.".into(),
                Some(ValidationErrors::single(
                    "email",
                    "must be unique across people",
                )),
            ),
            ApiError::Service(ServiceError::Conflict) => (
                StatusCode::CONFLICT,
                "/problems/conflict",
                "Conflict",
                "The person was modified concurrently; read it again and retry.".into(),
                None,
            ),
            ApiError::Service(ServiceError::PreconditionFailed) => (
                StatusCode::PRECONDITION_FAILED,
                "/problems/precondition-failed",
                "Precondition Failed",
                "The stored person does not match If-Match / If-None-Match.".into(),
                None,
            ),
            ApiError::Service(ServiceError::Store(ref e))
                if e.is_throttled() || e.is_unavailable() =>
            {
                tracing::warn!(request_id, error = %error_chain(e), "storage unavailable");
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "/problems/unavailable",
                    "Service Unavailable",
                    "Storage is busy or unreachable; retry after the delay in Retry-After.".into(),
                    None,
                )
            }
            other @ (ApiError::Misrouted(_) | ApiError::Service(ServiceError::Store(_))) => {
                tracing::error!(request_id, error = %error_chain(&other), "unexpected error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "about:blank",
                    "Internal Server Error",
                    format!(
                        "An unexpected error occurred. Quote request id {request_id} when reporting it."
                    ),
                    None,
                )
            }
        };
        let mut body = Map::new();
        body.insert("type".into(), json!(kind));
        body.insert("title".into(), json!(title));
        body.insert("status".into(), json!(status.as_u16()));
        body.insert("detail".into(), json!(detail));
        if let Some(errors) = errors {
            body.insert("errors".into(), json!(errors));
        }
        body.insert("request_id".into(), json!(request_id));
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        Reply {
            status,
            headers,
            body: Some(Value::Object(body).to_string()),
        }
    }
}

/// The error and its causes on one line, for logs.
///
/// The chain stops at an item-conversion error: serde's message can quote a stored value, and logs
/// carry nothing personal beyond ids.
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut current = err;
    while let Some(cause) = current.source() {
        if matches!(
            current.downcast_ref::<dynamodel::Error>(),
            Some(dynamodel::Error::Conversion(_))
        ) {
            break;
        }
        text.push_str(": ");
        text.push_str(&cause.to_string());
        current = cause;
    }
    text
}

/// The people API's HTTP edge for one function.
#[derive(Debug, Clone)]
pub struct Edge {
    service: PeopleService,
    origins: AllowedOrigins,
    function: Function,
}

impl Edge {
    /// An edge serving `function`'s routes.
    pub fn new(service: PeopleService, origins: AllowedOrigins, function: Function) -> Self {
        Self {
            service,
            origins,
            function,
        }
    }

    /// Handles one invocation. Never fails: every error is a response.
    pub async fn handle(
        &self,
        event: LambdaEvent<ApiGatewayV2httpRequest>,
    ) -> Result<ApiGatewayV2httpResponse, lambda_runtime::Error> {
        let started = Instant::now();
        let (request, context) = event.into_parts();
        let request_id = request
            .request_context
            .request_id
            .clone()
            .unwrap_or(context.request_id);
        let method = request.request_context.http.method.clone();
        let path = request.raw_path.as_deref().unwrap_or("/");
        let (template, id, outcome) = self.dispatch(&request, &method, path).await;
        let mut reply = outcome.unwrap_or_else(|e| e.into_reply(&request_id));
        if method == Method::HEAD {
            reply.body = None;
        }
        reply
            .headers
            .insert(X_REQUEST_ID, header_value(&request_id));
        self.cors(&request.headers, &mut reply.headers);

        tracing::info!(
            request_id = %request_id,
            method = %method,
            route = template,
            person_id = id.map(|i| i.to_string()),
            status = reply.status.as_u16(),
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        );
        let mut response = ApiGatewayV2httpResponse::default();
        response.status_code = i64::from(reply.status.as_u16());
        response.headers = reply.headers;
        response.body = reply.body.map(Body::Text);
        Ok(response)
    }

    fn cors(&self, request: &HeaderMap, response: &mut HeaderMap) {
        let allowed = match &self.origins {
            AllowedOrigins::Any => Some(HeaderValue::from_static("*")),
            AllowedOrigins::List(list) => {
                response.insert(header::VARY, HeaderValue::from_static("origin"));
                request
                    .get(header::ORIGIN)
                    .and_then(|o| o.to_str().ok())
                    .filter(|o| list.iter().any(|a| a == o))
                    .map(header_value)
            }
        };
        if let Some(origin) = allowed {
            response.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            response.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static("etag, location, x-request-id, retry-after"),
            );
        }
    }

    async fn dispatch(
        &self,
        request: &ApiGatewayV2httpRequest,
        method: &Method,
        path: &str,
    ) -> (&'static str, Option<PersonId>, Result<Reply, ApiError>) {
        let trimmed = path
            .strip_suffix('/')
            .filter(|p| !p.is_empty())
            .unwrap_or(path);
        let mut segments = trimmed.strip_prefix('/').unwrap_or(trimmed).split('/');
        let (template, id_text) = match (segments.next(), segments.next(), segments.next()) {
            (Some("people"), None, None) => ("/people", None),
            (Some("people"), Some(id), None) => ("/people/{id}", Some(id)),
            _ => return ("unknown", None, Err(ApiError::RouteNotFound)),
        };
        let action = match (id_text.is_some(), method) {
            (_, &Method::OPTIONS) => Action::Preflight,
            (false, &Method::GET | &Method::HEAD) => Action::List,
            (false, &Method::POST) => Action::Create,
            (false, _) => {
                return (
                    template,
                    None,
                    Err(ApiError::MethodNotAllowed {
                        allow: COLLECTION_METHODS,
                    }),
                );
            }
            (true, &Method::GET | &Method::HEAD) => Action::Read,
            (true, &Method::PUT) => Action::Replace,
            (true, &Method::PATCH) => Action::Patch,
            (true, &Method::DELETE) => Action::Delete,
            (true, _) => {
                return (
                    template,
                    None,
                    Err(ApiError::MethodNotAllowed {
                        allow: ITEM_METHODS,
                    }),
                );
            }
        };
        if action == Action::Preflight {
            return (template, None, Ok(self.preflight(id_text.is_some())));
        }
        if !self.function.serves(action) {
            return (template, None, Err(ApiError::Misrouted(template)));
        }
        let id = match id_text.map(str::parse::<PersonId>).transpose() {
            Ok(id) => id,
            Err(e) => return (template, None, Err(e.into())),
        };
        let outcome = match (action, id) {
            (Action::List, _) => self.list(request).await,
            (Action::Create, _) => self.create(request).await,
            (Action::Read, Some(id)) => self.read(request, id).await,
            (Action::Replace, Some(id)) => self.replace(request, id).await,
            (Action::Patch, Some(id)) => self.patch(request, id).await,
            (Action::Delete, Some(id)) => self.delete(request, id).await,
            _ => Err(ApiError::RouteNotFound),
        };
        (template, id, outcome)
    }

    fn preflight(&self, item: bool) -> Reply {
        let methods = if item {
            ITEM_METHODS
        } else {
            COLLECTION_METHODS
        };
        Reply::empty(StatusCode::NO_CONTENT)
            .header(header::ALLOW, HeaderValue::from_static(methods))
            .header(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(methods),
            )
            .header(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("content-type, if-match, if-none-match, authorization"),
            )
            .header(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            )
    }

    async fn list(&self, request: &ApiGatewayV2httpRequest) -> Result<Reply, ApiError> {
        let query = parse_list_query(request.raw_query_string.as_deref().unwrap_or(""))?;
        let page = self.service.list(query).await?;
        #[derive(Serialize)]
        struct PageBody<'a> {
            items: &'a [Person],
            next_cursor: Option<&'a Cursor>,
        }
        Ok(Reply::json(
            StatusCode::OK,
            &PageBody {
                items: &page.items,
                next_cursor: page.next.as_ref(),
            },
        ))
    }

    async fn create(&self, request: &ApiGatewayV2httpRequest) -> Result<Reply, ApiError> {
        let input = parse_person(request)?;
        let person = self.service.create(input).await?;
        Ok(Reply::person(StatusCode::CREATED, &person).header(
            header::LOCATION,
            header_value(&format!("/people/{}", person.id)),
        ))
    }

    async fn read(
        &self,
        request: &ApiGatewayV2httpRequest,
        id: PersonId,
    ) -> Result<Reply, ApiError> {
        let person = self.service.get(&id).await?;
        let current = etag(person.version);
        let not_modified = request
            .headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim() == "*"
                    || v.split(',')
                        .any(|t| t.trim().trim_start_matches("W/") == current)
            });
        if not_modified {
            return Ok(Reply::empty(StatusCode::NOT_MODIFIED).header(header::ETAG, current));
        }
        Ok(Reply::person(StatusCode::OK, &person))
    }

    async fn replace(
        &self,
        request: &ApiGatewayV2httpRequest,
        id: PersonId,
    ) -> Result<Reply, ApiError> {
        let precondition = parse_precondition(&request.headers)?;
        let input = parse_person(request)?;
        let (person, created) = self.service.replace(id, input, &precondition).await?;
        Ok(if created {
            Reply::person(StatusCode::CREATED, &person).header(
                header::LOCATION,
                header_value(&format!("/people/{}", person.id)),
            )
        } else {
            Reply::person(StatusCode::OK, &person)
        })
    }

    async fn patch(
        &self,
        request: &ApiGatewayV2httpRequest,
        id: PersonId,
    ) -> Result<Reply, ApiError> {
        let precondition = parse_precondition(&request.headers)?;
        let patch = parse_patch(request)?;
        let person = self.service.patch(id, &patch, &precondition).await?;
        Ok(Reply::person(StatusCode::OK, &person))
    }

    async fn delete(
        &self,
        request: &ApiGatewayV2httpRequest,
        id: PersonId,
    ) -> Result<Reply, ApiError> {
        let precondition = parse_precondition(&request.headers)?;
        self.service.delete(id, &precondition).await?;
        Ok(Reply::empty(StatusCode::NO_CONTENT))
    }
}

fn parse_precondition(headers: &HeaderMap) -> Result<Precondition, ApiError> {
    let text = |name| headers.get(name).map(|v| v.to_str().unwrap_or(""));
    match (text(header::IF_MATCH), text(header::IF_NONE_MATCH)) {
        (Some(_), Some(_)) => Err(ApiError::Invalid(ValidationErrors::single(
            "If-Match",
            "cannot be combined with If-None-Match",
        ))),
        (Some(value), None) if value.trim() == "*" => Ok(Precondition::IfMatch(None)),
        (Some(value), None) => {
            // Weak tags never match under the strong comparison If-Match requires.
            let versions = value
                .split(',')
                .filter_map(|t| {
                    t.trim()
                        .strip_prefix("\"v")?
                        .strip_suffix('"')?
                        .parse()
                        .ok()
                })
                .collect();
            Ok(Precondition::IfMatch(Some(versions)))
        }
        (None, Some(value)) if value.trim() == "*" => Ok(Precondition::IfNoneMatchAny),
        (None, Some(_)) => Err(ApiError::Invalid(ValidationErrors::single(
            "If-None-Match",
            "only * is supported on writes",
        ))),
        (None, None) => Ok(Precondition::None),
    }
}

/// The request body as bytes, after the size and media-type checks: a JSON media type, or exactly
/// `application/merge-patch+json` when `merge_patch`.
fn body_bytes(request: &ApiGatewayV2httpRequest, merge_patch: bool) -> Result<Vec<u8>, ApiError> {
    let raw = request.body.as_deref().unwrap_or("");
    let bytes = if request.is_base64_encoded {
        if raw.len() > MAX_BODY_BYTES.div_ceil(3) * 4 {
            return Err(ApiError::PayloadTooLarge);
        }
        STANDARD
            .decode(raw)
            .map_err(|_| ApiError::MalformedJson("the body is not valid base64".into()))?
    } else {
        raw.as_bytes().to_vec()
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    let content_type = request
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut parts = content_type.split(';');
    let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let utf8 = parts.all(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        !k.trim().eq_ignore_ascii_case("charset")
            || v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
    });
    let accepted = if merge_patch {
        media == MERGE_PATCH_JSON
    } else {
        media == JSON || (media.starts_with("application/") && media.ends_with("+json"))
    };
    if !accepted || !utf8 {
        return Err(ApiError::UnsupportedMediaType(if merge_patch {
            MERGE_PATCH_JSON
        } else {
            JSON
        }));
    }
    Ok(bytes)
}

/// Parses and shape-checks a person body: an object with only the client's fields, of the right
/// types. The model's rules (lengths, email, phone, tags) are checked by the service.
fn parse_person(request: &ApiGatewayV2httpRequest) -> Result<PersonInput, ApiError> {
    let (mut fields, mut errors) = parse_object(request, false)?;
    let mut required = |field: &str, errors: &mut ValidationErrors| match fields.remove(field) {
        Some(Value::String(s)) => s,
        None | Some(Value::Null) => {
            errors.push(field, "is required");
            String::new()
        }
        Some(_) => {
            errors.push(field, "must be a string");
            String::new()
        }
    };
    let name = required("name", &mut errors);
    let email = required("email", &mut errors);
    let phone = match fields.remove("phone") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            errors.push("phone", "must be a string or null");
            None
        }
    };
    let tags = fields
        .remove("tags")
        .map(|v| parse_tags(v, &mut errors))
        .unwrap_or_default();
    errors.into_result().map_err(ApiError::Invalid)?;
    Ok(PersonInput {
        name,
        email,
        phone,
        tags,
    })
}

/// The body as a JSON object, with errors for server-owned and unknown fields.
fn parse_object(
    request: &ApiGatewayV2httpRequest,
    merge_patch: bool,
) -> Result<(Map<String, Value>, ValidationErrors), ApiError> {
    let bytes = body_bytes(request, merge_patch)?;
    let value: Value =
        serde_json::from_slice(&bytes).map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    let Value::Object(fields) = value else {
        return Err(ApiError::Invalid(ValidationErrors::single(
            "body",
            "must be a JSON object",
        )));
    };
    let mut errors = ValidationErrors::new();
    let mut names: Vec<&String> = fields.keys().collect();
    names.sort();
    for name in names {
        if SERVER_FIELDS.contains(&name.as_str()) {
            errors.push(name.as_str(), "is set by the server and cannot be written");
        } else if !CLIENT_FIELDS.contains(&name.as_str()) {
            errors.push(
                name.as_str(),
                "is not a known field (expected name, email, phone, tags)",
            );
        }
    }
    Ok((fields, errors))
}

fn parse_tags(value: Value, errors: &mut ValidationErrors) -> Vec<String> {
    match value {
        Value::Null => Vec::new(),
        Value::Array(items) => {
            let mut tags = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                match item {
                    Value::String(s) => tags.push(s),
                    _ => errors.push(format!("tags[{i}]"), "must be a string"),
                }
            }
            tags
        }
        _ => {
            errors.push("tags", "must be an array of strings");
            Vec::new()
        }
    }
}

/// A JSON merge patch (RFC 7396) of a person: a member present sets that field, `null` removes an
/// optional one; required fields cannot be removed.
fn parse_patch(request: &ApiGatewayV2httpRequest) -> Result<PersonPatch, ApiError> {
    let (mut fields, mut errors) = parse_object(request, true)?;
    let mut required = |field: &str, errors: &mut ValidationErrors| match fields.remove(field) {
        None => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Null) => {
            errors.push(field, "is required and cannot be removed");
            None
        }
        Some(_) => {
            errors.push(field, "must be a string");
            None
        }
    };
    let name = required("name", &mut errors);
    let email = required("email", &mut errors);
    let phone = match fields.remove("phone") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(s)),
        Some(_) => {
            errors.push("phone", "must be a string or null");
            None
        }
    };
    let tags = fields.remove("tags").map(|v| parse_tags(v, &mut errors));
    errors.into_result().map_err(ApiError::Invalid)?;
    Ok(PersonPatch {
        name,
        email,
        phone,
        tags,
    })
}

fn parse_list_query(raw: &str) -> Result<ListQuery, ApiError> {
    let mut query = ListQuery {
        limit: DEFAULT_LIMIT,
        ..ListQuery::default()
    };
    let mut errors = ValidationErrors::new();
    let mut seen: Vec<String> = Vec::new();
    for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
        if seen.contains(&key.to_string()) {
            errors.push(key.as_ref(), "must be given at most once");
            continue;
        }
        seen.push(key.to_string());
        match key.as_ref() {
            "limit" => match value.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => query.limit = n,
                _ => errors.push("limit", format!("must be an integer from 1 to {MAX_LIMIT}")),
            },
            "cursor" => match Cursor::parse(&value) {
                Ok(c) => query.cursor = Some(c),
                Err(_) => errors.push("cursor", "must be a next_cursor returned by this listing"),
            },
            "tag" => {
                let tag = normalise_tag(&value);
                if tag.is_empty() || tag.chars().count() > 32 {
                    errors.push("tag", "must be 1 to 32 characters");
                } else {
                    query.tag = Some(tag);
                }
            }
            "name_prefix" => {
                let prefix = value.trim();
                if prefix.is_empty() || prefix.chars().count() > 100 {
                    errors.push("name_prefix", "must be 1 to 100 characters");
                } else {
                    query.name_prefix = Some(prefix.to_owned());
                }
            }
            "email" => {
                let email = normalise_email(&value);
                if email.is_empty() || email.len() > 254 {
                    errors.push("email", "must be 1 to 254 characters");
                } else {
                    query.email = Some(email);
                }
            }
            other => errors.push(
                other,
                "is not a known parameter (expected limit, cursor, tag, name_prefix, email)",
            ),
        }
    }
    errors.into_result().map_err(ApiError::Invalid)?;
    Ok(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_query_rules() {
        let q = parse_list_query("limit=7&tag=%20VIP&name_prefix=Ad&email=A%40B.io").unwrap();
        assert_eq!(q.limit, 7);
        assert_eq!(q.tag.as_deref(), Some("vip"));
        assert_eq!(q.name_prefix.as_deref(), Some("Ad"));
        assert_eq!(q.email.as_deref(), Some("a@b.io"));
        assert_eq!(parse_list_query("").unwrap().limit, DEFAULT_LIMIT);
        for bad in [
            "limit=0",
            "limit=101",
            "limit=x",
            "colour=red",
            "limit=1&limit=2",
            "cursor=%25%25",
        ] {
            assert!(parse_list_query(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn logged_error_chains_stop_before_stored_values() {
        #[derive(Debug, serde::Deserialize)]
        enum Plan {
            Free,
        }
        #[derive(Debug, serde::Deserialize)]
        struct Stored {
            #[allow(dead_code)]
            plan: Plan,
        }
        let item = std::collections::HashMap::from([(
            "plan".to_owned(),
            dynamodel::expr::AttributeValue::S("ada@example.com".into()),
        )]);
        let conversion = dynamodel::de::from_item::<Stored>(item).unwrap_err();
        assert!(
            conversion.to_string().contains("ada@"),
            "the raw error quotes the value: {conversion}"
        );
        let err = ApiError::Service(ServiceError::Store(conversion.into()));
        let text = error_chain(&err);
        assert!(text.contains("item conversion failed"), "{text}");
        assert!(!text.contains("ada@"), "{text}");
    }

    #[test]
    fn preconditions_parse_strictly() {
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_MATCH,
            HeaderValue::from_static("\"v3\", W/\"v4\", \"junk\""),
        );
        assert_eq!(
            parse_precondition(&h).unwrap(),
            Precondition::IfMatch(Some(vec![3]))
        );
        h.insert(header::IF_MATCH, HeaderValue::from_static("*"));
        assert_eq!(parse_precondition(&h).unwrap(), Precondition::IfMatch(None));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(parse_precondition(&h).is_err());
        h.remove(header::IF_MATCH);
        assert_eq!(
            parse_precondition(&h).unwrap(),
            Precondition::IfNoneMatchAny
        );
    }
}
