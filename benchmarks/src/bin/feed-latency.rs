//! Latency of the real-time feed on the local stack (`xtask dev`): from the start of a REST write to
//! the push of its change arriving on a subscribed WebSocket.
//!
//! `feed-latency <api base URL> <ws URL> <people>`: subscribes one socket to every person, then for
//! each of `<people>` people creates, patches and deletes it through the REST API, one write at a
//! time, each waiting for its own event (matched by type, id and version) before the next. The
//! write runs on a blocking thread while the socket is read, so an event's arrival is timed when it
//! arrives, not when the write returns. Prints one JSON object: every sample in ms and the REST
//! round trips.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(30), socket.next())
            .await
            .expect("a message within 30 s")
            .expect("the socket is open")
            .expect("a frame");
        if let Message::Text(text) = frame {
            return serde_json::from_str(&text).expect("a JSON message");
        }
    }
}

struct Write {
    method: &'static str,
    url: String,
    headers: Vec<(&'static str, String)>,
    body: Option<Value>,
}

/// Sends a write and returns its status, body, ETag and round trip.
fn send(agent: &ureq::Agent, write: Write) -> (u16, Value, Option<String>, f64) {
    let started = Instant::now();
    let mut request = ureq::http::Request::builder()
        .method(write.method)
        .uri(&write.url);
    for (name, value) in &write.headers {
        request = request.header(*name, value);
    }
    let response = match write.body {
        Some(body) => agent.run(
            request
                .header(
                    "content-type",
                    if write.method == "PATCH" {
                        "application/merge-patch+json"
                    } else {
                        "application/json"
                    },
                )
                .body(body.to_string())
                .unwrap(),
        ),
        None => agent.run(request.body(()).unwrap()),
    }
    .expect("the API answers");
    let elapsed = started.elapsed().as_secs_f64() * 1e3;
    let status = response.status().as_u16();
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response.into_body().read_to_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, body, etag, elapsed)
}

/// Runs `write` and waits for the event `(type, id, version)`; `id` may be learned from the write's
/// answer (a create). Returns (write → event ms, REST round trip ms, the write's answer).
async fn timed(
    socket: &mut Socket,
    agent: &ureq::Agent,
    write: Write,
    expect: &'static str,
    id: Option<String>,
    expected_status: u16,
) -> (f64, f64, Value, Option<String>) {
    let started = Instant::now();
    let agent = agent.clone();
    let mut rest = tokio::task::spawn_blocking(move || send(&agent, write));
    let mut answer = None;
    let mut arrived: Vec<(Value, f64)> = Vec::new();
    loop {
        tokio::select! {
            done = &mut rest, if answer.is_none() => {
                let (status, body, etag, ms) = done.expect("the write thread");
                assert_eq!(status, expected_status, "{body}");
                answer = Some((body, etag, ms));
            }
            event = next_json(socket) => {
                arrived.push((event, started.elapsed().as_secs_f64() * 1e3));
            }
        }
        if let Some((body, etag, rest_ms)) = &answer {
            let id = id
                .clone()
                .or_else(|| body["id"].as_str().map(str::to_owned));
            if let Some((_, at)) = arrived
                .iter()
                .find(|(e, _)| e["type"] == expect && e["id"].as_str() == id.as_deref())
            {
                return (*at, *rest_ms, body.clone(), etag.clone());
            }
        }
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (api, ws) = (args[0].trim_end_matches('/').to_owned(), args[1].clone());
    let people: usize = args.get(2).map_or(30, |n| n.parse().expect("a count"));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let (mut socket, _) = tokio_tungstenite::connect_async(&ws)
        .await
        .expect("the WebSocket gateway accepts a connection");
    socket
        .send(Message::text(
            json!({"action": "subscribe", "filter": {}}).to_string(),
        ))
        .await
        .unwrap();
    assert_eq!(next_json(&mut socket).await["type"], "subscribed");

    let (mut push_ms, mut rest_ms) = (Vec::new(), Vec::new());
    let started = Instant::now();
    for i in 0..people {
        let create = Write {
            method: "POST",
            url: format!("{api}/people"),
            headers: vec![],
            body: Some(
                json!({"name": format!("Latency {i}"), "email": format!("latency{i}@example.com"), "tags": ["bench"]}),
            ),
        };
        let (push, rest, body, _) =
            timed(&mut socket, &agent, create, "person.created", None, 201).await;
        push_ms.push(push);
        rest_ms.push(rest);
        let id = body["id"].as_str().expect("an id").to_owned();
        let url = format!("{api}/people/{id}");
        let patch = Write {
            method: "PATCH",
            url: url.clone(),
            headers: vec![],
            body: Some(json!({"name": format!("Latency {i} patched")})),
        };
        let (push, rest, _, etag) = timed(
            &mut socket,
            &agent,
            patch,
            "person.updated",
            Some(id.clone()),
            200,
        )
        .await;
        push_ms.push(push);
        rest_ms.push(rest);
        let delete = Write {
            method: "DELETE",
            url,
            headers: vec![("if-match", etag.expect("an ETag"))],
            body: None,
        };
        let (push, rest, _, _) =
            timed(&mut socket, &agent, delete, "person.deleted", Some(id), 204).await;
        push_ms.push(push);
        rest_ms.push(rest);
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut sorted = push_ms.clone();
    sorted.sort_by(f64::total_cmp);
    let mut rest_sorted = rest_ms.clone();
    rest_sorted.sort_by(f64::total_cmp);
    println!(
        "{}",
        json!({
            "writes": push_ms.len(),
            "seconds": seconds,
            "push_ms_p50": percentile(&sorted, 0.5),
            "push_ms_p99": percentile(&sorted, 0.99),
            "push_ms_min": sorted[0],
            "push_ms_max": sorted[sorted.len() - 1],
            "rest_ms_p50": percentile(&rest_sorted, 0.5),
            "rest_ms_p99": percentile(&rest_sorted, 0.99),
            "push_ms": push_ms,
        })
    );
}
