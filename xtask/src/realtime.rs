//! The local half of the real-time feed: a WebSocket gateway that stands in for API Gateway's
//! WebSocket API, and a poller that stands in for Lambda's DynamoDB Streams event source mapping.
//!
//! The gateway accepts WebSocket connections on one loopback port and, as API Gateway does, invokes
//! the `$connect` function before it completes the handshake (a non-2xx answer refuses the
//! connection with that status), the message function for every text frame (its answer's body goes
//! back on the socket) and the `$disconnect` function when the socket closes, each with the event
//! API Gateway sends (`requestContext.routeKey`, `eventType`, `connectionId`, the authorizer's
//! context). On the same port it serves the management API the stream function pushes through:
//! `POST /@connections/{id}` sends a frame, `GET` describes the connection, `DELETE` closes it, and
//! an unknown id is a 410 `GoneException`. With `AUTH=on` a connection needs a development token
//! (`?token=` or `Authorization: Bearer`), verified as the deployed request authorizer verifies
//! Cognito's, and the functions get the same context (`sub`, `scope`).
//!
//! The poller reads the table's stream from DynamoDB Local (which implements the Streams API) every
//! [`POLL_INTERVAL`], hands each shard's new records to the stream function as a real DynamoDB event
//! batch, and retries the records it reports as batch item failures, one at a time, up to
//! [`RETRIES`] times; what still fails is printed (the deployed mapping sends it to SQS).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, frame::coding::CloseCode};

use crate::jwt::Authorizer;

/// The functions behind the WebSocket routes, by binary name.
pub const CONNECT: &str = "people-ws-connect";
/// The `$disconnect` function.
pub const DISCONNECT: &str = "people-ws-disconnect";
/// The message function (`$default`).
pub const MESSAGE: &str = "people-ws-message";
/// The stream function.
pub const STREAM: &str = "people-stream";

/// How often the poller reads the stream (Lambda polls a shard about four times a second).
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// How often the poller lists the stream's shards again (DynamoDB Local starts new ones).
const SHARD_REFRESH: Duration = Duration::from_secs(1);
/// How often a record reported as failed is retried, alone, before it is given up.
pub const RETRIES: u32 = 2;
/// API Gateway's limit on one WebSocket message.
const MAX_MESSAGE_BYTES: usize = 128 * 1024;
/// How long an invocation may take (a first one waits for watch to build the function).
const INVOKE_TIMEOUT: Duration = Duration::from_secs(600);

/// Invokes functions through `cargo lambda watch`'s invoke API.
#[derive(Clone)]
pub struct Invoker {
    url: String,
    agent: ureq::Agent,
}

impl Invoker {
    /// Invocations through the Lambda invoke API at `invoke_base` (`http://127.0.0.1:PORT`).
    pub fn new(invoke_base: &str) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(INVOKE_TIMEOUT))
            .build()
            .new_agent();
        Self {
            url: format!("{invoke_base}/2015-03-31/functions"),
            agent,
        }
    }

    /// The function's answer to `event`.
    pub async fn invoke(&self, function: &str, event: Value) -> Result<Value, String> {
        let url = format!("{}/{function}/invocations", self.url);
        let agent = self.agent.clone();
        tokio::task::spawn_blocking(move || {
            let mut response = agent
                .post(&url)
                .send_json(&event)
                .map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            let text = response
                .body_mut()
                .read_to_string()
                .map_err(|e| e.to_string())?;
            if status != 200 {
                return Err(format!("invoke answered {status}: {text}"));
            }
            serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))
        })
        .await
        .map_err(|e| e.to_string())?
    }
}

/// One open connection.
struct Open {
    frames: mpsc::UnboundedSender<Message>,
    connected_at: i64,
    last_active_at: Mutex<i64>,
    source_ip: String,
}

/// The local WebSocket API and its management endpoint.
pub struct WsGateway {
    invoker: Invoker,
    authorizer: Option<Authorizer>,
    connections: Mutex<HashMap<String, Arc<Open>>>,
}

fn now_ms() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000
}

