//! The one path every DynamoDB call takes: the expressions' placeholders handed to the request, a
//! `dynamodb` span with OpenTelemetry's attribute names, the send, the consumed capacity (and, for
//! reads of many items, the counts) recorded in the span, and the error classified.
//!
//! Span fields, following OpenTelemetry's semantic conventions for DynamoDB:
//! `db.system` (`dynamodb`), `db.operation` (`GetItem`, `Query`, ...), `aws.dynamodb.table_names`,
//! `aws.dynamodb.consumed_capacity` (total capacity units, a number rather than the convention's
//! JSON strings), `aws.dynamodb.count` and `aws.dynamodb.scanned_count` (queries and scans), and
//! `error.type` (DynamoDB's error code) when the call fails.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemOutput;
use aws_sdk_dynamodb::operation::create_table::CreateTableOutput;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemOutput;
use aws_sdk_dynamodb::operation::delete_table::DeleteTableOutput;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput;
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::put_item::PutItemOutput;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::scan::ScanOutput;
use aws_sdk_dynamodb::operation::transact_get_items::TransactGetItemsOutput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsOutput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
use aws_sdk_dynamodb::operation::update_time_to_live::UpdateTimeToLiveOutput;
use aws_sdk_dynamodb::types::{AttributeValue, ConsumedCapacity, ReturnConsumedCapacity};
use tracing::Instrument;

use crate::error::{Error, Result};
use crate::expr::Placeholders;

/// What a request builder takes from the call path.
pub(crate) struct Request {
    /// `ExpressionAttributeNames`, `None` when no expression names any.
    pub names: Option<HashMap<String, String>>,
    /// `ExpressionAttributeValues`, `None` when no expression holds a value.
    pub values: Option<HashMap<String, AttributeValue>>,
    /// Whether to ask for consumed capacity: only when the span is recorded, as otherwise DynamoDB
    /// would send it and the SDK parse it on every call for nobody.
    pub capacity: ReturnConsumedCapacity,
}

/// An operation's output: what it says about its cost.
pub(crate) trait Response {
    /// Total capacity units consumed, when DynamoDB reported them.
    fn consumed(&self) -> Option<f64>;
    /// Items returned and items read, for queries and scans.
    fn counts(&self) -> Option<(i32, i32)> {
        None
    }
}

fn total(capacity: &[ConsumedCapacity]) -> Option<f64> {
    (!capacity.is_empty()).then(|| {
        capacity
            .iter()
            .filter_map(ConsumedCapacity::capacity_units)
            .sum()
    })
}

macro_rules! single {
    ($($output:ty),*) => {$(
        impl Response for $output {
            fn consumed(&self) -> Option<f64> {
                self.consumed_capacity().and_then(ConsumedCapacity::capacity_units)
            }
        }
    )*};
}
single!(
    GetItemOutput,
    PutItemOutput,
    UpdateItemOutput,
    DeleteItemOutput
);

macro_rules! many {
    ($($output:ty),*) => {$(
        impl Response for $output {
            fn consumed(&self) -> Option<f64> {
                total(self.consumed_capacity())
            }
        }
    )*};
}
many!(
    BatchGetItemOutput,
    BatchWriteItemOutput,
    TransactGetItemsOutput,
    TransactWriteItemsOutput
);

macro_rules! administrative {
    ($($output:ty),*) => {$(
        impl Response for $output {
            fn consumed(&self) -> Option<f64> {
                None
            }
        }
    )*};
}
administrative!(
    CreateTableOutput,
    DescribeTableOutput,
    DeleteTableOutput,
    UpdateTimeToLiveOutput
);

impl Response for QueryOutput {
    fn consumed(&self) -> Option<f64> {
        self.consumed_capacity()
            .and_then(ConsumedCapacity::capacity_units)
    }
    fn counts(&self) -> Option<(i32, i32)> {
        Some((self.count(), self.scanned_count()))
    }
}

impl Response for ScanOutput {
    fn consumed(&self) -> Option<f64> {
        self.consumed_capacity()
            .and_then(ConsumedCapacity::capacity_units)
    }
    fn counts(&self) -> Option<(i32, i32)> {
        Some((self.count(), self.scanned_count()))
    }
}

/// Sends one request: `send` gets the placeholders' names and values and whether to ask for
/// consumed capacity, and builds and sends the SDK request. The raw SDK error is kept (for
/// operations that read it, like a cancelled transaction's reasons) next to its classification.
pub(crate) async fn send<O, E, R, F, Fut>(
    operation: &'static str,
    table: &str,
    mut placeholders: Placeholders,
    send: F,
) -> std::result::Result<O, Failure<E, R>>
where
    O: Response,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = std::result::Result<O, SdkError<E, R>>>,
{
    let span = tracing::debug_span!(
        "dynamodb",
        db.system = "dynamodb",
        db.operation = operation,
        aws.dynamodb.table_names = table,
        aws.dynamodb.consumed_capacity = tracing::field::Empty,
        aws.dynamodb.count = tracing::field::Empty,
        aws.dynamodb.scanned_count = tracing::field::Empty,
        "error.type" = tracing::field::Empty,
    );
    let capacity = if span.is_disabled() {
        ReturnConsumedCapacity::None
    } else {
        ReturnConsumedCapacity::Total
    };
    let request = Request {
        names: placeholders.take_names(),
        values: placeholders.take_values(),
        capacity,
    };
    match send(request).instrument(span.clone()).await {
        Ok(out) => {
            if let Some(units) = out.consumed() {
                span.record("aws.dynamodb.consumed_capacity", units);
            }
            if let Some((count, scanned)) = out.counts() {
                span.record("aws.dynamodb.count", count);
                span.record("aws.dynamodb.scanned_count", scanned);
            }
            Ok(out)
        }
        Err(err) => {
            let code = err.code().unwrap_or("unavailable").to_owned();
            span.record("error.type", code.as_str());
            Err(Failure { operation, err })
        }
    }
}

/// A failed call: the SDK's error, before or after classification.
pub(crate) struct Failure<E, R> {
    operation: &'static str,
    /// The SDK's error, for operations that read its details.
    pub err: SdkError<E, R>,
}

impl<E, R> Failure<E, R>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    /// The classified error.
    pub fn classify(self) -> Error {
        Error::sdk(self.operation, self.err)
    }
}

impl<E, R> From<Failure<E, R>> for Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    fn from(failure: Failure<E, R>) -> Self {
        failure.classify()
    }
}

/// Sends one request and classifies its error: [`send`] for operations that need nothing more.
pub(crate) async fn call<O, E, R, F, Fut>(
    operation: &'static str,
    table: &str,
    placeholders: Placeholders,
    f: F,
) -> Result<O>
where
    O: Response,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = std::result::Result<O, SdkError<E, R>>>,
{
    send(operation, table, placeholders, f)
        .await
        .map_err(Failure::classify)
}
