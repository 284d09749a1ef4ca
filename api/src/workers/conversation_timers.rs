//! Fires the conversations' timers (`automation::timers`): each under its lease, judged
//! by the service's clock. The firing, its consequence (a DM decided, the state changed,
//! the next timer set or the timer cleared) and the lease's end commit in one
//! transaction, so a restart neither loses nor repeats a timer, and of two instances
//! only the one whose lease is current commits (the other's finish is stale and its
//! transaction rolls back).

use crate::{
    automation::timers,
    state::AppState,
    store::{self, leases::Lease, StoreError},
};

use super::{Job, JobFuture, Next};

pub struct ConversationTimers;

impl Job for ConversationTimers {
    fn kind(&self) -> &'static str {
        timers::KIND
    }

    fn on_service_clock(&self) -> bool {
        true
    }

    fn work<'a>(&'a self, state: &'a AppState, lease: &'a Lease) -> JobFuture<'a> {
        Box::pin(work(state, lease))
    }
}

async fn work(state: &AppState, lease: &Lease) -> anyhow::Result<Next> {
    let clock = &state.settings.automation.clock;
    let tx = state.store.write().await?;
    // The conversation first, held until the commit: a message stored at the same moment
    // waits, then sees (and replaces) what this firing decided.
    let fired = match store::conversations::hold(&tx, &lease.item).await? {
        Some(conversation) => timers::fire(&tx, clock, conversation).await?,
        None => timers::Fired::default(), // deleted with its channel
    };
    let next = fired
        .next_due_at_ms
        .and_then(chrono::DateTime::from_timestamp_millis);
    match store::leases::finish(&tx, lease, next).await {
        Ok(()) => {}
        Err(StoreError::Stale) => {
            // Held too long: another instance took the timer, and does it; nothing of
            // this firing is kept.
            tracing::debug!(item = %lease.item, "conversation timer taken by another instance");
            return Ok(Next::Settled);
        }
        Err(other) => return Err(other.into()),
    }
    crate::events::append_all(&tx, fired.events).await?;
    tx.commit().await?;
    Ok(Next::Settled)
}
