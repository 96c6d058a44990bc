//! Configuration from the environment, read once at start. Reads only; building the client and the
//! edge from it happens in the composition root ([`crate::edge`]).

use aws_sdk_dynamodb::config::{Credentials, Region};
use base64::Engine;
use dynamodel::CursorKey;

use crate::tls::{InvalidTrustStore, TrustStore};

/// Whether requests must carry verified claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `AUTH=on`: every request needs the authorizer's verified identity and a fitting scope.
    Verified,
    /// `AUTH=off`: no authorizer in front (local development, throwaway stacks); every caller may
    /// do everything, anonymously.
    Open,
}

/// Which origins get CORS headers. Same-origin requests (the web page behind the same CloudFront
/// distribution as the API) need none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// Every origin (`*`): never in production.
    Any,
    /// Only these origins: exact (`https://app.example.com`), or any port of one host with `:*`
    /// (`http://127.0.0.1:*`). Empty: no cross-origin caller.
    List(Vec<String>),
}

impl AllowedOrigins {
    /// Parses `*`, or a comma-separated list (empty: none).
    pub fn parse(text: &str) -> Self {
        let list: Vec<String> = text
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(String::from)
            .collect();
        if list.iter().any(|o| o == "*") {
            Self::Any
        } else {
            Self::List(list)
        }
    }

    /// True when `origin` may call cross-origin.
    pub fn allows(&self, origin: &str) -> bool {
        match self {
            Self::Any => true,
            Self::List(list) => list.iter().any(|allowed| match allowed.strip_suffix('*') {
                Some(host) if host.ends_with(':') => {
                    origin.strip_prefix(host).is_some_and(|port| {
                        !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
                    })
                }
                _ => allowed == origin,
            }),
        }
    }
}

/// Where the list function's cursor key comes from (see [`crate::cursor_key`]).
#[derive(Debug, Clone)]
pub enum CursorKeySetting {
    /// `CURSOR_KEY`: the key itself, base64 of at least 32 bytes (local development, tests).
    Key(CursorKey),
    /// `CURSOR_SECRET_ARN`: a Secrets Manager secret whose value (its string's bytes) is the key,
    /// read at the first listing (deployed stacks).
    Secret(String),
    /// Neither is set.
    Unset,
}

