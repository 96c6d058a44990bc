//! Opaque, typed pagination cursors, signed and bound to their listing.
//!
//! A cursor is the position after the last item a page returned: the key attributes of that item.
//!
//! On a table with a [`CursorKey`] ([`Table::with_cursor_key`](crate::Table::with_cursor_key)) a
//! cursor is `base64url(payload) "." base64url(tag)`: the payload is a small JSON object with a format
//! version, an expiry (Unix seconds) and the position; the tag is HMAC-SHA256 under the key of a
//! domain string, the *binding* and the payload. The binding is a SHA-256 digest of everything that
//! defines the listing: query or scan, the index, the partition value, the sort-key condition, the
//! direction, the caller's filter (rendered, with its names and values), the scan segment, and a
//! context string the caller may add ([`Query::cursor_context`](crate::Query::cursor_context)). The
//! binding is not in the cursor: a cursor used with another listing fails the tag check exactly as a
//! tampered one does. Checks run in this order, and each failure is an
//! [`Error::InvalidCursor`](crate::Error::InvalidCursor) that never reaches DynamoDB: the tag (in
//! constant time), the format version, the expiry, then the position against the key schema of the
//! index being queried (exactly its key attributes, each of the declared type `S`, `N` or `B`,
//! non-empty, a valid number for `N`, within DynamoDB's key length limits) and the query's partition.
//!
//! Signed, not secret: the payload is not encrypted, so whoever holds a cursor can read the key
//! attributes of the last item of the page it came from (nothing a page's items do not already show
//! in the people API). It cannot change them, reuse them with other filters, or use them after the
//! expiry.
//!
//! A table without a key hands out unsigned cursors, the URL-safe base64 of the position alone, with
//! no binding and no expiry; they are still checked against the key schema and the partition. That
//! keeps the library usable for tools and tests; a service that hands cursors to clients must set a
//! key. A table with a key refuses unsigned cursors, and one without refuses signed ones.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::expr::Placeholders;
use crate::model::Item;
use crate::spec::{PositionKey, ScalarType};

/// Longest cursor accepted, in characters. A position holds at most four keys (table and index,
/// partition and sort): at DynamoDB's key limits that is ~6 KiB of values, ~8.5 KiB once encoded,
/// with the expiry and the signature.
const MAX_LEN: usize = 12 * 1024;
/// The signed payload's format.
const VERSION: u8 = 1;
/// Prefixed to what the tag covers, so a cursor tag is never valid for another use of the same key.
const DOMAIN: &[u8] = b"dynamodel cursor v1\0";
/// Bytes of an HMAC-SHA256 tag.
const TAG_LEN: usize = 32;

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

/// The signed part of a cursor.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Payload {
    /// Format version ([`VERSION`]).
    v: u8,
    /// Expiry, Unix seconds: the cursor is refused from this second on.
    e: i64,
    /// The position.
    p: BTreeMap<String, Scalar>,
}

/// The secret that signs a table's cursors: an HMAC-SHA256 key of at least [`CursorKey::MIN_LEN`]
/// bytes. Cheap to clone; its `Debug` shows nothing of the key.
#[derive(Clone)]
pub struct CursorKey(Arc<Hmac<Sha256>>);

/// A cursor key shorter than [`CursorKey::MIN_LEN`] bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a cursor key needs at least {min} bytes, this one has {len}", min = CursorKey::MIN_LEN)]
pub struct InvalidCursorKey {
    /// The length given.
    pub len: usize,
}

impl CursorKey {
    /// The shortest key accepted: 32 bytes, the output size of SHA-256.
    pub const MIN_LEN: usize = 32;

    /// A key from secret bytes (random, at least [`Self::MIN_LEN`] of them).
    pub fn new(secret: &[u8]) -> std::result::Result<Self, InvalidCursorKey> {
        if secret.len() < Self::MIN_LEN {
            return Err(InvalidCursorKey { len: secret.len() });
        }
        let mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
        Ok(Self(Arc::new(mac)))
    }

    /// The MAC of `binding` and `payload`, ready to finalise or verify.
    fn mac(&self, binding: &[u8; 32], payload: &[u8]) -> Hmac<Sha256> {
        let mut mac = (*self.0).clone();
        mac.update(DOMAIN);
        mac.update(binding);
        mac.update(payload);
        mac
    }
}

impl fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

/// The digest of what a cursor is bound to: fed field by field, each tagged and length-prefixed so
/// that no two listings encode alike.
pub(crate) struct Binding(Sha256);

