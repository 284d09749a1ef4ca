//! `GET /channels/{id}/messages`: a channel's stored messages, newest first by X's time,
//! with cursor pagination and filters (R-INGEST-4). Visible to whoever sees the channel.

use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::pagination::{self, DEFAULT_LIMIT, MAX_LIMIT};
use crate::{
    access::Access,
    error::responses::{BadRequest, Forbidden, NotFound, Unauthenticated},
    error::{ApiError, ApiResult, FieldError},
    id::Id,
    state::AppState,
    store::{
        self,
        messages::{Message, MessageCursor, MessageFilter},
    },
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_messages);
}

/// Whether the message came to the channel's account or was sent by it.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MessageDirection {
    Inbound,
    Outbound,
}

/// Who sent a message: X's user id, handle and display name (when the delivery named them).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SenderOut {
    #[schema(example = "3001969357")]
    pub id: String,
    #[schema(example = "furiouscamper")]
    pub username: Option<String>,
    #[schema(example = "Jordan Brinks")]
    pub name: Option<String>,
}

/// A medium attached to a message.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentOut {
    /// As X names it: `photo`, `video`, `animated_gif`.
    #[schema(example = "photo")]
    pub media_type: String,
    /// Where X serves it.
    #[schema(example = "https://pbs.twimg.com/dm_media/1.jpg")]
    pub url: String,
}

/// A direct message of the channel, stored once whichever path brought it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageOut {
    #[schema(value_type = Id)]
    pub id: String,
    /// X's event id (the same in webhooks, `dm_events` and replays).
    #[schema(example = "954491830116155396")]
    pub x_event_id: String,
    /// X's `dm_conversation_id`: `{smaller}-{larger}` user id for one-to-one conversations.
    #[schema(example = "3001969357-4337869213")]
    pub conversation_id: String,
    pub direction: MessageDirection,
    pub sender: SenderOut,
    pub text: String,
    pub attachments: Vec<AttachmentOut>,
    /// When X says the message was sent.
    pub sent_at: chrono::DateTime<chrono::Utc>,
    /// When the service stored it.
    pub received_at: chrono::DateTime<chrono::Utc>,
    /// Why the service sent it on its own (`non_working_time`, `queue_reminder`,
    /// `queue_progress`, `no_customer_reply_reminder`, `no_customer_reply_end`); `null`
    /// for a customer's message and for what people sent.
    #[schema(example = json!(null))]
    pub automatic: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageList {
    pub items: Vec<MessageOut>,
    /// Pass as `cursor` for the next page; always present, `null` on the last page.
    #[schema(value_type = Option<MessageCursorDoc>, required = true)]
    pub next_cursor: Option<String>,
}

// For the OpenAPI document only.
/// Where a page of messages starts: the `nextCursor` of the previous page.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(value_type = String, pattern = "^[0-9]{1,18}_[0-9a-f-]{1,36}$", example = "1733050000000_0193a1d2-7b8c-7d00-8000-000000000001")]
pub struct MessageCursorDoc(String);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MessageQuery {
    /// `inbound` or `outbound`.
    #[param(value_type = Option<MessageDirection>)]
    pub direction: Option<String>,
    /// Only messages of this conversation.
    #[param(pattern = "^[0-9A-Za-z_-]{1,128}$")]
    pub conversation_id: Option<String>,
    /// Only messages X timed at or after this instant (RFC 3339).
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub since: Option<String>,
    /// Items per page, 1-200 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `nextCursor` of the previous page.
    #[param(value_type = Option<MessageCursorDoc>)]
    pub cursor: Option<String>,
}

