//! OUs: a tree inside a tenant (R-TENANT-2).

use actix_web::{delete, get, post, web, HttpResponse};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::checked_id;
use crate::{
    error::responses::{BadRequest, ConflictingChange, Forbidden, NotFound, PayloadTooLarge, Unauthenticated, Unprocessable, UnsupportedMediaType},
    auth::Principal,
    error::{ApiError, ApiResult, Problem},
    input::Fields,
    state::AppState,
    store::{called_route, channel, new_id, now, ou},
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_ou).service(list_ous).service(get_ou).service(delete_ou);
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OuOut {
    pub id: String,
    pub name: String,
    /// The parent OU; absent for a root.
    pub parent_id: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<ou::Model> for OuOut {
    fn from(m: ou::Model) -> Self {
        Self { id: m.id, name: m.name, parent_id: m.parent_id, created_at: m.created_at }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OuList {
    /// Every OU of the tenant visible to the caller, parents before children.
    pub items: Vec<OuOut>,
}

/// Body of `POST /ous`.
#[derive(Debug, ToSchema)]
#[schema(example = json!({"name": "Support EMEA", "parentId": null}))]
#[allow(dead_code)]
pub struct OuIn {
    /// 1-128 characters.
    name: String,
    #[schema(rename = "parentId")]
    parent_id: Option<String>,
}

/// Creates an OU, at the root or under `parentId`.
#[utoipa::path(tag = "ous", request_body = OuIn, security(("bearer" = [])), responses(
    (status = 201, body = OuOut),
    BadRequest,
    Unauthenticated,
    Forbidden,
    Unprocessable,
    PayloadTooLarge,
    UnsupportedMediaType,
    ConflictingChange,
))]
#[post("/ous")]
pub async fn create_ou(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let caller = principal.tenant()?;
    caller.require_admin()?;
    let mut f = Fields::new(&body);
    let name = f.string("name", true, 128);
    let parent_id = f.string("parentId", false, 64);
    f.finish()?;
    if let Some(parent) = &parent_id {
        if ou::find_in_tenant(&state.db, &caller.tenant_id, parent).await?.is_none() {
            return Err(ApiError::field("/parentId", "not_found", "no such OU in this tenant"));
        }
    }
    let model = ou::ActiveModel {
        id: Set(new_id()),
        tenant_id: Set(caller.tenant_id),
        name: Set(name.unwrap_or_default()),
        parent_id: Set(parent_id),
        created_at: Set(now()),
    }
    .insert(&state.writer)
    .await?;
    Ok(HttpResponse::Created().json(OuOut::from(model)))
}

/// Lists the tenant's OUs; a tenant user sees its own OUs and those below them.
#[utoipa::path(tag = "ous", security(("bearer" = [])), responses(
    (status = 200, body = OuList),
    Unauthenticated,
))]
#[get("/ous")]
pub async fn list_ous(state: web::Data<AppState>, principal: Principal) -> ApiResult<HttpResponse> {
    let caller = principal.tenant()?;
    let mut all = ou::list(&state.db, &caller.tenant_id).await?;
    if let Some(visible) = caller.visible_ous(&state.db).await? {
        all.retain(|o| visible.contains(&o.id));
    }
    Ok(HttpResponse::Ok().json(OuList { items: all.into_iter().map(OuOut::from).collect() }))
}

async fn visible_ou(state: &AppState, principal: &Principal, id: &str) -> ApiResult<ou::Model> {
    let caller = principal.tenant()?;
    let id = checked_id(id, "OU")?;
    let found = ou::find_in_tenant(&state.db, &caller.tenant_id, &id)
        .await?
        .ok_or(ApiError::NotFound("OU"))?;
    if !caller.sees_ou(&state.db, &found.id).await? {
        return Err(ApiError::NotFound("OU"));
    }
    Ok(found)
}

/// Reads one OU.
#[utoipa::path(tag = "ous", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 200, body = OuOut),
    Unauthenticated,
    NotFound,
))]
#[get("/ous/{id}")]
pub async fn get_ou(state: web::Data<AppState>, principal: Principal, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(OuOut::from(visible_ou(&state, &principal, &id).await?)))
}

/// Deletes an OU that has no child OUs, called routes or channels.
#[utoipa::path(tag = "ous", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 204, description = "deleted"),
    Unauthenticated,
    Forbidden,
    NotFound,
    (status = 409, body = Problem, content_type = "application/problem+json", description = "the OU is still in use"),
))]
#[delete("/ous/{id}")]
pub async fn delete_ou(state: web::Data<AppState>, principal: Principal, id: web::Path<String>) -> ApiResult<HttpResponse> {
    principal.tenant()?.require_admin()?;
    let found = visible_ou(&state, &principal, &id).await?;
    let children = ou::Entity::find().filter(ou::Column::ParentId.eq(found.id.clone())).count(&state.db).await?;
    let routes = called_route::Entity::find().filter(called_route::Column::OuId.eq(found.id.clone())).count(&state.db).await?;
    let channels = channel::Entity::find().filter(channel::Column::OuId.eq(found.id.clone())).count(&state.db).await?;
    if children + routes + channels > 0 {
        return Err(ApiError::Conflict {
            code: "ou_in_use",
            detail: format!("the OU still has {children} child OUs, {routes} called routes and {channels} channels"),
        });
    }
    ou::Entity::delete_by_id(found.id).exec(&state.writer).await?;
    Ok(HttpResponse::NoContent().finish())
}
