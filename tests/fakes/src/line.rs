//! The phone line shared by the three fake carriers.
//!
//! A `FakeCall` is one caller on a carrier's media-stream WebSocket. What
//! differs between carriers (frame shapes, codec, sequence-number types,
//! what a clear gives back) is a `Dialect`; the rest lives here:
//!
//! ```text
//!  say()/press() ─▶ speech queue ─┐
//!                                 ├─ 20 ms tick ─▶ dialect.media()/dtmf() ─▶ socket
//!  socket ─▶ dialect.parse() ─▶ playout queue ─▶ 20 ms tick ─▶ heard audio, mark echoes
//! ```
//!
//! One driver task owns the socket. It stops by itself when the server
//! closes the socket, when the test hangs up, or when the handle is dropped
//! (it then hangs up as a caller putting the phone down would). Time is the
//! tokio clock; playout advances 20 ms per tick, so event times are exact to
//! one tick (20 ms).

use std::collections::VecDeque;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;

/// Sample rate of the phone line (all three carriers here run at 8 kHz).
pub(crate) const LINE_RATE_HZ: u32 = 8_000;
/// One playout / pacing step.
const TICK: Duration = Duration::from_millis(20);
/// Samples in one tick at 8 kHz.
pub(crate) const TICK_SAMPLES: usize = 160;
/// Duration of one sample at 8 kHz, in microseconds.
const SAMPLE_US: u64 = 125;
/// How often the `wait_*` helpers look at the state.
const POLL: Duration = Duration::from_millis(5);
/// How much of a bad frame a [`Violation`] keeps.
const FRAME_EXCERPT_CHARS: usize = 300;
/// How long a hang-up waits for the server to finish the closing handshake.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Errors from the fake carriers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The WebSocket connection to the server could not be opened.
    #[error("cannot connect to {url}")]
    Connect {
        /// The URL that was dialled.
        url: String,
        /// Why.
        #[source]
        source: Box<tokio_tungstenite::tungstenite::Error>,
    },
    /// A `wait_*` helper gave up.
    #[error("timed out after {timeout:?} waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long it waited.
        timeout: Duration,
    },
    /// The call is over (hung up, or the server closed the socket).
    #[error("the call is over")]
    Closed,
    /// Caller audio at a rate the resampler cannot convert to 8 kHz.
    #[error("cannot resample caller audio from {rate_hz} Hz to 8000 Hz")]
    UnsupportedRate {
        /// The rate given.
        rate_hz: u32,
        /// Why.
        #[source]
        source: awaaz_audio::AudioError,
    },
    /// A WAV file could not be read.
    #[error("cannot read wav file {path}")]
    Wav {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: hound::Error,
    },
    /// A WAV file is not 16-bit integer PCM.
    #[error("wav file {path} is not 16-bit pcm")]
    WavFormat {
        /// The file.
        path: PathBuf,
    },
    /// Not a key on a phone keypad.
    #[error("not a dtmf digit: {digit:?}")]
    InvalidDigit {
        /// The character given.
        digit: char,
    },
}

/// One timestamped thing that happened on the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEvent {
    /// When it happened (tokio clock).
    pub at: Instant,
    /// What happened.
    pub kind: CallEventKind,
}

/// What happened on the line, as the caller's side saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallEventKind {
    /// The first frame carrying queued caller speech was sent.
    CallerSpeechStarted,
    /// The frame carrying the last queued caller speech was sent.
    CallerSpeechEnded,
    /// A DTMF event was sent.
    DtmfSent {
        /// The key.
        digit: char,
    },
    /// An outbound audio frame arrived from the server (and was queued).
    MediaReceived {
        /// Decoded payload size in bytes.
        bytes: usize,
        /// Samples at 8 kHz it holds.
        samples: usize,
    },
    /// A mark (Twilio, Exotel) or checkpoint (Plivo) arrived.
    MarkReceived {
        /// Its name.
        name: String,
    },
    /// A mark was sent back: after the audio before it played
    /// (`played: true`), or at once because a clear dropped that audio
    /// (`played: false`, Twilio's behaviour).
    MarkEchoed {
        /// Its name.
        name: String,
        /// Whether the audio before it was played.
        played: bool,
    },
    /// A clear dropped a pending mark without sending it back (Plivo: a
    /// checkpoint is only answered when the audio before it played).
    MarkDropped {
        /// Its name.
        name: String,
    },
    /// A clear arrived; the queued, unplayed audio was dropped.
    Cleared {
        /// How much queued audio was dropped, in milliseconds.
        dropped_ms: u64,
    },
    /// Bot audio started playing to the caller.
    PlaybackStarted,
    /// Bot audio stopped playing: the queue ran dry, or a clear cut it
    /// (`interrupted: true`).
    PlaybackStopped {
        /// Whether a clear cut it.
        interrupted: bool,
    },
    /// A well-formed server event this fake only notes (e.g. Plivo `sendDTMF`).
    OtherReceived {
        /// The event name.
        event: String,
    },
    /// The caller hung up: the carrier's stop event (if it has one) was sent
    /// and the socket closed.
    HungUp,
    /// The server closed the socket (or it broke).
    ServerClosed {
        /// The close code, if the server sent a close frame with one.
        code: Option<u16>,
    },
}

