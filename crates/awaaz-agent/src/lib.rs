//! awaaz-agent: the Hinglish customer-service agent, without audio.
//!
//! A caller's words go in (any script, any mix of Hindi and English, with the
//! recogniser's mistakes); the agent's reply, the tools it called and whether
//! the conversation is over come out.
//!
//! ```text
//!  "mera order 4 5 6 7 8 kab aayega"
//!        │ text::normalize      scripts → one romanised form, spoken numbers → digits
//!        ▼
//!  Normalized ──▶ nlu::Nlu::understand ──▶ Understanding { intent, slots, language }
//!                   (fuzzy + phonetic matching against nlu::CatalogIndex)
//!        ▼
//!  dialogue policy (per-call state) ──▶ tools::Tools::call ──▶ dyn awaaz_store::Store
//!        ▼
//!  reply templates ──▶ AgentReply { text, language, tool_calls, ended }
//! ```
//!
//! Main types: [`Agent`] (shared, built once) and [`AgentSession`] (one per
//! call); [`EmbeddedAgent`] is the offline implementation; [`tools::Tools`]
//! holds the tool schemas and runs them against the store, for this agent and
//! for LLM or Realtime function calling alike.
//!
//! With the `llm` feature (on by default), `llm::LlmAgent` answers through
//! any OpenAI-compatible chat-completions server, with the same tools, and
//! falls back to the embedded agent whenever the model fails.
//!
//! Not here: audio, and HTTP servers.

#[cfg(feature = "llm")]
pub mod llm;
pub mod nlu;
pub mod text;
pub mod tools;

mod dialogue;
mod embedded;
mod reply;

use async_trait::async_trait;
use awaaz_store::{CallId, Channel, PhoneNumber};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use embedded::{EmbeddedAgent, EmbeddedConfig, EmbeddedSession};

/// The persona and rules for a speech-to-speech (Realtime) model answering
/// the shop's calls: one file (`prompts/realtime.md`) a business can edit.
pub const REALTIME_PROMPT: &str = include_str!("../prompts/realtime.md");

/// The language mix a caller speaks and the agent answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// English.
    #[default]
    English,
    /// Hindi and English mixed, written in Latin script.
    Hinglish,
    /// Hindi; replies in Devanagari.
    Hindi,
}

impl Language {
    /// Short code used in the store and the API: `en`, `hinglish`, `hi`.
    pub fn code(self) -> &'static str {
        match self {
            Self::English => "en",
            Self::Hinglish => "hinglish",
            Self::Hindi => "hi",
        }
    }

    /// Parses a code written by [`Language::code`].
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "en" => Some(Self::English),
            "hinglish" => Some(Self::Hinglish),
            "hi" => Some(Self::Hindi),
            _ => None,
        }
    }
}

/// One tool call the agent made during a turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCallOutcome {
    /// Tool name (`lookup_order`).
    pub name: String,
    /// Arguments, as the tool's JSON Schema describes them.
    pub arguments: serde_json::Value,
    /// What the tool returned.
    pub result: serde_json::Value,
    /// Whether the tool succeeded (an unknown order id is a successful call
    /// with a `found: false` result; a store failure is not).
    pub ok: bool,
    /// How long it took.
    pub duration_us: u64,
}

/// Something the call layer must do after speaking the reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CallAction {
    /// Hand the caller to a person.
    TransferToHuman {
        /// Why.
        reason: String,
    },
    /// End the call.
    HangUp,
}

/// The agent's answer to one caller turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentReply {
    /// What to say, in `language`, written for a voice (short sentences).
    pub text: String,
    /// The language of `text`.
    pub language: Language,
    /// Tools called while preparing the reply, in order.
    pub tool_calls: Vec<ToolCallOutcome>,
    /// The conversation is over after this reply.
    pub ended: bool,
    /// What the call layer should do after speaking.
    pub action: Option<CallAction>,
}

/// What a session knows about its call when it starts.
#[derive(Debug, Clone)]
pub struct SessionContext {
    /// The call or conversation id (tool calls and tickets link to it).
    pub call_id: CallId,
    /// How the caller reached us.
    pub channel: Channel,
    /// The caller's number, when the carrier gave one.
    pub caller: Option<PhoneNumber>,
}

/// Errors an agent session can return. A session that returns one can still
/// be used for the next turn.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// The store failed while a tool ran.
    #[error("store failed while running {tool}")]
    Store {
        /// Tool name.
        tool: &'static str,
        /// The store's error.
        #[source]
        source: awaaz_store::StoreError,
    },
    /// A remote model failed (LLM-backed agents).
    #[error("model request failed: {reason}")]
    Model {
        /// What went wrong, without personal data.
        reason: String,
    },
}

/// A conversational agent: built once, shared by all calls.
#[async_trait]
pub trait Agent: Send + Sync {
    /// Starts the per-call state for one conversation.
    async fn start(&self, ctx: SessionContext) -> Box<dyn AgentSession>;
}

/// One conversation's state. Not shared between calls.
#[async_trait]
pub trait AgentSession: Send {
    /// The opening line.
    async fn greet(&mut self, now: DateTime<Utc>) -> AgentReply;
    /// Answers one caller turn.
    async fn respond(&mut self, text: &str, now: DateTime<Utc>) -> Result<AgentReply, AgentError>;
    /// Answers one caller turn, handing each clause of the reply to
    /// `clauses` as soon as it is complete, so the voice can start speaking
    /// before the whole reply exists. The returned reply's `text` is the
    /// whole reply.
    ///
    /// The default calls [`AgentSession::respond`] and passes the whole text
    /// once; agents that produce text incrementally override it.
    async fn respond_streaming(
        &mut self,
        text: &str,
        now: DateTime<Utc>,
        clauses: &mut (dyn FnMut(String) + Send),
    ) -> Result<AgentReply, AgentError> {
        let reply = self.respond(text, now).await?;
        if !reply.text.trim().is_empty() {
            clauses(reply.text.clone());
        }
        Ok(reply)
    }
    /// The caller interrupted the last reply after hearing only `heard`:
    /// forget what they did not hear.
    fn truncate_last_reply(&mut self, heard: &str);
    /// The language the session currently answers in.
    fn language(&self) -> Language;
    /// The caller pressed a key on the keypad. `Ok(None)`: the key means
    /// nothing to this agent (the call layer then decides, e.g. 0 still
    /// reaches a person).
    async fn keypress(
        &mut self,
        digit: char,
        now: DateTime<Utc>,
    ) -> Result<Option<AgentReply>, AgentError> {
        let _ = (digit, now);
        Ok(None)
    }
}
