//! The service calendar: the tenant's non-working dates, against which a channel's
//! workday and non-workday segments apply (R-TENANT-5).

use actix_web::{get, put, web, HttpResponse};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::{
    error::responses::{BadRequest, Forbidden, PayloadTooLarge, Unauthenticated, Unprocessable, UnsupportedMediaType},
    auth::Principal,
    error::ApiResult,
    input::Fields,
    state::AppState,
    store::{non_working_day, tenant},
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_calendar).service(put_calendar);
}

const MAX_DAYS: usize = 3660;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"timeZone": "Europe/Paris", "nonWorkingDays": ["2026-12-25", "2027-01-01"]}))]
pub struct ServiceCalendarOut {
    /// The tenant's time zone, in which the dates are read.
    pub time_zone: String,
    /// Sorted `YYYY-MM-DD` dates.
    pub non_working_days: Vec<String>,
}

/// Body of `PUT /service-calendar`: replaces the list.
#[derive(Debug, ToSchema)]
#[schema(example = json!({"nonWorkingDays": ["2026-12-25", "2027-01-01"]}))]
#[allow(dead_code)]
pub struct ServiceCalendarIn {
    /// Up to 3660 distinct `YYYY-MM-DD` dates.
    #[schema(rename = "nonWorkingDays")]
    non_working_days: Vec<String>,
}

async fn read(state: &AppState, tenant_id: &str) -> ApiResult<ServiceCalendarOut> {
    let tenant = tenant::Entity::find_by_id(tenant_id.to_owned())
        .one(&state.db)
        .await?
        .ok_or(crate::error::ApiError::NotFound("tenant"))?;
    let days = non_working_day::Entity::find()
        .filter(non_working_day::Column::TenantId.eq(tenant_id.to_owned()))
        .order_by_asc(non_working_day::Column::Day)
        .all(&state.db)
        .await?;
    Ok(ServiceCalendarOut {
        time_zone: tenant.time_zone,
        non_working_days: days.into_iter().map(|d| d.day).collect(),
    })
}

/// Reads the tenant's non-working days.
#[utoipa::path(tag = "service-calendar", security(("bearer" = [])), responses(
    (status = 200, body = ServiceCalendarOut),
    Unauthenticated,
))]
#[get("/service-calendar")]
pub async fn get_calendar(state: web::Data<AppState>, principal: Principal) -> ApiResult<HttpResponse> {
    let caller = principal.tenant()?;
    Ok(HttpResponse::Ok().json(read(&state, &caller.tenant_id).await?))
}

fn check_date(s: &str) -> Option<(&'static str, String)> {
    let valid = s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok();
    (!valid).then(|| ("invalid_format", "must be a date written YYYY-MM-DD".to_owned()))
}

/// Replaces the tenant's non-working days.
#[utoipa::path(tag = "service-calendar", request_body = ServiceCalendarIn, security(("bearer" = [])), responses(
    (status = 200, body = ServiceCalendarOut),
    BadRequest,
    Unauthenticated,
    Forbidden,
    Unprocessable,
    PayloadTooLarge,
    UnsupportedMediaType,
))]
#[put("/service-calendar")]
pub async fn put_calendar(state: web::Data<AppState>, principal: Principal, body: web::Json<Value>) -> ApiResult<HttpResponse> {
    let caller = principal.tenant()?;
    caller.require_admin()?;
    let mut f = Fields::new(&body);
    let days = f.strings("nonWorkingDays", MAX_DAYS, check_date);
    // Absent or null is not an empty list: clearing the calendar takes `[]`.
    if body.get("nonWorkingDays").is_none_or(Value::is_null) {
        f.fail("/nonWorkingDays", "required", "is required");
    }
    f.finish()?;
    let txn = state.writer.begin().await?;
    // Concurrent replacements take turns on the tenant row, so none trips over the
    // other's rows and one whole list remains. SQLite has one writer anyway, and a read
    // first would make its DELETE a lock upgrade that fails instead of waiting.
    if state.db.get_database_backend() == DbBackend::Postgres {
        tenant::Entity::find_by_id(caller.tenant_id.clone())
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or(crate::error::ApiError::NotFound("tenant"))?;
    }
    non_working_day::Entity::delete_many()
        .filter(non_working_day::Column::TenantId.eq(caller.tenant_id.clone()))
        .exec(&txn)
        .await?;
    let rows: Vec<_> = days
        .unwrap_or_default()
        .into_iter()
        .map(|day| non_working_day::ActiveModel { tenant_id: Set(caller.tenant_id.clone()), day: Set(day) })
        .collect();
    for chunk in rows.chunks(500) {
        non_working_day::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
    }
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(read(&state, &caller.tenant_id).await?))
}
