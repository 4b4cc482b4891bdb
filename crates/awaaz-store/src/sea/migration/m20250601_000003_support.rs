//! Support: tickets (with their id counter), transfers and the SMS outbox.

use sea_orm_migration::prelude::*;

use super::{id_column, index};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden, Clone)]
enum Counters {
    Table,
    Name,
    Value,
}

#[derive(DeriveIden, Clone)]
enum Tickets {
    Table,
    Id,
    Code,
    OrderId,
    CallId,
    CustomerId,
    Category,
    Priority,
    Status,
    Description,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
enum Transfers {
    Table,
    Id,
    CallId,
    Reason,
    Target,
    Status,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
enum SmsOutbox {
    Table,
    Id,
    CallId,
    ToNumber,
    Body,
    Status,
    Attempts,
    LastError,
    ProviderId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Calls {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Code,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Counters::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(Counters::Name)
                            .text()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Counters::Value).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        // Ticket numbers start at TKT-10001; `demo_load` is only ever bumped
        // to take a write lock before checking whether the shop is empty.
        let mut seed = Query::insert();
        seed.into_table(Counters::Table)
            .columns([Counters::Name, Counters::Value]);
        for (name, value) in [("ticket", 10_000_i64), ("demo_load", 0)] {
            seed.values([name.into(), value.into()])
                .map_err(|e| DbErr::Migration(format!("seeding counters: {e}")))?;
        }
        manager.exec_stmt(seed).await?;
        manager
            .create_table(
                Table::create()
                    .table(Tickets::Table)
                    .if_not_exists()
                    .col(id_column(Tickets::Id))
                    .col(ColumnDef::new(Tickets::Code).text().not_null().unique_key())
                    .col(ColumnDef::new(Tickets::OrderId).text())
                    .col(ColumnDef::new(Tickets::CallId).text())
                    .col(ColumnDef::new(Tickets::CustomerId).big_integer())
                    .col(ColumnDef::new(Tickets::Category).text().not_null())
                    .col(ColumnDef::new(Tickets::Priority).text().not_null())
                    .col(ColumnDef::new(Tickets::Status).text().not_null())
                    .col(ColumnDef::new(Tickets::Description).text().not_null())
                    .col(
                        ColumnDef::new(Tickets::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tickets_order")
                            .from(Tickets::Table, Tickets::OrderId)
                            .to(Orders::Table, Orders::Code),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tickets_call")
                            .from(Tickets::Table, Tickets::CallId)
                            .to(Calls::Table, Calls::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tickets_customer")
                            .from(Tickets::Table, Tickets::CustomerId)
                            .to(Customers::Table, Customers::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Transfers::Table)
                    .if_not_exists()
                    .col(id_column(Transfers::Id))
                    .col(ColumnDef::new(Transfers::CallId).text().not_null())
                    .col(ColumnDef::new(Transfers::Reason).text().not_null())
                    .col(ColumnDef::new(Transfers::Target).text())
                    .col(ColumnDef::new(Transfers::Status).text().not_null())
                    .col(
                        ColumnDef::new(Transfers::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_transfers_call")
                            .from(Transfers::Table, Transfers::CallId)
                            .to(Calls::Table, Calls::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SmsOutbox::Table)
                    .if_not_exists()
                    .col(id_column(SmsOutbox::Id))
                    .col(ColumnDef::new(SmsOutbox::CallId).text())
                    .col(ColumnDef::new(SmsOutbox::ToNumber).text().not_null())
                    .col(ColumnDef::new(SmsOutbox::Body).text().not_null())
                    .col(ColumnDef::new(SmsOutbox::Status).text().not_null())
                    .col(
                        ColumnDef::new(SmsOutbox::Attempts)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(SmsOutbox::LastError).text())
                    .col(ColumnDef::new(SmsOutbox::ProviderId).text())
                    .col(
                        ColumnDef::new(SmsOutbox::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SmsOutbox::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sms_outbox_call")
                            .from(SmsOutbox::Table, SmsOutbox::CallId)
                            .to(Calls::Table, Calls::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_tickets_order_id",
                Tickets::Table,
                &[Tickets::OrderId],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_tickets_call_id",
                Tickets::Table,
                &[Tickets::CallId],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_transfers_call_id",
                Transfers::Table,
                &[Transfers::CallId],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_sms_outbox_status",
                SmsOutbox::Table,
                &[SmsOutbox::Status, SmsOutbox::CreatedAt],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SmsOutbox::Table.into_iden(),
            Transfers::Table.into_iden(),
            Tickets::Table.into_iden(),
            Counters::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
