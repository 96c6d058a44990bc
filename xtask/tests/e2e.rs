//! End to end over real HTTP through the same path `make dev` uses: `xtask dev` starts DynamoDB Local,
//! creates the table, runs the four functions under `cargo lambda watch` and the local API Gateway
//! that routes each request to one of them from the exported route table; with `AUTH=on` that
//! gateway also verifies tokens minted by `xtask token`, as API Gateway's JWT authorizer would.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

struct Dev {
    child: Child,
    base: String,
    db_port: u16,
    /// The WebSocket gateway's port.
    ws_port: u16,
    /// Everything it printed, as it prints it.
    output: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// What it printed up to its `Ctrl-C stops both.` line.
    banner: Vec<String>,
}

impl Dev {
    /// `xtask dev` on free ports with `AUTH` off, or with `env` set on top.
    fn start(env: &[(&str, &str)]) -> Self {
        let api_port = dynamodb_local::free_port();
        let db_port = dynamodb_local::free_port();
        let ws_port = dynamodb_local::free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
        command
            .arg("dev")
            .env("PORT", api_port.to_string())
            .env("DYNAMODB_PORT", db_port.to_string())
            .env("WS_PORT", ws_port.to_string())
            .env("TABLE_NAME", "people-e2e")
            .env_remove("PERSIST")
            .env_remove("AUTH");
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start xtask dev");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let output = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                println!("dev: {line}");
                kept.lock().unwrap().push(line.clone());
                let _ = tx.send(line);
            }
        });
        let url = format!("http://127.0.0.1:{api_port}/people");
        let mut banner = Vec::new();
        loop {
            match rx.recv_timeout(Duration::from_secs(120)) {
                Ok(line) if line.contains("Ctrl-C stops") => break,
                Ok(line) => banner.push(line),
                Err(e) => {
                    let _ = child.kill();
                    panic!("xtask dev did not start: {e:?}");
                }
            }
        }
        assert!(
            banner.iter().any(|line| line.contains(&url)),
            "{url} not in {banner:?}"
        );
        Self {
            child,
            base: format!("http://127.0.0.1:{api_port}"),
            db_port,
            ws_port,
            output,
            banner,
        }
    }

    /// Ctrl-C: everything it started must stop.
    fn interrupt(mut self) {
        // SAFETY: kill has no memory-safety preconditions.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGINT);
        }
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "xtask dev did not stop on SIGINT"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        assert!(status.success(), "xtask dev exited with {status}");
        let db = std::net::TcpStream::connect(("127.0.0.1", self.db_port));
        assert!(db.is_err(), "DynamoDB Local still listens after Ctrl-C");
        let api = std::net::TcpStream::connect(self.base.trim_start_matches("http://"));
        assert!(api.is_err(), "the API still listens after Ctrl-C");
    }
}

impl Drop for Dev {
    /// A test that fails still stops the stack: Ctrl-C first, so `xtask dev` stops `cargo lambda
    /// watch` and DynamoDB Local (a kill would leave them running), then a kill if it hangs.
    fn drop(&mut self) {
        if !matches!(self.child.try_wait(), Ok(None)) {
            return;
        }
        // SAFETY: kill has no memory-safety preconditions.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGINT);
        }
        for _ in 0..100 {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
    }
}

struct Reply {
    status: u16,
    headers: ureq::http::HeaderMap,
    body: Value,
}

