//! A minimal Lambda Runtime API on loopback that starts a function process and measures:
//! exec → first `GET /runtime/invocation/next` (init), exec → first response posted, and the peak
//! RSS (VmHWM) after a number of warm invocations.
//!
//! `runtime-emulator <invocations> <event.json> -- <program> [args...]`, environment passed through.
//! Prints one JSON object, with each invocation's wall time and the function's CPU time (all its
//! threads, from `/proc/<pid>/task/*/schedstat`) from handing out the event to the response.
//!
//! With `EMULATOR_PUSH_SINK` set, it also serves API Gateway's management API for WebSocket pushes
//! (`POST /@connections/{id}`, answered 200 with no body) on another loopback port, given to the
//! function as `WEBSOCKET_ENDPOINT`, and reports how many pushes arrived.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::Instant;

struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request { method, path, body })
}

fn respond(stream: &mut TcpStream, status: &str, headers: &[(&str, String)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    // One write per response: a head and a body in two small writes can stall on Nagle's algorithm
    // against the client's delayed ACK (40 ms a response).
    let mut message = head.into_bytes();
    message.extend_from_slice(body);
    let _ = stream.write_all(&message);
    let _ = stream.flush();
}

/// CPU time of every thread of `pid`, in ns (the scheduler's run time: user and system).
fn cpu_ns(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// The management API's stand-in: every push accepted, counted.
fn sink(listener: TcpListener, posts: std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    for stream in listener.incoming().map_while(Result::ok) {
        let posts = posts.clone();
        std::thread::spawn(move || {
            let _ = stream.set_nodelay(true);
            let mut writer = stream.try_clone().unwrap();
            let mut reader = BufReader::new(stream);
            while let Some(req) = read_request(&mut reader) {
                if req.method == "POST" && req.path.starts_with("/@connections/") {
                    posts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    respond(&mut writer, "200 OK", &[], b"");
                } else {
                    respond(&mut writer, "404 Not Found", &[], b"{}");
                }
            }
        });
    }
}

fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

struct State {
    init_ms: Option<f64>,
    first_response_ms: Option<f64>,
    served: usize,
    answered: usize,
    errors: usize,
    warm_us: Vec<f64>,
    /// Each invocation's wall time (µs) and the function's CPU time (µs), in order.
    walls_us: Vec<f64>,
    cpus_us: Vec<f64>,
    sent_cpu_ns: u64,
    sent_at: Instant,
    hwm: Option<u64>,
    done: bool,
}

fn serve(
    stream: TcpStream,
    state: &std::sync::Mutex<State>,
    event: &[u8],
    invocations: usize,
    start: Instant,
    pid: u32,
) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_nodelay(true);
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    while let Some(req) = read_request(&mut reader) {
        if req.method == "GET" && req.path.ends_with("/runtime/invocation/next") {
            let id = {
                let mut st = state.lock().unwrap();
                if st.init_ms.is_none() {
                    st.init_ms = Some(start.elapsed().as_secs_f64() * 1000.0);
                }
                if st.served == invocations {
                    st.hwm = vm_hwm_kb(pid);
                    st.done = true;
                    return;
                }
                st.served += 1;
                st.sent_cpu_ns = cpu_ns(pid);
                st.sent_at = Instant::now();
                format!("req-{}", st.served)
            };
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis()
                + 10_000;
            respond(
                &mut writer,
                "200 OK",
                &[
                    ("content-type", "application/json".into()),
                    ("lambda-runtime-aws-request-id", id),
                    ("lambda-runtime-deadline-ms", deadline.to_string()),
                    ("lambda-runtime-invoked-function-arn", "arn:aws:lambda:us-east-1:123456789012:function:bench".into()),
                    ("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0".into()),
                ],
                event,
            );
        } else if req.method == "POST"
            && (req.path.ends_with("/response") || req.path.ends_with("/error"))
        {
            {
                let mut st = state.lock().unwrap();
                let failed = req.path.ends_with("/error")
                    || serde_json::from_slice::<serde_json::Value>(&req.body)
                        .ok()
                        .and_then(|v| v.get("statusCode").and_then(|s| s.as_i64()))
                        .is_some_and(|s| s >= 500);
                if failed {
                    st.errors += 1;
                }
                st.answered += 1;
                let wall = st.sent_at.elapsed().as_secs_f64() * 1e6;
                let cpu = cpu_ns(pid).saturating_sub(st.sent_cpu_ns) as f64 / 1e3;
                st.walls_us.push(wall);
                st.cpus_us.push(cpu);
                if st.first_response_ms.is_none() {
                    st.first_response_ms = Some(start.elapsed().as_secs_f64() * 1000.0);
                } else {
                    let us = st.sent_at.elapsed().as_secs_f64() * 1e6;
                    st.warm_us.push(us);
                }
            }
            respond(&mut writer, "202 Accepted", &[], b"{}");
        } else if req.method == "POST" && req.path.ends_with("/init/error") {
            let mut st = state.lock().unwrap();
            st.errors += 1;
            st.done = true;
            respond(&mut writer, "202 Accepted", &[], b"{}");
            return;
        } else {
            respond(&mut writer, "404 Not Found", &[], b"{}");
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let invocations: usize = args[1].parse().expect("invocation count");
    let event: std::sync::Arc<[u8]> = std::fs::read(&args[2]).expect("event file").into();
    let sep = args
        .iter()
        .position(|a| a == "--")
        .expect("-- before the program");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let api = listener.local_addr().unwrap().to_string();

    let posts = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut command = Command::new(&args[sep + 1]);
    if std::env::var_os("EMULATOR_PUSH_SINK").is_some() {
        let sink_listener = TcpListener::bind("127.0.0.1:0").expect("bind the push sink");
        command.env(
            "WEBSOCKET_ENDPOINT",
            format!("http://{}", sink_listener.local_addr().unwrap()),
        );
        let posts = posts.clone();
        std::thread::spawn(move || sink(sink_listener, posts));
    }
    let start = Instant::now();
    let mut child = command
        .args(&args[sep + 2..])
        .env("AWS_LAMBDA_RUNTIME_API", &api)
        // The emulated requests carry no authorizer claims.
        .env("AUTH", "off")
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(if std::env::var_os("EMULATOR_STDERR").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .spawn()
        .expect("start the function");
    let pid = child.id();

    let state = std::sync::Arc::new(std::sync::Mutex::new(State {
        init_ms: None,
        first_response_ms: None,
        served: 0,
        answered: 0,
        errors: 0,
        warm_us: Vec::new(),
        walls_us: Vec::new(),
        cpus_us: Vec::new(),
        sent_cpu_ns: 0,
        sent_at: Instant::now(),
        hwm: None,
        done: false,
    }));
    listener
        .set_nonblocking(true)
        .expect("nonblocking listener");
    loop {
        if state.lock().unwrap().done {
            break;
        }
        match listener.accept() {
            Ok((stream, _)) => {
                // Clients may hold several keep-alive connections (Node's fetch does): one thread each.
                let (state, event) = (state.clone(), event.clone());
                std::thread::spawn(move || serve(stream, &state, &event, invocations, start, pid));
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                // A function that died (or hangs) ends the run instead of blocking it.
                if matches!(child.try_wait(), Ok(Some(_))) || start.elapsed().as_secs() > 300 {
                    state.lock().unwrap().errors += 1;
                    break;
                }
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            Err(_) => {}
        }
    }
    let mut st = state.lock().unwrap();
    let (init_ms, first_response_ms, answered, errors, hwm) = (
        st.init_ms,
        st.first_response_ms,
        st.answered,
        st.errors,
        st.hwm,
    );
    let mut warm_us = std::mem::take(&mut st.warm_us);
    let (walls_us, cpus_us) = (
        std::mem::take(&mut st.walls_us),
        std::mem::take(&mut st.cpus_us),
    );
    drop(st);
    let hwm = hwm.or_else(|| vm_hwm_kb(pid));
    let _ = child.kill();
    let _ = child.wait();
    warm_us.sort_by(|a, b| a.total_cmp(b));
    let p = |q: f64| {
        warm_us
            .get(((warm_us.len() as f64 - 1.0) * q).round() as usize)
            .copied()
    };
    println!(
        "{}",
        serde_json::json!({
            "init_ms": init_ms,
            "first_response_ms": first_response_ms,
            "invocations": answered,
            "errors": errors,
            "peak_rss_kb": hwm,
            "warm_us_p50": p(0.5),
            "warm_us_p99": p(0.99),
            "walls_us": walls_us,
            "cpus_us": cpus_us,
            "pushes": posts.load(std::sync::atomic::Ordering::Relaxed),
        })
    );
}
