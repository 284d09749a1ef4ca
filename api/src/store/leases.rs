//! One lease mechanism for all background work. An item of work (`kind`, `item`) is due at
//! a time; an instance claims due items for a while (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, so instances never wait on each other nor take the same item; SQLite's one
//! writer orders claims by itself), works them, and finishes, reschedules or releases
//! them. A lease that is not finished in time expires and the item is due again, so a
//! crashed instance leaves nothing stuck.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use super::{now, StoreError, StoreResult};

/// An item this instance holds until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub kind: String,
    pub item: String,
    pub holder: String,
    pub expires_at: DateTime<Utc>,
    /// Claims of this item since it last finished, this one included.
    pub attempts: i32,
}

fn statement(db: &impl ConnectionTrait, postgres: &str, values: Vec<Value>) -> Statement {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => postgres.to_owned(),
        // The same statement with SQLite's numbered placeholders (`?N`, as `$N` may repeat).
        _ => (1..=values.len())
            .rev()
            .fold(postgres.to_owned(), |sql, n| {
                sql.replace(&format!("${n}"), &format!("?{n}"))
            }),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// Makes `item` due at `due_at` (inserting it, or moving it if it waits already). An item
/// being worked keeps its lease; its holder decides what comes next.
pub async fn schedule<C: ConnectionTrait>(
    db: &C,
    kind: &str,
    item: &str,
    due_at: DateTime<Utc>,
) -> StoreResult<()> {
    let sql = "INSERT INTO leases (kind, item, due_at, attempts) VALUES ($1, $2, $3, 0) \
               ON CONFLICT (kind, item) DO UPDATE SET due_at = excluded.due_at";
    db.execute(statement(
        db,
        sql,
        vec![kind.into(), item.into(), due_at.into()],
    ))
    .await?;
    Ok(())
}

/// Makes `item` due at `due_at` unless it is scheduled already (whenever that is).
pub async fn schedule_if_absent<C: ConnectionTrait>(
    db: &C,
    kind: &str,
    item: &str,
    due_at: DateTime<Utc>,
) -> StoreResult<()> {
    let sql = "INSERT INTO leases (kind, item, due_at, attempts) VALUES ($1, $2, $3, 0) \
               ON CONFLICT (kind, item) DO NOTHING";
    db.execute(statement(
        db,
        sql,
        vec![kind.into(), item.into(), due_at.into()],
    ))
    .await?;
    Ok(())
}

/// The items of `kind` scheduled or held.
pub async fn items<C: ConnectionTrait>(
    db: &C,
    kind: &str,
) -> StoreResult<std::collections::HashSet<String>> {
    let rows = db
        .query_all(statement(
            db,
            "SELECT item FROM leases WHERE kind = $1",
            vec![kind.into()],
        ))
        .await?;
    rows.iter()
        .map(|row| row.try_get::<String>("", "item"))
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(StoreError::from)
}

/// Claims up to `limit` due items of `kind` for `lease_for`, the longest-waiting first.
pub async fn claim_due<C: ConnectionTrait>(
    db: &C,
    kind: &str,
    holder: &str,
    lease_for: Duration,
    limit: u32,
) -> StoreResult<Vec<Lease>> {
    claim_due_at(db, kind, holder, lease_for, limit, now()).await
}

/// As [`claim_due`], with `now` the time due items and leases are judged by (the
/// service's clock for work timed by it, such as a conversation's timers).
pub async fn claim_due_at<C: ConnectionTrait>(
    db: &C,
    kind: &str,
    holder: &str,
    lease_for: Duration,
    limit: u32,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Lease>> {
    let lock = match db.get_database_backend() {
        DbBackend::Postgres => " FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    let sql = format!(
        "UPDATE leases SET holder = $1, expires_at = $2, attempts = attempts + 1 \
         WHERE (kind, item) IN (SELECT kind, item FROM leases \
             WHERE kind = $3 AND due_at <= $4 AND (expires_at IS NULL OR expires_at <= $4) \
             ORDER BY due_at LIMIT $5{lock}) \
         RETURNING kind, item, holder, expires_at, attempts"
    );
    let expires_at = now + chrono::Duration::from_std(lease_for).unwrap_or(chrono::Duration::MAX);
    let values = vec![
        holder.into(),
        expires_at.into(),
        kind.into(),
        now.into(),
        i64::from(limit).into(),
    ];
    let rows = db.query_all(statement(db, &sql, values)).await?;
    rows.iter()
        .map(|row| {
            Ok(Lease {
                kind: row.try_get("", "kind")?,
                item: row.try_get("", "item")?,
                holder: row.try_get("", "holder")?,
                expires_at: row.try_get("", "expires_at")?,
                attempts: row.try_get("", "attempts")?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(StoreError::from)
}

/// Runs a statement that only the lease's holder may run: `Stale` when the lease expired
/// and another instance took the item meanwhile.
async fn as_holder<C: ConnectionTrait>(
    db: &C,
    lease: &Lease,
    sql: &str,
    mut values: Vec<Value>,
) -> StoreResult<()> {
    let n = values.len();
    let sql = format!(
        "{sql} WHERE kind = ${} AND item = ${} AND holder = ${}",
        n + 1,
        n + 2,
        n + 3
    );
    values.extend([
        lease.kind.as_str().into(),
        lease.item.as_str().into(),
        lease.holder.as_str().into(),
    ]);
    match db
        .execute(statement(db, &sql, values))
        .await?
        .rows_affected()
    {
        0 => Err(StoreError::Stale),
        _ => Ok(()),
    }
}

/// Holds the item longer, for work that outlasts its first lease.
pub async fn renew<C: ConnectionTrait>(
    db: &C,
    lease: &mut Lease,
    lease_for: Duration,
) -> StoreResult<()> {
    renew_at(db, lease, lease_for, now()).await
}

/// As [`renew`], from `now` (the service's clock, for work claimed by it).
pub async fn renew_at<C: ConnectionTrait>(
    db: &C,
    lease: &mut Lease,
    lease_for: Duration,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let expires_at = now + chrono::Duration::from_std(lease_for).unwrap_or(chrono::Duration::MAX);
    as_holder(
        db,
        lease,
        "UPDATE leases SET expires_at = $1",
        vec![expires_at.into()],
    )
    .await?;
    lease.expires_at = expires_at;
    Ok(())
}

/// The work is done: the item goes, or waits for `next` (a recurring job) with its
/// attempts counted afresh.
pub async fn finish<C: ConnectionTrait>(
    db: &C,
    lease: &Lease,
    next: Option<DateTime<Utc>>,
) -> StoreResult<()> {
    match next {
        None => as_holder(db, lease, "DELETE FROM leases", vec![]).await,
        Some(due_at) => {
            let sql =
                "UPDATE leases SET due_at = $1, holder = NULL, expires_at = NULL, attempts = 0";
            as_holder(db, lease, sql, vec![due_at.into()]).await
        }
    }
}

/// The work failed: the item is due again at `retry_at`, its attempts kept.
pub async fn release<C: ConnectionTrait>(
    db: &C,
    lease: &Lease,
    retry_at: DateTime<Utc>,
) -> StoreResult<()> {
    let sql = "UPDATE leases SET due_at = $1, holder = NULL, expires_at = NULL";
    as_holder(db, lease, sql, vec![retry_at.into()]).await
}
