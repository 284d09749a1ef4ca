//! Events: the outbox rows every stored message and conversation change appends in its
//! own transaction, and the reads of the live stream. Ids are taken from the counter row
//! `event_sequence.events` with `UPDATE ... RETURNING`, which holds the row's lock until
//! the appending transaction ends: appends queue one behind the other, so ids follow commit
//! order and have no gaps (a rolled-back append gives its ids back with its counter).

use sea_orm::{entity::prelude::*, DbBackend, QueryOrder, QuerySelect, Statement};

use super::{now, StoreResult};

pub(super) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub tenant_id: String,
        pub channel_id: Option<String>,
        pub kind: String,
        /// JSON text, as the stream sends it.
        pub data: String,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{Column, Entity};

/// An event as stored.
pub type StoredEvent = entity::Model;

/// An event to append.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub tenant_id: String,
    pub channel_id: Option<String>,
    pub kind: String,
    pub data: String,
}

/// The channel PostgreSQL instances wake each other on.
pub const NOTIFY_CHANNEL: &str = "xchannel_events";

/// Rows per append statement: 5 parameters each (and 2 more) stays below SQLite's
/// 32,766 and PostgreSQL's 65,535 bound parameters, and above the group commit's largest
/// batch (2,000).
const ROWS_PER_STATEMENT: usize = 4000;

fn numbered(backend: DbBackend, sql: &str) -> String {
    match backend {
        DbBackend::Postgres => sql.to_owned(),
        _ => sql.replace('$', "?"),
    }
}

/// Appends `rows` in the caller's transaction, numbered in order after every event
/// committed before; returns the last id given (0 when `rows` is empty). Waits while
/// another transaction that appended is open: call it last in a transaction, after the
/// rows it reports on are written, so the wait is short and no lock is taken after it.
///
/// On PostgreSQL it also tells every listening instance, when the transaction commits,
/// that events up to that id are there (`pg_notify` on [`NOTIFY_CHANNEL`]). Each
/// [`ROWS_PER_STATEMENT`] rows are one round trip to the database: the counter, the rows
/// (and the notification), while the counter's lock is held.
pub async fn append<C: ConnectionTrait>(db: &C, rows: Vec<EventRow>) -> StoreResult<i64> {
    let mut last = 0;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        last = append_in_one_call(db, rows.by_ref().take(ROWS_PER_STATEMENT).collect()).await?;
    }
    Ok(last)
}

