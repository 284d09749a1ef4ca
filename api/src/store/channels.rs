//! Writing channels: sealing credentials, keeping names and API keys unique (R-BASIC-1,
//! R-CRED-4), and refusing stale versions (R-API-4).

use channel_config::{ChannelSettings, Credential, CredentialChanges, ParsedChannel};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, SqlErr,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{channel, new_id, now};
use crate::{
    crypto::{sha256_hex, Keyring},
    error::{ApiError, ApiResult},
};

/// Where the channel stands with X (R-INTEG-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum IntegrationStatus {
    Draft,
    Verifying,
    Active,
    Failed,
}

impl IntegrationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IntegrationStatus::Draft => "draft",
            IntegrationStatus::Verifying => "verifying",
            IntegrationStatus::Active => "active",
            IntegrationStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "verifying" => IntegrationStatus::Verifying,
            "active" => IntegrationStatus::Active,
            "failed" => IntegrationStatus::Failed,
            _ => IntegrationStatus::Draft,
        }
    }
}

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

impl StoredCredentials {
    /// Applies the credentials a request sent; returns whether anything changed.
    fn apply(&mut self, hints: &mut CredentialHints, changes: &CredentialChanges) -> bool {
        let mut changed = false;
        let mut set = |value: &mut String, hint: &mut String, new: &Option<Credential>| {
            if let Some(new) = new {
                if value != new.expose() {
                    changed = true;
                    *value = new.expose().to_owned();
                }
                *hint = new.hint();
            }
        };
        set(&mut self.api_key, &mut hints.api_key, &changes.api_key);
        set(&mut self.api_key_secret, &mut hints.api_key_secret, &changes.api_key_secret);
        set(&mut self.access_token, &mut hints.access_token, &changes.access_token);
        set(&mut self.access_token_secret, &mut hints.access_token_secret, &changes.access_token_secret);
        changed
    }

    fn seal(&self, keyring: &Keyring, channel_id: &str) -> ApiResult<String> {
        let plain = serde_json::to_vec(self).map_err(|e| ApiError::Internal(e.into()))?;
        Ok(keyring.encrypt(&plain, &aad(channel_id))?)
    }

    pub fn open(keyring: &Keyring, model: &channel::Model) -> ApiResult<Self> {
        let plain = keyring.decrypt(&model.credentials, &aad(&model.id))?;
        serde_json::from_slice(&plain).map_err(|e| ApiError::Internal(anyhow::anyhow!("stored credentials unreadable: {e}")))
    }
}

/// Refuses to start with a master key that cannot open the stored credentials (a key
/// generated anew, or one rotated away without `XCHANNEL_PREVIOUS_MASTER_KEYS`): every edit
/// and every call to X would fail later, far from the cause.
pub async fn check_master_key<C: ConnectionTrait>(db: &C, keyring: &Keyring) -> anyhow::Result<()> {
    use sea_orm::QueryOrder;
    let Some(latest) = channel::Entity::find().order_by_desc(channel::Column::UpdatedAt).one(db).await? else {
        return Ok(());
    };
    keyring.decrypt(&latest.credentials, &aad(&latest.id)).map(drop).map_err(|err| {
        anyhow::anyhow!(
            "the configured master key cannot open the stored credentials ({err}); set XCHANNEL_MASTER_KEY to the key they were sealed with, or list it in XCHANNEL_PREVIOUS_MASTER_KEYS"
        )
    })
}

fn aad(channel_id: &str) -> String {
    format!("channel:{channel_id}:credentials")
}

fn json(value: impl Serialize) -> ApiResult<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| ApiError::Internal(e.into()))
}

fn columns(settings: &ChannelSettings) -> (String, String, String, String, Option<String>) {
    (
        settings.name().as_str().to_owned(),
        settings.ou_id().to_owned(),
        settings.skill_queue_id().to_owned(),
        json_str(settings.account_level()),
        settings.no_agent_reply_target_skill_queue_id().map(str::to_owned),
    )
}

fn json_str(value: impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The unique indexes are the check: a name or API key already taken (by any channel,
/// or by a request racing this one) makes the write fail, and this names which.
fn unique_violation(err: DbErr) -> ApiError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(msg)) if msg.contains("fingerprint") => ApiError::ApiKeyInUse,
        Some(SqlErr::UniqueConstraintViolation(_)) => ApiError::ChannelNameTaken,
        _ => err.into(),
    }
}

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    keyring: &Keyring,
    tenant_id: &str,
    parsed: ParsedChannel,
) -> ApiResult<channel::Model> {
    let id = new_id();
    let mut credentials = StoredCredentials::default();
    let mut hints = CredentialHints::default();
    credentials.apply(&mut hints, &parsed.credentials);
    let fingerprint = sha256_hex(&credentials.api_key);
    let (name, ou_id, skill_queue_id, account_level, transfer_queue_id) = columns(&parsed.settings);
    let at = now();
    channel::ActiveModel {
        credentials: Set(credentials.seal(keyring, &id)?),
        id: Set(id),
        tenant_id: Set(tenant_id.to_owned()),
        name: Set(name),
        channel_type: Set(json_str(parsed.settings.channel_type())),
        ou_id: Set(ou_id),
        skill_queue_id: Set(skill_queue_id),
        transfer_queue_id: Set(transfer_queue_id),
        account_level: Set(account_level),
        status: Set(IntegrationStatus::Draft.as_str().to_owned()),
        status_detail: Set(None),
        settings: Set(json(&parsed.settings)?),
        api_key_fingerprint: Set(fingerprint),
        credential_hints: Set(json(&hints)?),
        credentials_version: Set(1),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await
    .map_err(unique_violation)
}

pub async fn replace<C: ConnectionTrait>(
    db: &C,
    keyring: &Keyring,
    current: channel::Model,
    expected_version: i32,
    parsed: ParsedChannel,
) -> ApiResult<channel::Model> {
    // Sending all four credentials replaces them whole: the stored ones need not be opened.
    let mut credentials = if parsed.credentials.all() {
        StoredCredentials::default()
    } else {
        StoredCredentials::open(keyring, &current)?
    };
    let mut hints: CredentialHints = serde_json::from_value(current.credential_hints.clone()).unwrap_or_default();
    let rotated = credentials.apply(&mut hints, &parsed.credentials);
    let fingerprint = sha256_hex(&credentials.api_key);
    let (name, ou_id, skill_queue_id, account_level, transfer_queue_id) = columns(&parsed.settings);
    let update = channel::ActiveModel {
        name: Set(name),
        ou_id: Set(ou_id),
        skill_queue_id: Set(skill_queue_id),
        transfer_queue_id: Set(transfer_queue_id),
        account_level: Set(account_level),
        settings: Set(json(&parsed.settings)?),
        api_key_fingerprint: Set(fingerprint),
        credentials: Set(credentials.seal(keyring, &current.id)?),
        credential_hints: Set(json(&hints)?),
        credentials_version: Set(current.credentials_version + i32::from(rotated)),
        version: Set(expected_version + 1),
        updated_at: Set(now()),
        ..Default::default()
    };
    // The version in the WHERE clause makes the check and the write one step: of two
    // concurrent edits from the same version, one wins and the other gets 412.
    let result = channel::Entity::update_many()
        .set(update)
        .filter(channel::Column::Id.eq(current.id.clone()))
        .filter(channel::Column::Version.eq(expected_version))
        .exec(db)
        .await
        .map_err(unique_violation)?;
    if result.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    channel::Entity::find_by_id(current.id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("channel"))
}
