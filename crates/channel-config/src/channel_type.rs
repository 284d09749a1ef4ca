//! The kind of channel (R-CRED-1): only X today, the model leaves room for more.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Which messaging platform a channel connects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChannelType {
    /// X (formerly Twitter).
    X,
}

impl ChannelType {
    /// The wire name, e.g. `x`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::X => "x",
        }
    }
}
