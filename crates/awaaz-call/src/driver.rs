//! The async side of one call: [`run_call`] drives a [`CallCore`] and owns
//! the call's pumps.
//!
//! ```text
//!            CallerConnection.events                         CallerConnection.commands
//!  caller ─▶ reader ─audio─▶ listener (segmenter + ASR) ─┐   ▲
//!              │ marks, hang-up                          │   │ Play (paced 20 ms) / Mark / Clear
//!              ▼                                         ▼   │
//!            driver loop: CallCore ◀──────── events ──── writer ◀─ clauses ─ bot turn task (TTS)
//!              │ Greet/Respond/Cancel/Truncate ─▶ responder (AgentSession) ──┘ (one child task
//!              │                                                              per bot turn, own token)
//!              └─ turns, tool calls ─▶ recorder ─▶ CallStore
//! ```
//!
//! Every pump lives in the call's `JoinSet`; the first one to end (the
//! caller hung up, a transport failed) ends the call. Channels are bounded;
//! caller audio the listener cannot keep up with is dropped and counted.
//! Barge-in cancels only the bot turn's child task; the agent session, the
//! recorder and the listener are call-scoped and never cancelled by it.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use awaaz_agent::{Agent, AgentReply, AgentSession, CallAction, Language, SessionContext};
use awaaz_audio::{AudioChunk, SAMPLE_RATE_HZ};
use awaaz_speech::{
    RecognitionHints, RecognitionStream, SpeechError, SpeechLanguage, SpeechRecognizer,
    SpeechSynthesizer, Voice,
};
use awaaz_store::{
    CallId, Channel, NewCall, NewToolCall, NewTurn, PhoneNumber, Speaker, Store, TurnLatency,
};
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::connection::{CallerCommand, CallerConnection, CallerEvent};
use crate::core::{
    Action, AgentTurnRecord, CallCore, CallerTurnRecord, CoreConfig, EndStatus, Phase, TurnId,
};
use crate::observer::{CallObserver, NoopObserver};
use crate::segment::{EnergySegmenter, SegmentEvent, Segmenter};
use crate::CallError;

/// One outbound frame: 20 ms at 16 kHz.
pub const FRAME_SAMPLES: usize = SAMPLE_RATE_HZ as usize / 50;
const FRAME: Duration = Duration::from_millis(20);

/// Builds a fresh per-call [`Segmenter`].
pub type SegmenterFactory = Arc<dyn Fn() -> Box<dyn Segmenter> + Send + Sync>;

/// The shared engines every call uses (weights loaded once).
#[derive(Clone)]
pub struct CallEngines {
    /// Where calls, turns and tool calls are kept (and what tools read).
    pub store: Arc<dyn Store>,
    /// The agent.
    pub agent: Arc<dyn Agent>,
    /// Speech → text.
    pub recognizer: Arc<dyn SpeechRecognizer>,
    /// Text → speech.
    pub synthesizer: Arc<dyn SpeechSynthesizer>,
    /// Per-call speech and turn detection.
    pub segmenter: SegmenterFactory,
    /// Metrics hook.
    pub observer: Arc<dyn CallObserver>,
}

impl std::fmt::Debug for CallEngines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallEngines").finish_non_exhaustive()
    }
}

impl CallEngines {
    /// Engines with the default [`EnergySegmenter`] and no metrics.
    pub fn new(
        store: Arc<dyn Store>,
        agent: Arc<dyn Agent>,
        recognizer: Arc<dyn SpeechRecognizer>,
        synthesizer: Arc<dyn SpeechSynthesizer>,
    ) -> Self {
        Self {
            store,
            agent,
            recognizer,
            synthesizer,
            segmenter: Arc::new(|| Box::new(EnergySegmenter::default())),
            observer: Arc::new(NoopObserver),
        }
    }

    /// Uses another segmenter (Silero VAD + turn detector, …).
    #[must_use]
    pub fn with_segmenter(mut self, segmenter: SegmenterFactory) -> Self {
        self.segmenter = segmenter;
        self
    }

    /// Uses Silero VAD + the turn detector when `$AWAAZ_MODELS_DIR` (default
    /// `./models`) holds the Silero model, else keeps the current segmenter.
    #[must_use]
    pub fn with_vad_from_env(self) -> Self {
        match crate::vad_segment::silero_from_env() {
            Some(model) => self.with_segmenter(crate::vad_segment::vad_segmenter_factory(
                Some(model),
                crate::vad_segment::VadTurnConfig::default(),
            )),
            None => self,
        }
    }

    /// Reports to `observer`.
    #[must_use]
    pub fn with_observer(mut self, observer: Arc<dyn CallObserver>) -> Self {
        self.observer = observer;
        self
    }
}

/// Per-call settings.
#[derive(Debug, Clone)]
pub struct CallConfig {
    /// Turn-taking timings.
    pub core: CoreConfig,
    /// Capacity of the control channels between pumps.
    pub channel_capacity: usize,
    /// Caller audio chunks the listener may fall behind by before chunks are
    /// dropped.
    pub audio_queue_chunks: usize,
    /// How often (in caller audio) to ask the recogniser for a partial
    /// transcript while the caller speaks over the bot. Partials are only
    /// asked for then: they decide barge-ins and cost a decoder pass each.
    pub partial_every_ms: u64,
    /// Send bot audio in real time, 20 ms a frame (`true`, for live
    /// callers), or as fast as the transport takes it (`false`, for
    /// simulations that account playout time themselves).
    pub pace_output: bool,
    /// Words to bias the recogniser towards.
    pub hints: RecognitionHints,
    /// How long a goodbye on shutdown may take.
    pub goodbye_timeout: Duration,
    /// How long to wait for pumps and the recorder when the call ends.
    pub drain_timeout: Duration,
}

impl Default for CallConfig {
    fn default() -> Self {
        Self {
            core: CoreConfig::default(),
            channel_capacity: 64,
            audio_queue_chunks: 500,
            partial_every_ms: 300,
            pace_output: true,
            hints: RecognitionHints::default(),
            goodbye_timeout: Duration::from_secs(5),
            drain_timeout: Duration::from_secs(5),
        }
    }
}

/// Who is calling and how.
#[derive(Debug, Clone)]
pub struct CallInfo {
    /// The call's id (also the store key).
    pub id: CallId,
    /// How the call arrived.
    pub channel: Channel,
    /// The caller's number, when known (personal data).
    pub caller: Option<PhoneNumber>,
    /// The carrier's id for the call.
    pub carrier_call_id: Option<String>,
}

