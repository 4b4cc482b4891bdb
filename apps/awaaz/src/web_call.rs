//! The browser softphone: the page at `GET /` and its call socket `WS /web/call`.
//!
//! ```text
//!  page (AudioWorklet: mic → 16 kHz PCM16, 20 ms frames)
//!    │ binary audio, JSON start/mark/hangup
//!    ▼
//!  WS /web/call ─▶ WebProtocol (parse + validate, no I/O) ─▶ CallerEvent ─▶ awaaz-call
//!    ▲                                                         (CallSupervisor, run_call)
//!    ├──── binary agent audio, mark, clear ◀── CallerCommand ◀────────────┤
//!    └──── transcript, tool_call, latency ◀── Tap ◀── TappedAgent ◀───────┘
//! ```
//!
//! Main items: [`routes`], [`WebCalls`] (the supervisor of browser calls,
//! attached with [`AppState::set_web_calls`]), [`WebProtocol`] (the frame
//! validator), [`ClientEvent`] / [`ServerEvent`] (the JSON events).
//!
//! The wire protocol is documented in `docs/protocols.md` (web section). Bad
//! frames never end the call: each one is answered with an `error` event and
//! dropped. Frames larger than [`MAX_SOCKET_MESSAGE_BYTES`] are refused by the
//! WebSocket layer itself, which closes the connection.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use awaaz_agent::{Agent, AgentError, AgentReply, AgentSession, Language, SessionContext};
use awaaz_audio::{AudioChunk, SAMPLE_RATE_HZ};
use awaaz_call::{
    connection_pair, CallConfig, CallEngines, CallError, CallInfo, CallSupervisor, CallerCommand,
    CallerEvent,
};
use awaaz_store::{CallId, Channel};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::http::AppState;

/// Largest audio frame accepted: 500 ms of PCM16 at 16 kHz. The page sends
/// 20 ms (640 bytes); anything this big is a misbehaving client.
pub const MAX_AUDIO_FRAME_BYTES: usize = 16_000;
/// Largest JSON event accepted. The biggest legitimate one is a `mark` with a
/// short name.
pub const MAX_TEXT_FRAME_BYTES: usize = 4_096;
/// Above this the WebSocket layer refuses the message and closes the socket,
/// so a client cannot make the server buffer megabytes for one frame.
pub const MAX_SOCKET_MESSAGE_BYTES: usize = 64 * 1024;
/// A client that opens the socket and never says `start` is dropped.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// Messages queued each way between the socket and the call: caller frames
/// beyond this are dropped (2 s of 20 ms frames).
const CONNECTION_QUEUE: usize = 100;
/// Transcript lines queued for the page before new ones are dropped.
const TAP_QUEUE: usize = 32;
/// Longest mark name kept.
const MAX_MARK_NAME_CHARS: usize = 128;

// ---- wire events ----

/// A JSON event from the browser.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientEvent {
    /// Opens the call; audio may follow.
    Start {
        /// Rate of the binary audio the client will send. Must be 16000.
        sample_rate_hz: u32,
    },
    /// Agent audio up to the server's `mark` with this name has played.
    Mark {
        /// The name the server gave the mark.
        name: String,
    },
    /// The caller hung up.
    Hangup,
}

/// Who said a transcript line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TranscriptSpeaker {
    /// The person on the page.
    Caller,
    /// awaaz.
    Agent,
}