impl Binding {
    /// A binding for one kind of listing (`query`, `scan`).
    pub(crate) fn new(kind: &str) -> Self {
        let mut binding = Self(Sha256::new());
        binding.bytes(b'k', kind.as_bytes());
        binding
    }

    fn len(&mut self, n: usize) {
        self.0.update((n as u64).to_be_bytes());
    }

    /// A tagged byte string.
    pub(crate) fn bytes(&mut self, tag: u8, bytes: &[u8]) {
        self.0.update([tag]);
        self.len(bytes.len());
        self.0.update(bytes);
    }

    /// A tagged optional string (absent and empty differ).
    pub(crate) fn text(&mut self, tag: u8, text: Option<&str>) {
        match text {
            None => self.0.update([tag, 0]),
            Some(text) => {
                self.0.update([tag, 1]);
                self.len(text.len());
                self.0.update(text.as_bytes());
            }
        }
    }

    /// A tagged attribute value, canonically: map members and expression maps sorted by name.
    pub(crate) fn value(&mut self, tag: u8, value: &AttributeValue) {
        self.0.update([tag]);
        self.attribute(value);
    }

    fn attribute(&mut self, value: &AttributeValue) {
        match value {
            AttributeValue::S(s) => self.bytes(1, s.as_bytes()),
            AttributeValue::N(n) => self.bytes(2, n.as_bytes()),
            AttributeValue::B(b) => self.bytes(3, b.as_ref()),
            AttributeValue::Bool(b) => self.bytes(4, &[u8::from(*b)]),
            AttributeValue::Null(n) => self.bytes(5, &[u8::from(*n)]),
            AttributeValue::L(list) => {
                self.0.update([6]);
                self.len(list.len());
                for v in list {
                    self.attribute(v);
                }
            }
            AttributeValue::M(map) => {
                self.0.update([7]);
                self.len(map.len());
                let mut members: Vec<_> = map.iter().collect();
                members.sort_by(|a, b| a.0.cmp(b.0));
                for (name, v) in members {
                    self.bytes(0, name.as_bytes());
                    self.attribute(v);
                }
            }
            AttributeValue::Ss(set) => self.strings(8, set),
            AttributeValue::Ns(set) => self.strings(9, set),
            AttributeValue::Bs(set) => {
                self.0.update([10]);
                self.len(set.len());
                for b in set {
                    self.bytes(0, b.as_ref());
                }
            }
            // A variant this SDK version does not know: its debug form, at least stable per version.
            other => self.bytes(0xff, format!("{other:?}").as_bytes()),
        }
    }

    fn strings(&mut self, tag: u8, set: &[String]) {
        self.0.update([tag]);
        self.len(set.len());
        for s in set {
            self.bytes(0, s.as_bytes());
        }
    }

    /// A rendered expression with its names and values (`None`: no expression).
    pub(crate) fn expression(&mut self, tag: u8, expression: Option<(&str, &Placeholders)>) {
        let Some((text, placeholders)) = expression else {
            self.0.update([tag, 0]);
            return;
        };
        let (names, values) = (placeholders.names(), placeholders.values());
        self.0.update([tag, 1]);
        self.bytes(b'x', text.as_bytes());
        let mut names: Vec<_> = names.iter().collect();
        names.sort();
        self.len(names.len());
        for (placeholder, name) in names {
            self.bytes(b'#', placeholder.as_bytes());
            self.bytes(b'n', name.as_bytes());
        }
        let mut values: Vec<_> = values.iter().collect();
        values.sort_by(|a, b| a.0.cmp(b.0));
        self.len(values.len());
        for (placeholder, value) in values {
            self.bytes(b':', placeholder.as_bytes());
            self.value(b'v', value);
        }
    }

