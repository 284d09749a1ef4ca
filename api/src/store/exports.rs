//! Export tasks and their archives (R-EXPORT): a task row with its status and progress,
//! and the archive in numbered chunks beside it, so that every instance reads what any
//! instance wrote. Deleting a task deletes its chunks (foreign key, cascade).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::{entity::prelude::*, ActiveValue::Set, PaginatorTrait, QueryOrder, QuerySelect};

use super::{channels, now, Page, StoreError, StoreResult, TenantOwned};

pub(super) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "export_tasks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub tenant_id: String,
        /// The id of the token that asked.
        pub requested_by: String,
        pub format: String,
        pub status: String,
        /// JSON array of the selected channel ids; `None`: every channel of the tenant.
        pub channel_ids: Option<String>,
        /// JSON array of the OUs the requester sees; `None`: the whole tenant.
        pub ou_ids: Option<String>,
        /// The compression password sealed with the master key.
        pub password: String,
        pub progress: i64,
        pub channel_count: i64,
        pub file_count: i32,
        pub archive_bytes: i64,
        pub error: Option<String>,
        pub created_at: ChronoDateTimeUtc,
        pub finished_at: Option<ChronoDateTimeUtc>,
        pub expires_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod chunk {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "export_chunks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub task_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i32,
        pub data: Vec<u8>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// An export task as stored.
pub type ExportTask = entity::Model;

impl TenantOwned for Entity {
    fn tenant_column() -> Column {
        Column::TenantId
    }
}

pub const PENDING: &str = "pending";
pub const RUNNING: &str = "running";
pub const SUCCESS: &str = "success";
pub const FAILED: &str = "failed";

impl ExportTask {
    pub fn selected_ids(&self) -> Option<Vec<String>> {
        self.channel_ids
            .as_deref()
            .and_then(|ids| serde_json::from_str(ids).ok())
    }

    pub fn visible_ous(&self) -> Option<HashSet<String>> {
        self.ou_ids
            .as_deref()
            .and_then(|ids| serde_json::from_str(ids).ok())
    }

    pub fn is_finished(&self) -> bool {
        self.status == SUCCESS || self.status == FAILED
    }
}

/// What a new task is made of.
pub struct NewExport {
    pub id: String,
    pub tenant_id: String,
    pub requested_by: String,
    pub format: String,
    pub channel_ids: Option<Vec<String>>,
    pub ou_ids: Option<Vec<String>>,
    pub sealed_password: String,
    pub channel_count: i64,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert<C: ConnectionTrait>(db: &C, new: NewExport) -> StoreResult<ExportTask> {
    let json = |ids: Option<Vec<String>>| ids.map(|ids| serde_json::Value::from(ids).to_string());
    let model = ActiveModel {
        id: Set(new.id),
        tenant_id: Set(new.tenant_id),
        requested_by: Set(new.requested_by),
        format: Set(new.format),
        status: Set(PENDING.to_owned()),
        channel_ids: Set(json(new.channel_ids)),
        ou_ids: Set(json(new.ou_ids)),
        password: Set(new.sealed_password),
        progress: Set(0),
        channel_count: Set(new.channel_count),
        file_count: Set(0),
        archive_bytes: Set(0),
        error: Set(None),
        created_at: Set(now()),
        finished_at: Set(None),
        expires_at: Set(new.expires_at),
    };
    Ok(model.insert(db).await?)
}

/// A task of the tenant that has not expired.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    id: &str,
) -> StoreResult<ExportTask> {
    Entity::secure_find(tenant_id)
        .filter(Column::Id.eq(id))
        .filter(Column::ExpiresAt.gt(now()))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("export"))
}

/// Tasks of the tenant (only those `requested_by` asked for, when given), newest first.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    requested_by: Option<&str>,
    page: &Page,
) -> StoreResult<Vec<ExportTask>> {
    let mut query = Entity::secure_find(tenant_id)
        .filter(Column::ExpiresAt.gt(now()))
        .order_by_desc(Column::Id);
    if let Some(token) = requested_by {
        query = query.filter(Column::RequestedBy.eq(token));
    }
    if let Some(after) = &page.after {
        query = query.filter(Column::Id.lt(after.clone()));
    }
    Ok(query.limit(page.limit + 1).all(db).await?)
}

/// Deletes a task of the tenant and its archive.
pub async fn delete<C: ConnectionTrait>(db: &C, tenant_id: &str, id: &str) -> StoreResult<()> {
    delete_chunks(db, id).await?;
    let deleted = Entity::delete_many()
        .filter(Column::TenantId.eq(tenant_id))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    match deleted.rows_affected {
        0 => Err(StoreError::NotFound("export")),
        _ => Ok(()),
    }
}

/// A task by id alone, for the runner that holds its lease.
pub async fn find_for_runner<C: ConnectionTrait>(
    db: &C,
    id: &str,
) -> StoreResult<Option<ExportTask>> {
    Ok(Entity::find_by_id(id).one(db).await?)
}

/// Deletes a task by id (expiry), with its archive; `false` when it was gone already.
pub async fn delete_expired<C: ConnectionTrait>(db: &C, id: &str) -> StoreResult<bool> {
    delete_chunks(db, id).await?;
    Ok(Entity::delete_by_id(id).exec(db).await?.rows_affected > 0)
}

