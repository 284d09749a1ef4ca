//! The channel's settings acting on conversations (issue 19): the automatic direct
//! messages (notices and reminders) the service sends, each a row from the decision to
//! send until X's answer or the reason it was skipped, at most one per `dedupe_key` and
//! channel; the mark of an automatic message among the stored ones; what a conversation
//! carries for the rules (robot, preferred agent, the agent's messages, its one timer, the
//! last progress reminder); and X's last word on a channel's send budget.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AutomaticMessages {
    Table,
    Id,
    TenantId,
    ChannelId,
    ConversationId,
    /// `non_working_time`, `queue_reminder`, `queue_progress`, ...
    Reason,
    Text,
    /// At most one message per key and channel (e.g. one notice per customer and closed
    /// period); NULL: no such limit.
    DedupeKey,
    /// `pending`, `sending`, then `sent`, `skipped`, `failed` or `uncertain`.
    Status,
    /// Why it was skipped or failed.
    Detail,
    /// The stored message once sent.
    MessageId,
    /// By the service's clock.
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Id,
    /// The channel's intelligent robot that has the conversation, when it started in `robot`.
    RobotId,
    /// Whether the channel's robot assistant helps the agent (for the agent desktop).
    RobotAssistant,
    /// The agent who served the customer last, within the channel's `validHours`.
    PreferredAgentId,
    /// Messages the assigned agent sent since the assignment (automatic ones not counted).
    AgentMessages,
    /// The one timer the conversation waits on (`no_customer_reply_reminder`, ...), due at
    /// `timer_due_at_ms` by the service's clock; claimed through `leases`.
    Timer,
    TimerDueAtMs,
    /// When the last queue progress reminder was decided (at most one a minute).
    LastProgressAtMs,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    /// Why the service sent it on its own (the reason of its automatic message); NULL for
    /// every other message.
    Automatic,
}

#[derive(DeriveIden)]
enum ChannelSendBudgets {
    Table,
    ChannelId,
    /// X's `x-rate-limit-*` headers of the channel's last send.
    XLimit,
    XRemaining,
    XResetAtMs,
    UpdatedAtMs,
}

#[derive(DeriveIden)]
enum Channels {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use AutomaticMessages as A;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(
                        ColumnDef::new(A::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(A::TenantId).string_len(36).not_null())
                    .col(ColumnDef::new(A::ChannelId).string_len(36).not_null())
                    .col(ColumnDef::new(A::ConversationId).string_len(36).not_null())
                    .col(ColumnDef::new(A::Reason).string_len(40).not_null())
                    .col(ColumnDef::new(A::Text).text().not_null())
                    .col(ColumnDef::new(A::DedupeKey).text().null())
                    .col(ColumnDef::new(A::Status).string_len(12).not_null())
                    .col(ColumnDef::new(A::Detail).text().null())
                    .col(ColumnDef::new(A::MessageId).string_len(36).null())
                    .col(
                        ColumnDef::new(A::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(A::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(A::Table, A::ChannelId)
                            .to(Channels::Table, Channels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(A::Table, A::ConversationId)
                            .to(Conversations::Table, Conversations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("automatic_messages_dedupe")
                    .table(A::Table)
                    .col(A::ChannelId)
                    .col(A::DedupeKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("automatic_messages_conversation")
                    .table(A::Table)
                    .col(A::ConversationId)
                    .col(A::CreatedAt)
                    .to_owned(),
            )
            .await?;

        use Conversations as C;
        let columns = [
            ColumnDef::new(C::RobotId).string_len(64).null().to_owned(),
            ColumnDef::new(C::RobotAssistant)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
            ColumnDef::new(C::PreferredAgentId)
                .string_len(128)
                .null()
                .to_owned(),
            ColumnDef::new(C::AgentMessages)
                .big_integer()
                .not_null()
                .default(0)
                .to_owned(),
            ColumnDef::new(C::Timer).string_len(40).null().to_owned(),
            ColumnDef::new(C::TimerDueAtMs)
                .big_integer()
                .null()
                .to_owned(),
            ColumnDef::new(C::LastProgressAtMs)
                .big_integer()
                .null()
                .to_owned(),
        ];
        // One column per statement: SQLite adds them one at a time.
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(C::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(ColumnDef::new(Messages::Automatic).string_len(40).null())
                    .to_owned(),
            )
            .await?;

        use ChannelSendBudgets as B;
        manager
            .create_table(
                Table::create()
                    .table(B::Table)
                    .col(
                        ColumnDef::new(B::ChannelId)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(B::XLimit).integer().null())
                    .col(ColumnDef::new(B::XRemaining).integer().null())
                    .col(ColumnDef::new(B::XResetAtMs).big_integer().null())
                    .col(ColumnDef::new(B::UpdatedAtMs).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(B::Table, B::ChannelId)
                            .to(Channels::Table, Channels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Conversations as C;
        for table in [
            ChannelSendBudgets::Table.into_iden(),
            AutomaticMessages::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [
            C::RobotId.into_iden(),
            C::RobotAssistant.into_iden(),
            C::PreferredAgentId.into_iden(),
            C::AgentMessages.into_iden(),
            C::Timer.into_iden(),
            C::TimerDueAtMs.into_iden(),
            C::LastProgressAtMs.into_iden(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(C::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .drop_column(Messages::Automatic)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
