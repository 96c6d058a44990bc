//! Any bytes as `If-Match` / `If-None-Match` header values (as `http::HeaderValue::from_bytes`
//! accepts them) → the precondition parser.
//!
//! Input: one selector byte, then the value(s); with both headers, the bytes before the first
//! newline are If-Match's and the rest If-None-Match's.

#![no_main]

use http::header::{HeaderMap, HeaderValue, IF_MATCH, IF_NONE_MATCH};
use libfuzzer_sys::fuzz_target;
use people::http::fuzzing;
use people::service::Precondition;
use people_fuzz::assert_client_error;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let (first, second) = rest
        .iter()
        .position(|&b| b == b'\n')
        .map_or((rest, &[][..]), |at| (&rest[..at], &rest[at + 1..]));
    let mut headers = HeaderMap::new();
    let mut add = |name, bytes: &[u8]| match HeaderValue::from_bytes(bytes) {
        Ok(value) => {
            headers.append(name, value);
            true
        }
        Err(_) => false,
    };
    let added = match selector % 4 {
        0 => add(IF_MATCH, rest),
        1 => add(IF_NONE_MATCH, rest),
        2 => add(IF_MATCH, first) && add(IF_NONE_MATCH, second),
        // The header given twice: the first value is read.
        _ => add(IF_MATCH, first) && add(IF_MATCH, second),
    };
    if !added {
        return;
    }
    match fuzzing::parse_precondition(&headers) {
        Ok(Precondition::IfMatch(Some(tags))) => assert!(tags.len() <= 16, "{}", tags.len()),
        Ok(_) => {}
        Err(problem) => assert_client_error(problem, &headers, &headers),
    }
});