    pub(crate) fn finish(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

/// How one listing's cursors are made and checked: the table's key (none: unsigned cursors), the
/// listing's binding, and how long a cursor lives.
pub(crate) struct Sealing<'a> {
    pub(crate) key: Option<&'a CursorKey>,
    pub(crate) binding: [u8; 32],
    pub(crate) lifetime: Duration,
}

impl Sealing<'_> {
    /// The cursor for the position of `item` (its `keys` only), handed out at `now` (Unix seconds).
    pub(crate) fn cursor(&self, item: &Item, keys: &[PositionKey<'_>], now: i64) -> Result<Cursor> {
        let Some(key) = self.key else {
            return Cursor::from_item(item, keys);
        };
        let lifetime = i64::try_from(self.lifetime.as_secs()).unwrap_or(i64::MAX);
        let payload = Payload {
            v: VERSION,
            e: now.saturating_add(lifetime),
            p: position_of(item, keys)?,
        };
        let json = serde_json::to_vec(&payload).expect("a payload of strings serialises");
        let tag = key.mac(&self.binding, &json).finalize().into_bytes();
        Ok(Cursor(format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&json),
            URL_SAFE_NO_PAD.encode(tag)
        )))
    }

    /// A signed cursor holding exactly `payload`, whatever it says (tests that forge cursors).
    #[cfg(feature = "testing")]
    pub(crate) fn sign_raw(&self, payload: &[u8]) -> Cursor {
        let key = self
            .key
            .expect("forging a signed cursor needs a table with a key");
        let tag = key.mac(&self.binding, payload).finalize().into_bytes();
        Cursor(format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(tag)
        ))
    }

    /// The position `cursor` holds, once it has proved to be one this listing handed out, unexpired
    /// at `now`, and checked against the key schema of the position (`keys`) and, for a query, its
    /// `partition` (attribute name and value): the `ExclusiveStartKey`.
    pub(crate) fn open(
        &self,
        cursor: &Cursor,
        keys: &[PositionKey<'_>],
        partition: Option<(&str, &AttributeValue)>,
        now: i64,
    ) -> Result<HashMap<String, AttributeValue>> {
        let Some(key) = self.key else {
            if cursor.0.contains('.') {
                return Err(Error::InvalidCursor(
                    "a signed cursor on a table without a key",
                ));
            }
            return match partition {
                Some(partition) => cursor.to_start_key(keys, partition),
                None => cursor.to_position(keys),
            };
        };
        let (payload, tag) = cursor
            .0
            .split_once('.')
            .ok_or(Error::InvalidCursor("not signed"))?;
        let (payload, tag) = decode_signed(payload, tag)?;
        key.mac(&self.binding, &payload)
            .verify_slice(&tag)
            .map_err(|_| {
                Error::InvalidCursor(
                    "the signature does not match (tampered, another key or another listing)",
                )
            })?;
        let payload: Payload =
            serde_json::from_slice(&payload).map_err(|_| Error::InvalidCursor("not a position"))?;
        if payload.v != VERSION {
            return Err(Error::InvalidCursor("an unknown cursor version"));
        }
        if now >= payload.e {
            return Err(Error::InvalidCursor("expired"));
        }
        let position = checked_position(payload.p, keys)?;
        if let Some(partition) = partition {
            check_partition(&position, partition)?;
        }
        Ok(position)
    }
}

/// The two parts of a signed cursor, decoded; the tag must have a tag's length.
fn decode_signed(payload: &str, tag: &str) -> Result<(Vec<u8>, Vec<u8>)> {
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part.as_bytes())
            .map_err(|_| Error::InvalidCursor("not base64url"))
    };
    let (payload, tag) = (decode(payload)?, decode(tag)?);
    if payload.is_empty() || tag.len() != TAG_LEN {
        return Err(Error::InvalidCursor("not a signed cursor"));
    }
    Ok((payload, tag))
}

