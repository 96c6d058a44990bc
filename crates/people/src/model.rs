//! The `Person` model, its email claim, and the table they live in.

use std::fmt;
use std::str::FromStr;

use dynamodel::expr::AttributeValue;
use dynamodel::garde::{self, Validate};
use dynamodel::{Key, Model, TableSpec};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The index that lists people newest first.
pub const LIST_INDEX: &str = Person::GSI1_INDEX;
/// The partition of [`LIST_INDEX`] that holds every person.
pub const LIST_PARTITION: &str = "PERSON";
/// Stored lowercase copy of the name, for case-insensitive prefix filters.
pub const NAME_SEARCH_ATTRIBUTE: &str = "name_lc";

/// The single definition of the table, from the [`Person`] model's keys and index: local tables are
/// created from it and the infrastructure builds the deployed table from its JSON export
/// (`cargo run -p xtask -- table-spec`). [`EmailClaim`] items share it.
pub fn table_spec() -> TableSpec {
    let mut spec = Person::table_spec();
    // Idempotency records expire; people and claims have no expiry and are never removed by it.
    spec.ttl_attribute = IdempotencyRecord::TTL_ATTRIBUTE.map(str::to_owned);
    // The real-time feed reads every change, with the item before and after it.
    spec.stream = Some(dynamodel::StreamView::NewAndOldImages);
    spec
}

/// A person's id: a ULID, so ids sort by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonId(ulid::Ulid);

/// The id in a path was not a ULID.
#[derive(Debug, Clone, thiserror::Error)]
#[error("must be a 26-character ULID such as 01ARZ3NDEKTSV4RRFFQ69G5FAV")]
pub struct MalformedId;

impl PersonId {
    /// A new id for the current time.
    pub fn generate() -> Self {
        Self(ulid::Ulid::generate())
    }

    /// The item key of this person.
    pub fn key(&self) -> Key {
        Person::key_for(self)
    }
}

impl FromStr for PersonId {
    type Err = MalformedId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != ulid::ULID_LEN {
            return Err(MalformedId);
        }
        let id = ulid::Ulid::from_string(s).map_err(|_| MalformedId)?;
        // Lowercase reads as uppercase (as documented); nothing else may spell an id another way:
        // not Crockford's aliases (`I`, `L`, `O`), nor a first character above 7, which does not
        // fit 128 bits and would name the same person as a lower one.
        if !id.to_string().eq_ignore_ascii_case(s) {
            return Err(MalformedId);
        }
        Ok(Self(id))
    }
}

impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for PersonId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PersonId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A person as stored and as returned by the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, Model)]
#[dynamodel(
    entity = "person",
    pk = "PERSON#{id}",
    sk = "PROFILE",
    index(name = "gsi1", pk = "PERSON", sk = "{id}"),
    validate,
    before_save = Person::normalise,
    derived = Person::search_attributes
)]
pub struct Person {
    /// Server-generated id.
    #[garde(skip)]
    pub id: PersonId,
    /// 1–100 characters after trimming, NFC-normalised, without control, bidirectional-override or
    /// zero-width characters.
    #[dynamodel(trim)]
    #[garde(length(chars, min = 1, max = 100), custom(name_rule))]
    pub name: String,
    /// Valid, lowercase, unique across people.
    #[dynamodel(trim, lowercase)]
    #[garde(custom(email_rule), length(max = 254))]
    pub email: String,
    /// International format: `+` and 7–15 digits.
    #[garde(custom(phone_rule))]
    #[serde(default)]
    pub phone: Option<String>,
    /// Up to 20 distinct lowercase tags of 1–32 characters.
    #[dynamodel(trim, lowercase)]
    #[garde(
        length(max = 20),
        inner(length(chars, min = 1, max = 32), custom(tag_rule))
    )]
    #[serde(default)]
    pub tags: Vec<String>,
    /// When the person was created.
    #[dynamodel(created_at)]
    #[garde(skip)]
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When the person was last written.
    #[dynamodel(updated_at)]
    #[garde(skip)]
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Incremented by every write; the ETag is derived from it.
    #[dynamodel(version)]
    #[garde(skip)]
    pub version: u64,
    /// The subject (`sub`) of the token that created the person, when one did. Set by the server,
    /// never patched, and never returned by the API.
    #[dynamodel(read_only)]
    #[garde(skip)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

