//! The pump between one carrier media socket and one call, shared by the
//! three carriers.
//!
//! ```text
//!  socket ─text─▶ Dialect::decode ─▶ LineEvent ─┬─ Audio ─▶ Inbound (line rate → 16 kHz) ─▶ CallerEvent::Audio
//!                                               ├─ Mark  ─▶ Marks (outstanding?) ─▶ CallerEvent::Mark
//!                                               ├─ Dtmf  ─▶ CallerEvent::Dtmf
//!                                               └─ Stop / close ─▶ CallerEvent::HungUp
//!  socket ◀─text─ Dialect::encode_* ◀─ Framer (16 kHz → line rate, 20 ms frames) ◀─ CallerCommand::Play
//!                                    ◀─ mark (after the clause's last frame)        ◀─ CallerCommand::Mark
//!                                    ◀─ clear (pending frames dropped, marks forgotten) ◀─ CallerCommand::Clear
//!  HangUp / Transfer: flush, an end mark, wait for its echo (all audio played), then
//!  close the stream or hand the call over through the carrier (REST).
//! ```
//!
//! The carrier-specific parts (frame shapes, codec, how a call is handed to
//! a person) are a [`Dialect`]; everything else is here. Bad frames (not
//! JSON, bad base64, binary, too large, events before `start`, unknown
//! events) are logged without their content and dropped; a socket that never
//! sends `start` is closed after [`START_TIMEOUT`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use awaaz_audio::{g711, AudioChunk, HalfBandUpsampler, Resampler, SAMPLE_RATE_HZ};
use awaaz_call::{connection_pair, CallError, CallInfo, CallerCommand, CallerEvent};
use awaaz_store::{CallId, Channel, PhoneNumber};
use awaaz_telephony::twiml;
use axum::extract::ws::{close_code, CloseFrame, Message, Utf8Bytes, WebSocket};
use tokio::time::Instant;

use super::{PhoneLines, TRANSFER_LANGUAGE, TRANSFER_SAY};
use crate::http::AppState;

/// The rate of G.711 lines, and of the realtime engine's `audio/pcmu`.
const LINE_RATE_HZ: u32 = 8_000;
/// A socket that has not sent `start` by then is closed.
pub(crate) const START_TIMEOUT: Duration = Duration::from_secs(10);
/// Above this the WebSocket layer refuses a message and closes the socket.
/// Big enough that a merely oversized frame (the decoders refuse anything
/// over 64–256 KiB) is dropped with a log line instead of ending the call.
pub(crate) const MAX_SOCKET_MESSAGE_BYTES: usize = 2 * 1024 * 1024;
/// Messages queued each way between the socket and the call: caller audio
/// beyond this is dropped (2 s of 20 ms frames).
const CONNECTION_QUEUE: usize = 100;
/// How long a hang-up or transfer waits for the audio already sent to play.
const PLAYOUT_WAIT: Duration = Duration::from_secs(8);
/// How long, after a carrier accepted a transfer, to wait for it to stop
/// the stream before closing it ourselves.
const HANDOFF_WAIT: Duration = Duration::from_secs(2);
/// Outstanding marks kept at most (a few per bot turn are normal).
const MAX_OUTSTANDING_MARKS: usize = 256;
/// The mark the bridge sends after the last audio of a call.
const END_MARK: &str = "awaaz-end";
/// How long, after a transfer failed, to wait for the call to store its end
/// before the status is corrected.
const CALL_END_WAIT: Duration = Duration::from_secs(10);
/// The call status stored when a transfer was asked for but the carrier
/// did not take the call (the caller was hung up on instead).
pub(crate) const STATUS_TRANSFER_FAILED: &str = "transfer_failed";
/// Bad frames logged one by one before only every [`BAD_FRAME_LOG_EVERY`]th is.
const BAD_FRAMES_LOGGED: u64 = 10;
const BAD_FRAME_LOG_EVERY: u64 = 500;
/// Longest unknown event name repeated in a log line.
const EVENT_NAME_CHARS: usize = 32;

