//! What the derives generate beyond reads and writes, checked without DynamoDB: index name
//! constants, entity tags, a union of entities and a projection.

use dynamodel::expr::{AttributeValue, attr};
use dynamodel::{Error, FromItem, Item, Model, Projection};
use orders_example::{Customer, CustomerItem, Order, OrderSummary};
use serde::{Deserialize, Serialize};

/// An item as a table would store it: the fields and, when tagged, the entity.
fn item<M: Model>(model: &M, tag: Option<&str>) -> Item {
    let mut item: Item = serde_dynamo::to_item(model).unwrap();
    if let Some(tag) = tag {
        item.insert("_type".into(), AttributeValue::S(tag.into()));
    }
    item
}

fn customer() -> Customer {
    Customer {
        customer_id: "c1".into(),
        name: "Ada".into(),
    }
}

#[test]
fn an_index_name_is_a_constant_on_the_model() {
    assert_eq!(Order::BY_STATUS_INDEX, "by_status");
    assert_eq!(
        Order::table_spec().global_secondary_indexes[0].name,
        Order::BY_STATUS_INDEX
    );
}

#[derive(Debug, Serialize, Deserialize, dynamodel::Model)]
#[dynamodel(pk = "NOTE#{id}")]
struct Untagged {
    id: String,
}

#[derive(Debug, Serialize, Deserialize, dynamodel::Model)]
#[dynamodel(entity = "note", entity_attribute = "kind", pk = "NOTE#{id}")]
struct OwnAttribute {
    id: String,
}

#[test]
fn entity_makes_a_model_tagged() {
    assert_eq!(Order::ENTITY, "Order");
    assert_eq!(Order::ENTITY_ATTRIBUTE, Some("_type"));
    // The derive cannot read the library's constant, so it repeats it: they must agree.
    assert_eq!(
        Customer::ENTITY_ATTRIBUTE,
        Some(dynamodel::DEFAULT_ENTITY_ATTRIBUTE)
    );
    assert_eq!(OwnAttribute::ENTITY_ATTRIBUTE, Some("kind"));

    assert_eq!(Untagged::ENTITY, "Untagged", "the struct name");
    assert_eq!(Untagged::ENTITY_ATTRIBUTE, None);
}

#[test]
fn a_union_lists_its_entities_and_decodes_by_tag() {
    assert_eq!(CustomerItem::ENTITIES, ["Customer", "Order"]);

    let order = Order::cart("c1", "o1", 100);
    assert_eq!(
        CustomerItem::from_item(item(&order, Some("Order"))).unwrap(),
        CustomerItem::from(order.clone())
    );
    assert_eq!(
        CustomerItem::from_item(item(&customer(), Some("Customer"))).unwrap(),
        CustomerItem::Customer(customer())
    );
    // An item written before its model was tagged is the first variant it decodes as.
    assert_eq!(
        CustomerItem::from_item(item(&order, None)).unwrap(),
        CustomerItem::Order(order.clone())
    );
    match CustomerItem::from_item(item(&order, Some("Invoice"))) {
        Err(Error::UnknownEntity { found }) => assert_eq!(found, "Invoice"),
        other => panic!("expected UnknownEntity, got {other:?}"),
    }
}

#[derive(Debug, Deserialize, dynamodel::Projection)]
#[dynamodel(model = Order)]
#[allow(dead_code)]
struct Total {
    total_cents: u64,
    #[serde(skip)]
    seen: bool,
}

#[test]
fn a_projection_reads_the_model_s_stored_names() {
    assert_eq!(
        OrderSummary::paths(),
        [
            attr("order_id"),
            attr("status"),
            attr("total_cents"),
            attr("gift")
        ]
    );
    assert_eq!(Total::paths(), [attr("total_cents")], "serde skips `seen`");

    let mut order = Order::cart("c1", "o1", 100);
    order.gift_wrap = true;
    let summary: OrderSummary = serde_dynamo::from_item(item(&order, None)).unwrap();
    assert_eq!(
        summary,
        OrderSummary {
            order_id: "o1".into(),
            status: "cart".into(),
            total_cents: 100,
            gift_wrap: true,
        }
    );
}
