//! Called routes (skill queues): name, media type and OU (R-TENANT-3, R-TENANT-4).

use std::collections::HashSet;

use actix_web::{delete, get, post, web, HttpResponse};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::{checked_id, pagination::{self, PageParams}};
use crate::{
    error::responses::{BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthenticated, Unprocessable, UnsupportedMediaType},
    auth::TenantPrincipal,
    auth::Principal,
    error::{ApiError, ApiResult, Problem},
    input::Fields,
    state::AppState,
    store::{called_route, new_id, now, ou, tenant},
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_route).service(list_routes).service(get_route).service(delete_route);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MediaType {
    Multimedia,
    Voice,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CalledRouteOut {
    pub id: String,
    pub name: String,
    /// Only `multimedia` routes can be a channel's skill queue.
    #[schema(value_type = MediaType)]
    pub media_type: String,
    pub ou_id: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<called_route::Model> for CalledRouteOut {
    fn from(m: called_route::Model) -> Self {
        Self { id: m.id, name: m.name, media_type: m.media_type, ou_id: m.ou_id, created_at: m.created_at }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CalledRouteList {
    pub items: Vec<CalledRouteOut>,
    pub next_cursor: Option<String>,
}

/// Body of `POST /called-routes`.
#[derive(Debug, ToSchema)]
#[schema(example = json!({"name": "x_dm_queue", "mediaType": "multimedia", "ouId": "0193a1d2-7b8c-7d00-8000-000000000002"}))]
#[allow(dead_code)]
pub struct CalledRouteIn {
    /// 1-128 characters, unique in the tenant.
    name: String,
    #[schema(rename = "mediaType")]
    media_type: MediaType,
    #[schema(rename = "ouId")]
    ou_id: String,
}

/// Creates a called route.
#[utoipa::path(tag = "called-routes", request_body = CalledRouteIn, security(("bearer" = [])), responses(
    (status = 201, body = CalledRouteOut),
    BadRequest,
    Unauthenticated,
    Forbidden,
    (status = 409, body = Problem, content_type = "application/problem+json", description = "name taken"),
    Unprocessable,
    PayloadTooLarge,
    UnsupportedMediaType,
))]
#[post("/called-routes")]
pub async fn create_route(state: web::Data<AppState>, principal: Principal, body: web::Json<Value>) -> ApiResult<HttpResponse> {
    let caller = principal.tenant()?;
    caller.require_admin()?;
    let mut f = Fields::new(&body);
    let name = f.string("name", true, 128);
    let media_type = f.string("mediaType", true, 16);
    if let Some(m) = &media_type {
        if m != called_route::MULTIMEDIA && m != called_route::VOICE {
            f.fail("/mediaType", "invalid_value", "must be multimedia or voice");
        }
    }
    let ou_id = f.string("ouId", true, 64);
    f.finish()?;
    let ou_id = ou_id.unwrap_or_default();
    if ou::find_in_tenant(&state.db, &caller.tenant_id, &ou_id).await?.is_none() {
        return Err(ApiError::field("/ouId", "not_found", "no such OU in this tenant"));
    }
    let name = name.unwrap_or_default();
    let taken = called_route::Entity::find()
        .filter(called_route::Column::TenantId.eq(caller.tenant_id.clone()))
        .filter(called_route::Column::Name.eq(name.clone()))
        .one(&state.db)
        .await?;
    if taken.is_some() {
        return Err(name_taken());
    }
    let model = called_route::ActiveModel {
        id: Set(new_id()),
        tenant_id: Set(caller.tenant_id),
        name: Set(name),
        media_type: Set(media_type.unwrap_or_default()),
        ou_id: Set(ou_id),
        created_at: Set(now()),
    }
    .insert(&state.writer)
    .await
    // A concurrent create of the same name got past the check above; the unique index
    // (tenant, name) catches it.
    .map_err(|err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => name_taken(),
        _ => ApiError::from(err),
    })?;
    Ok(HttpResponse::Created().json(CalledRouteOut::from(model)))
}

