//! A short-lived memory of verified tokens, so a busy client does not cost one token
//! query per request. Entries live `TTL`; a revocation made on this instance is seen at
//! once, one made on another instance within `TTL`.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::auth::Principal;

const TTL: Duration = Duration::from_secs(2);
const CAPACITY: usize = 10_000;

#[derive(Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<String, (Instant, Principal)>>,
}

impl TokenCache {
    pub fn get(&self, token_hash: &str) -> Option<Principal> {
        let entries = self.entries.lock().ok()?;
        let (at, principal) = entries.get(token_hash)?;
        (at.elapsed() < TTL).then(|| principal.clone())
    }

    pub fn put(&self, token_hash: String, principal: Principal) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CAPACITY {
                entries.retain(|_, (at, _)| at.elapsed() < TTL);
            }
            entries.insert(token_hash, (Instant::now(), principal));
        }
    }

    /// Forgets every token of a deleted tenant.
    pub fn forget_tenant(&self, tenant_id: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, (_, p)| p.tenant_id.as_deref() != Some(tenant_id));
        }
    }

    pub fn forget_token(&self, token_id: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, (_, p)| p.token_id != token_id);
        }
    }
}
