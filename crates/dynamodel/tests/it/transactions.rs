//! Transactions: all or nothing, with the reason for each cancelled item.

use dynamodel::expr::attr;
use dynamodel::{Error, PutMode};

use crate::helpers::{Counter, Order, table};

#[tokio::test]
async fn transactions_are_all_or_nothing_with_reasons_per_item() {
    let t = table().await;
    let mut existing = Order::new("taken", "c1", 1);
    t.create(&mut existing).await.unwrap();

    let mut fresh = Order::new("fresh", "c1", 1);
    let mut dup = Order::new("taken", "c2", 2);
    let err = t
        .transact()
        .create(&mut fresh)
        .unwrap()
        .create(&mut dup)
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TransactionCanceled { .. }), "{err:?}");
    assert_eq!(err.failed_conditions(), vec![1]);
    assert!(err.is_conditional_check_failed());
    assert!(
        t.get_consistent::<Order>(&Order::key_of("fresh"))
            .await
            .unwrap()
            .is_none(),
        "nothing was written"
    );

    let mut counter = Counter {
        name: "orders".into(),
        value: 1,
    };
    let tx = t
        .transact()
        .create(&mut fresh)
        .unwrap()
        .put(&mut counter, PutMode::Upsert)
        .unwrap()
        .condition_check(&Order::key_of("taken"), attr("version").eq(1))
        .delete_versioned::<Order>(&Order::key_of("nothing"), 3)
        .client_request_token("token-1");
    assert_eq!(tx.len(), 4);
    let err = tx.send().await.unwrap_err();
    assert_eq!(err.failed_conditions(), vec![3], "{err}");

    t.transact()
        .create(&mut fresh)
        .unwrap()
        .condition_check(&Order::key_of("taken"), attr("version").eq(1))
        .delete(&Order::key_of("taken"), None)
        .send()
        .await
        .unwrap_err(); // one item may appear only once in a transaction: DynamoDB rejects the request
    t.transact()
        .create(&mut fresh)
        .unwrap()
        .delete_versioned::<Order>(&Order::key_of("taken"), 1)
        .send()
        .await
        .unwrap();
    assert!(
        t.get_consistent::<Order>(&Order::key_of("fresh"))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        t.get_consistent::<Order>(&Order::key_of("taken"))
            .await
            .unwrap()
            .is_none()
    );
}
