//! The identifier of an intelligent robot (R-ROBOT-1).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::violation::{char_len, Violation};

/// Longest robot id.
pub const ROBOT_ID_MAX_CHARS: usize = 128;

/// 1 to 128 of `A-Z a-z 0-9 _ . : -` (`^[A-Za-z0-9_.:-]{1,128}$`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, pattern = "^[A-Za-z0-9_.:-]{1,128}$", example = "bot-1")]
pub struct RobotId(String);

impl RobotId {
    /// Parses a robot id, reporting each rule it breaks.
    pub fn parse(raw: &str) -> Result<Self, Vec<Violation>> {
        let mut found = Vec::new();
        if raw.is_empty() {
            found.push(Violation::new("", "required", "must not be empty"));
        }
        if char_len(raw) > ROBOT_ID_MAX_CHARS {
            found.push(Violation::new(
                "",
                "too_long",
                format!("must be at most {ROBOT_ID_MAX_CHARS} characters"),
            ));
        }
        if !raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-'))
        {
            found.push(Violation::new(
                "",
                "forbidden_character",
                "may contain only letters, digits and _ . : -",
            ));
        }
        if found.is_empty() {
            Ok(Self(raw.to_owned()))
        } else {
            Err(found)
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_conversions!(RobotId);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // R-ROBOT-1
    #[test]
    fn accepts_ids_like_bot_names_and_urns() {
        for ok in ["bot-1", "urn:robot:faq.v2", "A_b"] {
            assert!(RobotId::parse(ok).is_ok(), "{ok}");
        }
    }

    // R-ROBOT-1
    #[test]
    fn refuses_spaces_slashes_and_129_characters() {
        assert_eq!(
            RobotId::parse("bot 1").unwrap_err()[0].code,
            "forbidden_character"
        );
        assert_eq!(
            RobotId::parse("bot/1").unwrap_err()[0].code,
            "forbidden_character"
        );
        assert_eq!(
            RobotId::parse(&"b".repeat(129)).unwrap_err()[0].code,
            "too_long"
        );
    }

    proptest! {
        // R-ROBOT-1: agrees with the documented regular expression.
        #[test]
        fn agrees_with_the_robot_id_regex(raw in "[A-Za-z0-9_.:/ -]{0,130}") {
            let re = regex::Regex::new("^[A-Za-z0-9_.:-]{1,128}$").unwrap();
            prop_assert_eq!(RobotId::parse(&raw).is_ok(), re.is_match(&raw));
        }
    }
}
