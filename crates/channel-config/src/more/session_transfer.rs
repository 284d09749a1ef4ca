//! Session transfer (R-BASIC-11): whether agents may hand a session on, and to what.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::violation::Violation;

/// What an agent may transfer a session to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum TransferTarget {
    /// Another agent.
    Agent,
    /// Another skill queue (called route).
    SkillQueue,
}

/// `more.sessionTransfer` as written in a request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionTransferDraft {
    /// Whether agents may transfer sessions.
    pub enabled: bool,
    /// Allowed targets, distinct; at least one when enabled.
    #[schema(value_type = Option<std::collections::BTreeSet<TransferTarget>>, example = json!(["agent", "skillQueue"]))]
    pub allowed_targets: Option<Vec<TransferTarget>>,
}

/// Session transfer, valid.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionTransfer {
    enabled: bool,
    allowed_targets: Vec<TransferTarget>,
}

impl SessionTransfer {
    /// Parses the setting; pointers are `/allowedTargets` and `/allowedTargets/{index}`.
    pub fn parse(draft: Option<&SessionTransferDraft>) -> Result<Self, Vec<Violation>> {
        let Some(draft) = draft else {
            return Ok(Self::default());
        };
        let targets = draft.allowed_targets.clone().unwrap_or_default();
        let mut found = Vec::new();
        if draft.enabled && targets.is_empty() {
            found.push(Violation::new(
                "/allowedTargets",
                "required",
                "needs at least one target (agent, skillQueue) when enabled",
            ));
        }
        for (i, t) in targets.iter().enumerate() {
            if targets[..i].contains(t) {
                found.push(Violation::new(
                    format!("/allowedTargets/{i}"),
                    "duplicate",
                    "repeats an earlier target",
                ));
            }
        }
        if found.is_empty() {
            Ok(Self {
                enabled: draft.enabled,
                allowed_targets: targets,
            })
        } else {
            Err(found)
        }
    }

    /// Whether agents may transfer sessions.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The allowed targets, distinct; non-empty whenever enabled.
    pub fn allowed_targets(&self) -> &[TransferTarget] {
        &self.allowed_targets
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: serde_json::Value) -> Result<SessionTransfer, Vec<Violation>> {
        SessionTransfer::parse(Some(&serde_json::from_value(v).unwrap()))
    }

    // R-BASIC-11
    #[test]
    fn requires_a_target_when_enabled() {
        assert_eq!(
            parse(json!({"enabled": true, "allowedTargets": []})).unwrap_err()[0].code,
            "required"
        );
        assert!(parse(json!({"enabled": false, "allowedTargets": []})).is_ok());
    }

    // R-BASIC-11
    #[test]
    fn refuses_a_repeated_target() {
        let err =
            parse(json!({"enabled": true, "allowedTargets": ["agent", "agent"]})).unwrap_err();
        assert_eq!(
            (err[0].pointer.as_str(), err[0].code.as_str()),
            ("/allowedTargets/1", "duplicate")
        );
    }
}
