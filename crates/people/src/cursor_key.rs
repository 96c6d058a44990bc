//! The key that signs the list's cursors: where it comes from, and reading it once per process.
//!
//! Cursors are signed with HMAC-SHA256 and bound to their listing (see [`dynamodel::Cursor`]); only
//! the list function hands them out or reads them, so only it needs the key:
//!
//! - `CURSOR_KEY` (base64 of at least 32 bytes) is the key itself: `make dev` generates one per run.
//! - `CURSOR_SECRET_ARN` names a Secrets Manager secret whose string value's bytes are the key: the
//!   deployed stack generates one. It is read at the first listing that needs it, not at start
//!   (cold-start time is tracked), then kept for the life of the process; a failed read is not kept,
//!   so the next listing tries again. Only `people::list_edge`, behind the `secrets-manager`
//!   feature, can read it.
//! - Neither, with `AUTH=off`: a random key per process. Cursors then do not survive a restart (or
//!   reach another instance), which is fine for local development and throwaway stacks.
//! - Neither, with `AUTH=on`: listing fails (500, with the reason in the log) rather than hand out
//!   cursors anyone could forge. Checked at the first listing, so the other functions, which get no
//!   key, are not affected.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use dynamodel::CursorKey;
use tokio::sync::OnceCell;

/// An SDK error, shared: the error is returned to every listing that finds no key.
pub type SharedError = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// A read of the key from elsewhere (a secret).
pub type KeyRead = Pin<Box<dyn Future<Output = Result<CursorKey, CursorKeyError>> + Send>>;

/// The list function's cursor key, read once per process from where the configuration says.
#[derive(Clone)]
pub struct CursorKeys {
    inner: Arc<Inner>,
}

struct Inner {
    source: Source,
    key: OnceCell<CursorKey>,
}

enum Source {
    /// `CURSOR_KEY`.
    Fixed(CursorKey),
    /// A random key per process (`AUTH=off` without a configured key).
    Random,
    /// Read from elsewhere (a Secrets Manager secret). Behind a trait object, so that only a binary
    /// that constructs such a reader links its client: the others never name its type.
    Read(Box<dyn Fn() -> KeyRead + Send + Sync>),
    /// No key can be had: why.
    Unavailable(CursorKeyError),
}

/// Why there is no cursor key.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CursorKeyError {
    /// Neither `CURSOR_KEY` nor `CURSOR_SECRET_ARN` is set, and `AUTH=on`.
    #[error(
        "no cursor key: set CURSOR_SECRET_ARN (the deployed stack does) or CURSOR_KEY; with AUTH=on the list refuses to hand out cursors that are not signed"
    )]
    NotConfigured,
    /// `CURSOR_SECRET_ARN` is set, but this binary cannot read Secrets Manager.
    #[error(
        "CURSOR_SECRET_ARN is set, but this binary reads no secrets (the list function's edge is people::list_edge, with the secrets-manager feature)"
    )]
    SecretsUnsupported,
    /// Secrets Manager could not be reached, or was busy: the next listing tries again.
    #[error("reading the cursor key secret {secret} failed")]
    Unavailable {
        /// The secret's ARN.
        secret: String,
        /// The SDK's error.
        #[source]
        source: SharedError,
    },
    /// Secrets Manager refused the read (missing secret, no permission, ...).
    #[error("reading the cursor key secret {secret} was refused")]
    Refused {
        /// The secret's ARN.
        secret: String,
        /// The SDK's error.
        #[source]
        source: SharedError,
    },
    /// The secret holds no usable key.
    #[error("the cursor key secret {secret} is unusable: {reason}")]
    Unusable {
        /// The secret's ARN.
        secret: String,
        /// What is wrong with it (never its value).
        reason: String,
    },
    /// The operating system gave no randomness for a development key.
    #[error("no randomness for a development cursor key: {0}")]
    NoRandomness(String),
}

impl CursorKeyError {
    /// True when retrying later may succeed (Secrets Manager unreachable or busy): a 503, not a 500.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
}

impl CursorKeys {
    fn new(source: Source) -> Self {
        Self {
            inner: Arc::new(Inner {
                source,
                key: OnceCell::new(),
            }),
        }
    }

