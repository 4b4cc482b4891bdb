//! A fake OpenAI Realtime (GA) server over a real WebSocket.
//!
//! [`FakeRealtime::start`] listens on `127.0.0.1:0` and serves
//! `/v1/realtime` the way the service does, as its API reference describes:
//!
//! * the handshake checks `Authorization: Bearer <key>` when the script sets
//!   a key (401 otherwise) and reads `?model=`;
//! * `session.created` is sent on connect; `session.update` is merged into
//!   the effective session (only the fields present change, `null` clears)
//!   and answered with the full `session.updated`; `session.type` is
//!   required and the voice cannot change once the model has spoken;
//! * `input_audio_buffer.append` audio is counted in milliseconds of the
//!   session's input format (μ-law/A-law 8 kHz: 8 bytes per ms; PCM16
//!   24 kHz: 48 bytes per ms). With turn detection on, the script's speech
//!   windows ([`CallerTurn`]) are "heard" when the appended audio passes
//!   them: `input_audio_buffer.speech_started` (`audio_start_ms` includes
//!   `prefix_padding_ms`, as the service reports it), then, once
//!   `silence_duration_ms` of audio past the window has arrived,
//!   `speech_stopped`, `committed`, `conversation.item.added`/`done`, the
//!   transcription events when transcription is configured, and — if
//!   `create_response` — the scripted [`Reply`];
//! * a reply is either speech (`response.created`, `output_item.added`,
//!   `content_part.added`, paced `output_audio.delta` chunks of a generated
//!   tone with `output_audio_transcript.delta`s, then the `.done` events and
//!   `response.done` with usage) or a function call (`output_item.added`
//!   with `call_id`/`name`, `function_call_arguments.delta`/`.done`,
//!   `response.done`), after which the script's follow-up answer is given on
//!   the next `response.create`, its transcript filled from the
//!   `function_call_output` JSON (`{field}` / `{a.b}` / `{output}`);
//! * caller speech during a response cancels it when `interrupt_response`
//!   is on (`response.done` with status `cancelled`, reason
//!   `turn_detected`); [`FakeRealtime::interrupt`] makes the caller start
//!   the next scripted turn at once;
//! * errors use the service's codes and wording: `response.cancel` with
//!   nothing running → `response_cancel_not_active` ("Cancellation failed:
//!   no active response found"); `response.create` during a response →
//!   `conversation_already_has_active_response`; `conversation.item.truncate`
//!   of a non-assistant item → "Only model output audio messages can be
//!   truncated"; past the audio generated so far → "Audio content of {N}ms is
//!   already shorter than {M}ms" (rejected; the real service has been seen
//!   to apply a clamped truncation after this error — this fake does not);
//!   committing under 100 ms → `input_audio_buffer_commit_empty`.
//!
//! Every connection has its own state, built from the shared [`Script`].
//! Everything received is recorded per connection ([`Recording`]) for
//! assertions, and a test can drop a connection mid-call (no close frame,
//! like a network failure) to exercise reconnects.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::Message;

/// The path the service serves.
pub const REALTIME_PATH: &str = "/v1/realtime";

/// What every connection to the fake does: the caller's turns and the
/// model's scripted answers.
#[derive(Debug, Clone)]
pub struct Script {
    /// The caller's turns, in order, on the input-audio timeline.
    pub turns: Vec<CallerTurn>,
    /// The answer to a `response.create` that no turn asked for.
    pub default_reply: AudioReply,
    /// How fast responses stream.
    pub pacing: Pacing,
    /// If set, the handshake requires `Authorization: Bearer <key>`.
    pub api_key: Option<String>,
    /// Drop connection `connection` (0-based, in accept order) once this
    /// much input audio has arrived on it.
    pub drops: Vec<DropRule>,
}

impl Default for Script {
    fn default() -> Self {
        Self {
            turns: Vec::new(),
            default_reply: AudioReply::new("How can I help you?", 1_000),
            pacing: Pacing::default(),
            api_key: None,
            drops: Vec::new(),
        }
    }
}

impl Script {
    /// An empty script with default pacing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a caller turn.
    #[must_use]
    pub fn turn(mut self, turn: CallerTurn) -> Self {
        self.turns.push(turn);
        self
    }

    /// Sets the pacing.
    #[must_use]
    pub fn pacing(mut self, pacing: Pacing) -> Self {
        self.pacing = pacing;
        self
    }

    /// Requires this API key in the handshake.
    #[must_use]
    pub fn require_api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Drops connection `connection` after `after_audio_ms` of input audio.
    #[must_use]
    pub fn drop_connection_after(mut self, connection: usize, after_audio_ms: u64) -> Self {
        self.drops.push(DropRule {
            connection,
            after_audio_ms,
        });
        self
    }
}

/// One caller turn: speech between two points of the input-audio timeline
/// (milliseconds of audio appended since the session started), what the
/// transcriber hears, and how the model answers.
#[derive(Debug, Clone)]
pub struct CallerTurn {
    /// Where speech starts.
    pub speech_start_ms: u64,
    /// Where speech ends (silence follows).
    pub speech_end_ms: u64,
    /// The transcript of this speech.
    pub transcript: String,
    /// The model's answer.
    pub reply: Reply,
}

impl CallerTurn {
    /// A turn from `speech_start_ms` to `speech_end_ms`.
    pub fn new(
        speech_start_ms: u64,
        speech_end_ms: u64,
        transcript: impl Into<String>,
        reply: Reply,
    ) -> Self {
        Self {
            speech_start_ms,
            speech_end_ms,
            transcript: transcript.into(),
            reply,
        }
    }
}

/// How the model answers a turn.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Speech.
    Audio(AudioReply),
    /// A function call; after the client sends the `function_call_output`
    /// and `response.create`, `then` is spoken with its transcript filled
    /// from the output (`{field}`, `{a.b}`, or `{output}` for all of it).
    FunctionCall {
        /// Function name.
        name: String,
        /// Arguments (sent as a JSON string).
        arguments: Value,
        /// The answer once the output is known.
        then: AudioReply,
    },
    /// No automatic response (an explicit `response.create` gets the
    /// script's default reply).
    Silence,
}

impl Reply {
    /// Speech of `audio_ms` milliseconds saying `transcript`.
    pub fn audio(transcript: impl Into<String>, audio_ms: u64) -> Self {
        Self::Audio(AudioReply::new(transcript, audio_ms))
    }

    /// A call of `name` with `arguments`, answered afterwards with `then`.
    pub fn function_call(name: impl Into<String>, arguments: Value, then: AudioReply) -> Self {
        Self::FunctionCall {
            name: name.into(),
            arguments,
            then,
        }
    }
}

/// Scripted speech.
#[derive(Debug, Clone)]
pub struct AudioReply {
    /// What the model says (a template after a function call).
    pub transcript: String,
    /// How much audio it generates.
    pub audio_ms: u64,
}

impl AudioReply {
    /// `audio_ms` of speech saying `transcript`.
    pub fn new(transcript: impl Into<String>, audio_ms: u64) -> Self {
        Self {
            transcript: transcript.into(),
            audio_ms,
        }
    }
}

/// How fast responses stream.
#[derive(Debug, Clone, Copy)]
pub struct Pacing {
    /// Audio per `response.output_audio.delta`.
    pub chunk_ms: u64,
    /// Generation speed relative to real time (1.0 = real time, 4.0 = four
    /// times faster); `f64::INFINITY` sends everything without waiting.
    pub speed: f64,
    /// Time from `response.created` to the first audio delta.
    pub first_delta_delay: Duration,
    /// Time from `response.created` to the function call's arguments.
    pub function_call_delay: Duration,
}