impl CallInfo {
    /// A new call on `channel` with a fresh id.
    pub fn new(channel: Channel) -> Self {
        Self {
            id: CallId::new_v7(),
            channel,
            caller: None,
            carrier_call_id: None,
        }
    }
}

/// Counts of what bounded queues dropped during a call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DropCounts {
    /// Caller audio chunks the listener could not take.
    pub caller_audio: u64,
    /// Control messages a pump could not take.
    pub control: u64,
    /// Playout progress reports the driver could not take.
    pub playout_reports: u64,
}

/// How a call went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallReport {
    /// The call.
    pub call_id: CallId,
    /// Its final status, as stored.
    pub status: EndStatus,
    /// What was dropped.
    pub dropped: DropCounts,
    /// Store writes that failed (the call carried on).
    pub record_failures: u64,
}

/// Everything the pumps tell the driver.
#[derive(Debug)]
enum Event {
    Mark(String),
    Dtmf(char),
    SpeechStarted {
        stream_ms: u64,
        at_stream_ms: u64,
    },
    SpeechStopped {
        stream_ms: u64,
        at_stream_ms: u64,
    },
    Partial(String),
    TurnEnded {
        stream_ms: u64,
        speech_end_stream_ms: u64,
    },
    Transcript {
        text: String,
        language: Option<SpeechLanguage>,
    },
    ReplyReady {
        turn: TurnId,
        reply: AgentReply,
        agent_us: u64,
    },
    ClauseQueued {
        turn: TurnId,
        index: usize,
        text: String,
        samples: usize,
    },
    Played {
        turn: TurnId,
        index: usize,
        samples: usize,
    },
    TurnPlayed {
        turn: TurnId,
    },
}

/// What ended a pump.
#[derive(Debug)]
enum PumpEnd {
    CallerHungUp,
    Stopped(&'static str),
}

/// The responder's inbox.
#[derive(Debug)]
enum ResponderCmd {
    Greet { turn: TurnId },
    Respond { turn: TurnId, text: String },
    Keypress { turn: TurnId, digit: char },
    Cancel { turn: TurnId },
    Truncate { heard: String },
}

/// The writer's control inbox (separate from audio so it never waits
/// behind queued clauses).
#[derive(Debug)]
enum WriterCtl {
    Cancel { turn: TurnId },
    Pause,
    Resume,
    Clear,
}

/// A bot turn task's output to the writer.
#[derive(Debug)]
enum Outbound {
    Clause {
        turn: TurnId,
        index: usize,
        text: String,
        audio: AudioChunk,
    },
    EndOfTurn {
        turn: TurnId,
    },
}

/// What the recorder stores.
#[derive(Debug)]
enum Record {
    Turn {
        turn: NewTurn,
        tool_calls: Vec<awaaz_agent::ToolCallOutcome>,
    },
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The voice for a piece of reply text: Devanagari goes to the Hindi voice,
/// English and romanised Hinglish to the English voice.
fn voice_for_text(text: &str) -> Voice {
    if text.chars().any(|c| ('\u{0900}'..='\u{097F}').contains(&c)) {
        Voice::Hindi
    } else {
        Voice::English
    }
}

/// Reply pieces a streaming agent may hand over before the turn's speech
/// catches up; more are dropped (and logged).
const STREAMED_CLAUSES: usize = 64;

/// What the agent says when the server drains the call.
fn goodbye_text(language: Language) -> &'static str {
    match language {
        Language::English => "Sorry, I have to end this call now. Please call again. Goodbye.",
        Language::Hinglish => {
            "Maaf kijiye, abhi call band karni padegi. Kripya dobara call kijiye. Dhanyavaad."
        }
        Language::Hindi => "माफ़ कीजिए, अभी कॉल बंद करनी पड़ेगी। कृपया दोबारा कॉल कीजिए। धन्यवाद।",
    }
}

/// What the agent says when it failed to answer a turn.
fn apology(language: Language) -> &'static str {
    match language {
        Language::English => "Sorry, I could not check that just now. Could you say it again?",
        Language::Hinglish => "Maaf kijiye, abhi yeh check nahi ho paaya. Kya aap dobara bolenge?",
        Language::Hindi => "माफ़ कीजिए, अभी यह देख नहीं पाई। क्या आप दोबारा बोलेंगे?",
    }
}

/// Runs one call to its end: records it, greets, converses, and stores the
/// outcome. `shutdown` (from [`crate::CallSupervisor`]) drains the call:
/// the bot says goodbye and the transcript is saved.
///
/// Returns an error only when the call could not be recorded at all;
/// failures after that end the call with [`EndStatus::Failed`] and are
/// reported in the [`CallReport`].
pub async fn run_call(
    engines: CallEngines,
    config: CallConfig,
    info: CallInfo,
    connection: CallerConnection,
    shutdown: CancellationToken,
) -> Result<CallReport, CallError> {
    let span = tracing::info_span!("call", call_id = %info.id.0, channel = info.channel.as_str());
    Driver::start(engines, config, info, connection, shutdown)
        .instrument(span.clone())
        .await?
        .run()
        .instrument(span)
        .await
}

struct Driver {
    engines: CallEngines,
    config: CallConfig,
    info: CallInfo,
    core: CallCore,
    started: Instant,
    started_at: DateTime<Utc>,
    shutdown: CancellationToken,
    /// Cancels every pump (the call is over).
    cancel: CancellationToken,
    pumps: JoinSet<PumpEnd>,
    events: mpsc::Receiver<Event>,
    responder: mpsc::Sender<ResponderCmd>,
    writer: mpsc::Sender<WriterCtl>,
    recorder: Option<mpsc::Sender<Record>>,
    /// The recorder alone: it must outlive the pumps to store the last
    /// turns, so it stops only when its inbox closes.
    recorder_task: JoinSet<u64>,
    commands: mpsc::Sender<CallerCommand>,
    phase: tokio::sync::watch::Sender<Phase>,
    /// Replies by bot turn, until the turn is stored.
    replies: HashMap<TurnId, AgentReply>,
    transfer_reason: Option<String>,
    language: Language,
    caller_language: Option<SpeechLanguage>,
    /// Stream time → clock: the clock time when the stream time was seen.
    stream_anchor: (u64, u64),
    dropped: DropCounts,
    caller_audio_drops: Arc<std::sync::atomic::AtomicU64>,
    playout_drops: Arc<std::sync::atomic::AtomicU64>,
}

