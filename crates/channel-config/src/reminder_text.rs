//! Texts sent to customers (R-BASIC-6, R-BASIC-8): short, and free of markup characters.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::violation::{char_len, Violation};

/// Longest text sent to a customer (R-BASIC-8).
pub const TEXT_MAX_CHARS: usize = 256;

/// Characters no customer-facing text may contain (R-BASIC-8).
pub const FORBIDDEN_TEXT_CHARS: [char; 6] = ['<', '>', '\'', '"', '/', '\\'];

/// A non-empty text of at most 256 characters without `< > ' " / \` (R-BASIC-8).
///
/// Used for the non-working time notification, the queue reminder content and the
/// reminder and end texts of the "more" settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(
    value_type = String,
    pattern = r#"^[^<>'"/\\\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*[^<>'"/\\\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^<>'"/\\\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"#
)]
pub struct ReminderText(String);

impl ReminderText {
    /// Parses a text, reporting each rule it breaks.
    pub fn parse(raw: &str) -> Result<Self, Vec<Violation>> {
        let found = text_violations(raw);
        if found.is_empty() {
            Ok(Self(raw.to_owned()))
        } else {
            Err(found)
        }
    }

    /// Parses an optional text: absent, null or blank all mean "not set".
    pub(crate) fn parse_optional(raw: Option<&str>) -> Result<Option<Self>, Vec<Violation>> {
        match raw {
            Some(text) if !text.trim().is_empty() => Self::parse(text).map(Some),
            _ => Ok(None),
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// NUL and the other control characters have no place in a text for a customer, and
/// PostgreSQL cannot store NUL at all; line breaks and tabs are text.
pub(crate) fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\n' | '\r' | '\t')
}

/// The R-BASIC-8 checks shared by every customer-facing text.
pub(crate) fn text_violations(raw: &str) -> Vec<Violation> {
    let mut found = Vec::new();
    if raw.trim().is_empty() {
        found.push(Violation::new("", "required", "must not be empty"));
    }
    if char_len(raw) > TEXT_MAX_CHARS {
        found.push(Violation::new(
            "",
            "too_long",
            format!("must be at most {TEXT_MAX_CHARS} characters"),
        ));
    }
    if raw.chars().any(is_forbidden_control) {
        found.push(Violation::new(
            "",
            "forbidden_character",
            "must not contain control characters other than line breaks and tabs",
        ));
    }
    let mut bad: Vec<char> = raw
        .chars()
        .filter(|c| FORBIDDEN_TEXT_CHARS.contains(c))
        .collect();
    bad.sort_unstable();
    bad.dedup();
    if !bad.is_empty() {
        let shown: Vec<String> = bad.iter().map(|c| c.to_string()).collect();
        found.push(Violation::new(
            "",
            "forbidden_character",
            format!(
                "must not contain {}; none of < > ' \" / \\ are allowed",
                shown.join(" ")
            ),
        ));
    }
    found
}

string_conversions!(ReminderText);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_control_characters_but_keeps_line_breaks() {
        let err = ReminderText::parse("closed\u{0}now").unwrap_err();
        assert_eq!(err[0].code, "forbidden_character");
        assert!(ReminderText::parse("We are closed.\nBack at eight.").is_ok());
    }
    use proptest::prelude::*;

    // R-BASIC-8: characters, not bytes.
    #[test]
    fn accepts_256_characters_even_when_they_take_more_bytes() {
        assert!(ReminderText::parse(&"é".repeat(256)).is_ok());
        assert!(ReminderText::parse(&"中".repeat(256)).is_ok());
    }

    // R-BASIC-8
    #[test]
    fn refuses_a_text_of_257_characters() {
        let err = ReminderText::parse(&"a".repeat(257)).unwrap_err();
        assert_eq!(err[0].code, "too_long");
    }

    // R-BASIC-8
    #[test]
    fn refuses_each_forbidden_character() {
        for c in FORBIDDEN_TEXT_CHARS {
            let err = ReminderText::parse(&format!("Please {c} wait")).unwrap_err();
            assert_eq!(err[0].code, "forbidden_character", "{c}");
        }
    }

    // R-BASIC-8
    #[test]
    fn reports_length_and_characters_together() {
        let err = ReminderText::parse(&format!("<{}", "a".repeat(300))).unwrap_err();
        let codes: Vec<_> = err.iter().map(|v| v.code.as_str()).collect();
        assert_eq!(codes, ["too_long", "forbidden_character"]);
    }

    // R-BASIC-6: a blank optional text is simply not set.
    #[test]
    fn treats_a_blank_optional_text_as_not_set() {
        assert_eq!(ReminderText::parse_optional(Some("  ")).unwrap(), None);
        assert_eq!(ReminderText::parse_optional(None).unwrap(), None);
    }

    proptest! {
        // R-BASIC-8: accepted exactly when short enough and free of forbidden characters.
        #[test]
        fn accepts_exactly_the_texts_the_rule_allows(raw in "[a-zé中 <>'\"/\\\\.]{1,300}") {
            let allowed = raw.chars().count() <= 256
                && !raw.trim().is_empty()
                && !raw.chars().any(|c| FORBIDDEN_TEXT_CHARS.contains(&c));
            prop_assert_eq!(ReminderText::parse(&raw).is_ok(), allowed);
        }
    }
}
