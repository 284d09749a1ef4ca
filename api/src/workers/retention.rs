//! Retention: rows past their time are deleted, a batch per transaction, and the job comes
//! back after its interval. One lease item per table, so of N instances one prunes it at a
//! time; every instance's start makes the item due now (running it twice deletes nothing
//! twice).
//!
//! - [`Retention::Events`]: the event outbox, events older than
//!   `XCHANNEL_EVENT_RETENTION_HOURS` (default 72), every `events.prune_every` (hourly).
//! - [`Retention::Audit`]: the audit trail, entries older than
//!   `XCHANNEL_AUDIT_RETENTION_DAYS`, every `workers.audit_retention_interval` (hourly).
//! - [`Retention::Replies`]: the replies' `Idempotency-Key`s (`reply_requests`), kept for
//!   `config::IDEMPOTENCY_KEY_RETENTION` (24 hours) after the request that first used one,
//!   every `workers.idempotency_key_prune_every` (hourly).

use std::time::Duration;

use super::{run_leased, Job, JobFuture, Next, Worker, WorkerFuture};
use crate::{
    state::AppState,
    store::{self, leases::Lease, StoreResult, Tx},
};

/// A table kept for a while only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retention {
    Events,
    Audit,
    Replies,
}

impl Retention {
    /// Each one's lease kind (also the worker's name).
    pub const fn kind(self) -> &'static str {
        match self {
            Retention::Events => "event_retention",
            Retention::Audit => "audit_retention",
            Retention::Replies => "reply_retention",
        }
    }

    /// The one lease item of the kind.
    const fn item(self) -> &'static str {
        match self {
            Retention::Events => "events",
            Retention::Audit => "trail",
            Retention::Replies => "reply_requests",
        }
    }

    /// What its log lines call the rows.
    const fn rows(self) -> &'static str {
        match self {
            Retention::Events => "events",
            Retention::Audit => "audit events",
            Retention::Replies => "idempotency keys",
        }
    }

    /// Rows deleted per transaction: short writes, so that SQLite's one writer is not
    /// held long.
    const fn batch(self) -> u64 {
        match self {
            Retention::Events => 5000,
            Retention::Audit | Retention::Replies => 1000,
        }
    }

    /// How long a row is kept, and how often the job runs.
    fn windows(self, state: &AppState) -> (chrono::Duration, Duration) {
        let s = &state.settings;
        match self {
            Retention::Events => (s.events.retention, s.events.prune_every),
            Retention::Audit => (s.audit.retention, s.workers.audit_retention_interval),
            Retention::Replies => (
                s.workers.idempotency_key_retention,
                s.workers.idempotency_key_prune_every,
            ),
        }
    }

    async fn delete(self, tx: &Tx, before: chrono::DateTime<chrono::Utc>) -> StoreResult<u64> {
        let batch = self.batch();
        match self {
            Retention::Events => store::events::prune(tx, before, batch).await,
            Retention::Audit => store::audit::delete_older_than(tx, before, batch).await,
            Retention::Replies => store::replies::delete_older_than(tx, before, batch).await,
        }
    }

    async fn prune(self, state: &AppState) -> anyhow::Result<Next> {
        let (keep, every) = self.windows(state);
        let before = store::now() - keep;
        let mut deleted = 0;
        loop {
            let tx = state.store.write().await?;
            let n = self.delete(&tx, before).await?;
            tx.commit().await?;
            deleted += n;
            if n < self.batch() {
                break;
            }
        }
        if deleted > 0 {
            tracing::info!(deleted, rows = self.rows(), "deleted past their retention");
        }
        Ok(Next::At(store::now() + every))
    }

    /// The worker: makes the item due now, then runs it through its lease.
    pub fn worker(self) -> Worker {
        Box::new(move |ctx| -> WorkerFuture {
            Box::pin(async move {
                let scheduled = async {
                    let tx = ctx.state.store.write().await?;
                    store::leases::schedule(&tx, self.kind(), self.item(), store::now()).await?;
                    tx.commit().await?;
                    Ok::<_, store::StoreError>(())
                };
                if let Err(error) = scheduled.await {
                    // Another instance's start may have made it due; this one still runs.
                    tracing::warn!(%error, kind = self.kind(), "scheduling a retention failed");
                }
                run_leased(self, ctx).await
            })
        })
    }
}

impl Job for Retention {
    fn kind(&self) -> &'static str {
        Retention::kind(*self)
    }

    fn work<'a>(&'a self, state: &'a AppState, _lease: &'a Lease) -> JobFuture<'a> {
        Box::pin(self.prune(state))
    }
}
