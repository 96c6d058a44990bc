//! Any bytes as the raw query string of `GET /people` → the list query parser, and a cursor it
//! accepts → the list index's key-schema check `Table::query` runs before any read.

#![no_main]

use http::HeaderMap;
use libfuzzer_sys::fuzz_target;
use people::http::fuzzing;
use people_fuzz::{assert_client_error, check_extracted};

fuzz_target!(|data: &[u8]| {
    // API Gateway hands the query string over as text.
    let raw = String::from_utf8_lossy(data);
    let headers = HeaderMap::new();
    match fuzzing::parse_list_query(&raw) {
        Ok(query) => check_extracted(fuzzing::Extracted::List(query), &headers),
        Err(problem) => assert_client_error(problem, &headers, &raw),
    }
});