impl Default for Pacing {
    /// Real time, 100 ms chunks, 150 ms to first audio.
    fn default() -> Self {
        Self {
            chunk_ms: 100,
            speed: 1.0,
            first_delta_delay: Duration::from_millis(150),
            function_call_delay: Duration::from_millis(150),
        }
    }
}

impl Pacing {
    /// No waiting at all: for tests that only care about content.
    pub fn instant() -> Self {
        Self {
            chunk_ms: 100,
            speed: f64::INFINITY,
            first_delta_delay: Duration::ZERO,
            function_call_delay: Duration::ZERO,
        }
    }

    /// `speed` times real time with 100 ms chunks and no initial delay.
    pub fn faster(speed: f64) -> Self {
        Self {
            speed,
            first_delta_delay: Duration::ZERO,
            function_call_delay: Duration::ZERO,
            ..Self::default()
        }
    }

    fn chunk_interval(&self, chunk_ms: u64) -> Duration {
        if self.speed.is_finite() && self.speed > 0.0 {
            #[allow(clippy::cast_precision_loss)] // chunk sizes are small
            Duration::from_secs_f64(chunk_ms as f64 / 1000.0 / self.speed)
        } else {
            Duration::ZERO
        }
    }
}

/// Drop a connection after some input audio.
#[derive(Debug, Clone, Copy)]
pub struct DropRule {
    /// 0-based connection index, in accept order.
    pub connection: usize,
    /// Input audio after which the socket is dropped.
    pub after_audio_ms: u64,
}

/// What one connection received and did, for assertions.
#[derive(Debug, Clone, Default)]
pub struct Recording {
    /// 0-based index in accept order.
    pub connection: usize,
    /// The `model` query parameter.
    pub model: Option<String>,
    /// Client event types, in order.
    pub received: Vec<String>,
    /// Server event types, in order.
    pub sent: Vec<String>,
    /// The `session` objects of each `session.update`, as sent.
    pub session_updates: Vec<Value>,
    /// The effective session now.
    pub session: Value,
    /// Bytes of input audio appended.
    pub audio_bytes_appended: u64,
    /// Milliseconds of input audio appended.
    pub audio_ms_appended: u64,
    /// Manual `input_audio_buffer.commit`s.
    pub commits: usize,
    /// `input_audio_buffer.clear`s.
    pub clears: usize,
    /// Text of user messages created with `conversation.item.create`.
    pub user_texts: Vec<String>,
    /// Every `conversation.item.truncate`, applied or rejected.
    pub truncations: Vec<Truncation>,
    /// Every `function_call_output` item.
    pub function_outputs: Vec<FunctionOutput>,
    /// Every response the fake ran.
    pub responses: Vec<ResponseRecord>,
    /// `response.create`s received.
    pub response_creates: usize,
    /// `response.cancel`s received.
    pub cancels: usize,
    /// The `error` objects sent.
    pub errors: Vec<Value>,
    /// The connection has ended.
    pub closed: bool,
    /// The fake dropped it on purpose.
    pub dropped: bool,
}

impl Recording {
    /// The error messages sent, in order.
    pub fn error_messages(&self) -> Vec<String> {
        self.errors
            .iter()
            .filter_map(|e| e.get("message").and_then(Value::as_str).map(str::to_owned))
            .collect()
    }

    /// The error codes sent, in order.
    pub fn error_codes(&self) -> Vec<String> {
        self.errors
            .iter()
            .filter_map(|e| e.get("code").and_then(Value::as_str).map(str::to_owned))
            .collect()
    }
}

/// One `conversation.item.truncate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncation {
    /// The item named.
    pub item_id: String,
    /// The content index named.
    pub content_index: u64,
    /// Where the client cut.
    pub audio_end_ms: u64,
    /// Whether it was applied (else an error was sent).
    pub applied: bool,
}

/// One `function_call_output` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionOutput {
    /// The call answered.
    pub call_id: String,
    /// The output string.
    pub output: String,
}

/// One response, as the fake ran it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseRecord {
    /// Response id.
    pub id: String,
    /// Output item id.
    pub item_id: String,
    /// `audio` or `function_call`.
    pub kind: String,
    /// `in_progress`, `completed` or `cancelled`.
    pub status: String,
    /// Cancel reason (`turn_detected`, `client_cancelled`).
    pub reason: Option<String>,
    /// Audio sent, in ms.
    pub audio_ms: u64,
    /// Transcript sent (the full one when completed).
    pub transcript: String,
}

/// The fake server. Dropping it stops the server and every connection.
#[derive(Debug)]
pub struct FakeRealtime {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept_task: JoinHandle<()>,
}

#[derive(Debug)]
struct Shared {
    script: Script,
    connections: Mutex<Vec<Slot>>,
    rejected: AtomicUsize,
}

#[derive(Debug)]
struct Slot {
    recording: Arc<Mutex<Recording>>,
    control: mpsc::Sender<Control>,
}

