//! The HMAC-SHA256 key of each channel's webhook, kept in memory: X's CRC `GET` and its
//! signed `POST` deliveries both need the channel's API key secret as a key on every
//! request, and neither may cost a decryption, nor the full channel row (DESIGN "Hot
//! paths").
//!
//! An entry is the `ring::hmac::Key` (inside [`WebhookKey`]) built from the API key secret,
//! tagged with the channel's `credentials_version`, beside the X account the integration
//! recorded (deliveries for another account are ignored); the plaintext secret is never
//! kept. An entry is trusted for [`FRESH_FOR`]; after that two indexed queries read the
//! version and the account again, and only a changed version opens the credentials anew. So a rotation or a delete
//! made through any instance is seen by every instance within [`FRESH_FOR`] plus one
//! request, without any message between instances. Unknown ids are remembered as
//! unknown for as long, so a flood of made-up ids costs one query per id and second.
//!
//! Usage (the CRC `GET` and the signed `POST` alike):
//!
//! ```ignore
//! match state.webhook_keys.key(&state.store, &state.keyring, &channel_id).await? {
//!     Some(webhook) => webhook.key.verify(signature_header, &body),   // or .crc_response_token(token)
//!     None => /* 404: no such X channel */,
//! }
//! ```

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use x_connector::{Secret, WebhookKey};

use crate::{
    credentials::StoredCredentials,
    crypto::Keyring,
    store::{self, Store, StoreError},
};

/// How long an entry is used without asking the database whether it is still current.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// Entries kept at most; past this, stale entries are dropped (and all if none is stale).
const CAPACITY: usize = 100_000;

/// What X's webhook calls of one channel are checked with.
pub struct ChannelWebhook {
    /// Verifies signed deliveries and answers the CRC.
    pub key: WebhookKey,
    /// The channel's X account (`xAccount.id`), once an integration submit recorded it.
    pub x_account_id: Option<String>,
}

struct Entry {
    checked_at: Instant,
    /// `None`: no X channel has this id (as of `checked_at`).
    key: Option<(i32, Arc<ChannelWebhook>)>,
}

/// Per-channel webhook keys by channel id and credentials version.
#[derive(Default)]
pub struct WebhookKeys {
    entries: RwLock<HashMap<String, Entry>>,
}

/// The key could not be had: the database failed, or the stored credentials do not open.
#[derive(Debug, thiserror::Error)]
pub enum WebhookKeyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the credentials of channel {0} cannot be opened: {1}")]
    Credentials(String, anyhow::Error),
}

impl WebhookKeys {
    /// The webhook key of the X channel `channel_id`, `None` when there is no such channel.
    /// Answers from memory while the entry is fresh; otherwise checks the credentials'
    /// version (one small query) and rebuilds the key only when it changed.
    pub async fn key(
        &self,
        store: &Store,
        keyring: &Keyring,
        channel_id: &str,
    ) -> Result<Option<Arc<ChannelWebhook>>, WebhookKeyError> {
        let cached = self.entries.read().ok().and_then(|entries| {
            entries.get(channel_id).map(|entry| {
                (
                    entry.checked_at.elapsed() < FRESH_FOR,
                    entry.key.as_ref().map(|(v, k)| (*v, k.clone())),
                )
            })
        });
        if let Some((true, key)) = cached {
            return Ok(key.map(|(_, key)| key));
        }
        let db = store.reader();
        let Some(version) = store::channels::credentials_version(db, channel_id).await? else {
            self.put(channel_id, None);
            return Ok(None);
        };
        let x_account_id = store::integrations::x_account_id(db, channel_id).await?;
        if let Some((_, Some((cached_version, webhook)))) = cached {
            if cached_version == version {
                let webhook = if webhook.x_account_id == x_account_id {
                    webhook
                } else {
                    Arc::new(ChannelWebhook {
                        key: webhook.key.clone(),
                        x_account_id,
                    })
                };
                self.put(channel_id, Some((version, webhook.clone())));
                return Ok(Some(webhook));
            }
        }
        let Some(channel) = store::channels::find_by_id(db, channel_id).await? else {
            self.put(channel_id, None);
            return Ok(None);
        };
        let credentials = StoredCredentials::open(keyring, &channel)
            .map_err(|e| WebhookKeyError::Credentials(channel_id.to_owned(), e))?;
        let webhook = Arc::new(ChannelWebhook {
            key: WebhookKey::new(&Secret::new(credentials.api_key_secret)),
            x_account_id,
        });
        self.put(
            channel_id,
            Some((channel.credentials_version, webhook.clone())),
        );
        Ok(Some(webhook))
    }

    /// Forgets a channel's key at once (this instance saw its credentials change or the
    /// channel go); other instances notice within [`FRESH_FOR`].
    pub fn forget(&self, channel_id: &str) {
        if let Ok(mut entries) = self.entries.write() {
            entries.remove(channel_id);
        }
    }

    fn put(&self, channel_id: &str, key: Option<(i32, Arc<ChannelWebhook>)>) {
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        if entries.len() >= CAPACITY && !entries.contains_key(channel_id) {
            entries.retain(|_, e| e.checked_at.elapsed() < FRESH_FOR);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(
            channel_id.to_owned(),
            Entry {
                checked_at: Instant::now(),
                key,
            },
        );
    }
}
