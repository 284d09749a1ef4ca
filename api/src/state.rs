//! What every request handler and worker shares, built once by `startup.rs`.

use crate::{
    config::Settings, crypto::Keyring, metrics::Metrics, store::Store, token_cache::TokenCache,
};

pub struct AppState {
    pub store: Store,
    pub keyring: Keyring,
    pub settings: Settings,
    pub token_cache: TokenCache,
    pub metrics: Metrics,
}