fn call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Reply {
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let typed = headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    if !typed && body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let response = match body {
        Some(body) => agent.run(request.body(body.to_string()).unwrap()),
        None => agent.run(request.body(()).unwrap()),
    }
    .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.into_body().read_to_string().unwrap();
    let json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let body = if text.is_empty() {
        Value::Null
    } else if json {
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {url}: {status} is not JSON ({e}): {text:?}"))
    } else {
        // The web app's page and assets.
        Value::String(text)
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// Sends `request_line` (`METHOD /path`) as HTTP/1.1 over a new connection: the status and the
/// response head.
fn raw_request(host: &str, request_line: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    write!(
        stream,
        "{request_line} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let head = response.split("\r\n\r\n").next().unwrap_or("").to_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{request_line}: no status in {response:?}"));
    (status, head)
}

#[test]
fn the_local_stack_serves_the_whole_api_and_stops_on_ctrl_c() {
    let dev = Dev::start(&[]);
    assert!(
        dev.banner
            .iter()
            .any(|line| line.contains("auth         off")),
        "{:?}",
        dev.banner
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        // The first call to each function waits for `cargo lambda watch` to build it.
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .into();
    let people = format!("{}/people", dev.base);

    let created = call(
        &agent,
        "POST",
        &people,
        &[],
        Some(json!({"name": "Ada", "email": "ada@example.com"})),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.headers["location"],
        format!("/people/{id}").as_str()
    );
    let item = format!("{people}/{id}");

    let read = call(&agent, "GET", &item, &[], None);
    assert_eq!(read.status, 200);
    assert_eq!(read.body["email"], "ada@example.com");
    let v1 = read.headers["etag"].to_str().unwrap().to_owned();
    assert!(v1.starts_with("\"v1."), "{v1}");
    assert_eq!(created.headers["etag"], v1.as_str());
    assert!(read.headers.contains_key("x-request-id"));

    let listed = call(&agent, "GET", &format!("{people}?limit=5"), &[], None);
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["items"][0]["id"], id.as_str());
    assert_eq!(listed.body["next_cursor"], Value::Null);

    let replaced = call(
        &agent,
        "PUT",
        &item,
        &[("if-match", &v1)],
        Some(json!({"name": "Ada Lovelace", "email": "ada@example.com", "tags": ["math"]})),
    );
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(replaced.body["version"], 2);
    let stale = call(
        &agent,
        "PUT",
        &item,
        &[("if-match", &v1)],
        Some(json!({"name": "X", "email": "x@example.com"})),
    );
    assert_eq!(stale.status, 412);
    assert_eq!(stale.headers["content-type"], "application/problem+json");

    let unknown = call(&agent, "GET", &format!("{}/nowhere", dev.base), &[], None);
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.headers["content-type"], "application/problem+json");
    let wrong_method = call(&agent, "DELETE", &people, &[], None);
    assert_eq!(wrong_method.status, 405);

    let head = call(&agent, "HEAD", &format!("{people}?limit=1"), &[], None);
    assert_eq!(head.status, 200);
    assert_eq!(head.body, Value::Null);
    assert_eq!(head.headers["content-type"], "application/json");
    let slash = call(&agent, "GET", &format!("{people}/"), &[], None);
    assert_eq!(slash.status, 404, "{}", slash.body);
    // The root is the web app's page, beside the API.
    let page = call(&agent, "GET", &format!("{}/", dev.base), &[], None);
    assert_eq!(page.status, 200);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );

    // Every method on every route and on paths that are not routes: never a 5xx, a problem document
    // for every error.
    let paths = [
        people.clone(),
        format!("{people}/"),
        item.clone(),
        format!("{item}/"),
        format!("{people}/not-a-ulid"),
        format!("{people}/{}", "0".repeat(3000)),
        format!("{}/", dev.base),
        format!("{}/PEOPLE", dev.base),
    ];
    for method in [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE",
    ] {
        for path in &paths {
            for body in [
                None,
                Some(json!({"name": "Grace", "email": "grace@example.com"})),
            ] {
                let reply = call(&agent, method, path, &[("if-match", "\"v99\"")], body);
                let what = format!("{method} {path}: {} {}", reply.status, reply.body);
                assert!(reply.status < 500, "{what}");
                if reply.status >= 400 && method != "HEAD" {
                    assert_eq!(
                        reply.headers["content-type"], "application/problem+json",
                        "{what}"
                    );
                }
            }
        }
    }

    // Extension methods, which HTTP clients refuse to send, over a raw connection.
    let host = dev.base.trim_start_matches("http://");
    let item_path = item.trim_start_matches(&dev.base);
    for method in ["PROPFIND", "FOO", "BREW"] {
        for path in ["/people", item_path, "/people/", "/elsewhere"] {
            let (status, head) = raw_request(host, &format!("{method} {path}"));
            assert!((400..500).contains(&status), "{method} {path}: {head}");
            assert!(
                head.contains("application/problem+json"),
                "{method} {path}: {head}"
            );
        }
    }

    let deleted = call(&agent, "DELETE", &item, &[], None);
    assert_eq!(deleted.status, 204);
    assert_eq!(call(&agent, "GET", &item, &[], None).status, 404);

    dev.interrupt();
}

