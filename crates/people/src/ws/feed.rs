//! The change feed: each change of a person, read from the table's stream, pushed to the
//! connections subscribed to it.
//!
//! One batch of stream records is delivered in order. The open connections are read once per
//! batch (one query of the connections' index partition, no read per connection), and each change
//! goes to the connections whose subscription covers the person before or after the change and
//! whose caller may see it (a `people/self` caller sees its own person only), with at most
//! [`Feed::concurrency`] pushes in flight. A connection that is gone (API Gateway's 410) is deleted;
//! a record that could not be decoded or pushed is reported back as a batch item failure, so the
//! stream retries it without retrying the others (at least once: a client may see a change twice,
//! and tells by `id` and `version`).

use std::future::Future;
use std::sync::Arc;

use dynamodel::stream::{Change, ChangeKind, EventRecord};
use dynamodel::{Query, Table};
use futures_util::{StreamExt, TryStreamExt};
use serde::Serialize;
use time::OffsetDateTime;

use crate::http::PersonBody;
use crate::model::{CONNECTIONS_PARTITION, Connection, LIST_INDEX, Person, PersonId};

/// Why a push failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushError {
    /// The connection is closed (API Gateway answered 410 Gone): its item is deleted.
    Gone,
    /// Anything else; the record is retried.
    Failed(String),
}

/// Sends a message to one connection: API Gateway's management API (`POST @connections/{id}`).
pub trait Pusher: Send + Sync {
    /// Pushes `message` to `connection_id`.
    fn push(
        &self,
        connection_id: &str,
        message: Arc<str>,
    ) -> impl Future<Output = Result<(), PushError>> + Send;
}

impl<P: Pusher> Pusher for Arc<P> {
    fn push(
        &self,
        connection_id: &str,
        message: Arc<str>,
    ) -> impl Future<Output = Result<(), PushError>> + Send {
        (**self).push(connection_id, message)
    }
}

/// One change of a person, as pushed: `{"type":"person.created","id","version","person","at"}`.
#[derive(Debug, Serialize)]
pub struct PersonEvent<'a> {
    /// `person.created`, `person.updated` or `person.deleted`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The person's id.
    pub id: PersonId,
    /// Its version after the change (before it, for a delete).
    pub version: u64,
    /// The person after the change, as the REST API returns it; `null` for a delete.
    pub(crate) person: Option<PersonBody<'a>>,
    /// When the change was written (to the second, from the stream record).
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// What one batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Sequence numbers of the records to retry (batch item failures).
    pub failed_records: Vec<String>,
    /// Messages pushed.
    pub pushed: usize,
    /// Connections found gone and deleted.
    pub pruned: usize,
    /// Pushes that failed otherwise.
    pub failed_pushes: usize,
}

/// Pushes changes of people to subscribed connections.
pub struct Feed<P> {
    table: Table,
    pusher: P,
    concurrency: usize,
    page_size: usize,
}

/// A change of a person decoded from a batch, waiting to be pushed.
struct Pending {
    /// Where its record was in the batch.
    position: usize,
    /// The record's sequence number (its batch item failure id).
    id: String,
    change: Change<Person>,
    message: Arc<str>,
    failed: bool,
}

impl<P: Pusher> Feed<P> {
    /// A feed over the people table, pushing with `pusher`, 64 pushes at a time, reading the
    /// connections 1,000 at a time.
    pub fn new(table: Table, pusher: P) -> Self {
        Self {
            table,
            pusher,
            concurrency: 64,
            page_size: 1000,
        }
    }

    /// At most `n` pushes in flight (at least one).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Reads the connections `n` at a time (at least one): what the feed holds in memory.
    pub fn page_size(mut self, n: usize) -> Self {
        self.page_size = n.max(1);
        self
    }

    /// The open, subscribed connections: one query of their index partition, every page.
    pub async fn connections(&self) -> dynamodel::Result<Vec<Connection>> {
        let query = Query::index(LIST_INDEX, CONNECTIONS_PARTITION).limit(self.page_size);
        self.table
            .query_stream::<Connection>(query)
            .try_filter(|c| std::future::ready(c.subscription.is_some()))
            .try_collect()
            .await
    }