#[derive(Debug, Clone, Copy)]
enum Control {
    Drop,
    Interrupt,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl FakeRealtime {
    /// Starts the server on `127.0.0.1:0`.
    pub async fn start(script: Script) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            script,
            connections: Mutex::new(Vec::new()),
            rejected: AtomicUsize::new(0),
        });
        let accept_task = tokio::spawn(accept_loop(listener, shared.clone()));
        Ok(Self {
            addr,
            shared,
            accept_task,
        })
    }

    /// `ws://127.0.0.1:PORT/v1/realtime`.
    pub fn url(&self) -> String {
        format!("ws://{}{REALTIME_PATH}", self.addr)
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// WebSocket sessions accepted so far.
    pub fn connection_count(&self) -> usize {
        lock(&self.shared.connections).len()
    }

    /// Handshakes refused (bad key, wrong path).
    pub fn rejected_handshakes(&self) -> usize {
        self.shared.rejected.load(Ordering::SeqCst)
    }

    /// A snapshot of connection `index`'s recording.
    pub fn recording(&self, index: usize) -> Option<Recording> {
        let connections = lock(&self.shared.connections);
        let slot = connections.get(index)?;
        let recording = lock(&slot.recording).clone();
        Some(recording)
    }

    /// Snapshots of every connection's recording, in accept order.
    pub fn recordings(&self) -> Vec<Recording> {
        lock(&self.shared.connections)
            .iter()
            .map(|slot| lock(&slot.recording).clone())
            .collect()
    }

    /// Drops connection `index` without a close frame, like a network
    /// failure. False if there is no such live connection.
    pub fn drop_connection(&self, index: usize) -> bool {
        self.control(index, Control::Drop)
    }

    /// Makes the caller on connection `index` start the next scripted turn
    /// now (all remaining turns shift to keep their spacing): speech starts
    /// at the current point of the input audio, cancelling the response in
    /// progress if `interrupt_response` is on. False if there is no such
    /// live connection.
    pub fn interrupt(&self, index: usize) -> bool {
        self.control(index, Control::Interrupt)
    }

    fn control(&self, index: usize, control: Control) -> bool {
        lock(&self.shared.connections)
            .get(index)
            .is_some_and(|slot| slot.control.try_send(control).is_ok())
    }

    /// Waits until connection `index` exists and its recording satisfies
    /// `condition`, polling every 5 ms; `None` on timeout.
    pub async fn wait_for(
        &self,
        index: usize,
        timeout: Duration,
        condition: impl Fn(&Recording) -> bool,
    ) -> Option<Recording> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(recording) = self.recording(index) {
                if condition(&recording) {
                    return Some(recording);
                }
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Drop for FakeRealtime {
    fn drop(&mut self) {
        // The accept task owns the connection tasks' JoinSet: aborting it
        // aborts them all.
        self.accept_task.abort();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    connections.spawn(serve(stream, shared.clone()));
                }
                Err(error) => tracing::debug!(%error, "fake realtime: accept failed"),
            },
            Some(_finished) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve(stream: TcpStream, shared: Arc<Shared>) {
    let mut model = None;
    let expected_auth = shared
        .script
        .api_key
        .as_ref()
        .map(|k| format!("Bearer {k}"));
    // The callback's signature is tungstenite's; its error is an HTTP response.
    #[allow(clippy::result_large_err)]
    let check = |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
        if request.uri().path() != REALTIME_PATH {
            return Err(error_response(
                StatusCode::NOT_FOUND,
                "Not found",
                "not_found",
            ));
        }
        if let Some(expected) = &expected_auth {
            let given = request
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok());
            if given != Some(expected.as_str()) {
                return Err(error_response(
                    StatusCode::UNAUTHORIZED,
                    "Incorrect API key provided.",
                    "invalid_api_key",
                ));
            }
        }
        model = request.uri().query().and_then(|query| {
            query
                .split('&')
                .find_map(|pair| pair.strip_prefix("model=").map(str::to_owned))
        });
        Ok(response)
    };
    let Ok(ws) = tokio_tungstenite::accept_hdr_async(stream, check).await else {
        shared.rejected.fetch_add(1, Ordering::SeqCst);
        return;
    };

    let (control_tx, control_rx) = mpsc::channel(8);
    let (index, recording) = {
        let mut connections = lock(&shared.connections);
        let index = connections.len();
        let recording = Arc::new(Mutex::new(Recording {
            connection: index,
            model: model.clone(),
            ..Recording::default()
        }));
        connections.push(Slot {
            recording: recording.clone(),
            control: control_tx,
        });
        (index, recording)
    };
    let conn = Conn::new(index, &shared.script, model, recording.clone());
    run(ws, conn, control_rx).await;
    lock(&recording).closed = true;
}

fn error_response(status: StatusCode, message: &str, code: &str) -> ErrorResponse {
    let body = json!({"error": {"message": message, "type": "invalid_request_error",
                                "code": code, "param": null}});
    let mut response = ErrorResponse::new(Some(body.to_string()));
    *response.status_mut() = status;
    response
}

async fn run(
    ws: tokio_tungstenite::WebSocketStream<TcpStream>,
    mut conn: Conn,
    mut control: mpsc::Receiver<Control>,
) {
    let (mut sink, mut stream) = ws.split();
    loop {
        while let Some(event) = conn.outbox.pop_front() {
            if sink.send(Message::text(event.to_string())).await.is_err() {
                return;
            }
        }
        if conn.drop_now {
            lock(&conn.recording).dropped = true;
            // Dropping both halves closes the socket with no close frame.
            return;
        }
        let deadline = conn.next_deadline();
        let sleep_until = deadline.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => conn.on_client_text(text.as_str(), Instant::now()),
                Some(Ok(Message::Binary(_))) => conn.send_error(
                    "invalid_request_error", Some("invalid_event"),
                    "Binary messages are not supported.", None, None),
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_ping_pong_or_frame)) => {}
            },
            command = control.recv() => match command {
                Some(Control::Drop) => conn.drop_now = true,
                Some(Control::Interrupt) => conn.interrupt(Instant::now()),
                None => {}
            },
            () = tokio::time::sleep_until(sleep_until), if deadline.is_some() => {
                conn.on_timer(Instant::now());
            }
        }
    }
}

/// One conversation item as the fake tracks it.
#[derive(Debug, Clone)]
struct ItemRec {
    id: String,
    kind: String,
    role: Option<String>,
    /// Audio generated (assistant) or committed (user), in ms.
    audio_ms: u64,
    text_chars: usize,
}

#[derive(Debug, Clone)]
enum Plan {
    Audio(AudioReply),
    FunctionCall {
        name: String,
        arguments: String,
        then: AudioReply,
    },
}

#[derive(Debug)]
struct Active {
    id: String,
    item_id: String,
    next_at: Instant,
    kind: ActiveKind,
}

#[derive(Debug)]
enum ActiveKind {
    Audio {
        transcript: Vec<char>,
        target_ms: u64,
        sent_ms: u64,
        sent_chars: usize,
    },
    FunctionCall {
        call_id: String,
        name: String,
        arguments: String,
        then: AudioReply,
    },
}

/// A pending function call: its follow-up and, once sent, its output.
#[derive(Debug)]
struct Awaiting {
    call_id: String,
    then: AudioReply,
    output: Option<String>,
}

/// A caller speaking (between `speech_started` and `speech_stopped`).
#[derive(Debug)]
struct Speaking {
    item_id: String,
    turn: usize,
}

/// One connection's protocol state. Sans-I/O: inputs are client events,
/// control commands and timer ticks (with the time as an argument); outputs
/// are queued in `outbox`.
struct Conn {
    index: usize,
    recording: Arc<Mutex<Recording>>,
    pacing: Pacing,
    default_reply: AudioReply,
    drop_after_ms: Option<u64>,
    turns: Vec<CallerTurn>,
    next_turn: usize,
    session: Value,
    outbox: VecDeque<Value>,
    counter: u64,
    /// Input audio timeline (all audio appended), in ms.
    timeline_ms: f64,
    /// Uncommitted input audio, in ms.
    buffer_ms: f64,
    speaking: Option<Speaking>,
    pending_turn: Option<usize>,
    items: Vec<ItemRec>,
    active: Option<Active>,
    awaiting: Option<Awaiting>,
    model_has_spoken: bool,
    previous_input_tokens: u64,
    tone_phase: f64,
    drop_now: bool,
}

impl Conn {
    fn new(
        index: usize,
        script: &Script,
        model: Option<String>,
        recording: Arc<Mutex<Recording>>,
    ) -> Self {
        let session = json!({
            "type": "realtime",
            "object": "realtime.session",
            "id": format!("sess_fake{index:03}"),
            "model": model.unwrap_or_else(|| "gpt-realtime".to_owned()),
            "output_modalities": ["audio"],
            "instructions": "You are a helpful assistant.",
            "tools": [],
            "tool_choice": "auto",
            "max_output_tokens": "inf",
            "tracing": null,
            "truncation": "auto",
            "prompt": null,
            "expires_at": 1_900_000_000,
            "audio": {
                "input": {
                    "format": {"type": "audio/pcm", "rate": 24000},
                    "transcription": null,
                    "noise_reduction": null,
                    "turn_detection": {
                        "type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300,
                        "silence_duration_ms": 500, "idle_timeout_ms": null,
                        "create_response": true, "interrupt_response": true
                    }
                },
                "output": {
                    "format": {"type": "audio/pcm", "rate": 24000},
                    "voice": "marin",
                    "speed": 1.0
                }
            },
            "include": null
        });
        let mut conn = Self {
            index,
            recording,
            pacing: script.pacing,
            default_reply: script.default_reply.clone(),
            drop_after_ms: script
                .drops
                .iter()
                .filter(|rule| rule.connection == index)
                .map(|rule| rule.after_audio_ms)
                .min(),
            turns: script.turns.clone(),
            next_turn: 0,
            session,
            outbox: VecDeque::new(),
            counter: 0,
            timeline_ms: 0.0,
            buffer_ms: 0.0,
            speaking: None,
            pending_turn: None,
            items: Vec::new(),
            active: None,
            awaiting: None,
            model_has_spoken: false,
            previous_input_tokens: 0,
            tone_phase: 0.0,
            drop_now: false,
        };
        lock(&conn.recording).session = conn.session.clone();
        let session = conn.session.clone();
        conn.emit(json!({"type": "session.created", "session": session}));
        conn
    }

