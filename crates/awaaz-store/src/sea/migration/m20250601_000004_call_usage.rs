//! Model usage and cost per call (the realtime engine's token counts).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden, Clone)]
enum CallUsage {
    Table,
    CallId,
    InputTokens,
    OutputTokens,
    AudioInTokens,
    AudioOutTokens,
    CachedTokens,
    CostUsd,
    CostInr,
    ModelErrors,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Calls {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let count = |c: CallUsage| {
            ColumnDef::new(c)
                .big_integer()
                .not_null()
                .default(0)
                .to_owned()
        };
        let money = |c: CallUsage| {
            ColumnDef::new(c)
                .double()
                .not_null()
                .default(0.0)
                .to_owned()
        };
        manager
            .create_table(
                Table::create()
                    .table(CallUsage::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(CallUsage::CallId)
                            .text()
                            .not_null()
                            .primary_key(),
                    )
                    .col(count(CallUsage::InputTokens))
                    .col(count(CallUsage::OutputTokens))
                    .col(count(CallUsage::AudioInTokens))
                    .col(count(CallUsage::AudioOutTokens))
                    .col(count(CallUsage::CachedTokens))
                    .col(money(CallUsage::CostUsd))
                    .col(money(CallUsage::CostInr))
                    .col(count(CallUsage::ModelErrors))
                    .col(
                        ColumnDef::new(CallUsage::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_call_usage_call")
                            .from(CallUsage::Table, CallUsage::CallId)
                            .to(Calls::Table, Calls::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CallUsage::Table).if_exists().to_owned())
            .await
    }
}
