//! Every method on every route, and paths that are not routes, through the deployed routing: never
//! a 5xx, always a problem document for an error, `HEAD` without a body, `Allow` where it belongs.

use std::io::Write;
use std::sync::{Arc, Mutex};

use people::Function;
use people::fixtures::request;
use tracing_subscriber::layer::SubscriberExt;

use crate::helpers::*;

const METHODS: [&str; 11] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PROPFIND",
    "FOO",
];

#[tokio::test]
async fn every_method_on_every_route_and_non_route_answers_without_5xx() {
    let app = TestApp::new().await;
    let created = app.create("Ada", "ada@example.com").await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let missing = people::PersonId::generate().to_string();
    let paths = [
        "/people".to_owned(),
        "/people/".to_owned(),
        "/people//".to_owned(),
        format!("/people/{id}"),
        format!("/people/{id}/"),
        format!("/people/{missing}"),
        "/people/not-a-ulid".to_owned(),
        format!("/people/{}", "0".repeat(5000)),
        "/people/%F0%9F%98%80".to_owned(),
        format!("/people/{id}/extra"),
        "/".to_owned(),
        "//people".to_owned(),
        "/PEOPLE".to_owned(),
        "/openapi.json".to_owned(),
    ];
    type Headers<'a> = &'a [(&'a str, &'a str)];
    let bodies: [(Headers, Option<&str>); 4] = [
        (&[], None),
        (
            &[JSON],
            Some(r#"{"name":"Grace","email":"grace@example.com"}"#),
        ),
        (&[MERGE_PATCH], Some(r#"{"tags":["navy"]}"#)),
        (&[("content-type", "text/plain")], Some("\u{0}\u{1}garbage")),
    ];
    let mut answered = 0;
    for method in METHODS {
        for path in &paths {
            for (headers, body) in bodies {
                let response = app.send(method, path, headers, body).await;
                answered += 1;
                let what = format!(
                    "{method} {path} {headers:?}: {} {}",
                    response.status, response.body
                );
                assert!(response.status < 500, "{what}");
                assert!(response.header("x-request-id").is_some(), "{what}");
                if method == "HEAD" {
                    assert!(!response.has_body, "{what}");
                } else if response.status >= 400 {
                    assert_problem(&response, response.status);
                }
                if response.status == 405 {
                    assert!(
                        response.header("allow").unwrap().contains("OPTIONS"),
                        "{what}"
                    );
                }
                if method == "OPTIONS" && response.status == 204 {
                    assert!(response.header("allow").is_some(), "{what}");
                }
            }
        }
    }
    assert_eq!(answered, METHODS.len() * paths.len() * bodies.len());
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let app = TestApp::new().await;
    let created = app.create("Ada", "ada@example.com").await;
    let item = format!("/people/{}", created.body["id"].as_str().unwrap());
    for path in ["/people", "/people?limit=1", item.as_str()] {
        let get = app.send("GET", path, &[], None).await;
        let head = app.send("HEAD", path, &[], None).await;
        assert_eq!((get.status, head.status), (200, 200), "{path}");
        assert!(get.has_body && !head.has_body, "{path}");
        for name in ["content-type", "etag"] {
            assert_eq!(get.header(name), head.header(name), "{path}: {name}");
        }
    }
    let missing = app
        .send(
            "HEAD",
            &format!("/people/{}", people::PersonId::generate()),
            &[],
            None,
        )
        .await;
    assert_eq!(missing.status, 404);
    assert!(!missing.has_body);
}

#[tokio::test]
async fn paths_match_exactly_and_methods_are_listed() {
    let app = TestApp::new().await;
    let slash = app.send("GET", "/people/", &[], None).await;
    assert_problem(&slash, 404);
    assert!(
        slash.body["detail"]
            .as_str()
            .unwrap()
            .contains("did you mean /people?"),
        "{}",
        slash.body
    );
    let unknown = app.send("GET", "/persons", &[], None).await;
    assert_problem(&unknown, 404);

    let collection = app.send("DELETE", "/people", &[], None).await;
    assert_problem(&collection, 405);
    assert_eq!(collection.header("allow"), Some("GET, HEAD, POST, OPTIONS"));
    let item = format!("/people/{}", people::PersonId::generate());
    let post = app.send("POST", &item, &[JSON], Some("{}")).await;
    assert_problem(&post, 405);
    assert_eq!(
        post.header("allow"),
        Some("GET, HEAD, PUT, PATCH, DELETE, OPTIONS")
    );
    let options = app.send("OPTIONS", &item, &[], None).await;
    assert_eq!(options.status, 204);
    assert_eq!(options.header("allow"), post.header("allow"));
}

/// Collects the JSON log lines written while it is installed.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_request_that_reaches_a_function_not_serving_it_is_404_and_a_warning() {
    let app = TestApp::new().await;
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber =
        tracing_subscriber::registry().with(people::telemetry::json_layer(move || writer.clone()));
    let _guard = tracing::subscriber::set_default(subscriber);
    for (function, method, path) in [
        (Function::Get, "POST", "/people"),
        (
            Function::List,
            "DELETE",
            "/people/01ARZ3NDEKTSV4RRFFQ69G5FAV",
        ),
        (Function::Delete, "GET", "/people"),
    ] {
        let body = (method == "POST").then(|| person("A", "a@b.io"));
        let response = app
            .send_to(function, request(method, path, &[JSON], body.as_deref()))
            .await;
        assert_problem(&response, 404);
    }
    assert_eq!(app.stored_count().await, 0);
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let warnings = text
        .lines()
        .filter(|l| l.contains("\"level\":\"WARN\"") && l.contains("does not serve its route"))
        .count();
    assert_eq!(warnings, 3, "{text}");
}
