//! The people service: create, get, replace, delete and list, with email uniqueness enforced by
//! DynamoDB transactions. Knows nothing of HTTP.

use dynamodel::expr::{ToAttr, attr};
use dynamodel::{Condition, Cursor, Model, Patch, Query, SortCondition, Table, ValidationErrors};
use time::OffsetDateTime;

use crate::model::{
    EmailClaim, LIST_INDEX, LIST_PARTITION, NAME_SEARCH_ATTRIBUTE, Person, PersonId, PersonPatch,
};

/// How often a write without a precondition is retried when another write got in between its read
/// and its write.
const WRITE_ATTEMPTS: usize = 3;

/// The fields a client may write.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PersonInput {
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Phone, optional.
    pub phone: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
}

/// A request's precondition on the stored version.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Precondition {
    /// None given.
    #[default]
    None,
    /// `If-Match`: the stored version must be one of these (`None` = `*`, any stored version).
    IfMatch(Option<Vec<u64>>),
    /// `If-None-Match: *`: nothing may be stored.
    IfNoneMatchAny,
}

impl Precondition {
    fn allows(&self, stored: Option<u64>) -> bool {
        match (self, stored) {
            (Precondition::None, _) => true,
            (Precondition::IfMatch(_), None) => false,
            (Precondition::IfMatch(None), Some(_)) => true,
            (Precondition::IfMatch(Some(versions)), Some(v)) => versions.contains(&v),
            (Precondition::IfNoneMatchAny, stored) => stored.is_none(),
        }
    }
}

/// Filters and paging for [`PeopleService::list`].
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Page size, 1–100.
    pub limit: usize,
    /// Where to continue.
    pub cursor: Option<Cursor>,
    /// Only people with this (normalised) tag.
    pub tag: Option<String>,
    /// Only people whose name starts with this, ignoring case.
    pub name_prefix: Option<String>,
    /// Only the person with this (normalised) email.
    pub email: Option<String>,
}

/// One page of people, newest first.
#[derive(Debug, Clone)]
pub struct PeoplePage {
    /// The people.
    pub items: Vec<Person>,
    /// The cursor of the next page.
    pub next: Option<Cursor>,
}

/// What a service call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No person has this id.
    #[error("person not found")]
    NotFound,
    /// Another person holds the email.
    #[error("email already in use")]
    EmailTaken,
    /// `If-Match` / `If-None-Match` did not hold.
    #[error("precondition failed")]
    PreconditionFailed,
    /// Other writes kept winning the race; the client may retry.
    #[error("the person was modified concurrently")]
    Conflict,
    /// The input broke a rule.
    #[error("invalid input: {0}")]
    Validation(ValidationErrors),
    /// The cursor was not one this listing handed out.
    #[error("invalid cursor")]
    InvalidCursor,
    /// DynamoDB failed.
    #[error("storage failed")]
    Store(#[source] dynamodel::Error),
}

impl From<dynamodel::Error> for ServiceError {
    fn from(err: dynamodel::Error) -> Self {
        match err {
            dynamodel::Error::Validation(errors) => ServiceError::Validation(errors),
            dynamodel::Error::InvalidCursor(_) => ServiceError::InvalidCursor,
            other => ServiceError::Store(other),
        }
    }
}

/// The people service.
#[derive(Debug, Clone)]
pub struct PeopleService {
    table: Table,
}

/// Transaction positions, to map cancellation reasons back to their meaning.
const TX_PERSON: usize = 0;

/// What a failed write of a person (at its stored version, with or without an email-claim move)
/// means for the caller: `None` to read again and retry, or the error to return.
fn write_failure(err: dynamodel::Error, precondition: &Precondition) -> Option<ServiceError> {
    let stale = err.failed_conditions().contains(&TX_PERSON)
        || matches!(err, dynamodel::Error::VersionMismatch { .. });
    if stale {
        // Another write got in between our read and our write: with a precondition the client's
        // view is stale; without one, decide again on a fresh read.
        return (precondition != &Precondition::None).then_some(ServiceError::PreconditionFailed);
    }
    if err.is_conditional_check_failed() {
        return Some(ServiceError::EmailTaken);
    }
    if err.is_transaction_conflict() {
        return None;
    }
    Some(err.into())
}

impl PeopleService {
    /// A service over `table`.
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// The table.
    pub fn table(&self) -> &Table {
        &self.table
    }