impl Driver {
    async fn start(
        engines: CallEngines,
        config: CallConfig,
        info: CallInfo,
        connection: CallerConnection,
        shutdown: CancellationToken,
    ) -> Result<Self, CallError> {
        let started = Instant::now();
        let started_at = Utc::now();
        engines
            .store
            .create_call(NewCall {
                id: info.id.clone(),
                channel: info.channel,
                caller: info.caller.clone(),
                carrier_call_id: info.carrier_call_id.clone(),
                started_at,
            })
            .await
            .map_err(|source| CallError::Store {
                operation: "create_call",
                source,
            })?;
        engines.observer.call_started(info.channel);
        tracing::info!(caller = ?info.caller, "call started");

        let session = engines
            .agent
            .start(SessionContext {
                call_id: info.id.clone(),
                channel: info.channel,
                caller: info.caller.clone(),
            })
            .await;
        let language = session.language();

        let cap = config.channel_capacity.max(1);
        let cancel = CancellationToken::new();
        let (event_tx, event_rx) = mpsc::channel(cap);
        let (audio_tx, audio_rx) = mpsc::channel(config.audio_queue_chunks.max(1));
        let (responder_tx, responder_rx) = mpsc::channel(cap);
        let (writer_tx, writer_rx) = mpsc::channel(cap);
        let (out_tx, out_rx) = mpsc::channel(8);
        let (record_tx, record_rx) = mpsc::channel(cap);
        let caller_audio_drops = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let playout_drops = Arc::new(std::sync::atomic::AtomicU64::new(0));

        let CallerConnection {
            events: caller_events,
            commands,
            phase,
        } = connection;

        let mut pumps = JoinSet::new();
        pumps.spawn(
            reader(
                caller_events,
                audio_tx,
                event_tx.clone(),
                Arc::clone(&caller_audio_drops),
                cancel.clone(),
            )
            .in_current_span(),
        );
        pumps.spawn(
            listener(
                audio_rx,
                event_tx.clone(),
                Arc::clone(&engines.recognizer),
                (engines.segmenter)(),
                (config.hints.clone(), config.partial_every_ms),
                phase.subscribe(),
                cancel.clone(),
            )
            .in_current_span(),
        );
        pumps.spawn(
            responder(
                responder_rx,
                event_tx.clone(),
                out_tx,
                session,
                Arc::clone(&engines.synthesizer),
                cancel.clone(),
            )
            .in_current_span(),
        );
        pumps.spawn(
            writer(
                out_rx,
                writer_rx,
                commands.clone(),
                event_tx,
                Arc::clone(&playout_drops),
                config.pace_output,
                cancel.clone(),
            )
            .in_current_span(),
        );
        let mut recorder_task = JoinSet::new();
        recorder_task.spawn(
            recorder(
                record_rx,
                Arc::clone(&engines.store),
                Arc::clone(&engines.observer),
                info.id.clone(),
            )
            .in_current_span(),
        );

        let mut core = CallCore::new(config.core);
        core.start(0);
        Ok(Self {
            engines,
            config,
            info,
            core,
            started,
            started_at,
            shutdown,
            cancel,
            pumps,
            events: event_rx,
            responder: responder_tx,
            writer: writer_tx,
            recorder: Some(record_tx),
            recorder_task,
            commands,
            phase,
            replies: HashMap::new(),
            transfer_reason: None,
            language,
            caller_language: None,
            stream_anchor: (0, 0),
            dropped: DropCounts::default(),
            caller_audio_drops,
            playout_drops,
        })
    }

    fn now_ms(&self) -> u64 {
        millis(self.started.elapsed())
    }

    /// The clock time of a stream time, from the latest anchor.
    fn stream_to_clock(&self, stream_ms: u64) -> u64 {
        let (anchor_stream, anchor_clock) = self.stream_anchor;
        anchor_clock.saturating_sub(anchor_stream.saturating_sub(stream_ms))
    }

