//! Events: the outbox every message and conversation change writes to in its own
//! transaction, read by the live stream (`GET /api/v1/events`) in id order. Ids come from
//! the counter row of `event_sequence`, taken under a row lock by the appending
//! transaction, so ids follow commit order (see `api/src/events/mod.rs`); the row
//! `pruned` remembers up to which id retention has deleted.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    TenantId,
    ChannelId,
    Kind,
    Data,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EventSequence {
    Table,
    Name,
    LastId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    // Given by the counter, not by the database: no autoincrement.
                    .col(
                        ColumnDef::new(Events::Id)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Events::TenantId).string_len(36).not_null())
                    .col(ColumnDef::new(Events::ChannelId).string_len(36).null())
                    .col(ColumnDef::new(Events::Kind).string_len(64).not_null())
                    // The resource as the API shows it, JSON text sent as it is stored.
                    .col(ColumnDef::new(Events::Data).text().not_null())
                    .col(
                        ColumnDef::new(Events::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        // A stream reads one tenant's events after an id; retention finds the old ones.
        manager
            .create_index(
                Index::create()
                    .name("events_tenant_id")
                    .table(Events::Table)
                    .col(Events::TenantId)
                    .col(Events::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("events_created")
                    .table(Events::Table)
                    .col(Events::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventSequence::Table)
                    .col(
                        ColumnDef::new(EventSequence::Name)
                            .string_len(16)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(EventSequence::LastId)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        let rows = Query::insert()
            .into_table(EventSequence::Table)
            .columns([EventSequence::Name, EventSequence::LastId])
            .values_panic(["events".into(), 0i64.into()])
            .values_panic(["pruned".into(), 0i64.into()])
            .to_owned();
        manager.exec_stmt(rows).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EventSequence::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Events::Table).to_owned())
            .await
    }
}
