//! Export tasks (R-EXPORT) and the chunks of their archives: both in the database, so
//! that any instance runs a task and any instance serves its archive.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Channels {
    Table,
    TenantId,
    Id,
}

#[derive(DeriveIden)]
enum ExportTasks {
    Table,
    Id,
    TenantId,
    RequestedBy,
    Format,
    Status,
    /// The selected channel ids as a JSON array; null for every channel of the tenant.
    ChannelIds,
    /// The OUs the requester sees as a JSON array; null for the whole tenant.
    OuIds,
    /// The compression password, sealed with the master key (never in plain text).
    Password,
    Progress,
    ChannelCount,
    FileCount,
    ArchiveBytes,
    Error,
    CreatedAt,
    FinishedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum ExportChunks {
    Table,
    TaskId,
    Seq,
    Data,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The runner reads a tenant's channels in id order, a page at a time: without this
        // index each page would sort every channel of the tenant again.
        manager
            .create_index(
                Index::create()
                    .name("channels_tenant_id_order")
                    .table(Channels::Table)
                    .col(Channels::TenantId)
                    .col(Channels::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ExportTasks::Table)
                    .col(
                        ColumnDef::new(ExportTasks::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ExportTasks::TenantId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ExportTasks::RequestedBy)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ExportTasks::Format).string_len(8).not_null())
                    .col(
                        ColumnDef::new(ExportTasks::Status)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ExportTasks::ChannelIds).text().null())
                    .col(ColumnDef::new(ExportTasks::OuIds).text().null())
                    .col(ColumnDef::new(ExportTasks::Password).text().not_null())
                    .col(
                        ColumnDef::new(ExportTasks::Progress)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ExportTasks::ChannelCount)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ExportTasks::FileCount).integer().not_null())
                    .col(
                        ColumnDef::new(ExportTasks::ArchiveBytes)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ExportTasks::Error).text().null())
                    .col(
                        ColumnDef::new(ExportTasks::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ExportTasks::FinishedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ExportTasks::ExpiresAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ExportTasks::Table, ExportTasks::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("export_tasks_tenant_id")
                    .table(ExportTasks::Table)
                    .col(ExportTasks::TenantId)
                    .col(ExportTasks::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ExportChunks::Table)
                    .col(
                        ColumnDef::new(ExportChunks::TaskId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ExportChunks::Seq).integer().not_null())
                    .col(ColumnDef::new(ExportChunks::Data).blob().not_null())
                    .primary_key(
                        Index::create()
                            .col(ExportChunks::TaskId)
                            .col(ExportChunks::Seq),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ExportChunks::Table, ExportChunks::TaskId)
                            .to(ExportTasks::Table, ExportTasks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ExportChunks::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ExportTasks::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("channels_tenant_id_order")
                    .table(Channels::Table)
                    .to_owned(),
            )
            .await
    }
}