/// An outbound frame the real carrier would reject, ignore or misplay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// When it arrived.
    pub at: Instant,
    /// What is wrong, in words.
    pub reason: String,
    /// The start of the offending frame.
    pub frame: String,
}

/// What a clear does with marks whose audio has not played yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MarksOnClear {
    /// Send them all back at once (Twilio documents this).
    #[default]
    Echo,
    /// Forget them (Plivo answers a checkpoint only once its audio played).
    Drop,
}

/// What a server frame asks of the line, once the dialect has read it.
pub(crate) enum Outbound {
    /// Audio to play.
    Media {
        /// Payload size in bytes.
        bytes: usize,
        /// Decoded audio at 8 kHz.
        samples: Vec<i16>,
    },
    /// A named point in the playout queue.
    Mark(String),
    /// Drop the queued audio.
    Clear,
    /// Valid, but nothing to do (noted in the event log).
    Other(String),
}

/// A dialect's reading of one server frame: what to do, and what is wrong.
pub(crate) struct Parsed {
    pub(crate) action: Option<Outbound>,
    pub(crate) violations: Vec<String>,
}

impl Parsed {
    pub(crate) fn ok(action: Outbound) -> Self {
        Self {
            action: Some(action),
            violations: Vec::new(),
        }
    }

    pub(crate) fn violation(reason: impl Into<String>) -> Self {
        Self {
            action: None,
            violations: vec![reason.into()],
        }
    }

    pub(crate) fn also(mut self, reason: impl Into<String>) -> Self {
        self.violations.push(reason.into());
        self
    }
}

/// One carrier's wire format, seen from the carrier's side.
pub(crate) trait Dialect: Send + 'static {
    /// Frames sent as soon as the socket opens (`connected`, `start`).
    fn opening(&mut self) -> Vec<String>;
    /// Caller audio per inbound media frame, in samples at 8 kHz (a multiple
    /// of [`TICK_SAMPLES`]).
    fn frame_samples(&self) -> usize;
    /// One inbound media frame; `chunk` counts from 1, `offset_ms` is the
    /// frame's position in the stream.
    fn media(&mut self, samples: &[i16], chunk: u64, offset_ms: u64) -> String;
    /// A DTMF event.
    fn dtmf(&mut self, digit: char) -> String;
    /// The hang-up event, if the carrier sends one before closing.
    fn stop(&mut self) -> Option<String>;
    /// Reads one text frame from the server.
    fn parse(&self, text: &str) -> Parsed;
    /// The reply to a mark whose audio played (or that a clear returns).
    fn mark_echo(&mut self, name: &str) -> String;
    /// The reply to a clear, if the carrier sends one.
    fn clear_reply(&mut self) -> Option<String>;
    /// What a clear does with pending marks.
    fn marks_on_clear(&self) -> MarksOnClear;
}

enum Queued {
    Audio { samples: Vec<i16>, pos: usize },
    Mark(String),
}

struct State {
    events: Vec<CallEvent>,
    violations: Vec<Violation>,
    heard: Vec<i16>,
    received_samples: u64,
    queue: VecDeque<Queued>,
    queued_samples: usize,
    /// Marks whose audio was handed to the speaker at the last tick: they
    /// are due when that tick's audio has played, i.e. at the next tick.
    passed_marks: Vec<String>,
    playing: bool,
    /// When the audio handed to the speaker so far ends.
    audio_end: Instant,
    speech: VecDeque<i16>,
    speaking: bool,
    dtmf: VecDeque<char>,
    server_closed: bool,
    ended: bool,
}

