//! Queries: pages with cursors, filters, sort-key conditions, indexes.

use dynamodel::expr::{AttributeValue, attr};
use dynamodel::{Error, Query, SortCondition};

use crate::helpers::{Order, table};

#[tokio::test]
async fn query_pages_with_cursors_filters_and_sort_conditions() {
    let t = table().await;
    for i in 0..23 {
        let customer = if i % 2 == 0 { "even" } else { "odd" };
        let mut order = Order::new(&format!("o{i:02}"), customer, 100 + i);
        t.create(&mut order).await.unwrap();
    }
    // Every even order, five at a time, newest id first.
    let mut ids = Vec::new();
    let mut cursor = None;
    loop {
        let q = Query::index("by_customer", "CUSTOMER#even")
            .descending()
            .limit(5)
            .after(cursor);
        let page = t.query::<Order>(&q).await.unwrap();
        assert!(page.items.len() <= 5);
        ids.extend(page.items.iter().map(|o| o.id.clone()));
        match page.next {
            Some(c) => cursor = Some(dynamodel::Cursor::parse(c.as_str()).unwrap()),
            None => break,
        }
    }
    let expected: Vec<String> = (0..23)
        .rev()
        .filter(|i| i % 2 == 0)
        .map(|i| format!("o{i:02}"))
        .collect();
    assert_eq!(ids, expected);

    // A filter that keeps few items still fills the page.
    let q = Query::index("by_customer", "CUSTOMER#odd")
        .filter(Some(attr("total_cents").ge(115)))
        .limit(3);
    let page = t.query::<Order>(&q).await.unwrap();
    let totals: Vec<u64> = page.items.iter().map(|o| o.total_cents).collect();
    assert_eq!(totals, [115, 117, 119]);
    let rest = t.query::<Order>(&q.clone().after(page.next)).await.unwrap();
    assert_eq!(
        rest.items.iter().map(|o| o.total_cents).collect::<Vec<_>>(),
        [121]
    );
    assert!(rest.next.is_none());

    // Sort-key conditions on the index.
    let q = Query::index("by_customer", "CUSTOMER#odd").sort(SortCondition::Between(
        AttributeValue::S("o03".into()),
        AttributeValue::S("o07".into()),
    ));
    let between = t.query::<Order>(&q).await.unwrap();
    assert_eq!(
        between
            .items
            .iter()
            .map(|o| o.id.as_str())
            .collect::<Vec<_>>(),
        ["o03", "o05", "o07"]
    );

    // A table query on one partition, strongly consistent.
    let q = Query::table("ORDER#o04")
        .sort(SortCondition::BeginsWith(AttributeValue::S("ORD".into())))
        .consistent();
    assert_eq!(t.query::<Order>(&q).await.unwrap().items.len(), 1);

    // A cursor from one partition is refused on another, before DynamoDB sees it.
    let page = t
        .query::<Order>(&Query::index("by_customer", "CUSTOMER#even").limit(1))
        .await
        .unwrap();
    let foreign = Query::index("by_customer", "CUSTOMER#odd").after(page.next);
    assert!(matches!(
        t.query::<Order>(&foreign).await.unwrap_err(),
        Error::InvalidCursor(_)
    ));
    assert!(matches!(
        t.query::<Order>(&Query::index("nope", "x")).await.unwrap_err(),
        Error::UnknownIndex(name) if name == "nope"
    ));
}
