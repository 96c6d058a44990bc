//! # dynamodel
//!
//! Typed DynamoDB modeling on top of `aws-sdk-dynamodb` and `serde_dynamo`: a [`Model`] trait that maps
//! a Rust type to items with single-table keys, validation, transforms, timestamps and optimistic
//! locking; a [`Table`] with get, put (create, replace, conditional), delete, paged queries with opaque
//! [`Cursor`]s and transactions; condition expressions that always use placeholders; and one [`Error`]
//! type with predicates.
//!
//! dynamodel knows nothing of HTTP or Lambda.
//!
//! ```no_run
//! use dynamodel::{Key, Model, Query, Table, TableSpec};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct Order { id: String, total_cents: u64, version: u64 }
//!
//! impl Model for Order {
//!     const ENTITY: &'static str = "Order";
//!     const VERSION_ATTRIBUTE: Option<&'static str> = Some("version");
//!     fn key(&self) -> Key { Key::new(format!("ORDER#{}", self.id), "ORDER") }
//!     fn version(&self) -> u64 { self.version }
//!     fn set_version(&mut self, v: u64) { self.version = v }
//! }
//!
//! # async fn demo(table: Table) -> dynamodel::Result<()> {
//! let mut order = Order { id: "o-1".into(), total_cents: 1200, version: 0 };
//! table.create(&mut order).await?;          // version 1, fails if the key is taken
//! order.total_cents = 1500;
//! table.replace(&mut order).await?;         // only if still at version 1; now version 2
//! let page = table.query::<Order>(&Query::table("ORDER#o-1").limit(10)).await?;
//! # let _ = page; Ok(()) }
//! ```
#![warn(missing_docs)]

mod batch;
mod cursor;
mod error;
pub mod expr;
mod model;
mod spec;
mod table;
pub mod transform;
mod typed;
mod update;
mod validation;

pub use batch::{
    BATCH_GET_LIMIT, BATCH_WRITE_LIMIT, Backoff, BatchGet, BatchWrite, Scan, TRANSACTION_LIMIT,
};
pub use cursor::Cursor;
pub use error::{CancellationReason, Error, Result, SdkErrorKind};
pub use expr::Condition;
pub use model::{Item, Key, Model};
pub use spec::{
    IndexSpec, KeyAttribute, TableSpec, create_table, delete_table, table_exists, wait_until_active,
};
pub use table::{Page, PutMode, Query, SortCondition, Table, TransactWrite};
pub use update::Update;
pub use validation::{FieldError, ValidationErrors};

pub use dynamodel_derive::{Document, Model};
pub use garde;
pub use time::OffsetDateTime;
pub use typed::{Document, Patch, TypedPath, attribute_value};
