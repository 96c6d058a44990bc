//! Test support shared by the modules: a fresh order table per test and a raw read of a stored item.

use dynamodel::expr::AttributeValue;
use dynamodel::{Model, Table};
use orders_example::Order;

/// A new, empty table with the order model's spec on DynamoDB Local.
pub async fn table() -> Table {
    dynamodb_local::fresh_table("orders", Order::table_spec()).await
}

/// The item as stored, read with the SDK (strongly consistent), to check attribute names and types.
pub async fn raw(table: &Table, order: &Order) -> dynamodel::Item {
    let key = order.key();
    table
        .client()
        .get_item()
        .table_name(table.name())
        .key("pk", AttributeValue::S(key.pk))
        .key("sk", AttributeValue::S(key.sk.unwrap()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap()
}
