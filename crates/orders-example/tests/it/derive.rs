//! What `#[derive(Model)]` generates for the order model: keys, the table spec, typed paths.

use dynamodel::Model;
use dynamodel::expr::AttributeValue;
use orders_example::Order;

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
