//! The channel's integration with X (R-INTEG-2, R-INTEG-3): the X account the tokens belong
//! to, when it was submitted and activated, the last failure, X's view of the webhook
//! (Enterprise) and the DM-read budget X announced (Basic, Pro). Kept beside the channel
//! row, so that background work never changes a channel's version (its ETag); the row goes
//! with its channel.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChannelIntegrations {
    Table,
    ChannelId,
    CredentialsVersion,
    XUserId,
    XUsername,
    XName,
    SubmittedAt,
    ActivatedAt,
    LastErrorCode,
    LastErrorMessage,
    LastErrorAt,
    WebhookId,
    WebhookValid,
    WebhookCheckedAt,
    PullLimit,
    PullRemaining,
    PullResetAt,
    PullObservedAt,
}

#[derive(DeriveIden)]
enum Channels {
    Table,
    Id,
    ApiKeyFingerprint,
}

fn timestamp<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ChannelIntegrations as I;
        manager
            .create_table(
                Table::create()
                    .table(I::Table)
                    .col(
                        ColumnDef::new(I::ChannelId)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(I::CredentialsVersion).integer().null())
                    .col(ColumnDef::new(I::XUserId).string_len(32).null())
                    .col(ColumnDef::new(I::XUsername).string_len(64).null())
                    .col(ColumnDef::new(I::XName).string_len(128).null())
                    .col(timestamp(I::SubmittedAt))
                    .col(timestamp(I::ActivatedAt))
                    .col(ColumnDef::new(I::LastErrorCode).string_len(64).null())
                    .col(ColumnDef::new(I::LastErrorMessage).text().null())
                    .col(timestamp(I::LastErrorAt))
                    .col(ColumnDef::new(I::WebhookId).string_len(64).null())
                    .col(ColumnDef::new(I::WebhookValid).boolean().null())
                    .col(timestamp(I::WebhookCheckedAt))
                    .col(ColumnDef::new(I::PullLimit).big_integer().null())
                    .col(ColumnDef::new(I::PullRemaining).big_integer().null())
                    .col(timestamp(I::PullResetAt))
                    .col(timestamp(I::PullObservedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("channel_integrations_channel")
                            .from(I::Table, I::ChannelId)
                            .to(Channels::Table, Channels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // x_app_in_use looks for the API key across tenants (R-CRED-4).
        manager
            .create_index(
                Index::create()
                    .name("channels_api_key_fingerprint")
                    .table(Channels::Table)
                    .col(Channels::ApiKeyFingerprint)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("channels_api_key_fingerprint")
                    .table(Channels::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(ChannelIntegrations::Table).to_owned())
            .await
    }
}
