//! The columns of an exported channel record: every field of basic and robot
//! configuration plus id, account level, signature algorithm, status and times; never a
//! credential. A column is named by the field's path in the API's JSON (`more.lastAgentMode.validHours`);
//! lists and objects (keywords, work segments, allowed targets) are one cell of compact
//! JSON, an absent value an empty cell.

use serde_json::Value;

use crate::store::exports::ChannelRecord;

/// Where a column's value comes from.
pub enum Source {
    Id,
    Status,
    CreatedAt,
    UpdatedAt,
    /// A JSON pointer into the stored settings (the API's view minus the credentials).
    Setting(&'static str),
    /// Work segments at this pointer, written as the API writes them.
    Segments(&'static str),
}

pub const COLUMNS: &[(&str, Source)] = &[
    ("id", Source::Id),
    ("name", Source::Setting("/name")),
    ("type", Source::Setting("/type")),
    ("x.accountLevel", Source::Setting("/x/accountLevel")),
    (
        "x.signatureAlgorithm",
        Source::Setting("/x/signatureAlgorithm"),
    ),
    ("ouId", Source::Setting("/ouId")),
    ("skillQueueId", Source::Setting("/skillQueueId")),
    ("transferKeywords", Source::Setting("/transferKeywords")),
    ("workTime.workday", Source::Segments("/workTime/workday")),
    (
        "workTime.nonWorkday",
        Source::Segments("/workTime/nonWorkday"),
    ),
    (
        "nonWorkingTimeNotification",
        Source::Setting("/nonWorkingTimeNotification"),
    ),
    ("queueReminder.mode", Source::Setting("/queueReminder/mode")),
    (
        "queueReminder.content",
        Source::Setting("/queueReminder/content"),
    ),
    (
        "queueReminder.progressContent",
        Source::Setting("/queueReminder/progressContent"),
    ),
    (
        "callTransferInteractionTimes",
        Source::Setting("/callTransferInteractionTimes"),
    ),
    (
        "more.lastAgentMode.enabled",
        Source::Setting("/more/lastAgentMode/enabled"),
    ),
    (
        "more.lastAgentMode.validHours",
        Source::Setting("/more/lastAgentMode/validHours"),
    ),
    (
        "more.noCustomerReplyEnd.enabled",
        Source::Setting("/more/noCustomerReplyEnd/enabled"),
    ),
    (
        "more.noCustomerReplyEnd.timeoutSeconds",
        Source::Setting("/more/noCustomerReplyEnd/timeoutSeconds"),
    ),
    (
        "more.noCustomerReplyEnd.reminderSeconds",
        Source::Setting("/more/noCustomerReplyEnd/reminderSeconds"),
    ),
    (
        "more.noCustomerReplyEnd.reminderText",
        Source::Setting("/more/noCustomerReplyEnd/reminderText"),
    ),
    (
        "more.noCustomerReplyEnd.endText",
        Source::Setting("/more/noCustomerReplyEnd/endText"),
    ),
    (
        "more.noAgentReplyTransfer.enabled",
        Source::Setting("/more/noAgentReplyTransfer/enabled"),
    ),
    (
        "more.noAgentReplyTransfer.timeoutSeconds",
        Source::Setting("/more/noAgentReplyTransfer/timeoutSeconds"),
    ),
    (
        "more.noAgentReplyTransfer.targetSkillQueueId",
        Source::Setting("/more/noAgentReplyTransfer/targetSkillQueueId"),
    ),
    (
        "more.sessionTransfer.enabled",
        Source::Setting("/more/sessionTransfer/enabled"),
    ),
    (
        "more.sessionTransfer.allowedTargets",
        Source::Setting("/more/sessionTransfer/allowedTargets"),
    ),
    (
        "robot.intelligentRobot.enabled",
        Source::Setting("/robot/intelligentRobot/enabled"),
    ),
    (
        "robot.intelligentRobot.robotId",
        Source::Setting("/robot/intelligentRobot/robotId"),
    ),
    (
        "robot.robotAssistant.enabled",
        Source::Setting("/robot/robotAssistant/enabled"),
    ),
    ("status", Source::Status),
    ("createdAt", Source::CreatedAt),
    ("updatedAt", Source::UpdatedAt),
];

pub fn header() -> Vec<String> {
    COLUMNS.iter().map(|(name, _)| (*name).to_owned()).collect()
}

/// One channel as a row of `COLUMNS`.
pub fn record(channel: &ChannelRecord) -> Vec<String> {
    let settings = &channel.settings;
    COLUMNS
        .iter()
        .map(|(_, source)| match source {
            Source::Id => channel.id.clone(),
            Source::Status => channel.status.clone(),
            Source::CreatedAt => instant(channel.created_at),
            Source::UpdatedAt => instant(channel.updated_at),
            Source::Setting(pointer) => cell(at(settings, pointer)),
            Source::Segments(pointer) => segments(at(settings, pointer)),
        })
        .collect()
}

/// The value at a pointer of plain keys (no `~` escapes): `Value::pointer` without its
/// allocations, which showed in the profile of a 100,000-record export.
fn at<'a>(value: &'a Value, pointer: &str) -> Option<&'a Value> {
    pointer
        .split('/')
        .skip(1)
        .try_fold(value, |node, key| node.get(key))
}

/// An instant written as the API writes it.
fn instant(at: chrono::DateTime<chrono::Utc>) -> String {
    match serde_json::to_value(at) {
        Ok(Value::String(s)) => s,
        _ => at.to_rfc3339(),
    }
}

/// Work segments through their type: PostgreSQL's jsonb keeps object keys in an order of
/// its own (`end` before `start`), and the cell must read as the API writes it.
fn segments(value: Option<&Value>) -> String {
    use serde::Deserialize;
    match value.map(channel_config::WorkSegments::deserialize) {
        Some(Ok(segments)) => serde_json::to_string(&segments).unwrap_or_default(),
        _ => cell(value),
    }
}

fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(nested) => nested.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_one_cell_of_json_and_absent_values_are_empty() {
        assert_eq!(
            cell(Some(&serde_json::json!(["a", "b,c"]))),
            r#"["a","b,c"]"#
        );
        assert_eq!(cell(None), "");
        assert_eq!(cell(Some(&serde_json::json!(true))), "true");
    }

    #[test]
    fn work_segments_read_start_then_end_whatever_the_stored_order() {
        let stored = serde_json::json!([{"end": "18:00", "start": "08:00"}]);
        assert_eq!(
            segments(Some(&stored)),
            r#"[{"start":"08:00","end":"18:00"}]"#
        );
    }

    #[test]
    fn a_pointer_finds_what_value_pointer_finds() {
        let settings = serde_json::json!({"more": {"lastAgentMode": {"validHours": 24}}});
        for pointer in ["/more/lastAgentMode/validHours", "/more/none", "/more"] {
            assert_eq!(at(&settings, pointer), settings.pointer(pointer));
        }
    }

    #[test]
    fn no_column_is_a_credential() {
        for (name, _) in COLUMNS {
            let lower = name.to_ascii_lowercase();
            assert!(
                !lower.contains("secret") && !lower.contains("token") && !lower.contains("apikey"),
                "{name}"
            );
        }
    }
}
