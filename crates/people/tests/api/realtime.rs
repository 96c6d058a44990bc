//! The WebSocket routes and the change feed against DynamoDB Local: connections recorded with who
//! they are, subscriptions checked like REST bodies, and stream records (built from the items the
//! service stored, in the shape Lambda delivers them) pushed to exactly the connections that may see
//! them, in order; gone connections pruned, undecodable records reported as failures.
//! (The stream read from DynamoDB Local's real stream is covered end to end in xtask's tests.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use dynamodel::expr::AttributeValue;
use dynamodel::stream::EventRecord;
use dynamodel::{Item, Model};
use people::config::Access;
use people::model::{Connection, Person};
use people::ws::feed::{Feed, PushError, Pusher};
use people::ws::{WsEdge, WsEvent};
use serde_json::{Value, json};

use crate::helpers::*;

/// Records what is pushed; answers 410 for `gone` and fails for `failing` connections.
#[derive(Default)]
struct Recorder {
    pushed: Mutex<HashMap<String, Vec<Value>>>,
    gone: Vec<String>,
    failing: Vec<String>,
}

impl Pusher for Recorder {
    async fn push(&self, connection_id: &str, message: Arc<str>) -> Result<(), PushError> {
        if self.gone.iter().any(|c| c == connection_id) {
            return Err(PushError::Gone);
        }
        if self.failing.iter().any(|c| c == connection_id) {
            return Err(PushError::Failed("connection reset".into()));
        }
        self.pushed
            .lock()
            .unwrap()
            .entry(connection_id.to_owned())
            .or_default()
            .push(serde_json::from_str(&message).unwrap());
        Ok(())
    }
}

