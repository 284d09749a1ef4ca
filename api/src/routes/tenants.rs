//! Tenants: name, time zone and OU isolation (R-TENANT-1). System administrators manage
//! them; a tenant's own tokens may read theirs.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::pagination::{self, Cursor, PageParams};
use crate::{
    audit::{self, Action, Event, Origin, ResourceType},
    auth::{Principal, Role},
    error::responses::{
        BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthenticated, Unprocessable,
        UnsupportedMediaType,
    },
    error::{ApiError, ApiResult, Problem, TenantCounts},
    id::Id,
    input::Fields,
    shapes::{Name, TimeZone},
    state::AppState,
    store::{
        self,
        tenants::{NewTenant, Tenant, TenantChanges},
    },
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_tenant)
        .service(list_tenants)
        .service(get_tenant)
        .service(update_tenant)
        .service(delete_tenant);
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantOut {
    #[schema(value_type = Id)]
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

impl From<Tenant> for TenantOut {
    fn from(m: Tenant) -> Self {
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
    /// Pass as `cursor` for the next page; always present, `null` on the last page.
    #[schema(value_type = Option<Cursor>, required = true)]
    pub next_cursor: Option<String>,
}

/// Body of `POST /tenants`.
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Acme", "timeZone": "Europe/Paris", "ouIsolation": false}))]
pub struct TenantIn {
    /// 1-128 characters, kept in NFC; unique among tenants, compared case-insensitively.
    #[schema(value_type = Name)]
    name: String,
    /// IANA time zone name (default UTC).
    #[schema(rename = "timeZone", value_type = Option<TimeZone>)]
    time_zone: Option<String>,
    /// Default false.
    #[schema(rename = "ouIsolation")]
    ou_isolation: Option<bool>,
}

// It only describes the body: `TenantIn::read` reads it.
/// Body of `PATCH /tenants/{id}`: the fields to change; those left out keep their value.
/// None may be null.
#[allow(dead_code)]
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"timeZone": "America/New_York"}))]
pub struct TenantChangesIn {
    /// 1-128 characters.
    #[schema(value_type = Name, required = false)]
    name: String,
    #[schema(rename = "timeZone", value_type = TimeZone, required = false)]
    time_zone: String,
    #[schema(rename = "ouIsolation", required = false)]
    ou_isolation: bool,
}

impl TenantIn {
    /// Reads the body, naming every bad field; on a change, every field is optional (an
    /// empty name: none was sent, as a sent name is never empty) and none may be null.
    fn read(body: &Value, creating: bool) -> ApiResult<TenantIn> {
        let mut f = Fields::new(body);
        if !creating {
            for key in ["name", "timeZone", "ouIsolation"] {
                if body.get(key).is_some_and(Value::is_null) {
                    f.fail(
                        &format!("/{key}"),
                        "invalid_type",
                        "must not be null; leave it out to keep the value",
                    );
                }
            }
        }
        let name = f.name_if("name", creating, 128);
        let time_zone = f.string("timeZone", false, 64);
        if let Some(tz) = &time_zone {
            if tz.parse::<chrono_tz::Tz>().is_err() {
                f.fail(
                    "/timeZone",
                    "unknown_time_zone",
                    "is not an IANA time zone name (e.g. Europe/Paris)",
                );
            }
        }
        let ou_isolation = f.boolean("ouIsolation");
        f.finish()?;
        Ok(TenantIn {
            name: name.unwrap_or_default(),
            time_zone,
            ou_isolation,
        })
    }

    fn into_changes(self) -> TenantChanges {
        TenantChanges {
            name: Some(self.name).filter(|name| !name.is_empty()),
            time_zone: self.time_zone,
            ou_isolation: self.ou_isolation,
        }
    }
}

/// Creates a tenant.
#[utoipa::path(tag = "tenants", request_body = TenantIn, security(("bearer" = [])), responses(
    (status = 201, body = TenantOut),
    BadRequest,
    Unauthenticated,
    Forbidden,
    (status = 409, body = Problem, content_type = "application/problem+json",
     description = "another tenant has this name (`tenant_name_taken`)"),
    Unprocessable,
    PayloadTooLarge,
    UnsupportedMediaType,
))]
#[post("/tenants")]
pub async fn create_tenant(
    state: web::Data<AppState>,
    principal: Principal,
    origin: Origin,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    principal.require_system_admin()?;
    let input = TenantIn::read(&body, true)?;
    let new = NewTenant {
        name: input.name,
        time_zone: input.time_zone.unwrap_or_else(|| "UTC".to_owned()),
        ou_isolation: input.ou_isolation.unwrap_or(false),
    };
    let tx = state.store.write().await?;
    let tenant = store::tenants::insert(&tx, new).await?;
    origin
        .record(&tx, tenant_event(Action::TenantCreated, &tenant))
        .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(TenantOut::from(tenant)))
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
    let rows = store::tenants::list(state.store.reader(), &page).await?;
    let (rows, next_cursor) = pagination::finish(&page, rows, |t| &t.id);
    Ok(HttpResponse::Ok().json(TenantList {
        items: rows.into_iter().map(TenantOut::from).collect(),
        next_cursor,
    }))
}

