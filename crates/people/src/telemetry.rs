//! JSON-lines logs: one line per request with its id, route, status and latency.

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber; `RUST_LOG` sets the filter (default `info`).
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false)
        .with_env_filter(filter)
        .try_init();
}
