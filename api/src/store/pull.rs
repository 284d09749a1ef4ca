//! The minute pull's state of each channel (issue 15), in `channel_pull_state` beside the
//! channel (never its version): the cursor (the newest event a complete walk of
//! `GET /2/dm_events` reached), the place of an unfinished walk, X's last rate-limit
//! headers, the failures in a row, and what the channel shows. Enterprise channels have a
//! row too, for `lastDeliveryAt`, written once per group commit of deliveries.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{entity::prelude::*, sea_query::OnConflict, ActiveValue::Set, QuerySelect};

use super::{channels, StoreResult};

pub(super) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, Default, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "channel_pull_state")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub channel_id: String,
        /// The newest event a complete walk reached: everything up to it is stored.
        pub cursor_event_id: Option<String>,
        /// X's time of that event, milliseconds since the epoch.
        pub cursor_at_ms: Option<i64>,
        /// X's `next_token` of an unfinished walk: the page to read next.
        pub walk_token: Option<String>,
        /// The newest event of an unfinished walk, the cursor once the walk ends.
        pub walk_newest_event_id: Option<String>,
        pub walk_newest_at_ms: Option<i64>,
        pub walk_started_at: Option<ChronoDateTimeUtc>,
        /// X's last `x-rate-limit-*` headers for this channel's account.
        pub rate_limit: Option<i64>,
        pub rate_remaining: Option<i64>,
        pub rate_reset_at: Option<ChronoDateTimeUtc>,
        /// Failed pulls in a row (5xx, timeouts, garbage): the back-off's exponent.
        pub failures: i32,
        pub last_pull_at: Option<ChronoDateTimeUtc>,
        pub next_pull_at: Option<ChronoDateTimeUtc>,
        pub last_error_code: Option<String>,
        pub last_error_message: Option<String>,
        pub last_error_at: Option<ChronoDateTimeUtc>,
        pub last_delivery_at: Option<ChronoDateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// A channel's pull state as stored.
pub type PullState = entity::Model;

/// The lease kind of the minute pull; the item is the channel id.
pub const PULL_KIND: &str = "pull";

impl PullState {
    /// The state of a channel never pulled.
    pub fn new(channel_id: &str) -> Self {
        PullState {
            channel_id: channel_id.to_owned(),
            ..PullState::default()
        }
    }
}

pub async fn find<C: ConnectionTrait>(db: &C, channel_id: &str) -> StoreResult<Option<PullState>> {
    Ok(Entity::find_by_id(channel_id.to_owned()).one(db).await?)
}

/// The pull states of these channels, by channel id (a page of a list).
pub async fn find_many<C: ConnectionTrait>(
    db: &C,
    channel_ids: impl IntoIterator<Item = String>,
) -> StoreResult<HashMap<String, PullState>> {
    let rows = Entity::find()
        .filter(Column::ChannelId.is_in(channel_ids))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.channel_id.clone(), r))
        .collect())
}

/// Writes the pull's part of the state (everything but `last_delivery_at`).
pub async fn save<C: ConnectionTrait>(db: &C, state: &PullState) -> StoreResult<()> {
    let row = ActiveModel {
        channel_id: Set(state.channel_id.clone()),
        cursor_event_id: Set(state.cursor_event_id.clone()),
        cursor_at_ms: Set(state.cursor_at_ms),
        walk_token: Set(state.walk_token.clone()),
        walk_newest_event_id: Set(state.walk_newest_event_id.clone()),
        walk_newest_at_ms: Set(state.walk_newest_at_ms),
        walk_started_at: Set(state.walk_started_at),
        rate_limit: Set(state.rate_limit),
        rate_remaining: Set(state.rate_remaining),
        rate_reset_at: Set(state.rate_reset_at),
        failures: Set(state.failures),
        last_pull_at: Set(state.last_pull_at),
        next_pull_at: Set(state.next_pull_at),
        last_error_code: Set(state.last_error_code.clone()),
        last_error_message: Set(state.last_error_message.clone()),
        last_error_at: Set(state.last_error_at),
        last_delivery_at: Set(state.last_delivery_at),
    };
    Entity::insert(row)
        .on_conflict(
            OnConflict::column(Column::ChannelId)
                .update_columns([
                    Column::CursorEventId,
                    Column::CursorAtMs,
                    Column::WalkToken,
                    Column::WalkNewestEventId,
                    Column::WalkNewestAtMs,
                    Column::WalkStartedAt,
                    Column::RateLimit,
                    Column::RateRemaining,
                    Column::RateResetAt,
                    Column::Failures,
                    Column::LastPullAt,
                    Column::NextPullAt,
                    Column::LastErrorCode,
                    Column::LastErrorMessage,
                    Column::LastErrorAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Records that deliveries for these channels were committed at `at`: one statement for
/// a whole group commit.
pub async fn record_deliveries<C: ConnectionTrait>(
    db: &C,
    channel_ids: impl IntoIterator<Item = String>,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let rows: Vec<ActiveModel> = channel_ids
        .into_iter()
        .map(|channel_id| ActiveModel {
            channel_id: Set(channel_id),
            failures: Set(0),
            last_delivery_at: Set(Some(at)),
            ..Default::default()
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(Column::ChannelId)
                .update_column(Column::LastDeliveryAt)
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Active Basic and Pro channels that have no pull scheduled (active before this
/// version of the service, or whose lease was lost), to be scheduled at start.
pub async fn unscheduled_channels<C: ConnectionTrait>(db: &C) -> StoreResult<Vec<String>> {
    use channels::entity::{Column as Ch, Entity as Channels};
    let active: Vec<String> = Channels::find()
        .select_only()
        .column(Ch::Id)
        .filter(Ch::Status.eq("active"))
        .filter(Ch::AccountLevel.ne("enterprise"))
        .into_tuple::<String>()
        .all(db)
        .await?;
    let scheduled = super::leases::items(db, PULL_KIND).await?;
    Ok(active
        .into_iter()
        .filter(|id| !scheduled.contains(id))
        .collect())
}
