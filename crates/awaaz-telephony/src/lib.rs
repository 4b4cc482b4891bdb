//! awaaz-telephony: what phone carriers send and expect, as Rust types.
//!
//! This crate does no I/O (except the optional carrier REST clients in
//! `rest`, behind the default `rest` feature). Decoders take the text of a
//! WebSocket message or an HTTP form and return typed values or a clear
//! error; encoders return the text to send. Nothing here knows tokio,
//! sockets or clocks, and nothing transcodes audio: payloads are the bytes
//! the carrier uses (μ-law for Twilio and Plivo, PCM16 for Exotel), and
//! G.711 lives in `awaaz-audio`.
//!
//! | module | what |
//! |---|---|
//! | [`twilio`] | Twilio Media Streams frames (`connected`/`start`/`media`/`dtmf`/`mark`/`stop` in; `media`/`mark`/`clear` out) |
//! | [`twiml`] | a TwiML builder: `<Connect><Stream>`, `<Say>`, `<Dial>`, `<Hangup/>`, `<Pause>` |
//! | [`signature`] | `X-Twilio-Signature` validation, form and JSON (`bodySHA256`) webhooks |
//! | [`exotel`] | Exotel Voicebot (AgentStream) frames and a chunker for its 320-byte rule |
//! | [`plivo`] | Plivo Audio Streams frames, the answer XML (`<Stream>`, `<Speak>`, `<Dial>`) and `X-Plivo-Signature-V3` validation |
//! | `rest` | Twilio, Plivo and Exotel REST clients behind one `CarrierControl` trait (transfer, hang up, SMS), with retries; errors are `RestError` (feature `rest`; does I/O) |
//!
//! ```text
//!  carrier ── WS text ──▶ {twilio,exotel,plivo}::decode ──▶ Inbound (typed, payload bytes)
//!  carrier ◀── WS text ── {twilio,exotel,plivo}::encode_* ◀── audio bytes / mark / clear
//!  carrier ── HTTP POST ──▶ signature::RequestValidator ──▶ twiml / plivo::xml answer
//! ```
//!
//! Decoders never panic, whatever the input (property-tested), cap the frame
//! size, and decode unknown events to an `Unknown` variant instead of failing.
//! Errors of the I/O-free modules are [`Error`] (the REST clients have their
//! own `RestError`, which carries HTTP status and carrier codes); its messages never contain field values, which
//! may be phone numbers or audio. Phone numbers and custom parameters are
//! wrapped in types whose `Debug` output is redacted.

mod error;
mod wire;

pub use error::Error;

pub mod exotel;
pub mod plivo;
#[cfg(feature = "rest")]
pub mod rest;
pub mod signature;
pub mod twilio;
pub mod twiml;
