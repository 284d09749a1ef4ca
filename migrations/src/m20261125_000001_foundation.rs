//! Tenants, API tokens, OUs, called routes, the service calendar and channels.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    Name,
    TimeZone,
    OuIsolation,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    TenantId,
    Role,
    OuIds,
    Label,
    TokenHash,
    Prefix,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Ous {
    Table,
    Id,
    TenantId,
    Name,
    ParentId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CalledRoutes {
    Table,
    Id,
    TenantId,
    Name,
    MediaType,
    OuId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum NonWorkingDays {
    Table,
    TenantId,
    Day,
}

#[derive(DeriveIden)]
enum Channels {
    Table,
    Id,
    TenantId,
    Name,
    ChannelType,
    OuId,
    SkillQueueId,
    TransferQueueId,
    AccountLevel,
    Status,
    StatusDetail,
    Settings,
    ApiKeyFingerprint,
    Credentials,
    CredentialHints,
    CredentialsVersion,
    Version,
    CreatedAt,
    UpdatedAt,
}

fn id_column<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .string_len(36)
        .not_null()
        .primary_key()
        .to_owned()
}

fn timestamp<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn tenant_fk<T: IntoIden + 'static>(table: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from_tbl(table)
        .from_col(Alias::new("tenant_id"))
        .to(Tenants::Table, Tenants::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .col(id_column(Tenants::Id))
                    .col(ColumnDef::new(Tenants::Name).string_len(128).not_null())
                    .col(ColumnDef::new(Tenants::TimeZone).string_len(64).not_null())
                    .col(ColumnDef::new(Tenants::OuIsolation).boolean().not_null())
                    .col(timestamp(Tenants::CreatedAt))
                    .col(timestamp(Tenants::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(id_column(ApiTokens::Id))
                    .col(ColumnDef::new(ApiTokens::TenantId).string_len(36).null())
                    .col(ColumnDef::new(ApiTokens::Role).string_len(32).not_null())
                    .col(ColumnDef::new(ApiTokens::OuIds).json().not_null())
                    .col(ColumnDef::new(ApiTokens::Label).string_len(128).null())
                    .col(
                        ColumnDef::new(ApiTokens::TokenHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(ApiTokens::Prefix).string_len(16).not_null())
                    .col(timestamp(ApiTokens::CreatedAt))
                    .col(
                        ColumnDef::new(ApiTokens::RevokedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(&mut tenant_fk(ApiTokens::Table))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Ous::Table)
                    .col(id_column(Ous::Id))
                    .col(ColumnDef::new(Ous::TenantId).string_len(36).not_null())
                    .col(ColumnDef::new(Ous::Name).string_len(128).not_null())
                    .col(ColumnDef::new(Ous::ParentId).string_len(36).null())
                    .col(timestamp(Ous::CreatedAt))
                    .foreign_key(&mut tenant_fk(Ous::Table))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Ous::Table, Ous::ParentId)
                            .to(Ous::Table, Ous::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ous_tenant")
                    .table(Ous::Table)
                    .col(Ous::TenantId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CalledRoutes::Table)
                    .col(id_column(CalledRoutes::Id))
                    .col(
                        ColumnDef::new(CalledRoutes::TenantId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CalledRoutes::Name)
                            .string_len(128)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CalledRoutes::MediaType)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(CalledRoutes::OuId).string_len(36).not_null())
                    .col(timestamp(CalledRoutes::CreatedAt))
                    .foreign_key(&mut tenant_fk(CalledRoutes::Table))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CalledRoutes::Table, CalledRoutes::OuId)
                            .to(Ous::Table, Ous::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("called_routes_tenant_name")
                    .table(CalledRoutes::Table)
                    .col(CalledRoutes::TenantId)
                    .col(CalledRoutes::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(NonWorkingDays::Table)
                    .col(
                        ColumnDef::new(NonWorkingDays::TenantId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(NonWorkingDays::Day)
                            .string_len(10)
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(NonWorkingDays::TenantId)
                            .col(NonWorkingDays::Day),
                    )
                    .foreign_key(&mut tenant_fk(NonWorkingDays::Table))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Channels::Table)
                    .col(id_column(Channels::Id))
                    .col(ColumnDef::new(Channels::TenantId).string_len(36).not_null())
                    .col(ColumnDef::new(Channels::Name).string_len(64).not_null())
                    .col(
                        ColumnDef::new(Channels::ChannelType)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Channels::OuId).string_len(36).not_null())
                    .col(
                        ColumnDef::new(Channels::SkillQueueId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Channels::TransferQueueId)
                            .string_len(36)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Channels::AccountLevel)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Channels::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Channels::StatusDetail).text().null())
                    .col(ColumnDef::new(Channels::Settings).json().not_null())
                    .col(
                        ColumnDef::new(Channels::ApiKeyFingerprint)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Channels::Credentials).text().not_null())
                    .col(ColumnDef::new(Channels::CredentialHints).json().not_null())
                    .col(
                        ColumnDef::new(Channels::CredentialsVersion)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Channels::Version).integer().not_null())
                    .col(timestamp(Channels::CreatedAt))
                    .col(timestamp(Channels::UpdatedAt))
                    .foreign_key(&mut tenant_fk(Channels::Table))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Channels::Table, Channels::OuId)
                            .to(Ous::Table, Ous::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    // A called route cannot go while a channel routes to it, even when
                    // the delete races the channel's creation.
                    .foreign_key(
                        ForeignKey::create()
                            .from(Channels::Table, Channels::SkillQueueId)
                            .to(CalledRoutes::Table, CalledRoutes::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Channels::Table, Channels::TransferQueueId)
                            .to(CalledRoutes::Table, CalledRoutes::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("channels_tenant_name")
                    .table(Channels::Table)
                    .col(Channels::TenantId)
                    .col(Channels::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Channels::Table.into_iden(),
            NonWorkingDays::Table.into_iden(),
            CalledRoutes::Table.into_iden(),
            Ous::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            Tenants::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