/// What the carrier announced in its `start` message.
#[derive(Clone)]
pub(crate) struct StartInfo {
    /// The stream's id (outbound frames name it).
    pub(crate) stream_id: String,
    /// The carrier's id for the call (Twilio `CallSid`, Plivo `CallUUID`,
    /// Exotel `CallSid`).
    pub(crate) carrier_call_id: String,
    /// The caller's number, when the carrier (or our webhook) passed it.
    pub(crate) caller: Option<PhoneNumber>,
    /// The line's audio rate.
    pub(crate) sample_rate_hz: u32,
}

impl std::fmt::Debug for StartInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StartInfo")
            .field("stream_id", &self.stream_id)
            .field("carrier_call_id", &self.carrier_call_id)
            .field("caller", &self.caller)
            .field("sample_rate_hz", &self.sample_rate_hz)
            .finish()
    }
}

/// One carrier frame, as the bridge needs it.
#[derive(Debug)]
pub(crate) enum LineEvent {
    /// The socket is open (Twilio, Exotel).
    Connected,
    /// The stream's metadata.
    Start(StartInfo),
    /// Caller audio at the line rate.
    Audio(LineAudio),
    /// Audio before our mark (checkpoint) of this name has played, or was
    /// cleared (Twilio and Exotel return pending marks on a clear).
    Mark(String),
    /// A key press.
    Dtmf(char),
    /// The carrier dropped queued audio after our clear.
    Cleared,
    /// The stream ended.
    Stop,
    /// An event the bridge does not use (its name).
    Other(String),
}

impl LineEvent {
    fn name(&self) -> &str {
        match self {
            Self::Connected => "connected",
            Self::Start(_) => "start",
            Self::Audio(_) => "media",
            Self::Mark(_) => "mark",
            Self::Dtmf(_) => "dtmf",
            Self::Cleared => "cleared",
            Self::Stop => "stop",
            Self::Other(name) => name,
        }
    }
}

/// One frame of caller audio as the carrier sent it.
#[derive(Debug)]
pub(crate) enum LineAudio {
    /// G.711 μ-law bytes (Twilio; Plivo `audio/x-mulaw`).
    Mulaw(Vec<u8>),
    /// PCM16 samples (Exotel; Plivo `audio/x-l16`).
    Pcm(Vec<i16>),
}

impl LineAudio {
    /// As PCM16 samples at the line rate.
    pub(crate) fn into_pcm(self) -> Vec<i16> {
        match self {
            Self::Mulaw(bytes) => g711::ulaw_decode(&bytes),
            Self::Pcm(samples) => samples,
        }
    }

    /// As μ-law bytes (the carrier's own bytes when it sent μ-law).
    pub(crate) fn into_mulaw(self) -> Vec<u8> {
        match self {
            Self::Mulaw(bytes) => bytes,
            Self::Pcm(samples) => g711::ulaw_encode(&samples),
        }
    }
}

/// How a carrier hands a call to a person.
#[derive(Debug)]
pub(crate) enum Handoff {
    /// Replace the live call's TwiML with `<Say>` + `<Dial>` (REST).
    Twilio {
        /// The call.
        call_sid: String,
    },
    /// Point the call's A leg at `POST /plivo/transfer` (REST).
    Plivo {
        /// The call.
        call_uuid: String,
        /// `{public base}/plivo/transfer`, when the public base is known.
        transfer_url: Option<String>,
    },
    /// Close the stream: the Exotel flow's next applet (a Connect applet)
    /// takes over. Exotel has no REST request for this (see
    /// `awaaz_telephony::rest::ExotelRest`).
    CloseStream,
}

