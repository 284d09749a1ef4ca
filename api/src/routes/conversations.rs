//! Conversations: lists and reads for whoever sees the channel, the hand-over the router
//! drives (`queue`, `assign`, `end`: tenant administrators; `transfer`: tenant
//! administrators and agents, within the channel's call transfer interaction times and
//! `sessionTransfer`) and replies (tenant administrators and agents). A change the state
//! does not allow is 409 `conversation_state`; each change is one conditional UPDATE.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::{
    messages::{cursor_of, message_out, parse_cursor, MessageCursorDoc, MessageOut},
    pagination::{self, DEFAULT_LIMIT, MAX_LIMIT},
};
use channel_config::{ChannelSettings, TransferTarget};

use crate::{
    access::Access,
    conversations::{
        self,
        reply::{self, Answer},
        transitions::{self, Target, Transition},
        view::{conversation_out, ConversationOut, ConversationState},
    },
    error::responses::{
        BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthenticated, Unprocessable,
        UnsupportedMediaType,
    },
    error::{ApiError, ApiResult, Code, FieldError, Problem},
    id::Id,
    input::Fields,
    state::AppState,
    store::{
        self,
        conversations::{Conversation, ConversationCursor, ConversationFilter},
        Page,
    },
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_conversations)
        .service(get_conversation)
        .service(list_conversation_messages)
        .service(list_automatic_messages)
        .service(send_reply)
        .service(queue_conversation)
        .service(assign_conversation)
        .service(transfer_conversation)
        .service(end_conversation);
}

/// X's longest direct message, in characters.
const TEXT_MAX_CHARS: usize = 10_000;

/// The longest `Idempotency-Key` taken.
const IDEMPOTENCY_KEY_MAX: usize = 255;

/// 409 problem for a conversation state change.
// For the OpenAPI document only.
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
#[response(
    status = 409,
    description = "The conversation's state does not allow this (`conversation_state`), or it changed at the same moment",
    content_type = "application/problem+json"
)]
pub struct StateConflict(Problem);

