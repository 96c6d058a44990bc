//! The DynamoDB client's HTTPS client with the compiled-in Amazon Trust Services store gets as far as a TLS
//! handshake: the store parses, is installed, and the request goes out over TLS (not plain HTTP).

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region, retry::RetryConfig};
use people::tls::TrustStore;
use tokio::io::AsyncWriteExt;

/// A server on loopback that answers every TLS `ClientHello` with a TLS alert
/// (handshake_failure), so the handshake is attempted and fails on the server's side.
async fn refusing_tls_server() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut hello = [0u8; 5];
            let seen = tokio::io::AsyncReadExt::read(&mut socket, &mut hello).await;
            // A TLS record header: handshake (22), TLS 1.x.
            assert!(
                matches!(seen, Ok(5)) && hello[0] == 22 && hello[1] == 3,
                "{hello:?}"
            );
            // alert(21), TLS 1.2, length 2, fatal(2) handshake_failure(40)
            let _ = socket.write_all(&[21, 3, 3, 0, 2, 2, 40]).await;
        }
    });
    addr
}

#[tokio::test]
async fn both_stores_build_a_client_that_performs_the_tls_handshake() {
    for store in [TrustStore::AmazonTrustServices, TrustStore::System] {
        let addr = refusing_tls_server().await;
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .endpoint_url(format!("https://{addr}"))
            .retry_config(RetryConfig::disabled())
            .http_client(store.https_client())
            .build();
        let client = aws_sdk_dynamodb::Client::from_conf(config);
        let error = client
            .describe_table()
            .table_name("people")
            .send()
            .await
            .expect_err("the server refuses every handshake");
        let text = format!("{:?}", aws_sdk_dynamodb::error::DisplayErrorContext(&error));
        assert!(
            text.contains("HandshakeFailure") || text.contains("handshake"),
            "{store:?}: {text}"
        );
    }
}
