//! API tokens: minted for a tenant and a role, shown once, stored hashed, revocable
//! (R-API-3).

use actix_web::{delete, get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::pagination::{self, Cursor, PageParams};
use crate::{
    audit::{Action, Event, Origin, ResourceType},
    auth::{NewBearer, Principal, Role},
    error::responses::{
        BadRequest, ConflictingChange, Forbidden, NotFound, PayloadTooLarge, Unauthenticated,
        Unprocessable, UnsupportedMediaType,
    },
    error::{ApiError, ApiResult, Code, FieldError, Problem},
    id::Id,
    input::Fields,
    shapes::Name,
    state::AppState,
    store::{
        self,
        tokens::{Holder, NewToken, Token},
        StoreError,
    },
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_token)
        .service(list_tokens)
        .service(revoke_token);
}

/// A token as listed: never the secret.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenOut {
    #[schema(value_type = Id)]
    pub id: String,
    #[schema(value_type = Option<Id>)]
    pub tenant_id: Option<String>,
    pub role: Role,
    #[schema(value_type = Vec<Id>)]
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
    /// Pass as `cursor` for the next page; always present, `null` on the last page.
    #[schema(value_type = Option<Cursor>, required = true)]
    pub next_cursor: Option<String>,
}

/// The roles a token can be minted with through the API (system administrator tokens come
/// from the host's CLI only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MintedRole {
    TenantAdmin,
    TenantUser,
    Agent,
}

/// Body of `POST /tokens`.
/// In the example, `tenantId` stands for the `id` that `POST /tenants` answered.
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"tenantId": "0193a1d2-7b8c-7d00-8000-000000000001", "role": "tenant-admin", "label": "Acme administrator"}))]
pub struct TokenIn {
    /// Required for a system administrator; a tenant administrator may only name its own tenant.
    #[schema(rename = "tenantId", value_type = Option<Id>)]
    tenant_id: Option<String>,
    #[schema(value_type = MintedRole)]
    role: String,
    /// OUs granted to a tenant user or agent: it sees what belongs to them and the OUs below.
    #[schema(rename = "ouIds", schema_with = crate::shapes::distinct_ids)]
    ou_ids: Option<Vec<String>>,
    #[schema(value_type = Option<Name>)]
    label: Option<String>,
}

impl TokenIn {
    /// Reads the body. Bad fields are returned beside what could be read, so the answer
    /// can also name an unknown tenant and unknown OUs.
    fn read(body: &Value, tenant_required: bool) -> ApiResult<(TokenIn, Vec<FieldError>)> {
        let mut f = Fields::new(body);
        let tenant_id = f.string("tenantId", tenant_required, 64);
        let role = f.string("role", true, 32);
        if role.as_deref().is_some_and(|r| {
            !matches!(
                Role::parse(r),
                Some(Role::TenantAdmin | Role::TenantUser | Role::Agent)
            )
        }) {
            f.fail(
                "/role",
                "invalid_value",
                "must be tenant-admin, tenant-user or agent",
            );
        }
        let ou_ids = f.strings("ouIds", 100, |s| {
            Id::parse(s)
                .is_none()
                .then(|| ("not_found", "no such OU in this tenant".to_owned()))
        });
        let label = f.string("label", false, 128);
        let errors = match f.finish() {
            Ok(()) => Vec::new(),
            Err(error) => error.into_field_errors()?,
        };
        Ok((
            TokenIn {
                tenant_id,
                role: role.unwrap_or_default(),
                ou_ids,
                label,
            },
            errors,
        ))
    }
}

fn token_out(m: Token) -> TokenOut {
    TokenOut {
        role: Role::parse(&m.role).unwrap_or(Role::TenantUser),
        ou_ids: m.ou_ids(),
        id: m.id,
        tenant_id: m.tenant_id,
        label: m.label,
        prefix: m.prefix,
        created_at: m.created_at,
        revoked_at: m.revoked_at,
    }
}

