//! Who is calling, and what they may do: the caller from the JWT authorizer's verified claims in the
//! event, checked against the scopes the route's action needs.
//!
//! API Gateway verifies the token (signature, issuer, audience, expiry) and the route's scopes before
//! the function runs; the function checks again from the claims it is handed (defence in depth), and
//! is the only place ownership can be checked: a caller whose only fitting scope is `people/self` may
//! act on its own person only.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;

use super::problem::ApiError;
use super::route::{Action, Scope};
use crate::config::Access;
use crate::service::Actor;

/// Longest token subject accepted, in bytes.
const MAX_SUBJECT_BYTES: usize = 255;

/// The verified caller: the token's subject and the API scopes it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    subject: String,
    scopes: Vec<Scope>,
}

impl Caller {
    /// The caller API Gateway's JWT authorizer verified, if any: `sub` and the scopes from the
    /// authorizer's `scopes`, else from the `scope` claim (space-separated, as Cognito and OAuth
    /// servers issue it). Scopes of other APIs are ignored.
    pub(crate) fn from_request(request: &ApiGatewayV2httpRequest) -> Option<Self> {
        let jwt = request.request_context.authorizer.as_ref()?.jwt.as_ref()?;
        // OpenID Connect caps `sub` at 255 ASCII characters; a longer one is no identity we store.
        let subject = jwt
            .claims
            .get("sub")
            .filter(|s| !s.is_empty() && s.len() <= MAX_SUBJECT_BYTES)?
            .clone();
        let names: Vec<&str> = match &jwt.scopes {
            Some(scopes) if !scopes.is_empty() => scopes.iter().map(String::as_str).collect(),
            _ => jwt
                .claims
                .get("scope")
                .map(|s| s.split_whitespace().collect())
                .unwrap_or_default(),
        };
        let scopes = names.into_iter().filter_map(Scope::from_name).collect();
        Some(Self { subject, scopes })
    }

    /// The token's subject, logged as the caller's id.
    pub(crate) fn subject(&self) -> &str {
        &self.subject
    }
}

/// What the caller may do for `action`: act on any person, act on its own person only, or nothing
/// (403). Reads need `people/read` or `people/write` for any person; writes need `people/write`;
/// `people/self` grants either on the caller's own person.
pub(crate) fn authorize(
    access: Access,
    caller: Option<&Caller>,
    action: Action,
) -> Result<Actor, ApiError> {
    if access == Access::Open {
        return Ok(Actor::anyone());
    }
    let Some(caller) = caller else {
        return Err(ApiError::Unauthenticated);
    };
    let holds = |scope| caller.scopes.contains(&scope);
    let any_person = holds(Scope::Write) || (!action.writes() && holds(Scope::Read));
    if any_person {
        Ok(Actor::any_person(caller.subject.clone()))
    } else if holds(Scope::OwnPerson) {
        Ok(Actor::own_person(caller.subject.clone()))
    } else {
        Err(ApiError::MissingScope(action.scopes()))
    }
}
