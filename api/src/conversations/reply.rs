//! Replies: a direct message to the conversation's customer through X, in user context
//! with the channel's signature method, stored `outbound` with the event id X returns, so
//! X's echo (webhook or pull) is recognised and not stored twice.
//!
//! X has no idempotency key, so a reply is sent again only when X certainly did not
//! receive it (no connection could be opened). Any other failure after the request left is
//! reported as uncertain (`x_send_uncertain`) rather than risking a second message. Under
//! an `Idempotency-Key` the first answer is kept in the database: a repeated request
//! answers it and never sends again.

use std::time::Duration;

use actix_web::http::StatusCode;
use x_connector::XError;

use crate::{
    error::{ApiError, ApiResult, Code},
    events,
    integration::{
        self,
        failure::{failure_of, Step, Trust},
    },
    routes::messages::{message_out, MessageOut},
    state::AppState,
    store::{
        self, channels::Channel, conversations::Conversation, messages::Message,
        replies::ReplyRequest,
    },
};

/// How often a send is tried when no connection to X could be opened.
const CONNECT_ATTEMPTS: u32 = 3;

/// A request still `sending` after this long died before X's answer was recorded: its
/// reply may or may not have been sent.
const SENDING_GIVEN_UP: Duration = Duration::from_secs(120);

/// What the caller is answered: status and JSON body (a problem document unless 201).
pub struct Answer {
    pub status: StatusCode,
    pub body: String,
    /// Whether this is the recorded answer of an earlier request with the same key.
    pub replayed: bool,
}

impl Answer {
    fn of_error(error: &ApiError) -> Answer {
        Answer {
            status: error.code().status(),
            body: serde_json::to_string(&error.problem()).unwrap_or_default(),
            replayed: false,
        }
    }
}

/// How a send to X ended.
pub(crate) enum Sent {
    Yes(x_connector::client::SentMessage),
    /// X certainly did not send it.
    No(ApiError),
    /// X may have sent it.
    Maybe(ApiError),
}

/// Sends `text` to the customer of `conversation` and stores it; under `key`, once.
pub async fn reply(
    state: &AppState,
    channel: &Channel,
    conversation: &Conversation,
    text: &str,
    key: Option<&str>,
) -> ApiResult<Answer> {
    let Some(key) = key else {
        return match send(state, channel, conversation, text).await? {
            Sent::Yes(sent) => stored(state, channel, conversation, text, sent, None).await,
            Sent::No(error) | Sent::Maybe(error) => Err(error),
        };
    };
    let text_sha256 = crate::crypto::sha256_hex(text);
    let tx = state.store.write().await?;
    let held = store::replies::claim(
        &tx,
        &conversation.tenant_id,
        key,
        &conversation.id,
        &text_sha256,
    )
    .await?;
    tx.commit().await?;
    if let Some(held) = held {
        return earlier(&held, &conversation.id, &text_sha256);
    }
    match send(state, channel, conversation, text).await {
        Ok(Sent::Yes(sent)) => stored(state, channel, conversation, text, sent, Some(key)).await,
        Ok(Sent::Maybe(error)) => {
            let answer = Answer::of_error(&error);
            let tx = state.store.write().await?;
            store::replies::answered(
                &tx,
                &conversation.tenant_id,
                key,
                answer.status.as_u16(),
                &answer.body,
            )
            .await?;
            tx.commit().await?;
            Err(error)
        }
        Ok(Sent::No(error)) => {
            release(state, &conversation.tenant_id, key).await?;
            Err(error)
        }
        Err(error) => {
            release(state, &conversation.tenant_id, key).await?;
            Err(error)
        }
    }
}

