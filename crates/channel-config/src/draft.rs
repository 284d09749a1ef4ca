//! The channel request body as sent by a client, before any rule is applied.

use serde::Deserialize;
use serde_json::Number;
use utoipa::ToSchema;

use crate::account_level::AccountLevel;
use crate::channel_type::ChannelType;
use crate::more::MoreDraft;
use crate::queue_reminder::QueueReminderDraft;
use crate::robot::RobotDraft;
use crate::signature_algorithm::SignatureAlgorithm;
use crate::work_time::WorkTimeDraft;

/// `x`: the X credentials and account settings as sent (R-CRED).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct XDraft {
    /// API key of the X project. Required on creation; on update, leave out to keep it.
    /// Printable ASCII without spaces, at most 256 characters. Used by one channel only.
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"^[!-~]+$",
        example = "xvz1evFS4wEEPTGEFPHBog"
    )]
    pub api_key: Option<String>,
    /// API key secret. Required on creation; on update, leave out to keep it. Never returned.
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"^[!-~]+$",
        example = "L8qq9PZyRg6ieKGEKhZolGC0vJWLw8iEJ88DRdyOg"
    )]
    pub api_key_secret: Option<String>,
    /// Access token. Required on creation; on update, leave out to keep it. Never returned.
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"^[!-~]+$",
        example = "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"
    )]
    pub access_token: Option<String>,
    /// Access token secret. Required on creation; on update, leave out to keep it. Never returned.
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"^[!-~]+$",
        example = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"
    )]
    pub access_token_secret: Option<String>,
    /// `enterprise` receives messages by webhook; `basic` and `pro` pull every minute.
    pub account_level: AccountLevel,
    /// Signature method for calls to X; `SHA-1` is accepted with a warning.
    pub signature_algorithm: SignatureAlgorithm,
}

/// The body of `POST /channels` and `PUT /channels/{id}`. In the example, `ouId` and
/// `skillQueueId` stand for the `id`s that `POST /ous` and `POST /called-routes` answered.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({
    "name": "x_support_en",
    "type": "x",
    "x": {
        "apiKey": "xvz1evFS4wEEPTGEFPHBog",
        "apiKeySecret": "L8qq9PZyRg6ieKGEKhZolGC0vJWLw8iEJ88DRdyOg",
        "accessToken": "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
        "accessTokenSecret": "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
        "accountLevel": "enterprise",
        "signatureAlgorithm": "SHA-256"
    },
    "ouId": "0193a1d2-7b8c-7d00-8000-000000000002",
    "skillQueueId": "0193a1d2-7b8c-7d00-8000-000000000003",
    "transferKeywords": ["agent", "human"],
    "workTime": {
        "workday": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "18:00"}],
        "nonWorkday": [{"start": "10:00", "end": "16:00"}]
    },
    "nonWorkingTimeNotification": "We are closed now. Our agents are back at 08:00.",
    "queueReminder": {
        "mode": "all",
        "content": "Please wait, an agent will be with you shortly.",
        "progressContent": "You are number ${position}, about ${waitTime} seconds to go."
    },
    "callTransferInteractionTimes": 3,
    "more": {
        "lastAgentMode": {"enabled": true, "validHours": 24},
        "noCustomerReplyEnd": {"enabled": true, "timeoutSeconds": 600, "reminderSeconds": 300,
                               "reminderText": "Are you still there?", "endText": "Session ended."},
        "noAgentReplyTransfer": {"enabled": false, "timeoutSeconds": null, "targetSkillQueueId": null},
        "sessionTransfer": {"enabled": true, "allowedTargets": ["agent", "skillQueue"]}
    },
    "robot": {
        "intelligentRobot": {"enabled": true, "robotId": "bot-1"},
        "robotAssistant": {"enabled": false}
    }
}))]
pub struct ChannelDraft {
    /// Unique per tenant; `^[A-Za-z_][A-Za-z0-9_]{0,63}$` (R-BASIC-1).
    #[schema(min_length = 1, max_length = 64, pattern = r"^[A-Za-z_][A-Za-z0-9_]*$")]
    pub name: String,
    /// Channel type; only `x` today (R-CRED-1).
    #[serde(rename = "type")]
    pub channel_type: ChannelType,
    /// X credentials and account settings (R-CRED).
    pub x: XDraft,
    /// An existing OU of the tenant (R-BASIC-2).
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub ou_id: String,
    /// An existing multimedia called route visible to the caller (R-BASIC-3).
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub skill_queue_id: String,
    /// Keywords that move a customer from robot to agent; required (non-empty) when the
    /// intelligent robot is enabled. At most 50, each 1 to 64 characters, distinct (R-BASIC-4).
    #[schema(
        max_items = 50,
        min_length = 1,
        pattern = r"^[\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000](?:[^\x00-\x1F\x7F-\x9F]{0,62}[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub transfer_keywords: Option<Vec<String>>,
    /// Agent work time; 00:00-24:00 in each list when left out (R-BASIC-5).
    pub work_time: Option<WorkTimeDraft>,
    /// Sent to a customer who writes outside work time; at most 256 characters, none of
    /// `< > ' " / \` (R-BASIC-6).
    #[schema(
        max_length = 256,
        pattern = r#"^[^<>'"/\\\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"#
    )]
    pub non_working_time_notification: Option<String>,
    /// Queue reminders; off when left out (R-BASIC-7 to R-BASIC-9).
    pub queue_reminder: Option<QueueReminderDraft>,
    /// Messages an agent must send before transferring the call; empty or 0 means any
    /// time; 0 to 1000000 (R-BASIC-10).
    #[schema(value_type = Option<u32>, minimum = 0, maximum = 1_000_000, example = 3)]
    pub call_transfer_interaction_times: Option<Number>,
    /// The "More" settings, each off when left out (R-BASIC-11).
    pub more: Option<MoreDraft>,
    /// Robot configuration, off when left out (R-ROBOT).
    pub robot: Option<RobotDraft>,
}
