//! `Idempotency-Key` on writes: the first request with a key runs and its answer is kept; a retry
//! with the same key and the same request gets that answer again (with `Idempotent-Replayed: true`)
//! without a second write; the same key with another request is 422; while the first still runs, 409.
//! Keys are scoped to the caller. A 5xx is not kept, so a retry after one runs again. The key also
//! becomes the transactions' client request token.

use std::future::Future;

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use dynamodel::ValidationErrors;
use http::StatusCode;
use http::header::{self, HeaderName, HeaderValue};
use sha2::{Digest, Sha256};

use super::problem::ApiError;
use super::reply::Reply;
use crate::model::IdempotencyRecord;
use crate::service::{Actor, Claimed, PeopleService};

const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// Longest key accepted.
const MAX_KEY_LEN: usize = 255;
/// The headers of an answer that are part of it, and so kept and replayed.
const KEPT: [HeaderName; 6] = [
    header::CONTENT_TYPE,
    header::ETAG,
    header::LOCATION,
    header::RETRY_AFTER,
    header::ALLOW,
    header::WWW_AUTHENTICATE,
];

/// A write's idempotency key, scoped to its caller, and the fingerprint of its request.
#[derive(Debug)]
pub(crate) struct IdempotencyKey {
    scope: String,
    fingerprint: String,
}

impl IdempotencyKey {
    /// The request's key, if it sent one: 1 to 255 visible ASCII characters.
    pub(crate) fn from_request(
        request: &ApiGatewayV2httpRequest,
        actor: &Actor,
    ) -> Result<Option<Self>, ApiError> {
        let Some(value) = request.headers.get(IDEMPOTENCY_KEY) else {
            return Ok(None);
        };
        let key = value
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|k| {
                (1..=MAX_KEY_LEN).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic())
            })
            .ok_or_else(|| {
                ApiError::Invalid(ValidationErrors::single(
                    "Idempotency-Key",
                    "must be 1 to 255 visible ASCII characters",
                ))
            })?;
        Ok(Some(Self {
            scope: format!("{}#{key}", actor.subject().unwrap_or("-")),
            fingerprint: fingerprint(request),
        }))
    }

    /// The transactions' client request token: a digest of the scoped key (DynamoDB allows 36
    /// characters; the service adds the attempt).
    pub(crate) fn request_token(&self) -> String {
        let digest = Sha256::digest(self.scope.as_bytes());
        digest[..16].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// SHA-256 over what makes two requests the same: method, path, query, preconditions, content type
/// and body.
fn fingerprint(request: &ApiGatewayV2httpRequest) -> String {
    let mut hash = Sha256::new();
    let header = |name: HeaderName| {
        request
            .headers
            .get(name)
            .map(HeaderValue::as_bytes)
            .unwrap_or_default()
    };
    for part in [
        request.request_context.http.method.as_str().as_bytes(),
        request.raw_path.as_deref().unwrap_or("").as_bytes(),
        request.raw_query_string.as_deref().unwrap_or("").as_bytes(),
        header(header::IF_MATCH),
        header(header::IF_NONE_MATCH),
        header(header::CONTENT_TYPE),
        if request.is_base64_encoded {
            b"base64"
        } else {
            b"text"
        },
        request.body.as_deref().unwrap_or("").as_bytes(),
    ] {
        // Length-prefixed, so no two different requests hash the same parts.
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `work` once for `key`: the kept answer when the same request ran before.
pub(crate) async fn once(
    service: &PeopleService,
    key: &IdempotencyKey,
    request_id: &str,
    work: impl Future<Output = Result<Reply, ApiError>>,
) -> Result<Reply, ApiError> {
    match service.claim_key(&key.scope, &key.fingerprint).await? {
        Claimed::Mismatch => Err(ApiError::IdempotencyKeyReused),
        Claimed::InProgress => Err(ApiError::RequestInProgress),
        Claimed::Answered(record) => Ok(replay(record)),
        Claimed::New => {
            let reply = match work.await {
                Ok(reply) => reply,
                Err(e) => {
                    let problem = e.problem();
                    if problem.status >= 500 {
                        // Nothing to keep: a retry may run again.
                        if let Err(release) = service.release_key(&key.scope).await {
                            tracing::warn!(request_id, error = %release, "idempotency key not released");
                        }
                        return Err(e);
                    }
                    problem.into_reply(request_id)
                }
            };
            let headers = KEPT
                .iter()
                .filter_map(|name| {
                    let value = reply.headers.get(name)?.to_str().ok()?;
                    Some((name.as_str().to_owned(), value.to_owned()))
                })
                .collect();
            let kept = service
                .remember(
                    &key.scope,
                    &key.fingerprint,
                    reply.status.as_u16(),
                    headers,
                    reply.body.clone(),
                )
                .await;
            if let Err(e) = kept {
                // The write happened: answer it. A retry within the key's lock time gets 409, after
                // it runs again.
                tracing::warn!(request_id, error = %e, "idempotent answer not kept");
            }
            Ok(reply)
        }
    }
}

/// The kept answer, marked as a replay.
fn replay(record: IdempotencyRecord) -> Reply {
    let status = record
        .status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut reply = Reply::empty(status);
    for (name, value) in &record.headers {
        if let (Ok(name), Ok(value)) = (name.parse::<HeaderName>(), HeaderValue::from_str(value)) {
            reply.headers.insert(name, value);
        }
    }
    reply
        .headers
        .insert(REPLAYED, HeaderValue::from_static("true"));
    reply.body = record.body;
    reply
}
