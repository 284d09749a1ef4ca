//! Where a channel stands with X (R-INTEG-3), and the only moves between those states.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where the channel stands with X (R-INTEG-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum IntegrationStatus {
    /// Saved, never submitted, or edited since in a way that needs a new verification.
    Draft,
    /// Submitted: the tokens are being authenticated against X.
    Verifying,
    /// X accepted the tokens: the channel receives messages.
    Active,
    /// X refused the tokens, or the verification was interrupted.
    Failed,
}

/// A status text that is none of `draft`, `verifying`, `active`, `failed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownIntegrationStatus(pub String);

impl fmt::Display for UnknownIntegrationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not an integration status (draft, verifying, active or failed)",
            self.0
        )
    }
}

impl std::error::Error for UnknownIntegrationStatus {}

/// A move R-INTEG-3 does not allow, e.g. submitting a channel that is being verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionRefused {
    /// The status the channel is in.
    pub from: IntegrationStatus,
    /// The status the move would have reached.
    pub to: IntegrationStatus,
}

impl fmt::Display for TransitionRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to {
            write!(f, "the channel is already {}", self.from.as_str())
        } else {
            write!(
                f,
                "a channel in status {} cannot become {}",
                self.from.as_str(),
                self.to.as_str()
            )
        }
    }
}

impl std::error::Error for TransitionRefused {}

impl IntegrationStatus {
    /// The wire name, e.g. `verifying`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Verifying => "verifying",
            Self::Active => "active",
            Self::Failed => "failed",
        }
    }

    /// Reads a wire name; any other text is an error, for the caller to decide about.
    pub fn parse(raw: &str) -> Result<Self, UnknownIntegrationStatus> {
        match raw {
            "draft" => Ok(Self::Draft),
            "verifying" => Ok(Self::Verifying),
            "active" => Ok(Self::Active),
            "failed" => Ok(Self::Failed),
            _ => Err(UnknownIntegrationStatus(raw.to_owned())),
        }
    }

    /// Submitting the integration starts a verification: from `draft` and `failed`, and
    /// from `active` to check again. A channel already `verifying` is refused, so two
    /// verifications never run side by side.
    pub fn submit(self) -> Result<Self, TransitionRefused> {
        match self {
            Self::Draft | Self::Failed | Self::Active => Ok(Self::Verifying),
            Self::Verifying => Err(self.refused(Self::Verifying)),
        }
    }

    /// X accepted the tokens: `verifying` becomes `active`.
    pub fn verified(self) -> Result<Self, TransitionRefused> {
        self.ends_verification(Self::Active)
    }

    /// X refused the tokens, or the verification was interrupted (the instance running it
    /// stopped): `verifying` becomes `failed`, and the channel can be fixed and submitted
    /// again.
    pub fn failed(self) -> Result<Self, TransitionRefused> {
        self.ends_verification(Self::Failed)
    }

    /// The status after an edit of the channel. An edit that changes what connects to X
    /// (credentials, account level or signature method) sends an `active` or `failed`
    /// channel back to `draft`, since X has not seen the new connection; any other edit,
    /// and any edit of a `draft` or `verifying` channel, keeps the status.
    pub fn after_edit(self, connection_changed: bool) -> Self {
        match self {
            Self::Active | Self::Failed if connection_changed => Self::Draft,
            _ => self,
        }
    }

    fn ends_verification(self, outcome: Self) -> Result<Self, TransitionRefused> {
        match self {
            Self::Verifying => Ok(outcome),
            _ => Err(self.refused(outcome)),
        }
    }

    fn refused(self, to: Self) -> TransitionRefused {
        TransitionRefused { from: self, to }
    }
}

impl FromStr for IntegrationStatus {
    type Err = UnknownIntegrationStatus;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::IntegrationStatus::{Active, Draft, Failed, Verifying};
    use super::*;

    const ALL: [IntegrationStatus; 4] = [Draft, Verifying, Active, Failed];

    #[test]
    fn reads_back_every_wire_name_it_writes() {
        for status in ALL {
            assert_eq!(status.as_str().parse::<IntegrationStatus>(), Ok(status));
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(status.as_str())
            );
        }
    }

    #[test]
    fn refuses_an_unknown_status_text_instead_of_reading_draft() {
        for raw in ["", "Draft", "pending", " active"] {
            assert_eq!(
                IntegrationStatus::parse(raw),
                Err(UnknownIntegrationStatus(raw.to_owned()))
            );
        }
    }

    // R-INTEG-3
    #[test]
    fn submitting_a_draft_or_failed_channel_starts_a_verification() {
        assert_eq!(Draft.submit(), Ok(Verifying));
        assert_eq!(Failed.submit(), Ok(Verifying));
    }

    // R-INTEG-3
    #[test]
    fn submitting_an_active_channel_verifies_it_again() {
        assert_eq!(Active.submit(), Ok(Verifying));
    }

    // R-INTEG-3
    #[test]
    fn refuses_to_submit_a_channel_that_is_being_verified() {
        let refused = Verifying.submit().unwrap_err();
        assert_eq!(
            refused,
            TransitionRefused {
                from: Verifying,
                to: Verifying
            }
        );
        assert_eq!(refused.to_string(), "the channel is already verifying");
    }

    // R-INTEG-3
    #[test]
    fn a_verification_ends_active_or_failed() {
        assert_eq!(Verifying.verified(), Ok(Active));
        assert_eq!(Verifying.failed(), Ok(Failed));
    }

    // R-INTEG-3
    #[test]
    fn an_interrupted_verification_fails_and_can_be_submitted_again() {
        // The api ends a verification whose instance stopped the way X's refusal ends it.
        let failed = Verifying.failed().unwrap();
        assert_eq!(failed, Failed);
        assert_eq!(failed.submit(), Ok(Verifying));
    }

    // R-INTEG-3
    #[test]
    fn refuses_a_verification_outcome_when_no_verification_runs() {
        for from in [Draft, Active, Failed] {
            assert_eq!(from.verified(), Err(TransitionRefused { from, to: Active }));
            assert_eq!(from.failed(), Err(TransitionRefused { from, to: Failed }));
        }
        assert_eq!(
            Draft.verified().unwrap_err().to_string(),
            "a channel in status draft cannot become active"
        );
    }

    // R-INTEG-3
    #[test]
    fn changing_the_connection_of_an_active_or_failed_channel_makes_it_a_draft() {
        assert_eq!(Active.after_edit(true), Draft);
        assert_eq!(Failed.after_edit(true), Draft);
    }

    // R-INTEG-3
    #[test]
    fn an_edit_that_keeps_the_connection_keeps_the_status() {
        for status in ALL {
            assert_eq!(status.after_edit(false), status);
        }
    }

    // R-INTEG-3
    #[test]
    fn changing_the_connection_of_a_draft_or_verifying_channel_keeps_the_status() {
        assert_eq!(Draft.after_edit(true), Draft);
        assert_eq!(Verifying.after_edit(true), Verifying);
    }
}
