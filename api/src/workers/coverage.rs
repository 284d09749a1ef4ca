//! Heals the gaps of the coverage ledger as far as X lets it (leases of kind `coverage`,
//! one item per channel, so one instance works a channel's gaps at a time and one replay
//! job per webhook runs at a time). Of an active Enterprise channel, a closed gap younger
//! than 24 hours is asked again with X's webhook replay (the events come back through the
//! webhook endpoint, and X's `replay_job_status` delivery heals the gap); an older one
//! within X's 30 days of DM history is read back through `GET /2/dm_events`. The part of
//! any gap older than 30 days becomes `beyond_history` and stays visible.

use std::time::Duration;

use chrono::{DateTime, Utc};
use x_connector::{
    client::{replay_minute, DmEventsQuery},
    XError,
};

use super::{Job, JobFuture, Next};
use crate::{
    coverage::{GapReason, Healing as HealingKind, DM_HISTORY},
    integration,
    state::AppState,
    store::{self, channels::Channel, coverage::Gap, leases::Lease},
};

/// X replays the last days of a webhook; the service asks it for gaps younger than this.
const REPLAY_WINDOW: chrono::Duration = chrono::Duration::hours(24);

pub struct Healing;

impl Job for Healing {
    fn kind(&self) -> &'static str {
        store::coverage::HEAL_KIND
    }

    fn lease_for(&self) -> Duration {
        Duration::from_secs(5 * 60)
    }

    fn work<'a>(&'a self, state: &'a AppState, lease: &'a Lease) -> JobFuture<'a> {
        Box::pin(work(state, lease))
    }
}

fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn later(by: Duration) -> DateTime<Utc> {
    store::now() + chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX)
}

async fn work(state: &AppState, lease: &Lease) -> anyhow::Result<Next> {
    let db = state.store.reader();
    let Some(channel) = store::channels::find_by_id(db, &lease.item).await? else {
        return Ok(Next::Done);
    };
    let now = store::now();
    mark_beyond_history(state, &channel.id, ms(now - DM_HISTORY)).await?;
    let gaps = store::coverage::gaps(db, &channel.id).await?;
    let living: Vec<&Gap> = gaps
        .iter()
        .filter(|g| g.reason != GapReason::BeyondHistory.as_str())
        .collect();
    // What stays of a gap crosses the 30-day line one day: look again then.
    let Some(oldest) = living.iter().map(|g| g.from_ms).min() else {
        return Ok(Next::Done);
    };
    let crosses_history = DateTime::from_timestamp_millis(oldest).unwrap_or(now) + DM_HISTORY;
    let integration = store::integrations::find(db, &channel.id).await?;
    let webhook_id = integration.as_ref().and_then(|i| i.webhook_id.clone());
    let account_id = integration.as_ref().and_then(|i| i.x_user_id.clone());
    let (true, true, Some(webhook_id), Some(account_id)) = (
        channel.account_level == "enterprise",
        channel.status == "active",
        webhook_id,
        account_id,
    ) else {
        // Basic and Pro gaps are healed by the pull itself, which walks back to its cursor.
        return Ok(Next::At(crosses_history));
    };
    let settings = &state.settings.workers.coverage;
    // One replay job per webhook at a time: wait for the one in progress.
    if let Some(g) = living
        .iter()
        .find(|g| g.healing.as_deref() == Some("replay"))
    {
        let since = g.healing_since.unwrap_or(now);
        if since + chrono::Duration::from_std(settings.replay_timeout)? > now {
            return Ok(Next::At(later(settings.heal_poll)));
        }
        tracing::warn!(channel_id = %channel.id, job_id = ?g.replay_job_id, "X never announced the end of a replay job; asking again");
        let tx = state.store.write().await?;
        match &g.replay_job_id {
            Some(job) => store::coverage::forget_replay(&tx, &channel.id, job).await?,
            None => store::coverage::set_healing(&tx, &g.id, None).await?,
        }
        tx.commit().await?;
        return Ok(Next::At(store::now()));
    }
    let Some(gap) = living.iter().find(|g| g.to_ms.is_some()) else {
        // Only open gaps: closing one schedules this again.
        return Ok(Next::At(crosses_history));
    };
    if gap.from_ms >= ms(now - REPLAY_WINDOW) {
        replay(state, &channel, gap, &webhook_id).await
    } else {
        read_back(state, &channel, gap, &account_id).await
    }
}

