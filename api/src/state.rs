//! What every request handler shares.

use sea_orm::DatabaseConnection;

use crate::{config::Settings, crypto::Keyring, metrics::Metrics, token_cache::TokenCache};

pub struct AppState {
    /// For reads.
    pub db: DatabaseConnection,
    /// For writes (on SQLite, the one writer connection).
    pub writer: DatabaseConnection,
    pub keyring: Keyring,
    pub settings: Settings,
    pub token_cache: TokenCache,
    pub metrics: Metrics,
}
