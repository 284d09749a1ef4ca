//! End-to-end tests of the HTTP API against the running service, on SQLite by default and
//! on PostgreSQL with `XCHANNEL_TEST_BACKEND=postgres`.

mod helpers;
mod spec;

mod bad_input;
mod channels;
mod secrets;
mod tenants;
mod tokens;
mod ous;
mod called_routes;
mod calendar;
mod certificates;
mod health;
mod workers;
