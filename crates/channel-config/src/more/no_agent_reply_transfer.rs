//! Session transfer due to no agent reply (R-BASIC-11): move a session the agent ignores.

use serde::{Deserialize, Serialize};
use serde_json::Number;
use utoipa::ToSchema;

use super::parameter;
use crate::entity_id::EntityId;
use crate::violation::{Collector, Violation};

/// Range of `timeoutSeconds`.
pub const TIMEOUT_SECONDS: (i64, i64) = (30, 3_600);

/// `more.noAgentReplyTransfer` as written in a request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NoAgentReplyTransferDraft {
    /// Whether the setting is on.
    pub enabled: bool,
    /// Seconds (30 to 3600) the agent has to answer; required when enabled.
    #[schema(value_type = Option<u32>, minimum = 30, maximum = 3600, example = 120)]
    pub timeout_seconds: Option<Number>,
    /// Multimedia called route to move the session to; empty means the channel's own queue.
    #[schema(max_length = 64, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub target_skill_queue_id: Option<String>,
}

/// Session transfer due to no agent reply, valid.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NoAgentReplyTransfer {
    enabled: bool,
    timeout_seconds: Option<u32>,
    target_skill_queue_id: Option<EntityId>,
}

impl NoAgentReplyTransfer {
    /// Parses the setting; pointers are `/timeoutSeconds` and `/targetSkillQueueId`.
    pub fn parse(draft: Option<&NoAgentReplyTransferDraft>) -> Result<Self, Vec<Violation>> {
        let Some(draft) = draft else {
            return Ok(Self::default());
        };
        let mut c = Collector::default();
        let timeout = parameter(
            &mut c,
            draft.enabled,
            "/timeoutSeconds",
            draft.timeout_seconds.as_ref(),
            TIMEOUT_SECONDS,
        );
        let target = match draft.target_skill_queue_id.as_deref() {
            Some(id) if !id.trim().is_empty() => {
                c.take("/targetSkillQueueId", EntityId::parse(id)).map(Some)
            }
            _ => Some(None),
        };
        c.finish()?;
        match (timeout, target) {
            (Some(timeout_seconds), Some(target_skill_queue_id)) => Ok(Self {
                enabled: draft.enabled,
                timeout_seconds,
                target_skill_queue_id,
            }),
            _ => unreachable!("a failed field was recorded as a violation"),
        }
    }

    /// Whether the setting is on.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Seconds the agent has to answer; set whenever enabled.
    pub fn timeout_seconds(&self) -> Option<u32> {
        self.timeout_seconds
    }

    /// Where the session goes; `None` means back to the channel's own queue.
    pub fn target_skill_queue_id(&self) -> Option<&str> {
        self.target_skill_queue_id.as_ref().map(EntityId::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: serde_json::Value) -> Result<NoAgentReplyTransfer, Vec<Violation>> {
        NoAgentReplyTransfer::parse(Some(&serde_json::from_value(v).unwrap()))
    }

    // R-BASIC-11
    #[test]
    fn requires_a_timeout_of_30_to_3600_seconds_when_enabled() {
        assert_eq!(
            parse(json!({"enabled": true})).unwrap_err()[0].code,
            "required"
        );
        assert_eq!(
            parse(json!({"enabled": true, "timeoutSeconds": 3601})).unwrap_err()[0].code,
            "out_of_range"
        );
        assert!(parse(json!({"enabled": true, "timeoutSeconds": 3600})).is_ok());
    }

    // R-BASIC-11
    #[test]
    fn treats_an_empty_target_as_the_channels_own_queue() {
        let t = parse(json!({"enabled": true, "timeoutSeconds": 60, "targetSkillQueueId": ""}))
            .unwrap();
        assert_eq!(t.target_skill_queue_id(), None);
        let t = parse(json!({"enabled": true, "timeoutSeconds": 60, "targetSkillQueueId": "q-2"}))
            .unwrap();
        assert_eq!(t.target_skill_queue_id(), Some("q-2"));
    }
}
