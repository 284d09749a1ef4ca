//! The X account level (R-CRED-6): it decides whether messages are pushed or pulled.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The level of the X developer account behind a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AccountLevel {
    /// Pulls messages every minute; X allows very few reads a day.
    Basic,
    /// Pulls messages every minute.
    Pro,
    /// Receives messages by webhook push.
    Enterprise,
}

impl AccountLevel {
    /// Enterprise receives by webhook push; Basic and Pro pull every minute (R-CRED-6).
    pub fn receives_by_webhook(self) -> bool {
        matches!(self, Self::Enterprise)
    }

    /// The wire name, e.g. `enterprise`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Basic => "basic",
            Self::Pro => "pro",
            Self::Enterprise => "enterprise",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // R-CRED-6
    #[test]
    fn only_enterprise_receives_by_webhook() {
        assert!(AccountLevel::Enterprise.receives_by_webhook());
        assert!(!AccountLevel::Pro.receives_by_webhook());
        assert!(!AccountLevel::Basic.receives_by_webhook());
    }
}
