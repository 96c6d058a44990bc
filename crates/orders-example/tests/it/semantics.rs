//! The model's rules hold for patches as for puts, and the derives' unions and projections read
//! real items from DynamoDB Local: the same checks as dynamodel's own tests, through generated code.

use dynamodel::expr::AttributeValue;
use dynamodel::{Error, Model, Query, UpdateOptions};
use orders_example::{Customer, CustomerItem, Order, OrderPatch, OrderSummary};

use crate::helpers::{raw, table};

fn by_status(status: &str) -> Query {
    Query::index(Order::BY_STATUS_INDEX, format!("STATUS#{status}"))
}

#[tokio::test]
async fn a_patched_status_moves_the_order_in_the_status_index() {
    let t = table().await;
    let mut order = Order::cart("c1", "o1", 1000);
    t.create(&mut order).await.unwrap();
    assert_eq!(t.count::<Order>(&by_status("cart")).await.unwrap(), 1);

    let patch = OrderPatch {
        status: Some("  PLACED ".into()),
        ..Default::default()
    };
    let placed = t
        .patch::<Order, _>(&order.key(), &patch, UpdateOptions::new().expect_version(1))
        .await
        .unwrap();
    assert_eq!((placed.status.as_str(), placed.version), ("placed", 2));
    let found = t.query::<Order>(&by_status("placed")).await.unwrap().items;
    assert_eq!(found.len(), 1, "findable under the new status");
    assert_eq!(found[0].order_id, "o1");
    assert!(
        t.query::<Order>(&by_status("cart"))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(
        raw(&t, &order).await["by_statuspk"],
        AttributeValue::S("STATUS#placed".into())
    );

    // The raw patch update would have stored the status as sent and left the index key behind.
    let raw_update = OrderPatch {
        status: Some("  SHIPPED ".into()),
        ..Default::default()
    };
    let _: Order = t
        .update(
            &order.key(),
            dynamodel::Patch::to_update(&raw_update),
            UpdateOptions::new(),
        )
        .await
        .unwrap();
    let stored = raw(&t, &order).await;
    assert_eq!(stored["status"], AttributeValue::S("  SHIPPED ".into()));
    assert_eq!(
        stored["by_statuspk"],
        AttributeValue::S("STATUS#placed".into())
    );
}

#[tokio::test]
async fn a_patch_that_breaks_a_rule_writes_nothing() {
    let t = table().await;
    let mut order = Order::cart("c1", "o1", 1000);
    t.create(&mut order).await.unwrap();
    let before = raw(&t, &order).await;
    let patch = OrderPatch {
        total_cents: Some(100_000_001),
        status: Some("placed".into()),
        ..Default::default()
    };
    let err = t
        .patch::<Order, _>(&order.key(), &patch, UpdateOptions::new())
        .await
        .unwrap_err();
    let Error::Validation(errors) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(errors.errors()[0].field, "total_cents", "{errors}");
    assert_eq!(raw(&t, &order).await, before);
}

#[tokio::test]
async fn a_customer_partition_reads_into_the_union_and_projections_read_summaries() {
    let t = table().await;
    let mut customer = Customer {
        customer_id: "c1".into(),
        name: "Ada".into(),
    };
    t.create(&mut customer).await.unwrap();
    for (id, total) in [("o1", 100), ("o2", 250)] {
        t.create(&mut Order::cart("c1", id, total)).await.unwrap();
    }
    let page = t
        .query::<CustomerItem>(&Query::table("CUSTOMER#c1"))
        .await
        .unwrap();
    let kinds: Vec<&str> = page
        .items
        .iter()
        .map(|i| match i {
            CustomerItem::Customer(_) => "customer",
            CustomerItem::Order(_) => "order",
        })
        .collect();
    assert_eq!(
        kinds,
        ["order", "order", "customer"],
        "ORDER# sorts before PROFILE"
    );

    let summaries = t
        .query_projected::<OrderSummary>(&by_status("cart").limit(1))
        .await
        .unwrap();
    assert_eq!(summaries.items.len(), 1);
    assert!(
        summaries.next.is_some(),
        "a projected page still hands out a cursor"
    );
    let next = t
        .query_projected::<OrderSummary>(&by_status("cart").limit(1).after(summaries.next))
        .await
        .unwrap();
    let mut totals = vec![summaries.items[0].total_cents, next.items[0].total_cents];
    totals.sort();
    assert_eq!(totals, [100, 250]);
    let one = t
        .get_projected::<OrderSummary>(&Order::key_for("c1", "o2"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        one,
        OrderSummary {
            order_id: "o2".into(),
            status: "cart".into(),
            total_cents: 250,
            gift_wrap: false,
        }
    );
    // A projection of an order never reads the customer's profile as an order.
    let err = t
        .get_projected::<OrderSummary>(&Customer::key_for("c1"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::WrongEntity {
                expected: "Order",
                ..
            }
        ),
        "{err:?}"
    );
}
