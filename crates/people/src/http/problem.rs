//! Errors the edge answers with, and their RFC 9457 problem documents.
//!
//! [`ApiError::problem`] is the one mapping from errors to statuses; it only describes. Logging
//! happens in the request path ([`super::Edge::handle`]), which sees the error and its status.

use dynamodel::ValidationErrors;
use http::StatusCode;
use http::header::{self, HeaderName, HeaderValue};
use serde::Serialize;

use super::extract::MAX_BODY_BYTES;
use super::reply::{Reply, header_value};
use super::route::Scope;
use crate::model::MalformedId;
use crate::service::ServiceError;

const PROBLEM_JSON: &str = "application/problem+json";
/// Most field errors listed in one problem document.
pub const MAX_FIELD_ERRORS: usize = 20;
const ACCEPT_PATCH: HeaderName = HeaderName::from_static("accept-patch");

/// Everything the edge can answer with other than success.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    #[error("no such route")]
    RouteNotFound {
        /// The route path the client probably meant.
        suggestion: Option<String>,
    },
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },
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
    #[error("no verified identity")]
    Unauthenticated,
    #[error("the request did not finish before its deadline")]
    DeadlineExceeded,
    #[error("the idempotency key was used for another request")]
    IdempotencyKeyReused,
    #[error("a request with this idempotency key is still running")]
    RequestInProgress,
    #[error("missing scope")]
    MissingScope(&'static [Scope]),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// An RFC 9457 problem document, and the headers that go with it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// A URI reference naming the kind of problem.
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", schema(schema_with = super::openapi::problem::kind))]
    pub kind: &'static str,
    /// A short, fixed summary of the kind.
    #[cfg_attr(feature = "openapi", schema(schema_with = super::openapi::problem::title))]
    pub title: &'static str,
    /// The HTTP status.
    #[cfg_attr(feature = "openapi", schema(schema_with = super::openapi::problem::status))]
    pub status: u16,
    /// What happened, for a human.
    #[cfg_attr(feature = "openapi", schema(schema_with = super::openapi::problem::detail))]
    pub detail: String,
    /// Each field that broke a rule, and the rule: the first [`MAX_FIELD_ERRORS`].
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = super::openapi::problem::errors))]
    pub errors: Option<ValidationErrors>,
    /// How many more field errors there were.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = super::openapi::problem::errors_omitted)
    )]
    pub errors_omitted: Option<usize>,
    /// The request id, to quote when reporting.
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = super::openapi::problem::request_id)
    )]
    pub request_id: String,
    #[serde(skip)]
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Problem {
    fn new(
        status: StatusCode,
        kind: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            title,
            status: status.as_u16(),
            detail: detail.into(),
            errors: None,
            errors_omitted: None,
            request_id: String::new(),
            headers: Vec::new(),
        }
    }

    fn validation(detail: impl Into<String>, errors: ValidationErrors) -> Self {
        // A large body can break a rule once per element; the answer stays small.
        let all = errors.errors();
        let mut shown = ValidationErrors::new();
        for e in all.iter().take(MAX_FIELD_ERRORS) {
            shown.push(e.field.clone(), e.message.clone());
        }
        Self {
            errors: Some(shown),
            errors_omitted: (all.len() > MAX_FIELD_ERRORS).then(|| all.len() - MAX_FIELD_ERRORS),
            ..Self::new(
                StatusCode::BAD_REQUEST,
                "/problems/validation",
                "Invalid Request",
                detail,
            )
        }
    }

    /// 503 with a `Retry-After` of 1 to 3 seconds, spread so that clients turned away together do
    /// not come back together.
    fn unavailable(detail: &str) -> Self {
        use std::hash::{BuildHasher, RandomState};
        let seconds = 1 + RandomState::new().hash_one(detail) % 3;
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "/problems/unavailable",
            "Service Unavailable",
            detail,
        )
        .header(header::RETRY_AFTER, HeaderValue::from(seconds))
    }

    fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The response: this document as `application/problem+json`, for `request_id`.
    pub(crate) fn into_reply(mut self, request_id: &str) -> Reply {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        self.request_id = request_id.to_owned();
        if status.is_server_error() && self.status != StatusCode::SERVICE_UNAVAILABLE.as_u16() {
            self.detail = format!(
                "An unexpected error occurred. Quote request id {request_id} when reporting it."
            );
        }
        let mut reply = Reply::json_as(status, &self, PROBLEM_JSON);
        for (name, value) in self.headers {
            reply.headers.insert(name, value);
        }
        reply
    }
}

