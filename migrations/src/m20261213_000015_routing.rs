//! The hand-over rules (issue 19, R-ROBOT-1, R-BASIC-11): `robot_id` takes every robot id
//! a channel accepts (1-128 characters; `m20261212_000013_automation` made it 64, which
//! PostgreSQL enforces), and the index that finds a customer's earlier conversations on a
//! channel, most recent activity first, for `lastAgentMode` (one lookup per batch of
//! openings, not a scan of the channel's conversations).

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Conversations {
    Table,
    ChannelId,
    XConversationId,
    LastActivityAtMs,
}

const INDEX: &str = "conversations_channel_customer";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Conversations as C;
        // SQLite keeps any length in a text column (and cannot alter one).
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE conversations ALTER COLUMN robot_id TYPE varchar(128)",
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(C::Table)
                    .col(C::ChannelId)
                    .col(C::XConversationId)
                    .col(C::LastActivityAtMs)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(Conversations::Table)
                    .to_owned(),
            )
            .await
    }
}
