//! Queries: pages with cursors (unsigned, and signed: bound to their listing, expiring), filters,
//! sort-key conditions, indexes; scans with signed cursors.

use std::time::Duration;

use dynamodel::expr::{AttributeValue, attr};
use dynamodel::{CursorKey, Error, Query, Scan, SortCondition};

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

/// The key every signed-cursor test uses (any 32 bytes or more).
fn cursor_key() -> CursorKey {
    CursorKey::new(b"dynamodel integration tests' cursor key").unwrap()
}

fn reason(err: Error) -> &'static str {
    match err {
        Error::InvalidCursor(reason) => reason,
        other => panic!("expected an invalid cursor, got {other}"),
    }
}

#[tokio::test]
async fn signed_cursors_chain_pages_and_stay_in_their_listing() {
    let t = table().await.with_cursor_key(cursor_key());
    assert!(t.signs_cursors());
    for i in 0..12 {
        let mut order = Order::new(&format!("o{i:02}"), "even", 100 + i);
        t.create(&mut order).await.unwrap();
    }
    let listing = || {
        Query::index("by_customer", "CUSTOMER#even")
            .descending()
            .filter(Some(attr("total_cents").ge(102)))
            .cursor_context("a")
            .limit(4)
    };
    let mut ids = Vec::new();
    let mut cursor = None;
    let mut first_cursor = None;
    loop {
        let page = t.query::<Order>(&listing().after(cursor)).await.unwrap();
        ids.extend(page.items.iter().map(|o| o.id.clone()));
        let Some(next) = page.next else { break };
        assert!(next.as_str().contains('.'), "signed: {next}");
        first_cursor.get_or_insert_with(|| next.clone());
        // The limit is not bound: the next page may ask for another size.
        cursor = Some(dynamodel::Cursor::parse(next.as_str()).unwrap());
    }
    let expected: Vec<String> = (2..12).rev().map(|i| format!("o{i:02}")).collect();
    assert_eq!(ids, expected);
    let cursor = first_cursor.unwrap();
    assert!(
        t.query::<Order>(&listing().limit(1).after(Some(cursor.clone())))
            .await
            .is_ok()
    );

    // Any other listing refuses it, before DynamoDB sees it.
    let signature = "the signature does not match (tampered, another key or another listing)";
    let others = [
        listing().cursor_context("b"),
        Query::index("by_customer", "CUSTOMER#even")
            .descending()
            .filter(Some(attr("total_cents").ge(102)))
            .limit(4),
        Query::index("by_customer", "CUSTOMER#even")
            .filter(Some(attr("total_cents").ge(102)))
            .cursor_context("a"),
        listing().filter(Some(attr("total_cents").ge(103))),
        listing().filter(None),
        listing().sort(SortCondition::Le(AttributeValue::S("o09".into()))),
        Query::index("by_customer", "CUSTOMER#odd")
            .descending()
            .filter(Some(attr("total_cents").ge(102)))
            .cursor_context("a"),
    ];
    for other in others {
        let err = t
            .query::<Order>(&other.after(Some(cursor.clone())))
            .await
            .unwrap_err();
        assert_eq!(reason(err), signature);
    }
    // Another key, an unsigned cursor, and a signed one on a table without a key.
    let other_key = table()
        .await
        .with_cursor_key(CursorKey::new(&[9; 32]).unwrap());
    assert_eq!(
        reason(
            other_key
                .query::<Order>(&listing().after(Some(cursor.clone())))
                .await
                .unwrap_err()
        ),
        signature
    );
    let unsigned_table = dynamodel::Table::new(t.client().clone(), t.name(), t.spec().clone());
    let unsigned = unsigned_table
        .query::<Order>(&Query::index("by_customer", "CUSTOMER#even").limit(1))
        .await
        .unwrap();
    let unsigned_cursor = unsigned.next.expect("an unsigned cursor");
    assert!(!unsigned_cursor.as_str().contains('.'));
    assert_eq!(
        reason(
            t.query::<Order>(&listing().after(Some(unsigned_cursor)))
                .await
                .unwrap_err()
        ),
        "not signed"
    );
    assert!(matches!(
        unsigned_table
            .query::<Order>(&listing().after(Some(cursor)))
            .await
            .unwrap_err(),
        Error::InvalidCursor(_)
    ));
}

#[tokio::test]
async fn signed_cursors_expire() {
    let t = table()
        .await
        .with_cursor_key(cursor_key())
        .with_cursor_lifetime(Duration::ZERO);
    for i in 0..3 {
        t.create(&mut Order::new(&format!("o{i}"), "c", 100))
            .await
            .unwrap();
    }
    let q = Query::index("by_customer", "CUSTOMER#c").limit(1);
    let page = t.query::<Order>(&q).await.unwrap();
    let err = t.query::<Order>(&q.after(page.next)).await.unwrap_err();
    assert_eq!(reason(err), "expired");
}

#[tokio::test]
async fn signed_scan_cursors_are_bound_to_the_scan() {
    let t = table().await.with_cursor_key(cursor_key());
    for i in 0..5 {
        t.create(&mut Order::new(&format!("o{i}"), "c", 100 + i))
            .await
            .unwrap();
    }
    let mut seen = 0;
    let mut scan = Scan::table().limit(2);
    loop {
        let page = t.scan::<Order>(&scan).await.unwrap();
        seen += page.items.len();
        match page.next {
            Some(next) => scan = scan.after(Some(next)),
            None => break,
        }
    }
    assert_eq!(seen, 5);
    let page = t.scan::<Order>(&Scan::table().limit(2)).await.unwrap();
    for other in [
        Scan::table().filter(Some(attr("total_cents").ge(101))),
        Scan::table().segment(0, 2),
        Scan::table().cursor_context("x"),
        Scan::index("by_customer"),
    ] {
        let err = t
            .scan::<Order>(&other.after(page.next.clone()))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidCursor(_)), "{err}");
    }
    let all: Vec<Order> = t.parallel_scan(Scan::table().limit(1), 3).await.unwrap();
    assert_eq!(all.len(), 5);
}