/// Failures of minting: the randomness or the store.
#[derive(Debug, thiserror::Error)]
pub enum MintError {
    #[error("no randomness for a token: {0}")]
    Randomness(anyhow::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<MintError> for ApiError {
    fn from(err: MintError) -> Self {
        match err {
            MintError::Randomness(err) => ApiError::internal(err),
            MintError::Store(err) => err.into(),
        }
    }
}

/// Creates and stores a token; returns the plaintext exactly once.
pub async fn mint(
    tx: &store::Tx,
    origin: &Origin,
    tenant_id: Option<String>,
    role: Role,
    ou_ids: Vec<String>,
    label: Option<String>,
) -> Result<TokenCreatedOut, MintError> {
    let bearer = NewBearer::generate().map_err(MintError::Randomness)?;
    let new = NewToken {
        tenant_id,
        role: role.as_str(),
        ou_ids,
        label,
        token_hash: bearer.hash,
        prefix: bearer.prefix,
    };
    let token = store::tokens::insert(tx, new).await?;
    origin
        .record(tx, token_event(Action::TokenMinted, &token))
        .await?;
    Ok(TokenCreatedOut {
        token: bearer.token,
        details: token_out(token),
    })
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
    origin: Origin,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    if principal.is_ou_scoped() {
        return Err(ApiError::forbidden(
            "tenant users and agents cannot mint tokens",
        ));
    }
    let (input, mut errors) = TokenIn::read(&body, principal.role == Role::SystemAdmin)?;
    let ou_ids = input.ou_ids.unwrap_or_default();
    let tenant_id = match (principal.role, input.tenant_id, &principal.tenant_id) {
        (Role::SystemAdmin, Some(id), _) => Some(id),
        // A system administrator must name one; that is already reported as required.
        (Role::SystemAdmin, None, _) => None,
        (_, Some(id), Some(own)) if &id != own => return Err(ApiError::not_found("tenant")),
        (_, _, Some(own)) => Some(own.clone()),
        _ => return Err(ApiError::not_found("tenant")),
    };
    let db = state.store.reader();
    let mut known_tenant = None;
    if let Some(id) = tenant_id.as_deref().map(Id::parse) {
        match id {
            Some(id) if store::tenants::find(db, id.as_str()).await.is_ok() => {
                known_tenant = Some(id)
            }
            _ => errors.push(FieldError::new("/tenantId", "not_found", "no such tenant")),
        }
    }
    if let Some(tenant_id) = &known_tenant {
        for (i, id) in ou_ids.iter().enumerate() {
            if !store::ous::exists(db, tenant_id.as_str(), id).await? {
                errors.push(FieldError::new(
                    format!("/ouIds/{i}"),
                    "not_found",
                    "no such OU in this tenant",
                ));
            }
        }
    }
    let tenant_id = match known_tenant {
        Some(tenant_id) if errors.is_empty() => tenant_id,
        _ => return Err(ApiError::validation(errors)),
    };
    let tx = state.store.write().await?;
    let role = Role::parse(&input.role).unwrap_or(Role::TenantUser);
    let created = mint(
        &tx,
        &origin,
        Some(tenant_id.into_string()),
        role,
        ou_ids,
        input.label,
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(created))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenQuery {
    /// System administrators: the tenant whose tokens to list (omit for system tokens).
    #[param(value_type = Option<Id>)]
    pub tenant_id: Option<String>,
    /// Items per page, 1-200 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `nextCursor` of the previous page.
    #[param(value_type = Option<Cursor>)]
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
    let page = PageParams {
        limit: query.limit.clone(),
        cursor: query.cursor.clone(),
    }
    .page(&mut errors);
    let tenant_filter = Id::from_query("tenantId", query.tenant_id.as_deref(), &mut errors);
    pagination::checked(errors)?;
    let holder = match (principal.role, &tenant_filter, &principal.tenant_id) {
        (Role::SystemAdmin, Some(tenant_id), _) => Holder::Tenant(tenant_id.as_str()),
        (Role::SystemAdmin, None, _) => Holder::System,
        (Role::TenantAdmin, _, Some(own)) => Holder::Tenant(own),
        _ => return Err(ApiError::forbidden("tenant users cannot list tokens")),
    };
    let rows = store::tokens::list(state.store.reader(), holder, &page).await?;
    let (rows, next_cursor) = pagination::finish(&page, rows, |t| &t.id);
    Ok(HttpResponse::Ok().json(TokenList {
        items: rows.into_iter().map(token_out).collect(),
        next_cursor,
    }))
}

/// Revokes a token; it stops working at once on this instance, within seconds on others.
/// The last active system administrator token cannot be revoked.
#[utoipa::path(tag = "tokens", security(("bearer" = [])), params(("id" = crate::id::Id, Path)), responses(
    (status = 204, description = "revoked"),
    Unauthenticated,
    Forbidden,
    NotFound,
    (status = 409, body = Problem, content_type = "application/problem+json", description = "the last active system administrator token"),
))]
#[delete("/tokens/{id}")]
pub async fn revoke_token(
    state: web::Data<AppState>,
    principal: Principal,
    origin: Origin,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    if principal.is_ou_scoped() {
        return Err(ApiError::forbidden(
            "tenant users and agents cannot revoke tokens",
        ));
    }
    let id = Id::from_path(&id, "token")?;
    let token = store::tokens::find_active(state.store.reader(), id.as_str()).await?;
    let allowed = match principal.role {
        Role::SystemAdmin => true,
        Role::TenantAdmin => token.tenant_id.is_some() && token.tenant_id == principal.tenant_id,
        Role::TenantUser | Role::Agent => false,
    };
    if !allowed {
        return Err(ApiError::not_found("token"));
    }
    // Without a system administrator token only the host's CLI could mint one again. The
    // check follows the revocation in its transaction, behind a lock on PostgreSQL, so two
    // administrators revoking each other at once cannot both succeed.
    let system_admin = Role::parse(&token.role) == Some(Role::SystemAdmin);
    let tx = state.store.write().await?;
    if system_admin {
        store::tokens::lock_system_admins(&tx).await?;
    }
    store::tokens::revoke(&tx, id.as_str()).await?;
    origin
        .record(&tx, token_event(Action::TokenRevoked, &token))
        .await?;
    if system_admin && store::tokens::count_active_system_admins(&tx).await? == 0 {
        tx.rollback().await?;
        return Err(ApiError::new(
            Code::LastSystemAdmin,
            "this is the last active system administrator token: revoking it would leave only the host's CLI to administer the service; mint another one first (xchannel token create --role system-admin)",
        ));
    }
    tx.commit().await?;
    state.token_cache.forget_token(id.as_str());
    Ok(HttpResponse::NoContent().finish())
}

/// A token's event: its tenant, id and label; never the token or its hash.
pub fn token_event(action: Action, token: &Token) -> Event {
    let event = Event::new(action, ResourceType::Token).resource(&token.id, token.label.clone());
    match &token.tenant_id {
        Some(tenant_id) => event.tenant(tenant_id),
        None => event,
    }
}
