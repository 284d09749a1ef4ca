//! What a customer is told on the service's own (issue 19): the non-working time
//! notification (R-BASIC-5, R-BASIC-6, R-TENANT-5), the queue reminder when a conversation
//! enters a queue and the queue progress reminder the router asks for (R-BASIC-7..9). Each
//! is a decision of `automation::enqueue`, in the transaction of what caused it; the
//! `automatic_messages` worker sends it.
//!
//! - **Non-working time**: an inbound message that arrives (by the service's clock) while
//!   the channel's agents do not work, in the tenant's time zone with its service calendar
//!   picking each day's segments, gets the channel's `nonWorkingTimeNotification`, once
//!   per customer per closed period: the dedupe key names the customer and the instant the
//!   period began (`work_time::closed_since`). Echoes of the account's own sends never do;
//!   no text configured, nothing.
//! - **Queue reminder**: a conversation that enters `queued` (opened queued, queued by the
//!   router, a keyword or a timer, or transferred to another queue) gets the channel's
//!   queue reminder `content` when the mode is `all` or `queue`.
//! - **Progress**: [`report_position`], for `POST /conversations/{id}/queue-position`:
//!   modes `all` and `progress` send the progress template rendered with the customer and
//!   the reported position and wait, at most once per [`PROGRESS_GAP_MS`] per
//!   conversation (`last_progress_at_ms`, set by the same conditional UPDATE that decides).
//!
//! The settings are those read in the transaction (the batch's, or the channel row read
//! by the caller), so an edit applies to the next decision on every instance.

use std::collections::{BTreeSet, HashSet};

use channel_config::{
    work_time::{closed_since, status_at},
    ChannelSettings, ProgressValues, QueueReminderMode,
};
use chrono::NaiveDate;
use sea_orm::DatabaseTransaction;

use super::{enqueue, Batch, Reason};
use crate::{
    clock::Clock,
    events::NewEvent,
    store::{
        self,
        automatic_messages::AutomaticMessage,
        conversations::{Conversation, QUEUED},
        StoreResult,
    },
};

/// At most one progress reminder per conversation in this span (service clock).
pub const PROGRESS_GAP_MS: i64 = 60_000;

/// A message stored this long after X timed it came late (a replay, a read-back of a
/// coverage gap, a Basic channel's pull): the customer is not told now that the channel
/// is closed or that it waits, about a message that may be hours old.
pub const LATE_AFTER_MS: i64 = 10 * 60_000;

/// Whether `m` came late (both times are real time: X's, and the storing's).
fn late(m: &store::messages::Message) -> bool {
    m.received_at.timestamp_millis() - m.sent_at_ms > LATE_AFTER_MS
}

/// The rules that follow new messages: the non-working time notification, then the queue
/// reminder of each conversation the batch opened queued. They write no event of their
/// own (a sent message writes `message.sent` when the sender stores it).
pub async fn on_stored(tx: &DatabaseTransaction, batch: &Batch<'_>) -> StoreResult<Vec<NewEvent>> {
    non_working_time(tx, batch).await?;
    // A conversation opened by late messages only is not greeted with a queue reminder.
    let timely: HashSet<(&str, &str)> = batch
        .new
        .iter()
        .filter(|m| !late(m))
        .map(|m| (m.channel_id.as_str(), m.conversation_id.as_str()))
        .collect();
    let fresh =
        |c: &Conversation| timely.contains(&(c.channel_id.as_str(), c.x_conversation_id.as_str()));
    for opened in batch
        .attached
        .opened
        .iter()
        .filter(|c| c.state == QUEUED && fresh(c))
    {
        if let Some((_, settings)) = batch.channel(&opened.channel_id) {
            queue_reminder(tx, batch.clock, opened, settings).await?;
        }
    }
    Ok(Vec::new())
}

/// The rule that follows a state change: entering a queue (from another state, or into
/// another queue) sends the queue reminder. The channel's settings are read in `tx`, only
/// when the conversation entered a queue.
pub async fn on_changed(
    tx: &DatabaseTransaction,
    clock: &Clock,
    before: &Conversation,
    after: &Conversation,
) -> StoreResult<()> {
    if !entered_queue(before, after) {
        return Ok(());
    }
    let Some(channel) = store::channels::find_by_id(tx, &after.channel_id).await? else {
        return Ok(());
    };
    match crate::integration::settings_of(&channel) {
        Ok(settings) => queue_reminder(tx, clock, after, &settings).await,
        Err(err) => {
            tracing::warn!(channel_id = %channel.id, error = %err, "settings unreadable: no queue reminder");
            Ok(())
        }
    }
}

/// Whether the change put the conversation into a queue it was not waiting in.
pub fn entered_queue(before: &Conversation, after: &Conversation) -> bool {
    after.state == QUEUED
        && (before.state != QUEUED || before.skill_queue_id != after.skill_queue_id)
}

/// The queue reminder of `conversation`, which just entered its queue, if the mode sends
/// it: once per entry (the key names the conversation's version after the change).
async fn queue_reminder(
    tx: &DatabaseTransaction,
    clock: &Clock,
    conversation: &Conversation,
    settings: &ChannelSettings,
) -> StoreResult<()> {
    let reminder = settings.queue_reminder();
    if !reminder.mode().sends_queue_reminder() {
        return Ok(());
    }
    let Some(content) = reminder.content() else {
        return Ok(());
    };
    let key = format!(
        "queue_reminder:{}:{}",
        conversation.id, conversation.version
    );
    enqueue(
        tx,
        clock,
        conversation,
        Reason::QueueReminder,
        content.as_str().to_owned(),
        Some(key),
    )
    .await?;
    Ok(())
}

