//! The channel name (R-BASIC-1): what operators call a channel, unique per tenant.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::violation::{char_len, Violation};

/// Longest channel name (R-BASIC-1).
pub const CHANNEL_NAME_MAX_CHARS: usize = 64;

/// 1 to 64 characters, letters, digits and underscores, starting with a letter or an
/// underscore (R-BASIC-1): `^[A-Za-z_][A-Za-z0-9_]{0,63}$`. Uniqueness is the api's job.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, pattern = "^[A-Za-z_][A-Za-z0-9_]{0,63}$", example = "x_support_en")]
pub struct ChannelName(String);

impl ChannelName {
    /// Parses a name, reporting each rule it breaks.
    pub fn parse(raw: &str) -> Result<Self, Vec<Violation>> {
        let mut found = Vec::new();
        let Some(first) = raw.chars().next() else {
            return Err(vec![Violation::new("", "required", "must not be empty")]);
        };
        if char_len(raw) > CHANNEL_NAME_MAX_CHARS {
            found.push(Violation::new(
                "",
                "too_long",
                format!("must be at most {CHANNEL_NAME_MAX_CHARS} characters"),
            ));
        }
        if !raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            found.push(Violation::new(
                "",
                "forbidden_character",
                "may contain only letters, digits and underscores",
            ));
        }
        if !(first.is_ascii_alphabetic() || first == '_') {
            found.push(Violation::new(
                "",
                "invalid_format",
                "must start with a letter or an underscore",
            ));
        }
        if found.is_empty() {
            Ok(Self(raw.to_owned()))
        } else {
            Err(found)
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_conversions!(ChannelName);

impl AsRef<str> for ChannelName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn codes(raw: &str) -> Vec<String> {
        ChannelName::parse(raw)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.code)
            .collect()
    }

    // R-BASIC-1
    #[test]
    fn accepts_names_of_letters_digits_and_underscores() {
        for ok in ["x", "_", "x_support_en", "A1_b2", &"a".repeat(64)] {
            assert_eq!(ChannelName::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn a_name_reads_back_as_written_through_as_ref() {
        fn text(name: &impl AsRef<str>) -> &str {
            name.as_ref()
        }
        assert_eq!(
            text(&ChannelName::parse("x_support_en").unwrap()),
            "x_support_en"
        );
    }

    // R-BASIC-1
    #[test]
    fn refuses_a_name_starting_with_a_digit() {
        assert_eq!(codes("1channel"), ["invalid_format"]);
    }

    // R-BASIC-1
    #[test]
    fn refuses_an_empty_name() {
        assert_eq!(codes(""), ["required"]);
    }

    // R-BASIC-1
    #[test]
    fn refuses_a_name_of_65_characters() {
        assert_eq!(codes(&"a".repeat(65)), ["too_long"]);
    }

    // R-BASIC-1: 64 non-ASCII letters are 64 characters but still not allowed letters.
    #[test]
    fn refuses_hyphens_spaces_and_non_ascii_letters() {
        for bad in ["a-b", "a b", "é", "canal_ñ"] {
            assert!(
                codes(bad).contains(&"forbidden_character".to_owned()),
                "{bad}"
            );
        }
    }

    // R-BASIC-1
    #[test]
    fn reports_every_broken_name_rule_at_once() {
        let raw = format!("9-{}", "a".repeat(70));
        assert_eq!(
            codes(&raw),
            ["too_long", "forbidden_character", "invalid_format"]
        );
    }

    proptest! {
        // R-BASIC-1: the parser agrees with the rule's regular expression on any input.
        #[test]
        fn agrees_with_the_name_regex(raw in "[A-Za-z0-9_ é-]{0,70}") {
            let re = regex::Regex::new("^[A-Za-z_][A-Za-z0-9_]{0,63}$").unwrap();
            prop_assert_eq!(ChannelName::parse(&raw).is_ok(), re.is_match(&raw));
        }

        // R-BASIC-1
        #[test]
        fn accepts_every_name_the_regex_describes(raw in "[A-Za-z_][A-Za-z0-9_]{0,63}") {
            prop_assert!(ChannelName::parse(&raw).is_ok());
        }
    }
}
