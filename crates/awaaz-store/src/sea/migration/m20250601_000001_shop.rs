//! The shop: customers, products and their variants, orders and their lines.

use sea_orm_migration::prelude::*;

use super::{id_column, index};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden, Clone)]
enum Customers {
    Table,
    Id,
    Name,
    Phone,
    Email,
    City,
    Address,
}

#[derive(DeriveIden, Clone)]
enum Products {
    Table,
    Id,
    Name,
    Category,
    Kind,
    Brand,
    Description,
    Aliases,
}

#[derive(DeriveIden, Clone)]
enum ProductVariants {
    Table,
    Id,
    ProductId,
    Sku,
    Colour,
    Size,
    Stock,
    PricePaise,
}

#[derive(DeriveIden, Clone)]
enum Orders {
    Table,
    Id,
    Code,
    CustomerId,
    Status,
    TotalPaise,
    PaymentMethod,
    PlacedAt,
    ExpectedDelivery,
    DeliveredAt,
    Courier,
    TrackingNumber,
    DeliveryAddress,
    DeliveryCity,
    RefundPaise,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum OrderItems {
    Table,
    Id,
    OrderId,
    ProductId,
    VariantId,
    ProductName,
    Colour,
    Size,
    Quantity,
    UnitPricePaise,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Customers::Table)
                    .if_not_exists()
                    .col(id_column(Customers::Id))
                    .col(ColumnDef::new(Customers::Name).text().not_null())
                    .col(
                        ColumnDef::new(Customers::Phone)
                            .text()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Customers::Email).text())
                    .col(ColumnDef::new(Customers::City).text().not_null())
                    .col(ColumnDef::new(Customers::Address).text().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .if_not_exists()
                    .col(id_column(Products::Id))
                    .col(ColumnDef::new(Products::Name).text().not_null())
                    .col(ColumnDef::new(Products::Category).text().not_null())
                    .col(ColumnDef::new(Products::Kind).text().not_null())
                    .col(ColumnDef::new(Products::Brand).text())
                    .col(ColumnDef::new(Products::Description).text().not_null())
                    .col(
                        ColumnDef::new(Products::Aliases)
                            .text()
                            .not_null()
                            .default("[]"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProductVariants::Table)
                    .if_not_exists()
                    .col(id_column(ProductVariants::Id))
                    .col(
                        ColumnDef::new(ProductVariants::ProductId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ProductVariants::Sku)
                            .text()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(ProductVariants::Colour).text())
                    .col(ColumnDef::new(ProductVariants::Size).text())
                    .col(
                        ColumnDef::new(ProductVariants::Stock)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ProductVariants::PricePaise)
                            .big_integer()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_product_variants_product")
                            .from(ProductVariants::Table, ProductVariants::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .if_not_exists()
                    .col(id_column(Orders::Id))
                    .col(ColumnDef::new(Orders::Code).text().not_null().unique_key())
                    .col(ColumnDef::new(Orders::CustomerId).big_integer().not_null())
                    .col(ColumnDef::new(Orders::Status).text().not_null())
                    .col(ColumnDef::new(Orders::TotalPaise).big_integer().not_null())
                    .col(ColumnDef::new(Orders::PaymentMethod).text().not_null())
                    .col(
                        ColumnDef::new(Orders::PlacedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Orders::ExpectedDelivery).date())
                    .col(ColumnDef::new(Orders::DeliveredAt).timestamp_with_time_zone())
                    .col(ColumnDef::new(Orders::Courier).text())
                    .col(ColumnDef::new(Orders::TrackingNumber).text())
                    .col(ColumnDef::new(Orders::DeliveryAddress).text().not_null())
                    .col(ColumnDef::new(Orders::DeliveryCity).text().not_null())
                    .col(ColumnDef::new(Orders::RefundPaise).big_integer())
                    .col(
                        ColumnDef::new(Orders::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_orders_customer")
                            .from(Orders::Table, Orders::CustomerId)
                            .to(Customers::Table, Customers::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderItems::Table)
                    .if_not_exists()
                    .col(id_column(OrderItems::Id))
                    .col(ColumnDef::new(OrderItems::OrderId).big_integer().not_null())
                    .col(
                        ColumnDef::new(OrderItems::ProductId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OrderItems::VariantId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(OrderItems::ProductName).text().not_null())
                    .col(ColumnDef::new(OrderItems::Colour).text())
                    .col(ColumnDef::new(OrderItems::Size).text())
                    .col(
                        ColumnDef::new(OrderItems::Quantity)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OrderItems::UnitPricePaise)
                            .big_integer()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_items_order")
                            .from(OrderItems::Table, OrderItems::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_items_product")
                            .from(OrderItems::Table, OrderItems::ProductId)
                            .to(Products::Table, Products::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_items_variant")
                            .from(OrderItems::Table, OrderItems::VariantId)
                            .to(ProductVariants::Table, ProductVariants::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // `customers.phone` and `orders.code` are indexed by their unique keys.
        manager
            .create_index(index(
                "idx_product_variants_product_id",
                ProductVariants::Table,
                &[ProductVariants::ProductId],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_orders_customer_id",
                Orders::Table,
                &[Orders::CustomerId],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_orders_placed_at",
                Orders::Table,
                &[Orders::PlacedAt],
            ))
            .await?;
        manager
            .create_index(index("idx_orders_status", Orders::Table, &[Orders::Status]))
            .await?;
        manager
            .create_index(index(
                "idx_order_items_order_id",
                OrderItems::Table,
                &[OrderItems::OrderId],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [OrderItems::Table.into_iden(), Orders::Table.into_iden()] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        for table in [
            ProductVariants::Table.into_iden(),
            Products::Table.into_iden(),
            Customers::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
