//! Conversations: what a contact center sees of one customer on one channel, the
//! hand-over between robot, skill queue and agent, and replies sent through X. The rows
//! are in `store::conversations`; the HTTP surface is `routes::conversations`.

pub mod reply;
pub mod transitions;
pub mod view;

use sea_orm::DatabaseTransaction;

use crate::{
    events::{self, NewEvent},
    store::{self, conversations::Conversation, messages::Message, StoreResult},
};

/// Attaches newly stored messages to their conversations within `tx` (opening those that
/// have none); answers the events of the ones opened, for the caller to append with the
/// messages' own.
pub async fn attach(tx: &DatabaseTransaction, new: &[Message]) -> StoreResult<Vec<NewEvent>> {
    let mut events = Vec::new();
    for opened in store::conversations::attach(tx, new).await? {
        events.push(event("conversation.opened", &opened));
        if opened.state == store::conversations::QUEUED {
            events.push(event("conversation.queued", &opened));
        }
    }
    Ok(events)
}

/// The event `kind` about `conversation`, as the API shows it.
fn event(kind: &'static str, conversation: &Conversation) -> NewEvent {
    NewEvent {
        tenant_id: conversation.tenant_id.clone(),
        channel_id: Some(conversation.channel_id.clone()),
        kind,
        data: serde_json::to_value(view::conversation_out(conversation)).unwrap_or_default(),
    }
}

/// Writes the event `kind` about `conversation`, as the API shows it.
pub async fn announce(
    tx: &DatabaseTransaction,
    kind: &'static str,
    conversation: &Conversation,
) -> StoreResult<()> {
    events::append(tx, event(kind, conversation)).await
}
