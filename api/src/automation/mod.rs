//! The channel's settings acting on conversations (issue 19, R-BASIC-4..11, R-ROBOT):
//! notices and reminders sent on the service's own, the hand-over rules, the timeouts.
//!
//! Two hooks carry every rule, both run inside the transaction that made the change, so a
//! decision commits or rolls back with what caused it:
//! - [`on_stored`]: new messages were stored and attached to their conversations (any
//!   path: webhook, pull, replay, read-back, a reply sent);
//! - [`on_changed`]: a conversation changed state (the router's API, a keyword, a timer).
//!
//! A decision to send is a row of `automatic_messages` ([`enqueue`]), sent by the
//! `automatic_messages` worker (`workers::automatic_messages`) under a lease, once. Time is
//! the service's [`Clock`], which tests move.

pub mod budget;
pub mod notices;
pub mod routing;
pub mod timers;

use std::collections::HashMap;

use channel_config::ChannelSettings;
use sea_orm::DatabaseTransaction;

use crate::{
    clock::Clock,
    events::NewEvent,
    store::{
        self,
        automatic_messages::AutomaticMessage,
        channels::Channel,
        conversations::{Attached, Conversation},
        messages::Message,
        StoreResult,
    },
};

/// The lease kind of automatic messages waiting to be sent (the item: the message's id).
pub const SEND_KIND: &str = "automatic_message";

/// Why the service sends a message on its own; stored as the message's `automatic`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// R-BASIC-6: a message came while the channel is closed.
    NonWorkingTime,
    /// R-BASIC-8: the conversation entered a queue.
    QueueReminder,
    /// R-BASIC-9: the router reported the queue position.
    QueueProgress,
    /// R-BASIC-11 `noCustomerReplyEnd`: the customer is silent after an agent's message.
    NoCustomerReplyReminder,
    /// R-BASIC-11 `noCustomerReplyEnd`: the end text, before the conversation ends.
    NoCustomerReplyEnd,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NonWorkingTime => "non_working_time",
            Reason::QueueReminder => "queue_reminder",
            Reason::QueueProgress => "queue_progress",
            Reason::NoCustomerReplyReminder => "no_customer_reply_reminder",
            Reason::NoCustomerReplyEnd => "no_customer_reply_end",
        }
    }

    pub const ALL: [Reason; 5] = [
        Reason::NonWorkingTime,
        Reason::QueueReminder,
        Reason::QueueProgress,
        Reason::NoCustomerReplyReminder,
        Reason::NoCustomerReplyEnd,
    ];
}

/// Decides to send `text` to the customer of `conversation` for `reason`: one row, and
/// its lease due now for the sender. With a `dedupe_key`, at most once per key and
/// channel: `None` when it was decided before (by this or another instance).
pub async fn enqueue(
    tx: &DatabaseTransaction,
    clock: &Clock,
    conversation: &Conversation,
    reason: Reason,
    text: String,
    dedupe_key: Option<String>,
) -> StoreResult<Option<AutomaticMessage>> {
    let now = clock.now();
    let Some(row) =
        store::automatic_messages::insert(tx, conversation, reason.as_str(), text, dedupe_key, now)
            .await?
    else {
        return Ok(None);
    };
    store::leases::schedule(tx, SEND_KIND, &row.id, now).await?;
    Ok(Some(row))
}

/// What the rules that follow new messages see: the messages, their conversations as they
/// stand after the batch, and each channel with its settings, read once per batch within
/// the transaction (so an edit of the settings applies to the next batch, on every
/// instance). A channel whose settings are unreadable has no rule applied.
pub struct Batch<'a> {
    pub clock: &'a Clock,
    pub new: &'a [Message],
    pub attached: &'a Attached,
    pub channels: &'a HashMap<String, Channel>,
    pub settings: &'a HashMap<String, ChannelSettings>,
}

impl Batch<'_> {
    /// Each new message with its conversation and its channel's settings (messages of no
    /// open conversation, such as an outbound one nobody asked for, are left out).
    pub fn messages(
        &self,
    ) -> impl Iterator<Item = (&Message, &Conversation, &Channel, &ChannelSettings)> {
        self.new.iter().filter_map(|m| {
            let conversation = self.attached.of(m)?;
            let (channel, settings) = self.channel(&m.channel_id)?;
            Some((m, conversation, channel, settings))
        })
    }

    /// The channel of `channel_id` with its settings, if it is in the batch.
    pub fn channel(&self, channel_id: &str) -> Option<(&Channel, &ChannelSettings)> {
        Some((
            self.channels.get(channel_id)?,
            self.settings.get(channel_id)?,
        ))
    }
}

/// The settings of `channels`, each parsed once for a batch; a channel whose stored
/// settings are unreadable is left out (and warned about), so no rule applies to it.
pub fn settings_of(channels: &HashMap<String, Channel>) -> HashMap<String, ChannelSettings> {
    channels
        .values()
        .filter_map(|channel| match crate::integration::settings_of(channel) {
            Ok(parsed) => Some((channel.id.clone(), parsed)),
            Err(err) => {
                tracing::warn!(channel_id = %channel.id, error = %err, "settings unreadable: no rule applies");
                None
            }
        })
        .collect()
}

/// The rules that follow new messages (`new`, attached as `attached` says), within the
/// transaction that stored them; the events they write, for the caller to append last
/// (a rule never appends an event itself: events come last in a transaction).
pub async fn on_stored(
    tx: &DatabaseTransaction,
    clock: &Clock,
    new: &[Message],
    attached: &Attached,
    channels: &HashMap<String, Channel>,
    settings: &HashMap<String, ChannelSettings>,
) -> StoreResult<Vec<NewEvent>> {
    if attached.touched.is_empty() {
        return Ok(Vec::new());
    }
    let batch = Batch {
        clock,
        new,
        attached,
        channels,
        settings,
    };
    let mut events = Vec::new();
    events.extend(routing::on_stored(tx, &batch).await?);
    events.extend(timers::on_stored(tx, &batch).await?);
    events.extend(notices::on_stored(tx, &batch).await?);
    Ok(events)
}

/// The rules that follow a state change of a conversation from `before` to `after`,
/// within its transaction (before the change's own event is appended). A rule that
/// writes the conversation (a timer) updates `after`, so the caller's event shows it.
pub async fn on_changed(
    tx: &DatabaseTransaction,
    clock: &Clock,
    before: &Conversation,
    after: &mut Conversation,
) -> StoreResult<()> {
    timers::on_changed(tx, clock, before, after).await?;
    notices::on_changed(tx, clock, before, after).await?;
    Ok(())
}
