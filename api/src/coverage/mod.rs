//! Coverage is a ledger, not a hope: which time ranges of each channel are known complete,
//! and the gaps with their reason, shown as the channel's `syncGaps`. Both receiving paths
//! feed it: the minute pull (Basic, Pro) through [`pull_reached_cursor`] and
//! [`pull_stopped_short`]; the webhook (Enterprise) by its exceptions, as an Enterprise
//! channel is covered from its activation for as long as the service was up
//! ([`service_was_down`], found from the heartbeats) and X kept the webhook valid
//! ([`webhook_checked`]). `workers::coverage` heals what X lets it heal.

pub mod heartbeat;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;

use crate::store::{self, coverage::Gap, StoreResult};

/// Why messages of a time range may be missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GapReason {
    /// X's rate limit stopped the pull before it reached what was already stored.
    RateLimited,
    /// X marked the webhook invalid and delivered nothing meanwhile.
    WebhookInvalid,
    /// No instance of the service was running.
    ServiceDown,
    /// Older than X's 30 days of DM history: nothing can bring it back.
    BeyondHistory,
}

impl GapReason {
    pub fn as_str(self) -> &'static str {
        match self {
            GapReason::RateLimited => "rate_limited",
            GapReason::WebhookInvalid => "webhook_invalid",
            GapReason::ServiceDown => "service_down",
            GapReason::BeyondHistory => "beyond_history",
        }
    }

    fn parse(stored: &str) -> Option<Self> {
        [
            GapReason::RateLimited,
            GapReason::WebhookInvalid,
            GapReason::ServiceDown,
            GapReason::BeyondHistory,
        ]
        .into_iter()
        .find(|r| r.as_str() == stored)
    }
}

/// How a gap is being healed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Healing {
    /// X's webhook replay was asked for (gaps younger than 24 hours).
    Replay,
    /// Being read back through `GET /2/dm_events` (within X's 30 days).
    ReadBack,
}

impl Healing {
    pub fn as_str(self) -> &'static str {
        match self {
            Healing::Replay => "replay",
            Healing::ReadBack => "read_back",
        }
    }
}

/// A time range of the channel whose messages may be missing (`syncGaps`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncGap {
    pub from: DateTime<Utc>,
    /// `null` while the gap is still open (X still marks the webhook invalid).
    #[schema(required = true)]
    pub to: Option<DateTime<Utc>>,
    pub reason: GapReason,
    /// Present while the service is healing the gap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healing: Option<Healing>,
}

fn time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn sync_gap(g: &Gap) -> Option<SyncGap> {
    Some(SyncGap {
        from: time(g.from_ms),
        to: g.to_ms.map(time),
        reason: GapReason::parse(&g.reason)?,
        healing: match g.healing.as_deref() {
            Some("replay") => Some(Healing::Replay),
            Some("read_back") => Some(Healing::ReadBack),
            _ => None,
        },
    })
}

/// A channel's `syncGaps`, oldest first.
pub async fn sync_gaps<C: ConnectionTrait>(db: &C, channel_id: &str) -> StoreResult<Vec<SyncGap>> {
    let gaps = store::coverage::gaps(db, channel_id).await?;
    Ok(gaps.iter().filter_map(sync_gap).collect())
}

/// The `syncGaps` of a page of channels, by channel id.
pub async fn sync_gaps_of_many<C: ConnectionTrait>(
    db: &C,
    channel_ids: impl IntoIterator<Item = String>,
) -> StoreResult<HashMap<String, Vec<SyncGap>>> {
    let by_channel = store::coverage::gaps_of_many(db, channel_ids).await?;
    Ok(by_channel
        .into_iter()
        .map(|(id, gaps)| (id, gaps.iter().filter_map(sync_gap).collect()))
        .collect())
}

/// How far back X keeps direct messages (`GET /2/dm_events` reaches 30 days).
pub const DM_HISTORY: chrono::Duration = chrono::Duration::days(30);

