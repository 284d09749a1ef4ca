//! A channel's four X credentials at rest: sealed together with AES-256-GCM under the
//! master key, bound to their channel by the AAD, shown only as masked hints (R-CRED-3).

use channel_config::{Credential, CredentialChanges};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    crypto::{sha256_hex, Keyring},
    store::{self, channels::Channel},
};

/// Masked hints of the four X credentials (R-CRED-3).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"apiKey": "••••Xw3Q", "apiKeySecret": "••••9fKd", "accessToken": "••••Lm0P", "accessTokenSecret": "••••a8Zr"}))]
pub struct CredentialHints {
    pub api_key: String,
    pub api_key_secret: String,
    pub access_token: String,
    pub access_token_secret: String,
}

/// The plaintext credentials, only ever held while being sealed or used to sign.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredCredentials {
    pub api_key: String,
    pub api_key_secret: String,
    pub access_token: String,
    pub access_token_secret: String,
}

impl std::fmt::Debug for StoredCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoredCredentials(redacted)")
    }
}

/// Credentials ready for the store: the ciphertext, the API key's fingerprint, the hints.
pub struct Sealed {
    pub ciphertext: String,
    pub api_key_fingerprint: String,
    pub hints: CredentialHints,
    /// Whether any value differs from what was stored before.
    pub changed: bool,
    /// Those that differ, by their pointer in a channel body (`/x/apiKeySecret`), with
    /// their new masked hint: what the audit trail may say of them.
    pub changed_secrets: Vec<(&'static str, String)>,
}

impl StoredCredentials {
    /// Applies the credentials a request sent; returns those that changed, by pointer,
    /// with their new hints.
    fn apply(
        &mut self,
        hints: &mut CredentialHints,
        changes: &CredentialChanges,
    ) -> Vec<(&'static str, String)> {
        let mut changed = Vec::new();
        let mut set = |pointer: &'static str,
                       value: &mut String,
                       hint: &mut String,
                       new: &Option<Credential>| {
            if let Some(new) = new {
                *hint = new.hint();
                if value != new.expose() {
                    changed.push((pointer, hint.clone()));
                    *value = new.expose().to_owned();
                }
            }
        };
        set(
            "/x/apiKey",
            &mut self.api_key,
            &mut hints.api_key,
            &changes.api_key,
        );
        set(
            "/x/apiKeySecret",
            &mut self.api_key_secret,
            &mut hints.api_key_secret,
            &changes.api_key_secret,
        );
        set(
            "/x/accessToken",
            &mut self.access_token,
            &mut hints.access_token,
            &changes.access_token,
        );
        set(
            "/x/accessTokenSecret",
            &mut self.access_token_secret,
            &mut hints.access_token_secret,
            &changes.access_token_secret,
        );
        changed
    }

    /// Which of the four `after` holds otherwise than `self`, by pointer, with the hints
    /// of their new values.
    fn differing(
        &self,
        after: &StoredCredentials,
        hints: &CredentialHints,
    ) -> Vec<(&'static str, String)> {
        [
            ("/x/apiKey", &self.api_key, &after.api_key, &hints.api_key),
            (
                "/x/apiKeySecret",
                &self.api_key_secret,
                &after.api_key_secret,
                &hints.api_key_secret,
            ),
            (
                "/x/accessToken",
                &self.access_token,
                &after.access_token,
                &hints.access_token,
            ),
            (
                "/x/accessTokenSecret",
                &self.access_token_secret,
                &after.access_token_secret,
                &hints.access_token_secret,
            ),
        ]
        .into_iter()
        .filter(|(_, old, new, _)| old != new)
        .map(|(pointer, _, _, hint)| (pointer, hint.clone()))
        .collect()
    }

    fn seal(&self, keyring: &Keyring, channel_id: &str) -> anyhow::Result<String> {
        keyring.encrypt(&serde_json::to_vec(self)?, &aad(channel_id))
    }

    /// Opens the credentials stored with a channel.
    pub fn open(keyring: &Keyring, channel: &Channel) -> anyhow::Result<Self> {
        let plain = keyring.decrypt(&channel.credentials, &aad(&channel.id))?;
        serde_json::from_slice(&plain)
            .map_err(|e| anyhow::anyhow!("stored credentials unreadable: {e}"))
    }
}

/// Seals the credentials of a new channel.
pub fn seal_new(
    keyring: &Keyring,
    channel_id: &str,
    changes: &CredentialChanges,
) -> anyhow::Result<Sealed> {
    let mut credentials = StoredCredentials::default();
    let mut hints = CredentialHints::default();
    let changed = credentials.apply(&mut hints, changes);
    finish(keyring, channel_id, &credentials, hints, true, changed)
}

/// Seals a channel's credentials after an edit: those sent replace the stored ones, the
/// others keep their values (rotation).
pub fn seal_edit(
    keyring: &Keyring,
    current: &Channel,
    changes: &CredentialChanges,
) -> anyhow::Result<Sealed> {
    // Sending all four replaces them whole: the stored ones need not be opened, and one
    // that cannot be opened (a lost master key) is replaced all the same.
    let stored = StoredCredentials::open(keyring, current);
    let mut credentials = match changes.all() {
        true => StoredCredentials::default(),
        false => stored
            .as_ref()
            .map_err(|e| anyhow::anyhow!("{e:#}"))?
            .clone(),
    };
    let mut hints = hints_of(current);
    let applied = credentials.apply(&mut hints, changes);
    // What the audit trail says changed: compared with the stored values when they open.
    let changed_secrets = match &stored {
        Ok(before) if changes.all() => before.differing(&credentials, &hints),
        _ => applied.clone(),
    };
    finish(
        keyring,
        &current.id,
        &credentials,
        hints,
        !applied.is_empty(),
        changed_secrets,
    )
}

fn finish(
    keyring: &Keyring,
    channel_id: &str,
    credentials: &StoredCredentials,
    hints: CredentialHints,
    changed: bool,
    changed_secrets: Vec<(&'static str, String)>,
) -> anyhow::Result<Sealed> {
    Ok(Sealed {
        ciphertext: credentials.seal(keyring, channel_id)?,
        api_key_fingerprint: sha256_hex(&credentials.api_key),
        hints,
        changed,
        changed_secrets,
    })
}

pub fn hints_of(channel: &Channel) -> CredentialHints {
    serde_json::from_value(channel.credential_hints.clone()).unwrap_or_default()
}

/// Whether any channel holds credentials sealed with some master key.
pub async fn holds_sealed_credentials(store: &store::Store) -> anyhow::Result<bool> {
    Ok(store::channels::newest_sealed_credentials(store.reader())
        .await?
        .is_some())
}

/// Refuses to start with a master key that cannot open the stored credentials (a key
/// generated anew, or one rotated away without `XCHANNEL_PREVIOUS_MASTER_KEYS`): every edit
/// and every call to X would fail later, far from the cause.
pub async fn check_master_key(store: &store::Store, keyring: &Keyring) -> anyhow::Result<()> {
    let Some((channel_id, ciphertext)) =
        store::channels::newest_sealed_credentials(store.reader()).await?
    else {
        return Ok(());
    };
    keyring.decrypt(&ciphertext, &aad(&channel_id)).map(drop).map_err(|err| {
        anyhow::anyhow!(
            "the configured master key cannot open the stored credentials ({err}); set XCHANNEL_MASTER_KEY \
             to the key they were sealed with, or list it in XCHANNEL_PREVIOUS_MASTER_KEYS"
        )
    })
}

fn aad(channel_id: &str) -> String {
    format!("channel:{channel_id}:credentials")
}
