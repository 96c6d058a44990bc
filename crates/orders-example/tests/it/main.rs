//! orders-example's integration tests, in one binary (one link, one DynamoDB Local per run), as in
//! zero-to-production's `tests/api/`: `helpers` holds what several modules share, and each other
//! module covers one concern. Every test that touches DynamoDB Local gets a table of its own from
//! `dynamodb_local::fresh_table`, so they run in parallel.

mod batch;
mod compile_fail;
mod derive;
mod generated;
mod helpers;
mod options;
mod roundtrip;
mod semantics;
mod ttl;
mod writes;