    /// Delivers a batch of stream records, in order: the connections are read a page at a time,
    /// and every change of the batch reaches a page's connections, in the batch's order, before
    /// the next page is read. So each connection receives the changes in order, and the feed
    /// holds one page of connections whatever their number.
    pub async fn deliver(&self, records: &[EventRecord]) -> dynamodel::Result<Delivery> {
        let mut delivery = Delivery::default();
        let mut undecodable = Vec::new();
        let mut changes = Vec::new();
        for (position, record) in records.iter().enumerate() {
            let id = record
                .change
                .sequence_number
                .clone()
                .unwrap_or_else(|| record.event_id.clone());
            let change = match Change::<Person>::decode(record) {
                Ok(Some(change)) => change,
                // Another entity of the table (a claim, a connection) or of another service:
                // not a change of a person.
                Ok(None) => continue,
                Err(e) => {
                    tracing::error!(record = %id, error = %e, "a stream record could not be decoded");
                    undecodable.push((position, id));
                    continue;
                }
            };
            let Some((event, _, _)) = person_change(&change) else {
                continue;
            };
            let message: Arc<str> = serde_json::to_string(&event)
                .expect("events serialise")
                .into();
            changes.push(Pending {
                position,
                id,
                change,
                message,
                failed: false,
            });
        }
        let mut cursor = None;
        while !changes.is_empty() {
            let query = Query::index(LIST_INDEX, CONNECTIONS_PARTITION)
                .limit(self.page_size)
                .after(cursor.take());
            let page = self.table.query::<Connection>(&query).await?;
            let mut connections: Vec<Connection> = page
                .items
                .into_iter()
                .filter(|c| c.subscription.is_some())
                .collect();
            for pending in &mut changes {
                self.push(pending, &mut connections, &mut delivery).await;
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let mut failed: Vec<(usize, String)> = undecodable;
        failed.extend(
            changes
                .into_iter()
                .filter(|p| p.failed)
                .map(|p| (p.position, p.id)),
        );
        failed.sort_by_key(|(position, _)| *position);
        delivery.failed_records = failed.into_iter().map(|(_, id)| id).collect();
        Ok(delivery)
    }

    /// Pushes one change to the connections of a page it concerns; a gone connection is deleted
    /// and dropped from the page, a failed push marks the change failed.
    async fn push(
        &self,
        pending: &mut Pending,
        connections: &mut Vec<Connection>,
        delivery: &mut Delivery,
    ) {
        let (before, after) = (pending.change.old.as_ref(), pending.change.new.as_ref());
        let recipients: Vec<String> = connections
            .iter()
            .filter(|c| concerns(c, before, after))
            .map(|c| c.connection_id.clone())
            .collect();
        let message = &pending.message;
        let outcomes: Vec<(String, Result<(), PushError>)> = futures_util::stream::iter(recipients)
            .map(|connection| {
                let message = message.clone();
                async move {
                    let outcome = self.pusher.push(&connection, message).await;
                    (connection, outcome)
                }
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        for (connection, outcome) in outcomes {
            match outcome {
                Ok(()) => delivery.pushed += 1,
                Err(PushError::Gone) => {
                    connections.retain(|c| c.connection_id != connection);
                    let key = Connection::key_for(&connection);
                    match self.table.delete::<Connection>(&key, None).await {
                        Ok(_) => delivery.pruned += 1,
                        Err(e) => {
                            tracing::warn!(error = %e, "a gone connection's item could not be deleted")
                        }
                    }
                }
                Err(PushError::Failed(reason)) => {
                    tracing::warn!(record = %pending.id, %reason, "a push failed");
                    delivery.failed_pushes += 1;
                    pending.failed = true;
                }
            }
        }
    }
}

/// The event of a change of a person, and the person before and after it.
fn person_change(
    change: &Change<Person>,
) -> Option<(PersonEvent<'_>, Option<&Person>, Option<&Person>)> {
    let (before, after) = (change.old.as_ref(), change.new.as_ref());
    let latest = after.or(before)?;
    let kind = match change.kind {
        ChangeKind::Insert => "person.created",
        ChangeKind::Modify => "person.updated",
        ChangeKind::Remove => "person.deleted",
    };
    let event = PersonEvent {
        kind,
        id: latest.id,
        version: latest.version,
        person: after.map(PersonBody::from),
        at: change.at.unwrap_or_else(OffsetDateTime::now_utc),
    };
    Some((event, before, after))
}

/// True when `connection` receives a change of a person that was `before` and is `after`.
fn concerns(connection: &Connection, before: Option<&Person>, after: Option<&Person>) -> bool {
    let Some(subscription) = &connection.subscription else {
        return false;
    };
    let visible =
        |p: &&Person| !connection.own_only || (p.owner.is_some() && p.owner == connection.subject);
    [before, after]
        .into_iter()
        .flatten()
        .filter(visible)
        .any(|p| subscription.covers(p))
}

/// The CloudWatch namespace of the stream function's metrics (infra/lib/monitoring.ts
/// `REALTIME_NAMESPACE`).
pub const METRICS_NAMESPACE: &str = "people-api";
/// The environment variable naming the stage the metrics belong to (their `Stage` dimension); the
/// stack sets it on the stream function.
pub const STAGE_VAR: &str = "STAGE";
/// The `Stage` of metrics written without [`STAGE_VAR`]: a local run, never a deployed stage's.
pub const LOCAL_STAGE: &str = "local";

/// The `Stage` dimension of this process's metrics: [`STAGE_VAR`], or [`LOCAL_STAGE`] when it is
/// unset or blank (a local run still starts and logs its figures, under a stage no alarm watches).
pub fn metrics_stage() -> String {
    stage_or_local(std::env::var(STAGE_VAR).ok())
}

fn stage_or_local(value: Option<String>) -> String {
    value
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| LOCAL_STAGE.to_owned())
}

/// A batch's figures as a CloudWatch embedded-metric document (namespace [`METRICS_NAMESPACE`],
/// dimension `Stage`, so stages sharing an account keep their figures and alarms apart): pushes,
/// pruned connections, failed pushes and failed records, at `timestamp_ms` (epoch milliseconds).
pub fn metrics_line(delivery: &Delivery, stage: &str, timestamp_ms: i64) -> serde_json::Value {
    serde_json::json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": METRICS_NAMESPACE,
                "Dimensions": [["Stage"]],
                "Metrics": [
                    {"Name": "Pushed", "Unit": "Count"},
                    {"Name": "PrunedConnections", "Unit": "Count"},
                    {"Name": "FailedPushes", "Unit": "Count"},
                    {"Name": "FailedRecords", "Unit": "Count"}
                ]
            }]
        },
        "Stage": stage,
        "Pushed": delivery.pushed,
        "PrunedConnections": delivery.pruned,
        "FailedPushes": delivery.failed_pushes,
        "FailedRecords": delivery.failed_records.len(),
    })
}

