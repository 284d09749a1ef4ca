//! End-to-end tests of the HTTP API against the running service, on SQLite by default and
//! on PostgreSQL with `XCHANNEL_TEST_BACKEND=postgres`.

mod helpers;
mod spec;

mod audit;
mod automation;
mod bad_input;
mod calendar;
mod called_routes;
mod certificates;
mod channels;
mod conflicts;
mod conversations;
mod cors;
mod coverage;
mod credentials;
mod deliveries;
mod events;
mod export_crash;
mod exports;
mod files;
mod health;
mod heavy_bodies;
mod idempotency;
mod integration;
mod isolation;
mod messages;
mod notices;
mod ous;
mod papercuts;
mod patch;
mod pull;
mod routing;
mod secrets;
mod tenants;
mod timers;
mod tokens;
mod webhooks;
mod workers;
mod world;