async fn delete_chunks<C: ConnectionTrait>(db: &C, id: &str) -> StoreResult<()> {
    chunk::Entity::delete_many()
        .filter(chunk::Column::TaskId.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The task starts (again): running, nothing written yet.
pub async fn start<C: ConnectionTrait>(db: &C, id: &str) -> StoreResult<()> {
    delete_chunks(db, id).await?;
    update(
        db,
        id,
        ActiveModel {
            status: Set(RUNNING.to_owned()),
            progress: Set(0),
            file_count: Set(0),
            archive_bytes: Set(0),
            error: Set(None),
            ..Default::default()
        },
    )
    .await
}

/// Appends the next piece of the archive and records how far the task got.
pub async fn append<C: ConnectionTrait>(
    db: &C,
    id: &str,
    seq: i32,
    data: Vec<u8>,
    progress: i64,
    file_count: i32,
) -> StoreResult<()> {
    if !data.is_empty() {
        chunk::ActiveModel {
            task_id: Set(id.to_owned()),
            seq: Set(seq),
            data: Set(data),
        }
        .insert(db)
        .await?;
    }
    update(
        db,
        id,
        ActiveModel {
            progress: Set(progress),
            file_count: Set(file_count),
            ..Default::default()
        },
    )
    .await
}

pub async fn succeed<C: ConnectionTrait>(
    db: &C,
    id: &str,
    records: i64,
    file_count: i32,
    archive_bytes: i64,
) -> StoreResult<()> {
    update(
        db,
        id,
        ActiveModel {
            status: Set(SUCCESS.to_owned()),
            progress: Set(records),
            channel_count: Set(records),
            file_count: Set(file_count),
            archive_bytes: Set(archive_bytes),
            finished_at: Set(Some(now())),
            ..Default::default()
        },
    )
    .await
}

/// The task failed for `reason`; whatever it wrote goes.
pub async fn fail<C: ConnectionTrait>(db: &C, id: &str, reason: &str) -> StoreResult<()> {
    delete_chunks(db, id).await?;
    update(
        db,
        id,
        ActiveModel {
            status: Set(FAILED.to_owned()),
            error: Set(Some(reason.to_owned())),
            archive_bytes: Set(0),
            finished_at: Set(Some(now())),
            ..Default::default()
        },
    )
    .await
}

async fn update<C: ConnectionTrait>(db: &C, id: &str, model: ActiveModel) -> StoreResult<()> {
    Entity::update_many()
        .set(model)
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Piece `seq` of a task's archive.
pub async fn chunk<C: ConnectionTrait>(
    db: &C,
    task_id: &str,
    seq: i32,
) -> StoreResult<Option<Vec<u8>>> {
    Ok(chunk::Entity::find_by_id((task_id.to_owned(), seq))
        .one(db)
        .await?
        .map(|c| c.data))
}

/// How many channels of the tenant an export of the whole tenant covers.
pub async fn count_channels<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    visible_ous: Option<&HashSet<String>>,
) -> StoreResult<u64> {
    use channels::entity::{Column, Entity};
    let mut query = Entity::secure_find(tenant_id);
    if let Some(ous) = visible_ous {
        query = query.filter(Column::OuId.is_in(ous.iter().cloned()));
    }
    Ok(query.count(db).await?)
}

/// The channels among `ids` of the tenant: `(id, ou_id)`.
pub async fn existing_channels<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    ids: &[String],
) -> StoreResult<Vec<(String, String)>> {
    use channels::entity::{Column, Entity};
    let mut found = Vec::with_capacity(ids.len());
    for batch in ids.chunks(1000) {
        let rows: Vec<(String, String)> = Entity::secure_find(tenant_id)
            .select_only()
            .column(Column::Id)
            .column(Column::OuId)
            .filter(Column::Id.is_in(batch.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// What an export reads of a channel: its settings, never its credentials.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct ChannelRecord {
    pub id: String,
    pub status: String,
    pub settings: Json,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

/// The next page of a task's channels in id order, after `after`: the selected ones
/// (`ids`, sorted) or the whole tenant's, only of `ous` when given.
pub async fn channel_page<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    ids: Option<&[String]>,
    ous: Option<&HashSet<String>>,
    after: Option<&str>,
    limit: u64,
) -> StoreResult<Vec<ChannelRecord>> {
    use channels::entity::{Column, Entity};
    let query = || {
        let mut query = Entity::secure_find(tenant_id)
            .select_only()
            .columns([
                Column::Id,
                Column::Status,
                Column::Settings,
                Column::CreatedAt,
                Column::UpdatedAt,
            ])
            .order_by_asc(Column::Id);
        if let Some(ous) = ous {
            query = query.filter(Column::OuId.is_in(ous.iter().cloned()));
        }
        query.limit(limit)
    };
    let Some(ids) = ids else {
        let mut query = query();
        if let Some(after) = after {
            query = query.filter(Column::Id.gt(after));
        }
        return Ok(query.into_model::<ChannelRecord>().all(db).await?);
    };
    // The sorted selection itself is paged, so no statement carries more ids than a page;
    // a window whose channels were all deleted meanwhile is skipped.
    let mut start = after.map_or(0, |after| ids.partition_point(|id| id.as_str() <= after));
    while start < ids.len() {
        let end = (start + limit as usize).min(ids.len());
        let rows = query()
            .filter(Column::Id.is_in(ids[start..end].iter().cloned()))
            .into_model::<ChannelRecord>()
            .all(db)
            .await?;
        if !rows.is_empty() {
            return Ok(rows);
        }
        start = end;
    }
    Ok(Vec::new())
}
