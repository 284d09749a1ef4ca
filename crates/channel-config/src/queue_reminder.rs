//! Queue reminders (R-BASIC-7, R-BASIC-8, R-BASIC-9): what a waiting customer is told.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::progress_template::ProgressTemplate;
use crate::reminder_text::ReminderText;
use crate::violation::{Collector, Violation};

/// Which reminders a waiting customer receives (R-BASIC-7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum QueueReminderMode {
    /// Queue reminder and queue progress reminder.
    All,
    /// Queue reminder only.
    Queue,
    /// Queue progress reminder only.
    Progress,
    /// No reminder.
    #[default]
    Off,
}

impl QueueReminderMode {
    /// Whether the plain queue reminder is sent, so its content is required (R-BASIC-8).
    pub fn sends_queue_reminder(self) -> bool {
        matches!(self, Self::All | Self::Queue)
    }

    /// Whether the progress reminder is sent (R-BASIC-9).
    pub fn sends_progress_reminder(self) -> bool {
        matches!(self, Self::All | Self::Progress)
    }
}

/// `queueReminder` as written in a request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueueReminderDraft {
    /// `all`, `queue`, `progress` or `off`.
    pub mode: QueueReminderMode,
    /// Queue reminder content; required when the mode is `all` or `queue`. At most 256
    /// characters, none of `< > ' " / \`.
    #[schema(
        max_length = 256,
        pattern = r#"^[^<>'"/\\\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"#,
        example = "Please wait."
    )]
    pub content: Option<String>,
    /// Queue progress reminder; may use `${userId}`, `${nickName}`, `${position}`,
    /// `${waitTime}`. When left out, the default template is used; empty is refused when
    /// the mode is `all` or `progress`.
    #[schema(
        max_length = 256,
        pattern = r#"^(?:[^$<>'"/\\\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]|\$+[^${<>'"/\\\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]|\$+\{(?:userId|nickName|position|waitTime)\})*\$*$"#,
        example = "You are number ${position}"
    )]
    pub progress_content: Option<String>,
}

/// The queue reminder settings of a channel, valid as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueReminder {
    mode: QueueReminderMode,
    content: Option<ReminderText>,
    progress_content: ProgressTemplate,
}

impl Default for QueueReminder {
    /// Reminders off, progress template at its default.
    fn default() -> Self {
        Self {
            mode: QueueReminderMode::Off,
            content: None,
            progress_content: ProgressTemplate::default_template(),
        }
    }
}

impl QueueReminder {
    /// Parses the settings; pointers are `/content` and `/progressContent`.
    pub fn parse(draft: Option<&QueueReminderDraft>) -> Result<Self, Vec<Violation>> {
        let Some(draft) = draft else {
            return Ok(Self::default());
        };
        let mut c = Collector::default();
        let content = c.take(
            "/content",
            ReminderText::parse_optional(draft.content.as_deref()),
        );
        if draft.mode.sends_queue_reminder() && matches!(content, Some(None)) {
            c.push(Violation::new(
                "/content",
                "required",
                "is required when the queue reminder mode is all or queue",
            ));
        }
        // Left out, the template is the default; sent empty, a value the progress
        // reminder needs was cleared, which is refused rather than silently replaced.
        let progress = match draft.progress_content.as_deref() {
            Some(text) if !text.trim().is_empty() => {
                c.take("/progressContent", ProgressTemplate::parse(text))
            }
            Some(_) if draft.mode.sends_progress_reminder() => {
                c.push(Violation::new(
                    "/progressContent",
                    "required",
                    "must not be empty when the queue reminder mode is all or progress; leave it out for the default template",
                ));
                None
            }
            _ => Some(ProgressTemplate::default_template()),
        };
        c.finish()?;
        match (content, progress) {
            (Some(content), Some(progress_content)) => Ok(Self {
                mode: draft.mode,
                content,
                progress_content,
            }),
            _ => unreachable!("a failed field was recorded as a violation"),
        }
    }

