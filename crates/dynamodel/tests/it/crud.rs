//! Writes and reads of single items: create, validation, replace and put modes, delete.

use dynamodel::expr::{AttributeValue, attr};
use dynamodel::garde;
use dynamodel::{Error, Model, PutMode};
use time::OffsetDateTime;

use crate::helpers::{Counter, Order, table};

#[tokio::test]
async fn create_sets_version_timestamps_and_transforms_and_refuses_duplicates() {
    let t = table().await;
    let mut order = Order::new("o1", "c1", 1200);
    t.create(&mut order).await.unwrap();
    assert_eq!(order.version, 1);
    assert_eq!(order.status, "new");
    assert!(order.created_at > OffsetDateTime::UNIX_EPOCH);
    assert_eq!(order.created_at, order.updated_at);

    let loaded: Order = t.get(&Order::key_of("o1")).await.unwrap().unwrap();
    assert_eq!(loaded.status, "NEW", "after_load ran");
    assert_eq!(loaded.version, 1);

    let raw = t.client().get_item().table_name(t.name()).set_key(Some(
        [
            ("pk".to_owned(), AttributeValue::S("ORDER#o1".into())),
            ("sk".to_owned(), AttributeValue::S("ORDER".into())),
        ]
        .into(),
    ));
    let item = raw.send().await.unwrap().item.unwrap();
    assert_eq!(
        item["by_customer_pk"],
        AttributeValue::S("CUSTOMER#c1".into()),
        "derived attributes are stored"
    );
    assert_eq!(item["status"], AttributeValue::S("new".into()));

    let mut dup = Order::new("o1", "c2", 5);
    let err = t.create(&mut dup).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::AlreadyExists {
                entity: "Order",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_conditional_check_failed());
    assert!(
        std::error::Error::source(&err).is_some(),
        "the SDK cause is kept"
    );
    assert_eq!(
        dup.version, 0,
        "a failed write leaves the version as it was"
    );
    assert_eq!(
        t.get_consistent::<Order>(&Order::key_of("o1"))
            .await
            .unwrap()
            .unwrap()
            .customer,
        "c1"
    );
}

#[tokio::test]
async fn invalid_models_are_never_written() {
    let t = table().await;
    let mut order = Order::new("o1", "", 0);
    let err = t.create(&mut order).await.unwrap_err();
    let Error::Validation(errors) = err else {
        panic!("{err:?}")
    };
    let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["customer", "total_cents"]);
    assert!(
        t.get::<Order>(&Order::key_of("o1"))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn replace_is_optimistically_locked() {
    let t = table().await;
    let mut order = Order::new("o1", "c1", 100);
    t.create(&mut order).await.unwrap();
    let mut stale = order.clone();

    order.total_cents = 200;
    t.replace(&mut order).await.unwrap();
    assert_eq!(order.version, 2);

    stale.total_cents = 999;
    let err = t.replace(&mut stale).await.unwrap_err();
    assert!(
        matches!(err, Error::VersionMismatch { expected: 1, .. }),
        "{err:?}"
    );
    assert_eq!(stale.version, 1);
    let stored: Order = t
        .get_consistent(&Order::key_of("o1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.total_cents, 200);

    // Replace of something never stored fails too.
    let mut ghost = Order::new("ghost", "c1", 1);
    assert!(
        t.replace(&mut ghost)
            .await
            .unwrap_err()
            .is_conditional_check_failed()
    );

    // Upsert writes whatever is stored; a caller condition guards a put.
    let mut counter = Counter {
        name: "hits".into(),
        value: 1,
    };
    t.put(&mut counter, PutMode::Upsert).await.unwrap();
    counter.value = 2;
    let err = t
        .put(&mut counter, PutMode::If(attr("value").gt(5)))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::ConditionFailed {
                operation: "PutItem",
                ..
            }
        ),
        "{err:?}"
    );
    t.put(&mut counter, PutMode::If(attr("value").lt(5)))
        .await
        .unwrap();
    t.put(&mut counter, PutMode::Replace).await.unwrap();
    assert_eq!(
        t.get::<Counter>(&counter.key())
            .await
            .unwrap()
            .unwrap()
            .value,
        2
    );
}

#[tokio::test]
async fn delete_returns_the_old_item_and_honours_versions() {
    let t = table().await;
    let mut order = Order::new("o1", "c1", 100);
    t.create(&mut order).await.unwrap();
    let err = t
        .delete::<Order>(&Order::key_of("o1"), Some(7))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::VersionMismatch { expected: 7, .. }));
    let old = t
        .delete::<Order>(&Order::key_of("o1"), Some(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.total_cents, 100);
    assert!(
        t.delete::<Order>(&Order::key_of("o1"), None)
            .await
            .unwrap()
            .is_none()
    );
}

#[test]
fn garde_reports_become_field_errors() {
    let order = Order::new("", "c", 0);
    let errors = Model::validate(&order).unwrap_err();
    assert_eq!(errors.errors().len(), 2);
    assert!(errors.to_string().contains("id:"));
    let _unused: garde::Result = Ok(());
}
