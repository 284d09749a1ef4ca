//! Bearer API tokens -> the `Principal` a request acts as (R-API-3).

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{crypto, error::ApiError, state::AppState, store::api_token};

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
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::SystemAdmin => "system-admin",
            Role::TenantAdmin => "tenant-admin",
            Role::TenantUser => "tenant-user",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "system-admin" => Some(Role::SystemAdmin),
            "tenant-admin" => Some(Role::TenantAdmin),
            "tenant-user" => Some(Role::TenantUser),
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
}

/// A caller acting inside one tenant.
#[derive(Debug, Clone)]
pub struct TenantPrincipal {
    pub tenant_id: String,
    pub role: Role,
    pub ou_ids: Vec<String>,
}

impl Principal {
    pub fn require_system_admin(&self) -> Result<(), ApiError> {
        match self.role {
            Role::SystemAdmin => Ok(()),
            _ => Err(ApiError::Forbidden("this needs a system administrator token")),
        }
    }

    /// The tenant this caller acts in; system administrators act in none.
    pub fn tenant(&self) -> Result<TenantPrincipal, ApiError> {
        match &self.tenant_id {
            Some(tenant_id) => Ok(TenantPrincipal {
                tenant_id: tenant_id.clone(),
                role: self.role,
                ou_ids: self.ou_ids.clone(),
            }),
            None => Err(ApiError::Forbidden(
                "this needs a tenant token; a system administrator mints one with POST /api/v1/tokens",
            )),
        }
    }
}

impl TenantPrincipal {
    pub fn is_admin(&self) -> bool {
        self.role == Role::TenantAdmin
    }

    /// The OUs this caller sees (those granted and every OU below them), or `None` for
    /// an administrator, who sees the whole tenant.
    pub async fn visible_ous<C: sea_orm::ConnectionTrait>(
        &self,
        db: &C,
    ) -> Result<Option<std::collections::HashSet<String>>, sea_orm::DbErr> {
        if self.is_admin() {
            return Ok(None);
        }
        crate::store::ou::with_descendants(db, &self.tenant_id, &self.ou_ids).await.map(Some)
    }

    /// Whether something that belongs to `ou_id` is visible to this caller.
    pub async fn sees_ou<C: sea_orm::ConnectionTrait>(&self, db: &C, ou_id: &str) -> Result<bool, sea_orm::DbErr> {
        Ok(self.visible_ous(db).await?.is_none_or(|visible| visible.contains(ou_id)))
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::Forbidden("this needs a tenant administrator token"))
        }
    }
}

pub const TOKEN_PREFIX: &str = "xch_";

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        Box::pin(async move {
            let (Some(state), Some(token)) = (state, token) else {
                return Err(ApiError::Unauthenticated);
            };
            if !token.starts_with(TOKEN_PREFIX) {
                return Err(ApiError::Unauthenticated);
            }
            let hash = crypto::sha256_hex(&token);
            if let Some(principal) = state.token_cache.get(&hash) {
                return Ok(principal);
            }
            let row = api_token::Entity::find()
                .filter(api_token::Column::TokenHash.eq(hash.clone()))
                .filter(api_token::Column::RevokedAt.is_null())
                .one(&state.db)
                .await?
                .ok_or(ApiError::Unauthenticated)?;
            let principal = Principal {
                token_id: row.id,
                tenant_id: row.tenant_id,
                role: Role::parse(&row.role).ok_or(ApiError::Unauthenticated)?,
                ou_ids: serde_json::from_value(row.ou_ids).unwrap_or_default(),
            };
            state.token_cache.put(hash, principal.clone());
            Ok(principal)
        })
    }
}
