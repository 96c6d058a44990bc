//! Every DynamoDB call runs in a `dynamodb` span with OpenTelemetry's attribute names: the system,
//! the operation, the table and the consumed capacity (and, for queries and scans, the counts; for
//! a failed call, the error code), so traces show what each request cost.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

use dynamodel::{Backoff, Key, KeyAttribute, Model, Query, Scan, TableSpec, Update, UpdateOptions};
use serde::{Deserialize, Serialize};
use tracing::Metadata;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

type Spans = Arc<Mutex<Vec<HashMap<String, String>>>>;

#[derive(Default)]
struct Fields(HashMap<String, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

/// Keeps the fields of the `dynamodb` spans created on one thread (the test's), when they close.
struct Capture {
    spans: Spans,
    thread: ThreadId,
}

impl Capture {
    fn wanted(metadata: &Metadata<'_>) -> bool {
        metadata.is_span() && metadata.name() == "dynamodb"
    }
}

impl<S> Layer<S> for Capture
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    // The other spans and events (the SDK's, the other tests') stay disabled, as without a subscriber.
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if Self::wanted(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }
    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        Self::wanted(metadata)
    }
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if std::thread::current().id() != self.thread {
            return;
        }
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        ctx.span(id).unwrap().extensions_mut().insert(fields);
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(fields) = ctx.span(id).unwrap().extensions_mut().get_mut::<Fields>() {
            values.record(fields);
        }
    }
    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let span = ctx.span(&id).unwrap();
        if span.name() != "dynamodb" {
            return;
        }
        if let Some(fields) = span.extensions_mut().remove::<Fields>() {
            self.spans.lock().unwrap().push(fields.0);
        }
    }
}

#[derive(Clone, Serialize, Deserialize)]
struct Note {
    id: String,
    text: String,
}

impl Model for Note {
    const ENTITY: &'static str = "Note";
    fn key(&self) -> Key {
        Key::partition(format!("NOTE#{}", self.id))
    }
}

#[tokio::test]
async fn each_call_has_a_span_with_operation_table_and_capacity() {
    let spans: Spans = Arc::default();
    // The subscriber is process-wide, not `set_default` (this thread only): tracing caches whether a
    // callsite is enabled once for the whole process, and while a single scoped subscriber is
    // registered, tracing-core 0.1 decides it with the default of whichever thread reaches the
    // callsite first (tokio-rs/tracing#3611). Another test of this binary reaching, say, the
    // `GetItem` span first on its thread, which has no subscriber, would disable it for this test
    // too. `Capture` keeps only the spans created on this thread: `#[tokio::test]` runs the test on
    // its own thread with a current-thread runtime, so those are this test's.
    let subscriber = tracing_subscriber::registry().with(Capture {
        spans: spans.clone(),
        thread: std::thread::current().id(),
    });
    tracing::subscriber::set_global_default(subscriber)
        .expect("no other test of this binary sets a global subscriber");

    let spec = TableSpec {
        partition_key: KeyAttribute::string("pk"),
        sort_key: None,
        global_secondary_indexes: vec![],
        local_secondary_indexes: vec![],
        ttl_attribute: None,
        billing_mode: dynamodel::BillingMode::PayPerRequest,
        stream: None,
    };
    let table = dynamodb_local::fresh_table("spans", spec).await;
    let name = table.name().to_owned();
    let note = |id: &str| Note {
        id: id.into(),
        text: "hello".into(),
    };
    table.create(&mut note("1")).await.unwrap();
    table
        .get::<Note>(&Key::partition("NOTE#1"))
        .await
        .unwrap()
        .unwrap();
    table.query::<Note>(&Query::table("NOTE#1")).await.unwrap();
    table
        .update::<Note>(
            &Key::partition("NOTE#1"),
            Update::new().set(dynamodel::expr::attr("text"), "updated"),
            UpdateOptions::new(),
        )
        .await
        .unwrap();
    let writes = vec![table.batch_put(&mut note("2")).unwrap()];
    assert!(
        table
            .batch_write(writes, Backoff::default())
            .await
            .unwrap()
            .is_empty()
    );
    table
        .batch_get::<Note>(&[Key::partition("NOTE#2")], Backoff::default())
        .await
        .unwrap();
    table
        .transact()
        .create(&mut note("3"))
        .unwrap()
        .send()
        .await
        .unwrap();
    table
        .transact_get::<Note>(&[Key::partition("NOTE#3")])
        .await
        .unwrap();
    table.scan::<Note>(&Scan::table()).await.unwrap();
    assert_eq!(table.count_scan(&Scan::table()).await.unwrap(), 3);
    table
        .delete::<Note>(&Key::partition("NOTE#3"), None)
        .await
        .unwrap();
    let failed = table.create(&mut note("1")).await.unwrap_err();
    assert!(failed.is_conditional_check_failed());

    let all = spans.lock().unwrap();
    // Creating the table went through the same path (CreateTable, DescribeTable until active).
    assert_eq!(all[0]["db.operation"], "CreateTable", "{:?}", all[0]);
    assert!(all.iter().all(|s| s["db.system"] == "dynamodb"));
    let spans: Vec<_> = all
        .iter()
        .filter(|s| !matches!(s["db.operation"].as_str(), "CreateTable" | "DescribeTable"))
        .collect();
    let operations: Vec<&str> = spans.iter().map(|s| s["db.operation"].as_str()).collect();
    assert_eq!(
        operations,
        [
            "PutItem",
            "GetItem",
            "Query",
            "UpdateItem",
            "BatchWriteItem",
            "BatchGetItem",
            "TransactWriteItems",
            "TransactGetItems",
            "Scan",
            "Scan",
            "DeleteItem",
            "PutItem"
        ]
    );
    let last = spans.len() - 1;
    for (i, span) in spans.iter().enumerate() {
        assert_eq!(span["db.system"], "dynamodb", "{span:?}");
        assert_eq!(span["aws.dynamodb.table_names"], name, "{span:?}");
        if i == last {
            // A failed call has no capacity to record, and says why it failed.
            assert_eq!(
                span["error.type"], "ConditionalCheckFailedException",
                "{span:?}"
            );
            continue;
        }
        assert!(!span.contains_key("error.type"), "{span:?}");
        let consumed: f64 = span["aws.dynamodb.consumed_capacity"]
            .parse()
            .expect("consumed capacity is recorded");
        assert!(consumed > 0.0, "{span:?}");
        if matches!(span["db.operation"].as_str(), "Query" | "Scan") {
            let count: i64 = span["aws.dynamodb.count"].parse().unwrap();
            let scanned: i64 = span["aws.dynamodb.scanned_count"].parse().unwrap();
            assert!(count >= 1 && scanned >= count, "{span:?}");
        }
    }
}
