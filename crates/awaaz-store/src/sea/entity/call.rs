//! `calls`: one phone call or text conversation.

use sea_orm::entity::prelude::*;

/// A row of `calls`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calls")]
pub struct Model {
    /// A UUID in text form, chosen by the caller of the store.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// A `Channel` key.
    pub channel: String,
    pub caller: Option<String>,
    pub carrier_call_id: Option<String>,
    pub status: String,
    pub started_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
    /// Turns stored so far; bumped in the same transaction that inserts a
    /// turn, which is what makes `seq` assignment atomic.
    pub turn_count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
