//! Verifying access tokens as API Gateway's JWT authorizer does (feature `authorizer`): for the
//! WebSocket API's Lambda request authorizer (WebSocket APIs have no JWT authorizer), and for the
//! local gateways of `make dev`, which check development tokens with the same rules.
//!
//! The rules, in API Gateway's order: the key (`kid`) and signature with the key's own algorithm
//! (RS256 for Cognito, ES256 for the development key; `none` and HMAC never), then the claims —
//! `iss` exactly, `exp` and `nbf` with no leeway, `iat` not in the future, and `aud` (a string or an
//! array) or, when there is none, `client_id` among the accepted audiences. Scopes come from
//! `scope` (space-separated), else `scp`.

use std::collections::HashMap;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

/// Verifies tokens of one issuer for some audiences, with the issuer's public keys.
#[derive(Clone)]
pub struct TokenVerifier {
    issuer: String,
    audiences: Vec<String>,
    keys: HashMap<String, (DecodingKey, Algorithm)>,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenVerifier")
            .field("issuer", &self.issuer)
            .field("audiences", &self.audiences)
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl TokenVerifier {
    /// A verifier for `issuer`'s tokens meant for one of `audiences`, trusting the keys of `jwks`
    /// that have a `kid` and an RSA or P-256 key (others are skipped).
    pub fn new(issuer: impl Into<String>, audiences: Vec<String>, jwks: &JwkSet) -> Self {
        let keys = jwks
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                let algorithm = match &jwk.algorithm {
                    AlgorithmParameters::RSA(_) => Algorithm::RS256,
                    AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
                        Algorithm::ES256
                    }
                    _ => return None,
                };
                let key = DecodingKey::from_jwk(jwk).ok()?;
                Some((kid, (key, algorithm)))
            })
            .collect();
        Self {
            issuer: issuer.into(),
            audiences,
            keys,
        }
    }

    /// True when the verifier knows the key `kid`.
    pub fn knows(&self, kid: &str) -> bool {
        self.keys.contains_key(kid)
    }

    /// The key id a token names, if it parses.
    pub fn kid_of(token: &str) -> Option<String> {
        jsonwebtoken::decode_header(token).ok()?.kid
    }

    /// The token's claims when its key, signature, issuer, audience and times check out; else why
    /// not (for the log only: callers get a plain 401).
    pub fn verify(&self, token: &str) -> Result<Map<String, Value>, String> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| format!("malformed token: {e}"))?;
        let kid = header.kid.ok_or("the token names no key (no kid)")?;
        let (key, algorithm) = self
            .keys
            .get(&kid)
            .ok_or_else(|| format!("no key with kid {kid:?}"))?;
        // Only the key's own algorithm: `none`, HS256 with the public key as secret and the like
        // fail here.
        let mut validation = Validation::new(*algorithm);
        validation.leeway = 0;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss"]);
        validation.set_issuer(&[&self.issuer]);
        // API Gateway's own rule for `aud` and `client_id`, below.
        validation.validate_aud = false;
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, key, &validation)
            .map_err(|e| format!("invalid token: {e}"))?
            .claims;
        if let Some(iat) = claims.get("iat") {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            match iat.as_i64() {
                Some(iat) if iat <= now => {}
                _ => return Err(format!("iat {iat} is not in the past")),
            }
        }
        let audiences: Vec<&str> = match (claims.get("aud"), claims.get("client_id")) {
            (Some(Value::String(aud)), _) => vec![aud],
            (Some(Value::Array(auds)), _) => auds.iter().filter_map(Value::as_str).collect(),
            (Some(other), _) => return Err(format!("aud {other} is not a string")),
            (None, Some(Value::String(client))) => vec![client],
            (None, _) => return Err("neither aud nor client_id".to_owned()),
        };
        if !audiences
            .iter()
            .any(|a| self.audiences.iter().any(|ok| ok == a))
        {
            return Err(format!(
                "audience {audiences:?} is not {:?}",
                self.audiences
            ));
        }
        Ok(claims)
    }
}

/// The token's scopes: `scope` split on spaces, else `scp` (a string or an array).
pub fn token_scopes(claims: &Map<String, Value>) -> Vec<String> {
    let split = |s: &str| s.split_whitespace().map(str::to_owned).collect();
    match (claims.get("scope"), claims.get("scp")) {
        (Some(Value::String(scope)), _) => split(scope),
        (_, Some(Value::String(scp))) => split(scp),
        (_, Some(Value::Array(scp))) => scp
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}
