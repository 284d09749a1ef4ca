//! Builds the application: database, keys, middleware, routes; binds the listener.

use std::{net::TcpListener, sync::Arc, time::Instant};

use actix_cors::Cors;
use actix_web::{
    body::MessageBody,
    dev::{Server, ServiceRequest, ServiceResponse},
    error::{JsonPayloadError, PathError, QueryPayloadError},
    http::header::{HeaderName, HeaderValue},
    middleware::{from_fn, Next},
    web, App, HttpMessage, HttpRequest, HttpResponse, HttpServer,
};
use actix_web::{http::header, middleware::Condition};
use anyhow::Context;
use tokio::sync::watch;
use tracing::Instrument;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    config::{CorsOrigins, Settings},
    credentials,
    crypto::Keyring,
    error::{ApiError, FieldError},
    events::EventHub,
    ingest::Ingest,
    metrics::Metrics,
    openapi::{ApiDoc, MethodTable},
    routes::{self, health},
    state::AppState,
    store::Store,
    token_cache::TokenCache,
    webhook_keys::WebhookKeys,
    workers::{Shutdown, Worker, WorkerContext},
};

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The running service: the HTTP server, the background workers and one shutdown signal.
/// SIGTERM (or `stop`) stops accepting connections, drains the requests in flight, then
/// tells the workers to stop and waits until each has finished the item in hand.
pub struct Application {
    port: u16,
    server: Server,
    state: Arc<AppState>,
    workers: Vec<(&'static str, Worker)>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        if let Some(problem) = settings.http.public_url_problem() {
            tracing::warn!(
                %problem,
                "set XCHANNEL_PUBLIC_URL to the https address, without a port, where X reaches this service"
            );
        }
        let store = Store::open(&settings.database).await?;
        // The database first: a key file is generated only for a database with nothing sealed.
        let keyring = Keyring::from_settings(
            settings.keys.master_key.as_ref(),
            &settings.keys.previous_master_keys,
            &settings.keys.data_dir,
            credentials::holds_sealed_credentials(&store).await?,
        )?;
        credentials::check_master_key(&store, &keyring).await?;
        let listener = TcpListener::bind(&settings.http.bind)
            .with_context(|| format!("binding {}", settings.http.bind))?;
        let port = listener.local_addr()?.port();
        let ingest = Ingest::start(store.clone(), settings.automation.clock.clone());
        let events = EventHub::start(store.clone());
        let state = Arc::new(AppState {
            ingest,
            store,
            keyring,
            settings,
            token_cache: TokenCache::default(),
            metrics: Metrics::default(),
            webhook_keys: WebhookKeys::default(),
            events,
        });
        let data = web::Data::from(state.clone());
        let cors_origins = state.settings.http.cors_allowed_origins.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .wrap(Condition::new(
                    cors_origins != CorsOrigins::None,
                    cors(&cors_origins),
                ))
                .app_data(json_config())
                .app_data(query_config())
                .app_data(path_config())
                .wrap(from_fn(json_bodies_only))
                .wrap(from_fn(head_as_get))
                .wrap(from_fn(request_span))
                .service(health::healthz)
                .service(health::readyz)
                .service(health::metrics)
                .route("/docs/", web::get().to(docs_page))
                .route("/docs/index.html", web::get().to(docs_page))
                .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", ApiDoc::openapi()))
                .service(web::redirect("/docs", "/docs/"))
                .route("/", web::get().to(|| async { web::Redirect::to("/docs/") }))
                .service(web::scope("/api/v1").configure(routes::configure_v1))
                .service(web::scope(routes::webhooks::SCOPE).configure(routes::webhooks::configure))
                .default_service(web::to(no_route))
        })
        .listen(listener)?
        .run();
        Ok(Self {
            port,
            server,
            state,
            workers: crate::workers::standard(),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The state the handlers and workers share.
    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// Stops the server gracefully, as SIGTERM does (for tests and embedders).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Adds a background worker, started by `run_until_stopped` when workers are on.
    pub fn add_worker(&mut self, name: &'static str, worker: Worker) {
        self.workers.push((name, worker));
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (stop, stopping) = watch::channel(false);
        let holder = format!("{}-{}", hostname(), uuid::Uuid::new_v4().simple());
        let mut running = Vec::new();
        if self.state.settings.workers.enabled {
            for (name, worker) in self.workers {
                let ctx = WorkerContext {
                    state: self.state.clone(),
                    holder: holder.clone(),
                    shutdown: Shutdown::new(stopping.clone()),
                };
                tracing::debug!(worker = name, "worker started");
                running.push((name, actix_web::rt::spawn(worker(ctx))));
            }
        }
        // SIGTERM or Ctrl-C: the server drains its requests, but an event stream never
        // ends by itself, so the streams are told to end first.
        let events = self.state.events.clone();
        actix_web::rt::spawn(async move {
            stopping_signal().await;
            events.close();
        });
        let served = self.server.await;
        let _ = stop.send(true);
        for (name, worker) in running {
            if let Err(err) = worker.await {
                tracing::warn!(worker = name, error = %err, "worker ended abnormally");
            }
        }
        served
    }
}

/// Resolves on the signals the HTTP server stops on.
async fn stopping_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// This host's name, to tell instances apart in leases and logs.
fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty() && h.len() <= 24)
        .unwrap_or_else(|| "xchannel".to_owned())
}

