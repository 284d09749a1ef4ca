//! The queue progress reminder template (R-BASIC-9): a text with four known variables.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::reminder_text::text_violations;
use crate::violation::Violation;

/// The variables a progress reminder may use (R-BASIC-9).
pub const PROGRESS_VARIABLES: [&str; 4] = ["userId", "nickName", "position", "waitTime"];

/// The template used when none is given (R-BASIC-9).
pub const DEFAULT_PROGRESS_TEMPLATE: &str = "You are currently in the queue, in position ${position}, and are expected to wait for ${waitTime} seconds";

/// A progress reminder: the rules of R-BASIC-8, and only the variables `${userId}`,
/// `${nickName}`, `${position}` and `${waitTime}` (R-BASIC-9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, pattern = r#"^(?:[^$<>'"/\\\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]|\$+[^${<>'"/\\\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]|\$+\{(?:userId|nickName|position|waitTime)\})*\$*$"#, example = "You are number ${position}")]
pub struct ProgressTemplate(String);

impl ProgressTemplate {
    /// Parses a template, reporting every broken rule and every unknown variable.
    pub fn parse(raw: &str) -> Result<Self, Vec<Violation>> {
        let mut found = text_violations(raw);
        found.extend(unknown_variables(raw));
        if found.is_empty() {
            Ok(Self(raw.to_owned()))
        } else {
            Err(found)
        }
    }

    /// The template used when none is given.
    pub fn default_template() -> Self {
        Self(DEFAULT_PROGRESS_TEMPLATE.to_owned())
    }

    /// The template text, variables unexpanded.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One violation per `${...}` that is not a known variable, including an unclosed `${`.
fn unknown_variables(raw: &str) -> Vec<Violation> {
    let mut found = Vec::new();
    let mut rest = raw;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            found.push(Violation::new(
                "",
                "unknown_variable",
                "has a `${` that is never closed; variables look like ${position}",
            ));
            break;
        };
        let name = &after[..end];
        if !PROGRESS_VARIABLES.contains(&name) {
            found.push(Violation::new(
                "",
                "unknown_variable",
                format!(
                    "uses the unknown variable ${{{name}}}; only ${{userId}}, ${{nickName}}, ${{position}} and ${{waitTime}} are available"
                ),
            ));
        }
        rest = &after[end + 1..];
    }
    found
}

string_conversions!(ProgressTemplate);

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(raw: &str) -> Vec<String> {
        ProgressTemplate::parse(raw)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.code)
            .collect()
    }

    // R-BASIC-9
    #[test]
    fn accepts_the_four_variables_and_a_lone_dollar() {
        assert!(ProgressTemplate::parse(
            "Hi ${nickName} (${userId}): position ${position}, ${waitTime} s, costs $5"
        )
        .is_ok());
    }

    // R-BASIC-9
    #[test]
    fn accepts_the_default_template() {
        assert!(ProgressTemplate::parse(DEFAULT_PROGRESS_TEMPLATE).is_ok());
    }

    // R-BASIC-9
    #[test]
    fn refuses_an_unknown_variable() {
        assert_eq!(codes("You are ${rank}"), ["unknown_variable"]);
    }

    // R-BASIC-9: names are case-sensitive, as the source spells them.
    #[test]
    fn refuses_a_variable_with_the_wrong_case() {
        assert_eq!(codes("${Position}"), ["unknown_variable"]);
    }

    // R-BASIC-9
    #[test]
    fn refuses_an_unclosed_variable() {
        assert_eq!(codes("You are ${position"), ["unknown_variable"]);
        assert_eq!(codes("trailing ${"), ["unknown_variable"]);
    }

    // R-BASIC-9
    #[test]
    fn refuses_an_empty_variable_and_reports_each_unknown_one() {
        assert_eq!(
            codes("${} and ${foo}"),
            ["unknown_variable", "unknown_variable"]
        );
    }

    // R-BASIC-9 with R-BASIC-8
    #[test]
    fn applies_the_text_rules_as_well() {
        assert_eq!(codes("<b>${position}</b>"), ["forbidden_character"]);
    }
}
