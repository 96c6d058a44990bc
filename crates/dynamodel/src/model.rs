//! The [`Model`] trait: how a Rust type becomes a DynamoDB item and back.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use crate::validation::ValidationErrors;

/// A DynamoDB item.
pub type Item = HashMap<String, AttributeValue>;

/// The primary key of an item: partition key and, for tables with one, sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// Partition key value.
    pub pk: String,
    /// Sort key value.
    pub sk: Option<String>,
}

impl Key {
    /// A key with a partition and a sort value.
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: Some(sk.into()),
        }
    }

    /// A key with only a partition value.
    pub fn partition(pk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: None,
        }
    }
}

/// A Rust type stored as DynamoDB items of one kind.
///
/// The fields are converted with `serde_dynamo`; the key attributes (table and index keys, from
/// [`Model::key`] and [`Model::derived_attributes`]) are added to the item on write and ignored on read.
///
/// Optional behaviours, each off by default:
/// - transforms: [`Model::before_save`] (trim, lowercase, normalise) and [`Model::after_load`];
/// - validation: [`Model::validate`], run after the transforms and before any write;
/// - optimistic locking: [`Model::VERSION_ATTRIBUTE`] with [`Model::version`] / [`Model::set_version`];
///   every write is then conditional on the stored version;
/// - timestamps: [`Model::CREATED_AT_ATTRIBUTE`] / [`Model::UPDATED_AT_ATTRIBUTE`] with
///   [`Model::set_created_at`] / [`Model::set_updated_at`];
/// - expiry: [`Model::TTL_ATTRIBUTE`].
pub trait Model: Serialize + DeserializeOwned + Send + Sync {
    /// The entity name, used in errors and traces, and stored in [`Model::ENTITY_ATTRIBUTE`] when
    /// the model is tagged.
    const ENTITY: &'static str;

    /// The attribute that holds [`Model::ENTITY`] on every item of a tagged model
    /// (`#[dynamodel(entity = "person")]`, attribute [`crate::DEFAULT_ENTITY_ATTRIBUTE`] unless
    /// `entity_attribute = "..."` names another). Writes set it; reads refuse an item tagged with
    /// another entity ([`crate::Error::WrongEntity`]) and accept an item without the attribute, so
    /// items written before the model was tagged keep working (see [`crate::Table::backfill_entity`]).
    /// Tagged models can be read through a union of entities (`#[derive(dynamodel::Entities)]`).
    const ENTITY_ATTRIBUTE: Option<&'static str> = None;

    /// The stored attribute holding the version, when the model is versioned.
    const VERSION_ATTRIBUTE: Option<&'static str> = None;

    /// The stored attribute holding the creation time, when the library maintains it.
    const CREATED_AT_ATTRIBUTE: Option<&'static str> = None;

    /// The stored attribute holding the last-update time, when the library maintains it.
    const UPDATED_AT_ATTRIBUTE: Option<&'static str> = None;

    /// The stored attribute holding the expiry time (epoch seconds), when items expire. Reads skip
    /// items that have expired but that DynamoDB has not deleted yet.
    const TTL_ATTRIBUTE: Option<&'static str> = None;

    /// This item's primary key.
    fn key(&self) -> Key;

    /// Attributes derived from the fields, written on save and ignored on load: secondary index keys
    /// (e.g. `("gsi1pk", "PERSON")`; an absent index key keeps the item out of a sparse index) and
    /// search copies such as a lowercase name.
    fn derived_attributes(&self) -> Vec<(&'static str, AttributeValue)> {
        Vec::new()
    }

    /// Transforms applied before validation and save.
    fn before_save(&mut self) {}

    /// Transforms applied after an item is loaded.
    fn after_load(&mut self) {}

    /// Validation rules, checked after [`Model::before_save`].
    fn validate(&self) -> Result<(), ValidationErrors> {
        Ok(())
    }

    /// The current version (0 for a model never saved).
    fn version(&self) -> u64 {
        0
    }

    /// Sets the version.
    fn set_version(&mut self, _version: u64) {}

    /// Sets the creation time.
    fn set_created_at(&mut self, _at: OffsetDateTime) {}

    /// Sets the last-update time.
    fn set_updated_at(&mut self, _at: OffsetDateTime) {}

    /// How a timestamp is stored (RFC 3339 text by default, matching `time::serde::rfc3339`).
    fn timestamp_attribute(at: OffsetDateTime) -> AttributeValue {
        AttributeValue::S(
            at.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        )
    }
}
