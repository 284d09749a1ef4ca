//! Called routes (skill queues) of a tenant (R-TENANT-3).

use std::collections::HashSet;

use sea_orm::{entity::prelude::*, ActiveValue::Set, PaginatorTrait, QueryOrder, QuerySelect};

use super::{new_id, now, Page, StoreError, StoreResult, TenantOwned};

pub(super) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "called_routes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub tenant_id: String,
        pub name: String,
        pub media_type: String,
        pub ou_id: String,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

pub type CalledRoute = entity::Model;

impl TenantOwned for Entity {
    fn tenant_column() -> Column {
        Column::TenantId
    }
}

pub const MULTIMEDIA: &str = "multimedia";
pub const VOICE: &str = "voice";

pub struct NewCalledRoute {
    pub name: String,
    pub media_type: String,
    pub ou_id: String,
}

/// Which routes a list shows.
#[derive(Default)]
pub struct RouteFilter<'a> {
    /// Only routes of these OUs (what the caller may see); `None`: all.
    pub visible_ous: Option<&'a HashSet<String>>,
    pub ou_id: Option<String>,
    pub media_type: Option<String>,
}

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    new: NewCalledRoute,
) -> StoreResult<CalledRoute> {
    let model = ActiveModel {
        id: Set(new_id()),
        tenant_id: Set(tenant_id.to_owned()),
        name: Set(new.name),
        media_type: Set(new.media_type),
        ou_id: Set(new.ou_id),
        created_at: Set(now()),
    };
    Ok(model.insert(db).await?)
}

pub async fn find<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    id: &str,
) -> StoreResult<CalledRoute> {
    Entity::secure_find(tenant_id)
        .filter(Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("called route"))
}

/// Routes by id.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    filter: RouteFilter<'_>,
    page: &Page,
) -> StoreResult<Vec<CalledRoute>> {
    let mut query = Entity::secure_find(tenant_id).order_by_asc(Column::Id);
    if let Some(ous) = filter.visible_ous {
        query = query.filter(Column::OuId.is_in(ous.iter().cloned()));
    }
    if let Some(ou_id) = filter.ou_id {
        query = query.filter(Column::OuId.eq(ou_id));
    }
    if let Some(media_type) = filter.media_type {
        query = query.filter(Column::MediaType.eq(media_type));
    }
    if let Some(after) = &page.after {
        query = query.filter(Column::Id.gt(after.clone()));
    }
    Ok(query.limit(page.limit + 1).all(db).await?)
}

pub(super) async fn count_in_ou<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    ou_id: &str,
) -> StoreResult<u64> {
    Ok(Entity::secure_find(tenant_id)
        .filter(Column::OuId.eq(ou_id))
        .count(db)
        .await?)
}

/// Deletes a route; the foreign keys refuse it while a channel routes to it.
pub async fn delete<C: ConnectionTrait>(db: &C, tenant_id: &str, id: &str) -> StoreResult<()> {
    let result = Entity::delete_many()
        .filter(Column::TenantId.eq(tenant_id))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    match result.rows_affected {
        0 => Err(StoreError::NotFound("called route")),
        _ => Ok(()),
    }
}
