//! Background work beside the HTTP server. Every worker runs until the shutdown signal,
//! finishing the item in hand before it stops; work is claimed through
//! `store::leases`, so several instances on one database share it and never do one item
//! twice, and an instance that dies leaves its items to be claimed again.

pub mod automatic_messages;
pub mod conversation_timers;
pub mod coverage;
pub mod exports;
pub mod heartbeat;
pub mod integration;
pub mod pull;
pub mod retention;
pub mod webhook_check;

use std::{future::Future, pin::Pin, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use retention::Retention;
use tokio::sync::watch;

use crate::{
    state::AppState,
    store::{self, leases::Lease},
};

/// Tells a worker that the service is stopping.
#[derive(Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    pub fn new(receiver: watch::Receiver<bool>) -> Self {
        Self(receiver)
    }

    pub fn is_stopping(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once the service is stopping.
    pub async fn stopped(&mut self) {
        // An error means the sender is gone, which is a stop as well.
        let _ = self.0.wait_for(|stopping| *stopping).await;
    }
}

/// What a worker is started with.
pub struct WorkerContext {
    pub state: Arc<AppState>,
    /// This instance's name in the leases it holds.
    pub holder: String,
    pub shutdown: Shutdown,
}

pub type WorkerFuture = Pin<Box<dyn Future<Output = ()>>>;

/// A worker: started once per instance, returns when told to stop.
pub type Worker = Box<dyn FnOnce(WorkerContext) -> WorkerFuture>;

/// Boxes a job's future.
pub type JobFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<Next>> + 'a>>;

/// What comes after an item's work.
pub enum Next {
    /// Nothing: the item is done.
    Done,
    /// Again at this time (recurring work such as a pull).
    At(DateTime<Utc>),
    /// The job finished or rescheduled the item itself (`store::leases::finish`), in the
    /// transaction of its work, so the work and the lease's end commit together.
    Settled,
}

/// Work claimed item by item through a lease of one kind.
pub trait Job: 'static {
    /// The lease kind, e.g. `pull`.
    fn kind(&self) -> &'static str;

    /// How long an item is held before another instance may take it.
    fn lease_for(&self) -> Duration {
        Duration::from_secs(60)
    }

    /// How long to wait when nothing is due.
    fn poll_every(&self) -> Duration {
        Duration::from_secs(1)
    }

    /// Whether items are due by the service's clock (`settings.automation.clock`, which
    /// tests move) rather than by real time: work the channel's settings time.
    fn on_service_clock(&self) -> bool {
        false
    }

    fn work<'a>(&'a self, state: &'a AppState, lease: &'a Lease) -> JobFuture<'a>;
}

/// The service's own workers, which every instance runs (unless workers are off).
pub fn standard() -> Vec<(&'static str, Worker)> {
    fn leased(job: impl Job) -> Worker {
        Box::new(move |ctx| -> WorkerFuture { Box::pin(run_leased(job, ctx)) })
    }
    fn retained(table: Retention) -> (&'static str, Worker) {
        (table.kind(), table.worker())
    }
    vec![
        ("integration", leased(integration::Integrations)),
        ("webhook_check", leased(webhook_check::WebhookChecks)),
        ("exports", leased(exports::ExportJob)),
        ("pull", pull::worker()),
        ("heartbeat", heartbeat::worker()),
        ("coverage", leased(coverage::Healing)),
        retained(Retention::Events),
        retained(Retention::Audit),
        retained(Retention::Replies),
        (
            "automatic_messages",
            leased(automatic_messages::AutomaticMessages),
        ),
        (
            "conversation_timers",
            leased(conversation_timers::ConversationTimers),
        ),
    ]
}

/// Items claimed per round.
const BATCH: u32 = 16;

/// Runs `job` until the shutdown signal: claims due items, works each to its end (a stop
/// never interrupts an item), then finishes, reschedules or releases it.
pub async fn run_leased(job: impl Job, mut ctx: WorkerContext) {
    let kind = job.kind();
    while !ctx.shutdown.is_stopping() {
        let claimed = match claim(&ctx, &job).await {
            Ok(claimed) => claimed,
            Err(err) => {
                tracing::warn!(kind, error = %err, "claiming work failed");
                Vec::new()
            }
        };
        let full = claimed.len() as u32 == BATCH;
        for lease in claimed {
            let outcome = job.work(&ctx.state, &lease).await;
            if let Err(err) = settle(&ctx.state, &lease, outcome).await {
                tracing::warn!(kind, item = %lease.item, error = %err, "recording the outcome of work failed");
            }
        }
        if !full {
            tokio::select! {
                _ = ctx.shutdown.stopped() => {}
                _ = tokio::time::sleep(job.poll_every()) => {}
            }
        }
    }
}

async fn claim(ctx: &WorkerContext, job: &impl Job) -> store::StoreResult<Vec<Lease>> {
    let tx = ctx.state.store.write().await?;
    let now = match job.on_service_clock() {
        true => ctx.state.settings.automation.clock.now(),
        false => store::now(),
    };
    let claimed =
        store::leases::claim_due_at(&tx, job.kind(), &ctx.holder, job.lease_for(), BATCH, now)
            .await?;
    tx.commit().await?;
    Ok(claimed)
}

pub(crate) async fn settle(
    state: &AppState,
    lease: &Lease,
    outcome: anyhow::Result<Next>,
) -> store::StoreResult<()> {
    if matches!(outcome, Ok(Next::Settled)) {
        return Ok(());
    }
    let tx = state.store.write().await?;
    match outcome {
        Ok(Next::Settled) => {}
        Ok(Next::Done) => store::leases::finish(&tx, lease, None).await?,
        Ok(Next::At(at)) => store::leases::finish(&tx, lease, Some(at)).await?,
        Err(err) => {
            tracing::warn!(kind = %lease.kind, item = %lease.item, attempts = lease.attempts, error = %err, "work failed; retrying later");
            store::leases::release(&tx, lease, store::now() + retry_delay(lease.attempts)).await?
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Exponential back-off from 5 s, capped at 10 minutes.
fn retry_delay(attempts: i32) -> chrono::Duration {
    let exponent = attempts.clamp(1, 8) as u32 - 1;
    chrono::Duration::seconds((5i64 << exponent).min(600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_ten_minutes() {
        assert_eq!(retry_delay(1), chrono::Duration::seconds(5));
        assert_eq!(retry_delay(2), chrono::Duration::seconds(10));
        assert_eq!(retry_delay(30), chrono::Duration::seconds(600));
    }
}