/// The carrier-specific half of the bridge. Does no I/O.
pub(crate) trait Dialect: Send + 'static {
    /// The call record's channel.
    const CHANNEL: Channel;
    /// The carrier's name in logs.
    const NAME: &'static str;

    /// Decodes one text frame.
    fn decode(&mut self, text: &str) -> Result<LineEvent, awaaz_telephony::Error>;

    /// Checks a `start` before a call is opened for it; `Err(reason)`
    /// refuses the stream.
    fn accept(&self, _start: &StartInfo, _lines: &PhoneLines) -> Result<(), &'static str> {
        Ok(())
    }

    /// One 20 ms frame of line audio (PCM16 at the line rate) as a frame to
    /// send; `None` if the carrier cannot take it (logged by the dialect).
    fn encode_audio(&self, frame: &[i16]) -> Option<String>;

    /// One 20 ms frame of μ-law at 8 kHz (the realtime engine's audio on
    /// an 8 kHz line) as a frame to send. By default decoded and sent as
    /// [`Dialect::encode_audio`]; μ-law carriers send the bytes as they are.
    fn encode_mulaw(&self, frame: &[u8]) -> Option<String> {
        self.encode_audio(&g711::ulaw_decode(frame))
    }

    /// A mark (checkpoint) to be echoed once the audio before it played.
    fn encode_mark(&self, name: &str) -> String;

    /// Drop queued audio now.
    fn encode_clear(&self) -> String;

    /// How this call is handed to a person.
    fn handoff(&self, start: &StartInfo) -> Handoff;
}

// ---- sans-I/O helpers ----

/// Caller audio: line rate → 16 kHz, without look-ahead: each 20 ms line
/// frame gives one whole 20 ms frame at once (3 ms filter delay), so the
/// call's segmenter sees the end of the caller's speech with its frame.
pub(crate) enum Inbound {
    /// 16 kHz lines.
    Same,
    /// 8 kHz lines (all three carriers by default): the cheap half-band
    /// interpolator, since every frame of every call goes through it.
    Double(HalfBandUpsampler),
    /// Other rates.
    Other(Resampler),
}

impl Inbound {
    /// Converts from `line_rate_hz`; `None` if that rate cannot be resampled.
    pub(crate) fn new(line_rate_hz: u32) -> Option<Self> {
        Some(match line_rate_hz {
            SAMPLE_RATE_HZ => Self::Same,
            8_000 => Self::Double(HalfBandUpsampler::new()),
            rate => Self::Other(
                Resampler::new(rate, SAMPLE_RATE_HZ)
                    .ok()?
                    .without_lookahead(),
            ),
        })
    }

    pub(crate) fn convert(&mut self, line: &[i16]) -> AudioChunk {
        AudioChunk::new(match self {
            Self::Same => line.to_vec(),
            Self::Double(up) => up.process(line),
            Self::Other(r) => r.process(line),
        })
    }
}

/// Bot audio: 16 kHz chunks → 20 ms frames at the line rate. The
/// resampler has no look-ahead, so each 20 ms of the call's audio gives one
/// line frame at once (3 ms filter delay) instead of waiting for the next.
pub(crate) struct Framer {
    resampler: Option<Resampler>,
    pending: Vec<i16>,
    frame: usize,
}

impl Framer {
    /// Frames for a line at `line_rate_hz`; `None` if that rate cannot be
    /// resampled.
    pub(crate) fn new(line_rate_hz: u32) -> Option<Self> {
        let resampler = if line_rate_hz == SAMPLE_RATE_HZ {
            None
        } else {
            Some(
                Resampler::new(SAMPLE_RATE_HZ, line_rate_hz)
                    .ok()?
                    .without_lookahead(),
            )
        };
        Some(Self {
            resampler,
            pending: Vec::new(),
            frame: usize::try_from(line_rate_hz / 50).ok()?.max(1),
        })
    }

