//! Listing: pages, filters, and cursors: signed with the table's key, bound to the listing and its
//! filters, expiring, and still checked against the list index's key schema.

use std::collections::HashSet;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dynamodel::{CursorKey, Query};
use people::service::ListQuery;
use people::{Access, CursorKeyError, CursorKeys, Edge, Function, PeopleService};
use serde_json::{Value, json};

use crate::helpers::*;

/// The key the test apps sign cursors with.
fn test_key() -> CursorKey {
    CursorKey::new(b"the people API tests' cursor key, 32+ bytes").unwrap()
}

/// An app whose table signs cursors with [`test_key`], as the deployed list function's does.
async fn signed_app() -> TestApp {
    let mut app = TestApp::new().await;
    app.table = app.table.clone().with_cursor_key(test_key());
    app
}

/// The JSON payload of a signed cursor (its first part).
fn payload_of(cursor: &str) -> Value {
    let (payload, _tag) = cursor.split_once('.').expect("a signed cursor");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// Asserts a 400 problem naming the `cursor` field.
fn assert_cursor_refused(response: &Response, what: &str) {
    assert_problem(response, 400);
    assert_eq!(
        response.field_errors()[0].0,
        "cursor",
        "{what}: {}",
        response.body
    );
}

#[tokio::test]
async fn pagination_returns_every_person_exactly_once_newest_first() {
    let app = signed_app().await;
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
    let app = signed_app().await;
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

/// A signed app with three people and the cursor of its first page of one, as text and as the
/// decoded payload (`{"v", "e", "p"}`).
async fn app_with_a_cursor() -> (TestApp, String, Value) {
    let app = signed_app().await;
    for i in 0..3 {
        app.create(&format!("P{i}"), &format!("p{i}@example.com"))
            .await;
    }
    let page = app.send("GET", "/people?limit=1", &[], None).await;
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    let decoded = payload_of(&cursor);
    assert_eq!(decoded["v"], 1);
    (app, cursor, decoded)
}

/// The service of `app`, to forge cursors with its key.
fn service(app: &TestApp) -> PeopleService {
    PeopleService::new(app.table.clone())
}

#[tokio::test]
async fn tampered_or_malformed_cursors_are_400() {
    let (app, cursor, decoded) = app_with_a_cursor().await;
    let (_, tag) = cursor.split_once('.').unwrap();
    // The payload changed under the page's signature: another partition, another position, a later
    // expiry, or no partition key at all.
    let resigned =
        |payload: &Value| format!("{}.{tag}", URL_SAFE_NO_PAD.encode(payload.to_string()));
    let mut foreign = decoded.clone();
    foreign["p"]["gsi1pk"] = json!({"S": "ORDER"});
    let mut moved = decoded.clone();
    moved["p"]["gsi1sk"] = json!({"S": "~"});
    let mut extended = decoded.clone();
    extended["e"] = json!(decoded["e"].as_i64().unwrap() + 365 * 86_400);
    let mut truncated = decoded.clone();
    truncated["p"].as_object_mut().unwrap().remove("gsi1pk");
    // One character of the cursor changed, the tag cut short, the tag of another key.
    let mut flipped = cursor.clone().into_bytes();
    flipped[3] = if flipped[3] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    let short_tag = &cursor[..cursor.len() - 2];
    let other_key = {
        let other = app
            .table
            .clone()
            .with_cursor_key(CursorKey::new(&[7; 32]).unwrap());
        PeopleService::new(other).forge_list_cursor(&ListQuery::default(), &decoded)
    };
    // The position alone, unsigned, as cursors were before they were signed.
    let unsigned = URL_SAFE_NO_PAD.encode(decoded["p"].to_string());

    for bad in [
        "not-a-cursor",
        "%%%",
        ".",
        &resigned(&foreign),
        &resigned(&moved),
        &resigned(&extended),
        &resigned(&truncated),
        &flipped,
        short_tag,
        other_key.as_str(),
        &unsigned,
        &URL_SAFE_NO_PAD.encode("[]"),
    ] {
        let response = app
            .send("GET", &format!("/people?cursor={bad}"), &[], None)
            .await;
        assert_cursor_refused(&response, bad);
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
async fn cursors_are_bound_to_the_listing_and_its_filters() {
    let app = signed_app().await;
    for i in 0..3 {
        let body = json!({ "name": format!("Ada {i}"), "email": format!("a{i}@example.com"), "tags": ["a", "b"] });
        let created = app
            .send("POST", "/people", &[JSON], Some(&body.to_string()))
            .await;
        assert_eq!(created.status, 201);
    }
    let first = app.send("GET", "/people?tag=a&limit=1", &[], None).await;
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();

    // The same filters continue, with any page size: the limit is not bound.
    for same in ["tag=a&limit=1", "tag=A&limit=5", "limit=2&tag=a"] {
        let response = app
            .send("GET", &format!("/people?{same}&cursor={cursor}"), &[], None)
            .await;
        assert_eq!(response.status, 200, "{same}: {}", response.body);
    }
    // Other filters, or none, refuse it (every person has both tags: the positions would be valid).
    for other in ["tag=b", "", "tag=a&name_prefix=ada", "name_prefix=ada"] {
        let response = app
            .send(
                "GET",
                &format!("/people?{other}&cursor={cursor}"),
                &[],
                None,
            )
            .await;
        assert_cursor_refused(&response, other);
    }
    // A prefix binds as the filter uses it: lowercased.
    let by_prefix = app
        .send("GET", "/people?name_prefix=ADA&limit=1", &[], None)
        .await;
    let prefix_cursor = by_prefix.body["next_cursor"].as_str().unwrap();
    let same = app
        .send(
            "GET",
            &format!("/people?name_prefix=ada&cursor={prefix_cursor}"),
            &[],
            None,
        )
        .await;
    assert_eq!(same.status, 200, "{}", same.body);

    // The listing is newest first: a cursor of another listing of the same index and key (oldest
    // first, as a tool using the table would hand out) is refused, and the API's is refused there.
    let ascending = Query::index(people::model::LIST_INDEX, people::model::LIST_PARTITION).limit(1);
    let page = app.table.query::<people::Person>(&ascending).await.unwrap();
    let oldest_first = page.next.expect("more than one person");
    let response = app
        .send("GET", &format!("/people?cursor={oldest_first}"), &[], None)
        .await;
    assert_cursor_refused(&response, "an ascending listing's cursor");
    let err = app
        .table
        .query::<people::Person>(&ascending.after(Some(dynamodel::Cursor::parse(&cursor).unwrap())))
        .await
        .unwrap_err();
    assert!(matches!(err, dynamodel::Error::InvalidCursor(_)), "{err}");

    // The email filter finds at most one person: it hands out no cursor and takes none.
    let response = app
        .send(
            "GET",
            &format!("/people?email=a0@example.com&cursor={cursor}"),
            &[],
            None,
        )
        .await;
    assert_cursor_refused(&response, "email");
}

#[tokio::test]
async fn cursors_expire() {
    let mut app = signed_app().await;
    for i in 0..3 {
        app.create(&format!("P{i}"), &format!("p{i}@example.com"))
            .await;
    }
    // A table whose cursors live for no time at all: the next page is always too late.
    app.table = app.table.clone().with_cursor_lifetime(Duration::ZERO);
    let page = app.send("GET", "/people?limit=1", &[], None).await;
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    let response = app
        .send(
            "GET",
            &format!("/people?limit=1&cursor={cursor}"),
            &[],
            None,
        )
        .await;
    assert_cursor_refused(&response, "expired");

    // A cursor otherwise valid, signed with the key, whose expiry has passed; and the same one
    // unexpired, which works.
    let mut payload = payload_of(&cursor);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let service = service(&app);
    payload["e"] = json!(now - 1);
    let expired = service.forge_list_cursor(&ListQuery::default(), &payload);
    let response = app
        .send("GET", &format!("/people?cursor={expired}"), &[], None)
        .await;
    assert_cursor_refused(&response, "forged expired");
    payload["e"] = json!(now + 3600);
    let fresh = service.forge_list_cursor(&ListQuery::default(), &payload);
    let response = app
        .send("GET", &format!("/people?cursor={fresh}"), &[], None)
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
}

#[tokio::test]
async fn cursors_must_fit_the_index_key_schema() {
    let (app, _, decoded) = app_with_a_cursor().await;
    let service = service(&app);
    // Forged positions, signed with the app's key for the listing they are sent to, so they pass the
    // signature and reach the key-schema checks.
    let with = |query: &ListQuery, name: &str, value: Value| {
        let mut forged = decoded.clone();
        forged["p"][name] = value;
        service
            .forge_list_cursor(query, &forged)
            .as_str()
            .to_owned()
    };
    let all = ListQuery::default();
    let rejected = [
        with(&all, "gsi1sk", json!({"N": "1"})),
        with(&all, "pk", json!({"N": "1"})),
        with(&all, "sk", json!({"B": "AAE="})),
        with(&all, "gsi1sk", json!({"S": ""})),
        with(&all, "pk", json!({"S": ""})),
        with(&all, "sk", json!({"S": ""})),
        with(&all, "gsi1sk", json!({"S": "x".repeat(1025)})),
        with(&all, "pk", json!({"S": "x".repeat(2049)})),
        with(&all, "gsi1sk", json!({"N": "1e999"})),
        with(&all, "gsi1sk", json!({"B": "%%"})),
        with(&all, "gsi1sk", json!({"L": []})),
        with(&all, "gsi1sk", json!({"S": 7})),
        with(&all, "gsi1pk", json!({"S": "ORDER"})),
        with(&all, "extra", json!({"S": "x"})),
    ];
    for bad in &rejected {
        let response = app
            .send("GET", &format!("/people?cursor={bad}"), &[], None)
            .await;
        assert_cursor_refused(&response, bad);
    }
    // Well-typed positions that no page handed out are still positions: a page or a 400, never a 5xx.
    let math = ListQuery {
        tag: Some("math".into()),
        ..ListQuery::default()
    };
    for forged in [
        with(&math, "gsi1sk", json!({"S": "~"})),
        with(&math, "gsi1sk", json!({"S": "x".repeat(1024)})),
        with(&math, "pk", json!({"S": "x".repeat(2048)})),
        with(&math, "sk", json!({"S": "NOT-A-PROFILE"})),
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
        if response.status == 400 {
            assert_eq!(response.field_errors()[0].0, "cursor", "{}", response.body);
        }
    }
}

/// `GET /people{query}` through a list edge whose service takes its key from `keys`.
async fn list_with(app: &TestApp, keys: &CursorKeys, query: &str) -> Response {
    let edge = Edge::new(
        PeopleService::new(app.table.clone()).with_cursor_keys(keys.clone()),
        app.origins.clone(),
        Access::Open,
        Function::List,
    );
    let event = people::fixtures::request("GET", &format!("/people{query}"), &[], None);
    decode(
        edge.handle(people::fixtures::invocation(event))
            .await
            .expect("the edge never fails"),
    )
}

#[tokio::test]
async fn without_a_configured_key_development_signs_with_a_random_key_and_auth_on_refuses() {
    let app = TestApp::new().await;
    for i in 0..3 {
        app.create(&format!("P{i}"), &format!("p{i}@example.com"))
            .await;
    }
    // AUTH=off: a random key per process. Pages chain; another process (a restart) refuses them.
    let process = CursorKeys::random();
    let first = list_with(&app, &process, "?limit=1").await;
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    assert!(cursor.contains('.'), "signed: {cursor}");
    let second = list_with(&app, &process, &format!("?limit=1&cursor={cursor}")).await;
    assert_eq!(second.status, 200, "{}", second.body);
    let restarted = list_with(&app, &CursorKeys::random(), &format!("?cursor={cursor}")).await;
    assert_cursor_refused(&restarted, "another process's key");

    // AUTH=on, no key: the list is a 500, never unsigned cursors; the email lookup, which hands out
    // no cursor, still works.
    let missing = CursorKeys::unavailable(CursorKeyError::NotConfigured);
    let response = list_with(&app, &missing, "?limit=1").await;
    assert_problem(&response, 500);
    let by_email = list_with(&app, &missing, "?email=p1@example.com").await;
    assert_eq!(by_email.status, 200, "{}", by_email.body);

    // The composition root decides so from the configuration.
    let config = |access, cursor_key| people::Config {
        table_name: app.table.name().to_owned(),
        allowed_origins: people::AllowedOrigins::List(vec![]),
        access,
        dynamodb_endpoint: Some(dynamodb_local::shared().endpoint().to_owned()),
        trust_store: people::tls::TrustStore::AmazonTrustServices,
        cursor_key,
        region: aws_sdk_dynamodb::config::Region::new(dynamodb_local::REGION),
        credentials: aws_sdk_dynamodb::config::Credentials::new(
            "local", "local", None, None, "test",
        ),
    };
    let reader = |subject: &str| {
        let event = people::fixtures::request("GET", "/people?limit=1", &[], None);
        people::fixtures::invocation(people::fixtures::authorized(
            event,
            subject,
            &["people/read"],
        ))
    };
    let locked = people::edge(
        config(Access::Verified, people::CursorKeySetting::Unset),
        Function::List,
    );
    assert_problem(&decode(locked.handle(reader("u1")).await.unwrap()), 500);
    let keyed = people::edge(
        config(Access::Verified, people::CursorKeySetting::Key(test_key())),
        Function::List,
    );
    let page = decode(keyed.handle(reader("u1")).await.unwrap());
    assert_eq!(page.status, 200, "{}", page.body);
    // The same key, set on the test table, reads the configured edge's cursors.
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let app = TestApp {
        table: app.table.clone().with_cursor_key(test_key()),
        ..app
    };
    let next = app
        .send("GET", &format!("/people?cursor={cursor}"), &[], None)
        .await;
    assert_eq!(next.status, 200, "{}", next.body);
    // A plain edge cannot read a secret: it says so rather than sign with something else.
    let secret = people::edge(
        config(
            Access::Verified,
            people::CursorKeySetting::Secret(
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:k".into(),
            ),
        ),
        Function::List,
    );
    assert_problem(&decode(secret.handle(reader("u1")).await.unwrap()), 500);
}

/// A stand-in for Secrets Manager on a local port: answers `GetSecretValue` with `answers` in turn
/// (the last one from then on), and records each request's target and body.
struct FakeSecretsManager {
    endpoint: String,
    requests: std::sync::Arc<std::sync::Mutex<Vec<(String, Value)>>>,
}

impl FakeSecretsManager {
    async fn start(answers: Vec<(u16, Value)>) -> Self {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = requests.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let seen = seen.clone();
                let answers = answers.clone();
                tokio::spawn(async move {
                    let mut buffer = Vec::new();
                    loop {
                        // One request: headers, then Content-Length bytes of body.
                        let end = loop {
                            if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                                break at + 4;
                            }
                            let mut chunk = [0u8; 4096];
                            match stream.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                            }
                        };
                        let head = String::from_utf8_lossy(&buffer[..end]).to_lowercase();
                        let header = |name: &str| {
                            head.lines()
                                .find_map(|l| l.strip_prefix(&format!("{name}:")))
                                .map(|v| v.trim().to_owned())
                        };
                        let length: usize = header("content-length")
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(0);
                        while buffer.len() < end + length {
                            let mut chunk = [0u8; 4096];
                            match stream.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                            }
                        }
                        let body: Value = serde_json::from_slice(&buffer[end..end + length])
                            .unwrap_or(Value::Null);
                        buffer.drain(..end + length);
                        let (status, answer) = {
                            let mut seen = seen.lock().unwrap();
                            seen.push((header("x-amz-target").unwrap_or_default(), body));
                            answers[(seen.len() - 1).min(answers.len() - 1)].clone()
                        };
                        let answer = answer.to_string();
                        let response = format!(
                            "HTTP/1.1 {status} X\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\n\r\n{answer}",
                            answer.len()
                        );
                        if stream.write_all(response.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Self { endpoint, requests }
    }

    fn requests(&self) -> Vec<(String, Value)> {
        self.requests.lock().unwrap().clone()
    }
}

#[tokio::test]
async fn the_list_function_reads_its_key_from_secrets_manager_at_the_first_listing_only() {
    let app = TestApp::new().await;
    for i in 0..3 {
        app.create(&format!("P{i}"), &format!("p{i}@example.com"))
            .await;
    }
    let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:people-dev-cursor-key-AbCdEf";
    // 64 characters, as the stack generates.
    let secret = "q8RZ0mXh3TQeVb6yLw2NcUj9GfKs4aPd7oIv1ErtYxHn5uMBkWzSgC0lJpDiQFe8";
    let fake = FakeSecretsManager::start(vec![
        // Unavailable (retried by the SDK, then a 503), refused (a 500), then the secret.
        (500, json!({"__type": "InternalServiceError", "message": "try again"})),
        (500, json!({"__type": "InternalServiceError", "message": "try again"})),
        (500, json!({"__type": "InternalServiceError", "message": "try again"})),
        (400, json!({"__type": "AccessDeniedException", "message": "not allowed"})),
        (
            200,
            json!({"ARN": arn, "Name": "people-dev-cursor-key", "SecretString": secret, "VersionId": "v1"}),
        ),
    ])
    .await;
    let reader = people::client::SecretsManager::new(
        app.table.client(),
        aws_sdk_dynamodb::config::Credentials::new("local", "local", None, None, "test"),
        people::tls::TrustStore::AmazonTrustServices,
        Some(&fake.endpoint),
        arn,
    );
    let keys = CursorKeys::secret(reader);
    assert!(
        fake.requests().is_empty(),
        "nothing is read before a listing"
    );

    let busy = list_with(&app, &keys, "?limit=1").await;
    assert_problem(&busy, 503);
    assert!(busy.header("retry-after").is_some());
    let refused = list_with(&app, &keys, "?limit=1").await;
    assert_problem(&refused, 500);
    let first = list_with(&app, &keys, "?limit=1").await;
    assert_eq!(first.status, 200, "{}", first.body);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let second = list_with(&app, &keys, &format!("?limit=1&cursor={cursor}")).await;
    assert_eq!(second.status, 200, "{}", second.body);

    let requests = fake.requests();
    assert_eq!(requests.len(), 5, "read until it succeeds, then kept");
    for (target, body) in &requests {
        assert_eq!(target, "secretsmanager.getsecretvalue");
        assert_eq!(body["SecretId"], arn);
    }
    // The key is the secret string's bytes.
    let signed = TestApp {
        table: app
            .table
            .clone()
            .with_cursor_key(CursorKey::new(secret.as_bytes()).unwrap()),
        ..app
    };
    let next = signed
        .send("GET", &format!("/people?cursor={cursor}"), &[], None)
        .await;
    assert_eq!(next.status, 200, "{}", next.body);
}
