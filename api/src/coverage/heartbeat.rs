//! Instance liveness in the database: each instance writes a heartbeat row every interval.
//! A stretch in which no instance beat for longer than `down_after` is a stretch with no
//! live instance at all; the first beat after it (at start-up, or of a worker that was
//! stalled) records it as a `service_down` gap of every Enterprise channel, in the same
//! transaction as the beat, so of several instances one records it.

use chrono::{DateTime, Utc};

use crate::store::{self, Store, StoreResult};

/// One beat of `instance`; answers the stretch without a live instance it found, if any.
pub async fn beat(
    store: &Store,
    instance: &str,
    started_at: DateTime<Utc>,
    down_after: chrono::Duration,
) -> StoreResult<Option<(DateTime<Utc>, DateTime<Utc>)>> {
    let tx = store.write().await?;
    let now = store::now();
    let latest = store::coverage::latest_beat(&tx).await?;
    let down = latest.filter(|&last| now - last > down_after);
    if let Some(last) = down {
        let channels = super::service_was_down(&tx, last, now).await?;
        tracing::warn!(from = %last, to = %now, channels, "no instance of the service was alive; recorded as a service_down gap of every active Enterprise channel");
    }
    store::coverage::beat(&tx, instance, started_at, now - down_after).await?;
    tx.commit().await?;
    Ok(down.map(|last| (last, now)))
}
