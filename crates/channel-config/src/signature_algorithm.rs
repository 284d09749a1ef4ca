//! The interconnection encryption algorithm (R-CRED-7): the OAuth 1.0a signature method.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// HMAC algorithm used to sign calls to X.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum SignatureAlgorithm {
    /// HMAC-SHA1: allowed, but weak; every response showing the channel warns about it.
    #[serde(rename = "SHA-1")]
    Sha1,
    /// HMAC-SHA256.
    #[serde(rename = "SHA-256")]
    Sha256,
}

impl SignatureAlgorithm {
    /// The wire name, e.g. `SHA-256`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA-1",
            Self::Sha256 => "SHA-256",
        }
    }

    /// Whether choosing it deserves a warning (R-CRED-7).
    pub fn is_weak(self) -> bool {
        matches!(self, Self::Sha1)
    }
}
