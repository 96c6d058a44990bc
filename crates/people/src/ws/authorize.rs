//! The WebSocket API's Lambda request authorizer (feature `authorizer`): WebSocket APIs have no JWT
//! authorizer, so `$connect` is guarded by this function, which verifies the same access tokens
//! with the same rules ([`crate::token`]) and hands the connect function the caller (`sub`, `scope`).
//!
//! The token comes in the `token` query parameter (browsers cannot set headers on a WebSocket), or
//! in `Authorization` for other clients. A missing or invalid token is a 401 (the function fails with
//! `Unauthorized`, which API Gateway answers so); a valid token without a people scope is denied
//! (403). The issuer's keys (`{JWT_ISSUER}/.well-known/jwks.json`, or `JWKS_URL`) are fetched at the
//! first connection and again when a token names a key not seen yet (Cognito rotates keys), at most
//! once a minute; they are fetched over HTTPS with the functions' trust store.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::ConfigError;
use crate::http::Scope;
use crate::token::{TokenVerifier, token_scopes};

/// How soon the keys may be fetched again for an unknown `kid`.
const REFETCH_AFTER: Duration = Duration::from_secs(60);
/// How long fetching the keys may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(3);

/// What the authorizer reads of API Gateway's request.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizerRequest {
    /// The ARN the policy allows (the `$connect` route of the stage).
    #[serde(default)]
    pub method_arn: String,
    /// The query string (`token`).
    #[serde(default)]
    pub query_string_parameters: Option<std::collections::HashMap<String, String>>,
    /// The headers (`Authorization`).
    #[serde(default)]
    pub headers: Option<std::collections::HashMap<String, String>>,
}

/// A request without a valid token: the function fails with exactly this message, which API
/// Gateway turns into a 401.
#[derive(Debug, thiserror::Error)]
#[error("Unauthorized")]
pub struct Unauthorized;

/// Verifies tokens of the configured issuer.
pub struct WsAuthorizer {
    issuer: String,
    audiences: Vec<String>,
    jwks_url: String,
    agent: ureq::Agent,
    keys: Mutex<Option<(Instant, Arc<TokenVerifier>)>>,
}

impl WsAuthorizer {
    /// From `JWT_ISSUER`, `JWT_AUDIENCE` (comma-separated) and optionally `JWKS_URL`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let var = |name: &'static str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let issuer = var("JWT_ISSUER").ok_or(ConfigError::Missing("JWT_ISSUER"))?;
        let audiences: Vec<String> = var("JWT_AUDIENCE")
            .ok_or(ConfigError::Missing("JWT_AUDIENCE"))?
            .split(',')
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty())
            .collect();
        let jwks_url = var("JWKS_URL")
            .unwrap_or_else(|| format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/')));
        Ok(Self::new(issuer, audiences, jwks_url))
    }

    /// An authorizer for `issuer`'s tokens meant for `audiences`, with the keys at `jwks_url`.
    pub fn new(issuer: String, audiences: Vec<String>, jwks_url: String) -> Self {
        let roots: Vec<ureq::tls::Certificate<'static>> =
            ureq::tls::parse_pem(crate::tls::AMAZON_TRUST_SERVICES_PEM.as_bytes())
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert),
                    _ => None,
                })
                .collect();
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::Specific(Arc::new(roots)))
            .unversioned_rustls_crypto_provider(Arc::new(
                rustls::crypto::aws_lc_rs::default_provider(),
            ))
            .build();
        let agent = ureq::Agent::config_builder()
            .tls_config(tls)
            .timeout_global(Some(FETCH_TIMEOUT))
            .build()
            .new_agent();
        Self {
            issuer,
            audiences,
            jwks_url,
            agent,
            keys: Mutex::new(None),
        }
    }

    /// The policy and context for a `$connect` request, or [`Unauthorized`].
    pub async fn authorize(&self, request: &AuthorizerRequest) -> Result<Value, Unauthorized> {
        let token = token_of(request).ok_or(Unauthorized)?;
        let verifier = self.verifier(&token).await.ok_or(Unauthorized)?;
        let claims = verifier.verify(&token).map_err(|reason| {
            tracing::info!(%reason, "a WebSocket connection's token was refused");
            Unauthorized
        })?;
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty() && s.len() <= 255)
            .ok_or(Unauthorized)?
            .to_owned();
        let scopes: Vec<String> = token_scopes(&claims)
            .into_iter()
            .filter(|s| Scope::from_name(s).is_some())
            .collect();
        let effect = if scopes.is_empty() { "Deny" } else { "Allow" };
        Ok(json!({
            "principalId": subject,
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Action": "execute-api:Invoke",
                    "Effect": effect,
                    "Resource": request.method_arn,
                }],
            },
            "context": {"sub": subject, "scope": scopes.join(" ")},
        }))
    }

    /// The verifier with the issuer's keys, fetched when there are none yet or when the token
    /// names a key they do not hold (at most once per [`REFETCH_AFTER`]).
    async fn verifier(&self, token: &str) -> Option<Arc<TokenVerifier>> {
        let kid = TokenVerifier::kid_of(token)?;
        let cached = self.keys.lock().expect("not poisoned").clone();
        if let Some((fetched, verifier)) = &cached
            && (verifier.knows(&kid) || fetched.elapsed() < REFETCH_AFTER)
        {
            return Some(verifier.clone());
        }
        let agent = self.agent.clone();
        let url = self.jwks_url.clone();
        let fetched = tokio::task::spawn_blocking(move || -> Result<JwkSet, String> {
            let mut response = agent.get(&url).call().map_err(|e| e.to_string())?;
            response
                .body_mut()
                .read_json::<JwkSet>()
                .map_err(|e| e.to_string())
        })
        .await;
        match fetched {
            Ok(Ok(jwks)) => {
                let verifier = Arc::new(TokenVerifier::new(
                    self.issuer.clone(),
                    self.audiences.clone(),
                    &jwks,
                ));
                *self.keys.lock().expect("not poisoned") = Some((Instant::now(), verifier.clone()));
                Some(verifier)
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, url = %self.jwks_url, "the issuer's keys could not be fetched");
                cached.map(|(_, v)| v)
            }
            Err(e) => {
                tracing::error!(error = %e, "fetching the issuer's keys failed");
                cached.map(|(_, v)| v)
            }
        }
    }
}

/// The token of a request: `?token=`, else `Authorization` (bare or after `Bearer `).
fn token_of(request: &AuthorizerRequest) -> Option<String> {
    let from_query = request
        .query_string_parameters
        .as_ref()
        .and_then(|q| q.get("token"))
        .cloned();
    let from_header = request.headers.as_ref().and_then(|h| {
        h.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| {
                let v = v.trim();
                match v.split_once(' ') {
                    Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                        token.trim().to_owned()
                    }
                    _ => v.to_owned(),
                }
            })
    });
    from_query.or(from_header).filter(|t| !t.is_empty())
}
