//! Opaque, typed pagination cursors.
//!
//! A cursor is the position after the last item a page returned: the key attributes of that item,
//! as URL-safe base64 of a small JSON object. Decoding checks that it holds exactly the key attributes
//! of the index being queried, with scalar values, and that its partition matches the query's, so a
//! tampered or foreign cursor is an [`Error::InvalidCursor`](crate::Error::InvalidCursor) and never
//! reaches DynamoDB.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::Item;

/// Longest cursor accepted, in characters (a position is a few short keys).
const MAX_LEN: usize = 2048;

/// A position in a query's results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(String);

#[derive(Serialize, Deserialize)]
enum Scalar {
    S(String),
    N(String),
}

impl Cursor {
    /// Parses the text form a client sent back. Only the shape is checked here; the query checks
    /// that the cursor belongs to it.
    pub fn parse(text: &str) -> Result<Self> {
        if text.is_empty() || text.len() > MAX_LEN {
            return Err(Error::InvalidCursor("length"));
        }
        Self::decode_raw(text)?;
        Ok(Self(text.to_owned()))
    }

    /// The text form to hand to clients.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The cursor for the position of `item`, keeping only the `attributes` that make a position.
    pub(crate) fn from_item(item: &Item, attributes: &[&str]) -> Result<Self> {
        let mut map = BTreeMap::new();
        for name in attributes {
            let scalar = match item.get(*name) {
                Some(AttributeValue::S(s)) => Scalar::S(s.clone()),
                Some(AttributeValue::N(n)) => Scalar::N(n.clone()),
                _ => return Err(Error::InvalidCursor("item lacks a key attribute")),
            };
            map.insert((*name).to_owned(), scalar);
        }
        let json = serde_json::to_vec(&map).expect("a map of strings serialises");
        Ok(Self(URL_SAFE_NO_PAD.encode(json)))
    }

    fn decode_raw(text: &str) -> Result<BTreeMap<String, Scalar>> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.as_bytes())
            .map_err(|_| Error::InvalidCursor("not base64url"))?;
        serde_json::from_slice(&bytes).map_err(|_| Error::InvalidCursor("not a position"))
    }

    /// The `ExclusiveStartKey` of a scan, checked against the attributes that make a position.
    pub(crate) fn to_position(
        &self,
        attributes: &[&str],
    ) -> Result<HashMap<String, AttributeValue>> {
        let map = Self::decode_raw(&self.0)?;
        if map.len() != attributes.len() || !attributes.iter().all(|a| map.contains_key(*a)) {
            return Err(Error::InvalidCursor("not a position in this listing"));
        }
        Ok(map
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Scalar::S(s) => AttributeValue::S(s),
                    Scalar::N(n) => AttributeValue::N(n),
                };
                (k, v)
            })
            .collect())
    }

    /// The `ExclusiveStartKey`, checked against the attributes the query's index uses and the
    /// query's partition (attribute name and value).
    pub(crate) fn to_start_key(
        &self,
        attributes: &[&str],
        partition: (&str, &AttributeValue),
    ) -> Result<HashMap<String, AttributeValue>> {
        let key = self.to_position(attributes)?;
        if key.get(partition.0) != Some(partition.1) {
            return Err(Error::InvalidCursor("not a position in this listing"));
        }
        Ok(key)
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Cursor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> Item {
        HashMap::from([
            ("pk".to_owned(), AttributeValue::S("P#1".into())),
            ("sk".to_owned(), AttributeValue::S("PROFILE".into())),
            ("gsi1pk".to_owned(), AttributeValue::S("PERSON".into())),
            ("gsi1sk".to_owned(), AttributeValue::S("01J".into())),
            ("name".to_owned(), AttributeValue::S("Ada".into())),
        ])
    }

    const ATTRS: [&str; 4] = ["pk", "sk", "gsi1pk", "gsi1sk"];

    #[test]
    fn round_trips_only_key_attributes() {
        let c = Cursor::from_item(&item(), &ATTRS).unwrap();
        let parsed = Cursor::parse(c.as_str()).unwrap();
        let key = parsed
            .to_start_key(&ATTRS, ("gsi1pk", &AttributeValue::S("PERSON".into())))
            .unwrap();
        assert_eq!(key.len(), 4);
        assert!(!key.contains_key("name"));
    }

    #[test]
    fn rejects_garbage_and_foreign_positions() {
        assert!(Cursor::parse("!!!").is_err());
        assert!(Cursor::parse("").is_err());
        assert!(Cursor::parse(&URL_SAFE_NO_PAD.encode(b"[1,2]")).is_err());
        let c = Cursor::from_item(&item(), &ATTRS).unwrap();
        let other_partition = ("gsi1pk", &AttributeValue::S("ORDER".into()));
        assert!(c.to_start_key(&ATTRS, other_partition).is_err());
        let table_only = ["pk", "sk"];
        assert!(
            c.to_start_key(&table_only, ("pk", &AttributeValue::S("P#1".into())))
                .is_err()
        );
    }
}
