//! Which certificate authorities the DynamoDB client trusts.
//!
//! The SDK's default HTTPS client loads the operating system's whole trust store when the client is
//! built: on Lambda's images that is reading and parsing ~150 certificates, about 3.5 ms of every cold
//! start (measured with `benchmarks/src/bin/init-probe.rs`). AWS service endpoints in the commercial and
//! GovCloud partitions present certificates from Amazon Trust Services, so by default the client trusts
//! exactly those roots, compiled into the binary: Amazon Root CA 1–4 and Starfield Services Root CA G2
//! (which cross-signs them). It is also the narrower trust: no other CA can vouch for a DynamoDB endpoint.
//!
//! `TLS_TRUST_STORE=system` goes back to the operating system's store (China regions, whose endpoints
//! are certified differently, get it by default, as does anything behind a TLS-inspecting proxy).

use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_smithy_http_client::tls::{self, TlsContext, rustls_provider::CryptoMode};

/// The Amazon Trust Services roots, PEM.
pub const AMAZON_TRUST_SERVICES_PEM: &str = include_str!("../certs/amazon-trust-services.pem");

/// The client's trust anchors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustStore {
    /// The Amazon Trust Services roots compiled into the binary (the default).
    AmazonTrustServices,
    /// The operating system's trust store, loaded when the client is built.
    System,
}

/// `TLS_TRUST_STORE` holds something other than `amazon` or `system`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("TLS_TRUST_STORE must be `amazon` or `system`, not `{0}`")]
pub struct InvalidTrustStore(pub String);

impl TrustStore {
    /// The store for a setting (`amazon`, `system`, or unset) and the function's region.
    pub fn choose(setting: Option<&str>, region: Option<&str>) -> Result<Self, InvalidTrustStore> {
        match setting
            .map(str::trim)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("amazon") => Ok(Self::AmazonTrustServices),
            Some("system") => Ok(Self::System),
            Some(other) => Err(InvalidTrustStore(other.to_owned())),
            None if region.is_some_and(|r| r.starts_with("cn-")) => Ok(Self::System),
            None => Ok(Self::AmazonTrustServices),
        }
    }

    /// An HTTPS client (rustls with aws-lc, like the SDK's default) that trusts this store.
    pub fn https_client(self) -> SharedHttpClient {
        let store = match self {
            Self::AmazonTrustServices => tls::TrustStore::empty()
                .with_native_roots(false)
                .with_pem_certificate(AMAZON_TRUST_SERVICES_PEM.as_bytes()),
            Self::System => tls::TrustStore::default(),
        };
        let context = TlsContext::builder()
            .with_trust_store(store)
            .build()
            .expect("a TLS context with only a trust store is always valid");
        aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .tls_context(context)
            .build_https()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amazon_roots_by_default_and_system_in_china_or_on_request() {
        use TrustStore::*;
        assert_eq!(
            TrustStore::choose(None, Some("eu-west-1")),
            Ok(AmazonTrustServices)
        );
        assert_eq!(TrustStore::choose(None, None), Ok(AmazonTrustServices));
        assert_eq!(TrustStore::choose(None, Some("cn-north-1")), Ok(System));
        assert_eq!(
            TrustStore::choose(Some("Amazon"), Some("cn-north-1")),
            Ok(AmazonTrustServices)
        );
        assert_eq!(
            TrustStore::choose(Some(" system "), Some("us-east-1")),
            Ok(System)
        );
        assert_eq!(
            TrustStore::choose(Some("all"), None),
            Err(InvalidTrustStore("all".into()))
        );
    }

    /// SHA-256 of each root's DER, as Amazon Trust Services publishes them.
    const PUBLISHED: [(&str, &str); 5] = [
        (
            "Amazon Root CA 1",
            "8ecde6884f3d87b1125ba31ac3fcb13d7016de7f57cc904fe1cb97c6ae98196e",
        ),
        (
            "Amazon Root CA 2",
            "1ba5b2aa8c65401a82960118f80bec4f62304d83cec4713a19c39c011ea46db4",
        ),
        (
            "Amazon Root CA 3",
            "18ce6cfe7bf14e60b2e347b8dfe868cb31d02ebb3ada271569f50343b46db3a4",
        ),
        (
            "Amazon Root CA 4",
            "e35d28419ed02025cfa69038cd623962458da5c695fbdea3c22b0bfb25897092",
        ),
        (
            "Starfield Services Root Certificate Authority - G2",
            "568d6905a2c88708a4b3025190edcfedb1974a606a13c6e5290fcb2ae63edab5",
        ),
    ];

    #[test]
    fn the_compiled_in_store_is_exactly_the_published_amazon_trust_services_roots() {
        use base64::Engine;
        use sha2::Digest;
        let fingerprints: Vec<String> = AMAZON_TRUST_SERVICES_PEM
            .split("-----BEGIN CERTIFICATE-----")
            .skip(1)
            .map(|block| {
                let body = block
                    .split("-----END CERTIFICATE-----")
                    .next()
                    .unwrap()
                    .split_whitespace()
                    .collect::<String>();
                let der = base64::engine::general_purpose::STANDARD
                    .decode(body)
                    .expect("base64 body");
                sha2::Sha256::digest(der)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect()
            })
            .collect();
        let expected: Vec<String> = PUBLISHED.iter().map(|(_, f)| f.to_string()).collect();
        assert_eq!(
            fingerprints,
            expected,
            "roots: {:?}",
            PUBLISHED.map(|(n, _)| n)
        );
    }
}
