//! Any bytes as a list cursor → `Cursor::parse`, then the people service's list, whose
//! `Table::query` opens the cursor before any read: the signature (HMAC, bound to the listing), the
//! format, the expiry, the position against the list index's key schema, the partition. DynamoDB is
//! an in-process stub answering empty pages.
//!
//! Input: one mode byte, then
//! - mode 0: the cursor text, listed with signed cursors (as the list function does);
//! - mode 1: a payload (JSON), signed with the targets' key for the listing, so the fuzzer works on
//!   what lies behind the signature;
//! - mode 2: the bytes of an unsigned cursor (URL-safe base64 of them), listed on a table without a
//!   key (dynamodel's unsigned cursors: the key-schema checks alone).
//!
//! Bit 0x80 of the mode adds a tag filter, bit 0x40 a name prefix: cursors are bound to them.

#![no_main]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dynamodel::Cursor;
use http::HeaderMap;
use libfuzzer_sys::fuzz_target;
use people::http::fuzzing;
use people::service::{ListQuery, ServiceError};
use people_fuzz::{assert_client_error, check_list, forge_list_cursor};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let headers = HeaderMap::new();
    let query = ListQuery {
        limit: 20,
        tag: (mode & 0x80 != 0).then(|| "vip".to_owned()),
        name_prefix: (mode & 0x40 != 0).then(|| "Ad".to_owned()),
        ..ListQuery::default()
    };
    let (text, signed) = match (mode & 0x3f) % 3 {
        0 => (String::from_utf8_lossy(rest).into_owned(), true),
        1 => {
            let Ok(payload) = serde_json::from_slice::<serde_json::Value>(rest) else {
                return;
            };
            (
                forge_list_cursor(&query, &payload).as_str().to_owned(),
                true,
            )
        }
        _ => (URL_SAFE_NO_PAD.encode(rest), false),
    };
    match Cursor::parse(&text) {
        Ok(cursor) => {
            assert_eq!(cursor.as_str(), text);
            let query = ListQuery {
                cursor: Some(cursor),
                ..query
            };
            check_list(query, signed, &headers);
        }
        Err(e) => {
            assert!(matches!(e, dynamodel::Error::InvalidCursor(_)), "{e}");
            assert_client_error(
                fuzzing::service_problem(ServiceError::from(e)),
                &headers,
                &text,
            );
        }
    }
});
