//! Items past their TTL are skipped by every read, though DynamoDB has not deleted them yet.

use dynamodel::{Model, Query, Scan};
use orders_example::Order;

use crate::helpers::table;

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
