//! `turns`: what was said in a call, in order (`seq`), with timings.

use sea_orm::entity::prelude::*;

/// A row of `turns`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "turns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub call_id: String,
    pub seq: i64,
    /// A `Speaker` key.
    pub speaker: String,
    pub text: String,
    pub language: Option<String>,
    pub started_at: DateTimeUtc,
    pub ended_at: DateTimeUtc,
    pub speech_end_ms: Option<i64>,
    pub transcript_ready_ms: Option<i64>,
    pub reply_ready_ms: Option<i64>,
    pub first_audio_ms: Option<i64>,
    pub voice_to_voice_ms: Option<i64>,
    pub agent_us: Option<i64>,
    pub interrupted: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