/// Every gap's part older than X's history becomes `beyond_history`.
async fn mark_beyond_history(
    state: &AppState,
    channel_id: &str,
    history_start_ms: i64,
) -> anyhow::Result<()> {
    let gaps = store::coverage::gaps(state.store.reader(), channel_id).await?;
    let beyond = GapReason::BeyondHistory.as_str();
    let old: Vec<&Gap> = gaps
        .iter()
        .filter(|g| g.reason != beyond && g.from_ms < history_start_ms)
        .collect();
    if old.is_empty() {
        return Ok(());
    }
    let tx = state.store.write().await?;
    for g in old {
        store::coverage::split_off(&tx, g, history_start_ms - 1, beyond).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Asks X to replay the gap's minutes through the channel's webhook.
async fn replay(
    state: &AppState,
    channel: &Channel,
    gap: &Gap,
    webhook_id: &str,
) -> anyhow::Result<Next> {
    let settings = &state.settings.workers.coverage;
    let to_ms = gap.to_ms.unwrap_or(gap.from_ms);
    let settle = chrono::Duration::from_std(settings.replay_settle)?;
    let ready_at = DateTime::from_timestamp_millis(to_ms).unwrap_or_default() + settle;
    if ready_at > store::now() {
        return Ok(Next::At(ready_at));
    }
    let minute =
        |ms: i64| std::time::UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    // `from_date` inclusive, `to_date` exclusive: the minute after the gap's last.
    let from_date = replay_minute(minute(gap.from_ms));
    let to_date = replay_minute(minute(to_ms + 60_000));
    // Marked before asking: X may end a short job before its answer is recorded here, and
    // the end of a job of this webhook then heals the gap being asked for.
    let tx = state.store.write().await?;
    let asking = Some((HealingKind::Replay.as_str(), None));
    store::coverage::set_healing(&tx, &gap.id, asking).await?;
    tx.commit().await?;
    let asked = ask_replay(state, channel, webhook_id, &from_date, &to_date).await;
    if asked.is_err() {
        let tx = state.store.write().await?;
        store::coverage::set_healing(&tx, &gap.id, None).await?;
        tx.commit().await?;
    }
    let error = match asked {
        Ok(job) => {
            let tx = state.store.write().await?;
            let healing = Some((HealingKind::Replay.as_str(), Some(job.job_id.as_str())));
            store::coverage::set_healing(&tx, &gap.id, healing).await?;
            tx.commit().await?;
            tracing::info!(channel_id = %channel.id, job_id = %job.job_id, from_date, to_date, "asked X to replay a gap");
            return Ok(Next::At(later(settings.heal_poll)));
        }
        Err(error) => error,
    };
    match error.downcast_ref::<XError>() {
        // Another job of this webhook is still running at X.
        Some(XError::Api { status: 409, .. }) => Ok(Next::At(later(settings.heal_poll))),
        Some(XError::RateLimited { rate_limit, .. }) => Ok(Next::At(
            rate_limit
                .map(|r| DateTime::<Utc>::from(r.reset_at()))
                .unwrap_or_else(|| later(settings.heal_poll)),
        )),
        _ => Err(error),
    }
}

async fn ask_replay(
    state: &AppState,
    channel: &Channel,
    webhook_id: &str,
    from_date: &str,
    to_date: &str,
) -> anyhow::Result<x_connector::client::ReplayJob> {
    let credentials = integration::user_credentials(state, channel)?;
    let (x, _) = integration::client(state).await?;
    let bearer = integration::bearer(&x, &credentials).await?;
    let job = x
        .create_replay_job(&bearer, webhook_id, from_date, to_date)
        .await?;
    Ok(job.value)
}

/// Walks `GET /2/dm_events` back past the gap's start and stores what it brings, read with
/// the minute pull's query and mapping (`pull::events_of`, `ingest::message_of`), so a
/// message read back is stored as the pull would store it, attachments included. The gap
/// is healed in the same transaction once the walk reached past its start. A walk that
/// stops first (its page limit, X's budget, an error of X) heals what it read, keeps the
/// rest a gap and goes on from X's `next_token` next time.
async fn read_back(
    state: &AppState,
    channel: &Channel,
    gap: &Gap,
    account_id: &str,
) -> anyhow::Result<Next> {
    let to_ms = gap.to_ms.unwrap_or(gap.from_ms);
    let tx = state.store.write().await?;
    store::coverage::set_healing(&tx, &gap.id, Some((HealingKind::ReadBack.as_str(), None)))
        .await?;
    tx.commit().await?;
    let settings = integration_settings(channel)?;
    let credentials = integration::user_credentials(state, channel)?;
    let method = integration::signature_method(&settings);
    let (x, _) = integration::client(state).await?;
    let mut query = DmEventsQuery::minute_pull();
    query.pagination_token = gap.read_back_token.clone();
    let mut messages = Vec::new();
    // Where the walk stands: X's token of the next page, and the oldest message read.
    let mut token = query.pagination_token.clone();
    let mut oldest_ms: Option<i64> = None;
    let mut reached_start = false;
    let mut retry_at = None;
    let mut failure = None;
    for _ in 0..state.settings.workers.coverage.read_back_pages.max(1) {
        let answer = match x.dm_events(&credentials, method, &query).await {
            Ok(answer) => answer,
            Err(error) => {
                failure = Some(error);
                break;
            }
        };
        let exhausted = answer.rate_limit.filter(|r| r.is_exhausted());
        let events = match crate::pull::events_of(&answer.value) {
            Ok(events) => events,
            Err(error) => {
                failure = Some(error);
                break;
            }
        };
        let next = answer.value.next_token;
        let received_at = store::now();
        for m in events.messages {
            oldest_ms = Some(oldest_ms.map_or(m.created_at_ms, |o| o.min(m.created_at_ms)));
            if (gap.from_ms..=to_ms).contains(&m.created_at_ms) {
                messages.push(crate::ingest::message_of(
                    &channel.id,
                    account_id,
                    m,
                    received_at,
                ));
            }
        }
        token = next.clone();
        if oldest_ms.is_some_and(|oldest| oldest < gap.from_ms) || next.is_none() {
            reached_start = true;
            break;
        }
        if let Some(limit) = exhausted {
            retry_at = Some(DateTime::<Utc>::from(limit.reset_at()));
            break;
        }
        query.pagination_token = next;
    }
    // X no longer takes the token the last read-back stopped at: read from the newest page.
    let stale_token = failure.as_ref().is_some_and(|e| {
        matches!(e, XError::Api { status: 400, .. }) && query.pagination_token.is_some()
    });
    if stale_token {
        token = None;
    }
    let read = messages.len();
    let tx = state.store.write().await?;
    if reached_start {
        store::coverage::add_complete(&tx, &channel.id, gap.from_ms, to_ms).await?;
    } else {
        // Events of the oldest message's millisecond may go on in the next page.
        let read_from = oldest_ms.map(|oldest| oldest.saturating_add(1));
        store::coverage::read_back_stopped(&tx, gap, token.as_deref(), read_from).await?;
    }
    // Last: storing appends the messages' events, and the event counter stays locked
    // until the commit.
    let stored = crate::ingest::store_messages(&tx, &state.settings.automation.clock, messages)
        .await?
        .len();
    tx.commit().await?;
    tracing::info!(channel_id = %channel.id, read, stored, healed = reached_start, "read a gap back from X's DM history");
    match failure {
        None => Ok(Next::At(retry_at.unwrap_or_else(store::now))),
        Some(_) if stale_token => Ok(Next::At(store::now())),
        Some(error) => match error.rate_limit().filter(|r| r.is_exhausted()) {
            Some(limit) => Ok(Next::At(limit.reset_at().into())),
            None => Err(error.into()),
        },
    }
}

fn integration_settings(channel: &Channel) -> anyhow::Result<channel_config::ChannelSettings> {
    serde_json::from_value(channel.settings.clone())
        .map_err(|e| anyhow::anyhow!("stored settings of channel {} unreadable: {e}", channel.id))
}