impl Person {
    /// Runs on every write, so a value that is already normal is left in place (no allocation).
    fn normalise(&mut self) {
        normalise_name_in_place(&mut self.name);
        if let Some(phone) = &mut self.phone {
            normalise_phone_in_place(phone);
            if phone.is_empty() {
                self.phone = None;
            }
        }
        // Deduplicate in input order, so `tags[i]` in an error names the tag the client sent at i.
        if self.tags.len() > 1 {
            let mut seen = std::collections::HashSet::with_capacity(self.tags.len());
            let first: Vec<bool> = self.tags.iter().map(|t| seen.insert(t.as_str())).collect();
            if first.contains(&false) {
                let mut first = first.into_iter();
                self.tags.retain(|_| first.next().unwrap_or(true));
            }
        }
    }

    /// The opaque entity tag of this stored state: the version and the creation time, so a person
    /// deleted and created again with the same id never repeats a tag of its predecessor.
    pub fn entity_tag(&self) -> String {
        format!(
            "v{}.{:x}",
            self.version,
            self.created_at.unix_timestamp_nanos()
        )
    }

    fn search_attributes(&self) -> Vec<(&'static str, AttributeValue)> {
        vec![(
            NAME_SEARCH_ATTRIBUTE,
            AttributeValue::S(self.name.to_lowercase()),
        )]
    }
}

fn phone_rule(phone: &Option<String>, _: &()) -> garde::Result {
    let Some(phone) = phone else { return Ok(()) };
    let digits = phone.strip_prefix('+').unwrap_or("");
    let valid = (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if valid {
        Ok(())
    } else {
        Err(garde::Error::new(
            "must be an international number: + and 7 to 15 digits, e.g. +14155550100",
        ))
    }
}

/// Characters that change how text around them is shown without being seen: bidirectional marks,
/// embeddings, overrides and isolates (a name could otherwise render as another), and zero-width
/// spaces, joiners and the byte-order mark.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// garde's `email` rule, without its regular expressions for the addresses people have: an address
/// [`plainly_valid_email`] accepts is one garde accepts (tested against it); anything else is judged,
/// and its error worded, by garde.
fn email_rule(email: &str, _: &()) -> garde::Result {
    if plainly_valid_email(email) {
        Ok(())
    } else {
        garde::rules::email::apply(&email, ())
    }
}

/// `user@domain` as garde's grammar has it, in plain ASCII: a user part of 1–64 letters, digits and
/// ``.!#$%&'*+/=?^_`{|}~-``, and a domain of at most 255 bytes made of dot-separated labels of 1–63
/// letters, digits and hyphens that neither start nor end with a hyphen.
fn plainly_valid_email(email: &str) -> bool {
    let Some((user, domain)) = email.split_once('@') else {
        return false;
    };
    let user_ok = (1..=64).contains(&user.len())
        && user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b));
    let label_ok = |label: &str| {
        let bytes = label.as_bytes();
        (1..=63).contains(&bytes.len())
            && bytes[0].is_ascii_alphanumeric()
            && bytes[bytes.len() - 1].is_ascii_alphanumeric()
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
    };
    user_ok && domain.len() <= 255 && domain.split('.').all(label_ok)
}

fn name_rule(name: &str, _: &()) -> garde::Result {
    if name.chars().any(|c| c.is_control() || is_invisible(c)) {
        Err(garde::Error::new(
            "may not contain control, bidirectional-override or zero-width characters",
        ))
    } else {
        Ok(())
    }
}

fn tag_rule(tag: &str, _: &()) -> garde::Result {
    if tag
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
    {
        Ok(())
    } else {
        Err(garde::Error::new(
            "may contain only letters, digits, '-', '_', '.' and ':'",
        ))
    }
}

/// Trims and puts a name in Unicode normalisation form C, so the same name typed on different
/// systems is stored, compared and prefix-matched alike.
pub fn normalise_name(name: &str) -> String {
    let mut name = name.to_owned();
    normalise_name_in_place(&mut name);
    name
}

