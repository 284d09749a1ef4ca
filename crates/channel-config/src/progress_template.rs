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

    /// The text a customer receives: each `${userId}`, `${nickName}`, `${position}` and
    /// `${waitTime}` replaced by its value, in one pass (a value is never read again, so a
    /// display name holding `${position}` stays as written). `${waitTime}` is the whole
    /// number of seconds, as R-BASIC-9 defines it and the default template reads ("wait
    /// for 180 seconds"). Anything else, a lone `$` included, is kept as it is.
    pub fn render(&self, values: &ProgressValues<'_>) -> String {
        let mut out = String::with_capacity(self.0.len() + 32);
        let mut rest = self.0.as_str();
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let value = after.find('}').and_then(|end| {
                let value = match &after[..end] {
                    "userId" => values.user_id.to_owned(),
                    "nickName" => values.nick_name.to_owned(),
                    "position" => values.position.to_string(),
                    "waitTime" => values.wait_seconds.to_string(),
                    _ => return None,
                };
                Some((value, end))
            });
            match value {
                Some((value, end)) => {
                    out.push_str(&value);
                    rest = &after[end + 1..];
                }
                None => {
                    out.push_str("${");
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// What a progress reminder tells the customer (R-BASIC-9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgressValues<'a> {
    /// The customer's X user id.
    pub user_id: &'a str,
    /// The customer's display name at X.
    pub nick_name: &'a str,
    /// The place in the queue, 1 for next.
    pub position: u64,
    /// The expected wait, in seconds.
    pub wait_seconds: u64,
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

    const VALUES: ProgressValues<'static> = ProgressValues {
        user_id: "3001969357",
        nick_name: "Jordan",
        position: 3,
        wait_seconds: 180,
    };

    fn render(raw: &str, values: &ProgressValues<'_>) -> String {
        ProgressTemplate::parse(raw).unwrap().render(values)
    }

    // R-BASIC-9
    #[test]
    fn renders_the_four_variables() {
        assert_eq!(
            render(
                "Hi ${nickName} (${userId}): position ${position}, ${waitTime} s",
                &VALUES
            ),
            "Hi Jordan (3001969357): position 3, 180 s"
        );
    }

    // R-BASIC-9: `${waitTime}` is seconds, as the default template says.
    #[test]
    fn renders_the_default_template_in_seconds() {
        assert_eq!(
            ProgressTemplate::default_template().render(&VALUES),
            "You are currently in the queue, in position 3, and are expected to wait for 180 seconds"
        );
    }

    // R-BASIC-9
    #[test]
    fn renders_repeats_dollars_and_plain_text_as_written() {
        assert_eq!(
            render("$$${position}$ ${position}${position} $5 {x} $", &VALUES),
            "$$3$ 33 $5 {x} $"
        );
        assert_eq!(render("No variables.", &VALUES), "No variables.");
    }

    // R-BASIC-9: a value is inserted, never read as a template again.
    #[test]
    fn a_value_that_looks_like_a_variable_stays_as_written() {
        let values = ProgressValues {
            nick_name: "${position} ${userId",
            ..VALUES
        };
        assert_eq!(
            render("${nickName} at ${position}", &values),
            "${position} ${userId at 3"
        );
    }

    // R-BASIC-9: an unknown name (never stored, the parser refuses it) is kept.
    #[test]
    fn an_unknown_or_unclosed_variable_is_kept() {
        let unchecked = ProgressTemplate("${rank} ${position} ${".to_owned());
        assert_eq!(unchecked.render(&VALUES), "${rank} 3 ${");
    }

    // R-BASIC-9: one pass, linear in the template's and the values' length.
    #[test]
    fn renders_a_long_template_in_one_pass() {
        let raw = "${position}".repeat(23);
        assert_eq!(render(&raw, &VALUES), "3".repeat(23));
    }

    // R-BASIC-9 with R-BASIC-8
    #[test]
    fn applies_the_text_rules_as_well() {
        assert_eq!(codes("<b>${position}</b>"), ["forbidden_character"]);
    }
}
