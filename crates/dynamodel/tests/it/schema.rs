//! Table management: create, describe, delete, and the spec itself.

use dynamodel::{Error, Table, TableSpec};

use crate::helpers::{Order, spec};

#[tokio::test]
async fn table_lifecycle_and_errors_keep_their_cause() {
    let client = dynamodb_local::shared().client();
    let name = dynamodb_local::unique_table_name("lifecycle");
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
