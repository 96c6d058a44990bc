//! Storage failures: unreachable, misconfigured, and transactions DynamoDB cancels for concurrent
//! ones (injected, since DynamoDB Local rarely cancels that way).

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

/// Makes the next `remaining` TransactWriteItems calls fail the way DynamoDB cancels a transaction
/// that collided with another one. The request never reaches DynamoDB as a transaction (its target
/// is renamed, so nothing is written), and the answer is replaced by DynamoDB's
/// `TransactionCanceledException` with a `TransactionConflict` reason.
#[derive(Debug, Default)]
struct TransactionConflicts {
    remaining: AtomicUsize,
    injected: AtomicBool,
    attempts: AtomicUsize,
}

#[derive(Debug)]
struct Injector(Arc<TransactionConflicts>);

const TARGET: &str = "x-amz-target";

impl Intercept for Injector {
    fn name(&self) -> &'static str {
        "TransactionConflicts"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        if request.headers().get(TARGET) != Some("DynamoDB_20120810.TransactWriteItems") {
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
            let body = r#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict, None]","CancellationReasons":[{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"},{"Code":"None"}]}"#;
            let mut response = HttpResponse::new(400.try_into()?, SdkBody::from(body));
            response
                .headers_mut()
                .insert("content-type", "application/x-amz-json-1.0");
            *context.response_mut() = response;
        }
        Ok(())
    }
}

/// An app whose next `conflicts` transactions are cancelled for a concurrent one.
async fn with_conflicts(conflicts: usize) -> (TestApp, Arc<TransactionConflicts>) {
    let app = TestApp::new().await;
    let state = Arc::new(TransactionConflicts {
        remaining: AtomicUsize::new(conflicts),
        ..Default::default()
    });
    let client = app.table.client();
    let config = client
        .config()
        .to_builder()
        .interceptor(Injector(state.clone()))
        .build();
    let table = Table::new(
        aws_sdk_dynamodb::Client::from_conf(config),
        app.table.name().to_owned(),
        table_spec(),
    );
    (TestApp { table, ..app }, state)
}

#[tokio::test]
async fn a_create_cancelled_for_a_concurrent_transaction_is_retried() {
    let (app, conflicts) = with_conflicts(1).await;
    let created = app.create("Ada", "ada@example.com").await;
    assert_eq!(conflicts.attempts.load(Ordering::SeqCst), 2);
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
    assert_problem(&response, 503);
    assert_eq!(response.header("retry-after"), Some("1"));
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
