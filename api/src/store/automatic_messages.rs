//! Automatic messages: each direct message the service decides to send on its own (a
//! notice, a reminder), from the decision until X's answer or the reason it was skipped.
//! At most one per `(channel_id, dedupe_key)`: a second decision with the same key is a
//! no-op, so every instance may decide and the customer still hears it once. Reached
//! through a conversation already found in its tenant.

use chrono::{DateTime, Utc};
use sea_orm::{entity::prelude::*, sea_query::OnConflict, QueryOrder, QuerySelect};

use super::{conversations::Conversation, new_id, StoreResult};

pub(super) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "automatic_messages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub tenant_id: String,
        pub channel_id: String,
        pub conversation_id: String,
        pub reason: String,
        pub text: String,
        pub dedupe_key: Option<String>,
        pub status: String,
        pub detail: Option<String>,
        pub message_id: Option<String>,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// An automatic message as stored.
pub type AutomaticMessage = entity::Model;

/// Decided, not yet sent.
pub const PENDING: &str = "pending";
/// X is being asked; a lease that expires in this state does not send again.
pub const SENDING: &str = "sending";
pub const SENT: &str = "sent";
/// Not sent, on purpose (`detail` says why: the send budget, a channel not active).
pub const SKIPPED: &str = "skipped";
/// X refused it (`detail` says how); nothing was sent.
pub const FAILED: &str = "failed";
/// X may or may not have sent it; it is not sent again.
pub const UNCERTAIN: &str = "uncertain";

/// Records the decision to send `text` to the customer of `conversation`; `None` when a
/// message with the same `dedupe_key` exists on the channel already.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    conversation: &Conversation,
    reason: &str,
    text: String,
    dedupe_key: Option<String>,
    at: DateTime<Utc>,
) -> StoreResult<Option<AutomaticMessage>> {
    let row = AutomaticMessage {
        id: new_id(),
        tenant_id: conversation.tenant_id.clone(),
        channel_id: conversation.channel_id.clone(),
        conversation_id: conversation.id.clone(),
        reason: reason.to_owned(),
        text,
        dedupe_key,
        status: PENDING.to_owned(),
        detail: None,
        message_id: None,
        created_at: at,
        updated_at: at,
    };
    let inserted = Entity::insert(ActiveModel::from(row.clone()))
        .on_conflict(
            OnConflict::columns([Column::ChannelId, Column::DedupeKey])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok((inserted == 1).then_some(row))
}

pub async fn find<C: ConnectionTrait>(db: &C, id: &str) -> StoreResult<Option<AutomaticMessage>> {
    Ok(Entity::find_by_id(id).one(db).await?)
}

/// Moves the message from `from` on to `status`, with why: one conditional UPDATE, so of
/// two instances moving it only one does. Whether it moved.
pub async fn settle<C: ConnectionTrait>(
    db: &C,
    id: &str,
    from: &str,
    status: &str,
    detail: Option<String>,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let moved = Entity::update_many()
        .col_expr(Column::Status, Expr::value(status))
        .col_expr(Column::Detail, Expr::value(detail))
        .col_expr(Column::UpdatedAt, Expr::value(at))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(from))
        .exec(db)
        .await?;
    Ok(moved.rows_affected == 1)
}

/// The stored message a sent automatic message became.
pub async fn set_message<C: ConnectionTrait>(
    db: &C,
    id: &str,
    message_id: &str,
) -> StoreResult<()> {
    Entity::update_many()
        .col_expr(Column::MessageId, Expr::value(message_id))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The automatic messages of a conversation in the order decided (ids are UUID v7),
/// after the id `after`; `limit + 1` rows so the caller can tell whether more follow.
pub async fn of_conversation<C: ConnectionTrait>(
    db: &C,
    conversation: &Conversation,
    after: Option<String>,
    limit: u64,
) -> StoreResult<Vec<AutomaticMessage>> {
    let mut query = Entity::find()
        .filter(Column::ConversationId.eq(conversation.id.as_str()))
        .order_by_asc(Column::Id);
    if let Some(after) = after {
        query = query.filter(Column::Id.gt(after));
    }
    Ok(query.limit(limit + 1).all(db).await?)
}

/// Whether an automatic message of the conversation `id` is being sent, or was left
/// `uncertain` since `since`: X's echo of it may be stored (by a webhook delivery or the
/// pull, up to a minute later) before the sender records it, or with no record at all
/// when the send's answer was lost, and is then the service's message, not an agent's.
/// The text is not compared: X rewrites links in what it delivers.
pub async fn being_sent<C: ConnectionTrait>(
    db: &C,
    conversation_id: &str,
    since: DateTime<Utc>,
) -> StoreResult<bool> {
    let found = Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::ConversationId.eq(conversation_id))
        .filter(
            sea_orm::Condition::any()
                .add(Column::Status.eq(SENDING))
                .add(
                    sea_orm::Condition::all()
                        .add(Column::Status.eq(UNCERTAIN))
                        .add(Column::UpdatedAt.gte(since)),
                ),
        )
        .into_tuple::<String>()
        .one(db)
        .await?;
    Ok(found.is_some())
}
