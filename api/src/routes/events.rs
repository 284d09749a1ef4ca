//! `GET /events`: the live stream of the caller's tenant (Server-Sent Events). Each event
//! carries its id; a client that reconnects with `Last-Event-ID` (or `?lastEventId=`, for
//! browsers' `EventSource`, which cannot set headers on the first request) gets exactly
//! the events after it, from any instance. A tenant administrator (or automation token)
//! sees the whole tenant; a tenant user, the events of its OUs' channels; a system
//! administrator acts in no tenant (403, as for every tenant resource).
//!
//! A stream first reads the table after its cursor, then follows this instance's fan-out
//! (`events::EventHub`), skipping what it already sent; falling behind the fan-out, or a
//! gap in the ids (which have none otherwise), sends it back to the table. A resume point
//! older than retention (or unknown to this database) starts with a `stream.resync`
//! event: what happened in between is gone, so the client reloads what it shows.

use std::collections::{HashMap, VecDeque};

use actix_web::{get, http::header, web, web::Bytes, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::{self, error::RecvError};
use utoipa::{IntoParams, ToSchema};

use super::pagination;
use crate::{
    access::Access,
    error::responses::{BadRequest, Forbidden, NotFound, Unauthenticated},
    error::{ApiResult, FieldError},
    events::{self, Batch, Frame},
    id::Id,
    state::AppState,
    store::{self, events::EventFilter, Store, StoreError},
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(stream_events);
}

/// The `type` of the event a stream starts with when its resume point is gone.
pub const RESYNC: &str = "stream.resync";

/// Events read from the table per query.
const CATCH_UP_BATCH: u64 = 500;

// For the OpenAPI document only: what each `data:` line holds.
/// One event of the stream, the JSON of its `data:` line; its `id:` line is `id`, its
/// `event:` line is `type`.
#[allow(dead_code)]
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventOut {
    /// Increasing in commit order; resume after it with `Last-Event-ID`.
    #[schema(example = 42)]
    pub id: i64,
    /// `message.received`, `message.sent`, `conversation.opened`, `conversation.queued`,
    /// `conversation.assigned`, `conversation.transferred`, `conversation.ended`,
    /// `channel.status_changed`; `stream.resync` when the resume point is gone.
    #[serde(rename = "type")]
    #[schema(example = "message.received")]
    pub kind: String,
    #[schema(value_type = Option<Id>)]
    pub channel_id: Option<String>,
    /// When the event was written.
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    /// The resource as the API shows it: a message for `message.*` (as
    /// `GET /channels/{id}/messages` lists it), a conversation for `conversation.*`,
    /// `{channelId, status, previousStatus, error?}` for `channel.status_changed`.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

// For the OpenAPI document only: one block of the stream, as an SSE parser reads it.
/// One event of the stream: `id:`, `event:` and `data:` lines (the stream also sends a
/// `retry:` line first and `: heartbeat` comments).
#[allow(dead_code)]
#[derive(Serialize, ToSchema)]
pub struct StreamEvent {
    /// The event id, digits: send it back as `Last-Event-ID` to resume after it.
    #[schema(pattern = "^[0-9]{1,18}$", example = "42")]
    pub id: Option<String>,
    /// The event's `type`.
    #[schema(example = "message.received")]
    pub event: Option<String>,
    /// The JSON of an `EventOut`.
    #[schema(content_media_type = "application/json")]
    pub data: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventQuery {
    /// Only events of this channel.
    #[param(value_type = Option<Id>)]
    pub channel_id: Option<String>,
    /// Only events of these types, comma-separated (e.g. `message.received,conversation.queued`).
    #[serde(rename = "type")]
    #[param(rename = "type", value_type = Option<String>, pattern = "^(message\\.received|message\\.sent|conversation\\.opened|conversation\\.queued|conversation\\.assigned|conversation\\.transferred|conversation\\.ended|channel\\.status_changed)(,(message\\.received|message\\.sent|conversation\\.opened|conversation\\.queued|conversation\\.assigned|conversation\\.transferred|conversation\\.ended|channel\\.status_changed)){0,7}$", example = "message.received")]
    pub kind: Option<String>,
    /// Resume after this event id, for clients that cannot send `Last-Event-ID`
    /// (the header wins when both are sent).
    #[param(value_type = Option<String>, pattern = "^[0-9]{1,18}$", example = "42")]
    pub last_event_id: Option<String>,
}

/// An event id as a client sends it back: digits only.
fn parse_event_id(text: &str) -> Option<i64> {
    let text = text.trim();
    let digits = (1..=18).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| text.parse().ok()).flatten()
}

impl EventQuery {
    fn kinds(&self, errors: &mut Vec<FieldError>) -> Vec<String> {
        let Some(list) = self.kind.as_deref() else {
            return Vec::new();
        };
        let kinds: Vec<String> = list.split(',').map(str::to_owned).collect();
        let known = kinds.len() <= events::KINDS.len()
            && kinds.iter().all(|k| events::KINDS.contains(&k.as_str()));
        if !known {
            errors.push(FieldError::new(
                "/query/type",
                "invalid_value",
                format!(
                    "must be one or more of {}, comma-separated",
                    events::KINDS.join(", ")
                ),
            ));
        }
        kinds
    }
}

/// Streams the tenant's events as Server-Sent Events (`text/event-stream`), each with its
/// `id`; resumes after `Last-Event-ID`. Without one the stream starts with the events
/// written after it opened. A comment line (`: heartbeat`) comes every few seconds, so
/// idle connections stay open; `retry:` advises the reconnection delay.
#[utoipa::path(
    tag = "events",
    params(
        EventQuery,
        ("Last-Event-ID" = Option<String>, Header, nullable = false, pattern = "^[0-9]{0,18}$", description = "The `id` of the last event received: the stream resumes right after it (empty: as if not sent)"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, content_type = "text/event-stream", body = StreamEvent,
            description = "An endless stream: `retry:`, then for each event `id:`, `event:` (its type) and `data:` (the JSON of `EventOut`) lines, and `: heartbeat` comments"),
        BadRequest,
        Unauthenticated,
        Forbidden,
        NotFound,
    )
)]
#[get("/events")]
pub async fn stream_events(
    state: web::Data<AppState>,
    access: Access,
    query: web::Query<EventQuery>,
    request: HttpRequest,
) -> ApiResult<HttpResponse> {
    let mut errors = Vec::new();
    let channel_id = Id::from_query("channelId", query.channel_id.as_deref(), &mut errors);
    let kinds = query.kinds(&mut errors);
    // An empty header is no resume point (EventSource sends none before the first id).
    let header = request
        .headers()
        .get("last-event-id")
        .filter(|v| !v.as_bytes().iter().all(u8::is_ascii_whitespace))
        .map(|v| v.to_str().ok().and_then(parse_event_id));
    let resume = match (header, query.last_event_id.as_deref()) {
        (Some(Some(id)), _) => Some(id),
        (Some(None), _) => {
            errors.push(FieldError::new(
                "/header/last-event-id",
                "invalid_format",
                "must be the id of an event: digits",
            ));
            None
        }
        (None, Some(text)) => {
            let id = parse_event_id(text);
            if id.is_none() {
                errors.push(FieldError::new(
                    "/query/lastEventId",
                    "invalid_format",
                    "must be the id of an event: digits",
                ));
            }
            id
        }
        (None, None) => None,
    };
    pagination::checked(errors)?;
    let db = state.store.reader();
    if let Some(id) = &channel_id {
        access.channel(db, id.as_str()).await?;
    }
    // Subscribed before the counter is read: whatever commits after that read reaches
    // the fan-out after this subscription, so nothing falls between the two.
    let live = state.events.subscribe();
    let committed = store::events::last_id(db).await?;
    let pruned = store::events::pruned_through(db).await?;
    let settings = &state.settings.events;
    let mut out = VecDeque::new();
    out.push_back(Bytes::from(format!(
        "retry: {}\n\n",
        settings.retry.as_millis()
    )));
    let cursor = match resume {
        None => committed,
        Some(after) if after < pruned || after > committed => {
            let from = if after < pruned { pruned } else { committed };
            out.push_back(resync_frame(after, from));
            from
        }
        Some(after) => after,
    };
    let stream = EventStream {
        store: state.store.clone(),
        filter: EventFilter {
            channel_id: channel_id.map(Id::into_string),
            kinds,
        },
        access,
        visible: HashMap::new(),
        live,
        cursor,
        catching_up: resume.is_some(),
        heartbeat: tokio::time::interval_at(
            tokio::time::Instant::now() + settings.heartbeat,
            settings.heartbeat,
        ),
        ends_at: tokio::time::Instant::now() + settings.stream_for,
        closing: state.events.closing(),
        ended: false,
        out,
    };
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // Proxies that buffer responses (nginx) would hold events back.
        .insert_header(("x-accel-buffering", "no"))
        .streaming(futures_util::stream::unfold(stream, |mut s| async move {
            let chunk = s.next_chunk().await?;
            Some((Ok::<_, actix_web::Error>(chunk), s))
        })))
}

