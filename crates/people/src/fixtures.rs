//! API Gateway v2 (HTTP API, payload 2.0) request events, shaped as API Gateway sends them, for
//! handler tests and benchmarks.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Map, Value, json};

/// An HTTP API request event: `path` may carry a query string (`/people?limit=5`).
pub fn request(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> ApiGatewayV2httpRequest {
    let (raw_path, raw_query) = path.split_once('?').unwrap_or((path, ""));
    let mut header_map = Map::new();
    header_map.insert("host".into(), json!("api.example.com"));
    header_map.insert("user-agent".into(), json!("fixtures/1.0"));
    for (name, value) in headers {
        header_map.insert(name.to_ascii_lowercase(), json!(value));
    }
    let mut query = Map::new();
    for (k, v) in form_urlencoded::parse(raw_query.as_bytes()) {
        query.insert(k.into_owned(), json!(v));
    }
    let event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": header_map,
        "queryStringParameters": if query.is_empty() { Value::Null } else { Value::Object(query) },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "fixtures/1.0"
            },
            "requestId": format!("req-{}", ulid::Ulid::generate()),
            "routeKey": "$default",
            "stage": "$default",
            "time": "24/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1_795_000_000_000_i64
        },
        "body": body,
        "isBase64Encoded": false
    });
    serde_json::from_value(event).expect("the fixture is a valid API Gateway v2 event")
}

/// The request wrapped as a Lambda invocation.
pub fn invocation(request: ApiGatewayV2httpRequest) -> LambdaEvent<ApiGatewayV2httpRequest> {
    LambdaEvent::new(request, Context::default())
}

/// The request as API Gateway's JWT authorizer hands it on after verifying a token for `subject`
/// with `scopes`: `requestContext.authorizer.jwt` with the claims (`scope` space-separated, as
/// Cognito issues it) and the scopes.
pub fn authorized(
    request: ApiGatewayV2httpRequest,
    subject: &str,
    scopes: &[&str],
) -> ApiGatewayV2httpRequest {
    let mut event = serde_json::to_value(request).expect("a request serialises");
    event["requestContext"]["authorizer"] = json!({
        "jwt": {
            "claims": {
                "sub": subject,
                "scope": scopes.join(" "),
                "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_example",
                "token_use": "access",
            },
            "scopes": scopes,
        }
    });
    serde_json::from_value(event).expect("the fixture is a valid API Gateway v2 event")
}
