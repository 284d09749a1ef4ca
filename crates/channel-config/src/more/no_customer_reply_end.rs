//! Session end due to no customer reply (R-BASIC-11): remind, then close a silent session.

use serde::{Deserialize, Serialize};
use serde_json::Number;
use utoipa::ToSchema;

use super::parameter;
use crate::reminder_text::ReminderText;
use crate::violation::{Collector, Violation};

/// Range of `timeoutSeconds`.
pub const TIMEOUT_SECONDS: (i64, i64) = (30, 86_400);

/// `more.noCustomerReplyEnd` as written in a request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NoCustomerReplyEndDraft {
    /// Whether the setting is on.
    pub enabled: bool,
    /// Silence (seconds, 30 to 86400) after which the session ends; required when enabled.
    #[schema(value_type = Option<u32>, minimum = 30, maximum = 86_400, example = 600)]
    pub timeout_seconds: Option<Number>,
    /// Silence (seconds, 1 to less than the timeout) after which the customer is reminded.
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 86_399, example = 300)]
    pub reminder_seconds: Option<Number>,
    /// Reminder text; required when `reminderSeconds` is set. Rules of R-BASIC-8.
    #[schema(
        max_length = 256,
        pattern = r#"^[^<>'"/\\\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"#,
        example = "Are you still there?"
    )]
    pub reminder_text: Option<String>,
    /// Text sent when the session ends. Rules of R-BASIC-8.
    #[schema(
        max_length = 256,
        pattern = r#"^[^<>'"/\\\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"#,
        example = "Session ended."
    )]
    pub end_text: Option<String>,
}

/// Session end due to no customer reply, valid.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NoCustomerReplyEnd {
    enabled: bool,
    timeout_seconds: Option<u32>,
    reminder_seconds: Option<u32>,
    reminder_text: Option<ReminderText>,
    end_text: Option<ReminderText>,
}

impl NoCustomerReplyEnd {
    /// Parses the setting, reporting every broken rule.
    pub fn parse(draft: Option<&NoCustomerReplyEndDraft>) -> Result<Self, Vec<Violation>> {
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
        let upper = match timeout {
            Some(Some(t)) => i64::from(t) - 1,
            _ => TIMEOUT_SECONDS.1 - 1,
        };
        let reminder = parameter(
            &mut c,
            false,
            "/reminderSeconds",
            draft.reminder_seconds.as_ref(),
            (1, upper),
        );
        let reminder_text = c.take(
            "/reminderText",
            ReminderText::parse_optional(draft.reminder_text.as_deref()),
        );
        if matches!(reminder, Some(Some(_))) && matches!(reminder_text, Some(None)) {
            c.push(Violation::new(
                "/reminderText",
                "required",
                "is required when reminderSeconds is set",
            ));
        }
        let end_text = c.take(
            "/endText",
            ReminderText::parse_optional(draft.end_text.as_deref()),
        );
        c.finish()?;
        match (timeout, reminder, reminder_text, end_text) {
            (
                Some(timeout_seconds),
                Some(reminder_seconds),
                Some(reminder_text),
                Some(end_text),
            ) => Ok(Self {
                enabled: draft.enabled,
                timeout_seconds,
                reminder_seconds,
                reminder_text,
                end_text,
            }),
            _ => unreachable!("a failed field was recorded as a violation"),
        }
    }

    /// Whether the setting is on.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Seconds of silence before the session ends; set whenever enabled.
    pub fn timeout_seconds(&self) -> Option<u32> {
        self.timeout_seconds
    }

    /// Seconds of silence before the reminder, less than the timeout.
    pub fn reminder_seconds(&self) -> Option<u32> {
        self.reminder_seconds
    }

    /// Reminder text; set whenever `reminder_seconds` is.
    pub fn reminder_text(&self) -> Option<&ReminderText> {
        self.reminder_text.as_ref()
    }

    /// Text sent when the session ends.
    pub fn end_text(&self) -> Option<&ReminderText> {
        self.end_text.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn found(v: serde_json::Value) -> Vec<(String, String)> {
        NoCustomerReplyEnd::parse(Some(&serde_json::from_value(v).unwrap()))
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|v| (v.pointer, v.code))
            .collect()
    }

    fn one(pointer: &str, code: &str) -> Vec<(String, String)> {
        vec![(pointer.to_owned(), code.to_owned())]
    }

    // R-BASIC-11
    #[test]
    fn requires_a_timeout_of_30_to_86400_seconds_when_enabled() {
        assert_eq!(
            found(json!({"enabled": true})),
            one("/timeoutSeconds", "required")
        );
        assert_eq!(
            found(json!({"enabled": true, "timeoutSeconds": 29})),
            one("/timeoutSeconds", "out_of_range")
        );
        assert_eq!(
            found(json!({"enabled": true, "timeoutSeconds": 86401})),
            one("/timeoutSeconds", "out_of_range")
        );
        assert!(found(json!({"enabled": true, "timeoutSeconds": 30})).is_empty());
        assert!(found(json!({"enabled": true, "timeoutSeconds": 86400})).is_empty());
    }

    // R-BASIC-11
    #[test]
    fn refuses_a_reminder_not_earlier_than_the_timeout() {
        let v = json!({"enabled": true, "timeoutSeconds": 600, "reminderSeconds": 600, "reminderText": "Hi?"});
        assert_eq!(found(v), one("/reminderSeconds", "out_of_range"));
        let v = json!({"enabled": true, "timeoutSeconds": 600, "reminderSeconds": 599, "reminderText": "Hi?"});
        assert!(found(v).is_empty());
    }

    // R-BASIC-11
    #[test]
    fn requires_a_reminder_text_when_a_reminder_is_set() {
        let v = json!({"enabled": true, "timeoutSeconds": 600, "reminderSeconds": 300});
        assert_eq!(found(v), one("/reminderText", "required"));
    }

    // R-BASIC-11 with R-BASIC-8
    #[test]
    fn applies_the_text_rules_to_reminder_and_end_texts() {
        let v = json!({"enabled": true, "timeoutSeconds": 600, "reminderSeconds": 300,
                       "reminderText": "still <there>?", "endText": "bye/bye"});
        assert_eq!(
            found(v),
            [
                ("/reminderText".to_owned(), "forbidden_character".to_owned()),
                ("/endText".to_owned(), "forbidden_character".to_owned()),
            ]
        );
    }

    // R-BASIC-11
    #[test]
    fn is_off_by_default() {
        let off = NoCustomerReplyEnd::parse(None).unwrap();
        assert!(!off.enabled());
        assert_eq!(off.timeout_seconds(), None);
    }
}