/// The local dates a batch's closed periods may reach back to lie within these days of
/// now in UTC (`closed_since` looks back three local days; time zones reach 14 hours off).
const CALENDAR_DAYS_BACK: i64 = 5;
const CALENDAR_DAYS_AHEAD: i64 = 2;

/// The non-working time notification for each inbound message of the batch whose channel
/// has one and is closed now. The tenants' time zones and calendars are read once per
/// batch, and only when some channel of the batch has a notification and a work time that
/// can be closed.
async fn non_working_time(tx: &DatabaseTransaction, batch: &Batch<'_>) -> StoreResult<()> {
    let candidates: Vec<_> = batch
        .messages()
        .filter(|(m, _, _, settings)| {
            m.direction == "inbound"
                && !late(m)
                && settings.non_working_time_notification().is_some()
                && !settings.work_time().always_working()
        })
        .collect();
    if candidates.is_empty() {
        return Ok(());
    }
    let now = batch.clock.now();
    let tenants: BTreeSet<String> = candidates
        .iter()
        .map(|(_, _, channel, _)| channel.tenant_id.clone())
        .collect();
    let zones = store::tenants::time_zones(tx, tenants.iter().cloned()).await?;
    let day = |d: chrono::DateTime<chrono::Utc>| d.format("%Y-%m-%d").to_string();
    let listed = store::calendar::days_between(
        tx,
        tenants,
        &day(now - chrono::Duration::days(CALENDAR_DAYS_BACK)),
        &day(now + chrono::Duration::days(CALENDAR_DAYS_AHEAD)),
    )
    .await?;
    let mut decided = HashSet::new();
    for (message, conversation, channel, settings) in candidates {
        let Some(text) = settings.non_working_time_notification() else {
            continue;
        };
        let zone: chrono_tz::Tz = zones
            .get(&channel.tenant_id)
            .and_then(|z| z.parse().ok())
            .unwrap_or(chrono_tz::UTC);
        let is_listed = |d: NaiveDate| {
            listed.contains(&(channel.tenant_id.clone(), d.format("%Y-%m-%d").to_string()))
        };
        let work_time = settings.work_time();
        let status = status_at(work_time, zone, now, is_listed);
        if status.working {
            continue;
        }
        // The period's start names it; without a closing in reach (every segment in a
        // skipped hour), the local date does.
        let period = match closed_since(work_time, zone, now, is_listed) {
            Some(since) => since.timestamp_millis().to_string(),
            None => status.local_date.to_string(),
        };
        let key = format!("non_working_time:{}:{period}", message.sender_id);
        if !decided.insert((channel.id.clone(), key.clone())) {
            continue;
        }
        enqueue(
            tx,
            batch.clock,
            conversation,
            Reason::NonWorkingTime,
            text.as_str().to_owned(),
            Some(key),
        )
        .await?;
    }
    Ok(())
}

/// What a queue position report decided.
#[derive(Debug)]
pub enum Progress {
    /// A progress reminder is to be sent: the decision, and from when the next may be
    /// (milliseconds, service clock).
    Decided {
        message: AutomaticMessage,
        next_at_ms: i64,
    },
    /// The channel's mode sends no progress reminder (`off` or `queue`).
    ProgressOff(QueueReminderMode),
    /// One was decided less than [`PROGRESS_GAP_MS`] ago; the next may be at this instant
    /// (milliseconds, service clock).
    Throttled { next_at_ms: i64 },
    /// The conversation is no longer `queued` (it changed at the same moment): as it is.
    NotQueued(Conversation),
}

/// The router reported that `conversation` (read `queued`) is at `position` and expected
/// to wait `wait_seconds`: decides the progress reminder the channel's `settings` (read in
/// `tx`) ask for, in `tx`.
pub async fn report_position(
    tx: &DatabaseTransaction,
    clock: &Clock,
    conversation: &Conversation,
    settings: &ChannelSettings,
    position: u64,
    wait_seconds: u64,
) -> StoreResult<Progress> {
    let reminder = settings.queue_reminder();
    if !reminder.mode().sends_progress_reminder() {
        return Ok(Progress::ProgressOff(reminder.mode()));
    }
    let now_ms = clock.now_ms();
    let marked = store::conversations::mark_progress(
        tx,
        &conversation.tenant_id,
        &conversation.id,
        now_ms,
        PROGRESS_GAP_MS,
    )
    .await?;
    let Some(current) = marked else {
        let current =
            store::conversations::find(tx, &conversation.tenant_id, &conversation.id).await?;
        if current.state != QUEUED {
            return Ok(Progress::NotQueued(current));
        }
        let last = current.last_progress_at_ms.unwrap_or(now_ms);
        return Ok(Progress::Throttled {
            next_at_ms: last + PROGRESS_GAP_MS,
        });
    };
    let text = reminder.progress_content().render(&ProgressValues {
        user_id: &current.customer_id,
        nick_name: nick_name(&current),
        position,
        wait_seconds,
    });
    let decided = enqueue(tx, clock, &current, Reason::QueueProgress, text, None).await?;
    match decided {
        Some(message) => Ok(Progress::Decided {
            message,
            next_at_ms: now_ms + PROGRESS_GAP_MS,
        }),
        // Without a dedupe key a decision is always recorded.
        None => Err(store::StoreError::Db(sea_orm::DbErr::Custom(
            "a progress reminder without a dedupe key was not recorded".into(),
        ))),
    }
}

/// `${nickName}`: the customer's display name at X, else the handle, else nothing.
pub fn nick_name(conversation: &Conversation) -> &str {
    conversation
        .customer_name
        .as_deref()
        .or(conversation.customer_username.as_deref())
        .unwrap_or("")
}
