//! Last agent mode (R-BASIC-11): a returning customer goes back to the agent who served them.

use serde::{Deserialize, Serialize};
use serde_json::Number;
use utoipa::ToSchema;

use super::parameter;
use crate::violation::{Collector, Violation};

/// Range of `validHours`.
pub const VALID_HOURS: (i64, i64) = (1, 720);

/// `more.lastAgentMode` as written in a request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LastAgentModeDraft {
    /// Whether the setting is on.
    pub enabled: bool,
    /// How long (hours, 1 to 720) the last agent stays preferred; required when enabled.
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 720, example = 24)]
    pub valid_hours: Option<Number>,
}

/// Last agent mode, valid.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LastAgentMode {
    enabled: bool,
    valid_hours: Option<u32>,
}

impl LastAgentMode {
    /// Parses the setting; the pointer of its parameter is `/validHours`.
    pub fn parse(draft: Option<&LastAgentModeDraft>) -> Result<Self, Vec<Violation>> {
        let Some(draft) = draft else {
            return Ok(Self::default());
        };
        let mut c = Collector::default();
        let valid_hours = parameter(
            &mut c,
            draft.enabled,
            "/validHours",
            draft.valid_hours.as_ref(),
            VALID_HOURS,
        );
        c.finish()?;
        Ok(Self {
            enabled: draft.enabled,
            valid_hours: valid_hours.flatten(),
        })
    }

    /// Whether the setting is on.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Hours during which the last agent is preferred; set whenever enabled.
    pub fn valid_hours(&self) -> Option<u32> {
        self.valid_hours
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: serde_json::Value) -> Result<LastAgentMode, Vec<Violation>> {
        LastAgentMode::parse(Some(&serde_json::from_value(v).unwrap()))
    }

    // R-BASIC-11
    #[test]
    fn requires_valid_hours_when_enabled() {
        let err = parse(json!({"enabled": true})).unwrap_err();
        assert_eq!(
            (err[0].pointer.as_str(), err[0].code.as_str()),
            ("/validHours", "required")
        );
        assert!(parse(json!({"enabled": false})).is_ok());
    }

    // R-BASIC-11
    #[test]
    fn accepts_valid_hours_from_1_to_720_only() {
        assert_eq!(
            parse(json!({"enabled": true, "validHours": 1}))
                .unwrap()
                .valid_hours(),
            Some(1)
        );
        assert!(parse(json!({"enabled": true, "validHours": 720})).is_ok());
        for bad in [0, 721] {
            let err = parse(json!({"enabled": true, "validHours": bad})).unwrap_err();
            assert_eq!(err[0].code, "out_of_range");
        }
    }
}