    /// Adds audio; returns the whole frames now ready.
    pub(crate) fn push(&mut self, chunk: &AudioChunk) -> Vec<Vec<i16>> {
        match &mut self.resampler {
            Some(r) => r.process_into(&chunk.samples, &mut self.pending),
            None => self.pending.extend_from_slice(&chunk.samples),
        }
        self.take_frames()
    }

    /// Everything pending (the resampler's tail too), the last frame padded
    /// with silence: what must be sent before a mark.
    pub(crate) fn flush(&mut self) -> Vec<Vec<i16>> {
        if let Some(r) = &mut self.resampler {
            let tail = r.flush();
            self.pending.extend(tail);
        }
        let mut frames = self.take_frames();
        if !self.pending.is_empty() {
            let mut last = std::mem::take(&mut self.pending);
            last.resize(self.frame, 0);
            frames.push(last);
        }
        frames
    }

    /// Drops pending audio (barge-in).
    pub(crate) fn clear(&mut self) {
        self.pending.clear();
        if let Some(r) = &mut self.resampler {
            r.reset();
        }
    }

    fn take_frames(&mut self) -> Vec<Vec<i16>> {
        let whole = self.pending.len() / self.frame * self.frame;
        if whole == 0 {
            return Vec::new();
        }
        let rest = self.pending.split_off(whole);
        let ready = std::mem::replace(&mut self.pending, rest);
        ready.chunks(self.frame).map(<[i16]>::to_vec).collect()
    }
}

/// Marks sent to the carrier and not yet echoed.
///
/// After a clear, Twilio (and Exotel) send every pending mark back at once,
/// although that audio was never heard; the call counts an echoed mark as
/// heard. So a clear forgets the outstanding marks, and echoes of marks
/// that are not outstanding are ignored.
#[derive(Debug, Default)]
pub(crate) struct Marks {
    outstanding: VecDeque<String>,
}

impl Marks {
    /// A mark was sent.
    pub(crate) fn sent(&mut self, name: &str) {
        if self.outstanding.len() >= MAX_OUTSTANDING_MARKS {
            self.outstanding.pop_front();
        }
        self.outstanding.push_back(name.to_owned());
    }

    /// A mark came back: whether it is one still outstanding (the audio
    /// before it really played).
    pub(crate) fn echoed(&mut self, name: &str) -> bool {
        match self.outstanding.iter().position(|m| m == name) {
            Some(i) => {
                self.outstanding.remove(i);
                true
            }
            None => false,
        }
    }

    /// A clear was sent: pending marks will come back unheard.
    pub(crate) fn cleared(&mut self) {
        self.outstanding.clear();
    }
}

/// Counts bad frames; logs the first few, then every few hundredth.
#[derive(Debug, Default)]
struct BadFrames {
    count: u64,
}

impl BadFrames {
    fn note(&mut self, carrier: &'static str, what: &str, reason: &dyn std::fmt::Display) {
        self.count += 1;
        if self.count <= BAD_FRAMES_LOGGED || self.count.is_multiple_of(BAD_FRAME_LOG_EVERY) {
            tracing::warn!(carrier, what, reason = %reason, bad_frames = self.count, "carrier frame dropped");
        }
    }
}

fn event_name(name: &str) -> String {
    name.chars()
        .take(EVENT_NAME_CHARS)
        .filter(|c| c.is_ascii_graphic())
        .collect()
}

// ---- the socket task ----

/// How the call part of the pump ended.
enum Ending {
    /// The carrier stopped the stream or the socket went away.
    CallerGone,
    /// The call asked to hang up (or ended).
    HangUp,
    /// The call asked for a person.
    Transfer,
}

async fn send_text(socket: &mut WebSocket, text: String) -> bool {
    socket
        .send(Message::Text(Utf8Bytes::from(text)))
        .await
        .is_ok()
}

