//! The X API key is unique within a tenant, no longer across tenants. The consumer key
//! travels in every OAuth header, so entering it proves nothing: refusing it across
//! tenants told a tenant that another one used it and let whoever entered it first block
//! everyone else. One X project, one channel (R-CRED-4) is kept where ownership is proven,
//! at the integration submit.
//!
//! PostgreSQL drops the column's unique constraint. SQLite cannot drop a column
//! constraint, so the table is rebuilt without it, in one transaction, as SQLite's
//! documentation describes (nothing references `channels`, so foreign keys stay on).

use sea_orm_migration::{
    prelude::*,
    sea_orm::{ConnectionTrait, DbBackend, TransactionTrait},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

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

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Ous {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CalledRoutes {
    Table,
    Id,
}

/// The unique index that replaces the column constraint.
const PER_TENANT: &str = "channels_tenant_api_key";
/// The name PostgreSQL gave the column constraint of the foundation migration.
const GLOBAL: &str = "channels_api_key_fingerprint_key";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Sqlite => rebuild_sqlite(manager, false).await?,
            _ => {
                let db = manager.get_connection();
                db.execute_unprepared(&format!("ALTER TABLE channels DROP CONSTRAINT {GLOBAL}"))
                    .await?;
            }
        }
        manager.create_index(per_tenant_index()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(PER_TENANT)
                    .table(Channels::Table)
                    .to_owned(),
            )
            .await?;
        match manager.get_database_backend() {
            DbBackend::Sqlite => rebuild_sqlite(manager, true).await,
            _ => {
                let db = manager.get_connection();
                db.execute_unprepared(&format!(
                    "ALTER TABLE channels ADD CONSTRAINT {GLOBAL} UNIQUE (api_key_fingerprint)"
                ))
                .await
                .map(drop)
            }
        }
    }
}

fn per_tenant_index() -> IndexCreateStatement {
    Index::create()
        .name(PER_TENANT)
        .table(Channels::Table)
        .col(Channels::TenantId)
        .col(Channels::ApiKeyFingerprint)
        .unique()
        .to_owned()
}

const COLUMNS: &str =
    "id, tenant_id, name, channel_type, ou_id, skill_queue_id, transfer_queue_id, \
    account_level, status, status_detail, settings, api_key_fingerprint, credentials, \
    credential_hints, credentials_version, version, created_at, updated_at";

/// Rebuilds `channels` with the foundation's columns and keys, the API key fingerprint
/// unique across tenants only when `globally_unique_key` (the way back down).
async fn rebuild_sqlite(
    manager: &SchemaManager<'_>,
    globally_unique_key: bool,
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let tx = manager.get_connection().begin().await?;
    tx.execute(backend.build(&rebuilt_table(globally_unique_key)))
        .await?;
    tx.execute_unprepared(&format!(
        "INSERT INTO channels_rebuilt ({COLUMNS}) SELECT {COLUMNS} FROM channels"
    ))
    .await?;
    tx.execute_unprepared("DROP TABLE channels").await?;
    tx.execute_unprepared("ALTER TABLE channels_rebuilt RENAME TO channels")
        .await?;
    let by_name = Index::create()
        .name("channels_tenant_name")
        .table(Channels::Table)
        .col(Channels::TenantId)
        .col(Channels::Name)
        .unique()
        .to_owned();
    tx.execute(backend.build(&by_name)).await?;
    tx.commit().await
}

fn rebuilt_table(globally_unique_key: bool) -> TableCreateStatement {
    let mut fingerprint = ColumnDef::new(Channels::ApiKeyFingerprint);
    fingerprint.string_len(64).not_null();
    if globally_unique_key {
        fingerprint.unique_key();
    }
    let timestamp = |name: Channels| {
        ColumnDef::new(name)
            .timestamp_with_time_zone()
            .not_null()
            .to_owned()
    };
    Table::create()
        .table(Alias::new("channels_rebuilt"))
        .col(
            ColumnDef::new(Channels::Id)
                .string_len(36)
                .not_null()
                .primary_key(),
        )
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
        .col(fingerprint)
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
        .foreign_key(
            ForeignKey::create()
                .from_tbl(Alias::new("channels_rebuilt"))
                .from_col(Channels::TenantId)
                .to(Tenants::Table, Tenants::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .from_tbl(Alias::new("channels_rebuilt"))
                .from_col(Channels::OuId)
                .to(Ous::Table, Ous::Id)
                .on_delete(ForeignKeyAction::Restrict),
        )
        .foreign_key(
            ForeignKey::create()
                .from_tbl(Alias::new("channels_rebuilt"))
                .from_col(Channels::SkillQueueId)
                .to(CalledRoutes::Table, CalledRoutes::Id)
                .on_delete(ForeignKeyAction::Restrict),
        )
        .foreign_key(
            ForeignKey::create()
                .from_tbl(Alias::new("channels_rebuilt"))
                .from_col(Channels::TransferQueueId)
                .to(CalledRoutes::Table, CalledRoutes::Id)
                .on_delete(ForeignKeyAction::Restrict),
        )
        .to_owned()
}
