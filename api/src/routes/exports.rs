//! Export tasks (R-EXPORT): ask for an encrypted archive of channel settings, follow the
//! task, download the archive from any instance, delete it. The archive is written by the
//! export worker (`workers/exports.rs`); tasks and archives expire after
//! `XCHANNEL_EXPORT_TTL_HOURS`.

use std::collections::HashSet;

use actix_web::{delete, get, http::header, post, web, HttpResponse};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::pagination::{self, Cursor, PageParams};
use crate::{
    access::Access,
    audit::{Action, Event, Origin, ResourceType},
    auth::Role,
    error::responses::{
        BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthenticated, Unprocessable,
        UnsupportedMediaType,
    },
    error::{ApiError, ApiResult, Code, FieldError, Problem},
    export::{Format, MAX_RECORDS},
    id::Id,
    input::Fields,
    state::AppState,
    store::{
        self,
        exports::{ExportTask, NewExport},
    },
};

/// The lease kind of export tasks.
pub const LEASE_KIND: &str = "export";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_export)
        .service(list_exports)
        .service(get_export)
        .service(download_export)
        .service(delete_export);
}

/// Where a task is.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportStatus {
    Pending,
    Running,
    Success,
    Failed,
}

/// The file format inside the archive.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

/// An export task: never the password.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportOut {
    #[schema(value_type = Id)]
    pub id: String,
    pub status: ExportStatus,
    pub format: ExportFormat,
    /// Records written so far.
    pub progress: i64,
    /// Channels the task covers (once it succeeded: the records in the archive).
    pub channel_count: i64,
    /// Files in the archive (`channels-0001.csv`, ...), of at most 2,000 records each.
    pub file_count: i32,
    /// Size of the archive once the task succeeded.
    pub archive_bytes: i64,
    /// Why the task failed.
    pub error: Option<String>,
    /// The id of the token that asked for the export.
    #[schema(value_type = Id)]
    pub requested_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When the task and its archive are deleted.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportList {
    pub items: Vec<ExportOut>,
    #[schema(value_type = Option<Cursor>)]
    pub next_cursor: Option<String>,
}

// For the OpenAPI document only.
/// The archive: a ZIP whose entries are AES-256 encrypted (WinZip AE-2).
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Archive(Vec<u8>);

/// Body of `POST /exports`.
#[allow(dead_code)]
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"compressionPassword": "Export-2026", "format": "csv"}))]
pub struct ExportIn {
    /// The channels to export; absent or null: every channel of the tenant (that the caller sees).
    #[schema(rename = "channelIds", schema_with = channel_ids_schema)]
    channel_ids: Option<Vec<String>>,
    /// The password of the archive: 8 to 128 characters with at least three of lower-case
    /// letters, upper-case letters, digits and other characters. Never stored in plain
    /// text, never shown.
    #[schema(
        rename = "compressionPassword",
        min_length = 8,
        max_length = 128,
        pattern = r"^[^\x00-\x1F\x7F]*$"
    )]
    compression_password: String,
    /// `csv` (default) or `xlsx`.
    #[schema(value_type = Option<ExportFormat>)]
    format: Option<String>,
}

/// Up to 100,000 distinct channel ids, or null.
fn channel_ids_schema() -> utoipa::openapi::ArrayBuilder {
    crate::shapes::distinct_ids().max_items(Some(MAX_RECORDS as usize))
}

fn export_out(task: ExportTask) -> ExportOut {
    let status = match task.status.as_str() {
        store::exports::RUNNING => ExportStatus::Running,
        store::exports::SUCCESS => ExportStatus::Success,
        store::exports::FAILED => ExportStatus::Failed,
        _ => ExportStatus::Pending,
    };
    let format = match Format::parse(&task.format) {
        Some(Format::Xlsx) => ExportFormat::Xlsx,
        _ => ExportFormat::Csv,
    };
    ExportOut {
        id: task.id,
        status,
        format,
        progress: task.progress,
        channel_count: task.channel_count,
        file_count: task.file_count,
        archive_bytes: task.archive_bytes,
        error: task.error,
        requested_by: task.requested_by,
        created_at: task.created_at,
        finished_at: task.finished_at,
        expires_at: task.expires_at,
    }
}

/// Why a compression password is refused, if it is (the rule of the spec).
pub fn password_problem(password: &str) -> Option<&'static str> {
    let length = password.chars().count();
    if length < 8 {
        return Some("must be at least 8 characters");
    }
    if length > 128 {
        return Some("must be at most 128 characters");
    }
    if password.chars().any(char::is_control) {
        return Some("must not contain control characters");
    }
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password
            .chars()
            .any(|c| !c.is_lowercase() && !c.is_uppercase() && !c.is_ascii_digit()),
    ];
    if classes.iter().filter(|&&c| c).count() < 3 {
        return Some(
            "must have at least three of: lower-case letters, upper-case letters, digits, other characters",
        );
    }
    None
}

