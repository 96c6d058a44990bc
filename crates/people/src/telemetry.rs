//! JSON-lines logs: one line per request with its id, route, status and latency.

use tracing::Subscriber;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, Layer};

/// The functions' log layer writing to `writer`; `RUST_LOG` sets the filter (default `info`).
pub fn json_layer<S, W>(writer: W) -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false)
        .with_writer(writer)
        .with_filter(filter)
}

/// Installs the JSON log layer on stdout as the process's subscriber.
pub fn init() {
    let subscriber = tracing_subscriber::registry().with(json_layer(std::io::stdout));
    let _ = tracing::subscriber::set_global_default(subscriber);
}
