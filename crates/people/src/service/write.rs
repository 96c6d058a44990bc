//! Writes: create, replace, patch and delete. Each writes the person and its email claim in one
//! transaction, and each is a read-decide-write attempt run by [`with_retries`].

use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use dynamodel::{Condition, Model, Patch, TransactWrite};
use time::OffsetDateTime;

use super::{Actor, PeopleService, PersonInput, Precondition, ServiceError};
use crate::model::{EmailClaim, OwnerClaim, Person, PersonId, PersonPatch};

/// How many times a write is attempted when another write got in between its read and its write,
/// or DynamoDB cancelled its transaction for a concurrent one.
const WRITE_ATTEMPTS: u32 = 3;

/// Transaction positions, to map cancellation reasons back to their meaning: every write of a
/// person has it first and its email claim second; a create by a caller limited to its own person
/// claims the owner third.
const TX_PERSON: usize = 0;
const TX_EMAIL: usize = 1;
const TX_OWNER: usize = 2;

/// Runs `attempt` until it returns a value: `Ok(None)` means "lost a race, decide again on a fresh
/// read". After [`WRITE_ATTEMPTS`] lost races the answer is [`ServiceError::Conflict`]. Retries
/// wait a short random time, so writers that collided do not collide again in lockstep.
async fn with_retries<T, F, Fut>(mut attempt: F) -> Result<T, ServiceError>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<Option<T>, ServiceError>>,
{
    for n in 0..WRITE_ATTEMPTS {
        if n > 0 {
            let ceiling_ms = 10u64 << n;
            let jitter = RandomState::new().hash_one(n) % ceiling_ms;
            tokio::time::sleep(Duration::from_millis(jitter)).await;
        }
        if let Some(done) = attempt(n).await? {
            return Ok(done);
        }
    }
    Err(ServiceError::Conflict)
}

/// `tx` with the caller's client request token for `attempt`, when it has one.
fn with_token<'t>(tx: TransactWrite<'t>, actor: &Actor, attempt: u32) -> TransactWrite<'t> {
    match actor.request_token(attempt) {
        Some(token) => tx.client_request_token(token),
        None => tx,
    }
}

/// The condition that the email claim still belongs to `id`.
fn held_by(id: PersonId) -> Option<Condition> {
    Some(EmailClaim::fields().person_id.eq(id))
}

/// Adds to `tx` the move of `id`'s email claim from `from` to `to`: the old claim is released only
/// if `id` still holds it, and the new one is created only if nobody holds it. Nothing when the
/// email does not change.
fn move_email_claim<'t>(
    tx: TransactWrite<'t>,
    id: PersonId,
    from: &str,
    to: &str,
) -> Result<TransactWrite<'t>, dynamodel::Error> {
    if from == to {
        return Ok(tx);
    }
    let mut claim = EmailClaim {
        email: to.to_owned(),
        person_id: id,
    };
    tx.delete(&EmailClaim::key_for(from), held_by(id))
        .create(&mut claim)
}

/// True when the write failed because the person is no longer at the version it was read at.
fn is_stale(err: &dynamodel::Error) -> bool {
    err.failed_conditions().contains(&TX_PERSON)
        || matches!(err, dynamodel::Error::VersionMismatch { .. })
}

/// What a failed write of a person (at its stored version, with or without an email-claim move)
/// means for the caller: `Ok(None)` to read again and retry, or the error to return.
fn write_failure<T>(
    err: dynamodel::Error,
    precondition: &Precondition,
) -> Result<Option<T>, ServiceError> {
    if is_stale(&err) {
        // Another write got in between our read and our write: with a precondition the client's
        // view is stale; without one, decide again on a fresh read.
        return match precondition {
            Precondition::None => Ok(None),
            _ => Err(ServiceError::PreconditionFailed),
        };
    }
    if err.is_conditional_check_failed() {
        return Err(ServiceError::EmailTaken);
    }
    if err.is_transaction_conflict() {
        return Ok(None);
    }
    Err(err.into())
}

impl PeopleService {
    fn draft(id: PersonId, input: PersonInput, actor: &Actor) -> Person {
        let now = OffsetDateTime::now_utc();
        Person {
            id,
            name: input.name,
            email: input.email,
            phone: input.phone,
            tags: input.tags,
            created_at: now,
            updated_at: now,
            version: 0,
            owner: actor.subject().map(str::to_owned),
        }
    }

    /// Creates a person with a new id, owned by the caller.
    pub async fn create(&self, input: PersonInput, actor: &Actor) -> Result<Person, ServiceError> {
        // The write validates the model itself; there is no read to save here.
        let draft = Self::draft(PersonId::generate(), input, actor);
        with_retries(|n| self.insert(draft.clone(), actor, n)).await
    }

    /// Writes a new person and claims its email in one transaction, and for a caller limited to its
    /// own person, the owner too. `Ok(None)` when the id was taken meanwhile or DynamoDB cancelled
    /// the transaction for a concurrent one.
    async fn insert(
        &self,
        mut person: Person,
        actor: &Actor,
        attempt: u32,
    ) -> Result<Option<Person>, ServiceError> {
        // The claim's key is the normalised email: transform first (the write validates).
        person.before_save();
        let mut email = EmailClaim {
            email: person.email.clone(),
            person_id: person.id,
        };
        let mut tx = self
            .table
            .transact()
            .create(&mut person)?
            .create(&mut email)?;
        if let (true, Some(owner)) = (actor.own_only, actor.subject()) {
            let mut claim = OwnerClaim {
                owner: owner.to_owned(),
                person_id: person.id,
            };
            tx = tx.create(&mut claim)?;
        }
        let failed = match with_token(tx, actor, attempt).send().await {
            Ok(()) => return Ok(Some(person)),
            Err(e) => e,
        };
        let conditions = failed.failed_conditions();
        if conditions.contains(&TX_OWNER) {
            return Err(self.owned_by(actor).await?);
        }
        if conditions.contains(&TX_EMAIL) {
            return Err(ServiceError::EmailTaken);
        }
        if conditions.contains(&TX_PERSON) || failed.is_transaction_conflict() {
            return Ok(None);
        }
        Err(failed.into())
    }

