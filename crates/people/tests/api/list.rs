use std::collections::HashSet;

use base64::Engine;
use serde_json::{Value, json};

use crate::helpers::*;
use people::PeopleService;

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
        created.push(
            service
                .create(input, &people::Actor::anyone())
                .await
                .unwrap()
                .id
                .to_string(),
        );
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

/// An app with three people and the cursor of its first page of one, as text and decoded.
async fn app_with_a_cursor() -> (TestApp, String, Value) {
    let app = TestApp::new().await;
    for i in 0..3 {
        app.create(&format!("P{i}"), &format!("p{i}@example.com"))
            .await;
    }
    let page = app.send("GET", "/people?limit=1", &[], None).await;
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let decoded = serde_json::from_slice(&engine.decode(&cursor).unwrap()).unwrap();
    (app, cursor, decoded)
}

#[tokio::test]
async fn tampered_or_malformed_cursors_are_400() {
    let (app, cursor, mut decoded) = app_with_a_cursor().await;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
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
async fn cursors_must_fit_the_index_key_schema() {
    let (app, _, decoded) = app_with_a_cursor().await;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let with = |name: &str, value: Value| {
        let mut forged = decoded.clone();
        forged[name] = value;
        engine.encode(forged.to_string())
    };
    let rejected = [
        with("gsi1sk", json!({"N": "1"})),
        with("pk", json!({"N": "1"})),
        with("sk", json!({"B": "AAE="})),
        with("gsi1sk", json!({"S": ""})),
        with("pk", json!({"S": ""})),
        with("sk", json!({"S": ""})),
        with("gsi1sk", json!({"S": "x".repeat(1025)})),
        with("pk", json!({"S": "x".repeat(2049)})),
        with("gsi1sk", json!({"N": "1e999"})),
        with("gsi1sk", json!({"B": "%%"})),
        with("gsi1sk", json!({"L": []})),
        with("gsi1sk", json!({"S": 7})),
    ];
    for bad in &rejected {
        let response = app
            .send("GET", &format!("/people?cursor={bad}"), &[], None)
            .await;
        assert_problem(&response, 400);
        assert_eq!(response.field_errors()[0].0, "cursor", "{}", response.body);
    }
    // Well-typed positions that no page handed out are still positions: a page or a 400, never a 5xx.
    for forged in [
        with("gsi1sk", json!({"S": "~"})),
        with("gsi1sk", json!({"S": "x".repeat(1024)})),
        with("pk", json!({"S": "x".repeat(2048)})),
        with("sk", json!({"S": "NOT-A-PROFILE"})),
    ] {
        let response = app
            .send(
                "GET",
                &format!("/people?cursor={forged}&tag=math"),
                &[],
                None,
            )
            .await;
        assert!(
            response.status == 200 || response.status == 400,
            "{} {}",
            response.status,
            response.body
        );
    }
}