/// A JSON event to the browser.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    /// The call is open.
    Started {
        /// The call's id in the store (`GET /api/v1/calls/{id}`).
        call_id: String,
        /// Rate of the binary audio the server sends (16000).
        sample_rate_hz: u32,
    },
    /// A line of the transcript; caller lines arrive partial first.
    Transcript {
        /// Who spoke.
        speaker: TranscriptSpeaker,
        /// What was said (or heard so far).
        text: String,
        /// `false` for a partial caller line that may still change.
        #[serde(rename = "final")]
        is_final: bool,
    },
    /// The agent used a tool.
    ToolCall {
        /// Tool name.
        name: String,
        /// Its arguments.
        arguments: serde_json::Value,
        /// What it returned.
        result: serde_json::Value,
    },
    /// How long one turn took.
    Latency {
        /// End of the caller's speech to the first agent audio byte sent.
        voice_to_voice_ms: u64,
        /// Speech recognition time, when known.
        #[serde(skip_serializing_if = "Option::is_none")]
        asr_ms: Option<u64>,
        /// Agent (understanding, tools, reply) time, when known.
        #[serde(skip_serializing_if = "Option::is_none")]
        agent_ms: Option<u64>,
        /// Time to the first synthesised audio, when known.
        #[serde(skip_serializing_if = "Option::is_none")]
        tts_ms: Option<u64>,
    },
    /// Sent after the audio of one agent clause; the client echoes it back
    /// once that audio has finished playing.
    Mark {
        /// Opaque name.
        name: String,
    },
    /// Drop all queued agent audio now (the caller barged in).
    Clear,
    /// The call is over; the server closes the socket next.
    Ended {
        /// `hangup`, `agent`, `transferred`, `error`, `shutdown`, `timeout`.
        reason: String,
    },
    /// A frame was refused or something failed; the call goes on unless an
    /// `ended` follows.
    Error {
        /// What was wrong, for people.
        message: String,
    },
}

// ---- the sans-I/O protocol core ----

/// Why a client frame was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A text frame that is not one of the known JSON events.
    #[error("invalid event: {reason}")]
    InvalidEvent {
        /// The parser's complaint.
        reason: String,
    },
    /// A text frame over [`MAX_TEXT_FRAME_BYTES`].
    #[error("event too large ({len} bytes, limit {max})")]
    EventTooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A binary frame over [`MAX_AUDIO_FRAME_BYTES`].
    #[error("audio frame too large ({len} bytes, limit {max})")]
    AudioTooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// PCM16 frames hold whole samples.
    #[error("audio frame has an odd number of bytes ({len})")]
    OddAudioLength {
        /// Its size.
        len: usize,
    },
    /// Audio or a mark before `start`.
    #[error("send start before {what}")]
    NotStarted {
        /// What came too early.
        what: &'static str,
    },
    /// A second `start`.
    #[error("call already started")]
    AlreadyStarted,
    /// Only 16 kHz audio is accepted.
    #[error("unsupported sample rate {got} Hz (expected {expected})")]
    UnsupportedSampleRate {
        /// Asked for.
        got: u32,
        /// Required.
        expected: u32,
    },
}

/// What a valid client frame means to the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerInput {
    /// The client asked to start (only ever returned once).
    Start,
    /// Caller audio, 16 kHz.
    Audio(AudioChunk),
    /// Agent audio up to this mark has played.
    Mark(String),
    /// The caller hung up.
    Hangup,
}

/// Validates client frames in order. Does no I/O.
#[derive(Debug, Default)]
pub struct WebProtocol {
    started: bool,
}

impl WebProtocol {
    /// A protocol waiting for `start`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `start` has been accepted.
    pub fn is_started(&self) -> bool {
        self.started
    }

    /// A JSON text frame.
    pub fn handle_text(&mut self, text: &str) -> Result<CallerInput, ProtocolError> {
        if text.len() > MAX_TEXT_FRAME_BYTES {
            return Err(ProtocolError::EventTooLarge {
                len: text.len(),
                max: MAX_TEXT_FRAME_BYTES,
            });
        }
        let event: ClientEvent =
            serde_json::from_str(text).map_err(|e| ProtocolError::InvalidEvent {
                reason: e.to_string(),
            })?;
        match event {
            ClientEvent::Start { sample_rate_hz } => {
                if self.started {
                    return Err(ProtocolError::AlreadyStarted);
                }
                if sample_rate_hz != SAMPLE_RATE_HZ {
                    return Err(ProtocolError::UnsupportedSampleRate {
                        got: sample_rate_hz,
                        expected: SAMPLE_RATE_HZ,
                    });
                }
                self.started = true;
                Ok(CallerInput::Start)
            }
            ClientEvent::Mark { name } => {
                if !self.started {
                    return Err(ProtocolError::NotStarted { what: "mark" });
                }
                Ok(CallerInput::Mark(
                    name.chars().take(MAX_MARK_NAME_CHARS).collect(),
                ))
            }
            // Hanging up before starting is harmless: the socket just closes.
            ClientEvent::Hangup => Ok(CallerInput::Hangup),
        }
    }