    /// The error for a caller that may own one person and already owns one.
    async fn owned_by(&self, actor: &Actor) -> Result<ServiceError, ServiceError> {
        let owner = actor.subject().unwrap_or_default();
        let claim = self
            .table
            .get_consistent::<OwnerClaim>(&OwnerClaim::key_for(owner))
            .await?;
        Ok(match claim {
            Some(claim) => ServiceError::OwnsAnother(claim.person_id),
            // Released meanwhile: the client may retry.
            None => ServiceError::Conflict,
        })
    }

    /// The stored person, read strongly consistent.
    async fn stored(&self, id: PersonId) -> Result<Option<Person>, ServiceError> {
        Ok(self.table.get_consistent::<Person>(&id.key()).await?)
    }

    /// Replaces a person, or creates one with this id. Returns the stored person and whether it was
    /// created.
    pub async fn replace(
        &self,
        id: PersonId,
        input: PersonInput,
        precondition: &Precondition,
        actor: &Actor,
    ) -> Result<(Person, bool), ServiceError> {
        // Validate before the read, so bad input costs no DynamoDB call.
        let mut draft = Self::draft(id, input, actor);
        draft.before_save();
        Model::validate(&draft).map_err(ServiceError::Validation)?;
        let draft = &draft;
        with_retries(|n| async move {
            let current = self.stored(id).await?;
            precondition.check(current.as_ref())?;
            let Some(current) = current else {
                return Ok(self
                    .insert(draft.clone(), actor, n)
                    .await?
                    .map(|p| (p, true)));
            };
            actor.check(&current)?;
            let mut person = Person {
                created_at: current.created_at,
                version: current.version,
                owner: current.owner.clone(),
                ..draft.clone()
            };
            let tx = self.table.transact().replace(&mut person)?;
            let tx = move_email_claim(tx, id, &current.email, &person.email)?;
            match with_token(tx, actor, n).send().await {
                Ok(()) => Ok(Some((person, false))),
                Err(e) => write_failure(e, precondition),
            }
        })
        .await
    }

    /// Applies a partial update (JSON merge patch semantics): only the fields in the patch change, and
    /// an email change moves the email claim in the same transaction.
    pub async fn patch(
        &self,
        id: PersonId,
        patch: &PersonPatch,
        precondition: &Precondition,
        actor: &Actor,
    ) -> Result<Person, ServiceError> {
        with_retries(|n| async move {
            let current = self.stored(id).await?.ok_or(ServiceError::NotFound)?;
            actor.check(&current)?;
            precondition.check(Some(&current))?;
            if patch.is_empty() {
                return Ok(Some(current));
            }
            // The model's transforms and validation, and the index keys and search copies that
            // depend on what changed: dynamodel plans it all from the stored person.
            let planned = self.table.plan_patch(&current, patch)?;
            if planned.is_noop() {
                return Ok(Some(current));
            }
            let next_email = planned.model.email.clone();
            let result = if next_email == current.email {
                self.table
                    .update::<Person>(&id.key(), planned.update, planned.options)
                    .await
                    .map(Some)
            } else {
                let tx = self.table.transact().patch::<Person>(&id.key(), planned);
                let tx = move_email_claim(tx, id, &current.email, &next_email)?;
                with_token(tx, actor, n).send().await.map(|()| None)
            };
            match result {
                Ok(Some(stored)) => Ok(Some(stored)),
                Ok(None) => self.get(&id, actor).await.map(Some),
                Err(e) => write_failure(e, precondition),
            }
        })
        .await
    }

    /// Deletes a person and releases their email, and the owner's claim when the person holds it.
    pub async fn delete(
        &self,
        id: PersonId,
        precondition: &Precondition,
        actor: &Actor,
    ) -> Result<(), ServiceError> {
        with_retries(|n| async move {
            let current = self.stored(id).await?.ok_or(ServiceError::NotFound)?;
            actor.check(&current)?;
            precondition.check(Some(&current))?;
            let mut tx = self
                .table
                .transact()
                .delete_versioned::<Person>(&id.key(), current.version)
                .delete(&EmailClaim::key_for(&current.email), held_by(id));
            if let Some(owner) = &current.owner {
                let key = OwnerClaim::key_for(owner);
                let claim = self.table.get_consistent::<OwnerClaim>(&key).await?;
                if claim.is_some_and(|c| c.person_id == id) {
                    tx = tx.delete(&key, Some(OwnerClaim::fields().person_id.eq(id)));
                }
            }
            let result = with_token(tx, actor, n).send().await;
            match result {
                Ok(()) => Ok(Some(())),
                // The claim is no longer this person's: another write moved it; decide again.
                Err(e) if e.is_conditional_check_failed() && !is_stale(&e) => Ok(None),
                Err(e) => write_failure(e, precondition),
            }
        })
        .await
    }
}
