//! DynamoDB Streams records as typed changes (feature `streams`).
//!
//! A stream function gets batches of [`EventRecord`]s (from `aws_lambda_events`); each holds the
//! item's keys and, depending on the stream's view type, its image before and after the write.
//! [`Change::from_record`] decodes both images with [`FromItem`]: one model, or a union of entities
//! (`#[derive(dynamodel::Entities)]`) for a table that holds several. An image of another entity
//! than the union's is an [`crate::Error::UnknownEntity`], which a consumer can skip with
//! [`Change::decode`]'s `Ok(None)`.

pub use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use time::OffsetDateTime;

use crate::entity::FromItem;
use crate::error::{Error, Result};
use crate::model::Item;

/// What happened to the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A new item (`INSERT`).
    Insert,
    /// An existing item was written (`MODIFY`).
    Modify,
    /// The item was deleted (`REMOVE`), by a caller or by TTL expiry.
    Remove,
}

/// One write to the table, decoded.
#[derive(Debug, Clone)]
pub struct Change<T> {
    /// Insert, modify or remove.
    pub kind: ChangeKind,
    /// The item's key attributes.
    pub keys: Item,
    /// The item before the write (`OLD_IMAGE` / `NEW_AND_OLD_IMAGES` streams, not on insert).
    pub old: Option<T>,
    /// The item after the write (`NEW_IMAGE` / `NEW_AND_OLD_IMAGES` streams, not on remove).
    pub new: Option<T>,
    /// The record's sequence number: its position in the shard, for ordering and deduplication.
    pub sequence_number: Option<String>,
    /// The record's event id: what a batch item failure names.
    pub event_id: String,
    /// When DynamoDB wrote the record (to the second), when the record says.
    pub at: Option<OffsetDateTime>,
    /// True when DynamoDB's TTL process deleted the item (a remove by the service principal).
    pub expired: bool,
}

impl<T: FromItem> Change<T> {
    /// Decodes a record; an image that is present but not a `T` is an error.
    pub fn from_record(record: &EventRecord) -> Result<Self> {
        let kind = match record.event_name.as_str() {
            "INSERT" => ChangeKind::Insert,
            "MODIFY" => ChangeKind::Modify,
            "REMOVE" => ChangeKind::Remove,
            other => {
                return Err(Error::Conversion(
                    format!("unknown stream event name {other:?}").into(),
                ));
            }
        };
        let image = |image: &serde_dynamo::Item| -> Result<Option<T>> {
            if image.is_empty() {
                return Ok(None);
            }
            let item: Item = image.clone().into();
            T::from_item(item).map(Some)
        };
        let change = &record.change;
        let seconds = change.approximate_creation_date_time.timestamp();
        Ok(Self {
            kind,
            keys: change.keys.clone().into(),
            old: image(&change.old_image)?,
            new: image(&change.new_image)?,
            sequence_number: change.sequence_number.clone(),
            event_id: record.event_id.clone(),
            at: (seconds > 0)
                .then(|| OffsetDateTime::from_unix_timestamp(seconds).ok())
                .flatten(),
            expired: record.user_identity.as_ref().is_some_and(|u| {
                u.type_ == "Service" && u.principal_id == "dynamodb.amazonaws.com"
            }),
        })
    }

    /// Decodes a record, or `Ok(None)` when an image belongs to an entity `T` does not read (a
    /// stream consumer for people skips the claims that share the table).
    pub fn decode(record: &EventRecord) -> Result<Option<Self>> {
        match Self::from_record(record) {
            Ok(change) => Ok(Some(change)),
            Err(Error::UnknownEntity { found }) if !found.is_empty() => Ok(None),
            Err(Error::WrongEntity { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The item after the write, or before it for a remove.
    pub fn latest(&self) -> Option<&T> {
        self.new.as_ref().or(self.old.as_ref())
    }
}
