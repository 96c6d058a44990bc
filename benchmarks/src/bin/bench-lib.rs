//! In-process measurements against DynamoDB Local (`DYNAMODB_ENDPOINT`), printed as JSON:
//! 1. library overhead: dynamodel vs raw aws-sdk-dynamodb + hand-written serde_dynamo conversion;
//! 3. handler cost: each route's handler fed API Gateway v2 events;
//! 6. scaling: list latency with 1k and with 100k people.
//!
//! CPU is the process's user+sys time (`CLOCK_PROCESS_CPUTIME_ID`) around a block of operations on a
//! current-thread runtime; DynamoDB Local runs in another process, so its CPU is not counted.
//!
//! A handler's CPU is split into the DynamoDB calls and the rest by [`meter::DynamoDbCalls`], a tracing
//! layer that charges the process CPU between the first poll of each `dynamodb` span's `send()` and its
//! last, to the call: on a current-thread runtime that serves one request at a time, everything that runs
//! in that window (the SDK, the connection task, the socket I/O) is the call's work.

use std::collections::HashMap;
use std::time::Instant;

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use dynamodel::{Model, PutMode, Query, Table};
use people::fixtures::{invocation, request};
use people::model::{Connection, Subscription};
use people::{
    Access, Actor, AllowedOrigins, Edge, Function, PeopleService, Person, PersonId, table_spec,
};
use serde_json::{Value, json};
use time::OffsetDateTime;

const WARMUP: usize = 100;
const ROUNDS: usize = 9;
/// Handler rounds alternate plain and metered requests in chunks of this many.
const CHUNK: usize = 50;

fn cpu_nanos() -> u64 {
    // SAFETY: clock_gettime writes into the struct we pass.
    let ts = unsafe {
        let mut ts: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts);
        ts
    };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn cpu_micros() -> f64 {
    cpu_nanos() as f64 / 1e3
}

mod meter {
    use std::sync::atomic::{AtomicU64, Ordering};
    use tracing::span::Id;
    use tracing::{Metadata, Subscriber};
    use tracing_subscriber::Layer;
    use tracing_subscriber::filter::FilterFn;
    use tracing_subscriber::layer::Context;
    use tracing_subscriber::registry::LookupSpan;

    /// CPU ns spent inside DynamoDB calls since the last [`take`].
    static INSIDE: AtomicU64 = AtomicU64::new(0);
    /// Clock reads made inside those windows (each is the meter's own cost, not the call's).
    static READS: AtomicU64 = AtomicU64::new(0);

    /// Calls (closed `dynamodb` spans).
    static CALLS: AtomicU64 = AtomicU64::new(0);

    /// What the meter saw since the last call, raw.
    pub struct Taken {
        /// Sum over calls of the CPU ns from first enter to last exit.
        pub window_ns: f64,
        /// Clock reads after each call's first (one per exit, that is per poll).
        pub reads: f64,
        pub calls: f64,
    }

    pub fn take() -> Taken {
        Taken {
            window_ns: INSIDE.swap(0, Ordering::Relaxed) as f64,
            reads: READS.swap(0, Ordering::Relaxed) as f64,
            calls: CALLS.swap(0, Ordering::Relaxed) as f64,
        }
    }

    /// The meter's own CPU inside the calls' windows, as a function of how often each call's future
    /// was polled: measured on empty `dynamodb` spans entered once and eleven times under the same
    /// subscriber (an empty span's window is all meter). Linear in the polls.
    pub struct Calibration {
        per_call: f64,
        per_poll: f64,
    }

    impl Calibration {
        pub fn measure() -> Self {
            let at = |polls: usize| {
                const N: usize = 5_000;
                take();
                for _ in 0..N {
                    let span = tracing::debug_span!(
                        "dynamodb",
                        operation = "GetItem",
                        table = %"calibration",
                        consumed = tracing::field::Empty
                    );
                    for _ in 0..polls {
                        drop(span.enter());
                    }
                    drop(span);
                }
                let taken = take();
                assert_eq!(
                    taken.calls, N as f64,
                    "the meter sees the calibration spans"
                );
                taken.window_ns / N as f64
            };
            let (one, eleven) = (at(1), at(11));
            let per_poll = (eleven - one) / 10.0;
            Self {
                per_call: one - per_poll,
                per_poll,
            }
        }