    // ---- ids and output ----------------------------------------------------

    fn next_id(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}_{:03}_{:05}", self.index, self.counter)
    }

    fn emit(&mut self, mut event: Value) {
        let event_id = self.next_id("event");
        if let Some(object) = event.as_object_mut() {
            object.insert("event_id".into(), Value::from(event_id));
        }
        let event_type = event["type"].as_str().unwrap_or_default().to_owned();
        {
            let mut recording = lock(&self.recording);
            if event_type == "error" {
                recording.errors.push(event["error"].clone());
            }
            recording.sent.push(event_type);
        }
        self.outbox.push_back(event);
    }

    fn send_error(
        &mut self,
        error_type: &str,
        code: Option<&str>,
        message: &str,
        param: Option<&str>,
        client_event_id: Option<&str>,
    ) {
        self.emit(json!({
            "type": "error",
            "error": {
                "type": error_type, "code": code, "message": message,
                "param": param, "event_id": client_event_id
            }
        }));
    }

    // ---- session -------------------------------------------------------------

    fn input_format(&self) -> &Value {
        &self.session["audio"]["input"]["format"]
    }

    fn output_format(&self) -> Value {
        self.session["audio"]["output"]["format"].clone()
    }

    fn bytes_per_ms(format: &Value) -> f64 {
        match format["type"].as_str() {
            Some("audio/pcmu" | "audio/pcma") => 8.0,
            _ => {
                #[allow(clippy::cast_precision_loss)] // sample rates are small
                let rate = format["rate"].as_u64().unwrap_or(24_000) as f64;
                rate * 2.0 / 1000.0
            }
        }
    }

    fn turn_detection(&self) -> Option<&Value> {
        let detection = &self.session["audio"]["input"]["turn_detection"];
        detection.is_object().then_some(detection)
    }

    fn vad_flag(&self, name: &str) -> bool {
        self.turn_detection()
            .and_then(|d| d[name].as_bool())
            .unwrap_or(true)
    }

    fn silence_ms(&self) -> u64 {
        self.turn_detection()
            .map_or(500, |d| match d["type"].as_str() {
                Some("semantic_vad") => match d["eagerness"].as_str() {
                    Some("high") => 200,
                    Some("low") => 800,
                    _ => 400,
                },
                _ => d["silence_duration_ms"].as_u64().unwrap_or(500),
            })
    }

    fn prefix_padding_ms(&self) -> u64 {
        self.turn_detection()
            .and_then(|d| d["prefix_padding_ms"].as_u64())
            .unwrap_or(300)
    }

    // ---- client events -------------------------------------------------------

    fn on_client_text(&mut self, text: &str, now: Instant) {
        let event: Value = match serde_json::from_str(text) {
            Ok(event) => event,
            Err(error) => {
                let message =
                    format!("We could not parse the JSON body of your request. ({error})");
                self.send_error(
                    "invalid_request_error",
                    Some("invalid_json"),
                    &message,
                    None,
                    None,
                );
                return;
            }
        };
        let event_type = event["type"].as_str().unwrap_or_default().to_owned();
        let event_id = event["event_id"].as_str().map(str::to_owned);
        let event_id = event_id.as_deref();
        lock(&self.recording).received.push(event_type.clone());
        match event_type.as_str() {
            "session.update" => self.on_session_update(&event, event_id),
            "input_audio_buffer.append" => self.on_append(&event, event_id, now),
            "input_audio_buffer.commit" => self.on_commit(event_id),
            "input_audio_buffer.clear" => {
                self.buffer_ms = 0.0;
                lock(&self.recording).clears += 1;
                self.emit(json!({"type": "input_audio_buffer.cleared"}));
            }
            "conversation.item.create" => self.on_item_create(&event, event_id),
            "conversation.item.truncate" => self.on_truncate(&event, event_id),
            "conversation.item.delete" => self.on_delete(&event, event_id),
            "response.create" => {
                lock(&self.recording).response_creates += 1;
                if let Some(active) = &self.active {
                    let message = format!(
                        "Conversation already has an active response in progress: {}. Wait until the response is finished before creating a new one.",
                        active.id
                    );
                    self.send_error(
                        "invalid_request_error",
                        Some("conversation_already_has_active_response"),
                        &message,
                        None,
                        event_id,
                    );
                } else {
                    self.start_response(now);
                }
            }
            "response.cancel" => {
                lock(&self.recording).cancels += 1;
                let named = event["response_id"].as_str();
                let matches = self
                    .active
                    .as_ref()
                    .is_some_and(|a| named.is_none_or(|id| id == a.id));
                if matches {
                    self.cancel_active("client_cancelled");
                } else {
                    self.send_error(
                        "invalid_request_error",
                        Some("response_cancel_not_active"),
                        "Cancellation failed: no active response found",
                        None,
                        event_id,
                    );
                }
            }
            other => {
                let message = format!(
                    "Invalid value: '{other}'. Supported values are: 'session.update', 'input_audio_buffer.append', 'input_audio_buffer.commit', 'input_audio_buffer.clear', 'conversation.item.create', 'conversation.item.retrieve', 'conversation.item.truncate', 'conversation.item.delete', 'response.create', 'response.cancel', and 'output_audio_buffer.clear'."
                );
                self.send_error(
                    "invalid_request_error",
                    Some("invalid_value"),
                    &message,
                    Some("type"),
                    event_id,
                );
            }
        }
    }

    fn on_session_update(&mut self, event: &Value, event_id: Option<&str>) {
        let update = &event["session"];
        if !update.is_object() {
            self.send_error(
                "invalid_request_error",
                Some("missing_required_parameter"),
                "Missing required parameter: 'session'.",
                Some("session"),
                event_id,
            );
            return;
        }
        match update["type"].as_str() {
            Some("realtime") => {}
            Some(other) => {
                let message = format!(
                    "Invalid value: '{other}'. Supported values are: 'realtime' and 'transcription'."
                );
                self.send_error(
                    "invalid_request_error",
                    Some("invalid_value"),
                    &message,
                    Some("session.type"),
                    event_id,
                );
                return;
            }
            None => {
                self.send_error(
                    "invalid_request_error",
                    Some("missing_required_parameter"),
                    "Missing required parameter: 'session.type'.",
                    Some("session.type"),
                    event_id,
                );
                return;
            }
        }
        let new_voice = update["audio"]["output"]["voice"].as_str();
        let voice_changes =
            new_voice.is_some_and(|v| Some(v) != self.session["audio"]["output"]["voice"].as_str());
        if voice_changes && self.model_has_spoken {
            self.send_error(
                "invalid_request_error",
                Some("cannot_update_voice"),
                "Cannot update a conversation's voice if assistant audio is present.",
                Some("session.audio.output.voice"),
                event_id,
            );
            return;
        }
        merge(&mut self.session, update);
        {
            let mut recording = lock(&self.recording);
            recording.session_updates.push(update.clone());
            recording.session = self.session.clone();
        }
        let session = self.session.clone();
        self.emit(json!({"type": "session.updated", "session": session}));
    }

    fn on_append(&mut self, event: &Value, event_id: Option<&str>, now: Instant) {
        let Some(audio) = event["audio"].as_str() else {
            self.send_error(
                "invalid_request_error",
                Some("missing_required_parameter"),
                "Missing required parameter: 'audio'.",
                Some("audio"),
                event_id,
            );
            return;
        };
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(audio) else {
            self.send_error(
                "invalid_request_error",
                Some("invalid_value"),
                "Invalid 'audio'. Expected base64-encoded audio bytes.",
                Some("audio"),
                event_id,
            );
            return;
        };
        #[allow(clippy::cast_precision_loss)] // appended chunks are small
        let ms = bytes.len() as f64 / Self::bytes_per_ms(self.input_format());
        self.timeline_ms += ms;
        self.buffer_ms += ms;
        {
            let mut recording = lock(&self.recording);
            recording.audio_bytes_appended += bytes.len() as u64;
            recording.audio_ms_appended = self.timeline();
        }
        self.advance_vad(now);
        if self.drop_after_ms.is_some_and(|at| self.timeline() >= at) {
            self.drop_now = true;
        }
    }

    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // ms of audio, non-negative
    fn timeline(&self) -> u64 {
        self.timeline_ms.floor() as u64
    }

    fn on_commit(&mut self, event_id: Option<&str>) {
        lock(&self.recording).commits += 1;
        if self.buffer_ms < 100.0 {
            let message = format!(
                "Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has {:.2}ms of audio.",
                self.buffer_ms
            );
            self.send_error(
                "invalid_request_error",
                Some("input_audio_buffer_commit_empty"),
                &message,
                None,
                event_id,
            );
            return;
        }
        let (item_id, turn) = match self.speaking.take() {
            Some(speaking) => (speaking.item_id, Some(speaking.turn)),
            None => {
                let turn = (self.next_turn < self.turns.len()).then_some(self.next_turn);
                if turn.is_some() {
                    self.next_turn += 1;
                }
                (self.next_id("item"), turn)
            }
        };
        self.commit_buffer(&item_id, turn);
    }

    fn on_item_create(&mut self, event: &Value, event_id: Option<&str>) {
        let item = &event["item"];
        let kind = item["type"].as_str().unwrap_or_default().to_owned();
        if !matches!(
            kind.as_str(),
            "message" | "function_call" | "function_call_output"
        ) {
            let message = format!("Invalid value: '{kind}'. Supported values are: 'message', 'function_call', and 'function_call_output'.");
            self.send_error(
                "invalid_request_error",
                Some("invalid_value"),
                &message,
                Some("item.type"),
                event_id,
            );
            return;
        }
        let id = match item["id"].as_str() {
            Some(id) => {
                if self.items.iter().any(|i| i.id == id) {
                    let message = format!("Item with item_id '{id}' already exists.");
                    self.send_error(
                        "invalid_request_error",
                        Some("item_id_already_exists"),
                        &message,
                        Some("item.id"),
                        event_id,
                    );
                    return;
                }
                id.to_owned()
            }
            None => self.next_id("item"),
        };
        let role = item["role"].as_str().map(str::to_owned);
        let text: String = item["content"]
            .as_array()
            .map(|parts| {
                parts
                    .iter()
                    .filter_map(|p| p["text"].as_str().or_else(|| p["transcript"].as_str()))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        if kind == "function_call_output" {
            let call_id = item["call_id"].as_str().unwrap_or_default().to_owned();
            let output = item["output"].as_str().unwrap_or_default().to_owned();
            if let Some(awaiting) = &mut self.awaiting {
                if awaiting.call_id == call_id {
                    awaiting.output = Some(output.clone());
                }
            }
            lock(&self.recording)
                .function_outputs
                .push(FunctionOutput { call_id, output });
        }
        if kind == "message" && role.as_deref() == Some("user") {
            lock(&self.recording).user_texts.push(text.clone());
            // A typed user turn takes the caller's next scripted turn.
            if self.speaking.is_none() && self.next_turn < self.turns.len() {
                self.pending_turn = Some(self.next_turn);
                self.next_turn += 1;
            }
        }
        let previous_item_id = self.items.last().map(|i| i.id.clone());
        self.items.push(ItemRec {
            id: id.clone(),
            kind,
            role,
            audio_ms: 0,
            text_chars: text.chars().count(),
        });
        let mut stored = item.clone();
        if let Some(object) = stored.as_object_mut() {
            object.insert("id".into(), Value::from(id));
            object.insert("object".into(), Value::from("realtime.item"));
            object.insert("status".into(), Value::from("completed"));
        }
        self.emit(json!({"type": "conversation.item.added",
                         "previous_item_id": previous_item_id, "item": stored.clone()}));
        self.emit(json!({"type": "conversation.item.done",
                         "previous_item_id": previous_item_id, "item": stored}));
    }

    fn on_truncate(&mut self, event: &Value, event_id: Option<&str>) {
        let item_id = event["item_id"].as_str().unwrap_or_default().to_owned();
        let content_index = event["content_index"].as_u64().unwrap_or_default();
        let audio_end_ms = event["audio_end_ms"].as_u64().unwrap_or_default();
        let record = |applied| Truncation {
            item_id: item_id.clone(),
            content_index,
            audio_end_ms,
            applied,
        };
        let Some(position) = self.items.iter().position(|i| i.id == item_id) else {
            lock(&self.recording).truncations.push(record(false));
            let message = format!("Item with item_id '{item_id}' not found.");
            self.send_error(
                "invalid_request_error",
                Some("item_not_found"),
                &message,
                Some("item_id"),
                event_id,
            );
            return;
        };
        let item = &self.items[position];
        if item.kind != "message" || item.role.as_deref() != Some("assistant") {
            lock(&self.recording).truncations.push(record(false));
            self.send_error(
                "invalid_request_error",
                Some("invalid_value"),
                "Only model output audio messages can be truncated",
                Some("item_id"),
                event_id,
            );
            return;
        }
        if content_index != 0 {
            lock(&self.recording).truncations.push(record(false));
            let message =
                format!("Invalid 'content_index': {content_index}. The item has 1 content part.");
            self.send_error(
                "invalid_request_error",
                Some("invalid_value"),
                &message,
                Some("content_index"),
                event_id,
            );
            return;
        }
        let generated = item.audio_ms;
        if audio_end_ms > generated {
            lock(&self.recording).truncations.push(record(false));
            let message =
                format!("Audio content of {generated}ms is already shorter than {audio_end_ms}ms");
            self.send_error(
                "invalid_request_error",
                Some("invalid_value"),
                &message,
                Some("audio_end_ms"),
                event_id,
            );
            return;
        }
        self.items[position].audio_ms = audio_end_ms;
        lock(&self.recording).truncations.push(record(true));
        self.emit(
            json!({"type": "conversation.item.truncated", "item_id": item_id,
                         "content_index": content_index, "audio_end_ms": audio_end_ms}),
        );
    }

    fn on_delete(&mut self, event: &Value, event_id: Option<&str>) {
        let item_id = event["item_id"].as_str().unwrap_or_default().to_owned();
        if let Some(position) = self.items.iter().position(|i| i.id == item_id) {
            self.items.remove(position);
            self.emit(json!({"type": "conversation.item.deleted", "item_id": item_id}));
        } else {
            let message = format!("Item with item_id '{item_id}' not found.");
            self.send_error(
                "invalid_request_error",
                Some("item_not_found"),
                &message,
                Some("item_id"),
                event_id,
            );
        }
    }

    // ---- turn detection ------------------------------------------------------

    fn interrupt(&mut self, now: Instant) {
        if self.speaking.is_some() {
            return;
        }
        let Some(next) = self.turns.get(self.next_turn) else {
            return;
        };
        let now_ms = self.timeline();
        let shift = i128::from(now_ms) - i128::from(next.speech_start_ms);
        for turn in &mut self.turns[self.next_turn..] {
            turn.speech_start_ms = shifted(turn.speech_start_ms, shift);
            turn.speech_end_ms = shifted(turn.speech_end_ms, shift);
        }
        if self.turn_detection().is_some() {
            self.advance_vad(now);
        }
    }

    fn advance_vad(&mut self, now: Instant) {
        if self.turn_detection().is_none() {
            return;
        }
        loop {
            let timeline = self.timeline();
            if let Some(speaking) = &self.speaking {
                let end = self.turns[speaking.turn].speech_end_ms;
                if timeline < end + self.silence_ms() {
                    return;
                }
                self.speech_stopped(now);
            } else if let Some(turn) = self.turns.get(self.next_turn) {
                if timeline < turn.speech_start_ms {
                    return;
                }
                self.speech_started();
            } else {
                return;
            }
        }
    }

    fn speech_started(&mut self) {
        let turn = self.next_turn;
        self.next_turn += 1;
        let item_id = self.next_id("item");
        let audio_start_ms = self.turns[turn]
            .speech_start_ms
            .saturating_sub(self.prefix_padding_ms());
        self.emit(json!({"type": "input_audio_buffer.speech_started",
                         "audio_start_ms": audio_start_ms, "item_id": item_id}));
        self.speaking = Some(Speaking { item_id, turn });
        if self.active.is_some() && self.vad_flag("interrupt_response") {
            self.cancel_active("turn_detected");
        }
    }

    fn speech_stopped(&mut self, now: Instant) {
        let Some(speaking) = self.speaking.take() else {
            return;
        };
        let audio_end_ms = self.turns[speaking.turn].speech_end_ms;
        self.emit(json!({"type": "input_audio_buffer.speech_stopped",
                         "audio_end_ms": audio_end_ms, "item_id": speaking.item_id}));
        self.commit_buffer(&speaking.item_id, Some(speaking.turn));
        let wants_reply = !matches!(self.turns[speaking.turn].reply, Reply::Silence);
        if wants_reply && self.vad_flag("create_response") && self.active.is_none() {
            self.start_response(now);
        }
    }

    fn commit_buffer(&mut self, item_id: &str, turn: Option<usize>) {
        let previous_item_id = self.items.last().map(|i| i.id.clone());
        self.emit(json!({"type": "input_audio_buffer.committed",
                         "previous_item_id": previous_item_id, "item_id": item_id}));
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // ms, non-negative
        let audio_ms = self.buffer_ms.floor() as u64;
        self.buffer_ms = 0.0;
        let transcript = turn
            .map(|t| self.turns[t].transcript.clone())
            .unwrap_or_default();
        self.items.push(ItemRec {
            id: item_id.to_owned(),
            kind: "message".into(),
            role: Some("user".into()),
            audio_ms,
            text_chars: 0,
        });
        let item = json!({"id": item_id, "object": "realtime.item", "type": "message",
                          "status": "completed", "role": "user",
                          "content": [{"type": "input_audio", "transcript": null}]});
        self.emit(json!({"type": "conversation.item.added",
                         "previous_item_id": previous_item_id, "item": item}));
        self.emit(json!({"type": "conversation.item.done",
                         "previous_item_id": previous_item_id, "item": item}));
        if self.session["audio"]["input"]["transcription"].is_object() {
            self.emit(
                json!({"type": "conversation.item.input_audio_transcription.delta",
                             "item_id": item_id, "content_index": 0, "delta": transcript}),
            );
            let chars = transcript.chars().count() as u64;
            self.emit(json!({"type": "conversation.item.input_audio_transcription.completed",
                             "item_id": item_id, "content_index": 0, "transcript": transcript,
                             "usage": {"type": "tokens", "total_tokens": audio_ms / 100 + chars / 4 + 1,
                                       "input_tokens": audio_ms / 100,
                                       "input_token_details": {"text_tokens": 0, "audio_tokens": audio_ms / 100},
                                       "output_tokens": chars / 4 + 1}}));
        }
        self.pending_turn = turn;
    }

    // ---- responses -----------------------------------------------------------

    fn plan(&mut self) -> Plan {
        if let Some(awaiting) = self.awaiting.take() {
            let mut then = awaiting.then;
            if let Some(output) = &awaiting.output {
                then.transcript = fill_template(&then.transcript, output);
            }
            return Plan::Audio(then);
        }
        if let Some(turn) = self.pending_turn.take() {
            match &self.turns[turn].reply {
                Reply::Audio(reply) => return Plan::Audio(reply.clone()),
                Reply::FunctionCall {
                    name,
                    arguments,
                    then,
                } => {
                    return Plan::FunctionCall {
                        name: name.clone(),
                        arguments: arguments.to_string(),
                        then: then.clone(),
                    }
                }
                Reply::Silence => {}
            }
        }
        Plan::Audio(self.default_reply.clone())
    }

    fn start_response(&mut self, now: Instant) {
        let plan = self.plan();
        let id = self.next_id("resp");
        let item_id = self.next_id("item");
        let response = json!({"object": "realtime.response", "id": id, "status": "in_progress",
                              "status_details": null, "output": [],
                              "conversation_id": format!("conv_fake{:03}", self.index),
                              "output_modalities": ["audio"], "max_output_tokens": "inf",
                              "audio": {"output": {"format": self.output_format(),
                                                   "voice": self.session["audio"]["output"]["voice"]}},
                              "usage": null, "metadata": null});
        self.emit(json!({"type": "response.created", "response": response}));
        let previous_item_id = self.items.last().map(|i| i.id.clone());
        let (kind, record_kind, item) = match plan {
            Plan::Audio(reply) => (
                ActiveKind::Audio {
                    transcript: reply.transcript.chars().collect(),
                    target_ms: reply.audio_ms,
                    sent_ms: 0,
                    sent_chars: 0,
                },
                "audio",
                json!({"id": item_id, "object": "realtime.item", "type": "message",
                       "status": "in_progress", "role": "assistant", "content": []}),
            ),
            Plan::FunctionCall {
                name,
                arguments,
                then,
            } => {
                let call_id = self.next_id("call");
                let item = json!({"id": item_id, "object": "realtime.item", "type": "function_call",
                                  "status": "in_progress", "name": name, "call_id": call_id,
                                  "arguments": ""});
                (
                    ActiveKind::FunctionCall {
                        call_id,
                        name,
                        arguments,
                        then,
                    },
                    "function_call",
                    item,
                )
            }
        };
        self.items.push(ItemRec {
            id: item_id.clone(),
            kind: item["type"].as_str().unwrap_or_default().to_owned(),
            role: item["role"].as_str().map(str::to_owned),
            audio_ms: 0,
            text_chars: 0,
        });
        self.emit(
            json!({"type": "response.output_item.added", "response_id": id,
                         "output_index": 0, "item": item}),
        );
        self.emit(json!({"type": "conversation.item.added",
                         "previous_item_id": previous_item_id, "item": item}));
        let delay = match &kind {
            ActiveKind::Audio { .. } => {
                self.emit(
                    json!({"type": "response.content_part.added", "response_id": id,
                                 "item_id": item_id, "output_index": 0, "content_index": 0,
                                 "part": {"type": "audio", "transcript": ""}}),
                );
                self.pacing.first_delta_delay
            }
            ActiveKind::FunctionCall { .. } => self.pacing.function_call_delay,
        };
        lock(&self.recording).responses.push(ResponseRecord {
            id: id.clone(),
            item_id: item_id.clone(),
            kind: record_kind.to_owned(),
            status: "in_progress".to_owned(),
            reason: None,
            audio_ms: 0,
            transcript: String::new(),
        });
        self.active = Some(Active {
            id,
            item_id,
            next_at: now + delay,
            kind,
        });
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.active.as_ref().map(|a| a.next_at)
    }

    fn on_timer(&mut self, now: Instant) {
        let Some(mut active) = self.active.take() else {
            return;
        };
        if now < active.next_at {
            self.active = Some(active);
            return;
        }
        match &mut active.kind {
            ActiveKind::Audio {
                transcript,
                target_ms,
                sent_ms,
                sent_chars,
            } => {
                if *sent_ms >= *target_ms {
                    self.finish_audio(&active, "completed", None);
                    return;
                }
                let chunk_ms = self.pacing.chunk_ms.max(1).min(*target_ms - *sent_ms);
                let audio = self.tone(chunk_ms);
                *sent_ms += chunk_ms;
                let due_chars = usize::try_from(
                    (transcript.len() as u64).saturating_mul(*sent_ms) / (*target_ms).max(1),
                )
                .unwrap_or(transcript.len());
                let piece: String = transcript[*sent_chars..due_chars].iter().collect();
                *sent_chars = due_chars;
                let (id, item_id) = (active.id.clone(), active.item_id.clone());
                self.emit(
                    json!({"type": "response.output_audio.delta", "response_id": id,
                                 "item_id": item_id, "output_index": 0, "content_index": 0,
                                 "delta": base64::engine::general_purpose::STANDARD.encode(audio)}),
                );
                if !piece.is_empty() {
                    self.emit(json!({"type": "response.output_audio_transcript.delta",
                                     "response_id": id, "item_id": item_id, "output_index": 0,
                                     "content_index": 0, "delta": piece}));
                }
                self.model_has_spoken = true;
                let sent = *sent_ms;
                if let Some(item) = self.items.iter_mut().find(|i| i.id == item_id) {
                    item.audio_ms = sent;
                }
                if let Some(record) = lock(&self.recording).responses.last_mut() {
                    record.audio_ms = sent;
                }
                active.next_at += self.pacing.chunk_interval(chunk_ms);
                if sent >= *target_ms {
                    self.finish_audio(&active, "completed", None);
                } else {
                    self.active = Some(active);
                }
            }
            ActiveKind::FunctionCall { .. } => {
                self.finish_function_call(active, "completed", None);
            }
        }
    }

    fn cancel_active(&mut self, reason: &str) {
        let Some(active) = self.active.take() else {
            return;
        };
        match &active.kind {
            ActiveKind::Audio { .. } => self.finish_audio(&active, "cancelled", Some(reason)),
            ActiveKind::FunctionCall { .. } => {
                self.finish_function_call(active, "cancelled", Some(reason));
            }
        }
    }

    fn finish_audio(&mut self, active: &Active, status: &str, reason: Option<&str>) {
        let ActiveKind::Audio {
            transcript,
            sent_ms,
            sent_chars,
            ..
        } = &active.kind
        else {
            return;
        };
        let (id, item_id) = (active.id.as_str(), active.item_id.as_str());
        let spoken: String = if status == "completed" {
            transcript.iter().collect()
        } else {
            transcript[..*sent_chars].iter().collect()
        };
        self.emit(
            json!({"type": "response.output_audio.done", "response_id": id,
                         "item_id": item_id, "output_index": 0, "content_index": 0}),
        );
        self.emit(
            json!({"type": "response.output_audio_transcript.done", "response_id": id,
                         "item_id": item_id, "output_index": 0, "content_index": 0,
                         "transcript": spoken}),
        );
        self.emit(
            json!({"type": "response.content_part.done", "response_id": id,
                         "item_id": item_id, "output_index": 0, "content_index": 0,
                         "part": {"type": "audio", "transcript": spoken}}),
        );
        let item_status = if status == "completed" {
            "completed"
        } else {
            "incomplete"
        };
        let item = json!({"id": item_id, "object": "realtime.item", "type": "message",
                          "status": item_status, "role": "assistant",
                          "content": [{"type": "output_audio", "transcript": spoken}]});
        let previous_item_id = self.previous_of(item_id);
        self.emit(
            json!({"type": "response.output_item.done", "response_id": id,
                         "output_index": 0, "item": item}),
        );
        self.emit(json!({"type": "conversation.item.done",
                         "previous_item_id": previous_item_id, "item": item}));
        let chars = spoken.chars().count() as u64;
        if let Some(rec) = self.items.iter_mut().find(|i| i.id == item_id) {
            rec.text_chars = spoken.chars().count();
        }
        let usage = self.usage(chars / 4 + 1, sent_ms / 50);
        self.emit_response_done(id, status, reason, &[item], &usage);
        if let Some(record) = lock(&self.recording).responses.last_mut() {
            record.status = status.to_owned();
            record.reason = reason.map(str::to_owned);
            record.transcript = spoken;
        }
    }

    fn finish_function_call(&mut self, active: Active, status: &str, reason: Option<&str>) {
        let ActiveKind::FunctionCall {
            call_id,
            name,
            arguments,
            then,
        } = active.kind
        else {
            return;
        };
        let (id, item_id) = (active.id.as_str(), active.item_id.as_str());
        if status == "completed" {
            let split = arguments
                .char_indices()
                .nth(arguments.chars().count() / 2)
                .map_or(arguments.len(), |(i, _)| i);
            for piece in [&arguments[..split], &arguments[split..]] {
                self.emit(json!({"type": "response.function_call_arguments.delta",
                                 "response_id": id, "item_id": item_id, "output_index": 0,
                                 "call_id": call_id, "delta": piece}));
            }
        }
        let final_arguments = if status == "completed" {
            arguments.as_str()
        } else {
            ""
        };
        self.emit(
            json!({"type": "response.function_call_arguments.done", "response_id": id,
                         "item_id": item_id, "output_index": 0, "call_id": call_id,
                         "name": name, "arguments": final_arguments}),
        );
        let item_status = if status == "completed" {
            "completed"
        } else {
            "incomplete"
        };
        let item = json!({"id": item_id, "object": "realtime.item", "type": "function_call",
                          "status": item_status, "name": name, "call_id": call_id,
                          "arguments": final_arguments});
        let previous_item_id = self.previous_of(item_id);
        self.emit(
            json!({"type": "response.output_item.done", "response_id": id,
                         "output_index": 0, "item": item}),
        );
        self.emit(json!({"type": "conversation.item.done",
                         "previous_item_id": previous_item_id, "item": item}));
        let usage = self.usage(final_arguments.len() as u64 / 4 + 5, 0);
        self.emit_response_done(id, status, reason, &[item], &usage);
        if status == "completed" {
            self.awaiting = Some(Awaiting {
                call_id,
                then,
                output: None,
            });
        }
        if let Some(record) = lock(&self.recording).responses.last_mut() {
            record.status = status.to_owned();
            record.reason = reason.map(str::to_owned);
        }
    }

    fn previous_of(&self, item_id: &str) -> Option<String> {
        let position = self.items.iter().position(|i| i.id == item_id)?;
        position
            .checked_sub(1)
            .and_then(|p| self.items.get(p))
            .map(|i| i.id.clone())
    }

    fn emit_response_done(
        &mut self,
        id: &str,
        status: &str,
        reason: Option<&str>,
        output: &[Value],
        usage: &Value,
    ) {
        let status_details = reason.map(|reason| json!({"type": status, "reason": reason}));
        let response = json!({"object": "realtime.response", "id": id, "status": status,
                              "status_details": status_details, "output": output,
                              "conversation_id": format!("conv_fake{:03}", self.index),
                              "output_modalities": ["audio"], "max_output_tokens": "inf",
                              "audio": {"output": {"format": self.output_format(),
                                                   "voice": self.session["audio"]["output"]["voice"]}},
                              "usage": usage, "metadata": null});
        self.emit(json!({"type": "response.done", "response": response}));
    }

    /// Token usage the way the service counts it: user audio 1 token per
    /// 100 ms, assistant audio 1 per 50 ms, text about 4 characters a token;
    /// the whole conversation is input to every response, and what the
    /// previous response read is cached (in 64-token steps).
    fn usage(&mut self, output_text: u64, output_audio: u64) -> Value {
        let instructions = self.session["instructions"].as_str().map_or(0, str::len) as u64;
        let mut text = 20 + instructions / 4;
        let mut audio = 0;
        for item in &self.items {
            text += item.text_chars as u64 / 4;
            match item.role.as_deref() {
                Some("user") => audio += item.audio_ms / 100,
                Some("assistant") => audio += item.audio_ms / 50,
                _ => {}
            }
        }
        let input = text + audio;
        let cached = self.previous_input_tokens.min(input) / 64 * 64;
        self.previous_input_tokens = input;
        let cached_text = cached.min(text);
        let cached_audio = cached - cached_text;
        json!({
            "total_tokens": input + output_text + output_audio,
            "input_tokens": input,
            "output_tokens": output_text + output_audio,
            "input_token_details": {
                "text_tokens": text, "audio_tokens": audio, "image_tokens": 0,
                "cached_tokens": cached,
                "cached_tokens_details": {"text_tokens": cached_text,
                                          "audio_tokens": cached_audio, "image_tokens": 0}
            },
            "output_token_details": {"text_tokens": output_text, "audio_tokens": output_audio}
        })
    }

    /// `ms` of a quiet 440 Hz tone in the session's output format.
    fn tone(&mut self, ms: u64) -> Vec<u8> {
        let format = self.output_format();
        let (rate, law) = match format["type"].as_str() {
            Some("audio/pcmu") => (8_000, Some(awaaz_audio::g711::Law::MuLaw)),
            Some("audio/pcma") => (8_000, Some(awaaz_audio::g711::Law::ALaw)),
            _ => (format["rate"].as_u64().unwrap_or(24_000), None),
        };
        let samples = rate * ms / 1000;
        #[allow(clippy::cast_precision_loss)] // sample rates are small
        let step = 2.0 * std::f64::consts::PI * 440.0 / rate as f64;
        let pcm: Vec<i16> = (0..samples)
            .map(|_| {
                self.tone_phase = (self.tone_phase + step) % (2.0 * std::f64::consts::PI);
                #[allow(clippy::cast_possible_truncation)] // |value| <= 4000
                let sample = (self.tone_phase.sin() * 4000.0) as i16;
                sample
            })
            .collect();
        match law {
            Some(law) => law.encode(&pcm),
            None => pcm.iter().flat_map(|s| s.to_le_bytes()).collect(),
        }
    }
}

fn shifted(ms: u64, shift: i128) -> u64 {
    u64::try_from((i128::from(ms) + shift).max(0)).unwrap_or(u64::MAX)
}

/// Merges a `session.update` into the session: objects merge key by key,
/// except tagged unions and lists, which are replaced whole.
fn merge(target: &mut Value, update: &Value) {
    const REPLACED: &[&str] = &[
        "format",
        "turn_detection",
        "transcription",
        "noise_reduction",
        "tools",
        "tool_choice",
    ];
    let (Some(target), Some(update)) = (target.as_object_mut(), update.as_object()) else {
        return;
    };
    for (key, value) in update {
        match target.get_mut(key) {
            Some(existing)
                if existing.is_object()
                    && value.is_object()
                    && !REPLACED.contains(&key.as_str()) =>
            {
                merge(existing, value);
            }
            _ => {
                target.insert(key.clone(), value.clone());
            }
        }
    }
}

/// Fills `{field}`, `{a.b}` and `{output}` placeholders from a function's
/// output (JSON, or plain text for `{output}`). Unknown placeholders stay.
pub fn fill_template(template: &str, output: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(output).ok();
    let mut result = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        result.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            result.push_str(&rest[open..]);
            return result;
        };
        let key = &after[..close];
        let value = if key == "output" {
            Some(output.to_owned())
        } else {
            parsed.as_ref().and_then(|p| lookup(p, key))
        };
        match value {
            Some(value) => result.push_str(&value),
            None => {
                result.push('{');
                result.push_str(key);
                result.push('}');
            }
        }
        rest = &after[close + 1..];
    }
    result.push_str(rest);
    result
}

