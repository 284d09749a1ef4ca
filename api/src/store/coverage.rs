//! The coverage ledger: per channel, the time ranges known complete and the gaps with their
//! reason, both kept merged (ranges that touch or overlap collapse into one), and the
//! instances' heartbeats. Every function takes the caller's connection, so the ledger is
//! written in the same transaction as the messages it describes. A merge reads only the
//! rows it touches: ranges are disjoint and keyed by `(channel_id, from_ms)`, so the one
//! range before `from` and the ranges starting inside `[from, to]` are two index reads.
//! Times are milliseconds since the epoch, X's unit.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    entity::prelude::*, sea_query::OnConflict, ActiveValue::Set, Condition, QueryOrder, QuerySelect,
};

use super::{leases, new_id, now, StoreResult};

pub(super) mod range {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "coverage_ranges")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub channel_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub from_ms: i64,
        pub to_ms: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(super) mod gap {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "coverage_gaps")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub channel_id: String,
        pub from_ms: i64,
        /// `None` while the gap is open (X still marks the webhook invalid).
        pub to_ms: Option<i64>,
        pub reason: String,
        /// `replay` or `read_back` while a healing is under way.
        pub healing: Option<String>,
        pub replay_job_id: Option<String>,
        pub healing_since: Option<ChronoDateTimeUtc>,
        pub created_at: ChronoDateTimeUtc,
        /// X's `next_token` where the gap's last read-back stopped: everything X timed
        /// after the gap's end down to there was read, so the next one goes on from it.
        pub read_back_token: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(super) mod heartbeat {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "instance_heartbeats")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub instance: String,
        pub started_at: ChronoDateTimeUtc,
        pub beat_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A gap as stored.
pub type Gap = gap::Model;

/// The lease kind of the healing work; the item is the channel id.
pub const HEAL_KIND: &str = "coverage";

/// Records `[from_ms, to_ms]` as known complete: merged with the ranges it touches, and cut
/// out of every gap it overlaps (what is known complete is no gap any more).
pub async fn add_complete<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
    from_ms: i64,
    to_ms: i64,
) -> StoreResult<()> {
    if to_ms < from_ms {
        return Ok(());
    }
    let (mut from, mut to) = (from_ms, to_ms);
    let mut touched = Vec::new();
    let before = range::Entity::find()
        .filter(range::Column::ChannelId.eq(channel_id))
        .filter(range::Column::FromMs.lt(from_ms))
        .order_by_desc(range::Column::FromMs)
        .one(db)
        .await?;
    if let Some(before) = before.filter(|r| r.to_ms.saturating_add(1) >= from_ms) {
        touched.push(before);
    }
    touched.extend(
        range::Entity::find()
            .filter(range::Column::ChannelId.eq(channel_id))
            .filter(range::Column::FromMs.between(from_ms, to_ms.saturating_add(1)))
            .all(db)
            .await?,
    );
    for r in &touched {
        from = from.min(r.from_ms);
        to = to.max(r.to_ms);
    }
    if !touched.is_empty() {
        range::Entity::delete_many()
            .filter(range::Column::ChannelId.eq(channel_id))
            .filter(range::Column::FromMs.is_in(touched.iter().map(|r| r.from_ms)))
            .exec(db)
            .await?;
    }
    range::ActiveModel {
        channel_id: Set(channel_id.to_owned()),
        from_ms: Set(from),
        to_ms: Set(to),
    }
    .insert(db)
    .await?;
    cut_gaps(db, channel_id, from_ms, to_ms).await
}

/// Gaps overlapping `[from_ms, to_ms]`, open ones included.
async fn overlapping_gaps<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
    from_ms: i64,
    to_ms: i64,
) -> StoreResult<Vec<Gap>> {
    Ok(gap::Entity::find()
        .filter(gap::Column::ChannelId.eq(channel_id))
        .filter(gap::Column::FromMs.lte(to_ms))
        .filter(
            Condition::any()
                .add(gap::Column::ToMs.is_null())
                .add(gap::Column::ToMs.gte(from_ms)),
        )
        .order_by_asc(gap::Column::FromMs)
        .all(db)
        .await?)
}