        /// The DynamoDB calls' CPU ns in what was taken, less the meter's own.
        pub fn dynamodb_ns(&self, taken: &Taken) -> f64 {
            // Each call: one clock read per exit after the window opens, one exit per poll.
            taken.window_ns - taken.calls * self.per_call - taken.reads * self.per_poll
        }
    }

    struct Window {
        first_enter: u64,
        last_exit: u64,
    }

    /// Charges the CPU from a `dynamodb` span's first enter to its last exit to the DynamoDB call.
    pub struct DynamoDbCalls;

    /// The meter sees only `dynamodb` spans.
    pub fn layer<S: Subscriber + for<'a> LookupSpan<'a>>() -> impl Layer<S> {
        DynamoDbCalls.with_filter(FilterFn::new(|m: &Metadata<'_>| {
            m.is_span() && m.name() == "dynamodb"
        }))
    }

    impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for DynamoDbCalls {
        fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
            // Only the first enter opens the window; re-enters need no clock read.
            let span = ctx.span(id).expect("entered span exists");
            let mut ext = span.extensions_mut();
            if ext.get_mut::<Window>().is_none() {
                let now = super::cpu_nanos();
                ext.insert(Window {
                    first_enter: now,
                    last_exit: now,
                });
            }
        }

        fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
            let now = super::cpu_nanos();
            let span = ctx.span(id).expect("exited span exists");
            if let Some(window) = span.extensions_mut().get_mut::<Window>() {
                window.last_exit = now;
                READS.fetch_add(1, Ordering::Relaxed);
            }
        }

        fn on_close(&self, id: Id, ctx: Context<'_, S>) {
            let span = ctx.span(&id).expect("closed span exists");
            CALLS.fetch_add(1, Ordering::Relaxed);
            if let Some(window) = span.extensions().get::<Window>() {
                INSIDE.fetch_add(window.last_exit - window.first_enter, Ordering::Relaxed);
            }
        }
    }
}

/// One block of `n` operations: CPU µs per op, and every op's wall time in µs.
struct Block {
    cpu_per_op: f64,
    walls: Vec<f64>,
}

