//! Loose ends of receiving messages (issue 15): where a read-back of a coverage gap
//! stopped (X's `next_token`), so a gap deeper than one claim's pages is read on from
//! there; and an index for the retention of `reply_requests` (Idempotency-Keys are
//! deleted a day after their first use).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CoverageGaps {
    Table,
    /// X's `next_token` of `GET /2/dm_events` where the last read-back of the gap stopped
    /// (everything newer was read and healed); NULL: read from the newest page.
    ReadBackToken,
}

#[derive(DeriveIden)]
enum ReplyRequests {
    Table,
    CreatedAt,
}

const REPLY_REQUESTS_CREATED: &str = "idx_reply_requests_created_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CoverageGaps::Table)
                    .add_column(ColumnDef::new(CoverageGaps::ReadBackToken).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(REPLY_REQUESTS_CREATED)
                    .table(ReplyRequests::Table)
                    .col(ReplyRequests::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(REPLY_REQUESTS_CREATED)
                    .table(ReplyRequests::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CoverageGaps::Table)
                    .drop_column(CoverageGaps::ReadBackToken)
                    .to_owned(),
            )
            .await
    }
}
