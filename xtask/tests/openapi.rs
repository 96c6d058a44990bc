//! The committed contract is the one the code generates, and the local stack serves it.

use people::http::openapi;

#[test]
fn the_committed_openapi_json_is_the_generated_document() {
    let committed = include_str!("../../openapi.json");
    assert!(
        openapi::to_json() == committed,
        "openapi.json is stale: run `make openapi` (cargo run -p xtask -- openapi > openapi.json)"
    );
}

#[test]
fn the_document_is_openapi_3_1_with_every_route_as_an_operation() {
    let document = openapi::document();
    assert_eq!(document["openapi"], "3.1.0");
    let document: utoipa_free::Document = serde_json::from_value(document).expect("a document");
    for route in &people::http::ROUTES {
        let item = &document.paths[route.path];
        let method = route.method.as_str().to_ascii_lowercase();
        assert!(item.get(&method).is_some(), "{method} {}", route.path);
        if route.method.as_str() == "GET" {
            assert!(item.get("head").is_some(), "head {}", route.path);
        }
    }
}

/// Just enough of the document's shape for the checks above, without depending on utoipa here.
mod utoipa_free {
    use std::collections::BTreeMap;

    #[derive(serde::Deserialize)]
    pub struct Document {
        pub paths: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    }
}
