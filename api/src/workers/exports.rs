//! The export runner (R-EXPORT-4): claims a pending task through its lease, streams the
//! task's channels from the database page by page (2,000 records, one file) into the
//! encrypted ZIP, and stores each piece of the archive as it is written, so neither the
//! rows nor the archive are ever held whole. The lease is renewed after every file; a task
//! whose instance died is claimed again once the lease expires and starts over, and after
//! `MAX_ATTEMPTS` it is marked `failed` with the reason, never left `running`. The same
//! lease then waits for the task's expiry and deletes task and archive.

use std::time::Duration;

use crate::{
    export::{self, ArchiveWriter, Format},
    routes::exports::{export_event, password_context, LEASE_KIND},
    state::AppState,
    store::{
        self,
        exports::ExportTask,
        leases::{self, Lease},
    },
};

use super::{Job, JobFuture, Next};

/// Claims of one task before it is given up as failed.
const MAX_ATTEMPTS: i32 = 3;

pub struct ExportJob;

impl Job for ExportJob {
    fn kind(&self) -> &'static str {
        LEASE_KIND
    }

    fn lease_for(&self) -> Duration {
        LEASE_FOR
    }

    fn poll_every(&self) -> Duration {
        Duration::from_millis(250)
    }

    fn work<'a>(&'a self, state: &'a AppState, lease: &'a Lease) -> JobFuture<'a> {
        Box::pin(async move {
            let Some(task) =
                store::exports::find_for_runner(state.store.reader(), &lease.item).await?
            else {
                return Ok(Next::Done); // deleted meanwhile
            };
            if task.is_finished() {
                if task.expires_at <= store::now() {
                    let tx = state.store.write().await?;
                    if store::exports::delete_expired(&tx, &task.id).await? {
                        let event = export_event(crate::audit::Action::ExportDeleted, &task);
                        crate::audit::Origin::system().record(&tx, event).await?;
                    }
                    tx.commit().await?;
                    return Ok(Next::Done);
                }
                return Ok(Next::At(task.expires_at));
            }
            if lease.attempts > MAX_ATTEMPTS {
                let reason = format!(
                    "the export was interrupted {} times (the instance running it stopped); ask for it again",
                    lease.attempts - 1
                );
                finish_failed(state, &task.id, &reason).await?;
                return Ok(Next::At(task.expires_at));
            }
            match run(state, lease.clone(), &task).await {
                Ok(()) => {}
                Err(RunError::LeaseLost) => {
                    // Another instance holds the task now; it records the outcome.
                    return Ok(Next::At(task.expires_at));
                }
                Err(RunError::Failed(reason)) => {
                    tracing::warn!(export = %task.id, %reason, "export failed");
                    finish_failed(state, &task.id, &reason).await?;
                }
            }
            Ok(Next::At(task.expires_at))
        })
    }
}

const LEASE_FOR: Duration = Duration::from_secs(30);

enum RunError {
    LeaseLost,
    Failed(String),
}

impl From<store::StoreError> for RunError {
    fn from(err: store::StoreError) -> Self {
        match err {
            store::StoreError::Stale => RunError::LeaseLost,
            other => RunError::Failed(format!("the database failed: {other}")),
        }
    }
}

impl From<sea_orm::DbErr> for RunError {
    fn from(err: sea_orm::DbErr) -> Self {
        store::StoreError::from(err).into()
    }
}

async fn finish_failed(state: &AppState, id: &str, reason: &str) -> store::StoreResult<()> {
    let tx = state.store.write().await?;
    store::exports::fail(&tx, id, reason).await?;
    tx.commit().await?;
    Ok(())
}

async fn run(state: &AppState, mut lease: Lease, task: &ExportTask) -> Result<(), RunError> {
    let password = state
        .keyring
        .decrypt(&task.password, &password_context(&task.id))
        .map_err(|_| {
            RunError::Failed(
                "the compression password could not be unsealed with the master key".into(),
            )
        })?;
    let password = String::from_utf8(password)
        .map_err(|_| RunError::Failed("the stored compression password is not text".into()))?;
    let format = Format::parse(&task.format).unwrap_or(Format::Csv);
    {
        let tx = state.store.write().await?;
        leases::renew(&tx, &mut lease, LEASE_FOR).await?;
        store::exports::start(&tx, &task.id).await?;
        tx.commit().await?;
    }
    let ids = task.selected_ids();
    let ous = task.visible_ous();
    let mut writer = ArchiveWriter::new(password, format);
    let mut after: Option<String> = None;
    let mut records: i64 = 0;
    let mut seq = 0;
    let mut bytes: i64 = 0;
    loop {
        let page = store::exports::channel_page(
            state.store.reader(),
            &task.tenant_id,
            ids.as_deref(),
            ous.as_ref(),
            after.as_deref(),
            export::RECORDS_PER_FILE as u64,
        )
        .await?;
        // An export of no channel still holds one file: the header row.
        if page.is_empty() && writer.files() > 0 {
            break;
        }
        after = page.last().map(|c| c.id.clone());
        let rows: Vec<Vec<String>> = page.iter().map(export::record).collect();
        drop(page);
        let piece = writer
            .add_file(&rows)
            .map_err(|e| RunError::Failed(format!("writing the archive failed: {e}")))?;
        records += rows.len() as i64;
        bytes += piece.len() as i64;
        let at = seq;
        seq += i32::from(!piece.is_empty());
        let tx = state.store.write().await?;
        leases::renew(&tx, &mut lease, LEASE_FOR).await?;
        store::exports::append(&tx, &task.id, at, piece, records, writer.files() as i32).await?;
        tx.commit().await?;
        if rows.len() < export::RECORDS_PER_FILE {
            break;
        }
    }
    let files = writer.files() as i32;
    let last = writer
        .finish()
        .map_err(|e| RunError::Failed(format!("writing the archive failed: {e}")))?;
    bytes += last.len() as i64;
    let tx = state.store.write().await?;
    leases::renew(&tx, &mut lease, LEASE_FOR).await?;
    store::exports::append(&tx, &task.id, seq, last, records, files).await?;
    store::exports::succeed(&tx, &task.id, records, files, bytes).await?;
    tx.commit().await?;
    tracing::info!(export = %task.id, records, files, bytes, "export finished");
    Ok(())
}