/// CORS for browser frontends on other origins: preflights cached for an hour, and the
/// headers a client needs readable (`ETag` for `If-Match`, `Location`, `Retry-After`, the
/// request id). Never credentials: the API takes a bearer header, not cookies.
fn cors(origins: &CorsOrigins) -> Cors {
    let cors = Cors::default()
        .allowed_methods(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            REQUEST_ID,
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            REQUEST_ID,
        ])
        .max_age(3600);
    match origins {
        CorsOrigins::Any => cors.allow_any_origin(),
        CorsOrigins::List(list) => list
            .iter()
            .fold(cors, |cors, origin| cors.allowed_origin(origin)),
        CorsOrigins::None => cors,
    }
}

/// Swagger UI's page, titled after the service (its own title is "Swagger UI").
async fn docs_page() -> HttpResponse {
    static PAGE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let page = PAGE.get_or_init(|| {
        let config = Arc::new(utoipa_swagger_ui::Config::new(["/openapi.json"]));
        utoipa_swagger_ui::serve("index.html", config)
            .ok()
            .flatten()
            .map(|file| {
                String::from_utf8_lossy(&file.bytes)
                    .replace("<title>Swagger UI</title>", DOCS_TITLE)
            })
            .unwrap_or_default()
    });
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page.clone())
}

const DOCS_TITLE: &str = "<title>xchannel API documentation</title>";

fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_BODY_BYTES)
        .error_handler(|err, _req| {
            match err {
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. } => {
                    ApiError::payload_too_large(MAX_BODY_BYTES)
                }
                JsonPayloadError::ContentType => ApiError::unsupported_media_type(),
                JsonPayloadError::Deserialize(e) => ApiError::malformed_json(e),
                other => ApiError::malformed_json(other),
            }
            .into()
        })
}

fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req| {
        let message = err.to_string();
        // serde names an unknown parameter between backticks: report it at its own pointer.
        let unknown = message
            .split_once("unknown field `")
            .and_then(|(_, rest)| rest.split_once('`'))
            .map(|(name, _)| name.to_owned());
        let error = match unknown {
            Some(name) => FieldError::new(
                format!("/query/{}", crate::input::escape_pointer(&name)),
                "unknown_parameter",
                "is not a parameter of this endpoint",
            ),
            None => FieldError::new("/query", "invalid_query", message),
        };
        ApiError::invalid_query(vec![error]).into()
    })
}

fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|_: PathError, _req| ApiError::not_found("resource").into())
}

async fn no_route(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    static METHODS: std::sync::OnceLock<MethodTable> = std::sync::OnceLock::new();
    match METHODS
        .get_or_init(MethodTable::from_doc)
        .allowed(req.path())
    {
        Some(allow) => Err(ApiError::method_not_allowed(allow)),
        None => Err(ApiError::not_found("endpoint")),
    }
}

/// Bodies are JSON in UTF-8 and nothing else: actix would also read `+json` types and any
/// charset as JSON, so a body sent as something else is refused here, before any handler.
/// A `PATCH` may also be a JSON merge patch (RFC 7396), `application/merge-patch+json`.
async fn json_bodies_only(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    use actix_web::http::{header::CONTENT_TYPE, Method};
    let sends_body = [Method::POST, Method::PUT, Method::PATCH].contains(req.method());
    if let (true, Some(value)) = (sends_body, req.headers().get(CONTENT_TYPE)) {
        let merge_patch =
            req.method() == Method::PATCH && is_in_utf8(value, "merge-patch", Some("json"));
        if !is_in_utf8(value, "json", None) && !merge_patch {
            return Err(ApiError::unsupported_media_type().into());
        }
    }
    next.call(req).await
}

/// `application/<subtype>[+<suffix>]`, with at most a `charset=utf-8` parameter (names and
/// values are case-insensitive).
fn is_in_utf8(value: &HeaderValue, subtype: &str, suffix: Option<&str>) -> bool {
    let Some(mime) = value
        .to_str()
        .ok()
        .and_then(|v| v.parse::<actix_web::mime::Mime>().ok())
    else {
        return false;
    };
    mime.type_() == actix_web::mime::APPLICATION
        && mime.subtype().as_str().eq_ignore_ascii_case(subtype)
        && mime
            .suffix()
            .map(|s| s.as_str().to_ascii_lowercase())
            .as_deref()
            == suffix
        && mime.params().all(|(name, value)| {
            name.as_str().eq_ignore_ascii_case("charset")
                && value.as_str().eq_ignore_ascii_case("utf-8")
        })
}

/// HEAD is answered as GET without the body (RFC 9110, 9.3.2): the request is routed as
/// GET, and the HTTP layer, which saw HEAD, sends the headers only.
async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == actix_web::http::Method::HEAD {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    next.call(req).await
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Gives every request an id (the caller's `x-request-id` when sane) and a span.
async fn request_span(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    // X's webhook calls come in floods and are counted in /metrics: logged at debug, so
    // that a burst of deliveries is not a burst of log lines (a failure still warns).
    let from_x = req.path().starts_with(routes::webhooks::SCOPE);
    let span = if from_x {
        tracing::debug_span!("request", method = %req.method(), path = %req.path(), request_id = %request_id)
    } else {
        tracing::info_span!("request", method = %req.method(), path = %req.path(), request_id = %request_id)
    };
    req.extensions_mut()
        .insert(crate::audit::RequestId(request_id.clone()));
    let started = Instant::now();
    let mut response = next.call(req).instrument(span.clone()).await?;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    let elapsed_us = elapsed.as_micros() as u64;
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    if let Some(state) = response.request().app_data::<web::Data<AppState>>() {
        state.metrics.observe(
            response.request().method().as_str(),
            &route,
            status,
            elapsed,
        );
    }
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, elapsed_us, route = %route, request_id = %request_id, "request failed");
        } else if from_x {
            tracing::debug!(status, elapsed_us, route = %route, "request");
        } else {
            tracing::info!(status, elapsed_us, route = %route, "request");
        }
    });
    Ok(response)
}
