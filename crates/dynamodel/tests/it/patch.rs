//! `Table::patch`: a typed patch obeys the model as a put does — transforms, validation, index
//! keys and derived attributes — and is written at the version it was planned from.

use dynamodel::expr::{AttributeValue, attr};
use dynamodel::{Error, Model, Patch, Query, Table, Update, UpdateOptions};

use crate::helpers::{Counter, Order, raw_item, table};

/// A hand-written patch of the test order (the derive generates the same shape).
#[derive(Default)]
struct OrderPatch {
    customer: Option<String>,
    total_cents: Option<u64>,
    status: Option<String>,
}

impl Patch<Order> for OrderPatch {
    fn is_empty(&self) -> bool {
        self.customer.is_none() && self.total_cents.is_none() && self.status.is_none()
    }
    fn apply(&self, target: &mut Order) {
        if let Some(v) = &self.customer {
            target.customer = v.clone();
        }
        if let Some(v) = self.total_cents {
            target.total_cents = v;
        }
        if let Some(v) = &self.status {
            target.status = v.clone();
        }
    }
    fn to_update_at(&self, _: Option<&dynamodel::expr::Path>) -> Update {
        let mut update = Update::new();
        if let Some(v) = &self.customer {
            update = update.set(attr("customer"), v.as_str());
        }
        if let Some(v) = self.total_cents {
            update = update.set(attr("total_cents"), v);
        }
        if let Some(v) = &self.status {
            update = update.set(attr("status"), v.as_str());
        }
        update
    }
}

async fn stored(t: &Table) -> Order {
    let mut order = Order::new("o1", "c1", 1200);
    t.create(&mut order).await.unwrap();
    order
}

#[tokio::test]
async fn a_patch_that_breaks_validation_is_refused_and_nothing_is_written() {
    let t = table().await;
    stored(&t).await;
    let before = raw_item(&t, &Order::key_of("o1")).await;
    for patch in [
        OrderPatch {
            total_cents: Some(0),
            ..Default::default()
        },
        OrderPatch {
            customer: Some("c".repeat(21)),
            status: Some("paid".into()),
            ..Default::default()
        },
    ] {
        let err = t
            .patch::<Order, _>(&Order::key_of("o1"), &patch, UpdateOptions::new())
            .await
            .unwrap_err();
        let Error::Validation(errors) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(errors.errors().len(), 1, "{errors}");
    }
    assert_eq!(
        raw_item(&t, &Order::key_of("o1")).await,
        before,
        "nothing was written"
    );

    // The raw path stores what it is given: the reason `Table::patch` exists.
    let raw = OrderPatch {
        total_cents: Some(0),
        ..Default::default()
    };
    let bypassed: Order = t
        .update(&Order::key_of("o1"), raw.to_update(), UpdateOptions::new())
        .await
        .unwrap();
    assert_eq!(bypassed.total_cents, 0);
}

