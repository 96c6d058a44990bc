//! [`TransactWrite`]: several writes to one table, all of them or none.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    ConditionCheck, Delete, Put, TransactWriteItem, Update as SdkUpdate,
};

use crate::call;
use crate::error::{CancellationReason, Error, Result};
use crate::expr::{Condition, Placeholders, attr};
use crate::model::{Item, Key, Model};
use crate::patch::PlannedPatch;
use crate::table::{PutMode, Table};
use crate::update::{Update, UpdateOptions};

/// Writes several items atomically: all of them or none.
#[must_use = "a transaction does nothing until it is sent"]
pub struct TransactWrite<'t> {
    table: &'t Table,
    items: Vec<TransactWriteItem>,
    token: Option<String>,
}

impl<'t> TransactWrite<'t> {
    pub(crate) fn new(table: &'t Table) -> Self {
        Self {
            table,
            items: Vec::new(),
            token: None,
        }
    }
}

impl TransactWrite<'_> {
    fn push_put(mut self, item: Item, condition: Option<Condition>) -> Self {
        let mut ph = Placeholders::default();
        let expression = condition.as_ref().map(|c| ph.render(c));
        let put = Put::builder()
            .table_name(self.table.name())
            .set_item(Some(item))
            .set_condition_expression(expression)
            .set_expression_attribute_names(ph.take_names())
            .set_expression_attribute_values(ph.take_values())
            .build()
            .expect("table and item are set");
        self.items
            .push(TransactWriteItem::builder().put(put).build());
        self
    }

    /// Puts a model (transforms, validation, version and timestamps applied as in [`Table::put`]).
    pub fn put<M: Model>(self, model: &mut M, mode: PutMode) -> Result<Self> {
        let (item, condition, _) = self.table.prepare_put(model, mode)?;
        Ok(self.push_put(item, condition))
    }

    /// Creates a model ([`PutMode::Create`]).
    pub fn create<M: Model>(self, model: &mut M) -> Result<Self> {
        self.put(model, PutMode::Create)
    }

    /// Replaces a model at its current version ([`PutMode::Replace`]).
    pub fn replace<M: Model>(self, model: &mut M) -> Result<Self> {
        self.put(model, PutMode::Replace)
    }

    /// Deletes an item, when the condition holds.
    pub fn delete(mut self, key: &Key, condition: Option<Condition>) -> Self {
        let mut ph = Placeholders::default();
        let expression = condition.as_ref().map(|c| ph.render(c));
        let delete = Delete::builder()
            .table_name(self.table.name())
            .set_key(Some(self.table.key_item(key)))
            .set_condition_expression(expression)
            .set_expression_attribute_names(ph.take_names())
            .set_expression_attribute_values(ph.take_values())
            .build()
            .expect("table and key are set");
        self.items
            .push(TransactWriteItem::builder().delete(delete).build());
        self
    }

    /// Deletes a versioned model's item only at `version`.
    pub fn delete_versioned<M: Model>(self, key: &Key, version: u64) -> Self {
        let condition = match M::VERSION_ATTRIBUTE {
            Some(name) => attr(name).eq(version),
            None => self.table.pk_path().exists(),
        };
        self.delete(key, Some(condition))
    }

    /// Applies a raw update as [`Table::update`] does (version and update time maintained; the
    /// model's transforms, validation and derived attributes bypassed).
    pub fn update<M: Model>(mut self, key: &Key, update: Update, options: UpdateOptions) -> Self {
        let (update, guard) = self.table.prepare_update::<M>(update, &options);
        let mut ph = Placeholders::default();
        let expression = update.render(&mut ph);
        let guard = ph.render(&guard);
        let sdk = SdkUpdate::builder()
            .table_name(self.table.name())
            .set_key(Some(self.table.key_item(key)))
            .update_expression(expression)
            .condition_expression(guard)
            .set_expression_attribute_names(ph.take_names())
            .set_expression_attribute_values(ph.take_values())
            .build()
            .expect("table, key and expression are set");
        self.items
            .push(TransactWriteItem::builder().update(sdk).build());
        self
    }

    /// Writes a patch planned with [`Table::plan_patch`]: the changed fields, index keys and
    /// derived attributes, at the version (or the values) it was planned from.
    pub fn patch<M: Model>(self, key: &Key, planned: PlannedPatch<M>) -> Self {
        let PlannedPatch {
            update, options, ..
        } = planned;
        self.update::<M>(key, update, options)
    }

    /// Fails the transaction unless the condition holds for the item at `key`.
    pub fn condition_check(mut self, key: &Key, condition: Condition) -> Self {
        let mut ph = Placeholders::default();
        let expression = ph.render(&condition);
        let check = ConditionCheck::builder()
            .table_name(self.table.name())
            .set_key(Some(self.table.key_item(key)))
            .condition_expression(expression)
            .set_expression_attribute_names(ph.take_names())
            .set_expression_attribute_values(ph.take_values())
            .build()
            .expect("table, key and condition are set");
        self.items
            .push(TransactWriteItem::builder().condition_check(check).build());
        self
    }

    /// An idempotency token: a retry with the same token within ten minutes is applied once.
    pub fn client_request_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// How many items the transaction holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when it holds none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Sends the transaction. When DynamoDB cancels it, the error lists each item's reason in request
    /// order ([`Error::TransactionCanceled`]).
    pub async fn send(self) -> Result<()> {
        let table = self.table;
        let result = call::send(
            "TransactWriteItems",
            table.name(),
            Placeholders::default(),
            |r| {
                table
                    .client()
                    .transact_write_items()
                    .set_transact_items(Some(self.items))
                    .set_client_request_token(self.token)
                    .return_consumed_capacity(r.capacity)
                    .send()
            },
        )
        .await;
        let failure = match result {
            Ok(_) => return Ok(()),
            Err(failure) => failure,
        };
        if let Some(TransactWriteItemsError::TransactionCanceledException(cancel)) =
            failure.err.as_service_error()
        {
            let reasons = cancel
                .cancellation_reasons()
                .iter()
                .enumerate()
                .map(|(index, r)| CancellationReason {
                    index,
                    code: r.code().unwrap_or("None").to_owned(),
                    message: r.message().map(str::to_owned),
                })
                .collect();
            return Err(Error::TransactionCanceled {
                reasons,
                source: Box::new(failure.err),
            });
        }
        Err(failure.classify())
    }
}