    /// A binary audio frame.
    pub fn handle_binary(&mut self, bytes: &[u8]) -> Result<CallerInput, ProtocolError> {
        if bytes.len() > MAX_AUDIO_FRAME_BYTES {
            return Err(ProtocolError::AudioTooLarge {
                len: bytes.len(),
                max: MAX_AUDIO_FRAME_BYTES,
            });
        }
        if !self.started {
            return Err(ProtocolError::NotStarted { what: "audio" });
        }
        if bytes.len() % 2 == 1 {
            return Err(ProtocolError::OddAudioLength { len: bytes.len() });
        }
        Ok(CallerInput::Audio(AudioChunk::from_le_bytes(bytes)))
    }
}

// ---- the call behind the socket ----

/// Browser calls: the call supervisor they run under and the taps that show
/// each call's transcript on its page.
///
/// `awaaz-call` talks to a transport only in audio, marks and clears; the
/// page also shows what was said and which tools ran. [`WebCalls::new`]
/// wraps the agent so that, for browser calls only, every caller line the
/// agent receives and every reply and tool call it makes is copied to that
/// call's socket the moment it exists (before the reply is spoken).
pub struct WebCalls {
    supervisor: CallSupervisor,
    taps: Arc<Taps>,
}

impl std::fmt::Debug for WebCalls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebCalls")
            .field("supervisor", &self.supervisor)
            .finish_non_exhaustive()
    }
}

impl WebCalls {
    /// Browser calls over `engines`, at most `max_calls` at once.
    pub fn new(engines: CallEngines, config: CallConfig, max_calls: usize) -> Self {
        let taps = Arc::new(Taps::default());
        let agent: Arc<dyn Agent> = Arc::new(TappedAgent {
            inner: Arc::clone(&engines.agent),
            taps: Arc::clone(&taps),
        });
        let engines = CallEngines { agent, ..engines };
        Self {
            supervisor: CallSupervisor::new(engines, config, max_calls),
            taps,
        }
    }

    /// Browser calls running now.
    pub fn active(&self) -> usize {
        self.supervisor.active()
    }

    /// Ends every browser call (each says goodbye and is stored); waits up
    /// to `grace`. Returns whether all finished in time.
    pub async fn shutdown(&self, grace: Duration) -> bool {
        self.supervisor.shutdown(grace).await
    }
}

/// Browser calls allowed at once on a 2-core host with the embedded engines.
pub const DEFAULT_MAX_WEB_CALLS: usize = 10;

/// Loads the embedded speech engines from `models_dir` (Whisper base for
/// recognition, Piper and espeak-ng for synthesis) and enables browser
/// calls on `state`. Loading reads and initialises model files, so it runs
/// on a blocking thread.
pub async fn attach_embedded(
    state: &AppState,
    agent: Arc<dyn Agent>,
    models_dir: &std::path::Path,
) -> anyhow::Result<()> {
    let (recognizer, synthesizer) = crate::engines::load_speech(models_dir).await?;
    let engines = CallEngines::new(Arc::clone(state.store()), agent, recognizer, synthesizer)
        // Silero + the turn detector end turns ~450 ms sooner than the energy
        // segmenter (docs/benchmarks.md, "Voice-to-voice (preliminary)").
        .with_vad_from_env()
        .with_observer(Arc::clone(state.metrics()) as Arc<dyn awaaz_call::CallObserver>);
    let calls = WebCalls::new(engines, CallConfig::default(), DEFAULT_MAX_WEB_CALLS);
    state.set_web_calls(Arc::new(calls));
    tracing::info!("browser calls enabled (embedded speech engines)");
    Ok(())
}

