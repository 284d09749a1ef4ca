//! The fan-out of one instance: one task reads new events from the table in id order and
//! broadcasts each, framed for Server-Sent Events once, to every stream connected here.
//! It wakes when told of an append (PostgreSQL `LISTEN` on one connection of this
//! instance; on SQLite the append in this process) and once a second regardless, so a
//! lost notification delays events by a second at most and loses none.

use std::{
    sync::{Arc, LazyLock, Weak},
    time::Duration,
};

use actix_web::web::Bytes;
use sea_orm::DbBackend;
use tokio::sync::{broadcast, watch, Notify};

use crate::store::{self, events::StoredEvent, Store};

/// Batches a stream may fall behind by before it reads the table instead.
const BACKLOG: usize = 4096;
/// Events read per query.
const READ_BATCH: u64 = 1000;
/// How often the table is read with no wake-up at all.
const SAFETY_NET: Duration = Duration::from_secs(1);

/// SQLite appends in this process (any store's): a hint to look, not a promise.
/// The highest event id appended so far (in any store of the process).
static APPENDS: LazyLock<watch::Sender<i64>> = LazyLock::new(|| watch::channel(0).0);

/// Called by an append on SQLite, inside its transaction, with the last id it took.
pub(super) fn appended(last_id: i64) {
    APPENDS.send_modify(|n| *n = (*n).max(last_id));
}

/// Events read together, in id order with no gap: a stream wakes once per batch, not
/// once per event.
pub type Batch = Arc<[Frame]>;

/// An event as the stream sends it.
#[derive(Debug)]
pub struct Frame {
    pub id: i64,
    pub tenant_id: String,
    pub channel_id: Option<String>,
    pub kind: String,
    /// `id:`, `event:` and `data:` lines and the blank line that ends the event.
    pub bytes: Bytes,
}

impl Frame {
    pub fn of(event: StoredEvent) -> Frame {
        let envelope = format!(
            "{{\"id\":{},\"type\":{},\"channelId\":{},\"occurredAt\":{},\"data\":{}}}",
            event.id,
            serde_json::Value::from(event.kind.as_str()),
            serde_json::Value::from(event.channel_id.clone()),
            serde_json::Value::from(
                event
                    .created_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
            ),
            event.data,
        );
        let bytes = format!(
            "id: {}\nevent: {}\ndata: {envelope}\n\n",
            event.id, event.kind
        );
        Frame {
            id: event.id,
            tenant_id: event.tenant_id,
            channel_id: event.channel_id,
            kind: event.kind,
            bytes: Bytes::from(bytes),
        }
    }
}

struct Inner {
    frames: broadcast::Sender<Batch>,
    /// True once the service is stopping: streams end, their clients resume elsewhere.
    closing: watch::Sender<bool>,
    /// Dropped with the hub: tells its tasks to end.
    _alive: watch::Sender<()>,
}

/// This instance's fan-out of new events.
#[derive(Clone)]
pub struct EventHub {
    inner: Arc<Inner>,
}

impl EventHub {
    /// Starts the fan-out of `store`'s events on the current runtime; its tasks end when
    /// the last handle is dropped.
    pub fn start(store: Store) -> EventHub {
        let (frames, _) = broadcast::channel(BACKLOG);
        let (alive, gone) = watch::channel(());
        let inner = Arc::new(Inner {
            frames,
            closing: watch::channel(false).0,
            _alive: alive,
        });
        let wake = Arc::new(Notify::new());
        if store.backend() == DbBackend::Postgres {
            tokio::spawn(listen(store.clone(), wake.clone(), gone.clone()));
        }
        tokio::spawn(fan_out(store, Arc::downgrade(&inner), wake, gone));
        EventHub { inner }
    }

    /// Every event read from now on, in batches in id order. A receiver that falls more
    /// than `BACKLOG` batches behind gets `Lagged` and must read the table.
    pub fn subscribe(&self) -> broadcast::Receiver<Batch> {
        self.inner.frames.subscribe()
    }

