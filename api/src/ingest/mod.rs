//! Receiving messages: the group commit that makes webhook deliveries durable before they
//! are answered, and the counts of what deliveries brought.

pub mod counters;
mod group_commit;

pub use counters::DeliveryCounters;
pub use group_commit::GroupCommit;

use std::collections::HashMap;

use sea_orm::DatabaseTransaction;
use x_connector::MessageEvent;

use crate::{
    clock::Clock,
    store::{self, channels::Channel, messages::Message, StoreResult},
};

/// Stores `messages` within `tx` and returns those that were new (a message X sent
/// before, by any path, is skipped). Every path that brings messages (webhook
/// deliveries, the minute pull, replays and read-backs, replies sent) stores through
/// here, so the work that follows a new message happens once per message and commits or
/// rolls back with its row.
///
/// The channel's settings act on the new messages here too (`automation::on_stored`),
/// judged by `clock`.
pub async fn store_messages(
    tx: &DatabaseTransaction,
    clock: &Clock,
    messages: Vec<Message>,
) -> StoreResult<Vec<Message>> {
    let stored = store::messages::insert_new(tx, messages).await?;
    if stored.is_empty() {
        return Ok(stored);
    }
    // The batch's channels and their settings, read once for every step that follows.
    let mut ids: Vec<String> = stored.iter().map(|m| m.channel_id.clone()).collect();
    ids.sort_unstable();
    ids.dedup();
    let channels: HashMap<String, Channel> = store::channels::by_ids(tx, ids)
        .await?
        .into_iter()
        .map(|c| (c.id.clone(), c))
        .collect();
    let settings = crate::automation::settings_of(&channels);
    let (attached, opened) =
        crate::conversations::attach(tx, clock, &stored, &channels, &settings).await?;
    let automated =
        crate::automation::on_stored(tx, clock, &stored, &attached, &channels, &settings).await?;
    // Each message's event, then those of the conversations it opened, then the rules';
    // appended once, last (the event counter stays locked until the commit, so no other
    // row lock follows it).
    let mut events = crate::events::of_messages(&stored, &channels);
    events.extend(opened);
    events.extend(automated);
    crate::events::append_all(tx, events).await?;
    Ok(stored)
}

/// Whether a text of the event holds a NUL character: PostgreSQL keeps none in text, and
/// X sends none, so such an event is not X's.
pub fn holds_nul(m: &MessageEvent) -> bool {
    let texts = [&m.id, &m.conversation_id, &m.sender_id, &m.text];
    let optional = [&m.recipient_id, &m.sender_name, &m.sender_username];
    texts.iter().any(|t| t.contains('\0'))
        || optional
            .iter()
            .any(|t| t.as_deref().is_some_and(|t| t.contains('\0')))
        || m.attachments
            .iter()
            .any(|a| a.url.contains('\0') || a.media_type.contains('\0'))
}

/// The row of a message of `channel_id`, whose own X account is `account_id`: what it
/// sent (X echoes it, through any app) is `outbound`. The same mapping for every path.
pub fn message_of(
    channel_id: &str,
    account_id: &str,
    m: MessageEvent,
    received_at: chrono::DateTime<chrono::Utc>,
) -> Message {
    Message {
        id: store::new_id(),
        channel_id: channel_id.to_owned(),
        direction: m.direction(account_id).as_str().to_owned(),
        attachments: serde_json::to_value(&m.attachments).unwrap_or_default(),
        x_event_id: m.id,
        conversation_id: m.conversation_id,
        sender_id: m.sender_id,
        sender_username: m.sender_username,
        sender_name: m.sender_name,
        recipient_id: m.recipient_id,
        text: m.text,
        sent_at_ms: m.created_at_ms,
        received_at,
        automatic: None,
    }
}

/// What the delivery endpoint shares across requests.
pub struct Ingest {
    pub group_commit: GroupCommit,
    pub counters: DeliveryCounters,
}

impl Ingest {
    /// Starts the writer of `store`'s database on the current runtime.
    pub fn start(store: crate::store::Store, clock: Clock) -> Self {
        let counters = DeliveryCounters::default();
        Ingest {
            group_commit: GroupCommit::start(store, clock, counters.clone()),
            counters,
        }
    }
}