/// 409 problem for a transfer.
// For the OpenAPI document only.
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
#[response(
    status = 409,
    description = "The conversation's state does not allow a transfer (`conversation_state`), or it changed at the same moment; the assigned agent has not yet sent the channel's `callTransferInteractionTimes` messages (`transfer_too_early`, `detail` says how many are left); the channel's `sessionTransfer` does not allow this target type (`transfer_target_not_allowed`, naming the allowed ones)",
    content_type = "application/problem+json"
)]
pub struct TransferConflict(Problem);

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversationList {
    pub items: Vec<ConversationOut>,
    /// Pass as `cursor` for the next page; always present, `null` on the last page.
    #[schema(value_type = Option<MessageCursorDoc>, required = true)]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversationMessageList {
    pub items: Vec<MessageOut>,
    /// Pass as `cursor` for the next page; always present, `null` on the last page.
    #[schema(value_type = Option<MessageCursorDoc>, required = true)]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConversationQuery {
    /// Only conversations of this channel.
    #[param(value_type = Option<Id>)]
    pub channel_id: Option<String>,
    #[param(value_type = Option<ConversationState>)]
    pub state: Option<String>,
    /// Only conversations in (or last in) this skill queue.
    #[param(value_type = Option<Id>)]
    pub skill_queue_id: Option<String>,
    /// Only conversations assigned to this agent.
    #[param(pattern = "^[A-Za-z0-9._@:-]{1,128}$")]
    pub agent_id: Option<String>,
    /// Items per page, 1-200 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `nextCursor` of the previous page.
    #[param(value_type = Option<MessageCursorDoc>)]
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConversationMessagesQuery {
    /// Items per page, 1-200 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `nextCursor` of the previous page.
    #[param(value_type = Option<MessageCursorDoc>)]
    pub cursor: Option<String>,
}

fn limit_of(limit: Option<&str>, errors: &mut Vec<FieldError>) -> u64 {
    match limit.map(str::parse::<u64>) {
        None => DEFAULT_LIMIT,
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => {
            errors.push(FieldError::new(
                "/query/limit",
                "out_of_range",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
            DEFAULT_LIMIT
        }
    }
}

fn cursor_param(cursor: Option<&str>, errors: &mut Vec<FieldError>) -> Option<(i64, String)> {
    let text = cursor?;
    let parsed = parse_cursor(text);
    if parsed.is_none() {
        errors.push(FieldError::new(
            "/query/cursor",
            "invalid_format",
            "must be the nextCursor of a page: digits, `_`, then an id",
        ));
    }
    parsed.map(|c| (c.sent_at_ms, c.id))
}

fn valid_agent_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._@:-".contains(&b))
}

impl ConversationQuery {
    fn filter(&self, errors: &mut Vec<FieldError>) -> (ConversationFilter, u64) {
        let limit = limit_of(self.limit.as_deref(), errors);
        let channel_id = Id::from_query("channelId", self.channel_id.as_deref(), errors);
        let skill_queue_id = Id::from_query("skillQueueId", self.skill_queue_id.as_deref(), errors);
        let state = self.state.as_deref().and_then(|s| {
            let state = ConversationState::parse(s);
            if state.is_none() {
                errors.push(FieldError::new(
                    "/query/state",
                    "invalid_value",
                    "must be robot, queued, agent or ended",
                ));
            }
            state
        });
        let agent_id = self.agent_id.clone().filter(|a| {
            let valid = valid_agent_id(a);
            if !valid {
                errors.push(FieldError::new(
                    "/query/agentId",
                    "invalid_format",
                    "must be 1-128 letters, digits, `.`, `_`, `@`, `:` or `-`",
                ));
            }
            valid
        });
        let after =
            cursor_param(self.cursor.as_deref(), errors).map(|(ms, id)| ConversationCursor {
                last_activity_at_ms: ms,
                id,
            });
        let filter = ConversationFilter {
            visible_ous: None,
            channel_id: channel_id.map(Id::into_string),
            state: state.map(|s| s.as_str().to_owned()),
            skill_queue_id: skill_queue_id.map(Id::into_string),
            agent_id,
            after,
        };
        (filter, limit)
    }
}

/// Lists the conversations the caller sees, most recent activity first.
#[utoipa::path(tag = "conversations", params(ConversationQuery), security(("bearer" = [])), responses(
    (status = 200, body = ConversationList),
    BadRequest,
    Unauthenticated,
    Forbidden,
))]
#[get("/conversations")]
pub async fn list_conversations(
    state: web::Data<AppState>,
    access: Access,
    query: web::Query<ConversationQuery>,
) -> ApiResult<HttpResponse> {
    let mut errors = Vec::new();
    let (mut filter, limit) = query.filter(&mut errors);
    pagination::checked(errors)?;
    filter.visible_ous = access
        .visible_ous()
        .map(|ous| ous.iter().cloned().collect());
    let rows =
        store::conversations::list(state.store.reader(), access.tenant_id(), filter, limit).await?;
    let page = Page { limit, after: None };
    let (rows, more) = pagination::finish(&page, rows, |c| &c.id);
    let next_cursor = more.and(
        rows.last()
            .map(|c| format!("{}_{}", c.last_activity_at_ms, c.id)),
    );
    let items = rows.iter().map(conversation_out).collect();
    Ok(HttpResponse::Ok().json(ConversationList { items, next_cursor }))
}

/// A conversation on a channel the caller sees.
#[utoipa::path(tag = "conversations", params(("id" = Id, Path)), security(("bearer" = [])), responses(
    (status = 200, body = ConversationOut),
    Unauthenticated,
    Forbidden,
    NotFound,
))]
#[get("/conversations/{id}")]
pub async fn get_conversation(
    state: web::Data<AppState>,
    access: Access,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (conversation, _) = access.conversation(state.store.reader(), &id).await?;
    Ok(HttpResponse::Ok().json(conversation_out(&conversation)))
}