#[tokio::test]
async fn a_patch_runs_the_transforms_and_bumps_the_version() {
    let t = table().await;
    stored(&t).await;
    let patch = OrderPatch {
        status: Some("  PAID ".into()),
        ..Default::default()
    };
    let paid = t
        .patch::<Order, _>(
            &Order::key_of("o1"),
            &patch,
            UpdateOptions::new().expect_version(1),
        )
        .await
        .unwrap();
    assert_eq!(
        (paid.status.as_str(), paid.version),
        ("PAID", 2),
        "after_load uppercases"
    );
    let item = raw_item(&t, &Order::key_of("o1")).await;
    assert_eq!(
        item["status"],
        AttributeValue::S("paid".into()),
        "stored as before_save made it"
    );
    assert_eq!(item["total_cents"], AttributeValue::N("1200".into()));

    // A patch that changes nothing stored sends no write: the version stays.
    let same = t
        .patch::<Order, _>(&Order::key_of("o1"), &patch, UpdateOptions::new())
        .await
        .unwrap();
    assert_eq!(same.version, 2);

    // An expected version that is not the stored one fails before anything is sent.
    let err = t
        .patch::<Order, _>(
            &Order::key_of("o1"),
            &patch,
            UpdateOptions::new().expect_version(1),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::VersionMismatch { expected: 1, .. }),
        "{err:?}"
    );

    // A caller's condition is checked with the write.
    let err = t
        .patch::<Order, _>(
            &Order::key_of("o1"),
            &OrderPatch {
                total_cents: Some(5),
                ..Default::default()
            },
            UpdateOptions::new().condition(attr("status").eq("shipped")),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ConditionFailed { .. }), "{err:?}");

    let err = t
        .patch::<Order, _>(&Order::key_of("nope"), &patch, UpdateOptions::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotFound { entity: "Order" }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_patch_of_an_index_key_field_moves_the_item_in_the_index() {
    let t = table().await;
    stored(&t).await;
    let by = |customer: &str| Query::index("by_customer", format!("CUSTOMER#{customer}"));
    assert_eq!(t.query::<Order>(&by("c1")).await.unwrap().items.len(), 1);

    let moved = t
        .patch::<Order, _>(
            &Order::key_of("o1"),
            &OrderPatch {
                customer: Some("c2".into()),
                ..Default::default()
            },
            UpdateOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(moved.customer, "c2");
    let found = t.query::<Order>(&by("c2")).await.unwrap().items;
    assert_eq!(found.len(), 1, "findable under the new key");
    assert_eq!(found[0].id, "o1");
    assert!(
        t.query::<Order>(&by("c1")).await.unwrap().items.is_empty(),
        "gone from the old key"
    );
    let item = raw_item(&t, &Order::key_of("o1")).await;
    assert_eq!(
        item["by_customer_pk"],
        AttributeValue::S("CUSTOMER#c2".into())
    );
}

#[tokio::test]
async fn a_planned_patch_is_written_only_at_the_version_it_was_planned_from() {
    let t = table().await;
    let order = stored(&t).await;
    let planned = t
        .plan_patch(
            &order,
            &OrderPatch {
                total_cents: Some(10),
                ..Default::default()
            },
        )
        .unwrap();
    // Someone else writes in between.
    let mut other = order.clone();
    other.total_cents = 99;
    t.replace(&mut other).await.unwrap();
    let err = t
        .update::<Order>(&Order::key_of("o1"), planned.update, planned.options)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::VersionMismatch { expected: 1, .. }),
        "{err:?}"
    );
    let stored: Order = t.get(&Order::key_of("o1")).await.unwrap().unwrap();
    assert_eq!(stored.total_cents, 99, "the other write is kept");
}

/// A patch of the unversioned counter.
struct SetValue(i64);

impl Patch<Counter> for SetValue {
    fn is_empty(&self) -> bool {
        false
    }
    fn apply(&self, target: &mut Counter) {
        target.value = self.0;
    }
    fn to_update_at(&self, _: Option<&dynamodel::expr::Path>) -> Update {
        Update::new().set(attr("value"), self.0)
    }
}

#[tokio::test]
async fn without_a_version_a_planned_patch_assumes_what_it_changes_is_as_read() {
    let t = table().await;
    let mut counter = Counter {
        name: "hits".into(),
        value: 1,
    };
    t.create(&mut counter).await.unwrap();
    let planned = t.plan_patch(&counter, &SetValue(2)).unwrap();
    t.update::<Counter>(
        &counter.key(),
        Update::new().set(attr("value"), 7),
        UpdateOptions::new(),
    )
    .await
    .unwrap();
    let err = t
        .update::<Counter>(&counter.key(), planned.update, planned.options)
        .await
        .unwrap_err();
    assert!(err.is_conditional_check_failed(), "{err:?}");

    let patched = t
        .patch::<Counter, _>(&counter.key(), &SetValue(3), UpdateOptions::new())
        .await
        .unwrap();
    assert_eq!(patched.value, 3);
}