    /// Always `key`.
    pub fn fixed(key: CursorKey) -> Self {
        Self::new(Source::Fixed(key))
    }

    /// A random key, made at the first listing and kept for the process.
    pub fn random() -> Self {
        Self::new(Source::Random)
    }

    /// No key: every listing that needs one fails with `reason`.
    pub fn unavailable(reason: CursorKeyError) -> Self {
        Self::new(Source::Unavailable(reason))
    }

    /// The key `read` reads, at the first listing (again after a failure).
    pub fn read_with(read: impl Fn() -> KeyRead + Send + Sync + 'static) -> Self {
        Self::new(Source::Read(Box::new(read)))
    }

    /// The key in `secrets`' secret, read at the first listing.
    #[cfg(feature = "secrets-manager")]
    pub fn secret(secrets: crate::client::SecretsManager) -> Self {
        let secrets = Arc::new(secrets);
        Self::read_with(move || {
            let secrets = secrets.clone();
            Box::pin(async move { secrets.cursor_key().await })
        })
    }

    /// The key, read or made the first time and then kept.
    pub async fn key(&self) -> Result<CursorKey, CursorKeyError> {
        self.inner
            .key
            .get_or_try_init(|| self.load())
            .await
            .cloned()
    }

    async fn load(&self) -> Result<CursorKey, CursorKeyError> {
        match &self.inner.source {
            Source::Fixed(key) => Ok(key.clone()),
            Source::Random => {
                let mut bytes = [0u8; 32];
                getrandom::fill(&mut bytes)
                    .map_err(|e| CursorKeyError::NoRandomness(e.to_string()))?;
                Ok(CursorKey::new(&bytes).expect("32 bytes are enough"))
            }
            Source::Read(read) => read().await,
            Source::Unavailable(reason) => Err(reason.clone()),
        }
    }
}

impl fmt::Debug for CursorKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.inner.source {
            Source::Fixed(_) => "CURSOR_KEY",
            Source::Random => "random per process",
            Source::Read(_) => "read (a secret)",
            Source::Unavailable(_) => "unavailable",
        };
        f.debug_struct("CursorKeys")
            .field("source", &source)
            .field("loaded", &self.inner.key.initialized())
            .finish()
    }
}

/// The key in a secret's value: its string's bytes (or its binary), at least 32 of them.
#[cfg(any(test, feature = "secrets-manager"))]
pub(crate) fn key_from_secret(
    secret: &str,
    string: Option<&str>,
    binary: Option<&[u8]>,
) -> Result<CursorKey, CursorKeyError> {
    let unusable = |reason: String| CursorKeyError::Unusable {
        secret: secret.to_owned(),
        reason,
    };
    let bytes = match (string, binary) {
        (Some(s), _) => s.as_bytes(),
        (None, Some(b)) => b,
        (None, None) => return Err(unusable("it has no value".to_owned())),
    };
    CursorKey::new(bytes).map_err(|e| unusable(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn random_keys_are_made_once_per_process_and_missing_ones_fail_every_time() {
        let keys = CursorKeys::random();
        assert!(format!("{keys:?}").contains("loaded: false"));
        keys.key().await.unwrap();
        assert!(format!("{keys:?}").contains("loaded: true"));
        let missing = CursorKeys::unavailable(CursorKeyError::NotConfigured);
        for _ in 0..2 {
            let err = missing.key().await.unwrap_err();
            assert!(!err.is_transient());
            assert!(err.to_string().contains("CURSOR_SECRET_ARN"), "{err}");
        }
    }

    #[test]
    fn a_secret_needs_32_bytes_and_its_value_never_shows() {
        let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cursor";
        assert!(key_from_secret(arn, Some(&"k".repeat(64)), None).is_ok());
        assert!(key_from_secret(arn, None, Some(&[1; 32])).is_ok());
        let short = key_from_secret(arn, Some("hunter2"), None).unwrap_err();
        assert!(!short.to_string().contains("hunter2"), "{short}");
        assert!(short.to_string().contains("at least 32 bytes"), "{short}");
        assert!(key_from_secret(arn, None, None).is_err());
    }
}
