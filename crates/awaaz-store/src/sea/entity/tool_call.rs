//! `tool_calls`: tools the agent ran during a call.

use sea_orm::entity::prelude::*;

/// A row of `tool_calls`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tool_calls")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub call_id: String,
    pub turn_id: Option<i64>,
    pub name: String,
    /// JSON text.
    pub arguments: String,
    /// JSON text.
    pub result: String,
    pub ok: bool,
    pub duration_us: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