/// [`normalise_name`] in place: a name that is already trimmed and in form C is not copied.
fn normalise_name_in_place(name: &mut String) {
    use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};
    let trimmed = name.trim();
    if is_nfc_quick(trimmed.chars()) == IsNormalized::Yes {
        if trimmed.len() != name.len() {
            *name = trimmed.to_owned();
        }
    } else {
        *name = trimmed.nfc().collect();
    }
}

fn is_phone_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}')
}

/// Trims, removes the usual separators, and turns a leading `00` into `+`.
pub fn normalise_phone(phone: &str) -> String {
    let mut phone = phone.to_owned();
    normalise_phone_in_place(&mut phone);
    phone
}

/// [`normalise_phone`] in place: a number that is already compact is not copied.
fn normalise_phone_in_place(phone: &mut String) {
    let trimmed = phone.trim();
    if trimmed.len() != phone.len() || trimmed.contains(is_phone_separator) {
        *phone = trimmed
            .chars()
            .filter(|c| !is_phone_separator(*c))
            .collect();
    }
    if phone.starts_with("00") {
        phone.replace_range(..2, "+");
    }
}

/// Trims and lowercases an email.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Trims and lowercases a tag.
pub fn normalise_tag(tag: &str) -> String {
    tag.trim().to_lowercase()
}

/// Holds an email for one person: written, moved and deleted in the same transaction as the person,
/// so two people can never hold the same email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Model)]
#[dynamodel(entity = "email_claim", pk = "EMAIL#{email}", sk = "EMAIL")]
pub struct EmailClaim {
    /// The normalised email.
    pub email: String,
    /// Who holds it.
    pub person_id: PersonId,
}

/// Holds the one person a caller limited to `people/self` may own: created in the same transaction
/// as that person, so such a caller can never create a second one, and released when it is deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Model)]
#[dynamodel(entity = "owner_claim", pk = "OWNER#{owner}", sk = "OWNER")]
pub struct OwnerClaim {
    /// The token subject.
    pub owner: String,
    /// The person it owns.
    pub person_id: PersonId,
}

/// The outcome of a write sent with an `Idempotency-Key`, kept so a retry with the same key gets the
/// same answer without a second write. Scoped to the caller, so one caller's key never replays
/// another's response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Model)]
#[dynamodel(entity = "idempotency", pk = "IDEMPOTENCY#{scope}", sk = "REQUEST")]
pub struct IdempotencyRecord {
    /// The caller's subject (or `-` without one), `#`, and the key.
    pub scope: String,
    /// SHA-256 of the request (method, path, query, preconditions, content type, body), hex.
    pub fingerprint: String,
    /// While the first request runs: when another may take over (epoch seconds), in case it died.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<i64>,
    /// The answer's status, once there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The answer's headers that belong to it (content type, ETag, Location, Retry-After, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// The answer's body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// When DynamoDB removes the record (epoch seconds).
    #[dynamodel(ttl)]
    pub expires_at: Option<i64>,
}

/// How long a WebSocket connection item lives without being refreshed: API Gateway closes a
/// connection after two hours at most, so an item older than that belongs to a connection whose
/// `$disconnect` never arrived.
pub const CONNECTION_TTL_SECONDS: i64 = 2 * 60 * 60 + 10 * 60;

/// The partition of [`LIST_INDEX`] that lists the open WebSocket connections, read once per batch
/// of changes by the stream function.
pub const CONNECTIONS_PARTITION: &str = "CONNECTION";

/// An open WebSocket connection and what it subscribed to. Written at `$connect`, changed by
/// `subscribe` / `unsubscribe`, deleted at `$disconnect` or when a push finds it gone; expires
/// through TTL when none of that happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Model)]
#[dynamodel(
    entity = "connection",
    pk = "CONNECTION#{connection_id}",
    sk = "CONNECTION",
    index(name = "gsi1", pk = "CONNECTION", sk = "{connection_id}")
)]
pub struct Connection {
    /// API Gateway's connection id.
    pub connection_id: String,
    /// The token subject of the caller, when the API requires tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// True when the caller holds only `people/self`: it receives its own person's changes only.
    #[serde(default)]
    pub own_only: bool,
    /// What it receives; `None` until it subscribes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription: Option<Subscription>,
    /// When it connected (epoch seconds).
    pub connected_at: i64,
    /// When DynamoDB removes the item (epoch seconds).
    #[dynamodel(ttl)]
    pub expires_at: Option<i64>,
}

