//! dynamodel against AWS's DynamoDB Local, with a model that has nothing to do with people.

use std::sync::atomic::{AtomicUsize, Ordering};

use dynamodel::expr::{AttributeValue, attr};
use dynamodel::garde::{self, Validate};
use dynamodel::{
    Error, IndexSpec, Key, KeyAttribute, Model, PutMode, Query, SortCondition, Table, TableSpec,
    ValidationErrors,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
struct Order {
    #[garde(length(min = 1))]
    id: String,
    #[garde(length(min = 1, max = 20))]
    customer: String,
    #[garde(range(min = 1))]
    total_cents: u64,
    #[garde(skip)]
    status: String,
    #[garde(skip)]
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[garde(skip)]
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
    #[garde(skip)]
    version: u64,
}

impl Order {
    fn new(id: &str, customer: &str, total_cents: u64) -> Self {
        Self {
            id: id.into(),
            customer: customer.into(),
            total_cents,
            status: "  NEW ".into(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
            version: 0,
        }
    }

    fn key_of(id: &str) -> Key {
        Key::new(format!("ORDER#{id}"), "ORDER")
    }
}

impl Model for Order {
    const ENTITY: &'static str = "Order";
    const VERSION_ATTRIBUTE: Option<&'static str> = Some("version");
    const CREATED_AT_ATTRIBUTE: Option<&'static str> = Some("created_at");
    const UPDATED_AT_ATTRIBUTE: Option<&'static str> = Some("updated_at");

    fn key(&self) -> Key {
        Self::key_of(&self.id)
    }

    fn derived_attributes(&self) -> Vec<(&'static str, AttributeValue)> {
        vec![
            (
                "by_customer_pk",
                AttributeValue::S(format!("CUSTOMER#{}", self.customer)),
            ),
            ("by_customer_sk", AttributeValue::S(self.id.clone())),
        ]
    }

    fn before_save(&mut self) {
        self.status = self.status.trim().to_lowercase();
    }

    fn after_load(&mut self) {
        self.status = self.status.to_uppercase();
    }

    fn validate(&self) -> Result<(), ValidationErrors> {
        Validate::validate(self).map_err(ValidationErrors::from)
    }

    fn version(&self) -> u64 {
        self.version
    }

    fn set_version(&mut self, v: u64) {
        self.version = v;
    }

    fn set_created_at(&mut self, at: OffsetDateTime) {
        self.created_at = at;
    }

    fn set_updated_at(&mut self, at: OffsetDateTime) {
        self.updated_at = at;
    }
}

/// An unversioned item kind sharing the table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Counter {
    name: String,
    value: i64,
}

impl Model for Counter {
    const ENTITY: &'static str = "Counter";
    fn key(&self) -> Key {
        Key::new(format!("COUNTER#{}", self.name), "COUNTER")
    }
}

fn spec() -> TableSpec {
    TableSpec {
        partition_key: KeyAttribute::string("pk"),
        sort_key: Some(KeyAttribute::string("sk")),
        global_secondary_indexes: vec![IndexSpec {
            name: "by_customer".into(),
            partition_key: KeyAttribute::string("by_customer_pk"),
            sort_key: Some(KeyAttribute::string("by_customer_sk")),
            projection: "ALL".into(),
        }],
        local_secondary_indexes: vec![],
        ttl_attribute: Some("expires_at".into()),
        billing_mode: "PAY_PER_REQUEST".into(),
    }
}

async fn table() -> Table {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let client = dynamodb_local::shared().client();
    let name = format!(
        "dynamodel-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    dynamodel::create_table(&client, &name, &spec())
        .await
        .unwrap();
    Table::new(client, name, spec())
}

#[tokio::test]
async fn create_sets_version_timestamps_and_transforms_and_refuses_duplicates() {
    let t = table().await;
    let mut order = Order::new("o1", "c1", 1200);
    t.create(&mut order).await.unwrap();
    assert_eq!(order.version, 1);
    assert_eq!(order.status, "new");
    assert!(order.created_at > OffsetDateTime::UNIX_EPOCH);
    assert_eq!(order.created_at, order.updated_at);

    let loaded: Order = t.get(&Order::key_of("o1")).await.unwrap().unwrap();
    assert_eq!(loaded.status, "NEW", "after_load ran");
    assert_eq!(loaded.version, 1);

    let raw = t.client().get_item().table_name(t.name()).set_key(Some(
        [
            ("pk".to_owned(), AttributeValue::S("ORDER#o1".into())),
            ("sk".to_owned(), AttributeValue::S("ORDER".into())),
        ]
        .into(),
    ));
    let item = raw.send().await.unwrap().item.unwrap();
    assert_eq!(
        item["by_customer_pk"],
        AttributeValue::S("CUSTOMER#c1".into()),
        "derived attributes are stored"
    );
    assert_eq!(item["status"], AttributeValue::S("new".into()));

    let mut dup = Order::new("o1", "c2", 5);
    let err = t.create(&mut dup).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::AlreadyExists {
                entity: "Order",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_conditional_check_failed());
    assert!(
        std::error::Error::source(&err).is_some(),
        "the SDK cause is kept"
    );
    assert_eq!(
        dup.version, 0,
        "a failed write leaves the version as it was"
    );
    assert_eq!(
        t.get_consistent::<Order>(&Order::key_of("o1"))
            .await
            .unwrap()
            .unwrap()
            .customer,
        "c1"
    );
}

#[tokio::test]
async fn invalid_models_are_never_written() {
    let t = table().await;
    let mut order = Order::new("o1", "", 0);
    let err = t.create(&mut order).await.unwrap_err();
    let Error::Validation(errors) = err else {
        panic!("{err:?}")
    };
    let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["customer", "total_cents"]);
    assert!(
        t.get::<Order>(&Order::key_of("o1"))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn replace_is_optimistically_locked() {
    let t = table().await;
    let mut order = Order::new("o1", "c1", 100);
    t.create(&mut order).await.unwrap();
    let mut stale = order.clone();

    order.total_cents = 200;
    t.replace(&mut order).await.unwrap();
    assert_eq!(order.version, 2);

    stale.total_cents = 999;
    let err = t.replace(&mut stale).await.unwrap_err();
    assert!(
        matches!(err, Error::VersionMismatch { expected: 1, .. }),
        "{err:?}"
    );
    assert_eq!(stale.version, 1);
    let stored: Order = t
        .get_consistent(&Order::key_of("o1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.total_cents, 200);

    // Replace of something never stored fails too.
    let mut ghost = Order::new("ghost", "c1", 1);
    assert!(
        t.replace(&mut ghost)
            .await
            .unwrap_err()
            .is_conditional_check_failed()
    );

    // Upsert writes whatever is stored; a caller condition guards a put.
    let mut counter = Counter {
        name: "hits".into(),
        value: 1,
    };
    t.put(&mut counter, PutMode::Upsert).await.unwrap();
    counter.value = 2;
    let err = t
        .put(&mut counter, PutMode::If(attr("value").gt(5)))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::ConditionFailed {
                operation: "PutItem",
                ..
            }
        ),
        "{err:?}"
    );
    t.put(&mut counter, PutMode::If(attr("value").lt(5)))
        .await
        .unwrap();
    t.put(&mut counter, PutMode::Replace).await.unwrap();
    assert_eq!(
        t.get::<Counter>(&counter.key())
            .await
            .unwrap()
            .unwrap()
            .value,
        2
    );
}

#[tokio::test]
async fn delete_returns_the_old_item_and_honours_versions() {
    let t = table().await;
    let mut order = Order::new("o1", "c1", 100);
    t.create(&mut order).await.unwrap();
    let err = t
        .delete::<Order>(&Order::key_of("o1"), Some(7))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::VersionMismatch { expected: 7, .. }));
    let old = t
        .delete::<Order>(&Order::key_of("o1"), Some(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.total_cents, 100);
    assert!(
        t.delete::<Order>(&Order::key_of("o1"), None)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn query_pages_with_cursors_filters_and_sort_conditions() {
    let t = table().await;
    for i in 0..23 {
        let customer = if i % 2 == 0 { "even" } else { "odd" };
        let mut order = Order::new(&format!("o{i:02}"), customer, 100 + i);
        t.create(&mut order).await.unwrap();
    }
    // Every even order, five at a time, newest id first.
    let mut ids = Vec::new();
    let mut cursor = None;
    loop {
        let q = Query::index("by_customer", "CUSTOMER#even")
            .descending()
            .limit(5)
            .after(cursor);
        let page = t.query::<Order>(&q).await.unwrap();
        assert!(page.items.len() <= 5);
        ids.extend(page.items.iter().map(|o| o.id.clone()));
        match page.next {
            Some(c) => cursor = Some(dynamodel::Cursor::parse(c.as_str()).unwrap()),
            None => break,
        }
    }
    let expected: Vec<String> = (0..23)
        .rev()
        .filter(|i| i % 2 == 0)
        .map(|i| format!("o{i:02}"))
        .collect();
    assert_eq!(ids, expected);

    // A filter that keeps few items still fills the page.
    let q = Query::index("by_customer", "CUSTOMER#odd")
        .filter(Some(attr("total_cents").ge(115)))
        .limit(3);
    let page = t.query::<Order>(&q).await.unwrap();
    let totals: Vec<u64> = page.items.iter().map(|o| o.total_cents).collect();
    assert_eq!(totals, [115, 117, 119]);
    let rest = t.query::<Order>(&q.clone().after(page.next)).await.unwrap();
    assert_eq!(
        rest.items.iter().map(|o| o.total_cents).collect::<Vec<_>>(),
        [121]
    );
    assert!(rest.next.is_none());

    // Sort-key conditions on the index.
    let q = Query::index("by_customer", "CUSTOMER#odd").sort(SortCondition::Between(
        AttributeValue::S("o03".into()),
        AttributeValue::S("o07".into()),
    ));
    let between = t.query::<Order>(&q).await.unwrap();
    assert_eq!(
        between
            .items
            .iter()
            .map(|o| o.id.as_str())
            .collect::<Vec<_>>(),
        ["o03", "o05", "o07"]
    );

    // A table query on one partition, strongly consistent.
    let q = Query::table("ORDER#o04")
        .sort(SortCondition::BeginsWith(AttributeValue::S("ORD".into())))
        .consistent();
    assert_eq!(t.query::<Order>(&q).await.unwrap().items.len(), 1);

    // A cursor from one partition is refused on another, before DynamoDB sees it.
    let page = t
        .query::<Order>(&Query::index("by_customer", "CUSTOMER#even").limit(1))
        .await
        .unwrap();
    let foreign = Query::index("by_customer", "CUSTOMER#odd").after(page.next);
    assert!(matches!(
        t.query::<Order>(&foreign).await.unwrap_err(),
        Error::InvalidCursor(_)
    ));
    assert!(matches!(
        t.query::<Order>(&Query::index("nope", "x")).await.unwrap_err(),
        Error::UnknownIndex(name) if name == "nope"
    ));
}

#[tokio::test]
async fn transactions_are_all_or_nothing_with_reasons_per_item() {
    let t = table().await;
    let mut existing = Order::new("taken", "c1", 1);
    t.create(&mut existing).await.unwrap();

    let mut fresh = Order::new("fresh", "c1", 1);
    let mut dup = Order::new("taken", "c2", 2);
    let err = t
        .transact()
        .create(&mut fresh)
        .unwrap()
        .create(&mut dup)
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TransactionCanceled { .. }), "{err:?}");
    assert_eq!(err.failed_conditions(), vec![1]);
    assert!(err.is_conditional_check_failed());
    assert!(
        t.get_consistent::<Order>(&Order::key_of("fresh"))
            .await
            .unwrap()
            .is_none(),
        "nothing was written"
    );

    let mut counter = Counter {
        name: "orders".into(),
        value: 1,
    };
    let tx = t
        .transact()
        .create(&mut fresh)
        .unwrap()
        .put(&mut counter, PutMode::Upsert)
        .unwrap()
        .condition_check(&Order::key_of("taken"), attr("version").eq(1))
        .delete_versioned::<Order>(&Order::key_of("nothing"), 3)
        .client_request_token("token-1");
    assert_eq!(tx.len(), 4);
    let err = tx.send().await.unwrap_err();
    assert_eq!(err.failed_conditions(), vec![3], "{err}");

    t.transact()
        .create(&mut fresh)
        .unwrap()
        .condition_check(&Order::key_of("taken"), attr("version").eq(1))
        .delete(&Order::key_of("taken"), None)
        .send()
        .await
        .unwrap_err(); // one item may appear only once in a transaction: DynamoDB rejects the request
    t.transact()
        .create(&mut fresh)
        .unwrap()
        .delete_versioned::<Order>(&Order::key_of("taken"), 1)
        .send()
        .await
        .unwrap();
    assert!(
        t.get_consistent::<Order>(&Order::key_of("fresh"))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        t.get_consistent::<Order>(&Order::key_of("taken"))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn table_lifecycle_and_errors_keep_their_cause() {
    let client = dynamodb_local::shared().client();
    let name = format!("lifecycle-{}", std::process::id());
    dynamodel::create_table(&client, &name, &spec())
        .await
        .unwrap();
    assert!(dynamodel::table_exists(&client, &name).await.unwrap());
    let described = client
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    let gsis = described.table().unwrap().global_secondary_indexes();
    assert_eq!(gsis[0].index_name(), Some("by_customer"));
    let ttl = client
        .describe_time_to_live()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ttl.time_to_live_description().unwrap().attribute_name(),
        Some("expires_at")
    );
    dynamodel::delete_table(&client, &name).await.unwrap();
    assert!(!dynamodel::table_exists(&client, &name).await.unwrap());

    let gone = Table::new(client, name, spec());
    let err = gone.get::<Order>(&Order::key_of("x")).await.unwrap_err();
    assert!(matches!(
        err,
        Error::Sdk {
            operation: "GetItem",
            kind: dynamodel::SdkErrorKind::ResourceNotFound,
            ..
        }
    ));
    assert!(!err.is_throttled() && !err.is_unavailable());

    let closed =
        dynamodb_local::client_for(&format!("http://127.0.0.1:{}", dynamodb_local::free_port()));
    let err = Table::new(closed, "t", spec())
        .get::<Order>(&Order::key_of("x"))
        .await
        .unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
}

#[test]
fn spec_json_round_trips() {
    let json = spec().to_json();
    let back: TableSpec = serde_json::from_str(&json).unwrap();
    assert_eq!(back, spec());
    assert_eq!(
        spec().position_attributes(Some("by_customer")),
        ["pk", "sk", "by_customer_pk", "by_customer_sk"]
    );
    assert_eq!(spec().position_attributes(None), ["pk", "sk"]);
}

#[test]
fn garde_reports_become_field_errors() {
    let order = Order::new("", "c", 0);
    let errors = Model::validate(&order).unwrap_err();
    assert_eq!(errors.errors().len(), 2);
    assert!(errors.to_string().contains("id:"));
    let _unused: garde::Result = Ok(());
}