impl State {
    fn new(now: Instant) -> Self {
        Self {
            events: Vec::new(),
            violations: Vec::new(),
            heard: Vec::new(),
            received_samples: 0,
            queue: VecDeque::new(),
            queued_samples: 0,
            passed_marks: Vec::new(),
            playing: false,
            audio_end: now,
            speech: VecDeque::new(),
            speaking: false,
            dtmf: VecDeque::new(),
            server_closed: false,
            ended: false,
        }
    }

    fn log(&mut self, at: Instant, kind: CallEventKind) {
        self.events.push(CallEvent { at, kind });
    }

    fn violation(&mut self, at: Instant, reason: String, frame: &str) {
        let frame = frame.chars().take(FRAME_EXCERPT_CHARS).collect();
        self.violations.push(Violation { at, reason, frame });
    }

    fn echo(&mut self, at: Instant, name: String, played: bool, out: &mut Vec<String>) {
        self.log(
            at,
            CallEventKind::MarkEchoed {
                name: name.clone(),
                played,
            },
        );
        out.push(name);
    }

    /// Advances playout by one tick; returns the marks to send back now.
    fn play_tick(&mut self, now: Instant) -> Vec<String> {
        let mut due = Vec::new();
        for name in std::mem::take(&mut self.passed_marks) {
            self.echo(now, name, true, &mut due);
        }
        while let Some(Queued::Mark(_)) = self.queue.front() {
            if let Some(Queued::Mark(name)) = self.queue.pop_front() {
                self.echo(now, name, true, &mut due);
            }
        }
        let mut played = 0;
        while played < TICK_SAMPLES {
            match self.queue.front_mut() {
                None => break,
                Some(Queued::Mark(_)) => {
                    if let Some(Queued::Mark(name)) = self.queue.pop_front() {
                        self.passed_marks.push(name);
                    }
                }
                Some(Queued::Audio { samples, pos }) => {
                    let n = (TICK_SAMPLES - played).min(samples.len() - *pos);
                    self.heard.extend_from_slice(&samples[*pos..*pos + n]);
                    *pos += n;
                    played += n;
                    self.queued_samples -= n;
                    if *pos == samples.len() {
                        self.queue.pop_front();
                    }
                }
            }
        }
        if played > 0 {
            if !self.playing {
                self.playing = true;
                self.log(now, CallEventKind::PlaybackStarted);
            }
            self.audio_end = now + samples_to_duration(played);
        } else if self.playing {
            self.playing = false;
            self.log(now, CallEventKind::PlaybackStopped { interrupted: false });
        }
        due
    }

    fn on_media(&mut self, now: Instant, bytes: usize, samples: Vec<i16>) {
        self.log(
            now,
            CallEventKind::MediaReceived {
                bytes,
                samples: samples.len(),
            },
        );
        self.received_samples += samples.len() as u64;
        if !samples.is_empty() {
            self.queued_samples += samples.len();
            self.queue.push_back(Queued::Audio { samples, pos: 0 });
        }
    }

    /// Queues a mark; returns the marks to send back now (when nothing is
    /// queued or playing, a mark is due at once).
    fn on_mark(&mut self, now: Instant, name: String) -> Vec<String> {
        self.log(now, CallEventKind::MarkReceived { name: name.clone() });
        let mut due = Vec::new();
        if !self.queue.is_empty() {
            self.queue.push_back(Queued::Mark(name));
        } else if now < self.audio_end {
            self.passed_marks.push(name);
        } else {
            for earlier in std::mem::take(&mut self.passed_marks) {
                self.echo(now, earlier, true, &mut due);
            }
            self.echo(now, name, true, &mut due);
        }
        due
    }

    /// Drops the queued audio; returns the marks to send back now.
    fn on_clear(&mut self, now: Instant, policy: MarksOnClear) -> Vec<String> {
        // The tick's audio still sounding is cut too: it was not heard.
        let mut unplayed = 0;
        if self.audio_end > now {
            unplayed = duration_to_samples(self.audio_end - now).min(self.heard.len());
            self.heard.truncate(self.heard.len() - unplayed);
            self.audio_end = now;
        }
        let dropped_ms = samples_to_ms(self.queued_samples + unplayed);
        self.log(now, CallEventKind::Cleared { dropped_ms });
        if self.playing {
            self.playing = false;
            self.log(now, CallEventKind::PlaybackStopped { interrupted: true });
        }
        let mut due = Vec::new();
        for name in std::mem::take(&mut self.passed_marks) {
            self.echo(now, name, true, &mut due);
        }
        for item in std::mem::take(&mut self.queue) {
            if let Queued::Mark(name) = item {
                match policy {
                    MarksOnClear::Echo => self.echo(now, name, false, &mut due),
                    MarksOnClear::Drop => self.log(now, CallEventKind::MarkDropped { name }),
                }
            }
        }
        self.queued_samples = 0;
        due
    }

