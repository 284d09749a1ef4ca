//! Queue reminders through the API (R-BASIC-7..9): the router reports a queued
//! conversation's position (`POST /conversations/{id}/queue-position`), which sends the
//! channel's progress reminder when its mode asks for one, at most once a minute; and a
//! settings page previews both reminder texts (`POST /channels/{id}/queue-reminder/preview`).

use actix_web::{post, web, HttpResponse};
use channel_config::{
    ProgressValues, QueueReminder, QueueReminderDraft, QueueReminderMode, ReminderText,
};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{
    channels::settings_of,
    conversations::{automatic_out, AutomaticMessageOut, StateConflict},
};
use crate::{
    access::Access,
    automation::notices::{self, Progress},
    error::responses::{
        BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthenticated, Unprocessable,
        UnsupportedMediaType,
    },
    error::{ApiError, ApiResult, Code, FieldError},
    id::Id,
    input::Fields,
    state::AppState,
    store::{self, conversations::QUEUED},
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(report_queue_position)
        .service(preview_queue_reminder);
}

/// The largest queue position taken.
const POSITION_MAX: u64 = 1_000_000;
/// The longest wait taken, in seconds (a week).
const WAIT_SECONDS_MAX: u64 = 604_800;
/// X's longest display name, in characters.
const NICK_NAME_MAX: usize = 50;

/// Body of `POST /conversations/{id}/queue-position`.
// For the OpenAPI document only: the body is read field by field.
#[allow(dead_code)]
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"position": 3, "waitSeconds": 180}))]
pub struct QueuePositionIn {
    /// The conversation's place in its queue, 1 for next.
    #[schema(minimum = 1, maximum = 1000000)]
    position: u64,
    /// The expected wait in seconds, 0 to 604,800 (a week); the progress reminder's
    /// `${waitTime}`.
    #[schema(rename = "waitSeconds", minimum = 0, maximum = 604800)]
    wait_seconds: u64,
}

/// Why a report decided no progress reminder.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotDecided {
    /// The channel's queue reminder mode is `off` or `queue`: no progress reminders.
    ProgressOff,
    /// A progress reminder of this conversation was decided less than a minute ago.
    Throttled,
}

/// What a queue position report decided.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"decided": true, "reason": null, "mode": "all",
    "automaticMessage": {"id": "0193a1d2-7b8c-7d00-8000-000000000009", "reason": "queue_progress",
        "text": "You are number 3", "status": "pending", "detail": null, "messageId": null,
        "createdAt": "2026-12-01T09:30:00Z", "updatedAt": "2026-12-01T09:30:00Z"},
    "nextAllowedAt": "2026-12-01T09:31:00Z", "retryAfterSeconds": null}))]
pub struct QueuePositionOut {
    /// Whether a progress reminder was decided: the service sends it right after (follow
    /// it in `automaticMessage` or `GET /conversations/{id}/automatic-messages`; the send
    /// budget's reserve or an inactive channel may still skip it, with the reason).
    pub decided: bool,
    /// Why not, when `decided` is false.
    #[schema(required = true)]
    pub reason: Option<NotDecided>,
    /// The channel's queue reminder mode, as read for this decision.
    pub mode: QueueReminderMode,
    /// The decision, when `decided`.
    #[schema(required = true)]
    pub automatic_message: Option<AutomaticMessageOut>,
    /// From when the next report may send a progress reminder (service clock); null when
    /// the mode sends none.
    #[schema(required = true)]
    pub next_allowed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When `throttled`: seconds until `nextAllowedAt`.
    #[schema(required = true)]
    pub retry_after_seconds: Option<u64>,
}