/// The conversation's messages, newest first by X's time.
#[utoipa::path(tag = "conversations", params(("id" = Id, Path), ConversationMessagesQuery), security(("bearer" = [])), responses(
    (status = 200, body = ConversationMessageList),
    BadRequest,
    Unauthenticated,
    Forbidden,
    NotFound,
))]
#[get("/conversations/{id}/messages")]
pub async fn list_conversation_messages(
    state: web::Data<AppState>,
    access: Access,
    id: web::Path<String>,
    query: web::Query<ConversationMessagesQuery>,
) -> ApiResult<HttpResponse> {
    let mut errors = Vec::new();
    let limit = limit_of(query.limit.as_deref(), &mut errors);
    let after = cursor_param(query.cursor.as_deref(), &mut errors)
        .map(|(sent_at_ms, id)| store::messages::MessageCursor { sent_at_ms, id });
    pagination::checked(errors)?;
    let db = state.store.reader();
    let (conversation, _) = access.conversation(db, &id).await?;
    let rows = store::conversations::messages(db, &conversation, after, limit).await?;
    let page = Page { limit, after: None };
    let (rows, more) = pagination::finish(&page, rows, |m| &m.id);
    let next_cursor = more.and(rows.last().map(cursor_of));
    let items = rows
        .into_iter()
        .map(message_out)
        .collect::<ApiResult<_>>()?;
    Ok(HttpResponse::Ok().json(ConversationMessageList { items, next_cursor }))
}

/// A message the service decided to send on its own (a notice, a reminder), from the
/// decision until X's answer or the reason it was skipped.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutomaticMessageOut {
    #[schema(value_type = Id)]
    pub id: String,
    /// `non_working_time`, `queue_reminder`, `queue_progress`,
    /// `no_customer_reply_reminder` or `no_customer_reply_end`.
    #[schema(example = "non_working_time")]
    pub reason: String,
    #[schema(example = "We are closed now and answer from 9:00.")]
    pub text: String,
    pub status: AutomaticStatus,
    /// Why it was skipped, failed or is uncertain.
    pub detail: Option<String>,
    /// The stored message once sent (in the conversation's messages, with `automatic`).
    #[schema(value_type = Option<Id>)]
    pub message_id: Option<String>,
    /// When it was decided, by the service's clock.
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// Where an automatic message stands.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AutomaticStatus {
    /// Decided, waiting for the sender.
    Pending,
    /// X is being asked.
    Sending,
    Sent,
    /// Not sent on purpose: the send budget was down to the reserve kept for agents'
    /// replies, or the channel was not active.
    Skipped,
    /// X refused it; nothing was sent.
    Failed,
    /// X may or may not have sent it; it is not sent again.
    Uncertain,
}

pub(super) fn automatic_out(
    row: store::automatic_messages::AutomaticMessage,
) -> AutomaticMessageOut {
    use store::automatic_messages as rows;
    AutomaticMessageOut {
        status: match row.status.as_str() {
            rows::PENDING => AutomaticStatus::Pending,
            rows::SENDING => AutomaticStatus::Sending,
            rows::SENT => AutomaticStatus::Sent,
            rows::SKIPPED => AutomaticStatus::Skipped,
            rows::FAILED => AutomaticStatus::Failed,
            _ => AutomaticStatus::Uncertain,
        },
        id: row.id,
        reason: row.reason,
        text: row.text,
        detail: row.detail,
        message_id: row.message_id,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// A page of a conversation's automatic messages.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutomaticMessageList {
    pub items: Vec<AutomaticMessageOut>,
    /// The `cursor` of the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// The messages the service decided to send on its own in the conversation, in the order
/// decided: what was sent, and what was skipped and why.
#[utoipa::path(tag = "conversations", params(("id" = Id, Path), pagination::PageParams), security(("bearer" = [])), responses(
    (status = 200, body = AutomaticMessageList),
    BadRequest,
    Unauthenticated,
    Forbidden,
    NotFound,
))]
#[get("/conversations/{id}/automatic-messages")]
pub async fn list_automatic_messages(
    state: web::Data<AppState>,
    access: Access,
    id: web::Path<String>,
    query: web::Query<pagination::PageParams>,
) -> ApiResult<HttpResponse> {
    let page = query.validated()?;
    let db = state.store.reader();
    let (conversation, _) = access.conversation(db, &id).await?;
    let rows = store::automatic_messages::of_conversation(
        db,
        &conversation,
        page.after.clone(),
        page.limit,
    )
    .await?;
    let (rows, next_cursor) = pagination::finish(&page, rows, |m| &m.id);
    let items = rows.into_iter().map(automatic_out).collect();
    Ok(HttpResponse::Ok().json(AutomaticMessageList { items, next_cursor }))
}

