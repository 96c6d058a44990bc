//! The development tokens of `AUTH=on make dev`: a signing key under `.tools/dev-jwt/`, tokens
//! minted with it (`xtask token`), and the local gateway's stand-in for API Gateway's JWT authorizer.
//!
//! The key is an ES256 (P-256) key pair generated with aws-lc-rs; tokens are signed and verified
//! with `jsonwebtoken` on the same backend. Nothing here is for a deployed stack: the key never
//! leaves `.tools/`, and the deployed API trusts only the issuer its authorizer is configured with.
//!
//! The authorizer checks what API Gateway's JWT authorizer checks, in its order: a token in
//! `Authorization` (bare or after `Bearer `), the key (`kid`) and signature, then the claims —
//! `iss`, `aud` (or `client_id` when there is no `aud`), `exp`, `nbf`, `iat` — and last the route's
//! scopes from `scope` (space-separated) or `scp`. No clock leeway. Failures of the token are 401,
//! a token without one of the route's scopes is 403; either way the function is not invoked.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use aws_lc_rs::rand::SystemRandom;
#[cfg(test)]
use aws_lc_rs::signature::KeyPair;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
#[cfg(test)]
use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{Jwk, JwkSet, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use people::token::{TokenVerifier, token_scopes};
use serde_json::{Map, Value, json};

/// The `iss` of development tokens, and the only issuer the local authorizer trusts.
pub const ISSUER: &str = "people-api-dev";
/// The `aud` (and `client_id`) of development tokens, and the only audience the local authorizer
/// accepts.
pub const AUDIENCE: &str = "people-api-local";
/// The signing key: PKCS#8 DER, mode 0600.
const KEY_FILE: &str = "private-key.der";
/// The public key as a JWK set, for other tools.
const JWKS_FILE: &str = "jwks.json";

/// Where the development key lives: `.tools/dev-jwt/` (git-ignored).
pub fn key_dir() -> PathBuf {
    dynamodb_local::workspace_root().join(".tools/dev-jwt")
}

/// The development signing key.
pub struct DevKey {
    kid: String,
    encoding: EncodingKey,
    /// The public key, for the tests that forge tokens with it.
    #[cfg(test)]
    decoding: DecodingKey,
}

impl DevKey {
    /// The key in `dir`, generated (and its JWK set written) if there is none yet; true when it was
    /// generated now. Safe against a concurrent first run: one key wins, both use it.
    pub fn load_or_create(dir: &Path) -> Result<(Self, bool), String> {
        let path = dir.join(KEY_FILE);
        let mut created = false;
        if !path.exists() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| format!("creating {}: {e}", dir.display()))?;
            let document = EcdsaKeyPair::generate_pkcs8(
                &ECDSA_P256_SHA256_FIXED_SIGNING,
                &SystemRandom::new(),
            )
            .map_err(|e| format!("generating the development key: {e}"))?;
            // Written whole under a private name, then linked into place: a reader never sees a
            // partial key, and a key another process linked first is kept.
            let staged = dir.join(format!(".{KEY_FILE}.{}", std::process::id()));
            let written = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&staged)
                .and_then(|mut file| {
                    file.write_all(document.as_ref())?;
                    file.sync_all()
                });
            let linked = written.and_then(|()| fs::hard_link(&staged, &path));
            let _ = fs::remove_file(&staged);
            match linked {
                Ok(()) => created = true,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(format!("writing {}: {e}", path.display())),
            }
        }
        let der = fs::read(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        let key = Self::from_pkcs8(&der).map_err(|e| {
            format!(
                "{}: {e} (delete {} to generate a new development key)",
                path.display(),
                dir.display()
            )
        })?;
        if created {
            let jwks = JwkSet {
                keys: vec![key.jwk()?],
            };
            let text = serde_json::to_string_pretty(&jwks).map_err(|e| e.to_string())? + "\n";
            let jwks_path = dir.join(JWKS_FILE);
            fs::write(&jwks_path, text)
                .map_err(|e| format!("writing {}: {e}", jwks_path.display()))?;
        }
        Ok((key, created))
    }

    /// The key from its PKCS#8 DER document.
    fn from_pkcs8(der: &[u8]) -> Result<Self, String> {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
            .map_err(|e| format!("not a P-256 PKCS#8 key ({e})"))?;
        let encoding = EncodingKey::from_ec_der(der);
        // The uncompressed public point, as jsonwebtoken's aws-lc-rs verifier takes it.
        #[cfg(test)]
        let decoding = DecodingKey::from_ec_der(pair.public_key().as_ref());
        // Outside the tests the pair only checks that the document is a P-256 key.
        #[cfg(not(test))]
        drop(pair);
        let mut key = Self {
            kid: String::new(),
            encoding,
            #[cfg(test)]
            decoding,
        };
        // The RFC 7638 thumbprint of the public key: a new key gets a new `kid`.
        key.kid = Jwk::from_encoding_key(&key.encoding, Algorithm::ES256)
            .and_then(|jwk| jwk.thumbprint(ThumbprintHash::SHA256))
            .map_err(|e| format!("the key's thumbprint: {e}"))?;
        Ok(key)
    }

    /// The public key as a JWK, with `kid`, `alg` and `use`.
    fn jwk(&self) -> Result<Jwk, String> {
        let mut jwk =
            Jwk::from_encoding_key(&self.encoding, Algorithm::ES256).map_err(|e| e.to_string())?;
        jwk.common.key_id = Some(self.kid.clone());
        jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        Ok(jwk)
    }

    /// The key's id, in every token's header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Signs `claims` as an ES256 JWT with this key's `kid`.
    pub fn sign(&self, claims: &Value) -> Result<String, String> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).map_err(|e| e.to_string())
    }

    /// An access token shaped like a Cognito one for `subject` with `scopes` (space-separated),
    /// valid for `ttl` seconds from now (negative: already expired).
    pub fn mint(&self, subject: &str, scopes: &str, ttl: i64) -> Result<String, String> {
        if subject.is_empty() {
            return Err("a token needs a subject (--sub)".to_owned());
        }
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let scopes: Vec<&str> = scopes.split_whitespace().collect();
        let mut claims = json!({
            "sub": subject,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "client_id": AUDIENCE,
            "token_use": "access",
            "iat": now.min(now + ttl),
            "exp": now + ttl,
            "jti": ulid::Ulid::generate().to_string(),
        });
        if !scopes.is_empty() {
            claims["scope"] = json!(scopes.join(" "));
        }
        self.sign(&claims)
    }

    /// The local authorizer trusting this key.
    pub fn authorizer(&self) -> Authorizer {
        let jwks = JwkSet {
            keys: self.jwk().into_iter().collect(),
        };
        Authorizer {
            verifier: TokenVerifier::new(ISSUER, vec![AUDIENCE.to_owned()], &jwks),
        }
    }
}

