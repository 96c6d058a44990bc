//! The people API through the same handler the Lambdas run: real API Gateway v2 events in, routed
//! the way the deployed stack routes them (`infra/routes.json`), AWS's DynamoDB Local behind, one
//! fresh table per test.

mod helpers;

mod idempotency;

mod access;
mod authorize;
mod concurrency;
mod crud;
mod faults;
mod list;
mod outages;
mod patch;
mod realtime;
mod requests;
mod routing;
mod table;
mod tls;
