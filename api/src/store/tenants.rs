//! Tenants: the owners of every other resource (R-TENANT-1).

use sea_orm::{entity::prelude::*, ActiveValue::Set, QueryOrder, QuerySelect};

use super::{new_id, now, Page, StoreError, StoreResult};

pub(super) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "tenants")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub name: String,
        pub time_zone: String,
        pub ou_isolation: bool,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// A tenant as stored.
pub type Tenant = entity::Model;

pub struct NewTenant {
    pub name: String,
    pub time_zone: String,
    pub ou_isolation: bool,
}

/// The fields a change sets; `None` keeps the stored value.
#[derive(Default)]
pub struct TenantChanges {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    pub ou_isolation: Option<bool>,
}

pub async fn insert<C: ConnectionTrait>(db: &C, new: NewTenant) -> StoreResult<Tenant> {
    let at = now();
    let model = ActiveModel {
        id: Set(new_id()),
        name: Set(new.name),
        time_zone: Set(new.time_zone),
        ou_isolation: Set(new.ou_isolation),
        created_at: Set(at),
        updated_at: Set(at),
    };
    Ok(model.insert(db).await?)
}

pub async fn find<C: ConnectionTrait>(db: &C, id: &str) -> StoreResult<Tenant> {
    Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("tenant"))
}

/// Tenants by id.
pub async fn list<C: ConnectionTrait>(db: &C, page: &Page) -> StoreResult<Vec<Tenant>> {
    let mut query = Entity::find().order_by_asc(Column::Id);
    if let Some(after) = &page.after {
        query = query.filter(Column::Id.gt(after.clone()));
    }
    Ok(query.limit(page.limit + 1).all(db).await?)
}

pub async fn update<C: ConnectionTrait>(
    db: &C,
    id: &str,
    changes: TenantChanges,
) -> StoreResult<Tenant> {
    let mut model: ActiveModel = find(db, id).await?.into();
    if let Some(name) = changes.name {
        model.name = Set(name);
    }
    if let Some(time_zone) = changes.time_zone {
        model.time_zone = Set(time_zone);
    }
    if let Some(isolation) = changes.ou_isolation {
        model.ou_isolation = Set(isolation);
    }
    model.updated_at = Set(now());
    Ok(model.update(db).await?)
}

/// Makes concurrent writers of one tenant's rows take turns (PostgreSQL; SQLite has one
/// writer anyway, and a read first would turn its next write into a lock upgrade that
/// fails instead of waiting).
pub(super) async fn lock<C: ConnectionTrait>(db: &C, id: &str) -> StoreResult<()> {
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        Entity::find_by_id(id)
            .lock_exclusive()
            .one(db)
            .await?
            .ok_or(StoreError::NotFound("tenant"))?;
    }
    Ok(())
}
