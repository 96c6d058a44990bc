//! Storage failures with DynamoDB's exact error shapes, injected on the way back from DynamoDB Local
//! (which rarely produces them itself): transactions cancelled for a concurrent one or for
//! throughput, a transaction still in progress, throttling, internal errors; and a misconfigured
//! table.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextMut,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_types::body::SdkBody;
use dynamodel::Table;
use people::{AllowedOrigins, table_spec};

use crate::helpers::*;

/// DynamoDB's answer to a transaction another one got in the way of.
const TRANSACTION_CONFLICT: (u16, &str) = (
    400,
    r#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict, None]","CancellationReasons":[{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"},{"Code":"None"}]}"#,
);
/// ... to a transaction over the table's throughput.
pub const TRANSACTION_THROTTLED: (u16, &str) = (
    400,
    r#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [ProvisionedThroughputExceeded, None]","CancellationReasons":[{"Code":"ProvisionedThroughputExceeded","Message":"The level of configured provisioned throughput for the table was exceeded."},{"Code":"None"}]}"#,
);
/// ... to a transaction whose client request token belongs to one still running.
const TRANSACTION_IN_PROGRESS: (u16, &str) = (
    400,
    r#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionInProgressException","Message":"Transaction with the given request token is already in progress."}"#,
);
/// ... when the request rate is too high.
const THROTTLED: (u16, &str) = (
    400,
    r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","Message":"Rate of requests exceeds the allowed throughput."}"#,
);
/// ... when it fails on its side.
const INTERNAL_ERROR: (u16, &str) = (
    500,
    r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","Message":"Internal server error"}"#,
);

/// Makes the next `remaining` calls of one DynamoDB operation fail with a given answer. The request
/// never reaches DynamoDB as that operation (its target is renamed, so nothing is written), and
/// DynamoDB Local's answer to the renamed one is replaced by the injected one.
#[derive(Debug)]
pub struct Fault {
    operation: &'static str,
    answer: (u16, &'static str),
    pub remaining: AtomicUsize,
    injected: AtomicBool,
    attempts: AtomicUsize,
}

impl Fault {
    fn attempts(&self) -> usize {
        self.attempts.load(Ordering::SeqCst)
    }
}

#[derive(Debug)]
struct Injector(Arc<Fault>);

const TARGET: &str = "x-amz-target";

impl Intercept for Injector {
    fn name(&self) -> &'static str {
        "Fault"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let target = format!("DynamoDB_20120810.{}", self.0.operation);
        if request.headers().get(TARGET) != Some(target.as_str()) {
            return Ok(());
        }
        self.0.attempts.fetch_add(1, Ordering::SeqCst);
        let inject = self
            .0
            .remaining
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if inject {
            request
                .headers_mut()
                .insert(TARGET, "DynamoDB_20120810.InjectedFault");
            self.0.injected.store(true, Ordering::SeqCst);
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.0.injected.swap(false, Ordering::SeqCst) {
            let (status, body) = self.0.answer;
            let mut response = HttpResponse::new(status.try_into()?, SdkBody::from(body));
            response
                .headers_mut()
                .insert("content-type", "application/x-amz-json-1.0");
            *context.response_mut() = response;
        }
        Ok(())
    }
}

/// An app whose next `times` calls of `operation` fail with `answer`.
pub async fn with_fault(
    operation: &'static str,
    answer: (u16, &'static str),
    times: usize,
) -> (TestApp, Arc<Fault>) {
    let app = TestApp::new().await;
    let fault = Arc::new(Fault {
        operation,
        answer,
        remaining: AtomicUsize::new(times),
        injected: AtomicBool::new(false),
        attempts: AtomicUsize::new(0),
    });
    let config = app
        .table
        .client()
        .config()
        .to_builder()
        .interceptor(Injector(fault.clone()))
        .build();
    let table = Table::new(
        aws_sdk_dynamodb::Client::from_conf(config),
        app.table.name().to_owned(),
        table_spec(),
    );
    (TestApp { table, ..app }, fault)
}

async fn with_conflicts(conflicts: usize) -> (TestApp, Arc<Fault>) {
    with_fault("TransactWriteItems", TRANSACTION_CONFLICT, conflicts).await
}

/// Asserts a 503 with a problem document and a `Retry-After` of 1 to 3 seconds.
pub fn assert_unavailable(response: &Response) {
    assert_problem(response, 503);
    assert_eq!(response.body["type"], "/problems/unavailable");
    let after: u64 = response.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3).contains(&after), "{after}");
}

