//! One error type for every dynamodel operation.
//!
//! SDK failures keep their cause (the typed `SdkError`, boxed) and are classified once, when they are
//! wrapped, so callers ask predicates such as [`Error::is_throttled`] instead of matching SDK internals.

use std::fmt;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use crate::validation::ValidationErrors;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The result of a dynamodel operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The model failed its validation rules; nothing was written.
    #[error("validation failed: {0}")]
    Validation(ValidationErrors),

    /// A create found an item with the same key already stored.
    #[error("{entity} already exists")]
    AlreadyExists {
        /// The model's entity name.
        entity: &'static str,
        /// The SDK's conditional-check failure.
        #[source]
        source: BoxError,
    },

    /// A versioned write or delete found another version stored (or no item at all).
    #[error("{entity} is not at version {expected}")]
    VersionMismatch {
        /// The model's entity name.
        entity: &'static str,
        /// The version the write expected.
        expected: u64,
        /// The SDK's conditional-check failure.
        #[source]
        source: BoxError,
    },

    /// An item tagged as one entity was read as another model.
    #[error("expected a {expected} item, found a {found} item")]
    WrongEntity {
        /// The model's entity name.
        expected: &'static str,
        /// The entity the item is tagged with.
        found: String,
    },

    /// An item is tagged with an entity that no variant of the union reads (or, untagged, decodes
    /// as none of them: `found` is then empty).
    #[error("no entity of the union reads a {found:?} item")]
    UnknownEntity {
        /// The entity the item is tagged with.
        found: String,
    },

    /// An update found no item to update (nothing was written).
    #[error("{entity} not found")]
    NotFound {
        /// The model's entity name.
        entity: &'static str,
    },

    /// A caller-supplied condition did not hold.
    #[error("condition failed on {operation}")]
    ConditionFailed {
        /// The DynamoDB operation.
        operation: &'static str,
        /// The SDK's conditional-check failure.
        #[source]
        source: BoxError,
    },

    /// A transaction was cancelled; `reasons` has one entry per item, in request order.
    #[error("transaction cancelled: {}", CancelSummary(.reasons))]
    TransactionCanceled {
        /// Why each item was (or was not) the cause.
        reasons: Vec<CancellationReason>,
        /// The SDK error.
        #[source]
        source: BoxError,
    },

    /// A cursor could not be decoded or does not belong to this query.
    #[error("invalid cursor: {0}")]
    InvalidCursor(&'static str),

    /// A query named an index the table spec does not have.
    #[error("the table has no index {0}")]
    UnknownIndex(String),

    /// The table did not become active in time.
    #[error("table {0} did not become active")]
    TableNotActive(String),

    /// An item could not be converted to or from the model (the source is `serde_dynamo`'s error for
    /// writes, [`crate::de::DeError`] for reads; either may quote a stored value).
    #[error("item conversion failed")]
    Conversion(#[source] Box<dyn std::error::Error + Send + Sync>),

    /// Any other failure of a DynamoDB call.
    #[error("DynamoDB {operation} failed ({kind:?}{})", code.as_deref().map(|c| format!(": {c}")).unwrap_or_default())]
    Sdk {
        /// The DynamoDB operation.
        operation: &'static str,
        /// The classification behind the predicates.
        kind: SdkErrorKind,
        /// The service's error code, when the service answered.
        code: Option<String>,
        /// The typed SDK error.
        #[source]
        source: BoxError,
    },
}

/// How an SDK failure is classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SdkErrorKind {
    /// Throughput or request-rate limits: retry later.
    Throttled,
    /// The service could not be reached, timed out or failed internally: retry later.
    Unavailable,
    /// A conditional check failed.
    ConditionalCheckFailed,
    /// Another transaction touched the same item.
    TransactionConflict,
    /// The table or index does not exist.
    ResourceNotFound,
    /// The request was rejected as invalid.
    InvalidRequest,
    /// Anything else.
    Other,
}

/// One item's part in a cancelled transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancellationReason {
    /// The item's position in the request.
    pub index: usize,
    /// DynamoDB's code: `None`, `ConditionalCheckFailed`, `TransactionConflict`, `ThrottlingError`, ...
    pub code: String,
    /// DynamoDB's message, if any.
    pub message: Option<String>,
}

impl CancellationReason {
    /// True when this item's condition did not hold.
    pub fn is_conditional_check_failed(&self) -> bool {
        self.code == "ConditionalCheckFailed"
    }
}

struct CancelSummary<'a>(&'a [CancellationReason]);

impl fmt::Display for CancelSummary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for r in self.0.iter().filter(|r| r.code != "None") {
            if !first {
                f.write_str(", ")?;
            }
            write!(f, "item {}: {}", r.index, r.code)?;
            first = false;
        }
        Ok(())
    }
}