    /// Takes one inbound frame of caller audio, padded with silence.
    fn take_speech(&mut self, now: Instant, n: usize) -> Vec<i16> {
        let take = n.min(self.speech.len());
        let mut frame: Vec<i16> = self.speech.drain(..take).collect();
        if take > 0 && !self.speaking {
            self.speaking = true;
            self.log(now, CallEventKind::CallerSpeechStarted);
        }
        if self.speaking && self.speech.is_empty() {
            self.speaking = false;
            self.log(now, CallEventKind::CallerSpeechEnded);
        }
        frame.resize(n, 0);
        frame
    }

    fn quiet_since(&self) -> Option<Instant> {
        (self.queue.is_empty() && self.passed_marks.is_empty()).then_some(self.audio_end)
    }
}

enum Command {
    HangUp(oneshot::Sender<()>),
}

struct Shared {
    state: Mutex<State>,
    started: Instant,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One fake phone call on a carrier's media stream, as the caller's side.
///
/// The carrier modules (`FakeTwilioCall`, `FakeExotelCall`, `FakePlivoCall`)
/// dereference to this, so all three share these methods. Caller speech is
/// queued with [`say`](Self::say) and sent in real time; server audio is
/// played out in real time and kept ([`heard_audio`](Self::heard_audio));
/// everything is logged with its time ([`events`](Self::events)) and every
/// frame the real carrier would not accept is kept as a
/// [`Violation`] ([`violations`](Self::violations)).
pub struct FakeCall {
    shared: Arc<Shared>,
    commands: mpsc::Sender<Command>,
}

impl fmt::Debug for FakeCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.shared.lock();
        f.debug_struct("FakeCall")
            .field("events", &st.events.len())
            .field("violations", &st.violations.len())
            .field("heard_samples", &st.heard.len())
            .field("ended", &st.ended)
            .finish()
    }
}

/// `ws://user:password@host/path` → (`ws://host/path`, `Some("user:password")`).
fn split_credentials(url: &str) -> (String, Option<String>) {
    let Some(scheme_end) = url.find("://") else {
        return (url.to_owned(), None);
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => (
            format!("{}{}", &url[..scheme_end + 3], &rest[at + 1..]),
            Some(rest[..at].to_owned()),
        ),
        None => (url.to_owned(), None),
    }
}