fn name_taken() -> ApiError {
    ApiError::Conflict { code: "called_route_name_taken", detail: "a called route with this name already exists".into() }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct RouteQuery {
    /// Only routes of this OU.
    pub ou_id: Option<String>,
    /// Only routes of this media type.
    #[param(value_type = Option<MediaType>)]
    pub media_type: Option<String>,
    /// Items per page, 1-200 (default 50).
    #[param(value_type = Option<u64>)]
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// The OUs whose routes `caller` may see, or `None` for all (R-TENANT-4): with isolation
/// enforced, a user that is not an administrator sees only the routes of its own OUs.
pub async fn visible_route_ous(state: &AppState, caller: &TenantPrincipal) -> ApiResult<Option<HashSet<String>>> {
    if caller.is_admin() {
        return Ok(None);
    }
    let tenant = tenant::Entity::find_by_id(caller.tenant_id.clone()).one(&state.db).await?.ok_or(ApiError::NotFound("tenant"))?;
    if !tenant.ou_isolation {
        return Ok(None);
    }
    Ok(caller.visible_ous(&state.db).await?)
}

/// Lists called routes, filtered by OU and media type.
#[utoipa::path(tag = "called-routes", params(RouteQuery), security(("bearer" = [])), responses(
    (status = 200, body = CalledRouteList),
    BadRequest,
    Unauthenticated,
))]
#[get("/called-routes")]
pub async fn list_routes(state: web::Data<AppState>, principal: Principal, query: web::Query<RouteQuery>) -> ApiResult<HttpResponse> {
    let caller = principal.tenant()?;
    let mut errors = Vec::new();
    let page = PageParams { limit: query.limit.clone(), cursor: query.cursor.clone() }.page(&mut errors);
    let ou_filter = pagination::id_param("ouId", query.ou_id.as_ref(), &mut errors);
    let media_filter = match query.media_type.as_deref() {
        None => None,
        Some(m @ (called_route::MULTIMEDIA | called_route::VOICE)) => Some(m.to_owned()),
        Some(_) => {
            errors.push(crate::error::FieldError::new("/query/mediaType", "invalid_value", "must be multimedia or voice"));
            None
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::InvalidQuery(errors));
    }
    let mut select = called_route::Entity::find()
        .filter(called_route::Column::TenantId.eq(caller.tenant_id.clone()))
        .order_by_asc(called_route::Column::Id);
    if let Some(ous) = visible_route_ous(&state, &caller).await? {
        select = select.filter(called_route::Column::OuId.is_in(ous));
    }
    if let Some(ou_id) = ou_filter {
        select = select.filter(called_route::Column::OuId.eq(ou_id));
    }
    if let Some(media) = media_filter {
        select = select.filter(called_route::Column::MediaType.eq(media));
    }
    if let Some(after) = &page.after {
        select = select.filter(called_route::Column::Id.gt(after.clone()));
    }
    let rows = select.limit(page.limit + 1).all(&state.db).await?;
    let (rows, next_cursor) = pagination::finish(rows, page.limit, |r| &r.id);
    Ok(HttpResponse::Ok().json(CalledRouteList { items: rows.into_iter().map(CalledRouteOut::from).collect(), next_cursor }))
}

async fn visible_route(state: &AppState, principal: &Principal, id: &str) -> ApiResult<called_route::Model> {
    let caller = principal.tenant()?;
    let id = checked_id(id, "called route")?;
    let route = called_route::find_in_tenant(&state.db, &caller.tenant_id, &id).await?.ok_or(ApiError::NotFound("called route"))?;
    if let Some(ous) = visible_route_ous(state, &caller).await? {
        if !ous.contains(&route.ou_id) {
            return Err(ApiError::NotFound("called route"));
        }
    }
    Ok(route)
}

/// Reads one called route.
#[utoipa::path(tag = "called-routes", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 200, body = CalledRouteOut),
    Unauthenticated,
    NotFound,
))]
#[get("/called-routes/{id}")]
pub async fn get_route(state: web::Data<AppState>, principal: Principal, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(CalledRouteOut::from(visible_route(&state, &principal, &id).await?)))
}

/// Deletes a called route that no channel uses as its skill queue.
#[utoipa::path(tag = "called-routes", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 204, description = "deleted"),
    Unauthenticated,
    Forbidden,
    NotFound,
    (status = 409, body = Problem, content_type = "application/problem+json", description = "a channel uses it"),
))]
#[delete("/called-routes/{id}")]
pub async fn delete_route(state: web::Data<AppState>, principal: Principal, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let caller = principal.tenant()?;
    caller.require_admin()?;
    let route = visible_route(&state, &principal, &id).await?;
    let users = crate::routes::channels::channels_using_route(&state.db, &caller.tenant_id, &route.id).await?;
    if !users.is_empty() {
        return Err(ApiError::Conflict {
            code: "called_route_in_use",
            detail: format!("the called route is used by {} channel(s): {}", users.len(), users.join(", ")),
        });
    }
    called_route::Entity::delete_by_id(route.id).exec(&state.writer).await?;
    Ok(HttpResponse::NoContent().finish())
}

