//! What the derives generate beyond reads and writes, checked without DynamoDB: index name
//! constants and entity tags.

use dynamodel::Model;
use orders_example::Order;
use serde::{Deserialize, Serialize};

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
        Order::ENTITY_ATTRIBUTE,
        Some(dynamodel::DEFAULT_ENTITY_ATTRIBUTE)
    );
    assert_eq!(OwnAttribute::ENTITY_ATTRIBUTE, Some("kind"));

    assert_eq!(Untagged::ENTITY, "Untagged", "the struct name");
    assert_eq!(Untagged::ENTITY_ATTRIBUTE, None);
}
