//! The people API end to end through the same handler the Lambdas run: real API Gateway v2 events in,
//! AWS's DynamoDB Local behind, one fresh table per test.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use aws_lambda_events::encodings::Body;
use base64::Engine;
use dynamodel::Table;
use people::fixtures::{invocation, request};
use people::{AllowedOrigins, Edge, Function, PeopleService, table_spec};
use serde_json::{Value, json};

struct TestApp {
    table: Table,
    origins: AllowedOrigins,
}

struct Response {
    status: i64,
    headers: http::HeaderMap,
    body: Value,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn field_errors(&self) -> Vec<(String, String)> {
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

fn person(name: &str, email: &str) -> String {
    json!({ "name": name, "email": email }).to_string()
}

const JSON: (&str, &str) = ("content-type", "application/json");

impl TestApp {
    async fn new() -> Self {
        Self::with_origins(AllowedOrigins::Any).await
    }

    async fn with_origins(origins: AllowedOrigins) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let local = dynamodb_local::shared();
        let client = local.client();
        let name = format!(
            "people-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        dynamodel::create_table(&client, &name, &table_spec())
            .await
            .expect("create the test table");
        Self {
            table: Table::new(client, name, table_spec()),
            origins,
        }
    }

    fn edge(&self, function: Function) -> Edge {
        Edge::new(
            PeopleService::new(self.table.clone()),
            self.origins.clone(),
            function,
        )
    }

    /// Sends the request to the function that API Gateway routes it to.
    async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Response {
        let route = path.split('?').next().unwrap_or(path);
        let function = match (route, method) {
            ("/people", "GET") => Function::List,
            ("/people", "POST") => Function::Put,
            (r, "PUT" | "PATCH") if r.starts_with("/people/") => Function::Put,
            (r, "DELETE") if r.starts_with("/people/") => Function::Delete,
            _ => Function::Get,
        };
        self.send_to(function, request(method, path, headers, body))
            .await
    }

    async fn send_to(
        &self,
        function: Function,
        event: aws_lambda_events::apigw::ApiGatewayV2httpRequest,
    ) -> Response {
        let response = self
            .edge(function)
            .handle(invocation(event))
            .await
            .expect("the edge never fails");
        decode(response)
    }

    async fn create(&self, name: &str, email: &str) -> Response {
        let response = self
            .send("POST", "/people", &[JSON], Some(&person(name, email)))
            .await;
        assert_eq!(response.status, 201, "{}", response.body);
        response
    }

    async fn stored_count(&self) -> usize {
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

fn decode(response: ApiGatewayV2httpResponse) -> Response {
    let body = match response.body {
        Some(Body::Text(text)) => serde_json::from_str(&text).expect("bodies are JSON"),
        Some(Body::Empty) | None => Value::Null,
        Some(Body::Binary(_)) => panic!("the API never answers binary"),
        Some(_) => panic!("unexpected body kind"),
    };
    Response {
        status: response.status_code,
        headers: response.headers,
        body,
    }
}

fn assert_problem(response: &Response, status: i64) {
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

#[tokio::test]
async fn create_read_replace_delete() {
    let app = TestApp::new().await;
    let created = app
        .send(
            "POST",
            "/people",
            &[JSON],
            Some(r#"{"name":"  Ada Lovelace ","email":" Ada@Example.COM ","phone":"+44 20 7946 0958","tags":["Math","math","Poet"]}"#),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 26);
    assert_eq!(
        created.header("location"),
        Some(format!("/people/{id}").as_str())
    );
    assert_eq!(created.header("etag"), Some("\"v1\""));
    assert!(created.header("x-request-id").is_some());
    assert_eq!(created.body["name"], "Ada Lovelace");
    assert_eq!(created.body["email"], "ada@example.com");
    assert_eq!(created.body["phone"], "+442079460958");
    assert_eq!(created.body["tags"], json!(["math", "poet"]));
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.body["created_at"], created.body["updated_at"]);
    time::OffsetDateTime::parse(
        created.body["created_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("timestamps are RFC 3339");

    let read = app.send("GET", &format!("/people/{id}"), &[], None).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body, created.body);
    assert_eq!(read.header("etag"), Some("\"v1\""));

    let not_modified = app
        .send(
            "GET",
            &format!("/people/{id}"),
            &[("if-none-match", "\"v1\"")],
            None,
        )
        .await;
    assert_eq!(not_modified.status, 304);

    let replaced = app
        .send(
            "PUT",
            &format!("/people/{id}"),
            &[JSON, ("if-match", "\"v1\"")],
            Some(&person("Ada King", "ada@example.com")),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(replaced.header("etag"), Some("\"v2\""));
    assert_eq!(replaced.body["name"], "Ada King");
    assert_eq!(
        replaced.body["phone"],
        Value::Null,
        "a full replace drops fields not sent"
    );
    assert_eq!(replaced.body["created_at"], created.body["created_at"]);
    assert_ne!(replaced.body["updated_at"], created.body["updated_at"]);

    let deleted = app
        .send(
            "DELETE",
            &format!("/people/{id}"),
            &[("if-match", "\"v2\"")],
            None,
        )
        .await;
    assert_eq!(deleted.status, 204);
    assert_eq!(deleted.body, Value::Null);
    let gone = app.send("GET", &format!("/people/{id}"), &[], None).await;
    assert_problem(&gone, 404);
    assert_eq!(
        app.stored_count().await,
        0,
        "the person and the email claim are both gone"
    );
    assert_problem(
        &app.send("DELETE", &format!("/people/{id}"), &[], None)
            .await,
        404,
    );
}

#[tokio::test]
async fn put_creates_with_the_given_id_and_honours_if_none_match() {
    let app = TestApp::new().await;
    let id = people::PersonId::generate().to_string();
    let path = format!("/people/{id}");
    let created = app
        .send(
            "PUT",
            &path,
            &[JSON, ("if-none-match", "*")],
            Some(&person("Grace", "grace@example.com")),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["id"], id.as_str());
    assert_eq!(created.header("location"), Some(path.as_str()));

    let again = app
        .send(
            "PUT",
            &path,
            &[JSON, ("if-none-match", "*")],
            Some(&person("Other", "other@example.com")),
        )
        .await;
    assert_problem(&again, 412);
    let stored = app.send("GET", &path, &[], None).await;
    assert_eq!(stored.body["name"], "Grace");

    let replaced = app
        .send(
            "PUT",
            &path,
            &[JSON],
            Some(&person("Grace Hopper", "grace@example.com")),
        )
        .await;
    assert_eq!(replaced.status, 200);
    assert_eq!(replaced.body["version"], 2);
}

#[tokio::test]
async fn stale_if_match_is_412_and_leaves_the_item_unchanged() {
    let app = TestApp::new().await;
    let created = app.create("Alan", "alan@example.com").await;
    let path = format!("/people/{}", created.body["id"].as_str().unwrap());
    let first = app
        .send(
            "PUT",
            &path,
            &[JSON, ("if-match", "\"v1\"")],
            Some(&person("Alan T", "alan@example.com")),
        )
        .await;
    assert_eq!(first.status, 200);

    let stale = app
        .send(
            "PUT",
            &path,
            &[JSON, ("if-match", "\"v1\"")],
            Some(&person("Stale", "stale@example.com")),
        )
        .await;
    assert_problem(&stale, 412);
    let stale_delete = app
        .send("DELETE", &path, &[("if-match", "\"v1\"")], None)
        .await;
    assert_problem(&stale_delete, 412);
    let weak = app
        .send(
            "PUT",
            &path,
            &[JSON, ("if-match", "W/\"v2\"")],
            Some(&person("Weak", "alan@example.com")),
        )
        .await;
    assert_problem(&weak, 412);

    let stored = app.send("GET", &path, &[], None).await;
    assert_eq!(
        stored.body, first.body,
        "nothing of the stale writes was stored"
    );
    // The stale write's email was never claimed.
    app.create("Someone", "stale@example.com").await;

    let missing = format!("/people/{}", people::PersonId::generate());
    assert_problem(
        &app.send(
            "PUT",
            &missing,
            &[JSON, ("if-match", "\"v1\"")],
            Some(&person("X", "x@example.com")),
        )
        .await,
        412,
    );
}

#[tokio::test]
async fn emails_are_unique_and_move_with_the_person() {
    let app = TestApp::new().await;
    let ada = app.create("Ada", "ada@example.com").await;
    let dup = app
        .send(
            "POST",
            "/people",
            &[JSON],
            Some(&person("Imposter", "ADA@example.com ")),
        )
        .await;
    assert_problem(&dup, 409);
    assert_eq!(dup.field_errors()[0].0, "email");

    let bob = app.create("Bob", "bob@example.com").await;
    let bob_path = format!("/people/{}", bob.body["id"].as_str().unwrap());
    let steal = app
        .send(
            "PUT",
            &bob_path,
            &[JSON],
            Some(&person("Bob", "ada@example.com")),
        )
        .await;
    assert_problem(&steal, 409);
    assert_eq!(
        app.send("GET", &bob_path, &[], None).await.body["email"],
        "bob@example.com"
    );

    let moved = app
        .send(
            "PUT",
            &bob_path,
            &[JSON],
            Some(&person("Bob", "robert@example.com")),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    app.create("New Bob", "bob@example.com").await; // the old email was released
    assert_problem(
        &app.send(
            "POST",
            "/people",
            &[JSON],
            Some(&person("X", "robert@example.com")),
        )
        .await,
        409,
    );

    let ada_path = format!("/people/{}", ada.body["id"].as_str().unwrap());
    assert_eq!(app.send("DELETE", &ada_path, &[], None).await.status, 204);
    app.create("Ada again", "ada@example.com").await; // deleting released the email
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_creates_with_one_email_make_one_person() {
    let app = std::sync::Arc::new(TestApp::new().await);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                app.send(
                    "POST",
                    "/people",
                    &[JSON],
                    Some(&person(&format!("Racer {i}"), "race@example.com")),
                )
                .await
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        let response = task.await.unwrap();
        if response.status != 201 {
            assert_problem(&response, 409);
        }
        statuses.push(response.status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        19,
        "{statuses:?}"
    );
    let listed = app
        .send("GET", "/people?email=race@example.com", &[], None)
        .await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.stored_count().await,
        2,
        "one person and one email claim"
    );
}

#[tokio::test]
async fn pagination_returns_every_person_exactly_once_newest_first() {
    let app = TestApp::new().await;
    let service = PeopleService::new(app.table.clone());
    let mut created = Vec::new();
    for i in 0..250 {
        let input = people::PersonInput {
            name: format!("Person {i:03}"),
            email: format!("p{i}@example.com"),
            ..Default::default()
        };
        created.push(service.create(input).await.unwrap().id.to_string());
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/people?limit=7&cursor={c}"),
            None => "/people?limit=7".to_owned(),
        };
        let page = app.send("GET", &path, &[], None).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 7);
        seen.extend(items.iter().map(|p| p["id"].as_str().unwrap().to_owned()));
        pages += 1;
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => {
                assert_eq!(page.body["next_cursor"], Value::Null);
                break;
            }
        }
    }
    assert_eq!(
        pages, 36,
        "250 / 7 rounds up to 36 pages, with no empty last page"
    );
    assert_eq!(seen.len(), 250);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        250,
        "no person twice"
    );
    let mut newest_first = created.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);

    let default_page = app.send("GET", "/people", &[], None).await;
    assert_eq!(default_page.body["items"].as_array().unwrap().len(), 20);
}

#[tokio::test]
async fn filters_by_tag_name_prefix_and_email() {
    let app = TestApp::new().await;
    for (name, email, tags) in [
        ("Ada Lovelace", "ada@example.com", json!(["math", "poet"])),
        ("Alan Turing", "alan@example.com", json!(["math"])),
        ("Grace Hopper", "grace@example.com", json!(["navy"])),
        ("adam smith", "adam@example.com", json!([])),
    ] {
        let body = json!({ "name": name, "email": email, "tags": tags }).to_string();
        assert_eq!(
            app.send("POST", "/people", &[JSON], Some(&body))
                .await
                .status,
            201
        );
    }
    let names = |r: &Response| -> Vec<String> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(&app.send("GET", "/people?tag=MATH", &[], None).await),
        ["Alan Turing", "Ada Lovelace"]
    );
    assert_eq!(
        names(&app.send("GET", "/people?name_prefix=ad", &[], None).await),
        ["adam smith", "Ada Lovelace"]
    );
    assert_eq!(
        names(
            &app.send("GET", "/people?name_prefix=Ada&tag=poet", &[], None)
                .await
        ),
        ["Ada Lovelace"]
    );
    assert_eq!(
        names(
            &app.send("GET", "/people?email=Grace@Example.com", &[], None)
                .await
        ),
        ["Grace Hopper"]
    );
    assert!(
        names(
            &app.send("GET", "/people?email=nobody@example.com", &[], None)
                .await
        )
        .is_empty()
    );
    assert!(
        names(
            &app.send("GET", "/people?email=grace@example.com&tag=math", &[], None)
                .await
        )
        .is_empty()
    );

    // A selective filter still fills pages and pages through everything exactly once.
    let first = app.send("GET", "/people?tag=math&limit=1", &[], None).await;
    assert_eq!(names(&first), ["Alan Turing"]);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = app
        .send(
            "GET",
            &format!("/people?tag=math&limit=1&cursor={cursor}"),
            &[],
            None,
        )
        .await;
    assert_eq!(names(&second), ["Ada Lovelace"]);
}

#[tokio::test]
async fn tampered_or_malformed_cursors_are_400() {
    let app = TestApp::new().await;
    for i in 0..3 {
        app.create(&format!("P{i}"), &format!("p{i}@example.com"))
            .await;
    }
    let page = app.send("GET", "/people?limit=1", &[], None).await;
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();

    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut decoded: Value = serde_json::from_slice(&engine.decode(&cursor).unwrap()).unwrap();
    decoded["gsi1pk"] = json!({"S": "ORDER"});
    let foreign = engine.encode(decoded.to_string());
    decoded.as_object_mut().unwrap().remove("gsi1pk");
    let truncated = engine.encode(decoded.to_string());
    let mut flipped = cursor.clone().into_bytes();
    flipped[3] = if flipped[3] == b'A' { b'%' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();

    for bad in [
        "not-a-cursor",
        "%%%",
        &foreign,
        &truncated,
        &flipped,
        &engine.encode("[]"),
    ] {
        let response = app
            .send("GET", &format!("/people?cursor={bad}"), &[], None)
            .await;
        assert_problem(&response, 400);
        assert_eq!(
            response.field_errors()[0].0,
            "cursor",
            "{bad}: {}",
            response.body
        );
    }
    let ok = app
        .send(
            "GET",
            &format!("/people?limit=1&cursor={cursor}"),
            &[],
            None,
        )
        .await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn validation_names_each_field_and_rule() {
    let app = TestApp::new().await;
    let cases: &[(&str, &[(&str, &str)])] = &[
        (r#"{"email":"a@b.io"}"#, &[("name", "is required")]),
        (r#"{"name":"   ","email":"a@b.io"}"#, &[("name", "length")]),
        (
            &format!(r#"{{"name":"{}","email":"a@b.io"}}"#, "x".repeat(101)),
            &[("name", "length")],
        ),
        (
            r#"{"name":"A","email":"not-an-email"}"#,
            &[("email", "email")],
        ),
        (
            r#"{"name":"A","email":"a@b.io","phone":"12"}"#,
            &[("phone", "international")],
        ),
        (
            r#"{"name":"A","email":"a@b.io","tags":["ok","bad tag"]}"#,
            &[("tags[1]", "letters")],
        ),
        (
            r#"{"name":"A","email":"a@b.io","tags":["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q","r","s","t","u"]}"#,
            &[("tags", "length")],
        ),
        (
            &format!(
                r#"{{"name":"A","email":"a@b.io","tags":["{}"]}}"#,
                "t".repeat(33)
            ),
            &[("tags[0]", "length")],
        ),
        (
            r#"{"name":"A","email":"a@b.io","nickname":"x"}"#,
            &[("nickname", "not a known field")],
        ),
        (
            r#"{"name":"A","email":"a@b.io","id":"x","version":3}"#,
            &[
                ("id", "set by the server"),
                ("version", "set by the server"),
            ],
        ),
        (
            r#"{"name":1,"email":"a@b.io","tags":"x"}"#,
            &[("name", "must be a string"), ("tags", "array")],
        ),
        (r#"[1,2]"#, &[("body", "object")]),
    ];
    for (body, expected) in cases {
        let response = app.send("POST", "/people", &[JSON], Some(body)).await;
        assert_problem(&response, 400);
        let errors = response.field_errors();
        for (field, fragment) in *expected {
            assert!(
                errors
                    .iter()
                    .any(|(f, m)| f == field && m.contains(fragment)),
                "{body}: expected {field} ~ {fragment}, got {errors:?}"
            );
        }
    }
    assert_eq!(app.stored_count().await, 0, "nothing invalid was stored");
}

#[tokio::test]
async fn malformed_requests_get_clear_4xx() {
    let app = TestApp::new().await;
    let malformed = app
        .send("POST", "/people", &[JSON], Some(r#"{"name": "A",, }"#))
        .await;
    assert_problem(&malformed, 400);
    assert!(
        malformed.body["detail"]
            .as_str()
            .unwrap()
            .contains("line 1 column"),
        "{}",
        malformed.body
    );

    assert_problem(
        &app.send("POST", "/people", &[], Some(&person("A", "a@b.io")))
            .await,
        415,
    );
    assert_problem(
        &app.send(
            "POST",
            "/people",
            &[("content-type", "text/plain")],
            Some("x"),
        )
        .await,
        415,
    );
    let latin1 = [("content-type", "application/json; charset=iso-8859-1")];
    assert_problem(
        &app.send("POST", "/people", &latin1, Some(&person("A", "a@b.io")))
            .await,
        415,
    );

    let big =
        json!({ "name": "A", "email": "a@b.io", "tags": ["x".repeat(70 * 1024)] }).to_string();
    assert_problem(&app.send("POST", "/people", &[JSON], Some(&big)).await, 413);

    let bad_id = app.send("GET", "/people/not-a-ulid", &[], None).await;
    assert_problem(&bad_id, 400);
    assert_eq!(bad_id.field_errors()[0].0, "id");
    assert_problem(
        &app.send("PUT", "/people/123", &[JSON], Some(&person("A", "a@b.io")))
            .await,
        400,
    );

    assert_problem(&app.send("GET", "/nothing/here", &[], None).await, 404);
    assert_problem(&app.send("GET", "/people/a/b", &[], None).await, 404);
    let wrong_method = app.send("PATCH", "/people", &[], None).await;
    assert_problem(&wrong_method, 405);
    assert!(wrong_method.header("allow").unwrap().contains("POST"));
    assert_problem(
        &app.send(
            "POST",
            &format!("/people/{}", people::PersonId::generate()),
            &[],
            None,
        )
        .await,
        405,
    );

    let limit = app
        .send("GET", "/people?limit=500&colour=red", &[], None)
        .await;
    assert_problem(&limit, 400);
    let fields: Vec<String> = limit.field_errors().into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["limit", "colour"]);
}

#[tokio::test]
async fn base64_bodies_from_cargo_lambda_watch_are_decoded() {
    let app = TestApp::new().await;
    let mut event = request(
        "POST",
        "/people",
        &[("content-type", "application/json; charset=utf-8")],
        None,
    );
    event.body = Some(
        base64::engine::general_purpose::STANDARD.encode(person("Linus", "linus@example.com")),
    );
    event.is_base64_encoded = true;
    let response = app.send_to(Function::Put, event).await;
    assert_eq!(response.status, 201, "{}", response.body);
    assert_eq!(response.body["name"], "Linus");
}

#[tokio::test]
async fn cors_follows_allowed_origins() {
    let app = TestApp::with_origins(AllowedOrigins::parse(
        "https://app.example.com, https://admin.example.com",
    ))
    .await;
    let allowed = app
        .send(
            "GET",
            "/people",
            &[("origin", "https://app.example.com")],
            None,
        )
        .await;
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert!(
        allowed
            .header("access-control-expose-headers")
            .unwrap()
            .contains("etag")
    );
    let other = app
        .send(
            "GET",
            "/people",
            &[("origin", "https://evil.example.com")],
            None,
        )
        .await;
    assert_eq!(other.header("access-control-allow-origin"), None);
    let preflight = app
        .send(
            "OPTIONS",
            "/people/x",
            &[("origin", "https://admin.example.com")],
            None,
        )
        .await;
    assert_eq!(preflight.status, 204);
    assert!(
        preflight
            .header("access-control-allow-methods")
            .unwrap()
            .contains("PUT")
    );

    let open = TestApp::new().await;
    assert_eq!(
        open.send("GET", "/people", &[], None)
            .await
            .header("access-control-allow-origin"),
        Some("*")
    );
}

#[tokio::test]
async fn unreachable_dynamodb_is_503_with_retry_after() {
    let port = dynamodb_local::free_port();
    let client = dynamodb_local::client_for(&format!("http://127.0.0.1:{port}"));
    let app = TestApp {
        table: Table::new(client, "people", table_spec()),
        origins: AllowedOrigins::Any,
    };
    let response = app
        .send(
            "GET",
            &format!("/people/{}", people::PersonId::generate()),
            &[],
            None,
        )
        .await;
    assert_problem(&response, 503);
    assert_eq!(response.header("retry-after"), Some("1"));
}

#[tokio::test]
async fn unexpected_failures_are_500_without_internals() {
    let client = dynamodb_local::shared().client();
    let app = TestApp {
        table: Table::new(client, "no-such-table", table_spec()),
        origins: AllowedOrigins::Any,
    };
    let response = app
        .send(
            "POST",
            "/people",
            &[JSON],
            Some(&person("A", "a@example.com")),
        )
        .await;
    assert_problem(&response, 500);
    let text = response.body.to_string();
    let request_id = response.header("x-request-id").unwrap();
    assert!(
        response.body["detail"]
            .as_str()
            .unwrap()
            .contains(request_id)
    );
    assert!(
        !text.contains("ResourceNotFound") && !text.contains("no-such-table"),
        "{text}"
    );
}

#[tokio::test]
async fn each_function_serves_only_its_routes() {
    let app = TestApp::new().await;
    let response = app
        .send_to(
            Function::Get,
            request("POST", "/people", &[JSON], Some(&person("A", "a@b.io"))),
        )
        .await;
    assert_problem(&response, 500);
    assert_eq!(app.stored_count().await, 0);
}

const MERGE_PATCH: (&str, &str) = ("content-type", "application/merge-patch+json");

#[tokio::test]
async fn patch_changes_only_the_named_fields() {
    let app = TestApp::new().await;
    let body = json!({"name": "Ada", "email": "ada@example.com", "phone": "+442079460958", "tags": ["math"]});
    let created = app
        .send("POST", "/people", &[JSON], Some(&body.to_string()))
        .await;
    let path = format!("/people/{}", created.body["id"].as_str().unwrap());

    let renamed = app
        .send(
            "PATCH",
            &path,
            &[MERGE_PATCH, ("if-match", "\"v1\"")],
            Some(r#"{"name":"  Augusta Ada "}"#),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.header("etag"), Some("\"v2\""));
    assert_eq!(renamed.body["name"], "Augusta Ada");
    assert_eq!(
        renamed.body["phone"], "+442079460958",
        "fields not in the patch are kept"
    );
    assert_eq!(renamed.body["tags"], json!(["math"]));
    assert_eq!(renamed.body["created_at"], created.body["created_at"]);
    assert_ne!(renamed.body["updated_at"], created.body["updated_at"]);
    assert_eq!(app.send("GET", &path, &[], None).await.body, renamed.body);
    let by_prefix = app
        .send("GET", "/people?name_prefix=augusta", &[], None)
        .await;
    assert_eq!(
        by_prefix.body["items"].as_array().unwrap().len(),
        1,
        "the search copy follows the new name"
    );

    let cleared = app
        .send(
            "PATCH",
            &path,
            &[MERGE_PATCH],
            Some(r#"{"phone":null,"tags":["Poet"]}"#),
        )
        .await;
    assert_eq!(cleared.status, 200, "{}", cleared.body);
    assert_eq!(cleared.body["phone"], Value::Null);
    assert_eq!(cleared.body["tags"], json!(["poet"]));
    assert_eq!(cleared.body["version"], 3);

    let unchanged = app.send("PATCH", &path, &[MERGE_PATCH], Some("{}")).await;
    assert_eq!(unchanged.status, 200);
    assert_eq!(
        unchanged.body, cleared.body,
        "an empty patch writes nothing"
    );
}

#[tokio::test]
async fn patch_moves_the_email_claim_and_keeps_emails_unique() {
    let app = TestApp::new().await;
    let ada = app.create("Ada", "ada@example.com").await;
    app.create("Bob", "bob@example.com").await;
    let path = format!("/people/{}", ada.body["id"].as_str().unwrap());

    let taken = app
        .send(
            "PATCH",
            &path,
            &[MERGE_PATCH],
            Some(r#"{"email":"BOB@example.com"}"#),
        )
        .await;
    assert_problem(&taken, 409);
    assert_eq!(
        app.send("GET", &path, &[], None).await.body,
        ada.body,
        "nothing changed"
    );

    let moved = app
        .send(
            "PATCH",
            &path,
            &[MERGE_PATCH, ("if-match", "\"v1\"")],
            Some(r#"{"email":" Ada@Lovelace.org "}"#),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.body["email"], "ada@lovelace.org");
    assert_eq!(moved.body["version"], 2);
    app.create("Another Ada", "ada@example.com").await; // the old email was released
    assert_problem(
        &app.send(
            "POST",
            "/people",
            &[JSON],
            Some(&person("X", "ada@lovelace.org")),
        )
        .await,
        409,
    );
    assert_eq!(app.stored_count().await, 6, "three people, three claims");
}

#[tokio::test]
async fn patch_errors() {
    let app = TestApp::new().await;
    let created = app.create("Grace", "grace@example.com").await;
    let path = format!("/people/{}", created.body["id"].as_str().unwrap());

    assert_problem(
        &app.send("PATCH", &path, &[JSON], Some(r#"{"name":"X"}"#))
            .await,
        415,
    );
    let required = app
        .send(
            "PATCH",
            &path,
            &[MERGE_PATCH],
            Some(r#"{"name":null,"email":"bad","version":9}"#),
        )
        .await;
    assert_problem(&required, 400);
    let fields: Vec<String> = required
        .field_errors()
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert_eq!(fields, ["version", "name"]);
    let invalid = app
        .send(
            "PATCH",
            &path,
            &[MERGE_PATCH],
            Some(r#"{"email":"not-an-email"}"#),
        )
        .await;
    assert_problem(&invalid, 400);
    assert_eq!(invalid.field_errors()[0].0, "email");
    assert_problem(
        &app.send(
            "PATCH",
            &path,
            &[MERGE_PATCH, ("if-match", "\"v7\"")],
            Some(r#"{"name":"Y"}"#),
        )
        .await,
        412,
    );
    assert_problem(
        &app.send("PATCH", &path, &[MERGE_PATCH], Some("{oops"))
            .await,
        400,
    );
    let missing = format!("/people/{}", people::PersonId::generate());
    assert_problem(
        &app.send("PATCH", &missing, &[MERGE_PATCH], Some(r#"{"name":"Z"}"#))
            .await,
        404,
    );
    assert_eq!(
        app.send("GET", &path, &[], None).await.body,
        created.body,
        "no failed patch changed anything"
    );
}
