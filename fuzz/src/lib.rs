//! What every fuzz target checks: no panic (libFuzzer reports one as a crash), and every error the
//! edge would answer with is a problem document with a 4xx status, never a 5xx.

use std::sync::LazyLock;

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use dynamodel::expr::Placeholders;
use dynamodel::{Cursor, CursorKey, Model, Patch, Table};
use http::HeaderMap;
use people::http::Problem;
use people::http::fuzzing::{self, Extracted};
use people::model::{EmailClaim, LIST_PARTITION, Person, PersonId, PersonPatch};
use people::service::{ListQuery, PersonInput, ServiceError};
use people::{Actor, AllowedOrigins, PeopleService, table_spec};
use time::OffsetDateTime;

/// Asserts that `problem` is a client error, and that the edge turns it into a problem document
/// with that status (with and without CORS origins configured).
pub fn assert_client_error(problem: Problem, headers: &HeaderMap, context: &dyn std::fmt::Debug) {
    let status = problem.status;
    assert!(
        (400..500).contains(&status),
        "{status} ({}: {}) for {context:?}",
        problem.title,
        problem.detail
    );
    static ORIGINS: LazyLock<[AllowedOrigins; 2]> = LazyLock::new(|| {
        [
            AllowedOrigins::Any,
            AllowedOrigins::parse("https://app.example.com, http://127.0.0.1:*"),
        ]
    });
    let origins = &ORIGINS[usize::from(status % 2 == 1)];
    let (answered, body) = fuzzing::respond(problem, "req-fuzz", origins, headers, false);
    assert_eq!(answered.as_u16(), status);
    let body: serde_json::Value =
        serde_json::from_str(&body.expect("a problem has a body")).expect("the body is JSON");
    assert_eq!(body["status"], status, "{body}");
}

/// The person stored before a replace or patch.
fn stored() -> Person {
    let at = OffsetDateTime::from_unix_timestamp(1_795_000_000).unwrap();
    Person {
        id: "01ARZ3NDEKTSV4RRFFQ69G5FAV".parse().unwrap(),
        name: "Ada Lovelace".into(),
        email: "ada@example.com".into(),
        phone: None,
        tags: vec!["math".into()],
        created_at: at,
        updated_at: at,
        version: 3,
        owner: None,
    }
}

/// What the service does with a person body before it calls DynamoDB: normalise, validate, build
/// the item's keys and its email claim's. A rule it breaks is a 400.
pub fn check_input(input: PersonInput, headers: &HeaderMap) {
    let mut draft = Person {
        name: input.name,
        email: input.email,
        phone: input.phone,
        tags: input.tags,
        ..stored()
    };
    draft.before_save();
    match Model::validate(&draft) {
        Ok(()) => {
            let _ = (draft.key(), draft.derived_attributes());
            let _ = EmailClaim::key_for(&draft.email);
        }
        Err(errors) => assert_client_error(
            fuzzing::service_problem(ServiceError::Validation(errors)),
            headers,
            &"validation",
        ),
    }
}

/// What the service does with a merge patch before it calls DynamoDB: plan it against the stored
/// person (apply, normalise, validate, diff into the update expression), as `Table::patch` does.
pub fn check_patch(patch: PersonPatch, headers: &HeaderMap) {
    if patch.is_empty() {
        return;
    }
    match services().table.plan_patch(&stored(), &patch) {
        Ok(planned) => {
            let _ = planned.update.render(&mut Placeholders::default());
        }
        Err(dynamodel::Error::Validation(errors)) => assert_client_error(
            fuzzing::service_problem(ServiceError::Validation(errors)),
            headers,
            &"validation",
        ),
        Err(other) => panic!("planning a patch failed: {other}"),
    }
}

/// The key that signs the list's cursors in the targets: fixed, so committed seeds hold real cursors.
pub const CURSOR_KEY: &[u8; 32] = b"people-api fuzz targets' key 32B";