/// A whole number of `min..=max` at `name`, or `None` with a violation (required unless
/// `default` is given).
fn whole_number(
    f: &mut Fields,
    name: &'static str,
    min: u64,
    max: u64,
    default: Option<u64>,
) -> Option<u64> {
    let pointer = format!("/{name}");
    let range = format!("must be a whole number from {min} to {max}");
    let Some(value) = f.get(name) else {
        if default.is_none() {
            f.fail(&pointer, "required", "is required");
        }
        return default;
    };
    let number = match value {
        Value::Number(n) => n,
        _ => {
            f.fail(&pointer, "invalid_type", range);
            return None;
        }
    };
    let whole = match (number.as_u64(), number.as_i64(), number.as_f64()) {
        (Some(n), _, _) => Some(n),
        (None, Some(_), _) => None, // negative
        (None, None, Some(x)) if x.fract() == 0.0 && (0.0..=max as f64).contains(&x) => {
            Some(x as u64)
        }
        (None, None, Some(x)) if x.fract() == 0.0 => None,
        _ => {
            f.fail(&pointer, "invalid_type", range);
            return None;
        }
    };
    match whole {
        Some(n) if (min..=max).contains(&n) => Some(n),
        _ => {
            f.fail(&pointer, "out_of_range", range);
            None
        }
    }
}

/// Reports where a `queued` conversation stands in its queue, as the contact center's
/// router knows it. Modes `all` and `progress` send the channel's progress reminder with
/// `${userId}`, `${nickName}`, `${position}` and `${waitTime}` (the seconds given) filled
/// in, at most once a minute per conversation by the service's clock; modes `off` and
/// `queue` send none. The answer (202) says what was decided. Tenant administrators (the
/// router) only: an agent's token is 403.
#[utoipa::path(tag = "conversations", request_body = QueuePositionIn, params(("id" = Id, Path)), security(("bearer" = [])), responses(
    (status = 202, body = QueuePositionOut),
    BadRequest, Unauthenticated, Forbidden, NotFound, StateConflict, PayloadTooLarge, UnsupportedMediaType, Unprocessable,
))]
#[post("/conversations/{id}/queue-position")]
pub async fn report_queue_position(
    state: web::Data<AppState>,
    access: Access,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    access.require_admin()?;
    let (conversation, _) = access.conversation(state.store.reader(), &id).await?;
    let mut f = Fields::new(&body);
    let position = whole_number(&mut f, "position", 1, POSITION_MAX, None);
    let wait_seconds = whole_number(&mut f, "waitSeconds", 0, WAIT_SECONDS_MAX, None);
    f.finish()?;
    let (Some(position), Some(wait_seconds)) = (position, wait_seconds) else {
        unreachable!("a missing number was recorded as a violation");
    };
    let not_queued = |state: &str| {
        ApiError::new(
            Code::ConversationState,
            format!(
                "the conversation is `{state}`: queue positions are reported for `queued` conversations only"
            ),
        )
    };
    if conversation.state != QUEUED {
        return Err(not_queued(&conversation.state));
    }
    let clock = &state.settings.automation.clock;
    let tx = state.store.write().await?;
    let channel = store::channels::find(&tx, access.tenant_id(), &conversation.channel_id).await?;
    let settings = settings_of(&channel)?;
    let mode = settings.queue_reminder().mode();
    let at = |ms: i64| chrono::DateTime::from_timestamp_millis(ms);
    let decision =
        notices::report_position(&tx, clock, &conversation, &settings, position, wait_seconds)
            .await?;
    let out = match decision {
        Progress::NotQueued(now) => return Err(not_queued(&now.state)),
        Progress::Decided {
            message,
            next_at_ms,
        } => QueuePositionOut {
            decided: true,
            reason: None,
            mode,
            automatic_message: Some(automatic_out(message)),
            next_allowed_at: at(next_at_ms),
            retry_after_seconds: None,
        },
        Progress::ProgressOff(mode) => QueuePositionOut {
            decided: false,
            reason: Some(NotDecided::ProgressOff),
            mode,
            automatic_message: None,
            next_allowed_at: None,
            retry_after_seconds: None,
        },
        Progress::Throttled { next_at_ms } => {
            let wait_ms = (next_at_ms - clock.now_ms()).max(0);
            QueuePositionOut {
                decided: false,
                reason: Some(NotDecided::Throttled),
                mode,
                automatic_message: None,
                next_allowed_at: at(next_at_ms),
                retry_after_seconds: Some((wait_ms as u64).div_ceil(1000)),
            }
        }
    };
    tx.commit().await?;
    Ok(HttpResponse::Accepted().json(out))
}