async fn block<F, Fut>(n: usize, mut op: F) -> Block
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut walls = Vec::with_capacity(n);
    let cpu0 = cpu_micros();
    for i in 0..n {
        let t = Instant::now();
        op(i).await;
        walls.push(t.elapsed().as_secs_f64() * 1e6);
    }
    Block {
        cpu_per_op: (cpu_micros() - cpu0) / n as f64,
        walls,
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    if v.len().is_multiple_of(2) {
        (v[m - 1] + v[m]) / 2.0
    } else {
        v[m]
    }
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn summary(mut cpus: Vec<f64>, mut walls: Vec<f64>) -> Value {
    let (lo, hi) = (
        cpus.iter().cloned().fold(f64::MAX, f64::min),
        cpus.iter().cloned().fold(f64::MIN, f64::max),
    );
    json!({
        "cpu_us_median": median(&mut cpus),
        "cpu_us_min": lo,
        "cpu_us_max": hi,
        "wall_us_p50": pct(&mut walls, 0.5),
        "wall_us_p99": pct(&mut walls, 0.99),
        "wall_sample": walls.iter().step_by((walls.len() / 200).max(1)).cloned().collect::<Vec<_>>(),
    })
}

/// The people table without its stream. DynamoDB Local keeps a stream in its own storage on every
/// write, which slows its writes enough for the scaling run's batches to hit the functions' 2 s
/// attempt timeout; on AWS a stream costs the writer nothing, and the benchmark measures the writer.
fn bench_spec() -> dynamodel::TableSpec {
    let mut spec = table_spec();
    spec.stream = None;
    spec
}

fn person(i: usize, prefix: &str) -> Person {
    let now = OffsetDateTime::now_utc();
    Person {
        id: PersonId::generate(),
        name: format!("Person {prefix}{i}"),
        email: format!("{prefix}{i}@example.com"),
        phone: Some("+442079460958".into()),
        tags: vec!["math".into(), "bench".into()],
        created_at: now,
        updated_at: now,
        version: 1,
        owner: None,
    }
}

/// The raw path: the same item as dynamodel stores (fields, entity tag, keys, index attributes,
/// search copy), converted by hand.
fn raw_item(p: &Person) -> HashMap<String, AttributeValue> {
    let mut item: HashMap<String, AttributeValue> =
        serde_dynamo::to_item(p).expect("person serialises");
    item.insert("_type".into(), AttributeValue::S(Person::ENTITY.into()));
    let key = p.key();
    item.insert("pk".into(), AttributeValue::S(key.pk));
    item.insert("sk".into(), AttributeValue::S(key.sk.unwrap_or_default()));
    item.insert("gsi1pk".into(), AttributeValue::S("PERSON".into()));
    item.insert("gsi1sk".into(), AttributeValue::S(p.id.to_string()));
    item.insert("name_lc".into(), AttributeValue::S(p.name.to_lowercase()));
    item
}

/// The raw path's transaction of two creates: each item put if its key is free.
fn raw_transaction_items(table: &str, a: &Person, b: &Person) -> Vec<TransactWriteItem> {
    let put = |p: &Person| {
        TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name(table)
                    .set_item(Some(raw_item(p)))
                    .condition_expression("attribute_not_exists(#pk)")
                    .expression_attribute_names("#pk", "pk")
                    .build()
                    .unwrap(),
            )
            .build()
    };
    vec![put(a), put(b)]
}

fn raw_key(id: &PersonId) -> HashMap<String, AttributeValue> {
    let key = id.key();
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(key.pk)),
        (
            "sk".to_owned(),
            AttributeValue::S(key.sk.unwrap_or_default()),
        ),
    ])
}