    /// The reminder mode.
    pub fn mode(&self) -> QueueReminderMode {
        self.mode
    }

    /// The queue reminder content; always set when the mode sends it.
    pub fn content(&self) -> Option<&ReminderText> {
        self.content.as_ref()
    }

    /// The progress template (the default one when none was given).
    pub fn progress_content(&self) -> &ProgressTemplate {
        &self.progress_content
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress_template::DEFAULT_PROGRESS_TEMPLATE;

    fn draft(
        mode: QueueReminderMode,
        content: Option<&str>,
        progress: Option<&str>,
    ) -> QueueReminderDraft {
        QueueReminderDraft {
            mode,
            content: content.map(str::to_owned),
            progress_content: progress.map(str::to_owned),
        }
    }

    // R-BASIC-7
    #[test]
    fn is_off_when_left_out() {
        let qr = QueueReminder::parse(None).unwrap();
        assert_eq!(qr.mode(), QueueReminderMode::Off);
        assert_eq!(qr.progress_content().as_str(), DEFAULT_PROGRESS_TEMPLATE);
    }

    // R-BASIC-8
    #[test]
    fn requires_content_when_the_mode_is_all_or_queue() {
        for mode in [QueueReminderMode::All, QueueReminderMode::Queue] {
            let err = QueueReminder::parse(Some(&draft(mode, None, None))).unwrap_err();
            assert_eq!(
                (err[0].pointer.as_str(), err[0].code.as_str()),
                ("/content", "required")
            );
            let err = QueueReminder::parse(Some(&draft(mode, Some(" "), None))).unwrap_err();
            assert_eq!(err[0].code, "required");
        }
    }

    // R-BASIC-8
    #[test]
    fn does_not_require_content_for_progress_or_off() {
        for mode in [QueueReminderMode::Progress, QueueReminderMode::Off] {
            assert!(QueueReminder::parse(Some(&draft(mode, None, None))).is_ok());
        }
    }

    // R-BASIC-9: required for all/progress, satisfied by the default.
    #[test]
    fn uses_the_default_progress_template_when_none_is_given() {
        let qr =
            QueueReminder::parse(Some(&draft(QueueReminderMode::Progress, None, None))).unwrap();
        assert_eq!(qr.progress_content().as_str(), DEFAULT_PROGRESS_TEMPLATE);
    }

    // R-BASIC-9: left out means the default; sent empty means the mandatory value is missing.
    #[test]
    fn refuses_an_emptied_progress_template_when_the_progress_reminder_is_sent() {
        for mode in [QueueReminderMode::All, QueueReminderMode::Progress] {
            for emptied in ["", "  "] {
                let err = QueueReminder::parse(Some(&draft(mode, Some("Wait."), Some(emptied))))
                    .unwrap_err();
                assert_eq!(
                    (err[0].pointer.as_str(), err[0].code.as_str()),
                    ("/progressContent", "required"),
                    "{mode:?} {emptied:?}"
                );
            }
        }
        for mode in [QueueReminderMode::Queue, QueueReminderMode::Off] {
            let qr = QueueReminder::parse(Some(&draft(mode, Some("Wait."), Some("")))).unwrap();
            assert_eq!(qr.progress_content().as_str(), DEFAULT_PROGRESS_TEMPLATE);
        }
    }

    // R-BASIC-8, R-BASIC-9
    #[test]
    fn reports_bad_content_and_bad_progress_together() {
        let err = QueueReminder::parse(Some(&draft(
            QueueReminderMode::All,
            Some("<wait>"),
            Some("${rank}"),
        )))
        .unwrap_err();
        let found: Vec<_> = err
            .iter()
            .map(|v| (v.pointer.as_str(), v.code.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("/content", "forbidden_character"),
                ("/progressContent", "unknown_variable")
            ]
        );
    }
}