/// Body of `POST /conversations/{id}/messages`.
// For the OpenAPI document only: the body is read field by field.
#[allow(dead_code)]
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "Hello Jordan, how can we help?"}))]
pub struct ReplyIn {
    /// 1-10,000 characters, as X allows.
    #[schema(min_length = 1, max_length = 10000)]
    text: String,
}

fn reply_text(body: &Value) -> ApiResult<String> {
    let mut f = Fields::new(body);
    let text = match f.get("text") {
        None => {
            f.fail("/text", "required", "is required");
            None
        }
        Some(Value::String(text)) if text.is_empty() => {
            f.fail("/text", "required", "must not be empty");
            None
        }
        Some(Value::String(text)) if text.chars().count() > TEXT_MAX_CHARS => {
            f.fail(
                "/text",
                "too_long",
                format!("must be at most {TEXT_MAX_CHARS} characters"),
            );
            None
        }
        Some(Value::String(text)) => Some(text.clone()),
        Some(_) => {
            f.fail("/text", "invalid_type", "must be a string");
            None
        }
    };
    f.finish()?;
    Ok(text.unwrap_or_default())
}

fn idempotency_key(req: &HttpRequest) -> ApiResult<Option<String>> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(key)
            if (1..=IDEMPOTENCY_KEY_MAX).contains(&key.len())
                && key.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            Ok(Some(key.to_owned()))
        }
        _ => Err(ApiError::new(
            Code::InvalidHeader,
            "Idempotency-Key must be 1-255 visible ASCII characters",
        )),
    }
}

/// 403 from X.
// For the OpenAPI document only.
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
#[response(
    status = 403,
    description = "The token's role may not reply (`forbidden`), or X refused the message (`x_recipient_refused`, X's reason in `detail`)",
    content_type = "application/problem+json"
)]
pub struct ReplyForbidden(Problem);

/// 409 for a reply.
// For the OpenAPI document only.
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
#[response(
    status = 409,
    description = "The conversation has ended (`conversation_state`), the channel is not active (`channel_not_active`), or a request with the same key is still sending (`reply_in_progress`)",
    content_type = "application/problem+json"
)]
pub struct ReplyConflict(Problem);

/// 401 from X or for the caller.
// For the OpenAPI document only.
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
#[response(
    status = 401,
    description = "No token, or an unknown or revoked one (`unauthenticated`); or X refused the channel's credentials (`x_credentials_refused`), and the channel is now `failed`",
    content_type = "application/problem+json"
)]
pub struct ReplyUnauthenticated(Problem);

/// 429 from X.
// For the OpenAPI document only.
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
#[response(
    status = 429,
    description = "X's rate limit is reached (`x_rate_limited`); nothing was sent",
    content_type = "application/problem+json",
    headers(("Retry-After" = u64, description = "Seconds until X allows sending again (from X's `x-rate-limit-reset`)"))
)]
pub struct ReplyRateLimited(Problem);

