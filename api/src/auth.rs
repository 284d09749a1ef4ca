//! Who calls: the roles a token may hold and the `Principal` a request acts as (R-API-3).
//! The bearer extractor that finds the principal is in `bearer.rs`; what a principal sees
//! is decided in `access.rs`.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{crypto, error::ApiError};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Manages tenants; holds no tenant.
    SystemAdmin,
    /// Manages everything of one tenant.
    TenantAdmin,
    /// Reads what belongs to the OUs granted to it.
    TenantUser,
    /// A contact center agent: sees what a tenant user of its OUs sees, and also replies
    /// to the conversations of its OUs' channels.
    Agent,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::SystemAdmin => "system-admin",
            Role::TenantAdmin => "tenant-admin",
            Role::TenantUser => "tenant-user",
            Role::Agent => "agent",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "system-admin" => Some(Role::SystemAdmin),
            "tenant-admin" => Some(Role::TenantAdmin),
            "tenant-user" => Some(Role::TenantUser),
            "agent" => Some(Role::Agent),
            _ => None,
        }
    }
}

/// The caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub token_id: String,
    pub tenant_id: Option<String>,
    pub role: Role,
    pub ou_ids: Vec<String>,
    /// The token's label, for the audit trail.
    pub label: Option<String>,
}

impl Principal {
    /// Whether the caller sees only what belongs to the OUs granted to it.
    pub fn is_ou_scoped(&self) -> bool {
        matches!(self.role, Role::TenantUser | Role::Agent)
    }

    pub fn require_system_admin(&self) -> Result<(), ApiError> {
        match self.role {
            Role::SystemAdmin => Ok(()),
            _ => Err(ApiError::forbidden(
                "this needs a system administrator token",
            )),
        }
    }

    /// The tenant this caller acts in; system administrators act in none.
    pub fn tenant_id(&self) -> Result<&str, ApiError> {
        self.tenant_id.as_deref().ok_or_else(|| {
            ApiError::forbidden(
                "this needs a tenant token; a system administrator mints one with POST /api/v1/tokens",
            )
        })
    }
}

pub const TOKEN_PREFIX: &str = "xch_";

/// A new bearer token: what the caller is shown once, and what is stored.
pub struct NewBearer {
    pub token: String,
    pub hash: String,
    /// The first characters, to recognise the token in a list.
    pub prefix: String,
}

impl NewBearer {
    pub fn generate() -> anyhow::Result<Self> {
        let mut secret = [0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut secret)
            .map_err(|_| anyhow::anyhow!("no randomness"))?;
        let token = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
        Ok(Self {
            hash: crypto::sha256_hex(&token),
            prefix: token[..8].to_owned(),
            token,
        })
    }
}
