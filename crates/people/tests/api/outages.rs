//! DynamoDB stalling, dropping connections, or stopping, behind the functions' own client (connect
//! and attempt timeouts, retries): every answer is a 503 with a problem document before the
//! invocation's deadline, never a hang; and the same warm edge serves again once DynamoDB is back.

use std::time::{Duration, Instant, SystemTime};

use aws_sdk_dynamodb::config::{Credentials, Region};
use dynamodel::Table;
use people::fixtures::request;
use people::tls::TrustStore;
use people::{Edge, Function, table_spec};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::faults::assert_unavailable;
use crate::helpers::*;

/// What the proxy does with connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Forward to DynamoDB Local.
    Pass,
    /// Accept and never answer.
    Stall,
    /// Accept and close at once.
    Close,
}

/// A loopback TCP proxy in front of DynamoDB Local whose behaviour can be switched; a switch
/// closes the connections it holds, so pooled connections see it too.
struct FaultProxy {
    endpoint: String,
    mode: watch::Sender<Mode>,
}

impl FaultProxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let (mode, _) = watch::channel(Mode::Pass);
        let modes = mode.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mut changed = modes.subscribe();
                let current = *changed.borrow_and_update();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    match current {
                        Mode::Close => drop(client),
                        Mode::Stall => {
                            let _ = changed.changed().await;
                        }
                        Mode::Pass => {
                            let Ok(mut server) = TcpStream::connect(upstream).await else {
                                return;
                            };
                            tokio::select! {
                                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                                _ = changed.changed() => {}
                            }
                        }
                    }
                });
            }
        });
        Self { endpoint, mode }
    }

    fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

/// The functions' own client (timeouts, retries), pointed at `endpoint`.
fn functions_client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    people::client::dynamodb_client(
        Region::new(dynamodb_local::REGION),
        Credentials::new("local", "local", None, None, "test"),
        Some(endpoint),
        TrustStore::AmazonTrustServices,
    )
}

/// Sends `method path` with a Lambda deadline `budget` from now; the response and how long it took.
async fn send_within(
    edge: &Edge,
    budget: Duration,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> (Response, Duration) {
    let mut context = lambda_runtime::Context::default();
    let deadline = SystemTime::now() + budget;
    context.deadline = deadline
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let headers: &[(&str, &str)] = if body.is_some() { &[JSON] } else { &[] };
    let started = Instant::now();
    let response = edge
        .handle(lambda_runtime::LambdaEvent::new(
            request(method, path, headers, body),
            context,
        ))
        .await
        .expect("the edge never fails");
    (decode(response), started.elapsed())
}

#[tokio::test]
async fn stalls_and_dropped_connections_are_503_before_the_deadline_and_the_edge_recovers() {
    let app = TestApp::new().await;
    let created = app.create("Ada", "ada@example.com").await;
    let item = format!("/people/{}", created.body["id"].as_str().unwrap());
    let proxy = FaultProxy::start(
        dynamodb_local::shared()
            .endpoint()
            .trim_start_matches("http://")
            .to_owned(),
    )
    .await;
    let table = Table::new(
        functions_client(&proxy.endpoint),
        app.table.name().to_owned(),
        table_spec(),
    );
    let edge = |function| {
        Edge::new(
            people::PeopleService::new(table.clone()),
            app.origins.clone(),
            app.access,
            function,
        )
    };
    let (get, put) = (edge(Function::Get), edge(Function::Put));
    let budget = Duration::from_secs(3);

    let (ok, _) = send_within(&get, budget, "GET", &item, None).await;
    assert_eq!(ok.status, 200);

    let mut worst = Duration::ZERO;
    for mode in [Mode::Stall, Mode::Close] {
        proxy.set(mode);
        for (edge, method, body) in [
            (&get, "GET", None),
            (&put, "PUT", Some(person("Grace", "grace@example.com"))),
        ] {
            let (response, took) = send_within(edge, budget, method, &item, body.as_deref()).await;
            assert_unavailable(&response);
            assert!(
                took < budget,
                "{mode:?} {method}: answered after {took:?}, the deadline was {budget:?}"
            );
            worst = worst.max(took);
            println!("{mode:?} {method}: 503 after {took:?} (deadline {budget:?})");
        }
    }
    println!("worst response time under faults: {worst:?} against a {budget:?} deadline");

    // DynamoDB is back: the same warm edge (same client, same pool) serves again.
    proxy.set(Mode::Pass);
    let (again, _) = send_within(&get, budget, "GET", &item, None).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(
        again.body["name"], "Ada",
        "nothing was written during the faults"
    );
}

#[tokio::test]
async fn dynamodb_local_stopped_and_started_again() {
    let port = dynamodb_local::free_port();
    let data = std::env::temp_dir().join(format!("people-outage-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&data).unwrap();
    let start = || {
        let child = dynamodb_local::spawn(port, Some(&data), true).expect("start DynamoDB Local");
        dynamodb_local::wait_until_ready(port, Duration::from_secs(60))
            .expect("DynamoDB Local ready");
        child
    };
    let mut dynamodb = start();
    let endpoint = format!("http://127.0.0.1:{port}");
    let name = "people-outage";
    dynamodel::create_table(&dynamodb_local::client_for(&endpoint), name, &table_spec())
        .await
        .unwrap();
    let table = Table::new(functions_client(&endpoint), name.to_owned(), table_spec());
    let edge = |function| {
        Edge::new(
            people::PeopleService::new(table.clone()),
            people::AllowedOrigins::Any,
            people::Access::Open,
            function,
        )
    };
    let (get, put) = (edge(Function::Get), edge(Function::Put));
    let budget = Duration::from_secs(5);
    let (created, _) = send_within(
        &put,
        budget,
        "POST",
        "/people",
        Some(&person("Ada", "ada@example.com")),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let item = format!("/people/{}", created.body["id"].as_str().unwrap());

    // Stopped the way an operator stops it (SIGTERM), so what it stored is on disk.
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(dynamodb.id() as libc::pid_t, libc::SIGTERM);
    }
    dynamodb.wait().unwrap();
    for _ in 0..3 {
        let (response, took) = send_within(&get, budget, "GET", &item, None).await;
        assert_unavailable(&response);
        assert!(took < budget, "answered after {took:?}");
        println!("DynamoDB Local stopped: 503 after {took:?}");
    }

    let mut dynamodb = start();
    let (read, _) = send_within(&get, budget, "GET", &item, None).await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["name"], "Ada");
    let (created, _) = send_within(
        &put,
        budget,
        "POST",
        "/people",
        Some(&person("Grace", "grace@example.com")),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    dynamodb.kill().unwrap();
    let _ = dynamodb.wait();
    let _ = std::fs::remove_dir_all(&data);
}
