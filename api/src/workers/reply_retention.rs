//! Retention of the replies' `Idempotency-Key`s (`reply_requests`): a key is remembered
//! for `config::IDEMPOTENCY_KEY_RETENTION` (24 hours) after the request that first used
//! it, then deleted, a batch per transaction, every `idempotency_key_prune_every`
//! (hourly). One lease item (kind `reply_retention`), so of N instances one runs it at a
//! time.

use super::{run_leased, Job, JobFuture, Next, Worker, WorkerFuture};
use crate::{
    state::AppState,
    store::{self, leases::Lease},
};

pub const KIND: &str = "reply_retention";

/// The one item of the kind.
const ITEM: &str = "reply_requests";

/// Keys deleted per transaction: short writes, so that SQLite's one writer is not held.
const BATCH: u64 = 1000;

pub struct ReplyRetention;

impl Job for ReplyRetention {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn work<'a>(&'a self, state: &'a AppState, _lease: &'a Lease) -> JobFuture<'a> {
        Box::pin(async move {
            let settings = &state.settings.workers;
            let before = store::now() - settings.idempotency_key_retention;
            let mut deleted = 0;
            loop {
                let tx = state.store.write().await?;
                let n = store::replies::delete_older_than(&tx, before, BATCH).await?;
                tx.commit().await?;
                deleted += n;
                if n < BATCH {
                    break;
                }
            }
            if deleted > 0 {
                tracing::info!(deleted, "idempotency keys past their retention deleted");
            }
            Ok(Next::At(
                store::now() + settings.idempotency_key_prune_every,
            ))
        })
    }
}

/// Makes the item due now (every instance's start moves it; running it twice deletes
/// nothing twice), then runs it through its lease.
pub fn worker() -> Worker {
    Box::new(move |ctx| -> WorkerFuture {
        Box::pin(async move {
            let scheduled = async {
                let tx = ctx.state.store.write().await?;
                store::leases::schedule(&tx, KIND, ITEM, store::now()).await?;
                tx.commit().await?;
                Ok::<_, store::StoreError>(())
            };
            if let Err(err) = scheduled.await {
                tracing::warn!(error = %err, "scheduling the idempotency keys' retention failed");
            }
            run_leased(ReplyRetention, ctx).await
        })
    })
}
