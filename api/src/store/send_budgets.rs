//! What the channel knows of its send budget at X: the `x-rate-limit-*` headers of its last
//! send (one row per channel, replaced by each send), and the count of what it sent.

use sea_orm::{entity::prelude::*, sea_query::OnConflict, ActiveValue::Set, QuerySelect};

use super::StoreResult;

pub(super) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "channel_send_budgets")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub channel_id: String,
        pub x_limit: Option<i32>,
        pub x_remaining: Option<i32>,
        pub x_reset_at_ms: Option<i64>,
        pub updated_at_ms: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// X's last word on a channel's sends.
pub type XSendLimit = entity::Model;

/// Keeps X's headers of the channel's latest send.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
    limit: u64,
    remaining: u64,
    reset_at_ms: i64,
    at_ms: i64,
) -> StoreResult<()> {
    let clamp = |n: u64| i32::try_from(n).unwrap_or(i32::MAX);
    Entity::insert(ActiveModel {
        channel_id: Set(channel_id.to_owned()),
        x_limit: Set(Some(clamp(limit))),
        x_remaining: Set(Some(clamp(remaining))),
        x_reset_at_ms: Set(Some(reset_at_ms)),
        updated_at_ms: Set(at_ms),
    })
    .on_conflict(
        OnConflict::column(Column::ChannelId)
            .update_columns([
                Column::XLimit,
                Column::XRemaining,
                Column::XResetAtMs,
                Column::UpdatedAtMs,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// X's last word on each of these channels' sends, by channel id.
pub async fn find_many<C: ConnectionTrait>(
    db: &C,
    channel_ids: impl IntoIterator<Item = String>,
) -> StoreResult<std::collections::HashMap<String, XSendLimit>> {
    let rows = Entity::find()
        .filter(Column::ChannelId.is_in(channel_ids))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.channel_id.clone(), r))
        .collect())
}

/// For each of these channels that sent any: the messages its account sent (by any
/// client: X echoes them all) that X timed at or after `recent_ms` and at or after
/// `since_ms` (`recent_ms >= since_ms`), in one grouped query whatever the number of
/// channels.
pub async fn sent_since_many<C: ConnectionTrait>(
    db: &C,
    channel_ids: impl IntoIterator<Item = String>,
    recent_ms: i64,
    since_ms: i64,
) -> StoreResult<std::collections::HashMap<String, (u64, u64)>> {
    use super::messages::entity::{Column as M, Entity as Messages};
    use sea_orm::sea_query::{Expr, Func};
    let recent = Func::sum(Expr::case(M::SentAtMs.gte(recent_ms), 1).finally(0));
    let rows: Vec<(String, Option<i64>, i64)> = Messages::find()
        .select_only()
        .column(M::ChannelId)
        .column_as(Expr::expr(recent), "recent")
        .column_as(M::Id.count(), "since")
        .filter(M::ChannelId.is_in(channel_ids))
        .filter(M::Direction.eq("outbound"))
        .filter(M::SentAtMs.gte(since_ms))
        .group_by(M::ChannelId)
        .into_tuple()
        .all(db)
        .await?;
    let count = |n: i64| n.max(0) as u64;
    Ok(rows
        .into_iter()
        .map(|(id, recent, since)| (id, (count(recent.unwrap_or(0)), count(since))))
        .collect())
}