    fn at(&self, ms: u64) -> DateTime<Utc> {
        self.started_at + chrono::Duration::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX))
    }

    async fn run(mut self) -> Result<CallReport, CallError> {
        let mut status = EndStatus::Completed;
        let mut drained = false;
        loop {
            self.apply_actions(&mut status);
            self.phase.send_replace(self.core.phase());
            if self.core.phase() == Phase::Ended {
                break;
            }
            let deadline = self
                .core
                .poll_timeout()
                .map(|ms| self.started + Duration::from_millis(ms));
            tokio::select! {
                () = self.shutdown.cancelled() => {
                    status = EndStatus::Shutdown;
                    drained = true;
                    break;
                }
                event = self.events.recv() => match event {
                    Some(event) => self.handle_event(event),
                    None => {
                        status = EndStatus::Failed;
                        break;
                    }
                },
                Some(ended) = self.pumps.join_next() => {
                    match ended {
                        Ok(PumpEnd::CallerHungUp) => tracing::info!("caller hung up"),
                        Ok(PumpEnd::Stopped(pump)) => {
                            tracing::warn!(pump, "pump stopped");
                            status = EndStatus::Failed;
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "pump panicked");
                            status = EndStatus::Failed;
                        }
                    }
                    break;
                }
                () = sleep_until_opt(deadline) => {
                    let now = self.now_ms();
                    self.core.handle_timeout(now);
                }
            }
        }
        self.finish(status, drained).await
    }

    fn handle_event(&mut self, event: Event) {
        let now = self.now_ms();
        match event {
            Event::Mark(name) => {
                if let Some((turn, index)) = parse_mark(&name) {
                    self.core.handle_mark(turn, index);
                }
            }
            Event::Dtmf(digit) => self.core.handle_keypress(digit, now),
            Event::SpeechStarted {
                stream_ms,
                at_stream_ms,
            } => {
                self.stream_anchor = (stream_ms, now);
                let at = self.stream_to_clock(at_stream_ms);
                self.core.handle_caller_speech_started(at);
            }
            Event::SpeechStopped {
                stream_ms,
                at_stream_ms,
            } => {
                self.stream_anchor = (stream_ms, now);
                let at = self.stream_to_clock(at_stream_ms);
                self.core.handle_caller_speech_stopped(at, now);
            }
            Event::Partial(text) => self.core.handle_caller_partial(&text, now),
            Event::TurnEnded {
                stream_ms,
                speech_end_stream_ms,
            } => {
                self.stream_anchor = (stream_ms, now);
                let end = self.stream_to_clock(speech_end_stream_ms);
                self.core.handle_caller_turn_ended(end, now);
            }
            Event::Transcript { text, language } => {
                if language.is_some() {
                    self.caller_language = language;
                }
                self.core.handle_caller_transcript(&text, now);
            }
            Event::ReplyReady {
                turn,
                reply,
                agent_us,
            } => {
                self.language = reply.language;
                let ends = if reply.ended {
                    Some(match &reply.action {
                        Some(CallAction::TransferToHuman { reason }) => {
                            self.transfer_reason = Some(reason.clone());
                            EndStatus::Transferred
                        }
                        _ => EndStatus::Completed,
                    })
                } else {
                    None
                };
                self.core
                    .handle_reply_ready(turn, &reply.text, ends, agent_us, now);
                self.replies.insert(turn, reply);
            }
            Event::ClauseQueued {
                turn,
                index,
                text,
                samples,
            } => self.core.handle_clause_queued(turn, index, &text, samples),
            Event::Played {
                turn,
                index,
                samples,
            } => self.core.handle_audio_played(turn, index, samples, now),
            Event::TurnPlayed { turn } => self.core.handle_bot_turn_played(turn, now),
        }
    }

    fn send_responder(&mut self, cmd: ResponderCmd) {
        if self.responder.try_send(cmd).is_err() {
            self.dropped.control += 1;
            tracing::warn!("responder inbox full; command dropped");
        }
    }

    fn send_writer(&mut self, ctl: WriterCtl) {
        if self.writer.try_send(ctl).is_err() {
            self.dropped.control += 1;
            tracing::warn!("writer inbox full; command dropped");
        }
    }

    fn apply_actions(&mut self, status: &mut EndStatus) {
        while let Some(action) = self.core.poll_action() {
            match action {
                Action::Greet { turn } => self.send_responder(ResponderCmd::Greet { turn }),
                Action::Keypress { turn, digit } => {
                    self.send_responder(ResponderCmd::Keypress { turn, digit });
                }
                Action::Respond { turn, text } => {
                    self.send_responder(ResponderCmd::Respond { turn, text });
                }
                Action::CancelBotTurn { turn } => {
                    self.send_responder(ResponderCmd::Cancel { turn });
                    self.send_writer(WriterCtl::Cancel { turn });
                }
                Action::PauseOutput => self.send_writer(WriterCtl::Pause),
                Action::ResumeOutput => self.send_writer(WriterCtl::Resume),
                Action::Clear => self.send_writer(WriterCtl::Clear),
                Action::TruncateHistory { heard } => {
                    self.send_responder(ResponderCmd::Truncate { heard });
                }
                Action::RecordCallerTurn(record) => self.record_caller(record),
                Action::RecordAgentTurn(record) => self.record_agent(record),
                Action::HangUp { status: s } => *status = s,
            }
        }
    }

    fn record(&mut self, record: Record) {
        let Some(tx) = &self.recorder else {
            return;
        };
        // The recorder's inbox is bounded; turns arrive seconds apart, so a
        // full inbox means the store is stuck, and waiting would stall the
        // call. Count and drop instead.
        if tx.try_send(record).is_err() {
            self.dropped.control += 1;
            tracing::error!("recorder inbox full; turn not stored");
        }
    }

    fn record_caller(&mut self, r: CallerTurnRecord) {
        let language = self.caller_language.map(|l| match l {
            SpeechLanguage::English => "en".to_owned(),
            SpeechLanguage::Hindi => "hi".to_owned(),
        });
        let turn = NewTurn {
            call_id: self.info.id.clone(),
            speaker: Speaker::Caller,
            text: r.text,
            language,
            started_at: self.at(r.speech_start_ms),
            ended_at: self.at(r.speech_end_ms),
            latency: TurnLatency {
                speech_end_ms: Some(r.speech_end_ms),
                transcript_ready_ms: Some(r.transcript_ready_ms),
                ..TurnLatency::default()
            },
            interrupted: false,
        };
        self.record(Record::Turn {
            turn,
            tool_calls: Vec::new(),
        });
    }

    fn record_agent(&mut self, r: AgentTurnRecord) {
        let reply = self.replies.remove(&r.turn);
        self.engines.observer.agent_turn(&r.latency, r.interrupted);
        if r.full_text.is_none() && r.heard.is_empty() {
            // Nothing was said and nothing was decided: not a turn.
            return;
        }
        let turn = NewTurn {
            call_id: self.info.id.clone(),
            speaker: Speaker::Agent,
            text: r.heard,
            language: reply.as_ref().map(|r| r.language.code().to_owned()),
            started_at: self.at(r.started_ms),
            ended_at: self.at(r.ended_ms),
            latency: r.latency,
            interrupted: r.interrupted,
        };
        tracing::info!(
            turn = r.turn,
            interrupted = r.interrupted,
            voice_to_voice_ms = r.latency.voice_to_voice_ms,
            agent_us = r.latency.agent_us,
            "agent turn over"
        );
        self.record(Record::Turn {
            turn,
            tool_calls: reply.map(|r| r.tool_calls).unwrap_or_default(),
        });
    }

    async fn finish(
        mut self,
        mut status: EndStatus,
        drained: bool,
    ) -> Result<CallReport, CallError> {
        let now = self.now_ms();
        // A bot turn cut by the end of the call is stored as far as it played.
        self.core.handle_hang_up(now);
        let mut ignored = status;
        self.apply_actions(&mut ignored);
        self.cancel.cancel();
        let drain = self.config.drain_timeout;
        if tokio::time::timeout(drain, async {
            while self.pumps.join_next().await.is_some() {}
        })
        .await
        .is_err()
        {
            tracing::warn!("pumps did not stop in time; aborting them");
            self.pumps.abort_all();
        }

        if drained {
            // Whatever the carrier still holds of the cut turn goes first.
            let _ = self.commands.try_send(CallerCommand::Clear);
            self.say_goodbye().await;
        }
        let last = match (status, self.transfer_reason.take()) {
            (EndStatus::Transferred, Some(reason)) => CallerCommand::Transfer { reason },
            _ => CallerCommand::HangUp,
        };
        if tokio::time::timeout(Duration::from_secs(1), self.commands.send(last))
            .await
            .map_or(true, |sent| sent.is_err())
        {
            tracing::debug!("caller connection already gone at hang-up");
        }

        // Everything recorded so far reaches the store before the call ends.
        self.recorder = None;
        let record_failures = join_recorder(&mut self.recorder_task, drain).await;
        if let Err(e) = self
            .engines
            .store
            .end_call(&self.info.id, status.as_str(), Utc::now())
            .await
        {
            tracing::error!(error = %e, "could not store the end of the call");
            status = EndStatus::Failed;
        }
        self.phase.send_replace(Phase::Ended);
        self.dropped.caller_audio = self
            .caller_audio_drops
            .load(std::sync::atomic::Ordering::Relaxed);
        self.dropped.playout_reports = self
            .playout_drops
            .load(std::sync::atomic::Ordering::Relaxed);
        for (queue, n) in [
            ("caller_audio", self.dropped.caller_audio),
            ("control", self.dropped.control),
            ("playout_reports", self.dropped.playout_reports),
        ] {
            if n > 0 {
                self.engines.observer.dropped(queue, n);
            }
        }
        self.engines.observer.call_ended(self.info.channel, status);
        tracing::info!(status = status.as_str(), dropped = ?self.dropped, "call ended");
        Ok(CallReport {
            call_id: self.info.id,
            status,
            dropped: self.dropped,
            record_failures,
        })
    }

    /// Speaks a short goodbye straight to the caller (the pumps are stopped)
    /// and stores it as the last agent turn.
    async fn say_goodbye(&mut self) {
        let text = goodbye_text(self.language);
        let started_ms = self.now_ms();
        let commands = self.commands.clone();
        let synthesizer = Arc::clone(&self.engines.synthesizer);
        let voice = voice_for_text(text);
        let spoken = tokio::time::timeout(self.config.goodbye_timeout, async move {
            let mut stream = synthesizer.synthesize(text, voice).await.ok()?;
            let mut next = Instant::now();
            while let Ok(Some((_, audio))) = stream.next().await {
                for frame in audio.samples.chunks(FRAME_SAMPLES) {
                    tokio::time::sleep_until(next).await;
                    commands
                        .send(CallerCommand::Play(AudioChunk::new(frame.to_vec())))
                        .await
                        .ok()?;
                    next += FRAME;
                }
            }
            Some(())
        })
        .await;
        if !matches!(spoken, Ok(Some(()))) {
            tracing::warn!("goodbye not fully spoken");
        }
        let ended_ms = self.now_ms();
        let turn = NewTurn {
            call_id: self.info.id.clone(),
            speaker: Speaker::Agent,
            text: text.to_owned(),
            language: Some(self.language.code().to_owned()),
            started_at: self.at(started_ms),
            ended_at: self.at(ended_ms),
            latency: TurnLatency::default(),
            interrupted: !matches!(spoken, Ok(Some(()))),
        };
        self.record(Record::Turn {
            turn,
            tool_calls: Vec::new(),
        });
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn mark_name(turn: TurnId, index: usize) -> String {
    format!("{turn}.{index}")
}

fn parse_mark(name: &str) -> Option<(TurnId, usize)> {
    let (turn, index) = name.split_once('.')?;
    Some((turn.parse().ok()?, index.parse().ok()?))
}

/// Caller events in: audio to the listener, the rest to the driver.
async fn reader(
    mut events: mpsc::Receiver<CallerEvent>,
    audio: mpsc::Sender<AudioChunk>,
    driver: mpsc::Sender<Event>,
    drops: Arc<std::sync::atomic::AtomicU64>,
    cancel: CancellationToken,
) -> PumpEnd {
    let mut line_up: Option<awaaz_audio::Resampler> = None;
    loop {
        let event = tokio::select! {
            () = cancel.cancelled() => return PumpEnd::Stopped("reader"),
            event = events.recv() => event,
        };
        let event = match event {
            // The carrier's own μ-law: decode and bring to 16 kHz here, with
            // one resampler for the whole call (no clicks between frames).
            Some(CallerEvent::LineAudio(mulaw)) => {
                let pcm = awaaz_audio::g711::ulaw_decode(&mulaw);
                let up = match line_up.as_mut() {
                    Some(r) => r,
                    None => match awaaz_audio::Resampler::new(8_000, SAMPLE_RATE_HZ) {
                        Ok(r) => line_up.insert(r),
                        Err(_) => return PumpEnd::Stopped("reader"),
                    },
                };
                Some(CallerEvent::Audio(AudioChunk::new(up.process(&pcm))))
            }
            other => other,
        };
        let forwarded = match event {
            None | Some(CallerEvent::HungUp) => return PumpEnd::CallerHungUp,
            Some(CallerEvent::Audio(chunk)) => {
                match audio.try_send(chunk) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        let n = drops.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if n.is_multiple_of(50) {
                            tracing::warn!(
                                dropped = n + 1,
                                "listener behind; caller audio dropped"
                            );
                        }
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => {
                        return PumpEnd::Stopped("reader");
                    }
                }
                Ok(())
            }
            Some(CallerEvent::Mark(name)) => driver.send(Event::Mark(name)).await,
            Some(CallerEvent::Dtmf(digit)) => driver.send(Event::Dtmf(digit)).await,
            Some(CallerEvent::LineAudio(_)) => Ok(()),
        };
        if forwarded.is_err() {
            return PumpEnd::Stopped("reader");
        }
    }
}

