//! Batch reads and writes of any size, transactional reads, scans (also in parallel segments) and
//! streams of items across pages.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::Select;
use aws_sdk_dynamodb::types::{
    DeleteRequest, Get, KeysAndAttributes, PutRequest, TransactGetItem, WriteRequest,
};
use futures_util::{Stream, TryStreamExt};

use crate::call::call;
use crate::cursor::{Binding, Cursor};
use crate::entity::FromItem;
use crate::error::{Error, Result};
use crate::expr::{Condition, Path, Placeholders};
use crate::model::{Item, Key, Model};
use crate::table::{Page, PutMode, Query, Table, bind_filter, unix_now};

/// DynamoDB's limit of keys per `BatchGetItem`.
pub const BATCH_GET_LIMIT: usize = 100;
/// DynamoDB's limit of requests per `BatchWriteItem`.
pub const BATCH_WRITE_LIMIT: usize = 25;
/// DynamoDB's limit of items per transaction.
pub const TRANSACTION_LIMIT: usize = 100;

/// How unprocessed batch items are retried: exponential backoff with full jitter, bounded.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// Retries after the first attempt.
    pub retries: u32,
    /// The first delay's upper bound.
    pub base: Duration,
    /// No delay is longer than this.
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            retries: 8,
            base: Duration::from_millis(25),
            cap: Duration::from_secs(2),
        }
    }
}

impl Backoff {
    /// The delay before retry `attempt` (0-based): uniform in `[0, min(cap, base * 2^attempt)]`.
    pub fn delay(&self, attempt: u32, random: u64) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.cap);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(if nanos == 0 { 0 } else { random % (nanos + 1) })
    }
}

/// A small xorshift generator for jitter; seeded from the clock, good enough to spread retries.
struct Jitter(u64);

impl Jitter {
    fn new() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15);
        Self(seed | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// The result of a batch read.
#[derive(Debug)]
pub struct BatchGet<M> {
    /// The items found (in no particular order; missing keys are simply absent).
    pub items: Vec<M>,
    /// Keys DynamoDB still had not processed when the retries ran out.
    pub unprocessed: Vec<Key>,
}

/// One write of a batch.
#[derive(Debug, Clone)]
pub enum BatchWrite {
    /// Store this item (an unconditional put: batches take no conditions).
    Put(Item),
    /// Delete the item with this key.
    Delete(Key),
}

/// A scan of the whole table (or one segment of it).
#[derive(Debug, Clone, Default)]
pub struct Scan {
    index: Option<String>,
    filter: Option<Condition>,
    projection: Vec<Path>,
    limit: Option<usize>,
    cursor: Option<Cursor>,
    segment: Option<(i32, i32)>,
    consistent: bool,
    context: Option<String>,
}

impl Scan {
    /// A scan of the table.
    pub fn table() -> Self {
        Self::default()
    }

    /// A scan of a secondary index.
    pub fn index(name: impl Into<String>) -> Self {
        Self {
            index: Some(name.into()),
            ..Self::default()
        }
    }

    /// Keep only items for which the filter holds.
    pub fn filter(mut self, filter: Option<Condition>) -> Self {
        self.filter = filter;
        self
    }

    /// Read only these attributes (the model must tolerate the others missing).
    pub fn project(mut self, paths: impl IntoIterator<Item = Path>) -> Self {
        self.projection = paths.into_iter().collect();
        self
    }

    /// Items per page.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit.max(1));
        self
    }

    /// Start after this position.
    pub fn after(mut self, cursor: Option<Cursor>) -> Self {
        self.cursor = cursor;
        self
    }

    /// Scan only `segment` of `total` (for parallel scans).
    pub fn segment(mut self, segment: u32, total: u32) -> Self {
        self.segment = Some((segment as i32, total as i32));
        self
    }

    /// Strongly consistent reads.
    pub fn consistent(mut self) -> Self {
        self.consistent = true;
        self
    }

    /// Binds this scan's signed cursors to `context` as well (as [`Query::cursor_context`]).
    pub fn cursor_context(mut self, context: impl Into<String>) -> Self {
        self.context = Some(context.into());
        self
    }

    /// The digest of what this scan's cursors are bound to: the index, the caller's filter, the
    /// segment and the context (not the projection, the limit or the consistency).
    fn binding(&self) -> [u8; 32] {
        let mut binding = Binding::new("scan");
        binding.text(b'i', self.index.as_deref());
        bind_filter(&mut binding, self.filter.as_ref());
        let segment = self.segment.map(|(s, total)| format!("{s}/{total}"));
        binding.text(b'g', segment.as_deref());
        binding.text(b'c', self.context.as_deref());
        binding.finish()
    }
}