impl MessageQuery {
    /// The filter and page size asked for; bad parameters are added to `errors`.
    fn filter(&self, errors: &mut Vec<FieldError>) -> (MessageFilter, u64) {
        let mut bad = |name: &str, code: &str, detail: &str| {
            errors.push(FieldError::new(format!("/query/{name}"), code, detail));
        };
        let limit = match self.limit.as_deref().map(str::parse::<u64>) {
            None => DEFAULT_LIMIT,
            Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
            Some(_) => {
                bad(
                    "limit",
                    "out_of_range",
                    &format!("must be between 1 and {MAX_LIMIT}"),
                );
                DEFAULT_LIMIT
            }
        };
        let direction = self.direction.clone().filter(|d| {
            let known = d == "inbound" || d == "outbound";
            if !known {
                bad("direction", "invalid_value", "must be inbound or outbound");
            }
            known
        });
        let conversation_id = self.conversation_id.clone().filter(|c| {
            let valid = (1..=128).contains(&c.len())
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !valid {
                bad(
                    "conversationId",
                    "invalid_format",
                    "must be 1-128 letters, digits, `_` or `-`",
                );
            }
            valid
        });
        let since_ms = self.since.as_deref().and_then(|s| {
            let at = chrono::DateTime::parse_from_rfc3339(s).ok();
            if at.is_none() {
                bad("since", "invalid_format", "must be an RFC 3339 instant");
            }
            at.map(|at| at.timestamp_millis())
        });
        let after = self.cursor.as_deref().and_then(|c| {
            let cursor = parse_cursor(c);
            if cursor.is_none() {
                bad(
                    "cursor",
                    "invalid_format",
                    "must be the nextCursor of a page: digits, `_`, then an id",
                );
            }
            cursor
        });
        let filter = MessageFilter {
            direction,
            conversation_id,
            since_ms,
            after,
        };
        (filter, limit)
    }
}

/// `{sentAt in ms}_{id}`: the sort key of the last message of a page.
pub(crate) fn parse_cursor(text: &str) -> Option<MessageCursor> {
    let (ms, id) = text.split_once('_')?;
    let digits = (1..=18).contains(&ms.len()) && ms.bytes().all(|b| b.is_ascii_digit());
    let id_form = (1..=36).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || b == b'-');
    (digits && id_form).then(|| MessageCursor {
        sent_at_ms: ms.parse().unwrap_or(i64::MAX),
        id: id.to_owned(),
    })
}

pub(crate) fn cursor_of(m: &Message) -> String {
    format!("{}_{}", m.sent_at_ms, m.id)
}

/// A stored message as the API shows it (the lists, and the `message.*` events).
pub(crate) fn message_out(m: Message) -> ApiResult<MessageOut> {
    let sent_at = chrono::DateTime::from_timestamp_millis(m.sent_at_ms)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("message {} has no valid time", m.id)))?;
    let attachments = serde_json::from_value(m.attachments).map_err(|e| {
        ApiError::internal(anyhow::anyhow!(
            "stored attachments of message {} unreadable: {e}",
            m.id
        ))
    })?;
    Ok(MessageOut {
        id: m.id,
        x_event_id: m.x_event_id,
        conversation_id: m.conversation_id,
        direction: match m.direction.as_str() {
            "outbound" => MessageDirection::Outbound,
            _ => MessageDirection::Inbound,
        },
        sender: SenderOut {
            id: m.sender_id,
            username: m.sender_username,
            name: m.sender_name,
        },
        text: m.text,
        attachments,
        sent_at,
        received_at: m.received_at,
        automatic: m.automatic,
    })
}

/// Lists a channel's messages, newest first by X's time; tenant users see the messages of
/// their OUs' channels.
#[utoipa::path(tag = "messages", params(("id" = Id, Path), MessageQuery), security(("bearer" = [])), responses(
    (status = 200, body = MessageList),
    BadRequest,
    Unauthenticated,
    Forbidden,
    NotFound,
))]
#[get("/channels/{id}/messages")]
pub async fn list_messages(
    state: web::Data<AppState>,
    access: Access,
    id: web::Path<String>,
    query: web::Query<MessageQuery>,
) -> ApiResult<HttpResponse> {
    let mut errors = Vec::new();
    let (filter, limit) = query.filter(&mut errors);
    pagination::checked(errors)?;
    let channel = access.channel(state.store.reader(), &id).await?;
    let rows = store::messages::list(state.store.reader(), &channel, filter, limit).await?;
    let page = store::Page { limit, after: None };
    let (rows, more) = pagination::finish(&page, rows, |m| &m.id);
    let next_cursor = more.and(rows.last().map(cursor_of));
    let items = rows
        .into_iter()
        .map(message_out)
        .collect::<ApiResult<_>>()?;
    Ok(HttpResponse::Ok().json(MessageList { items, next_cursor }))
}