/// The pull read every event of `[from, to]`: it walked back to its cursor (the newest
/// event already stored), so nothing of that range is missing. Merged with the ranges
/// already complete; a gap inside it is healed. Call it in the transaction that stores
/// the pulled messages.
pub async fn pull_reached_cursor<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<()> {
    store::coverage::add_complete(
        db,
        channel_id,
        from.timestamp_millis(),
        to.timestamp_millis(),
    )
    .await
}

/// The pull stopped before its cursor (X's budget ran out, `rate_limited`): messages of
/// `[from, to]` may be missing. Merged with the gaps of the same reason it touches; the
/// parts already known complete are left out. Call it in the transaction that stores what
/// the pull did read.
pub async fn pull_stopped_short<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    reason: GapReason,
) -> StoreResult<()> {
    store::coverage::add_gap(
        db,
        channel_id,
        from.timestamp_millis(),
        Some(to.timestamp_millis()),
        reason.as_str(),
    )
    .await
}

/// What the webhook check found: X marks the webhook invalid (opens a `webhook_invalid`
/// gap from `valid_until`, the last time it was seen valid, unless one is open), or valid
/// again (closes the open one now, to be healed).
pub async fn webhook_checked<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
    valid: bool,
    valid_until: DateTime<Utc>,
) -> StoreResult<()> {
    let reason = GapReason::WebhookInvalid.as_str();
    if valid {
        let now = store::now().timestamp_millis();
        return store::coverage::close_open_gaps(db, channel_id, reason, now).await;
    }
    if store::coverage::has_open_gap(db, channel_id, reason).await? {
        return Ok(());
    }
    store::coverage::add_gap(db, channel_id, valid_until.timestamp_millis(), None, reason).await
}

/// A submit of the channel's integration ended `active`: an Enterprise channel's webhook
/// passed X's CRC (X holds it valid), and a Basic or Pro channel is pulled, so an open
/// `webhook_invalid` gap (X marked the webhook invalid, and no check found it valid since)
/// ends now and is healed: replayed or read back, or, for a pulled channel, by the pull's
/// walk back to its cursor. Without this, a channel submitted again as Basic or Pro (no
/// webhook check any more) would keep the gap open for ever.
pub async fn integration_activated<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
) -> StoreResult<()> {
    let now = store::now().timestamp_millis();
    let reason = GapReason::WebhookInvalid.as_str();
    store::coverage::close_open_gaps(db, channel_id, reason, now).await
}

/// No instance was alive from `from` to `to`: every Enterprise channel active by then
/// missed what X delivered meanwhile (X retries a few times over minutes, then drops).
/// A `service_down` gap for each, from its activation if that came later.
pub async fn service_was_down<C: ConnectionTrait>(
    db: &C,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<usize> {
    let mut opened = 0;
    for (channel_id, activated_at) in store::coverage::enterprise_channels_active(db).await? {
        if activated_at >= to {
            continue;
        }
        let start = from.max(activated_at);
        store::coverage::add_gap(
            db,
            &channel_id,
            start.timestamp_millis(),
            Some(to.timestamp_millis()),
            GapReason::ServiceDown.as_str(),
        )
        .await?;
        opened += 1;
    }
    Ok(opened)
}

/// X ended the replay job `job_id` of the channel's webhook (its `replay_job_status`
/// delivery, signed like any other, came after every replayed event): complete, the gaps
/// it was asked for are healed; otherwise they are asked again.
pub async fn replay_completed<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
    job_id: &str,
    complete: bool,
) -> StoreResult<()> {
    if !complete {
        return store::coverage::forget_replay(db, channel_id, job_id).await;
    }
    for g in store::coverage::gaps_of_replay(db, channel_id, job_id).await? {
        if let Some(to) = g.to_ms {
            store::coverage::add_complete(db, channel_id, g.from_ms, to).await?;
        }
    }
    Ok(())
}
