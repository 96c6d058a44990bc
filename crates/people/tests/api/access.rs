//! Access control with `AUTH=on`: every route × {no token, wrong scope, someone else's person, own
//! person, write scope}, from the claims API Gateway's JWT authorizer hands the functions.

use people::PersonId;
use people::fixtures::{authorized, request};
use serde_json::{Value, json};

use crate::helpers::*;

const SELF: &[&str] = &["people/self"];
const WRITE: &[&str] = &["people/write"];
const READ: &[&str] = &["people/read"];
const OTHER_API: &[&str] = &["openid", "orders/write"];

impl TestApp {
    /// Sends the request as API Gateway does after verifying a token for `subject` with `scopes`
    /// (`None`: no token).
    async fn send_as(
        &self,
        token: Option<(&str, &[&str])>,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> Response {
        let headers: &[(&str, &str)] = match (method, body) {
            (_, None) => &[],
            ("PATCH", Some(_)) => &[MERGE_PATCH],
            _ => &[JSON],
        };
        let mut event = request(method, path, headers, body);
        if let Some((subject, scopes)) = token {
            event = authorized(event, subject, scopes);
        }
        let route = path.split('?').next().unwrap_or(path);
        self.send_to(deployed_route(method, route), event).await
    }
}

fn body(name: &str, email: &str) -> String {
    person(name, email)
}

/// Creates a person as `subject` with `scopes`; its path.
async fn create_as(app: &TestApp, subject: &str, scopes: &[&str], email: &str) -> String {
    let created = app
        .send_as(
            Some((subject, scopes)),
            "POST",
            "/people",
            Some(&body("P", email)),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert!(
        created.body.get("owner").is_none(),
        "the owner is never returned: {}",
        created.body
    );
    format!("/people/{}", created.body["id"].as_str().unwrap())
}

fn ids(page: &Response) -> Vec<String> {
    page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("/people/{}", p["id"].as_str().unwrap()))
        .collect()
}

#[tokio::test]
async fn every_route_needs_a_verified_identity() {
    let app = TestApp::verified().await;
    let item = create_as(&app, "admin", WRITE, "c@example.com").await;
    let patch = r#"{"name":"X"}"#;
    for (method, path, body) in [
        ("GET", "/people", None),
        ("HEAD", "/people", None),
        ("POST", "/people", Some(body("A", "a@example.com"))),
        ("GET", item.as_str(), None),
        ("HEAD", item.as_str(), None),
        ("PUT", item.as_str(), Some(body("A", "a@example.com"))),
        ("PATCH", item.as_str(), Some(patch.to_owned())),
        ("DELETE", item.as_str(), None),
    ] {
        let response = app.send_as(None, method, path, body.as_deref()).await;
        assert_eq!(response.status, 401, "{method} {path}: {}", response.body);
        assert_eq!(response.header("www-authenticate"), Some("Bearer"));
        if method != "HEAD" {
            assert_problem(&response, 401);
        }
        // A subject OpenID Connect would not issue is no identity either.
        let long = "s".repeat(256);
        let response = app
            .send_as(Some((&long, WRITE)), method, path, body.as_deref())
            .await;
        assert_eq!(response.status, 401, "{method} {path}: {}", response.body);
    }
    assert_eq!(
        app.stored_count().await,
        2,
        "nothing written without a token"
    );
}

#[tokio::test]
async fn scopes_decide_what_a_caller_may_do() {
    let app = TestApp::verified().await;
    let item = create_as(&app, "admin", WRITE, "c@example.com").await;
    let new_item = format!("/people/{}", PersonId::generate());
    let writes = [
        ("POST", "/people", Some(body("A", "a@example.com"))),
        ("PUT", item.as_str(), Some(body("A", "a@example.com"))),
        ("PUT", new_item.as_str(), Some(body("B", "b@example.com"))),
        ("PATCH", item.as_str(), Some(r#"{"name":"X"}"#.to_owned())),
        ("DELETE", item.as_str(), None),
    ];
    let reads = [
        ("GET", "/people"),
        ("GET", item.as_str()),
        ("HEAD", item.as_str()),
    ];
    for (method, path, body) in &writes {
        for scopes in [READ, OTHER_API, &[][..]] {
            let response = app
                .send_as(Some(("reader", scopes)), method, path, body.as_deref())
                .await;
            assert_problem(&response, 403);
            assert!(
                response.body["detail"]
                    .as_str()
                    .unwrap()
                    .contains("people/write, people/self"),
                "{}",
                response.body
            );
        }
    }
    for (method, path) in reads {
        let response = app
            .send_as(Some(("x", OTHER_API)), method, path, None)
            .await;
        assert_eq!(response.status, 403, "{method} {path}");
        for scopes in [READ, WRITE] {
            let response = app
                .send_as(Some(("reader", scopes)), method, path, None)
                .await;
            assert_eq!(response.status, 200, "{method} {path} {scopes:?}");
        }
    }
    let read = app
        .send_as(Some(("reader", READ)), "GET", &item, None)
        .await;
    assert_eq!(read.body["version"], 1, "no write went through");
    assert_eq!(app.stored_count().await, 2);
}

#[tokio::test]
async fn people_self_acts_on_its_own_person_only() {
    let app = TestApp::verified().await;
    let alice = Some(("alice", SELF));
    let empty = app.send_as(alice, "GET", "/people", None).await;
    assert_eq!(ids(&empty), Vec::<String>::new());
    let own = create_as(&app, "alice", SELF, "alice@example.com").await;
    let bobs = create_as(&app, "bob", SELF, "bob@example.com").await;
    let admins = create_as(&app, "admin", WRITE, "admin@example.com").await;

    // Someone else's person: 403 on every item route, and nothing changes.
    for other in [&bobs, &admins] {
        for (method, body) in [
            ("GET", None),
            ("HEAD", None),
            ("PUT", Some(body("Alice", "alice2@example.com"))),
            ("PATCH", Some(r#"{"name":"Mallory"}"#.to_owned())),
            ("DELETE", None),
        ] {
            let response = app.send_as(alice, method, other, body.as_deref()).await;
            assert_eq!(response.status, 403, "{method} {other}: {}", response.body);
            if method != "HEAD" {
                assert_problem(&response, 403);
            }
        }
    }
    // A second person of its own: 403, naming the one it has.
    let second = app
        .send_as(
            alice,
            "POST",
            "/people",
            Some(&body("A2", "alice3@example.com")),
        )
        .await;
    assert_problem(&second, 403);
    assert!(
        second.body["detail"].as_str().unwrap().contains(&own),
        "{}",
        second.body
    );
    let put_new = app
        .send_as(
            alice,
            "PUT",
            &format!("/people/{}", PersonId::generate()),
            Some(&body("A3", "a3@example.com")),
        )
        .await;
    assert_problem(&put_new, 403);

    // The list shows its own person only, with the filters applied.
    assert_eq!(
        ids(&app.send_as(alice, "GET", "/people", None).await),
        [own.as_str()]
    );
    let filtered = app
        .send_as(alice, "GET", "/people?email=bob%40example.com", None)
        .await;
    assert_eq!(ids(&filtered), Vec::<String>::new());

    // Its own person: everything.
    assert_eq!(app.send_as(alice, "GET", &own, None).await.status, 200);
    let replaced = app
        .send_as(
            alice,
            "PUT",
            &own,
            Some(&body("Alice", "alice@example.com")),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    let patched = app
        .send_as(alice, "PATCH", &own, Some(r#"{"tags":["me"]}"#))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert!(patched.body.get("owner").is_none());
    assert_eq!(app.send_as(alice, "DELETE", &own, None).await.status, 204);

    // Deleting it released the claim: a new one may be created, with PUT too.
    let again = format!("/people/{}", PersonId::generate());
    let created = app
        .send_as(
            alice,
            "PUT",
            &again,
            Some(&body("Alice", "alice@example.com")),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);

    for path in [&bobs, &admins] {
        let read = app.send_as(Some(("admin", READ)), "GET", path, None).await;
        assert_eq!(read.body["version"], 1, "{path}: {}", read.body);
    }
}

#[tokio::test]
async fn people_write_acts_on_anyones_person() {
    let app = TestApp::verified().await;
    let bobs = create_as(&app, "bob", SELF, "bob@example.com").await;
    let admin = Some(("admin", WRITE));
    let listed = app.send_as(admin, "GET", "/people", None).await;
    assert_eq!(ids(&listed), [bobs.as_str()]);
    let all: Vec<Value> = listed.body["items"].as_array().unwrap().clone();
    assert!(all.iter().all(|p| p.get("owner").is_none()));
    let replaced = app
        .send_as(admin, "PUT", &bobs, Some(&body("Bob", "bob@example.com")))
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    let patched = app
        .send_as(admin, "PATCH", &bobs, Some(r#"{"phone":"+14155550100"}"#))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    // Bob still owns it after the admin's writes.
    let bob = Some(("bob", SELF));
    assert_eq!(app.send_as(bob, "GET", &bobs, None).await.status, 200);
    assert_eq!(app.send_as(admin, "DELETE", &bobs, None).await.status, 204);
    // The admin's delete released Bob's claim.
    let created = app
        .send_as(
            bob,
            "POST",
            "/people",
            Some(&body("Bob", "bob@example.com")),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let stored = json!(app.stored_count().await);
    assert_eq!(stored, 3, "person, email claim and owner claim");
}
