//! [`Table`]: the client, the table name and its definition, and every item operation.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure, Select,
};
use time::OffsetDateTime;

use crate::call;
use crate::cursor::{Binding, Cursor, CursorKey, Sealing};
use crate::entity::FromItem;
use crate::error::{Error, Result};
use crate::expr::{Condition, Placeholders, ToAttr, attr};
use crate::model::{Item, Key, Model};
use crate::projection::Projection;
use crate::spec::TableSpec;
pub use crate::transact::TransactWrite;
use crate::update::{Update, UpdateOptions};

/// Most items one query call reads before it hands back a cursor, whatever the filter.
const MAX_PAGES_PER_CALL: usize = 10;

/// How long a signed cursor is accepted after its page was read, unless the table says otherwise.
pub const DEFAULT_CURSOR_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// A DynamoDB table and its definition, and the key that signs its cursors. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Table {
    client: Client,
    name: Arc<str>,
    spec: Arc<TableSpec>,
    cursor_key: Option<CursorKey>,
    cursor_lifetime: Duration,
}

/// How a put treats an item that is already stored.
#[derive(Debug, Clone)]
pub enum PutMode {
    /// Only when no item has the key (`attribute_not_exists`).
    Create,
    /// Only over the stored item: at the model's current version when versioned, else whenever it exists.
    Replace,
    /// Whatever is stored (versioned models still get a new version).
    Upsert,
    /// Only when the condition holds.
    If(Condition),
}

/// One page of query results.
#[derive(Debug, Clone)]
pub struct Page<M> {
    /// The items, in index order.
    pub items: Vec<M>,
    /// Where the next page starts; `None` when there is nothing after this page.
    pub next: Option<Cursor>,
}

/// A query on the table or one of its indexes.
#[derive(Debug, Clone)]
pub struct Query {
    index: Option<String>,
    partition: AttributeValue,
    sort: Option<SortCondition>,
    filter: Option<Condition>,
    limit: usize,
    cursor: Option<Cursor>,
    ascending: bool,
    consistent: bool,
    context: Option<String>,
}

/// A condition on the sort key of a query.
#[derive(Debug, Clone)]
pub enum SortCondition {
    /// `sk = v`
    Eq(AttributeValue),
    /// `sk < v`
    Lt(AttributeValue),
    /// `sk <= v`
    Le(AttributeValue),
    /// `sk > v`
    Gt(AttributeValue),
    /// `sk >= v`
    Ge(AttributeValue),
    /// `sk BETWEEN lo AND hi`
    Between(AttributeValue, AttributeValue),
    /// `begins_with(sk, prefix)`
    BeginsWith(AttributeValue),
}

impl Query {
    /// Items of one partition of the table.
    pub fn table(partition: impl ToAttr) -> Self {
        Self {
            index: None,
            partition: partition.to_attr(),
            sort: None,
            filter: None,
            limit: 25,
            cursor: None,
            ascending: true,
            consistent: false,
            context: None,
        }
    }

    /// Items of one partition of a secondary index.
    pub fn index(name: impl Into<String>, partition: impl ToAttr) -> Self {
        Self {
            index: Some(name.into()),
            ..Self::table(partition)
        }
    }

    /// A condition on the sort key.
    pub fn sort(mut self, condition: SortCondition) -> Self {
        self.sort = Some(condition);
        self
    }

    /// A filter on the items read; pages are filled up to the limit across reads.
    pub fn filter(mut self, filter: Option<Condition>) -> Self {
        self.filter = filter;
        self
    }

