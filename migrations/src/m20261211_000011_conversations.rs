//! Conversations: the messages of one customer on one channel between opening and end,
//! with the hand-over state (`robot`, `queued`, `agent`, `ended`); the link of each
//! message to its conversation; and the replies sent under an `Idempotency-Key`, so a
//! repeated request answers the first result instead of sending again.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Id,
    TenantId,
    ChannelId,
    XConversationId,
    /// X's conversation id while the conversation is open, NULL once ended: the unique
    /// `(channel_id, open_key)` keeps one open conversation per X conversation, and lets
    /// ended ones pile up behind it (NULLs are distinct on both databases).
    OpenKey,
    CustomerId,
    CustomerUsername,
    CustomerName,
    State,
    SkillQueueId,
    AgentId,
    InboundCount,
    OutboundCount,
    OpenedAt,
    EndedAt,
    /// X's times in milliseconds, compared as numbers in the hot path's upsert.
    LastInboundAtMs,
    LastOutboundAtMs,
    LastActivityAtMs,
    Version,
}

#[derive(DeriveIden)]
enum ConversationMessages {
    Table,
    MessageId,
    ConversationId,
    SentAtMs,
}

#[derive(DeriveIden)]
enum ReplyRequests {
    Table,
    TenantId,
    IdempotencyKey,
    ConversationId,
    /// SHA-256 of the request's text: the same key with another request is refused.
    TextSha256,
    /// `sending` until X answered, then `done` with the answer given.
    Status,
    ResponseStatus,
    ResponseBody,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Channels {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Conversations as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(
                        ColumnDef::new(C::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(C::TenantId).string_len(36).not_null())
                    .col(ColumnDef::new(C::ChannelId).string_len(36).not_null())
                    .col(ColumnDef::new(C::XConversationId).text().not_null())
                    .col(ColumnDef::new(C::OpenKey).text().null())
                    .col(ColumnDef::new(C::CustomerId).text().not_null())
                    .col(ColumnDef::new(C::CustomerUsername).text().null())
                    .col(ColumnDef::new(C::CustomerName).text().null())
                    .col(ColumnDef::new(C::State).string_len(8).not_null())
                    .col(ColumnDef::new(C::SkillQueueId).string_len(36).null())
                    .col(ColumnDef::new(C::AgentId).string_len(128).null())
                    .col(ColumnDef::new(C::InboundCount).big_integer().not_null())
                    .col(ColumnDef::new(C::OutboundCount).big_integer().not_null())
                    .col(
                        ColumnDef::new(C::OpenedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(C::EndedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(C::LastInboundAtMs).big_integer().null())
                    .col(ColumnDef::new(C::LastOutboundAtMs).big_integer().null())
                    .col(ColumnDef::new(C::LastActivityAtMs).big_integer().not_null())
                    .col(ColumnDef::new(C::Version).integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(C::Table, C::ChannelId)
                            .to(Channels::Table, Channels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("conversations_channel_open")
                    .table(C::Table)
                    .col(C::ChannelId)
                    .col(C::OpenKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Lists: most recent activity first, in the tenant or in one channel.
        for (name, first) in [
            ("conversations_tenant_activity", C::TenantId),
            ("conversations_channel_activity", C::ChannelId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(C::Table)
                        .col(first)
                        .col(C::LastActivityAtMs)
                        .col(C::Id)
                        .to_owned(),
                )
                .await?;
        }

        use ConversationMessages as M;
        manager
            .create_table(
                Table::create()
                    .table(M::Table)
                    .col(
                        ColumnDef::new(M::MessageId)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(M::ConversationId).string_len(36).not_null())
                    .col(ColumnDef::new(M::SentAtMs).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(M::Table, M::MessageId)
                            .to(Messages::Table, Messages::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(M::Table, M::ConversationId)
                            .to(C::Table, C::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("conversation_messages_sent")
                    .table(M::Table)
                    .col(M::ConversationId)
                    .col(M::SentAtMs)
                    .col(M::MessageId)
                    .to_owned(),
            )
            .await?;

        use ReplyRequests as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(ColumnDef::new(R::TenantId).string_len(36).not_null())
                    .col(ColumnDef::new(R::IdempotencyKey).string_len(255).not_null())
                    .col(ColumnDef::new(R::ConversationId).string_len(36).not_null())
                    .col(ColumnDef::new(R::TextSha256).string_len(64).not_null())
                    .col(ColumnDef::new(R::Status).string_len(8).not_null())
                    .col(ColumnDef::new(R::ResponseStatus).integer().null())
                    .col(ColumnDef::new(R::ResponseBody).text().null())
                    .col(
                        ColumnDef::new(R::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(Index::create().col(R::TenantId).col(R::IdempotencyKey))
                    .foreign_key(
                        ForeignKey::create()
                            .from(R::Table, R::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(R::Table, R::ConversationId)
                            .to(C::Table, C::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ReplyRequests::Table.into_iden(),
            ConversationMessages::Table.into_iden(),
            Conversations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