/// 502.
// For the OpenAPI document only.
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
#[response(
    status = 502,
    description = "X could not be reached (`x_unreachable`): the reply was certainly not sent",
    content_type = "application/problem+json"
)]
pub struct ReplyUnreachable(Problem);

/// 504.
// For the OpenAPI document only.
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
#[response(
    status = 504,
    description = "X did not answer in time or failed after receiving the reply (`x_send_uncertain`): it may or may not be sent, and the service does not send it again",
    content_type = "application/problem+json"
)]
pub struct ReplyUncertain(Problem);

/// Sends a reply to the conversation's customer through X and stores it `outbound`. With
/// an `Idempotency-Key`, a repeated request answers the first result and never sends
/// again (`Idempotent-Replayed: true`).
#[utoipa::path(tag = "conversations", request_body = ReplyIn,
    params(("id" = Id, Path), ("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "1-255 visible ASCII characters, unique per tenant: a repeated request with it answers the first result")),
    security(("bearer" = [])), responses(
    (status = 201, body = MessageOut, headers(("Idempotent-Replayed" = bool, description = "present and `true` when this is the answer of an earlier request with the same key"))),
    BadRequest,
    ReplyUnauthenticated,
    ReplyForbidden,
    NotFound,
    ReplyConflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    Unprocessable,
    ReplyRateLimited,
    ReplyUnreachable,
    ReplyUncertain,
))]
#[post("/conversations/{id}/messages")]
pub async fn send_reply(
    state: web::Data<AppState>,
    access: Access,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let (conversation, channel) = access.conversation(state.store.reader(), &id).await?;
    access.require_replier()?;
    let key = idempotency_key(&req)?;
    let text = reply_text(&body)?;
    if conversation.state == store::conversations::ENDED {
        return Err(ApiError::new(
            Code::ConversationState,
            "the conversation has ended: a reply goes to an open conversation",
        ));
    }
    if channel.status != "active" {
        return Err(ApiError::new(
            Code::ChannelNotActive,
            format!(
                "the channel is `{}`: replies are sent through an active channel",
                channel.status
            ),
        ));
    }
    let Answer {
        status,
        body,
        replayed,
    } = reply::reply(&state, &channel, &conversation, &text, key.as_deref()).await?;
    let mut response = HttpResponse::build(status);
    response.content_type(if status.is_success() {
        "application/json"
    } else {
        "application/problem+json"
    });
    if replayed {
        response.insert_header(("idempotent-replayed", "true"));
    }
    Ok(response.body(body))
}

/// Body of `POST /conversations/{id}/queue`.
// For the OpenAPI document only: the body is read field by field.
#[allow(dead_code)]
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"skillQueueId": null}))]
pub struct QueueIn {
    /// A multimedia called route of the tenant; the channel's skill queue when left out.
    #[schema(rename = "skillQueueId", value_type = Option<Id>)]
    skill_queue_id: Option<String>,
}

/// Body of `POST /conversations/{id}/assign`.
// For the OpenAPI document only: the body is read field by field.
#[allow(dead_code)]
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"agentId": "agent-0042"}))]
pub struct AssignIn {
    /// The contact center's id of the agent: 1-128 letters, digits, `.`, `_`, `@`, `:`, `-`.
    #[schema(rename = "agentId", pattern = "^[A-Za-z0-9._@:-]{1,128}$")]
    agent_id: String,
}

/// Where a transfer sends the conversation.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum TargetType {
    Agent,
    SkillQueue,
}

/// The target of a transfer.
// For the OpenAPI document only: the body is read field by field.
#[allow(dead_code)]
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetIn {
    #[schema(rename = "type")]
    target_type: TargetType,
    /// An agent id (1-128 letters, digits, `.`, `_`, `@`, `:`, `-`), or the id of a
    /// multimedia called route of the tenant.
    #[schema(pattern = "^[A-Za-z0-9._@:-]{1,128}$")]
    id: String,
}

