//! The HTTP interface, one module per resource; each registers its own routes.

pub mod called_routes;
pub mod certificates;
pub mod calendar;
pub mod channels;
pub mod health;
pub mod ous;
pub mod pagination;
pub mod tenants;
pub mod tokens;
pub mod work_time;

use actix_web::web;

/// Everything under `/api/v1`.
pub fn configure_v1(cfg: &mut web::ServiceConfig) {
    tenants::configure(cfg);
    certificates::configure(cfg);
    tokens::configure(cfg);
    ous::configure(cfg);
    called_routes::configure(cfg);
    calendar::configure(cfg);
    channels::configure(cfg);
    work_time::configure(cfg);
}

/// Parses an id from the path; anything that is not one of ours cannot exist.
pub fn checked_id(id: &str, what: &'static str) -> Result<String, crate::error::ApiError> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.to_string())
        .map_err(|_| crate::error::ApiError::NotFound(what))
}
