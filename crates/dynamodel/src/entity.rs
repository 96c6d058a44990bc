//! Entity types: many models in one table, read back as a typed union.
//!
//! A tagged model (`#[dynamodel(entity = "person")]`) stores its entity name in an attribute
//! ([`DEFAULT_ENTITY_ATTRIBUTE`], `_type`, unless the model names another) on every item it writes.
//! `#[derive(dynamodel::Entities)]` on an enum whose variants each hold one tagged model reads
//! items of any of them, from queries, scans and stream records:
//!
//! ```ignore
//! #[derive(Debug, dynamodel::Entities)]
//! enum PeopleItem {
//!     Person(Person),
//!     Claim(EmailClaim),
//! }
//! let page = table.scan::<PeopleItem>(&Scan::table()).await?;
//! ```
//!
//! An item whose tag names none of the variants is an [`Error::UnknownEntity`]. An item without a
//! tag (written before the model was tagged) is decoded as the first variant it decodes as, in
//! declaration order; [`crate::Table::backfill_entity`] tags such items so that this guess is no
//! longer needed.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::{Error, Result};
use crate::expr::Condition;
use crate::model::{Item, Model};

/// The attribute a tagged model stores its entity name in, unless it names another.
pub const DEFAULT_ENTITY_ATTRIBUTE: &str = "_type";

/// A type read from a whole item: every [`Model`], and every `#[derive(Entities)]` union.
pub trait FromItem: Sized + Send {
    /// Decodes an item (key and derived attributes are ignored), after checking its entity tag.
    fn from_item(item: Item) -> Result<Self>;

    /// False for an item that has expired but that DynamoDB has not deleted yet.
    fn is_live(_item: &Item) -> bool {
        true
    }

    /// A filter that hides expired items on the server, when one condition can express it.
    fn live_filter() -> Option<Condition> {
        None
    }
}

impl<M: Model> FromItem for M {
    fn from_item(item: Item) -> Result<Self> {
        check_entity::<M>(&item)?;
        let mut model: M = crate::de::from_item(item)?;
        model.after_load();
        Ok(model)
    }

    fn is_live(item: &Item) -> bool {
        crate::Table::is_live::<M>(item)
    }

    fn live_filter() -> Option<Condition> {
        crate::Table::live_filter::<M>()
    }
}

/// The entity an item is tagged with in `attribute`, if any.
pub fn entity_of<'a>(item: &'a Item, attribute: &str) -> Option<&'a str> {
    match item.get(attribute) {
        Some(AttributeValue::S(entity)) => Some(entity),
        _ => None,
    }
}

/// Refuses an item that is tagged as another entity than `M`'s.
pub(crate) fn check_entity<M: Model>(item: &Item) -> Result<()> {
    let Some(attribute) = M::ENTITY_ATTRIBUTE else {
        return Ok(());
    };
    match item.get(attribute) {
        None | Some(AttributeValue::Null(_)) => Ok(()),
        Some(AttributeValue::S(found)) if found == M::ENTITY => Ok(()),
        Some(other) => Err(Error::WrongEntity {
            expected: M::ENTITY,
            found: match other {
                AttributeValue::S(s) => s.clone(),
                other => format!("{other:?}"),
            },
        }),
    }
}

/// One variant of a union of entities, as `#[derive(Entities)]` describes it.
pub struct Variant<T> {
    /// The model's entity name.
    pub entity: &'static str,
    /// The attribute that holds it.
    pub attribute: &'static str,
    /// Decodes the item as this variant.
    pub decode: fn(Item) -> Result<T>,
    /// [`FromItem::is_live`] of the model.
    pub is_live: fn(&Item) -> bool,
}

/// The variant an item is tagged as: `Ok(None)` when it has no tag at all.
fn variant_of<'v, T>(item: &Item, variants: &'v [Variant<T>]) -> Result<Option<&'v Variant<T>>> {
    let mut tagged = None;
    for v in variants {
        if let Some(found) = entity_of(item, v.attribute) {
            if found == v.entity {
                return Ok(Some(v));
            }
            tagged = Some(found);
        }
    }
    match tagged {
        Some(found) => Err(Error::UnknownEntity {
            found: found.to_owned(),
        }),
        None => Ok(None),
    }
}

/// Decodes an item as the variant its tag names; an untagged item as the first variant it decodes
/// as. Used by the code `#[derive(Entities)]` generates.
pub fn decode_union<T>(item: Item, variants: &[Variant<T>]) -> Result<T> {
    if let Some(v) = variant_of(&item, variants)? {
        return (v.decode)(item);
    }
    let mut first_error = None;
    for v in variants {
        match (v.decode)(item.clone()) {
            Ok(value) => return Ok(value),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(Error::UnknownEntity {
        found: String::new(),
    }))
}

/// [`FromItem::is_live`] of the variant an item is tagged as (true for untagged items).
pub fn union_is_live<T>(item: &Item, variants: &[Variant<T>]) -> bool {
    match variant_of(item, variants) {
        Ok(Some(v)) => (v.is_live)(item),
        _ => true,
    }
}

/// The entity attribute of a model that a union holds, or a compile-time error naming it: used in
/// the constants `#[derive(Entities)]` generates.
pub const fn tagged_attribute(
    attribute: Option<&'static str>,
    entity: &'static str,
) -> &'static str {
    match attribute {
        Some(a) => a,
        None => {
            let _ = entity;
            panic!(
                "every model in an Entities union must be tagged: #[dynamodel(entity = \"...\")]"
            )
        }
    }
}