    /// How many items a page holds at most.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit.max(1);
        self
    }

    /// Start after this position.
    pub fn after(mut self, cursor: Option<Cursor>) -> Self {
        self.cursor = cursor;
        self
    }

    /// Newest (highest sort key) first.
    pub fn descending(mut self) -> Self {
        self.ascending = false;
        self
    }

    /// A strongly consistent read (table and local indexes only).
    pub fn consistent(mut self) -> Self {
        self.consistent = true;
        self
    }

    /// Binds this query's signed cursors to `context` as well, e.g. the API request's filters: a
    /// cursor is then accepted only by a query with the same context (and the same index, partition,
    /// sort condition, direction and filter, which bind it always). See [`crate::Cursor`].
    pub fn cursor_context(mut self, context: impl Into<String>) -> Self {
        self.context = Some(context.into());
        self
    }

    /// The digest of what this query's cursors are bound to: everything that selects and orders its
    /// results except the limit, the consistency and the cursor itself.
    fn binding(&self) -> [u8; 32] {
        let mut binding = Binding::new("query");
        binding.text(b'i', self.index.as_deref());
        binding.value(b'p', &self.partition);
        match &self.sort {
            None => binding.bytes(b's', b""),
            Some(sort) => {
                let (op, values): (&[u8], Vec<&AttributeValue>) = match sort {
                    SortCondition::Eq(v) => (b"=", vec![v]),
                    SortCondition::Lt(v) => (b"<", vec![v]),
                    SortCondition::Le(v) => (b"<=", vec![v]),
                    SortCondition::Gt(v) => (b">", vec![v]),
                    SortCondition::Ge(v) => (b">=", vec![v]),
                    SortCondition::Between(lo, hi) => (b"between", vec![lo, hi]),
                    SortCondition::BeginsWith(v) => (b"begins_with", vec![v]),
                };
                binding.bytes(b's', op);
                for v in values {
                    binding.value(b'v', v);
                }
            }
        }
        binding.bytes(b'd', if self.ascending { b"asc" } else { b"desc" });
        bind_filter(&mut binding, self.filter.as_ref());
        binding.text(b'c', self.context.as_deref());
        binding.finish()
    }
}

/// Binds the caller's filter (not the expiry filter dynamodel adds, which changes every second).
pub(crate) fn bind_filter(binding: &mut Binding, filter: Option<&Condition>) {
    let mut ph = Placeholders::default();
    let text = filter.map(|f| ph.render(f));
    binding.expression(b'f', text.as_deref().map(|t| (t, &ph)));
}

/// Now, in Unix seconds: when a cursor is handed out or checked.
pub(crate) fn unix_now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// A request that started from a client's cursor and that DynamoDB rejected as invalid: the cursor
/// passed every check dynamodel knows of (key schema, types, lengths) but is still not a position
/// DynamoDB accepts (e.g. outside the query's sort-key range), which is the client's error.
pub(crate) fn client_cursor_rejected(err: Error, from_client_cursor: bool) -> Error {
    match err {
        Error::Sdk {
            kind: crate::SdkErrorKind::InvalidRequest,
            ..
        } if from_client_cursor => Error::InvalidCursor("not a position DynamoDB accepts"),
        other => other,
    }
}

/// Drops what DynamoDB should not store: `NULL` (an absent optional field is no attribute, as in
/// PynamoDB and Dynamoose) and empty sets (which DynamoDB refuses), in maps at any depth, also
/// inside lists. A list keeps its `NULL` elements: their positions are its content.
pub(crate) fn strip_absent(map: &mut Item) {
    map.retain(|_, value| keep(value));
}

fn keep(value: &mut AttributeValue) -> bool {
    match value {
        AttributeValue::Null(_) => false,
        AttributeValue::Ss(s) | AttributeValue::Ns(s) => !s.is_empty(),
        AttributeValue::Bs(b) => !b.is_empty(),
        AttributeValue::M(m) => {
            strip_absent(m);
            true
        }
        AttributeValue::L(list) => {
            for element in list.iter_mut() {
                if let AttributeValue::M(m) = element {
                    strip_absent(m);
                }
            }
            true
        }
        _ => true,
    }
}

/// Adds up a `Select=COUNT` read's counts page by page: `page` reads from a start key and gives
/// its count and the key to go on from.
pub(crate) async fn count_pages(
    mut page: impl AsyncFnMut(Option<Item>) -> Result<(i32, Option<Item>)>,
) -> Result<u64> {
    let mut total = 0u64;
    let mut start = None;
    loop {
        let (count, next) = page(start.take()).await?;
        total += u64::try_from(count).unwrap_or(0);
        match next {
            Some(key) => start = Some(key),
            None => return Ok(total),
        }
    }
}