/// Removes `[from_ms, to_ms]` from every gap: a gap inside goes, one across an end is
/// trimmed, one around it is split in two (both keep the healing under way).
async fn cut_gaps<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
    from_ms: i64,
    to_ms: i64,
) -> StoreResult<()> {
    for g in overlapping_gaps(db, channel_id, from_ms, to_ms).await? {
        let left = (g.from_ms < from_ms).then_some((g.from_ms, Some(from_ms - 1)));
        let right = match g.to_ms {
            None => Some((to_ms + 1, None)),
            Some(end) if end > to_ms => Some((to_ms + 1, Some(end))),
            Some(_) => None,
        };
        gap::Entity::delete_by_id(g.id.clone()).exec(db).await?;
        for (from, to) in left.into_iter().chain(right) {
            let piece = Gap {
                id: new_id(),
                from_ms: from,
                to_ms: to,
                ..g.clone()
            };
            gap::ActiveModel::from(piece).insert(db).await?;
        }
    }
    Ok(())
}

/// Records a gap of `reason` over `[from_ms, to_ms]` (`to_ms` `None`: open), less what is
/// known complete, merged with the gaps of the same reason it touches that are not being
/// healed; schedules the healing.
pub async fn add_gap<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
    from_ms: i64,
    to_ms: Option<i64>,
    reason: &str,
) -> StoreResult<()> {
    let end = to_ms.unwrap_or(i64::MAX);
    if end < from_ms {
        return Ok(());
    }
    for (from, to) in less_complete(db, channel_id, from_ms, to_ms).await? {
        merge_gap(db, channel_id, from, to, reason).await?;
    }
    leases::schedule(db, HEAL_KIND, channel_id, now()).await
}

/// The parts of `[from_ms, to_ms]` no complete range covers.
async fn less_complete<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
    from_ms: i64,
    to_ms: Option<i64>,
) -> StoreResult<Vec<(i64, Option<i64>)>> {
    let end = to_ms.unwrap_or(i64::MAX);
    let mut covering = Vec::new();
    let before = range::Entity::find()
        .filter(range::Column::ChannelId.eq(channel_id))
        .filter(range::Column::FromMs.lt(from_ms))
        .order_by_desc(range::Column::FromMs)
        .one(db)
        .await?;
    covering.extend(before.filter(|r| r.to_ms >= from_ms));
    covering.extend(
        range::Entity::find()
            .filter(range::Column::ChannelId.eq(channel_id))
            .filter(range::Column::FromMs.between(from_ms, end))
            .order_by_asc(range::Column::FromMs)
            .all(db)
            .await?,
    );
    let mut parts = Vec::new();
    let mut start = from_ms;
    for r in covering {
        if r.from_ms > start {
            parts.push((start, Some(r.from_ms - 1)));
        }
        start = start.max(r.to_ms.saturating_add(1));
        if start > end {
            return Ok(parts);
        }
    }
    parts.push((start, to_ms));
    Ok(parts)
}

async fn merge_gap<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
    from_ms: i64,
    to_ms: Option<i64>,
    reason: &str,
) -> StoreResult<()> {
    let end = to_ms.unwrap_or(i64::MAX);
    // Gaps that end just before or start just after touch it as well.
    let touched: Vec<Gap> = overlapping_gaps(
        db,
        channel_id,
        from_ms.saturating_sub(1),
        end.saturating_add(1),
    )
    .await?
    .into_iter()
    .filter(|g| g.reason == reason && g.healing.is_none())
    .collect();
    let from = touched.iter().map(|g| g.from_ms).fold(from_ms, i64::min);
    let to = touched
        .iter()
        .try_fold(end, |to, g| g.to_ms.map(|t| to.max(t)));
    let to = to.filter(|&t| t != i64::MAX);
    for g in &touched {
        gap::Entity::delete_by_id(g.id.clone()).exec(db).await?;
    }
    gap::ActiveModel {
        id: Set(new_id()),
        channel_id: Set(channel_id.to_owned()),
        from_ms: Set(from),
        to_ms: Set(to),
        reason: Set(reason.to_owned()),
        healing: Set(None),
        replay_job_id: Set(None),
        healing_since: Set(None),
        created_at: Set(now()),
        // A merged gap reaches past where a read-back of its parts stopped.
        read_back_token: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Closes the channel's open gaps of `reason` at `to_ms`; schedules their healing.
pub async fn close_open_gaps<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
    reason: &str,
    to_ms: i64,
) -> StoreResult<()> {
    let closed = gap::Entity::update_many()
        .col_expr(gap::Column::ToMs, Expr::value(to_ms))
        .filter(gap::Column::ChannelId.eq(channel_id))
        .filter(gap::Column::Reason.eq(reason))
        .filter(gap::Column::ToMs.is_null())
        .exec(db)
        .await?;
    if closed.rows_affected > 0 {
        leases::schedule(db, HEAL_KIND, channel_id, now()).await?;
    }
    Ok(())
}

/// Whether the channel has an open gap of `reason`.
pub async fn has_open_gap<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
    reason: &str,
) -> StoreResult<bool> {
    Ok(gap::Entity::find()
        .filter(gap::Column::ChannelId.eq(channel_id))
        .filter(gap::Column::Reason.eq(reason))
        .filter(gap::Column::ToMs.is_null())
        .one(db)
        .await?
        .is_some())
}

