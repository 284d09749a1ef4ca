//! References to other resources (OU, skill queue): shape only, existence is the api's job.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::violation::{char_len, Violation};

/// Longest id accepted for a referenced resource.
pub const ENTITY_ID_MAX_CHARS: usize = 64;

/// The id of an OU or a called route: a non-empty string of at most 64 characters
/// (R-BASIC-2, R-BASIC-3). Whether it exists, and is multimedia, is checked by the api.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$")]
pub struct EntityId(String);

impl EntityId {
    /// Parses an id.
    pub fn parse(raw: &str) -> Result<Self, Vec<Violation>> {
        if raw.trim().is_empty() {
            return Err(vec![Violation::new("", "required", "must not be empty")]);
        }
        if char_len(raw) > ENTITY_ID_MAX_CHARS {
            return Err(vec![Violation::new(
                "",
                "too_long",
                format!("must be at most {ENTITY_ID_MAX_CHARS} characters"),
            )]);
        }
        if raw.chars().any(char::is_control) {
            return Err(vec![Violation::new(
                "",
                "forbidden_character",
                "must not contain control characters",
            )]);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_conversions!(EntityId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_control_characters() {
        assert_eq!(
            EntityId::parse("a\u{0}b").unwrap_err()[0].code,
            "forbidden_character"
        );
    }

    // R-BASIC-2, R-BASIC-3
    #[test]
    fn refuses_an_empty_or_blank_id() {
        assert_eq!(EntityId::parse("").unwrap_err()[0].code, "required");
        assert_eq!(EntityId::parse("  ").unwrap_err()[0].code, "required");
    }

    // R-BASIC-2, R-BASIC-3
    #[test]
    fn refuses_an_id_of_65_characters() {
        assert!(EntityId::parse(&"é".repeat(64)).is_ok());
        assert_eq!(
            EntityId::parse(&"é".repeat(65)).unwrap_err()[0].code,
            "too_long"
        );
    }
}
