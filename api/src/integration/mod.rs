//! The channel's integration with X (R-INTEG-2..4): the calls that take a submitted
//! channel to `active` or `failed`, in X's order, the webhook validity check, and the
//! cleanup at X when a channel goes. Everything here speaks to X through `x-connector`
//! and to the database through `store`; the leases that run it are in `workers`.

pub mod failure;

use channel_config::{AccountLevel, ChannelSettings, SignatureAlgorithm};
use x_connector::{
    client::DmEventsQuery, AppCredentials, BearerToken, SignatureMethod, TlsTrust, UserCredentials,
    XClient, XClientConfig, XError,
};

use crate::{
    credentials::StoredCredentials,
    state::AppState,
    store::{
        self,
        channels::Channel,
        integrations::{Outcome, PullBudget, WebhookState, XAccount},
    },
};
use failure::{failure_of, Failure, FailureCode, Step, Trust};

/// The URL X calls for a channel's webhook (`integration.webhookUrl`).
pub fn webhook_url(state: &AppState, channel_id: &str) -> String {
    format!(
        "{}{}/{channel_id}",
        state.settings.http.public_url,
        crate::routes::webhooks::SCOPE
    )
}

/// A client for X with the TLS trust of this moment: the uploaded X authentication
/// certificates, and the platform's roots where the deployment allows them (R-INTEG-4).
/// Built per piece of work, so an upload takes effect at the next call without a restart.
pub async fn client(state: &AppState) -> anyhow::Result<(XClient, Trust)> {
    client_with_timeout(state, std::time::Duration::from_secs(10)).await
}

/// [`client`] with another bound on each call (the minute pull's is shorter than an
/// interval).
pub async fn client_with_timeout(
    state: &AppState,
    timeout: std::time::Duration,
) -> anyhow::Result<(XClient, Trust)> {
    let certificates = store::certificates::list(state.store.reader()).await?;
    let trust = Trust {
        uploaded_certificates: certificates.len(),
        platform_roots: state.settings.x.allow_platform_roots,
    };
    let mut config = XClientConfig::new(state.settings.x.api_base_url.clone());
    config.timeout = timeout;
    config.tls = TlsTrust {
        pem_certificates: certificates
            .into_iter()
            .map(|c| c.pem.into_bytes())
            .collect(),
        allow_platform_roots: trust.platform_roots,
    };
    Ok((XClient::new(config)?, trust))
}

/// The channel's OAuth 1.0a signature method (R-CRED-7).
pub fn signature_method(settings: &ChannelSettings) -> SignatureMethod {
    match settings.signature_algorithm() {
        SignatureAlgorithm::Sha1 => SignatureMethod::HmacSha1,
        SignatureAlgorithm::Sha256 => SignatureMethod::HmacSha256,
    }
}

/// The channel's four credentials as the connector signs with them.
pub fn user_credentials(state: &AppState, channel: &Channel) -> anyhow::Result<UserCredentials> {
    let stored = StoredCredentials::open(&state.keyring, channel)?;
    Ok(UserCredentials::new(
        stored.api_key,
        stored.api_key_secret,
        stored.access_token,
        stored.access_token_secret,
    ))
}

pub fn settings_of(channel: &Channel) -> anyhow::Result<ChannelSettings> {
    serde_json::from_value(channel.settings.clone())
        .map_err(|e| anyhow::anyhow!("stored settings of channel {} unreadable: {e}", channel.id))
}