/// A channel's gaps, oldest first.
pub async fn gaps<C: ConnectionTrait>(db: &C, channel_id: &str) -> StoreResult<Vec<Gap>> {
    Ok(gap::Entity::find()
        .filter(gap::Column::ChannelId.eq(channel_id))
        .order_by_asc(gap::Column::FromMs)
        .all(db)
        .await?)
}

/// The gaps of these channels (a page of a list), by channel id, oldest first.
pub async fn gaps_of_many<C: ConnectionTrait>(
    db: &C,
    channel_ids: impl IntoIterator<Item = String>,
) -> StoreResult<HashMap<String, Vec<Gap>>> {
    let rows = gap::Entity::find()
        .filter(gap::Column::ChannelId.is_in(channel_ids))
        .order_by_asc(gap::Column::FromMs)
        .all(db)
        .await?;
    let mut by_channel: HashMap<String, Vec<Gap>> = HashMap::new();
    for row in rows {
        by_channel
            .entry(row.channel_id.clone())
            .or_default()
            .push(row);
    }
    Ok(by_channel)
}

/// A channel's complete ranges, oldest first, as `(from_ms, to_ms)`.
pub async fn complete_ranges<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
) -> StoreResult<Vec<(i64, i64)>> {
    Ok(range::Entity::find()
        .filter(range::Column::ChannelId.eq(channel_id))
        .order_by_asc(range::Column::FromMs)
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.from_ms, r.to_ms))
        .collect())
}

