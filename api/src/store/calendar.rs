//! The service calendar: a tenant's non-working dates (R-TENANT-5).

use sea_orm::{entity::prelude::*, ActiveValue::Set, QueryOrder};

use super::{tenants, StoreResult, TenantOwned};

pub(super) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "non_working_days")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: String,
        /// `YYYY-MM-DD`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

impl TenantOwned for Entity {
    fn tenant_column() -> Column {
        Column::TenantId
    }
}

/// Rows per INSERT: well under the bind-parameter limits of both databases.
const CHUNK: usize = 500;

/// The tenant's non-working days, sorted (`YYYY-MM-DD` sorts as dates do).
pub async fn days<C: ConnectionTrait>(db: &C, tenant_id: &str) -> StoreResult<Vec<String>> {
    let rows = Entity::secure_find(tenant_id)
        .order_by_asc(Column::Day)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|d| d.day).collect())
}

pub async fn is_non_working_day<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    day: &str,
) -> StoreResult<bool> {
    Ok(Entity::secure_find(tenant_id)
        .filter(Column::Day.eq(day))
        .one(db)
        .await?
        .is_some())
}

/// The non-working days of these tenants from `first` to `last` (`YYYY-MM-DD`, both
/// included), as `(tenant_id, day)`: one query for a batch of messages of many tenants.
pub async fn days_between<C: ConnectionTrait>(
    db: &C,
    tenant_ids: impl IntoIterator<Item = String>,
    first: &str,
    last: &str,
) -> StoreResult<std::collections::HashSet<(String, String)>> {
    let rows = Entity::find()
        .filter(Column::TenantId.is_in(tenant_ids))
        .filter(Column::Day.between(first, last))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|d| (d.tenant_id, d.day)).collect())
}

/// Replaces the list whole. Run it in a transaction: concurrent replacements take turns
/// on the tenant row, so one whole list remains.
pub async fn replace<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    days: Vec<String>,
) -> StoreResult<()> {
    tenants::lock(db, tenant_id).await?;
    Entity::delete_many()
        .filter(Column::TenantId.eq(tenant_id))
        .exec(db)
        .await?;
    let rows: Vec<ActiveModel> = days
        .into_iter()
        .map(|day| ActiveModel {
            tenant_id: Set(tenant_id.to_owned()),
            day: Set(day),
        })
        .collect();
    for chunk in rows.chunks(CHUNK) {
        Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}