async fn library(client: &Client, table: &Table, n: usize) -> Value {
    let name = table.name().to_owned();
    let seeded: Vec<Person> = (0..40).map(|i| person(i, "seed")).collect();
    for p in &seeded {
        client
            .put_item()
            .table_name(&name)
            .set_item(Some(raw_item(p)))
            .send()
            .await
            .unwrap();
    }
    let ids: Vec<PersonId> = seeded.iter().map(|p| p.id).collect();
    let mut results = serde_json::Map::new();
    let only = std::env::var("BENCH_LIB_OPS").unwrap_or_default();
    let ops = ["get", "put", "conditional_put", "query_20", "transaction_2"];
    for op in ops
        .into_iter()
        .filter(|op| only.is_empty() || only.split(',').any(|o| o == *op))
    {
        let (mut raw_cpu, mut raw_wall, mut dm_cpu, mut dm_wall) = (vec![], vec![], vec![], vec![]);
        for round in 0..=ROUNDS {
            let count = if round == 0 { WARMUP } else { n };
            let tag = format!("{op}{round}");
            let raw = async {
                match op {
                    "get" => {
                        block(count, |i| {
                            let (client, name, key) =
                                (client.clone(), name.clone(), raw_key(&ids[i % ids.len()]));
                            async move {
                                let out = client
                                    .get_item()
                                    .table_name(name)
                                    .set_key(Some(key))
                                    .send()
                                    .await
                                    .unwrap();
                                let p: Person = serde_dynamo::from_item(out.item.unwrap()).unwrap();
                                std::hint::black_box(p);
                            }
                        })
                        .await
                    }
                    "put" => {
                        block(count, |i| {
                            let item = raw_item(&seeded[i % seeded.len()]);
                            let (client, name) = (client.clone(), name.clone());
                            async move {
                                client
                                    .put_item()
                                    .table_name(name)
                                    .set_item(Some(item))
                                    .send()
                                    .await
                                    .unwrap();
                            }
                        })
                        .await
                    }
                    "conditional_put" => {
                        block(count, |i| {
                            let item = raw_item(&person(i, &format!("rc{tag}-")));
                            let (client, name) = (client.clone(), name.clone());
                            async move {
                                client
                                    .put_item()
                                    .table_name(name)
                                    .set_item(Some(item))
                                    .condition_expression("attribute_not_exists(#pk)")
                                    .expression_attribute_names("#pk", "pk")
                                    .send()
                                    .await
                                    .unwrap();
                            }
                        })
                        .await
                    }
                    "query_20" => {
                        block(count, |_| {
                            let (client, name) = (client.clone(), name.clone());
                            async move {
                                let out = client
                                    .query()
                                    .table_name(name)
                                    .index_name(Person::GSI1_INDEX)
                                    .key_condition_expression("#p = :p")
                                    .expression_attribute_names("#p", "gsi1pk")
                                    .expression_attribute_values(
                                        ":p",
                                        AttributeValue::S("PERSON".into()),
                                    )
                                    .scan_index_forward(false)
                                    .limit(20)
                                    .send()
                                    .await
                                    .unwrap();
                                let people: Vec<Person> =
                                    serde_dynamo::from_items(out.items.unwrap_or_default())
                                        .unwrap();
                                std::hint::black_box(people);
                            }
                        })
                        .await
                    }
                    _ => {
                        block(count, |i| {
                            let a = person(i, &format!("rta{tag}-"));
                            let b = person(i, &format!("rtb{tag}-"));
                            let (client, name) = (client.clone(), name.clone());
                            async move {
                                client
                                    .transact_write_items()
                                    .set_transact_items(Some(raw_transaction_items(&name, &a, &b)))
                                    .send()
                                    .await
                                    .unwrap();
                            }
                        })
                        .await
                    }
                }
            };
            let dm = async {
                match op {
                    "get" => {
                        block(count, |i| {
                            let (table, key) = (table.clone(), ids[i % ids.len()].key());
                            async move {
                                let p: Person = table.get(&key).await.unwrap().unwrap();
                                std::hint::black_box(p);
                            }
                        })
                        .await
                    }
                    "put" => {
                        block(count, |i| {
                            let mut p = seeded[i % seeded.len()].clone();
                            let table = table.clone();
                            async move {
                                table.put(&mut p, PutMode::Upsert).await.unwrap();
                            }
                        })
                        .await
                    }
                    "conditional_put" => {
                        block(count, |i| {
                            let mut p = person(i, &format!("dc{tag}-"));
                            let table = table.clone();
                            async move {
                                table.create(&mut p).await.unwrap();
                            }
                        })
                        .await
                    }
                    "query_20" => {
                        block(count, |_| {
                            let table = table.clone();
                            async move {
                                let q = Query::index(Person::GSI1_INDEX, "PERSON")
                                    .descending()
                                    .limit(20);
                                let page = table.query::<Person>(&q).await.unwrap();
                                std::hint::black_box(page);
                            }
                        })
                        .await
                    }
                    _ => {
                        block(count, |i| {
                            let mut a = person(i, &format!("dta{tag}-"));
                            let mut b = person(i, &format!("dtb{tag}-"));
                            let table = table.clone();
                            async move {
                                table
                                    .transact()
                                    .create(&mut a)
                                    .unwrap()
                                    .create(&mut b)
                                    .unwrap()
                                    .send()
                                    .await
                                    .unwrap();
                            }
                        })
                        .await
                    }
                }
            };
            // Which path runs first alternates by round, so neither always follows the other.
            let (raw, dm) = if round % 2 == 0 {
                let raw = raw.await;
                (raw, dm.await)
            } else {
                let dm = dm.await;
                (raw.await, dm)
            };
            if round > 0 {
                raw_cpu.push(raw.cpu_per_op);
                raw_wall.extend(raw.walls);
                dm_cpu.push(dm.cpu_per_op);
                dm_wall.extend(dm.walls);
            }
        }
        let raw = summary(raw_cpu, raw_wall);
        let dm = summary(dm_cpu, dm_wall);
        let ratio = dm["cpu_us_median"].as_f64().unwrap() / raw["cpu_us_median"].as_f64().unwrap();
        eprintln!(
            "library {op}: raw {:.1} µs, dynamodel {:.1} µs CPU/op ({ratio:.3}×)",
            raw["cpu_us_median"], dm["cpu_us_median"]
        );
        results.insert(
            op.to_owned(),
            json!({ "raw_sdk": raw, "dynamodel": dm, "cpu_ratio": ratio }),
        );
    }
    Value::Object(results)
}