fn respond(status: StatusCode, body: Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

fn gone() -> Response<Full<Bytes>> {
    let mut response = respond(
        StatusCode::GONE,
        json!({"__type": "GoneException", "message": "the connection is gone"}),
    );
    response.headers_mut().insert(
        "x-amzn-errortype",
        hyper::header::HeaderValue::from_static("GoneException"),
    );
    response
}

impl WsGateway {
    /// A gateway invoking the WebSocket functions through `invoker`, checking development tokens
    /// with `authorizer` when there is one (`AUTH=on`).
    pub fn new(invoker: Invoker, authorizer: Option<Authorizer>) -> Self {
        Self {
            invoker,
            authorizer,
            connections: Mutex::new(HashMap::new()),
        }
    }

    /// Serves WebSocket connections and the management API on `listener` until the process ends.
    pub async fn serve(self: Arc<Self>, listener: tokio::net::TcpListener) {
        crate::gateway::serve_http(listener, true, move |request, peer| {
            let gateway = self.clone();
            async move { gateway.handle(request, peer).await }
        })
        .await
    }

    async fn handle(
        self: Arc<Self>,
        request: Request<Incoming>,
        peer: SocketAddr,
    ) -> Response<Full<Bytes>> {
        if let Some(id) = request.uri().path().strip_prefix("/@connections/") {
            let id = percent_decode(id);
            return self.manage(request, &id).await;
        }
        let upgrade = request
            .headers()
            .get(hyper::header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
        let key = request.headers().get("sec-websocket-key").cloned();
        match (upgrade, key) {
            (true, Some(key)) => self.connect(request, peer, key.as_bytes()).await,
            _ => respond(
                StatusCode::UPGRADE_REQUIRED,
                json!({"message": "connect with a WebSocket client; the management API is under /@connections/{id}"}),
            ),
        }
    }

    /// The authorizer's context for a connection request: `Ok(None)` without `AUTH=on`.
    fn authorize(&self, request: &Request<Incoming>) -> Result<Option<Value>, StatusCode> {
        let Some(authorizer) = &self.authorizer else {
            return Ok(None);
        };
        let from_query = request.uri().query().and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "token")
                .map(|(_, v)| v.into_owned())
        });
        let from_header = request
            .headers()
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(|h| h.trim_start_matches("Bearer ").trim().to_owned());
        let Some(token) = from_query.or(from_header).filter(|t| !t.is_empty()) else {
            return Err(StatusCode::UNAUTHORIZED);
        };
        let claims = authorizer
            .verify(&token)
            .map_err(|_| StatusCode::UNAUTHORIZED)?;
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let scope = claims
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or_default();
        Ok(Some(json!({
            "principalId": subject,
            "sub": subject,
            "scope": scope,
        })))
    }

    async fn connect(
        self: Arc<Self>,
        request: Request<Incoming>,
        peer: SocketAddr,
        key: &[u8],
    ) -> Response<Full<Bytes>> {
        let authorizer = match self.authorize(&request) {
            Ok(context) => context,
            Err(status) => return respond(status, json!({"message": "Unauthorized"})),
        };
        let connection_id = new_connection_id();
        let connected_at = now_ms();
        let mut event = self.event(
            "$connect",
            "CONNECT",
            &connection_id,
            connected_at,
            authorizer.clone(),
        );
        event["headers"] = request
            .headers()
            .iter()
            .filter_map(|(k, v)| {
                Some((
                    k.as_str().to_owned(),
                    Value::String(v.to_str().ok()?.to_owned()),
                ))
            })
            .collect::<serde_json::Map<_, _>>()
            .into();
        let status = match self.invoker.invoke(CONNECT, event).await {
            Ok(answer) => answer["statusCode"].as_u64().unwrap_or(500),
            Err(e) => {
                eprintln!("ws gateway: {CONNECT}: {e}");
                502
            }
        };
        if !(200..300).contains(&status) {
            let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::BAD_GATEWAY);
            return respond(status, json!({"message": "connection refused"}));
        }
        let (frames, mut outgoing) = mpsc::unbounded_channel();
        let open = Arc::new(Open {
            frames,
            connected_at,
            last_active_at: Mutex::new(connected_at),
            source_ip: peer.ip().to_string(),
        });
        self.connections
            .lock()
            .expect("not poisoned")
            .insert(connection_id.clone(), open.clone());
        let accept = derive_accept_key(key);
        let gateway = self.clone();
        tokio::spawn(async move {
            let upgraded = match hyper::upgrade::on(request).await {
                Ok(upgraded) => upgraded,
                Err(e) => {
                    eprintln!("ws gateway: upgrade failed: {e}");
                    gateway
                        .closed(&connection_id, connected_at, authorizer)
                        .await;
                    return;
                }
            };
            let socket =
                WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
            let (mut sink, mut stream) = socket.split();
            loop {
                tokio::select! {
                    frame = outgoing.recv() => match frame {
                        Some(frame) => {
                            let close = matches!(frame, Message::Close(_));
                            if sink.send(frame).await.is_err() || close {
                                break;
                            }
                        }
                        None => break,
                    },
                    incoming = stream.next() => match incoming {
                        Some(Ok(Message::Text(text))) => {
                            *open.last_active_at.lock().expect("not poisoned") = now_ms();
                            if text.len() > MAX_MESSAGE_BYTES {
                                let _ = sink.send(Message::Close(Some(CloseFrame {
                                    code: CloseCode::Size,
                                    reason: "Message too long".into(),
                                }))).await;
                                break;
                            }
                            let answer = gateway.message(&connection_id, connected_at, authorizer.clone(), text.as_str()).await;
                            if let Some(body) = answer
                                && sink.send(Message::text(body)).await.is_err()
                            {
                                break;
                            }
                        }
                        Some(Ok(Message::Binary(bytes))) => {
                            *open.last_active_at.lock().expect("not poisoned") = now_ms();
                            let text = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &bytes);
                            let answer = gateway.message_event(&connection_id, connected_at, authorizer.clone(), &text, true).await;
                            if let Some(body) = answer
                                && sink.send(Message::text(body)).await.is_err()
                            {
                                break;
                            }
                        }
                        Some(Ok(Message::Ping(payload))) => {
                            let _ = sink.send(Message::Pong(payload)).await;
                        }
                        Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                        Some(Ok(_)) => {}
                    },
                }
            }
            gateway
                .closed(&connection_id, connected_at, authorizer)
                .await;
        });
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(
            hyper::header::UPGRADE,
            hyper::header::HeaderValue::from_static("websocket"),
        );
        headers.insert(
            hyper::header::CONNECTION,
            hyper::header::HeaderValue::from_static("Upgrade"),
        );
        headers.insert(
            "sec-websocket-accept",
            hyper::header::HeaderValue::from_str(&accept).expect("base64 is a header value"),
        );
        response
    }

    async fn message(
        &self,
        connection_id: &str,
        connected_at: i64,
        authorizer: Option<Value>,
        text: &str,
    ) -> Option<String> {
        self.message_event(connection_id, connected_at, authorizer, text, false)
            .await
    }

    async fn message_event(
        &self,
        connection_id: &str,
        connected_at: i64,
        authorizer: Option<Value>,
        body: &str,
        base64: bool,
    ) -> Option<String> {
        let mut event = self.event(
            "$default",
            "MESSAGE",
            connection_id,
            connected_at,
            authorizer,
        );
        event["body"] = Value::String(body.to_owned());
        event["isBase64Encoded"] = Value::Bool(base64);
        event["requestContext"]["messageId"] = Value::String(ulid::Ulid::generate().to_string());
        match self.invoker.invoke(MESSAGE, event).await {
            Ok(answer) => answer["body"].as_str().map(str::to_owned),
            Err(e) => {
                eprintln!("ws gateway: {MESSAGE}: {e}");
                Some(
                    json!({"message": "Internal server error", "connectionId": connection_id})
                        .to_string(),
                )
            }
        }
    }

    /// The socket closed: forget it and tell the `$disconnect` function.
    async fn closed(&self, connection_id: &str, connected_at: i64, authorizer: Option<Value>) {
        self.connections
            .lock()
            .expect("not poisoned")
            .remove(connection_id);
        let mut event = self.event(
            "$disconnect",
            "DISCONNECT",
            connection_id,
            connected_at,
            authorizer,
        );
        event["requestContext"]["disconnectStatusCode"] = json!(1000);
        if let Err(e) = self.invoker.invoke(DISCONNECT, event).await {
            eprintln!("ws gateway: {DISCONNECT}: {e}");
        }
    }

    /// The event API Gateway sends for `route_key`.
    fn event(
        &self,
        route_key: &str,
        event_type: &str,
        connection_id: &str,
        connected_at: i64,
        authorizer: Option<Value>,
    ) -> Value {
        let now = now_ms();
        let mut context = json!({
            "routeKey": route_key,
            "eventType": event_type,
            "messageDirection": "IN",
            "connectionId": connection_id,
            "connectedAt": connected_at,
            "requestTimeEpoch": now,
            "requestId": ulid::Ulid::generate().to_string(),
            "extendedRequestId": ulid::Ulid::generate().to_string(),
            "domainName": "127.0.0.1",
            "stage": "local",
            "apiId": "local",
            "identity": {"sourceIp": "127.0.0.1"},
        });
        if let Some(authorizer) = authorizer {
            context["authorizer"] = authorizer;
        }
        json!({"requestContext": context, "isBase64Encoded": false})
    }

    /// The management API: `POST` sends, `GET` describes, `DELETE` closes.
    async fn manage(&self, request: Request<Incoming>, id: &str) -> Response<Full<Bytes>> {
        let open = self
            .connections
            .lock()
            .expect("not poisoned")
            .get(id)
            .cloned();
        let Some(open) = open else {
            return gone();
        };
        match *request.method() {
            hyper::Method::POST => {
                let body = match request.into_body().collect().await {
                    Ok(body) => body.to_bytes(),
                    Err(_) => {
                        return respond(
                            StatusCode::BAD_REQUEST,
                            json!({"message": "unreadable body"}),
                        );
                    }
                };
                if body.len() > MAX_MESSAGE_BYTES {
                    return respond(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        json!({"__type": "PayloadTooLargeException", "message": "at most 128 KB"}),
                    );
                }
                let frame = match String::from_utf8(body.to_vec()) {
                    Ok(text) => Message::text(text),
                    Err(e) => Message::binary(e.into_bytes()),
                };
                match open.frames.send(frame) {
                    Ok(()) => respond(StatusCode::OK, json!({})),
                    Err(_) => gone(),
                }
            }
            hyper::Method::GET => respond(
                StatusCode::OK,
                json!({
                    "connectedAt": rfc3339(open.connected_at),
                    "lastActiveAt": rfc3339(*open.last_active_at.lock().expect("not poisoned")),
                    "identity": {"sourceIp": open.source_ip},
                }),
            ),
            hyper::Method::DELETE => {
                let _ = open.frames.send(Message::Close(Some(CloseFrame {
                    code: CloseCode::Normal,
                    reason: "Going away".into(),
                })));
                let mut response = Response::new(Full::new(Bytes::new()));
                *response.status_mut() = StatusCode::NO_CONTENT;
                response
            }
            _ => respond(
                StatusCode::METHOD_NOT_ALLOWED,
                json!({"message": "POST, GET or DELETE"}),
            ),
        }
    }
}

fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// A connection id shaped like API Gateway's (12 random bytes, base64).
fn new_connection_id() -> String {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).expect("the OS has randomness");
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes)
}

fn percent_decode(segment: &str) -> String {
    form_urlencoded::parse(format!("x={segment}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Reads the table's stream from DynamoDB Local and invokes the stream function with each batch.
pub struct Poller {
    /// Set when the stack is stopping: the poll loop ends quietly (its calls would fail).
    stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    streams: aws_sdk_dynamodbstreams::Client,
    dynamodb: aws_sdk_dynamodb::Client,
    table: String,
    invoker: Invoker,
    region: String,
}

impl Poller {
    /// A poller of `table`'s stream at DynamoDB Local on `db_port`.
    pub fn new(db_port: u16, table: &str, invoker: Invoker) -> Self {
        let endpoint = format!("http://127.0.0.1:{db_port}");
        let config = aws_sdk_dynamodbstreams::Config::builder()
            .behavior_version(aws_sdk_dynamodbstreams::config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodbstreams::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodbstreams::config::Credentials::new(
                "local", "local", None, None, "local",
            ))
            .endpoint_url(&endpoint)
            .build();
        Self {
            stop: None,
            streams: aws_sdk_dynamodbstreams::Client::from_conf(config),
            dynamodb: dynamodb_local::client_for(&endpoint),
            table: table.to_owned(),
            invoker,
            region: "us-east-1".to_owned(),
        }
    }

    /// Stops polling, without a word, once `stop` is set.
    pub fn until(mut self, stop: std::sync::Arc<std::sync::atomic::AtomicBool>) -> Self {
        self.stop = Some(stop);
        self
    }

    fn stopping(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|s| s.load(std::sync::atomic::Ordering::SeqCst))
    }

    /// Polls until the process ends (or [`Poller::until`]'s flag is set): from the stream's end (changes made from now on). A poll
    /// starts every [`POLL_INTERVAL`] (not an interval after the last one ended), and the shards
    /// are listed again every [`SHARD_REFRESH`].
    pub async fn run(self) {
        let mut iterators: HashMap<String, Option<String>> = HashMap::new();
        let mut arn = None;
        let mut listed: Option<Instant> = None;
        let verbose = std::env::var_os("STREAM_POLLER_VERBOSE").is_some();
        let mut ticks = tokio::time::interval(POLL_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if self.stopping() {
                return;
            }
            let started = Instant::now();
            let polled = self.poll(&mut arn, &mut iterators, &mut listed).await;
            if self.stopping() {
                return;
            }
            if verbose {
                eprintln!(
                    "stream poller: poll of {} shards took {:?}",
                    iterators.len(),
                    started.elapsed()
                );
            }
            if let Err(e) = polled {
                eprintln!("stream poller: {e}");
                arn = None;
                listed = None;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }

    async fn poll(
        &self,
        arn: &mut Option<String>,
        iterators: &mut HashMap<String, Option<String>>,
        listed: &mut Option<Instant>,
    ) -> Result<(), String> {
        let stream_arn = match arn {
            Some(arn) => arn.clone(),
            None => {
                let table = self
                    .dynamodb
                    .describe_table()
                    .table_name(&self.table)
                    .send()
                    .await
                    .map_err(|e| format!("DescribeTable: {e}"))?;
                let Some(found) = table
                    .table()
                    .and_then(|t| t.latest_stream_arn())
                    .map(str::to_owned)
                else {
                    // A table kept from before it had a stream (PERSIST=1): give it one.
                    self.dynamodb
                        .update_table()
                        .table_name(&self.table)
                        .stream_specification(
                            aws_sdk_dynamodb::types::StreamSpecification::builder()
                                .stream_enabled(true)
                                .stream_view_type(
                                    aws_sdk_dynamodb::types::StreamViewType::NewAndOldImages,
                                )
                                .build()
                                .map_err(|e| e.to_string())?,
                        )
                        .send()
                        .await
                        .map_err(|e| format!("UpdateTable (enabling the stream): {e}"))?;
                    return Err("the table had no stream; enabled it".to_owned());
                };
                *arn = Some(found.clone());
                found
            }
        };
        // New shards (DynamoDB Local rolls them over) start at their beginning; the first ones at
        // the stream's end. The successor of a shard that ends is found at the next listing.
        let first = iterators.is_empty();
        if listed.is_none_or(|at| at.elapsed() >= SHARD_REFRESH) {
            self.list_shards(&stream_arn, first, iterators).await?;
            *listed = Some(Instant::now());
        }
        for iterator in iterators.values_mut() {
            let Some(current) = iterator.clone() else {
                continue;
            };
            let out = self
                .streams
                .get_records()
                .shard_iterator(current)
                .limit(100)
                .send()
                .await
                .map_err(|e| format!("GetRecords: {e}"))?;
            *iterator = out.next_shard_iterator().map(str::to_owned);
            let records: Vec<Value> = out
                .records()
                .iter()
                .map(|r| lambda_record(r, &stream_arn, &self.region))
                .collect();
            if !records.is_empty() {
                self.deliver(records).await;
            }
        }
        Ok(())
    }

    /// Adds an iterator for every shard of the stream not seen yet.
    async fn list_shards(
        &self,
        stream_arn: &str,
        first: bool,
        iterators: &mut HashMap<String, Option<String>>,
    ) -> Result<(), String> {
        let description = self
            .streams
            .describe_stream()
            .stream_arn(stream_arn)
            .send()
            .await
            .map_err(|e| format!("DescribeStream: {e}"))?;
        for shard in description
            .stream_description()
            .map(|d| d.shards())
            .unwrap_or_default()
        {
            let Some(id) = shard.shard_id() else { continue };
            if iterators.contains_key(id) {
                continue;
            }
            let kind = if first {
                ShardIteratorType::Latest
            } else {
                ShardIteratorType::TrimHorizon
            };
            let iterator = self
                .streams
                .get_shard_iterator()
                .stream_arn(stream_arn)
                .shard_id(id)
                .shard_iterator_type(kind)
                .send()
                .await
                .map_err(|e| format!("GetShardIterator: {e}"))?
                .shard_iterator;
            iterators.insert(id.to_owned(), iterator);
        }
        Ok(())
    }

    /// Invokes the stream function with a batch; retries what it reports as failed, one record at
    /// a time.
    async fn deliver(&self, records: Vec<Value>) {
        let mut failed = self.invoke(&records).await;
        for attempt in 1..=RETRIES {
            if failed.is_empty() || self.stopping() {
                return;
            }
            let mut still = Vec::new();
            for record in failed {
                still.extend(self.invoke(std::slice::from_ref(&record)).await);
            }
            failed = still;
            if !failed.is_empty() && attempt == RETRIES {
                for record in &failed {
                    println!(
                        "stream poller: record {} failed {} times; given up (the deployed mapping sends it to SQS)",
                        record["dynamodb"]["SequenceNumber"],
                        RETRIES + 1
                    );
                }
            }
        }
    }

    /// The records of `batch` the function reports as failed (all of them when it fails).
    async fn invoke(&self, batch: &[Value]) -> Vec<Value> {
        let started = Instant::now();
        match self
            .invoker
            .invoke(STREAM, json!({ "Records": batch }))
            .await
        {
            Ok(answer) => {
                let failures: Vec<&str> = answer["batchItemFailures"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|f| f["itemIdentifier"].as_str())
                            .collect()
                    })
                    .unwrap_or_default();
                if std::env::var_os("STREAM_POLLER_VERBOSE").is_some() {
                    eprintln!(
                        "stream poller: {} records delivered in {:?}, {} failed",
                        batch.len(),
                        started.elapsed(),
                        failures.len()
                    );
                }
                batch
                    .iter()
                    .filter(|r| {
                        r["dynamodb"]["SequenceNumber"]
                            .as_str()
                            .is_some_and(|s| failures.contains(&s))
                    })
                    .cloned()
                    .collect()
            }
            Err(e) => {
                if !self.stopping() {
                    eprintln!("stream poller: {STREAM}: {e}");
                }
                batch.to_vec()
            }
        }
    }
}

/// A stream record as Lambda hands it to a function (DynamoDB JSON images).
fn lambda_record(record: &Record, arn: &str, region: &str) -> Value {
    let image = |item: Option<&HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>>| {
        item.map(|item| {
            let item: serde_dynamo::Item = item.clone().into();
            serde_json::to_value(item).unwrap_or(Value::Null)
        })
    };
    let change = record.dynamodb();
    let mut dynamodb = json!({
        "ApproximateCreationDateTime": change
            .and_then(|c| c.approximate_creation_date_time())
            .map(|t| t.secs())
            .unwrap_or_default(),
        "SequenceNumber": change.and_then(|c| c.sequence_number()),
        "SizeBytes": change.and_then(|c| c.size_bytes()).unwrap_or_default(),
        "StreamViewType": change.and_then(|c| c.stream_view_type()).map(|v| v.as_str()),
    });
    for (name, value) in [
        ("Keys", image(change.and_then(|c| c.keys.as_ref()))),
        ("NewImage", image(change.and_then(|c| c.new_image.as_ref()))),
        ("OldImage", image(change.and_then(|c| c.old_image.as_ref()))),
    ] {
        if let Some(value) = value {
            dynamodb[name] = value;
        }
    }
    let mut event = json!({
        "eventID": record.event_id(),
        "eventName": record.event_name().map(|n| n.as_str()),
        "eventVersion": record.event_version(),
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": arn,
    });
    if let Some(identity) = record.user_identity() {
        event["userIdentity"] = json!({
            "type": identity.r#type(),
            "principalId": identity.principal_id(),
        });
    }
    event
}

/// Invokes each real-time function once with an event it answers without storage (a connection
/// without an id, a `ping`, an unknown connection's disconnect, an empty batch): how long each took,
/// or why it failed. The first invocation waits for watch to build the function.
pub async fn warm(invoker: &Invoker) -> Vec<(&'static str, Result<Duration, String>)> {
    let context = |route: &str, kind: &str, id: &str| json!({"requestContext": {"routeKey": route, "eventType": kind, "connectionId": id}});
    let mut message = context("$default", "MESSAGE", "warm-up");
    message["body"] = json!(r#"{"action":"ping"}"#);
    let calls = [
        (CONNECT, context("$connect", "CONNECT", "")),
        (DISCONNECT, context("$disconnect", "DISCONNECT", "warm-up")),
        (MESSAGE, message),
        (STREAM, json!({"Records": []})),
    ];
    let mut tasks = tokio::task::JoinSet::new();
    for (function, event) in calls {
        let invoker = invoker.clone();
        tasks.spawn(async move {
            let started = Instant::now();
            let outcome = invoker
                .invoke(function, event)
                .await
                .map(|_| started.elapsed());
            (function, outcome)
        });
    }
    let mut outcomes = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        outcomes.push(joined.expect("a warm-up call does not panic"));
    }
    outcomes.sort_by_key(|(function, _)| *function);
    outcomes
}
