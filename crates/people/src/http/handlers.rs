//! One handler per action: extract, call the service for the actor, reply.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use dynamodel::Cursor;
use http::StatusCode;
use http::header;
use serde::Serialize;

use super::extract::{parse_list_query, parse_patch, parse_person, parse_precondition};
use super::problem::ApiError;
use super::reply::{PersonBody, Reply, etag};
use super::route::Action;
use crate::model::PersonId;
use crate::service::{Actor, PeopleService};

/// Runs `action` for `actor`; `id` is set exactly for the actions on one person.
pub(crate) async fn handle(
    service: &PeopleService,
    action: Action,
    request: &ApiGatewayV2httpRequest,
    id: Option<PersonId>,
    actor: &Actor,
) -> Result<Reply, ApiError> {
    match (action, id) {
        (Action::List, _) => list(service, request, actor).await,
        (Action::Create, _) => create(service, request, actor).await,
        (Action::Read, Some(id)) => read(service, request, id, actor).await,
        (Action::Replace, Some(id)) => replace(service, request, id, actor).await,
        (Action::Patch, Some(id)) => patch(service, request, id, actor).await,
        (Action::Delete, Some(id)) => delete(service, request, id, actor).await,
        // Every route template of these actions has `{id}`.
        (_, None) => Err(ApiError::RouteNotFound { suggestion: None }),
    }
}

async fn list(
    service: &PeopleService,
    request: &ApiGatewayV2httpRequest,
    actor: &Actor,
) -> Result<Reply, ApiError> {
    let query = parse_list_query(request.raw_query_string.as_deref().unwrap_or(""))?;
    let page = service.list(query, actor).await?;
    #[derive(Serialize)]
    struct PageBody<'a> {
        items: Vec<PersonBody<'a>>,
        next_cursor: Option<&'a Cursor>,
    }
    Ok(Reply::json(
        StatusCode::OK,
        &PageBody {
            items: page.items.iter().map(PersonBody::from).collect(),
            next_cursor: page.next.as_ref(),
        },
    ))
}

async fn create(
    service: &PeopleService,
    request: &ApiGatewayV2httpRequest,
    actor: &Actor,
) -> Result<Reply, ApiError> {
    let input = parse_person(request)?;
    let person = service.create(input, actor).await?;
    Ok(Reply::created(&person))
}

async fn read(
    service: &PeopleService,
    request: &ApiGatewayV2httpRequest,
    id: PersonId,
    actor: &Actor,
) -> Result<Reply, ApiError> {
    let person = service.get(&id, actor).await?;
    let current = etag(&person);
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
    service: &PeopleService,
    request: &ApiGatewayV2httpRequest,
    id: PersonId,
    actor: &Actor,
) -> Result<Reply, ApiError> {
    let precondition = parse_precondition(&request.headers)?;
    let input = parse_person(request)?;
    let (person, created) = service.replace(id, input, &precondition, actor).await?;
    Ok(if created {
        Reply::created(&person)
    } else {
        Reply::person(StatusCode::OK, &person)
    })
}

async fn patch(
    service: &PeopleService,
    request: &ApiGatewayV2httpRequest,
    id: PersonId,
    actor: &Actor,
) -> Result<Reply, ApiError> {
    let precondition = parse_precondition(&request.headers)?;
    let patch = parse_patch(request)?;
    let person = service.patch(id, &patch, &precondition, actor).await?;
    Ok(Reply::person(StatusCode::OK, &person))
}

async fn delete(
    service: &PeopleService,
    request: &ApiGatewayV2httpRequest,
    id: PersonId,
    actor: &Actor,
) -> Result<Reply, ApiError> {
    let precondition = parse_precondition(&request.headers)?;
    service.delete(id, &precondition, actor).await?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}