/// An SDK HTTP client that answers every DynamoDB call at once with an empty page, so a list call
/// runs the service and `Table::query` for real (cursor checks, expressions, the SDK's request
/// building) without a network.
#[derive(Debug, Clone)]
struct EmptyPages;

impl HttpConnector for EmptyPages {
    fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
        let body = SdkBody::from(r#"{"Items":[],"Count":0,"ScannedCount":0}"#);
        HttpConnectorFuture::ready(Ok(HttpResponse::new(200.try_into().expect("200"), body)))
    }
}

impl HttpClient for EmptyPages {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

struct Services {
    runtime: tokio::runtime::Runtime,
    /// The table the services use (no network behind it).
    table: Table,
    /// Signs its cursors with [`CURSOR_KEY`], as the list function does.
    signed: PeopleService,
    /// No key: unsigned cursors, checked against the key schema only (dynamodel without a key).
    unsigned: PeopleService,
}

fn services() -> &'static Services {
    static SERVICES: LazyLock<Services> = LazyLock::new(|| {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("fuzz", "fuzz", None, None, "fuzz"))
            .endpoint_url("http://127.0.0.1:9")
            .http_client(EmptyPages)
            .build();
        let table = Table::new(Client::from_conf(config), "people-fuzz", table_spec());
        let key = CursorKey::new(CURSOR_KEY).expect("a 32-byte key");
        let services = Services {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime"),
            signed: PeopleService::new(table.clone().with_cursor_key(key)),
            unsigned: PeopleService::new(table.clone()),
            table,
        };
        // The targets reach the checks behind the signature only while a cursor forged for the list
        // query is one the list accepts: a change to the list query must not silently skip them.
        let query = ListQuery {
            limit: 20,
            ..ListQuery::default()
        };
        let forged = services
            .signed
            .forge_list_cursor(&query, &example_payload());
        let accepted = services.runtime.block_on(services.signed.list(
            ListQuery {
                cursor: Some(forged),
                ..query
            },
            &Actor::anyone(),
        ));
        assert!(
            accepted.is_ok(),
            "a forged list cursor is refused: {accepted:?}"
        );
        services
    });
    &SERVICES
}

/// A valid payload of a signed list cursor: format 1, expiring in 2100, a position in the list index.
pub fn example_payload() -> serde_json::Value {
    let id = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    serde_json::json!({
        "v": 1,
        "e": 4_102_444_800_i64,
        "p": {
            "gsi1pk": {"S": LIST_PARTITION}, "gsi1sk": {"S": id},
            "pk": {"S": format!("PERSON#{id}")}, "sk": {"S": "PROFILE"}
        }
    })
}

/// A list cursor for `query` holding exactly `payload`, signed with [`CURSOR_KEY`].
pub fn forge_list_cursor(query: &ListQuery, payload: &serde_json::Value) -> Cursor {
    services().signed.forge_list_cursor(query, payload)
}

/// Lists through the people service (signed cursors, or unsigned on a table without a key), against
/// DynamoDB answering empty pages: either a page, or a client error.
pub fn check_list(query: ListQuery, signed: bool, headers: &HeaderMap) {
    let services = services();
    let service = if signed {
        &services.signed
    } else {
        &services.unsigned
    };
    let context = format!("{query:?}");
    match services
        .runtime
        .block_on(service.list(query, &Actor::anyone()))
    {
        Ok(page) => assert!(page.items.is_empty() && page.next.is_none()),
        Err(e) => assert_client_error(fuzzing::service_problem(e), headers, &context),
    }
}

/// Everything the request path extracted: checked the way the service would check it.
pub fn check_extracted(extracted: Extracted, headers: &HeaderMap) {
    match extracted {
        Extracted::Options { allow } => assert!(allow.ends_with("OPTIONS"), "{allow}"),
        Extracted::List(query) => {
            assert!((1..=people::http::MAX_LIMIT).contains(&query.limit));
            check_list(query, true, headers);
        }
        Extracted::Create(input) | Extracted::Replace(_, _, input) => check_input(input, headers),
        Extracted::Patch(_, _, patch) => check_patch(patch, headers),
        Extracted::Read(id) | Extracted::Delete(id, _) => {
            assert_eq!(id.to_string().parse::<PersonId>().ok(), Some(id));
        }
    }
}

