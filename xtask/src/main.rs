//! Developer tasks for the people API.
//!
//! ```text
//! cargo run -p xtask -- table-spec            print the table definition as JSON (infra/table-spec.json)
//! cargo run -p xtask -- routes                print the route table as JSON (infra/routes.json)
//! cargo run -p xtask -- openapi               print the API's OpenAPI 3.1 document (openapi.json)
//! cargo run -p xtask -- dev                   DynamoDB Local + table + functions under `cargo lambda
//!                                             watch` + the local API Gateway, until Ctrl-C
//! cargo run -p xtask -- seed [URL]            create a handful of example people through the API
//! cargo run -p xtask -- token [--sub SUB] [--scopes "people/self ..."] [--ttl SECONDS]
//!                                             print a development access token for `AUTH=on`
//! ```
//!
//! `dev` reads `PORT` (default 9000), `DYNAMODB_PORT` (default 8000), `TABLE_NAME` (default `people`),
//! `ALLOWED_ORIGINS` (default `http://127.0.0.1:*,http://localhost:*`), `PERSIST` (`1` keeps data in
//! `.tools/dynamodb-data` and the list's cursor key in `.tools/dev-cursor-key`; otherwise each run
//! signs cursors with a new random `CURSOR_KEY`, unless one is set) and `AUTH` (`off`, the default:
//! no tokens; `on`: the local gateway verifies tokens from `xtask token` as API Gateway's JWT
//! authorizer would, and the functions check the claims it hands them), and `RELOAD` (`on`, the
//! default: `cargo lambda watch` rebuilds and restarts the functions when a file in the work tree
//! changes; `off`: it never restarts them, for test runs that must not see a function stop under
//! them). `dev` invokes every function once before it reports ready (the first invocation waits for
//! watch to build the function), and stops with an error if one does not answer.

mod gateway;
mod jwt;
mod realtime;

use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("table-spec") => {
            print!("{}", people::table_spec().to_json());
            Ok(())
        }
        Some("routes") => {
            print!("{}", people::http::route::export().to_json());
            Ok(())
        }
        Some("openapi") => {
            print!("{}", people::http::openapi::to_json());
            Ok(())
        }
        Some("dev") => dev(),
        Some("seed") => seed(args.get(1).cloned().unwrap_or_else(default_url)),
        Some("token") => token(&args[1..]),
        _ => Err(
            "usage: xtask <table-spec | routes | openapi | dev | seed [URL] | token [--sub SUB] [--scopes SCOPES] [--ttl SECONDS]>"
                .to_owned(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn default_url() -> String {
    format!("http://127.0.0.1:{}", env_or("PORT", "9000"))
}

fn port(name: &str, default: &str) -> Result<u16, String> {
    env_or(name, default)
        .parse()
        .map_err(|_| format!("{name} must be a port number"))
}

/// Sends `signal` to the process group led by `child`.
fn signal_group(child: &Child, signal: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill has no memory-safety preconditions.
        unsafe {
            libc::kill(-pid, signal);
        }
    }
}

/// Waits for the child to exit, up to `timeout`.
fn wait_for(child: &mut Child, timeout: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// `xtask token`: a development access token on stdout.
fn token(args: &[String]) -> Result<(), String> {
    let mut subject = "dev-user".to_owned();
    let mut scopes = "people/read people/write".to_owned();
    let mut ttl: i64 = 3600;
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--sub" => subject = value()?,
            "--scopes" => scopes = value()?,
            "--ttl" => {
                ttl = value()?
                    .parse()
                    .map_err(|_| "--ttl takes whole seconds (negative: already expired)")?;
            }
            other => {
                return Err(format!(
                    "token: unknown argument {other}; usage: xtask token [--sub SUB] \
                     [--scopes \"people/self people/read\"] [--ttl SECONDS]"
                ));
            }
        }
    }
    let dir = jwt::key_dir();
    let (key, created) = jwt::DevKey::load_or_create(&dir)?;
    if created {
        eprintln!(
            "xtask: generated a development signing key (kid {}) in {}",
            key.kid(),
            dir.display()
        );
    }
    println!("{}", key.mint(&subject, &scopes, ttl)?);
    Ok(())
}

/// `AUTH` for `dev`: true for `on`, false for `off` (the default).
fn auth_on() -> Result<bool, String> {
    match env_or("AUTH", "off").as_str() {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err("AUTH must be on or off".to_owned()),
    }
}

/// `RELOAD` for `dev`: true for `on` (the default), false for `off`.
fn reload_on() -> Result<bool, String> {
    match env_or("RELOAD", "on").as_str() {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err("RELOAD must be on or off".to_owned()),
    }
}

