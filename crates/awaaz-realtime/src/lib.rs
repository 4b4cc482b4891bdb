//! awaaz-realtime: the OpenAI Realtime (GA) speech-to-speech protocol.
//!
//! What it is:
//! * typed **client events** ([`ClientEvent`]) and **server events**
//!   ([`ServerEvent`]) with the protocol's exact wire names, so grepping the
//!   vendor's docs finds the code;
//! * the **session config** ([`Session`]: audio formats, VAD, transcription,
//!   tools), conversation [`Item`]s and [`Response`]s with [`Usage`];
//! * **costs**: [`Prices`] (gpt-realtime list prices by default) × usage;
//! * with the default `client` feature, a **WebSocket client**
//!   (`RealtimeClient`) split into a sender and a receiver half.
//!
//! What it is not: it does not decide when to cancel, truncate or call
//! tools — that is the caller's turn-taking logic — and it does no audio
//! processing beyond base64. The event types do no I/O and know nothing of
//! tokio; only the `client` module does I/O. Use the crate alone by turning
//! off default features to get just the protocol.
//!
//! The GA protocol differs from the beta: `session.type` is required,
//! formats are objects (`{"type": "audio/pcmu"}`), audio settings live under
//! `session.audio.input|output`, and several events were renamed
//! (`response.output_audio.delta`, `conversation.item.added`). Beta event
//! names are still decoded (see [`ServerEvent`]); unknown event types become
//! [`ServerEvent::Unknown`], never an error.
//!
//! ```text
//!  caller audio ──▶ RealtimeSender::send(ClientEvent::append_audio)  ──▶ ┐
//!  tool results ──▶ RealtimeSender::send(ClientEvent::function_call_output)│ WebSocket
//!                                                                        │ (wss)
//!  RealtimeReceiver::recv() ◀── ServerEvent::{ResponseOutputAudioDelta,  ◀┘
//!       │                       ResponseFunctionCallArgumentsDone,
//!       │                       InputAudioBufferSpeechStarted, ResponseDone, …}
//!       └─▶ play audio · run tools · barge-in (cancel + truncate) · Prices::cost(usage)
//! ```
//!
//! Personal data: transcripts, message text and tool arguments are
//! [`PrivateText`] and audio is [`AudioBase64`]; both print only their size
//! in `Debug`, and the client logs event types only.

mod audio;
mod client_event;
mod cost;
mod error;
mod item;
mod private;
mod response;
mod serde_util;
mod server_event;
mod session;

#[cfg(feature = "client")]
mod client;

pub use audio::{decode_audio, encode_audio, AudioFormat};
pub use client_event::ClientEvent;
pub use cost::{Cost, Prices, DEFAULT_INR_PER_USD};
pub use error::{BoxError, RealtimeError};
pub use item::{
    ContentPart, FunctionCallItem, FunctionCallOutputItem, Item, ItemStatus, MessageItem, Role,
};
pub use private::{AudioBase64, PrivateText};
pub use response::{
    CachedTokenDetails, InputTokenDetails, OutputTokenDetails, Response, ResponseConfig,
    ResponseStatus, StatusDetails, StatusError, Usage,
};
pub use server_event::{
    AudioBufferCleared, AudioBufferCommitted, AudioBufferTimeout, AudioDelta, AudioDone,
    ContentPartEvent, ErrorDetail, ErrorEvent, FunctionCallArgumentsDelta,
    FunctionCallArgumentsDone, ItemDeleted, ItemEvent, ItemTruncated, OutputItemEvent, RateLimit,
    RateLimitsUpdated, ResponseEvent, ServerEvent, SessionEvent, SpeechStarted, SpeechStopped,
    TextDelta, TextDone, TranscriptDone, TranscriptionCompleted, TranscriptionDelta,
    TranscriptionFailed, UnknownEvent, KNOWN_SERVER_EVENT_TYPES,
};
pub use session::{
    AudioConfig, AudioInput, AudioOutput, Eagerness, FunctionTool, MaxOutputTokens, Modality,
    NoiseReduction, NoiseReductionKind, SemanticVad, ServerVad, Session, Tool, ToolChoice,
    Transcription, TurnDetection,
};

#[cfg(feature = "client")]
pub use client::{ApiKey, RealtimeClient, RealtimeConfig, RealtimeReceiver, RealtimeSender};
