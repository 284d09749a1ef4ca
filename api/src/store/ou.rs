//! Organizational units: a tree inside a tenant (R-TENANT-2).

use std::collections::{HashMap, HashSet};

use sea_orm::{entity::prelude::*, QueryOrder};

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

pub async fn find_in_tenant<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    id: &str,
) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id)
        .filter(Column::TenantId.eq(tenant_id))
        .one(db)
        .await
}

pub async fn list<C: ConnectionTrait>(db: &C, tenant_id: &str) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::TenantId.eq(tenant_id))
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .all(db)
        .await
}

/// The given OUs and every OU below them: what a user granted those OUs may see.
pub async fn with_descendants<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    roots: &[String],
) -> Result<HashSet<String>, DbErr> {
    let all = list(db, tenant_id).await?;
    let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
    for ou in &all {
        if let Some(parent) = &ou.parent_id {
            children.entry(parent.as_str()).or_default().push(&ou.id);
        }
    }
    let mut seen: HashSet<String> = HashSet::new();
    let mut stack: Vec<&str> = roots
        .iter()
        .filter(|r| all.iter().any(|ou| &ou.id == *r))
        .map(String::as_str)
        .collect();
    while let Some(id) = stack.pop() {
        if seen.insert(id.to_owned()) {
            stack.extend(children.get(id).into_iter().flatten().copied());
        }
    }
    Ok(seen)
}
