use serde_json::{Value, json};

use crate::helpers::*;

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
    let v1 = created.header("etag").unwrap().to_owned();
    assert!(v1.starts_with("\"v1.") && v1.ends_with('"'), "{v1}");
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
    assert_eq!(read.header("etag"), Some(v1.as_str()));

    let not_modified = app
        .send(
            "GET",
            &format!("/people/{id}"),
            &[("if-none-match", &v1)],
            None,
        )
        .await;
    assert_eq!(not_modified.status, 304);

    let replaced = app
        .send(
            "PUT",
            &format!("/people/{id}"),
            &[JSON, ("if-match", &v1)],
            Some(&person("Ada King", "ada@example.com")),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    let v2 = replaced.header("etag").unwrap().to_owned();
    assert!(v2.starts_with("\"v2."), "{v2}");
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
            &[("if-match", &v2)],
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
    let v1 = created.header("etag").unwrap().to_owned();
    let first = app
        .send(
            "PUT",
            &path,
            &[JSON, ("if-match", &v1)],
            Some(&person("Alan T", "alan@example.com")),
        )
        .await;
    assert_eq!(first.status, 200);

    let stale = app
        .send(
            "PUT",
            &path,
            &[JSON, ("if-match", &v1)],
            Some(&person("Stale", "stale@example.com")),
        )
        .await;
    assert_problem(&stale, 412);
    let stale_delete = app.send("DELETE", &path, &[("if-match", &v1)], None).await;
    assert_problem(&stale_delete, 412);
    let weak = app
        .send(
            "PUT",
            &path,
            &[
                JSON,
                ("if-match", &format!("W/{}", first.header("etag").unwrap())),
            ],
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
            &[JSON, ("if-match", &v1)],
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

#[tokio::test]
async fn an_entity_tag_never_matches_a_later_person_with_the_same_id() {
    let app = TestApp::new().await;
    let path = format!("/people/{}", people::PersonId::generate());
    let first = app
        .send(
            "PUT",
            &path,
            &[JSON],
            Some(&person("Ada", "ada@example.com")),
        )
        .await;
    assert_eq!(first.status, 201);
    let old = first.header("etag").unwrap().to_owned();
    assert_eq!(app.send("DELETE", &path, &[], None).await.status, 204);
    let again = app
        .send(
            "PUT",
            &path,
            &[JSON],
            Some(&person("Grace", "grace@example.com")),
        )
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body["version"], 1, "the version starts again");
    assert_ne!(again.header("etag"), Some(old.as_str()), "the tag does not");
    let stale = app
        .send(
            "PUT",
            &path,
            &[JSON, ("if-match", &old)],
            Some(&person("Old", "old@example.com")),
        )
        .await;
    assert_problem(&stale, 412);
    let stale = app.send("DELETE", &path, &[("if-match", &old)], None).await;
    assert_problem(&stale, 412);
    let cached = app
        .send("GET", &path, &[("if-none-match", &old)], None)
        .await;
    assert_eq!(
        cached.status, 200,
        "a cached copy of the old person is not current"
    );
    assert_eq!(
        app.send("GET", &path, &[], None).await.body["name"],
        "Grace"
    );
}
