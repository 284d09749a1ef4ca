//! Events out: every stored message, conversation change and integration status change
//! appends an event to the outbox (`events`) in the transaction that makes the change, and
//! `GET /api/v1/events` streams them (Server-Sent Events, resumable with `Last-Event-ID`).
//!
//! **Ids follow commit order.** A reader resumes "after id N", so it must never see id N
//! while an event with a smaller id can still commit: a PostgreSQL sequence would hand out
//! ids in insert order, and a reader that saw 10 would skip a 9 committing later. Ids are
//! taken instead from one counter row (`event_sequence`), incremented by the appending
//! transaction with `UPDATE ... RETURNING`: the row lock it takes is held until that
//! transaction ends, so a second appender waits, and takes its ids only once the first has
//! committed (or rolled back and given its ids back). Ids are therefore strictly
//! increasing in commit order and gap-free: every id up to the counter's committed value
//! is committed and visible. This serialises appends per database, which the hot path
//! makes cheap: the group commit appends once per batch of deliveries, one UPDATE and one
//! INSERT, and should append last in its transaction so the lock is held only through the
//! commit. Readers need no horizon and no retry: "after N" is exact, from any instance.
//!
//! **Wake-ups.** On PostgreSQL the appending transaction also runs `pg_notify`, which
//! fires at its commit; each instance keeps one listening connection and fans events out
//! in process (`hub.rs`). On SQLite the append wakes this process's hub with the last id
//! it took; the hub reads at once and, until that id shows (its transaction committed),
//! again after 1, 2, 4, ... ms, never through the one writer (which the next write waits
//! for). Either way the hub reads the table by id, and also once a second, so a missed
//! notification only delays an event, never loses it.

mod hub;

pub use hub::{Batch, EventHub, Frame};

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend};

use crate::store::{self, channels::Channel, events::EventRow, messages::Message, StoreResult};

pub const MESSAGE_RECEIVED: &str = "message.received";
pub const MESSAGE_SENT: &str = "message.sent";
pub const CONVERSATION_OPENED: &str = "conversation.opened";
pub const CONVERSATION_QUEUED: &str = "conversation.queued";
pub const CONVERSATION_ASSIGNED: &str = "conversation.assigned";
pub const CONVERSATION_TRANSFERRED: &str = "conversation.transferred";
pub const CONVERSATION_ENDED: &str = "conversation.ended";
pub const CHANNEL_STATUS_CHANGED: &str = "channel.status_changed";

/// Every kind of event the outbox holds, for the stream's `type` filter.
pub const KINDS: [&str; 8] = [
    MESSAGE_RECEIVED,
    MESSAGE_SENT,
    CONVERSATION_OPENED,
    CONVERSATION_QUEUED,
    CONVERSATION_ASSIGNED,
    CONVERSATION_TRANSFERRED,
    CONVERSATION_ENDED,
    CHANNEL_STATUS_CHANGED,
];

/// An event to append.
pub struct NewEvent {
    pub tenant_id: String,
    pub channel_id: Option<String>,
    /// One of `KINDS`: "message.received", "conversation.opened", ...
    pub kind: &'static str,
    /// The resource as the API shows it (camelCase).
    pub data: serde_json::Value,
}

/// Appends one event in `tx`; it is streamed once `tx` commits.
pub async fn append(tx: &DatabaseTransaction, event: NewEvent) -> StoreResult<()> {
    append_all(tx, vec![event]).await
}

/// Appends `events` in `tx`, in order, with one counter update and one insert.
pub async fn append_all(tx: &DatabaseTransaction, events: Vec<NewEvent>) -> StoreResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let rows = events
        .into_iter()
        .map(|e| EventRow {
            tenant_id: e.tenant_id,
            channel_id: e.channel_id,
            kind: e.kind.to_owned(),
            data: e.data.to_string(),
        })
        .collect();
    // On PostgreSQL the append also notifies every instance's hub at the commit.
    let last = store::events::append(tx, rows).await?;
    if tx.get_database_backend() != DbBackend::Postgres {
        hub::appended(last);
    }
    Ok(())
}

/// `message.received` for each new inbound message, `message.sent` for each new
/// outbound one: the events of what `ingest::store_messages` stored, to be appended, in
/// the tenants of `channels` (the batch's channels, read in its transaction).
pub fn of_messages(messages: &[Message], channels: &HashMap<String, Channel>) -> Vec<NewEvent> {
    let mut events = Vec::with_capacity(messages.len());
    for message in messages {
        // A stored message's channel exists (its foreign key says so) in this transaction.
        let Some(channel) = channels.get(&message.channel_id) else {
            continue;
        };
        let kind = match message.direction.as_str() {
            "outbound" => MESSAGE_SENT,
            _ => MESSAGE_RECEIVED,
        };
        let Ok(out) = crate::routes::messages::message_out(message.clone()) else {
            continue;
        };
        events.push(NewEvent {
            tenant_id: channel.tenant_id.clone(),
            channel_id: Some(message.channel_id.clone()),
            kind,
            data: serde_json::to_value(out).unwrap_or_default(),
        });
    }
    events
}

/// `channel.status_changed`: the channel's integration status went from `from` to `to`
/// (with X's reason when it failed), in the transaction that changed it.
pub async fn channel_status_changed(
    tx: &DatabaseTransaction,
    tenant_id: &str,
    channel_id: &str,
    from: &str,
    to: &str,
    reason: Option<(&str, &str)>,
) -> StoreResult<()> {
    if from == to {
        return Ok(());
    }
    let mut data = serde_json::json!({
        "channelId": channel_id,
        "status": to,
        "previousStatus": from,
    });
    if let Some((code, message)) = reason {
        data["error"] = serde_json::json!({"code": code, "message": message});
    }
    append(
        tx,
        NewEvent {
            tenant_id: tenant_id.to_owned(),
            channel_id: Some(channel_id.to_owned()),
            kind: CHANNEL_STATUS_CHANGED,
            data,
        },
    )
    .await
}
