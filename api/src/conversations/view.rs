//! A conversation as the API shows it (and as its events carry it).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{id::Id, store::conversations::Conversation};

/// Where the conversation stands in the hand-over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConversationState {
    /// The channel's intelligent robot answers.
    Robot,
    /// Waiting for an agent in `skillQueueId`.
    Queued,
    /// `agentId` is assigned.
    Agent,
    /// Over; the customer's next message opens a new conversation.
    Ended,
}

impl ConversationState {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "robot" => Some(Self::Robot),
            "queued" => Some(Self::Queued),
            "agent" => Some(Self::Agent),
            "ended" => Some(Self::Ended),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Robot => "robot",
            Self::Queued => "queued",
            Self::Agent => "agent",
            Self::Ended => "ended",
        }
    }
}

/// The customer: X's user id, handle and display name (when X named them).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerOut {
    #[schema(example = "3001969357")]
    pub id: String,
    #[schema(example = "furiouscamper")]
    pub username: Option<String>,
    #[schema(example = "Jordan Brinks")]
    pub name: Option<String>,
}

/// How many messages the conversation holds, each way.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageCounts {
    pub inbound: i64,
    pub outbound: i64,
}

/// The messages of one customer on one channel, from its first message to its end.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversationOut {
    #[schema(value_type = Id)]
    pub id: String,
    #[schema(value_type = Id)]
    pub channel_id: String,
    /// X's `dm_conversation_id` (the `conversationId` of the channel's messages).
    #[schema(example = "3001969357-4337869213")]
    pub x_conversation_id: String,
    pub state: ConversationState,
    pub customer: CustomerOut,
    /// The skill queue it waits in (or waited in before an agent took it).
    #[schema(value_type = Option<Id>)]
    pub skill_queue_id: Option<String>,
    #[schema(example = "agent-0042")]
    pub agent_id: Option<String>,
    pub opened_at: chrono::DateTime<chrono::Utc>,
    pub ended_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When X timed the customer's latest message.
    pub last_inbound_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When X timed the latest message sent to the customer.
    pub last_outbound_at: Option<chrono::DateTime<chrono::Utc>>,
    pub counts: MessageCounts,
    /// The channel's intelligent robot that has the conversation (R-ROBOT-1), when it
    /// started in `robot`.
    #[schema(example = "robot-01")]
    pub robot_id: Option<String>,
    /// Whether the channel's robot assistant helps the agent (R-ROBOT-2).
    pub robot_assistant: bool,
    /// The agent who served this customer last, within the channel's `lastAgentMode`
    /// `validHours` (R-BASIC-11): the router's first choice.
    #[schema(example = "agent-0042")]
    pub preferred_agent_id: Option<String>,
    /// Messages the assigned agent sent since the assignment (R-BASIC-10 counts them).
    pub agent_messages: i64,
    /// The timer the conversation waits on, if any.
    pub timer: Option<TimerOut>,
}

/// A timer of the channel's settings running on a conversation (R-BASIC-11).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimerOut {
    /// `no_customer_reply_reminder`, `no_customer_reply_end` or `no_agent_reply_transfer`.
    #[schema(example = "no_customer_reply_reminder")]
    pub name: String,
    /// When it fires, by the service's clock.
    pub due_at: chrono::DateTime<chrono::Utc>,
}

fn at(ms: Option<i64>) -> Option<chrono::DateTime<chrono::Utc>> {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
}

pub fn conversation_out(c: &Conversation) -> ConversationOut {
    ConversationOut {
        id: c.id.clone(),
        channel_id: c.channel_id.clone(),
        x_conversation_id: c.x_conversation_id.clone(),
        state: ConversationState::parse(&c.state).unwrap_or(ConversationState::Ended),
        customer: CustomerOut {
            id: c.customer_id.clone(),
            username: c.customer_username.clone(),
            name: c.customer_name.clone(),
        },
        skill_queue_id: c.skill_queue_id.clone(),
        agent_id: c.agent_id.clone(),
        opened_at: c.opened_at,
        ended_at: c.ended_at,
        last_inbound_at: at(c.last_inbound_at_ms),
        last_outbound_at: at(c.last_outbound_at_ms),
        counts: MessageCounts {
            inbound: c.inbound_count,
            outbound: c.outbound_count,
        },
        robot_id: c.robot_id.clone(),
        robot_assistant: c.robot_assistant,
        preferred_agent_id: c.preferred_agent_id.clone(),
        agent_messages: c.agent_messages,
        timer: match (&c.timer, at(c.timer_due_at_ms)) {
            (Some(name), Some(due_at)) => Some(TimerOut {
                name: name.clone(),
                due_at,
            }),
            _ => None,
        },
    }
}