/// Speech detection and recognition of the caller's audio.
async fn listener(
    mut audio: mpsc::Receiver<AudioChunk>,
    driver: mpsc::Sender<Event>,
    recognizer: Arc<dyn SpeechRecognizer>,
    mut segmenter: Box<dyn Segmenter>,
    (hints, partial_every_ms): (RecognitionHints, u64),
    phase: tokio::sync::watch::Receiver<Phase>,
    cancel: CancellationToken,
) -> PumpEnd {
    // Audio from just before speech was detected (the detector needs a few
    // frames to be sure), so the recogniser hears the first syllable.
    const PREROLL_SAMPLES: usize = SAMPLE_RATE_HZ as usize / 2;
    let mut preroll: VecDeque<AudioChunk> = VecDeque::new();
    let mut preroll_samples = 0usize;
    let mut stream: Option<Box<dyn RecognitionStream>> = None;
    let mut stream_samples: u64 = 0;
    let mut since_partial_ms = 0u64;
    let mut failed_utterance = false;
    let mut in_utterance = false;
    loop {
        let woke = tokio::select! {
            () = cancel.cancelled() => return PumpEnd::Stopped("listener"),
            chunk = audio.recv() => match chunk {
                Some(chunk) => Wake::Audio(chunk),
                None => return PumpEnd::Stopped("listener"),
            },
            decoded = background_decode(&mut stream) => Wake::Decoded(decoded),
        };
        let chunk = match woke {
            Wake::Audio(chunk) => chunk,
            Wake::Decoded(Ok(())) => {
                // A background decode finished: pass its text on at once
                // rather than at the next partial tick (a pause's cue ends
                // a complete turn sooner).
                if let Some(s) = stream.as_mut() {
                    if !take_partial(s.as_mut(), segmenter.as_mut(), &driver).await {
                        return PumpEnd::Stopped("listener");
                    }
                }
                continue;
            }
            Wake::Decoded(Err(e)) => {
                tracing::debug!(error = %e, "background decode failed");
                continue;
            }
        };
        stream_samples += chunk.samples.len() as u64;
        let stream_ms = stream_samples * 1000 / u64::from(SAMPLE_RATE_HZ);
        let noticed = segmenter.push(&chunk);
        preroll_samples += chunk.samples.len();
        preroll.push_back(chunk.clone());
        while preroll_samples > PREROLL_SAMPLES + FRAME_SAMPLES && preroll.len() > 1 {
            if let Some(old) = preroll.pop_front() {
                preroll_samples -= old.samples.len();
            }
        }

        if let Some(s) = stream.as_mut() {
            if let Err(e) = s.push(&chunk).await {
                tracing::warn!(error = %e, "recogniser rejected audio; utterance dropped");
                stream = None;
                failed_utterance = true;
            } else {
                since_partial_ms += chunk.duration_ms();
                let bot_active = matches!(*phase.borrow(), Phase::BotSpeaking | Phase::Thinking);
                if (bot_active || segmenter.wants_transcripts())
                    && since_partial_ms >= partial_every_ms
                {
                    since_partial_ms = 0;
                    if !take_partial(s.as_mut(), segmenter.as_mut(), &driver).await {
                        return PumpEnd::Stopped("listener");
                    }
                }
            }
        }

        for event in noticed {
            let sent = match event {
                SegmentEvent::SpeechStopped { at_ms } => {
                    let sent = driver
                        .send(Event::SpeechStopped {
                            stream_ms,
                            at_stream_ms: at_ms,
                        })
                        .await;
                    // The caller paused: read what they said so far now, so
                    // the turn detector judges the pause by a fresh cue (a
                    // complete question ends the turn sooner) and the final
                    // decode has little left to do.
                    if let Some(s) = stream.as_mut() {
                        since_partial_ms = 0;
                        if let Err(e) = s.pause().await {
                            tracing::debug!(error = %e, "pause decode failed");
                        }
                        if !take_partial(s.as_mut(), segmenter.as_mut(), &driver).await {
                            return PumpEnd::Stopped("listener");
                        }
                    }
                    sent
                }
                SegmentEvent::Quiet { .. } => {
                    // Not a pause yet, but start transcribing: if it becomes
                    // one, its cue and the final text are ready sooner.
                    if let Some(s) = stream.as_mut() {
                        if let Err(e) = s.pause().await {
                            tracing::debug!(error = %e, "pause decode failed");
                        }
                    }
                    Ok(())
                }
                SegmentEvent::SpeechStarted { at_ms } if in_utterance => {
                    // Speech resumed after a pause: the same utterance goes on.
                    driver
                        .send(Event::SpeechStarted {
                            stream_ms,
                            at_stream_ms: at_ms,
                        })
                        .await
                }
                SegmentEvent::SpeechStarted { at_ms } => {
                    in_utterance = true;
                    since_partial_ms = 0;
                    failed_utterance = false;
                    match recognizer.start(&hints).await {
                        Ok(mut s) => {
                            for piece in &preroll {
                                if let Err(e) = s.push(piece).await {
                                    tracing::warn!(error = %e, "recogniser rejected audio");
                                    failed_utterance = true;
                                    break;
                                }
                            }
                            stream = (!failed_utterance).then_some(s);
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "recogniser failed to start; utterance dropped");
                            failed_utterance = true;
                        }
                    }
                    driver
                        .send(Event::SpeechStarted {
                            stream_ms,
                            at_stream_ms: at_ms,
                        })
                        .await
                }
                SegmentEvent::TurnEnded { speech_end_ms } => {
                    in_utterance = false;
                    let ended = driver
                        .send(Event::TurnEnded {
                            stream_ms,
                            speech_end_stream_ms: speech_end_ms,
                        })
                        .await;
                    if ended.is_err() {
                        return PumpEnd::Stopped("listener");
                    }
                    let (text, language) = match stream.take() {
                        Some(mut s) => match s.finish().await {
                            Ok(t) => (t.text, t.language),
                            Err(e) => {
                                tracing::warn!(error = %e, "recognition failed; utterance dropped");
                                (String::new(), None)
                            }
                        },
                        None => {
                            if failed_utterance {
                                tracing::debug!("utterance without transcript");
                            }
                            (String::new(), None)
                        }
                    };
                    driver.send(Event::Transcript { text, language }).await
                }
            };
            if sent.is_err() {
                return PumpEnd::Stopped("listener");
            }
        }
    }
}

