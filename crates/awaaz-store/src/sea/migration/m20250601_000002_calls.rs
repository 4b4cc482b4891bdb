//! Calls and what happened in them: turns and tool calls.

use sea_orm_migration::prelude::*;

use super::{id_column, index};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden, Clone)]
enum Calls {
    Table,
    Id,
    Channel,
    Caller,
    CarrierCallId,
    Status,
    StartedAt,
    EndedAt,
    TurnCount,
}

#[derive(DeriveIden, Clone)]
enum Turns {
    Table,
    Id,
    CallId,
    Seq,
    Speaker,
    Text,
    Language,
    StartedAt,
    EndedAt,
    SpeechEndMs,
    TranscriptReadyMs,
    ReplyReadyMs,
    FirstAudioMs,
    VoiceToVoiceMs,
    AgentUs,
    Interrupted,
}

#[derive(DeriveIden, Clone)]
enum ToolCalls {
    Table,
    Id,
    CallId,
    TurnId,
    Name,
    Arguments,
    Result,
    Ok,
    DurationUs,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Calls::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Calls::Id).text().not_null().primary_key())
                    .col(ColumnDef::new(Calls::Channel).text().not_null())
                    .col(ColumnDef::new(Calls::Caller).text())
                    .col(ColumnDef::new(Calls::CarrierCallId).text())
                    .col(ColumnDef::new(Calls::Status).text().not_null())
                    .col(
                        ColumnDef::new(Calls::StartedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Calls::EndedAt).timestamp_with_time_zone())
                    .col(
                        ColumnDef::new(Calls::TurnCount)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        let ms = |c: Turns| ColumnDef::new(c).big_integer().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(Turns::Table)
                    .if_not_exists()
                    .col(id_column(Turns::Id))
                    .col(ColumnDef::new(Turns::CallId).text().not_null())
                    .col(ColumnDef::new(Turns::Seq).big_integer().not_null())
                    .col(ColumnDef::new(Turns::Speaker).text().not_null())
                    .col(ColumnDef::new(Turns::Text).text().not_null())
                    .col(ColumnDef::new(Turns::Language).text())
                    .col(
                        ColumnDef::new(Turns::StartedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Turns::EndedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ms(Turns::SpeechEndMs))
                    .col(ms(Turns::TranscriptReadyMs))
                    .col(ms(Turns::ReplyReadyMs))
                    .col(ms(Turns::FirstAudioMs))
                    .col(ms(Turns::VoiceToVoiceMs))
                    .col(ms(Turns::AgentUs))
                    .col(
                        ColumnDef::new(Turns::Interrupted)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_turns_call")
                            .from(Turns::Table, Turns::CallId)
                            .to(Calls::Table, Calls::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ToolCalls::Table)
                    .if_not_exists()
                    .col(id_column(ToolCalls::Id))
                    .col(ColumnDef::new(ToolCalls::CallId).text().not_null())
                    .col(ColumnDef::new(ToolCalls::TurnId).big_integer())
                    .col(ColumnDef::new(ToolCalls::Name).text().not_null())
                    .col(ColumnDef::new(ToolCalls::Arguments).text().not_null())
                    .col(ColumnDef::new(ToolCalls::Result).text().not_null())
                    .col(ColumnDef::new(ToolCalls::Ok).boolean().not_null())
                    .col(
                        ColumnDef::new(ToolCalls::DurationUs)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ToolCalls::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tool_calls_call")
                            .from(ToolCalls::Table, ToolCalls::CallId)
                            .to(Calls::Table, Calls::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tool_calls_turn")
                            .from(ToolCalls::Table, ToolCalls::TurnId)
                            .to(Turns::Table, Turns::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // Unique: two turns of one call can never share a position.
        manager
            .create_index(
                index(
                    "idx_turns_call_id_seq",
                    Turns::Table,
                    &[Turns::CallId, Turns::Seq],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_tool_calls_call_id",
                ToolCalls::Table,
                &[ToolCalls::CallId],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_calls_started_at",
                Calls::Table,
                &[Calls::StartedAt],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_calls_carrier_call_id",
                Calls::Table,
                &[Calls::CarrierCallId],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ToolCalls::Table.into_iden(),
            Turns::Table.into_iden(),
            Calls::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
