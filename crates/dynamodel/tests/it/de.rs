//! dynamodel reads items exactly as serde_dynamo (which writes them) does: for arbitrary attribute
//! values, both deserializers give the same `serde_json::Value`, and typed models read back what
//! serde_dynamo wrote.

use std::collections::{BTreeMap, HashMap};

use dynamodel::expr::AttributeValue;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        (-1e12f64..1e12).prop_map(|f| f.to_string()),
    ]
}

fn value() -> impl Strategy<Value = AttributeValue> {
    let leaf = prop_oneof![
        "\\PC{0,12}".prop_map(AttributeValue::S),
        number().prop_map(AttributeValue::N),
        any::<bool>().prop_map(AttributeValue::Bool),
        Just(AttributeValue::Null(true)),
        proptest::collection::vec("[a-z]{0,6}", 1..4).prop_map(AttributeValue::Ss),
        proptest::collection::vec(number(), 1..4).prop_map(AttributeValue::Ns),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(AttributeValue::L),
            proptest::collection::hash_map("[a-z_]{1,8}", inner, 0..6).prop_map(AttributeValue::M),
        ]
    })
}

proptest! {
    #[test]
    fn any_value_reads_as_serde_dynamo_reads_it(v in value()) {
        let ours: Result<serde_json::Value, _> = dynamodel::de::from_attribute_value(v.clone());
        let theirs: Result<serde_json::Value, _> = serde_dynamo::from_attribute_value(v);
        prop_assert_eq!(ours.ok(), theirs.ok());
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Shape {
    Dot,
    Circle(f64),
    Rect { w: u32, h: u32 },
    Pair(i8, i8),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Everything {
    text: String,
    small: u8,
    signed: i32,
    big: u64,
    real: f64,
    flag: bool,
    maybe: Option<String>,
    absent: Option<u16>,
    list: Vec<String>,
    nested: BTreeMap<String, Vec<u32>>,
    shapes: Vec<Shape>,
    unit: (),
    tuple: (u8, String),
    #[serde(with = "serde_bytes_like")]
    bytes: Vec<u8>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    skipped: Option<bool>,
}

/// Stores bytes as `B`, as serde_dynamo does for `serde_bytes`.
mod serde_bytes_like {
    pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
        }
        d.deserialize_byte_buf(V)
    }
}

prop_compose! {
    fn everything()(
        text in "\\PC{0,20}", small in any::<u8>(), signed in any::<i32>(), big in any::<u64>(),
        real in -1e9f64..1e9, flag in any::<bool>(), maybe in proptest::option::of("\\PC{0,8}"),
        list in proptest::collection::vec("\\PC{0,8}", 0..4),
        nested in proptest::collection::btree_map("[a-z]{1,5}", proptest::collection::vec(any::<u32>(), 0..3), 0..3),
        shapes in proptest::collection::vec(prop_oneof![
            Just(Shape::Dot),
            (-1e6f64..1e6).prop_map(Shape::Circle),
            (any::<u32>(), any::<u32>()).prop_map(|(w, h)| Shape::Rect { w, h }),
            (any::<i8>(), any::<i8>()).prop_map(|(a, b)| Shape::Pair(a, b)),
        ], 0..4),
        tuple in (any::<u8>(), "[a-z]{0,4}"),
        bytes in proptest::collection::vec(any::<u8>(), 0..16),
        skipped in proptest::option::of(any::<bool>()),
    ) -> Everything {
        Everything { text, small, signed, big, real, flag, maybe, absent: None, list, nested, shapes, unit: (), tuple, bytes, skipped }
    }
}

proptest! {
    #[test]
    fn typed_values_read_back_what_serde_dynamo_wrote(e in everything()) {
        let item: HashMap<String, AttributeValue> = serde_dynamo::to_item(&e).unwrap();
        let back: Everything = dynamodel::de::from_item(item).unwrap();
        prop_assert_eq!(back, e);
    }
}

#[test]
fn a_wrong_type_names_what_was_expected_and_found() {
    let item = HashMap::from([("small".to_owned(), AttributeValue::S("x".into()))]);
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Small {
        small: u8,
    }
    let err = dynamodel::de::from_item::<Small>(item).unwrap_err();
    assert_eq!(
        err.to_string(),
        "expected a number (N), found a S attribute"
    );
}