/// Sends audio frames; `false` once the socket is gone.
async fn send_frames<D: Dialect>(
    socket: &mut WebSocket,
    dialect: &D,
    frames: Vec<Vec<i16>>,
) -> bool {
    for frame in frames {
        if let Some(text) = dialect.encode_audio(&frame) {
            if !send_text(socket, text).await {
                return false;
            }
        }
    }
    true
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        })))
        .await;
}

/// Runs one phone call on `socket`: waits for `start`, opens the call,
/// pumps frames both ways, and ends the stream the way the call asks.
pub(crate) async fn run<D: Dialect>(mut socket: WebSocket, state: AppState, mut dialect: D) {
    let lines = Arc::clone(state.phone());
    let mut bad = BadFrames::default();
    let Some(start) = wait_for_start(&mut socket, &mut dialect, &mut bad).await else {
        return;
    };
    tracing::Span::current().record(
        "carrier_call_id",
        tracing::field::display(&start.carrier_call_id),
    );
    if let Err(reason) = dialect.accept(&start, &lines) {
        tracing::warn!(carrier = D::NAME, reason, "stream refused");
        close(&mut socket, close_code::POLICY, "stream refused").await;
        return;
    }
    let Some(calls) = lines.calls().cloned() else {
        tracing::warn!(
            carrier = D::NAME,
            "phone call refused: speech engines not loaded"
        );
        close(&mut socket, close_code::AGAIN, "voice not available").await;
        return;
    };
    let (Some(mut inbound), Some(mut framer)) = (
        Inbound::new(start.sample_rate_hz),
        Framer::new(start.sample_rate_hz),
    ) else {
        tracing::warn!(
            carrier = D::NAME,
            sample_rate_hz = start.sample_rate_hz,
            "stream refused: unsupported sample rate"
        );
        close(&mut socket, close_code::POLICY, "unsupported sample rate").await;
        return;
    };

    // The realtime engine takes 8 kHz μ-law as the carrier sent it (the
    // session is `audio/pcmu`); other rates go through the cascade's PCM.
    let realtime = calls.is_realtime();
    let passthrough = realtime && start.sample_rate_hz == LINE_RATE_HZ;
    let prepared = if realtime {
        lines.claim_session(&start.carrier_call_id).await
    } else {
        None
    };
    let mut info = CallInfo::new(D::CHANNEL);
    info.caller.clone_from(&start.caller);
    info.carrier_call_id = Some(start.carrier_call_id.clone());
    let call_id = info.id.clone();
    tracing::Span::current().record("call_id", tracing::field::display(&call_id));
    let (connection, mut endpoint) = connection_pair(CONNECTION_QUEUE);
    let handle = match calls.start(info, connection, prepared) {
        Ok(handle) => handle,
        Err(e) => {
            tracing::warn!(carrier = D::NAME, error = %e, "phone call refused");
            let reason = match e {
                CallError::Busy { .. } => "busy",
                CallError::ShuttingDown => "shutting down",
                _ => "call failed",
            };
            close(&mut socket, close_code::AGAIN, reason).await;
            return;
        }
    };
    tracing::info!(
        carrier = D::NAME,
        caller = ?start.caller,
        engine = if realtime { "realtime" } else { "cascade" },
        "phone call started"
    );
    // Realtime audio on a line that is not 8 kHz: μ-law 8 kHz → 16 kHz →
    // the framer (→ the line rate).
    let mut mulaw_up: Option<HalfBandUpsampler> = None;

    let events = endpoint.event_sender();
    let mut marks = Marks::default();
    let mut dropped_audio: u64 = 0;
    let ending = loop {
        tokio::select! {
            frame = socket.recv() => {
                let text = match frame {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Binary(bytes))) => {
                        bad.note(D::NAME, "binary frame", &format_args!("{} bytes", bytes.len()));
                        continue;
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break Ending::CallerGone,
                };
                match dialect.decode(text.as_str()) {
                    Ok(LineEvent::Audio(audio)) => {
                        let event = if passthrough {
                            CallerEvent::LineAudio(audio.into_mulaw())
                        } else {
                            CallerEvent::Audio(inbound.convert(&audio.into_pcm()))
                        };
                        // Never wait on the call here: a call that is behind
                        // must not stall marks and hang-ups behind audio.
                        match events.try_send(event) {
                            Ok(true) => {}
                            Ok(false) => dropped_audio += 1,
                            Err(_) => break Ending::HangUp,
                        }
                    }
                    Ok(LineEvent::Mark(name)) => {
                        if marks.echoed(&name) {
                            if events.send(CallerEvent::Mark(name)).await.is_err() {
                                break Ending::HangUp;
                            }
                        } else {
                            tracing::trace!(carrier = D::NAME, "mark echo after a clear ignored");
                        }
                    }
                    Ok(LineEvent::Dtmf(digit)) => {
                        tracing::debug!(carrier = D::NAME, "key pressed");
                        if events.send(CallerEvent::Dtmf(digit)).await.is_err() {
                            break Ending::HangUp;
                        }
                    }
                    Ok(LineEvent::Stop) => break Ending::CallerGone,
                    Ok(LineEvent::Connected | LineEvent::Cleared) => {}
                    Ok(LineEvent::Start(_)) => bad.note(D::NAME, "start", &"second start on one stream"),
                    Ok(LineEvent::Other(name)) => {
                        tracing::debug!(carrier = D::NAME, event = %event_name(&name), "unknown event ignored");
                    }
                    Err(e) => bad.note(D::NAME, "text frame", &e),
                }
            }
            command = endpoint.recv() => {
                let sent = match command {
                    Some(CallerCommand::Play(chunk)) => {
                        send_frames(&mut socket, &dialect, framer.push(&chunk)).await
                    }
                    Some(CallerCommand::PlayLine(mulaw)) if start.sample_rate_hz == LINE_RATE_HZ => {
                        match dialect.encode_mulaw(&mulaw) {
                            Some(text) => send_text(&mut socket, text).await,
                            None => true,
                        }
                    }
                    Some(CallerCommand::PlayLine(mulaw)) => {
                        let up = mulaw_up.get_or_insert_with(HalfBandUpsampler::new);
                        let chunk = AudioChunk::new(up.process(&g711::ulaw_decode(&mulaw)));
                        send_frames(&mut socket, &dialect, framer.push(&chunk)).await
                    }
                    Some(CallerCommand::Mark(name)) => {
                        let ok = send_frames(&mut socket, &dialect, framer.flush()).await;
                        marks.sent(&name);
                        ok && send_text(&mut socket, dialect.encode_mark(&name)).await
                    }
                    Some(CallerCommand::Clear) => {
                        framer.clear();
                        marks.cleared();
                        send_text(&mut socket, dialect.encode_clear()).await
                    }
                    Some(CallerCommand::Transfer { .. }) => break Ending::Transfer,
                    Some(CallerCommand::HangUp) | None => break Ending::HangUp,
                    // A command a newer call engine sends that a phone line
                    // cannot act on.
                    Some(_) => true,
                };
                if !sent {
                    break Ending::CallerGone;
                }
            }
        }
    };
    if dropped_audio > 0 {
        tracing::warn!(
            carrier = D::NAME,
            dropped_frames = dropped_audio,
            "caller audio dropped: call too slow"
        );
    }
    match ending {
        Ending::CallerGone => {
            // The call stores the hang-up; nothing said now would be heard.
            let _ = events.send(CallerEvent::HungUp).await;
            tracing::info!(carrier = D::NAME, "caller hung up");
        }
        Ending::HangUp => {
            drop(endpoint);
            finish_playout(&mut socket, &mut dialect, &mut framer, &mut bad).await;
            close(&mut socket, close_code::NORMAL, "call ended").await;
            tracing::info!(carrier = D::NAME, "call ended by awaaz");
        }
        Ending::Transfer => {
            drop(endpoint);
            finish_playout(&mut socket, &mut dialect, &mut framer, &mut bad).await;
            let handoff = dialect.handoff(&start);
            let outcome = transfer(&lines, &handoff).await;
            record_transfer(&state, &call_id, outcome).await;
            if outcome == Outcome::Failed {
                // The call stored itself as `transferred` when it asked for
                // the transfer; once that is stored, say what happened.
                tokio::spawn(record_failed_transfer(
                    state.clone(),
                    handle,
                    call_id.clone(),
                ));
            }
            if outcome == Outcome::Applied {
                // The carrier stops the stream itself; give it a moment.
                wait_for_stop(&mut socket, &mut dialect, HANDOFF_WAIT).await;
            }
            close(&mut socket, close_code::NORMAL, "call transferred").await;
            tracing::info!(
                carrier = D::NAME,
                outcome = outcome.as_str(),
                "call handed over"
            );
        }
    }
}