#[tokio::test]
async fn throttling_and_internal_errors_are_503_and_change_nothing() {
    for (operation, answer) in [
        ("TransactWriteItems", TRANSACTION_THROTTLED),
        ("GetItem", THROTTLED),
        ("GetItem", INTERNAL_ERROR),
        ("TransactWriteItems", INTERNAL_ERROR),
    ] {
        let (app, fault) = with_fault(operation, answer, 0).await;
        let created = app.create("Ada", "ada@example.com").await;
        let item = format!("/people/{}", created.body["id"].as_str().unwrap());
        fault.remaining.store(usize::MAX, Ordering::SeqCst);
        let what = format!("{operation} answering {}", answer.1);
        let put = app
            .send(
                "PUT",
                &item,
                &[JSON],
                Some(&person("Grace", "grace@example.com")),
            )
            .await;
        assert_unavailable(&put);
        let create = app
            .send(
                "POST",
                "/people",
                &[JSON],
                Some(&person("Alan", "alan@example.com")),
            )
            .await;
        // A create reads nothing first: only a fault on its transaction stops it.
        let created_too = operation != "TransactWriteItems";
        if created_too {
            assert_eq!(create.status, 201, "{what}");
        } else {
            assert_unavailable(&create);
        }
        assert!(fault.attempts() >= 1, "{what}");
        fault.remaining.store(0, Ordering::SeqCst);
        let read = app.send("GET", &item, &[], None).await;
        assert_eq!(read.body["name"], "Ada", "{what}");
        let stored = if created_too { 4 } else { 2 };
        assert_eq!(
            app.stored_count().await,
            stored,
            "{what}: nothing half-written"
        );
    }
}

#[tokio::test]
async fn a_transaction_still_in_progress_is_retried_then_409() {
    let (app, fault) = with_fault("TransactWriteItems", TRANSACTION_IN_PROGRESS, 1).await;
    app.create("Ada", "ada@example.com").await;
    assert_eq!(fault.attempts(), 2);
    fault.remaining.store(usize::MAX, Ordering::SeqCst);
    let create = app
        .send(
            "POST",
            "/people",
            &[JSON],
            Some(&person("Grace", "grace@example.com")),
        )
        .await;
    assert_problem(&create, 409);
    assert_eq!(app.stored_count().await, 2);
}

#[tokio::test]
async fn a_create_cancelled_for_a_concurrent_transaction_is_retried() {
    let (app, conflicts) = with_conflicts(1).await;
    let created = app.create("Ada", "ada@example.com").await;
    assert_eq!(conflicts.attempts(), 2);
    let id = created.body["id"].as_str().unwrap();
    let read = app.send("GET", &format!("/people/{id}"), &[], None).await;
    assert_eq!(read.status, 200);
    assert_eq!(
        app.stored_count().await,
        2,
        "the person and its email claim"
    );
}

#[tokio::test]
async fn writes_that_keep_colliding_are_409_and_change_nothing() {
    let (app, conflicts) = with_conflicts(0).await;
    let created = app.create("Ada", "ada@example.com").await;
    let item = format!("/people/{}", created.body["id"].as_str().unwrap());
    conflicts.remaining.store(usize::MAX, Ordering::SeqCst);

    let create = app
        .send(
            "POST",
            "/people",
            &[JSON],
            Some(&person("Grace", "grace@example.com")),
        )
        .await;
    assert_problem(&create, 409);
    assert_eq!(create.body["type"], "/problems/conflict");
    let replace = app
        .send(
            "PUT",
            &item,
            &[JSON],
            Some(&person("Ada King", "ada.king@example.com")),
        )
        .await;
    assert_problem(&replace, 409);
    let patch = app
        .send(
            "PATCH",
            &item,
            &[MERGE_PATCH],
            Some(r#"{"email":"countess@example.com"}"#),
        )
        .await;
    assert_problem(&patch, 409);
    let delete = app.send("DELETE", &item, &[], None).await;
    assert_problem(&delete, 409);
    assert_eq!(
        conflicts.attempts.load(Ordering::SeqCst),
        1 + 4 * 3,
        "three attempts each"
    );

    conflicts.remaining.store(0, Ordering::SeqCst);
    let read = app.send("GET", &item, &[], None).await;
    assert_eq!(read.body["name"], "Ada");
    assert_eq!(read.body["version"], 1);
    assert_eq!(app.stored_count().await, 2, "nothing written, nothing lost");
}

#[tokio::test]
async fn unreachable_dynamodb_is_503_with_retry_after() {
    let port = dynamodb_local::free_port();
    let client = dynamodb_local::client_for(&format!("http://127.0.0.1:{port}"));
    let app = TestApp {
        table: Table::new(client, "people", table_spec()),
        origins: AllowedOrigins::Any,
        access: people::Access::Open,
    };
    let response = app
        .send(
            "GET",
            &format!("/people/{}", people::PersonId::generate()),
            &[],
            None,
        )
        .await;
    assert_unavailable(&response);
}

#[tokio::test]
async fn unexpected_failures_are_500_without_internals() {
    let client = dynamodb_local::shared().client();
    let app = TestApp {
        table: Table::new(client, "no-such-table", table_spec()),
        origins: AllowedOrigins::Any,
        access: people::Access::Open,
    };
    let response = app
        .send(
            "POST",
            "/people",
            &[JSON],
            Some(&person("A", "a@example.com")),
        )
        .await;
    assert_problem(&response, 500);
    let text = response.body.to_string();
    let request_id = response.header("x-request-id").unwrap();
    assert!(
        response.body["detail"]
            .as_str()
            .unwrap()
            .contains(request_id)
    );
    assert!(
        !text.contains("ResourceNotFound") && !text.contains("no-such-table"),
        "{text}"
    );
}
