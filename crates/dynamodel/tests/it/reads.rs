//! Counting (`Select=COUNT`) and typed projections on get and query.

use dynamodel::expr::{Path, attr};
use dynamodel::{Projection, Query, Scan};
use serde::Deserialize;

use crate::helpers::{Order, table};

/// The id and total of an order (the derive generates this impl and checks the names and types
/// against the model while compiling; see the orders example's compile-fail tests).
#[derive(Debug, PartialEq, Deserialize)]
struct OrderTotal {
    id: String,
    total_cents: u64,
}

impl Projection for OrderTotal {
    type Model = Order;
    fn paths() -> Vec<Path> {
        vec![attr("id"), attr("total_cents")]
    }
}

#[tokio::test]
async fn count_counts_every_page_after_the_filter() {
    let t = table().await;
    for i in 0..30u64 {
        let customer = if i % 3 == 0 { "c1" } else { "c2" };
        t.create(&mut Order::new(&format!("o{i:02}"), customer, i + 1))
            .await
            .unwrap();
    }
    let q = Query::index("by_customer", "CUSTOMER#c2").limit(5);
    assert_eq!(
        t.count::<Order>(&q).await.unwrap(),
        20,
        "the limit does not cap a count"
    );
    let filtered = q.filter(Some(attr("total_cents").gt(20u64)));
    assert_eq!(t.count::<Order>(&filtered).await.unwrap(), 7);
    assert_eq!(t.count_scan(&Scan::table()).await.unwrap(), 30);
    assert_eq!(
        t.count_scan(&Scan::table().filter(Some(attr("customer").eq("c1"))))
            .await
            .unwrap(),
        10
    );
}

#[tokio::test]
async fn projections_read_only_their_fields_and_page_with_cursors() {
    let t = table().await;
    for i in 0..7u64 {
        t.create(&mut Order::new(&format!("o{i}"), "c1", 100 + i))
            .await
            .unwrap();
    }
    let one = t
        .get_projected::<OrderTotal>(&Order::key_of("o3"))
        .await
        .unwrap();
    assert_eq!(
        one,
        Some(OrderTotal {
            id: "o3".into(),
            total_cents: 103
        })
    );
    assert_eq!(
        t.get_projected::<OrderTotal>(&Order::key_of("nope"))
            .await
            .unwrap(),
        None
    );

    let mut query = Query::index("by_customer", "CUSTOMER#c1").limit(3);
    let mut seen = Vec::new();
    loop {
        let page = t.query_projected::<OrderTotal>(&query).await.unwrap();
        seen.extend(page.items);
        match page.next {
            Some(next) => query = query.after(Some(next)),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
    assert_eq!(
        seen[6],
        OrderTotal {
            id: "o6".into(),
            total_cents: 106
        }
    );
}