impl ApiError {
    /// The problem document for this error.
    pub(crate) fn problem(&self) -> Problem {
        use ServiceError as S;
        match self {
            ApiError::RouteNotFound { suggestion } => Problem::new(
                StatusCode::NOT_FOUND,
                "about:blank",
                "Not Found",
                match suggestion {
                    Some(path) => format!(
                        "No route matches this path; paths have no trailing slash: did you mean {path}?"
                    ),
                    None => "No route matches this path.".to_owned(),
                },
            ),
            ApiError::MethodNotAllowed { allow } => Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "about:blank",
                "Method Not Allowed",
                format!("This resource supports {allow}."),
            )
            .header(header::ALLOW, header_value(allow)),
            ApiError::UnsupportedMediaType(expected) => Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "about:blank",
                "Unsupported Media Type",
                format!("The body must be sent with Content-Type: {expected} (UTF-8)."),
            )
            .header(
                ACCEPT_PATCH,
                HeaderValue::from_static(super::extract::MERGE_PATCH_JSON),
            ),
            ApiError::PayloadTooLarge => Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "about:blank",
                "Content Too Large",
                format!("The body must not exceed {MAX_BODY_BYTES} bytes."),
            ),
            ApiError::MalformedJson(at) => Problem::new(
                StatusCode::BAD_REQUEST,
                "/problems/malformed-json",
                "Malformed JSON",
                format!("The body is not valid JSON: {at}."),
            ),
            ApiError::MalformedId(e) => Problem::validation(
                "The id in the path is malformed.",
                ValidationErrors::single("id", e.to_string()),
            ),
            ApiError::Invalid(errors) | ApiError::Service(S::Validation(errors)) => {
                Problem::validation(
                    format!("{} field(s) failed validation.", errors.errors().len()),
                    errors.clone(),
                )
            }
            ApiError::Service(S::InvalidCursor) => Problem::validation(
                "The cursor is not one this listing returned.",
                ValidationErrors::single(
                    "cursor",
                    "must be a next_cursor returned by this listing",
                ),
            ),
            ApiError::Unauthenticated => Problem::new(
                StatusCode::UNAUTHORIZED,
                "/problems/unauthorized",
                "Unauthorized",
                "This API needs a bearer token: send Authorization: Bearer <access token>.",
            )
            .header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")),
            ApiError::MissingScope(scopes) => Problem::new(
                StatusCode::FORBIDDEN,
                "/problems/forbidden",
                "Forbidden",
                format!(
                    "The token has none of the scopes this needs: {}.",
                    scopes
                        .iter()
                        .map(|s| s.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            ApiError::Service(S::NotOwner) => Problem::new(
                StatusCode::FORBIDDEN,
                "/problems/forbidden",
                "Forbidden",
                "With people/self a caller may act on its own person only; this one is someone else's (people/write may act on any).",
            ),
            ApiError::Service(S::OwnsAnother(id)) => Problem::new(
                StatusCode::FORBIDDEN,
                "/problems/forbidden",
                "Forbidden",
                format!(
                    "With people/self a caller may own one person, and it already owns /people/{id}."
                ),
            ),
            ApiError::Service(S::NotFound) => Problem::new(
                StatusCode::NOT_FOUND,
                "/problems/not-found",
                "Not Found",
                "No person has this id.",
            ),
            ApiError::Service(S::EmailTaken) => Problem {
                errors: Some(ValidationErrors::single(
                    "email",
                    "must be unique across people",
                )),
                ..Problem::new(
                    StatusCode::CONFLICT,
                    "/problems/email-taken",
                    "Email Already In Use",
                    "Another person already has this email.",
                )
            },
            ApiError::Service(S::Conflict) => Problem::new(
                StatusCode::CONFLICT,
                "/problems/conflict",
                "Conflict",
                "The person was modified concurrently; read it again and retry.",
            ),
            ApiError::Service(S::PreconditionFailed) => Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "/problems/precondition-failed",
                "Precondition Failed",
                "The stored person does not match If-Match / If-None-Match.",
            ),
            ApiError::Service(S::Store(e)) if e.is_throttled() || e.is_unavailable() => {
                Problem::unavailable(
                    "Storage is busy or unreachable; retry after the delay in Retry-After.",
                )
            }
            ApiError::IdempotencyKeyReused => Problem {
                errors: Some(ValidationErrors::single(
                    "Idempotency-Key",
                    "was used for another request; use a new key for a new request",
                )),
                ..Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "/problems/idempotency-key-reused",
                    "Idempotency Key Reused",
                    "This Idempotency-Key was sent with a different request.",
                )
            },
            ApiError::RequestInProgress => Problem::new(
                StatusCode::CONFLICT,
                "/problems/request-in-progress",
                "Request In Progress",
                "A request with this Idempotency-Key is still running; retry after the delay in Retry-After.",
            )
            .header(header::RETRY_AFTER, HeaderValue::from_static("1")),
            ApiError::DeadlineExceeded => Problem::unavailable(
                "The request did not finish in time; it may or may not have taken effect. Retry after the delay in Retry-After.",
            ),
            ApiError::Service(S::CursorKey(e)) if e.is_transient() => Problem::unavailable(
                "Listing is unavailable for a moment; retry after the delay in Retry-After.",
            ),
            ApiError::Service(S::Store(_) | S::CursorKey(_)) => Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "about:blank",
                "Internal Server Error",
                "An unexpected error occurred.",
            ),
        }
    }
}

/// The error and its causes on one line, for logs.
///
/// The chain stops at an item-conversion error: serde's message can quote a stored value, and logs
/// carry nothing personal beyond ids.
pub(crate) fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let problem = err.problem().into_reply("req-1");
        assert_eq!(problem.status, StatusCode::INTERNAL_SERVER_ERROR);
        let body = problem.body.unwrap();
        assert!(!body.contains("ada@") && body.contains("req-1"), "{body}");
    }

    #[test]
    fn documents_have_the_rfc_9457_members() {
        let reply = ApiError::MethodNotAllowed {
            allow: "GET, OPTIONS".into(),
        }
        .problem()
        .into_reply("req-2");
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(reply.headers[header::ALLOW], "GET, OPTIONS");
        assert_eq!(reply.headers[header::CONTENT_TYPE], PROBLEM_JSON);
        let body: serde_json::Value = serde_json::from_str(reply.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "type": "about:blank", "title": "Method Not Allowed", "status": 405,
                "detail": "This resource supports GET, OPTIONS.", "request_id": "req-2"
            })
        );
    }
}