/// The X side of one verification, in X's order. `Err` is a failure of this service (the
/// database), worth a retry; every answer of X is an `Outcome`.
pub async fn verify(state: &AppState, channel: &Channel) -> anyhow::Result<Outcome> {
    let settings = settings_of(channel)?;
    let credentials = user_credentials(state, channel)?;
    let method = signature_method(&settings);
    let (x, trust) = match client(state).await {
        Ok(client) => client,
        Err(err) => match err.downcast::<XError>() {
            Ok(err) => {
                return Ok(failed(
                    Failure::new(FailureCode::XTlsUntrusted, err.to_string()),
                    None,
                ))
            }
            Err(other) => return Err(other),
        },
    };
    let fail = |error: &XError, step| failure_of(error, step, trust);

    // 1. The tokens, in user context with the channel's method.
    let account = match x.users_me(&credentials, method).await {
        Ok(me) => XAccount {
            id: me.value.id,
            username: me.value.username,
            name: me.value.name,
        },
        Err(error) => {
            return Ok(failed(
                refused_account(&x, &credentials, method, &error, trust).await,
                None,
            ))
        }
    };
    // R-CRED-4 across tenants, now that the caller has proven it holds all four.
    if store::integrations::api_key_held_elsewhere(
        state.store.reader(),
        &channel.tenant_id,
        &channel.api_key_fingerprint,
    )
    .await?
    {
        return Ok(failed(
            Failure::new(
                FailureCode::XAppInUse,
                "this X app (API key) already serves an active channel elsewhere, and one X project serves one channel so that no message is delivered twice; use another X project's credentials",
            ),
            Some(account),
        ));
    }
    if settings.account_level() != AccountLevel::Enterprise {
        // 2. Basic and Pro pull: X's rate-limit headers say how often they may.
        let probe = DmEventsQuery {
            max_results: Some(1),
            ..DmEventsQuery::default()
        };
        let pull = match x.dm_events(&credentials, method, &probe).await {
            Ok(page) => page.rate_limit,
            Err(XError::RateLimited { rate_limit, reset }) => {
                rate_limit.or(reset.map(|reset| x_connector::RateLimit {
                    limit: 0,
                    remaining: 0,
                    reset,
                }))
            }
            Err(error) => return Ok(failed(fail(&error, Step::Account), Some(account))),
        };
        return Ok(Outcome::Active {
            account,
            webhook: None,
            pull: pull.map(|r| PullBudget {
                limit: r.limit as i64,
                remaining: r.remaining as i64,
                reset_at: chrono::DateTime::from_timestamp(r.reset as i64, 0)
                    .unwrap_or_else(store::now),
            }),
        });
    }
    // 3. Enterprise: the app's webhook at this channel's URL, then the subscription.
    let webhook = match register_webhook(state, &x, &credentials, &channel.id).await {
        Ok(webhook) => webhook,
        Err(error) => return Ok(failed(error.into_failure(trust), Some(account))),
    };
    match x.subscribe_account(&credentials, method, &webhook.id).await {
        Ok(answer) if answer.value => {}
        Ok(_) => {
            return Ok(failed(
                Failure::new(
                    FailureCode::XSubscriptionRefused,
                    "X answered that the account is not subscribed to the webhook; submit again",
                ),
                Some(account),
            ))
        }
        Err(error) => return Ok(failed(fail(&error, Step::Subscription), Some(account))),
    }
    Ok(Outcome::Active {
        account,
        webhook: Some(webhook),
        pull: None,
    })
}

fn failed(failure: Failure, account: Option<XAccount>) -> Outcome {
    Outcome::Failed {
        code: failure.code.name(),
        message: failure.message,
        account,
    }
}

/// Why `users/me` was refused. X documents only HMAC-SHA1 for OAuth 1.0a: a refused
/// HMAC-SHA256 signature is tried once with HMAC-SHA1, and if that passes the failure is
/// the method, not the credentials (R-CRED-7).
async fn refused_account(
    x: &XClient,
    credentials: &UserCredentials,
    method: SignatureMethod,
    error: &XError,
    trust: Trust,
) -> Failure {
    if method == SignatureMethod::HmacSha256 && matches!(error, XError::Unauthorized { .. }) {
        if let Ok(me) = x.users_me(credentials, SignatureMethod::HmacSha1).await {
            return Failure::new(
                FailureCode::XSignatureMethodRefused,
                format!(
                    "X refused the HMAC-SHA256 signature but accepts the same credentials signed with HMAC-SHA1 (account @{}): choose SHA-1 as the channel's encryption algorithm, then submit again",
                    me.value.username
                ),
            );
        }
    }
    failure_of(error, Step::Account, trust)
}

