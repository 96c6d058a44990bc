//! `bench-lib parts`: the pieces of a request that are not the DynamoDB call, one by one, with
//! criterion (estimates land in `target/criterion/edge/*/new/estimates.json`).

use std::hint::black_box;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use criterion::{BatchSize, Criterion};
use dynamodel::{Model, Table};
use people::fixtures::{invocation, request};
use people::{Access, AllowedOrigins, Edge, Function, PeopleService, Person, PersonId, table_spec};
use time::OffsetDateTime;

fn person() -> Person {
    let now = OffsetDateTime::now_utc();
    Person {
        id: PersonId::generate(),
        name: "Ada Lovelace".into(),
        email: "ada@example.com".into(),
        phone: Some("+442079460958".into()),
        tags: vec!["math".into(), "bench".into()],
        created_at: now,
        updated_at: now,
        version: 3,
        owner: None,
    }
}

fn table() -> Table {
    // Never called: the parts below do not reach DynamoDB.
    Table::new(
        dynamodb_local::client_for("http://127.0.0.1:9"),
        "people",
        table_spec(),
    )
}

pub fn run(c: &mut Criterion) {
    let table = table();
    let p = person();
    let item = table.to_item(&p).unwrap();
    let get =
        serde_json::to_string(&request("GET", &format!("/people/{}", p.id), &[], None)).unwrap();
    let body = r#"{"name":"Ada Lovelace","email":"ada@example.com","phone":"+44 20 7946 0958","tags":["math"]}"#;
    let post = serde_json::to_string(&request(
        "POST",
        "/people",
        &[("content-type", "application/json")],
        Some(body),
    ))
    .unwrap();

    let mut g = c.benchmark_group("edge");
    g.bench_function("parse GET event", |b| {
        b.iter(|| {
            black_box(serde_json::from_str::<ApiGatewayV2httpRequest>(black_box(&get)).unwrap())
        })
    });
    g.bench_function("parse POST event", |b| {
        b.iter(|| {
            black_box(serde_json::from_str::<ApiGatewayV2httpRequest>(black_box(&post)).unwrap())
        })
    });
    g.bench_function("person from item", |b| {
        b.iter_batched(
            || item.clone(),
            |item| black_box(Table::from_item::<Person>(item).unwrap()),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("person to item", |b| {
        b.iter(|| black_box(table.to_item(black_box(&p)).unwrap()))
    });
    g.bench_function("person to item: raw SDK", |b| {
        b.iter(|| black_box(super::raw_item(black_box(&p))))
    });
    g.bench_function("person transforms + validation", |b| {
        b.iter_batched(
            || p.clone(),
            |mut p| {
                p.before_save();
                black_box(p.validate().is_ok())
            },
            BatchSize::SmallInput,
        )
    });
    // A transaction of two creates, built and not sent: the library's whole per-item write path
    // (transforms, validation, version, timestamps, item, condition, placeholders) against the raw
    // path's hand-written item and condition, as `library`'s `transaction_2` sends them.
    let fresh = |tag: &str| {
        let mut p = person();
        p.id = PersonId::generate();
        p.email = format!("{tag}-{}@example.com", p.id);
        p
    };
    g.bench_function("transaction of two, built: raw SDK", |b| {
        b.iter_batched(
            || (fresh("a"), fresh("b")),
            |(a, b)| black_box(super::raw_transaction_items(table.name(), &a, &b)),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("transaction of two, built: dynamodel", |b| {
        b.iter_batched(
            || (fresh("a"), fresh("b")),
            |(mut a, mut b)| {
                let tx = table
                    .transact()
                    .create(&mut a)
                    .unwrap()
                    .create(&mut b)
                    .unwrap();
                black_box(tx.len())
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("person to JSON body", |b| {
        b.iter(|| black_box(serde_json::to_string(black_box(&p)).unwrap()))
    });
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = 200;
    response.body = Some(aws_lambda_events::encodings::Body::Text(
        serde_json::to_string(&p).unwrap(),
    ));
    g.bench_function("serialise response", |b| {
        b.iter(|| black_box(serde_json::to_vec(black_box(&response)).unwrap()))
    });

    // A whole request that never reaches DynamoDB (CORS preflight), with and without the log line.
    let edge = Edge::new(
        PeopleService::new(table.clone()),
        AllowedOrigins::Any,
        Access::Open,
        Function::Get,
    );
    let options = serde_json::to_string(&request(
        "OPTIONS",
        "/people",
        &[("origin", "https://app.example.com")],
        None,
    ))
    .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let whole = |b: &mut criterion::Bencher| {
        b.iter(|| {
            let event: ApiGatewayV2httpRequest = serde_json::from_str(&options).unwrap();
            let response = runtime.block_on(edge.handle(invocation(event))).unwrap();
            black_box(serde_json::to_vec(&response).unwrap())
        })
    };
    g.bench_function("preflight request, no log", whole);
    {
        use tracing_subscriber::layer::SubscriberExt;
        let _logs = tracing::subscriber::set_default(
            tracing_subscriber::registry().with(people::telemetry::json_layer(std::io::sink)),
        );
        g.bench_function("preflight request, JSON log line", whole);
    }
    g.finish();
}