/// What woke the listener.
enum Wake {
    Audio(AudioChunk),
    Decoded(Result<(), SpeechError>),
}

/// The current utterance's background decode finishing; pending without one.
async fn background_decode(
    stream: &mut Option<Box<dyn RecognitionStream>>,
) -> Result<(), SpeechError> {
    match stream {
        Some(s) => s.decoded().await,
        None => std::future::pending().await,
    }
}

/// Asks the recogniser for its latest partial transcript and passes a new,
/// non-empty one to the segmenter (a turn cue) and the driver. `false`: the
/// driver is gone.
async fn take_partial(
    stream: &mut dyn RecognitionStream,
    segmenter: &mut dyn Segmenter,
    driver: &mpsc::Sender<Event>,
) -> bool {
    match stream.partial().await {
        Ok(Some(partial)) if !partial.text.trim().is_empty() => {
            segmenter.transcript_hint(&partial.text);
            driver.send(Event::Partial(partial.text)).await.is_ok()
        }
        Ok(_) => true,
        Err(e) => {
            tracing::debug!(error = %e, "partial transcript failed");
            true
        }
    }
}

/// The agent session and the bot turns' synthesis.
async fn responder(
    mut inbox: mpsc::Receiver<ResponderCmd>,
    driver: mpsc::Sender<Event>,
    out: mpsc::Sender<Outbound>,
    mut session: Box<dyn AgentSession>,
    synthesizer: Arc<dyn SpeechSynthesizer>,
    cancel: CancellationToken,
) -> PumpEnd {
    let mut bot_turns: JoinSet<()> = JoinSet::new();
    let mut tokens: Vec<(TurnId, CancellationToken)> = Vec::new();
    loop {
        let cmd = tokio::select! {
            () = cancel.cancelled() => {
                // Stop speaking, but let the agent session go cleanly.
                for (_, token) in &tokens {
                    token.cancel();
                }
                return PumpEnd::Stopped("responder");
            }
            Some(_) = bot_turns.join_next(), if !bot_turns.is_empty() => {
                tokens.retain(|(_, t)| !t.is_cancelled());
                continue;
            }
            cmd = inbox.recv() => match cmd {
                Some(cmd) => cmd,
                None => return PumpEnd::Stopped("responder"),
            },
        };
        let (turn, answer, agent_time) = match cmd {
            ResponderCmd::Cancel { turn } => {
                for (id, token) in &tokens {
                    if *id <= turn {
                        token.cancel();
                    }
                }
                tokens.retain(|(id, _)| *id > turn);
                continue;
            }
            ResponderCmd::Truncate { heard } => {
                session.truncate_last_reply(&heard);
                continue;
            }
            ResponderCmd::Greet { turn } => {
                let t0 = Instant::now();
                let reply = session.greet(Utc::now()).await;
                (turn, reply, t0.elapsed())
            }
            ResponderCmd::Respond { turn, text } => {
                // The bot turn starts before the reply is complete: an agent
                // that streams (an LLM) hands over clause by clause and the
                // first one is spoken while the rest is still being written.
                let token = cancel.child_token();
                tokens.push((turn, token.clone()));
                let (clause_tx, clause_rx) = mpsc::channel::<String>(STREAMED_CLAUSES);
                bot_turns.spawn(
                    bot_turn(
                        turn,
                        clause_rx,
                        Arc::clone(&synthesizer),
                        out.clone(),
                        token,
                    )
                    .in_current_span(),
                );
                let mut streamed = 0usize;
                let mut hand_over = |clause: String| {
                    if clause_tx.try_send(clause).is_ok() {
                        streamed += 1;
                    } else {
                        tracing::warn!(turn, "too many streamed clauses; one dropped");
                    }
                };
                let t0 = Instant::now();
                let reply = match session
                    .respond_streaming(&text, Utc::now(), &mut hand_over)
                    .await
                {
                    Ok(reply) => reply,
                    Err(e) => {
                        tracing::error!(error = %e, "agent failed to answer");
                        let language = session.language();
                        AgentReply {
                            text: apology(language).to_owned(),
                            language,
                            tool_calls: Vec::new(),
                            ended: false,
                            action: None,
                        }
                    }
                };
                let agent_time = t0.elapsed();
                if streamed == 0 && !reply.text.trim().is_empty() {
                    // Nothing was handed over (an error, or an agent that
                    // only returns): speak the whole reply.
                    let _ = clause_tx.try_send(reply.text.clone());
                }
                drop(clause_tx);
                let agent_us = u64::try_from(agent_time.as_micros()).unwrap_or(u64::MAX);
                if driver
                    .send(Event::ReplyReady {
                        turn,
                        reply,
                        agent_us,
                    })
                    .await
                    .is_err()
                {
                    return PumpEnd::Stopped("responder");
                }
                continue;
            }
            ResponderCmd::Keypress { turn, digit } => {
                let t0 = Instant::now();
                let reply = match session.keypress(digit, Utc::now()).await {
                    Ok(Some(reply)) => reply,
                    other => {
                        if let Err(e) = other {
                            tracing::error!(error = %e, "agent failed to handle a key");
                        }
                        // 0 reaches a person even when the agent has no
                        // answer for it.
                        AgentReply {
                            text: String::new(),
                            language: session.language(),
                            tool_calls: Vec::new(),
                            ended: digit == '0',
                            action: (digit == '0').then(|| CallAction::TransferToHuman {
                                reason: "caller_pressed_0".to_owned(),
                            }),
                        }
                    }
                };
                (turn, reply, t0.elapsed())
            }
        };
        let text = answer.text.clone();
        let agent_us = u64::try_from(agent_time.as_micros()).unwrap_or(u64::MAX);
        if driver
            .send(Event::ReplyReady {
                turn,
                reply: answer,
                agent_us,
            })
            .await
            .is_err()
        {
            return PumpEnd::Stopped("responder");
        }
        let token = cancel.child_token();
        tokens.push((turn, token.clone()));
        let (clause_tx, clause_rx) = mpsc::channel::<String>(1);
        if !text.trim().is_empty() {
            let _ = clause_tx.try_send(text);
        }
        drop(clause_tx);
        bot_turns.spawn(
            bot_turn(
                turn,
                clause_rx,
                Arc::clone(&synthesizer),
                out.clone(),
                token,
            )
            .in_current_span(),
        );
    }
}

