//! The timeouts of the channel's settings (R-BASIC-11), as timers in the database: a
//! conversation waits on at most one timer (`timer`, due at `timer_due_at_ms` by the
//! service's clock), with a lease of kind [`KIND`] (item: the conversation's id) that the
//! `conversation_timers` worker claims when it is due. Setting a timer replaces the one
//! before; a timer that no longer matches when its lease comes (cleared, replaced, moved
//! later) does nothing.
//!
//! - `noCustomerReplyEnd`: an agent's message (outbound, not automatic, in `agent` state)
//!   starts [`REMINDER`] at `reminderSeconds` (when a reminder is set) or else [`END`] at
//!   `timeoutSeconds`. Both count from the agent's message: the reminder fires
//!   `reminderSeconds` after it and sets the end `timeoutSeconds - reminderSeconds` after
//!   the reminder's due time. The end sends `endText` (when set) and ends the
//!   conversation (`conversation.ended`). A customer's message cancels it, another agent
//!   message starts it again.
//! - `noAgentReplyTransfer`: a conversation handed to an agent (assign, or transfer to
//!   another agent), or whose customer writes while an agent has it, starts
//!   [`TRANSFER`] at `timeoutSeconds`; more customer messages do not push it back (the
//!   wait counts from the first unanswered one). When it fires, the conversation goes to
//!   `targetSkillQueueId`, or back to the channel's own queue (a transfer to a skill
//!   queue: `conversation.transferred`). An agent's message cancels it.
//! - Leaving `agent` (queued, ended) clears the timer.
//!
//! A firing timer reads the channel's settings afresh: a rule disabled meanwhile does
//! nothing (the timer is cleared). A running timer keeps the due time it was set with;
//! changed times apply from the next timer on (the end after a reminder is counted from
//! the reminder's due time with the settings read when the reminder fires).
//!
//! Times are the service's clock when the message is stored (X's `created_at` of an
//! agent's reply is the same moment; a message read back late starts its timer late).

use channel_config::ChannelSettings;
use sea_orm::DatabaseTransaction;

use super::{Batch, Reason};
use crate::{
    clock::Clock,
    conversations::{
        self,
        transitions::{self, Target, Transition},
    },
    events::NewEvent,
    store::{
        self,
        channels::Channel,
        conversations::{Conversation, AGENT},
        messages::Message,
        StoreResult,
    },
};

/// The lease kind of conversation timers (the item: the conversation's id).
pub const KIND: &str = "conversation_timer";
/// `noCustomerReplyEnd`'s reminder is due.
pub const REMINDER: &str = "no_customer_reply_reminder";
/// `noCustomerReplyEnd`'s end is due.
pub const END: &str = "no_customer_reply_end";
/// `noAgentReplyTransfer` is due.
pub const TRANSFER: &str = "no_agent_reply_transfer";

/// How long after an uncertain automatic send an outbound message is taken for its echo.
const ECHO_WINDOW: chrono::Duration = chrono::Duration::minutes(10);

/// Who wrote a message, as far as the timers care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writer {
    Customer,
    Agent,
}

/// `None` for the service's own messages (automatic ones, and X's echo of one being
/// sent, which may be stored before the sender marks it).
async fn writer(
    tx: &DatabaseTransaction,
    conversation: &Conversation,
    m: &Message,
    since: chrono::DateTime<chrono::Utc>,
) -> StoreResult<Option<Writer>> {
    if m.direction != "outbound" {
        return Ok(Some(Writer::Customer));
    }
    if m.automatic.is_some()
        || store::automatic_messages::being_sent(tx, &conversation.id, since).await?
    {
        return Ok(None);
    }
    Ok(Some(Writer::Agent))
}

fn later(ms: i64, seconds: u32) -> i64 {
    ms + i64::from(seconds) * 1000
}

/// The timer an agent's message starts at `now`, if `noCustomerReplyEnd` is on.
fn after_agent(settings: &ChannelSettings, now: i64) -> Option<(&'static str, i64)> {
    let rule = settings.more().no_customer_reply_end();
    if !rule.enabled() {
        return None;
    }
    match (rule.reminder_seconds(), rule.reminder_text()) {
        (Some(reminder), Some(_)) => Some((REMINDER, later(now, reminder))),
        _ => rule.timeout_seconds().map(|t| (END, later(now, t))),
    }
}

/// The timer a customer waiting for an agent starts at `now`, if `noAgentReplyTransfer`
/// is on.
fn waiting_for_agent(settings: &ChannelSettings, now: i64) -> Option<(&'static str, i64)> {
    let rule = settings.more().no_agent_reply_transfer();
    if !rule.enabled() {
        return None;
    }
    rule.timeout_seconds().map(|t| (TRANSFER, later(now, t)))
}

