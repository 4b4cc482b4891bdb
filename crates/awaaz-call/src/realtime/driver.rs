//! The async side of a realtime call: [`Driver`] and its pumps.
//!
//! One task per call runs the driver loop; the pumps live in the call's
//! `JoinSet` under one `CancellationToken` and the first one to end ends
//! the call:
//!
//! * **carrier reader** — caller events in: audio converted to the session
//!   format and handed to the model writer (dropped and counted when it is
//!   behind), marks and key presses to the driver;
//! * **model writer** — owns the socket's sending half: caller audio
//!   (`input_audio_buffer.append`) and the driver's events, in order; it
//!   outlives a model connection (the driver attaches the next one);
//! * **paced writer** — plays frames to the caller in real time, 20 ms a
//!   frame, sends each mark right after the frame before it, and reports
//!   what it sent;
//! * **recorder** — stores turns, tool calls and usage in order.
//!
//! The model reader (one per model connection) and tool runs are the
//! driver's children too, in their own sets: a lost model connection is
//! re-dialled, not the end of the call.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use awaaz_agent::tools::ToolContext;
use awaaz_agent::ToolCallOutcome;
use awaaz_realtime::{
    ClientEvent, Cost, ErrorEvent, Item, RealtimeClient, RealtimeError, RealtimeReceiver,
    RealtimeSender, Response, ResponseConfig, ResponseStatus, ServerEvent, SpeechStarted,
    ToolChoice, Usage,
};
use awaaz_store::{
    CallId, CallUsage, NewCall, NewToolCall, NewTransfer, NewTurn, Speaker, Store, TurnLatency,
};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::audio::{AudioPath, Frame, InboundAudio, OutboundAudio};
use super::playout::{heard_text, mark_name, parse_mark, Playout};
use super::RealtimeEngines;
use crate::connection::{CallerCommand, CallerConnection, CallerEvent};
use crate::core::{EndStatus, Phase};
use crate::driver::{join_recorder, CallConfig, CallInfo, CallReport, DropCounts};
use crate::observer::CallObserver;
use crate::CallError;

/// `transfer_to_human`, as the tools name it.
const TRANSFER: &str = "transfer_to_human";
/// How long an ending (transfer, hang-up) waits for the model's last words
/// to be said and played before it happens anyway.
const END_WAIT_US: u64 = 20_000_000;
/// Without a mark echo, the last frame sent counts as heard this long after
/// it was sent (transports that cannot report playout).
const PLAYED_GRACE_US: u64 = 800_000;
/// The driver's housekeeping tick (endings, settled turns).
const TICK: Duration = Duration::from_millis(100);
/// Turns of the conversation re-sent to a new model session.
const SUMMARY_TURNS: usize = 30;
/// A mark goes to the caller's side after at least this much audio (and at
/// the end of each item); between marks, what was heard is timed.
const MARK_EVERY_US: u64 = 100_000;
/// The paced writer holds at most this much audio (60 s); beyond it the
/// driver waits.
const MAX_QUEUED_FRAMES: usize = 3_000;
/// Why a call is handed to a person when the model is gone (for the
/// carrier's records).
const MODEL_UNAVAILABLE: &str = "model_unavailable";

const GREETING: &str = "The call has just connected. Greet the caller in one short sentence, \
    in Hinglish, as the shop's customer-service agent, and ask how you can help.";
const TRANSFER_LINE: &str = "Tell the caller in one short sentence, in their language, that \
    you are connecting them to a colleague now. Do not call any tool.";
const GOODBYE_LINE: &str = "Say a short, warm goodbye in one sentence, in the caller's \
    language. Do not call any tool.";
const SHUTDOWN_LINE: &str = "The service has to end this call now. Apologise in one short \
    sentence, in the caller's language, ask them to call again, and say goodbye. Do not call \
    any tool.";
const RECONNECTED_NOTE: &str = "The connection to the caller was interrupted for a moment and \
    is back. The conversation so far is above. Continue it naturally; do not greet again.";

/// A model connection to use, and the events to send on it first.
pub(super) struct Link {
    pub(super) sender: RealtimeSender,
    pub(super) receiver: RealtimeReceiver,
    pub(super) setup: Vec<ClientEvent>,
}

/// Everything the pumps tell the driver.
#[derive(Debug)]
enum Event {
    Mark(String),
    Dtmf(char),
    Model {
        gen: u64,
        event: Box<ServerEvent>,
    },
    ModelAudio {
        gen: u64,
        response_id: String,
        item_id: String,
        audio: Vec<u8>,
    },
    ModelSendFailed {
        gen: u64,
    },
    Played {
        seq: u64,
        end_us: u64,
        at: Instant,
    },
}

