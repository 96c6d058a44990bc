//! Any bytes as a request body, plain or base64-encoded, with a chosen or arbitrary content type →
//! the person and merge-patch parsers, then the service's checks before DynamoDB.
//!
//! Input: one flags byte, then (when the flags ask for it) a content type up to the first newline,
//! then the body.

#![no_main]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::header::{CONTENT_TYPE, HeaderValue};
use libfuzzer_sys::fuzz_target;
use people::http::fuzzing;
use people_fuzz::{assert_client_error, base_request, check_input, check_patch};

const CONTENT_TYPES: [&str; 7] = [
    "application/json",
    "application/merge-patch+json",
    "application/json; charset=utf-8",
    "Application/Merge-Patch+JSON; charset=\"UTF-8\"",
    "application/vnd.people+json",
    "application/json; charset=latin1",
    "text/plain",
];

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let mut request = base_request();
    let body = match flags & 0x07 {
        7 => {
            let (ct, body) = rest
                .iter()
                .position(|&b| b == b'\n')
                .map_or((rest, &[][..]), |at| (&rest[..at], &rest[at + 1..]));
            if let Ok(value) = HeaderValue::from_bytes(ct) {
                request.headers.insert(CONTENT_TYPE, value);
            }
            body
        }
        n => {
            let ct = CONTENT_TYPES[usize::from(n)];
            request
                .headers
                .insert(CONTENT_TYPE, HeaderValue::from_static(ct));
            rest
        }
    };
    // 0x08: base64 (of the bytes; with 0x10 the bytes themselves, as base64 that may not decode);
    // 0x20: no body at all.
    request.is_base64_encoded = flags & 0x08 != 0;
    request.body = if flags & 0x20 != 0 {
        None
    } else if request.is_base64_encoded && flags & 0x10 == 0 {
        Some(STANDARD.encode(body))
    } else {
        Some(String::from_utf8_lossy(body).into_owned())
    };
    match fuzzing::parse_person(&request) {
        Ok(input) => check_input(input, &request.headers),
        Err(problem) => assert_client_error(problem, &request.headers, &"person"),
    }
    match fuzzing::parse_patch(&request) {
        Ok(patch) => check_patch(patch, &request.headers),
        Err(problem) => assert_client_error(problem, &request.headers, &"merge patch"),
    }
});
