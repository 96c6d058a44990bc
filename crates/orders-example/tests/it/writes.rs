//! Writes of the order model: transforms, defaults, validation, timestamps and version on save;
//! typed conditions, filters and update operators; nested patches.

use dynamodel::expr::{AttributeValue, Op};
use dynamodel::{Error, Model, Patch, PutMode, Query, SortCondition, Update, UpdateOptions};
use orders_example::{AddressPatch, Order, OrderPatch};

use crate::helpers::{raw, table};

#[tokio::test]
async fn save_applies_transforms_defaults_validation_timestamps_and_version() {
    let t = table().await;
    let mut order = Order::cart("c1", "o1", 1500);
    order.status = "  CART ".into();
    t.create(&mut order).await.unwrap();
    assert_eq!(order.status, "cart");
    assert_eq!(
        order.note.as_deref(),
        Some("none"),
        "the default fills a missing option"
    );
    assert_eq!(order.version, 1);
    let item = raw(&t, &order).await;
    assert_eq!(
        item["gift"],
        AttributeValue::Bool(false),
        "stored under the serde name"
    );
    assert!(matches!(&item["shipping"], AttributeValue::M(m) if m.contains_key("city")));

    let mut bad = Order::cart("c1", "o2", 1);
    bad.shipping.city = String::new();
    bad.total_cents = 500_000_000;
    let Error::Validation(errors) = t.create(&mut bad).await.unwrap_err() else {
        panic!()
    };
    let mut fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
    fields.sort();
    assert_eq!(fields, ["shipping.city", "total_cents"]);
}

#[tokio::test]
async fn typed_conditions_filters_and_update_operators() {
    let t = table().await;
    let f = Order::fields();
    let mut order = Order::cart("c1", "o1", 1000);
    t.create(&mut order).await.unwrap();

    // Conditional put with a typed condition.
    order.total_cents = 1;
    let err = t
        .put(&mut order, PutMode::If(f.total_cents.gt(5000u64)))
        .await
        .unwrap_err();
    assert!(err.is_conditional_check_failed());

    // Updates: arithmetic, list_append, if_not_exists, ADD, REMOVE; version and updated_at follow.
    let update = f
        .total_cents
        .increment(250)
        .merge(f.items.append(vec!["sku-1".into(), "sku-2".into()]))
        .merge(f.note.set_if_not_exists(Some("ignored".to_owned())))
        .merge(f.expires_at.remove())
        .merge(Update::new().add(dynamodel::expr::attr("views"), 3));
    let updated: Order = t
        .update(&order.key(), update, UpdateOptions::new().expect_version(1))
        .await
        .unwrap();
    assert_eq!(updated.total_cents, 1250);
    assert_eq!(updated.items, ["sku-1", "sku-2"]);
    assert_eq!(
        updated.note.as_deref(),
        Some("none"),
        "if_not_exists kept the stored value"
    );
    assert_eq!(updated.version, 2);
    assert!(updated.updated_at > updated.created_at);
    assert_eq!(
        raw(&t, &order).await["views"],
        AttributeValue::N("3".into())
    );

    let stale = t
        .update::<Order>(
            &order.key(),
            f.total_cents.decrement(1),
            UpdateOptions::new().expect_version(1),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(stale, Error::VersionMismatch { expected: 1, .. }),
        "{stale:?}"
    );
    let guarded = t
        .update::<Order>(
            &order.key(),
            f.total_cents.decrement(1),
            UpdateOptions::new().condition(f.status.eq("shipped")),
        )
        .await
        .unwrap_err();
    assert!(matches!(guarded, Error::ConditionFailed { .. }));
    let missing = t
        .update::<Order>(
            &Order::key_for("c1", "nope"),
            f.total_cents.increment(1),
            UpdateOptions::new(),
        )
        .await;
    assert!(
        missing.unwrap_err().is_conditional_check_failed(),
        "an update never creates an item"
    );

    // Filters of every kind.
    for (i, city) in ["Paris", "Lyon", "Paris", "Nice"].iter().enumerate() {
        let mut o = Order::cart("c2", &format!("o{i}"), 100 * (i as u64 + 1));
        o.shipping.city = (*city).into();
        o.items = vec![format!("sku-{i}")];
        t.create(&mut o).await.unwrap();
    }
    let count = |filter| {
        let t = t.clone();
        async move {
            t.query::<Order>(&Query::table("CUSTOMER#c2").filter(Some(filter)))
                .await
                .unwrap()
                .items
                .len()
        }
    };
    assert_eq!(count(f.shipping.city.eq("Paris")).await, 2);
    assert_eq!(count(f.total_cents.between(200u64, 300u64)).await, 2);
    assert_eq!(count(f.shipping.city.is_in(["Lyon", "Nice"])).await, 2);
    assert_eq!(count(f.items.contains("sku-3")).await, 1);
    assert_eq!(
        count(
            f.shipping
                .postcode
                .not_exists()
                .or(f.shipping.postcode.attribute_type("NULL"))
        )
        .await,
        4
    );
    assert_eq!(count(f.shipping.city.begins_with("Pa").not()).await, 2);
    assert_eq!(count(f.items.size(Op::Eq, 1)).await, 4);
    assert_eq!(
        count(f.total_cents.ne(100u64).and(f.total_cents.le(300u64))).await,
        2
    );
    let q = Query::table("CUSTOMER#c2").sort(SortCondition::BeginsWith(AttributeValue::S(
        "ORDER#o".into(),
    )));
    assert_eq!(
        t.query::<Order>(&q.clone().descending().limit(1))
            .await
            .unwrap()
            .items[0]
            .order_id,
        "o3"
    );
    // Through the status index.
    let carts = t
        .query::<Order>(&Query::index("by_status", "STATUS#cart").limit(100))
        .await
        .unwrap();
    assert_eq!(carts.items.len(), 5);
}

#[tokio::test]
async fn nested_patches_leave_siblings_untouched() {
    let t = table().await;
    let mut order = Order::cart("c1", "o1", 100);
    order.shipping.postcode = Some("12345".into());
    t.create(&mut order).await.unwrap();

    let patch = OrderPatch {
        shipping: Some(AddressPatch {
            city: Some("Paris".into()),
            ..Default::default()
        }),
        note: Some(None),
        total_cents: Some(200),
        ..Default::default()
    };
    assert!(!patch.is_empty());
    assert!(OrderPatch::default().is_empty());
    let stored: Order = t
        .update(
            &order.key(),
            patch.to_update(),
            UpdateOptions::new().expect_version(1),
        )
        .await
        .unwrap();
    assert_eq!(stored.shipping.city, "Paris");
    assert_eq!(
        stored.shipping.street, "1 Main St",
        "a sibling in the nested map is kept"
    );
    assert_eq!(stored.shipping.postcode.as_deref(), Some("12345"));
    assert_eq!(stored.note, None, "Some(None) removed the attribute");
    assert_eq!(stored.total_cents, 200);
    assert!(!raw(&t, &order).await.contains_key("note"));

    let mut in_memory = order.clone();
    patch.apply(&mut in_memory);
    assert_eq!(in_memory.shipping, stored.shipping);
    assert_eq!(in_memory.note, stored.note);
}
