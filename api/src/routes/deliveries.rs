//! `POST /webhooks/x/{channelId}`: X's signed Account Activity deliveries (R-INGEST-1,
//! R-INGEST-3). X's public contract, outside `/api/v1` and without a bearer token: the
//! `x-twitter-webhooks-signature` over the raw body, keyed with the channel's API key
//! secret, proves the sender. A 200 means every message of the delivery is committed.

use std::sync::Arc;

use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use x_connector::{
    webhook::{ReplayJobStatus, SIGNATURE_HEADER},
    DeliveredEvents,
};

use crate::{
    error::{ApiError, ApiResult, Problem},
    id::Id,
    ingest::counters::Outcome,
    state::AppState,
    store::{self, messages::Message, StoreError},
    webhook_keys::ChannelWebhook,
};

/// The key that verifies a channel's deliveries, or 404 for a channel that does not exist:
/// the same in-memory key as the CRC's (`webhook_keys`), so a delivery costs no channel
/// read and no decryption.
async fn delivery_key(
    state: &AppState,
    channel_id: &str,
) -> ApiResult<(String, Arc<ChannelWebhook>)> {
    let id = Id::from_path(channel_id, "channel")?;
    let key = state
        .webhook_keys
        .key(&state.store, &state.keyring, id.as_str())
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("channel"))?;
    Ok((id.as_str().to_owned(), key))
}

// For the OpenAPI document only: the delivery as X documents it.
/// An Account Activity delivery: `for_user_id` and lists of events; of them, the service
/// keeps `direct_message_events` of type `message_create` and skips the others.
#[allow(dead_code)]
#[derive(Deserialize, ToSchema)]
pub struct AccountActivityDelivery {
    /// The subscribed account (the channel's X account).
    for_user_id: String,
    #[schema(value_type = Option<Vec<Object>>)]
    direct_message_events: Option<Vec<serde_json::Value>>,
    /// Users the events mention, by id (the sender's `name` and `screen_name`).
    #[schema(value_type = Option<Object>)]
    users: Option<serde_json::Value>,
}

/// Receives a delivery from X. Refused with 401 and nothing stored: a missing, empty,
/// wrong, wrong-length or non-base64 signature, or another scheme than `sha256=`.
/// Event kinds the service does not keep (typing, read receipts, follows, tweets) are
/// acknowledged and skipped; a message delivered again is stored once. Stored whatever
/// the channel's integration status. X's `replay_job_status` delivery, the end of a
/// replay job, heals the gap of the channel's coverage that was replayed.
#[utoipa::path(tag = "webhooks", path = "/webhooks/x/{channelId}", security(()),
    params(
        ("channelId" = Id, Path, description = "the channel, as in its `integration.webhookUrl`"),
        ("x-twitter-webhooks-signature" = Option<String>, Header,
            description = "`sha256=` and the base64 HMAC-SHA256 of the raw body, keyed with the channel's API key secret"),
    ),
    request_body(content = AccountActivityDelivery, content_type = "application/json"),
    responses(
        (status = 200, description = "the delivery is committed (or held nothing to keep)"),
        (status = 400, body = Problem, content_type = "application/problem+json",
            description = "validly signed, but not JSON (`malformed_json`) or not a delivery X documents (`malformed_delivery`)"),
        (status = 401, body = Problem, content_type = "application/problem+json",
            description = "the signature is missing or wrong (`invalid_signature`)"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "no such channel"),
        (status = 413, body = Problem, content_type = "application/problem+json", description = "the body is over 1 MiB"),
        (status = 415, body = Problem, content_type = "application/problem+json", description = "the body is not application/json"),
    ))]
#[post("/{channelId}")]
pub async fn receive_delivery(
    state: web::Data<AppState>,
    req: HttpRequest,
    channel_id: web::Path<String>,
    body: web::Payload,
) -> ApiResult<HttpResponse> {
    let counters = &state.ingest.counters;
    let answer = receive(&state, &req, &channel_id, body).await;
    counters.outcome(match &answer {
        Ok(outcome) => *outcome,
        Err(e) => match e.code() {
            crate::error::Code::InvalidSignature => Outcome::SignatureRefused,
            crate::error::Code::NotFound => Outcome::UnknownChannel,
            crate::error::Code::MalformedJson
            | crate::error::Code::MalformedDelivery
            | crate::error::Code::PayloadTooLarge => Outcome::Malformed,
            _ => Outcome::Failed,
        },
    });
    answer.map(|_| HttpResponse::Ok().finish())
}

async fn receive(
    state: &AppState,
    req: &HttpRequest,
    channel_id: &str,
    body: web::Payload,
) -> ApiResult<Outcome> {
    let max = crate::startup::MAX_BODY_BYTES;
    let body = body
        .to_bytes_limited(max)
        .await
        .map_err(|_| ApiError::payload_too_large(max))?
        .map_err(ApiError::malformed_json)?;
    let (channel_id, webhook) = delivery_key(state, channel_id).await?;
    let signature = req
        .headers()
        .get(SIGNATURE_HEADER)
        .map(|v| v.to_str().unwrap_or("\u{0}"));
    webhook
        .key
        .verify(signature, &body)
        .map_err(ApiError::invalid_signature)?;
    let delivery = match DeliveredEvents::parse(&body) {
        Ok(delivery) => delivery,
        Err(e) if e.not_json() => return Err(ApiError::malformed_json(e)),
        // Not an Account Activity delivery: the end of a replay job, or not X's.
        Err(e) => match ReplayJobStatus::parse(&body) {
            Some(status) => return replay_ended(state, &channel_id, status).await,
            None => return Err(ApiError::malformed_delivery(e)),
        },
    };
    state.ingest.counters.skipped(delivery.skipped_events);
    // X sends a webhook the events of every account subscribed to it: those of another
    // account than the channel's recorded one are acknowledged and not kept.
    if webhook
        .x_account_id
        .as_ref()
        .is_some_and(|account| *account != delivery.for_user_id)
    {
        return Ok(Outcome::OtherAccount);
    }
    let messages = messages_of(&channel_id, delivery)?;
    match state.ingest.group_commit.commit(messages).await {
        // The channel was deleted while its delivery waited for the writer.
        Err(StoreError::Conflict(store::Constraint::ForeignKey)) => {
            Err(ApiError::not_found("channel"))
        }
        other => other.map(|_| Outcome::Accepted).map_err(ApiError::from),
    }
}

/// X ended a replay job of the channel's webhook, after delivering its events: the gaps
/// it was asked for are healed (or asked again when it did not complete).
async fn replay_ended(
    state: &AppState,
    channel_id: &str,
    status: ReplayJobStatus,
) -> ApiResult<Outcome> {
    tracing::info!(channel_id, job_id = %status.job_id, job_state = %status.job_state, "X ended a replay job");
    let tx = state.store.write().await?;
    crate::coverage::replay_completed(&tx, channel_id, &status.job_id, status.is_complete())
        .await?;
    tx.commit().await?;
    Ok(Outcome::Accepted)
}

/// The rows of a delivery's messages. The subscribed account is the channel's own, so
/// what it sent (X echoes it) is `outbound`.
fn messages_of(channel_id: &str, delivery: DeliveredEvents) -> ApiResult<Vec<Message>> {
    if delivery.messages.iter().any(crate::ingest::holds_nul) {
        return Err(ApiError::malformed_delivery(
            "a text of the delivery holds a NUL character",
        ));
    }
    let received_at = store::now();
    let account = delivery.for_user_id;
    Ok(delivery
        .messages
        .into_iter()
        .map(|m| crate::ingest::message_of(channel_id, &account, m, received_at))
        .collect())
}