/// A development access token from `xtask token`, as `make token` prints it.
fn token(subject: &str, scopes: &str, ttl: i64) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["token", "--sub", subject, "--scopes", scopes, "--ttl"])
        .arg(ttl.to_string())
        .stderr(Stdio::inherit())
        .output()
        .expect("run xtask token");
    assert!(output.status.success(), "xtask token: {}", output.status);
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert_eq!(token.split('.').count(), 3, "not a JWT: {token}");
    format!("Bearer {token}")
}

fn ids(page: &Reply) -> Vec<String> {
    let mut ids: Vec<String> = page.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {}", page.body))
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[test]
fn with_auth_on_the_local_stack_requires_tokens_like_the_deployed_one() {
    let dev = Dev::start(&[("AUTH", "on"), ("TABLE_NAME", "people-e2e-auth")]);
    assert!(
        dev.banner
            .iter()
            .any(|line| line.contains("auth         on")),
        "{:?}",
        dev.banner
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .into();
    let people = format!("{}/people", dev.base);
    let alice = token("alice", "people/self", 600);
    let bob = token("bob", "people/self", 600);
    let admin = token("admin", "people/write", 600);
    let outsider = token("carol", "openid email", 600);
    let expired = token("alice", "people/self", -60);
    let person = |name: &str, email: &str| Some(json!({"name": name, "email": email}));

    // No identity: API Gateway's own 401 on routes and `$default` alike, before any function runs.
    let anonymous = [
        ("GET", people.clone(), vec![]),
        ("POST", people.clone(), vec![]),
        ("GET", format!("{}/nowhere", dev.base), vec![]),
        ("OPTIONS", people.clone(), vec![]),
        (
            "GET",
            people.clone(),
            vec![("authorization", "Bearer not-a-jwt")],
        ),
        (
            "GET",
            people.clone(),
            vec![("authorization", expired.as_str())],
        ),
        (
            "POST",
            people.clone(),
            vec![("authorization", expired.as_str())],
        ),
    ];
    for (method, url, headers) in &anonymous {
        let body = (*method == "POST").then(|| json!({"name": "M", "email": "m@example.com"}));
        let reply = call(&agent, method, url, headers, body);
        let what = format!(
            "{method} {url} {headers:?}: {} {}",
            reply.status, reply.body
        );
        assert_eq!(reply.status, 401, "{what}");
        assert_eq!(reply.body, json!({"message": "Unauthorized"}), "{what}");
        assert_eq!(reply.headers["www-authenticate"], "Bearer", "{what}");
    }
    // A CORS preflight is answered without a token, as API Gateway's CORS configuration does.
    let preflight = call(
        &agent,
        "OPTIONS",
        &people,
        &[
            ("origin", "http://localhost:3000"),
            ("access-control-request-method", "POST"),
        ],
        None,
    );
    assert!(preflight.status < 300, "{}", preflight.status);

    // A valid token without any of the API's scopes: API Gateway's 403.
    let forbidden = call(
        &agent,
        "GET",
        &people,
        &[("authorization", &outsider)],
        None,
    );
    assert_eq!(forbidden.status, 403, "{}", forbidden.body);
    assert_eq!(forbidden.body, json!({"message": "Forbidden"}));

    // people/self: Alice creates her person and changes it.
    let created = call(
        &agent,
        "POST",
        &people,
        &[("authorization", &alice)],
        person("Alice", "alice@example.com"),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let alices = created.body["id"].as_str().unwrap().to_owned();
    let alices_url = format!("{people}/{alices}");
    let replaced = call(
        &agent,
        "PUT",
        &alices_url,
        &[
            ("authorization", &alice),
            ("if-match", created.headers["etag"].to_str().unwrap()),
        ],
        Some(json!({"name": "Alice Liddell", "email": "alice@example.com", "tags": ["me"]})),
    );
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(replaced.body["version"], 2);
    let patched = call(
        &agent,
        "PATCH",
        &alices_url,
        &[
            ("authorization", &alice),
            ("content-type", "application/merge-patch+json"),
        ],
        Some(json!({"phone": "+14155550100"})),
    );
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["version"], 3);
    assert!(patched.body.get("owner").is_none(), "{}", patched.body);

    // Bob creates his; Alice may not touch it: the function's 403, a problem document.
    let created = call(
        &agent,
        "POST",
        &people,
        &[("authorization", &bob)],
        person("Bob", "bob@example.com"),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let bobs = created.body["id"].as_str().unwrap().to_owned();
    let bobs_url = format!("{people}/{bobs}");
    for (method, headers, body) in [
        (
            "PUT",
            vec![("authorization", alice.as_str())],
            person("Mallory", "bob@example.com"),
        ),
        (
            "PATCH",
            vec![
                ("authorization", alice.as_str()),
                ("content-type", "application/merge-patch+json"),
            ],
            Some(json!({"name": "Mallory"})),
        ),
        ("DELETE", vec![("authorization", alice.as_str())], None),
        ("GET", vec![("authorization", alice.as_str())], None),
    ] {
        let reply = call(&agent, method, &bobs_url, &headers, body);
        assert_eq!(reply.status, 403, "{method}: {}", reply.body);
        assert_eq!(
            reply.headers["content-type"], "application/problem+json",
            "{method}"
        );
    }
    // A second person of her own is refused too.
    let second = call(
        &agent,
        "POST",
        &people,
        &[("authorization", &alice)],
        person("Alice Two", "alice2@example.com"),
    );
    assert_eq!(second.status, 403, "{}", second.body);

    // Alice lists her own person only; the admin (people/write) lists both, unchanged by Alice.
    let hers = call(&agent, "GET", &people, &[("authorization", &alice)], None);
    assert_eq!(hers.status, 200, "{}", hers.body);
    assert_eq!(ids(&hers), std::slice::from_ref(&alices));
    let all = call(&agent, "GET", &people, &[("authorization", &admin)], None);
    assert_eq!(all.status, 200, "{}", all.body);
    let mut both = vec![alices.clone(), bobs.clone()];
    both.sort();
    assert_eq!(ids(&all), both);
    let bobs_person = call(&agent, "GET", &bobs_url, &[("authorization", &admin)], None);
    assert_eq!(bobs_person.body["name"], "Bob");
    assert_eq!(bobs_person.body["version"], 1);

    // The WebSocket API under the same rules: the token in the query string (browsers cannot set
    // headers on a WebSocket), checked before `$connect`; people/self hears of its own person only.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use realtime::{handshake, next, send, silent};
        let url = |bearer: Option<&str>| match bearer {
            Some(b) => format!(
                "ws://127.0.0.1:{}/?token={}",
                dev.ws_port,
                b.trim_start_matches("Bearer ")
            ),
            None => format!("ws://127.0.0.1:{}", dev.ws_port),
        };
        for (who, bearer, status) in [
            ("no token", None, 401),
            ("a malformed token", Some("Bearer not-a-jwt"), 401),
            ("an expired token", Some(expired.as_str()), 401),
            (
                "a token without the API's scopes",
                Some(outsider.as_str()),
                403,
            ),
        ] {
            let refused = handshake(&url(bearer)).await.err();
            assert_eq!(refused, Some(status), "{who}");
        }
        let mut hers = handshake(&url(Some(&alice))).await.expect("Alice connects");
        let mut everyone = handshake(&url(Some(&admin)))
            .await
            .expect("the admin connects");
        for socket in [&mut hers, &mut everyone] {
            let answer = send(socket, json!({"action": "subscribe", "filter": {}})).await;
            assert_eq!(answer["type"], "subscribed", "{answer}");
        }
        // Sets a person's tags as `bearer`, through the REST API.
        let tag = |url: &str, bearer: &str, tag: &str| {
            let patched = call(
                &agent,
                "PATCH",
                url,
                &[
                    ("authorization", bearer),
                    ("content-type", "application/merge-patch+json"),
                ],
                Some(json!({ "tags": [tag] })),
            );
            assert_eq!(patched.status, 200, "{}", patched.body);
        };
        tag(&bobs_url, &admin, "seen-by-admin");
        let event = next(&mut everyone).await;
        assert_eq!(
            (event["id"].as_str(), event["version"].as_u64()),
            (Some(bobs.as_str()), Some(2))
        );
        silent(&mut hers, Duration::from_secs(1)).await;
        tag(&alices_url, &alice, "mine");
        for socket in [&mut hers, &mut everyone] {
            let event = next(socket).await;
            assert_eq!(
                (event["id"].as_str(), event["version"].as_u64()),
                (Some(alices.as_str()), Some(4))
            );
            assert!(event["person"].get("owner").is_none(), "{event}");
        }
    });

    dev.interrupt();
}

mod realtime {
    //! The real-time feed end to end: a WebSocket client of the local gateway, REST writes through
    //! the local API Gateway, DynamoDB Local's stream read by the poller, the stream function's
    //! pushes through the gateway's management API.

    use std::time::Duration;

    use aws_sdk_dynamodb::types::AttributeValue;
    use futures_util::{SinkExt, StreamExt};
    use serde_json::{Value, json};
    use tokio_tungstenite::tungstenite::Message;

    use super::{Dev, call};

    type Socket = tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >;

    async fn connect(port: u16) -> Socket {
        handshake(&format!("ws://127.0.0.1:{port}"))
            .await
            .expect("the WebSocket gateway accepts a connection")
    }

    /// Opens a WebSocket; a refused handshake gives its HTTP status.
    pub(super) async fn handshake(url: &str) -> Result<Socket, u16> {
        match tokio_tungstenite::connect_async(url).await {
            Ok((socket, _)) => Ok(socket),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                Err(response.status().as_u16())
            }
            Err(e) => panic!("{url}: {e}"),
        }
    }

    pub(super) async fn next(socket: &mut Socket) -> Value {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(20), socket.next())
                .await
                .expect("a message within 20 s")
                .expect("the socket is open")
                .unwrap();
            if let Message::Text(text) = frame {
                return serde_json::from_str(&text).unwrap();
            }
        }
    }

    pub(super) async fn send(socket: &mut Socket, message: Value) -> Value {
        socket
            .send(Message::text(message.to_string()))
            .await
            .unwrap();
        next(socket).await
    }

    pub(super) async fn silent(socket: &mut Socket, within: Duration) {
        if let Ok(Some(frame)) = tokio::time::timeout(within, socket.next()).await {
            panic!("expected nothing, got {frame:?}");
        }
    }

    /// How many connection items the table holds.
    async fn connections(db: &aws_sdk_dynamodb::Client) -> usize {
        db.scan()
            .table_name("people-e2e")
            .filter_expression("#t = :c")
            .expression_attribute_names("#t", "_type")
            .expression_attribute_values(":c", AttributeValue::S("connection".into()))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .items()
            .len()
    }

    async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
        for _ in 0..100 {
            if check().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{what} did not happen within 10 s");
    }

    #[test]
    fn the_local_stack_pushes_every_change_over_a_websocket() {
        let dev = Dev::start(&[]);
        assert!(
            dev.banner
                .iter()
                .any(|l| l.contains(&format!("ws://127.0.0.1:{}", dev.ws_port))),
            "{:?}",
            dev.banner
        );
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let people = format!("{}/people", dev.base);
        let db = dynamodb_local::client_for(&format!("http://127.0.0.1:{}", dev.db_port));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut all = connect(dev.ws_port).await;
            assert_eq!(
                send(&mut all, json!({"action": "subscribe", "filter": {}})).await,
                json!({"type": "subscribed", "filter": {}})
            );
            let mut vip = connect(dev.ws_port).await;
            let answer = send(
                &mut vip,
                json!({"action": "subscribe", "filter": {"tag": "VIP"}}),
            )
            .await;
            assert_eq!(answer["filter"], json!({"tag": "vip"}));
            let mut quiet = connect(dev.ws_port).await;
            send(&mut quiet, json!({"action": "subscribe"})).await;
            assert_eq!(
                send(&mut quiet, json!({"action": "unsubscribe"})).await["type"],
                "unsubscribed"
            );
            assert_eq!(
                send(&mut quiet, json!({"action": "ping"})).await["type"],
                "pong"
            );
            let bad = send(
                &mut quiet,
                json!({"action": "subscribe", "filter": {"ids": ["nope"]}}),
            )
            .await;
            assert_eq!(
                (bad["type"].as_str(), bad["errors"][0]["field"].as_str()),
                (Some("error"), Some("filter.ids[0]"))
            );
            assert_eq!(connections(&db).await, 3);

            // Create, patch, delete through REST: three events in order with matching versions.
            let created = call(
                &agent,
                "POST",
                &people,
                &[],
                Some(json!({"name": "Ada", "email": "ada@example.com", "tags": ["vip"]})),
            );
            assert_eq!(created.status, 201, "{}", created.body);
            let id = created.body["id"].as_str().unwrap().to_owned();
            let path = format!("{people}/{id}");
            let patched = call(
                &agent,
                "PATCH",
                &path,
                &[("content-type", "application/merge-patch+json")],
                Some(json!({"name": "Ada Lovelace"})),
            );
            assert_eq!(patched.status, 200, "{}", patched.body);
            let etag = patched.headers["etag"].to_str().unwrap().to_owned();
            let deleted = call(&agent, "DELETE", &path, &[("if-match", &etag)], None);
            assert_eq!(deleted.status, 204);
            for socket in [&mut all, &mut vip] {
                let events = [next(socket).await, next(socket).await, next(socket).await];
                let seen: Vec<(&str, &str, u64)> = events
                    .iter()
                    .map(|e| {
                        (
                            e["type"].as_str().unwrap(),
                            e["id"].as_str().unwrap(),
                            e["version"].as_u64().unwrap(),
                        )
                    })
                    .collect();
                assert_eq!(
                    seen,
                    [
                        ("person.created", id.as_str(), 1),
                        ("person.updated", id.as_str(), 2),
                        ("person.deleted", id.as_str(), 2)
                    ]
                );
                assert_eq!(events[0]["person"]["name"], "Ada");
                assert_eq!(events[1]["person"]["name"], "Ada Lovelace");
                assert_eq!(events[2]["person"], Value::Null);
            }
            silent(&mut quiet, Duration::from_millis(500)).await;

            // Someone without the tag reaches the "all" subscriber only.
            let grace = call(
                &agent,
                "POST",
                &people,
                &[],
                Some(json!({"name": "Grace", "email": "grace@example.com"})),
            );
            assert_eq!(next(&mut all).await["person"]["name"], "Grace");
            let grace_id = grace.body["id"].as_str().unwrap().to_owned();

            // A connection API Gateway no longer has is pruned on the next push.
            db.put_item()
                .table_name("people-e2e")
                .item("pk", AttributeValue::S("CONNECTION#stale".into()))
                .item("sk", AttributeValue::S("CONNECTION".into()))
                .item("gsi1pk", AttributeValue::S("CONNECTION".into()))
                .item("gsi1sk", AttributeValue::S("stale".into()))
                .item("_type", AttributeValue::S("connection".into()))
                .item("connection_id", AttributeValue::S("stale".into()))
                .item("subscription", AttributeValue::S("all".into()))
                .item("connected_at", AttributeValue::N("1".into()))
                .send()
                .await
                .unwrap();
            assert_eq!(connections(&db).await, 4);
            // A poison record (a person item the model cannot read) is reported as failed and
            // retried; the changes after it are delivered.
            db.put_item()
                .table_name("people-e2e")
                .item("pk", AttributeValue::S("PERSON#poison".into()))
                .item("sk", AttributeValue::S("PROFILE".into()))
                .item("_type", AttributeValue::S("person".into()))
                .item("name", AttributeValue::N("3".into()))
                .send()
                .await
                .unwrap();
            let patched = call(
                &agent,
                "PATCH",
                &format!("{people}/{grace_id}"),
                &[("content-type", "application/merge-patch+json")],
                Some(json!({"tags": ["vip"]})),
            );
            assert_eq!(patched.status, 200);
            let event = next(&mut all).await;
            assert_eq!(
                (event["type"].as_str(), event["version"].as_u64()),
                (Some("person.updated"), Some(2))
            );
            assert_eq!(
                next(&mut vip).await["person"]["name"],
                "Grace",
                "she has the tag now"
            );
            eventually("the stale connection's pruning", async || {
                connections(&db).await == 3
            })
            .await;
            let output = dev.output.clone();
            eventually("the poison record's report", async || {
                output
                    .lock()
                    .unwrap()
                    .iter()
                    .any(|l| l.contains("given up"))
            })
            .await;

            // Closing a socket removes its connection item.
            vip.close(None).await.unwrap();
            eventually("the disconnect", async || connections(&db).await == 2).await;
        });
        dev.interrupt();
    }
}