/// Up to [`ROWS_PER_STATEMENT`] rows of [`append`] in one round trip. PostgreSQL: one
/// statement, the counter's UPDATE, the rows numbered from it and the notification as
/// data-modifying parts of one `WITH`. SQLite (which has no UPDATE in a `WITH`): two
/// statements sent together, the rows numbered from the counter as it stands, then the
/// counter moved past them.
async fn append_in_one_call<C: ConnectionTrait>(db: &C, rows: Vec<EventRow>) -> StoreResult<i64> {
    let backend = db.get_database_backend();
    let count = rows.len() as i64;
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(2 + rows.len() * 5);
    values.push(count.into());
    values.push(now().into());
    // `$N` on PostgreSQL (typed, for the VALUES list), `?N` on SQLite (numbered, so both
    // statements bind from one list).
    let (mark, bigint, text) = match backend {
        DbBackend::Postgres => ('$', "::bigint", "::text"),
        _ => ('?', "", ""),
    };
    let mut tuples = String::with_capacity(rows.len() * 60);
    for (n, row) in rows.into_iter().enumerate() {
        let at = values.len();
        if n > 0 {
            tuples.push_str(", ");
        }
        tuples.push_str(&format!(
            "({mark}{}{bigint}, {mark}{}{text}, {mark}{}{text}, {mark}{}{text}, {mark}{}{text})",
            at + 1,
            at + 2,
            at + 3,
            at + 4,
            at + 5,
        ));
        values.push((n as i64 + 1).into());
        values.push(row.tenant_id.into());
        values.push(row.channel_id.into());
        values.push(row.kind.into());
        values.push(row.data.into());
    }
    let sql = match backend {
        DbBackend::Postgres => format!(
            "WITH seq AS (\
               UPDATE event_sequence SET last_id = last_id + $1 WHERE name = 'events' RETURNING last_id\
             ), new_rows (n, tenant_id, channel_id, kind, data) AS (VALUES {tuples}), \
             inserted AS (\
               INSERT INTO events (id, tenant_id, channel_id, kind, data, created_at) \
               SELECT seq.last_id - $1 + new_rows.n, new_rows.tenant_id, new_rows.channel_id, \
                      new_rows.kind, new_rows.data, $2 \
               FROM seq, new_rows\
             ) \
             SELECT seq.last_id FROM seq \
             CROSS JOIN LATERAL (SELECT pg_notify('{NOTIFY_CHANNEL}', seq.last_id::text)) AS told"
        ),
        _ => format!(
            "INSERT INTO events (id, tenant_id, channel_id, kind, data, created_at) \
             SELECT (SELECT last_id FROM event_sequence WHERE name = 'events') + column1, \
                    column2, column3, column4, column5, ?2 \
             FROM (VALUES {tuples}); \
             UPDATE event_sequence SET last_id = last_id + ?1 WHERE name = 'events' RETURNING last_id"
        ),
    };
    let taken = db
        .query_one(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the event counter row".into()))?;
    Ok(taken.try_get("", "last_id")?)
}

async fn sequence<C: ConnectionTrait>(db: &C, name: &str) -> StoreResult<i64> {
    let backend = db.get_database_backend();
    let row = db
        .query_one(Statement::from_sql_and_values(
            backend,
            numbered(
                backend,
                "SELECT last_id FROM event_sequence WHERE name = $1",
            ),
            [name.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("the event sequence row {name}")))?;
    Ok(row.try_get("", "last_id")?)
}

/// The id of the last committed event: every event up to it is committed.
pub async fn last_id<C: ConnectionTrait>(db: &C) -> StoreResult<i64> {
    sequence(db, "events").await
}

/// The id up to which retention has deleted events.
pub async fn pruned_through<C: ConnectionTrait>(db: &C) -> StoreResult<i64> {
    sequence(db, "pruned").await
}

/// Events of every tenant after `after`, in id order, at most `limit`.
pub async fn after<C: ConnectionTrait>(
    db: &C,
    after: i64,
    limit: u64,
) -> StoreResult<Vec<StoredEvent>> {
    Ok(Entity::find()
        .filter(Column::Id.gt(after))
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Which of a tenant's events a reader wants.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub channel_id: Option<String>,
    /// Empty: every kind.
    pub kinds: Vec<String>,
}

/// A tenant's events after `after` that pass `filter`, in id order, at most `limit`.
pub async fn of_tenant<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    after: i64,
    filter: &EventFilter,
    limit: u64,
) -> StoreResult<Vec<StoredEvent>> {
    let mut query = Entity::find()
        .filter(Column::TenantId.eq(tenant_id))
        .filter(Column::Id.gt(after));
    if let Some(channel_id) = &filter.channel_id {
        query = query.filter(Column::ChannelId.eq(channel_id.as_str()));
    }
    if !filter.kinds.is_empty() {
        query = query.filter(Column::Kind.is_in(filter.kinds.iter().map(String::as_str)));
    }
    Ok(query.order_by_asc(Column::Id).limit(limit).all(db).await?)
}

/// Deletes up to `batch` of the oldest events created before `before` and records how
/// far retention reached; returns how many were deleted.
pub async fn prune<C: ConnectionTrait>(
    db: &C,
    before: chrono::DateTime<chrono::Utc>,
    batch: u64,
) -> StoreResult<u64> {
    let ids: Vec<i64> = Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::CreatedAt.lt(before))
        .order_by_asc(Column::Id)
        .limit(batch)
        .into_tuple()
        .all(db)
        .await?;
    let Some(&through) = ids.last() else {
        return Ok(0);
    };
    let deleted = Entity::delete_many()
        .filter(Column::Id.lte(through))
        .exec(db)
        .await?
        .rows_affected;
    let backend = db.get_database_backend();
    db.execute(Statement::from_sql_and_values(
        backend,
        numbered(
            backend,
            "UPDATE event_sequence SET last_id = $1 WHERE name = 'pruned' AND last_id < $1",
        ),
        [through.into()],
    ))
    .await?;
    Ok(deleted)
}
