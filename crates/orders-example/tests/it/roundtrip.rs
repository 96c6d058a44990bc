//! Property: any order converts to an item and back unchanged, with its keys and index keys added.

use dynamodel::expr::AttributeValue;
use dynamodel::{Model, Table};
use orders_example::{Address, Order};
use proptest::prelude::*;

fn table() -> Table {
    // Conversions never touch the network; the endpoint is never called.
    Table::new(
        dynamodb_local::client_for("http://127.0.0.1:9"),
        "orders",
        Order::table_spec(),
    )
}

fn timestamp() -> impl Strategy<Value = time::OffsetDateTime> {
    (0i64..4_000_000_000, 0u32..1_000_000_000).prop_map(|(secs, nanos)| {
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap()
            + time::Duration::nanoseconds(nanos.into())
    })
}

prop_compose! {
    fn address()(street in "\\PC{1,40}", city in "\\PC{1,20}", postcode in proptest::option::of("[0-9A-Z ]{0,10}")) -> Address {
        Address { street, city, postcode }
    }
}

prop_compose! {
    fn order()(
        customer_id in "[a-zA-Z0-9#_-]{1,20}",
        order_id in "[a-zA-Z0-9#_-]{1,20}",
        status in "[a-z]{1,10}",
        total_cents in any::<u64>(),
        items in proptest::collection::vec("\\PC{0,12}", 0..8),
        note in proptest::option::of("\\PC{0,30}"),
        shipping in address(),
        gift_wrap in any::<bool>(),
        expires_at in proptest::option::of(any::<i64>()),
        created_at in timestamp(),
        updated_at in timestamp(),
        version in any::<u64>(),
    ) -> Order {
        Order { customer_id, order_id, status, total_cents, items, note, shipping, gift_wrap, expires_at, created_at, updated_at, version }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn model_item_model_round_trips(order in order()) {
        let table = table();
        let item = table.to_item(&order).unwrap();
        let key = order.key();
        prop_assert_eq!(&item["pk"], &AttributeValue::S(key.pk));
        prop_assert_eq!(&item["sk"], &AttributeValue::S(key.sk.unwrap()));
        prop_assert_eq!(&item["by_statuspk"], &AttributeValue::S(format!("STATUS#{}", order.status)));
        let back: Order = Table::from_item(item).unwrap();
        prop_assert_eq!(back, order);
    }

    #[test]
    fn patches_applied_in_memory_match_their_update(order in order(), city in "\\PC{1,20}", total in any::<u64>()) {
        use dynamodel::Patch;
        let patch = orders_example::OrderPatch {
            total_cents: Some(total),
            shipping: Some(orders_example::AddressPatch { city: Some(city.clone()), ..Default::default() }),
            ..Default::default()
        };
        let mut patched = order.clone();
        patch.apply(&mut patched);
        prop_assert_eq!(patched.total_cents, total);
        prop_assert_eq!(&patched.shipping.city, &city);
        prop_assert_eq!(&patched.shipping.street, &order.shipping.street);
        prop_assert_eq!(patch.to_update().len(), 2);
    }
}
