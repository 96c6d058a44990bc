use base64::Engine;
use people::AllowedOrigins;
use people::Function;
use people::fixtures::request;
use serde_json::json;

use crate::helpers::*;

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
async fn bodies_are_read_strictly_and_answered_briefly() {
    let app = TestApp::new().await;
    let twice = app
        .send(
            "POST",
            "/people",
            &[JSON],
            Some(r#"{"name":"Ada","email":"ada@example.com","name":"Mallory"}"#),
        )
        .await;
    assert_problem(&twice, 400);
    assert_eq!(twice.body["type"], "/problems/malformed-json");
    assert!(
        twice.body["detail"]
            .as_str()
            .unwrap()
            .contains("\"name\" is given twice"),
        "{}",
        twice.body
    );

    // One 64 KiB body that breaks a rule thousands of times gets a small answer.
    let tags = vec![json!(1); 20_000];
    let body = json!({"name": "Ada", "email": "ada@example.com", "tags": tags}).to_string();
    assert!(body.len() < 64 * 1024);
    let many = app.send("POST", "/people", &[JSON], Some(&body)).await;
    assert_problem(&many, 400);
    assert_eq!(many.body["errors"].as_array().unwrap().len(), 20);
    assert_eq!(many.body["errors_omitted"], 20_000 - 20);
    assert!(
        many.body.to_string().len() < 4096,
        "{}",
        many.body.to_string().len()
    );

    let long_name = "x".repeat(60_000);
    let unknown = app
        .send(
            "POST",
            "/people",
            &[JSON],
            Some(&format!(r#"{{"{long_name}":1}}"#)),
        )
        .await;
    assert_problem(&unknown, 400);
    assert!(unknown.body.to_string().len() < 4096);

    assert_eq!(app.stored_count().await, 0);
}

#[tokio::test]
async fn names_are_normalised_and_must_be_visible() {
    let app = TestApp::new().await;
    let created = app
        .send(
            "POST",
            "/people",
            &[JSON],
            Some(&json!({"name": "Ame\u{301}lie", "email": "amelie@example.com"}).to_string()),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["name"], "Am\u{e9}lie");
    let found = app
        .send("GET", "/people?name_prefix=AME%CC%81", &[], None)
        .await;
    assert_eq!(
        found.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        found.body
    );
    for hidden in [
        "Ada\u{202E}ecalevol",
        "A\u{200B}da",
        "Ad\u{0007}a",
        "\u{2066}Ada",
    ] {
        let response = app
            .send(
                "POST",
                "/people",
                &[JSON],
                Some(&json!({"name": hidden, "email": "h@example.com"}).to_string()),
            )
            .await;
        assert_problem(&response, 400);
        assert_eq!(response.field_errors()[0].0, "name", "{hidden:?}");
    }
    let id = created.body["id"].as_str().unwrap();
    let patched = app
        .send(
            "PATCH",
            &format!("/people/{id}"),
            &[MERGE_PATCH],
            Some(&json!({"name": "Ada\u{202E}"}).to_string()),
        )
        .await;
    assert_problem(&patched, 400);
}
