//! The validated, non-secret configuration of a channel: what the api stores and returns.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::account_level::AccountLevel;
use crate::channel_name::ChannelName;
use crate::channel_type::ChannelType;
use crate::draft::{ChannelDraft, XDraft};
use crate::entity_id::EntityId;
use crate::more::More;
use crate::queue_reminder::QueueReminder;
use crate::reminder_text::ReminderText;
use crate::robot::Robot;
use crate::signature_algorithm::SignatureAlgorithm;
use crate::transfer_keywords::TransferKeywords;
use crate::violation::{Collector, Violation};
use crate::whole_number::whole_in;
use crate::work_time::WorkTime;

/// Highest call transfer interaction count (R-BASIC-10).
pub const MAX_INTERACTION_TIMES: i64 = 1_000_000;

/// `x` without the secrets: the account settings of an X channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct XSettings {
    account_level: AccountLevel,
    signature_algorithm: SignatureAlgorithm,
}

impl XSettings {
    fn from_draft(draft: &XDraft) -> Self {
        Self {
            account_level: draft.account_level,
            signature_algorithm: draft.signature_algorithm,
        }
    }
}

/// Every non-secret setting of a channel, each one valid (R-BASIC, R-ROBOT, R-CRED-6/7).
///
/// Serializes to the request shape minus the four credentials. Deserializing re-checks
/// each field's own rules, not the rules that tie fields together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChannelSettings {
    name: ChannelName,
    #[serde(rename = "type")]
    channel_type: ChannelType,
    x: XSettings,
    ou_id: EntityId,
    skill_queue_id: EntityId,
    transfer_keywords: TransferKeywords,
    work_time: WorkTime,
    non_working_time_notification: Option<ReminderText>,
    queue_reminder: QueueReminder,
    call_transfer_interaction_times: Option<u32>,
    more: More,
    robot: Robot,
}

impl ChannelSettings {
    /// Parses every non-secret field of a request, reporting every violation.
    pub fn parse(draft: &ChannelDraft) -> Result<Self, Vec<Violation>> {
        let mut c = Collector::default();
        let name = c.take("/name", ChannelName::parse(&draft.name));
        let ou_id = c.take("/ouId", EntityId::parse(&draft.ou_id));
        let skill_queue_id = c.take("/skillQueueId", EntityId::parse(&draft.skill_queue_id));
        let keywords = c.take(
            "/transferKeywords",
            TransferKeywords::parse(draft.transfer_keywords.as_deref().unwrap_or_default()),
        );
        let work_time = c.take("/workTime", WorkTime::parse(draft.work_time.as_ref()));
        let notification = c.take(
            "/nonWorkingTimeNotification",
            ReminderText::parse_optional(draft.non_working_time_notification.as_deref()),
        );
        let queue_reminder = c.take(
            "/queueReminder",
            QueueReminder::parse(draft.queue_reminder.as_ref()),
        );
        let interaction_times = match &draft.call_transfer_interaction_times {
            Some(n) => c
                .take(
                    "/callTransferInteractionTimes",
                    whole_in(n, 0, MAX_INTERACTION_TIMES),
                )
                .map(|v| u32::try_from(v).ok()),
            None => Some(None),
        };
        let more = c.take("/more", More::parse(draft.more.as_ref()));
        let robot = c.take("/robot", Robot::parse(draft.robot.as_ref()));
        // Read from the draft, so that a bad robot id does not hide a missing keyword.
        let robot_enabled = draft
            .robot
            .as_ref()
            .and_then(|r| r.intelligent_robot.as_ref())
            .is_some_and(|r| r.enabled);
        if robot_enabled && keywords.as_ref().is_some_and(TransferKeywords::is_empty) {
            c.push(Violation::new(
                "/transferKeywords",
                "required",
                "needs at least one keyword when the intelligent robot is enabled",
            ));
        }
        c.finish()?;
        let (
            Some(name),
            Some(ou_id),
            Some(skill_queue_id),
            Some(transfer_keywords),
            Some(work_time),
            Some(non_working_time_notification),
            Some(queue_reminder),
            Some(call_transfer_interaction_times),
            Some(more),
            Some(robot),
        ) = (
            name,
            ou_id,
            skill_queue_id,
            keywords,
            work_time,
            notification,
            queue_reminder,
            interaction_times,
            more,
            robot,
        )
        else {
            unreachable!("a failed field was recorded as a violation");
        };
        Ok(Self {
            name,
            channel_type: draft.channel_type,
            x: XSettings::from_draft(&draft.x),
            ou_id,
            skill_queue_id,
            transfer_keywords,
            work_time,
            non_working_time_notification,
            queue_reminder,
            call_transfer_interaction_times,
            more,
            robot,
        })
    }