/// Enables browser calls when `$AWAAZ_MODELS_DIR` (default `./models`)
/// holds the embedded models; otherwise, or if loading fails, the server
/// runs without them and `WS /web/call` says so.
pub async fn attach_from_env(state: &AppState, agent: Arc<dyn Agent>) {
    let dir = awaaz_audio::models_dir();
    if !dir.join("whisper-base").is_dir() {
        tracing::info!(models_dir = %dir.display(), "browser calls disabled: no models (run `just models`)");
        return;
    }
    if let Err(e) = attach_embedded(state, agent, &dir).await {
        tracing::error!(
            error = format!("{e:#}"),
            "browser calls disabled: cannot load models"
        );
    }
}

/// What the agent wrapper copies to a call's socket.
#[derive(Debug)]
enum Tap {
    /// The caller's final words, as the agent received them.
    CallerFinal(String),
    /// The agent's reply and the tools it used.
    Reply(AgentReply),
}

/// Call id → the socket pump's tap receiver, for browser calls only.
#[derive(Default)]
struct Taps {
    routes: Mutex<HashMap<CallId, mpsc::Sender<Tap>>>,
}

impl Taps {
    fn routes(&self) -> std::sync::MutexGuard<'_, HashMap<CallId, mpsc::Sender<Tap>>> {
        self.routes.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Removes a call's tap when its socket pump ends, however it ends.
struct TapGuard<'a> {
    taps: &'a Taps,
    id: CallId,
}

impl Drop for TapGuard<'_> {
    fn drop(&mut self) {
        self.taps.routes().remove(&self.id);
    }
}

struct TappedAgent {
    inner: Arc<dyn Agent>,
    taps: Arc<Taps>,
}

#[async_trait]
impl Agent for TappedAgent {
    async fn start(&self, ctx: SessionContext) -> Box<dyn AgentSession> {
        let tap = self.taps.routes().get(&ctx.call_id).cloned();
        let inner = self.inner.start(ctx).await;
        match tap {
            Some(tap) => Box::new(TappedSession { inner, tap }),
            None => inner,
        }
    }
}

struct TappedSession {
    inner: Box<dyn AgentSession>,
    tap: mpsc::Sender<Tap>,
}

impl TappedSession {
    /// Never waits: a page that cannot keep up loses transcript lines, the
    /// call does not slow down.
    fn copy(&self, tap: Tap) {
        let _ = self.tap.try_send(tap);
    }
}

#[async_trait]
impl AgentSession for TappedSession {
    async fn greet(&mut self, now: DateTime<Utc>) -> AgentReply {
        let reply = self.inner.greet(now).await;
        self.copy(Tap::Reply(reply.clone()));
        reply
    }

    async fn respond(&mut self, text: &str, now: DateTime<Utc>) -> Result<AgentReply, AgentError> {
        self.copy(Tap::CallerFinal(text.to_owned()));
        let reply = self.inner.respond(text, now).await;
        if let Ok(reply) = &reply {
            self.copy(Tap::Reply(reply.clone()));
        }
        reply
    }

    fn truncate_last_reply(&mut self, heard: &str) {
        self.inner.truncate_last_reply(heard);
    }

    fn language(&self) -> Language {
        self.inner.language()
    }
}

/// Per-turn timing as seen at this socket: when the caller last made a
/// sound, when their words reached the agent, when the reply was ready and
/// when its first audio left.
#[derive(Debug, Default)]
struct TurnClock {
    /// The last caller frame loud enough to be speech.
    last_voiced: Option<Instant>,
    /// Set when the caller's final words reach the agent: (speech end, then).
    pending: Option<(Instant, Instant)>,
    /// When the reply of the pending turn was ready.
    reply_ready: Option<Instant>,
}