impl Recorder {
    fn kinds(&self, connection: &str) -> Vec<(String, String, u64)> {
        self.pushed
            .lock()
            .unwrap()
            .get(connection)
            .map(|events| {
                events
                    .iter()
                    .map(|e| {
                        (
                            e["type"].as_str().unwrap().to_owned(),
                            e["person"]["name"].as_str().unwrap_or("-").to_owned(),
                            e["version"].as_u64().unwrap(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn event(route: &str, connection: &str, body: Option<&str>, authorizer: Option<Value>) -> WsEvent {
    serde_json::from_value(json!({
        "requestContext": {
            "routeKey": route,
            "connectionId": connection,
            "connectedAt": 1_764_669_600_000_i64,
            "authorizer": authorizer,
        },
        "body": body,
    }))
    .unwrap()
}

/// Sends a request as API Gateway does after verifying `who`'s token (subject, scope).
async fn send_as(
    app: &TestApp,
    who: (&str, &str),
    method: &str,
    path: &str,
    content_type: (&str, &str),
    body: &str,
) -> Response {
    let event = people::fixtures::request(method, path, &[content_type], Some(body));
    let event = people::fixtures::authorized(event, who.0, &[who.1]);
    app.send_to(deployed_route(method, path), event).await
}

fn caller(sub: &str, scope: &str) -> Option<Value> {
    Some(json!({"principalId": sub, "sub": sub, "scope": scope}))
}

/// Connects and subscribes; the answer to the subscribe message.
async fn subscribe(ws: &WsEdge, id: &str, filter: &str, who: Option<Value>) -> Value {
    let connected = ws.handle(event("$connect", id, None, who.clone())).await;
    assert_eq!(connected.status_code, 200, "{id}");
    let body = format!(r#"{{"action":"subscribe","filter":{filter}}}"#);
    let answer = ws.handle(event("$default", id, Some(&body), who)).await;
    serde_json::from_str(answer.body.as_deref().unwrap()).unwrap()
}

/// The stored item of a person, as a stream image (DynamoDB JSON).
async fn image(app: &TestApp, id: &str) -> Value {
    let key = people::PersonId::key(&id.parse().unwrap());
    let item = app
        .table
        .client()
        .get_item()
        .table_name(app.table.name())
        .key("pk", AttributeValue::S(key.pk))
        .key("sk", AttributeValue::S(key.sk.unwrap()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    dynamo_json(item)
}

fn dynamo_json(item: Item) -> Value {
    let item: serde_dynamo::Item = item.into();
    serde_json::to_value(item).unwrap()
}

fn record(sequence: u64, name: &str, old: Option<&Value>, new: Option<&Value>) -> EventRecord {
    let mut change = json!({
        "ApproximateCreationDateTime": 1_764_669_600 + sequence,
        "SequenceNumber": sequence.to_string(),
        "SizeBytes": 100,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
        "Keys": {"pk": {"S": "k"}, "sk": {"S": "k"}},
    });
    if let Some(old) = old {
        change["OldImage"] = old.clone();
    }
    if let Some(new) = new {
        change["NewImage"] = new.clone();
    }
    serde_json::from_value(json!({
        "eventID": format!("e{sequence}"),
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": change,
    }))
    .unwrap()
}

#[tokio::test]
async fn changes_reach_exactly_the_connections_that_may_see_them_in_order() {
    let app = TestApp::verified().await;
    let ws = WsEdge::new(app.table.clone(), Access::Verified);
    // Who connects: a reader of everything, a tag subscriber, an id subscriber, a `people/self`
    // caller, one not subscribed, one API Gateway lost track of.
    let all = subscribe(&ws, "all", "{}", caller("rita", "people/read")).await;
    assert_eq!(all, json!({"type": "subscribed", "filter": {}}));
    let tag = subscribe(
        &ws,
        "tag",
        r#"{"tag":" VIP "}"#,
        caller("rita", "people/read"),
    )
    .await;
    assert_eq!(tag["filter"], json!({"tag": "vip"}));
    let own = subscribe(&ws, "own", "{}", caller("alice", "people/self")).await;
    assert_eq!(own["type"], "subscribed");
    subscribe(&ws, "gone", "{}", caller("rita", "people/write")).await;
    assert_eq!(
        ws.handle(event(
            "$connect",
            "idle",
            None,
            caller("rita", "people/read")
        ))
        .await
        .status_code,
        200
    );
    // Without a verified caller, or with no people scope, the connection is refused.
    assert_eq!(
        ws.handle(event("$connect", "x", None, None))
            .await
            .status_code,
        401
    );
    assert_eq!(
        ws.handle(event("$connect", "x", None, caller("eve", "email")))
            .await
            .status_code,
        403
    );

    // Alice creates her person (tagged vip); Bob's person is created by a writer, then loses vip.
    let created = send_as(
        &app,
        ("alice", "people/self"),
        "POST",
        "/people",
        JSON,
        r#"{"name":"Alice","email":"alice@example.com","tags":["vip"]}"#,
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let alice_v1 = image(&app, created.body["id"].as_str().unwrap()).await;
    let writer = ("rita", "people/write");
    let bob = send_as(
        &app,
        writer,
        "POST",
        "/people",
        JSON,
        r#"{"name":"Bob","email":"bob@example.com","tags":["vip"]}"#,
    )
    .await;
    let bob_id = bob.body["id"].as_str().unwrap().to_owned();
    let bob_v1 = image(&app, &bob_id).await;
    let patched = send_as(
        &app,
        writer,
        "PATCH",
        &format!("/people/{bob_id}"),
        MERGE_PATCH,
        r#"{"tags":[]}"#,
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    let bob_v2 = image(&app, &bob_id).await;
    // Subscribe to Bob by id now that he exists.
    let ids = subscribe(
        &ws,
        "ids",
        &format!(r#"{{"ids":["{bob_id}"]}}"#),
        caller("rita", "people/read"),
    )
    .await;
    assert_eq!(ids["filter"]["ids"], json!([bob_id]));

    let claim = dynamo_json(Item::from([
        (
            "pk".to_owned(),
            AttributeValue::S("EMAIL#bob@example.com".into()),
        ),
        ("_type".to_owned(), AttributeValue::S("email_claim".into())),
    ]));
    let poison = json!({"pk": {"S": "PERSON#x"}, "sk": {"S": "PROFILE"}, "_type": {"S": "person"}, "name": {"N": "3"}});
    let records = [
        record(1, "INSERT", None, Some(&alice_v1)),
        record(2, "INSERT", None, Some(&bob_v1)),
        record(3, "INSERT", None, Some(&claim)),
        record(4, "MODIFY", Some(&bob_v1), Some(&bob_v2)),
        record(5, "INSERT", None, Some(&poison)),
        record(6, "REMOVE", Some(&bob_v2), None),
    ];
    let recorder = Arc::new(Recorder {
        gone: vec!["gone".into()],
        ..Recorder::default()
    });
    // Two connections a page: the changes reach each page in order.
    let feed = Feed::new(app.table.clone(), recorder.clone())
        .concurrency(2)
        .page_size(2);
    let delivery = feed.deliver(&records).await.unwrap();
    assert_eq!(
        delivery.failed_records,
        ["5"],
        "only the poison record is retried"
    );
    assert_eq!(delivery.pruned, 1);

    let created = |name: &str| ("person.created".to_owned(), name.to_owned(), 1);
    let updated = ("person.updated".to_owned(), "Bob".to_owned(), 2);
    let deleted = ("person.deleted".to_owned(), "-".to_owned(), 2);
    assert_eq!(
        recorder.kinds("all"),
        [
            created("Alice"),
            created("Bob"),
            updated.clone(),
            deleted.clone()
        ]
    );
    // Bob's update concerns vip subscribers (he was vip before it); his delete no longer does.
    assert_eq!(
        recorder.kinds("tag"),
        [created("Alice"), created("Bob"), updated.clone()]
    );
    assert_eq!(recorder.kinds("ids"), [created("Bob"), updated, deleted]);
    assert_eq!(
        recorder.kinds("own"),
        [created("Alice")],
        "a people/self caller sees its own person only"
    );
    assert!(recorder.kinds("idle").is_empty() && recorder.kinds("gone").is_empty());
    let pushed = recorder.pushed.lock().unwrap()["all"][0].clone();
    assert_eq!(pushed["id"], created_id(&alice_v1));
    assert!(
        pushed["person"].get("owner").is_none(),
        "the owner is never sent"
    );
    assert_eq!(pushed["at"], "2025-12-02T10:00:01Z");

    // The gone connection's item was deleted; the others remain.
    let remaining: Vec<String> = feed
        .connections()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.connection_id)
        .collect();
    assert!(!remaining.contains(&"gone".to_owned()), "{remaining:?}");
    assert!(remaining.contains(&"all".to_owned()));

    // Unsubscribe and disconnect.
    let answer = ws
        .handle(event(
            "$default",
            "all",
            Some(r#"{"action":"unsubscribe"}"#),
            caller("rita", "people/read"),
        ))
        .await;
    assert_eq!(answer.body.as_deref(), Some(r#"{"type":"unsubscribed"}"#));
    assert!(
        !feed
            .connections()
            .await
            .unwrap()
            .iter()
            .any(|c| c.connection_id == "all")
    );
    ws.handle(event("$disconnect", "tag", None, None)).await;
    assert!(
        app.table
            .get::<Connection>(&Connection::key_for("tag"))
            .await
            .unwrap()
            .is_none(),
        "a disconnect removes the connection item"
    );
    let stored: Connection = app
        .table
        .get(&Connection::key_for("own"))
        .await
        .unwrap()
        .unwrap();
    assert!(stored.own_only && stored.subject.as_deref() == Some("alice"));
    assert!(stored.expires_at.unwrap() > time::OffsetDateTime::now_utc().unix_timestamp());
}

fn created_id(image: &Value) -> Value {
    image["id"]["S"].clone()
}

#[tokio::test]
async fn bad_messages_are_answered_with_the_broken_rules_and_a_failed_push_retries_the_record() {
    let app = TestApp::new().await;
    let ws = WsEdge::new(app.table.clone(), Access::Open);
    assert_eq!(
        ws.handle(event("$connect", "c1", None, None))
            .await
            .status_code,
        200
    );
    for (body, field) in [
        ("not json", ""),
        (
            r#"{"action":"subscribe","filter":{"tag":""}}"#,
            "filter.tag",
        ),
        (r#"{"action":"shout"}"#, "action"),
        (
            r#"{"action":"subscribe","filter":{"ids":["x"]}}"#,
            "filter.ids[0]",
        ),
    ] {
        let answer = ws.handle(event("$default", "c1", Some(body), None)).await;
        let message: Value = serde_json::from_str(answer.body.as_deref().unwrap()).unwrap();
        assert_eq!(message["type"], "error", "{body}");
        assert_eq!(message["status"], 400);
        assert_eq!(message["errors"][0]["field"], field, "{message}");
    }
    let pong = ws
        .handle(event("$default", "c1", Some(r#"{"action":"ping"}"#), None))
        .await;
    assert_eq!(pong.body.as_deref(), Some(r#"{"type":"pong"}"#));
    // A message from a connection that is no longer recorded asks it to connect again.
    let unknown = ws
        .handle(event(
            "$default",
            "nobody",
            Some(r#"{"action":"subscribe"}"#),
            None,
        ))
        .await;
    assert!(unknown.body.unwrap().contains("\"status\":410"));

    subscribe(&ws, "c1", "{}", None).await;
    let created = app.create("Ada", "ada@example.com").await;
    let ada = image(&app, created.body["id"].as_str().unwrap()).await;
    let recorder = Arc::new(Recorder {
        failing: vec!["c1".into()],
        ..Recorder::default()
    });
    let feed = Feed::new(app.table.clone(), recorder.clone());
    let delivery = feed
        .deliver(&[record(7, "INSERT", None, Some(&ada))])
        .await
        .unwrap();
    assert_eq!(delivery.failed_records, ["7"]);
    assert_eq!(delivery.failed_pushes, 1);
    assert_eq!(Person::ENTITY, "person");
}
