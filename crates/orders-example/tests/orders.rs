//! Every dynamodel feature on the order model, against AWS's DynamoDB Local.

use std::sync::atomic::{AtomicUsize, Ordering};

use dynamodel::expr::{AttributeValue, Op};
use dynamodel::{
    Backoff, BatchWrite, Error, Model, Patch, PutMode, Query, Scan, SortCondition, Table, Update,
};
use futures_util::TryStreamExt;
use orders_example::{AddressPatch, Order, OrderPatch};

/// A view of orders that reads three attributes.
#[derive(Debug, serde::Serialize, serde::Deserialize, dynamodel::Model)]
#[dynamodel(pk = "CUSTOMER#{customer_id}", sk = "ORDER#{order_id}")]
struct OrderTotal {
    customer_id: String,
    order_id: String,
    total_cents: u64,
}

async fn table() -> Table {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let client = dynamodb_local::shared().client();
    let name = format!(
        "orders-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    dynamodel::create_table(&client, &name, &Order::table_spec())
        .await
        .unwrap();
    Table::new(client, name, Order::table_spec())
}

async fn raw(table: &Table, order: &Order) -> dynamodel::Item {
    let key = order.key();
    table
        .client()
        .get_item()
        .table_name(table.name())
        .key("pk", AttributeValue::S(key.pk))
        .key("sk", AttributeValue::S(key.sk.unwrap()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap()
}

#[test]
fn the_derive_builds_keys_spec_and_paths_from_the_struct() {
    let order = Order::cart("c1", "o1", 100);
    assert_eq!(order.key(), dynamodel::Key::new("CUSTOMER#c1", "ORDER#o1"));
    assert_eq!(Order::key_for("c1", "o1"), order.key());
    assert_eq!(Order::ENTITY, "Order");
    assert_eq!(Order::VERSION_ATTRIBUTE, Some("version"));
    assert_eq!(Order::TTL_ATTRIBUTE, Some("expires_at"));
    let derived = order.derived_attributes();
    assert_eq!(
        derived[0],
        ("by_statuspk", AttributeValue::S("STATUS#cart".into()))
    );
    assert_eq!(derived[1], ("by_statussk", AttributeValue::S("o1".into())));

    let spec = Order::table_spec();
    assert_eq!(spec.partition_key.name, "pk");
    assert_eq!(spec.global_secondary_indexes[0].name, "by_status");
    assert_eq!(spec.ttl_attribute.as_deref(), Some("expires_at"));

    // Typed paths use the stored names, including serde renames and nested maps.
    let mut ph = dynamodel::expr::Placeholders::default();
    let cond = Order::fields()
        .gift_wrap
        .eq(true)
        .and(Order::fields().shipping.city.eq("Paris"));
    assert_eq!(ph.render(&cond), "(#n0 = :v0) AND (#n1.#n2 = :v1)");
    assert_eq!(ph.names()["#n0"], "gift");
    assert_eq!(ph.names()["#n2"], "city");
}

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
    let updated: Order = t.update(&order.key(), update, Some(1), None).await.unwrap();
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
        .update::<Order>(&order.key(), f.total_cents.decrement(1), Some(1), None)
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
            None,
            Some(f.status.eq("shipped")),
        )
        .await
        .unwrap_err();
    assert!(matches!(guarded, Error::ConditionFailed { .. }));
    let missing = t
        .update::<Order>(
            &Order::key_for("c1", "nope"),
            f.total_cents.increment(1),
            None,
            None,
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
        .update(&order.key(), patch.to_update(), Some(1), None)
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

#[tokio::test]
async fn expired_items_are_skipped_by_reads() {
    let t = table().await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut expired = Order::cart("c1", "old", 1);
    expired.expires_at = Some(now - 60);
    let mut live = Order::cart("c1", "new", 1);
    live.expires_at = Some(now + 3600);
    let mut forever = Order::cart("c1", "keep", 1);
    for o in [&mut expired, &mut live, &mut forever] {
        t.create(o).await.unwrap();
    }
    assert!(
        t.get::<Order>(&expired.key()).await.unwrap().is_none(),
        "expired, though still stored"
    );
    assert!(t.get::<Order>(&live.key()).await.unwrap().is_some());
    let listed = t
        .query::<Order>(&Query::table("CUSTOMER#c1"))
        .await
        .unwrap();
    let ids: Vec<&str> = listed.items.iter().map(|o| o.order_id.as_str()).collect();
    assert_eq!(ids, ["ORDER#keep", "ORDER#new"].map(|s| &s[6..]));
    let scanned: Vec<Order> = t.parallel_scan(Scan::table(), 3).await.unwrap();
    assert_eq!(scanned.len(), 2);
    let fetched = t
        .transact_get::<Order>(&[expired.key(), live.key()])
        .await
        .unwrap();
    assert!(fetched[0].is_none() && fetched[1].is_some());
}

#[tokio::test]
async fn batches_of_any_size_transactions_scans_and_streams() {
    let t = table().await;
    let mut writes = Vec::new();
    for i in 0..130 {
        let mut o = Order::cart(&format!("c{}", i % 7), &format!("o{i:03}"), i);
        writes.push(t.batch_put(&mut o).unwrap());
    }
    let failed = t.batch_write(writes, Backoff::default()).await.unwrap();
    assert!(failed.is_empty());

    let keys: Vec<_> = (0..130)
        .map(|i| Order::key_for(&format!("c{}", i % 7), &format!("o{i:03}")))
        .collect();
    let mut with_duplicates = keys.clone();
    with_duplicates.extend(keys[..10].iter().cloned());
    with_duplicates.push(Order::key_for("nobody", "none"));
    let got = t
        .batch_get::<Order>(&with_duplicates, Backoff::default())
        .await
        .unwrap();
    assert!(got.unprocessed.is_empty(), "{:?}", got.unprocessed.len());
    assert_eq!(got.items.len(), 130);
    assert!(got.unprocessed.is_empty());
    assert!(
        got.items
            .iter()
            .all(|o| o.version == 1 && o.note.as_deref() == Some("none"))
    );

    // Parallel scan sees each item once; a paged scan with a projection hands out cursors.
    let all: Vec<Order> = t.parallel_scan(Scan::table(), 4).await.unwrap();
    assert_eq!(all.len(), 130);
    let mut seen = 0;
    let mut scan = Scan::table().limit(40);
    loop {
        let page = t.scan::<Order>(&scan).await.unwrap();
        seen += page.items.len();
        match page.next {
            Some(c) => scan = scan.after(Some(c)),
            None => break,
        }
    }
    assert_eq!(seen, 130);
    let f = Order::fields();
    let projection = [
        f.customer_id.path().clone(),
        f.order_id.path().clone(),
        f.total_cents.path().clone(),
    ];
    let totals = t
        .scan::<OrderTotal>(&Scan::table().project(projection.clone()).limit(5))
        .await
        .unwrap();
    assert_eq!(totals.items.len(), 5);
    assert!(totals.items.iter().all(|o| o.total_cents < 130));
    let full = t
        .scan::<Order>(&Scan::table().project(projection).limit(5))
        .await;
    assert!(
        matches!(full, Err(Error::Conversion(_))),
        "only the projected attributes were read"
    );

    // A stream crosses pages.
    let streamed: Vec<Order> = t
        .query_stream(Query::table("CUSTOMER#c0").limit(3))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed.len(), 19);

    // Transactions with an idempotency token; cancellation reasons per item.
    let mut a = Order::cart("tx", "a", 1);
    let mut b = Order::cart("tx", "b", 2);
    t.transact()
        .create(&mut a)
        .unwrap()
        .create(&mut b)
        .unwrap()
        .client_request_token("tok-1")
        .send()
        .await
        .unwrap();
    let mut again = Order::cart("tx", "a", 1);
    let err = t
        .transact()
        .create(&mut again)
        .unwrap()
        .update::<Order>(
            &b.key(),
            Order::fields().total_cents.increment(1),
            Some(1),
            None,
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.failed_conditions(), vec![0]);
    let both = t.transact_get::<Order>(&[a.key(), b.key()]).await.unwrap();
    assert_eq!(both[1].as_ref().unwrap().total_cents, 2, "all or nothing");

    // Deletes by batch.
    let deletes = keys.iter().map(|k| BatchWrite::Delete(k.clone())).collect();
    assert!(
        t.batch_write(deletes, Backoff::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        t.parallel_scan::<Order>(Scan::table(), 2)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn backoff_is_bounded_and_jittered() {
    let b = Backoff::default();
    for attempt in 0..20 {
        for r in [0, 1, u64::MAX / 3, u64::MAX] {
            assert!(b.delay(attempt, r) <= b.cap);
        }
    }
    assert!(b.delay(0, u64::MAX) <= b.base);
}

#[test]
fn compile_time_checks() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
