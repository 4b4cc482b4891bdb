//! `tickets`: support tickets, found by their readable id (`code`, `TKT-10001`).

use sea_orm::entity::prelude::*;

/// A row of `tickets`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tickets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub code: String,
    /// The order's human id (`orders.code`).
    pub order_id: Option<String>,
    pub call_id: Option<String>,
    pub customer_id: Option<i64>,
    /// A `TicketCategory` key.
    pub category: String,
    /// A `TicketPriority` key.
    pub priority: String,
    pub status: String,
    pub description: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