/// One bot turn: synthesise the reply text as it arrives (one or more
/// pieces, each split into clauses by the synthesiser) and queue the audio,
/// until the text ends or the turn is cancelled (barge-in). Each piece is
/// voiced by its script: Devanagari by the Hindi voice, the rest by the
/// English voice.
async fn bot_turn(
    turn: TurnId,
    mut pieces: mpsc::Receiver<String>,
    synthesizer: Arc<dyn SpeechSynthesizer>,
    out: mpsc::Sender<Outbound>,
    token: CancellationToken,
) {
    let work = async {
        let mut index = 0;
        'pieces: while let Some(text) = pieces.recv().await {
            if text.trim().is_empty() {
                continue;
            }
            let voice = voice_for_text(&text);
            match synthesizer.synthesize(&text, voice).await {
                Ok(mut stream) => loop {
                    match stream.next().await {
                        Ok(Some((clause, audio))) => {
                            let sent = out
                                .send(Outbound::Clause {
                                    turn,
                                    index,
                                    text: clause,
                                    audio,
                                })
                                .await;
                            if sent.is_err() {
                                return;
                            }
                            index += 1;
                        }
                        Ok(None) => break,
                        Err(e) => {
                            tracing::warn!(error = %e, turn, "synthesis failed; turn cut short");
                            break 'pieces;
                        }
                    }
                },
                Err(e) => {
                    tracing::warn!(error = %e, turn, "synthesis failed to start");
                    break;
                }
            }
        }
        let _ = out.send(Outbound::EndOfTurn { turn }).await;
    };
    tokio::select! {
        () = token.cancelled() => tracing::debug!(turn, "bot turn cancelled"),
        () = work => {}
    }
}

