//! `orders`: one purchase, found by its human id (`code`, `ORD-45678`).

use sea_orm::entity::prelude::*;

/// A row of `orders`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The human id, unique.
    #[sea_orm(unique)]
    pub code: String,
    pub customer_id: i64,
    /// An `OrderStatus` key.
    pub status: String,
    pub total_paise: i64,
    pub payment_method: String,
    pub placed_at: DateTimeUtc,
    pub expected_delivery: Option<Date>,
    pub delivered_at: Option<DateTimeUtc>,
    pub courier: Option<String>,
    pub tracking_number: Option<String>,
    pub delivery_address: String,
    pub delivery_city: String,
    pub refund_paise: Option<i64>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::customer::Entity",
        from = "Column::CustomerId",
        to = "super::customer::Column::Id"
    )]
    Customer,
    #[sea_orm(has_many = "super::order_item::Entity")]
    OrderItem,
}

impl Related<super::customer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl Related<super::order_item::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OrderItem.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
