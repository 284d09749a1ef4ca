//! What every request handler and worker shares, built once by `startup.rs`.

use crate::{
    config::Settings, crypto::Keyring, events::EventHub, ingest::Ingest, metrics::Metrics,
    store::Store, token_cache::TokenCache, webhook_keys::WebhookKeys,
};

pub struct AppState {
    pub store: Store,
    pub keyring: Keyring,
    pub settings: Settings,
    pub token_cache: TokenCache,
    pub metrics: Metrics,
    /// The group commit of webhook deliveries and what they brought.
    pub ingest: Ingest,
    /// The HMAC keys of X's webhook (CRC and signed deliveries), by channel.
    pub webhook_keys: WebhookKeys,
    /// This instance's fan-out of new events to the streams connected to it.
    pub events: EventHub,
}
