//! Opens the database (SQLite tuned for durability and concurrency, or PostgreSQL) and
//! brings its schema up to date.

use std::{str::FromStr, time::Duration};

use anyhow::Context;
use migrations::{Migrator, MigratorTrait};
use sea_orm::{
    sqlx::{
        postgres::{PgConnectOptions, PgPoolOptions},
        sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
        ConnectOptions as _,
    },
    DatabaseConnection, SqlxPostgresConnector, SqlxSqliteConnector,
};

use crate::{
    config::{self, DatabaseSettings},
    private_files,
};

/// One connection pool with the schema brought up to date: for commands that run once.
pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<DatabaseConnection> {
    let db = if settings.is_sqlite() {
        connect_sqlite(settings, 8, Role::Shared).await?
    } else {
        postgres_pool(settings, 32).await?
    };
    Migrator::up(&db, None)
        .await
        .context("applying migrations")?;
    Ok(db)
}

/// A pool of at most `connections` to the PostgreSQL database of `settings`, the schema as
/// it is.
pub(super) async fn postgres_pool(
    settings: &DatabaseSettings,
    connections: u32,
) -> anyhow::Result<DatabaseConnection> {
    let options = PgConnectOptions::from_str(&postgres_url(&settings.url))
        .context("reading the PostgreSQL URL")?
        .disable_statement_logging();
    let pool = PgPoolOptions::new()
        .max_connections(connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .context("connecting to the database")?;
    Ok(SqlxPostgresConnector::from_sqlx_postgres_pool(pool))
}

/// The URL a PostgreSQL pool connects with: `url`, with `sslmode=disable` added when it
/// names the loopback host and no `sslmode` of its own. The driver's default (`prefer`)
/// wraps loopback traffic, which never leaves the machine, in TLS: measured, that is about
/// half of the delivery writer's time on PostgreSQL (BENCHMARKS.md). A URL that says
/// `sslmode` keeps it; any other host keeps the driver's default.
fn postgres_url(url: &str) -> String {
    let Ok(parsed) = url::Url::parse(url) else {
        return url.to_owned();
    };
    // `postgres:` is not a special scheme to the URL parser: its host is opaque text.
    let loopback = match parsed.host() {
        Some(url::Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost")
                || name
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    let says_sslmode = parsed.query_pairs().any(|(k, _)| k == "sslmode");
    if !loopback || says_sslmode {
        return url.to_owned();
    }
    let mut with = parsed;
    with.query_pairs_mut().append_pair("sslmode", "disable");
    with.to_string()
}

/// The readers and the writer the service runs with, the schema brought up to date.
pub(super) async fn open(
    settings: &DatabaseSettings,
) -> anyhow::Result<(DatabaseConnection, DatabaseConnection)> {
    if !settings.is_sqlite() {
        let db = connect(settings).await?;
        return Ok((db.clone(), db));
    }
    if settings.url.contains(":memory:") || settings.url.contains("mode=memory") {
        anyhow::bail!(
            "an in-memory SQLite database cannot be shared by the writer and the readers; \
             use a file (the default) or PostgreSQL"
        );
    }
    let write = connect_sqlite(settings, 1, Role::Writer).await?;
    Migrator::up(&write, None)
        .await
        .context("applying migrations")?;
    let read = connect_sqlite(settings, 8, Role::Shared).await?;
    Ok((read, write))
}

/// The database of a running service, for a command that must neither create nor
/// migrate one: a missing or empty database is an error naming the database looked at.
pub async fn connect_existing(settings: &DatabaseSettings) -> anyhow::Result<DatabaseConnection> {
    let named = settings.describe();
    let hint =
        "start `xchannel serve` with the same DATABASE_URL (or --database-url, --data-dir) first, \
                or point DATABASE_URL at the server's database";
    let db = if settings.is_sqlite() {
        let path = sqlite_path(settings).unwrap_or_default();
        if path.as_os_str().is_empty() || !path.exists() {
            anyhow::bail!("there is no database at {named}; {hint}");
        }
        let options = sqlite_options(settings)?.create_if_missing(false);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await;
        SqlxSqliteConnector::from_sqlx_sqlite_pool(
            pool.with_context(|| format!("opening {named}"))?,
        )
    } else {
        postgres_pool(settings, 2)
            .await
            .with_context(|| format!("connecting to {named}"))?
    };
    let pending = Migrator::get_pending_migrations(&db)
        .await
        .map(|p| p.len())
        .unwrap_or(usize::MAX);
    if pending == Migrator::migrations().len() || pending == usize::MAX {
        anyhow::bail!("the database at {named} holds no xchannel data; {hint}");
    }
    if pending > 0 {
        anyhow::bail!("the database at {named} has {pending} migrations to apply; run `xchannel migrate` first");
    }
    Ok(db)
}

fn sqlite_path(settings: &DatabaseSettings) -> Option<std::path::PathBuf> {
    let rest = settings
        .url
        .strip_prefix("sqlite://")
        .or_else(|| settings.url.strip_prefix("sqlite:"))?;
    Some(std::path::PathBuf::from(rest.split('?').next()?))
}

fn sqlite_options(settings: &DatabaseSettings) -> anyhow::Result<SqliteConnectOptions> {
    let synchronous = match settings.sqlite_synchronous {
        config::SqliteSynchronous::Full => SqliteSynchronous::Full,
        config::SqliteSynchronous::Normal => SqliteSynchronous::Normal,
    };
    Ok(SqliteConnectOptions::from_str(&settings.url)
        .context("parsing the SQLite URL")?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(synchronous)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true)
        // A multi-row insert keeps a statement journal (to undo that one statement if a
        // row fails); past 64 KiB SQLite spills it to a temporary file, created and
        // deleted for each group commit. In memory instead. Only temporary data: what a
        // commit makes durable (the WAL, synchronous as set above) is unchanged.
        .pragma("temp_store", "memory")
        .disable_statement_logging())
}

/// The database, its directory and the files SQLite keeps beside it hold token hashes and
/// credential ciphertexts: owner only. SQLite gives `-wal` and `-shm` the mode of the
/// database file, so creating that one 0600 is enough for a new database.
fn private_database_files(file: &std::path::Path) -> anyhow::Result<()> {
    if let Some(dir) = file.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        private_files::private_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    private_files::private_file(file).with_context(|| format!("creating {}", file.display()))?;
    for suffix in ["-wal", "-shm"] {
        let mut beside = file.as_os_str().to_owned();
        beside.push(suffix);
        let beside = std::path::PathBuf::from(beside);
        private_files::tighten_file(&beside)
            .with_context(|| format!("protecting {}", beside.display()))?;
    }
    Ok(())
}

/// What a SQLite pool is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The one connection every write goes through (the delivery writer's group commits
    /// among them).
    Writer,
    /// Reads, or reads and writes of a command.
    Shared,
}

/// Pages the writer keeps in memory, in KiB (SQLite's default is 2,000 KiB): the B-tree
/// pages each group commit changes (the tips of the messages table and its five indexes,
/// and the leaves of the conversation index, one per busy conversation) stay cached
/// instead of being read back from the file at every commit.
const WRITER_CACHE_KIB: u32 = 32 * 1024;

async fn connect_sqlite(
    settings: &DatabaseSettings,
    connections: u32,
    role: Role,
) -> anyhow::Result<DatabaseConnection> {
    if let Some(file) = sqlite_path(settings) {
        private_database_files(&file)?;
    }
    let mut options = sqlite_options(settings)?;
    if role == Role::Writer {
        options = options.pragma("cache_size", format!("-{WRITER_CACHE_KIB}"));
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(connections)
        // A ping before each use is a round trip to the connection's thread, for a file
        // that cannot hang up (sqlx still pings on release, and a broken connection fails
        // its statement).
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .context("opening the SQLite database")?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

#[cfg(test)]
mod tests {
    use super::postgres_url;

    #[test]
    fn loopback_connections_go_without_tls_unless_the_url_says_otherwise() {
        assert_eq!(
            postgres_url("postgres://postgres@127.0.0.1:5432/xchannel"),
            "postgres://postgres@127.0.0.1:5432/xchannel?sslmode=disable"
        );
        assert_eq!(
            postgres_url("postgres://u:p@localhost/x?application_name=a"),
            "postgres://u:p@localhost/x?application_name=a&sslmode=disable"
        );
        assert_eq!(
            postgres_url("postgres://u@[::1]/x"),
            "postgres://u@[::1]/x?sslmode=disable"
        );
        for kept in [
            "postgres://u@127.0.0.1/x?sslmode=require",
            "postgres://u@db.internal:5432/x",
            "postgres://u@10.0.0.5/x",
        ] {
            assert_eq!(postgres_url(kept), kept);
        }
    }
}
