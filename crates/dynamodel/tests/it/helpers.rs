//! Test support shared by the modules: an order model that has nothing to do with people, an
//! unversioned counter sharing its table, the table's spec, and a fresh table per test.

use dynamodel::expr::AttributeValue;
use dynamodel::garde::Validate;
use dynamodel::{IndexSpec, Key, KeyAttribute, Model, Table, TableSpec, ValidationErrors};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A versioned, timestamped model with a customer index, hooks and garde validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
pub struct Order {
    #[garde(length(min = 1))]
    pub id: String,
    #[garde(length(min = 1, max = 20))]
    pub customer: String,
    #[garde(range(min = 1))]
    pub total_cents: u64,
    #[garde(skip)]
    pub status: String,
    #[garde(skip)]
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[garde(skip)]
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[garde(skip)]
    pub version: u64,
}

impl Order {
    pub fn new(id: &str, customer: &str, total_cents: u64) -> Self {
        Self {
            id: id.into(),
            customer: customer.into(),
            total_cents,
            status: "  NEW ".into(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
            version: 0,
        }
    }

    pub fn key_of(id: &str) -> Key {
        Key::new(format!("ORDER#{id}"), "ORDER")
    }
}

impl Model for Order {
    const ENTITY: &'static str = "Order";
    const VERSION_ATTRIBUTE: Option<&'static str> = Some("version");
    const CREATED_AT_ATTRIBUTE: Option<&'static str> = Some("created_at");
    const UPDATED_AT_ATTRIBUTE: Option<&'static str> = Some("updated_at");

    fn key(&self) -> Key {
        Self::key_of(&self.id)
    }

    fn derived_attributes(&self) -> Vec<(&'static str, AttributeValue)> {
        vec![
            (
                "by_customer_pk",
                AttributeValue::S(format!("CUSTOMER#{}", self.customer)),
            ),
            ("by_customer_sk", AttributeValue::S(self.id.clone())),
        ]
    }

    fn before_save(&mut self) {
        self.status = self.status.trim().to_lowercase();
    }

    fn after_load(&mut self) {
        self.status = self.status.to_uppercase();
    }

    fn validate(&self) -> Result<(), ValidationErrors> {
        Validate::validate(self).map_err(ValidationErrors::from)
    }

    fn version(&self) -> u64 {
        self.version
    }

    fn set_version(&mut self, v: u64) {
        self.version = v;
    }

    fn set_created_at(&mut self, at: OffsetDateTime) {
        self.created_at = at;
    }

    fn set_updated_at(&mut self, at: OffsetDateTime) {
        self.updated_at = at;
    }
}

/// An unversioned item kind sharing the table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Counter {
    pub name: String,
    pub value: i64,
}

impl Model for Counter {
    const ENTITY: &'static str = "Counter";
    fn key(&self) -> Key {
        Key::new(format!("COUNTER#{}", self.name), "COUNTER")
    }
}

/// `pk`/`sk`, the `by_customer` index and a TTL on `expires_at`.
pub fn spec() -> TableSpec {
    TableSpec {
        partition_key: KeyAttribute::string("pk"),
        sort_key: Some(KeyAttribute::string("sk")),
        global_secondary_indexes: vec![IndexSpec {
            name: "by_customer".into(),
            partition_key: KeyAttribute::string("by_customer_pk"),
            sort_key: Some(KeyAttribute::string("by_customer_sk")),
            projection: dynamodel::IndexProjection::All,
        }],
        local_secondary_indexes: vec![],
        ttl_attribute: Some("expires_at".into()),
        billing_mode: dynamodel::BillingMode::PayPerRequest,
        stream: None,
    }
}

/// A new, empty table with [`spec`] on DynamoDB Local.
pub async fn table() -> Table {
    dynamodb_local::fresh_table("dynamodel", spec()).await
}

/// The item as stored, read through the raw SDK (consistent), or an empty map when there is none.
pub async fn raw_item(t: &Table, key: &Key) -> dynamodel::Item {
    let mut k = dynamodel::Item::from([("pk".to_owned(), AttributeValue::S(key.pk.clone()))]);
    if let Some(sk) = &key.sk {
        k.insert("sk".to_owned(), AttributeValue::S(sk.clone()));
    }
    t.client()
        .get_item()
        .table_name(t.name())
        .set_key(Some(k))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap_or_default()
}
