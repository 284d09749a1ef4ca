//! Called routes (skill queues): name, media type and OU (R-TENANT-3, R-TENANT-4).

use actix_web::{delete, get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::pagination::{self, Cursor, PageParams};
use crate::{
    access::Access,
    audit::{Action, Event, Origin, ResourceType},
    error::responses::{
        BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthenticated, Unprocessable,
        UnsupportedMediaType,
    },
    error::{ApiError, ApiResult, Code, FieldError, Problem},
    id::Id,
    input::Fields,
    shapes::Name,
    state::AppState,
    store::{
        self,
        called_routes::{CalledRoute, NewCalledRoute, RouteFilter, MULTIMEDIA, VOICE},
    },
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_route)
        .service(list_routes)
        .service(get_route)
        .service(delete_route);
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
    #[schema(value_type = Id)]
    pub id: String,
    pub name: String,
    /// Only `multimedia` routes can be a channel's skill queue.
    #[schema(value_type = MediaType)]
    pub media_type: String,
    #[schema(value_type = Id)]
    pub ou_id: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<CalledRoute> for CalledRouteOut {
    fn from(m: CalledRoute) -> Self {
        Self {
            id: m.id,
            name: m.name,
            media_type: m.media_type,
            ou_id: m.ou_id,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CalledRouteList {
    pub items: Vec<CalledRouteOut>,
    /// Pass as `cursor` for the next page; always present, `null` on the last page.
    #[schema(value_type = Option<Cursor>, required = true)]
    pub next_cursor: Option<String>,
}

/// Body of `POST /called-routes`.
/// In the example, `ouId` stands for the `id` that `POST /ous` answered.
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "dm_queue", "mediaType": "multimedia", "ouId": "0193a1d2-7b8c-7d00-8000-000000000002"}))]
pub struct CalledRouteIn {
    /// 1-128 characters, kept in NFC and unique in the tenant; no invisible or bidirectional
    /// formatting characters.
    #[schema(value_type = Name)]
    name: String,
    #[schema(rename = "mediaType")]
    media_type: MediaType,
    /// An OU of the tenant.
    #[schema(rename = "ouId", value_type = Id)]
    ou_id: String,
}

impl CalledRouteIn {
    fn read(body: &Value) -> ApiResult<CalledRouteIn> {
        let mut f = Fields::new(body);
        let name = f.name("name", 128);
        let media_type = match f.string("mediaType", true, 16).as_deref() {
            Some(MULTIMEDIA) => Some(MediaType::Multimedia),
            Some(VOICE) => Some(MediaType::Voice),
            Some(_) => {
                f.fail("/mediaType", "invalid_value", "must be multimedia or voice");
                None
            }
            None => None,
        };
        let ou_id = f.string("ouId", true, 64);
        f.finish()?;
        Ok(CalledRouteIn {
            name: name.unwrap_or_default(),
            media_type: media_type.unwrap_or(MediaType::Multimedia),
            ou_id: ou_id.unwrap_or_default(),
        })
    }
}