/// A queued piece of outbound audio.
#[derive(Debug)]
enum Queued {
    Frame {
        turn: TurnId,
        index: usize,
        played_after: usize,
        audio: AudioChunk,
    },
    Mark {
        turn: TurnId,
        index: usize,
    },
    TurnEnd {
        turn: TurnId,
    },
}

impl Queued {
    fn turn(&self) -> TurnId {
        match self {
            Self::Frame { turn, .. } | Self::Mark { turn, .. } | Self::TurnEnd { turn } => *turn,
        }
    }
}

/// Plays bot audio to the caller in real time, 20 ms a frame, and tells the
/// driver what has played.
async fn writer(
    mut clauses: mpsc::Receiver<Outbound>,
    mut control: mpsc::Receiver<WriterCtl>,
    commands: mpsc::Sender<CallerCommand>,
    driver: mpsc::Sender<Event>,
    playout_drops: Arc<std::sync::atomic::AtomicU64>,
    pace: bool,
    cancel: CancellationToken,
) -> PumpEnd {
    // Thirty seconds of audio: a bot turn task waits when it is that far ahead.
    const MAX_QUEUED_FRAMES: usize = 1500;
    let mut queue: VecDeque<Queued> = VecDeque::new();
    let mut cancelled_through: Option<TurnId> = None;
    let mut next = Instant::now();
    // Held by the call core while the caller talks over the bot.
    let mut paused = false;
    loop {
        let frames_queued = queue.len();
        tokio::select! {
            biased;
            () = cancel.cancelled() => return PumpEnd::Stopped("writer"),
            ctl = control.recv() => match ctl {
                Some(WriterCtl::Cancel { turn }) => {
                    cancelled_through = Some(cancelled_through.map_or(turn, |t| t.max(turn)));
                    queue.retain(|q| q.turn() > turn);
                    paused = false;
                }
                Some(WriterCtl::Pause) => paused = true,
                Some(WriterCtl::Resume) => {
                    if paused {
                        paused = false;
                        next = next.max(Instant::now());
                    }
                }
                Some(WriterCtl::Clear) => {
                    if commands.send(CallerCommand::Clear).await.is_err() {
                        return PumpEnd::Stopped("writer");
                    }
                }
                None => return PumpEnd::Stopped("writer"),
            },
            () = tokio::time::sleep_until(next), if !queue.is_empty() && !paused => {
                let now = Instant::now();
                // Play the head frame, then any marks and turn ends that
                // follow it become due 20 ms later, when the frame has played.
                if let Some(item) = queue.pop_front() {
                    match item {
                        Queued::Frame { turn, index, played_after, audio } => {
                            if commands.send(CallerCommand::Play(audio)).await.is_err() {
                                return PumpEnd::Stopped("writer");
                            }
                            let report = Event::Played { turn, index, samples: played_after };
                            if driver.try_send(report).is_err() {
                                playout_drops.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                            // After a stall, restart the clock rather than burst.
                            next = if !pace {
                                now
                            } else if next + FRAME * 5 < now {
                                now + FRAME
                            } else {
                                next + FRAME
                            };
                        }
                        Queued::Mark { turn, index } => {
                            if commands.send(CallerCommand::Mark(mark_name(turn, index))).await.is_err() {
                                return PumpEnd::Stopped("writer");
                            }
                        }
                        Queued::TurnEnd { turn } => {
                            if driver.send(Event::TurnPlayed { turn }).await.is_err() {
                                return PumpEnd::Stopped("writer");
                            }
                        }
                    }
                }
            }
            clause = clauses.recv(), if frames_queued < MAX_QUEUED_FRAMES => match clause {
                Some(Outbound::Clause { turn, index, text, audio }) => {
                    if cancelled_through.is_some_and(|t| turn <= t) {
                        continue;
                    }
                    let samples = audio.samples.len();
                    let queued = Event::ClauseQueued { turn, index, text, samples };
                    if driver.send(queued).await.is_err() {
                        return PumpEnd::Stopped("writer");
                    }
                    if queue.is_empty() && next < Instant::now() {
                        next = Instant::now();
                    }
                    let mut played = 0;
                    for frame in audio.samples.chunks(FRAME_SAMPLES) {
                        played += frame.len();
                        queue.push_back(Queued::Frame {
                            turn,
                            index,
                            played_after: played,
                            audio: AudioChunk::new(frame.to_vec()),
                        });
                    }
                    queue.push_back(Queued::Mark { turn, index });
                }
                Some(Outbound::EndOfTurn { turn }) => {
                    if cancelled_through.is_some_and(|t| turn <= t) {
                        continue;
                    }
                    if queue.is_empty() && next < Instant::now() {
                        next = Instant::now();
                    }
                    queue.push_back(Queued::TurnEnd { turn });
                }
                // Every bot turn task is gone and the responder stopped.
                None => return PumpEnd::Stopped("writer"),
            },
        }
    }
}

/// Waits (at most `drain`) for a call's recorder to store what it was
/// given; returns how many writes failed (a recorder that panicked or
/// overran counts as one).
pub(crate) async fn join_recorder(recorder: &mut JoinSet<u64>, drain: Duration) -> u64 {
    match tokio::time::timeout(drain, recorder.join_next()).await {
        Ok(Some(Ok(failures))) => failures,
        Ok(None) => 0,
        Ok(Some(Err(e))) => {
            tracing::error!(error = %e, "recorder failed");
            1
        }
        Err(_) => {
            tracing::error!("recorder did not finish in time");
            recorder.abort_all();
            1
        }
    }
}

/// Stores turns and tool calls in order; returns how many writes failed.
async fn recorder(
    mut inbox: mpsc::Receiver<Record>,
    store: Arc<dyn Store>,
    observer: Arc<dyn CallObserver>,
    call_id: CallId,
) -> u64 {
    let mut failures = 0;
    while let Some(Record::Turn { turn, tool_calls }) = inbox.recv().await {
        let created_at = turn.started_at;
        let stored = match store.append_turn(turn).await {
            Ok(stored) => Some(stored.id),
            Err(e) => {
                failures += 1;
                tracing::error!(error = %e, "could not store a turn");
                None
            }
        };
        for call in tool_calls {
            observer.tool_call(&call.name, call.ok);
            let record = NewToolCall {
                call_id: call_id.clone(),
                turn_id: stored,
                name: call.name,
                arguments: call.arguments,
                result: call.result,
                ok: call.ok,
                duration_us: call.duration_us,
                created_at,
            };
            if let Err(e) = store.record_tool_call(record).await {
                failures += 1;
                tracing::error!(error = %e, "could not store a tool call");
            }
        }
    }
    failures
}
