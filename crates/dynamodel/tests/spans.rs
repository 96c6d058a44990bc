//! Every DynamoDB call runs in a `dynamodb` span carrying the operation, the table and the consumed
//! capacity, so traces show what each request cost.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use dynamodel::{Key, KeyAttribute, Model, Query, Table, TableSpec};
use serde::{Deserialize, Serialize};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
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
}

struct Capture(Spans);

impl<S> Layer<S> for Capture
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
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
            self.0.lock().unwrap().push(fields.0);
        }
    }
}

#[derive(Serialize, Deserialize)]
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
    let subscriber = tracing_subscriber::registry().with(Capture(spans.clone()));
    let _guard = tracing::subscriber::set_default(subscriber);

    let spec = TableSpec {
        partition_key: KeyAttribute::string("pk"),
        sort_key: None,
        global_secondary_indexes: vec![],
        local_secondary_indexes: vec![],
        ttl_attribute: None,
        billing_mode: "PAY_PER_REQUEST".into(),
    };
    let client = dynamodb_local::shared().client();
    let name = format!("spans-{}", std::process::id());
    dynamodel::create_table(&client, &name, &spec)
        .await
        .unwrap();
    let table = Table::new(client, name.clone(), spec);
    table
        .create(&mut Note {
            id: "1".into(),
            text: "hello".into(),
        })
        .await
        .unwrap();
    table
        .get::<Note>(&Key::partition("NOTE#1"))
        .await
        .unwrap()
        .unwrap();
    table.query::<Note>(&Query::table("NOTE#1")).await.unwrap();

    let spans = spans.lock().unwrap();
    let operations: Vec<&str> = spans.iter().map(|s| s["operation"].as_str()).collect();
    assert_eq!(operations, ["\"PutItem\"", "\"GetItem\"", "\"Query\""]);
    for span in spans.iter() {
        assert_eq!(span["table"], name, "{span:?}");
        let consumed: f64 = span["consumed"]
            .parse()
            .expect("consumed capacity is recorded");
        assert!(consumed > 0.0, "{span:?}");
    }
}