fn lookup(value: &Value, path: &str) -> Option<String> {
    if path.is_empty() {
        return None;
    }
    let mut current = value;
    for part in path.split('.') {
        current = match current {
            Value::Object(map) => map.get(part)?,
            Value::Array(items) => items.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(match current {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_from_json() {
        let output =
            r#"{"status":"shipped","eta":{"day":"Friday"},"items":[{"name":"kurta"}],"count":2}"#;
        assert_eq!(
            fill_template(
                "Your {items.0.name} is {status}, arriving {eta.day}. ({count}) {missing}",
                output
            ),
            "Your kurta is shipped, arriving Friday. (2) {missing}"
        );
        assert_eq!(fill_template("Result: {output}", "plain"), "Result: plain");
        assert_eq!(fill_template("open { brace", "{}"), "open { brace");
    }

    #[test]
    fn merge_keeps_unmentioned_fields_and_replaces_unions() {
        let mut session = json!({"instructions": "a", "audio": {"input": {
            "format": {"type": "audio/pcm", "rate": 24000},
            "turn_detection": {"type": "server_vad", "threshold": 0.5}}}});
        merge(
            &mut session,
            &json!({"audio": {"input": {"format": {"type": "audio/pcmu"},
                                        "turn_detection": null}}}),
        );
        assert_eq!(
            session,
            json!({"instructions": "a", "audio": {"input": {
                "format": {"type": "audio/pcmu"}, "turn_detection": null}}})
        );
    }
}
