//! The submitted integrations, claimed through leases (kind `integration`, one item per
//! channel): each is verified at X and ended `active` or `failed`. A lease that expires
//! (the instance died mid-work) is claimed again and the work resumed from the start,
//! which X's calls allow (the webhook is found again at its URL); after
//! [`MAX_CLAIMS`] claims without an end it fails as `integration_interrupted`, so no
//! channel stays `verifying` for ever.

use std::time::Duration;

use super::{Job, JobFuture, Next};
use crate::{
    audit::{self, Action, Event, Origin},
    integration::{self, failure::FailureCode},
    state::AppState,
    store::{
        self,
        integrations::{Outcome, SUBMIT_KIND, WEBHOOK_CHECK_KIND},
        leases::Lease,
    },
};

/// Claims of one submit before it is given up as interrupted.
pub const MAX_CLAIMS: i32 = 3;

pub struct Integrations;

impl Job for Integrations {
    fn kind(&self) -> &'static str {
        SUBMIT_KIND
    }

    /// Longer than the slowest verification: six calls to X of at most 10 s each, plus
    /// X's CRC against us during the webhook registration.
    fn lease_for(&self) -> Duration {
        Duration::from_secs(120)
    }

    /// A submit is waited for by a person: picked up within a quarter second.
    fn poll_every(&self) -> Duration {
        Duration::from_millis(250)
    }

    fn work<'a>(&'a self, state: &'a AppState, lease: &'a Lease) -> JobFuture<'a> {
        Box::pin(work(state, lease))
    }
}

async fn work(state: &AppState, lease: &Lease) -> anyhow::Result<Next> {
    let Some(channel) = store::channels::find_by_id(state.store.reader(), &lease.item).await?
    else {
        return Ok(Next::Done);
    };
    if channel.status != "verifying" {
        return Ok(Next::Done);
    }
    let outcome = if lease.attempts > MAX_CLAIMS {
        Outcome::Failed {
            code: FailureCode::IntegrationInterrupted.name(),
            message:
                "the verification was interrupted (the service stopped while it ran); submit again"
                    .to_owned(),
            account: None,
        }
    } else {
        integration::verify(state, &channel).await?
    };
    let label = match &outcome {
        Outcome::Active { .. } => "active",
        Outcome::Failed { code, .. } => code,
    };
    let event = outcome_event(&channel, &outcome);
    let watched = matches!(
        &outcome,
        Outcome::Active {
            webhook: Some(_),
            ..
        }
    );
    // Basic and Pro: no webhook, the minute pull.
    let pulled = matches!(&outcome, Outcome::Active { webhook: None, .. });
    let (status, reason) = match &outcome {
        Outcome::Active { .. } => ("active", None),
        Outcome::Failed { code, message, .. } => ("failed", Some((*code, message.clone()))),
    };
    let tx = state.store.write().await?;
    let ended =
        store::integrations::finish(&tx, &channel.id, channel.credentials_version, outcome).await?;
    if ended {
        Origin::system().record(&tx, event).await?;
    }
    if ended && watched {
        let next = store::now() + state.settings.workers.webhook_check_interval;
        store::leases::schedule(&tx, WEBHOOK_CHECK_KIND, &channel.id, next).await?;
    }
    if ended && pulled {
        store::leases::schedule(&tx, store::pull::PULL_KIND, &channel.id, store::now()).await?;
    }
    if ended && (watched || pulled) {
        crate::coverage::integration_activated(&tx, &channel.id).await?;
    }
    if ended {
        crate::events::channel_status_changed(
            &tx,
            &channel.tenant_id,
            &channel.id,
            "verifying",
            status,
            reason
                .as_ref()
                .map(|(code, message)| (*code, message.as_str())),
        )
        .await?;
    }
    tx.commit().await?;
    if !ended {
        // Edited or deleted meanwhile: verify what the channel is now, if it still waits.
        let again = store::channels::find_by_id(state.store.reader(), &channel.id).await?;
        return Ok(match again {
            Some(c) if c.status == "verifying" => Next::At(store::now()),
            _ => Next::Done,
        });
    }
    state.metrics.integration_ended(label);
    tracing::info!(channel_id = %channel.id, outcome = label, "integration ended");
    Ok(Next::Done)
}

/// The outcome of a submit as the audit trail records it: the status it ends in and, for
/// a failure, the reason's code (X's words stay in the integration's `lastError`).
fn outcome_event(channel: &store::channels::Channel, outcome: &Outcome) -> Event {
    let status = |after: &str| {
        audit::Change::value(
            "/status".to_owned(),
            &channel.status.as_str().into(),
            &after.into(),
        )
    };
    match outcome {
        Outcome::Active { .. } => {
            Event::channel(Action::IntegrationActivated, channel).changes(vec![status("active")])
        }
        Outcome::Failed { code, .. } => {
            Event::channel(Action::IntegrationFailed, channel).changes(vec![
                status("failed"),
                audit::Change::value(
                    "/integration/lastError/code".to_owned(),
                    &serde_json::Value::Null,
                    &(*code).into(),
                ),
            ])
        }
    }
}
