//! Robot configuration (R-ROBOT): the intelligent robot and the robot assistant.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::robot_id::RobotId;
use crate::violation::{Collector, Violation};

/// `robot.intelligentRobot` as written in a request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IntelligentRobotDraft {
    /// Whether sessions start with the intelligent robot.
    pub enabled: bool,
    /// The robot's identifier, `^[A-Za-z0-9_.:-]{1,128}$`; required when enabled.
    #[schema(max_length = 128, pattern = r"^[A-Za-z0-9_.:-]*$", example = "bot-1")]
    pub robot_id: Option<String>,
}

/// `robot.robotAssistant` as written in a request.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RobotAssistant {
    /// Whether agents get the robot assistant (R-ROBOT-2).
    pub enabled: bool,
}

/// `robot` as written in a request; a part left out is off.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RobotDraft {
    /// Connecting to the intelligent robot (R-ROBOT-1).
    pub intelligent_robot: Option<IntelligentRobotDraft>,
    /// Access to the robot assistant (R-ROBOT-2).
    pub robot_assistant: Option<RobotAssistant>,
}

/// Connection to the intelligent robot, valid: enabled implies a robot id (R-ROBOT-1).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntelligentRobot {
    enabled: bool,
    robot_id: Option<RobotId>,
}

impl IntelligentRobot {
    /// Parses the setting; the pointer of the id is `/robotId`.
    pub fn parse(draft: Option<&IntelligentRobotDraft>) -> Result<Self, Vec<Violation>> {
        let Some(draft) = draft else {
            return Ok(Self::default());
        };
        let robot_id = match draft.robot_id.as_deref() {
            Some(id) if !id.is_empty() => RobotId::parse(id).map(Some).map_err(|vs| {
                vs.into_iter()
                    .map(|v| v.under("/robotId"))
                    .collect::<Vec<_>>()
            })?,
            _ if draft.enabled => {
                return Err(vec![Violation::new(
                    "/robotId",
                    "required",
                    "is required when the intelligent robot is enabled",
                )])
            }
            _ => None,
        };
        Ok(Self {
            enabled: draft.enabled,
            robot_id,
        })
    }

    /// Whether sessions start with the intelligent robot.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The robot's identifier; set whenever enabled.
    pub fn robot_id(&self) -> Option<&RobotId> {
        self.robot_id.as_ref()
    }
}

/// The robot configuration of a channel.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Robot {
    intelligent_robot: IntelligentRobot,
    robot_assistant: RobotAssistant,
}

impl Robot {
    /// Parses both parts; pointers are `/intelligentRobot/...`.
    pub fn parse(draft: Option<&RobotDraft>) -> Result<Self, Vec<Violation>> {
        let Some(draft) = draft else {
            return Ok(Self::default());
        };
        let mut c = Collector::default();
        let intelligent_robot = c.take(
            "/intelligentRobot",
            IntelligentRobot::parse(draft.intelligent_robot.as_ref()),
        );
        c.finish()?;
        Ok(Self {
            intelligent_robot: intelligent_robot.unwrap_or_default(),
            robot_assistant: draft.robot_assistant.clone().unwrap_or_default(),
        })
    }

    /// Connection to the intelligent robot.
    pub fn intelligent_robot(&self) -> &IntelligentRobot {
        &self.intelligent_robot
    }

    /// Access to the robot assistant.
    pub fn robot_assistant(&self) -> &RobotAssistant {
        &self.robot_assistant
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: serde_json::Value) -> Result<Robot, Vec<Violation>> {
        Robot::parse(Some(&serde_json::from_value(v).unwrap()))
    }

    // R-ROBOT-1
    #[test]
    fn requires_a_robot_id_when_the_intelligent_robot_is_enabled() {
        let err = parse(json!({"intelligentRobot": {"enabled": true}})).unwrap_err();
        assert_eq!(
            (err[0].pointer.as_str(), err[0].code.as_str()),
            ("/intelligentRobot/robotId", "required")
        );
        assert!(parse(json!({"intelligentRobot": {"enabled": false}})).is_ok());
    }

    // R-ROBOT-1
    #[test]
    fn locates_a_bad_robot_id() {
        let err =
            parse(json!({"intelligentRobot": {"enabled": true, "robotId": "a b"}})).unwrap_err();
        assert_eq!(err[0].pointer, "/intelligentRobot/robotId");
    }

    // R-ROBOT-2
    #[test]
    fn keeps_the_robot_assistant_switch() {
        let r = parse(json!({"robotAssistant": {"enabled": true}})).unwrap();
        assert!(r.robot_assistant().enabled);
        assert!(!r.intelligent_robot().enabled());
    }
}
