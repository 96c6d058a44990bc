//! CORS: which origins get the response headers, and preflight answers.

use http::StatusCode;
use http::header::{self, HeaderMap, HeaderValue};

use super::reply::{Reply, header_value};
use crate::config::AllowedOrigins;

/// Request headers a browser may send.
const ALLOW_HEADERS: &str = "content-type, if-match, if-none-match, authorization, idempotency-key";
/// Response headers a browser script may read.
const EXPOSE_HEADERS: &str = "etag, location, x-request-id, retry-after, idempotent-replayed";

/// Adds the CORS headers for the request's `Origin` to `response`.
pub(crate) fn apply(origins: &AllowedOrigins, request: &HeaderMap, response: &mut HeaderMap) {
    let allowed = match origins {
        AllowedOrigins::Any => Some(HeaderValue::from_static("*")),
        AllowedOrigins::List(_) => {
            response.insert(header::VARY, HeaderValue::from_static("origin"));
            request
                .get(header::ORIGIN)
                .and_then(|o| o.to_str().ok())
                .filter(|o| origins.allows(o))
                .map(header_value)
        }
    };
    if let Some(origin) = allowed {
        response.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        response.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
    }
}

/// The answer to `OPTIONS` on a route's path: the methods it supports, for a preflight too.
pub(crate) fn preflight(allow: &str) -> Reply {
    let methods = header_value(allow);
    Reply::empty(StatusCode::NO_CONTENT)
        .header(header::ALLOW, methods.clone())
        .header(header::ACCESS_CONTROL_ALLOW_METHODS, methods)
        .header(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOW_HEADERS),
        )
        .header(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        )
}