/// An error of the webhook step, with the step that met it.
enum WebhookError {
    X(XError, Step),
    Failure(Failure),
}

impl WebhookError {
    fn into_failure(self, trust: Trust) -> Failure {
        match self {
            WebhookError::X(error, step) => failure_of(&error, step, trust),
            WebhookError::Failure(failure) => failure,
        }
    }
}

/// The app-only bearer token of the channel's app.
pub async fn bearer(x: &XClient, credentials: &UserCredentials) -> Result<BearerToken, XError> {
    Ok(x.app_bearer_token(&AppCredentials::from(credentials))
        .await?
        .value)
}

/// Reuses the app's webhook when X lists it at this URL (asking X to run the CRC again when
/// it shows it invalid), else registers it; X runs the CRC against us during both.
async fn register_webhook(
    state: &AppState,
    x: &XClient,
    credentials: &UserCredentials,
    channel_id: &str,
) -> Result<WebhookState, WebhookError> {
    let url = webhook_url(state, channel_id);
    let x_error = |e| WebhookError::X(e, Step::Webhook);
    let bearer = bearer(x, credentials).await.map_err(x_error)?;
    let listed = x.list_webhooks(&bearer).await.map_err(x_error)?.value;
    let webhook = match listed.into_iter().find(|w| w.url == url) {
        Some(webhook) if webhook.valid => webhook,
        Some(webhook) => {
            let valid = x
                .revalidate_webhook(&bearer, &webhook.id)
                .await
                .map_err(x_error)?
                .value;
            if !valid {
                return Err(WebhookError::Failure(Failure::new(
                    FailureCode::XWebhookRefused,
                    format!("X ran its CRC check against {url} again and it failed: check that X reaches XCHANNEL_PUBLIC_URL, then submit again"),
                )));
            }
            x_connector::client::Webhook { valid, ..webhook }
        }
        None => {
            x.create_webhook(&bearer, &url)
                .await
                .map_err(x_error)?
                .value
        }
    };
    Ok(WebhookState {
        id: webhook.id,
        valid: webhook.valid,
    })
}

/// What a channel leaves at X, to remove when it is deleted.
pub struct LeftAtX {
    pub credentials: UserCredentials,
    pub x_user_id: Option<String>,
    pub webhook_id: Option<String>,
    /// Whether another channel's integration uses the same webhook.
    pub webhook_shared: bool,
}

/// Removes a deleted channel's subscription, and its webhook when no other channel uses
/// it, at X: best effort, after the delete is committed; what could not be removed is
/// logged (without a secret) for an operator to remove by hand.
pub async fn clean_up_at_x(state: &AppState, channel_id: &str, left: LeftAtX) {
    let Some(webhook_id) = left.webhook_id else {
        return;
    };
    let outcome = async {
        let (x, _) = client(state).await?;
        let bearer = bearer(&x, &left.credentials).await?;
        if let Some(user_id) = &left.x_user_id {
            x.unsubscribe_account(&bearer, &webhook_id, user_id).await?;
        }
        if !left.webhook_shared {
            x.delete_webhook(&bearer, &webhook_id).await?;
        }
        anyhow::Ok(())
    }
    .await;
    match outcome {
        Ok(()) => tracing::info!(
            channel_id,
            webhook_id,
            "removed the deleted channel's subscription at X"
        ),
        Err(error) => tracing::warn!(
            channel_id,
            webhook_id,
            %error,
            "could not remove the deleted channel's subscription or webhook at X; remove them in X's developer portal"
        ),
    }
}
