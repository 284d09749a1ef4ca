//! API tokens: minted for a tenant and a role, shown once, stored hashed, revocable
//! (R-API-3).

use actix_web::{delete, get, post, web, HttpResponse};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::{checked_id, pagination::{self, PageParams}};
use crate::{
    error::responses::{BadRequest, ConflictingChange, Forbidden, NotFound, PayloadTooLarge, Unauthenticated, Unprocessable, UnsupportedMediaType},
    auth::{Principal, Role, TOKEN_PREFIX},
    crypto,
    error::{ApiError, ApiResult, FieldError},
    input::Fields,
    state::AppState,
    store::{api_token, new_id, now, ou, tenant},
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_token).service(list_tokens).service(revoke_token);
}

/// A token as listed: never the secret.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenOut {
    pub id: String,
    pub tenant_id: Option<String>,
    pub role: Role,
    pub ou_ids: Vec<String>,
    pub label: Option<String>,
    /// The first characters of the token, to recognise it.
    #[schema(example = "xch_Ab12")]
    pub prefix: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A token just minted: the only time `token` is shown.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenCreatedOut {
    /// Send as `Authorization: Bearer <token>`. Shown once; only its hash is stored.
    pub token: String,
    #[serde(flatten)]
    pub details: TokenOut,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenList {
    pub items: Vec<TokenOut>,
    pub next_cursor: Option<String>,
}

/// Body of `POST /tokens`.
#[derive(Debug, ToSchema)]
#[schema(example = json!({"tenantId": "0193a1d2-7b8c-7d00-8000-000000000001", "role": "tenant-admin", "ouIds": [], "label": "provisioning script"}))]
#[allow(dead_code)]
pub struct TokenIn {
    /// Required for a system administrator; a tenant administrator may only name its own tenant.
    #[schema(rename = "tenantId")]
    tenant_id: Option<String>,
    /// `tenant-admin` or `tenant-user`.
    role: String,
    /// OUs granted to a tenant user: it sees what belongs to them and the OUs below.
    #[schema(rename = "ouIds")]
    ou_ids: Option<Vec<String>>,
    label: Option<String>,
}

fn token_out(m: api_token::Model) -> TokenOut {
    TokenOut {
        id: m.id,
        tenant_id: m.tenant_id,
        role: Role::parse(&m.role).unwrap_or(Role::TenantUser),
        ou_ids: serde_json::from_value(m.ou_ids).unwrap_or_default(),
        label: m.label,
        prefix: m.prefix,
        created_at: m.created_at,
        revoked_at: m.revoked_at,
    }
}

/// Creates and stores a token; returns the plaintext exactly once.
pub async fn mint<C: ConnectionTrait>(
    db: &C,
    tenant_id: Option<String>,
    role: Role,
    ou_ids: Vec<String>,
    label: Option<String>,
) -> anyhow::Result<TokenCreatedOut> {
    let mut secret = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut secret)
        .map_err(|_| anyhow::anyhow!("no randomness"))?;
    let token = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
    let model = api_token::ActiveModel {
        id: Set(new_id()),
        tenant_id: Set(tenant_id),
        role: Set(role.as_str().to_owned()),
        ou_ids: Set(serde_json::json!(ou_ids)),
        label: Set(label),
        token_hash: Set(crypto::sha256_hex(&token)),
        prefix: Set(token[..8].to_owned()),
        created_at: Set(now()),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(TokenCreatedOut { token, details: token_out(model) })
}

/// Mints a token for a tenant.
#[utoipa::path(tag = "tokens", request_body = TokenIn, security(("bearer" = [])), responses(
    (status = 201, body = TokenCreatedOut),
    BadRequest,
    Unauthenticated,
    NotFound,
    Forbidden,
    Unprocessable,
    PayloadTooLarge,
    UnsupportedMediaType,
    ConflictingChange,
))]
#[post("/tokens")]
pub async fn create_token(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    if principal.role == Role::TenantUser {
        return Err(ApiError::Forbidden("tenant users cannot mint tokens"));
    }
    let mut f = Fields::new(&body);
    let tenant_id = f.string("tenantId", principal.role == Role::SystemAdmin, 64);
    let role = f.string("role", true, 32);
    let role = match role.as_deref().map(Role::parse) {
        Some(Some(role @ (Role::TenantAdmin | Role::TenantUser))) => Some(role),
        Some(_) => {
            f.fail("/role", "invalid_value", "must be tenant-admin or tenant-user");
            None
        }
        None => None,
    };
    let ou_ids = f
        .strings("ouIds", 100, |s| {
            uuid::Uuid::parse_str(s).is_err().then(|| ("not_found", "no such OU in this tenant".to_owned()))
        })
        .unwrap_or_default();
    let label = f.string("label", false, 128);
    // Keep going after a bad field, so the answer names the unknown tenant and OUs too.
    let mut errors = match f.finish() {
        Ok(()) => Vec::new(),
        Err(ApiError::Validation(errors)) => errors,
        Err(other) => return Err(other),
    };

    let tenant_id = match (principal.role, tenant_id, &principal.tenant_id) {
        (Role::SystemAdmin, Some(id), _) => Some(id),
        // A system administrator must name one; that is already reported as required.
        (Role::SystemAdmin, None, _) => None,
        (_, Some(id), Some(own)) if &id != own => return Err(ApiError::NotFound("tenant")),
        (_, _, Some(own)) => Some(own.clone()),
        _ => return Err(ApiError::NotFound("tenant")),
    };
    let mut known_tenant = None;
    if let Some(id) = tenant_id {
        match checked_id(&id, "tenant") {
            Ok(id) if tenant::Entity::find_by_id(id.clone()).one(&state.db).await?.is_some() => known_tenant = Some(id),
            _ => errors.push(FieldError::new("/tenantId", "not_found", "no such tenant")),
        }
    }
    if let Some(tenant_id) = &known_tenant {
        for (i, id) in ou_ids.iter().enumerate() {
            if ou::find_in_tenant(&state.db, tenant_id, id).await?.is_none() {
                errors.push(FieldError::new(format!("/ouIds/{i}"), "not_found", "no such OU in this tenant"));
            }
        }
    }
    let tenant_id = match known_tenant {
        Some(tenant_id) if errors.is_empty() => tenant_id,
        _ => return Err(ApiError::Validation(errors)),
    };
    let created = mint(&state.writer, Some(tenant_id), role.unwrap_or(Role::TenantUser), ou_ids, label).await?;
    Ok(HttpResponse::Created().json(created))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct TokenQuery {
    /// System administrators: the tenant whose tokens to list (omit for system tokens).
    pub tenant_id: Option<String>,
    /// Items per page, 1-200 (default 50).
    #[param(value_type = Option<u64>)]
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// Lists tokens without their secrets.
#[utoipa::path(tag = "tokens", params(TokenQuery), security(("bearer" = [])), responses(
    (status = 200, body = TokenList),
    BadRequest,
    Unauthenticated,
    Forbidden,
))]
#[get("/tokens")]
pub async fn list_tokens(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<TokenQuery>,
) -> ApiResult<HttpResponse> {
    let mut errors = Vec::new();
    let page = PageParams { limit: query.limit.clone(), cursor: query.cursor.clone() }.page(&mut errors);
    let tenant_filter = pagination::id_param("tenantId", query.tenant_id.as_ref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::InvalidQuery(errors));
    }
    let mut select = api_token::Entity::find().order_by_asc(api_token::Column::Id);
    select = match principal.role {
        Role::SystemAdmin => match tenant_filter {
            Some(t) => select.filter(api_token::Column::TenantId.eq(t)),
            None => select.filter(api_token::Column::TenantId.is_null()),
        },
        Role::TenantAdmin => select.filter(api_token::Column::TenantId.eq(principal.tenant_id.clone())),
        Role::TenantUser => return Err(ApiError::Forbidden("tenant users cannot list tokens")),
    };
    if let Some(after) = &page.after {
        select = select.filter(api_token::Column::Id.gt(after.clone()));
    }
    let rows = select.limit(page.limit + 1).all(&state.db).await?;
    let (rows, next_cursor) = pagination::finish(rows, page.limit, |t| &t.id);
    Ok(HttpResponse::Ok().json(TokenList { items: rows.into_iter().map(token_out).collect(), next_cursor }))
}

/// Revokes a token; it stops working at once on this instance, within seconds on others.
#[utoipa::path(tag = "tokens", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 204, description = "revoked"),
    Unauthenticated,
    Forbidden,
    NotFound,
))]
#[delete("/tokens/{id}")]
pub async fn revoke_token(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    if principal.role == Role::TenantUser {
        return Err(ApiError::Forbidden("tenant users cannot revoke tokens"));
    }
    let id = checked_id(&id, "token")?;
    let row = api_token::Entity::find_by_id(id.clone())
        .filter(api_token::Column::RevokedAt.is_null())
        .one(&state.db)
        .await?
        .ok_or(ApiError::NotFound("token"))?;
    let allowed = match principal.role {
        Role::SystemAdmin => true,
        Role::TenantAdmin => row.tenant_id.is_some() && row.tenant_id == principal.tenant_id,
        Role::TenantUser => false,
    };
    if !allowed {
        return Err(ApiError::NotFound("token"));
    }
    let mut model: api_token::ActiveModel = row.into();
    model.revoked_at = Set(Some(now()));
    model.update(&state.writer).await?;
    state.token_cache.forget_token(&id);
    Ok(HttpResponse::NoContent().finish())
}
