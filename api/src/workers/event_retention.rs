//! Retention of the event outbox: events older than `XCHANNEL_EVENT_RETENTION_HOURS`
//! (default 72) are deleted, in batches, every `prune_every` (hourly). One lease item
//! (kind `event_retention`, item `events`), so of N instances one prunes at a time.

use super::{Job, JobFuture, Next, Worker, WorkerContext, WorkerFuture};
use crate::{
    state::AppState,
    store::{self, leases::Lease},
};

pub const KIND: &str = "event_retention";
const ITEM: &str = "events";
/// Events deleted per transaction, so a prune never holds the database long.
const BATCH: u64 = 5000;

pub struct EventRetention;

impl Job for EventRetention {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn work<'a>(&'a self, state: &'a AppState, _lease: &'a Lease) -> JobFuture<'a> {
        Box::pin(prune(state))
    }
}

/// The worker: makes the one item due now (each start prunes once), then runs it.
pub fn worker() -> Worker {
    Box::new(|ctx: WorkerContext| -> WorkerFuture {
        Box::pin(async move {
            let scheduled = async {
                let tx = ctx.state.store.write().await?;
                store::leases::schedule(&tx, KIND, ITEM, store::now()).await?;
                tx.commit().await?;
                Ok::<_, store::StoreError>(())
            };
            if let Err(error) = scheduled.await {
                tracing::warn!(%error, "scheduling event retention failed; this instance does not prune");
                return;
            }
            super::run_leased(EventRetention, ctx).await
        })
    })
}

async fn prune(state: &AppState) -> anyhow::Result<Next> {
    let settings = &state.settings.events;
    let before = store::now() - settings.retention;
    let mut deleted = 0;
    loop {
        let tx = state.store.write().await?;
        let batch = store::events::prune(&tx, before, BATCH).await?;
        tx.commit().await?;
        deleted += batch;
        if batch < BATCH {
            break;
        }
    }
    if deleted > 0 {
        tracing::info!(deleted, "pruned events older than the retention window");
    }
    let next =
        chrono::Duration::from_std(settings.prune_every).unwrap_or(chrono::Duration::hours(1));
    Ok(Next::At(store::now() + next))
}
