//! Channels: create, read, list, replace and delete an X channel, enforcing every rule of
//! R-CRED, R-BASIC and R-ROBOT; credentials are sealed before they reach the database.

use actix_web::{delete, get, http::header, post, put, web, HttpRequest, HttpResponse};
use channel_config::{parse_channel, ChannelSettings, Mode};
use sea_orm::{
    sea_query::{Alias, Expr, Func},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::{called_routes::visible_route_ous, checked_id, pagination::{self, PageParams}};
use crate::{
    error::responses::{BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthenticated, Unprocessable, UnsupportedMediaType},
    auth::{Principal, TenantPrincipal},
    store::channels::{self as channel_store, CredentialHints, IntegrationStatus},
    config::Region,
    error::{ApiError, ApiResult, FieldError, Problem},
    state::AppState,
    store::{called_route, channel, ou},
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_channel)
        .service(list_channels)
        .service(get_channel)
        .service(replace_channel)
        .service(delete_channel);
}

/// What the administrator does next, and where X must call (R-INTEG-1).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationOut {
    /// The URL X must call for webhook delivery; only for Enterprise accounts.
    pub webhook_url: Option<String>,
    /// Plain-English next step.
    pub next_step: String,
    /// X's reason when the last authentication failed.
    pub detail: Option<String>,
}

