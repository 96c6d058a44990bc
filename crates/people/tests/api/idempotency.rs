//! `Idempotency-Key`: a retried write gets its first answer without a second write; a key reused for
//! another request is 422; a key is the caller's own; a failure is not kept.

use std::sync::atomic::Ordering;

use people::PeopleService;
use people::fixtures::{authorized, request};
use people::service::Claimed;
use serde_json::Value;

use crate::faults::with_fault;
use crate::helpers::*;

fn key(k: &str) -> (&'static str, &str) {
    ("idempotency-key", k)
}

#[tokio::test]
async fn a_retried_create_gets_its_first_answer_without_a_second_person() {
    let app = TestApp::new().await;
    let body = person("Ada", "ada@example.com");
    let first = app
        .send("POST", "/people", &[JSON, key("create-ada-1")], Some(&body))
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.header("idempotent-replayed"), None);
    let retry = app
        .send("POST", "/people", &[JSON, key("create-ada-1")], Some(&body))
        .await;
    assert_eq!(retry.status, 201, "not 409 email-taken: {}", retry.body);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.body, first.body);
    for name in ["location", "etag", "content-type"] {
        assert_eq!(retry.header(name), first.header(name), "{name}");
    }
    assert_eq!(
        app.stored_count().await,
        3,
        "one person, its email claim and the idempotency record"
    );

    let other_body = app
        .send(
            "POST",
            "/people",
            &[JSON, key("create-ada-1")],
            Some(&person("Grace", "grace@example.com")),
        )
        .await;
    assert_problem(&other_body, 422);
    assert_eq!(other_body.body["type"], "/problems/idempotency-key-reused");
    assert_eq!(other_body.field_errors()[0].0, "Idempotency-Key");

    // Without a key, a retry is a new request, and this one conflicts with the first.
    let unkeyed = app.send("POST", "/people", &[JSON], Some(&body)).await;
    assert_problem(&unkeyed, 409);
}

#[tokio::test]
async fn retried_patches_deletes_and_errors_answer_as_the_first_time() {
    let app = TestApp::new().await;
    let created = app.create("Ada", "ada@example.com").await;
    let item = format!("/people/{}", created.body["id"].as_str().unwrap());
    let etag = created.header("etag").unwrap().to_owned();
    let patch = r#"{"name":"Ada King"}"#;
    let headers = [MERGE_PATCH, ("if-match", etag.as_str()), key("patch-1")];
    let first = app.send("PATCH", &item, &headers, Some(patch)).await;
    assert_eq!(first.status, 200, "{}", first.body);
    // The first answer was lost; the client retries with the same precondition and key.
    let retry = app.send("PATCH", &item, &headers, Some(patch)).await;
    assert_eq!(retry.status, 200, "not 412: {}", retry.body);
    assert_eq!(retry.body, first.body);
    assert_eq!(app.send("GET", &item, &[], None).await.body["version"], 2);

    // A 4xx is an answer too: kept and replayed.
    let invalid = [MERGE_PATCH, key("patch-2")];
    let bad = app
        .send("PATCH", &item, &invalid, Some(r#"{"email":"nope"}"#))
        .await;
    assert_problem(&bad, 400);
    let bad_again = app
        .send("PATCH", &item, &invalid, Some(r#"{"email":"nope"}"#))
        .await;
    assert_eq!(bad_again.status, 400);
    assert_eq!(
        bad_again.body, bad.body,
        "the same document, request id included"
    );
    assert_eq!(bad_again.header("idempotent-replayed"), Some("true"));

    let deleted = app.send("DELETE", &item, &[key("delete-1")], None).await;
    assert_eq!(deleted.status, 204);
    let again = app.send("DELETE", &item, &[key("delete-1")], None).await;
    assert_eq!(again.status, 204, "not 404: {}", again.body);
    assert_eq!(again.body, Value::Null);
}

#[tokio::test]
async fn keys_must_be_short_visible_ascii() {
    let app = TestApp::new().await;
    let long = "k".repeat(256);
    for bad in ["", "   ", long.as_str(), "ключ", "a b"] {
        let response = app
            .send(
                "POST",
                "/people",
                &[JSON, key(bad)],
                Some(&person("A", "a@example.com")),
            )
            .await;
        assert_problem(&response, 400);
        assert_eq!(response.field_errors()[0].0, "Idempotency-Key", "{bad:?}");
    }
    assert_eq!(app.stored_count().await, 0);
    // Reads ignore the header.
    let list = app.send("GET", "/people", &[key("")], None).await;
    assert_eq!(list.status, 200);
}

#[tokio::test]
async fn a_key_belongs_to_its_caller() {
    let app = TestApp::verified().await;
    let send = |subject: &'static str, email: &'static str| {
        let event = authorized(
            request(
                "POST",
                "/people",
                &[JSON, key("same-key")],
                Some(&person("P", email)),
            ),
            subject,
            &["people/self"],
        );
        app.send_to(deployed_route("POST", "/people"), event)
    };
    let alice = send("alice", "alice@example.com").await;
    assert_eq!(alice.status, 201, "{}", alice.body);
    let bob = send("bob", "bob@example.com").await;
    assert_eq!(bob.status, 201, "{}", bob.body);
    assert_ne!(bob.body["id"], alice.body["id"]);
    assert_eq!(bob.header("idempotent-replayed"), None);
}

#[tokio::test]
async fn a_failure_is_not_kept_and_a_running_request_holds_its_key() {
    let (app, fault) = with_fault(
        "TransactWriteItems",
        crate::faults::TRANSACTION_THROTTLED,
        1,
    )
    .await;
    let body = person("Ada", "ada@example.com");
    let failed = app
        .send("POST", "/people", &[JSON, key("k1")], Some(&body))
        .await;
    assert_eq!(failed.status, 503);
    assert_eq!(fault.remaining.load(Ordering::SeqCst), 0);
    let retried = app
        .send("POST", "/people", &[JSON, key("k1")], Some(&body))
        .await;
    assert_eq!(retried.status, 201, "ran again: {}", retried.body);
    assert_eq!(retried.header("idempotent-replayed"), None);

    // While the first request with a key runs, the same request waits (409 over HTTP); once it has
    // answered, the answer is replayed.
    let service = PeopleService::new(app.table.clone());
    assert_eq!(service.claim_key("-#k2", "fp").await.unwrap(), Claimed::New);
    assert_eq!(
        service.claim_key("-#k2", "fp").await.unwrap(),
        Claimed::InProgress
    );
    assert_eq!(
        service.claim_key("-#k2", "other").await.unwrap(),
        Claimed::Mismatch
    );
    service
        .remember("-#k2", "fp", 204, Vec::new(), None)
        .await
        .unwrap();
    assert!(matches!(
        service.claim_key("-#k2", "fp").await.unwrap(),
        Claimed::Answered(record) if record.status == Some(204)
            && record.expires_at.unwrap() > time::OffsetDateTime::now_utc().unix_timestamp() + 23 * 3600
    ));
}
