//! The "More" settings (R-BASIC-11): optional session behaviours, each off by default.

mod last_agent_mode;
mod no_agent_reply_transfer;
mod no_customer_reply_end;
mod session_transfer;

pub use last_agent_mode::{LastAgentMode, LastAgentModeDraft};
pub use no_agent_reply_transfer::{NoAgentReplyTransfer, NoAgentReplyTransferDraft};
pub use no_customer_reply_end::{NoCustomerReplyEnd, NoCustomerReplyEndDraft};
pub use session_transfer::{SessionTransfer, SessionTransferDraft, TransferTarget};

use serde::{Deserialize, Serialize};
use serde_json::Number;
use utoipa::ToSchema;

use crate::violation::{Collector, Violation};
use crate::whole_number::whole_in;

/// `more` as written in a request; a setting left out is off.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MoreDraft {
    /// Route a returning customer to the last agent who served them.
    pub last_agent_mode: Option<LastAgentModeDraft>,
    /// End the session when the customer stays silent.
    pub no_customer_reply_end: Option<NoCustomerReplyEndDraft>,
    /// Move the session when the agent does not answer.
    pub no_agent_reply_transfer: Option<NoAgentReplyTransferDraft>,
    /// Whether, and where, agents may transfer a session.
    pub session_transfer: Option<SessionTransferDraft>,
}

/// The "More" settings of a channel, each valid (R-BASIC-11).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct More {
    last_agent_mode: LastAgentMode,
    no_customer_reply_end: NoCustomerReplyEnd,
    no_agent_reply_transfer: NoAgentReplyTransfer,
    session_transfer: SessionTransfer,
}

impl More {
    /// Parses every setting; pointers are `/lastAgentMode/...` and so on.
    pub fn parse(draft: Option<&MoreDraft>) -> Result<Self, Vec<Violation>> {
        let Some(draft) = draft else {
            return Ok(Self::default());
        };
        let mut c = Collector::default();
        let last = c.take(
            "/lastAgentMode",
            LastAgentMode::parse(draft.last_agent_mode.as_ref()),
        );
        let end = c.take(
            "/noCustomerReplyEnd",
            NoCustomerReplyEnd::parse(draft.no_customer_reply_end.as_ref()),
        );
        let agent = c.take(
            "/noAgentReplyTransfer",
            NoAgentReplyTransfer::parse(draft.no_agent_reply_transfer.as_ref()),
        );
        let transfer = c.take(
            "/sessionTransfer",
            SessionTransfer::parse(draft.session_transfer.as_ref()),
        );
        match (last, end, agent, transfer) {
            (
                Some(last_agent_mode),
                Some(no_customer_reply_end),
                Some(no_agent_reply_transfer),
                Some(session_transfer),
            ) => Ok(Self {
                last_agent_mode,
                no_customer_reply_end,
                no_agent_reply_transfer,
                session_transfer,
            }),
            _ => Err(c.into_violations()),
        }
    }

    /// Last agent mode.
    pub fn last_agent_mode(&self) -> &LastAgentMode {
        &self.last_agent_mode
    }

    /// Session end due to no customer reply.
    pub fn no_customer_reply_end(&self) -> &NoCustomerReplyEnd {
        &self.no_customer_reply_end
    }

    /// Session transfer due to no agent reply.
    pub fn no_agent_reply_transfer(&self) -> &NoAgentReplyTransfer {
        &self.no_agent_reply_transfer
    }

    /// Session transfer by agents.
    pub fn session_transfer(&self) -> &SessionTransfer {
        &self.session_transfer
    }
}

/// A numeric parameter: checked against its range whenever given, required when the
/// setting is enabled. Records violations at `pointer`; `None` means "could not be read".
pub(crate) fn parameter(
    c: &mut Collector,
    enabled: bool,
    pointer: &str,
    value: Option<&Number>,
    (min, max): (i64, i64),
) -> Option<Option<u32>> {
    match value {
        Some(n) => c
            .take(pointer, whole_in(n, min, max))
            .map(|v| Some(u32::try_from(v).unwrap_or(u32::MAX))),
        None if enabled => {
            c.push(Violation::new(
                pointer,
                "required",
                format!("is required when the setting is enabled ({min} to {max})"),
            ));
            None
        }
        None => Some(None),
    }
}
