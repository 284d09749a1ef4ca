//! The minute pull's state per channel (issue 15): where the last complete walk of
//! `GET /2/dm_events` ended (the cursor), where an unfinished walk stands (X's
//! `next_token` and the newest event it started from), X's last rate-limit headers, the
//! failures in a row that set the back-off, and what the channel shows (`lastPullAt`,
//! `nextPullAt`, `lastError`, and for Enterprise `lastDeliveryAt`). Kept beside the
//! channel, so background work never changes a channel's version; goes with the channel.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChannelPullState {
    Table,
    ChannelId,
    CursorEventId,
    CursorAtMs,
    WalkToken,
    WalkNewestEventId,
    WalkNewestAtMs,
    WalkStartedAt,
    RateLimit,
    RateRemaining,
    RateResetAt,
    Failures,
    LastPullAt,
    NextPullAt,
    LastErrorCode,
    LastErrorMessage,
    LastErrorAt,
    LastDeliveryAt,
}

#[derive(DeriveIden)]
enum Channels {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let at = |column: ChannelPullState| {
            ColumnDef::new(column)
                .timestamp_with_time_zone()
                .null()
                .to_owned()
        };
        manager
            .create_table(
                Table::create()
                    .table(ChannelPullState::Table)
                    .col(
                        ColumnDef::new(ChannelPullState::ChannelId)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    // X's ids and tokens as X writes them.
                    .col(
                        ColumnDef::new(ChannelPullState::CursorEventId)
                            .text()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ChannelPullState::CursorAtMs)
                            .big_integer()
                            .null(),
                    )
                    .col(ColumnDef::new(ChannelPullState::WalkToken).text().null())
                    .col(
                        ColumnDef::new(ChannelPullState::WalkNewestEventId)
                            .text()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ChannelPullState::WalkNewestAtMs)
                            .big_integer()
                            .null(),
                    )
                    .col(at(ChannelPullState::WalkStartedAt))
                    .col(
                        ColumnDef::new(ChannelPullState::RateLimit)
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ChannelPullState::RateRemaining)
                            .big_integer()
                            .null(),
                    )
                    .col(at(ChannelPullState::RateResetAt))
                    .col(
                        ColumnDef::new(ChannelPullState::Failures)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(at(ChannelPullState::LastPullAt))
                    .col(at(ChannelPullState::NextPullAt))
                    .col(
                        ColumnDef::new(ChannelPullState::LastErrorCode)
                            .string_len(64)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ChannelPullState::LastErrorMessage)
                            .text()
                            .null(),
                    )
                    .col(at(ChannelPullState::LastErrorAt))
                    .col(at(ChannelPullState::LastDeliveryAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ChannelPullState::Table, ChannelPullState::ChannelId)
                            .to(Channels::Table, Channels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ChannelPullState::Table).to_owned())
            .await
    }
}