impl FakeCall {
    /// Dials `url` and starts the driver task with `dialect`. Credentials
    /// in the URL (`ws://user:password@host/path`) are sent the way carriers
    /// send them, as `Authorization: Basic` on the upgrade.
    pub(crate) async fn connect(url: &str, dialect: Box<dyn Dialect>) -> Result<Self, CallError> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
        let failed = |source: tokio_tungstenite::tungstenite::Error| CallError::Connect {
            url: url.to_owned(),
            source: Box::new(source),
        };
        let (bare, credentials) = split_credentials(url);
        let mut request = bare.as_str().into_client_request().map_err(failed)?;
        if let Some(credentials) = credentials {
            let value = format!("Basic {}", BASE64.encode(credentials));
            if let Ok(value) = value.parse() {
                request.headers_mut().insert("authorization", value);
            }
        }
        let (ws, _response) = tokio_tungstenite::connect_async(request)
            .await
            .map_err(failed)?;
        let started = Instant::now();
        let shared = Arc::new(Shared {
            state: Mutex::new(State::new(started)),
            started,
        });
        let (commands, command_rx) = mpsc::channel(4);
        tokio::spawn(drive(ws, dialect, Arc::clone(&shared), command_rx));
        Ok(Self { shared, commands })
    }

    /// When the socket opened.
    pub fn started_at(&self) -> Instant {
        self.shared.started
    }

    /// Queues caller speech: PCM16 mono at `rate_hz` (8, 16, 24 or 48 kHz),
    /// resampled to 8 kHz and sent in real time after any speech already
    /// queued. Returns at once.
    ///
    /// # Errors
    /// [`CallError::UnsupportedRate`] for other rates, [`CallError::Closed`]
    /// when the call is over.
    pub fn say(&self, pcm16: &[i16], rate_hz: u32) -> Result<(), CallError> {
        let mut resampler = awaaz_audio::Resampler::new(rate_hz, LINE_RATE_HZ)
            .map_err(|source| CallError::UnsupportedRate { rate_hz, source })?;
        let mut line = resampler.process(pcm16);
        line.extend(resampler.flush());
        let mut st = self.shared.lock();
        if st.ended {
            return Err(CallError::Closed);
        }
        st.speech.extend(line);
        Ok(())
    }

    /// Queues the speech in a 16-bit PCM WAV file (channels are averaged),
    /// like [`say`](Self::say).
    ///
    /// # Errors
    /// [`CallError::Wav`] / [`CallError::WavFormat`] for unreadable files,
    /// and the errors of [`say`](Self::say).
    pub fn say_wav(&self, path: impl AsRef<Path>) -> Result<(), CallError> {
        let path = path.as_ref();
        let wav_err = |source| CallError::Wav {
            path: path.to_owned(),
            source,
        };
        let reader = hound::WavReader::open(path).map_err(wav_err)?;
        let spec = reader.spec();
        if spec.sample_format != hound::SampleFormat::Int || spec.bits_per_sample != 16 {
            return Err(CallError::WavFormat {
                path: path.to_owned(),
            });
        }
        let samples = reader
            .into_samples::<i16>()
            .collect::<Result<Vec<i16>, _>>()
            .map_err(wav_err)?;
        let channels = usize::from(spec.channels.max(1));
        let mono: Vec<i16> = samples
            .chunks(channels)
            .map(|frame| {
                let sum: i32 = frame.iter().map(|&s| i32::from(s)).sum();
                let n = i32::try_from(frame.len()).unwrap_or(1);
                // The mean of i16 values is an i16.
                i16::try_from(sum / n).unwrap_or_default()
            })
            .collect();
        self.say(&mono, spec.sample_rate)
    }

    /// Presses a key: the carrier's DTMF event is sent at the next tick.
    ///
    /// # Errors
    /// [`CallError::InvalidDigit`] unless `digit` is one of `0-9 * # A-D`,
    /// [`CallError::Closed`] when the call is over.
    pub fn press(&self, digit: char) -> Result<(), CallError> {
        if !matches!(digit, '0'..='9' | '*' | '#' | 'A'..='D') {
            return Err(CallError::InvalidDigit { digit });
        }
        let mut st = self.shared.lock();
        if st.ended {
            return Err(CallError::Closed);
        }
        st.dtmf.push_back(digit);
        Ok(())
    }

    /// Hangs up: sends the carrier's stop event (if it has one), closes the
    /// socket and waits (briefly) for the server to finish the close. Does
    /// nothing if the call is already over. Dropping the handle does the same
    /// in the background.
    pub async fn hang_up(&self) {
        let (done, finished) = oneshot::channel();
        if self.commands.send(Command::HangUp(done)).await.is_ok() {
            // An error means the driver ended on its own: the call is over.
            let _ = finished.await;
        }
    }

    /// Waits until at least `min_ms` more bot audio has played (counted from
    /// this call).
    ///
    /// # Errors
    /// [`CallError::Timeout`] if it has not within `timeout`.
    pub async fn wait_for_audio(&self, min_ms: u64, timeout: Duration) -> Result<(), CallError> {
        let base = self.shared.lock().heard.len();
        let want = ms_to_samples(min_ms);
        self.wait_until(timeout, &format!("{min_ms} ms of bot audio"), |st| {
            st.heard.len().saturating_sub(base) >= want
        })
        .await
    }

    /// Waits until no bot audio has played, and none is queued, for `ms`
    /// (the bot stopped talking).
    ///
    /// # Errors
    /// [`CallError::Timeout`] if the bot is still talking after `timeout`.
    pub async fn wait_quiet(&self, ms: u64, timeout: Duration) -> Result<(), CallError> {
        let quiet_for = Duration::from_millis(ms);
        self.wait_until(timeout, &format!("{ms} ms of quiet"), |st| {
            st.quiet_since()
                .is_some_and(|since| Instant::now() >= since + quiet_for)
        })
        .await
    }

    /// Waits until all queued caller speech has been sent.
    ///
    /// # Errors
    /// [`CallError::Timeout`] if some is still queued after `timeout`.
    pub async fn wait_speech_sent(&self, timeout: Duration) -> Result<(), CallError> {
        self.wait_until(timeout, "caller speech to be sent", |st| {
            st.speech.is_empty()
        })
        .await
    }

    /// Waits for the first logged event (from the start of the call) that
    /// `matches`, and returns it.
    ///
    /// # Errors
    /// [`CallError::Timeout`] if there is none within `timeout`.
    pub async fn wait_for_event(
        &self,
        timeout: Duration,
        matches: impl Fn(&CallEventKind) -> bool,
    ) -> Result<CallEvent, CallError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(event) = self.shared.lock().events.iter().find(|e| matches(&e.kind)) {
                return Ok(event.clone());
            }
            if Instant::now() >= deadline {
                return Err(CallError::Timeout {
                    what: "a matching call event".to_owned(),
                    timeout,
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the call is over (either side ended it).
    ///
    /// # Errors
    /// [`CallError::Timeout`] if it is still up after `timeout`.
    pub async fn wait_ended(&self, timeout: Duration) -> Result<(), CallError> {
        self.wait_until(timeout, "the call to end", |st| st.ended)
            .await
    }

    async fn wait_until(
        &self,
        timeout: Duration,
        what: &str,
        done: impl Fn(&State) -> bool,
    ) -> Result<(), CallError> {
        let deadline = Instant::now() + timeout;
        loop {
            if done(&self.shared.lock()) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(CallError::Timeout {
                    what: what.to_owned(),
                    timeout,
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The bot audio that actually played to the caller, PCM16 at 8 kHz,
    /// back to back (silences between turns are not included; audio a clear
    /// dropped is not either).
    pub fn heard_audio(&self) -> Vec<i16> {
        self.shared.lock().heard.clone()
    }

    /// How much bot audio has played, in milliseconds.
    pub fn heard_ms(&self) -> u64 {
        samples_to_ms(self.shared.lock().heard.len())
    }

    /// How much bot audio has arrived (played, queued or dropped), in
    /// milliseconds.
    pub fn received_ms(&self) -> u64 {
        self.shared.lock().received_samples * 1000 / u64::from(LINE_RATE_HZ)
    }

    /// How much bot audio is queued and not yet played, in milliseconds.
    pub fn queued_ms(&self) -> u64 {
        samples_to_ms(self.shared.lock().queued_samples)
    }

    /// Everything that happened so far, in order.
    pub fn events(&self) -> Vec<CallEvent> {
        self.shared.lock().events.clone()
    }

    /// Every outbound frame the real carrier would not accept as sent.
    pub fn violations(&self) -> Vec<Violation> {
        self.shared.lock().violations.clone()
    }

    /// Whether the server closed the socket (or it broke).
    pub fn closed(&self) -> bool {
        self.shared.lock().server_closed
    }

    /// Whether the call is over, from either side.
    pub fn ended(&self) -> bool {
        self.shared.lock().ended
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How the driver loop ended.
enum End {
    /// The server closed the socket or it broke.
    Server(Option<u16>),
    /// The test hung up (with an ack to send) or dropped the handle.
    HangUp(Option<oneshot::Sender<()>>),
}

/// The driver task: paces caller frames, plays out server audio, answers
/// marks and clears, until one side ends the call.
async fn drive(
    ws: Ws,
    mut dialect: Box<dyn Dialect>,
    shared: Arc<Shared>,
    mut commands: mpsc::Receiver<Command>,
) {
    let (mut sink, mut stream) = ws.split();
    let mut end = None;
    for frame in dialect.opening() {
        if sink.send(Message::text(frame)).await.is_err() {
            end = Some(End::Server(None));
            break;
        }
    }
    let frame_samples = dialect.frame_samples().max(TICK_SAMPLES);
    let ticks_per_frame = (frame_samples / TICK_SAMPLES) as u64;
    let frame_ms = samples_to_ms(frame_samples);
    let mut ticks = tokio::time::interval_at(shared.started + TICK, TICK);
    // A stalled task catches up frame by frame: the average rate stays
    // exactly real time, as a carrier's clocked line would.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut tick_no: u64 = 0;
    let mut chunk: u64 = 0;

    let end = match end {
        Some(end) => end,
        None => loop {
            let mut out: Vec<String> = Vec::new();
            tokio::select! {
                command = commands.recv() => {
                    break End::HangUp(command.map(|Command::HangUp(done)| done));
                }
                message = stream.next() => {
                    let now = Instant::now();
                    match message {
                        Some(Ok(Message::Text(text))) => {
                            on_text(&mut *dialect, &shared, now, text.as_str(), &mut out);
                        }
                        Some(Ok(Message::Binary(bytes))) => {
                            shared.lock().violation(
                                now,
                                format!("binary frame of {} bytes (the carrier speaks JSON text frames)", bytes.len()),
                                "",
                            );
                        }
                        Some(Ok(Message::Close(frame))) => {
                            // Flush tungstenite's reply to the close.
                            let _ = sink.close().await;
                            break End::Server(frame.map(|f| u16::from(f.code)));
                        }
                        Some(Ok(_)) => {}
                        Some(Err(_)) | None => break End::Server(None),
                    }
                }
                _ = ticks.tick() => {
                    tick_no += 1;
                    let now = Instant::now();
                    let mut st = shared.lock();
                    for name in st.play_tick(now) {
                        out.push(dialect.mark_echo(&name));
                    }
                    while let Some(digit) = st.dtmf.pop_front() {
                        st.log(now, CallEventKind::DtmfSent { digit });
                        out.push(dialect.dtmf(digit));
                    }
                    if tick_no.is_multiple_of(ticks_per_frame) {
                        let samples = st.take_speech(now, frame_samples);
                        chunk += 1;
                        out.push(dialect.media(&samples, chunk, (chunk - 1) * frame_ms));
                    }
                }
            }
            let mut broken = false;
            for frame in out {
                if sink.send(Message::text(frame)).await.is_err() {
                    broken = true;
                    break;
                }
            }
            if broken {
                break End::Server(None);
            }
        },
    };

    match end {
        End::Server(code) => {
            let mut st = shared.lock();
            st.server_closed = true;
            st.log(Instant::now(), CallEventKind::ServerClosed { code });
            st.ended = true;
        }
        End::HangUp(done) => {
            if let Some(stop) = dialect.stop() {
                let _ = sink.send(Message::text(stop)).await;
            }
            let _ = sink.send(Message::Close(None)).await;
            {
                let mut st = shared.lock();
                st.log(Instant::now(), CallEventKind::HungUp);
                st.ended = true;
            }
            // Let the server answer the close; what it sends meanwhile is
            // not played (the caller is gone).
            let _ = tokio::time::timeout(CLOSE_GRACE, async {
                while let Some(Ok(message)) = stream.next().await {
                    if matches!(message, Message::Close(_)) {
                        break;
                    }
                }
            })
            .await;
            if let Some(done) = done {
                let _ = done.send(());
            }
        }
    }
}

/// Handles one text frame from the server, collecting replies in `out`.
fn on_text(
    dialect: &mut dyn Dialect,
    shared: &Shared,
    now: Instant,
    text: &str,
    out: &mut Vec<String>,
) {
    let parsed = dialect.parse(text);
    let mut st = shared.lock();
    for reason in parsed.violations {
        st.violation(now, reason, text);
    }
    match parsed.action {
        None => {}
        Some(Outbound::Media { bytes, samples }) => st.on_media(now, bytes, samples),
        Some(Outbound::Mark(name)) => {
            for name in st.on_mark(now, name) {
                out.push(dialect.mark_echo(&name));
            }
        }
        Some(Outbound::Clear) => {
            for name in st.on_clear(now, dialect.marks_on_clear()) {
                out.push(dialect.mark_echo(&name));
            }
            if let Some(reply) = dialect.clear_reply() {
                out.push(reply);
            }
        }
        Some(Outbound::Other(event)) => st.log(now, CallEventKind::OtherReceived { event }),
    }
}

/// Reads a JSON text frame: the object and its `event` name.
pub(crate) fn parse_event(text: &str) -> Result<(Value, String), Parsed> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| Parsed::violation(format!("not JSON: {e}")))?;
    let Some(event) = value.get("event").and_then(Value::as_str) else {
        return Err(Parsed::violation("no string `event` field"));
    };
    let event = event.to_owned();
    Ok((value, event))
}

/// Checks the stream id field `field` of an outbound frame: `Err` with the
/// violation if it is missing (when `required`) or names another stream.
pub(crate) fn check_stream_id(
    value: &Value,
    event: &str,
    field: &str,
    expected: &str,
    required: bool,
) -> Result<(), Parsed> {
    match value.get(field) {
        None if !required => Ok(()),
        None => Err(Parsed::violation(format!("`{event}` without `{field}`"))),
        Some(Value::String(id)) if id == expected => Ok(()),
        Some(other) => Err(Parsed::violation(format!(
            "`{event}` for {field} {other}, not this stream's {expected:?}"
        ))),
    }
}

/// Decodes the base64 string at `pointer` (e.g. `/media/payload`).
pub(crate) fn payload_bytes(value: &Value, event: &str, pointer: &str) -> Result<Vec<u8>, Parsed> {
    let Some(payload) = value.pointer(pointer).and_then(Value::as_str) else {
        return Err(Parsed::violation(format!(
            "`{event}` without a string `{pointer}`"
        )));
    };
    let bytes = BASE64
        .decode(payload)
        .map_err(|e| Parsed::violation(format!("`{event}` payload is not base64: {e}")))?;
    if bytes.is_empty() {
        return Err(Parsed::violation(format!(
            "`{event}` with an empty payload"
        )));
    }
    Ok(bytes)
}

/// A violation if the payload carries a file header instead of raw audio.
pub(crate) fn file_header(bytes: &[u8]) -> Option<String> {
    (bytes.starts_with(b"RIFF") || bytes.starts_with(b"ID3") || bytes.starts_with(b"OggS"))
        .then(|| "payload starts with a file header; the carrier expects raw audio".to_owned())
}

/// The string at `pointer`, or a violation.
pub(crate) fn string_at(value: &Value, event: &str, pointer: &str) -> Result<String, Parsed> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| Parsed::violation(format!("`{event}` without a string `{pointer}`")))
}

/// Base64 of raw bytes, as carriers send payloads.
pub(crate) fn base64(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

/// A process-unique number, for default ids.
pub(crate) fn next_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn samples_to_duration(samples: usize) -> Duration {
    Duration::from_micros(samples as u64 * SAMPLE_US)
}

fn duration_to_samples(d: Duration) -> usize {
    usize::try_from(d.as_micros() / u128::from(SAMPLE_US)).unwrap_or(usize::MAX)
}

fn samples_to_ms(samples: usize) -> u64 {
    samples as u64 * 1000 / u64::from(LINE_RATE_HZ)
}

fn ms_to_samples(ms: u64) -> usize {
    usize::try_from(ms * u64::from(LINE_RATE_HZ) / 1000).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audio(n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| i16::try_from(i % 1000).unwrap() + 1)
            .collect()
    }

    #[test]
    fn credentials_are_split_from_the_url() {
        assert_eq!(
            split_credentials("ws://exotel:s3cret@127.0.0.1:80/exotel/media?a=b@c"),
            (
                "ws://127.0.0.1:80/exotel/media?a=b@c".to_owned(),
                Some("exotel:s3cret".to_owned())
            )
        );
        assert_eq!(
            split_credentials("ws://127.0.0.1/x?u=a@b"),
            ("ws://127.0.0.1/x?u=a@b".to_owned(), None)
        );
    }

    #[test]
    fn a_mark_is_due_one_tick_after_the_audio_before_it_was_handed_out() {
        let t0 = Instant::now();
        let mut st = State::new(t0);
        st.on_media(t0, 400, audio(200));
        assert!(st.on_mark(t0, "a".into()).is_empty());
        // Tick 1 plays 160 samples, tick 2 the last 40 and passes the mark.
        assert!(st.play_tick(t0 + TICK).is_empty());
        assert!(st.play_tick(t0 + TICK * 2).is_empty());
        assert_eq!(st.play_tick(t0 + TICK * 3), vec!["a".to_owned()]);
        assert_eq!(st.heard, audio(200));
    }

    #[test]
    fn a_mark_on_an_idle_line_is_due_at_once() {
        let t0 = Instant::now();
        let mut st = State::new(t0);
        assert_eq!(st.on_mark(t0, "idle".into()), vec!["idle".to_owned()]);
    }

    #[test]
    fn clear_cuts_the_sounding_tick_and_returns_marks_by_policy() {
        let t0 = Instant::now();
        let mut st = State::new(t0);
        st.on_media(t0, 0, audio(800));
        st.on_mark(t0, "a".into());
        st.play_tick(t0 + TICK);
        // 5 ms into the tick: 120 of its 160 samples were not heard.
        let echoed = st.on_clear(t0 + TICK + Duration::from_millis(5), MarksOnClear::Echo);
        assert_eq!(echoed, vec!["a".to_owned()]);
        assert_eq!(st.heard.len(), 40);
        assert_eq!(st.queued_samples, 0);
        assert!(st
            .events
            .iter()
            .any(|e| e.kind == CallEventKind::Cleared { dropped_ms: 95 }));

        st.on_media(t0, 0, audio(160));
        st.on_mark(t0, "b".into());
        assert!(st.on_clear(t0 + TICK * 2, MarksOnClear::Drop).is_empty());
        assert!(st
            .events
            .iter()
            .any(|e| e.kind == CallEventKind::MarkDropped { name: "b".into() }));
    }
}
