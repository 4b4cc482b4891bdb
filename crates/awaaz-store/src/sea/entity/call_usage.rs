//! `call_usage`: one row per call whose model session reported token usage.

use sea_orm::entity::prelude::*;

/// A row of `call_usage`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "call_usage")]
pub struct Model {
    /// The call (also the primary key: one row per call).
    #[sea_orm(primary_key, auto_increment = false)]
    pub call_id: String,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub audio_in_tokens: i64,
    pub audio_out_tokens: i64,
    pub cached_tokens: i64,
    pub cost_usd: f64,
    pub cost_inr: f64,
    pub model_errors: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