async fn wait_for_start<D: Dialect>(
    socket: &mut WebSocket,
    dialect: &mut D,
    bad: &mut BadFrames,
) -> Option<StartInfo> {
    let started = tokio::time::timeout(START_TIMEOUT, async {
        loop {
            match socket.recv().await {
                Some(Ok(Message::Text(text))) => match dialect.decode(text.as_str()) {
                    Ok(LineEvent::Start(start)) => return Some(start),
                    Ok(LineEvent::Connected) => {}
                    Ok(LineEvent::Stop) => return None,
                    Ok(other) => {
                        bad.note(D::NAME, &event_name(other.name()), &"event before start")
                    }
                    Err(e) => bad.note(D::NAME, "text frame", &e),
                },
                Some(Ok(Message::Binary(bytes))) => {
                    bad.note(
                        D::NAME,
                        "binary frame",
                        &format_args!("{} bytes", bytes.len()),
                    );
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_)) | Err(_)) | None => return None,
            }
        }
    })
    .await;
    match started {
        Ok(start) => start,
        Err(_) => {
            tracing::warn!(
                carrier = D::NAME,
                timeout_s = START_TIMEOUT.as_secs(),
                "no start on the media stream; closing it"
            );
            close(socket, close_code::POLICY, "no start").await;
            None
        }
    }
}