/// Marks a gap as being healed (`replay` with X's job id, or `read_back`), or no longer.
pub async fn set_healing<C: ConnectionTrait>(
    db: &C,
    gap_id: &str,
    healing: Option<(&str, Option<&str>)>,
) -> StoreResult<()> {
    let (kind, job) = match healing {
        Some((kind, job)) => (Some(kind.to_owned()), job.map(str::to_owned)),
        None => (None, None),
    };
    let since = kind.as_ref().map(|_| now());
    gap::Entity::update_many()
        .col_expr(gap::Column::Healing, Expr::value(kind))
        .col_expr(gap::Column::ReplayJobId, Expr::value(job))
        .col_expr(gap::Column::HealingSince, Expr::value(since))
        .filter(gap::Column::Id.eq(gap_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A read-back of gap `g` stopped before the gap's start (its page limit, or X's budget):
/// it read every event newer than `read_from_ms` (`None`: none yet), so that part of the
/// gap is healed; the rest stays a gap, no longer being healed, and remembers `token`
/// (X's `next_token` of the last page read) for the next read-back to go on from.
pub async fn read_back_stopped<C: ConnectionTrait>(
    db: &C,
    g: &Gap,
    token: Option<&str>,
    read_from_ms: Option<i64>,
) -> StoreResult<()> {
    // Written first: the piece the healing leaves keeps it.
    gap::Entity::update_many()
        .col_expr(gap::Column::Healing, Expr::value(Option::<String>::None))
        .col_expr(
            gap::Column::ReplayJobId,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            gap::Column::HealingSince,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            gap::Column::ReadBackToken,
            Expr::value(token.map(str::to_owned)),
        )
        .filter(gap::Column::Id.eq(g.id.as_str()))
        .exec(db)
        .await?;
    if let (Some(from), Some(to)) = (read_from_ms, g.to_ms) {
        add_complete(db, &g.channel_id, from.max(g.from_ms), to).await?;
    }
    Ok(())
}

/// The channel's gaps a replay job of X heals: those recorded with its id, and the one
/// being asked for whose job id is not recorded yet (one job per webhook at a time, so a
/// job's end that comes first is that one's).
pub async fn gaps_of_replay<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
    job_id: &str,
) -> StoreResult<Vec<Gap>> {
    Ok(gap::Entity::find()
        .filter(gap::Column::ChannelId.eq(channel_id))
        .filter(
            Condition::any()
                .add(gap::Column::ReplayJobId.eq(job_id))
                .add(
                    Condition::all()
                        .add(gap::Column::Healing.eq("replay"))
                        .add(gap::Column::ReplayJobId.is_null()),
                ),
        )
        .all(db)
        .await?)
}

/// Ends the healing of the replay `job_id` without healing (X reports it failed).
pub async fn forget_replay<C: ConnectionTrait>(
    db: &C,
    channel_id: &str,
    job_id: &str,
) -> StoreResult<()> {
    gap::Entity::update_many()
        .col_expr(gap::Column::Healing, Expr::value(Option::<String>::None))
        .col_expr(
            gap::Column::ReplayJobId,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            gap::Column::HealingSince,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(gap::Column::ChannelId.eq(channel_id))
        .filter(gap::Column::ReplayJobId.eq(job_id))
        .exec(db)
        .await?;
    leases::schedule(db, HEAL_KIND, channel_id, now()).await
}

/// Gives the part of a gap up to `at_ms` another reason, the rest of it kept as it was:
/// the part of a gap older than X's history becomes `beyond_history`.
pub async fn split_off<C: ConnectionTrait>(
    db: &C,
    g: &Gap,
    at_ms: i64,
    reason: &str,
) -> StoreResult<()> {
    gap::Entity::delete_by_id(g.id.clone()).exec(db).await?;
    if g.to_ms.is_none_or(|end| end > at_ms) {
        let rest = Gap {
            id: new_id(),
            from_ms: at_ms + 1,
            ..g.clone()
        };
        gap::ActiveModel::from(rest).insert(db).await?;
    }
    let older_end = g.to_ms.map_or(at_ms, |end| end.min(at_ms));
    merge_gap(db, &g.channel_id, g.from_ms, Some(older_end), reason).await
}

/// The Enterprise channels the webhook served at `at_ms`: active, with the time they
/// became so (a channel's coverage starts at its activation).
pub async fn enterprise_channels_active<C: ConnectionTrait>(
    db: &C,
) -> StoreResult<Vec<(String, DateTime<Utc>)>> {
    use super::channels::entity::{Column as Ch, Entity as Channels};
    use super::integrations::entity::{Column as In, Entity as Integrations};
    let ids: Vec<String> = Channels::find()
        .select_only()
        .column(Ch::Id)
        .filter(Ch::AccountLevel.eq("enterprise"))
        .filter(Ch::Status.eq("active"))
        .into_tuple()
        .all(db)
        .await?;
    let mut active = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows: Vec<(String, Option<DateTime<Utc>>)> = Integrations::find()
            .select_only()
            .column(In::ChannelId)
            .column(In::ActivatedAt)
            .filter(In::ChannelId.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        active.extend(rows.into_iter().filter_map(|(id, at)| Some((id, at?))));
    }
    Ok(active)
}

/// The latest moment any instance was known alive.
pub async fn latest_beat<C: ConnectionTrait>(db: &C) -> StoreResult<Option<DateTime<Utc>>> {
    Ok(heartbeat::Entity::find()
        .select_only()
        .column(heartbeat::Column::BeatAt)
        .order_by_desc(heartbeat::Column::BeatAt)
        .limit(1)
        .into_tuple::<DateTime<Utc>>()
        .one(db)
        .await?)
}

/// Records that `instance` is alive now, and forgets the instances silent since before
/// `forget_before` (their last life is accounted for by then).
pub async fn beat<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    started_at: DateTime<Utc>,
    forget_before: DateTime<Utc>,
) -> StoreResult<()> {
    heartbeat::Entity::insert(heartbeat::ActiveModel {
        instance: Set(instance.to_owned()),
        started_at: Set(started_at),
        beat_at: Set(now()),
    })
    .on_conflict(
        OnConflict::column(heartbeat::Column::Instance)
            .update_column(heartbeat::Column::BeatAt)
            .to_owned(),
    )
    .exec(db)
    .await?;
    heartbeat::Entity::delete_many()
        .filter(heartbeat::Column::Instance.ne(instance))
        .filter(heartbeat::Column::BeatAt.lt(forget_before))
        .exec(db)
        .await?;
    Ok(())
}
