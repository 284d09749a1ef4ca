//! Persistence, the only place that speaks sea-orm: one module per aggregate holding its
//! entity and its queries. Every function takes `&impl ConnectionTrait`, so a caller can
//! pass a transaction; tenant-owned rows are reached only through finders scoped to a
//! tenant; failures are `StoreError`, never an HTTP type.

pub mod audit;
pub mod automatic_messages;
pub mod calendar;
pub mod called_routes;
pub mod certificates;
pub mod channels;
pub mod conversations;
pub mod coverage;
mod db;
mod error;
pub mod events;
pub mod exports;
pub mod integrations;
pub mod leases;
pub mod messages;
pub mod ous;
pub mod pull;
pub mod replies;
pub mod send_budgets;
pub mod tenants;
pub mod tokens;

use std::sync::Arc;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, Select, TransactionTrait,
};

use tokio::sync::{Mutex, OwnedMutexGuard};

pub use db::connect;
pub use error::{Constraint, StoreError, StoreResult};

/// The database of the service, by role. On SQLite, writes go through one connection,
/// where they queue in order instead of sleeping in SQLite's busy handler, and reads use a
/// pool; on PostgreSQL one pool serves both (the delivery writers have a connection each
/// besides, [`Store::with_own_writer`]).
#[derive(Clone)]
pub struct Store {
    reader: DatabaseConnection,
    writer: DatabaseConnection,
    bulk: Arc<Mutex<()>>,
    /// What the pools were opened with (PostgreSQL: for [`Store::with_own_writer`]).
    settings: Option<Arc<crate::config::DatabaseSettings>>,
}

/// A write in progress: every write of a request happens in one, committed at the end.
pub type Tx = DatabaseTransaction;

impl Store {
    /// Opens the database named by the settings and brings its schema up to date.
    pub async fn open(settings: &crate::config::DatabaseSettings) -> anyhow::Result<Store> {
        let (reader, writer) = db::open(settings).await?;
        Ok(Store {
            reader,
            writer,
            bulk: Arc::default(),
            settings: Some(Arc::new(settings.clone())),
        })
    }

    /// The database of a running service, neither created nor migrated: for commands.
    pub async fn open_existing(
        settings: &crate::config::DatabaseSettings,
    ) -> anyhow::Result<Store> {
        let db = db::connect_existing(settings).await?;
        Ok(Store {
            reader: db.clone(),
            writer: db,
            bulk: Arc::default(),
            settings: None,
        })
    }

    /// This store with writes of its own on PostgreSQL: one connection, opened here, for a
    /// task that writes all the time (a delivery writer), so that it neither waits for the
    /// shared pool nor uses a connection an HTTP worker opened. A socket's readiness is
    /// delivered by the I/O driver of the runtime that opened it, and an actix worker's
    /// runtime is one busy thread that looks at its sockets between tasks; opened from the
    /// writer's task, the connection belongs to the writer's runtime. Measured, not proven:
    /// PostgreSQL deliveries went from 3,966-5,041/s to 5,521-5,966/s (BENCHMARKS.md).
    /// SQLite's connections run on threads of their own, so there it is this store. Not
    /// in [`Store::pools`]; closed when the store is dropped.
    pub async fn with_own_writer(&self) -> anyhow::Result<Store> {
        let Some(settings) = self.settings.as_ref().filter(|s| !s.is_sqlite()) else {
            return Ok(self.clone());
        };
        Ok(Store {
            writer: db::postgres_pool(settings, 1).await?,
            ..self.clone()
        })
    }

    /// For reads that need not see a write in progress.
    pub fn reader(&self) -> &DatabaseConnection {
        &self.reader
    }

    /// Starts a write. Keep it short: on SQLite it holds the one writer.
    pub async fn write(&self) -> StoreResult<Tx> {
        Ok(self.writer.begin().await?)
    }

    /// The turn of a long write (a calendar replace of thousands of rows, an export).
    /// Take it before `write` and hold it until the commit: long writes then queue here,
    /// one at a time, and never more than one waits for SQLite's one writer ahead of the
    /// short writes (a webhook delivery's commit waits for at most one of them).
    pub async fn bulk_turn(&self) -> OwnedMutexGuard<()> {
        self.bulk.clone().lock_owned().await
    }

    pub fn backend(&self) -> DbBackend {
        self.writer.get_database_backend()
    }

    /// Whether the readers and the writer both reach the migrated schema.
    pub async fn ping(&self) -> StoreResult<()> {
        let probe = "SELECT 1 FROM tenants LIMIT 1";
        self.reader.execute_unprepared(probe).await?;
        self.writer.execute_unprepared(probe).await?;
        Ok(())
    }

    /// The connection pools and how busy they are, for `/metrics`: the writer and the
    /// readers on SQLite, the one shared pool on PostgreSQL.
    pub fn pools(&self) -> Vec<PoolGauge> {
        let gauge = |name: &'static str, db: &DatabaseConnection| match db {
            DatabaseConnection::SqlxSqlitePoolConnection(_) => {
                let pool = db.get_sqlite_connection_pool();
                Some(PoolGauge {
                    name,
                    size: pool.size(),
                    idle: pool.num_idle() as u32,
                    max: pool.options().get_max_connections(),
                })
            }
            DatabaseConnection::SqlxPostgresPoolConnection(_) => {
                let pool = db.get_postgres_connection_pool();
                Some(PoolGauge {
                    name,
                    size: pool.size(),
                    idle: pool.num_idle() as u32,
                    max: pool.options().get_max_connections(),
                })
            }
            _ => None,
        };
        match self.backend() {
            DbBackend::Sqlite => [gauge("writer", &self.writer), gauge("reader", &self.reader)]
                .into_iter()
                .flatten()
                .collect(),
            _ => gauge("shared", &self.writer).into_iter().collect(),
        }
    }

    pub async fn close(self) {
        self.reader.close().await.ok();
        self.writer.close().await.ok();
    }
}

/// One connection pool's connections: open, idle among them, and the most it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolGauge {
    pub name: &'static str,
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

/// A page of a list: how many rows, and the sort key to continue after.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub limit: u64,
    pub after: Option<String>,
}

impl Page {
    /// Trims the one extra row fetched to learn whether another page exists; returns the
    /// rows and the key of the last one when there is more.
    pub fn finish<T>(
        &self,
        mut rows: Vec<T>,
        key: impl Fn(&T) -> &str,
    ) -> (Vec<T>, Option<String>) {
        if rows.len() as u64 > self.limit {
            rows.truncate(self.limit as usize);
            let next = rows.last().map(|r| key(r).to_owned());
            (rows, next)
        } else {
            (rows, None)
        }
    }
}

/// An entity whose rows belong to one tenant: the only way to select them is through the
/// tenant, so a query that forgets the tenant cannot be written by accident.
trait TenantOwned: EntityTrait {
    fn tenant_column() -> Self::Column;

    fn secure_find(tenant_id: &str) -> Select<Self> {
        Self::find().filter(Self::tenant_column().eq(tenant_id))
    }
}

/// A new resource id: a UUID v7, so ids sort by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub fn now() -> chrono::DateTime<chrono::Utc> {
    // Microseconds are what PostgreSQL keeps; trimming here makes reads equal writes.
    let now = chrono::Utc::now();
    chrono::DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}
