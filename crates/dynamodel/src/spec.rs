//! The table definition: key schema, indexes and TTL, defined once in code.
//!
//! A [`TableSpec`] creates the local table ([`create_table`]) and is exported as JSON for the
//! infrastructure, which builds the deployed table from the same definition.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, GlobalSecondaryIndex, KeySchemaElement, KeyType, LocalSecondaryIndex,
    Projection, ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TableStatus, TimeToLiveSpecification,
};
use serde::{Deserialize, Serialize};

use crate::call::call;
use crate::error::{Error, Result};
use crate::expr::Placeholders;

/// The type of a key attribute (stored as DynamoDB's `S`, `N` or `B`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScalarType {
    /// A string (`S`).
    #[serde(rename = "S")]
    String,
    /// A number (`N`).
    #[serde(rename = "N")]
    Number,
    /// Binary (`B`).
    #[serde(rename = "B")]
    Binary,
}

impl ScalarType {
    /// DynamoDB's code: `S`, `N` or `B`.
    pub fn code(self) -> &'static str {
        match self {
            Self::String => "S",
            Self::Number => "N",
            Self::Binary => "B",
        }
    }

    fn sdk(self) -> ScalarAttributeType {
        match self {
            Self::String => ScalarAttributeType::S,
            Self::Number => ScalarAttributeType::N,
            Self::Binary => ScalarAttributeType::B,
        }
    }
}

/// Which attributes a secondary index holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IndexProjection {
    /// Every attribute (what dynamodel reads whole models from).
    #[serde(rename = "ALL")]
    All,
    /// Only the table's and the index's keys: read [`crate::Projection`]s of key fields, or count.
    #[serde(rename = "KEYS_ONLY")]
    KeysOnly,
}

/// What a table's stream records hold of the item written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StreamView {
    /// The item before and after the write (`NEW_AND_OLD_IMAGES`): what
    /// [`crate::stream::Change`] reads both images from.
    #[serde(rename = "NEW_AND_OLD_IMAGES")]
    NewAndOldImages,
    /// The item after the write (`NEW_IMAGE`).
    #[serde(rename = "NEW_IMAGE")]
    NewImage,
    /// The item before the write (`OLD_IMAGE`).
    #[serde(rename = "OLD_IMAGE")]
    OldImage,
    /// Only the key attributes (`KEYS_ONLY`).
    #[serde(rename = "KEYS_ONLY")]
    KeysOnly,
}

impl StreamView {
    fn sdk(self) -> StreamViewType {
        match self {
            Self::NewAndOldImages => StreamViewType::NewAndOldImages,
            Self::NewImage => StreamViewType::NewImage,
            Self::OldImage => StreamViewType::OldImage,
            Self::KeysOnly => StreamViewType::KeysOnly,
        }
    }
}

/// How the table is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BillingMode {
    /// On demand (`PAY_PER_REQUEST`).
    #[serde(rename = "PAY_PER_REQUEST")]
    PayPerRequest,
}

/// A key attribute: its name and scalar type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAttribute {
    /// Attribute name.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: ScalarType,
}

impl KeyAttribute {
    /// A string key attribute.
    pub fn string(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            kind: ScalarType::String,
        }
    }

    /// A number key attribute.
    pub fn number(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            kind: ScalarType::Number,
        }
    }
}

/// DynamoDB's limit on a partition key value, in bytes (UTF-8 for strings).
pub const PARTITION_KEY_MAX_BYTES: usize = 2048;
/// DynamoDB's limit on a sort key value, in bytes.
pub const SORT_KEY_MAX_BYTES: usize = 1024;

/// One key attribute of a position: what a cursor must hold for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositionKey<'a> {
    /// Attribute name.
    pub name: &'a str,
    /// Declared type.
    pub kind: ScalarType,
    /// Longest value DynamoDB accepts for this key, in bytes.
    pub max_bytes: usize,
}

/// A secondary index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexSpec {
    /// Index name.
    pub name: String,
    /// Partition key (for a local index, the table's).
    pub partition_key: KeyAttribute,
    /// Sort key.
    pub sort_key: Option<KeyAttribute>,
    /// Which attributes the index holds.
    pub projection: IndexProjection,
}

/// The whole table definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSpec {
    /// Table partition key.
    pub partition_key: KeyAttribute,
    /// Table sort key.
    pub sort_key: Option<KeyAttribute>,
    /// Global secondary indexes.
    pub global_secondary_indexes: Vec<IndexSpec>,
    /// Local secondary indexes.
    pub local_secondary_indexes: Vec<IndexSpec>,
    /// The TTL attribute, if items expire.
    pub ttl_attribute: Option<String>,
    /// How the table is billed.
    pub billing_mode: BillingMode,
    /// The table's stream of changes, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<StreamView>,
}

impl TableSpec {
    /// The index with this name.
    pub fn index(&self, name: &str) -> Option<&IndexSpec> {
        self.global_secondary_indexes
            .iter()
            .chain(&self.local_secondary_indexes)
            .find(|i| i.name == name)
    }

    /// The attribute names that make up a position in `index` (or the table): what a cursor holds.
    pub fn position_attributes(&self, index: Option<&str>) -> Vec<&str> {
        self.position_keys(index).iter().map(|k| k.name).collect()
    }