/// Body of `POST /conversations/{id}/transfer`.
// For the OpenAPI document only: the body is read field by field.
#[allow(dead_code)]
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"target": {"type": "skillQueue", "id": "0193a1d2-7b8c-7d00-8000-000000000003"}}))]
pub struct TransferIn {
    target: TargetIn,
}

/// A skill queue given in a body: a multimedia called route of the tenant, or a violation.
async fn skill_queue(
    state: &AppState,
    access: &Access,
    pointer: &str,
    id: Option<String>,
    errors: &mut Vec<FieldError>,
) -> ApiResult<Option<String>> {
    let Some(id) = id else {
        return Ok(None);
    };
    let not_found = || FieldError::new(pointer, "not_found", "no such called route in this tenant");
    if Id::parse(&id).is_none() {
        errors.push(not_found());
        return Ok(None);
    }
    match store::called_routes::find(state.store.reader(), access.tenant_id(), &id).await {
        Ok(route) if route.media_type != "multimedia" => {
            errors.push(FieldError::new(
                pointer,
                "not_multimedia",
                "must be a multimedia called route",
            ));
            Ok(None)
        }
        Ok(_) => Ok(Some(id)),
        Err(store::StoreError::NotFound(_)) => {
            errors.push(not_found());
            Ok(None)
        }
        Err(other) => Err(other.into()),
    }
}

fn agent_field(f: &mut Fields, name: &'static str, pointer: &str) -> Option<String> {
    let agent = f.string(name, true, 128)?;
    if valid_agent_id(&agent) {
        Some(agent)
    } else {
        f.fail(
            pointer,
            "invalid_format",
            "must be 1-128 letters, digits, `.`, `_`, `@`, `:` or `-`",
        );
        None
    }
}

/// Reads the body of a state change into its transition, every bad field at once.
async fn transition_of(
    state: &AppState,
    access: &Access,
    kind: &str,
    body: &Value,
) -> ApiResult<Transition> {
    let mut f = Fields::new(body);
    let mut errors = Vec::new();
    let transition = match kind {
        "queue" => {
            let queue = f.string("skillQueueId", false, 64);
            f.finish()
                .or_else(|e| e.into_field_errors().map(|mut v| errors.append(&mut v)))?;
            let skill_queue_id =
                skill_queue(state, access, "/skillQueueId", queue, &mut errors).await?;
            Transition::Queue { skill_queue_id }
        }
        "assign" => {
            let agent_id = agent_field(&mut f, "agentId", "/agentId");
            f.finish()?;
            Transition::Assign {
                agent_id: agent_id.unwrap_or_default(),
            }
        }
        _ => {
            let target = f.get("target");
            f.finish()
                .or_else(|e| e.into_field_errors().map(|mut v| errors.append(&mut v)))?;
            let Some(target) = target else {
                return Err(ApiError::field("/target", "required", "is required"));
            };
            let mut t = Fields::new(target);
            let target_type = t.string("type", true, 16);
            let id = t.string("id", true, 128);
            let target_errors = match t.finish() {
                Ok(()) => Vec::new(),
                Err(e) => e.into_field_errors()?,
            };
            errors.extend(target_errors.into_iter().map(|e| FieldError {
                pointer: format!("/target{}", e.pointer),
                ..e
            }));
            match (target_type.as_deref(), id) {
                (Some("agent"), Some(id)) if valid_agent_id(&id) => {
                    Transition::Transfer(Target::Agent(id))
                }
                (Some("agent"), Some(_)) => {
                    errors.push(FieldError::new(
                        "/target/id",
                        "invalid_format",
                        "must be 1-128 letters, digits, `.`, `_`, `@`, `:` or `-`",
                    ));
                    Transition::End
                }
                (Some("skillQueue"), id) => {
                    let queue = skill_queue(state, access, "/target/id", id, &mut errors).await?;
                    Transition::Transfer(Target::SkillQueue(queue.unwrap_or_default()))
                }
                (Some(_), _) => {
                    errors.push(FieldError::new(
                        "/target/type",
                        "invalid_value",
                        "must be agent or skillQueue",
                    ));
                    Transition::End
                }
                (None, _) => Transition::End,
            }
        }
    };
    match errors.is_empty() {
        true => Ok(transition),
        false => Err(ApiError::validation(errors)),
    }
}

