//! The minute pull's worker (issue 15): claims due channels through leases (kind `pull`,
//! one item per channel; `FOR UPDATE SKIP LOCKED` on PostgreSQL), at most
//! `XCHANNEL_PULL_CONCURRENCY` at a time on this instance, and pulls each (`crate::pull`).
//! A pull is due again one interval after it started, so of N instances one pulls a
//! channel per interval; a crashed instance's lease expires and the channel is pulled by
//! another. The lease is scheduled when a Basic or Pro channel turns `active`, and at
//! start for any active one that has none.

use std::{
    collections::VecDeque,
    sync::Arc,
    time::{Duration, Instant},
};

use tokio::sync::Semaphore;
use x_connector::XClient;

use super::{settle, Next, Worker, WorkerContext, WorkerFuture};
use crate::{
    integration::{self, failure::Trust},
    pull,
    state::AppState,
    store::{
        self,
        leases::{self, Lease},
        pull::PULL_KIND,
    },
};

/// Longer than the slowest claim: `MAX_PAGES_PER_CLAIM` calls of at most 10 s each.
const LEASE_FOR: Duration = Duration::from_secs(300);

/// How long to wait when nothing is due.
const POLL_EVERY: Duration = Duration::from_millis(200);

/// The most leases one claim takes.
const CLAIM_AT_MOST: usize = 64;

/// How long one client to X (with the uploaded certificates of that moment) serves.
const CLIENT_FOR: Duration = Duration::from_secs(10);

pub fn worker() -> Worker {
    Box::new(|ctx| -> WorkerFuture { Box::pin(run(ctx)) })
}

async fn run(mut ctx: WorkerContext) {
    if let Err(err) = schedule_unscheduled(&ctx.state).await {
        tracing::warn!(error = %err, "scheduling the pulls of active channels failed");
    }
    let concurrency = ctx.state.settings.workers.pull_concurrency;
    let permits = Arc::new(Semaphore::new(concurrency));
    // Claimed ahead, so that one claim serves many pulls rather than one each.
    let mut queue: VecDeque<Lease> = VecDeque::new();
    let mut client: Option<(XClient, Trust, Instant)> = None;
    while !ctx.shutdown.is_stopping() {
        if client
            .as_ref()
            .is_none_or(|(_, _, at)| at.elapsed() > CLIENT_FOR)
        {
            match pull_client(&ctx.state).await {
                Ok((x, trust)) => client = Some((x, trust, Instant::now())),
                Err(err) => tracing::warn!(error = %err, "building the client to X failed"),
            }
        }
        let Some((x, trust, _)) = client.clone() else {
            pause(&mut ctx).await;
            continue;
        };
        let mut drained = false;
        if queue.len() <= concurrency / 2 {
            let want = (concurrency - queue.len()).clamp(1, CLAIM_AT_MOST);
            match claim(&ctx, want).await {
                Ok(claimed) => {
                    drained = claimed.len() < want;
                    queue.extend(claimed);
                }
                Err(err) => {
                    tracing::warn!(error = %err, "claiming pulls failed");
                    drained = true;
                }
            }
        }
        while !queue.is_empty() {
            let Ok(permit) = permits.clone().try_acquire_owned() else {
                break;
            };
            let Some(lease) = queue.pop_front() else {
                break;
            };
            let (state, x) = (ctx.state.clone(), x.clone());
            actix_web::rt::spawn(async move {
                let outcome = work(&state, &x, trust, &lease).await;
                let settled = match outcome {
                    Ok(None) => Ok(()),
                    Ok(Some(next)) => settle(&state, &lease, Ok(next)).await,
                    Err(err) => settle(&state, &lease, Err(err)).await,
                };
                if let Err(err) = settled {
                    tracing::warn!(item = %lease.item, error = %err, "recording the outcome of a pull failed");
                }
                drop(permit);
            });
        }
        if !queue.is_empty() {
            // Every slot busy: wait for one to free up.
            tokio::select! {
                _ = ctx.shutdown.stopped() => {}
                permit = permits.clone().acquire_owned() => drop(permit),
            }
        } else if drained {
            pause(&mut ctx).await;
        }
    }
    // Claimed but not started: due again now, for any instance.
    if !queue.is_empty() {
        if let Err(err) = release_all(&ctx.state, queue).await {
            tracing::warn!(error = %err, "releasing the pulls not started failed; their leases expire");
        }
    }
    // Let the pulls in hand end before the worker does.
    let _ = permits.acquire_many(concurrency as u32).await;
}

async fn release_all(state: &AppState, queue: VecDeque<Lease>) -> store::StoreResult<()> {
    let tx = state.store.write().await?;
    for lease in &queue {
        leases::release(&tx, lease, store::now()).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn pause(ctx: &mut WorkerContext) {
    tokio::select! {
        _ = ctx.shutdown.stopped() => {}
        _ = tokio::time::sleep(POLL_EVERY) => {}
    }
}

/// A client to X with the pull's timeout: the interval, within 2 to 10 seconds.
async fn pull_client(state: &AppState) -> anyhow::Result<(XClient, Trust)> {
    let timeout = state
        .settings
        .workers
        .pull_interval
        .clamp(Duration::from_secs(2), Duration::from_secs(10));
    integration::client_with_timeout(state, timeout).await
}

async fn claim(ctx: &WorkerContext, limit: usize) -> store::StoreResult<Vec<Lease>> {
    let tx = ctx.state.store.write().await?;
    let claimed = leases::claim_due(&tx, PULL_KIND, &ctx.holder, LEASE_FOR, limit as u32).await?;
    tx.commit().await?;
    Ok(claimed)
}

/// Pulls the leased channel; `None` when the pull already finished the lease with its
/// own transaction, else what comes next for it.
async fn work(
    state: &AppState,
    x: &XClient,
    trust: Trust,
    lease: &Lease,
) -> anyhow::Result<Option<Next>> {
    let started_at = store::now();
    let Some(channel) = store::channels::find_by_id(state.store.reader(), &lease.item).await?
    else {
        return Ok(Some(Next::Done)); // deleted
    };
    if !pull::is_pulled(&channel) {
        // Edited back to draft, failed, or Enterprise now: its next activation schedules it.
        return Ok(Some(Next::Done));
    }
    let (pulled, reach) = pull::pull(state, x, trust, &channel, started_at, lease).await?;
    tracing::debug!(channel_id = %channel.id, reach = reach.as_str(), ?pulled, "pulled");
    Ok(None)
}

/// Schedules a pull now for every active Basic or Pro channel that has none.
async fn schedule_unscheduled(state: &AppState) -> store::StoreResult<()> {
    let ids = store::pull::unscheduled_channels(state.store.reader()).await?;
    if ids.is_empty() {
        return Ok(());
    }
    let tx = state.store.write().await?;
    for id in &ids {
        leases::schedule_if_absent(&tx, PULL_KIND, id, store::now()).await?;
    }
    tx.commit().await?;
    tracing::info!(
        channels = ids.len(),
        "scheduled the pulls of active channels"
    );
    Ok(())
}