/// The answer to a request whose key is already held.
fn earlier(held: &ReplyRequest, conversation_id: &str, text_sha256: &str) -> ApiResult<Answer> {
    if !held.is_for(conversation_id, text_sha256) {
        return Err(ApiError::new(
            Code::IdempotencyKeyReused,
            "this Idempotency-Key was used for another reply (another conversation or text); use a new key",
        ));
    }
    if let Some((status, body)) = held.answer() {
        return Ok(Answer {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED),
            body: body.to_owned(),
            replayed: true,
        });
    }
    let age = (store::now() - held.created_at)
        .to_std()
        .unwrap_or_default();
    if age > SENDING_GIVEN_UP {
        return Err(ApiError::new(
            Code::XSendUncertain,
            "the first request with this Idempotency-Key ended before X's answer was recorded: the reply may or may not be sent; read the conversation's messages before sending anew",
        ));
    }
    Err(ApiError::new(
        Code::ReplyInProgress,
        "a request with this Idempotency-Key is still sending; ask again in a moment",
    ))
}

async fn release(state: &AppState, tenant_id: &str, key: &str) -> ApiResult<()> {
    let tx = state.store.write().await?;
    store::replies::release(&tx, tenant_id, key).await?;
    tx.commit().await?;
    Ok(())
}

/// Calls X, again only while no connection could be opened; X's rate-limit headers go
/// to the channel's send budget.
pub(crate) async fn send(
    state: &AppState,
    channel: &Channel,
    conversation: &Conversation,
    text: &str,
) -> ApiResult<Sent> {
    let settings = integration::settings_of(channel).map_err(ApiError::internal)?;
    let method = integration::signature_method(&settings);
    let credentials = integration::user_credentials(state, channel).map_err(ApiError::internal)?;
    let (x, trust) = match integration::client(state).await {
        Ok(client) => client,
        Err(err) => match err.downcast::<XError>() {
            Ok(err) => return Ok(Sent::No(unreachable(&err))),
            Err(other) => return Err(ApiError::internal(other)),
        },
    };
    let mut attempt = 1;
    loop {
        match x
            .send_direct_message(&credentials, method, &conversation.customer_id, text)
            .await
        {
            Ok(answer) => {
                crate::automation::budget::record(state, &channel.id, answer.rate_limit).await;
                return Ok(Sent::Yes(answer.value));
            }
            Err(error) if error.never_reached_x() && attempt < CONNECT_ATTEMPTS => {
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                attempt += 1;
            }
            Err(error) => {
                crate::automation::budget::record(state, &channel.id, error.rate_limit()).await;
                return refused(state, channel, error, trust).await;
            }
        }
    }
}

fn unreachable(error: &XError) -> ApiError {
    ApiError::new(
        Code::XUnreachable,
        format!("{error}; the reply was not sent, send it again"),
    )
}

/// What X's refusal means for the caller (and, for refused credentials, the channel).
async fn refused(
    state: &AppState,
    channel: &Channel,
    error: XError,
    trust: Trust,
) -> ApiResult<Sent> {
    let not_sent = |code: Code, detail: String| Ok(Sent::No(ApiError::new(code, detail)));
    match &error {
        XError::Unauthorized { .. } => {
            let failure = failure_of(&error, Step::Account, trust);
            let tx = state.store.write().await?;
            let code = failure.code.name();
            let ended = store::integrations::fail_active(
                &tx,
                &channel.id,
                channel.credentials_version,
                code,
                failure.message.clone(),
            )
            .await?;
            if ended {
                events::channel_status_changed(
                    &tx,
                    &channel.tenant_id,
                    &channel.id,
                    "active",
                    "failed",
                    Some((code, &failure.message)),
                )
                .await?;
            }
            tx.commit().await?;
            not_sent(
                Code::XCredentialsRefused,
                format!("{error}; the channel is now `failed`: fix its credentials and submit it again"),
            )
        }
        XError::RateLimited { reset, .. } => {
            let now = chrono::Utc::now().timestamp().max(0) as u64;
            // X's window is 15 minutes when it does not say when it ends.
            let wait = reset.map_or(900, |reset| reset.saturating_sub(now).max(1));
            Ok(Sent::No(
                ApiError::new(
                    Code::XRateLimited,
                    format!("{error}; nothing was sent, send it again after {wait} seconds"),
                )
                .retry_after(wait),
            ))
        }
        XError::Api { status, .. } if *status < 500 => not_sent(
            Code::XRecipientRefused,
            format!("{error}; nothing was sent"),
        ),
        XError::UnsupportedAuthentication { .. } | XError::InvalidRequest(_) => not_sent(
            Code::XRecipientRefused,
            format!("{error}; nothing was sent"),
        ),
        XError::NotConnected(_) => Ok(Sent::No(unreachable(&error))),
        XError::Api { .. }
        | XError::Timeout(_)
        | XError::MalformedBody { .. }
        | XError::Transport(_) => Ok(Sent::Maybe(ApiError::new(
            Code::XSendUncertain,
            format!("{error}: X may or may not have sent the reply, so the service does not send it again; read the conversation's messages before sending anew"),
        ))),
    }
}

