//! A channel's integration with X beside its row (R-INTEG-2, R-INTEG-3): the submit that
//! moves it to `verifying` and schedules the work, the outcome that ends the work, and
//! what X told us on the way (the account, the webhook, the DM-read budget). The channel's
//! `status` column is written here without touching its version, so background work never
//! changes a channel's ETag.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    entity::prelude::*, sea_query::OnConflict, ActiveValue::Set, Condition, QuerySelect,
};

use super::{channels, leases, now, StoreResult};

pub(super) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "channel_integrations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub channel_id: String,
        /// The credentials version the last submit verifies.
        pub credentials_version: Option<i32>,
        pub x_user_id: Option<String>,
        pub x_username: Option<String>,
        pub x_name: Option<String>,
        pub submitted_at: Option<ChronoDateTimeUtc>,
        pub activated_at: Option<ChronoDateTimeUtc>,
        pub last_error_code: Option<String>,
        pub last_error_message: Option<String>,
        pub last_error_at: Option<ChronoDateTimeUtc>,
        pub webhook_id: Option<String>,
        pub webhook_valid: Option<bool>,
        pub webhook_checked_at: Option<ChronoDateTimeUtc>,
        pub pull_limit: Option<i64>,
        pub pull_remaining: Option<i64>,
        pub pull_reset_at: Option<ChronoDateTimeUtc>,
        pub pull_observed_at: Option<ChronoDateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// A channel's integration as stored.
pub type Integration = entity::Model;

/// The lease kind of the submit's background work; the item is the channel id.
pub const SUBMIT_KIND: &str = "integration";
/// The lease kind of the webhook validity checks; the item is the channel id.
pub const WEBHOOK_CHECK_KIND: &str = "webhook_check";

const VERIFYING: &str = "verifying";

/// The X account an integration submit recorded for the channel, if any: the account
/// every delivery to the channel's webhook must be for.
pub async fn x_account_id<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
) -> StoreResult<Option<String>> {
    Ok(Entity::find_by_id(channel_id.to_owned())
        .select_only()
        .column(Column::XUserId)
        .into_tuple::<Option<String>>()
        .one(db)
        .await?
        .flatten())
}

pub async fn find<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
) -> StoreResult<Option<Integration>> {
    Ok(Entity::find_by_id(channel_id.to_owned()).one(db).await?)
}

/// The integrations of these channels, by channel id (a page of a list).
pub async fn find_many<C: ConnectionTrait>(
    db: &C,
    channel_ids: impl IntoIterator<Item = String>,
) -> StoreResult<HashMap<String, Integration>> {
    let rows = Entity::find()
        .filter(Column::ChannelId.is_in(channel_ids))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.channel_id.clone(), r))
        .collect())
}

