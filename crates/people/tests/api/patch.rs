use serde_json::{Value, json};

use crate::helpers::*;

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
            &[MERGE_PATCH, ("if-match", created.header("etag").unwrap())],
            Some(r#"{"name":"  Augusta Ada "}"#),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert!(renamed.header("etag").unwrap().starts_with("\"v2."));
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
            &[MERGE_PATCH, ("if-match", ada.header("etag").unwrap())],
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
