//! Tenants: the owners of every other resource (R-TENANT-1).

use migrations::tenant_name_key;
use sea_orm::{
    entity::prelude::*, sea_query::Expr, ActiveValue::Set, PaginatorTrait, QueryOrder, QuerySelect,
};

use super::{
    calendar, called_routes, channels, new_id, now, ous, tokens, Page, StoreError, StoreResult,
    TenantOwned,
};

pub(super) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "tenants")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub name: String,
        /// The name as names are compared (NFC, lower case): unique.
        pub name_key: String,
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
        name_key: Set(tenant_name_key(&new.name)),
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

/// The time zones (IANA names, as stored) of these tenants, by tenant id: one query for a
/// batch of messages of many tenants.
pub async fn time_zones<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = String>,
) -> StoreResult<std::collections::HashMap<String, String>> {
    let rows: Vec<(String, String)> = Entity::find()
        .select_only()
        .columns([Column::Id, Column::TimeZone])
        .filter(Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
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
        model.name_key = Set(tenant_name_key(&name));
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
pub async fn lock<C: ConnectionTrait>(db: &C, id: &str) -> StoreResult<()> {
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        Entity::find_by_id(id)
            .lock_exclusive()
            .one(db)
            .await?
            .ok_or(StoreError::NotFound("tenant"))?;
    }
    Ok(())
}

/// What a tenant owns, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TenantContents {
    pub channels: u64,
    pub ous: u64,
    pub called_routes: u64,
    pub tokens: u64,
}

/// Counts what the tenant owns (its tokens: the active ones).
pub async fn contents<C: ConnectionTrait>(db: &C, id: &str) -> StoreResult<TenantContents> {
    Ok(TenantContents {
        channels: channels::entity::Entity::secure_find(id).count(db).await?,
        ous: ous::entity::Entity::secure_find(id).count(db).await?,
        called_routes: called_routes::entity::Entity::secure_find(id)
            .count(db)
            .await?,
        tokens: tokens::entity::Entity::find()
            .filter(tokens::entity::Column::TenantId.eq(id))
            .filter(tokens::entity::Column::RevokedAt.is_null())
            .count(db)
            .await?,
    })
}

/// Deletes the tenant and everything it owns, its tokens included, in the caller's
/// transaction; gives back what there was. Rows go in the order the foreign keys between
/// them allow: channels, called routes, the OUs (unlinked from their parents first), the
/// calendar, the tokens, the tenant.
pub async fn delete<C: ConnectionTrait>(db: &C, id: &str) -> StoreResult<TenantContents> {
    lock(db, id).await?;
    find(db, id).await?;
    let contents = contents(db, id).await?;
    channels::entity::Entity::delete_many()
        .filter(channels::entity::Column::TenantId.eq(id))
        .exec(db)
        .await?;
    called_routes::entity::Entity::delete_many()
        .filter(called_routes::entity::Column::TenantId.eq(id))
        .exec(db)
        .await?;
    ous::entity::Entity::update_many()
        .col_expr(
            ous::entity::Column::ParentId,
            Expr::value(Option::<String>::None),
        )
        .filter(ous::entity::Column::TenantId.eq(id))
        .exec(db)
        .await?;
    ous::entity::Entity::delete_many()
        .filter(ous::entity::Column::TenantId.eq(id))
        .exec(db)
        .await?;
    calendar::entity::Entity::delete_many()
        .filter(calendar::entity::Column::TenantId.eq(id))
        .exec(db)
        .await?;
    tokens::entity::Entity::delete_many()
        .filter(tokens::entity::Column::TenantId.eq(id))
        .exec(db)
        .await?;
    Entity::delete_by_id(id).exec(db).await?;
    Ok(contents)
}