/// What a function needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    /// `TABLE_NAME` (required).
    pub table_name: String,
    /// `ALLOWED_ORIGINS`: `*` or a comma-separated list (default: none, same-origin only).
    pub allowed_origins: AllowedOrigins,
    /// `AUTH`: `on` (default) requires the authorizer's verified claims, `off` admits anyone.
    pub access: Access,
    /// `DYNAMODB_ENDPOINT`, for DynamoDB Local.
    pub dynamodb_endpoint: Option<String>,
    /// `TLS_TRUST_STORE`: `amazon` (default) or `system`; see [`crate::tls`].
    pub trust_store: TrustStore,
    /// `CURSOR_KEY` or `CURSOR_SECRET_ARN` (at most one): what signs the list's cursors. Only the list
    /// function reads it; see [`crate::cursor_key`] for what happens when neither is set.
    pub cursor_key: CursorKeySetting,
    /// `AWS_REGION` (or `AWS_DEFAULT_REGION`).
    pub region: Region,
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`: the execution role's
    /// credentials, which Lambda puts in the environment (its `Debug` hides the secret).
    pub credentials: Credentials,
}

/// A setting is missing or malformed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is unset or blank.
    #[error("environment variable {0} must be set")]
    Missing(&'static str),
    /// A variable has a value it does not take.
    #[error("environment variable {0} must be {1}")]
    Invalid(&'static str, &'static str),
    /// `TLS_TRUST_STORE` names no store.
    #[error(transparent)]
    TrustStore(#[from] InvalidTrustStore),
}

impl Config {
    /// Reads the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let var = |name| {
            std::env::var(name)
                .ok()
                .filter(|v: &String| !v.trim().is_empty())
        };
        let required = |name| var(name).ok_or(ConfigError::Missing(name));
        let region = var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .ok_or(ConfigError::Missing("AWS_REGION"))?;
        Ok(Self {
            table_name: required("TABLE_NAME")?,
            allowed_origins: AllowedOrigins::parse(&var("ALLOWED_ORIGINS").unwrap_or_default()),
            access: match var("AUTH").as_deref() {
                None | Some("on") => Access::Verified,
                Some("off") => Access::Open,
                Some(_) => return Err(ConfigError::Invalid("AUTH", "on or off")),
            },
            dynamodb_endpoint: var("DYNAMODB_ENDPOINT"),
            trust_store: TrustStore::choose(var("TLS_TRUST_STORE").as_deref(), Some(&region))?,
            cursor_key: cursor_key_setting(var("CURSOR_KEY"), var("CURSOR_SECRET_ARN"))?,
            credentials: Credentials::new(
                required("AWS_ACCESS_KEY_ID")?,
                required("AWS_SECRET_ACCESS_KEY")?,
                var("AWS_SESSION_TOKEN"),
                None,
                "environment",
            ),
            region: Region::new(region),
        })
    }
}

/// `CURSOR_KEY` (base64, standard or URL-safe, padded or not, of at least 32 bytes) or
/// `CURSOR_SECRET_ARN`; both at once is ambiguous and refused.
fn cursor_key_setting(
    key: Option<String>,
    secret: Option<String>,
) -> Result<CursorKeySetting, ConfigError> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    const MALFORMED: &str = "base64 of at least 32 random bytes (e.g. `openssl rand -base64 32`)";
    match (key, secret) {
        (Some(_), Some(_)) => Err(ConfigError::Invalid(
            "CURSOR_KEY",
            "unset when CURSOR_SECRET_ARN is set (one key source only)",
        )),
        (Some(key), None) => {
            let text = key.trim().trim_end_matches('=');
            let bytes = STANDARD_NO_PAD
                .decode(text)
                .or_else(|_| URL_SAFE_NO_PAD.decode(text))
                .map_err(|_| ConfigError::Invalid("CURSOR_KEY", MALFORMED))?;
            let key = CursorKey::new(&bytes)
                .map_err(|_| ConfigError::Invalid("CURSOR_KEY", MALFORMED))?;
            Ok(CursorKeySetting::Key(key))
        }
        (None, Some(arn)) => Ok(CursorKeySetting::Secret(arn.trim().to_owned())),
        (None, None) => Ok(CursorKeySetting::Unset),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_key_is_base64_of_32_bytes_or_a_secret_never_both() {
        let setting = |key: Option<&str>, secret: Option<&str>| {
            cursor_key_setting(key.map(str::to_owned), secret.map(str::to_owned))
        };
        // 32 bytes: standard and URL-safe alphabets, with or without padding.
        for key in [
            "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=",
            "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA",
            "-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_8",
            " +/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/8=\n",
        ] {
            assert!(
                matches!(setting(Some(key), None), Ok(CursorKeySetting::Key(_))),
                "{key}"
            );
        }
        for bad in [
            "c2hvcnQ=",
            "not base64!",
            "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeA",
        ] {
            assert!(
                matches!(
                    setting(Some(bad), None),
                    Err(ConfigError::Invalid("CURSOR_KEY", _))
                ),
                "{bad}"
            );
        }
        let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:people-cursor-AbCdEf";
        assert!(matches!(setting(None, Some(arn)), Ok(CursorKeySetting::Secret(a)) if a == arn));
        assert!(matches!(setting(None, None), Ok(CursorKeySetting::Unset)));
        assert!(
            setting(
                Some("q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA="),
                Some(arn)
            )
            .is_err()
        );
        // The key never shows in the configuration's debug form.
        let Ok(key) = setting(Some("q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA="), None) else {
            unreachable!()
        };
        assert_eq!(format!("{key:?}"), "Key(CursorKey(..))");
    }

    #[test]
    fn origins_match_exactly_or_by_any_port() {
        let none = AllowedOrigins::parse("");
        assert!(!none.allows("https://app.example.com"));
        assert!(AllowedOrigins::parse(" * ").allows("https://evil.example.com"));
        let local = AllowedOrigins::parse("http://127.0.0.1:*, https://app.example.com");
        assert!(local.allows("http://127.0.0.1:5173"));
        assert!(local.allows("https://app.example.com"));
        for refused in [
            "http://127.0.0.1",
            "http://127.0.0.1:",
            "http://127.0.0.1:80x",
            "http://127.0.0.1.evil.com:80",
            "https://127.0.0.1:443",
            "https://app.example.com.evil.com",
            "https://app.example.com:8443",
        ] {
            assert!(!local.allows(refused), "{refused}");
        }
    }
}
