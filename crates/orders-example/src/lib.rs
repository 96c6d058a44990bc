//! An order book modelled with dynamodel, to show (and test) that nothing in the library is specific
//! to people: orders live under their customer (`CUSTOMER#<id>` / `ORDER#<id>`), a global index lists
//! them by status, carts expire through TTL, and the shipping address is a nested map that a patch
//! updates field by field. A customer's profile shares the partition of their orders, and
//! [`CustomerItem`] reads either; [`OrderSummary`] reads a few fields of an order.
#![warn(missing_docs)]

use dynamodel::{Document, Entities, Model, OffsetDateTime, Projection};
use garde::Validate;
use serde::{Deserialize, Serialize};

/// A shipping address, stored as a nested map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Document, Validate)]
pub struct Address {
    /// Street and number.
    #[garde(length(min = 1, max = 200))]
    pub street: String,
    /// City.
    #[garde(length(min = 1, max = 100))]
    pub city: String,
    /// Postal code, if the country has them.
    #[garde(skip)]
    pub postcode: Option<String>,
}

/// An order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Model, Validate)]
#[dynamodel(
    entity = "Order",
    pk = "CUSTOMER#{customer_id}",
    sk = "ORDER#{order_id}",
    index(name = "by_status", pk = "STATUS#{status}", sk = "{order_id}"),
    validate
)]
pub struct Order {
    /// Who placed it.
    #[garde(length(min = 1, max = 64))]
    pub customer_id: String,
    /// Its id, unique per customer.
    #[garde(length(min = 1, max = 64))]
    pub order_id: String,
    /// `cart`, `placed`, `shipped`, ...
    #[dynamodel(trim, lowercase)]
    #[garde(length(min = 1, max = 20))]
    pub status: String,
    /// Total in cents.
    #[garde(range(max = 100_000_000))]
    pub total_cents: u64,
    /// Line item SKUs.
    #[garde(skip)]
    pub items: Vec<String>,
    /// Free-text note, optional; "none" unless given.
    #[dynamodel(default = "none")]
    #[garde(skip)]
    pub note: Option<String>,
    /// Where it ships.
    #[dynamodel(nested)]
    #[garde(dive)]
    pub shipping: Address,
    /// Gift wrapping requested: stored as `gift`.
    #[serde(rename = "gift")]
    #[garde(skip)]
    pub gift_wrap: bool,
    /// When an abandoned cart disappears (epoch seconds).
    #[dynamodel(ttl)]
    #[garde(skip)]
    pub expires_at: Option<i64>,
    /// Set on creation.
    #[dynamodel(created_at)]
    #[serde(with = "time::serde::rfc3339")]
    #[garde(skip)]
    pub created_at: OffsetDateTime,
    /// Set on every write.
    #[dynamodel(updated_at)]
    #[serde(with = "time::serde::rfc3339")]
    #[garde(skip)]
    pub updated_at: OffsetDateTime,
    /// Optimistic lock.
    #[dynamodel(version)]
    #[garde(skip)]
    pub version: u64,
}

impl Order {
    /// A new order in the `cart` state.
    pub fn cart(customer_id: &str, order_id: &str, total_cents: u64) -> Self {
        Self {
            customer_id: customer_id.into(),
            order_id: order_id.into(),
            status: "cart".into(),
            total_cents,
            items: Vec::new(),
            note: None,
            shipping: Address {
                street: "1 Main St".into(),
                city: "Springfield".into(),
                postcode: None,
            },
            gift_wrap: false,
            expires_at: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
            version: 0,
        }
    }
}

/// A customer's profile, stored in the partition of their orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Model)]
#[dynamodel(entity = "Customer", pk = "CUSTOMER#{customer_id}", sk = "PROFILE")]
pub struct Customer {
    /// Who they are.
    pub customer_id: String,
    /// Their name.
    pub name: String,
}

/// Any item of a customer's partition: the profile or one of the orders, told apart by their
/// entity tag.
#[derive(Debug, Clone, PartialEq, Entities)]
// A variant holds the model itself (a `Box<Order>` is no model); items are matched as they are read.
#[allow(clippy::large_enum_variant)]
pub enum CustomerItem {
    /// The profile.
    Customer(Customer),
    /// An order.
    Order(Order),
}

/// An order's status and total, read without the rest of it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Projection)]
#[dynamodel(model = Order)]
pub struct OrderSummary {
    /// The order's id.
    pub order_id: String,
    /// Its status.
    pub status: String,
    /// Its total in cents.
    pub total_cents: u64,
    /// Gift wrapping requested (stored as `gift`, as on [`Order`]).
    #[serde(rename = "gift")]
    pub gift_wrap: bool,
}
