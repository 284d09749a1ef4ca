//! API tokens, stored as SHA-256 hashes (R-API-3).

use sea_orm::{entity::prelude::*, ActiveValue::Set, PaginatorTrait, QueryOrder, QuerySelect};

use super::{new_id, now, Page, StoreError, StoreResult};

pub(super) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub tenant_id: Option<String>,
        pub role: String,
        pub ou_ids: Json,
        pub label: Option<String>,
        #[sea_orm(unique)]
        pub token_hash: String,
        pub prefix: String,
        pub created_at: ChronoDateTimeUtc,
        pub revoked_at: Option<ChronoDateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// A token as stored: its hash, never the token.
pub type Token = entity::Model;

impl Token {
    pub fn ou_ids(&self) -> Vec<String> {
        serde_json::from_value(self.ou_ids.clone()).unwrap_or_default()
    }
}

pub struct NewToken {
    pub tenant_id: Option<String>,
    pub role: &'static str,
    pub ou_ids: Vec<String>,
    pub label: Option<String>,
    pub token_hash: String,
    pub prefix: String,
}

/// Whose tokens a list shows.
pub enum Holder<'a> {
    /// The system administrators' tokens, which hold no tenant.
    System,
    Tenant(&'a str),
}

pub async fn insert<C: ConnectionTrait>(db: &C, new: NewToken) -> StoreResult<Token> {
    let model = ActiveModel {
        id: Set(new_id()),
        tenant_id: Set(new.tenant_id),
        role: Set(new.role.to_owned()),
        ou_ids: Set(serde_json::json!(new.ou_ids)),
        label: Set(new.label),
        token_hash: Set(new.token_hash),
        prefix: Set(new.prefix),
        created_at: Set(now()),
        revoked_at: Set(None),
    };
    Ok(model.insert(db).await?)
}

/// The unrevoked token with this hash.
pub async fn find_active_by_hash<C: ConnectionTrait>(
    db: &C,
    hash: &str,
) -> StoreResult<Option<Token>> {
    Ok(Entity::find()
        .filter(Column::TokenHash.eq(hash))
        .filter(Column::RevokedAt.is_null())
        .one(db)
        .await?)
}

/// A token by id, revoked or not.
pub async fn find<C: ConnectionTrait>(db: &C, id: &str) -> StoreResult<Token> {
    Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("token"))
}

pub async fn find_active<C: ConnectionTrait>(db: &C, id: &str) -> StoreResult<Token> {
    Entity::find_by_id(id)
        .filter(Column::RevokedAt.is_null())
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("token"))
}

/// Tokens by id, revoked ones included.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    holder: Holder<'_>,
    page: &Page,
) -> StoreResult<Vec<Token>> {
    let mut query = Entity::find().order_by_asc(Column::Id);
    query = match holder {
        Holder::System => query.filter(Column::TenantId.is_null()),
        Holder::Tenant(tenant_id) => query.filter(Column::TenantId.eq(tenant_id)),
    };
    if let Some(after) = &page.after {
        query = query.filter(Column::Id.gt(after.clone()));
    }
    Ok(query.limit(page.limit + 1).all(db).await?)
}

const SYSTEM_ADMIN: &str = "system-admin";

/// Makes concurrent revocations of system administrator tokens take turns until the end
/// of the transaction: on PostgreSQL by locking the active ones, in id order; SQLite has
/// one writer anyway (and a read first would turn its next write into a lock upgrade that
/// fails instead of waiting).
pub async fn lock_system_admins<C: ConnectionTrait>(db: &C) -> StoreResult<()> {
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        Entity::find()
            .filter(Column::Role.eq(SYSTEM_ADMIN))
            .filter(Column::RevokedAt.is_null())
            .order_by_asc(Column::Id)
            .lock_exclusive()
            .all(db)
            .await?;
    }
    Ok(())
}

/// How many system administrator tokens are active.
pub async fn count_active_system_admins<C: ConnectionTrait>(db: &C) -> StoreResult<u64> {
    Ok(Entity::find()
        .filter(Column::Role.eq(SYSTEM_ADMIN))
        .filter(Column::RevokedAt.is_null())
        .count(db)
        .await?)
}

/// Revokes a token that is still active; of two concurrent revocations one finds it gone.
pub async fn revoke<C: ConnectionTrait>(db: &C, id: &str) -> StoreResult<()> {
    let result = Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::value(now()))
        .filter(Column::Id.eq(id))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    match result.rows_affected {
        0 => Err(StoreError::NotFound("token")),
        _ => Ok(()),
    }
}
