//! The HTTP interface, one module per resource; each registers its own routes. No route
//! speaks to the database but through `store`, nor decides visibility but through `access`.

pub mod audit;
pub mod calendar;
pub mod called_routes;
pub mod certificates;
pub mod channels;
pub mod conversations;
pub mod deliveries;
pub mod events;
pub mod exports;
pub mod health;
pub mod integration;
pub mod messages;
pub mod ous;
pub mod pagination;
pub mod reminders;
pub mod tenants;
pub mod tokens;
pub mod webhooks;
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
    integration::configure(cfg);
    work_time::configure(cfg);
    messages::configure(cfg);
    events::configure(cfg);
    conversations::configure(cfg);
    reminders::configure(cfg);
    exports::configure(cfg);
    audit::configure(cfg);
}
