//! Configuration from the environment, read once at start. Reads only; building the client and the
//! edge from it happens in the composition root ([`crate::edge`]).

use aws_sdk_dynamodb::config::{Credentials, Region};

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

#[cfg(test)]
mod tests {
    use super::*;

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