/// Logs a batch's figures ([`metrics_line`]) for `stage` ([`metrics_stage`]), which the stack
/// alarms on.
pub fn log_metrics(delivery: &Delivery, stage: &str) {
    let now_ms = (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
    // Metrics go to stdout as their own line, next to (not inside) the tracing logs.
    println!("{}", metrics_line(delivery, stage, now_ms));
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn metrics_line_is_an_embedded_metric_document_with_the_stage_dimension() {
        let delivery = Delivery {
            failed_records: vec!["1".into(), "2".into()],
            pushed: 7,
            pruned: 3,
            failed_pushes: 5,
        };
        // As printed: one line of JSON.
        let printed = metrics_line(&delivery, "prod", 1_767_225_600_123).to_string();
        assert!(!printed.contains('\n'));
        let line: Value = serde_json::from_str(&printed).unwrap();
        assert_eq!(
            line,
            json!({
                "_aws": {
                    "Timestamp": 1_767_225_600_123_i64,
                    "CloudWatchMetrics": [{
                        "Namespace": "people-api",
                        "Dimensions": [["Stage"]],
                        "Metrics": [
                            {"Name": "Pushed", "Unit": "Count"},
                            {"Name": "PrunedConnections", "Unit": "Count"},
                            {"Name": "FailedPushes", "Unit": "Count"},
                            {"Name": "FailedRecords", "Unit": "Count"}
                        ]
                    }]
                },
                "Stage": "prod",
                "Pushed": 7,
                "PrunedConnections": 3,
                "FailedPushes": 5,
                "FailedRecords": 2,
            })
        );
        // What CloudWatch requires of the document: each dimension a string member, each metric a
        // number member, of the line itself.
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        for dimension in directive["Dimensions"][0].as_array().unwrap() {
            assert!(line[dimension.as_str().unwrap()].is_string(), "{dimension}");
        }
        for metric in directive["Metrics"].as_array().unwrap() {
            assert!(
                line[metric["Name"].as_str().unwrap()].is_number(),
                "{metric}"
            );
        }
    }

    #[test]
    fn an_empty_batch_reports_zeros_under_its_stage() {
        let line = metrics_line(&Delivery::default(), "dev", 0);
        assert_eq!(line["Stage"], "dev");
        for metric in [
            "Pushed",
            "PrunedConnections",
            "FailedPushes",
            "FailedRecords",
        ] {
            assert_eq!(line[metric], 0, "{metric}");
        }
    }

    #[test]
    fn the_stage_is_the_variable_or_local() {
        assert_eq!(stage_or_local(Some("prod".into())), "prod");
        assert_eq!(stage_or_local(Some(" dev \n".into())), "dev");
        assert_eq!(stage_or_local(Some("  ".into())), LOCAL_STAGE);
        assert_eq!(stage_or_local(Some(String::new())), LOCAL_STAGE);
        assert_eq!(stage_or_local(None), LOCAL_STAGE);
        assert_eq!(LOCAL_STAGE, "local");
    }
}