/// What a connection receives: every person's changes, some people's, or those of people with a
/// tag (before or after the change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subscription {
    /// Every person.
    All,
    /// These people.
    Ids(Vec<PersonId>),
    /// People with this (normalised) tag.
    Tag(String),
}

impl Subscription {
    /// True when a change of `person` (as before or after it) concerns this subscription.
    pub fn covers(&self, person: &Person) -> bool {
        match self {
            Subscription::All => true,
            Subscription::Ids(ids) => ids.contains(&person.id),
            Subscription::Tag(tag) => person.tags.iter().any(|t| t == tag),
        }
    }
}

/// Any item of the people table: what a scan or the table's stream reads. Every model of the
/// table is tagged (`_type`), so each item decodes as what it is.
#[derive(Debug, Clone, PartialEq, dynamodel::Entities)]
pub enum PeopleItem {
    /// A person.
    Person(Person),
    /// The claim on a person's email.
    EmailClaim(EmailClaim),
    /// The claim of a `people/self` caller on its one person.
    OwnerClaim(OwnerClaim),
    /// A stored answer to an idempotent write.
    Idempotency(IdempotencyRecord),
    /// An open WebSocket connection.
    Connection(Connection),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person() -> Person {
        let now = OffsetDateTime::now_utc();
        Person {
            id: PersonId::generate(),
            name: "  Ada Lovelace ".into(),
            email: " Ada@Example.COM ".into(),
            phone: Some("0044 (20) 7946-0958".into()),
            tags: vec!["Math".into(), " math".into(), "poet".into()],
            created_at: now,
            updated_at: now,
            version: 0,
            owner: None,
        }
    }

    #[test]
    fn transforms_normalise_before_validation() {
        let mut p = person();
        p.before_save();
        assert_eq!(p.name, "Ada Lovelace");
        assert_eq!(p.email, "ada@example.com");
        assert_eq!(p.phone.as_deref(), Some("+442079460958"));
        assert_eq!(p.tags, vec!["math", "poet"]);
        assert!(Model::validate(&p).is_ok());
    }

