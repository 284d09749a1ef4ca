//! Tenants: name, time zone and OU isolation (R-TENANT-1). System administrators manage
//! them; a tenant's own tokens may read theirs.

use actix_web::{get, patch, post, web, HttpResponse};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, QueryOrder, QuerySelect, QueryFilter, ColumnTrait};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{checked_id, pagination::{self, PageParams}};
use crate::{
    error::responses::{BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthenticated, Unprocessable, UnsupportedMediaType},
    auth::Principal,
    error::{ApiError, ApiResult},
    input::Fields,
    state::AppState,
    store::{new_id, now, tenant},
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_tenant)
        .service(list_tenants)
        .service(get_tenant)
        .service(update_tenant);
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantOut {
    pub id: String,
    pub name: String,
    /// IANA time zone name.
    #[schema(example = "Europe/Paris")]
    pub time_zone: String,
    /// "Inter-organization data isolation enforced" (R-TENANT-4).
    pub ou_isolation: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<tenant::Model> for TenantOut {
    fn from(m: tenant::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            time_zone: m.time_zone,
            ou_isolation: m.ou_isolation,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantList {
    pub items: Vec<TenantOut>,
    pub next_cursor: Option<String>,
}

/// Body of `POST /tenants` and `PATCH /tenants/{id}`.
#[derive(Debug, ToSchema)]
#[schema(example = json!({"name": "Acme Support", "timeZone": "Europe/Paris", "ouIsolation": false}))]
#[allow(dead_code)]
pub struct TenantIn {
    /// 1-128 characters.
    name: String,
    /// IANA time zone name (default UTC).
    #[schema(rename = "timeZone")]
    time_zone: Option<String>,
    /// Default false.
    #[schema(rename = "ouIsolation")]
    ou_isolation: Option<bool>,
}

struct TenantFields {
    name: Option<String>,
    time_zone: Option<String>,
    ou_isolation: Option<bool>,
}

fn read_tenant(body: &Value, creating: bool) -> ApiResult<TenantFields> {
    let mut f = Fields::new(body);
    let name = f.string("name", creating, 128);
    let time_zone = f.string("timeZone", false, 64);
    if let Some(tz) = &time_zone {
        if tz.parse::<chrono_tz::Tz>().is_err() {
            f.fail("/timeZone", "unknown_time_zone", "is not an IANA time zone name (e.g. Europe/Paris)");
        }
    }
    let ou_isolation = f.boolean("ouIsolation");
    f.finish()?;
    Ok(TenantFields { name, time_zone, ou_isolation })
}

/// Creates a tenant.
#[utoipa::path(tag = "tenants", request_body = TenantIn, security(("bearer" = [])), responses(
    (status = 201, body = TenantOut),
    BadRequest,
    Unauthenticated,
    Forbidden,
    Unprocessable,
    PayloadTooLarge,
    UnsupportedMediaType,
))]
#[post("/tenants")]
pub async fn create_tenant(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    principal.require_system_admin()?;
    let input = read_tenant(&body, true)?;
    let at = now();
    let model = tenant::ActiveModel {
        id: Set(new_id()),
        name: Set(input.name.unwrap_or_default()),
        time_zone: Set(input.time_zone.unwrap_or_else(|| "UTC".to_owned())),
        ou_isolation: Set(input.ou_isolation.unwrap_or(false)),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&state.writer)
    .await?;
    Ok(HttpResponse::Created().json(TenantOut::from(model)))
}

/// Lists tenants (system administrators).
#[utoipa::path(tag = "tenants", params(PageParams), security(("bearer" = [])), responses(
    (status = 200, body = TenantList),
    BadRequest,
    Unauthenticated,
    Forbidden,
))]
#[get("/tenants")]
pub async fn list_tenants(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    principal.require_system_admin()?;
    let page = params.validated()?;
    let mut query = tenant::Entity::find().order_by_asc(tenant::Column::Id);
    if let Some(after) = &page.after {
        query = query.filter(tenant::Column::Id.gt(after.clone()));
    }
    let rows = query.limit(page.limit + 1).all(&state.db).await?;
    let (rows, next_cursor) = pagination::finish(rows, page.limit, |t| &t.id);
    Ok(HttpResponse::Ok().json(TenantList {
        items: rows.into_iter().map(TenantOut::from).collect(),
        next_cursor,
    }))
}

async fn visible_tenant(state: &AppState, principal: &Principal, id: &str) -> ApiResult<tenant::Model> {
    let id = checked_id(id, "tenant")?;
    if principal.role != crate::auth::Role::SystemAdmin && principal.tenant_id.as_deref() != Some(id.as_str()) {
        return Err(ApiError::NotFound("tenant"));
    }
    tenant::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(ApiError::NotFound("tenant"))
}

/// Reads a tenant: any tenant for a system administrator, its own for a tenant token.
#[utoipa::path(tag = "tenants", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 200, body = TenantOut),
    Unauthenticated,
    NotFound,
))]
#[get("/tenants/{id}")]
pub async fn get_tenant(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let model = visible_tenant(&state, &principal, &id).await?;
    Ok(HttpResponse::Ok().json(TenantOut::from(model)))
}

/// Changes a tenant's name, time zone or OU isolation; omitted fields keep their value.
#[utoipa::path(tag = "tenants", request_body = TenantIn, security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 200, body = TenantOut),
    BadRequest,
    Unauthenticated,
    Forbidden,
    NotFound,
    Unprocessable,
    PayloadTooLarge,
    UnsupportedMediaType,
))]
#[patch("/tenants/{id}")]
pub async fn update_tenant(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    principal.require_system_admin()?;
    let input = read_tenant(&body, false)?;
    let current = visible_tenant(&state, &principal, &id).await?;
    let mut model: tenant::ActiveModel = current.into();
    if let Some(name) = input.name {
        model.name = Set(name);
    }
    if let Some(tz) = input.time_zone {
        model.time_zone = Set(tz);
    }
    if let Some(isolation) = input.ou_isolation {
        model.ou_isolation = Set(isolation);
    }
    model.updated_at = Set(now());
    let model = model.update(&state.writer).await?;
    Ok(HttpResponse::Ok().json(TenantOut::from(model)))
}