/// Where a read starts and what it keeps: the rendered key condition, filter and projection.
struct QueryPlan {
    key_condition: String,
    filter: Option<String>,
    projection: Option<String>,
    placeholders: Placeholders,
}

/// The error of a conditional write whose condition failed, told apart by what the write expected.
fn condition_failure<M: Model>(
    err: Error,
    operation: &'static str,
    expected_version: Option<u64>,
) -> Error {
    if !err.is_conditional_check_failed() {
        return err;
    }
    let source = Box::new(err);
    match expected_version {
        Some(expected) if M::VERSION_ATTRIBUTE.is_some() => Error::VersionMismatch {
            entity: M::ENTITY,
            expected,
            source,
        },
        _ => Error::ConditionFailed { operation, source },
    }
}

impl Table {
    /// A table called `name`, defined by `spec`. Its cursors are unsigned until it is given a key
    /// ([`Table::with_cursor_key`]).
    pub fn new(client: Client, name: impl Into<Arc<str>>, spec: TableSpec) -> Self {
        Self {
            client,
            name: name.into(),
            spec: Arc::new(spec),
            cursor_key: None,
            cursor_lifetime: DEFAULT_CURSOR_LIFETIME,
        }
    }

    /// This table, signing the cursors of its queries and scans with `key` and accepting only cursors
    /// signed with it, for the same listing, before they expire (see [`Cursor`]). A service that
    /// hands cursors to clients must set one: unsigned cursors can be forged.
    pub fn with_cursor_key(mut self, key: CursorKey) -> Self {
        self.cursor_key = Some(key);
        self
    }

    /// This table, with signed cursors accepted for `lifetime` after their page was read (default
    /// [`DEFAULT_CURSOR_LIFETIME`], 24 hours; whole seconds). Unsigned cursors do not expire.
    pub fn with_cursor_lifetime(mut self, lifetime: Duration) -> Self {
        self.cursor_lifetime = lifetime;
        self
    }

    /// True when the table signs its cursors.
    pub fn signs_cursors(&self) -> bool {
        self.cursor_key.is_some()
    }

    /// A cursor signed with this table's key for `query`, holding exactly `payload` (the JSON
    /// `{"v": 1, "e": <expiry, Unix seconds>, "p": <position>}` for a valid one): for tests that
    /// need cursors no page would hand out, e.g. to reach the key-schema checks behind the signature.
    /// Feature `testing`; panics on a table without a key.
    #[cfg(feature = "testing")]
    pub fn forge_cursor(&self, query: &Query, payload: &[u8]) -> Cursor {
        self.sealing(query.binding()).sign_raw(payload)
    }

