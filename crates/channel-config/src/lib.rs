//! Channel configuration: the rules of a valid channel (R-CRED, R-BASIC, R-ROBOT) as types
//! that can only be built by parsing. No I/O: existence and uniqueness checks that need a
//! database belong to the caller.
//!
//! Entry point: [`parse_channel`], which reports every violation of a request at once.

/// Lets serde read and write a parsed text newtype as a plain string: reading goes through
/// the type's `parse`, so a stored value is checked again on the way in.
macro_rules! string_conversions {
    ($name:ident) => {
        impl TryFrom<String> for $name {
            type Error = crate::violation::Violations;
            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(&raw).map_err(crate::violation::Violations)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    };
}

mod account_level;
mod channel_name;
mod channel_type;
mod clock_time;
mod credential;
mod draft;
mod entity_id;
mod integration_status;
mod mode;
pub mod more;
mod parse;
mod progress_template;
mod queue_reminder;
mod reminder_text;
mod robot;
mod robot_id;
mod schema;
mod settings;
mod signature_algorithm;
mod transfer_keywords;
mod violation;
mod whole_number;
mod work_segments;
pub mod work_time;

pub use account_level::AccountLevel;
pub use channel_name::{ChannelName, CHANNEL_NAME_MAX_CHARS};
pub use channel_type::ChannelType;
pub use clock_time::ClockTime;
pub use credential::{Credential, CredentialChanges, CREDENTIAL_MAX_CHARS};
pub use draft::{ChannelDraft, XDraft};
pub use entity_id::EntityId;
pub use integration_status::{IntegrationStatus, TransitionRefused, UnknownIntegrationStatus};
pub use mode::Mode;
pub use more::{
    LastAgentMode, More, MoreDraft, NoAgentReplyTransfer, NoCustomerReplyEnd, SessionTransfer,
    TransferTarget,
};
pub use parse::{parse_channel, ParsedChannel};
pub use progress_template::{
    ProgressTemplate, ProgressValues, DEFAULT_PROGRESS_TEMPLATE, PROGRESS_VARIABLES,
};
pub use queue_reminder::{QueueReminder, QueueReminderDraft, QueueReminderMode};
pub use reminder_text::{ReminderText, FORBIDDEN_TEXT_CHARS, TEXT_MAX_CHARS};
pub use robot::{IntelligentRobot, IntelligentRobotDraft, Robot, RobotAssistant, RobotDraft};
pub use robot_id::RobotId;
pub use schema::{channel_json_schema, channel_update_json_schema};
pub use settings::{ChannelSettings, XSettings};
pub use signature_algorithm::SignatureAlgorithm;
pub use transfer_keywords::TransferKeywords;
pub use violation::{Violation, Violations};
pub use work_segments::{WorkSegment, WorkSegmentDraft, WorkSegments};
pub use work_time::{DayKind, WorkTime, WorkTimeDraft};
