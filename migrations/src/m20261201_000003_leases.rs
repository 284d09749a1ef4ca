//! Leases: one table through which every kind of background work is claimed, so that
//! of several instances on one database exactly one works an item at a time, and an item
//! whose instance died is claimed again once its lease expires.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Leases {
    Table,
    Kind,
    Item,
    DueAt,
    Holder,
    ExpiresAt,
    Attempts,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Leases::Table)
                    .col(ColumnDef::new(Leases::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(Leases::Item).string_len(64).not_null())
                    .col(
                        ColumnDef::new(Leases::DueAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Leases::Holder).string_len(64).null())
                    .col(
                        ColumnDef::new(Leases::ExpiresAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Leases::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .primary_key(Index::create().col(Leases::Kind).col(Leases::Item))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("leases_kind_due")
                    .table(Leases::Table)
                    .col(Leases::Kind)
                    .col(Leases::DueAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Leases::Table).to_owned())
            .await
    }
}