/// The `keys` of `item`, as a cursor holds them.
fn position_of(item: &Item, keys: &[PositionKey<'_>]) -> Result<BTreeMap<String, Scalar>> {
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
    Ok(map)
}

/// A decoded position as an `ExclusiveStartKey`: exactly the `keys`, each checked against its schema.
fn checked_position(
    mut map: BTreeMap<String, Scalar>,
    keys: &[PositionKey<'_>],
) -> Result<HashMap<String, AttributeValue>> {
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

/// `Ok` when `position` lies in the query's partition (attribute name and value).
fn check_partition(
    position: &HashMap<String, AttributeValue>,
    partition: (&str, &AttributeValue),
) -> Result<()> {
    if position.get(partition.0) == Some(partition.1) {
        Ok(())
    } else {
        Err(Error::InvalidCursor("not a position in this listing"))
    }
}

impl Cursor {
    /// Parses the text form a client sent back. Only the shape is checked here (length; URL-safe
    /// base64, and for a signed cursor its two parts and the tag's length); the query checks that the
    /// cursor belongs to it.
    pub fn parse(text: &str) -> Result<Self> {
        if text.is_empty() || text.len() > MAX_LEN {
            return Err(Error::InvalidCursor("length"));
        }
        match text.split_once('.') {
            Some((payload, tag)) => {
                decode_signed(payload, tag)?;
            }
            None => {
                Self::decode_raw(text)?;
            }
        }
        Ok(Self(text.to_owned()))
    }

    /// The text form to hand to clients.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The unsigned cursor for the position of `item`, keeping only the `keys` that make a position.
    pub(crate) fn from_item(item: &Item, keys: &[PositionKey<'_>]) -> Result<Self> {
        let json =
            serde_json::to_vec(&position_of(item, keys)?).expect("a map of strings serialises");
        Ok(Self(URL_SAFE_NO_PAD.encode(json)))
    }

    fn decode_raw(text: &str) -> Result<BTreeMap<String, Scalar>> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.as_bytes())
            .map_err(|_| Error::InvalidCursor("not base64url"))?;
        serde_json::from_slice(&bytes).map_err(|_| Error::InvalidCursor("not a position"))
    }

    /// The position of an unsigned cursor, checked against the key schema of the position.
    pub(crate) fn to_position(
        &self,
        keys: &[PositionKey<'_>],
    ) -> Result<HashMap<String, AttributeValue>> {
        checked_position(Self::decode_raw(&self.0)?, keys)
    }

    /// The `ExclusiveStartKey` of an unsigned cursor, checked against the key schema of the query's
    /// index and the query's partition (attribute name and value).
    pub(crate) fn to_start_key(
        &self,
        keys: &[PositionKey<'_>],
        partition: (&str, &AttributeValue),
    ) -> Result<HashMap<String, AttributeValue>> {
        let key = self.to_position(keys)?;
        check_partition(&key, partition)?;
        Ok(key)
    }
}

/// One key value of a cursor as DynamoDB will accept it: the declared type, non-empty, within the
/// key's length limit, and a number DynamoDB can store for `N`.
fn checked(value: Scalar, key: &PositionKey<'_>) -> Result<AttributeValue> {
    let (value, len) = match (value, key.kind) {
        (Scalar::S(s), ScalarType::String) => {
            let len = s.len();
            (AttributeValue::S(s), len)
        }
        (Scalar::N(n), ScalarType::Number) => {
            if !is_dynamodb_number(&n) {
                return Err(Error::InvalidCursor("a number key is not a valid number"));
            }
            let len = n.len();
            (AttributeValue::N(n), len)
        }
        (Scalar::B(b), ScalarType::Binary) => {
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
            kind: match kind.as_bytes() {
                b"N" => ScalarType::Number,
                b"B" => ScalarType::Binary,
                _ => ScalarType::String,
            },
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

    // Signed cursors.

    const NOW: i64 = 1_800_000_000;
    const DAY: Duration = Duration::from_secs(86_400);

    fn test_key(byte: u8) -> CursorKey {
        CursorKey::new(&[byte; 32]).unwrap()
    }

    fn binding_of(context: &str) -> [u8; 32] {
        let mut b = Binding::new("query");
        b.text(b'c', Some(context));
        b.finish()
    }

    fn sealing<'k>(key: Option<&'k CursorKey>, context: &str) -> Sealing<'k> {
        Sealing {
            key,
            binding: binding_of(context),
            lifetime: DAY,
        }
    }

    fn reason(e: Error) -> &'static str {
        match e {
            Error::InvalidCursor(reason) => reason,
            other => panic!("{other}"),
        }
    }

    /// The signed form of `payload` under `key` for `context`, as only the key holder can make it.
    fn signed(key: &CursorKey, context: &str, payload: &serde_json::Value) -> Cursor {
        let json = payload.to_string().into_bytes();
        let tag = key.mac(&binding_of(context), &json).finalize().into_bytes();
        Cursor::parse(&format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&json),
            URL_SAFE_NO_PAD.encode(tag)
        ))
        .unwrap()
    }

    #[test]
    fn keys_are_at_least_32_bytes_and_never_shown() {
        assert_eq!(
            CursorKey::new(&[7; 31]).unwrap_err(),
            InvalidCursorKey { len: 31 }
        );
        assert!(CursorKey::new(&[]).is_err());
        let key = CursorKey::new(b"0123456789abcdef0123456789abcdef-secret").unwrap();
        assert_eq!(format!("{key:?}"), "CursorKey(..)");
    }

    #[test]
    fn signed_cursors_round_trip_until_they_expire() {
        let key = test_key(1);
        let seal = sealing(Some(&key), "tag=a");
        let c = seal.cursor(&item(), &KEYS, NOW).unwrap();
        let (payload, tag) = c.as_str().split_once('.').expect("payload.tag");
        assert_eq!(URL_SAFE_NO_PAD.decode(tag).unwrap().len(), TAG_LEN);
        let payload: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        assert_eq!(payload["v"], 1);
        assert_eq!(payload["e"], NOW + 86_400);
        assert_eq!(payload["p"]["gsi1sk"], serde_json::json!({"S": "01J"}));

        let parsed = Cursor::parse(c.as_str()).unwrap();
        let position = seal.open(&parsed, &KEYS, None, NOW).unwrap();
        assert_eq!(
            seal.open(&parsed, &KEYS, Some(person()), NOW).unwrap(),
            position
        );
        let order = AttributeValue::S("ORDER".into());
        assert_eq!(
            reason(
                seal.open(&parsed, &KEYS, Some(("gsi1pk", &order)), NOW)
                    .unwrap_err()
            ),
            "not a position in this listing"
        );
        assert_eq!(position.len(), 4);
        assert!(!position.contains_key("name"));
        assert_eq!(position["pk"], AttributeValue::S("P#1".into()));
        assert!(seal.open(&parsed, &KEYS, None, NOW + 86_399).is_ok());
        assert_eq!(
            reason(seal.open(&parsed, &KEYS, None, NOW + 86_400).unwrap_err()),
            "expired"
        );
        let instant = Sealing {
            lifetime: Duration::ZERO,
            ..sealing(Some(&key), "tag=a")
        };
        let c = instant.cursor(&item(), &KEYS, NOW).unwrap();
        assert_eq!(
            reason(instant.open(&c, &KEYS, None, NOW).unwrap_err()),
            "expired"
        );
    }

    #[test]
    fn tampered_foreign_and_unsigned_cursors_are_refused() {
        let key = test_key(1);
        let seal = sealing(Some(&key), "tag=a");
        let c = seal.cursor(&item(), &KEYS, NOW).unwrap();
        let (payload, tag) = c.as_str().split_once('.').unwrap();
        let signature = "the signature does not match (tampered, another key or another listing)";

        // Another position, or a later expiry, under the same tag.
        let mut json: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        json["p"]["gsi1sk"] = serde_json::json!({"S": "00Z"});
        let moved = URL_SAFE_NO_PAD.encode(json.to_string());
        json["p"]["gsi1sk"] = serde_json::json!({"S": "01J"});
        json["e"] = serde_json::json!(NOW + 10 * 86_400);
        let extended = URL_SAFE_NO_PAD.encode(json.to_string());
        for tampered in [moved, extended] {
            let cursor = Cursor::parse(&format!("{tampered}.{tag}")).unwrap();
            assert_eq!(
                reason(seal.open(&cursor, &KEYS, None, NOW).unwrap_err()),
                signature
            );
        }
        // Another tag.
        let mut bytes = URL_SAFE_NO_PAD.decode(tag).unwrap();
        bytes[0] ^= 1;
        let flipped =
            Cursor::parse(&format!("{payload}.{}", URL_SAFE_NO_PAD.encode(bytes))).unwrap();
        assert_eq!(
            reason(seal.open(&flipped, &KEYS, None, NOW).unwrap_err()),
            signature
        );
        // Another key, another listing.
        let other_key = test_key(2);
        assert_eq!(
            reason(
                sealing(Some(&other_key), "tag=a")
                    .open(&c, &KEYS, None, NOW)
                    .unwrap_err()
            ),
            signature
        );
        assert_eq!(
            reason(
                sealing(Some(&key), "tag=b")
                    .open(&c, &KEYS, None, NOW)
                    .unwrap_err()
            ),
            signature
        );
        // Unsigned on a keyed table, signed on a table without a key.
        let unsigned = Cursor::from_item(&item(), &KEYS).unwrap();
        assert_eq!(
            reason(seal.open(&unsigned, &KEYS, None, NOW).unwrap_err()),
            "not signed"
        );
        assert_eq!(
            reason(
                sealing(None, "tag=a")
                    .open(&c, &KEYS, None, NOW)
                    .unwrap_err()
            ),
            "a signed cursor on a table without a key"
        );
        // A signed payload of another version.
        let future = signed(
            &key,
            "tag=a",
            &serde_json::json!({"v": 2, "e": NOW + 1, "p": {}}),
        );
        assert_eq!(
            reason(seal.open(&future, &KEYS, None, NOW).unwrap_err()),
            "an unknown cursor version"
        );
    }

    #[test]
    fn signed_positions_are_still_checked_against_the_key_schema() {
        let key = test_key(1);
        let seal = sealing(Some(&key), "");
        let valid = serde_json::json!({
            "pk": {"S": "P#1"}, "sk": {"S": "PROFILE"}, "gsi1pk": {"S": "PERSON"}, "gsi1sk": {"S": "01J"}
        });
        let with = |name: &str, value: serde_json::Value| {
            let mut p = valid.clone();
            p[name] = value;
            let cursor = signed(
                &key,
                "",
                &serde_json::json!({"v": 1, "e": NOW + 60, "p": p}),
            );
            seal.open(&cursor, &KEYS, None, NOW)
        };
        assert!(with("gsi1sk", serde_json::json!({"S": "00A"})).is_ok());
        assert_eq!(
            reason(with("gsi1sk", serde_json::json!({"N": "1"})).unwrap_err()),
            "a key value has the wrong type"
        );
        assert_eq!(
            reason(with("pk", serde_json::json!({"S": ""})).unwrap_err()),
            "a key value is empty"
        );
        assert_eq!(
            reason(with("sk", serde_json::json!({"S": "x".repeat(SK + 1)})).unwrap_err()),
            "a key value is too long"
        );
        assert_eq!(
            reason(with("extra", serde_json::json!({"S": "x"})).unwrap_err()),
            "not a position in this listing"
        );
        let not_json = {
            let json = b"not json".to_vec();
            let tag = key.mac(&binding_of(""), &json).finalize().into_bytes();
            Cursor::parse(&format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(&json),
                URL_SAFE_NO_PAD.encode(tag)
            ))
            .unwrap()
        };
        assert_eq!(
            reason(seal.open(&not_json, &KEYS, None, NOW).unwrap_err()),
            "not a position"
        );
    }

    #[test]
    fn parse_checks_the_shape_of_signed_cursors() {
        let c = sealing(Some(&test_key(1)), "")
            .cursor(&item(), &KEYS, NOW)
            .unwrap();
        let (payload, tag) = c.as_str().split_once('.').unwrap();
        assert!(Cursor::parse(c.as_str()).is_ok());
        for bad in [
            format!("{payload}."),
            format!(".{tag}"),
            format!("{payload}.{tag}.{tag}"),
            format!("{payload}.{}", &tag[..tag.len() - 2]),
            format!("{payload}!.{tag}"),
            ".".to_owned(),
        ] {
            assert!(Cursor::parse(&bad).is_err(), "{bad}");
        }
        assert!(Cursor::parse(&"A".repeat(MAX_LEN + 1)).is_err());
    }

    #[test]
    fn bindings_tell_listings_apart() {
        let digest = |f: &dyn Fn(&mut Binding)| {
            let mut b = Binding::new("query");
            f(&mut b);
            b.finish()
        };
        let s = |v: &str| AttributeValue::S(v.into());
        let all = [
            digest(&|_| {}),
            digest(&|b| b.text(b'c', None)),
            digest(&|b| b.text(b'c', Some(""))),
            digest(&|b| b.text(b'c', Some("a"))),
            digest(&|b| b.value(b'p', &s("a"))),
            digest(&|b| b.value(b'p', &AttributeValue::N("1".into()))),
            digest(&|b| b.value(b'p', &AttributeValue::L(vec![s("a"), s("b")]))),
            digest(&|b| b.value(b'p', &AttributeValue::L(vec![s("ab")]))),
            digest(&|b| b.value(b'p', &AttributeValue::Ss(vec!["a".into(), "b".into()]))),
            digest(&|b| b.value(b'p', &AttributeValue::Ss(vec!["ab".into()]))),
            digest(&|b| {
                b.text(b'i', Some("a"));
                b.text(b'c', Some("b"));
            }),
            digest(&|b| {
                b.text(b'i', Some("ab"));
                b.text(b'c', None);
            }),
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
        // Map members in any order are one value.
        let m = |pairs: &[(&str, &str)]| {
            AttributeValue::M(pairs.iter().map(|(k, v)| ((*k).to_owned(), s(v))).collect())
        };
        assert_eq!(
            digest(&|b| b.value(b'p', &m(&[("a", "1"), ("b", "2")]))),
            digest(&|b| b.value(b'p', &m(&[("b", "2"), ("a", "1")])))
        );
        let scan = {
            let mut b = Binding::new("scan");
            b.text(b'c', Some("a"));
            b.finish()
        };
        assert_ne!(scan, all[3]);
    }
}
