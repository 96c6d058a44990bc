//! The WebSocket API's request authorizer: the same token rules as the REST API's JWT authorizer,
//! with the issuer's keys fetched from its JWKS URL (here a local server holding a fresh P-256 key).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use people::ws::authorize::{AuthorizerRequest, WsAuthorizer};
use serde_json::{Value, json};

const ISSUER: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_test";
const CLIENT: &str = "web-client";

struct Issuer {
    key: EncodingKey,
    kid: String,
    url: String,
}

/// A key pair and a server answering every request with its JWK set.
fn issuer() -> Issuer {
    let der = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
        .unwrap();
    let key = EncodingKey::from_ec_der(der.as_ref());
    let mut jwk = Jwk::from_encoding_key(&key, Algorithm::ES256).unwrap();
    let kid = format!("k-{}", ulid::Ulid::generate());
    jwk.common.key_id = Some(kid.clone());
    let body = serde_json::to_string(&JwkSet { keys: vec![jwk] }).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/.well-known/jwks.json",
        listener.local_addr().unwrap()
    );
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    Issuer { key, kid, url }
}

impl Issuer {
    fn token(&self, claims: Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.key).unwrap()
    }
}

fn claims(scope: &str) -> Value {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    json!({"sub": "alice", "iss": ISSUER, "client_id": CLIENT, "token_use": "access",
           "scope": scope, "iat": now - 5, "exp": now + 300})
}

fn request(token: Option<&str>) -> AuthorizerRequest {
    serde_json::from_value(json!({
        "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:abc/dev/$connect",
        "queryStringParameters": token.map(|t| json!({"token": t})),
    }))
    .unwrap()
}

#[tokio::test]
async fn connections_need_a_valid_token_with_a_people_scope() {
    let trusted = issuer();
    let authorizer = WsAuthorizer::new(ISSUER.into(), vec![CLIENT.into()], trusted.url.clone());

    let allowed = authorizer
        .authorize(&request(Some(&trusted.token(claims("openid people/read")))))
        .await
        .unwrap();
    assert_eq!(allowed["principalId"], "alice");
    assert_eq!(allowed["policyDocument"]["Statement"][0]["Effect"], "Allow");
    assert_eq!(
        allowed["policyDocument"]["Statement"][0]["Resource"],
        "arn:aws:execute-api:eu-west-1:123456789012:abc/dev/$connect"
    );
    assert_eq!(
        allowed["context"],
        json!({"sub": "alice", "scope": "people/read"})
    );

    // A valid token without a people scope is denied (403); anything else is a 401.
    let denied = authorizer
        .authorize(&request(Some(&trusted.token(claims("email")))))
        .await
        .unwrap();
    assert_eq!(denied["policyDocument"]["Statement"][0]["Effect"], "Deny");

    let mut expired = claims("people/read");
    expired["exp"] = json!(time::OffsetDateTime::now_utc().unix_timestamp() - 1);
    let mut foreign = claims("people/read");
    foreign["iss"] = json!("https://example.com");
    let mut other_client = claims("people/read");
    other_client["client_id"] = json!("someone-else");
    let stranger = issuer();
    for token in [
        None,
        Some("not-a-token".to_owned()),
        Some(trusted.token(expired)),
        Some(trusted.token(foreign)),
        Some(trusted.token(other_client)),
        Some(stranger.token(claims("people/read"))),
    ] {
        assert!(
            authorizer
                .authorize(&request(token.as_deref()))
                .await
                .is_err(),
            "{token:?}"
        );
    }

    // The header works too, for clients that can set one.
    let token = trusted.token(claims("people/self"));
    let with_header: AuthorizerRequest = serde_json::from_value(json!({
        "methodArn": "arn",
        "headers": {"Authorization": format!("Bearer {token}")},
    }))
    .unwrap();
    let allowed = authorizer.authorize(&with_header).await.unwrap();
    assert_eq!(allowed["context"]["scope"], "people/self");
}