/// Sends what is left of the bot's audio and an end mark, and waits (at
/// most [`PLAYOUT_WAIT`]) for the carrier to echo it: then the caller has
/// heard everything (a goodbye, "connecting you") before the line changes.
async fn finish_playout<D: Dialect>(
    socket: &mut WebSocket,
    dialect: &mut D,
    framer: &mut Framer,
    bad: &mut BadFrames,
) {
    if !send_frames(socket, &*dialect, framer.flush()).await {
        return;
    }
    if !send_text(socket, dialect.encode_mark(END_MARK)).await {
        return;
    }
    let deadline = Instant::now() + PLAYOUT_WAIT;
    loop {
        let Ok(frame) = tokio::time::timeout_at(deadline, socket.recv()).await else {
            tracing::debug!(carrier = D::NAME, "audio not confirmed played in time");
            return;
        };
        match frame {
            Some(Ok(Message::Text(text))) => match dialect.decode(text.as_str()) {
                Ok(LineEvent::Mark(name)) if name == END_MARK => return,
                Ok(LineEvent::Stop) => return,
                Ok(_) => {}
                Err(e) => bad.note(D::NAME, "text frame", &e),
            },
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return,
        }
    }
}

/// Waits until the carrier stops the stream (or closes it), at most `wait`.
async fn wait_for_stop<D: Dialect>(socket: &mut WebSocket, dialect: &mut D, wait: Duration) {
    let _ = tokio::time::timeout(wait, async {
        while let Some(Ok(message)) = socket.recv().await {
            match message {
                Message::Close(_) => return,
                Message::Text(text) => {
                    if matches!(dialect.decode(text.as_str()), Ok(LineEvent::Stop)) {
                        return;
                    }
                }
                _ => {}
            }
        }
    })
    .await;
}