/// RMS (PCM16 units) above which a caller frame counts as voiced; the
/// same -36 dBFS the energy segmenter uses.
const VOICED_RMS: f64 = 520.0;

impl TurnClock {
    fn caller_audio(&mut self, chunk: &AudioChunk, now: Instant) {
        if chunk.samples.is_empty() {
            return;
        }
        let energy: f64 = chunk
            .samples
            .iter()
            .map(|&s| f64::from(s) * f64::from(s))
            .sum();
        #[allow(clippy::cast_precision_loss)] // a frame has a few hundred samples
        let rms = (energy / chunk.samples.len() as f64).sqrt();
        if rms >= VOICED_RMS {
            self.last_voiced = Some(now);
        }
    }

    fn caller_final(&mut self, now: Instant) {
        let speech_end = self.last_voiced.unwrap_or(now).min(now);
        self.pending = Some((speech_end, now));
        self.reply_ready = None;
    }

    fn reply_ready(&mut self, now: Instant) {
        if self.pending.is_some() {
            self.reply_ready = Some(now);
        }
    }

    /// The first agent audio of a turn: its latency event, once.
    fn first_audio(&mut self, now: Instant) -> Option<ServerEvent> {
        let (speech_end, heard) = self.pending.take()?;
        let ms = |from: Instant, to: Instant| {
            u64::try_from(to.saturating_duration_since(from).as_millis()).unwrap_or(u64::MAX)
        };
        let ready = self.reply_ready.take();
        Some(ServerEvent::Latency {
            voice_to_voice_ms: ms(speech_end, now),
            asr_ms: Some(ms(speech_end, heard)),
            agent_ms: ready.map(|r| ms(heard, r)),
            tts_ms: ready.map(|r| ms(r, now)),
        })
    }

    /// Barge-in: the interrupted turn has no first audio to time.
    fn cancel(&mut self) {
        self.pending = None;
        self.reply_ready = None;
    }
}

// ---- routes ----

const INDEX_HTML: &str = include_str!("../web/index.html");
const SOFTPHONE_JS: &str = include_str!("../web/softphone.js");
const CAPTURE_WORKLET_JS: &str = include_str!("../web/capture-worklet.js");
const SOFTPHONE_CSS: &str = include_str!("../web/softphone.css");

/// The page, its assets and the call socket.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/",
            get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }),
        )
        .route(
            "/web/softphone.js",
            get(|| async { asset("text/javascript; charset=utf-8", SOFTPHONE_JS) }),
        )
        .route(
            "/web/capture-worklet.js",
            get(|| async { asset("text/javascript; charset=utf-8", CAPTURE_WORKLET_JS) }),
        )
        .route(
            "/web/softphone.css",
            get(|| async { asset("text/css; charset=utf-8", SOFTPHONE_CSS) }),
        )
        .route("/web/call", get(call_socket))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            // The page talks to a microphone: keep other origins from framing it.
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn call_socket(State(state): State<AppState>, upgrade: WebSocketUpgrade) -> Response {
    upgrade
        .max_message_size(MAX_SOCKET_MESSAGE_BYTES)
        .max_frame_size(MAX_SOCKET_MESSAGE_BYTES)
        .on_upgrade(move |socket| async move {
            let span = tracing::info_span!("web_call", call_id = tracing::field::Empty);
            tracing::Instrument::instrument(run_socket(socket, state), span).await;
        })
}

/// Why the socket loop stopped.
enum Stop {
    /// The peer went away (or sent something the socket layer refused).
    Gone,
    /// The call ended; tell the client why.
    Ended(String),
}

async fn send_event(socket: &mut WebSocket, event: &ServerEvent) -> bool {
    match serde_json::to_string(event) {
        Ok(text) => socket
            .send(Message::Text(Utf8Bytes::from(text)))
            .await
            .is_ok(),
        Err(e) => {
            tracing::error!(error = %e, "cannot encode event");
            true
        }
    }
}

