//! What the people table holds: every item is tagged with its entity, and a scan of the whole table
//! reads people, email claims and idempotency records into one typed union.

use dynamodel::expr::AttributeValue;
use dynamodel::{Model, Scan};
use people::model::{EmailClaim, PeopleItem};
use people::{Person, PersonId};

use crate::helpers::*;

#[tokio::test]
async fn a_scan_of_the_table_decodes_people_and_claims_into_the_union() {
    let app = TestApp::new().await;
    let ada = app.create("Ada", "ada@example.com").await;
    let grace = app
        .send(
            "POST",
            "/people",
            &[JSON, ("idempotency-key", "k-1")],
            Some(&person("Grace", "grace@example.com")),
        )
        .await;
    assert_eq!(grace.status, 201, "{}", grace.body);
    // An email change moves the claim: the union still reads what is left.
    let path = format!("/people/{}", ada.body["id"].as_str().unwrap());
    let moved = app
        .send(
            "PATCH",
            &path,
            &[MERGE_PATCH],
            Some(r#"{"email":"ADA@Example.org"}"#),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);

    let mut people = Vec::new();
    let mut claims = Vec::new();
    let mut records = 0;
    let mut scan = Scan::table().limit(2);
    loop {
        let page = app.table.scan::<PeopleItem>(&scan).await.unwrap();
        for item in page.items {
            match item {
                PeopleItem::Person(p) => people.push(p.name),
                PeopleItem::EmailClaim(c) => claims.push(c.email),
                PeopleItem::OwnerClaim(c) => panic!("no caller owns a person here: {c:?}"),
                PeopleItem::Idempotency(_) => records += 1,
                PeopleItem::Connection(c) => panic!("no WebSocket connected here: {c:?}"),
            }
        }
        match page.next {
            Some(next) => scan = scan.after(Some(next)),
            None => break,
        }
    }
    people.sort();
    claims.sort();
    assert_eq!(people, ["Ada", "Grace"]);
    assert_eq!(claims, ["ada@example.org", "grace@example.com"]);
    assert_eq!(records, 1);

    // Tagged as stored, read back through the raw SDK.
    let id: PersonId = ada.body["id"].as_str().unwrap().parse().unwrap();
    let key = id.key();
    let item = app
        .table
        .client()
        .get_item()
        .table_name(app.table.name())
        .set_key(Some(
            [
                ("pk".to_owned(), AttributeValue::S(key.pk.clone())),
                ("sk".to_owned(), AttributeValue::S(key.sk.clone().unwrap())),
            ]
            .into(),
        ))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(item["_type"], AttributeValue::S(Person::ENTITY.into()));
    assert!(
        !item.contains_key("phone"),
        "an absent phone is no attribute: {item:?}"
    );
    assert_eq!(
        item["email"],
        AttributeValue::S("ada@example.org".into()),
        "the patch was stored as the model normalises it"
    );
    let claim: EmailClaim = app
        .table
        .get(&EmailClaim::key_for("ada@example.org"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claim.person_id, id);
    assert!(
        app.table
            .get::<EmailClaim>(&EmailClaim::key_for("ada@example.com"))
            .await
            .unwrap()
            .is_none(),
        "the old claim is gone"
    );
}