/// What ended a pump.
#[derive(Debug)]
enum PumpEnd {
    CallerHungUp,
    Stopped(&'static str),
}

/// What ended a model-link task.
enum LinkEnd {
    Lost { gen: u64 },
    Reconnected(Result<(RealtimeSender, RealtimeReceiver), RealtimeError>),
}

/// The model writer's control inbox.
enum ModelCtl {
    Attach {
        gen: u64,
        sender: RealtimeSender,
        setup: Vec<ClientEvent>,
    },
    Send {
        gen: u64,
        event: ClientEvent,
    },
    Detach,
}

/// Audio and marks for the paced writer.
#[derive(Debug)]
enum Outbound {
    Frame { seq: u64, end_us: u64, frame: Frame },
    Mark { seq: u64, name: String },
}

impl Outbound {
    fn seq(&self) -> u64 {
        match self {
            Self::Frame { seq, .. } | Self::Mark { seq, .. } => *seq,
        }
    }
}

/// The paced writer's control inbox (separate, so it never waits behind
/// queued audio).
#[derive(Debug)]
enum WriterCtl {
    /// Drop everything of items up to `through_seq` and tell the transport
    /// to drop what it holds.
    Clear { through_seq: u64 },
}

/// What the recorder stores.
#[derive(Debug)]
enum Record {
    Turn {
        turn: NewTurn,
        tool_calls: Vec<ToolCallOutcome>,
    },
    /// Tool calls no stored turn answered.
    ToolCalls(Vec<ToolCallOutcome>),
    Usage(CallUsage),
}

/// A finished tool run.
struct ToolDone {
    gen: u64,
    response_id: String,
    call_id: String,
    outcome: ToolCallOutcome,
}

/// The call is to end once the model's last words have played.
#[derive(Debug)]
struct PendingEnd {
    status: EndStatus,
    command: CallerCommand,
    deadline_us: u64,
    /// A closing response was asked for and has not finished.
    wait_for_response: bool,
}

/// How the call ends.
#[derive(Debug)]
struct Ending {
    status: EndStatus,
    command: CallerCommand,
}

/// Function calls of one response.
#[derive(Debug, Default)]
struct ResponseCalls {
    outstanding: usize,
    answered: usize,
    done: bool,
}

/// One caller utterance (a user item).
#[derive(Debug, Clone, Copy)]
struct CallerSpeech {
    started_us: u64,
    stopped_us: Option<u64>,
}

/// What the driver knows about an assistant item besides its playout.
#[derive(Debug, Default)]
struct AgentItem {
    response_id: String,
    generated_bytes: u64,
    total_bytes: u64,
    transcript: String,
    transcript_done: bool,
    response_done: bool,
    /// When the caller stopped speaking before this item (its turn's
    /// voice-to-voice start).
    after_speech_us: Option<u64>,
    first_delta_us: u64,
}

/// One line of the conversation, for a new model session after a reconnect.
#[derive(Debug, Clone)]
enum Said {
    Caller(String),
    Agent(String),
    Tool { name: String, output: String },
}

fn ms(us: u64) -> u64 {
    us / 1_000
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// One realtime call.
pub(super) struct Driver {
    engines: RealtimeEngines,
    config: CallConfig,
    info: CallInfo,
    path: AudioPath,
    started: Instant,
    started_at: DateTime<Utc>,
    shutdown: CancellationToken,
    draining: bool,
    /// Cancels every pump (the call is over).
    cancel: CancellationToken,
    pumps: JoinSet<PumpEnd>,
    links: JoinSet<LinkEnd>,
    tools_running: JoinSet<ToolDone>,
    events: mpsc::Receiver<Event>,
    event_tx: mpsc::Sender<Event>,
    model: mpsc::Sender<ModelCtl>,
    out: mpsc::Sender<Outbound>,
    writer: mpsc::Sender<WriterCtl>,
    recorder: Option<mpsc::Sender<Record>>,
    recorder_task: JoinSet<u64>,
    commands: mpsc::Sender<CallerCommand>,
    phase: watch::Sender<Phase>,
    /// The session instructions, the base of per-response instructions.
    instructions: String,
    // The model link.
    gen: u64,
    link_up: bool,
    reconnects_left: u32,
    /// After a reconnect, ask the model to answer (it was answering, or
    /// the caller had just spoken).
    resume_answer: bool,
    // Audio out.
    outbound: OutboundAudio,
    playout: Playout,
    /// The item whose audio is being framed.
    framing: Option<String>,
    agent_items: HashMap<String, AgentItem>,
    stale_responses: HashSet<String>,
    responses_with_audio: HashSet<String>,
    active_response: Option<String>,
    // Tools.
    function_names: HashMap<String, String>,
    handled_calls: HashSet<String>,
    response_calls: HashMap<String, ResponseCalls>,
    /// Tool runs not yet stored with a turn: (finished at, outcome).
    finished_tools: Vec<(u64, ToolCallOutcome)>,
    // The conversation.
    caller_speech: HashMap<String, CallerSpeech>,
    last_speech_stopped_us: Option<u64>,
    said: VecDeque<Said>,
    // Usage.
    usage: CallUsage,
    cost: Cost,
    // Ending.
    pending_end: Option<PendingEnd>,
    // Drops.
    dropped: DropCounts,
    audio_drops: Arc<AtomicU64>,
    playout_drops: Arc<AtomicU64>,
    stale_deltas: u64,
}

impl Driver {
    pub(super) async fn start(
        engines: RealtimeEngines,
        config: CallConfig,
        info: CallInfo,
        connection: CallerConnection,
        link: Link,
        path: AudioPath,
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

        let cap = config.channel_capacity.max(1);
        let cancel = CancellationToken::new();
        // Server events come in bursts (a response's deltas), played-frame
        // reports at 50 a second: room for both.
        let (event_tx, event_rx) = mpsc::channel(cap.max(64) * 4);
        let (audio_tx, audio_rx) = mpsc::channel(config.audio_queue_chunks.max(1));
        let (model_tx, model_rx) = mpsc::channel(cap);
        let (out_tx, out_rx) = mpsc::channel(cap.max(64) * 4);
        let (writer_tx, writer_rx) = mpsc::channel(cap);
        let (record_tx, record_rx) = mpsc::channel(cap);
        let audio_drops = Arc::new(AtomicU64::new(0));
        let playout_drops = Arc::new(AtomicU64::new(0));

        let CallerConnection {
            events,
            commands,
            phase,
        } = connection;

        let mut pumps = JoinSet::new();
        pumps.spawn(
            carrier_reader(
                events,
                audio_tx,
                event_tx.clone(),
                InboundAudio::new(path),
                Arc::clone(&audio_drops),
                cancel.clone(),
            )
            .in_current_span(),
        );
        pumps.spawn(
            model_writer(
                audio_rx,
                model_rx,
                event_tx.clone(),
                Arc::clone(&audio_drops),
                cancel.clone(),
            )
            .in_current_span(),
        );
        pumps.spawn(
            paced_writer(
                out_rx,
                writer_rx,
                commands.clone(),
                event_tx.clone(),
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
        phase.send_replace(Phase::Listening);

        let instructions = engines.instructions(info.caller.is_some(), started_at);
        let mut driver = Self {
            outbound: OutboundAudio::new(path),
            engines,
            config,
            info,
            path,
            started,
            started_at,
            shutdown,
            draining: false,
            cancel,
            pumps,
            links: JoinSet::new(),
            tools_running: JoinSet::new(),
            events: event_rx,
            event_tx,
            model: model_tx,
            out: out_tx,
            writer: writer_tx,
            recorder: Some(record_tx),
            recorder_task,
            commands,
            phase,
            instructions,
            gen: 0,
            link_up: false,
            reconnects_left: 1,
            resume_answer: false,
            playout: Playout::new(),
            framing: None,
            agent_items: HashMap::new(),
            stale_responses: HashSet::new(),
            responses_with_audio: HashSet::new(),
            active_response: None,
            function_names: HashMap::new(),
            handled_calls: HashSet::new(),
            response_calls: HashMap::new(),
            finished_tools: Vec::new(),
            caller_speech: HashMap::new(),
            last_speech_stopped_us: None,
            said: VecDeque::new(),
            usage: CallUsage::default(),
            cost: Cost::default(),
            pending_end: None,
            dropped: DropCounts::default(),
            audio_drops,
            playout_drops,
            stale_deltas: 0,
        };
        let Link {
            sender,
            receiver,
            mut setup,
        } = link;
        setup.push(driver.response_with(GREETING));
        driver.attach(sender, receiver, setup).await;
        Ok(driver)
    }

    fn now_us(&self) -> u64 {
        micros(self.started.elapsed())
    }

    fn us_at(&self, at: Instant) -> u64 {
        micros(at.saturating_duration_since(self.started))
    }

    fn at(&self, us: u64) -> DateTime<Utc> {
        self.started_at + chrono::Duration::microseconds(i64::try_from(us).unwrap_or(i64::MAX))
    }

    /// `response.create` with this call's instructions plus `directive`, and
    /// no tools (a closing line or a greeting needs none).
    fn response_with(&self, directive: &str) -> ClientEvent {
        ClientEvent::create_response_with(ResponseConfig {
            instructions: Some(format!("{}\nNow: {directive}\n", self.instructions)),
            tool_choice: Some(ToolChoice::None),
            ..ResponseConfig::default()
        })
    }

    /// Hands a new model connection to the model writer and starts its
    /// reader.
    async fn attach(
        &mut self,
        sender: RealtimeSender,
        receiver: RealtimeReceiver,
        setup: Vec<ClientEvent>,
    ) {
        self.gen += 1;
        let gen = self.gen;
        if self
            .model
            .send(ModelCtl::Attach { gen, sender, setup })
            .await
            .is_err()
        {
            return;
        }
        self.link_up = true;
        self.links.spawn(
            model_reader(gen, receiver, self.event_tx.clone(), self.cancel.clone())
                .in_current_span(),
        );
    }

    async fn send_model(&mut self, event: ClientEvent) {
        if !self.link_up {
            return;
        }
        let gen = self.gen;
        if self
            .model
            .send(ModelCtl::Send { gen, event })
            .await
            .is_err()
        {
            self.dropped.control += 1;
        }
    }

    async fn send_out(&mut self, out: Outbound) {
        if self.out.send(out).await.is_err() {
            self.dropped.control += 1;
        }
    }

    fn send_writer(&mut self, ctl: WriterCtl) {
        if self.writer.try_send(ctl).is_err() {
            self.dropped.control += 1;
            tracing::warn!("writer inbox full; command dropped");
        }
    }

    fn record(&mut self, record: Record) {
        let Some(tx) = &self.recorder else {
            return;
        };
        // Records come seconds apart: a full inbox means the store is stuck,
        // and waiting would stall the call. Count and drop instead.
        if tx.try_send(record).is_err() {
            self.dropped.control += 1;
            tracing::error!("recorder inbox full; record dropped");
        }
    }

    fn set_phase(&self, phase: Phase) {
        self.phase.send_if_modified(|p| {
            let changed = *p != phase;
            *p = phase;
            changed
        });
    }

    pub(super) async fn run(mut self) -> Result<CallReport, CallError> {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let ending = loop {
            let now = self.now_us();
            self.settle(now);
            if let Some(ending) = self.ready_to_end(now) {
                break ending;
            }
            tokio::select! {
                () = self.shutdown.cancelled(), if !self.draining => self.drain().await,
                event = self.events.recv() => match event {
                    Some(event) => self.handle_event(event).await,
                    None => break self.failed(),
                },
                Some(ended) = self.pumps.join_next() => {
                    break match ended {
                        Ok(PumpEnd::CallerHungUp) => {
                            tracing::info!("caller hung up");
                            Ending {
                                status: self
                                    .pending_end
                                    .as_ref()
                                    .map_or(EndStatus::Completed, |p| p.status),
                                command: CallerCommand::HangUp,
                            }
                        }
                        Ok(PumpEnd::Stopped(pump)) => {
                            tracing::warn!(pump, "pump stopped");
                            self.failed()
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "pump panicked");
                            self.failed()
                        }
                    };
                }
                Some(ended) = self.links.join_next(), if !self.links.is_empty() => {
                    if let Ok(ended) = ended {
                        self.on_link_end(ended).await;
                    }
                }
                Some(done) = self.tools_running.join_next(), if !self.tools_running.is_empty() => {
                    match done {
                        Ok(done) => self.on_tool_done(done).await,
                        Err(e) => tracing::error!(error = %e, "tool task failed"),
                    }
                }
                _ = tick.tick() => {}
            }
        };
        self.finish(ending).await
    }

    fn failed(&self) -> Ending {
        Ending {
            status: EndStatus::Failed,
            command: CallerCommand::HangUp,
        }
    }

    async fn handle_event(&mut self, event: Event) {
        let now = self.now_us();
        match event {
            Event::Mark(name) => {
                if let Some((item, end_ms)) = parse_mark(&name) {
                    self.playout.on_mark(item, end_ms, now);
                }
            }
            Event::Dtmf(digit) => self.on_keypress(digit).await,
            Event::Played { seq, end_us, at } => {
                let at_us = self.us_at(at);
                self.playout.on_sent(seq, end_us, at_us);
                self.set_phase(Phase::BotSpeaking);
            }
            Event::ModelSendFailed { gen } => self.link_lost(gen).await,
            Event::ModelAudio {
                gen,
                response_id,
                item_id,
                audio,
            } if gen == self.gen => self.on_audio(response_id, item_id, &audio, now).await,
            Event::Model { gen, event } if gen == self.gen => {
                self.on_server_event(*event, now).await;
            }
            // From a model connection that is gone.
            Event::ModelAudio { .. } | Event::Model { .. } => {}
        }
    }

    async fn on_server_event(&mut self, event: ServerEvent, now: u64) {
        match event {
            ServerEvent::SessionCreated(_) | ServerEvent::SessionUpdated(_) => {
                tracing::debug!(event = event.event_type(), "session");
            }
            ServerEvent::Error(e) => self.on_error(&e),
            ServerEvent::InputAudioBufferSpeechStarted(e) => self.on_speech_started(&e, now).await,
            ServerEvent::InputAudioBufferSpeechStopped(e) => {
                if let Some(speech) = self.caller_speech.get_mut(&e.item_id) {
                    speech.stopped_us = Some(now);
                }
                self.last_speech_stopped_us = Some(now);
                self.set_phase(Phase::Thinking);
            }
            ServerEvent::InputAudioTranscriptionCompleted(e) => {
                let speech = self.caller_speech.remove(&e.item_id);
                self.record_caller(e.transcript.as_str(), speech, now);
            }
            ServerEvent::InputAudioTranscriptionFailed(e) => {
                tracing::warn!(code = ?e.error.code, "caller transcription failed");
            }
            ServerEvent::ResponseCreated(e) => {
                self.active_response = e.response.id.clone();
            }
            ServerEvent::ResponseOutputItemAdded(e) => {
                if let Item::FunctionCall(call) = &e.item {
                    if let Some(id) = &call.id {
                        self.function_names.insert(id.clone(), call.name.clone());
                    }
                }
            }
            ServerEvent::ResponseOutputItemDone(e) => {
                // Servers that skip `function_call_arguments.done` still
                // finish the item.
                if let Item::FunctionCall(call) = e.item {
                    let completed = call
                        .status
                        .is_none_or(|s| s == awaaz_realtime::ItemStatus::Completed);
                    if let (Some(call_id), true) = (call.call_id, completed) {
                        self.on_function_call(
                            e.response_id,
                            call_id,
                            call.name,
                            call.arguments.into_inner(),
                        )
                        .await;
                    }
                }
            }
            ServerEvent::ResponseFunctionCallArgumentsDone(e) => {
                let name = e
                    .name
                    .clone()
                    .or_else(|| self.function_names.get(&e.item_id).cloned())
                    .unwrap_or_default();
                self.on_function_call(e.response_id, e.call_id, name, e.arguments.into_inner())
                    .await;
            }
            ServerEvent::ResponseOutputAudioDone(e) => {
                self.audio_done(&e.item_id).await;
            }
            ServerEvent::ResponseOutputAudioTranscriptDelta(e) => {
                let item = self.agent_item(&e.item_id, &e.response_id, now);
                item.transcript.push_str(e.delta.as_str());
            }
            ServerEvent::ResponseOutputAudioTranscriptDone(e) => {
                let item = self.agent_item(&e.item_id, &e.response_id, now);
                item.transcript = e.transcript.into_inner();
                item.transcript_done = true;
            }
            ServerEvent::ResponseDone(e) => self.on_response_done(&e.response).await,
            other => tracing::trace!(event = other.event_type(), "server event"),
        }
    }

    /// A key press reaches the model as a note from the caller's side, and
    /// the model answers it (unless it is answering already).
    async fn on_keypress(&mut self, digit: char) {
        if !digit.is_ascii_digit() && digit != '*' && digit != '#' {
            return;
        }
        tracing::debug!("caller pressed a key");
        let note = format!("(The caller pressed {digit} on the phone keypad.)");
        self.send_model(ClientEvent::create_item(Item::user_text(note)))
            .await;
        if self.active_response.is_none() {
            self.send_model(ClientEvent::create_response()).await;
        }
    }

    fn agent_item(&mut self, item_id: &str, response_id: &str, now: u64) -> &mut AgentItem {
        self.agent_items
            .entry(item_id.to_owned())
            .or_insert_with(|| AgentItem {
                response_id: response_id.to_owned(),
                first_delta_us: now,
                ..AgentItem::default()
            })
    }

    fn on_error(&mut self, e: &ErrorEvent) {
        if e.error.is_benign() {
            tracing::debug!(code = ?e.error.code, "model reported a benign race");
            return;
        }
        self.usage.model_errors += 1;
        // The message can quote what was sent; log only the codes.
        tracing::warn!(
            error_type = %e.error.error_type,
            code = ?e.error.code,
            param = ?e.error.param,
            "model reported an error"
        );
    }

    async fn on_speech_started(&mut self, e: &SpeechStarted, now: u64) {
        self.caller_speech.insert(
            e.item_id.clone(),
            CallerSpeech {
                started_us: now,
                stopped_us: None,
            },
        );
        self.set_phase(Phase::CallerSpeaking);
        // The service cancels the response in progress (interrupt_response);
        // whatever of it is still on its way is stale.
        if let Some(active) = self.active_response.clone() {
            self.stale_responses.insert(active);
        }
        self.cut(now).await;
    }

    /// Barge-in: stops the model's audio at once and truncates every item
    /// at what the caller heard.
    async fn cut(&mut self, now: u64) {
        let cuts = self.playout.barge_in(now);
        if cuts.is_empty() {
            return;
        }
        self.outbound.reset();
        self.framing = None;
        let through_seq = self.playout.last_seq();
        self.send_writer(WriterCtl::Clear { through_seq });
        for cut in &cuts {
            self.send_model(ClientEvent::truncate(cut.item_id.clone(), cut.audio_end_ms))
                .await;
        }
        tracing::info!(
            items = cuts.len(),
            audio_end_ms = cuts.first().map(|c| c.audio_end_ms),
            "barge-in: model audio cut"
        );
    }

    async fn on_audio(&mut self, response_id: String, item_id: String, audio: &[u8], now: u64) {
        let bytes = audio.len() as u64;
        if self.stale_responses.contains(&response_id) || self.playout.is_truncated(&item_id) {
            self.stale_deltas += 1;
            if let Some(item) = self.agent_items.get_mut(&item_id) {
                item.total_bytes += bytes;
                let total_us = self.path.model_us(item.total_bytes);
                if let Some(p) = self.playout.item_mut(&item_id) {
                    p.total_us = total_us;
                }
            }
            return;
        }
        if self.framing.as_deref() != Some(item_id.as_str()) {
            self.flush_framing().await;
            self.framing = Some(item_id.clone());
        }
        let is_new = self.playout.item(&item_id).is_none();
        let after_speech = if is_new {
            self.last_speech_stopped_us.take()
        } else {
            None
        };
        self.responses_with_audio.insert(response_id.clone());
        let path = self.path;
        let item = self.agent_item(&item_id, &response_id, now);
        if is_new {
            item.after_speech_us = after_speech;
            item.first_delta_us = now;
        }
        item.generated_bytes += bytes;
        item.total_bytes += bytes;
        let (generated_us, total_us) = (
            path.model_us(item.generated_bytes),
            path.model_us(item.total_bytes),
        );
        let playout = self.playout.item_or_insert(&item_id, &response_id, now);
        playout.generated_us = generated_us;
        playout.total_us = total_us;
        let (seq, queued_us) = (playout.seq, playout.queued_us);
        let frames = self.outbound.push(audio);
        self.queue_frames(&item_id, seq, queued_us, frames, false)
            .await;
    }

    /// Hands `frames` of an item to the paced writer, then a mark when
    /// [`MARK_EVERY_US`] of audio went out since the last one, or the item's
    /// audio is complete (`closing`).
    async fn queue_frames(
        &mut self,
        item_id: &str,
        seq: u64,
        queued_us: u64,
        frames: Vec<Frame>,
        closing: bool,
    ) {
        let mut end_us = queued_us;
        for frame in frames {
            end_us += frame.duration_us();
            self.send_out(Outbound::Frame { seq, end_us, frame }).await;
        }
        let Some(item) = self.playout.item_mut(item_id) else {
            return;
        };
        item.queued_us = end_us;
        let due = closing || end_us >= item.mark_sent_us + MARK_EVERY_US;
        if !due || end_us <= item.mark_sent_us {
            return;
        }
        item.mark_sent_us = end_us;
        let name = mark_name(item_id, ms(end_us));
        self.send_out(Outbound::Mark { seq, name }).await;
    }

    /// Frames what is left of the item being framed.
    async fn flush_framing(&mut self) {
        let Some(item_id) = self.framing.take() else {
            return;
        };
        let Some((seq, queued_us, cut)) = self
            .playout
            .item(&item_id)
            .map(|i| (i.seq, i.queued_us, i.truncated_us.is_some()))
        else {
            self.outbound.reset();
            return;
        };
        if cut {
            self.outbound.reset();
            return;
        }
        let frames = self.outbound.finish();
        self.queue_frames(&item_id, seq, queued_us, frames, true)
            .await;
    }

    async fn audio_done(&mut self, item_id: &str) {
        if self.framing.as_deref() == Some(item_id) {
            self.flush_framing().await;
        }
        if let Some(item) = self.playout.item_mut(item_id) {
            item.audio_done = true;
        }
    }

    async fn on_response_done(&mut self, response: &Response) {
        let id = response.id.clone().unwrap_or_default();
        if self.active_response.as_deref() == Some(id.as_str()) || response.id.is_none() {
            self.active_response = None;
        }
        if let Some(usage) = &response.usage {
            self.add_usage(usage);
        }
        if response.status == Some(ResponseStatus::Failed) {
            self.usage.model_errors += 1;
            let code = response
                .status_details
                .as_ref()
                .and_then(|d| d.error.as_ref())
                .and_then(|e| e.code.clone());
            tracing::warn!(code = ?code, "model response failed");
        }
        // Every item of the response is complete now.
        let items: Vec<String> = self
            .playout
            .items()
            .filter(|i| i.response_id == id && !i.audio_done)
            .map(|i| i.item_id.clone())
            .collect();
        for item in items {
            self.audio_done(&item).await;
        }
        let playout = &self.playout;
        self.agent_items.retain(|item_id, item| {
            // Words of items that never reached the caller are not a turn.
            item.response_id != id || playout.item(item_id).is_some()
        });
        for item in self.agent_items.values_mut() {
            if item.response_id == id {
                item.response_done = true;
            }
        }
        if let Some(calls) = self.response_calls.get_mut(&id) {
            calls.done = true;
        }
        // The closing line asked for is over (a response cancelled on the
        // way — the one cut for a drain — is not it).
        if !self.stale_responses.contains(&id) {
            if let Some(end) = self.pending_end.as_mut() {
                end.wait_for_response = false;
            }
        }
        self.follow_up(&id).await;
    }

    fn add_usage(&mut self, usage: &Usage) {
        let u = &mut self.usage;
        u.input_tokens += usage.input_tokens;
        u.output_tokens += usage.output_tokens;
        if let Some(d) = &usage.input_token_details {
            u.audio_in_tokens += d.audio_tokens;
            u.cached_tokens += d.cached_tokens;
        }
        if let Some(d) = &usage.output_token_details {
            u.audio_out_tokens += d.audio_tokens;
        }
        self.cost += self.engines.prices.cost(usage);
    }

    async fn on_function_call(
        &mut self,
        response_id: String,
        call_id: String,
        name: String,
        arguments: String,
    ) {
        if call_id.is_empty() || !self.handled_calls.insert(call_id.clone()) {
            return;
        }
        // A call cut off by the caller (its arguments never finished) is
        // not run: the caller said something else meanwhile.
        if self.stale_responses.contains(&response_id) || arguments.trim().is_empty() {
            tracing::debug!(tool = %name, "function call of a cancelled response not run");
            return;
        }
        self.response_calls
            .entry(response_id.clone())
            .or_default()
            .outstanding += 1;
        let gen = self.gen;
        if name == awaaz_agent::llm::END_CALL {
            let arguments = serde_json::from_str::<Value>(&arguments)
                .ok()
                .filter(Value::is_object)
                .unwrap_or_else(|| json!({}));
            let outcome = ToolCallOutcome {
                name,
                arguments,
                result: json!({ "ended": true }),
                ok: true,
                duration_us: 0,
            };
            self.on_tool_done(ToolDone {
                gen,
                response_id,
                call_id,
                outcome,
            })
            .await;
            return;
        }
        let tools = Arc::clone(&self.engines.tools);
        let ctx = ToolContext {
            call_id: self.info.id.clone(),
            caller: self.info.caller.clone(),
            now: Utc::now(),
            record: false,
        };
        let span = tracing::info_span!("tool", name = %name);
        self.tools_running.spawn(
            async move {
                let outcome = tools.call(&name, Value::String(arguments), &ctx).await;
                ToolDone {
                    gen,
                    response_id,
                    call_id,
                    outcome,
                }
            }
            .instrument(span),
        );
    }

    async fn on_tool_done(&mut self, done: ToolDone) {
        let now = self.now_us();
        let ToolDone {
            gen,
            response_id,
            call_id,
            outcome,
        } = done;
        tracing::info!(
            tool = %outcome.name,
            ok = outcome.ok,
            duration_us = outcome.duration_us,
            "tool ran"
        );
        let output = outcome.result.to_string();
        if outcome.name == TRANSFER && outcome.ok {
            let reason = outcome.result["reason"]
                .as_str()
                .unwrap_or("caller_asked")
                .to_owned();
            self.end_after_words(EndStatus::Transferred, CallerCommand::Transfer { reason });
        } else if outcome.name == awaaz_agent::llm::END_CALL {
            self.end_after_words(EndStatus::Completed, CallerCommand::HangUp);
        }
        self.remember(Said::Tool {
            name: outcome.name.clone(),
            output: output.clone(),
        });
        self.finished_tools.push((now, outcome));
        if gen == self.gen && self.link_up {
            self.send_model(ClientEvent::function_call_output(call_id, output))
                .await;
            if let Some(calls) = self.response_calls.get_mut(&response_id) {
                calls.outstanding = calls.outstanding.saturating_sub(1);
                calls.answered += 1;
            }
            self.follow_up(&response_id).await;
        } else if self.link_up {
            // The session that asked is gone; tell the new one.
            let name = self
                .finished_tools
                .last()
                .map_or("", |(_, o)| o.name.as_str());
            let note = format!("Result of the tool {name}: {output}");
            self.send_model(ClientEvent::create_item(Item::system_text(note)))
                .await;
            self.send_model(ClientEvent::create_response()).await;
        }
    }

    fn end_after_words(&mut self, status: EndStatus, command: CallerCommand) {
        if self.pending_end.is_some() {
            return;
        }
        self.pending_end = Some(PendingEnd {
            status,
            command,
            deadline_us: self.now_us() + END_WAIT_US,
            wait_for_response: false,
        });
    }

    /// Once every function call of a response is answered and the response
    /// is over, asks the model to go on with the results.
    async fn follow_up(&mut self, response_id: &str) {
        let ready = self
            .response_calls
            .get(response_id)
            .is_some_and(|c| c.done && c.outstanding == 0);
        if !ready {
            return;
        }
        let Some(calls) = self.response_calls.remove(response_id) else {
            return;
        };
        if calls.answered == 0 || self.stale_responses.contains(response_id) || !self.link_up {
            // A response cut by the caller: the model answers their new
            // words (the results are in the conversation already).
            return;
        }
        let had_audio = self.responses_with_audio.contains(response_id);
        let closing = self.pending_end.as_ref().map(|end| match end.status {
            EndStatus::Transferred => TRANSFER_LINE,
            _ => GOODBYE_LINE,
        });
        match closing {
            // The model said its last words before calling the tool.
            Some(_) if had_audio => {}
            Some(line) => {
                let event = self.response_with(line);
                self.send_model(event).await;
                if let Some(end) = self.pending_end.as_mut() {
                    end.wait_for_response = true;
                }
            }
            None => self.send_model(ClientEvent::create_response()).await,
        }
    }

    /// The supervisor drains the call: the model says goodbye, then the call
    /// ends.
    async fn drain(&mut self) {
        self.draining = true;
        let now = self.now_us();
        tracing::info!("draining the call");
        self.pending_end = Some(PendingEnd {
            status: EndStatus::Shutdown,
            command: CallerCommand::HangUp,
            deadline_us: now + micros(self.config.goodbye_timeout),
            wait_for_response: self.link_up,
        });
        if !self.link_up {
            return;
        }
        if let Some(active) = self.active_response.take() {
            self.stale_responses.insert(active);
            self.send_model(ClientEvent::cancel_response()).await;
        }
        self.cut(now).await;
        let event = self.response_with(SHUTDOWN_LINE);
        self.send_model(event).await;
    }

    fn ready_to_end(&self, now: u64) -> Option<Ending> {
        let end = self.pending_end.as_ref()?;
        let said = !end.wait_for_response
            && self.active_response.is_none()
            && self.response_calls.is_empty()
            && self.playout.all_played(now, PLAYED_GRACE_US);
        (said || now >= end.deadline_us).then(|| Ending {
            status: end.status,
            command: end.command.clone(),
        })
    }

    async fn link_lost(&mut self, gen: u64) {
        if gen != self.gen || !self.link_up {
            return;
        }
        self.link_up = false;
        let _ = self.model.send(ModelCtl::Detach).await;
        // What was in flight is over; what reached the caller still plays.
        let answering = self.active_response.take().is_some()
            || !self.response_calls.is_empty()
            || matches!(self.said.back(), Some(Said::Caller(_)));
        self.response_calls.clear();
        let unfinished: Vec<String> = self
            .playout
            .items()
            .filter(|i| !i.audio_done)
            .map(|i| i.item_id.clone())
            .collect();
        for item in unfinished {
            self.audio_done(&item).await;
        }
        for item in self.agent_items.values_mut() {
            item.response_done = true;
        }
        if self.reconnects_left == 0 {
            self.give_up().await;
            return;
        }
        self.reconnects_left -= 1;
        tracing::warn!(answering, "model connection lost; reconnecting once");
        let client = self.engines.client.clone();
        self.links.spawn(
            async move { LinkEnd::Reconnected(RealtimeClient::connect(&client).await) }
                .in_current_span(),
        );
        self.resume_answer = answering;
    }

    async fn on_link_end(&mut self, ended: LinkEnd) {
        match ended {
            LinkEnd::Lost { gen } => self.link_lost(gen).await,
            LinkEnd::Reconnected(Ok((sender, receiver))) => {
                if self.pending_end.is_some() && self.draining {
                    return;
                }
                tracing::info!("model reconnected");
                let setup = self.resume_setup();
                self.attach(sender, receiver, setup).await;
            }
            LinkEnd::Reconnected(Err(e)) => {
                tracing::error!(error = %e, "model reconnect failed");
                self.give_up().await;
            }
        }
    }

    /// The events that bring a new session to where the last one was.
    fn resume_setup(&mut self) -> Vec<ClientEvent> {
        let session =
            self.engines
                .session_for(self.path, self.info.caller.is_some(), self.started_at);
        let mut setup = vec![ClientEvent::session_update(session)];
        let skip = self.said.len().saturating_sub(SUMMARY_TURNS);
        for said in self.said.iter().skip(skip) {
            let item = match said {
                Said::Caller(text) => Item::user_text(text.clone()),
                Said::Agent(text) => Item::assistant_text(text.clone()),
                Said::Tool { name, output } => {
                    Item::system_text(format!("Result of the tool {name}: {output}"))
                }
            };
            setup.push(ClientEvent::create_item(item));
        }
        setup.push(ClientEvent::create_item(Item::system_text(
            RECONNECTED_NOTE,
        )));
        if std::mem::take(&mut self.resume_answer) {
            setup.push(ClientEvent::create_response());
        }
        setup
    }

    /// The model is gone for good: hand the caller to a person rather than
    /// leave them in silence.
    async fn give_up(&mut self) {
        tracing::error!("realtime model unavailable; handing the caller to a person");
        let transfer = NewTransfer {
            call_id: self.info.id.clone(),
            reason: MODEL_UNAVAILABLE.to_owned(),
            target: None,
            created_at: Utc::now(),
        };
        if let Err(e) = self.engines.store.create_transfer(transfer).await {
            tracing::error!(error = %e, "could not record the transfer");
        }
        self.pending_end = Some(PendingEnd {
            status: EndStatus::Transferred,
            command: CallerCommand::Transfer {
                reason: MODEL_UNAVAILABLE.to_owned(),
            },
            deadline_us: 0,
            wait_for_response: false,
        });
    }

    fn remember(&mut self, said: Said) {
        self.said.push_back(said);
        while self.said.len() > SUMMARY_TURNS * 2 {
            self.said.pop_front();
        }
    }

    fn record_caller(&mut self, text: &str, speech: Option<CallerSpeech>, now: u64) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        self.remember(Said::Caller(text.to_owned()));
        let started = speech.map_or(now, |s| s.started_us);
        let stopped = speech.and_then(|s| s.stopped_us).unwrap_or(now);
        let turn = NewTurn {
            call_id: self.info.id.clone(),
            speaker: Speaker::Caller,
            text: text.to_owned(),
            language: None,
            started_at: self.at(started),
            ended_at: self.at(stopped),
            latency: TurnLatency {
                speech_end_ms: Some(ms(stopped)),
                transcript_ready_ms: Some(ms(now)),
                ..TurnLatency::default()
            },
            interrupted: false,
        };
        self.record(Record::Turn {
            turn,
            tool_calls: Vec::new(),
        });
    }

    /// Stores every assistant item that was cut or has played to the end.
    fn settle(&mut self, now: u64) {
        let ready: Vec<String> = self
            .playout
            .items()
            .filter(|p| {
                let words_known = self
                    .agent_items
                    .get(&p.item_id)
                    .is_none_or(|a| a.transcript_done || a.response_done);
                words_known && (p.truncated_us.is_some() || p.fully_played(now, PLAYED_GRACE_US))
            })
            .map(|p| p.item_id.clone())
            .collect();
        for item_id in ready {
            self.record_agent(&item_id, now);
        }
        if self.playout.items().next().is_none()
            && matches!(*self.phase.borrow(), Phase::BotSpeaking)
        {
            self.set_phase(Phase::Listening);
        }
    }

    fn record_agent(&mut self, item_id: &str, now: u64) {
        let Some(p) = self.playout.remove(item_id) else {
            return;
        };
        let a = self.agent_items.remove(item_id).unwrap_or_default();
        let interrupted = p.truncated_us.is_some();
        let heard_us = p.truncated_us.unwrap_or(p.generated_us);
        let text = if interrupted {
            heard_text(&a.transcript, heard_us, p.total_us)
        } else {
            a.transcript.trim().to_owned()
        };
        let first_audio = p.first_sent_at_us;
        let latency = TurnLatency {
            speech_end_ms: a.after_speech_us.map(ms),
            transcript_ready_ms: None,
            reply_ready_ms: Some(ms(a.first_delta_us)),
            first_audio_ms: first_audio.map(ms),
            voice_to_voice_ms: match (a.after_speech_us, first_audio) {
                (Some(spoke), Some(first)) => Some(ms(first.saturating_sub(spoke))),
                _ => None,
            },
            agent_us: None,
        };
        self.engines.observer.agent_turn(&latency, interrupted);
        if text.is_empty() {
            // Nothing of it was heard: not a turn.
            return;
        }
        let started = first_audio.unwrap_or(a.first_delta_us);
        let ended = if interrupted { started + heard_us } else { now };
        // Tools that finished before the item began are what it answers.
        let (tool_calls, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.finished_tools)
            .into_iter()
            .partition(|(at, _)| *at <= a.first_delta_us);
        self.finished_tools = later;
        tracing::info!(
            interrupted,
            heard_ms = ms(heard_us),
            voice_to_voice_ms = latency.voice_to_voice_ms,
            "agent turn over"
        );
        self.remember(Said::Agent(text.clone()));
        let turn = NewTurn {
            call_id: self.info.id.clone(),
            speaker: Speaker::Agent,
            text,
            language: None,
            started_at: self.at(started),
            ended_at: self.at(ended),
            latency,
            interrupted,
        };
        self.record(Record::Turn {
            turn,
            tool_calls: tool_calls.into_iter().map(|(_, o)| o).collect(),
        });
    }

    async fn finish(mut self, ending: Ending) -> Result<CallReport, CallError> {
        let now = self.now_us();
        let mut status = ending.status;
        // Items still playing are stored as far as they were heard.
        let playing: Vec<String> = self.playout.items().map(|p| p.item_id.clone()).collect();
        for item_id in playing {
            if let Some(p) = self.playout.item_mut(&item_id) {
                if p.truncated_us.is_none() && !p.fully_played(now, PLAYED_GRACE_US) {
                    p.truncated_us = Some(p.heard_us(now));
                }
            }
            self.record_agent(&item_id, now);
        }
        if !self.finished_tools.is_empty() {
            let tools = std::mem::take(&mut self.finished_tools);
            self.record(Record::ToolCalls(
                tools.into_iter().map(|(_, o)| o).collect(),
            ));
        }
        self.usage.cost_usd = self.cost.usd;
        self.usage.cost_inr = self.cost.inr(self.engines.usd_to_inr);
        let usage = self.usage;
        self.record(Record::Usage(usage));

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
        self.links.abort_all();
        self.tools_running.abort_all();

        if tokio::time::timeout(Duration::from_secs(1), self.commands.send(ending.command))
            .await
            .map_or(true, |sent| sent.is_err())
        {
            tracing::debug!("caller connection already gone at the end");
        }

        // Everything recorded reaches the store before the call ends.
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
        self.dropped.caller_audio = self.audio_drops.load(Ordering::Relaxed);
        self.dropped.playout_reports = self.playout_drops.load(Ordering::Relaxed);
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
        tracing::info!(
            status = status.as_str(),
            dropped = ?self.dropped,
            stale_deltas = self.stale_deltas,
            input_tokens = usage.input_tokens,
            output_tokens = usage.output_tokens,
            cost_usd = usage.cost_usd,
            model_errors = usage.model_errors,
            "call ended"
        );
        Ok(CallReport {
            call_id: self.info.id,
            status,
            dropped: self.dropped,
            record_failures,
        })
    }
}

/// The model cannot be reached and there is no cascade: the call is
/// recorded and handed to a person at once.
pub(super) async fn hand_over_unconnected(
    engines: &RealtimeEngines,
    config: &CallConfig,
    info: CallInfo,
    connection: CallerConnection,
) -> Result<CallReport, CallError> {
    let now = Utc::now();
    engines
        .store
        .create_call(NewCall {
            id: info.id.clone(),
            channel: info.channel,
            caller: info.caller.clone(),
            carrier_call_id: info.carrier_call_id.clone(),
            started_at: now,
        })
        .await
        .map_err(|source| CallError::Store {
            operation: "create_call",
            source,
        })?;
    engines.observer.call_started(info.channel);
    let mut record_failures = 0;
    let transfer = NewTransfer {
        call_id: info.id.clone(),
        reason: MODEL_UNAVAILABLE.to_owned(),
        target: None,
        created_at: now,
    };
    if let Err(e) = engines.store.create_transfer(transfer).await {
        tracing::error!(error = %e, "could not record the transfer");
        record_failures += 1;
    }
    let command = CallerCommand::Transfer {
        reason: MODEL_UNAVAILABLE.to_owned(),
    };
    if tokio::time::timeout(config.drain_timeout, connection.commands.send(command))
        .await
        .map_or(true, |sent| sent.is_err())
    {
        tracing::debug!("caller connection already gone at the hand-over");
    }
    let mut status = EndStatus::Transferred;
    if let Err(e) = engines
        .store
        .end_call(&info.id, status.as_str(), Utc::now())
        .await
    {
        tracing::error!(error = %e, "could not store the end of the call");
        status = EndStatus::Failed;
    }
    connection.phase.send_replace(Phase::Ended);
    engines.observer.call_ended(info.channel, status);
    Ok(CallReport {
        call_id: info.id,
        status,
        dropped: DropCounts::default(),
        record_failures,
    })
}

/// Caller events in: audio converted and handed to the model writer, the
/// rest to the driver.
async fn carrier_reader(
    mut events: mpsc::Receiver<CallerEvent>,
    audio: mpsc::Sender<Vec<u8>>,
    driver: mpsc::Sender<Event>,
    mut inbound: InboundAudio,
    drops: Arc<AtomicU64>,
    cancel: CancellationToken,
) -> PumpEnd {
    loop {
        let event = tokio::select! {
            () = cancel.cancelled() => return PumpEnd::Stopped("carrier reader"),
            event = events.recv() => event,
        };
        let bytes = match event {
            None | Some(CallerEvent::HungUp) => return PumpEnd::CallerHungUp,
            Some(CallerEvent::LineAudio(mulaw)) => inbound.line(mulaw),
            Some(CallerEvent::Audio(chunk)) => inbound.pcm(&chunk.samples),
            Some(CallerEvent::Mark(name)) => {
                if driver.send(Event::Mark(name)).await.is_err() {
                    return PumpEnd::Stopped("carrier reader");
                }
                continue;
            }
            Some(CallerEvent::Dtmf(digit)) => {
                if driver.send(Event::Dtmf(digit)).await.is_err() {
                    return PumpEnd::Stopped("carrier reader");
                }
                continue;
            }
        };
        if bytes.is_empty() {
            continue;
        }
        match audio.try_send(bytes) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                let n = drops.fetch_add(1, Ordering::Relaxed);
                if n.is_multiple_of(50) {
                    tracing::warn!(dropped = n + 1, "model writer behind; caller audio dropped");
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                return PumpEnd::Stopped("carrier reader");
            }
        }
    }
}

/// Owns the sending half of the current model connection: caller audio and
/// the driver's events, in order.
async fn model_writer(
    mut audio: mpsc::Receiver<Vec<u8>>,
    mut control: mpsc::Receiver<ModelCtl>,
    driver: mpsc::Sender<Event>,
    drops: Arc<AtomicU64>,
    cancel: CancellationToken,
) -> PumpEnd {
    let mut link: Option<(u64, RealtimeSender)> = None;
    loop {
        tokio::select! {
            biased;
            () = cancel.cancelled() => {
                if let Some((_, sender)) = link.take() {
                    let _ = tokio::time::timeout(Duration::from_millis(500), sender.close()).await;
                }
                return PumpEnd::Stopped("model writer");
            }
            ctl = control.recv() => match ctl {
                Some(ModelCtl::Attach { gen, sender, setup }) => {
                    link = Some((gen, sender));
                    for event in setup {
                        if !send_on(&mut link, &event, &driver).await {
                            break;
                        }
                    }
                }
                Some(ModelCtl::Send { gen, event }) => {
                    if link.as_ref().is_some_and(|(g, _)| *g == gen) {
                        send_on(&mut link, &event, &driver).await;
                    }
                }
                Some(ModelCtl::Detach) => link = None,
                None => return PumpEnd::Stopped("model writer"),
            },
            bytes = audio.recv() => match bytes {
                Some(bytes) => match link.as_mut() {
                    Some((gen, sender)) => {
                        if sender.send_audio(&bytes).await.is_err() {
                            let gen = *gen;
                            link = None;
                            drops.fetch_add(1, Ordering::Relaxed);
                            let _ = driver.try_send(Event::ModelSendFailed { gen });
                        }
                    }
                    // Between connections: the caller's words are lost.
                    None => {
                        drops.fetch_add(1, Ordering::Relaxed);
                    }
                },
                None => return PumpEnd::Stopped("model writer"),
            },
        }
    }
}

/// Sends one event on the link; on failure drops the link and tells the
/// driver. Returns whether it was sent.
async fn send_on(
    link: &mut Option<(u64, RealtimeSender)>,
    event: &ClientEvent,
    driver: &mpsc::Sender<Event>,
) -> bool {
    let Some((gen, sender)) = link.as_mut() else {
        return false;
    };
    match sender.send(event).await {
        Ok(()) => true,
        Err(e) => {
            let gen = *gen;
            *link = None;
            tracing::debug!(error = %e, event = event.event_type(), "model send failed");
            let _ = driver.send(Event::ModelSendFailed { gen }).await;
            false
        }
    }
}

/// Reads one model connection until it ends.
async fn model_reader(
    gen: u64,
    mut receiver: RealtimeReceiver,
    driver: mpsc::Sender<Event>,
    cancel: CancellationToken,
) -> LinkEnd {
    loop {
        let next = tokio::select! {
            () = cancel.cancelled() => return LinkEnd::Lost { gen },
            next = receiver.recv() => next,
        };
        let event = match next {
            Some(Ok(ServerEvent::ResponseOutputAudioDelta(delta))) => match delta.audio() {
                Ok(audio) => Event::ModelAudio {
                    gen,
                    response_id: delta.response_id,
                    item_id: delta.item_id,
                    audio,
                },
                Err(e) => {
                    tracing::warn!(error = %e, "undecodable audio delta dropped");
                    continue;
                }
            },
            Some(Ok(event)) => Event::Model {
                gen,
                event: Box::new(event),
            },
            Some(Err(e)) if e.is_connection_lost() => {
                tracing::warn!(error = %e, "model connection lost");
                return LinkEnd::Lost { gen };
            }
            Some(Err(e)) => {
                tracing::debug!(error = %e, "server event not understood");
                continue;
            }
            None => {
                tracing::warn!("model connection closed");
                return LinkEnd::Lost { gen };
            }
        };
        if driver.send(event).await.is_err() {
            return LinkEnd::Lost { gen };
        }
    }
}

/// Plays the model's audio to the caller in real time and reports what it
/// sent.
async fn paced_writer(
    mut audio: mpsc::Receiver<Outbound>,
    mut control: mpsc::Receiver<WriterCtl>,
    commands: mpsc::Sender<CallerCommand>,
    driver: mpsc::Sender<Event>,
    drops: Arc<AtomicU64>,
    pace: bool,
    cancel: CancellationToken,
) -> PumpEnd {
    let mut out = Playing {
        queue: VecDeque::new(),
        frames_queued: 0,
        next: Instant::now(),
        pace,
        commands,
        driver,
        drops,
    };
    let mut cleared_through = 0u64;
    // One timer for the life of the writer, moved when the next frame's
    // time moves (re-creating it every turn of the loop costs a timer-wheel
    // registration per event).
    let due = tokio::time::sleep_until(out.next);
    tokio::pin!(due);
    loop {
        if due.deadline() != out.next {
            due.as_mut().reset(out.next);
        }
        tokio::select! {
            biased;
            () = cancel.cancelled() => return PumpEnd::Stopped("paced writer"),
            ctl = control.recv() => match ctl {
                Some(WriterCtl::Clear { through_seq }) => {
                    cleared_through = cleared_through.max(through_seq);
                    out.queue.retain(|o| o.seq() > through_seq);
                    out.frames_queued = out
                        .queue
                        .iter()
                        .filter(|o| matches!(o, Outbound::Frame { .. }))
                        .count();
                    if out.commands.send(CallerCommand::Clear).await.is_err() {
                        return PumpEnd::Stopped("paced writer");
                    }
                }
                None => return PumpEnd::Stopped("paced writer"),
            },
            () = &mut due, if !out.queue.is_empty() => {
                if out.play_head().await.is_err() {
                    return PumpEnd::Stopped("paced writer");
                }
            }
            next = audio.recv(), if out.frames_queued < MAX_QUEUED_FRAMES => match next {
                Some(next) => {
                    if next.seq() <= cleared_through {
                        continue;
                    }
                    let now = Instant::now();
                    let idle = out.queue.is_empty();
                    if idle && out.next < now {
                        out.next = now;
                    }
                    if matches!(next, Outbound::Frame { .. }) {
                        out.frames_queued += 1;
                    }
                    out.queue.push_back(next);
                    // A frame due now goes out now, not at the timer's next
                    // millisecond tick: this is the bridge's added latency.
                    if idle && out.next <= now && out.play_head().await.is_err() {
                        return PumpEnd::Stopped("paced writer");
                    }
                }
                None => return PumpEnd::Stopped("paced writer"),
            },
        }
    }
}

/// The paced writer's queue and clock.
struct Playing {
    queue: VecDeque<Outbound>,
    frames_queued: usize,
    /// When the next frame is due.
    next: Instant,
    pace: bool,
    commands: mpsc::Sender<CallerCommand>,
    driver: mpsc::Sender<Event>,
    drops: Arc<AtomicU64>,
}

impl Playing {
    /// Sends the head frame and the marks right after it; `Err` when the
    /// transport is gone.
    async fn play_head(&mut self) -> Result<(), ()> {
        let now = Instant::now();
        if let Some(Outbound::Frame { seq, end_us, frame }) = self.queue.pop_front() {
            self.frames_queued -= 1;
            let duration = Duration::from_micros(frame.duration_us());
            self.commands
                .send(frame.into_command())
                .await
                .map_err(|_| ())?;
            let report = Event::Played {
                seq,
                end_us,
                at: Instant::now(),
            };
            if self.driver.try_send(report).is_err() {
                self.drops.fetch_add(1, Ordering::Relaxed);
            }
            // After a stall, restart the clock rather than burst.
            self.next = if !self.pace {
                now
            } else if self.next + duration * 5 < now {
                now + duration
            } else {
                self.next + duration
            };
        }
        // Marks go right after the frame before them: the transport echoes
        // them once that frame has played.
        while matches!(self.queue.front(), Some(Outbound::Mark { .. })) {
            if let Some(Outbound::Mark { name, .. }) = self.queue.pop_front() {
                self.commands
                    .send(CallerCommand::Mark(name))
                    .await
                    .map_err(|_| ())?;
            }
        }
        Ok(())
    }
}

/// Stores turns, tool calls and usage in order; returns how many writes
/// failed.
async fn recorder(
    mut inbox: mpsc::Receiver<Record>,
    store: Arc<dyn Store>,
    observer: Arc<dyn CallObserver>,
    call_id: CallId,
) -> u64 {
    let mut failures = 0;
    while let Some(record) = inbox.recv().await {
        let (turn_id, tool_calls, created_at) = match record {
            Record::Turn { turn, tool_calls } => {
                let created_at = turn.started_at;
                match store.append_turn(turn).await {
                    Ok(stored) => (Some(stored.id), tool_calls, created_at),
                    Err(e) => {
                        failures += 1;
                        tracing::error!(error = %e, "could not store a turn");
                        (None, tool_calls, created_at)
                    }
                }
            }
            Record::ToolCalls(tool_calls) => (None, tool_calls, Utc::now()),
            Record::Usage(usage) => {
                if let Err(e) = store.record_call_usage(&call_id, &usage).await {
                    failures += 1;
                    tracing::error!(error = %e, "could not store the call's usage");
                }
                continue;
            }
        };
        for call in tool_calls {
            observer.tool_call(&call.name, call.ok);
            let record = NewToolCall {
                call_id: call_id.clone(),
                turn_id,
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
