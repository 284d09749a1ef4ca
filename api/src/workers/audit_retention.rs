//! The audit trail's retention: events older than `XCHANNEL_AUDIT_RETENTION_DAYS` are
//! deleted, a batch per transaction, every hour. One lease item (kind `audit_retention`)
//! stands for the whole trail, so of N instances one runs it at a time.

use super::{run_leased, Job, JobFuture, Next, Worker, WorkerFuture};
use crate::{
    state::AppState,
    store::{self, leases::Lease},
};

pub const KIND: &str = "audit_retention";

/// The one item of the kind.
const ITEM: &str = "trail";

/// Events deleted per transaction: short writes, so that SQLite's one writer is not held.
const BATCH: u64 = 1000;

pub struct AuditRetention;

impl Job for AuditRetention {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn work<'a>(&'a self, state: &'a AppState, _lease: &'a Lease) -> JobFuture<'a> {
        Box::pin(async move {
            let before = store::now() - state.settings.audit.retention;
            let mut deleted = 0;
            loop {
                let tx = state.store.write().await?;
                let n = store::audit::delete_older_than(&tx, before, BATCH).await?;
                tx.commit().await?;
                deleted += n;
                if n < BATCH {
                    break;
                }
            }
            if deleted > 0 {
                tracing::info!(deleted, "audit events past their retention deleted");
            }
            Ok(Next::At(
                store::now() + state.settings.workers.audit_retention_interval,
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
                tracing::warn!(error = %err, "scheduling the audit retention failed");
            }
            run_leased(AuditRetention, ctx).await
        })
    })
}