fn edge(table: &Table, function: Function) -> Edge {
    Edge::new(
        PeopleService::new(table.clone()),
        AllowedOrigins::Any,
        Access::Open,
        function,
    )
}

async fn handlers(table: &Table, n: usize) -> Value {
    let json = [("content-type", "application/json")];
    let service = PeopleService::new(table.clone());
    let mut ids = Vec::new();
    for i in 0..50 {
        let input = people::PersonInput {
            name: format!("Handler {i}"),
            email: format!("h{i}@example.com"),
            ..Default::default()
        };
        ids.push(service.create(input, &Actor::anyone()).await.unwrap().id);
    }
    let mut out = serde_json::Map::new();
    let routes: [(&str, Function); 6] = [
        ("OPTIONS /people (no DynamoDB call)", Function::Get),
        ("GET /people/{id}", Function::Get),
        ("GET /people?limit=20", Function::List),
        ("POST /people", Function::Put),
        ("PUT /people/{id}", Function::Put),
        ("DELETE /people/{id}", Function::Delete),
    ];
    let only = std::env::var("BENCH_ROUTES").unwrap_or_default();
    for (route, function) in routes
        .into_iter()
        .filter(|(r, _)| only.is_empty() || only.split(',').any(|o| o == *r))
    {
        let edge = edge(table, function);
        let (mut cpus, mut walls, mut inside, mut outside, mut metered_totals) =
            (vec![], vec![], vec![], vec![], vec![]);
        for round in 0..=ROUNDS {
            let count = if round == 0 { WARMUP.min(n) } else { n };
            // Each round runs `count` requests plainly (the total) and `count` under the DynamoDB-call
            // meter (the calls' windows less the meter's calibrated cost inside them), interleaved in
            // chunks so that drift hits both alike: outside = plain total − DynamoDB calls.
            // Deletes need people to delete: create them outside the measured blocks.
            let victims: Vec<PersonId> = if route.starts_with("DELETE") {
                let mut v = Vec::with_capacity(2 * count);
                for i in 0..2 * count {
                    let input = people::PersonInput {
                        name: "Gone".into(),
                        email: format!("del{round}-{i}@example.com"),
                        ..Default::default()
                    };
                    v.push(service.create(input, &Actor::anyone()).await.unwrap().id);
                }
                v
            } else {
                Vec::new()
            };
            // What the runtime hands the handler: the event as JSON text. Built before the blocks.
            let events: Vec<String> = (0..2 * count)
                .map(|i| {
                    let event = match route {
                        "GET /people/{id}" => request("GET", &format!("/people/{}", ids[i % ids.len()]), &[], None),
                        "GET /people?limit=20" => request("GET", "/people?limit=20", &[], None),
                        "OPTIONS /people (no DynamoDB call)" => request("OPTIONS", "/people", &[("origin", "https://app.example.com")], None),
                        "POST /people" => request(
                            "POST",
                            "/people",
                            &json,
                            Some(&json!({"name": "New", "email": format!("new{round}-{i}@example.com"), "tags": ["a"]}).to_string()),
                        ),
                        "PUT /people/{id}" => request(
                            "PUT",
                            &format!("/people/{}", ids[i % ids.len()]),
                            &json,
                            Some(&json!({"name": format!("Renamed {i}"), "email": format!("h{}@example.com", i % ids.len())}).to_string()),
                        ),
                        _ => request("DELETE", &format!("/people/{}", victims[i]), &[], None),
                    };
                    serde_json::to_string(&event).unwrap()
                })
                .collect();
            // The functions' JSON log line is written (to a sink), as in production.
            let subscriber = |metered: bool| {
                use tracing_subscriber::layer::SubscriberExt;
                let logs = tracing_subscriber::registry()
                    .with(people::telemetry::json_layer(std::io::sink));
                if metered {
                    tracing::subscriber::set_default(logs.with(meter::layer()))
                } else {
                    tracing::subscriber::set_default(logs)
                }
            };
            let calibration = {
                let _guard = subscriber(true);
                meter::Calibration::measure()
            };
            let (mut plain_cpu, mut metered_cpu, mut inside_ns) = (0.0, 0.0, 0.0);
            let mut round_walls = Vec::with_capacity(count);
            let chunk = CHUNK.min(count);
            for start in (0..count).step_by(chunk) {
                let len = chunk.min(count - start);
                for metered in [false, true] {
                    let guard = subscriber(metered);
                    meter::take();
                    let offset = if metered { count } else { 0 } + start;
                    // Per request: parse the event, handle it, serialise the response (the
                    // runtime's share of the work, done in the function's process).
                    let b = block(len, |i| {
                        let (edge, text) = (edge.clone(), &events[offset + i]);
                        async move {
                            let event: ApiGatewayV2httpRequest =
                                serde_json::from_str(text).unwrap();
                            let response = edge.handle(invocation(event)).await.unwrap();
                            assert!(
                                response.status_code < 300,
                                "{route}: {}",
                                response.status_code
                            );
                            std::hint::black_box(serde_json::to_vec(&response).unwrap());
                        }
                    })
                    .await;
                    let taken = meter::take();
                    drop(guard);
                    if metered {
                        inside_ns += calibration.dynamodb_ns(&taken);
                        metered_cpu += b.cpu_per_op * len as f64;
                    } else {
                        plain_cpu += b.cpu_per_op * len as f64;
                        round_walls.extend(b.walls);
                    }
                }
            }
            if round == 0 {
                continue;
            }
            let per = |x: f64| x / count as f64;
            let dynamodb = per(inside_ns) / 1e3;
            cpus.push(per(plain_cpu));
            walls.extend(round_walls);
            inside.push(dynamodb);
            outside.push(per(plain_cpu) - dynamodb);
            metered_totals.push(per(metered_cpu));
        }
        let mut summary = summary(cpus, walls);
        summary["dynamodb_cpu_us_median"] = json!(median(&mut inside));
        summary["outside_cpu_us_median"] = json!(median(&mut outside.clone()));
        summary["outside_cpu_us_min"] = json!(outside.iter().cloned().fold(f64::MAX, f64::min));
        summary["outside_cpu_us_max"] = json!(outside.iter().cloned().fold(f64::MIN, f64::max));
        summary["metered_total_cpu_us_median"] = json!(median(&mut metered_totals));
        eprintln!(
            "handler {route}: {:.1} µs CPU/request (metered run {:.1}); DynamoDB calls {:.1} µs, outside {:.1} µs [{:.1}–{:.1}]",
            summary["cpu_us_median"],
            summary["metered_total_cpu_us_median"],
            summary["dynamodb_cpu_us_median"],
            summary["outside_cpu_us_median"],
            summary["outside_cpu_us_min"],
            summary["outside_cpu_us_max"]
        );
        out.insert(route.to_owned(), summary);
    }
    Value::Object(out)
}

