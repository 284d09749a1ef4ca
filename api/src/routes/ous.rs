//! OUs: a tree inside a tenant (R-TENANT-2).

use actix_web::{delete, get, post, web, HttpResponse};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::{
    access::Access,
    audit::{Action, Event, Origin, ResourceType},
    error::responses::{
        BadRequest, ConflictingChange, Forbidden, NotFound, PayloadTooLarge, Unauthenticated,
        Unprocessable, UnsupportedMediaType,
    },
    error::{ApiError, ApiResult, Code, Problem},
    id::Id,
    input::Fields,
    shapes::Name,
    state::AppState,
    store::{
        self,
        ous::{NewOu, Ou},
    },
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_ou)
        .service(list_ous)
        .service(get_ou)
        .service(delete_ou);
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OuOut {
    #[schema(value_type = Id)]
    pub id: String,
    pub name: String,
    /// The parent OU; absent for a root.
    #[schema(value_type = Option<Id>)]
    pub parent_id: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<Ou> for OuOut {
    fn from(m: Ou) -> Self {
        Self {
            id: m.id,
            name: m.name,
            parent_id: m.parent_id,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OuList {
    /// Every OU of the tenant visible to the caller, parents before children.
    pub items: Vec<OuOut>,
}

/// Body of `POST /ous`.
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Support", "parentId": null}))]
pub struct OuIn {
    /// 1-128 characters, kept in NFC; no invisible or bidirectional formatting characters.
    #[schema(value_type = Name)]
    name: String,
    /// An OU of the tenant; a root OU when left out.
    #[schema(rename = "parentId", value_type = Option<Id>)]
    parent_id: Option<String>,
}

impl OuIn {
    fn read(body: &Value) -> ApiResult<OuIn> {
        let mut f = Fields::new(body);
        let name = f.name("name", 128);
        let parent_id = f.string("parentId", false, 64);
        f.finish()?;
        Ok(OuIn {
            name: name.unwrap_or_default(),
            parent_id,
        })
    }
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
    access: Access,
    origin: Origin,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    access.require_admin()?;
    let input = OuIn::read(&body)?;
    let tenant_id = access.tenant_id();
    if let Some(parent) = &input.parent_id {
        if !store::ous::exists(state.store.reader(), tenant_id, parent).await? {
            return Err(ApiError::field(
                "/parentId",
                "not_found",
                "no such OU in this tenant",
            ));
        }
    }
    let tx = state.store.write().await?;
    let ou = store::ous::insert(
        &tx,
        tenant_id,
        NewOu {
            name: input.name,
            parent_id: input.parent_id,
        },
    )
    .await?;
    origin.record(&tx, ou_event(Action::OuCreated, &ou)).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(OuOut::from(ou)))
}

/// Lists the tenant's OUs; a tenant user sees its own OUs and those below them.
#[utoipa::path(tag = "ous", security(("bearer" = [])), responses(
    (status = 200, body = OuList),
    Unauthenticated,
    Forbidden,
))]
#[get("/ous")]
pub async fn list_ous(state: web::Data<AppState>, access: Access) -> ApiResult<HttpResponse> {
    let mut all = store::ous::list(state.store.reader(), access.tenant_id()).await?;
    all.retain(|ou| access.sees_ou(&ou.id));
    Ok(HttpResponse::Ok().json(OuList {
        items: all.into_iter().map(OuOut::from).collect(),
    }))
}

/// Reads one OU.
#[utoipa::path(tag = "ous", security(("bearer" = [])), params(("id" = crate::id::Id, Path)), responses(
    (status = 200, body = OuOut),
    Unauthenticated,
    Forbidden,
    NotFound,
))]
#[get("/ous/{id}")]
pub async fn get_ou(
    state: web::Data<AppState>,
    access: Access,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(OuOut::from(access.ou(state.store.reader(), &id).await?)))
}

/// Deletes an OU that has no child OUs, called routes or channels.
#[utoipa::path(tag = "ous", security(("bearer" = [])), params(("id" = crate::id::Id, Path)), responses(
    (status = 204, description = "deleted"),
    Unauthenticated,
    Forbidden,
    NotFound,
    (status = 409, body = Problem, content_type = "application/problem+json", description = "the OU is still in use"),
))]
#[delete("/ous/{id}")]
pub async fn delete_ou(
    state: web::Data<AppState>,
    access: Access,
    origin: Origin,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    access.require_admin()?;
    let ou = access.ou(state.store.reader(), &id).await?;
    let tx = state.store.write().await?;
    let usage = store::ous::usage(&tx, access.tenant_id(), &ou.id).await?;
    if !usage.is_empty() {
        return Err(ApiError::new(
            Code::OuInUse,
            format!(
                "the OU still has {} child OUs, {} called routes and {} channels",
                usage.children, usage.called_routes, usage.channels
            ),
        ));
    }
    store::ous::delete(&tx, access.tenant_id(), &ou.id).await?;
    origin.record(&tx, ou_event(Action::OuDeleted, &ou)).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

fn ou_event(action: Action, ou: &Ou) -> Event {
    Event::new(action, ResourceType::Ou)
        .tenant(&ou.tenant_id)
        .resource(&ou.id, Some(ou.name.clone()))
}