/// Whether the channel's settings, as they are now, let an agent transfer `current` to
/// `target` (the router, a tenant administrator, is not bound by them):
/// `more.sessionTransfer` says whether agents transfer at all and to which target types
/// (R-BASIC-11); an assigned conversation moves only once its agent has sent
/// `callTransferInteractionTimes` messages in it (R-BASIC-10; 0 or none: at any time).
/// The count is of the row read: it only grows while the agent keeps the conversation,
/// and a new agent changes the version the UPDATE is conditional on.
fn transfer_allowed(
    settings: &ChannelSettings,
    current: &Conversation,
    target: &Target,
) -> ApiResult<()> {
    let session = settings.more().session_transfer();
    let wanted = match target {
        Target::Agent(_) => TransferTarget::Agent,
        Target::SkillQueue(_) => TransferTarget::SkillQueue,
    };
    if !session.enabled() {
        return Err(ApiError::conflicts(vec![FieldError::new(
            "/target/type",
            Code::TransferTargetNotAllowed.name(),
            "the channel's sessionTransfer is off: its agents do not transfer conversations (the router does)",
        )]));
    }
    if !session.allowed_targets().contains(&wanted) {
        let allowed: Vec<&str> = session
            .allowed_targets()
            .iter()
            .map(|t| target_name(*t))
            .collect();
        return Err(ApiError::conflicts(vec![FieldError::new(
            "/target/type",
            Code::TransferTargetNotAllowed.name(),
            format!(
                "the channel's sessionTransfer allows transfers to {} only, not to {}",
                allowed.join(" and "),
                target_name(wanted)
            ),
        )]));
    }
    let needed = i64::from(settings.call_transfer_interaction_times().unwrap_or(0));
    if current.state == store::conversations::AGENT && current.agent_messages < needed {
        let left = needed - current.agent_messages;
        return Err(ApiError::new(
            Code::TransferTooEarly,
            format!(
                "the agent must send {left} more message{} before transferring: the channel's callTransferInteractionTimes is {needed}, and the agent has sent {} since taking the conversation",
                if left == 1 { "" } else { "s" },
                current.agent_messages
            ),
        ));
    }
    Ok(())
}

/// A target type as the API names it (`target.type`).
fn target_name(target: TransferTarget) -> &'static str {
    match target {
        TransferTarget::Agent => "agent",
        TransferTarget::SkillQueue => "skillQueue",
    }
}

/// Applies a transition: one conditional UPDATE and its event in one transaction.
async fn change(
    state: &AppState,
    access: &Access,
    id: &str,
    transition: Transition,
) -> ApiResult<Conversation> {
    let (current, channel) = access.conversation(state.store.reader(), id).await?;
    let refused = |reason: String| ApiError::new(Code::ConversationState, reason);
    let planned =
        transitions::plan(&current, &channel.skill_queue_id, &transition).map_err(refused)?;
    if let Transition::Transfer(target) = &transition {
        let settings = crate::integration::settings_of(&channel).map_err(ApiError::internal)?;
        if access.is_agent() {
            transfer_allowed(&settings, &current, target)?;
        }
    }
    let tx = state.store.write().await?;
    let clock = &state.settings.automation.clock;
    let Some(changed) = conversations::apply(&tx, clock, &current, planned).await? else {
        drop(tx);
        // Another change came first: say what the conversation is now.
        let now = store::conversations::find(state.store.reader(), access.tenant_id(), &current.id)
            .await?;
        return Err(match transitions::plan(&now, &channel.skill_queue_id, &transition) {
            Err(reason) => refused(reason),
            Ok(_) => ApiError::new(
                Code::ConversationState,
                format!(
                    "the conversation changed at the same moment (it is now `{}`); read it again and retry",
                    now.state
                ),
            ),
        });
    };
    conversations::announce(&tx, transition.event(), &changed).await?;
    tx.commit().await?;
    Ok(changed)
}

