//! The group commit of webhook deliveries (DESIGN "Hot paths"): a writer takes every
//! delivery waiting at that moment, inserts their messages in one transaction
//! (conflict-ignore on `(channel_id, x_event_id)`), commits, and only then lets each
//! request answer. One fsync serves many deliveries; nothing is acknowledged before it is
//! on disk (SQLite keeps `synchronous=FULL`).
//!
//! SQLite has one writer (the database takes one write transaction at a time). PostgreSQL
//! commits concurrently, so it gets [`POSTGRES_WRITERS`]: while one group commits, the
//! next writer already gathers and writes the deliveries that arrived meanwhile, instead
//! of letting them wait for that commit. Two writers inserting the same event race safely:
//! the unique index `(channel_id, x_event_id)` lets one row in and the other insert skips
//! it (`ON CONFLICT DO NOTHING` waits for the first transaction's outcome).

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use sea_orm::{DbBackend, DbErr};
use tokio::sync::{mpsc, oneshot, Mutex};

use super::DeliveryCounters;
use crate::{
    clock::Clock,
    store::{messages::Message, Store, StoreError, StoreResult},
};

/// The most messages one transaction takes; more wait for the next one.
const MAX_GROUP: usize = 2000;

/// How often a writer updates one channel's `lastDeliveryAt` at most. The row is one per
/// channel, so writing it in every group would make PostgreSQL's writers wait for each
/// other's commit on a busy channel; the channel shows the time of its last delivery
/// within this much.
const LAST_DELIVERY_EVERY: Duration = Duration::from_secs(1);

/// Writers on PostgreSQL, each with a connection of its own (`Store::with_own_writer`). Two
/// let one group insert while the other waits for its commit; more make the groups
/// smaller (more transactions, more round trips per message) for no more throughput on
/// this 2-core machine (BENCHMARKS.md).
pub const POSTGRES_WRITERS: usize = 2;

struct Pending {
    messages: Vec<Message>,
    done: oneshot::Sender<StoreResult<()>>,
}

type Waiting = Arc<Mutex<mpsc::UnboundedReceiver<Pending>>>;

/// The way to the writers.
pub struct GroupCommit {
    queue: mpsc::UnboundedSender<Pending>,
}

impl GroupCommit {
    /// Starts the writers of `store`'s database (one on SQLite, [`POSTGRES_WRITERS`] on
    /// PostgreSQL) on the current tokio runtime; they run until every `GroupCommit` is
    /// dropped.
    pub fn start(store: Store, clock: Clock, counters: DeliveryCounters) -> Self {
        let writers = match store.backend() {
            DbBackend::Sqlite => 1,
            _ => POSTGRES_WRITERS,
        };
        Self::with_writers(store, clock, counters, writers)
    }

    /// As [`GroupCommit::start`], with `writers` writers (at least one).
    pub fn with_writers(
        store: Store,
        clock: Clock,
        counters: DeliveryCounters,
        writers: usize,
    ) -> Self {
        let (queue, waiting) = mpsc::unbounded_channel();
        let waiting: Waiting = Arc::new(Mutex::new(waiting));
        for _ in 0..writers.max(1) {
            tokio::spawn(writer(
                store.clone(),
                clock.clone(),
                counters.clone(),
                waiting.clone(),
            ));
        }
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

/// The next group: waits for a first delivery, then takes every one waiting behind it.
/// Writers take their turn here one at a time, so each delivery goes to one writer.
async fn gather(waiting: &Waiting) -> Option<Vec<Pending>> {
    let mut waiting = waiting.lock().await;
    let first = waiting.recv().await?;
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
    Some(group)
}

/// When this writer last wrote each channel's `lastDeliveryAt`.
type Recorded = HashMap<String, Instant>;

async fn writer(store: Store, clock: Clock, counters: DeliveryCounters, waiting: Waiting) {
    let store = match store.with_own_writer().await {
        Ok(own) => own,
        Err(err) => {
            // The database answered `Store::open` a moment ago; if it refuses one more
            // connection now, this writer uses the shared pool until the service restarts.
            tracing::warn!(error = %err, "the delivery writer shares the pool");
            store
        }
    };
    let mut recorded = Recorded::new();
    while let Some(group) = gather(&waiting).await {
        let messages: Vec<Message> = group.iter().flat_map(|p| p.messages.clone()).collect();
        match write(&store, &clock, &counters, &mut recorded, messages).await {
            Ok(()) => {
                for pending in group {
                    let _ = pending.done.send(Ok(()));
                }
            }
            // One delivery can fail the group (its channel deleted meanwhile): each is
            // then written alone, so the others still commit and only it fails.
            Err(_) if group.len() > 1 => {
                for pending in group {
                    let result =
                        write(&store, &clock, &counters, &mut recorded, pending.messages).await;
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
    clock: &Clock,
    counters: &DeliveryCounters,
    recorded: &mut Recorded,
    messages: Vec<Message>,
) -> StoreResult<()> {
    let offered = messages.len() as u64;
    let now = Instant::now();
    recorded.retain(|_, at| now.duration_since(*at) < LAST_DELIVERY_EVERY);
    // Sorted, so that two writers lock the channels' rows in one order.
    let mut channels: Vec<String> = messages
        .iter()
        .filter(|m| !recorded.contains_key(&m.channel_id))
        .map(|m| m.channel_id.clone())
        .collect();
    channels.sort_unstable();
    channels.dedup();
    let tx = store.write().await?;
    crate::store::pull::record_deliveries(&tx, channels.clone(), crate::store::now()).await?;
    // Last: storing appends the messages' events, and the event counter stays locked until
    // the commit.
    let stored = super::store_messages(&tx, clock, messages).await?;
    tx.commit().await?;
    recorded.extend(channels.into_iter().map(|c| (c, now)));
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