/// What became of a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// The carrier took the call over.
    Applied,
    /// The stream was closed for the carrier's flow to go on.
    StreamClosed,
    /// Nothing could be done (not configured, or the carrier said no): the
    /// call is hung up instead.
    Failed,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::StreamClosed => "stream_closed",
            Self::Failed => "failed",
        }
    }
}

async fn transfer(lines: &PhoneLines, handoff: &Handoff) -> Outcome {
    let target = lines.settings().transfer_to.as_deref();
    match handoff {
        Handoff::CloseStream => Outcome::StreamClosed,
        Handoff::Twilio { call_sid } => {
            let (Some(rest), Some(target)) = (lines.twilio_rest(), target) else {
                tracing::warn!("transfer asked for, but Twilio REST (AWAAZ_TWILIO_ACCOUNT_SID, AWAAZ_TWILIO_AUTH_TOKEN) or AWAAZ_TRANSFER_TO is not configured: hanging up instead");
                return Outcome::Failed;
            };
            let dial = if target.starts_with("sip:") {
                twiml::Dial::sip(target)
            } else {
                twiml::Dial::number(target)
            };
            let document = twiml::VoiceResponse::new()
                .say(twiml::Say::new(TRANSFER_SAY).language(TRANSFER_LANGUAGE))
                .dial(dial)
                .render();
            match rest.update_call_twiml(call_sid, &document).await {
                Ok(()) => Outcome::Applied,
                Err(e) => {
                    tracing::warn!(error = %e, "twilio transfer failed: hanging up instead");
                    Outcome::Failed
                }
            }
        }
        Handoff::Plivo {
            call_uuid,
            transfer_url,
        } => {
            let (Some(rest), Some(_), Some(url)) = (lines.plivo_rest(), target, transfer_url)
            else {
                tracing::warn!("transfer asked for, but Plivo REST (AWAAZ_PLIVO_AUTH_ID, AWAAZ_PLIVO_AUTH_TOKEN), AWAAZ_TRANSFER_TO or the public URL is not known: hanging up instead");
                return Outcome::Failed;
            };
            match rest.transfer(call_uuid, url).await {
                Ok(()) => Outcome::Applied,
                Err(e) => {
                    tracing::warn!(error = %e, "plivo transfer failed: hanging up instead");
                    Outcome::Failed
                }
            }
        }
    }
}

/// After a transfer that did not happen: waits for the call to store its
/// end, then stores the status [`STATUS_TRANSFER_FAILED`].
async fn record_failed_transfer(state: AppState, handle: awaaz_call::CallHandle, call_id: CallId) {
    if tokio::time::timeout(CALL_END_WAIT, handle.wait())
        .await
        .is_err()
    {
        tracing::warn!("call did not end in time after a failed transfer");
    }
    if let Err(e) = state
        .store()
        .set_call_status(&call_id, STATUS_TRANSFER_FAILED)
        .await
    {
        tracing::warn!(error = %e, "cannot record the failed transfer on the call");
    }
}

/// Marks the transfer the agent asked for as `connected` or `failed`.
async fn record_transfer(state: &AppState, call_id: &CallId, outcome: Outcome) {
    let status = match outcome {
        Outcome::Applied | Outcome::StreamClosed => "connected",
        Outcome::Failed => "failed",
    };
    let store = state.store();
    let pending = match store.transfers(call_id).await {
        Ok(transfers) => transfers
            .into_iter()
            .rev()
            .find(|t| t.status == "requested"),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the call's transfers");
            return;
        }
    };
    if let Some(transfer) = pending {
        if let Err(e) = store.set_transfer_status(transfer.id, status).await {
            tracing::warn!(error = %e, "cannot record the transfer's outcome");
        }
    }
}