async fn changed_by(
    state: web::Data<AppState>,
    access: Access,
    id: &str,
    kind: &str,
    body: &Value,
) -> ApiResult<HttpResponse> {
    match kind {
        "transfer" => access.require_transferrer()?,
        _ => access.require_admin()?,
    }
    // Unknown ids are 404 before the body is judged.
    access.conversation(state.store.reader(), id).await?;
    let transition = transition_of(&state, &access, kind, body).await?;
    let changed = change(&state, &access, id, transition).await?;
    Ok(HttpResponse::Ok().json(conversation_out(&changed)))
}

/// Queues a `robot` conversation in a skill queue (default: the channel's).
#[utoipa::path(tag = "conversations", request_body = QueueIn, params(("id" = Id, Path)), security(("bearer" = [])), responses(
    (status = 200, body = ConversationOut),
    BadRequest, Unauthenticated, Forbidden, NotFound, StateConflict, PayloadTooLarge, UnsupportedMediaType, Unprocessable,
))]
#[post("/conversations/{id}/queue")]
pub async fn queue_conversation(
    state: web::Data<AppState>,
    access: Access,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    changed_by(state, access, &id, "queue", &body).await
}

/// Assigns a `robot` or `queued` conversation to an agent.
#[utoipa::path(tag = "conversations", request_body = AssignIn, params(("id" = Id, Path)), security(("bearer" = [])), responses(
    (status = 200, body = ConversationOut),
    BadRequest, Unauthenticated, Forbidden, NotFound, StateConflict, PayloadTooLarge, UnsupportedMediaType, Unprocessable,
))]
#[post("/conversations/{id}/assign")]
pub async fn assign_conversation(
    state: web::Data<AppState>,
    access: Access,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    changed_by(state, access, &id, "assign", &body).await
}

/// Transfers a `queued` or `agent` conversation to another agent or skill queue.
///
/// Tenant administrators and agents may transfer (an agent, the conversations of its OUs'
/// channels); tenant users may not. The channel's settings, as they are at the request,
/// limit it: with `more.sessionTransfer` on, only to its `allowedTargets` (else 409
/// `transfer_target_not_allowed`, naming them); an assigned conversation only once its
/// agent has sent `callTransferInteractionTimes` messages in it since taking it (else 409
/// `transfer_too_early`, saying how many are left; 0 or none: at any time). The service's
/// automatic messages and the customer's do not count.
#[utoipa::path(tag = "conversations", request_body = TransferIn, params(("id" = Id, Path)), security(("bearer" = [])), responses(
    (status = 200, body = ConversationOut),
    BadRequest, Unauthenticated, Forbidden, NotFound, TransferConflict, PayloadTooLarge, UnsupportedMediaType, Unprocessable,
))]
#[post("/conversations/{id}/transfer")]
pub async fn transfer_conversation(
    state: web::Data<AppState>,
    access: Access,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    changed_by(state, access, &id, "transfer", &body).await
}

/// Ends an open conversation; the customer's next message opens a new one.
#[utoipa::path(tag = "conversations", params(("id" = Id, Path)), security(("bearer" = [])), responses(
    (status = 200, body = ConversationOut),
    Unauthenticated, Forbidden, NotFound, StateConflict,
))]
#[post("/conversations/{id}/end")]
pub async fn end_conversation(
    state: web::Data<AppState>,
    access: Access,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    access.require_admin()?;
    let changed = change(&state, &access, &id, Transition::End).await?;
    Ok(HttpResponse::Ok().json(conversation_out(&changed)))
}
