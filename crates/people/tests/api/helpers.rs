//! Test support: an app on a fresh table, requests routed as API Gateway routes them, responses
//! decoded, and problem-document checks.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use dynamodel::Table;
use people::fixtures::{invocation, request};
use people::{Access, AllowedOrigins, Edge, Function, PeopleService, table_spec};
use serde::Deserialize;
use serde_json::{Value, json};

pub const JSON: (&str, &str) = ("content-type", "application/json");
pub const MERGE_PATCH: (&str, &str) = ("content-type", "application/merge-patch+json");

pub struct TestApp {
    pub table: Table,
    pub origins: AllowedOrigins,
    pub access: Access,
}

pub struct Response {
    pub status: i64,
    pub headers: http::HeaderMap,
    pub body: Value,
    /// Whether the response had a body at all.
    pub has_body: bool,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn field_errors(&self) -> Vec<(String, String)> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        (
                            e["field"].as_str().unwrap().to_owned(),
                            e["message"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub fn person(name: &str, email: &str) -> String {
    json!({ "name": name, "email": email }).to_string()
}

/// The route export the deployed stack builds its API Gateway routes from.
#[derive(Deserialize)]
struct Routes {
    fallback: String,
    routes: Vec<ExportedRoute>,
}

#[derive(Deserialize)]
struct ExportedRoute {
    method: String,
    path: String,
    function: String,
}

/// The function API Gateway invokes for `method` and `path`, as it selects routes: a route whose
/// method is exactly the request's and whose template matches segment by segment (`{id}` matching
/// one non-empty segment), else the `$default` route. Written independently of the edge's router,
/// so a disagreement between the two shows up as a failing test.
pub fn deployed_route(method: &str, path: &str) -> Function {
    let routes: Routes = serde_json::from_str(include_str!("../../../../infra/routes.json"))
        .expect("infra/routes.json parses");
    let segments: Vec<&str> = path.split('/').collect();
    let matches = |template: &str| {
        let expected: Vec<&str> = template.split('/').collect();
        expected.len() == segments.len()
            && expected.iter().zip(&segments).all(|(e, s)| {
                if e.starts_with('{') {
                    !s.is_empty()
                } else {
                    e == s
                }
            })
    };
    let binary = routes
        .routes
        .iter()
        .find(|r| r.method == method && matches(&r.path))
        .map_or(&routes.fallback, |r| &r.function);
    Function::from_binary(binary).expect("every exported function exists")
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_origins(AllowedOrigins::Any).await
    }

    pub async fn with_origins(origins: AllowedOrigins) -> Self {
        Self {
            table: dynamodb_local::fresh_table("people-test", table_spec()).await,
            origins,
            access: Access::Open,
        }
    }

    /// An app whose functions require the authorizer's verified claims (`AUTH=on`).
    pub async fn verified() -> Self {
        Self {
            access: Access::Verified,
            ..Self::new().await
        }
    }

    pub fn edge(&self, function: Function) -> Edge {
        Edge::new(
            PeopleService::new(self.table.clone()),
            self.origins.clone(),
            self.access,
            function,
        )
    }

    /// Sends the request to the function that API Gateway routes it to.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Response {
        let route = path.split('?').next().unwrap_or(path);
        let function = deployed_route(method, route);
        self.send_to(function, request(method, path, headers, body))
            .await
    }

    pub async fn send_to(&self, function: Function, event: ApiGatewayV2httpRequest) -> Response {
        let response = self
            .edge(function)
            .handle(invocation(event))
            .await
            .expect("the edge never fails");
        decode(response)
    }

    pub async fn create(&self, name: &str, email: &str) -> Response {
        let response = self
            .send("POST", "/people", &[JSON], Some(&person(name, email)))
            .await;
        assert_eq!(response.status, 201, "{}", response.body);
        response
    }

    pub async fn stored_count(&self) -> usize {
        let out = self
            .table
            .client()
            .scan()
            .table_name(self.table.name())
            .send()
            .await
            .unwrap();
        out.items().len()
    }
}

pub fn decode(response: ApiGatewayV2httpResponse) -> Response {
    let (body, has_body) = match response.body {
        Some(Body::Text(text)) => (serde_json::from_str(&text).expect("bodies are JSON"), true),
        Some(Body::Empty) | None => (Value::Null, false),
        Some(Body::Binary(_)) => panic!("the API never answers binary"),
        Some(_) => panic!("unexpected body kind"),
    };
    Response {
        status: response.status_code,
        headers: response.headers,
        body,
        has_body,
    }
}

pub fn assert_problem(response: &Response, status: i64) {
    assert_eq!(response.status, status, "{}", response.body);
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(response.body["status"], status);
    assert!(
        response.body["title"].is_string() && response.body["detail"].is_string(),
        "{}",
        response.body
    );
    assert!(response.body["type"].is_string());
    assert_eq!(
        response.body["request_id"].as_str(),
        response.header("x-request-id")
    );
}
