//! The channel's send budget at X. X lets a user send about 15 direct messages per 15
//! minutes and 1,440 a day, and an account about 500 a day counting every client; each
//! send answers the `x-rate-limit-*` headers of its window. What is left is the least of
//! those, counted from the messages the account sent (any client's: X echoes them all)
//! and from X's latest headers while their window lasts. Automatic messages keep
//! `reserve` sends for agents' replies; an agent's reply is never held back here.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;
use x_connector::client::RateLimit;

use crate::{
    clock::Clock,
    state::AppState,
    store::{self, StoreResult},
};

/// X's per-user window for sending direct messages.
pub const WINDOW: chrono::Duration = chrono::Duration::minutes(15);
/// Sends per user per window.
pub const PER_WINDOW: u64 = 15;
/// Sends per account per day, counting every client.
pub const PER_DAY: u64 = 500;

/// What a channel may still send, as the channel shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendBudget {
    /// Sends left now: the least of X's window, the 15-minute count and the day's.
    pub remaining: u64,
    /// Sends kept for agents' replies: automatic messages are skipped at or below it.
    pub reserve: u64,
    /// Messages the account sent in the last 15 minutes (any client).
    pub sent_last_15_minutes: u64,
    /// Messages the account sent in the last 24 hours (any client).
    pub sent_last_24_hours: u64,
    /// X's `x-rate-limit-remaining` of the latest send, while its window lasts.
    #[schema(required = true)]
    pub x_remaining: Option<u64>,
    /// When X's window of the latest send resets.
    #[schema(required = true)]
    pub x_reset_at: Option<DateTime<Utc>>,
}

impl SendBudget {
    /// Whether an automatic message may use a send.
    pub fn allows_automatic(&self) -> bool {
        self.remaining > self.reserve
    }
}

/// The budget of `channel_id` now, by `clock`.
pub async fn of_channel<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
    clock: &Clock,
    reserve: u32,
) -> StoreResult<SendBudget> {
    let mut of = of_channels(db, &[channel_id.to_owned()], clock, reserve).await?;
    Ok(of
        .remove(channel_id)
        .expect("of_channels answers for every channel asked"))
}

/// The budgets of `channel_ids` now, by `clock`, by channel id: two queries whatever
/// their number (a list of channels shows each one's).
pub async fn of_channels<C: ConnectionTrait>(
    db: &C,
    channel_ids: &[String],
    clock: &Clock,
    reserve: u32,
) -> StoreResult<HashMap<String, SendBudget>> {
    let now = clock.now();
    let now_ms = now.timestamp_millis();
    let sent = store::send_budgets::sent_since_many(
        db,
        channel_ids.iter().cloned(),
        (now - WINDOW).timestamp_millis(),
        (now - chrono::Duration::hours(24)).timestamp_millis(),
    )
    .await?;
    let xs = store::send_budgets::find_many(db, channel_ids.iter().cloned()).await?;
    Ok(channel_ids
        .iter()
        .map(|id| {
            let (sent_15, sent_day) = sent.get(id).copied().unwrap_or((0, 0));
            let budget = compose(sent_15, sent_day, xs.get(id), now_ms, reserve);
            (id.clone(), budget)
        })
        .collect())
}

/// The budget from the counts of the account's sends and X's latest headers.
fn compose(
    sent_15: u64,
    sent_day: u64,
    x: Option<&store::send_budgets::XSendLimit>,
    now_ms: i64,
    reserve: u32,
) -> SendBudget {
    let x = x.filter(|x| x.x_reset_at_ms.is_some_and(|reset| reset > now_ms));
    let x_remaining = x.and_then(|x| x.x_remaining).map(|r| r.max(0) as u64);
    let x_reset_at = x
        .and_then(|x| x.x_reset_at_ms)
        .and_then(DateTime::from_timestamp_millis);
    let counted = PER_WINDOW
        .saturating_sub(sent_15)
        .min(PER_DAY.saturating_sub(sent_day));
    SendBudget {
        remaining: x_remaining.map_or(counted, |x| x.min(counted)),
        reserve: u64::from(reserve),
        sent_last_15_minutes: sent_15,
        sent_last_24_hours: sent_day,
        x_remaining,
        x_reset_at,
    }
}

/// Keeps X's headers of a send of `channel_id` (a failure to keep them is logged: the
/// send itself stands).
pub async fn record(state: &AppState, channel_id: &str, limit: Option<RateLimit>) {
    let Some(limit) = limit else {
        return;
    };
    let at_ms = state.settings.automation.clock.now_ms();
    let reset_ms = i64::try_from(limit.reset)
        .unwrap_or(i64::MAX / 1000)
        .saturating_mul(1000);
    let result = async {
        let tx = state.store.write().await?;
        store::send_budgets::record(
            &tx,
            channel_id,
            limit.limit,
            limit.remaining,
            reset_ms,
            at_ms,
        )
        .await?;
        tx.commit().await?;
        Ok::<_, store::StoreError>(())
    }
    .await;
    if let Err(err) = result {
        tracing::warn!(channel_id, error = %err, "keeping X's send limit failed");
    }
}