async fn send_error(socket: &mut WebSocket, error: &ProtocolError) -> bool {
    tracing::debug!(error = %error, "refused client frame");
    send_event(
        socket,
        &ServerEvent::Error {
            message: error.to_string(),
        },
    )
    .await
}

/// Runs one browser call: waits for `start`, opens the call, then pumps
/// frames both ways until either side ends.
async fn run_socket(mut socket: WebSocket, state: AppState) {
    let mut protocol = WebProtocol::new();
    // Phase 1: until `start`.
    let started = tokio::time::timeout(START_TIMEOUT, async {
        loop {
            let result = match socket.recv().await {
                Some(Ok(Message::Text(text))) => protocol.handle_text(text.as_str()),
                Some(Ok(Message::Binary(bytes))) => protocol.handle_binary(&bytes),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Ok(Message::Close(_)) | Err(_)) | None => return false,
            };
            match result {
                Ok(CallerInput::Start) => return true,
                Ok(CallerInput::Hangup) => return false,
                Ok(_) => {}
                Err(e) => {
                    if !send_error(&mut socket, &e).await {
                        return false;
                    }
                }
            }
        }
    })
    .await;
    match started {
        Ok(true) => {}
        Ok(false) => return,
        Err(_) => {
            close(&mut socket, "timeout").await;
            return;
        }
    }

    let Some(calls) = state.web_calls() else {
        let _ = send_event(
            &mut socket,
            &ServerEvent::Error {
                message: "voice calls are not available on this server (speech engines not loaded)"
                    .to_owned(),
            },
        )
        .await;
        close(&mut socket, "unavailable").await;
        return;
    };
    let info = CallInfo::new(Channel::Web);
    let id = info.id.clone();
    tracing::Span::current().record("call_id", tracing::field::display(&id));
    let (connection, mut endpoint) = connection_pair(CONNECTION_QUEUE);
    let (tap_tx, mut tap_rx) = mpsc::channel::<Tap>(TAP_QUEUE);
    // Registered before the call starts: the greeting is made at start.
    calls.taps.routes().insert(id.clone(), tap_tx);
    let _tap_guard = TapGuard {
        taps: &calls.taps,
        id: id.clone(),
    };
    if let Err(e) = calls.supervisor.start(info, connection) {
        tracing::warn!(error = %e, "browser call refused");
        let reason = match e {
            CallError::Busy { .. } => "busy",
            CallError::ShuttingDown => "shutdown",
            _ => "failed",
        };
        let _ = send_event(
            &mut socket,
            &ServerEvent::Error {
                message: e.to_string(),
            },
        )
        .await;
        close(&mut socket, reason).await;
        return;
    }
    tracing::info!("browser call started");
    if !send_event(
        &mut socket,
        &ServerEvent::Started {
            call_id: id.to_string(),
            sample_rate_hz: SAMPLE_RATE_HZ,
        },
    )
    .await
    {
        let _ = endpoint.send(CallerEvent::HungUp).await;
        return;
    }

    let events = endpoint.event_sender();
    let mut clock = TurnClock::default();
    let mut dropped_frames: u64 = 0;
    let mut taps_open = true;
    let stop = loop {
        tokio::select! {
            frame = socket.recv() => {
                let result = match frame {
                    Some(Ok(Message::Text(text))) => protocol.handle_text(text.as_str()),
                    Some(Ok(Message::Binary(bytes))) => protocol.handle_binary(&bytes),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break Stop::Gone,
                };
                match result {
                    Ok(CallerInput::Start) => {}
                    Ok(CallerInput::Audio(chunk)) => {
                        clock.caller_audio(&chunk, Instant::now());
                        // Never wait on the call here: a call that is behind
                        // must not stall marks and hang-ups behind audio.
                        match events.try_send(CallerEvent::Audio(chunk)) {
                            Ok(true) => {}
                            Ok(false) => dropped_frames += 1,
                            Err(_) => break Stop::Ended("completed".to_owned()),
                        }
                    }
                    Ok(CallerInput::Mark(name)) => {
                        // Marks are few and the call needs every one to know
                        // what was heard, so wait for room.
                        if events.send(CallerEvent::Mark(name)).await.is_err() {
                            break Stop::Ended("completed".to_owned());
                        }
                    }
                    Ok(CallerInput::Hangup) => {
                        // The call records the end; the caller is gone, so
                        // nothing said afterwards would be heard.
                        let _ = events.send(CallerEvent::HungUp).await;
                        break Stop::Ended("hangup".to_owned());
                    }
                    Err(e) => {
                        if !send_error(&mut socket, &e).await {
                            break Stop::Gone;
                        }
                    }
                }
            }
            command = endpoint.recv() => {
                let sent = match command {
                    Some(CallerCommand::Play(chunk)) => {
                        let latency = clock.first_audio(Instant::now());
                        let ok = socket.send(Message::Binary(chunk.to_le_bytes().into())).await.is_ok();
                        match latency {
                            Some(event) if ok => send_event(&mut socket, &event).await,
                            _ => ok,
                        }
                    }
                    Some(CallerCommand::Mark(name)) => {
                        send_event(&mut socket, &ServerEvent::Mark { name }).await
                    }
                    Some(CallerCommand::Clear) => {
                        clock.cancel();
                        send_event(&mut socket, &ServerEvent::Clear).await
                    }
                    Some(CallerCommand::HangUp) => break Stop::Ended("completed".to_owned()),
                    Some(CallerCommand::Transfer { .. }) => {
                        break Stop::Ended("transferred".to_owned())
                    }
                    // A command a newer call engine sends that this page
                    // cannot act on.
                    Some(_) => true,
                    None => break Stop::Ended("completed".to_owned()),
                };
                if !sent {
                    break Stop::Gone;
                }
            }
            tap = tap_rx.recv(), if taps_open => {
                let Some(tap) = tap else {
                    taps_open = false;
                    continue;
                };
                let now = Instant::now();
                let mut out = Vec::new();
                match tap {
                    Tap::CallerFinal(text) => {
                        clock.caller_final(now);
                        out.push(ServerEvent::Transcript {
                            speaker: TranscriptSpeaker::Caller,
                            text,
                            is_final: true,
                        });
                    }
                    Tap::Reply(reply) => {
                        clock.reply_ready(now);
                        for call in reply.tool_calls {
                            out.push(ServerEvent::ToolCall {
                                name: call.name,
                                arguments: call.arguments,
                                result: call.result,
                            });
                        }
                        out.push(ServerEvent::Transcript {
                            speaker: TranscriptSpeaker::Agent,
                            text: reply.text,
                            is_final: true,
                        });
                    }
                }
                let mut sent = true;
                for event in &out {
                    sent = sent && send_event(&mut socket, event).await;
                }
                if !sent {
                    break Stop::Gone;
                }
            }
        }
    };
    if dropped_frames > 0 {
        tracing::warn!(dropped_frames, "caller audio dropped: call too slow");
    }
    match stop {
        Stop::Gone => {
            // Tell the call so it is stored as hung up.
            let _ = events.send(CallerEvent::HungUp).await;
            tracing::info!("browser call closed by peer");
        }
        Stop::Ended(reason) => {
            tracing::info!(reason = %reason, "browser call ended");
            close(&mut socket, &reason).await;
        }
    }
}

/// Sends `ended` and a normal close frame; errors mean the peer is gone.
async fn close(socket: &mut WebSocket, reason: &str) {
    let _ = send_event(
        socket,
        &ServerEvent::Ended {
            reason: reason.to_owned(),
        },
    )
    .await;
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code: axum::extract::ws::close_code::NORMAL,
            reason: Utf8Bytes::from_static("call ended"),
        })))
        .await;
}

#[cfg(test)]
mod tests;