/// Body of `POST /channels/{id}/queue-reminder/preview`: every member optional.
// For the OpenAPI document only: the body is read field by field.
#[allow(dead_code)]
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"nickName": "Jordan", "position": 2, "waitSeconds": 90}))]
pub struct QueueReminderPreviewIn {
    /// The customer's X user id, 1-19 digits (default `2244994945`).
    #[schema(rename = "userId", pattern = "^[0-9]{1,19}$")]
    user_id: Option<String>,
    /// The customer's display name, 1-50 characters (default `Jordan`).
    #[schema(
        rename = "nickName",
        min_length = 1,
        max_length = 50,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    nick_name: Option<String>,
    /// The queue position, 1 to 1,000,000 (default 3).
    #[schema(minimum = 1, maximum = 1000000)]
    position: Option<u64>,
    /// The expected wait in seconds, 0 to 604,800 (default 180).
    #[schema(rename = "waitSeconds", minimum = 0, maximum = 604800)]
    wait_seconds: Option<u64>,
    /// Unsaved queue reminder settings to preview instead of the channel's, checked by the
    /// channel's rules (R-BASIC-7..9); violations are reported under `/queueReminder`.
    #[schema(rename = "queueReminder")]
    queue_reminder: Option<QueueReminderDraft>,
}

/// The values a preview filled in.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PreviewValues {
    pub user_id: String,
    pub nick_name: String,
    pub position: u64,
    pub wait_seconds: u64,
}

/// What a customer would receive.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"mode": "all", "queueReminder": "Please wait.",
    "progressReminder": "You are currently in the queue, in position 3, and are expected to wait for 180 seconds",
    "values": {"userId": "2244994945", "nickName": "Jordan", "position": 3, "waitSeconds": 180}}))]
pub struct QueueReminderPreviewOut {
    /// The mode previewed (the body's `queueReminder`, else the channel's).
    pub mode: QueueReminderMode,
    /// The queue reminder sent when a conversation enters a queue; null when the mode
    /// (`progress`, `off`) sends none.
    #[schema(required = true)]
    pub queue_reminder: Option<String>,
    /// The progress reminder sent for a reported position, variables filled in; null when
    /// the mode (`queue`, `off`) sends none.
    #[schema(required = true)]
    pub progress_reminder: Option<String>,
    /// The values filled in (the body's, else the defaults).
    pub values: PreviewValues,
}

/// An optional text member as the channel's parser reads it: a string, or null.
fn optional_text(f: &mut Fields, name: &'static str) -> Option<String> {
    match f.get(name) {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            f.fail(
                &format!("/{name}"),
                "invalid_type",
                "must be a string or null",
            );
            None
        }
    }
}