/// Moves the channel to `verifying` unless it is already (`false` then: nothing written),
/// records the submit and schedules the work, all in the caller's transaction.
pub async fn submit<C: ConnectionTrait>(db: &C, channel: &channels::Channel) -> StoreResult<bool> {
    let moved = channels::entity::Entity::update_many()
        .col_expr(channels::entity::Column::Status, Expr::value(VERIFYING))
        .filter(channels::entity::Column::Id.eq(channel.id.as_str()))
        .filter(channels::entity::Column::Status.ne(VERIFYING))
        .exec(db)
        .await?;
    if moved.rows_affected == 0 {
        return Ok(false);
    }
    let at = now();
    let row = ActiveModel {
        channel_id: Set(channel.id.clone()),
        credentials_version: Set(Some(channel.credentials_version)),
        submitted_at: Set(Some(at)),
        last_error_code: Set(None),
        last_error_message: Set(None),
        last_error_at: Set(None),
        ..Default::default()
    };
    Entity::insert(row)
        .on_conflict(
            OnConflict::column(Column::ChannelId)
                .update_columns([
                    Column::CredentialsVersion,
                    Column::SubmittedAt,
                    Column::LastErrorCode,
                    Column::LastErrorMessage,
                    Column::LastErrorAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    leases::schedule(db, SUBMIT_KIND, &channel.id, at).await?;
    Ok(true)
}

/// The X account the tokens belong to.
#[derive(Debug, Clone)]
pub struct XAccount {
    pub id: String,
    pub username: String,
    pub name: String,
}

/// The DM-read budget X announced with its rate-limit headers.
#[derive(Debug, Clone, Copy)]
pub struct PullBudget {
    pub limit: i64,
    pub remaining: i64,
    pub reset_at: DateTime<Utc>,
}

/// X's view of a channel's webhook.
#[derive(Debug, Clone)]
pub struct WebhookState {
    pub id: String,
    pub valid: bool,
}

/// How a verification ended.
pub enum Outcome {
    Active {
        account: XAccount,
        webhook: Option<WebhookState>,
        pull: Option<PullBudget>,
    },
    Failed {
        code: &'static str,
        message: String,
        /// Known when `users/me` passed before the failure.
        account: Option<XAccount>,
    },
}

/// Ends the verification of `channel_id` for `credentials_version`: `false` (nothing
/// written) when the channel is no longer `verifying` with those credentials, i.e. it was
/// edited or deleted meanwhile.
pub async fn finish<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
    credentials_version: i32,
    outcome: Outcome,
) -> StoreResult<bool> {
    let status = match outcome {
        Outcome::Active { .. } => "active",
        Outcome::Failed { .. } => "failed",
    };
    let moved = channels::entity::Entity::update_many()
        .col_expr(channels::entity::Column::Status, Expr::value(status))
        .filter(channels::entity::Column::Id.eq(channel_id))
        .filter(channels::entity::Column::Status.eq(VERIFYING))
        .filter(channels::entity::Column::CredentialsVersion.eq(credentials_version))
        .exec(db)
        .await?;
    if moved.rows_affected == 0 {
        return Ok(false);
    }
    if find(db, channel_id).await?.is_none() {
        // A submit writes the row; only a channel made verifying by other means lacks it.
        ActiveModel {
            channel_id: Set(channel_id.to_owned()),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    let at = now();
    let mut row = ActiveModel {
        channel_id: Set(channel_id.to_owned()),
        ..Default::default()
    };
    let set_account = |row: &mut ActiveModel, account: XAccount| {
        row.x_user_id = Set(Some(account.id));
        row.x_username = Set(Some(account.username));
        row.x_name = Set(Some(account.name));
    };
    match outcome {
        Outcome::Active {
            account,
            webhook,
            pull,
        } => {
            set_account(&mut row, account);
            row.activated_at = Set(Some(at));
            row.last_error_code = Set(None);
            row.last_error_message = Set(None);
            row.last_error_at = Set(None);
            row.webhook_id = Set(webhook.as_ref().map(|w| w.id.clone()));
            row.webhook_valid = Set(webhook.as_ref().map(|w| w.valid));
            row.webhook_checked_at = Set(webhook.as_ref().map(|_| at));
            row.pull_limit = Set(pull.map(|p| p.limit));
            row.pull_remaining = Set(pull.map(|p| p.remaining));
            row.pull_reset_at = Set(pull.map(|p| p.reset_at));
            row.pull_observed_at = Set(pull.map(|_| at));
        }
        Outcome::Failed {
            code,
            message,
            account,
        } => {
            if let Some(account) = account {
                set_account(&mut row, account);
            }
            row.activated_at = Set(None);
            row.last_error_code = Set(Some(code.to_owned()));
            row.last_error_message = Set(Some(message));
            row.last_error_at = Set(Some(at));
        }
    }
    Entity::update(row).exec(db).await?;
    Ok(true)
}

/// Ends an `active` integration as `failed` with `code` because X refused the credentials
/// to work other than a verification (the pull, a reply): the same `lastError` a
/// verification would record. `false` (nothing written) when the channel is no longer
/// active with these credentials, i.e. it was edited or deleted meanwhile.
pub async fn fail_active<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
    credentials_version: i32,
    code: &'static str,
    message: String,
) -> StoreResult<bool> {
    let moved = channels::entity::Entity::update_many()
        .col_expr(channels::entity::Column::Status, Expr::value("failed"))
        .filter(channels::entity::Column::Id.eq(channel_id))
        .filter(channels::entity::Column::Status.eq("active"))
        .filter(channels::entity::Column::CredentialsVersion.eq(credentials_version))
        .exec(db)
        .await?;
    if moved.rows_affected == 0 {
        return Ok(false);
    }
    Entity::update_many()
        .col_expr(
            Column::ActivatedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(Column::LastErrorCode, Expr::value(code))
        .col_expr(Column::LastErrorMessage, Expr::value(message))
        .col_expr(Column::LastErrorAt, Expr::value(now()))
        .filter(Column::ChannelId.eq(channel_id))
        .exec(db)
        .await?;
    Ok(true)
}

/// Whether a channel of another tenant that is `active` or `verifying` holds the API key
/// with this fingerprint (R-CRED-4 across tenants, `x_app_in_use`).
pub async fn api_key_held_elsewhere<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    api_key_fingerprint: &str,
) -> StoreResult<bool> {
    use channels::entity::{Column as Ch, Entity as Channels};
    let holders = Channels::find()
        .select_only()
        .column(Ch::Id)
        .filter(Ch::ApiKeyFingerprint.eq(api_key_fingerprint))
        .filter(Ch::TenantId.ne(tenant_id))
        .filter(
            Condition::any()
                .add(Ch::Status.eq("active"))
                .add(Ch::Status.eq(VERIFYING)),
        )
        .limit(1)
        .into_tuple::<String>()
        .all(db)
        .await?;
    Ok(!holders.is_empty())
}

/// Records X's view of a channel's webhook after a check.
pub async fn record_webhook_check<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
    webhook: WebhookState,
) -> StoreResult<()> {
    Entity::update_many()
        .col_expr(Column::WebhookId, Expr::value(webhook.id))
        .col_expr(Column::WebhookValid, Expr::value(webhook.valid))
        .col_expr(Column::WebhookCheckedAt, Expr::value(now()))
        .filter(Column::ChannelId.eq(channel_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Other channels whose integration uses the webhook `webhook_id` (one app, one webhook
/// URL per channel, but a deleted channel's webhook is removed only when no one else's).
pub async fn webhook_used_by_others<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
    webhook_id: &str,
) -> StoreResult<bool> {
    Ok(Entity::find()
        .filter(Column::WebhookId.eq(webhook_id))
        .filter(Column::ChannelId.ne(channel_id))
        .one(db)
        .await?
        .is_some())
}