#[cfg(test)]
impl DevKey {
    /// A fresh key in a directory of its own under the system's temporary directory.
    pub(crate) fn temporary() -> (Self, PathBuf) {
        let dir = std::env::temp_dir().join(format!("xtask-dev-jwt-{}", ulid::Ulid::generate()));
        let (key, created) = Self::load_or_create(&dir).expect("a development key");
        assert!(created);
        (key, dir)
    }
}

/// API Gateway's JWT authorizer, configured with the development issuer, audience and key.
#[derive(Clone)]
pub struct Authorizer {
    /// The same rules as the deployed WebSocket authorizer's (`people::token`).
    verifier: TokenVerifier,
}

/// What the authorizer decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Invoke the function with this `requestContext.authorizer` (`{"jwt": {claims, scopes}}`).
    Allow(Value),
    /// 401: no token, or one that failed verification (the reason is for the log only).
    Unauthorized(String),
    /// 403: a valid token without any of the route's scopes.
    Forbidden(String),
}

impl Authorizer {
    /// Authorizes a request with `authorization` (the `Authorization` header) for a route that
    /// needs one of `route_scopes`.
    pub fn authorize(&self, authorization: Option<&str>, route_scopes: &[&str]) -> Decision {
        let Some(header) = authorization.map(str::trim).filter(|h| !h.is_empty()) else {
            return Decision::Unauthorized("no Authorization header".to_owned());
        };
        // API Gateway's identity source holds the token, bare or after `Bearer `.
        let token = match header.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            Some(_) => return Decision::Unauthorized("not a Bearer token".to_owned()),
            None => header,
        };
        let claims = match self.verify(token) {
            Ok(claims) => claims,
            Err(reason) => return Decision::Unauthorized(reason),
        };
        let scopes = token_scopes(&claims);
        if !route_scopes.is_empty() && !scopes.iter().any(|s| route_scopes.contains(&s.as_str())) {
            return Decision::Forbidden(format!(
                "the token's scopes [{}] include none of [{}]",
                scopes.join(" "),
                route_scopes.join(" ")
            ));
        }
        let claims: Map<String, Value> = claims
            .iter()
            .filter_map(|(name, value)| Some((name.clone(), Value::String(claim_string(value)?))))
            .collect();
        Decision::Allow(json!({ "jwt": { "claims": claims, "scopes": scopes } }))
    }

    /// The token's claims when its key, signature, issuer, audience and times check out.
    pub fn verify(&self, token: &str) -> Result<Map<String, Value>, String> {
        self.verifier.verify(token)
    }
}

