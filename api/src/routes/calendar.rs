//! The service calendar: the tenant's non-working dates, against which a channel's
//! workday and non-workday segments apply (R-TENANT-5).

use actix_web::{get, put, web, HttpResponse};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::{
    access::Access,
    audit::{self, Action, Event, Origin, ResourceType},
    error::responses::{
        BadRequest, Forbidden, PayloadTooLarge, Unauthenticated, Unprocessable,
        UnsupportedMediaType,
    },
    error::ApiResult,
    input::Fields,
    state::AppState,
    store,
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
#[serde(deny_unknown_fields)]
#[schema(example = json!({"nonWorkingDays": ["2026-12-25", "2027-01-01"]}))]
pub struct ServiceCalendarIn {
    /// Up to 3660 distinct `YYYY-MM-DD` dates.
    #[schema(rename = "nonWorkingDays", schema_with = crate::shapes::distinct_dates)]
    non_working_days: Vec<String>,
}

impl ServiceCalendarIn {
    fn read(body: &Value) -> ApiResult<ServiceCalendarIn> {
        let mut f = Fields::new(body);
        let days = f.strings("nonWorkingDays", MAX_DAYS, check_date);
        // Absent or null is not an empty list: clearing the calendar takes `[]`.
        if body.get("nonWorkingDays").is_none_or(Value::is_null) {
            f.fail("/nonWorkingDays", "required", "is required");
        }
        f.finish()?;
        Ok(ServiceCalendarIn {
            non_working_days: days.unwrap_or_default(),
        })
    }
}

async fn read(state: &AppState, tenant_id: &str) -> ApiResult<ServiceCalendarOut> {
    let db = state.store.reader();
    let tenant = store::tenants::find(db, tenant_id).await?;
    Ok(ServiceCalendarOut {
        time_zone: tenant.time_zone,
        non_working_days: store::calendar::days(db, tenant_id).await?,
    })
}

/// Reads the tenant's non-working days.
#[utoipa::path(tag = "service-calendar", security(("bearer" = [])), responses(
    (status = 200, body = ServiceCalendarOut),
    Unauthenticated,
    Forbidden,
))]
#[get("/service-calendar")]
pub async fn get_calendar(state: web::Data<AppState>, access: Access) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(read(&state, access.tenant_id()).await?))
}

/// A date written `YYYY-MM-DD` that exists; one of that form that names no day says which
/// part is out of range (`2026-13-01`: the month).
fn check_date(s: &str) -> Option<(&'static str, String)> {
    let written = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !written {
        return Some((
            "invalid_format",
            "must be a date written YYYY-MM-DD".to_owned(),
        ));
    }
    if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() {
        return None;
    }
    let (year, month, day) = (&s[..4], &s[5..7], &s[8..]);
    let month_number: u32 = month.parse().unwrap_or(0);
    let detail = if !(1..=12).contains(&month_number) {
        format!("the month {month} is out of range (01-12)")
    } else {
        format!("the day {day} is out of range for {year}-{month}")
    };
    Some(("out_of_range", detail))
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
pub async fn put_calendar(
    state: web::Data<AppState>,
    access: Access,
    origin: Origin,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    access.require_admin()?;
    let input = ServiceCalendarIn::read(&body)?;
    let _turn = state.store.bulk_turn().await;
    let tx = state.store.write().await?;
    let tenant_id = access.tenant_id();
    // The tenant's lock first, so that the days read as "before" are the ones replaced.
    store::tenants::lock(&tx, tenant_id).await?;
    let before = store::calendar::days(&tx, tenant_id).await?;
    store::calendar::replace(&tx, tenant_id, input.non_working_days).await?;
    let after = store::calendar::days(&tx, tenant_id).await?;
    let changes = audit::diff(
        &serde_json::json!({ "nonWorkingDays": before }),
        &serde_json::json!({ "nonWorkingDays": after }),
    );
    let event = Event::new(
        Action::ServiceCalendarReplaced,
        ResourceType::ServiceCalendar,
    )
    .tenant(tenant_id)
    .resource(tenant_id, None)
    .changes(changes);
    origin.record(&tx, event).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(read(&state, access.tenant_id()).await?))
}