fn resync_frame(asked: i64, from: i64) -> Bytes {
    let data = serde_json::json!({
        "id": from,
        "type": RESYNC,
        "channelId": null,
        "occurredAt": chrono::Utc::now(),
        "data": {
            "lastEventId": asked.to_string(),
            "resumesAfter": from.to_string(),
            "reason": "the events after lastEventId are no longer kept (retention) or were never written here; reload what you show, the stream continues after resumesAfter",
        },
    });
    Bytes::from(format!("id: {from}\nevent: {RESYNC}\ndata: {data}\n\n"))
}

/// One connection's stream.
struct EventStream {
    store: Store,
    access: Access,
    filter: EventFilter,
    /// Whether the caller sees a channel's events, by channel id (tenant users only).
    visible: HashMap<String, bool>,
    live: broadcast::Receiver<Batch>,
    /// Every event up to this id has been sent or passed over.
    cursor: i64,
    /// Reading the table rather than the fan-out.
    catching_up: bool,
    heartbeat: tokio::time::Interval,
    /// When this stream ends (its client resumes with `Last-Event-ID`).
    ends_at: tokio::time::Instant,
    /// True once the service is stopping.
    closing: tokio::sync::watch::Receiver<bool>,
    ended: bool,
    out: VecDeque<Bytes>,
}

