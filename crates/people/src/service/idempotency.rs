//! Idempotency records: the first request with a key claims it with a conditional put, runs, and
//! stores its answer; a retry with the same key and request gets that answer; the same key with
//! another request is refused. Records expire (DynamoDB TTL) a day after the first request.

use dynamodel::expr::attr;
use dynamodel::{Key, PutMode};
use time::OffsetDateTime;

use super::{PeopleService, ServiceError};
use crate::model::IdempotencyRecord;

/// How long a key is remembered, in seconds.
pub const KEEP_SECONDS: i64 = 24 * 60 * 60;
/// How long a first request may run before a retry may take its key over (the functions' Lambda
/// timeout is 10 s), in seconds.
const LOCK_SECONDS: i64 = 15;

/// What the claim of a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimed {
    /// The key is this request's: run it, then [`PeopleService::remember`] its answer.
    New,
    /// The same request ran before: its answer.
    Answered(IdempotencyRecord),
    /// The same request is running now.
    InProgress,
    /// The key was used for another request.
    Mismatch,
}

impl PeopleService {
    /// Claims `scope` for a request with `fingerprint`.
    pub async fn claim_key(&self, scope: &str, fingerprint: &str) -> Result<Claimed, ServiceError> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let mut record = IdempotencyRecord {
            scope: scope.to_owned(),
            fingerprint: fingerprint.to_owned(),
            locked_until: Some(now + LOCK_SECONDS),
            status: None,
            headers: Vec::new(),
            body: None,
            expires_at: Some(now + KEEP_SECONDS),
        };
        let key = IdempotencyRecord::key_for(scope);
        // Free: never used, expired but not yet removed by DynamoDB, or held by a request that died
        // before answering.
        let fields = IdempotencyRecord::fields();
        let free = attr("pk")
            .not_exists()
            .or(fields.expires_at.le(now))
            .or(fields.status.not_exists().and(fields.locked_until.le(now)));
        match self.table.put(&mut record, PutMode::If(free)).await {
            Ok(()) => return Ok(Claimed::New),
            Err(e) if e.is_conditional_check_failed() => {}
            Err(e) => return Err(e.into()),
        }
        let Some(stored) = self.table.get_consistent::<IdempotencyRecord>(&key).await? else {
            // Removed since: the client may retry at once.
            return Ok(Claimed::InProgress);
        };
        Ok(if stored.fingerprint != fingerprint {
            Claimed::Mismatch
        } else if stored.status.is_some() {
            Claimed::Answered(stored)
        } else {
            Claimed::InProgress
        })
    }

    /// Stores the answer to the request that claimed `scope`.
    pub async fn remember(
        &self,
        scope: &str,
        fingerprint: &str,
        status: u16,
        headers: Vec<(String, String)>,
        body: Option<String>,
    ) -> Result<(), ServiceError> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let mut record = IdempotencyRecord {
            scope: scope.to_owned(),
            fingerprint: fingerprint.to_owned(),
            locked_until: None,
            status: Some(status),
            headers,
            body,
            expires_at: Some(now + KEEP_SECONDS),
        };
        self.table.put(&mut record, PutMode::Upsert).await?;
        Ok(())
    }

    /// Releases `scope` after a request that could not answer (a 5xx), so a retry runs again.
    pub async fn release_key(&self, scope: &str) -> Result<(), ServiceError> {
        let key: Key = IdempotencyRecord::key_for(scope);
        self.table.delete::<IdempotencyRecord>(&key, None).await?;
        Ok(())
    }
}
