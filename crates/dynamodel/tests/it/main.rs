//! dynamodel's integration tests, in one binary (one link, one DynamoDB Local per run), as in
//! zero-to-production's `tests/api/`: `helpers` holds what several modules share, and each other
//! module covers one concern. Every test that touches DynamoDB Local gets a table of its own from
//! `dynamodb_local::fresh_table`, so they run in parallel.

mod absent;
mod crud;
mod de;
mod entities;
mod helpers;
mod patch;
mod query;
mod reads;
mod schema;
mod spans;
mod stream;
mod transactions;