    /// Changes to `true` when the service begins to stop.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.inner.closing.subscribe()
    }

    /// Ends every stream of this instance (the service is stopping), so the server's
    /// drain does not wait for them; their clients reconnect and resume elsewhere.
    pub fn close(&self) {
        self.inner.closing.send_replace(true);
    }
}

async fn fan_out(
    store: Store,
    inner: Weak<Inner>,
    wake: Arc<Notify>,
    mut gone: watch::Receiver<()>,
) {
    let mut appends = APPENDS.subscribe();
    let mut last = loop {
        match store::events::last_id(store.reader()).await {
            Ok(last) => break last,
            Err(error) => {
                tracing::warn!(%error, "reading the event counter failed; trying again");
                tokio::time::sleep(SAFETY_NET).await;
            }
        }
    };
    let mut tick = tokio::time::interval(SAFETY_NET);
    loop {
        // SQLite's wake-up comes from inside the appending transaction, before its commit,
        // with the last id appended (of every append since the last wake-up).
        let appended = tokio::select! {
            _ = wake.notified() => None,
            _ = appends.changed() => Some(*appends.borrow_and_update()),
            _ = tick.tick() => None,
            _ = gone.changed() => return,
        };
        let Some(inner) = inner.upgrade() else {
            return;
        };
        // Until that id's transaction has committed, the readers do not see it: look
        // again after 1, 2, 4, ... ms. The one writer is never asked (it would wait for
        // it, and the next group commit for us). An id of another store of the process
        // (tests run several), or of an append rolled back, is given up after the wait.
        let mut wait = Duration::from_millis(1);
        while read_new(&store, &inner, &mut last).await {
            match appended {
                Some(target) if last < target && wait <= COMMIT_WAIT => {
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
                _ => break,
            }
        }
    }
}

/// How long the hub looks again for the events of a SQLite append that woke it (1 + 2 +
/// ... + 256 ms); past that, the next wake-up or the safety net reads them.
const COMMIT_WAIT: Duration = Duration::from_millis(256);

/// Reads and broadcasts the events after `last` (moved on); false when the read failed.
async fn read_new(store: &Store, inner: &Inner, last: &mut i64) -> bool {
    loop {
        let read = match store::events::after(store.reader(), *last, READ_BATCH).await {
            Ok(read) => read,
            Err(error) => {
                tracing::warn!(%error, "reading new events failed; trying again");
                return false;
            }
        };
        let full = read.len() as u64 == READ_BATCH;
        if let Some(event) = read.last() {
            *last = event.id;
            let batch: Batch = read.into_iter().map(Frame::of).collect();
            // No receiver is no error: nobody is connected.
            let _ = inner.frames.send(batch);
        }
        if !full {
            return true;
        }
    }
}

/// PostgreSQL: one connection of this instance listens for appends anywhere.
async fn listen(store: Store, wake: Arc<Notify>, mut gone: watch::Receiver<()>) {
    use sea_orm::sqlx::postgres::PgListener;
    let pool = store.reader().get_postgres_connection_pool().clone();
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(error) => {
                tracing::warn!(%error, "listening for events failed; trying again");
                tokio::select! {
                    _ = tokio::time::sleep(SAFETY_NET) => continue,
                    _ = gone.changed() => return,
                }
            }
        };
        if let Err(error) = listener.listen(store::events::NOTIFY_CHANNEL).await {
            tracing::warn!(%error, "LISTEN failed; trying again");
            tokio::time::sleep(SAFETY_NET).await;
            continue;
        }
        loop {
            tokio::select! {
                received = listener.try_recv() => match received {
                    // `None`: the connection was lost and is back; read what was missed.
                    Ok(_) => wake.notify_one(),
                    Err(error) => {
                        tracing::warn!(%error, "the event listener failed; listening again");
                        break;
                    }
                },
                _ = gone.changed() => return,
            }
        }
    }
}
