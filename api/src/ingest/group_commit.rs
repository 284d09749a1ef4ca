//! The group commit of webhook deliveries (DESIGN "Hot paths"): one writer per database
//! takes every delivery waiting at that moment, inserts their messages in one transaction
//! (conflict-ignore on `(channel_id, x_event_id)`), commits, and only then lets each
//! request answer. One fsync serves many deliveries; nothing is acknowledged before it is
//! on disk (SQLite keeps `synchronous=FULL`).

use sea_orm::DbErr;
use tokio::sync::{mpsc, oneshot};

use super::DeliveryCounters;
use crate::store::{messages::Message, Store, StoreError, StoreResult};

/// The most messages one transaction takes; more wait for the next one.
const MAX_GROUP: usize = 2000;

struct Pending {
    messages: Vec<Message>,
    done: oneshot::Sender<StoreResult<()>>,
}

/// The way to the writer.
pub struct GroupCommit {
    queue: mpsc::UnboundedSender<Pending>,
}

impl GroupCommit {
    /// Starts the writer on the current tokio runtime; it runs until every `GroupCommit`
    /// is dropped.
    pub fn start(store: Store, counters: DeliveryCounters) -> Self {
        let (queue, waiting) = mpsc::unbounded_channel();
        tokio::spawn(writer(store, counters, waiting));
        GroupCommit { queue }
    }

    /// Returns once `messages` are committed (new ones stored, known ones skipped).
    pub async fn commit(&self, messages: Vec<Message>) -> StoreResult<()> {
        if messages.is_empty() {
            return Ok(());
        }
        let (done, committed) = oneshot::channel();
        self.queue
            .send(Pending { messages, done })
            .map_err(|_| stopped())?;
        committed.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Db(DbErr::Custom("the delivery writer has stopped".into()))
}

async fn writer(
    store: Store,
    counters: DeliveryCounters,
    mut waiting: mpsc::UnboundedReceiver<Pending>,
) {
    while let Some(first) = waiting.recv().await {
        let mut rows = first.messages.len();
        let mut group = vec![first];
        while rows < MAX_GROUP {
            match waiting.try_recv() {
                Ok(next) => {
                    rows += next.messages.len();
                    group.push(next);
                }
                Err(_) => break,
            }
        }
        let messages: Vec<Message> = group.iter().flat_map(|p| p.messages.clone()).collect();
        match write(&store, &counters, messages).await {
            Ok(()) => {
                for pending in group {
                    let _ = pending.done.send(Ok(()));
                }
            }
            // One delivery can fail the group (its channel deleted meanwhile): each is
            // then written alone, so the others still commit and only it fails.
            Err(_) if group.len() > 1 => {
                for pending in group {
                    let result = write(&store, &counters, pending.messages).await;
                    let _ = pending.done.send(result);
                }
            }
            Err(err) => {
                for pending in group {
                    let _ = pending.done.send(Err(clone_error(&err)));
                }
            }
        }
    }
}

async fn write(
    store: &Store,
    counters: &DeliveryCounters,
    messages: Vec<Message>,
) -> StoreResult<()> {
    let offered = messages.len() as u64;
    let mut channels: Vec<String> = messages.iter().map(|m| m.channel_id.clone()).collect();
    channels.sort_unstable();
    channels.dedup();
    let tx = store.write().await?;
    let stored = super::store_messages(&tx, messages).await?;
    // `lastDeliveryAt`, once per group rather than once per request.
    crate::store::pull::record_deliveries(&tx, channels, crate::store::now()).await?;
    tx.commit().await?;
    counters.committed(offered, stored.len() as u64);
    Ok(())
}

fn clone_error(err: &StoreError) -> StoreError {
    match err {
        StoreError::NotFound(what) => StoreError::NotFound(what),
        StoreError::Conflict(c) => StoreError::Conflict(*c),
        StoreError::Stale => StoreError::Stale,
        StoreError::Db(e) => StoreError::Db(DbErr::Custom(e.to_string())),
    }
}