struct Request {
    channel_ids: Option<Vec<String>>,
    password: String,
    format: Format,
}

fn read(body: &Value) -> ApiResult<Request> {
    let mut f = Fields::new(body);
    let channel_ids = f.strings("channelIds", MAX_RECORDS as usize, |s| {
        Id::parse(s)
            .is_none()
            .then(|| ("not_found", "no such channel in this tenant".to_owned()))
    });
    let password = match f.get("compressionPassword") {
        None => {
            f.fail("/compressionPassword", "required", "is required");
            None
        }
        Some(Value::String(p)) => match password_problem(p) {
            Some(why) => {
                f.fail("/compressionPassword", "weak_password", why);
                None
            }
            None => Some(p.clone()),
        },
        Some(_) => {
            f.fail("/compressionPassword", "invalid_type", "must be a string");
            None
        }
    };
    let format = match f.get("format") {
        None => Some(Format::Csv),
        Some(Value::String(s)) => Format::parse(s),
        Some(_) => None,
    };
    if format.is_none() {
        f.fail("/format", "invalid_value", "must be csv or xlsx");
    }
    f.finish()?;
    Ok(Request {
        // Normalized (`Id::parse`), so that each names the stored id.
        channel_ids: channel_ids.map(|ids| {
            ids.iter()
                .filter_map(|s| Id::parse(s).map(Id::into_string))
                .collect()
        }),
        password: password.unwrap_or_default(),
        format: format.unwrap_or(Format::Csv),
    })
}

/// The channel ids that are not channels the caller sees, by their place in the request.
async fn unknown_channels(
    state: &AppState,
    access: &Access,
    ids: &[String],
) -> ApiResult<Vec<FieldError>> {
    let found =
        store::exports::existing_channels(state.store.reader(), access.tenant_id(), ids).await?;
    let visible: HashSet<&str> = found
        .iter()
        .filter(|(_, ou)| access.sees_ou(ou))
        .map(|(id, _)| id.as_str())
        .collect();
    Ok(ids
        .iter()
        .enumerate()
        .filter(|(_, id)| !visible.contains(id.as_str()))
        .map(|(i, _)| {
            FieldError::new(
                format!("/channelIds/{i}"),
                "not_found",
                "no such channel in this tenant",
            )
        })
        .collect())
}

/// Asks for an archive of channel settings; the task runs in the background.
#[utoipa::path(tag = "exports", request_body = ExportIn, security(("bearer" = [])), responses(
    (status = 202, body = ExportOut, headers(("Location" = String, description = "the task"))),
    BadRequest,
    Unauthenticated,
    Forbidden,
    PayloadTooLarge,
    Unprocessable,
    UnsupportedMediaType,
))]
#[post("/exports")]
pub async fn create_export(
    state: web::Data<AppState>,
    access: Access,
    origin: Origin,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let request = read(&body)?;
    let count = match &request.channel_ids {
        Some(ids) => {
            let errors = unknown_channels(&state, &access, ids).await?;
            if !errors.is_empty() {
                return Err(ApiError::validation(errors));
            }
            ids.len() as u64
        }
        None => {
            store::exports::count_channels(
                state.store.reader(),
                access.tenant_id(),
                access.visible_ous(),
            )
            .await?
        }
    };
    if count > MAX_RECORDS {
        return Err(ApiError::field(
            "/channelIds",
            "too_many_records",
            format!("the export covers {count} channels; a task takes at most {MAX_RECORDS}"),
        ));
    }
    let id = store::new_id();
    let sealed_password = state
        .keyring
        .encrypt(request.password.as_bytes(), &password_context(&id))
        .map_err(ApiError::internal)?;
    let mut channel_ids = request.channel_ids;
    if let Some(ids) = channel_ids.as_mut() {
        ids.sort_unstable();
    }
    let new = NewExport {
        id: id.clone(),
        tenant_id: access.tenant_id().to_owned(),
        requested_by: access.principal().token_id.clone(),
        format: request.format.as_str().to_owned(),
        channel_ids,
        ou_ids: access
            .visible_ous()
            .map(|ous| ous.iter().cloned().collect()),
        sealed_password,
        channel_count: count as i64,
        expires_at: store::now() + state.settings.exports.ttl,
    };
    let tx = state.store.write().await?;
    let task = store::exports::insert(&tx, new).await?;
    store::leases::schedule(&tx, LEASE_KIND, &id, store::now()).await?;
    origin
        .record(&tx, export_event(Action::ExportCreated, &task))
        .await?;
    tx.commit().await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/exports/{id}")))
        .json(export_out(task)))
}

/// What the compression password of task `id` is sealed with.
pub fn password_context(id: &str) -> String {
    format!("export:{id}:password")
}