/// A channel as the API shows it: every setting, no secret.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChannelOut {
    pub id: String,
    pub tenant_id: String,
    /// Increases on every change; the `ETag` is this number in quotes.
    pub version: i32,
    pub status: IntegrationStatus,
    #[serde(flatten)]
    pub settings: ChannelSettings,
    /// Masked hints of the stored X credentials; the values themselves are never shown.
    pub credentials: CredentialHints,
    pub integration: IntegrationOut,
    /// E.g. that SHA-1 is weak (R-CRED-7).
    pub warnings: Vec<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChannelList {
    pub items: Vec<ChannelOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

fn channel_out(state: &AppState, m: channel::Model) -> ApiResult<ChannelOut> {
    let settings: ChannelSettings = serde_json::from_value(m.settings)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored settings of channel {} unreadable: {e}", m.id)))?;
    let credentials: CredentialHints = serde_json::from_value(m.credential_hints).unwrap_or_default();
    let status = IntegrationStatus::parse(&m.status);
    let webhook_url = settings
        .account_level()
        .receives_by_webhook()
        .then(|| format!("{}/api/v1/webhooks/x/{}", state.settings.public_url, m.id));
    let url_problem = webhook_url.as_ref().and(state.settings.public_url_problem());
    let next_step = match status {
        IntegrationStatus::Draft => match url_problem {
            Some(problem) => format!(
                "Set XCHANNEL_PUBLIC_URL to the https address, without a port, where X reaches this service ({problem}); then authenticate the channel's tokens against X"
            ),
            None => "Authenticate the channel's tokens against X (channel integration)".to_owned(),
        },
        IntegrationStatus::Verifying => "Wait: the tokens are being authenticated against X".to_owned(),
        IntegrationStatus::Active => "Nothing: the channel receives messages".to_owned(),
        IntegrationStatus::Failed => "Fix the channel's settings from X's reason and submit the integration again".to_owned(),
    };
    Ok(ChannelOut {
        warnings: settings.warnings(),
        id: m.id,
        tenant_id: m.tenant_id,
        version: m.version,
        status,
        settings,
        credentials,
        integration: IntegrationOut { webhook_url, next_step, detail: m.status_detail },
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn etag(version: i32) -> header::EntityTag {
    header::EntityTag::new_strong(version.to_string())
}

fn respond(mut builder: actix_web::HttpResponseBuilder, out: ChannelOut) -> HttpResponse {
    builder.insert_header(header::ETag(etag(out.version))).json(out)
}

/// Checks what the rules of `channel-config` cannot: the OU and skill queues exist in the
/// tenant and are multimedia routes the caller can see; the region offers X (R-INTEG-5).
async fn check_references<C: ConnectionTrait>(
    db: &C,
    state: &AppState,
    caller: &TenantPrincipal,
    body: &Value,
    errors: &mut Vec<FieldError>,
) -> ApiResult<()> {
    let reported = |errors: &Vec<FieldError>, p: &str| errors.iter().any(|e| e.pointer == p);
    if state.settings.region == Region::ChineseMainland && body.get("type").and_then(Value::as_str) == Some("x") {
        errors.push(FieldError::new(
            "/type",
            "unavailable_in_region",
            "the X channel is offered only where the deployment is outside the Chinese mainland",
        ));
    }
    // A value that is not one of our ids cannot name a resource: no query needed. Ids are
    // compared as written, as the database will compare them. An empty transfer target
    // means the channel's own queue (R-BASIC-11).
    let reference = |errors: &Vec<FieldError>, pointer: &str| {
        body.pointer(pointer)
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty() && !reported(errors, pointer))
            .map(|id| uuid::Uuid::parse_str(id).ok().and(Some(id.to_owned())))
    };
    match reference(errors, "/ouId") {
        Some(Some(ou_id)) if ou::find_in_tenant(db, &caller.tenant_id, &ou_id).await?.is_some() => {}
        Some(_) => errors.push(FieldError::new("/ouId", "not_found", "no such OU in this tenant")),
        None => {}
    }
    let visible = visible_route_ous(state, caller).await?;
    for pointer in ["/skillQueueId", "/more/noAgentReplyTransfer/targetSkillQueueId"] {
        let id = match reference(errors, pointer) {
            None => continue,
            Some(Some(id)) => id,
            Some(None) => {
                errors.push(FieldError::new(pointer, "not_found", "no such called route in this tenant"));
                continue;
            }
        };
        match called_route::find_in_tenant(db, &caller.tenant_id, &id).await? {
            Some(route) if visible.as_ref().is_some_and(|ous| !ous.contains(&route.ou_id)) => {
                errors.push(FieldError::new(pointer, "not_found", "no such called route in this tenant"))
            }
            None => errors.push(FieldError::new(pointer, "not_found", "no such called route in this tenant")),
            Some(route) if route.media_type != called_route::MULTIMEDIA => errors.push(FieldError::new(
                pointer,
                "not_multimedia",
                "must be a multimedia called route",
            )),
            Some(_) => {}
        }
    }
    Ok(())
}

/// Parses a channel body and checks its references, reporting every problem at once.
async fn validated(
    state: &AppState,
    caller: &TenantPrincipal,
    body: &Value,
    mode: Mode,
) -> ApiResult<channel_config::ParsedChannel> {
    let mut errors = Vec::new();
    let parsed = parse_channel(body, mode).map_err(|v| errors.extend(v.0.into_iter().map(FieldError::from)));
    check_references(&state.db, state, caller, body, &mut errors).await?;
    match parsed {
        Ok(parsed) if errors.is_empty() => Ok(parsed),
        _ => Err(ApiError::Validation(errors)),
    }
}

/// Creates a channel in `draft` status.
#[utoipa::path(tag = "channels", request_body = channel_config::ChannelDraft, security(("bearer" = [])), responses(
    (status = 201, body = ChannelOut, headers(("ETag" = String, description = "the channel's version"))),
    BadRequest,
    Unauthenticated,
    Forbidden,
    (status = 409, body = Problem, content_type = "application/problem+json", description = "the name or the API key is already used"),
    PayloadTooLarge,
    Unprocessable,
    UnsupportedMediaType,
))]
#[post("/channels")]
pub async fn create_channel(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let caller = principal.tenant()?;
    caller.require_admin()?;
    let parsed = validated(&state, &caller, &body, Mode::Create).await?;
    let model = channel_store::insert(&state.writer, &state.keyring, &caller.tenant_id, parsed).await?;
    Ok(respond(HttpResponse::Created(), channel_out(&state, model)?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ChannelQuery {
    /// Only channels whose name starts with this (case-sensitive).
    pub name_prefix: Option<String>,
    /// Only channels of this OU.
    pub ou_id: Option<String>,
    /// `basic`, `pro` or `enterprise`.
    pub account_level: Option<String>,
    /// `draft`, `verifying`, `active` or `failed`.
    pub status: Option<String>,
    /// Items per page, 1-200 (default 50).
    #[param(value_type = Option<u64>)]
    pub limit: Option<String>,
    /// The `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

/// Lists channels by name; tenant users see those of their OUs.
#[utoipa::path(tag = "channels", params(ChannelQuery), security(("bearer" = [])), responses(
    (status = 200, body = ChannelList),
    BadRequest,
    Unauthenticated,
))]
#[get("/channels")]
pub async fn list_channels(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<ChannelQuery>,
) -> ApiResult<HttpResponse> {
    let caller = principal.tenant()?;
    let mut errors = Vec::new();
    let page = PageParams { limit: query.limit.clone(), cursor: query.cursor.clone() }.page(&mut errors);
    let ou_filter = pagination::id_param("ouId", query.ou_id.as_ref(), &mut errors);
    let mut select = channel::Entity::find()
        .filter(channel::Column::TenantId.eq(caller.tenant_id.clone()))
        .order_by_asc(channel::Column::Name);
    if let Some(prefix) = &query.name_prefix {
        if prefix.is_empty() || prefix.len() > 64 || !prefix.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            errors.push(FieldError::new("/query/namePrefix", "invalid_format", "must be 1-64 letters, digits or underscores"));
        } else {
            let head = Func::cust(Alias::new("substr"))
                .arg(Expr::col(channel::Column::Name))
                .arg(1)
                .arg(prefix.len() as i32);
            select = select.filter(Expr::expr(head).eq(prefix.clone()));
        }
    }
    if let Some(level) = &query.account_level {
        if !["basic", "pro", "enterprise"].contains(&level.as_str()) {
            errors.push(FieldError::new("/query/accountLevel", "invalid_value", "must be basic, pro or enterprise"));
        }
        select = select.filter(channel::Column::AccountLevel.eq(level.clone()));
    }
    if let Some(status) = &query.status {
        if !["draft", "verifying", "active", "failed"].contains(&status.as_str()) {
            errors.push(FieldError::new("/query/status", "invalid_value", "must be draft, verifying, active or failed"));
        }
        select = select.filter(channel::Column::Status.eq(status.clone()));
    }
    if !errors.is_empty() {
        return Err(ApiError::InvalidQuery(errors));
    }
    if let Some(ou_id) = ou_filter {
        select = select.filter(channel::Column::OuId.eq(ou_id));
    }
    if let Some(visible) = caller.visible_ous(&state.db).await? {
        select = select.filter(channel::Column::OuId.is_in(visible));
    }
    if let Some(after) = &page.after {
        select = select.filter(channel::Column::Name.gt(after.clone()));
    }
    let rows = select.limit(page.limit + 1).all(&state.db).await?;
    let (rows, next_cursor) = pagination::finish(rows, page.limit, |c| &c.name);
    let items = rows.into_iter().map(|m| channel_out(&state, m)).collect::<ApiResult<_>>()?;
    Ok(HttpResponse::Ok().json(ChannelList { items, next_cursor }))
}