    #[test]
    fn each_rule_names_its_field() {
        let mut p = person();
        p.name = "   ".into();
        p.email = "not-an-email".into();
        p.phone = Some("12345".into());
        p.tags = (0..21).map(|i| format!("t{i}")).collect();
        p.tags.push("bad tag!".into());
        p.before_save();
        let errors = Model::validate(&p).unwrap_err();
        let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"name"), "{errors}");
        assert!(fields.contains(&"email"), "{errors}");
        assert!(fields.contains(&"phone"), "{errors}");
        assert!(fields.contains(&"tags"), "{errors}");
        assert!(fields.iter().any(|f| f.starts_with("tags[")), "{errors}");
    }

    #[test]
    fn names_are_nfc_and_visible() {
        let mut p = person();
        p.name = " Ame\u{301}lie ".into();
        p.before_save();
        assert_eq!(p.name, "Am\u{e9}lie");
        assert!(Model::validate(&p).is_ok());
        for hidden in [
            "A\u{0}b",
            "Ada\u{202E}ecalevol",
            "A\u{200B}da",
            "Ad\u{2066}a",
            "\u{FEFF}Ada",
            "A\nda",
        ] {
            let mut p = person();
            p.name = hidden.into();
            p.before_save();
            let errors = Model::validate(&p).unwrap_err();
            assert_eq!(errors.errors()[0].field, "name", "{hidden:?}: {errors}");
        }
    }

    #[test]
    fn normalising_a_normal_person_changes_nothing() {
        let mut p = person();
        p.before_save();
        let normal = p.clone();
        p.before_save();
        assert_eq!(p, normal);
        for (phone, expected) in [
            ("+442079460958", Some("+442079460958")),
            ("00442079460958", Some("+442079460958")),
            (" 0044 20.7946\u{a0}0958 ", Some("+442079460958")),
            ("  ", None),
            ("()", None),
        ] {
            let mut p = person();
            p.phone = Some(phone.into());
            p.before_save();
            assert_eq!(p.phone.as_deref(), expected, "{phone:?}");
        }
        let mut p = person();
        p.tags = ["a", "b", "a", "c", "b"].map(String::from).to_vec();
        p.before_save();
        assert_eq!(p.tags, ["a", "b", "c"]);
    }

    /// The fast email check accepts only what garde's `email` rule accepts, and accepts every
    /// plain ASCII address garde does (so garde's regular expressions run only for the rest).
    #[test]
    fn the_fast_email_check_agrees_with_garde() {
        let garde_ok = |s: &str| garde::rules::email::parse_email(s).is_ok();
        let fixed = [
            "ada@example.com",
            "a@b",
            "a.b+c@x-y.z",
            "-@a",
            "a@-a",
            "a@a-",
            "a@a..b",
            "a@.a",
            "a@a.",
            "@a",
            "a@",
            "a@@a",
            "a@[127.0.0.1]",
            "a@b@c",
            "a b@c",
            "ä@b",
            "a@bü.de",
            "a@xn--b-1fa.de",
            "a@b\n",
        ];
        let long_user = format!("{}@a", "u".repeat(64));
        let too_long_user = format!("{}@a", "u".repeat(65));
        let label = "l".repeat(63);
        let long_label = format!("a@{label}");
        let too_long_label = format!("a@{label}l");
        let long_domain = format!("a@{}", vec!["d".repeat(50); 5].join("."));
        let too_long_domain = format!("a@{}", vec!["d".repeat(51); 5].join("."));
        let sized = [
            &long_user,
            &too_long_user,
            &long_label,
            &too_long_label,
            &long_domain,
            &too_long_domain,
        ];
        let mut cases: Vec<String> = fixed.iter().map(|s| s.to_string()).collect();
        cases.extend(sized.iter().map(|s| s.to_string()));
        // Random strings over the characters that matter, from a fixed seed.
        let alphabet: Vec<char> = "aabZZ09..--@@_+!~`{}[]:1 é\n".chars().collect();
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..200_000 {
            let len = (next() % 12) as usize;
            cases.push(
                (0..len)
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect(),
            );
        }
        let mut accepted = 0;
        for case in &cases {
            let fast = plainly_valid_email(case);
            let garde = garde_ok(case);
            assert!(
                !fast || garde,
                "{case:?}: the fast check accepts what garde refuses"
            );
            let plain = case.is_ascii() && !case.contains(['[', '\n']);
            assert!(
                !plain || fast == garde,
                "{case:?}: fast {fast}, garde {garde}"
            );
            accepted += usize::from(fast);
        }
        assert!(
            accepted > 1_000,
            "the generator reaches valid addresses: {accepted}"
        );
    }

    #[test]
    fn ids_are_ulids() {
        let id = PersonId::generate();
        assert_eq!(id.to_string().parse::<PersonId>().unwrap(), id);
        assert!("not-a-ulid".parse::<PersonId>().is_err());
        assert!("01ARZ3NDEKTSV4RRFFQ69G5FA".parse::<PersonId>().is_err());
        assert!("01ARZ3NDEKTSV4RRFFQ69G5FA!".parse::<PersonId>().is_err());
        let canonical = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
        assert!(canonical.parse::<PersonId>().is_ok());
        for lowercase in ["01arz3ndektsv4rrffq69g5fav", "01ARZ3NDEKTSV4RRFFQ69G5FAv"] {
            assert_eq!(
                lowercase.parse::<PersonId>().unwrap(),
                canonical.parse::<PersonId>().unwrap()
            );
        }
        for alias in [
            "O1ARZ3NDEKTSV4RRFFQ69G5FAV",
            "0IARZ3NDEKTSV4RRFFQ69G5FAV",
            "0LARZ3NDEKTSV4RRFFQ69G5FAV",
            "81ARZ3NDEKTSV4RRFFQ69G5FAV",
            "ZZZZZZZZZZZZZZZZZZZZZZZZZZ",
        ] {
            assert!(alias.parse::<PersonId>().is_err(), "{alias}");
        }
        assert!("7ZZZZZZZZZZZZZZZZZZZZZZZZZ".parse::<PersonId>().is_ok());
    }

    #[test]
    fn table_spec_matches_the_committed_export() {
        let committed = include_str!("../../../infra/table-spec.json");
        assert_eq!(
            table_spec().to_json(),
            committed,
            "infra/table-spec.json is stale: run `cargo run -p xtask -- table-spec > infra/table-spec.json`"
        );
    }
}
