//! Whether a channel's agents work at a given instant: the tenant's time zone and service
//! calendar pick the day's kind, the channel's work time its segments (R-TENANT-5, R-BASIC-5).

use actix_web::{get, web, HttpResponse};
use channel_config::{ChannelSettings, DayKind};
use chrono::{DateTime, Timelike, Utc};
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::channels::visible_channel;
use crate::{
    error::responses::{BadRequest, NotFound, Unauthenticated},
    auth::Principal,
    error::{ApiError, ApiResult, FieldError},
    state::AppState,
    store::{non_working_day, tenant},
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(channel_work_time);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorkTimeQuery {
    /// The instant to check (RFC 3339); now when left out.
    #[param(example = "2026-12-25T09:30:00Z")]
    pub at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"at": "2026-12-25T09:30:00Z", "timeZone": "Europe/Paris", "localDate": "2026-12-25",
    "localTime": "10:30", "dayKind": "nonWorkday", "working": true}))]
pub struct WorkTimeStatusOut {
    pub at: DateTime<Utc>,
    /// The tenant's time zone.
    pub time_zone: String,
    pub local_date: String,
    pub local_time: String,
    /// `nonWorkday` when the service calendar lists the local date.
    pub day_kind: DayKind,
    /// Whether the instant falls in a segment of that day's list; outside, customers get
    /// the non-working time notification.
    pub working: bool,
}

/// Whether the channel's agents work at an instant.
#[utoipa::path(tag = "channels", security(("bearer" = [])), params(("id" = String, Path), WorkTimeQuery), responses(
    (status = 200, body = WorkTimeStatusOut),
    BadRequest,
    Unauthenticated,
    NotFound,
))]
#[get("/channels/{id}/work-time")]
pub async fn channel_work_time(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    query: web::Query<WorkTimeQuery>,
) -> ApiResult<HttpResponse> {
    let caller = principal.tenant()?;
    let at = match &query.at {
        None => Utc::now(),
        Some(raw) => DateTime::parse_from_rfc3339(raw).map(|t| t.with_timezone(&Utc)).map_err(|_| {
            ApiError::InvalidQuery(vec![FieldError::new("/query/at", "invalid_format", "must be an RFC 3339 instant")])
        })?,
    };
    let channel = visible_channel(&state, &caller, &id).await?;
    let settings: ChannelSettings = serde_json::from_value(channel.settings)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored settings unreadable: {e}")))?;
    let tenant = tenant::Entity::find_by_id(caller.tenant_id.clone())
        .one(&state.db)
        .await?
        .ok_or(ApiError::NotFound("tenant"))?;
    let zone: chrono_tz::Tz = tenant.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let local = at.with_timezone(&zone);
    let local_date = local.format("%Y-%m-%d").to_string();
    let listed = non_working_day::Entity::find_by_id((caller.tenant_id.clone(), local_date.clone()))
        .one(&state.db)
        .await?
        .is_some();
    let day_kind = if listed { DayKind::NonWorkday } else { DayKind::Workday };
    let minute = (local.hour() * 60 + local.minute()) as u16;
    Ok(HttpResponse::Ok().json(WorkTimeStatusOut {
        at,
        time_zone: tenant.time_zone,
        local_date,
        local_time: local.format("%H:%M").to_string(),
        day_kind,
        working: settings.work_time().is_working(day_kind, minute),
    }))
}