/// A channel of the caller's tenant that the caller may see.
pub(crate) async fn visible_channel(state: &AppState, caller: &TenantPrincipal, id: &str) -> ApiResult<channel::Model> {
    let id = checked_id(id, "channel")?;
    let found = channel::Entity::find_by_id(id)
        .filter(channel::Column::TenantId.eq(caller.tenant_id.clone()))
        .one(&state.db)
        .await?
        .ok_or(ApiError::NotFound("channel"))?;
    if !caller.sees_ou(&state.db, &found.ou_id).await? {
        return Err(ApiError::NotFound("channel"));
    }
    Ok(found)
}

/// Reads a channel; the `ETag` header carries its version, and `If-None-Match` with the
/// current ETag answers 304 without a body.
#[utoipa::path(tag = "channels", security(("bearer" = [])),
    params(("id" = String, Path), ("If-None-Match" = Option<String>, Header, description = "an ETag read earlier")),
    responses(
    (status = 200, body = ChannelOut, headers(("ETag" = String, description = "the channel's version"))),
    (status = 304, description = "the channel still has the version named by If-None-Match"),
    Unauthenticated,
    NotFound,
))]
#[get("/channels/{id}")]
pub async fn get_channel(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let caller = principal.tenant()?;
    let model = visible_channel(&state, &caller, &id).await?;
    let current = etag(model.version);
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == current.to_string()));
    if unchanged {
        return Ok(HttpResponse::NotModified().insert_header(header::ETag(current)).finish());
    }
    Ok(respond(HttpResponse::Ok(), channel_out(&state, model)?))
}

