//! xchannel: connects X (Twitter) direct messages to a contact center's agents.

pub mod access;
pub mod audit;
pub mod auth;
pub mod bearer;
pub mod config;
pub mod credentials;
pub mod crypto;
pub mod error;
pub mod export;
pub mod id;
pub mod ingest;
pub mod input;
pub mod integration;
pub mod metrics;
pub mod openapi;
mod openapi_examples;
pub mod private_files;
pub mod routes;
pub mod shapes;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod token_cache;
pub mod webhook_keys;
pub mod workers;