/// Tenant users see only the tasks they asked for: an archive holds whatever its
/// requester saw.
fn requested_by_filter(access: &Access) -> Option<&str> {
    match access.principal().role {
        Role::TenantUser | Role::Agent => Some(access.principal().token_id.as_str()),
        _ => None,
    }
}

async fn visible_task(state: &AppState, access: &Access, id: &str) -> ApiResult<ExportTask> {
    let id = Id::from_path(id, "export")?;
    let task = store::exports::find(state.store.reader(), access.tenant_id(), id.as_str()).await?;
    match requested_by_filter(access) {
        Some(token) if token != task.requested_by => Err(ApiError::not_found("export")),
        _ => Ok(task),
    }
}

/// Lists export tasks, newest first.
#[utoipa::path(tag = "exports", params(PageParams), security(("bearer" = [])), responses(
    (status = 200, body = ExportList),
    BadRequest,
    Unauthenticated,
    Forbidden,
))]
#[get("/exports")]
pub async fn list_exports(
    state: web::Data<AppState>,
    access: Access,
    query: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let page = query.validated()?;
    let rows = store::exports::list(
        state.store.reader(),
        access.tenant_id(),
        requested_by_filter(&access),
        &page,
    )
    .await?;
    let (rows, next_cursor) = pagination::finish(&page, rows, |t| &t.id);
    Ok(HttpResponse::Ok().json(ExportList {
        items: rows.into_iter().map(export_out).collect(),
        next_cursor,
    }))
}

/// Reads an export task: its status and progress.
#[utoipa::path(tag = "exports", params(("id" = Id, Path)), security(("bearer" = [])), responses(
    (status = 200, body = ExportOut),
    Unauthenticated,
    Forbidden,
    NotFound,
))]
#[get("/exports/{id}")]
pub async fn get_export(
    state: web::Data<AppState>,
    access: Access,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let task = visible_task(&state, &access, &id).await?;
    Ok(HttpResponse::Ok().json(export_out(task)))
}

/// Downloads the archive of a successful task, from any instance: an encrypted ZIP.
#[utoipa::path(tag = "exports", params(("id" = Id, Path)), security(("bearer" = [])), responses(
    (status = 200, content_type = "application/zip", body = Archive, description = "the archive; entries AES-256 encrypted (WinZip AE-2) with the compression password",
        headers(("Content-Disposition" = String, description = "attachment; filename=..."), ("Content-Length" = u64))),
    Unauthenticated,
    Forbidden,
    NotFound,
    (status = 409, body = Problem, content_type = "application/problem+json", description = "the task has not succeeded (yet)"),
))]
#[get("/exports/{id}/archive")]
pub async fn download_export(
    state: web::Data<AppState>,
    access: Access,
    origin: Origin,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let task = visible_task(&state, &access, &id).await?;
    if task.status != store::exports::SUCCESS {
        return Err(ApiError::new(
            Code::ExportNotReady,
            format!(
                "the export is {}; only a successful one has an archive",
                task.status
            ),
        ));
    }
    // Recorded before the first byte leaves: a download the trail does not know of
    // cannot happen.
    let tx = state.store.write().await?;
    origin
        .record(&tx, export_event(Action::ExportDownloaded, &task))
        .await?;
    tx.commit().await?;
    let name = format!("xchannel-export-{}.zip", task.id);
    let store = state.store.clone();
    let task_id = task.id.clone();
    // One chunk at a time from the database: the whole archive is never in memory.
    let chunks = futures_util::stream::unfold(0i32, move |seq| {
        let store = store.clone();
        let task_id = task_id.clone();
        async move {
            match store::exports::chunk(store.reader(), &task_id, seq).await {
                Ok(Some(data)) => Some((Ok(web::Bytes::from(data)), seq + 1)),
                Ok(None) => None,
                Err(err) => {
                    tracing::warn!(export = %task_id, error = %err, "reading an archive chunk failed");
                    Some((Err(std::io::Error::other("archive unreadable")), i32::MAX))
                }
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .no_chunking(task.archive_bytes as u64)
        .streaming(chunks))
}

/// Deletes an export task and its archive.
#[utoipa::path(tag = "exports", params(("id" = Id, Path)), security(("bearer" = [])), responses(
    (status = 204, description = "deleted"),
    Unauthenticated,
    Forbidden,
    NotFound,
))]
#[delete("/exports/{id}")]
pub async fn delete_export(
    state: web::Data<AppState>,
    access: Access,
    origin: Origin,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let task = visible_task(&state, &access, &id).await?;
    let tx = state.store.write().await?;
    store::exports::delete(&tx, access.tenant_id(), &task.id).await?;
    origin
        .record(&tx, export_event(Action::ExportDeleted, &task))
        .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An export's event: its tenant and id; never its compression password.
pub fn export_event(action: Action, task: &ExportTask) -> Event {
    Event::new(action, ResourceType::Export)
        .tenant(&task.tenant_id)
        .resource(&task.id, None)
}
