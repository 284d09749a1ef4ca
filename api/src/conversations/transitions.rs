//! The hand-over: which state changes each state allows. `robot -> queued` (queue),
//! `robot | queued -> agent` (assign), `queued | agent -> queued | agent` (transfer to a
//! skill queue or another agent), anything open `-> ended` (end). Pure: the store applies
//! the change with one conditional UPDATE.

use crate::store::conversations::{Change, Conversation, AGENT, ENDED, QUEUED, ROBOT};

/// Where a transfer sends the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Agent(String),
    SkillQueue(String),
}

/// A change the router asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// Into a skill queue: the given one, else the channel's.
    Queue {
        skill_queue_id: Option<String>,
    },
    Assign {
        agent_id: String,
    },
    Transfer(Target),
    End,
}

impl Transition {
    /// The event a successful change writes.
    pub fn event(&self) -> &'static str {
        match self {
            Transition::Queue { .. } => "conversation.queued",
            Transition::Assign { .. } => "conversation.assigned",
            Transition::Transfer(_) => "conversation.transferred",
            Transition::End => "conversation.ended",
        }
    }
}

/// What `transition` writes on `current`, or why its state does not allow it.
pub fn plan(
    current: &Conversation,
    channel_queue: &str,
    transition: &Transition,
) -> Result<Change, String> {
    let state = current.state.as_str();
    let refuse = |what: &str, allowed: &str| {
        Err(format!(
            "the conversation is `{state}`: {what} only a conversation that is {allowed}"
        ))
    };
    match transition {
        Transition::Queue { skill_queue_id } => match state {
            ROBOT => Ok(Change {
                state: QUEUED,
                skill_queue_id: Some(
                    skill_queue_id
                        .clone()
                        .unwrap_or_else(|| channel_queue.to_owned()),
                ),
                agent_id: None,
            }),
            _ => refuse(
                "queue takes",
                "`robot` (a transfer moves a queued or assigned one to another queue)",
            ),
        },
        Transition::Assign { agent_id } => match state {
            ROBOT | QUEUED => Ok(Change {
                state: AGENT,
                skill_queue_id: current.skill_queue_id.clone(),
                agent_id: Some(agent_id.clone()),
            }),
            _ => refuse(
                "assign takes",
                "`robot` or `queued` (a transfer hands an assigned one to another agent)",
            ),
        },
        Transition::Transfer(target) => match (state, target) {
            (QUEUED | AGENT, Target::Agent(agent)) if current.agent_id.as_ref() == Some(agent) => {
                Err(format!(
                    "the conversation is already assigned to agent `{agent}`"
                ))
            }
            (QUEUED | AGENT, Target::Agent(agent)) => Ok(Change {
                state: AGENT,
                skill_queue_id: current.skill_queue_id.clone(),
                agent_id: Some(agent.clone()),
            }),
            (QUEUED | AGENT, Target::SkillQueue(queue)) => Ok(Change {
                state: QUEUED,
                skill_queue_id: Some(queue.clone()),
                agent_id: None,
            }),
            _ => refuse("transfer moves", "`queued` or `agent`"),
        },
        Transition::End => match state {
            ENDED => Err("the conversation has already ended".to_owned()),
            _ => Ok(Change {
                state: ENDED,
                skill_queue_id: current.skill_queue_id.clone(),
                agent_id: current.agent_id.clone(),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation(state: &str, agent: Option<&str>) -> Conversation {
        Conversation {
            id: "c".into(),
            tenant_id: "t".into(),
            channel_id: "ch".into(),
            x_conversation_id: "1-2".into(),
            open_key: Some("1-2".into()),
            customer_id: "1".into(),
            customer_username: None,
            customer_name: None,
            state: state.into(),
            skill_queue_id: Some("q1".into()),
            agent_id: agent.map(str::to_owned),
            inbound_count: 1,
            outbound_count: 0,
            opened_at: chrono::Utc::now(),
            ended_at: None,
            last_inbound_at_ms: Some(1),
            last_outbound_at_ms: None,
            last_activity_at_ms: 1,
            version: 1,
            robot_id: None,
            robot_assistant: false,
            preferred_agent_id: None,
            agent_messages: 0,
            timer: None,
            timer_due_at_ms: None,
            last_progress_at_ms: None,
        }
    }

    #[test]
    fn queue_defaults_to_the_channel_queue_and_takes_only_robot_conversations() {
        let queue = Transition::Queue {
            skill_queue_id: None,
        };
        let change = plan(&conversation(ROBOT, None), "q-channel", &queue).unwrap();
        assert_eq!(
            (change.state, change.skill_queue_id.as_deref()),
            (QUEUED, Some("q-channel"))
        );
        for state in [QUEUED, AGENT, ENDED] {
            let reason = plan(&conversation(state, None), "q", &queue).unwrap_err();
            assert!(reason.contains(&format!("`{state}`")), "{reason}");
        }
    }

    #[test]
    fn assign_takes_robot_and_queued_conversations_only() {
        let assign = Transition::Assign {
            agent_id: "a1".into(),
        };
        for state in [ROBOT, QUEUED] {
            let change = plan(&conversation(state, None), "q", &assign).unwrap();
            assert_eq!(
                (change.state, change.agent_id.as_deref()),
                (AGENT, Some("a1"))
            );
        }
        for state in [AGENT, ENDED] {
            assert!(plan(&conversation(state, Some("a0")), "q", &assign).is_err());
        }
    }

    #[test]
    fn a_transfer_to_a_queue_drops_the_agent_and_one_to_the_same_agent_is_refused() {
        let to_queue = Transition::Transfer(Target::SkillQueue("q2".into()));
        let change = plan(&conversation(AGENT, Some("a1")), "q", &to_queue).unwrap();
        assert_eq!(change.state, QUEUED);
        assert_eq!(change.agent_id, None);
        assert_eq!(change.skill_queue_id.as_deref(), Some("q2"));
        let same = Transition::Transfer(Target::Agent("a1".into()));
        assert!(plan(&conversation(AGENT, Some("a1")), "q", &same).is_err());
        assert!(plan(&conversation(ROBOT, None), "q", &same).is_err());
    }

    #[test]
    fn only_an_open_conversation_ends() {
        assert_eq!(
            plan(&conversation(AGENT, Some("a")), "q", &Transition::End)
                .unwrap()
                .state,
            ENDED
        );
        assert!(plan(&conversation(ENDED, None), "q", &Transition::End).is_err());
    }
}