impl EventStream {
    /// The next bytes to send; `None` ends the stream (the client reconnects and resumes):
    /// at `ends_at`, when the service stops, or on a database error.
    async fn next_chunk(&mut self) -> Option<Bytes> {
        loop {
            if let Some(chunk) = self.out.pop_front() {
                return Some(chunk);
            }
            if self.ended || *self.closing.borrow() || tokio::time::Instant::now() >= self.ends_at {
                return None;
            }
            let step = match self.catching_up {
                true => self.catch_up().await,
                false => self.follow().await,
            };
            if let Err(error) = step {
                tracing::warn!(%error, "an event stream ended on a database error; the client resumes");
                return None;
            }
        }
    }

    /// One batch from the table after the cursor.
    async fn catch_up(&mut self) -> Result<(), StoreError> {
        let db = self.store.reader();
        // Every id up to `committed` is committed, and visible to the read that follows.
        let committed = store::events::last_id(db).await?;
        let rows = store::events::of_tenant(
            db,
            self.access.tenant_id(),
            self.cursor,
            &self.filter,
            CATCH_UP_BATCH,
        )
        .await?;
        let full = rows.len() as u64 == CATCH_UP_BATCH;
        for event in rows {
            self.cursor = event.id;
            if self.sees(&event.channel_id).await? {
                self.out.push_back(Frame::of(event).bytes);
            }
        }
        if !full {
            self.cursor = self.cursor.max(committed);
            self.catching_up = false;
        }
        Ok(())
    }

    /// The next event of the fan-out, or a heartbeat.
    async fn follow(&mut self) -> Result<(), StoreError> {
        tokio::select! {
            received = self.live.recv() => match received {
                Ok(batch) => {
                    for frame in batch.iter() {
                        if frame.id <= self.cursor {
                            continue;
                        }
                        if frame.id > self.cursor + 1 {
                            self.catching_up = true;
                            break;
                        }
                        self.cursor = frame.id;
                        if self.wants(frame).await? {
                            self.out.push_back(frame.bytes.clone());
                        }
                    }
                }
                Err(RecvError::Lagged(_)) => self.catching_up = true,
                Err(RecvError::Closed) => self.ended = true,
            },
            _ = self.heartbeat.tick() => self.out.push_back(Bytes::from_static(b": heartbeat\n\n")),
            _ = tokio::time::sleep_until(self.ends_at) => self.ended = true,
            _ = self.closing.changed() => self.ended = true,
        }
        Ok(())
    }

    async fn wants(&mut self, frame: &Frame) -> Result<bool, StoreError> {
        let filter = &self.filter;
        if frame.tenant_id != self.access.tenant_id()
            || filter
                .channel_id
                .as_ref()
                .is_some_and(|c| frame.channel_id.as_ref() != Some(c))
            || (!filter.kinds.is_empty() && !filter.kinds.contains(&frame.kind))
        {
            return Ok(false);
        }
        self.sees(&frame.channel_id).await
    }

    /// Whether the caller sees events of `channel_id` (events of no channel: only callers
    /// who see the whole tenant).
    async fn sees(&mut self, channel_id: &Option<String>) -> Result<bool, StoreError> {
        if self.access.visible_ous().is_none() {
            return Ok(true);
        }
        let Some(channel_id) = channel_id else {
            return Ok(false);
        };
        if let Some(&seen) = self.visible.get(channel_id) {
            return Ok(seen);
        }
        let seen =
            match store::channels::find(self.store.reader(), self.access.tenant_id(), channel_id)
                .await
            {
                Ok(channel) => self.access.sees_ou(&channel.ou_id),
                Err(StoreError::NotFound(_)) => false,
                Err(other) => return Err(other),
            };
        self.visible.insert(channel_id.clone(), seen);
        Ok(seen)
    }
}