    fn draft(id: PersonId, input: PersonInput, created_at: OffsetDateTime, version: u64) -> Person {
        Person {
            id,
            name: input.name,
            email: input.email,
            phone: input.phone,
            tags: input.tags,
            created_at,
            updated_at: created_at,
            version,
        }
    }

    /// A draft that passed the model's transforms and rules: for writes that read first, so bad input
    /// costs no DynamoDB call.
    fn validated(id: PersonId, input: PersonInput) -> Result<Person, ServiceError> {
        let mut person = Self::draft(id, input, OffsetDateTime::now_utc(), 0);
        person.before_save();
        Model::validate(&person).map_err(ServiceError::Validation)?;
        Ok(person)
    }

    /// Creates a person with a new id.
    pub async fn create(&self, input: PersonInput) -> Result<Person, ServiceError> {
        // The write validates the model itself; there is no read to save here.
        self.insert(Self::draft(
            PersonId::generate(),
            input,
            OffsetDateTime::now_utc(),
            0,
        ))
        .await
    }

    async fn insert(&self, mut person: Person) -> Result<Person, ServiceError> {
        // The claim's key is the normalised email: transform first (the write validates).
        person.before_save();
        let mut claim = EmailClaim {
            email: person.email.clone(),
            person_id: person.id,
        };
        let result = self
            .table
            .transact()
            .create(&mut person)?
            .create(&mut claim)?
            .send()
            .await;
        match result {
            Ok(()) => Ok(person),
            Err(e) if e.failed_conditions() == [TX_PERSON] => Err(ServiceError::Conflict),
            Err(e) if e.is_conditional_check_failed() => Err(ServiceError::EmailTaken),
            Err(e) => Err(e.into()),
        }
    }

