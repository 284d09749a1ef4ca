//! Called routes (skill queues) of a tenant (R-TENANT-3).

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

pub const MULTIMEDIA: &str = "multimedia";
pub const VOICE: &str = "voice";

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
