//! Whether a channel's agents work at a given instant: the tenant's time zone and service
//! calendar pick the day's kind, the channel's work time its segments (R-TENANT-5, R-BASIC-5).

use actix_web::{get, web, HttpResponse};
use channel_config::{work_time::status_at, DayKind};
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::channels::settings_of;
use crate::{
    access::Access,
    error::responses::{BadRequest, Forbidden, NotFound, Unauthenticated},
    error::{ApiError, ApiResult, FieldError},
    state::AppState,
    store,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(channel_work_time);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WorkTimeQuery {
    /// The instant to check (RFC 3339); now (the service's clock) when left out.
    #[param(value_type = Option<DateTime<Utc>>, example = "2026-12-25T09:30:00Z")]
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

/// RFC 3339 writes four-digit years: an instant whose year, in UTC or in the tenant's
/// time zone, is outside 0000-9999 could not be answered in it.
fn within_rfc3339_years(year: i32) -> ApiResult<()> {
    if (0..=9999).contains(&year) {
        return Ok(());
    }
    Err(ApiError::invalid_query(vec![FieldError::new(
        "/query/at",
        "out_of_range",
        "must fall in the years 0000 to 9999, in UTC and in the tenant's time zone",
    )]))
}

/// Whether the channel's agents work at an instant.
#[utoipa::path(tag = "channels", security(("bearer" = [])), params(("id" = crate::id::Id, Path), WorkTimeQuery), responses(
    (status = 200, body = WorkTimeStatusOut),
    BadRequest,
    Unauthenticated,
    Forbidden,
    NotFound,
))]
#[get("/channels/{id}/work-time")]
pub async fn channel_work_time(
    state: web::Data<AppState>,
    access: Access,
    id: web::Path<String>,
    query: web::Query<WorkTimeQuery>,
) -> ApiResult<HttpResponse> {
    let at = match &query.at {
        // The service's clock, as the notice judges by.
        None => state.settings.automation.clock.now(),
        Some(raw) => DateTime::parse_from_rfc3339(raw)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                ApiError::invalid_query(vec![FieldError::new(
                    "/query/at",
                    "invalid_format",
                    "must be an RFC 3339 instant",
                )])
            })?,
    };
    within_rfc3339_years(at.year())?;
    let db = state.store.reader();
    let channel = access.channel(db, &id).await?;
    let settings = settings_of(&channel)?;
    let tenant = store::tenants::find(db, access.tenant_id()).await?;
    let zone: chrono_tz::Tz = tenant.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let local = at.with_timezone(&zone);
    within_rfc3339_years(local.year())?;
    let local_date = local.format("%Y-%m-%d").to_string();
    let listed = store::calendar::is_non_working_day(db, access.tenant_id(), &local_date).await?;
    // The calendar was read above for the local date status_at works out the same way.
    let status = status_at(settings.work_time(), zone, at, |_| listed);
    Ok(HttpResponse::Ok().json(WorkTimeStatusOut {
        at,
        time_zone: tenant.time_zone,
        local_date,
        local_time: status.local_time.to_string(),
        day_kind: status.day_kind,
        working: status.working,
    }))
}