impl From<serde_dynamo::Error> for Error {
    fn from(e: serde_dynamo::Error) -> Self {
        Self::Conversion(Box::new(e))
    }
}

impl From<crate::de::DeError> for Error {
    fn from(e: crate::de::DeError) -> Self {
        Self::Conversion(Box::new(e))
    }
}

impl Error {
    /// True for any failed condition: create on an existing key, a stale version, a caller condition,
    /// or a transaction cancelled by a condition.
    pub fn is_conditional_check_failed(&self) -> bool {
        match self {
            Error::AlreadyExists { .. }
            | Error::VersionMismatch { .. }
            | Error::ConditionFailed { .. } => true,
            Error::TransactionCanceled { reasons, .. } => {
                reasons.iter().any(|r| r.is_conditional_check_failed())
            }
            Error::Sdk { kind, .. } => *kind == SdkErrorKind::ConditionalCheckFailed,
            _ => false,
        }
    }

    /// True when DynamoDB throttled the request (retry later, with backoff).
    pub fn is_throttled(&self) -> bool {
        match self {
            Error::Sdk { kind, .. } => *kind == SdkErrorKind::Throttled,
            Error::TransactionCanceled { reasons, .. } => reasons.iter().any(|r| {
                matches!(
                    r.code.as_str(),
                    "ThrottlingError" | "ProvisionedThroughputExceeded"
                )
            }),
            _ => false,
        }
    }

    /// True when DynamoDB could not be reached or failed on its side (retry later).
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Error::Sdk {
                kind: SdkErrorKind::Unavailable,
                ..
            }
        )
    }

    /// True when another transaction on the same items got in the way (retry).
    pub fn is_transaction_conflict(&self) -> bool {
        match self {
            Error::Sdk { kind, .. } => *kind == SdkErrorKind::TransactionConflict,
            Error::TransactionCanceled { reasons, .. } => {
                reasons.iter().any(|r| r.code == "TransactionConflict")
            }
            _ => false,
        }
    }

    /// For a cancelled transaction: the positions of the items whose condition failed.
    pub fn failed_conditions(&self) -> Vec<usize> {
        match self {
            Error::TransactionCanceled { reasons, .. } => reasons
                .iter()
                .filter(|r| r.is_conditional_check_failed())
                .map(|r| r.index)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Wraps an SDK error, classifying it.
    pub(crate) fn sdk<E, R>(operation: &'static str, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: fmt::Debug + Send + Sync + 'static,
    {
        let code = err.code().map(str::to_owned);
        let kind = match &err {
            SdkError::DispatchFailure(_)
            | SdkError::TimeoutError(_)
            | SdkError::ResponseError(_) => SdkErrorKind::Unavailable,
            _ => classify(code.as_deref()),
        };
        Error::Sdk {
            operation,
            kind,
            code,
            source: Box::new(err),
        }
    }
}

fn classify(code: Option<&str>) -> SdkErrorKind {
    match code {
        Some(
            "ProvisionedThroughputExceededException"
            | "ThrottlingException"
            | "RequestLimitExceeded"
            | "LimitExceededException",
        ) => SdkErrorKind::Throttled,
        Some("InternalServerError" | "ServiceUnavailable" | "InternalFailure") => {
            SdkErrorKind::Unavailable
        }
        Some("ConditionalCheckFailedException") => SdkErrorKind::ConditionalCheckFailed,
        // A transaction with the same client request token is still running: like a conflict, it
        // is over soon and the write decides again.
        Some("TransactionConflictException" | "TransactionInProgressException") => {
            SdkErrorKind::TransactionConflict
        }
        Some("ResourceNotFoundException") => SdkErrorKind::ResourceNotFound,
        Some("ValidationException" | "SerializationException") => SdkErrorKind::InvalidRequest,
        _ => SdkErrorKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_codes_are_throttled() {
        for code in [
            "ProvisionedThroughputExceededException",
            "ThrottlingException",
            "RequestLimitExceeded",
        ] {
            assert_eq!(classify(Some(code)), SdkErrorKind::Throttled, "{code}");
        }
        assert_eq!(
            classify(Some("ValidationException")),
            SdkErrorKind::InvalidRequest
        );
        assert_eq!(classify(None), SdkErrorKind::Other);
    }

    #[test]
    fn cancellation_predicates_look_at_each_item() {
        let err = Error::TransactionCanceled {
            reasons: vec![
                CancellationReason {
                    index: 0,
                    code: "None".into(),
                    message: None,
                },
                CancellationReason {
                    index: 1,
                    code: "ConditionalCheckFailed".into(),
                    message: None,
                },
            ],
            source: "cancelled".into(),
        };
        assert!(err.is_conditional_check_failed());
        assert!(!err.is_transaction_conflict());
        assert_eq!(err.failed_conditions(), vec![1]);
        assert_eq!(
            err.to_string(),
            "transaction cancelled: item 1: ConditionalCheckFailed"
        );
    }
}