fn chunk_delay(backoff: &Backoff, attempt: u32, jitter: &mut Jitter) -> Duration {
    backoff.delay(attempt, jitter.next())
}

impl Table {
    /// Reads any number of items by key, 100 per request, retrying unprocessed keys with `backoff`.
    /// Duplicate keys are read once.
    pub async fn batch_get<M: Model>(&self, keys: &[Key], backoff: Backoff) -> Result<BatchGet<M>> {
        let mut unique: Vec<&Key> = Vec::with_capacity(keys.len());
        for key in keys {
            if !unique.contains(&key) {
                unique.push(key);
            }
        }
        let mut items = Vec::with_capacity(unique.len());
        let mut unprocessed = Vec::new();
        let mut jitter = Jitter::new();
        for chunk in unique.chunks(BATCH_GET_LIMIT) {
            let mut pending: Vec<Item> = chunk.iter().map(|k| self.key_item(k)).collect();
            let mut attempt = 0;
            while !pending.is_empty() {
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut pending)))
                    .build()
                    .expect("keys are set");
                let out = call("BatchGetItem", self.name(), Placeholders::default(), |r| {
                    self.client()
                        .batch_get_item()
                        .request_items(self.name(), request)
                        .return_consumed_capacity(r.capacity)
                        .send()
                })
                .await?;
                let mut responses = out.responses.unwrap_or_default();
                for item in responses.remove(self.name()).unwrap_or_default() {
                    if Self::is_live::<M>(&item) {
                        items.push(M::from_item(item)?);
                    }
                }
                pending = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(self.name()))
                    .map(|k| k.keys)
                    .unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
                if attempt >= backoff.retries {
                    unprocessed.extend(pending.iter().filter_map(|k| self.key_of(k)));
                    break;
                }
                tokio::time::sleep(chunk_delay(&backoff, attempt, &mut jitter)).await;
                attempt += 1;
            }
        }
        Ok(BatchGet { items, unprocessed })
    }

    /// A batch put of a model: transforms, validation, version and timestamps applied as for
    /// [`PutMode::Upsert`] (a batch cannot be conditional).
    pub fn batch_put<M: Model>(&self, model: &mut M) -> Result<BatchWrite> {
        let (item, _, _) = self.prepare_put(model, PutMode::Upsert)?;
        Ok(BatchWrite::Put(item))
    }

    /// Writes any number of puts and deletes, 25 per request, retrying unprocessed ones with
    /// `backoff`. Returns the writes that were still unprocessed when the retries ran out.
    pub async fn batch_write(
        &self,
        writes: Vec<BatchWrite>,
        backoff: Backoff,
    ) -> Result<Vec<BatchWrite>> {
        let mut failed = Vec::new();
        let mut jitter = Jitter::new();
        let requests: Vec<WriteRequest> = writes
            .into_iter()
            .map(|w| match w {
                BatchWrite::Put(item) => WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(item))
                            .build()
                            .expect("item is set"),
                    )
                    .build(),
                BatchWrite::Delete(key) => WriteRequest::builder()
                    .delete_request(
                        DeleteRequest::builder()
                            .set_key(Some(self.key_item(&key)))
                            .build()
                            .expect("key is set"),
                    )
                    .build(),
            })
            .collect();
        for chunk in requests.chunks(BATCH_WRITE_LIMIT) {
            let mut pending = chunk.to_vec();
            let mut attempt = 0;
            loop {
                let batch = std::mem::take(&mut pending);
                let out = call(
                    "BatchWriteItem",
                    self.name(),
                    Placeholders::default(),
                    |r| {
                        self.client()
                            .batch_write_item()
                            .request_items(self.name(), batch)
                            .return_consumed_capacity(r.capacity)
                            .send()
                    },
                )
                .await?;
                pending = out
                    .unprocessed_items
                    .and_then(|mut u| u.remove(self.name()))
                    .unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
                if attempt >= backoff.retries {
                    failed.extend(pending.into_iter().filter_map(|r| self.write_of(r)));
                    break;
                }
                tokio::time::sleep(chunk_delay(&backoff, attempt, &mut jitter)).await;
                attempt += 1;
            }
        }
        Ok(failed)
    }

    fn write_of(&self, request: WriteRequest) -> Option<BatchWrite> {
        if let Some(put) = request.put_request {
            return Some(BatchWrite::Put(put.item));
        }
        request
            .delete_request
            .and_then(|d| self.key_of(&d.key))
            .map(BatchWrite::Delete)
    }

    /// Reads up to 100 items in one transaction: a consistent snapshot. One entry per key, in order.
    pub async fn transact_get<M: Model>(&self, keys: &[Key]) -> Result<Vec<Option<M>>> {
        let items = keys
            .iter()
            .map(|k| {
                let get = Get::builder()
                    .table_name(self.name())
                    .set_key(Some(self.key_item(k)))
                    .build()
                    .expect("table and key are set");
                TransactGetItem::builder().get(get).build()
            })
            .collect();
        let out = call(
            "TransactGetItems",
            self.name(),
            Placeholders::default(),
            |r| {
                self.client()
                    .transact_get_items()
                    .set_transact_items(Some(items))
                    .return_consumed_capacity(r.capacity)
                    .send()
            },
        )
        .await?;
        out.responses
            .unwrap_or_default()
            .into_iter()
            .map(|r| {
                r.item
                    .filter(|i| !i.is_empty() && Self::is_live::<M>(i))
                    .map(M::from_item)
                    .transpose()
            })
            .collect()
    }

    /// One page of a scan, of one model or of a union of entities (`#[derive(Entities)]`).
    pub async fn scan<T: FromItem>(&self, scan: &Scan) -> Result<Page<T>> {
        let page = self.scan_page(scan, T::live_filter()).await?;
        let items = page
            .items
            .into_iter()
            .filter(T::is_live)
            .map(T::from_item)
            .collect::<Result<_>>()?;
        Ok(Page {
            items,
            next: page.next,
        })
    }

    /// One page of a scan, as the items DynamoDB returned (no entity check, no decoding).
    pub async fn scan_items(&self, scan: &Scan) -> Result<Page<Item>> {
        self.scan_page(scan, None).await
    }

    /// How many items a scan matches (after its filter), counted by DynamoDB (`Select=COUNT`)
    /// across every page; the scan's limit and cursor are ignored. Costs the read capacity of the
    /// whole table (or segment).
    pub async fn count_scan(&self, scan: &Scan) -> Result<u64> {
        let mut ph = Placeholders::default();
        let filter = scan.filter.as_ref().map(|f| ph.render(f));
        crate::table::count_pages(async |start| {
            let out = call("Scan", self.name(), ph.clone(), |r| {
                self.client()
                    .scan()
                    .table_name(self.name())
                    .set_index_name(scan.index.clone())
                    .set_filter_expression(filter.clone())
                    .set_expression_attribute_names(r.names)
                    .set_expression_attribute_values(r.values)
                    .set_exclusive_start_key(start)
                    .set_segment(scan.segment.map(|s| s.0))
                    .set_total_segments(scan.segment.map(|s| s.1))
                    .consistent_read(scan.consistent)
                    .select(Select::Count)
                    .return_consumed_capacity(r.capacity)
                    .send()
            })
            .await?;
            Ok((out.count, out.last_evaluated_key))
        })
        .await
    }

    async fn scan_page(&self, scan: &Scan, live: Option<Condition>) -> Result<Page<Item>> {
        let positions = self.spec().position_keys(scan.index.as_deref());
        let sealing = self.sealing(scan.binding());
        let start = scan
            .cursor
            .as_ref()
            .map(|c| sealing.open(c, &positions, None, unix_now()))
            .transpose()?;
        let mut ph = Placeholders::default();
        let filter = match (scan.filter.clone(), live) {
            (Some(f), Some(live)) => Some(f.and(live)),
            (f, live) => f.or(live),
        };
        let filter = filter.as_ref().map(|f| ph.render(f));
        let projection = (!scan.projection.is_empty()).then(|| {
            let mut paths: Vec<String> = scan.projection.iter().map(|p| ph.path(p)).collect();
            // Keep the key attributes, so the page can hand out a cursor.
            for key in &positions {
                let name = ph.name(key.name);
                if !paths.contains(&name) {
                    paths.push(name);
                }
            }
            paths.join(", ")
        });
        let out = call("Scan", self.name(), ph, |r| {
            self.client()
                .scan()
                .table_name(self.name())
                .set_index_name(scan.index.clone())
                .set_filter_expression(filter)
                .set_projection_expression(projection)
                .set_expression_attribute_names(r.names)
                .set_expression_attribute_values(r.values)
                .set_exclusive_start_key(start)
                .set_limit(scan.limit.map(|l| i32::try_from(l).unwrap_or(i32::MAX)))
                .set_segment(scan.segment.map(|s| s.0))
                .set_total_segments(scan.segment.map(|s| s.1))
                .consistent_read(scan.consistent)
                .return_consumed_capacity(r.capacity)
                .send()
        })
        .await
        .map_err(|e| crate::table::client_cursor_rejected(e, scan.cursor.is_some()))?;
        let next = out
            .last_evaluated_key
            .map(|k| sealing.cursor(&k, &positions, unix_now()))
            .transpose()?;
        Ok(Page {
            items: out.items.unwrap_or_default(),
            next,
        })
    }

    /// Scans the whole table in `segments` concurrent segments and returns every item.
    pub async fn parallel_scan<M: FromItem + 'static>(
        &self,
        scan: Scan,
        segments: u32,
    ) -> Result<Vec<M>> {
        let mut tasks = tokio::task::JoinSet::new();
        for segment in 0..segments.max(1) {
            let table = self.clone();
            let scan = scan.clone().segment(segment, segments.max(1));
            tasks.spawn(async move {
                let mut items = Vec::new();
                let mut scan = scan;
                loop {
                    let page = table.scan::<M>(&scan).await?;
                    items.extend(page.items);
                    match page.next {
                        Some(next) => scan = scan.after(Some(next)),
                        None => return Ok::<_, Error>(items),
                    }
                }
            });
        }
        let mut all = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            all.extend(joined.expect("scan segments do not panic")?);
        }
        Ok(all)
    }

    /// Every item of a query, page after page, as a stream.
    pub fn query_stream<M: FromItem + 'static>(
        &self,
        query: Query,
    ) -> impl Stream<Item = Result<M>> + '_ {
        futures_util::stream::try_unfold(Some(query), move |state| async move {
            let Some(query) = state else {
                return Ok::<_, Error>(None);
            };
            let page = self.query::<M>(&query).await?;
            let next = page.next.map(|c| query.clone().after(Some(c)));
            Ok(Some((
                futures_util::stream::iter(page.items.into_iter().map(Ok::<M, Error>)),
                next,
            )))
        })
        .try_flatten()
    }

    /// The key of an item's key attributes.
    pub(crate) fn key_of(
        &self,
        item: &HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
    ) -> Option<Key> {
        use aws_sdk_dynamodb::types::AttributeValue::S;
        let pk = match item.get(&self.spec().partition_key.name)? {
            S(s) => s.clone(),
            _ => return None,
        };
        let sk = match self.spec().sort_key.as_ref().map(|k| item.get(&k.name)) {
            Some(Some(S(s))) => Some(s.clone()),
            _ => None,
        };
        Some(Key { pk, sk })
    }
}
