//! Conversations: what a contact center sees of one customer on one channel, the
//! hand-over between robot, skill queue and agent, and replies sent through X. The rows
//! are in `store::conversations`; the HTTP surface is `routes::conversations`.

pub mod reply;
pub mod transitions;
pub mod view;

use std::collections::HashMap;

use channel_config::ChannelSettings;
use sea_orm::DatabaseTransaction;

use crate::{
    automation,
    clock::Clock,
    events::{self, NewEvent},
    store::{
        self,
        channels::Channel,
        conversations::{Attached, Change, Conversation, Opening},
        messages::Message,
        StoreResult,
    },
};

/// Attaches newly stored messages to their conversations within `tx` (opening those that
/// have none, as the channel's settings say, judged by `clock`); answers what it did and
/// the events of the ones opened, for the caller to append with the messages' own.
pub async fn attach(
    tx: &DatabaseTransaction,
    clock: &Clock,
    new: &[Message],
    channels: &HashMap<String, Channel>,
    settings: &HashMap<String, ChannelSettings>,
) -> StoreResult<(Attached, Vec<NewEvent>)> {
    let openings = channels
        .values()
        .map(|channel| {
            (
                channel.id.clone(),
                opening(channel, settings.get(&channel.id)),
            )
        })
        .collect();
    let attached = store::conversations::attach(tx, new, &openings, clock.now_ms()).await?;
    let mut events = Vec::new();
    for opened in &attached.opened {
        events.push(event("conversation.opened", opened));
        if opened.state == store::conversations::QUEUED {
            events.push(event("conversation.queued", opened));
        }
    }
    Ok((attached, events))
}

/// How `channel` opens a conversation, by its `settings` (R-ROBOT-1, R-ROBOT-2,
/// R-BASIC-11); unreadable settings (`None`) open it in the channel's queue, with no robot
/// and no preferred agent.
fn opening(channel: &Channel, settings: Option<&ChannelSettings>) -> Opening {
    let robot = settings.map(ChannelSettings::robot);
    let intelligent = robot.map(|r| r.intelligent_robot()).filter(|r| r.enabled());
    let last_agent = settings
        .map(|s| s.more().last_agent_mode())
        .filter(|m| m.enabled());
    Opening {
        tenant_id: channel.tenant_id.clone(),
        skill_queue_id: channel.skill_queue_id.clone(),
        robot_id: intelligent
            .and_then(|r| r.robot_id())
            .map(|id| id.as_str().to_owned()),
        robot_assistant: robot.is_some_and(|r| r.robot_assistant().enabled),
        last_agent_hours: last_agent.and_then(|m| m.valid_hours()).map(i64::from),
    }
}

/// Applies `change` to `current` (one conditional UPDATE: `None` when another change came
/// first) and runs the rules that follow a state change: the one path of every state
/// change, whoever asks for it (the router, a keyword, a timer). The caller writes the
/// change's event ([`event`]) last in its transaction.
pub async fn apply(
    tx: &DatabaseTransaction,
    clock: &Clock,
    current: &Conversation,
    change: Change,
) -> StoreResult<Option<Conversation>> {
    let Some(mut changed) = store::conversations::change(tx, current, change).await? else {
        return Ok(None);
    };
    automation::on_changed(tx, clock, current, &mut changed).await?;
    Ok(Some(changed))
}

/// The event `kind` about `conversation`, as the API shows it.
pub fn event(kind: &'static str, conversation: &Conversation) -> NewEvent {
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