/// A claim as API Gateway hands it to the function: every value a string. Strings as they are,
/// numbers and booleans as JSON text, arrays as `[a b c]` (API Gateway's form), objects as JSON
/// text; `null` claims are left out.
fn claim_string(value: &Value) -> Option<String> {
    Some(match value {
        Value::Null => return None,
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map_or_else(|| item.to_string(), str::to_owned)
                })
                .collect();
            format!("[{}]", items.join(" "))
        }
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::Validation;

    const WRITE_ROUTE: &[&str] = &["people/write", "people/self"];

    fn key() -> (DevKey, PathBuf) {
        DevKey::temporary()
    }

    fn now() -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp()
    }

    /// Claims of a valid token, to be spoilt one at a time.
    fn claims() -> Value {
        json!({
            "sub": "alice",
            "iss": ISSUER,
            "aud": AUDIENCE,
            "client_id": AUDIENCE,
            "token_use": "access",
            "scope": "people/self openid",
            "iat": now() - 10,
            "exp": now() + 300,
        })
    }

    fn bearer(token: &str) -> String {
        format!("Bearer {token}")
    }

    fn unauthorized(decision: &Decision) -> bool {
        matches!(decision, Decision::Unauthorized(_))
    }

    #[test]
    fn a_minted_token_is_accepted_with_api_gateways_claims_shape() {
        let (key, dir) = key();
        let token = key.mint("alice", "people/self  people/read", 60).unwrap();
        let Decision::Allow(context) = key
            .authorizer()
            .authorize(Some(&bearer(&token)), WRITE_ROUTE)
        else {
            panic!("rejected");
        };
        let jwt = &context["jwt"];
        assert_eq!(jwt["scopes"], json!(["people/self", "people/read"]));
        let claims = jwt["claims"].as_object().unwrap();
        assert_eq!(claims["sub"], "alice");
        assert_eq!(claims["scope"], "people/self people/read");
        assert_eq!(claims["iss"], ISSUER);
        assert_eq!(claims["aud"], AUDIENCE);
        assert_eq!(claims["client_id"], AUDIENCE);
        assert_eq!(claims["token_use"], "access");
        assert!(claims.values().all(Value::is_string), "{claims:?}");
        let exp: i64 = claims["exp"].as_str().unwrap().parse().unwrap();
        assert!((now() + 55..=now() + 60).contains(&exp));
        // The bare token is an identity source API Gateway accepts too.
        assert!(matches!(
            key.authorizer().authorize(Some(&token), WRITE_ROUTE),
            Decision::Allow(_)
        ));
        // The event the functions deserialize takes it.
        let mut event =
            serde_json::to_value(people::fixtures::request("GET", "/people", &[], None)).unwrap();
        event["requestContext"]["authorizer"] = context;
        let _: aws_lambda_events::apigw::ApiGatewayV2httpRequest =
            serde_json::from_value(event).unwrap();
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_key_is_private_and_kept() {
        use std::os::unix::fs::PermissionsExt;
        let (key, dir) = key();
        let mode = fs::metadata(dir.join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let (again, created) = DevKey::load_or_create(&dir).unwrap();
        assert!(!created);
        assert_eq!(again.kid(), key.kid());
        let jwks: JwkSet =
            serde_json::from_str(&fs::read_to_string(dir.join(JWKS_FILE)).unwrap()).unwrap();
        let jwk = jwks.find(key.kid()).unwrap();
        // The published key verifies the key's tokens.
        let token = key.mint("alice", "people/read", 60).unwrap();
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_audience(&[AUDIENCE]);
        jsonwebtoken::decode::<Value>(&token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
            .unwrap();
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn bad_tokens_are_unauthorized() {
        let (key, dir) = key();
        let (other, other_dir) = super::tests::key();
        let authorizer = key.authorizer();
        let check = |token: &str| authorizer.authorize(Some(&bearer(token)), WRITE_ROUTE);
        // The valid claims with some set (`Some`) or removed (`None`).
        let with = |changes: &[(&str, Option<Value>)]| {
            let mut claims = claims();
            let fields = claims.as_object_mut().unwrap();
            for (name, value) in changes {
                match value {
                    Some(value) => fields.insert((*name).to_owned(), value.clone()),
                    None => fields.remove(*name),
                };
            }
            key.sign(&claims).unwrap()
        };
        let accepted = [
            with(&[]),
            with(&[("aud", None)]),
            with(&[("client_id", None)]),
            with(&[("aud", Some(json!(["another-api", AUDIENCE])))]),
            with(&[("nbf", Some(json!(now() - 1))), ("iat", None)]),
        ];
        for token in &accepted {
            assert!(matches!(check(token), Decision::Allow(_)), "{token}");
        }

        let cases: Vec<(&str, &str, String)> = vec![
            (
                "minted expired",
                "ExpiredSignature",
                key.mint("alice", "people/self", -1).unwrap(),
            ),
            (
                "expired",
                "ExpiredSignature",
                with(&[("exp", Some(json!(now() - 1)))]),
            ),
            ("no exp", "exp", with(&[("exp", None)])),
            (
                "not yet valid",
                "ImmatureSignature",
                with(&[("nbf", Some(json!(now() + 60)))]),
            ),
            (
                "issued in the future",
                "iat",
                with(&[("iat", Some(json!(now() + 60)))]),
            ),
            (
                "wrong issuer",
                "InvalidIssuer",
                with(&[("iss", Some(json!("https://elsewhere")))]),
            ),
            ("no issuer", "iss", with(&[("iss", None)])),
            (
                "wrong audience",
                "audience",
                with(&[("aud", Some(json!("another-api")))]),
            ),
            (
                "aud decides over client_id",
                "audience",
                with(&[("aud", Some(json!(["another-api"])))]),
            ),
            (
                "wrong client_id",
                "audience",
                with(&[("aud", None), ("client_id", Some(json!("another-client")))]),
            ),
            (
                "no audience",
                "neither aud nor client_id",
                with(&[("aud", None), ("client_id", None)]),
            ),
            ("signed by another key", "InvalidSignature", {
                // Another key, claiming to be this one.
                let mut header = Header::new(Algorithm::ES256);
                header.kid = Some(key.kid().to_owned());
                jsonwebtoken::encode(&header, &claims(), &other.encoding).unwrap()
            }),
            ("another key's kid", "kid", other.sign(&claims()).unwrap()),
            ("no kid", "kid", {
                let header = Header::new(Algorithm::ES256);
                jsonwebtoken::encode(&header, &claims(), &key.encoding).unwrap()
            }),
            ("alg none", "none", {
                let token = key.sign(&claims()).unwrap();
                let payload = token.split('.').nth(1).unwrap();
                let header = base64::Engine::encode(
                    &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                    json!({"alg": "none", "typ": "JWT", "kid": key.kid()}).to_string(),
                );
                format!("{header}.{payload}.")
            }),
            (
                "HS256 with the public key as the secret",
                "InvalidAlgorithm",
                {
                    let mut header = Header::new(Algorithm::HS256);
                    header.kid = Some(key.kid().to_owned());
                    let public = key.decoding.try_get_as_bytes().unwrap();
                    jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(public))
                        .unwrap()
                },
            ),
            ("tampered payload", "InvalidSignature", {
                let token = key.sign(&claims()).unwrap();
                let forged = other.sign(&json!({"sub": "mallory"})).unwrap();
                let parts: Vec<&str> = token.split('.').collect();
                let forged_payload = forged.split('.').nth(1).unwrap();
                format!("{}.{forged_payload}.{}", parts[0], parts[2])
            }),
            ("malformed", "malformed", "not.a.jwt".to_owned()),
            ("empty", "malformed", String::new()),
        ];
        for (what, reason, token) in &cases {
            match check(token) {
                Decision::Unauthorized(why) => assert!(why.contains(reason), "{what}: {why}"),
                other => panic!("{what}: {other:?}"),
            }
        }
        for header in [None, Some(""), Some("Bearer"), Some("Basic YWxpY2U6cHc=")] {
            assert!(
                unauthorized(&authorizer.authorize(header, WRITE_ROUTE)),
                "{header:?}"
            );
        }
        fs::remove_dir_all(dir).unwrap();
        fs::remove_dir_all(other_dir).unwrap();
    }

    #[test]
    fn a_valid_token_needs_one_of_the_routes_scopes() {
        let (key, dir) = key();
        let authorizer = key.authorizer();
        let decide = |scopes: &str, route: &[&str]| {
            let token = key.mint("alice", scopes, 60).unwrap();
            authorizer.authorize(Some(&bearer(&token)), route)
        };
        let read_route = &["people/read", "people/write", "people/self"][..];
        assert!(matches!(
            decide("people/read", WRITE_ROUTE),
            Decision::Forbidden(_)
        ));
        assert!(matches!(decide("", read_route), Decision::Forbidden(_)));
        assert!(matches!(
            decide("openid orders/write", read_route),
            Decision::Forbidden(_)
        ));
        assert!(matches!(
            decide("people/self", WRITE_ROUTE),
            Decision::Allow(_)
        ));
        assert!(matches!(
            decide("openid people/write", WRITE_ROUTE),
            Decision::Allow(_)
        ));
        assert!(matches!(
            decide("people/read", read_route),
            Decision::Allow(_)
        ));
        // `scp`, as some issuers name it.
        let mut claims = claims();
        claims.as_object_mut().unwrap().remove("scope");
        claims["scp"] = json!(["people/write"]);
        let token = key.sign(&claims).unwrap();
        let Decision::Allow(context) = authorizer.authorize(Some(&bearer(&token)), WRITE_ROUTE)
        else {
            panic!("scp was not read");
        };
        assert_eq!(context["jwt"]["scopes"], json!(["people/write"]));
        assert_eq!(context["jwt"]["claims"]["scp"], "[people/write]");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn claims_become_strings_as_api_gateway_hands_them_over() {
        assert_eq!(claim_string(&json!("a b")).as_deref(), Some("a b"));
        assert_eq!(
            claim_string(&json!(1700000000)).as_deref(),
            Some("1700000000")
        );
        assert_eq!(claim_string(&json!(true)).as_deref(), Some("true"));
        assert_eq!(
            claim_string(&json!(["admin", "users"])).as_deref(),
            Some("[admin users]")
        );
        assert_eq!(
            claim_string(&json!({"a": 1})).as_deref(),
            Some(r#"{"a":1}"#)
        );
        assert_eq!(claim_string(&Value::Null), None);
    }
}
