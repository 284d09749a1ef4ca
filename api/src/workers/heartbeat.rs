//! This instance's heartbeat (`coverage::heartbeat`): a row written every interval, from
//! start-up to the stop. Not leased: every instance beats for itself. Its first beat finds
//! a stretch in which no instance lived (the service was down) and records it.

use super::{Worker, WorkerContext, WorkerFuture};
use crate::{coverage, store};

pub fn worker() -> Worker {
    Box::new(|ctx| -> WorkerFuture { Box::pin(run(ctx)) })
}

async fn run(mut ctx: WorkerContext) {
    let settings = ctx.state.settings.workers.coverage.clone();
    let down_after =
        chrono::Duration::from_std(settings.service_down_after).unwrap_or(chrono::Duration::MAX);
    let started_at = store::now();
    while !ctx.shutdown.is_stopping() {
        let beat =
            coverage::heartbeat::beat(&ctx.state.store, &ctx.holder, started_at, down_after).await;
        if let Err(error) = beat {
            tracing::warn!(%error, "writing the heartbeat failed");
        }
        tokio::select! {
            _ = ctx.shutdown.stopped() => {}
            _ = tokio::time::sleep(settings.heartbeat_interval) => {}
        }
    }
}
