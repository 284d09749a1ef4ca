//! Organizational units: a tree inside a tenant (R-TENANT-2).

use std::collections::{HashMap, HashSet};

use sea_orm::{entity::prelude::*, ActiveValue::Set, PaginatorTrait, QueryOrder};

use super::{called_routes, channels, new_id, now, StoreError, StoreResult, TenantOwned};

pub(super) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "ous")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub tenant_id: String,
        pub name: String,
        pub parent_id: Option<String>,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

pub type Ou = entity::Model;

impl TenantOwned for Entity {
    fn tenant_column() -> Column {
        Column::TenantId
    }
}

pub struct NewOu {
    pub name: String,
    pub parent_id: Option<String>,
}

/// What still hangs on an OU.
pub struct OuUsage {
    pub children: u64,
    pub called_routes: u64,
    pub channels: u64,
}

impl OuUsage {
    pub fn is_empty(&self) -> bool {
        self.children + self.called_routes + self.channels == 0
    }
}

pub async fn insert<C: ConnectionTrait>(db: &C, tenant_id: &str, new: NewOu) -> StoreResult<Ou> {
    let model = ActiveModel {
        id: Set(new_id()),
        tenant_id: Set(tenant_id.to_owned()),
        name: Set(new.name),
        parent_id: Set(new.parent_id),
        created_at: Set(now()),
    };
    Ok(model.insert(db).await?)
}

pub async fn find<C: ConnectionTrait>(db: &C, tenant_id: &str, id: &str) -> StoreResult<Ou> {
    Entity::secure_find(tenant_id)
        .filter(Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("OU"))
}

pub async fn exists<C: ConnectionTrait>(db: &C, tenant_id: &str, id: &str) -> StoreResult<bool> {
    Ok(Entity::secure_find(tenant_id)
        .filter(Column::Id.eq(id))
        .count(db)
        .await?
        > 0)
}

/// Every OU of the tenant, parents before children (ids sort by creation).
pub async fn list<C: ConnectionTrait>(db: &C, tenant_id: &str) -> StoreResult<Vec<Ou>> {
    Ok(Entity::secure_find(tenant_id)
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

pub async fn usage<C: ConnectionTrait>(db: &C, tenant_id: &str, id: &str) -> StoreResult<OuUsage> {
    Ok(OuUsage {
        children: Entity::secure_find(tenant_id)
            .filter(Column::ParentId.eq(id))
            .count(db)
            .await?,
        called_routes: called_routes::count_in_ou(db, tenant_id, id).await?,
        channels: channels::count_in_ou(db, tenant_id, id).await?,
    })
}

/// Deletes an OU; the foreign keys refuse it while anything still points at it.
pub async fn delete<C: ConnectionTrait>(db: &C, tenant_id: &str, id: &str) -> StoreResult<()> {
    let result = Entity::delete_many()
        .filter(Column::TenantId.eq(tenant_id))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    match result.rows_affected {
        0 => Err(StoreError::NotFound("OU")),
        _ => Ok(()),
    }
}

/// The given OUs and every OU below them, out of the tenant's OUs.
pub fn with_descendants(all: &[Ou], roots: &[String]) -> HashSet<String> {
    let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
    for ou in all {
        if let Some(parent) = &ou.parent_id {
            children.entry(parent.as_str()).or_default().push(&ou.id);
        }
    }
    let known: HashSet<&str> = all.iter().map(|ou| ou.id.as_str()).collect();
    let mut seen: HashSet<String> = HashSet::new();
    let mut stack: Vec<&str> = roots
        .iter()
        .map(String::as_str)
        .filter(|r| known.contains(r))
        .collect();
    while let Some(id) = stack.pop() {
        if seen.insert(id.to_owned()) {
            stack.extend(children.get(id).into_iter().flatten().copied());
        }
    }
    seen
}
