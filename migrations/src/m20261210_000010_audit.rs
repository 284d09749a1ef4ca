//! The audit trail: one row per change made through the API, the CLI or the service's own
//! work, written in the change's transaction. Rows are only ever inserted, and deleted
//! by age (retention); no foreign key ties them to what they describe, so the trail of a
//! deleted channel or tenant outlives it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum AuditEvents {
    Table,
    /// A UUID v7: sorts by time, the newest-first cursor.
    Id,
    At,
    /// Null for changes outside any tenant (a certificate, a system token).
    TenantId,
    /// `token`, `system` or `cli`.
    ActorType,
    ActorTokenId,
    ActorLabel,
    ActorRole,
    Action,
    ResourceType,
    ResourceId,
    ResourceName,
    /// The OU of the channel an event is about: what a tenant user's visibility needs.
    OuId,
    RequestId,
    /// The field-level change list as JSON, secrets redacted; null when there is none.
    Changes,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(
                        ColumnDef::new(AuditEvents::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(AuditEvents::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditEvents::TenantId).string_len(36).null())
                    .col(
                        ColumnDef::new(AuditEvents::ActorType)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditEvents::ActorTokenId)
                            .string_len(36)
                            .null(),
                    )
                    .col(ColumnDef::new(AuditEvents::ActorLabel).text().null())
                    .col(ColumnDef::new(AuditEvents::ActorRole).string_len(32).null())
                    .col(
                        ColumnDef::new(AuditEvents::Action)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditEvents::ResourceType)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditEvents::ResourceId)
                            .string_len(36)
                            .null(),
                    )
                    .col(ColumnDef::new(AuditEvents::ResourceName).text().null())
                    .col(ColumnDef::new(AuditEvents::OuId).string_len(36).null())
                    .col(ColumnDef::new(AuditEvents::RequestId).string_len(64).null())
                    .col(ColumnDef::new(AuditEvents::Changes).text().null())
                    .to_owned(),
            )
            .await?;
        // Each filter of `GET /audit-events`, within a tenant, newest first by id.
        let indexes: [(&str, &[AuditEvents]); 5] = [
            (
                "audit_events_tenant",
                &[AuditEvents::TenantId, AuditEvents::Id],
            ),
            (
                "audit_events_resource",
                &[
                    AuditEvents::ResourceType,
                    AuditEvents::ResourceId,
                    AuditEvents::Id,
                ],
            ),
            (
                "audit_events_action",
                &[AuditEvents::TenantId, AuditEvents::Action, AuditEvents::Id],
            ),
            (
                "audit_events_actor",
                &[AuditEvents::ActorTokenId, AuditEvents::Id],
            ),
            // `from`/`to` and the retention's delete by age.
            ("audit_events_at", &[AuditEvents::At]),
        ];
        for (name, columns) in indexes {
            let mut index = Index::create();
            index.name(name).table(AuditEvents::Table);
            for column in columns {
                index.col(*column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEvents::Table).to_owned())
            .await
    }
}