async fn load_people(table: &Table, count: usize) {
    let mut writes = Vec::with_capacity(count);
    for i in 0..count {
        writes.push(table.batch_put(&mut person(i, "scale")).unwrap());
    }
    let chunks: Vec<Vec<dynamodel::BatchWrite>> = writes.chunks(1000).map(|c| c.to_vec()).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in chunks {
        let table = table.clone();
        tasks.spawn_local(async move {
            table
                .batch_write(chunk, dynamodel::Backoff::default())
                .await
                .unwrap()
        });
        while tasks.len() >= 8 {
            assert!(tasks.join_next().await.unwrap().unwrap().is_empty());
        }
    }
    while let Some(r) = tasks.join_next().await {
        assert!(r.unwrap().is_empty());
    }
}

async fn scaling(client: &Client, requests: usize, big: usize) -> Value {
    let mut out = serde_json::Map::new();
    let name = format!("bench-scale-{}", std::process::id());
    dynamodel::create_table(client, &name, &bench_spec())
        .await
        .unwrap();
    let table = Table::new(client.clone(), name, table_spec());
    let mut loaded = 0;
    for size in [1_000usize, big] {
        let t = Instant::now();
        load_people(&table, size - loaded).await;
        loaded = size;
        eprintln!(
            "scaling: {size} people loaded in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let list = edge(&table, Function::List);
        let b = block(requests, |_| {
            let list = list.clone();
            async move {
                let r = list
                    .handle(invocation(request("GET", "/people?limit=20", &[], None)))
                    .await
                    .unwrap();
                assert_eq!(r.status_code, 200);
            }
        })
        .await;
        let mut walls = b.walls;
        out.insert(
            size.to_string(),
            json!({ "p50_us": pct(&mut walls, 0.5), "p99_us": pct(&mut walls, 0.99), "cpu_us": b.cpu_per_op }),
        );
        eprintln!(
            "scaling {size}: p50 {:.0} µs p99 {:.0} µs",
            pct(&mut walls, 0.5),
            pct(&mut walls, 0.99)
        );
    }
    Value::Object(out)
}

/// `setup <table>`: creates the table with one person, prints `{"table", "id", "pk"}`.
/// `event <method> <path> [body]`: prints an API Gateway v2 event.
/// Runs `f` on a new people table `name` (without a stream) at `DYNAMODB_ENDPOINT`.
fn with_new_table(name: &str, f: impl AsyncFnOnce(Table)) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = dynamodb_local::client_for(
            &std::env::var("DYNAMODB_ENDPOINT").expect("DYNAMODB_ENDPOINT"),
        );
        dynamodel::create_table(&client, name, &bench_spec())
            .await
            .unwrap();
        f(Table::new(client, name.to_owned(), table_spec())).await
    })
}