/// The version an `If-Match` header asks for: `None` for `*`.
fn if_match(req: &HttpRequest, required: bool) -> ApiResult<Option<Option<i32>>> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return if required { Err(ApiError::PreconditionRequired) } else { Ok(None) };
    };
    let value = value.to_str().map_err(|_| ApiError::PreconditionFailed)?.trim();
    if value == "*" {
        return Ok(Some(None));
    }
    // If-Match compares strongly (RFC 9110, 13.1.1): a weak tag never matches.
    if value.starts_with("W/") {
        return Err(ApiError::PreconditionFailed);
    }
    let version = value
        .trim_matches('"')
        .parse::<i32>()
        .map_err(|_| ApiError::PreconditionFailed)?;
    Ok(Some(Some(version)))
}

/// Replaces a channel's settings. Omitted credentials keep their stored values; sent ones
/// replace them (rotation, effective for the next call to X). Needs `If-Match`.
#[utoipa::path(tag = "channels", request_body = channel_config::ChannelDraft, security(("bearer" = [])),
    params(("id" = String, Path), ("If-Match" = String, Header, description = "the ETag read with the channel")),
    responses(
    (status = 200, body = ChannelOut, headers(("ETag" = String, description = "the channel's new version"))),
    BadRequest,
    Unauthenticated,
    Forbidden,
    NotFound,
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json", description = "the channel changed since it was read"),
    Unprocessable,
    (status = 428, body = Problem, content_type = "application/problem+json", description = "If-Match is missing"),
    PayloadTooLarge,
    UnsupportedMediaType,
))]
#[put("/channels/{id}")]
pub async fn replace_channel(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let caller = principal.tenant()?;
    caller.require_admin()?;
    let current = visible_channel(&state, &caller, &id).await?;
    let expected = if_match(&req, true)?.flatten().unwrap_or(current.version);
    if expected != current.version {
        return Err(ApiError::PreconditionFailed);
    }
    let parsed = validated(&state, &caller, &body, Mode::Update).await?;
    let model = channel_store::replace(&state.writer, &state.keyring, current, expected, parsed).await?;
    Ok(respond(HttpResponse::Ok(), channel_out(&state, model)?))
}

/// Deletes a channel. `If-Match` is optional here.
#[utoipa::path(tag = "channels", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 204, description = "deleted"),
    Unauthenticated,
    Forbidden,
    NotFound,
    (status = 412, body = Problem, content_type = "application/problem+json"),
))]
#[delete("/channels/{id}")]
pub async fn delete_channel(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let caller = principal.tenant()?;
    caller.require_admin()?;
    let current = visible_channel(&state, &caller, &id).await?;
    let mut delete = channel::Entity::delete_many().filter(channel::Column::Id.eq(current.id.clone()));
    if let Some(Some(version)) = if_match(&req, false)? {
        delete = delete.filter(channel::Column::Version.eq(version));
    }
    if delete.exec(&state.writer).await?.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Names of the channels that route to `route_id`, so a route in use is not deleted.
pub async fn channels_using_route<C: ConnectionTrait>(db: &C, tenant_id: &str, route_id: &str) -> ApiResult<Vec<String>> {
    let rows = channel::Entity::find()
        .filter(channel::Column::TenantId.eq(tenant_id.to_owned()))
        .filter(
            sea_orm::Condition::any()
                .add(channel::Column::SkillQueueId.eq(route_id.to_owned()))
                .add(channel::Column::TransferQueueId.eq(route_id.to_owned())),
        )
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|c| c.name).collect())
}

