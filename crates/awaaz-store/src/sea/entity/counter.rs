//! `counters`: named counters bumped with `UPDATE … RETURNING`. The row lock
//! the update takes is what serialises concurrent ticket-id assignment (and
//! demo loading) on both SQLite and PostgreSQL.

use sea_orm::entity::prelude::*;

/// A row of `counters`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "counters")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub value: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
