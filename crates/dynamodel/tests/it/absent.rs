//! Absent means absent: an optional field that is `None` is stored as no attribute (not `NULL`),
//! an empty set is never written, and items written with `NULL` still read back as `None`.

use std::collections::BTreeSet;

use dynamodel::expr::AttributeValue;
use dynamodel::{Key, Model, UpdateOptions};
use serde::{Deserialize, Serialize};

use crate::helpers::{raw_item, table};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Contact {
    id: String,
    phone: Option<String>,
    address: Address,
    #[serde(with = "serde_dynamo::string_set", default)]
    labels: BTreeSet<String>,
    history: Vec<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Address {
    city: String,
    postcode: Option<String>,
}

impl Model for Contact {
    const ENTITY: &'static str = "Contact";
    fn key(&self) -> Key {
        Key::new(format!("CONTACT#{}", self.id), "CONTACT")
    }
}

fn contact() -> Contact {
    Contact {
        id: "1".into(),
        phone: None,
        address: Address {
            city: "Paris".into(),
            postcode: None,
        },
        labels: BTreeSet::new(),
        history: vec![None, Some("x".into())],
    }
}

#[tokio::test]
async fn none_and_empty_sets_are_not_stored_and_read_back_as_absent() {
    let t = table().await;
    let mut c = contact();
    t.create(&mut c).await.unwrap();
    let item = raw_item(&t, &c.key()).await;
    assert!(!item.contains_key("phone"), "{item:?}");
    assert!(
        !item.contains_key("labels"),
        "an empty set is not written: {item:?}"
    );
    let AttributeValue::M(address) = &item["address"] else {
        panic!("{item:?}")
    };
    assert!(!address.contains_key("postcode"), "nested too: {item:?}");
    assert_eq!(
        item["history"],
        AttributeValue::L(vec![
            AttributeValue::Null(true),
            AttributeValue::S("x".into())
        ]),
        "a list keeps its positions"
    );
    assert!(item.values().all(|v| !matches!(v, AttributeValue::Null(_))));
    let read: Contact = t.get(&c.key()).await.unwrap().unwrap();
    assert_eq!(read, c);

    // Items written by earlier versions (NULL attributes) keep reading as None.
    t.client()
        .put_item()
        .table_name(t.name())
        .set_item(Some(
            [
                ("pk", AttributeValue::S("CONTACT#2".into())),
                ("sk", AttributeValue::S("CONTACT".into())),
                ("id", AttributeValue::S("2".into())),
                ("phone", AttributeValue::Null(true)),
                (
                    "address",
                    AttributeValue::M(
                        [
                            ("city".to_owned(), AttributeValue::S("Lyon".into())),
                            ("postcode".to_owned(), AttributeValue::Null(true)),
                        ]
                        .into(),
                    ),
                ),
                ("history", AttributeValue::L(vec![])),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        ))
        .send()
        .await
        .unwrap();
    let old: Contact = t
        .get(&Key::new("CONTACT#2", "CONTACT"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((old.phone, old.address.postcode), (None, None));
    assert!(old.labels.is_empty());

    // A patch that clears a field removes the attribute.
    c.phone = Some("+33100000000".into());
    c.labels.insert("vip".into());
    t.replace(&mut c).await.unwrap();
    let item = raw_item(&t, &c.key()).await;
    assert_eq!(item["labels"], AttributeValue::Ss(vec!["vip".into()]));
    let cleared = ClearPhone;
    let after = t
        .patch::<Contact, _>(&c.key(), &cleared, UpdateOptions::new())
        .await
        .unwrap();
    assert_eq!(after.phone, None);
    assert!(after.labels.is_empty());
    let item = raw_item(&t, &c.key()).await;
    assert!(
        !item.contains_key("phone") && !item.contains_key("labels"),
        "{item:?}"
    );
}

struct ClearPhone;

impl dynamodel::Patch<Contact> for ClearPhone {
    fn is_empty(&self) -> bool {
        false
    }
    fn apply(&self, target: &mut Contact) {
        target.phone = None;
        target.labels.clear();
    }
    fn to_update_at(&self, _: Option<&dynamodel::expr::Path>) -> dynamodel::Update {
        unreachable!("Table::patch plans from the model, not from the raw update")
    }
}
