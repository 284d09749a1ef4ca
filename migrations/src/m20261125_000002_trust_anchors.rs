//! Trust anchors: the PEM certificates outbound TLS to X trusts (R-INTEG-4).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TrustAnchors {
    Table,
    Id,
    Name,
    Pem,
    Fingerprints,
    BundleFingerprint,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TrustAnchors::Table)
                    .col(
                        ColumnDef::new(TrustAnchors::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(TrustAnchors::Name)
                            .string_len(128)
                            .not_null(),
                    )
                    .col(ColumnDef::new(TrustAnchors::Pem).text().not_null())
                    .col(ColumnDef::new(TrustAnchors::Fingerprints).json().not_null())
                    .col(
                        ColumnDef::new(TrustAnchors::BundleFingerprint)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(TrustAnchors::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TrustAnchors::Table).to_owned())
            .await
    }
}
