//! The people service: create, get, replace, patch, delete ([`write`]) and list ([`list`]), with
//! email uniqueness enforced by DynamoDB transactions. Knows nothing of HTTP.

mod idempotency;
mod list;
mod write;

pub use idempotency::{Claimed, KEEP_SECONDS};

use dynamodel::{Cursor, Table, ValidationErrors};

use crate::model::{Person, PersonId};

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
    /// `If-Match`: the stored person's entity tag must be one of these (`None` = `*`, any stored
    /// person).
    IfMatch(Option<Vec<String>>),
    /// `If-None-Match: *`: nothing may be stored.
    IfNoneMatchAny,
}

impl Precondition {
    /// `Ok` when a write may go ahead over `stored` (the stored person, if any).
    fn check(&self, stored: Option<&Person>) -> Result<(), ServiceError> {
        let allowed = match (self, stored) {
            (Precondition::None, _) => true,
            (Precondition::IfMatch(_), None) => false,
            (Precondition::IfMatch(None), Some(_)) => true,
            (Precondition::IfMatch(Some(tags)), Some(p)) => tags.contains(&p.entity_tag()),
            (Precondition::IfNoneMatchAny, stored) => stored.is_none(),
        };
        if allowed {
            Ok(())
        } else {
            Err(ServiceError::PreconditionFailed)
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

/// On whose behalf a service call runs: the caller's subject (recorded as the owner of what it
/// creates), and whether it may act on its own person only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    subject: Option<String>,
    own_only: bool,
    request_token: Option<String>,
}

impl Actor {
    /// An anonymous caller that may act on any person (no authorizer in front).
    pub fn anyone() -> Self {
        Self {
            subject: None,
            own_only: false,
            request_token: None,
        }
    }

    /// A verified caller that may act on any person.
    pub fn any_person(subject: String) -> Self {
        Self {
            subject: Some(subject),
            own_only: false,
            request_token: None,
        }
    }

    /// A verified caller that may create one person and act on it only.
    pub fn own_person(subject: String) -> Self {
        Self {
            subject: Some(subject),
            own_only: true,
            request_token: None,
        }
    }

    /// The same caller, whose transactions carry `token` (at most 32 characters) as DynamoDB's
    /// client request token: a transaction the SDK sends again after a lost answer is applied once.
    pub fn with_request_token(mut self, token: String) -> Self {
        self.request_token = Some(token);
        self
    }

    /// The client request token of a write's `attempt`: each attempt builds another transaction,
    /// and DynamoDB refuses one token for two different transactions.
    fn request_token(&self, attempt: u32) -> Option<String> {
        self.request_token
            .as_ref()
            .map(|t| format!("{t}-{attempt}"))
    }

    /// The caller's subject.
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }

    /// `Ok` when the caller may act on `person`.
    fn check(&self, person: &Person) -> Result<(), ServiceError> {
        if !self.own_only || (person.owner.is_some() && person.owner == self.subject) {
            Ok(())
        } else {
            Err(ServiceError::NotOwner)
        }
    }
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
    /// The caller may act on its own person only, and this is not it.
    #[error("the person belongs to someone else")]
    NotOwner,
    /// The caller may own one person and already does.
    #[error("the caller already owns person {0}")]
    OwnsAnother(PersonId),
    /// DynamoDB failed.
    #[error("storage failed")]
    Store(#[source] dynamodel::Error),
    /// The key that signs list cursors could not be had.
    #[error("no cursor key")]
    CursorKey(#[source] crate::cursor_key::CursorKeyError),
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
    /// Where listing gets its cursor key ([`PeopleService::with_cursor_keys`]); `None`: the table's.
    cursor_keys: Option<crate::cursor_key::CursorKeys>,
}

impl PeopleService {
    /// A service over `table`; listing signs cursors with the table's cursor key, if it has one.
    pub fn new(table: Table) -> Self {
        Self {
            table,
            cursor_keys: None,
        }
    }

    /// The table.
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// Reads a person (strongly consistent).
    pub async fn get(&self, id: &PersonId, actor: &Actor) -> Result<Person, ServiceError> {
        let person = self
            .table
            .get_consistent::<Person>(&id.key())
            .await?
            .ok_or(ServiceError::NotFound)?;
        actor.check(&person)?;
        Ok(person)
    }
}