/// `queueReminder` of a preview's body, by the rules of the channel's (R-BASIC-7..9), its
/// violations under `/queueReminder`.
fn unsaved_reminder(value: &Value, errors: &mut Vec<FieldError>) -> Option<QueueReminder> {
    let mut f = Fields::new(value);
    let mode = match f.get("mode") {
        None => {
            f.fail("/mode", "required", "is required");
            None
        }
        Some(Value::String(s)) => match s.as_str() {
            "all" => Some(QueueReminderMode::All),
            "queue" => Some(QueueReminderMode::Queue),
            "progress" => Some(QueueReminderMode::Progress),
            "off" => Some(QueueReminderMode::Off),
            _ => {
                f.fail(
                    "/mode",
                    "invalid_value",
                    "must be all, queue, progress or off",
                );
                None
            }
        },
        Some(_) => {
            f.fail(
                "/mode",
                "invalid_type",
                "must be all, queue, progress or off",
            );
            None
        }
    };
    let content = optional_text(&mut f, "content");
    let progress_content = optional_text(&mut f, "progressContent");
    let under = |e: FieldError| FieldError {
        pointer: format!("/queueReminder{}", e.pointer),
        ..e
    };
    let mut found = match f.finish() {
        Ok(()) => Vec::new(),
        Err(e) => e.into_field_errors().unwrap_or_default(),
    };
    let parsed = mode.and_then(|mode| {
        let draft = QueueReminderDraft {
            mode,
            content,
            progress_content,
        };
        QueueReminder::parse(Some(&draft))
            .map_err(|violations| found.extend(violations.into_iter().map(FieldError::from)))
            .ok()
    });
    errors.extend(found.into_iter().map(under));
    parsed.filter(|_| errors.is_empty())
}

/// Renders the channel's queue reminder and progress reminder (or those of unsaved
/// `queueReminder` settings in the body) for the given customer, position and wait, as a
/// settings page shows them; a text the mode does not send is null. Whoever sees the
/// channel.
#[utoipa::path(tag = "channels", request_body = QueueReminderPreviewIn, params(("id" = Id, Path)), security(("bearer" = [])), responses(
    (status = 200, body = QueueReminderPreviewOut),
    BadRequest, Unauthenticated, Forbidden, NotFound, PayloadTooLarge, UnsupportedMediaType, Unprocessable,
))]
#[post("/channels/{id}/queue-reminder/preview")]
pub async fn preview_queue_reminder(
    state: web::Data<AppState>,
    access: Access,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let channel = access.channel(state.store.reader(), &id).await?;
    let mut f = Fields::new(&body);
    let user_id = match f.string("userId", false, 19) {
        Some(id) if !id.bytes().all(|b| b.is_ascii_digit()) => {
            f.fail(
                "/userId",
                "invalid_format",
                "must be an X user id: 1-19 digits",
            );
            None
        }
        other => other,
    };
    let nick_name = f.string("nickName", false, NICK_NAME_MAX);
    let position = whole_number(&mut f, "position", 1, POSITION_MAX, Some(3));
    let wait_seconds = whole_number(&mut f, "waitSeconds", 0, WAIT_SECONDS_MAX, Some(180));
    let unsaved = f.get("queueReminder");
    let mut errors = match f.finish() {
        Ok(()) => Vec::new(),
        Err(e) => e.into_field_errors()?,
    };
    let unsaved = unsaved.and_then(|value| unsaved_reminder(value, &mut errors));
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let reminder = match unsaved {
        Some(reminder) => reminder,
        None => settings_of(&channel)?.queue_reminder().clone(),
    };
    let values = PreviewValues {
        user_id: user_id.unwrap_or_else(|| "2244994945".to_owned()),
        nick_name: nick_name.unwrap_or_else(|| "Jordan".to_owned()),
        position: position.unwrap_or(3),
        wait_seconds: wait_seconds.unwrap_or(180),
    };
    let mode = reminder.mode();
    let queue_reminder = mode
        .sends_queue_reminder()
        .then(|| {
            reminder
                .content()
                .map(ReminderText::as_str)
                .map(str::to_owned)
        })
        .flatten();
    let progress_reminder = mode.sends_progress_reminder().then(|| {
        reminder.progress_content().render(&ProgressValues {
            user_id: &values.user_id,
            nick_name: &values.nick_name,
            position: values.position,
            wait_seconds: values.wait_seconds,
        })
    });
    Ok(HttpResponse::Ok().json(QueueReminderPreviewOut {
        mode,
        queue_reminder,
        progress_reminder,
        values,
    }))
}
