//! X marks a webhook invalid when a CRC fails, and then stops delivering without telling
//! anyone. So every active Enterprise channel's webhook is read at X (`GET /2/webhooks`,
//! `valid`) every check interval (15 minutes; shorter in tests), recorded as
//! `integration.webhook`, and when invalid X is asked to run the CRC again
//! (`PUT /2/webhooks/{id}`). While X holds it invalid, the channel's coverage has a
//! `webhook_invalid` gap, from the last check that found it valid until one finds it valid
//! again (`coverage::webhook_checked`). Claimed through leases (kind `webhook_check`), so of N
//! instances one checks each channel.

use std::time::Duration;

use super::{Job, JobFuture, Next};
use crate::{
    coverage, integration,
    state::AppState,
    store::{self, integrations::WebhookState, leases::Lease},
};

pub struct WebhookChecks;

impl Job for WebhookChecks {
    fn kind(&self) -> &'static str {
        store::integrations::WEBHOOK_CHECK_KIND
    }

    fn lease_for(&self) -> Duration {
        Duration::from_secs(60)
    }

    fn work<'a>(&'a self, state: &'a AppState, lease: &'a Lease) -> JobFuture<'a> {
        Box::pin(work(state, lease))
    }
}

async fn work(state: &AppState, lease: &Lease) -> anyhow::Result<Next> {
    let db = state.store.reader();
    let Some(channel) = store::channels::find_by_id(db, &lease.item).await? else {
        return Ok(Next::Done);
    };
    let integration = store::integrations::find(db, &channel.id).await?;
    // The last time X was seen to hold the webhook valid: a gap opens from there.
    let valid_until = integration
        .as_ref()
        .filter(|i| i.webhook_valid == Some(true))
        .and_then(|i| i.webhook_checked_at)
        .unwrap_or_else(store::now);
    let webhook_id = integration.and_then(|i| i.webhook_id);
    let (true, Some(webhook_id)) = (channel.status == "active", webhook_id) else {
        // No longer an active Enterprise channel: its next submit schedules a new check.
        return Ok(Next::Done);
    };
    let next = store::now() + state.settings.workers.webhook_check_interval;
    let result = match check(state, &channel, &webhook_id).await {
        Ok((result, webhook)) => {
            let tx = state.store.write().await?;
            let valid = webhook.valid;
            store::integrations::record_webhook_check(&tx, &channel.id, webhook).await?;
            coverage::webhook_checked(&tx, &channel.id, valid, valid_until).await?;
            tx.commit().await?;
            result
        }
        Err(error) => {
            tracing::warn!(channel_id = %channel.id, %error, "checking the webhook at X failed; trying again at the next check");
            "error"
        }
    };
    state.metrics.webhook_checked(result);
    Ok(Next::At(next))
}

/// X's view of the webhook, re-validated when X shows it invalid.
async fn check(
    state: &AppState,
    channel: &store::channels::Channel,
    webhook_id: &str,
) -> anyhow::Result<(&'static str, WebhookState)> {
    let credentials = integration::user_credentials(state, channel)?;
    let (x, _) = integration::client(state).await?;
    let bearer = integration::bearer(&x, &credentials).await?;
    let listed = x.list_webhooks(&bearer).await?.value;
    let url = integration::webhook_url(state, &channel.id);
    let found = listed
        .into_iter()
        .find(|w| w.id == webhook_id || w.url == url);
    let Some(webhook) = found else {
        tracing::warn!(channel_id = %channel.id, webhook_id, "X no longer lists the channel's webhook; submit the integration again");
        let gone = WebhookState {
            id: webhook_id.to_owned(),
            valid: false,
        };
        return Ok(("invalid", gone));
    };
    if webhook.valid {
        return Ok((
            "valid",
            WebhookState {
                id: webhook.id,
                valid: true,
            },
        ));
    }
    let valid = x.revalidate_webhook(&bearer, &webhook.id).await?.value;
    if !valid {
        tracing::warn!(channel_id = %channel.id, webhook_id = %webhook.id, "X marks the channel's webhook invalid and its CRC failed again");
    }
    Ok((
        if valid { "revalidated" } else { "invalid" },
        WebhookState {
            id: webhook.id,
            valid,
        },
    ))
}