/// The list function's `CURSOR_KEY` for `dev`: `CURSOR_KEY` from the environment if set; with
/// `persist`, the key in `.tools/dev-cursor-key` (made on first use), so cursors survive a restart
/// as the data does; otherwise 32 new random bytes per run. Base64.
fn dev_cursor_key(root: &std::path::Path, persist: bool) -> Result<String, String> {
    use base64::Engine;
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Ok(key) = std::env::var("CURSOR_KEY")
        && !key.trim().is_empty()
    {
        return Ok(key);
    }
    let fresh = || {
        let mut bytes = [0u8; 32];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| "no randomness for CURSOR_KEY".to_owned())?;
        Ok::<_, String>(base64::engine::general_purpose::STANDARD.encode(bytes))
    };
    if !persist {
        return fresh();
    }
    let path = root.join(".tools/dev-cursor-key");
    if let Ok(key) = std::fs::read_to_string(&path) {
        return Ok(key.trim().to_owned());
    }
    let key = fresh()?;
    std::fs::create_dir_all(root.join(".tools")).map_err(|e| format!("creating .tools: {e}"))?;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut file| file.write_all(key.as_bytes()))
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(key)
}

fn dev() -> Result<(), String> {
    use std::os::unix::process::CommandExt;

    let auth = auth_on()?;
    let reload = reload_on()?;
    let authorizer = if auth {
        let dir = jwt::key_dir();
        let (key, created) = jwt::DevKey::load_or_create(&dir)?;
        if created {
            println!(
                "generated a development signing key (kid {}) in {}",
                key.kid(),
                dir.display()
            );
        }
        Some(key.authorizer())
    } else {
        None
    };
    let api_port = port("PORT", "9000")?;
    let ws_port = port("WS_PORT", "9001")?;
    let db_port = port("DYNAMODB_PORT", "8000")?;
    let table = env_or("TABLE_NAME", "people");
    let root = dynamodb_local::workspace_root();
    let persist = env_or("PERSIST", "0") == "1";
    let db_path = persist.then(|| root.join(".tools/dynamodb-data"));
    let cursor_key = dev_cursor_key(&root, persist)?;

    // Ctrl-C, and SIGTERM from a supervisor, are handled here so both children are stopped in order.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for signal in [libc::SIGINT, libc::SIGTERM] {
        signal_hook_flag(signal, &stop)?;
    }

    let mut dynamodb = dynamodb_local::spawn(db_port, db_path.as_deref(), true)?;
    let endpoint = format!("http://127.0.0.1:{db_port}");
    if let Err(e) = dynamodb_local::wait_until_ready(db_port, Duration::from_secs(60)) {
        let _ = dynamodb.kill();
        return Err(format!(
            "DynamoDB Local on port {db_port} did not start ({e}); is the port in use?"
        ));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let client = dynamodb_local::client_for(&endpoint);
    let created = runtime.block_on(async {
        if dynamodel::table_exists(&client, &table)
            .await
            .map_err(|e| e.to_string())?
        {
            return Ok::<_, String>(false);
        }
        dynamodel::create_table(&client, &table, &people::table_spec())
            .await
            .map_err(|e| e.to_string())?;
        Ok(true)
    });
    let created = match created {
        Ok(created) => created,
        Err(e) => {
            let _ = dynamodb.kill();
            return Err(format!("creating table {table}: {e}"));
        }
    };

    let path = format!(
        "{}:{}",
        root.join(".tools/venv/bin").display(),
        env_or("PATH", "")
    );
    // The functions run under `cargo lambda watch` (rebuilt when their code changes) on a private
    // port; the local API Gateway on the API port routes each request to one of them.
    let gateway_listener = match std::net::TcpListener::bind(("127.0.0.1", api_port)) {
        Ok(listener) => listener,
        Err(e) => {
            let _ = dynamodb.kill();
            return Err(format!(
                "cannot listen on port {api_port} ({e}); is it in use?"
            ));
        }
    };
    let ws_listener = match std::net::TcpListener::bind(("127.0.0.1", ws_port)) {
        Ok(listener) => listener,
        Err(e) => {
            let _ = dynamodb.kill();
            return Err(format!(
                "cannot listen on port {ws_port} (WS_PORT) ({e}); is it in use?"
            ));
        }
    };
    let watch_port = dynamodb_local::free_port();
    let mut watch = Command::new("cargo");
    watch
        .args([
            "lambda",
            "watch",
            "--invoke-address",
            "127.0.0.1",
            "--invoke-port",
        ])
        .arg(watch_port.to_string())
        .arg("--disable-cors")
        .args(if reload {
            None
        } else {
            Some("--ignore-changes")
        })
        .current_dir(&root)
        .env("PATH", path)
        .env("TABLE_NAME", &table)
        .env("DYNAMODB_ENDPOINT", &endpoint)
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_REGION", dynamodb_local::REGION)
        .env(
            "ALLOWED_ORIGINS",
            env_or("ALLOWED_ORIGINS", "http://127.0.0.1:*,http://localhost:*"),
        )
        .env("AUTH", if auth { "on" } else { "off" })
        // The stream function pushes through the local WebSocket gateway's management API.
        .env("WEBSOCKET_ENDPOINT", format!("http://127.0.0.1:{ws_port}"))
        // Signs the list's cursors: new each run, or kept with the data (PERSIST=1).
        .env("CURSOR_KEY", &cursor_key)
        .env("RUST_LOG", env_or("RUST_LOG", "info"))
        .stdin(Stdio::null())
        // Its own process group, so the functions it starts are stopped with it.
        .process_group(0);
    let mut watch = match watch.spawn() {
        Ok(child) => child,
        Err(e) => {
            let _ = dynamodb.kill();
            return Err(format!(
                "starting cargo lambda watch: {e} (run `make tools` to install cargo-lambda)"
            ));
        }
    };

    let mut ready = dynamodb_local::wait_until_ready(watch_port, Duration::from_secs(60))
        .map_err(|e| format!("cargo lambda watch did not listen on port {watch_port}: {e}"));
    let mut watch_exit = None;
    if ready.is_ok() {
        let invoke_base = format!("http://127.0.0.1:{watch_port}");
        let poller_table = table.clone();
        let poller_stop = stop.clone();
        let (warmed_tx, warmed_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the gateway");
            runtime.block_on(async move {
                gateway_listener
                    .set_nonblocking(true)
                    .expect("a non-blocking listener");
                let listener = tokio::net::TcpListener::from_std(gateway_listener)
                    .expect("the gateway's listener");
                let invoker = realtime::Invoker::new(&invoke_base);
                let ws_gateway = std::sync::Arc::new(realtime::WsGateway::new(
                    invoker.clone(),
                    authorizer.clone(),
                ));
                // The page's live updates come from the WebSocket gateway on WS_PORT.
                let gateway = std::sync::Arc::new(
                    gateway::Gateway::new(&invoke_base, authorizer)
                        .with_web_socket(&format!("ws://127.0.0.1:{ws_port}")),
                );
                // Requests are served while the functions warm up; they wait as long as the warm-up.
                tokio::spawn(gateway.clone().serve(listener));
                ws_listener
                    .set_nonblocking(true)
                    .expect("a non-blocking listener");
                let ws_listener = tokio::net::TcpListener::from_std(ws_listener)
                    .expect("the WebSocket gateway's listener");
                tokio::spawn(ws_gateway.serve(ws_listener));
                let (mut outcomes, realtime) =
                    tokio::join!(gateway.warm(), realtime::warm(&invoker));
                outcomes.extend(realtime);
                let _ = warmed_tx.send(outcomes);
                // Changes from now on reach the stream function.
                realtime::Poller::new(db_port, &poller_table, invoker)
                    .until(poller_stop)
                    .run()
                    .await;
            });
        });
        println!(
            "starting the functions under cargo lambda watch on 127.0.0.1:{watch_port} (the first start builds them)..."
        );
        // The warm-up ends within the gateway's cold-start bound; Ctrl-C or watch exiting end it sooner.
        let warmed = loop {
            if stop.load(std::sync::atomic::Ordering::SeqCst) {
                break None;
            }
            if let Ok(Some(status)) = watch.try_wait() {
                watch_exit = Some(status);
                break None;
            }
            match warmed_rx.recv_timeout(Duration::from_millis(100)) {
                Ok(outcomes) => break Some(outcomes),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    break Some(Vec::new());
                }
            }
        };
        let mut failed = Vec::new();
        for (function, outcome) in warmed.iter().flatten() {
            match outcome {
                Ok(took) => println!("  {function:<21} ready ({:.1} s)", took.as_secs_f64()),
                Err(e) => {
                    println!("  {function:<21} FAILED: {e}");
                    failed.push(*function);
                }
            }
        }
        if let Some(status) = watch_exit {
            ready = Err(format!(
                "cargo lambda watch exited while the functions started: {status}"
            ));
        } else if warmed.as_ref().is_some_and(Vec::is_empty) {
            ready = Err("the local API Gateway stopped".to_owned());
        } else if !failed.is_empty() {
            ready = Err(format!(
                "{} did not start under cargo lambda watch (its build or start failed: see above)",
                failed.join(", ")
            ));
        }
    }
    if ready.is_ok() && watch_exit.is_none() && !stop.load(std::sync::atomic::Ordering::SeqCst) {
        println!();
        println!(
            "  open         http://127.0.0.1:{api_port}/  (the web app; the API under /people)"
        );
        println!("  people API   http://127.0.0.1:{api_port}/people");
        println!(
            "  WebSocket    ws://127.0.0.1:{ws_port}  (management API http://127.0.0.1:{ws_port}/@connections/{{id}}; stream polled every {} ms)",
            realtime::POLL_INTERVAL.as_millis()
        );
        println!(
            "  functions    cargo lambda watch on 127.0.0.1:{watch_port} ({})",
            if reload {
                "rebuilt on change"
            } else {
                "RELOAD=off: not rebuilt on change"
            }
        );
        if auth {
            println!(
                "  auth         on: tokens from `make token` (issuer {}, audience {}, key in .tools/dev-jwt/)",
                jwt::ISSUER,
                jwt::AUDIENCE
            );
        } else {
            println!("  auth         off: no tokens needed (`AUTH=on make dev` requires them)");
        }
        println!(
            "  DynamoDB     {endpoint}  table {table} ({}, {})",
            if created { "created" } else { "existing" },
            if persist {
                "data kept in .tools/dynamodb-data"
            } else {
                "in memory: data is gone when this stops"
            }
        );
        println!("  Ctrl-C stops both.");
        println!();
    } else if let Err(e) = &ready {
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        eprintln!("xtask: {e}");
    }

    while watch_exit.is_none() && !stop.load(std::sync::atomic::Ordering::SeqCst) {
        if let Ok(Some(status)) = watch.try_wait() {
            watch_exit = Some(status);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    if watch_exit.is_none() {
        signal_group(&watch, libc::SIGINT);
        if !wait_for(&mut watch, Duration::from_secs(10)) {
            signal_group(&watch, libc::SIGKILL);
            let _ = watch.wait();
        }
    }
    let _ = dynamodb.kill();
    let _ = dynamodb.wait();
    println!("stopped cargo lambda watch and DynamoDB Local");
    match watch_exit {
        Some(status) if !status.success() => Err(format!("cargo lambda watch exited: {status}")),
        _ if ready.is_err() => Err("the API did not start".to_owned()),
        _ => Ok(()),
    }
}

/// Sets `flag` when `signal` arrives.
fn signal_hook_flag(
    signal: libc::c_int,
    flag: &std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Result<(), String> {
    static FLAG: std::sync::OnceLock<std::sync::Arc<std::sync::atomic::AtomicBool>> =
        std::sync::OnceLock::new();
    let _ = FLAG.set(flag.clone());
    extern "C" fn on_signal(_: libc::c_int) {
        if let Some(flag) = FLAG.get() {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only performs an atomic store, which is async-signal-safe.
    if unsafe { libc::signal(signal, handler) } == libc::SIG_ERR {
        return Err("cannot install the signal handler".to_owned());
    }
    Ok(())
}

fn seed(base: String) -> Result<(), String> {
    let people = [
        (
            "Ada Lovelace",
            "ada@example.com",
            Some("+442079460001"),
            &["math", "engineering"][..],
        ),
        (
            "Grace Hopper",
            "grace@example.com",
            Some("+12025550143"),
            &["navy", "compilers"][..],
        ),
        (
            "Alan Turing",
            "alan@example.com",
            None,
            &["math", "cryptography"][..],
        ),
        (
            "Katherine Johnson",
            "katherine@example.com",
            None,
            &["nasa", "math"][..],
        ),
        (
            "Linus Torvalds",
            "linus@example.com",
            Some("+358401234567"),
            &["kernel"][..],
        ),
        (
            "Margaret Hamilton",
            "margaret@example.com",
            None,
            &["nasa", "software"][..],
        ),
    ];
    let agent = ureq::Agent::new_with_defaults();
    let url = format!("{}/people", base.trim_end_matches('/'));
    for (name, email, phone, tags) in people {
        let body =
            serde_json::json!({ "name": name, "email": email, "phone": phone, "tags": tags });
        let response = agent
            .post(&url)
            .config()
            .http_status_as_error(false)
            .build()
            .send_json(&body)
            .map_err(|e| format!("POST {url}: {e} (is `make dev` running?)"))?;
        match response.status().as_u16() {
            201 => println!("created {name}"),
            409 => println!("{name} already exists"),
            status => return Err(format!("POST {url} for {name}: HTTP {status}")),
        }
    }
    Ok(())
}
