//! Coverage: the ledger of which time ranges of each channel are known complete, the gaps
//! with their reason (`rate_limited`, `webhook_invalid`, `service_down`, `beyond_history`)
//! and how a gap is being healed, and the heartbeats that tell when no instance was alive.
//! Times are milliseconds since the epoch, X's unit, compared as numbers on both databases.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CoverageRanges {
    Table,
    ChannelId,
    FromMs,
    ToMs,
}

#[derive(DeriveIden)]
enum CoverageGaps {
    Table,
    Id,
    ChannelId,
    FromMs,
    ToMs,
    Reason,
    Healing,
    ReplayJobId,
    HealingSince,
    CreatedAt,
}

#[derive(DeriveIden)]
enum InstanceHeartbeats {
    Table,
    Instance,
    StartedAt,
    BeatAt,
}

#[derive(DeriveIden)]
enum Channels {
    Table,
    Id,
}

fn channel_key(table: impl IntoIden + 'static) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from_tbl(table)
        .from_col(Alias::new("channel_id"))
        .to(Channels::Table, Channels::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CoverageRanges::Table)
                    .col(
                        ColumnDef::new(CoverageRanges::ChannelId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CoverageRanges::FromMs)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CoverageRanges::ToMs)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(CoverageRanges::ChannelId)
                            .col(CoverageRanges::FromMs),
                    )
                    .foreign_key(&mut channel_key(CoverageRanges::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CoverageGaps::Table)
                    .col(
                        ColumnDef::new(CoverageGaps::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(CoverageGaps::ChannelId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CoverageGaps::FromMs)
                            .big_integer()
                            .not_null(),
                    )
                    // Null while the gap is still open (a webhook X marks invalid).
                    .col(ColumnDef::new(CoverageGaps::ToMs).big_integer().null())
                    .col(
                        ColumnDef::new(CoverageGaps::Reason)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(CoverageGaps::Healing).string_len(16).null())
                    .col(ColumnDef::new(CoverageGaps::ReplayJobId).text().null())
                    .col(
                        ColumnDef::new(CoverageGaps::HealingSince)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(CoverageGaps::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut channel_key(CoverageGaps::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("coverage_gaps_channel_from")
                    .table(CoverageGaps::Table)
                    .col(CoverageGaps::ChannelId)
                    .col(CoverageGaps::FromMs)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InstanceHeartbeats::Table)
                    .col(
                        ColumnDef::new(InstanceHeartbeats::Instance)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(InstanceHeartbeats::StartedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InstanceHeartbeats::BeatAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("instance_heartbeats_beat")
                    .table(InstanceHeartbeats::Table)
                    .col(InstanceHeartbeats::BeatAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CoverageRanges::Table.into_iden(),
            CoverageGaps::Table.into_iden(),
            InstanceHeartbeats::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