    /// The key attributes that make up a position in `index` (or the table), with their declared
    /// types and DynamoDB's length limit for each: the table's keys first, then the index's.
    pub fn position_keys(&self, index: Option<&str>) -> Vec<PositionKey<'_>> {
        let index = index.and_then(|n| self.index(n));
        let candidates = [
            (Some(&self.partition_key), PARTITION_KEY_MAX_BYTES),
            (self.sort_key.as_ref(), SORT_KEY_MAX_BYTES),
            (index.map(|ix| &ix.partition_key), PARTITION_KEY_MAX_BYTES),
            (
                index.and_then(|ix| ix.sort_key.as_ref()),
                SORT_KEY_MAX_BYTES,
            ),
        ];
        let mut keys: Vec<PositionKey<'_>> = Vec::with_capacity(4);
        for (key, max_bytes) in candidates {
            let Some(key) = key else { continue };
            match keys.iter_mut().find(|k| k.name == key.name) {
                // An attribute that is a sort key somewhere and a partition key elsewhere must fit both.
                Some(known) => known.max_bytes = known.max_bytes.min(max_bytes),
                None => keys.push(PositionKey {
                    name: &key.name,
                    kind: key.kind,
                    max_bytes,
                }),
            }
        }
        keys
    }

    /// Pretty JSON, as committed for the infrastructure.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a table spec always serialises") + "\n"
    }
}

fn key_schema(pk: &KeyAttribute, sk: Option<&KeyAttribute>) -> Vec<KeySchemaElement> {
    let mut schema = vec![element(&pk.name, KeyType::Hash)];
    schema.extend(sk.map(|k| element(&k.name, KeyType::Range)));
    schema
}

fn element(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .expect("name and key type are set")
}

fn projection(spec: &IndexSpec) -> Projection {
    Projection::builder()
        .projection_type(match spec.projection {
            IndexProjection::All => ProjectionType::All,
            IndexProjection::KeysOnly => ProjectionType::KeysOnly,
        })
        .build()
}

/// Creates the table, waits until it is active and enables TTL when the spec has it.
pub async fn create_table(client: &Client, name: &str, spec: &TableSpec) -> Result<()> {
    let mut attributes: Vec<&KeyAttribute> = Vec::new();
    let all_keys = std::iter::once(&spec.partition_key)
        .chain(spec.sort_key.as_ref())
        .chain(
            spec.global_secondary_indexes
                .iter()
                .chain(&spec.local_secondary_indexes)
                .flat_map(|i| std::iter::once(&i.partition_key).chain(i.sort_key.as_ref())),
        );
    for key in all_keys {
        if !attributes.iter().any(|a| a.name == key.name) {
            attributes.push(key);
        }
    }
    let mut req = client
        .create_table()
        .table_name(name)
        .billing_mode(match spec.billing_mode {
            BillingMode::PayPerRequest => aws_sdk_dynamodb::types::BillingMode::PayPerRequest,
        })
        .set_key_schema(Some(key_schema(
            &spec.partition_key,
            spec.sort_key.as_ref(),
        )));
    for a in attributes {
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(&a.name)
                .attribute_type(a.kind.sdk())
                .build()
                .expect("name and type are set"),
        );
    }
    if let Some(view) = spec.stream {
        req = req.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(view.sdk())
                .build()
                .expect("the flag is set"),
        );
    }
    for ix in &spec.global_secondary_indexes {
        req = req.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(&ix.name)
                .set_key_schema(Some(key_schema(&ix.partition_key, ix.sort_key.as_ref())))
                .projection(projection(ix))
                .build()
                .expect("name, keys and projection are set"),
        );
    }
    for ix in &spec.local_secondary_indexes {
        req = req.local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name(&ix.name)
                .set_key_schema(Some(key_schema(&ix.partition_key, ix.sort_key.as_ref())))
                .projection(projection(ix))
                .build()
                .expect("name, keys and projection are set"),
        );
    }
    call("CreateTable", name, Placeholders::default(), |_| req.send()).await?;
    wait_until_active(client, name).await?;
    if let Some(ttl) = &spec.ttl_attribute {
        let specification = TimeToLiveSpecification::builder()
            .attribute_name(ttl)
            .enabled(true)
            .build()
            .expect("name and flag are set");
        call("UpdateTimeToLive", name, Placeholders::default(), |_| {
            client
                .update_time_to_live()
                .table_name(name)
                .time_to_live_specification(specification)
                .send()
        })
        .await?;
    }
    Ok(())
}

/// Polls `DescribeTable` until the table is active (at most ~60 s).
pub async fn wait_until_active(client: &Client, name: &str) -> Result<()> {
    for _ in 0..600 {
        let out = call("DescribeTable", name, Placeholders::default(), |_| {
            client.describe_table().table_name(name).send()
        })
        .await?;
        if out.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(Error::TableNotActive(name.to_owned()))
}

/// Deletes the table.
pub async fn delete_table(client: &Client, name: &str) -> Result<()> {
    call("DeleteTable", name, Placeholders::default(), |_| {
        client.delete_table().table_name(name).send()
    })
    .await?;
    Ok(())
}

/// True when the table exists.
pub async fn table_exists(client: &Client, name: &str) -> Result<bool> {
    let described = call("DescribeTable", name, Placeholders::default(), |_| {
        client.describe_table().table_name(name).send()
    })
    .await;
    match described {
        Ok(_) => Ok(true),
        Err(err) => match &err {
            Error::Sdk {
                kind: crate::SdkErrorKind::ResourceNotFound,
                ..
            } => Ok(false),
            _ => Err(err),
        },
    }
}