    /// Channel name (R-BASIC-1).
    pub fn name(&self) -> &ChannelName {
        &self.name
    }

    /// Channel type (R-CRED-1).
    pub fn channel_type(&self) -> ChannelType {
        self.channel_type
    }

    /// X account level (R-CRED-6).
    pub fn account_level(&self) -> AccountLevel {
        self.x.account_level
    }

    /// Signature method for calls to X (R-CRED-7).
    pub fn signature_algorithm(&self) -> SignatureAlgorithm {
        self.x.signature_algorithm
    }

    /// Whether `edited` connects to X differently: another account level or signature
    /// method, which X has to see again before the channel is active (R-INTEG-3). The
    /// credentials are not settings; whether an edit changes them is the caller's to tell.
    pub fn x_connection_differs(&self, edited: &Self) -> bool {
        self.account_level() != edited.account_level()
            || self.signature_algorithm() != edited.signature_algorithm()
    }

    /// The OU the channel belongs to (R-BASIC-2).
    pub fn ou_id(&self) -> &str {
        self.ou_id.as_str()
    }

    /// The channel's skill queue (R-BASIC-3).
    pub fn skill_queue_id(&self) -> &str {
        self.skill_queue_id.as_str()
    }

    /// Every called route the channel refers to, so the api can check each exists and is
    /// multimedia: the skill queue first, then the no-agent-reply target when set (even
    /// when it names the same route, so the position of each stays predictable).
    pub fn referenced_skill_queue_ids(&self) -> Vec<&str> {
        let mut ids = vec![self.skill_queue_id()];
        ids.extend(self.no_agent_reply_target_skill_queue_id());
        ids
    }

    /// The called route a session moves to when the agent does not answer, when set
    /// (R-BASIC-11); `None` means back to the channel's own queue.
    pub fn no_agent_reply_target_skill_queue_id(&self) -> Option<&str> {
        self.more.no_agent_reply_transfer().target_skill_queue_id()
    }

    /// Keywords for transfer to agent (R-BASIC-4).
    pub fn transfer_keywords(&self) -> &TransferKeywords {
        &self.transfer_keywords
    }

    /// Agent work time (R-BASIC-5).
    pub fn work_time(&self) -> &WorkTime {
        &self.work_time
    }

    /// Non-working time notification (R-BASIC-6).
    pub fn non_working_time_notification(&self) -> Option<&ReminderText> {
        self.non_working_time_notification.as_ref()
    }

    /// Queue reminders (R-BASIC-7 to R-BASIC-9).
    pub fn queue_reminder(&self) -> &QueueReminder {
        &self.queue_reminder
    }

    /// Call transfer interaction times; `None` or `Some(0)` means at any time (R-BASIC-10).
    pub fn call_transfer_interaction_times(&self) -> Option<u32> {
        self.call_transfer_interaction_times
    }

    /// The "More" settings (R-BASIC-11).
    pub fn more(&self) -> &More {
        &self.more
    }

    /// Robot configuration (R-ROBOT).
    pub fn robot(&self) -> &Robot {
        &self.robot
    }

    /// Things the operator should know about a valid configuration (R-CRED-7).
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.signature_algorithm().is_weak() {
            warnings.push(
                "SHA-1 is not strong enough and poses security risks; use SHA-256 if the platform supports it"
                    .to_owned(),
            );
        }
        warnings
    }
}
