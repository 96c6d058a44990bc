//! # dynamodel
//!
//! Typed DynamoDB modeling on top of `aws-sdk-dynamodb` and `serde_dynamo`, checked while compiling.
//!
//! - `#[derive(Model)]` maps a struct to items: key templates for single-table design, secondary
//!   indexes, transforms before save and after load, defaults, validation (`garde`), timestamps, a
//!   version for optimistic locking and a TTL attribute. It also generates typed attribute paths
//!   (`Order::fields().total`), a patch type (`OrderPatch`), `Order::key_for(..)` and
//!   `Order::table_spec()`.
//! - [`Table`] reads and writes: get (skipping expired items), create / replace / upsert / conditional
//!   put, versioned delete, updates ([`Update`]) that keep the version and update time, paged queries
//!   and scans with opaque [`Cursor`]s (with a [`CursorKey`]: signed, bound to their listing and
//!   expiring), streams, parallel scans, batches of any size with retries, and transactions whose
//!   cancellation reasons are mapped per item.
//! - Expressions only ever use `#name` and `:value` placeholders.
//! - One [`Error`] type keeps the SDK cause and answers predicates such as
//!   [`Error::is_conditional_check_failed`] and [`Error::is_throttled`].
//! - Every call runs in a `dynamodb` tracing span with the operation, table and consumed capacity.
//!
//! dynamodel knows nothing of HTTP or Lambda.
//!
//! ```
//! use dynamodel::{Model, Patch, Query, Table};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, Clone, Serialize, Deserialize, dynamodel::Model)]
//! #[dynamodel(pk = "ORDER#{id}", sk = "ORDER", index(name = "gsi1", pk = "CUSTOMER#{customer}", sk = "{id}"))]
//! struct Order {
//!     id: String,
//!     customer: String,
//!     #[dynamodel(trim, lowercase)]
//!     status: String,
//!     total: u64,
//!     #[dynamodel(version)]
//!     version: u64,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamodel::Result<()> {
//! # let client = dynamodb_local::shared().client();
//! # dynamodel::create_table(&client, "doc-orders", &Order::table_spec()).await?;
//! let table = Table::new(client, "doc-orders", Order::table_spec());
//!
//! let mut order = Order { id: "o-1".into(), customer: "c-1".into(), status: " NEW ".into(), total: 1200, version: 0 };
//! table.create(&mut order).await?;                       // fails if the key is taken
//! assert_eq!((order.status.as_str(), order.version), ("new", 1));
//!
//! let mut stale = order.clone();
//! order.total = 1500;
//! table.replace(&mut order).await?;                      // only at version 1; now version 2
//! assert!(table.replace(&mut stale).await.unwrap_err().is_conditional_check_failed());
//!
//! // Typed paths: a wrong attribute name or value type does not compile.
//! let fields = Order::fields();
//! let page = table
//!     .query::<Order>(&Query::index("gsi1", "CUSTOMER#c-1").filter(Some(fields.total.ge(1000u64))).limit(10))
//!     .await?;
//! assert_eq!(page.items.len(), 1);
//!
//! // A patch updates only the fields it names, at the expected version.
//! let patch = OrderPatch { status: Some("paid".into()), ..Default::default() };
//! let paid: Order = table.patch(&Order::key_for("o-1"), &patch, dynamodel::UpdateOptions::new().expect_version(2)).await?;
//! assert_eq!((paid.status.as_str(), paid.total, paid.version), ("paid", 1500, 3));
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

mod batch;
mod call;
mod cursor;
pub mod de;
pub mod entity;
mod error;
pub mod expr;
mod model;
mod patch;
mod projection;
mod spec;
#[cfg(feature = "streams")]
pub mod stream;
mod table;
mod transact;
pub mod transform;
mod typed;
mod update;
mod validation;

pub use batch::{
    BATCH_GET_LIMIT, BATCH_WRITE_LIMIT, Backoff, BatchGet, BatchWrite, Scan, TRANSACTION_LIMIT,
};
pub use cursor::{Cursor, CursorKey, InvalidCursorKey};
pub use entity::{DEFAULT_ENTITY_ATTRIBUTE, FromItem};
pub use error::{CancellationReason, Error, Result, SdkErrorKind};
pub use expr::Condition;
pub use model::{Item, Key, Model};
pub use patch::PlannedPatch;
pub use projection::Projection;
pub use spec::{
    BillingMode, IndexProjection, IndexSpec, KeyAttribute, PARTITION_KEY_MAX_BYTES, PositionKey,
    SORT_KEY_MAX_BYTES, ScalarType, StreamView, TableSpec, create_table, delete_table,
    table_exists, wait_until_active,
};
pub use table::{
    DEFAULT_CURSOR_LIFETIME, Page, PutMode, Query, SortCondition, Table, TransactWrite,
};
pub use update::{Update, UpdateOptions};
pub use validation::{FieldError, ValidationErrors};

pub use dynamodel_derive::{Document, Entities, Model, Projection};
pub use garde;
pub use time::OffsetDateTime;
pub use typed::{Document, Patch, TypedPath, attribute_value};