fn tool(args: &[String]) -> bool {
    match args.first().map(String::as_str) {
        Some("event") => {
            let headers: &[(&str, &str)] = if args.len() > 3 {
                &[("content-type", "application/json")]
            } else {
                &[]
            };
            let event = request(&args[1], &args[2], headers, args.get(3).map(String::as_str));
            println!("{}", serde_json::to_string(&event).unwrap());
            true
        }
        Some("setup") => {
            with_new_table(&args[1], async |table| {
                let input = people::PersonInput {
                    name: "Cold Start".into(),
                    email: "cold@example.com".into(),
                    ..Default::default()
                };
                let p = PeopleService::new(table)
                    .create(input, &Actor::anyone())
                    .await
                    .unwrap();
                println!(
                    "{}",
                    json!({ "table": args[1], "id": p.id.to_string(), "pk": p.id.key().pk })
                );
            });
            true
        }
        Some("fanout-setup") => {
            // `fanout-setup <table> <connections> <event.json>`: a table holding that many
            // connections subscribed to every person, and a stream event of one person created.
            let n: usize = args[2].parse().expect("a connection count");
            with_new_table(&args[1], async |table| {
                let now = OffsetDateTime::now_utc().unix_timestamp();
                let writes = (0..n)
                    .map(|i| {
                        table.batch_put(&mut Connection {
                            connection_id: format!("fanout-{i:06}"),
                            subject: Some("reader".into()),
                            own_only: false,
                            subscription: Some(Subscription::All),
                            connected_at: now,
                            expires_at: Some(now + 7200),
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .unwrap();
                let unprocessed = table
                    .batch_write(writes, dynamodel::Backoff::default())
                    .await
                    .unwrap();
                assert!(unprocessed.is_empty(), "every connection is stored");
                let new_image: serde_dynamo::Item =
                    table.to_item(&person(0, "fanout")).unwrap().into();
                let event = json!({"Records": [{
                    "eventID": "fanout-1",
                    "eventName": "INSERT",
                    "eventVersion": "1.1",
                    "eventSource": "aws:dynamodb",
                    "awsRegion": "us-east-1",
                    "dynamodb": {
                        "ApproximateCreationDateTime": now,
                        "SequenceNumber": "100000000000000000001",
                        "SizeBytes": 300,
                        "StreamViewType": "NEW_AND_OLD_IMAGES",
                        "Keys": {"pk": {"S": "PERSON#fanout"}, "sk": {"S": "PROFILE"}},
                        "NewImage": new_image,
                    },
                }]});
                std::fs::write(&args[3], serde_json::to_vec(&event).unwrap()).unwrap();
                println!("{}", json!({ "table": args[1], "connections": n }));
            });
            true
        }
        _ => false,
    }
}

#[path = "../edge_parts.rs"]
mod edge_parts;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if tool(&args) {
        return;
    }
    if args.first().map(String::as_str) == Some("parts") {
        // `bench-lib parts [substring]`: only the parts whose name contains it.
        let mut c = criterion::Criterion::default()
            .warm_up_time(std::time::Duration::from_secs(1))
            .measurement_time(std::time::Duration::from_secs(3))
            .without_plots();
        if let Some(filter) = args.get(1) {
            c = c.with_filter(filter.as_str());
        }
        edge_parts::run(&mut c);
        c.final_summary();
        return;
    }
    let n: usize = std::env::var("BENCH_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let big: usize = std::env::var("BENCH_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    let result = local.block_on(&runtime, async {
        let endpoint = std::env::var("DYNAMODB_ENDPOINT").expect("DYNAMODB_ENDPOINT");
        // The functions' client (people::client::dynamodb_client), pointed at DynamoDB Local: the raw
        // SDK path and dynamodel share it.
        let client = people::client::dynamodb_client(
            aws_sdk_dynamodb::config::Region::new(dynamodb_local::REGION),
            aws_sdk_dynamodb::config::Credentials::new("local", "local", None, None, "bench"),
            Some(&endpoint),
            people::tls::TrustStore::AmazonTrustServices,
        );
        let name = format!("bench-{}", std::process::id());
        dynamodel::create_table(&client, &name, &bench_spec())
            .await
            .unwrap();
        let table = Table::new(client.clone(), name.clone(), table_spec());
        let started = Instant::now();
        // `BENCH_PARTS` (default all): which of library, handlers, scaling to run, for profiling one.
        let parts =
            std::env::var("BENCH_PARTS").unwrap_or_else(|_| "library,handlers,scaling".into());
        let part = |p: &str| parts.split(',').any(|x| x == p);
        let library = if part("library") {
            library(&client, &table, n).await
        } else {
            json!({})
        };
        let handlers = if part("handlers") {
            handlers(&table, n).await
        } else {
            json!({})
        };
        let scaling = if part("scaling") {
            scaling(&client, 300, big).await
        } else {
            json!({})
        };
        json!({
            "ops_per_block": n,
            "rounds": ROUNDS,
            "warmup": WARMUP,
            "seconds": started.elapsed().as_secs_f64(),
            "library": library,
            "handlers": handlers,
            "scaling": scaling,
            "table": name,
        })
    });
    println!("{}", serde_json::to_string_pretty(&result).unwrap());
}