    /// How the cursors of a listing with `binding` are made and checked.
    pub(crate) fn sealing(&self, binding: [u8; 32]) -> Sealing<'_> {
        Sealing {
            key: self.cursor_key.as_ref(),
            binding,
            lifetime: self.cursor_lifetime,
        }
    }

    /// The SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The table name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The table definition.
    pub fn spec(&self) -> &TableSpec {
        &self.spec
    }

    /// The item for a model: its fields (an absent optional field is no attribute, an empty set is
    /// not written), its entity tag when the model is tagged, and its table and index keys.
    pub fn to_item<M: Model>(&self, model: &M) -> Result<Item> {
        let mut item: Item = serde_dynamo::to_item(model)?;
        for (name, value) in model.derived_attributes() {
            item.insert(name.to_owned(), value);
        }
        strip_absent(&mut item);
        if let Some(attribute) = M::ENTITY_ATTRIBUTE {
            item.insert(
                attribute.to_owned(),
                AttributeValue::S(M::ENTITY.to_owned()),
            );
        }
        self.insert_key(&mut item, &model.key());
        Ok(item)
    }

    /// The model for an item (key attributes are ignored), after its entity check and load
    /// transforms. A missing or `NULL` attribute reads as `None`.
    pub fn from_item<T: FromItem>(item: Item) -> Result<T> {
        T::from_item(item)
    }

    fn insert_key(&self, item: &mut Item, key: &Key) {
        item.insert(
            self.spec.partition_key.name.clone(),
            AttributeValue::S(key.pk.clone()),
        );
        if let (Some(sk_attr), Some(sk)) = (&self.spec.sort_key, &key.sk) {
            item.insert(sk_attr.name.clone(), AttributeValue::S(sk.clone()));
        }
    }

    pub(crate) fn key_item(&self, key: &Key) -> Item {
        let mut item = Item::with_capacity(2);
        self.insert_key(&mut item, key);
        item
    }

    pub(crate) fn pk_path(&self) -> crate::expr::Path {
        attr(self.spec.partition_key.name.as_str())
    }

    /// False for an item whose TTL attribute lies in the past (expired, not yet deleted by DynamoDB).
    pub(crate) fn is_live<M: Model>(item: &Item) -> bool {
        let Some(ttl) = M::TTL_ATTRIBUTE else {
            return true;
        };
        match item.get(ttl) {
            Some(AttributeValue::N(n)) => n
                .parse::<i64>()
                .map_or(true, |at| at > OffsetDateTime::now_utc().unix_timestamp()),
            _ => true,
        }
    }

    /// The filter that hides expired items from queries and scans.
    pub(crate) fn live_filter<M: Model>() -> Option<Condition> {
        // Only a numeric expiry in the past hides an item; a missing or null one never expires.
        M::TTL_ATTRIBUTE.map(|ttl| {
            attr(ttl)
                .attribute_type("N")
                .and(attr(ttl).le(OffsetDateTime::now_utc().unix_timestamp()))
                .not()
        })
    }

    /// The full update for a model: the caller's actions, plus the new version and update time, and
    /// the condition that the item exists (an update never creates a partial item), that it is at the
    /// expected version, and the caller's.
    pub(crate) fn prepare_update<M: Model>(
        &self,
        update: Update,
        options: &UpdateOptions,
    ) -> (Update, Condition) {
        let mut update = update;
        if let Some(version) = M::VERSION_ATTRIBUTE {
            update = update.increment(attr(version), 1u64);
        }
        if let Some(updated_at) = M::UPDATED_AT_ATTRIBUTE {
            update = update.set(
                attr(updated_at),
                M::timestamp_attribute(OffsetDateTime::now_utc()),
            );
        }
        let mut guard = self.pk_path().exists();
        if let (Some(expected), Some(version)) = (options.expected_version(), M::VERSION_ATTRIBUTE)
        {
            guard = guard.and(attr(version).eq(expected));
        }
        if let Some(condition) = options.caller_condition() {
            guard = guard.and(condition.clone());
        }
        (update, guard)
    }

    /// Applies a raw [`Update`] to a stored item and returns the whole item after it.
    ///
    /// The version is incremented and the update time set; the update fails with
    /// [`Error::VersionMismatch`] when the options expect a version and another is stored, and with
    /// [`Error::ConditionFailed`] when the item does not exist or the options' condition does not
    /// hold.
    ///
    /// A raw update bypasses the model: its values are stored as given, without the field
    /// transforms (trim, lowercase, ...) or the validation a put runs, and index keys and derived
    /// attributes are left as they are unless the update sets them ([`Update::set_derived`]). To
    /// change fields as the model defines them, use [`Table::patch`].
    pub async fn update<M: Model>(
        &self,
        key: &Key,
        update: Update,
        options: UpdateOptions,
    ) -> Result<M> {
        let (update, guard) = self.prepare_update::<M>(update, &options);
        let mut ph = Placeholders::default();
        let expression = update.render(&mut ph);
        let guard = ph.render(&guard);
        let result = call::send("UpdateItem", &self.name, ph, |r| {
            self.client
                .update_item()
                .table_name(&*self.name)
                .set_key(Some(self.key_item(key)))
                .update_expression(expression)
                .condition_expression(guard)
                .set_expression_attribute_names(r.names)
                .set_expression_attribute_values(r.values)
                .return_values(ReturnValue::AllNew)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .return_consumed_capacity(r.capacity)
                .send()
        })
        .await;
        let out = match result {
            Ok(out) => out,
            Err(failure) => {
                // DynamoDB sends the stored item back: when it is at the expected version, the
                // caller's condition is what failed.
                let stored_version = match failure.err.as_service_error() {
                    Some(UpdateItemError::ConditionalCheckFailedException(e)) => e
                        .item()
                        .zip(M::VERSION_ATTRIBUTE)
                        .and_then(|(item, attribute)| match item.get(attribute) {
                            Some(AttributeValue::N(n)) => n.parse::<u64>().ok(),
                            _ => None,
                        }),
                    _ => None,
                };
                let expected = options
                    .expected_version()
                    .filter(|expected| stored_version != Some(*expected));
                return Err(condition_failure::<M>(
                    failure.classify(),
                    "UpdateItem",
                    expected,
                ));
            }
        };
        M::from_item(out.attributes.unwrap_or_default())
    }

    /// Reads one item (eventually consistent).
    pub async fn get<M: Model>(&self, key: &Key) -> Result<Option<M>> {
        self.get_item::<M>(key, false, None)
            .await?
            .map(M::from_item)
            .transpose()
    }

    /// Reads one item with a strongly consistent read.
    pub async fn get_consistent<M: Model>(&self, key: &Key) -> Result<Option<M>> {
        self.get_item::<M>(key, true, None)
            .await?
            .map(M::from_item)
            .transpose()
    }

    /// Reads some fields of one item ([`Projection`]), with a `ProjectionExpression`.
    pub async fn get_projected<P: Projection>(&self, key: &Key) -> Result<Option<P>> {
        let paths = P::paths();
        self.get_item::<P::Model>(key, false, Some(&paths))
            .await?
            .map(crate::projection::decode::<P>)
            .transpose()
    }

    pub(crate) async fn get_item<M: Model>(
        &self,
        key: &Key,
        consistent: bool,
        projection: Option<&[crate::expr::Path]>,
    ) -> Result<Option<Item>> {
        let mut ph = Placeholders::default();
        let projection = projection.map(|paths| self.projection::<M>(paths, None, &mut ph));
        let out = call::call("GetItem", &self.name, ph, |r| {
            self.client
                .get_item()
                .table_name(&*self.name)
                .set_key(Some(self.key_item(key)))
                .consistent_read(consistent)
                .set_projection_expression(projection)
                .set_expression_attribute_names(r.names)
                .return_consumed_capacity(r.capacity)
                .send()
        })
        .await?;
        Ok(out.item.filter(Self::is_live::<M>))
    }

    /// A `ProjectionExpression` of `paths`, with what dynamodel needs besides: the key attributes
    /// of `index` (so a page can hand out a cursor), the entity tag (so reads check it) and the
    /// TTL attribute (so expired items are hidden).
    pub(crate) fn projection<M: Model>(
        &self,
        paths: &[crate::expr::Path],
        index: Option<&str>,
        ph: &mut Placeholders,
    ) -> String {
        let mut parts: Vec<String> = paths.iter().map(|p| ph.path(p)).collect();
        let extra = self
            .spec
            .position_keys(index)
            .into_iter()
            .map(|k| k.name)
            .chain(M::ENTITY_ATTRIBUTE)
            .chain(M::TTL_ATTRIBUTE);
        for name in extra {
            let placeholder = ph.name(name);
            if !parts.contains(&placeholder) {
                parts.push(placeholder);
            }
        }
        parts.join(", ")
    }

    /// Applies transforms, validation, version and timestamps, and returns the item and the condition
    /// the put needs. The model keeps its new version and timestamps.
    pub(crate) fn prepare_put<M: Model>(
        &self,
        model: &mut M,
        mode: PutMode,
    ) -> Result<(Item, Option<Condition>, u64)> {
        model.before_save();
        model.validate().map_err(Error::Validation)?;
        let previous = model.version();
        let now = OffsetDateTime::now_utc();
        let creating = matches!(mode, PutMode::Create);
        if creating && M::CREATED_AT_ATTRIBUTE.is_some() {
            model.set_created_at(now);
        }
        if M::UPDATED_AT_ATTRIBUTE.is_some() {
            model.set_updated_at(now);
        }
        let condition = match (mode, M::VERSION_ATTRIBUTE) {
            (PutMode::Create, _) => {
                if M::VERSION_ATTRIBUTE.is_some() {
                    model.set_version(1);
                }
                Some(self.pk_path().not_exists())
            }
            (PutMode::Replace, Some(version)) => {
                model.set_version(previous + 1);
                Some(attr(version).eq(previous))
            }
            (PutMode::Replace, None) => Some(self.pk_path().exists()),
            (PutMode::Upsert, version) => {
                if version.is_some() {
                    model.set_version(previous + 1);
                }
                None
            }
            (PutMode::If(condition), version) => {
                if version.is_some() {
                    model.set_version(previous + 1);
                }
                Some(condition)
            }
        };
        Ok((self.to_item(model)?, condition, previous))
    }

    /// Stores a new item; [`Error::AlreadyExists`] when the key is taken.
    pub async fn create<M: Model>(&self, model: &mut M) -> Result<()> {
        self.put(model, PutMode::Create).await
    }

    /// Replaces the stored item at the model's current version; [`Error::VersionMismatch`] when it moved.
    pub async fn replace<M: Model>(&self, model: &mut M) -> Result<()> {
        self.put(model, PutMode::Replace).await
    }

    /// Writes the model. On success it holds its new version and timestamps; on failure its version is
    /// what it was before.
    pub async fn put<M: Model>(&self, model: &mut M, mode: PutMode) -> Result<()> {
        let creating = matches!(mode, PutMode::Create);
        let versioned_replace = matches!(mode, PutMode::Replace) && M::VERSION_ATTRIBUTE.is_some();
        let (item, condition, previous) = self.prepare_put(model, mode)?;
        let mut ph = Placeholders::default();
        let expression = condition.as_ref().map(|c| ph.render(c));
        let result = call::call("PutItem", &self.name, ph, |r| {
            self.client
                .put_item()
                .table_name(&*self.name)
                .set_item(Some(item))
                .set_condition_expression(expression)
                .set_expression_attribute_names(r.names)
                .set_expression_attribute_values(r.values)
                .return_consumed_capacity(r.capacity)
                .send()
        })
        .await;
        let Err(err) = result else {
            return Ok(());
        };
        model.set_version(previous);
        if !err.is_conditional_check_failed() {
            return Err(err);
        }
        let source = Box::new(err);
        Err(if creating {
            Error::AlreadyExists {
                entity: M::ENTITY,
                source,
            }
        } else if versioned_replace {
            Error::VersionMismatch {
                entity: M::ENTITY,
                expected: previous,
                source,
            }
        } else {
            Error::ConditionFailed {
                operation: "PutItem",
                source,
            }
        })
    }

    /// Deletes an item and returns what was stored (`None` when nothing was).
    ///
    /// With `expected_version`, the delete happens only at that version ([`Error::VersionMismatch`]
    /// otherwise, also when the item is gone).
    pub async fn delete<M: Model>(
        &self,
        key: &Key,
        expected_version: Option<u64>,
    ) -> Result<Option<M>> {
        let condition = match (expected_version, M::VERSION_ATTRIBUTE) {
            (Some(v), Some(version)) => Some(attr(version).eq(v)),
            (Some(_), None) => Some(self.pk_path().exists()),
            (None, _) => None,
        };
        let mut ph = Placeholders::default();
        let expression = condition.as_ref().map(|c| ph.render(c));
        let out = call::call("DeleteItem", &self.name, ph, |r| {
            self.client
                .delete_item()
                .table_name(&*self.name)
                .set_key(Some(self.key_item(key)))
                .set_condition_expression(expression)
                .set_expression_attribute_names(r.names)
                .set_expression_attribute_values(r.values)
                .return_values(ReturnValue::AllOld)
                .return_consumed_capacity(r.capacity)
                .send()
        })
        .await
        .map_err(|e| match expected_version {
            Some(expected) if e.is_conditional_check_failed() => Error::VersionMismatch {
                entity: M::ENTITY,
                expected,
                source: Box::new(e),
            },
            _ => e,
        })?;
        out.attributes.map(M::from_item).transpose()
    }

    /// The key condition, filter and projection of a query, rendered.
    fn plan_query(
        &self,
        query: &Query,
        live: Option<Condition>,
        projection: Option<&dyn Fn(&mut Placeholders) -> String>,
    ) -> Result<QueryPlan> {
        let (pk_attr, sk_attr) = match &query.index {
            Some(name) => {
                let ix = self
                    .spec
                    .index(name)
                    .ok_or_else(|| Error::UnknownIndex(name.clone()))?;
                (
                    ix.partition_key.name.as_str(),
                    ix.sort_key.as_ref().map(|k| k.name.as_str()),
                )
            }
            None => (
                self.spec.partition_key.name.as_str(),
                self.spec.sort_key.as_ref().map(|k| k.name.as_str()),
            ),
        };
        let mut ph = Placeholders::default();
        let mut key_condition = ph.render(&attr(pk_attr).eq(query.partition.clone()));
        if let (Some(sort), Some(sk)) = (&query.sort, sk_attr) {
            let sk = attr(sk);
            let cond = match sort.clone() {
                SortCondition::Eq(v) => sk.eq(v),
                SortCondition::Lt(v) => sk.lt(v),
                SortCondition::Le(v) => sk.le(v),
                SortCondition::Gt(v) => sk.gt(v),
                SortCondition::Ge(v) => sk.ge(v),
                SortCondition::Between(lo, hi) => sk.between(lo, hi),
                SortCondition::BeginsWith(v) => sk.begins_with(v),
            };
            key_condition = format!("{key_condition} AND {}", ph.render(&cond));
        }
        let filter = match (query.filter.clone(), live) {
            (Some(f), Some(live)) => Some(f.and(live)),
            (f, live) => f.or(live),
        };
        let filter = filter.as_ref().map(|f| ph.render(f));
        let projection = projection.map(|p| p(&mut ph));
        Ok(QueryPlan {
            key_condition,
            filter,
            projection,
            placeholders: ph,
        })
    }

    /// One page of a query, of one model or of a union of entities (`#[derive(Entities)]`).
    /// Filters are applied by DynamoDB; the page is filled to the limit across several reads (at
    /// most ten per call), and `next` is set only when more items may follow.
    pub async fn query<T: FromItem>(&self, query: &Query) -> Result<Page<T>> {
        let plan = self.plan_query(query, T::live_filter(), None)?;
        let (raw, next) = self.read_query(query, plan).await?;
        let items = raw
            .into_iter()
            .filter(T::is_live)
            .map(T::from_item)
            .collect::<Result<Vec<T>>>()?;
        Ok(Page { items, next })
    }

    /// One page of a query that reads only a [`Projection`]'s fields.
    pub async fn query_projected<P: Projection>(&self, query: &Query) -> Result<Page<P>> {
        let paths = P::paths();
        let index = query.index.clone();
        let project =
            |ph: &mut Placeholders| self.projection::<P::Model>(&paths, index.as_deref(), ph);
        let plan = self.plan_query(query, Self::live_filter::<P::Model>(), Some(&project))?;
        let (raw, next) = self.read_query(query, plan).await?;
        let items = raw
            .into_iter()
            .map(crate::projection::decode::<P>)
            .collect::<Result<Vec<P>>>()?;
        Ok(Page { items, next })
    }

    /// How many items a query matches (after its filter, expired items left out), counted by
    /// DynamoDB (`Select=COUNT`, no item is sent back) across every page. The query's limit and
    /// cursor are ignored. Costs the read capacity of every item the key condition reaches.
    pub async fn count<M: Model>(&self, query: &Query) -> Result<u64> {
        let plan = self.plan_query(query, Self::live_filter::<M>(), None)?;
        count_pages(async |start| {
            let out = call::call("Query", &self.name, plan.placeholders.clone(), |r| {
                self.client
                    .query()
                    .table_name(&*self.name)
                    .set_index_name(query.index.clone())
                    .key_condition_expression(&plan.key_condition)
                    .set_filter_expression(plan.filter.clone())
                    .set_expression_attribute_names(r.names)
                    .set_expression_attribute_values(r.values)
                    .set_exclusive_start_key(start)
                    .consistent_read(query.consistent)
                    .select(Select::Count)
                    .return_consumed_capacity(r.capacity)
                    .send()
            })
            .await?;
            Ok((out.count, out.last_evaluated_key))
        })
        .await
    }

    /// Reads a query's raw items, up to its limit, and the cursor after them.
    async fn read_query(
        &self,
        query: &Query,
        plan: QueryPlan,
    ) -> Result<(Vec<Item>, Option<Cursor>)> {
        let positions = self.spec.position_keys(query.index.as_deref());
        let sealing = self.sealing(query.binding());
        let partition = Some((
            self.partition_attribute(query.index.as_deref())?,
            &query.partition,
        ));
        let mut start = query
            .cursor
            .as_ref()
            .map(|c| sealing.open(c, &positions, partition, unix_now()))
            .transpose()?;

        let limit = query.limit;
        let mut raw: Vec<Item> = Vec::with_capacity(limit + 1);
        let mut next = None;
        for read in 1..=MAX_PAGES_PER_CALL {
            let want = limit + 1 - raw.len();
            // A filter drops items after they are read: read more per call so a selective filter
            // does not cost one round trip per item.
            let read_limit = if plan.filter.is_some() {
                want.max(100)
            } else {
                want
            };
            let out = call::call("Query", &self.name, plan.placeholders.clone(), |r| {
                self.client
                    .query()
                    .table_name(&*self.name)
                    .set_index_name(query.index.clone())
                    .key_condition_expression(&plan.key_condition)
                    .set_filter_expression(plan.filter.clone())
                    .set_projection_expression(plan.projection.clone())
                    .set_expression_attribute_names(r.names)
                    .set_expression_attribute_values(r.values)
                    .set_exclusive_start_key(start.take())
                    .scan_index_forward(query.ascending)
                    .consistent_read(query.consistent)
                    .limit(i32::try_from(read_limit).unwrap_or(i32::MAX))
                    .return_consumed_capacity(r.capacity)
                    .send()
            })
            .await
            .map_err(|e| client_cursor_rejected(e, read == 1 && query.cursor.is_some()))?;
            let last = out.last_evaluated_key;
            for item in out.items.unwrap_or_default() {
                raw.push(item);
                if raw.len() > limit {
                    break;
                }
            }
            if raw.len() > limit {
                raw.truncate(limit);
                next = Some(sealing.cursor(&raw[limit - 1], &positions, unix_now())?);
                break;
            }
            match last {
                None => break,
                Some(key) if read == MAX_PAGES_PER_CALL => {
                    next = Some(sealing.cursor(&key, &positions, unix_now())?);
                }
                Some(key) => start = Some(key),
            }
        }
        Ok((raw, next))
    }

    /// The partition key attribute of `index` (or the table).
    fn partition_attribute(&self, index: Option<&str>) -> Result<&str> {
        match index {
            Some(name) => self
                .spec
                .index(name)
                .map(|ix| ix.partition_key.name.as_str())
                .ok_or_else(|| Error::UnknownIndex(name.to_owned())),
            None => Ok(self.spec.partition_key.name.as_str()),
        }
    }

    /// Starts a transaction.
    pub fn transact(&self) -> TransactWrite<'_> {
        TransactWrite::new(self)
    }
}
