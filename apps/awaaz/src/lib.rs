//! The awaaz server and command line: configuration, the HTTP API, the
//! terminal chat and the wiring of store and agent.
//!
//! This is the thin outer layer: it owns no business rules. The store
//! (`awaaz-store`) keeps everything; the agent (`awaaz-agent`) understands
//! and answers; this crate moves text between people and the agent and
//! records every turn.
//!
//! ```text
//!  awaaz serve ─▶ server::start_server ─▶ http::app (axum) ─┐
//!  awaaz chat  ─▶ chat::run_chat ───────────────────────────┴─▶ conversation::Conversations
//!                                                                  ├─▶ dyn awaaz_agent::Agent
//!                                                                  └─▶ dyn awaaz_store::Store
//! ```
//!
//! Main items: [`Config`] (file → environment → flags), [`app`] and
//! [`AppState`] (the router, for in-process tests), [`start_server`] and
//! [`ServerHandle`] (a real listener with graceful shutdown),
//! [`Conversations`] (in-memory sessions, one mutex each, idle eviction).
//!
//! The browser softphone (the page at `/` and `WS /web/call`) lives in
//! [`web_call`]; phone lines (Twilio, Exotel, Plivo webhooks and media
//! sockets, the SMS outbox sender) in [`phone`]. Both attach to the same
//! router, store and call engine.

pub mod chat;
pub mod cli;
pub mod config;
pub mod conversation;
mod engines;
pub mod error;
pub mod http;
pub mod metrics;
pub mod phone;
pub mod server;
pub mod simulate;
pub mod telemetry;
pub mod web_call;

pub use config::{Config, ConfigError, LogFormat};
pub use conversation::{ConversationError, Conversations, TurnOutcome};
pub use error::AppError;
pub use http::{app, AppState};
pub use server::{open, start_server, start_with_state, ServerHandle};
