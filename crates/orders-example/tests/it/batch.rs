//! Batches of any size, transactions, scans (parallel, paged, projected) and streams; the retry
//! backoff.

use dynamodel::{Backoff, BatchWrite, Error, Model, Query, Scan};
use futures_util::TryStreamExt;
use orders_example::Order;

use crate::helpers::table;

/// A view of orders that reads three attributes.
#[derive(Debug, serde::Serialize, serde::Deserialize, dynamodel::Model)]
#[dynamodel(pk = "CUSTOMER#{customer_id}", sk = "ORDER#{order_id}")]
struct OrderTotal {
    customer_id: String,
    order_id: String,
    total_cents: u64,
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
            dynamodel::UpdateOptions::new().expect_version(1),
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
