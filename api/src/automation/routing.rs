//! The hand-over rules of the channel's settings that follow a customer's message
//! (R-BASIC-4): while the robot has a conversation, a message holding one of the channel's
//! transfer keywords moves it to `queued` in the channel's skill queue, through
//! `conversations::apply` like any other change, with its `conversation.queued` event
//! returned for the caller to append last. The matching itself is
//! `channel_config::TransferKeywords::matches` (whole words, any case, any script).
//!
//! The other hand-over settings act elsewhere: the robot, the robot assistant and
//! `lastAgentMode` when a conversation opens (`store::conversations::attach`), the call
//! transfer interaction times and `sessionTransfer` when a transfer is asked for
//! (`routes::conversations`).

use std::collections::HashSet;

use sea_orm::DatabaseTransaction;

use super::Batch;
use crate::{
    conversations::{
        self,
        transitions::{self, Transition},
    },
    events::NewEvent,
    store::{conversations::ROBOT, StoreResult},
};

/// Moves each `robot` conversation whose customer wrote a transfer keyword in this batch
/// to its channel's queue; the events of the moves.
pub async fn on_stored(tx: &DatabaseTransaction, batch: &Batch<'_>) -> StoreResult<Vec<NewEvent>> {
    let mut events = Vec::new();
    let mut moved: HashSet<String> = HashSet::new();
    for (message, conversation, channel, settings) in batch.messages() {
        if message.direction != "inbound"
            || conversation.state != ROBOT
            || moved.contains(&conversation.id)
        {
            continue;
        }
        let Some(keyword) = settings.transfer_keywords().matches(&message.text) else {
            continue;
        };
        let queue = Transition::Queue {
            skill_queue_id: None,
        };
        let Ok(change) = transitions::plan(conversation, &channel.skill_queue_id, &queue) else {
            continue;
        };
        // `None`: another change (the router's) came first; it stands.
        let Some(changed) = conversations::apply(tx, batch.clock, conversation, change).await?
        else {
            continue;
        };
        tracing::debug!(conversation_id = %changed.id, keyword, "transfer keyword: queued for an agent");
        moved.insert(changed.id.clone());
        events.push(conversations::event("conversation.queued", &changed));
    }
    Ok(events)
}
