//! awaaz-call: one phone or browser call, from the caller's first word to
//! the stored transcript.
//!
//! Two layers, like quinn's `quinn-proto` and `quinn`:
//!
//! * [`CallCore`] — the sans-I/O turn-taking and barge-in state machine:
//!   no tokio, no clock (time in milliseconds is an argument), inputs via
//!   `handle_*`, outputs via [`CallCore::poll_action`] and
//!   [`CallCore::poll_timeout`]. Unit-tested on a virtual clock.
//! * [`run_call`] — the async driver: one task per call owning a `JoinSet`
//!   of pumps (caller reader, listener, responder with one child task per
//!   bot turn, paced writer) and a recorder, under one `CancellationToken`;
//!   and [`CallSupervisor`], which caps and drains all calls.
//! * [`run_realtime_call`] — the realtime engine: the same call with a
//!   speech-to-speech model (OpenAI Realtime GA protocol) as its brain,
//!   phone audio passed through as μ-law, the agent's tools as function
//!   calls, barge-in by truncating the model's audio at what the caller
//!   heard ([`RealtimeEngines`], [`PreparedSession`]).
//!
//! ```text
//!  transport (browser WS, Twilio, simulate)
//!     │ CallerEndpoint  ⇅ CallerEvent / CallerCommand   (connection_pair)
//!     ▼
//!  CallSupervisor::start ─▶ run_call ─▶ CallCore
//!  CallSupervisor::start_realtime ─▶ run_realtime_call ─▶ model session (ws)
//!     pumps: reader ─▶ listener (Segmenter + SpeechRecognizer)
//!            responder (AgentSession) ─▶ bot turn (SpeechSynthesizer) ─▶ writer (20 ms pacing, marks)
//!            recorder ─▶ CallStore (turns, tool calls, per-turn latency)
//! ```
//!
//! Not here: wire formats of carriers and browsers (the transport converts
//! its frames to [`CallerEvent`]s and [`CallerCommand`]s), engine
//! implementations (`awaaz-speech`), the agent's policy (`awaaz-agent`).
//! The core module does no I/O; the driver's I/O is only through channels
//! and the engine and store traits.

mod connection;
mod core;
mod driver;
mod observer;
mod realtime;
mod segment;
mod supervisor;
mod vad_segment;

pub use crate::connection::{
    connection_pair, CallEnded, CallerCommand, CallerConnection, CallerEndpoint, CallerEvent,
    CallerEventSender,
};
pub use crate::core::{
    is_backchannel, Action, AgentTurnRecord, CallCore, CallerTurnRecord, CoreConfig, EndStatus,
    Phase, TurnId,
};
pub use crate::driver::{
    run_call, CallConfig, CallEngines, CallInfo, CallReport, DropCounts, SegmenterFactory,
    FRAME_SAMPLES,
};
pub use crate::observer::{CallObserver, NoopObserver};
pub use crate::realtime::{
    function_tools, run_realtime_call, run_realtime_call_with, PreparedSession, RealtimeEngines,
    DEFAULT_REALTIME_PROMPT, DEFAULT_SHOP_NAME, DEFAULT_VOICE,
};
pub use crate::segment::{EnergyConfig, EnergySegmenter, SegmentEvent, Segmenter};
pub use crate::supervisor::{CallHandle, CallSupervisor};
pub use crate::vad_segment::{
    silero_from_env, transcript_cue, vad_segmenter_factory, VadTurnConfig, VadTurnSegmenter,
};

/// What can stop a call from running.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The store refused a write the call cannot go on without.
    #[error("store failed during {operation}")]
    Store {
        /// What the call was doing.
        operation: &'static str,
        /// The store's error.
        #[source]
        source: awaaz_store::StoreError,
    },
    /// The concurrent call limit is reached.
    #[error("too many calls (limit {limit})")]
    Busy {
        /// The limit.
        limit: usize,
    },
    /// The supervisor is draining; no new calls.
    #[error("shutting down")]
    ShuttingDown,
    /// The call's task panicked (recorded as `failed`).
    #[error("call task panicked")]
    Panicked,
    /// The supervisor was asked for an engine it was not given.
    #[error("no {engine} engine configured")]
    EngineMissing {
        /// `realtime` or `cascade`.
        engine: &'static str,
    },
}

#[cfg(test)]
mod tests;
