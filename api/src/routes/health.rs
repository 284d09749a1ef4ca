//! Liveness and readiness probes.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct HealthOut {
    #[schema(example = "ok")]
    pub status: &'static str,
}

// The probes take no token: `security(())` says so (an empty requirement).

/// The process is up.
#[utoipa::path(tag = "health", security(()), responses((status = 200, body = HealthOut)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthOut { status: "ok" })
}

/// The database answers.
#[utoipa::path(tag = "health", security(()), responses(
    (status = 200, body = HealthOut),
    (status = 503, body = HealthOut, description = "the database does not answer"),
))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    // A real table, on the readers and on the writer: both must see the migrated schema.
    match state.store.ping().await {
        Ok(_) => HttpResponse::Ok().json(HealthOut { status: "ok" }),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            HttpResponse::ServiceUnavailable().json(HealthOut {
                status: "database unavailable",
            })
        }
    }
}

/// Prometheus metrics: requests and latency per route, method and status; the build
/// (`xchannel_build_info`: version, git hash); the database pools' connections.
#[utoipa::path(tag = "health", security(()), responses((status = 200, content_type = "text/plain", body = String)))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body({
            let mut text = crate::metrics::render_build_info();
            text.push_str(&crate::metrics::render_pools(&state.store.pools()));
            text.push_str(&state.metrics.render());
            state.ingest.counters.render(&mut text);
            text
        })
}