    /// Reads a person (strongly consistent).
    pub async fn get(&self, id: &PersonId) -> Result<Person, ServiceError> {
        self.table
            .get_consistent::<Person>(&id.key())
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// Replaces a person, or creates one with this id. Returns the stored person and whether it was
    /// created.
    pub async fn replace(
        &self,
        id: PersonId,
        input: PersonInput,
        precondition: &Precondition,
    ) -> Result<(Person, bool), ServiceError> {
        let draft = Self::validated(id, input)?;
        for _ in 0..WRITE_ATTEMPTS {
            let current = self.table.get_consistent::<Person>(&id.key()).await?;
            if !precondition.allows(current.as_ref().map(|p| p.version)) {
                return Err(ServiceError::PreconditionFailed);
            }
            let Some(current) = current else {
                match self.insert(draft.clone()).await {
                    // Someone created this id since the read: decide again against what they stored.
                    Err(ServiceError::Conflict) => continue,
                    other => return other.map(|p| (p, true)),
                }
            };
            let mut person = Person {
                created_at: current.created_at,
                version: current.version,
                ..draft.clone()
            };
            let mut tx = self.table.transact().replace(&mut person)?;
            if person.email != current.email {
                let mut claim = EmailClaim {
                    email: person.email.clone(),
                    person_id: id,
                };
                tx = tx
                    .delete(
                        &EmailClaim::key_for(&current.email),
                        Some(EmailClaim::fields().person_id.eq(id)),
                    )
                    .create(&mut claim)?;
            }
            match tx.send().await {
                Ok(()) => return Ok((person, false)),
                Err(e) => {
                    if let Some(err) = write_failure(e, precondition) {
                        return Err(err);
                    }
                }
            }
        }
        Err(ServiceError::Conflict)
    }

    /// Applies a partial update (JSON merge patch semantics): only the fields in the patch change, and
    /// an email change moves the email claim in the same transaction.
    pub async fn patch(
        &self,
        id: PersonId,
        patch: &PersonPatch,
        precondition: &Precondition,
    ) -> Result<Person, ServiceError> {
        for _ in 0..WRITE_ATTEMPTS {
            let current = self.table.get_consistent::<Person>(&id.key()).await?;
            if !precondition.allows(current.as_ref().map(|p| p.version)) {
                return Err(match current {
                    None => ServiceError::NotFound,
                    Some(_) => ServiceError::PreconditionFailed,
                });
            }
            let Some(current) = current else {
                return Err(ServiceError::NotFound);
            };
            if patch.is_empty() {
                return Ok(current);
            }
            let mut next = current.clone();
            patch.apply(&mut next);
            next.before_save();
            Model::validate(&next).map_err(ServiceError::Validation)?;
            // The stored values are the normalised ones, for exactly the fields the patch names.
            let normalised = PersonPatch {
                name: patch.name.as_ref().map(|_| next.name.clone()),
                email: patch.email.as_ref().map(|_| next.email.clone()),
                phone: patch.phone.as_ref().map(|_| next.phone.clone()),
                tags: patch.tags.as_ref().map(|_| next.tags.clone()),
            };
            let update = normalised.to_update().set_derived(&next);
            let result = if next.email == current.email {
                self.table
                    .update::<Person>(&id.key(), update, Some(current.version), None)
                    .await
                    .map(Some)
            } else {
                let mut claim = EmailClaim {
                    email: next.email.clone(),
                    person_id: id,
                };
                let tx = self
                    .table
                    .transact()
                    .update::<Person>(&id.key(), update, Some(current.version), None)
                    .delete(
                        &EmailClaim::key_for(&current.email),
                        Some(EmailClaim::fields().person_id.eq(id)),
                    )
                    .create(&mut claim)?;
                tx.send().await.map(|()| None)
            };
            match result {
                Ok(Some(stored)) => return Ok(stored),
                Ok(None) => return self.get(&id).await,
                Err(e) => {
                    if let Some(err) = write_failure(e, precondition) {
                        return Err(err);
                    }
                }
            }
        }
        Err(ServiceError::Conflict)
    }

    /// Deletes a person and releases their email.
    pub async fn delete(
        &self,
        id: PersonId,
        precondition: &Precondition,
    ) -> Result<(), ServiceError> {
        for _ in 0..WRITE_ATTEMPTS {
            let Some(current) = self.table.get_consistent::<Person>(&id.key()).await? else {
                return Err(ServiceError::NotFound);
            };
            if !precondition.allows(Some(current.version)) {
                return Err(ServiceError::PreconditionFailed);
            }
            let result = self
                .table
                .transact()
                .delete_versioned::<Person>(&id.key(), current.version)
                .delete(
                    &EmailClaim::key_for(&current.email),
                    Some(EmailClaim::fields().person_id.eq(id)),
                )
                .send()
                .await;
            match result {
                Ok(()) => return Ok(()),
                Err(e) if e.is_conditional_check_failed() || e.is_transaction_conflict() => {
                    if precondition != &Precondition::None {
                        return Err(ServiceError::PreconditionFailed);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict)
    }

    /// Lists people newest first, filtered, one page at a time. Always a Query, never a Scan.
    pub async fn list(&self, query: ListQuery) -> Result<PeoplePage, ServiceError> {
        if let Some(email) = &query.email {
            return self.find_by_email(email, &query).await;
        }
        let filter = Condition::all(
            query
                .tag
                .iter()
                .map(|t| Person::fields().tags.contains(t.as_str()))
                .chain(
                    query
                        .name_prefix
                        .iter()
                        .map(|p| attr(NAME_SEARCH_ATTRIBUTE).begins_with(p.to_lowercase())),
                ),
        );
        let page = self
            .table
            .query::<Person>(
                &Query::index(LIST_INDEX, LIST_PARTITION)
                    .descending()
                    .filter(filter)
                    .limit(query.limit)
                    .after(query.cursor),
            )
            .await?;
        Ok(PeoplePage {
            items: page.items,
            next: page.next,
        })
    }

    /// The email claim names the one person who can match; the other filters apply to that person.
    async fn find_by_email(
        &self,
        email: &str,
        query: &ListQuery,
    ) -> Result<PeoplePage, ServiceError> {
        if query.cursor.is_some() {
            // An email matches at most one person, so every cursor is past the end.
            return Err(ServiceError::InvalidCursor);
        }
        let claim_key = EmailClaim::key_for(email);
        let claims = self
            .table
            .query::<EmailClaim>(
                &Query::table(claim_key.pk)
                    .sort(SortCondition::Eq(
                        claim_key.sk.unwrap_or_default().to_attr(),
                    ))
                    .limit(1),
            )
            .await?;
        let mut items = Vec::new();
        if let Some(claim) = claims.items.into_iter().next() {
            let key = claim.person_id.key();
            let people = self
                .table
                .query::<Person>(
                    &Query::table(key.pk)
                        .sort(SortCondition::Eq(key.sk.unwrap_or_default().to_attr()))
                        .limit(1)
                        .consistent(),
                )
                .await?;
            items.extend(people.items.into_iter().filter(|p| {
                query.tag.as_ref().is_none_or(|t| p.tags.contains(t))
                    && query.name_prefix.as_ref().is_none_or(|prefix| {
                        p.name.to_lowercase().starts_with(&prefix.to_lowercase())
                    })
            }));
        }
        Ok(PeoplePage { items, next: None })
    }
}