/// A request event to start from: `POST /people` as API Gateway sends it.
pub fn base_request() -> ApiGatewayV2httpRequest {
    static BASE: LazyLock<ApiGatewayV2httpRequest> =
        LazyLock::new(|| people::fixtures::request("POST", "/people", &[], None));
    BASE.clone()
}

#[cfg(test)]
mod seeds {
    //! The seeds that hold real signed cursors (the key is [`CURSOR_KEY`]). Regenerate them after a
    //! change to the cursor format or the list query:
    //! `cargo +nightly test --manifest-path fuzz/Cargo.toml --lib -- --ignored`.

    use std::path::Path;

    use super::*;

    fn write(target: &str, name: &str, data: &[u8]) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus")
            .join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), data).unwrap();
    }

    fn with_mode(mode: u8, data: &[u8]) -> Vec<u8> {
        [&[mode][..], data].concat()
    }

    #[test]
    #[ignore = "writes the committed seeds"]
    fn regenerate_cursor_seeds() {
        let plain = ListQuery {
            limit: 20,
            ..ListQuery::default()
        };
        let vip = ListQuery {
            tag: Some("vip".into()),
            ..plain.clone()
        };
        let payload = example_payload();
        let signed = forge_list_cursor(&plain, &payload);
        let signed_vip = forge_list_cursor(&vip, &payload);
        // Both are accepted by the listing they were made for.
        for (query, cursor) in [(&plain, &signed), (&vip, &signed_vip)] {
            let query = ListQuery {
                cursor: Some(cursor.clone()),
                ..query.clone()
            };
            let services = services();
            let page = services
                .runtime
                .block_on(services.signed.list(query, &Actor::anyone()));
            assert!(page.is_ok(), "{page:?}");
        }

        write(
            "cursor",
            "signed",
            &with_mode(0, signed.as_str().as_bytes()),
        );
        write(
            "cursor",
            "signed-tag-vip",
            &with_mode(0x80, signed_vip.as_str().as_bytes()),
        );
        write(
            "cursor",
            "signed-other-listing",
            &with_mode(0x40, signed.as_str().as_bytes()),
        );
        let variants = [
            ("payload", payload.clone()),
            ("payload-expired", {
                let mut p = payload.clone();
                p["e"] = 1.into();
                p
            }),
            ("payload-version-2", {
                let mut p = payload.clone();
                p["v"] = 2.into();
                p
            }),
            ("payload-other-partition", {
                let mut p = payload.clone();
                p["p"]["gsi1pk"] = serde_json::json!({"S": "ORDER"});
                p
            }),
            ("payload-number-key", {
                let mut p = payload.clone();
                p["p"]["gsi1sk"] = serde_json::json!({"N": "1e5"});
                p
            }),
            ("payload-table-position", {
                let mut p = payload.clone();
                p["p"] = serde_json::json!({"pk": {"S": "PERSON#x"}, "sk": {"S": "PROFILE"}});
                p
            }),
        ];
        for (name, p) in variants {
            write("cursor", name, &with_mode(1, p.to_string().as_bytes()));
        }
        write(
            "cursor",
            "unsigned-position",
            &with_mode(2, payload["p"].to_string().as_bytes()),
        );

        write(
            "query",
            "signed-cursor",
            format!("cursor={signed}&limit=2").as_bytes(),
        );
        write(
            "query",
            "signed-cursor-tag",
            format!("tag=VIP&cursor={signed_vip}").as_bytes(),
        );
        write(
            "query",
            "signed-cursor-other-tag",
            format!("tag=math&cursor={signed_vip}").as_bytes(),
        );

        let event = people::fixtures::request(
            "GET",
            &format!("/people?cursor={signed}&limit=2"),
            &[],
            None,
        );
        write(
            "event",
            "list-signed-cursor",
            &serde_json::to_vec(&event).unwrap(),
        );
    }
}