/// A tenant the caller may see: any for a system administrator, its own for a tenant token.
fn visible_tenant_id(principal: &Principal, id: &str) -> ApiResult<Id> {
    let id = Id::from_path(id, "tenant")?;
    if principal.role != Role::SystemAdmin && principal.tenant_id.as_deref() != Some(id.as_str()) {
        return Err(ApiError::not_found("tenant"));
    }
    Ok(id)
}

/// Reads a tenant: any tenant for a system administrator, its own for a tenant token.
#[utoipa::path(tag = "tenants", security(("bearer" = [])), params(("id" = crate::id::Id, Path)), responses(
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
    let id = visible_tenant_id(&principal, &id)?;
    let tenant = store::tenants::find(state.store.reader(), id.as_str()).await?;
    Ok(HttpResponse::Ok().json(TenantOut::from(tenant)))
}

/// Changes a tenant's name, time zone or OU isolation; omitted fields keep their value.
#[utoipa::path(tag = "tenants", request_body = TenantChangesIn, security(("bearer" = [])), params(("id" = crate::id::Id, Path)), responses(
    (status = 200, body = TenantOut),
    BadRequest,
    Unauthenticated,
    Forbidden,
    NotFound,
    (status = 409, body = Problem, content_type = "application/problem+json",
     description = "another tenant has this name (`tenant_name_taken`)"),
    Unprocessable,
    PayloadTooLarge,
    UnsupportedMediaType,
))]
#[patch("/tenants/{id}")]
pub async fn update_tenant(
    state: web::Data<AppState>,
    principal: Principal,
    origin: Origin,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    principal.require_system_admin()?;
    let changes = TenantIn::read(&body, false)?.into_changes();
    let id = visible_tenant_id(&principal, &id)?;
    let tx = state.store.write().await?;
    // Locked first (PostgreSQL), so that no other edit comes between the read and the write.
    store::tenants::lock(&tx, id.as_str()).await?;
    let before = store::tenants::find(&tx, id.as_str()).await?;
    let tenant = store::tenants::update(&tx, id.as_str(), changes).await?;
    let changes = audit::diff(&audited(&before), &audited(&tenant));
    origin
        .record(
            &tx,
            tenant_event(Action::TenantUpdated, &tenant).changes(changes),
        )
        .await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(TenantOut::from(tenant)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeleteTenantParams {
    /// `true` deletes the tenant with everything it owns (channels, called routes, OUs,
    /// calendar) and revokes its tokens; without it, a tenant that has channels is kept (409).
    #[param(value_type = Option<bool>)]
    pub cascade: Option<String>,
}

/// Deletes a tenant: refused while it has channels, unless `?cascade=true`. Its OUs,
/// called routes, calendar and tokens go with it; its tokens stop working at once.
#[utoipa::path(tag = "tenants", security(("bearer" = [])), params(("id" = crate::id::Id, Path), DeleteTenantParams), responses(
    (status = 204, description = "deleted, with everything it owned"),
    BadRequest,
    Unauthenticated,
    Forbidden,
    NotFound,
    (status = 409, body = Problem, content_type = "application/problem+json",
     description = "the tenant still has channels (`tenant_in_use`, with `counts`)"),
))]
#[delete("/tenants/{id}")]
pub async fn delete_tenant(
    state: web::Data<AppState>,
    principal: Principal,
    origin: Origin,
    id: web::Path<String>,
    params: web::Query<DeleteTenantParams>,
) -> ApiResult<HttpResponse> {
    principal.require_system_admin()?;
    let cascade = match params.cascade.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::invalid_query(vec![
                crate::error::FieldError::new(
                    "/query/cascade",
                    "invalid_type",
                    "must be true or false",
                ),
            ]))
        }
    };
    let id = visible_tenant_id(&principal, &id)?;
    let tx = state.store.write().await?;
    let tenant = store::tenants::find(&tx, id.as_str()).await?;
    let owned = store::tenants::contents(&tx, id.as_str()).await?;
    if owned.channels > 0 && !cascade {
        return Err(ApiError::tenant_in_use(TenantCounts {
            channels: owned.channels,
            ous: owned.ous,
            called_routes: owned.called_routes,
            tokens: owned.tokens,
        }));
    }
    store::tenants::delete(&tx, id.as_str()).await?;
    origin
        .record(&tx, tenant_event(Action::TenantDeleted, &tenant))
        .await?;
    tx.commit().await?;
    state.token_cache.forget_tenant(id.as_str());
    Ok(HttpResponse::NoContent().finish())
}

fn tenant_event(action: Action, tenant: &Tenant) -> Event {
    Event::new(action, ResourceType::Tenant)
        .tenant(&tenant.id)
        .resource(&tenant.id, Some(tenant.name.clone()))
}

/// A tenant's settings as its audit trail compares them.
fn audited(tenant: &Tenant) -> Value {
    serde_json::json!({
        "name": tenant.name,
        "timeZone": tenant.time_zone,
        "ouIsolation": tenant.ou_isolation,
    })
}
