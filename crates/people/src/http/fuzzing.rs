//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`; never in the Lambda binaries).
//!
//! Thin public wrappers over the edge's crate-private request path: routing, the caller from the
//! authorizer's claims, authorization, and the extraction of bodies, merge patches, list queries
//! and preconditions. They add no behaviour: each calls the function the edge calls, in the order
//! [`Edge::handle`](super::Edge::handle) and the handlers call them, and turns an error into the
//! [`Problem`] the edge would answer with (`ApiError::problem`), so a target can check the
//! invariant "no panic, and no 5xx for any input".

// The problem document is returned as the edge builds it; size does not matter off the request path.
#![allow(clippy::result_large_err)]

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use http::header::HeaderMap;
use http::{Method, StatusCode};

use super::auth::{self, Caller};
use super::cors;
use super::extract;
use super::problem::{ApiError, Problem};
use super::route::{self, Action, Function, Resolution};
use crate::config::{Access, AllowedOrigins};
use crate::model::{PersonId, PersonPatch};
use crate::service::{Actor, ListQuery, PersonInput, Precondition, ServiceError};

/// What the request path extracted for the service call, had it gone on to make one.
#[derive(Debug)]
pub enum Extracted {
    /// `OPTIONS` on a route's path: answered at the edge with the allowed methods.
    Options {
        /// The methods the path supports.
        allow: String,
    },
    /// `GET /people`: the list query.
    List(ListQuery),
    /// `POST /people`: the new person.
    Create(PersonInput),
    /// `GET|HEAD /people/{id}`.
    Read(PersonId),
    /// `PUT /people/{id}`.
    Replace(PersonId, Precondition, PersonInput),
    /// `PATCH /people/{id}`.
    Patch(PersonId, Precondition, PersonPatch),
    /// `DELETE /people/{id}`.
    Delete(PersonId, Precondition),
}

/// The outcome of [`request_path`]: what the handler would pass to the service, and for whom; or
/// the problem document the edge would answer with.
pub type Outcome = Result<(Extracted, Option<Actor>), Problem>;

/// The request path of `Edge::handle` for `function` up to the service call: the caller from the
/// authorizer's claims, routing on `requestContext.http.method` and `rawPath`, the function check,
/// authorization, the id, and the extraction the route's handler does before calling the service.
///
/// Mirrors `Edge::dispatch` and `handlers::handle` step for step; an error becomes its problem
/// document (`ApiError::problem`).
pub fn request_path(
    request: &ApiGatewayV2httpRequest,
    access: Access,
    function: Function,
) -> Outcome {
    let method = &request.request_context.http.method;
    let path = request.raw_path.as_deref().unwrap_or("/");
    let caller = Caller::from_request(request);
    dispatch(request, access, function, caller.as_ref(), method, path).map_err(|e| e.problem())
}

fn dispatch(
    request: &ApiGatewayV2httpRequest,
    access: Access,
    function: Function,
    caller: Option<&Caller>,
    method: &Method,
    path: &str,
) -> Result<(Extracted, Option<Actor>), ApiError> {
    match route::resolve(method, path) {
        Resolution::NotFound { suggestion } => Err(ApiError::RouteNotFound {
            suggestion: suggestion.map(str::to_owned),
        }),
        Resolution::MethodNotAllowed { allow, .. } => Err(ApiError::MethodNotAllowed { allow }),
        Resolution::Options { allow, .. } => Ok((Extracted::Options { allow }, None)),
        Resolution::Route { route, .. } if route.function != function => {
            Err(ApiError::RouteNotFound { suggestion: None })
        }
        Resolution::Route { route, id } => {
            let actor = auth::authorize(access, caller, route.action)?;
            let id = id.map(str::parse::<PersonId>).transpose()?;
            let extracted = extract_for(route.action, request, id)?;
            Ok((extracted, Some(actor)))
        }
    }
}

/// What `handlers::handle` extracts for `action` before it calls the service.
fn extract_for(
    action: Action,
    request: &ApiGatewayV2httpRequest,
    id: Option<PersonId>,
) -> Result<Extracted, ApiError> {
    Ok(match (action, id) {
        (Action::List, _) => Extracted::List(extract::parse_list_query(
            request.raw_query_string.as_deref().unwrap_or(""),
        )?),
        (Action::Create, _) => Extracted::Create(extract::parse_person(request)?),
        (Action::Read, Some(id)) => Extracted::Read(id),
        (Action::Replace, Some(id)) => {
            let precondition = extract::parse_precondition(&request.headers)?;
            Extracted::Replace(id, precondition, extract::parse_person(request)?)
        }
        (Action::Patch, Some(id)) => {
            let precondition = extract::parse_precondition(&request.headers)?;
            Extracted::Patch(id, precondition, extract::parse_patch(request)?)
        }
        (Action::Delete, Some(id)) => {
            Extracted::Delete(id, extract::parse_precondition(&request.headers)?)
        }
        (_, None) => return Err(ApiError::RouteNotFound { suggestion: None }),
    })
}

/// The person body of a create or replace (`extract::parse_person`).
pub fn parse_person(request: &ApiGatewayV2httpRequest) -> Result<PersonInput, Problem> {
    extract::parse_person(request).map_err(|e| e.problem())
}

/// The merge patch of a `PATCH` (`extract::parse_patch`).
pub fn parse_patch(request: &ApiGatewayV2httpRequest) -> Result<PersonPatch, Problem> {
    extract::parse_patch(request).map_err(|e| e.problem())
}

/// The list query from a raw query string (`extract::parse_list_query`).
pub fn parse_list_query(raw: &str) -> Result<ListQuery, Problem> {
    extract::parse_list_query(raw).map_err(|e| e.problem())
}

/// `If-Match` / `If-None-Match` (`extract::parse_precondition`).
pub fn parse_precondition(headers: &HeaderMap) -> Result<Precondition, Problem> {
    extract::parse_precondition(headers).map_err(|e| e.problem())
}

/// The problem document the edge answers a service error with.
pub fn service_problem(err: ServiceError) -> Problem {
    ApiError::Service(err).problem()
}

/// The rest of `Edge::handle` for an error: the problem as a reply for `request_id` with the CORS
/// headers for `origins`, as the API Gateway response. Returns its status and body.
pub fn respond(
    problem: Problem,
    request_id: &str,
    origins: &AllowedOrigins,
    request: &HeaderMap,
    head: bool,
) -> (StatusCode, Option<String>) {
    let mut reply = problem.into_reply(request_id);
    reply.headers.insert(
        http::header::HeaderName::from_static("x-request-id"),
        super::reply::header_value(request_id),
    );
    cors::apply(origins, request, &mut reply.headers);
    let status = reply.status;
    let response = reply.into_response(head);
    let body = match response.body {
        Some(aws_lambda_events::encodings::Body::Text(text)) => Some(text),
        _ => None,
    };
    (status, body)
}