/// Sets (only while the conversation is in `agent`) or clears the conversation's timer,
/// with its lease; the conversation as it is now, `None` when nothing matched.
async fn set(
    tx: &DatabaseTransaction,
    conversation: &Conversation,
    timer: Option<(&'static str, i64)>,
) -> StoreResult<Option<Conversation>> {
    let in_state = timer.map(|_| AGENT);
    let updated = store::conversations::set_timer(tx, &conversation.id, timer, in_state).await?;
    if let (Some(_), Some((_, due))) = (&updated, timer) {
        store::leases::schedule(tx, KIND, &conversation.id, at(due)).await?;
    }
    Ok(updated)
}

fn at(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// After new messages: a customer's message cancels the wait for the customer (and starts
/// the wait for an agent), an agent's message the other way round. Only timers change
/// here, no state, so there is no event to return.
pub async fn on_stored(tx: &DatabaseTransaction, batch: &Batch<'_>) -> StoreResult<Vec<NewEvent>> {
    let now = batch.clock.now_ms();
    // The latest message of each conversation that moves a timer, by X's time.
    let mut latest: Vec<(&Conversation, &ChannelSettings, Writer, i64)> = Vec::new();
    for (m, conversation, _, settings) in batch.messages() {
        let more = settings.more();
        let rules_on =
            more.no_customer_reply_end().enabled() || more.no_agent_reply_transfer().enabled();
        if conversation.state != AGENT || !(rules_on || conversation.timer.is_some()) {
            continue;
        }
        let since = batch.clock.now() - ECHO_WINDOW;
        let Some(who) = writer(tx, conversation, m, since).await? else {
            continue;
        };
        match latest.iter_mut().find(|(c, ..)| c.id == conversation.id) {
            Some(entry) if entry.3 <= m.sent_at_ms => {
                entry.2 = who;
                entry.3 = m.sent_at_ms;
            }
            Some(_) => {}
            None => latest.push((conversation, settings, who, m.sent_at_ms)),
        }
    }
    for (conversation, settings, who, _) in latest {
        let next = match who {
            Writer::Agent => after_agent(settings, now),
            // Still unanswered: the wait counts from the first message.
            Writer::Customer if conversation.timer.as_deref() == Some(TRANSFER) => continue,
            Writer::Customer => waiting_for_agent(settings, now),
        };
        if next.is_none() && conversation.timer.is_none() {
            continue;
        }
        set(tx, conversation, next).await?;
    }
    Ok(Vec::new())
}

/// The channel of `channel_id` with its settings; `None` (nothing to do) when it is gone
/// or its settings cannot be read.
async fn channel_settings(
    tx: &DatabaseTransaction,
    channel_id: &str,
) -> StoreResult<Option<(Channel, ChannelSettings)>> {
    let Some(channel) = store::channels::find_by_id(tx, channel_id).await? else {
        return Ok(None);
    };
    match crate::integration::settings_of(&channel) {
        Ok(settings) => Ok(Some((channel, settings))),
        Err(err) => {
            tracing::warn!(channel_id = %channel.id, error = %err, "settings unreadable: no timer applies");
            Ok(None)
        }
    }
}

/// After a state change: leaving `agent` clears the timer; an agent taking the
/// conversation has `noAgentReplyTransfer`'s time to write. `after` is updated.
pub async fn on_changed(
    tx: &DatabaseTransaction,
    clock: &Clock,
    before: &Conversation,
    after: &mut Conversation,
) -> StoreResult<()> {
    if after.state != AGENT {
        if after.timer.is_some() {
            if let Some(now) = set(tx, after, None).await? {
                *after = now;
            }
        }
        return Ok(());
    }
    if before.state == AGENT && before.agent_id == after.agent_id {
        return Ok(());
    }
    let Some((_, settings)) = channel_settings(tx, &after.channel_id).await? else {
        return Ok(());
    };
    if let Some(timer) = waiting_for_agent(&settings, clock.now_ms()) {
        if let Some(now) = set(tx, after, Some(timer)).await? {
            *after = now;
        }
    }
    Ok(())
}

/// What a timer's lease found: when the conversation's timer is due next (`None`: no
/// timer, the lease goes) and the events to append last.
#[derive(Default)]
pub struct Fired {
    pub next_due_at_ms: Option<i64>,
    pub events: Vec<NewEvent>,
}

/// The lease of `conversation`'s timer came (the caller holds the row, `hold`): fires the
/// timer if it is due, by the settings read now, in the caller's transaction.
pub async fn fire(
    tx: &DatabaseTransaction,
    clock: &Clock,
    conversation: Conversation,
) -> StoreResult<Fired> {
    let (Some(name), Some(due)) = (conversation.timer.clone(), conversation.timer_due_at_ms) else {
        return Ok(Fired::default());
    };
    if due > clock.now_ms() {
        // Set again later meanwhile.
        return Ok(Fired {
            next_due_at_ms: Some(due),
            events: Vec::new(),
        });
    }
    let settings = match conversation.state == AGENT {
        true => channel_settings(tx, &conversation.channel_id).await?,
        false => None,
    };
    let Some((channel, settings)) = settings else {
        set(tx, &conversation, None).await?;
        return Ok(Fired::default());
    };
    let fired = match name.as_str() {
        REMINDER => remind(tx, clock, &conversation, &settings, due).await?,
        END => end(tx, clock, &conversation, &channel, &settings, due).await?,
        TRANSFER => transfer(tx, clock, &conversation, &channel, &settings).await?,
        other => {
            tracing::warn!(conversation_id = %conversation.id, timer = other, "unknown timer cleared");
            None
        }
    };
    match fired {
        Some(fired) => Ok(fired),
        None => {
            // The rule is off now (or the timer unknown): nothing happens.
            set(tx, &conversation, None).await?;
            Ok(Fired::default())
        }
    }
}

/// One decision per timer: a second firing of the same timer (it cannot happen, as the
/// firing commits with its lease) would still send once.
fn dedupe_key(name: &str, conversation: &Conversation, due: i64) -> Option<String> {
    Some(format!("{name}:{}:{due}", conversation.id))
}

async fn remind(
    tx: &DatabaseTransaction,
    clock: &Clock,
    conversation: &Conversation,
    settings: &ChannelSettings,
    due: i64,
) -> StoreResult<Option<Fired>> {
    let rule = settings.more().no_customer_reply_end();
    let (true, Some(timeout)) = (rule.enabled(), rule.timeout_seconds()) else {
        return Ok(None);
    };
    let reminder = rule.reminder_seconds().unwrap_or(0);
    if let (Some(_), Some(text)) = (rule.reminder_seconds(), rule.reminder_text()) {
        super::enqueue(
            tx,
            clock,
            conversation,
            Reason::NoCustomerReplyReminder,
            text.as_str().to_owned(),
            dedupe_key(REMINDER, conversation, due),
        )
        .await?;
    }
    let end_due = later(due, timeout.saturating_sub(reminder));
    let next = set(tx, conversation, Some((END, end_due))).await?;
    Ok(Some(Fired {
        next_due_at_ms: next.and(Some(end_due)),
        events: Vec::new(),
    }))
}

async fn end(
    tx: &DatabaseTransaction,
    clock: &Clock,
    conversation: &Conversation,
    channel: &Channel,
    settings: &ChannelSettings,
    due: i64,
) -> StoreResult<Option<Fired>> {
    let rule = settings.more().no_customer_reply_end();
    if !rule.enabled() {
        return Ok(None);
    }
    let Ok(change) = transitions::plan(conversation, &channel.skill_queue_id, &Transition::End)
    else {
        return Ok(None);
    };
    if let Some(text) = rule.end_text() {
        super::enqueue(
            tx,
            clock,
            conversation,
            Reason::NoCustomerReplyEnd,
            text.as_str().to_owned(),
            dedupe_key(END, conversation, due),
        )
        .await?;
    }
    let Some(ended) = conversations::apply(tx, clock, conversation, change).await? else {
        return Ok(None);
    };
    Ok(Some(Fired {
        next_due_at_ms: None,
        events: vec![conversations::event("conversation.ended", &ended)],
    }))
}

async fn transfer(
    tx: &DatabaseTransaction,
    clock: &Clock,
    conversation: &Conversation,
    channel: &Channel,
    settings: &ChannelSettings,
) -> StoreResult<Option<Fired>> {
    let rule = settings.more().no_agent_reply_transfer();
    if !rule.enabled() {
        return Ok(None);
    }
    // The channel's settings name a multimedia route of its tenant (checked when saved;
    // a route a channel uses cannot be deleted).
    let queue = rule
        .target_skill_queue_id()
        .unwrap_or(&channel.skill_queue_id)
        .to_owned();
    let transition = Transition::Transfer(Target::SkillQueue(queue));
    let Ok(change) = transitions::plan(conversation, &channel.skill_queue_id, &transition) else {
        return Ok(None);
    };
    let Some(moved) = conversations::apply(tx, clock, conversation, change).await? else {
        return Ok(None);
    };
    Ok(Some(Fired {
        next_due_at_ms: None,
        events: vec![conversations::event(transition.event(), &moved)],
    }))
}
