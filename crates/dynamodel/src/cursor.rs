//! Opaque, typed pagination cursors.
//!
//! A cursor is the position after the last item a page returned: the key attributes of that item,
//! as URL-safe base64 of a small JSON object. Decoding checks it against the key schema of the index
//! being queried: exactly its key attributes, each of the declared type (`S`, `N` or `B`), non-empty,
//! a valid number for `N`, and within DynamoDB's key length limits; and its partition must match the
//! query's. A tampered or foreign cursor is an [`Error::InvalidCursor`](crate::Error::InvalidCursor)
//! and never reaches DynamoDB.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::Item;
use crate::spec::PositionKey;

/// Longest cursor accepted, in characters. A position holds at most four keys (table and index,
/// partition and sort); at DynamoDB's key limits that is ~6 KiB of values, ~8 KiB once encoded.
const MAX_LEN: usize = 8 * 1024;

/// A position in a query's results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(String);

#[derive(Serialize, Deserialize)]
enum Scalar {
    S(String),
    N(String),
    /// Standard base64 of the bytes.
    B(String),
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

    /// The cursor for the position of `item`, keeping only the `keys` that make a position.
    pub(crate) fn from_item(item: &Item, keys: &[PositionKey<'_>]) -> Result<Self> {
        let mut map = BTreeMap::new();
        for key in keys {
            let scalar = match item.get(key.name) {
                Some(AttributeValue::S(s)) => Scalar::S(s.clone()),
                Some(AttributeValue::N(n)) => Scalar::N(n.clone()),
                Some(AttributeValue::B(b)) => Scalar::B(STANDARD.encode(b.as_ref())),
                _ => return Err(Error::InvalidCursor("item lacks a key attribute")),
            };
            map.insert(key.name.to_owned(), scalar);
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

    /// The `ExclusiveStartKey` of a scan, checked against the key schema of the position.
    pub(crate) fn to_position(
        &self,
        keys: &[PositionKey<'_>],
    ) -> Result<HashMap<String, AttributeValue>> {
        let mut map = Self::decode_raw(&self.0)?;
        if map.len() != keys.len() {
            return Err(Error::InvalidCursor("not a position in this listing"));
        }
        let mut position = HashMap::with_capacity(keys.len());
        for key in keys {
            let value = map
                .remove(key.name)
                .ok_or(Error::InvalidCursor("not a position in this listing"))?;
            position.insert(key.name.to_owned(), checked(value, key)?);
        }
        Ok(position)
    }

    /// The `ExclusiveStartKey`, checked against the key schema of the query's index and the query's
    /// partition (attribute name and value).
    pub(crate) fn to_start_key(
        &self,
        keys: &[PositionKey<'_>],
        partition: (&str, &AttributeValue),
    ) -> Result<HashMap<String, AttributeValue>> {
        let key = self.to_position(keys)?;
        if key.get(partition.0) != Some(partition.1) {
            return Err(Error::InvalidCursor("not a position in this listing"));
        }
        Ok(key)
    }
}

/// One key value of a cursor as DynamoDB will accept it: the declared type, non-empty, within the
/// key's length limit, and a number DynamoDB can store for `N`.
fn checked(value: Scalar, key: &PositionKey<'_>) -> Result<AttributeValue> {
    let (value, len) = match (value, key.kind) {
        (Scalar::S(s), "S") => {
            let len = s.len();
            (AttributeValue::S(s), len)
        }
        (Scalar::N(n), "N") => {
            if !is_dynamodb_number(&n) {
                return Err(Error::InvalidCursor("a number key is not a valid number"));
            }
            let len = n.len();
            (AttributeValue::N(n), len)
        }
        (Scalar::B(b), "B") => {
            let bytes = STANDARD
                .decode(b.as_bytes())
                .map_err(|_| Error::InvalidCursor("a binary key is not base64"))?;
            let len = bytes.len();
            (AttributeValue::B(Blob::new(bytes)), len)
        }
        _ => return Err(Error::InvalidCursor("a key value has the wrong type")),
    };
    if len == 0 {
        return Err(Error::InvalidCursor("a key value is empty"));
    }
    if len > key.max_bytes {
        return Err(Error::InvalidCursor("a key value is too long"));
    }
    Ok(value)
}

/// True when DynamoDB stores `text` as a number: decimal notation with an optional exponent, at
/// most 38 significant digits, and zero or a magnitude from 1E-130 to below 1E+126.
fn is_dynamodb_number(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let exponent: i64 = match exponent {
        None => 0,
        Some(e) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return false;
            }
            match e.parse() {
                Ok(e) => e,
                Err(_) => return false,
            }
        }
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return false;
    }
    let digits: Vec<u8> = whole.bytes().chain(fraction.bytes()).collect();
    let Some(first) = digits.iter().position(|&d| d != b'0') else {
        return true; // zero
    };
    let last = digits.iter().rposition(|&d| d != b'0').unwrap_or(first);
    if last - first + 1 > 38 {
        return false;
    }
    // The power of ten of the first significant digit.
    let magnitude = whole.len() as i64 - 1 - first as i64 + exponent;
    (-130..=125).contains(&magnitude)
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
    use crate::spec::{PARTITION_KEY_MAX_BYTES as PK, SORT_KEY_MAX_BYTES as SK};

    fn item() -> Item {
        HashMap::from([
            ("pk".to_owned(), AttributeValue::S("P#1".into())),
            ("sk".to_owned(), AttributeValue::S("PROFILE".into())),
            ("gsi1pk".to_owned(), AttributeValue::S("PERSON".into())),
            ("gsi1sk".to_owned(), AttributeValue::S("01J".into())),
            ("name".to_owned(), AttributeValue::S("Ada".into())),
        ])
    }

    const fn key(name: &'static str, kind: &'static str, max_bytes: usize) -> PositionKey<'static> {
        PositionKey {
            name,
            kind,
            max_bytes,
        }
    }

    const KEYS: [PositionKey<'static>; 4] = [
        key("pk", "S", PK),
        key("sk", "S", SK),
        key("gsi1pk", "S", PK),
        key("gsi1sk", "S", SK),
    ];

    fn person() -> (&'static str, &'static AttributeValue) {
        static PERSON: std::sync::LazyLock<AttributeValue> =
            std::sync::LazyLock::new(|| AttributeValue::S("PERSON".into()));
        ("gsi1pk", &PERSON)
    }

    /// A cursor holding exactly `values`, as a client could forge it.
    fn forged(values: serde_json::Value) -> Cursor {
        Cursor::parse(&URL_SAFE_NO_PAD.encode(values.to_string())).unwrap()
    }

    #[test]
    fn round_trips_only_key_attributes() {
        let c = Cursor::from_item(&item(), &KEYS).unwrap();
        let parsed = Cursor::parse(c.as_str()).unwrap();
        let key = parsed.to_start_key(&KEYS, person()).unwrap();
        assert_eq!(key.len(), 4);
        assert!(!key.contains_key("name"));
    }

    #[test]
    fn rejects_garbage_and_foreign_positions() {
        assert!(Cursor::parse("!!!").is_err());
        assert!(Cursor::parse("").is_err());
        assert!(Cursor::parse(&URL_SAFE_NO_PAD.encode(b"[1,2]")).is_err());
        let c = Cursor::from_item(&item(), &KEYS).unwrap();
        let other_partition = ("gsi1pk", &AttributeValue::S("ORDER".into()));
        assert!(c.to_start_key(&KEYS, other_partition).is_err());
        let table_only = [key("pk", "S", PK), key("sk", "S", SK)];
        assert!(
            c.to_start_key(&table_only, ("pk", &AttributeValue::S("P#1".into())))
                .is_err()
        );
    }

    #[test]
    fn key_values_must_fit_the_key_schema() {
        let valid = serde_json::json!({
            "pk": {"S": "P#1"}, "sk": {"S": "PROFILE"}, "gsi1pk": {"S": "PERSON"}, "gsi1sk": {"S": "01J"}
        });
        assert!(forged(valid.clone()).to_start_key(&KEYS, person()).is_ok());
        let with = |name: &str, value: serde_json::Value| {
            let mut v = valid.clone();
            v[name] = value;
            forged(v).to_start_key(&KEYS, person()).unwrap_err()
        };
        let reason = |e: Error| match e {
            Error::InvalidCursor(reason) => reason,
            other => panic!("{other}"),
        };
        assert_eq!(
            reason(with("gsi1sk", serde_json::json!({"N": "1"}))),
            "a key value has the wrong type"
        );
        assert_eq!(
            reason(with("sk", serde_json::json!({"B": "AAE="}))),
            "a key value has the wrong type"
        );
        assert_eq!(
            reason(with("gsi1sk", serde_json::json!({"S": ""}))),
            "a key value is empty"
        );
        assert_eq!(
            reason(with("pk", serde_json::json!({"S": ""}))),
            "a key value is empty"
        );
        let long = |n| serde_json::json!({ "S": "é".repeat(n) });
        assert_eq!(
            reason(with("sk", long(SK / 2 + 1))),
            "a key value is too long"
        );
        assert!(
            forged({
                let mut v = valid.clone();
                v["sk"] = long(SK / 2);
                v
            })
            .to_start_key(&KEYS, person())
            .is_ok()
        );
        assert_eq!(
            reason(with("pk", long(PK / 2 + 1))),
            "a key value is too long"
        );
        assert_eq!(
            reason(with("extra", serde_json::json!({"S": "x"}))),
            "not a position in this listing"
        );
    }

    #[test]
    fn number_and_binary_keys_are_checked() {
        let keys = [key("id", "N", PK), key("at", "B", SK)];
        let at = |n: &str, b: &str| {
            forged(serde_json::json!({"id": {"N": n}, "at": {"B": b}})).to_position(&keys)
        };
        let position = at("42", "AAE=").unwrap();
        assert_eq!(position["id"], AttributeValue::N("42".into()));
        assert_eq!(position["at"], AttributeValue::B(Blob::new(vec![0, 1])));
        assert!(at("42", "").is_err(), "empty binary");
        assert!(at("42", "not base64!").is_err());
        for bad in [
            "", "-", "1e", "1.2.3", "0x10", "1e999999", "NaN", "Infinity", "1E126", "1E-131", " 1",
        ] {
            assert!(at(bad, "AAE=").is_err(), "{bad:?}");
        }
        for good in [
            "0", "-0", "0.000", "1.5", "-12.5e3", ".5", "5.", "9.9E125", "1E-130", "00001",
        ] {
            assert!(at(good, "AAE=").is_ok(), "{good:?}");
        }
        let digits_38 = "1".repeat(38);
        assert!(at(&digits_38, "AAE=").is_ok());
        assert!(
            at(&format!("{digits_38}1"), "AAE=").is_err(),
            "39 significant digits"
        );
        assert!(
            at(&format!("{digits_38}0000"), "AAE=").is_ok(),
            "trailing zeros are not significant"
        );

        let binary_item = HashMap::from([
            ("id".to_owned(), AttributeValue::N("7".into())),
            ("at".to_owned(), AttributeValue::B(Blob::new(vec![9, 8, 7]))),
        ]);
        let c = Cursor::from_item(&binary_item, &keys).unwrap();
        assert_eq!(c.to_position(&keys).unwrap(), binary_item);
    }
}