impl MediaType {
    fn as_str(self) -> &'static str {
        match self {
            MediaType::Multimedia => MULTIMEDIA,
            MediaType::Voice => VOICE,
        }
    }
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
pub async fn create_route(
    state: web::Data<AppState>,
    access: Access,
    origin: Origin,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    access.require_admin()?;
    let input = CalledRouteIn::read(&body)?;
    if !store::ous::exists(state.store.reader(), access.tenant_id(), &input.ou_id).await? {
        return Err(ApiError::field(
            "/ouId",
            "not_found",
            "no such OU in this tenant",
        ));
    }
    let new = NewCalledRoute {
        name: input.name,
        media_type: input.media_type.as_str().to_owned(),
        ou_id: input.ou_id,
    };
    // The unique index (tenant, name) is the name check, racing creates included.
    let tx = state.store.write().await?;
    let route = store::called_routes::insert(&tx, access.tenant_id(), new).await?;
    origin
        .record(&tx, route_event(Action::CalledRouteCreated, &route))
        .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(CalledRouteOut::from(route)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RouteQuery {
    /// Only routes of this OU.
    #[param(value_type = Option<Id>)]
    pub ou_id: Option<String>,
    /// Only routes of this media type.
    #[param(value_type = Option<MediaType>)]
    pub media_type: Option<String>,
    /// Items per page, 1-200 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `nextCursor` of the previous page.
    #[param(value_type = Option<Cursor>)]
    pub cursor: Option<String>,
}

/// Lists called routes, filtered by OU and media type.
#[utoipa::path(tag = "called-routes", params(RouteQuery), security(("bearer" = [])), responses(
    (status = 200, body = CalledRouteList),
    BadRequest,
    Unauthenticated,
    Forbidden,
))]
#[get("/called-routes")]
pub async fn list_routes(
    state: web::Data<AppState>,
    access: Access,
    query: web::Query<RouteQuery>,
) -> ApiResult<HttpResponse> {
    let mut errors = Vec::new();
    let page = PageParams {
        limit: query.limit.clone(),
        cursor: query.cursor.clone(),
    }
    .page(&mut errors);
    let ou_id = Id::from_query("ouId", query.ou_id.as_deref(), &mut errors);
    let media_type = match query.media_type.as_deref() {
        None => None,
        Some(m @ (MULTIMEDIA | VOICE)) => Some(m.to_owned()),
        Some(_) => {
            errors.push(FieldError::new(
                "/query/mediaType",
                "invalid_value",
                "must be multimedia or voice",
            ));
            None
        }
    };
    pagination::checked(errors)?;
    let db = state.store.reader();
    let filter = RouteFilter {
        visible_ous: access.route_ous(db).await?,
        ou_id: ou_id.map(Id::into_string),
        media_type,
    };
    let rows = store::called_routes::list(db, access.tenant_id(), filter, &page).await?;
    let (rows, next_cursor) = pagination::finish(&page, rows, |r| &r.id);
    Ok(HttpResponse::Ok().json(CalledRouteList {
        items: rows.into_iter().map(CalledRouteOut::from).collect(),
        next_cursor,
    }))
}

/// Reads one called route.
#[utoipa::path(tag = "called-routes", security(("bearer" = [])), params(("id" = crate::id::Id, Path)), responses(
    (status = 200, body = CalledRouteOut),
    Unauthenticated,
    Forbidden,
    NotFound,
))]
#[get("/called-routes/{id}")]
pub async fn get_route(
    state: web::Data<AppState>,
    access: Access,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(CalledRouteOut::from(
        access.route(state.store.reader(), &id).await?,
    )))
}

/// Deletes a called route that no channel uses as its skill queue.
#[utoipa::path(tag = "called-routes", security(("bearer" = [])), params(("id" = crate::id::Id, Path)), responses(
    (status = 204, description = "deleted"),
    Unauthenticated,
    Forbidden,
    NotFound,
    (status = 409, body = Problem, content_type = "application/problem+json", description = "a channel uses it"),
))]
#[delete("/called-routes/{id}")]
pub async fn delete_route(
    state: web::Data<AppState>,
    access: Access,
    origin: Origin,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    access.require_admin()?;
    let route = access.route(state.store.reader(), &id).await?;
    let tx = state.store.write().await?;
    let users = store::channels::names_using_route(&tx, access.tenant_id(), &route.id).await?;
    if !users.is_empty() {
        return Err(ApiError::new(
            Code::CalledRouteInUse,
            format!(
                "the called route is used by {} channel(s): {}",
                users.len(),
                users.join(", ")
            ),
        ));
    }
    store::called_routes::delete(&tx, access.tenant_id(), &route.id).await?;
    origin
        .record(&tx, route_event(Action::CalledRouteDeleted, &route))
        .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

fn route_event(action: Action, route: &CalledRoute) -> Event {
    Event::new(action, ResourceType::CalledRoute)
        .tenant(&route.tenant_id)
        .resource(&route.id, Some(route.name.clone()))
}
