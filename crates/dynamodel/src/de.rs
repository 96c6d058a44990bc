//! Items to models, deserialised straight from the SDK's `AttributeValue`s.
//!
//! `serde_dynamo::from_item` first rebuilds every item as its own `HashMap` of its own attribute
//! values and then deserialises that; reading a `Person` that way cost 1.85 µs, of which the rebuild was
//! a quarter and the rest its general-purpose deserializer (`make bench`, the parts table). Reads are
//! the hot path of every get and every list page (21 items), so dynamodel deserialises the SDK's values
//! in place, with the same mapping as serde_dynamo (which still does the writing): `S` strings, `N`
//! numbers (integers when they parse as such), `BOOL`, `NULL` as unit or `None`, `M` maps and structs,
//! `L` and the sets as sequences, `B` bytes, enums as a string (unit variant) or a one-entry map.
//! A property test checks that both give the same result for arbitrary attribute values.

use std::collections::HashMap;
use std::fmt;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::value::StringDeserializer;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};
use serde::forward_to_deserialize_any;

/// An item could not be read as the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeError(String);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self(msg.to_string())
    }
}

/// Deserialises a whole item.
pub fn from_item<T: DeserializeOwned>(item: HashMap<String, AttributeValue>) -> Result<T, DeError> {
    T::deserialize(Value(AttributeValue::M(item)))
}

/// Deserialises one attribute value.
pub fn from_attribute_value<T: DeserializeOwned>(value: AttributeValue) -> Result<T, DeError> {
    T::deserialize(Value(value))
}

struct Value(AttributeValue);

fn kind(value: &AttributeValue) -> &'static str {
    match value {
        AttributeValue::S(_) => "S",
        AttributeValue::N(_) => "N",
        AttributeValue::B(_) => "B",
        AttributeValue::Bool(_) => "BOOL",
        AttributeValue::Null(_) => "NULL",
        AttributeValue::M(_) => "M",
        AttributeValue::L(_) => "L",
        AttributeValue::Ss(_) => "SS",
        AttributeValue::Ns(_) => "NS",
        AttributeValue::Bs(_) => "BS",
        _ => "an unknown type",
    }
}

fn unexpected(value: &AttributeValue, wanted: &str) -> DeError {
    DeError(format!(
        "expected {wanted}, found a {} attribute",
        kind(value)
    ))
}

/// `N` text as the visitor's best match: an integer when it is one, else a float.
fn visit_number<'de, V: Visitor<'de>>(n: &str, visitor: V) -> Result<V::Value, DeError> {
    if let Ok(i) = n.parse::<i64>() {
        visitor.visit_i64(i)
    } else if let Ok(u) = n.parse::<u64>() {
        visitor.visit_u64(u)
    } else if let Ok(f) = n.parse::<f64>() {
        visitor.visit_f64(f)
    } else {
        Err(DeError(format!("{n:?} is not a number")))
    }
}

macro_rules! deserialize_number {
    ($($method:ident => $visit:ident: $ty:ty),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            match &self.0 {
                AttributeValue::N(n) => match n.parse::<$ty>() {
                    Ok(v) => visitor.$visit(v),
                    Err(_) => Err(DeError(format!(concat!("{:?} is not a valid ", stringify!($ty)), n))),
                },
                other => Err(unexpected(other, "a number (N)")),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Value {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            AttributeValue::S(s) => visitor.visit_string(s),
            AttributeValue::N(n) => visit_number(&n, visitor),
            AttributeValue::Bool(b) => visitor.visit_bool(b),
            AttributeValue::Null(_) => visitor.visit_unit(),
            AttributeValue::M(m) => visitor.visit_map(Map::new(m)),
            AttributeValue::L(l) => visitor.visit_seq(Seq(l.into_iter().map(Value))),
            AttributeValue::B(b) => visitor.visit_byte_buf(b.into_inner()),
            AttributeValue::Ss(ss) => {
                visitor.visit_seq(Seq(ss.into_iter().map(AttributeValue::S).map(Value)))
            }
            AttributeValue::Ns(ns) => {
                visitor.visit_seq(Seq(ns.into_iter().map(AttributeValue::N).map(Value)))
            }
            AttributeValue::Bs(bs) => {
                visitor.visit_seq(Seq(bs.into_iter().map(AttributeValue::B).map(Value)))
            }
            other => Err(unexpected(&other, "a known attribute type")),
        }
    }

    deserialize_number! {
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_i128 => visit_i128: i128,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64,
        deserialize_u128 => visit_u128: u128,
        deserialize_f32 => visit_f32: f32,
        deserialize_f64 => visit_f64: f64,
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            AttributeValue::Null(_) => visitor.visit_none(),
            other => visitor.visit_some(Value(other)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.0 {
            AttributeValue::S(s) => visitor.visit_enum(s.into_deserializer()),
            AttributeValue::M(m) if m.len() == 1 => {
                let (variant, value) = m.into_iter().next().expect("one entry");
                visitor.visit_enum(Variant { variant, value })
            }
            other => Err(unexpected(&other, "an enum as a string or a one-entry map")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        // Key and index attributes are skipped without being looked at.
        drop(self);
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        bool char str string bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier
    }
}

struct Map {
    entries: std::collections::hash_map::IntoIter<String, AttributeValue>,
    value: Option<AttributeValue>,
}

impl Map {
    fn new(map: HashMap<String, AttributeValue>) -> Self {
        Self {
            entries: map.into_iter(),
            value: None,
        }
    }
}

impl<'de> MapAccess<'de> for Map {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                let key: StringDeserializer<DeError> = key.into_deserializer();
                seed.deserialize(key).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, DeError> {
        let value = self
            .value
            .take()
            .ok_or_else(|| DeError("a map value was asked for before its key".into()))?;
        seed.deserialize(Value(value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

struct Seq<I>(I);

impl<'de, I: ExactSizeIterator<Item = Value>> SeqAccess<'de> for Seq<I> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        self.0.next().map(|v| seed.deserialize(v)).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Variant {
    variant: String,
    value: AttributeValue,
}

impl<'de> EnumAccess<'de> for Variant {
    type Error = DeError;
    type Variant = Value;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Value), DeError> {
        let name: StringDeserializer<DeError> = self.variant.into_deserializer();
        Ok((seed.deserialize(name)?, Value(self.value)))
    }
}

impl<'de> VariantAccess<'de> for Value {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        match self.0 {
            AttributeValue::Null(_) => Ok(()),
            other => Err(unexpected(&other, "NULL for a unit variant")),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_seq(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_map(self, visitor)
    }
}
