//! A channel's integration with X ("token authentication", R-INTEG-1..3): where it stands,
//! and the submit that authenticates the tokens against X in the background. The same
//! view is embedded in every channel answer.

use actix_web::{get, post, web, HttpResponse};
use channel_config::{AccountLevel, ChannelSettings, IntegrationStatus};
use serde::Serialize;
use utoipa::ToSchema;

use super::channels::settings_of;
use crate::{
    access::Access,
    audit::{Action, Event, Origin},
    error::responses::{Forbidden, NotFound, Unauthenticated},
    error::{ApiError, ApiResult, Code, Problem},
    id::Id,
    integration,
    state::AppState,
    store::{self, channels::Channel, integrations::Integration},
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_integration).service(submit_integration);
}

/// The X account the channel's tokens belong to.
#[derive(Debug, Serialize, ToSchema)]
pub struct XAccountOut {
    /// X's user id.
    #[schema(example = "1000000000000000001")]
    pub id: String,
    /// The handle, without `@`.
    #[schema(example = "demo_cc")]
    pub username: String,
    #[schema(example = "Demo Contact Center")]
    pub name: String,
}

/// Why the last integration failed.
#[derive(Debug, Serialize, ToSchema)]
pub struct LastErrorOut {
    /// Stable reason: one of the integration failure codes in the README.
    #[schema(example = "x_credentials_refused")]
    pub code: String,
    /// What happened and what to do, in words; never a secret.
    pub message: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// X's view of the channel's webhook (Enterprise).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookOut {
    /// The webhook's id at X.
    pub id: String,
    /// Whether X considers it valid (its last CRC passed); X delivers nothing while not.
    pub valid: bool,
    pub checked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The `GET /2/dm_events` budget X announced (Basic and Pro pull every minute).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PullBudgetOut {
    /// Requests X allows in its window (`x-rate-limit-limit`).
    pub limit: i64,
    /// Requests left in the window (`x-rate-limit-remaining`).
    pub remaining: i64,
    /// When the window resets (`x-rate-limit-reset`).
    pub reset_at: chrono::DateTime<chrono::Utc>,
    /// When X said so.
    pub observed_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Where the channel stands with X, and what the administrator does next (R-INTEG-1).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationOut {
    pub status: IntegrationStatus,
    /// The URL X must call for webhook delivery; only for Enterprise accounts.
    pub webhook_url: Option<String>,
    /// Known once X accepted the tokens.
    pub x_account: Option<XAccountOut>,
    /// When the status is `failed`: why.
    pub last_error: Option<LastErrorOut>,
    /// Plain-English next step.
    pub next_step: String,
    pub submitted_at: Option<chrono::DateTime<chrono::Utc>>,
    pub activated_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Enterprise, once registered.
    pub webhook: Option<WebhookOut>,
    /// Basic and Pro, once X announced it.
    pub pull_budget: Option<PullBudgetOut>,
    /// What the administrator should know: a Basic channel's or a short budget's late
    /// messages, an invalid webhook.
    pub warnings: Vec<String>,
}

/// X's `GET /2/dm_events` window is 15 minutes: a pull a minute needs 15 of them.
const PULLS_PER_WINDOW: i64 = 15;

/// The integration view of a channel.
pub fn integration_out(
    state: &AppState,
    channel: &Channel,
    settings: &ChannelSettings,
    integration: Option<&Integration>,
) -> IntegrationOut {
    // A stored status this version does not know reads as draft, as it always has.
    let status = IntegrationStatus::parse(&channel.status).unwrap_or(IntegrationStatus::Draft);
    let level = settings.account_level();
    let webhook_url = level
        .receives_by_webhook()
        .then(|| integration::webhook_url(state, &channel.id));
    let x_account = integration.and_then(|i| {
        Some(XAccountOut {
            id: i.x_user_id.clone()?,
            username: i.x_username.clone()?,
            name: i.x_name.clone()?,
        })
    });
    let last_error = integration
        .filter(|_| status == IntegrationStatus::Failed)
        .and_then(|i| {
            Some(LastErrorOut {
                code: i.last_error_code.clone()?,
                message: i.last_error_message.clone()?,
                at: i.last_error_at?,
            })
        });
    let webhook = integration
        .filter(|_| level.receives_by_webhook())
        .and_then(|i| {
            Some(WebhookOut {
                id: i.webhook_id.clone()?,
                valid: i.webhook_valid.unwrap_or(false),
                checked_at: i.webhook_checked_at,
            })
        });
    let pull_budget = integration
        .filter(|_| !level.receives_by_webhook())
        .and_then(|i| {
            Some(PullBudgetOut {
                limit: i.pull_limit?,
                remaining: i.pull_remaining?,
                reset_at: i.pull_reset_at?,
                observed_at: i.pull_observed_at,
            })
        });
    let warnings = warnings(level, status, pull_budget.as_ref(), webhook.as_ref());
    let submitted_before = integration.is_some_and(|i| i.submitted_at.is_some());
    let next_step = next_step(
        state,
        &channel.id,
        level,
        status,
        submitted_before,
        webhook_url.is_some(),
    );
    IntegrationOut {
        status,
        webhook_url,
        x_account,
        last_error,
        next_step,
        submitted_at: integration.and_then(|i| i.submitted_at),
        activated_at: integration
            .filter(|_| status == IntegrationStatus::Active)
            .and_then(|i| i.activated_at),
        webhook,
        pull_budget,
        warnings,
    }
}

fn warnings(
    level: AccountLevel,
    status: IntegrationStatus,
    pull: Option<&PullBudgetOut>,
    webhook: Option<&WebhookOut>,
) -> Vec<String> {
    let mut warnings = Vec::new();
    let late = "messages will arrive late or not at all; Enterprise (webhook push) is recommended";
    match level {
        AccountLevel::Basic => warnings.push(format!(
            "X allows a Basic account about one direct-message read a day, so {late}"
        )),
        AccountLevel::Pro => {
            if let Some(pull) = pull.filter(|p| p.limit < PULLS_PER_WINDOW) {
                warnings.push(format!(
                    "X allows {} direct-message reads per window, fewer than a pull a minute needs ({PULLS_PER_WINDOW} per 15 minutes), so {late}",
                    pull.limit
                ));
            }
        }
        AccountLevel::Enterprise => {
            if let Some(webhook) =
                webhook.filter(|w| !w.valid && status == IntegrationStatus::Active)
            {
                warnings.push(format!(
                    "X marks the webhook {} invalid and delivers nothing to it; the service asks X to run its CRC again at every check. Check that X reaches the webhook URL",
                    webhook.id
                ));
            }
        }
    }
    warnings
}

fn next_step(
    state: &AppState,
    channel_id: &str,
    level: AccountLevel,
    status: IntegrationStatus,
    submitted_before: bool,
    by_webhook: bool,
) -> String {
    let submit = format!("POST /api/v1/channels/{channel_id}/integration");
    match status {
        IntegrationStatus::Draft => {
            let url_problem = by_webhook
                .then(|| state.settings.http.public_url_problem())
                .flatten();
            let submit = match submitted_before {
                true => format!("The X connection changed (credentials, account level or signature method): submit the integration again ({submit})"),
                false => format!("Authenticate the channel's tokens against X: submit the integration ({submit})"),
            };
            match url_problem {
                Some(problem) => format!("{submit}. X will likely refuse the webhook URL: {problem}; set XCHANNEL_PUBLIC_URL to the https address, without a port, where X reaches this service"),
                None => submit,
            }
        }
        IntegrationStatus::Verifying => {
            "Wait: the tokens are being authenticated against X (read this integration again in a few seconds)".to_owned()
        }
        IntegrationStatus::Active if level.receives_by_webhook() => {
            "Nothing: X pushes the account's direct messages to the webhook URL".to_owned()
        }
        IntegrationStatus::Active => {
            "Nothing: the service pulls the account's direct messages from X every minute".to_owned()
        }
        IntegrationStatus::Failed => format!(
            "Fix what lastError says, then submit the integration again ({submit})"
        ),
    }
}

/// A channel's integration view, read now.
pub async fn read(state: &AppState, channel: &Channel) -> ApiResult<IntegrationOut> {
    let settings = settings_of(channel)?;
    let integration = store::integrations::find(state.store.reader(), &channel.id).await?;
    Ok(integration_out(
        state,
        channel,
        &settings,
        integration.as_ref(),
    ))
}

/// Where the channel stands with X.
#[utoipa::path(tag = "channels", security(("bearer" = [])), params(("id" = Id, Path)), responses(
    (status = 200, body = IntegrationOut),
    Unauthenticated,
    Forbidden,
    NotFound,
))]
#[get("/channels/{id}/integration")]
pub async fn get_integration(
    state: web::Data<AppState>,
    access: Access,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let channel = access.channel(state.store.reader(), &id).await?;
    Ok(HttpResponse::Ok().json(read(&state, &channel).await?))
}

