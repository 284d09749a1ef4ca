//! Messages: each direct message of a channel stored once, keyed by X's event id
//! (R-INGEST-3), whichever path brought it; read newest first by X's time (R-INGEST-4).
//! Rows are reached through a channel already found in its tenant, so a read cannot
//! forget the tenant.

use std::collections::HashSet;

use sea_orm::{
    entity::prelude::*, sea_query::OnConflict, ActiveValue::Set, Condition, QueryOrder,
    QuerySelect, QueryTrait,
};

use super::{channels::Channel, StoreResult};

pub(super) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "messages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub channel_id: String,
        /// Unique per channel (index `messages_channel_event`).
        pub x_event_id: String,
        pub conversation_id: String,
        pub direction: String,
        pub sender_id: String,
        pub sender_username: Option<String>,
        pub sender_name: Option<String>,
        pub recipient_id: Option<String>,
        pub text: String,
        pub attachments: Json,
        /// X's time, milliseconds since the epoch.
        pub sent_at_ms: i64,
        pub received_at: ChronoDateTimeUtc,
        /// Why the service sent it on its own (`non_working_time`, ...); `None` otherwise.
        pub automatic: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// A message as stored.
pub type Message = entity::Model;

/// Rows per INSERT statement: 14 parameters each stays far below SQLite's and
/// PostgreSQL's limits on bound parameters.
const ROWS_PER_STATEMENT: usize = 500;

/// Inserts the messages, skipping those whose `(channel_id, x_event_id)` is already
/// stored; returns the ones that were new, in the order given. A message repeated within
/// `messages` is stored (and returned) once.
///
/// Rows are inserted in the order of that key, whatever the order given: two
/// transactions inserting some of the same messages at once (on PostgreSQL, where writes
/// run concurrently) then wait for each other's keys in the same order, and never
/// deadlock.
pub async fn insert_new<C: ConnectionTrait>(
    db: &C,
    messages: Vec<Message>,
) -> StoreResult<Vec<Message>> {
    let backend = db.get_database_backend();
    let mut in_key_order: Vec<&Message> = messages.iter().collect();
    in_key_order.sort_unstable_by(|a, b| {
        (&a.channel_id, &a.x_event_id).cmp(&(&b.channel_id, &b.x_event_id))
    });
    let mut inserted = HashSet::new();
    for chunk in in_key_order.chunks(ROWS_PER_STATEMENT) {
        let mut insert = Entity::insert_many(chunk.iter().map(|m| active((*m).clone())))
            .on_conflict(
                OnConflict::columns([Column::ChannelId, Column::XEventId])
                    .do_nothing()
                    .to_owned(),
            );
        let statement = backend.build(&insert.query().returning_col(Column::Id).to_owned());
        for row in db.query_all(statement).await? {
            inserted.insert(row.try_get::<String>("", "id")?);
        }
    }
    Ok(messages
        .into_iter()
        .filter(|m| inserted.contains(&m.id))
        .collect())
}

/// The message of the channel with X's event id, if stored.
pub async fn find_by_event<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
    x_event_id: &str,
) -> StoreResult<Option<Message>> {
    Ok(Entity::find()
        .filter(Column::ChannelId.eq(channel_id))
        .filter(Column::XEventId.eq(x_event_id))
        .one(db)
        .await?)
}

/// Marks a stored message as sent by the service on its own for `reason`.
pub async fn mark_automatic<C: ConnectionTrait>(db: &C, id: &str, reason: &str) -> StoreResult<()> {
    Entity::update_many()
        .col_expr(Column::Automatic, Expr::value(reason))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

fn active(m: Message) -> ActiveModel {
    ActiveModel {
        id: Set(m.id),
        channel_id: Set(m.channel_id),
        x_event_id: Set(m.x_event_id),
        conversation_id: Set(m.conversation_id),
        direction: Set(m.direction),
        sender_id: Set(m.sender_id),
        sender_username: Set(m.sender_username),
        sender_name: Set(m.sender_name),
        recipient_id: Set(m.recipient_id),
        text: Set(m.text),
        attachments: Set(m.attachments),
        sent_at_ms: Set(m.sent_at_ms),
        received_at: Set(m.received_at),
        automatic: Set(m.automatic),
    }
}

/// Where a page of messages starts: after the message with this time and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageCursor {
    pub sent_at_ms: i64,
    pub id: String,
}

/// Which messages of a channel a list shows.
#[derive(Debug, Default)]
pub struct MessageFilter {
    pub direction: Option<String>,
    pub conversation_id: Option<String>,
    /// Only messages X timed at or after this, in milliseconds.
    pub since_ms: Option<i64>,
    pub after: Option<MessageCursor>,
}

/// A channel's messages, newest first by X's time (ties by id), `limit + 1` rows so the
/// caller can tell whether another page follows.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    channel: &Channel,
    filter: MessageFilter,
    limit: u64,
) -> StoreResult<Vec<Message>> {
    let mut query = Entity::find()
        .filter(Column::ChannelId.eq(channel.id.as_str()))
        .order_by_desc(Column::SentAtMs)
        .order_by_desc(Column::Id);
    if let Some(direction) = filter.direction {
        query = query.filter(Column::Direction.eq(direction));
    }
    if let Some(conversation) = filter.conversation_id {
        query = query.filter(Column::ConversationId.eq(conversation));
    }
    if let Some(since) = filter.since_ms {
        query = query.filter(Column::SentAtMs.gte(since));
    }
    if let Some(after) = filter.after {
        query = query.filter(
            Condition::any()
                .add(Column::SentAtMs.lt(after.sent_at_ms))
                .add(
                    Condition::all()
                        .add(Column::SentAtMs.eq(after.sent_at_ms))
                        .add(Column::Id.lt(after.id)),
                ),
        );
    }
    Ok(query.limit(limit + 1).all(db).await?)
}
