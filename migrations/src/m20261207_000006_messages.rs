//! Messages: every direct message a channel received or sent, stored once per X event id
//! (R-INGEST-3) whichever path brought it (webhook, pull, replay). Read newest first by
//! X's time, per channel, optionally per direction or conversation; a channel's messages
//! go with it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    ChannelId,
    XEventId,
    ConversationId,
    Direction,
    SenderId,
    SenderUsername,
    SenderName,
    RecipientId,
    Text,
    Attachments,
    SentAtMs,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum Channels {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .col(
                        ColumnDef::new(Messages::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Messages::ChannelId)
                            .string_len(36)
                            .not_null(),
                    )
                    // X's ids as X writes them; text, so no length of X's can fail a write.
                    .col(ColumnDef::new(Messages::XEventId).text().not_null())
                    .col(ColumnDef::new(Messages::ConversationId).text().not_null())
                    .col(ColumnDef::new(Messages::Direction).string_len(8).not_null())
                    .col(ColumnDef::new(Messages::SenderId).text().not_null())
                    .col(ColumnDef::new(Messages::SenderUsername).text().null())
                    .col(ColumnDef::new(Messages::SenderName).text().null())
                    .col(ColumnDef::new(Messages::RecipientId).string_len(64).null())
                    .col(ColumnDef::new(Messages::Text).text().not_null())
                    .col(ColumnDef::new(Messages::Attachments).json().not_null())
                    // X's time in milliseconds: compared as a number on both databases.
                    .col(ColumnDef::new(Messages::SentAtMs).big_integer().not_null())
                    .col(
                        ColumnDef::new(Messages::ReceivedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Messages::Table, Messages::ChannelId)
                            .to(Channels::Table, Channels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The deduplication key of every path.
        manager
            .create_index(
                Index::create()
                    .name("messages_channel_event")
                    .table(Messages::Table)
                    .col(Messages::ChannelId)
                    .col(Messages::XEventId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        let newest_first = |name: &str, filter: Option<Messages>| {
            let mut index = Index::create();
            index
                .name(name)
                .table(Messages::Table)
                .col(Messages::ChannelId);
            if let Some(column) = filter {
                index.col(column);
            }
            index.col(Messages::SentAtMs).col(Messages::Id).to_owned()
        };
        for (name, filter) in [
            ("messages_channel_sent", None),
            (
                "messages_channel_conversation_sent",
                Some(Messages::ConversationId),
            ),
            ("messages_channel_direction_sent", Some(Messages::Direction)),
        ] {
            manager.create_index(newest_first(name, filter)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Messages::Table).to_owned())
            .await
    }
}