/// Submits the integration: authenticates the channel's tokens against X and, for
/// Enterprise, registers the webhook and subscribes the account. The answer comes at once
/// (`verifying`); the work runs in the background, and the channel ends `active` or
/// `failed` with X's reason. A channel already `verifying` is 409.
#[utoipa::path(tag = "channels", security(("bearer" = [])), params(("id" = Id, Path)), responses(
    (status = 202, body = IntegrationOut, description = "submitted: the channel is verifying"),
    Unauthenticated,
    Forbidden,
    NotFound,
    (status = 409, body = Problem, content_type = "application/problem+json", description = "the channel is already verifying"),
))]
#[post("/channels/{id}/integration")]
pub async fn submit_integration(
    state: web::Data<AppState>,
    access: Access,
    origin: Origin,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    access.require_admin()?;
    let channel = access.channel(state.store.reader(), &id).await?;
    let status = IntegrationStatus::parse(&channel.status).unwrap_or(IntegrationStatus::Draft);
    let refused = |why: String| ApiError::new(Code::IntegrationInProgress, why);
    status.submit().map_err(|e| refused(e.to_string()))?;
    let tx = state.store.write().await?;
    if !store::integrations::submit(&tx, &channel).await? {
        return Err(refused("the channel is already verifying".to_owned()));
    }
    origin
        .record(&tx, Event::channel(Action::IntegrationSubmitted, &channel))
        .await?;
    crate::events::channel_status_changed(
        &tx,
        &channel.tenant_id,
        &channel.id,
        &channel.status,
        "verifying",
        None,
    )
    .await?;
    tx.commit().await?;
    let channel = access.channel(state.store.reader(), &channel.id).await?;
    Ok(HttpResponse::Accepted().json(read(&state, &channel).await?))
}
