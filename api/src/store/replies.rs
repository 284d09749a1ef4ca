//! Replies asked for under an `Idempotency-Key`: the key is claimed before X is called and
//! holds the answer once X answered, so a repeated request answers the first result and a
//! reply is never sent twice by one key. Unique per tenant (the primary key). Kept for
//! `config::IDEMPOTENCY_KEY_RETENTION` after the first request, then deleted
//! (`workers::retention`).

use chrono::{DateTime, Utc};
use sea_orm::{
    entity::prelude::*, sea_query::OnConflict, ActiveValue::Set, QueryOrder, QuerySelect,
};

use super::{now, StoreResult};

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "reply_requests")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub idempotency_key: String,
        pub conversation_id: String,
        pub text_sha256: String,
        pub status: String,
        pub response_status: Option<i32>,
        pub response_body: Option<String>,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// A reply request as stored.
pub type ReplyRequest = entity::Model;

const SENDING: &str = "sending";
const DONE: &str = "done";

impl ReplyRequest {
    /// The answer given, once X answered: status and JSON body.
    pub fn answer(&self) -> Option<(u16, &str)> {
        match (
            self.status.as_str(),
            self.response_status,
            &self.response_body,
        ) {
            (DONE, Some(status), Some(body)) => Some((status as u16, body.as_str())),
            _ => None,
        }
    }

    /// Whether the request asked for the same reply.
    pub fn is_for(&self, conversation_id: &str, text_sha256: &str) -> bool {
        self.conversation_id == conversation_id && self.text_sha256 == text_sha256
    }
}

/// Claims `key` for a reply; `None` when claimed, else the request that holds it.
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    key: &str,
    conversation_id: &str,
    text_sha256: &str,
) -> StoreResult<Option<ReplyRequest>> {
    let row = ActiveModel {
        tenant_id: Set(tenant_id.to_owned()),
        idempotency_key: Set(key.to_owned()),
        conversation_id: Set(conversation_id.to_owned()),
        text_sha256: Set(text_sha256.to_owned()),
        status: Set(SENDING.to_owned()),
        response_status: Set(None),
        response_body: Set(None),
        created_at: Set(now()),
    };
    let inserted = Entity::insert(row)
        .on_conflict(
            OnConflict::columns([Column::TenantId, Column::IdempotencyKey])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    if inserted == 1 {
        return Ok(None);
    }
    Ok(Entity::find_by_id((tenant_id.to_owned(), key.to_owned()))
        .one(db)
        .await?)
}

/// Records the answer given for `key`.
pub async fn answered<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    key: &str,
    status: u16,
    body: &str,
) -> StoreResult<()> {
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(DONE))
        .col_expr(Column::ResponseStatus, Expr::value(status as i32))
        .col_expr(Column::ResponseBody, Expr::value(body))
        .filter(Column::TenantId.eq(tenant_id))
        .filter(Column::IdempotencyKey.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Gives `key` up: X certainly did not get the reply, so the same key may send it again.
pub async fn release<C: ConnectionTrait>(db: &C, tenant_id: &str, key: &str) -> StoreResult<()> {
    Entity::delete_many()
        .filter(Column::TenantId.eq(tenant_id))
        .filter(Column::IdempotencyKey.eq(key))
        .filter(Column::Status.eq(SENDING))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes the oldest requests made before `before`, about `limit` of them (those of the
/// last one's instant too); how many went.
pub async fn delete_older_than<C: ConnectionTrait>(
    db: &C,
    before: DateTime<Utc>,
    limit: u64,
) -> StoreResult<u64> {
    let oldest: Vec<DateTime<Utc>> = Entity::find()
        .select_only()
        .column(Column::CreatedAt)
        .filter(Column::CreatedAt.lt(before))
        .order_by_asc(Column::CreatedAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    let Some(through) = oldest.last() else {
        return Ok(0);
    };
    let deleted = Entity::delete_many()
        .filter(Column::CreatedAt.lte(*through))
        .filter(Column::CreatedAt.lt(before))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}