/// Stores the sent reply (unless X's echo came first; storing writes `message.sent`) and,
/// under a key, the answer: all in one transaction.
async fn stored(
    state: &AppState,
    channel: &Channel,
    conversation: &Conversation,
    text: &str,
    sent: x_connector::client::SentMessage,
    key: Option<&str>,
) -> ApiResult<Answer> {
    let tx = state.store.write().await?;
    let message = store_sent(&tx, state, channel, conversation, text, sent, None).await?;
    let out: MessageOut = message_out(message)?;
    let body = serde_json::to_value(&out)
        .map_err(ApiError::internal)?
        .to_string();
    if let Some(key) = key {
        store::replies::answered(&tx, &conversation.tenant_id, key, 201, &body).await?;
    }
    tx.commit().await?;
    Ok(Answer {
        status: StatusCode::CREATED,
        body,
        replayed: false,
    })
}

/// Stores a message X accepted (`automatic`: why the service sent it on its own) within
/// `tx`, through the one path of new messages; the row X's echo stored, when it came first.
pub(crate) async fn store_sent(
    tx: &sea_orm::DatabaseTransaction,
    state: &AppState,
    channel: &Channel,
    conversation: &Conversation,
    text: &str,
    sent: x_connector::client::SentMessage,
    automatic: Option<&str>,
) -> ApiResult<Message> {
    let account = store::integrations::find(tx, &channel.id).await?;
    let at = store::now();
    let message = Message {
        id: store::new_id(),
        channel_id: channel.id.clone(),
        x_event_id: sent.dm_event_id.clone(),
        conversation_id: sent.dm_conversation_id,
        direction: "outbound".to_owned(),
        sender_id: account
            .as_ref()
            .and_then(|a| a.x_user_id.clone())
            .unwrap_or_default(),
        sender_username: account.as_ref().and_then(|a| a.x_username.clone()),
        sender_name: account.as_ref().and_then(|a| a.x_name.clone()),
        recipient_id: Some(conversation.customer_id.clone()),
        text: text.to_owned(),
        attachments: serde_json::json!([]),
        sent_at_ms: at.timestamp_millis(),
        received_at: at,
        automatic: automatic.map(str::to_owned),
    };
    let clock = &state.settings.automation.clock;
    let new = crate::ingest::store_messages(tx, clock, vec![message]).await?;
    let message = match new.into_iter().next() {
        Some(message) => message,
        // X's echo was stored first, by a webhook delivery or the pull: it learns why
        // the service sent it.
        None => {
            let mut echo = store::messages::find_by_event(tx, &channel.id, &sent.dm_event_id)
                .await?
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("sent message not stored")))?;
            if let Some(reason) = automatic.filter(|_| echo.automatic.is_none()) {
                store::messages::mark_automatic(tx, &echo.id, reason).await?;
                // The echo was counted as the agent's message (R-BASIC-10); it is not.
                store::conversations::uncount_agent_message(tx, conversation).await?;
                echo.automatic = Some(reason.to_owned());
            }
            echo
        }
    };
    // Sent after its conversation ended (an end text): it is still that conversation's.
    store::conversations::link_sent(tx, &message, &conversation.id).await?;
    Ok(message)
}
