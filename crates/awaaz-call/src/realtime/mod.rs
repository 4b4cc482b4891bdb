//! The realtime engine: a call whose brain is a speech-to-speech model
//! speaking the OpenAI Realtime (GA) protocol, with the same tools, store
//! records and barge-in guarantees as the cascade ([`crate::run_call`]).
//!
//! ```text
//!  caller ─▶ carrier reader ─(μ-law as is | PCM 16→24 kHz)─▶ model writer ─▶ input_audio_buffer.append ─▶ model
//!    ▲         │ marks                                           ▲ session.update, truncate,
//!    │         ▼                                                 │ function_call_output, response.create
//!    │       driver ◀──────────── server events ◀── model reader ◀┘
//!    │         │ deltas → 20 ms frames (μ-law as is | PCM 24→16 kHz), a mark after each delta
//!    └─ paced writer (PlayLine | Play, Mark, Clear)       tools (awaaz_agent::tools::Tools) ─▶ store
//!                                                          recorder ─▶ turns, tool calls, usage + cost
//! ```
//!
//! * **One session per call**: every call dials its own WebSocket (or takes
//!   the one [`RealtimeEngines::preconnect`] opened while the carrier's
//!   webhook was answered); nothing is shared between calls but the store
//!   and the tools.
//! * **Audio**: phone channels use `audio/pcmu` both ways and the carrier's
//!   bytes are never transcoded ([`crate::CallerEvent::LineAudio`] in,
//!   [`crate::CallerCommand::PlayLine`] out); PCM callers (browser) are resampled
//!   to and from `audio/pcm` 24 kHz. Outbound audio is paced in real time,
//!   20 ms a frame, with a [`crate::CallerCommand::Mark`] (naming the item and the
//!   audio position) after each batch of deltas of 100 ms or more and at
//!   the item's end; the echoed marks tell how much of each assistant item
//!   the caller heard.
//! * **Barge-in**: on `input_audio_buffer.speech_started` while model audio
//!   is playing or queued, queued frames are dropped and the transport told
//!   to [`crate::CallerCommand::Clear`]; each unheard item is truncated
//!   (`conversation.item.truncate`) at what the caller heard — never beyond
//!   what was generated — its later deltas are dropped as stale, and the
//!   stored agent turn keeps only the heard share of its transcript.
//! * **Tools**: the function tools are exactly the agent's
//!   ([`awaaz_agent::llm::tool_schemas`]: [`Tools::schemas`] plus
//!   `end_call`), run through [`Tools::call`] and stored with the agent turn
//!   that answers with their result. `transfer_to_human` and `end_call`
//!   end the call once the model's last words have played.
//! * **Resilience**: a dropped model connection is re-dialled once (a new
//!   session gets the settings and the conversation so far); if that fails
//!   too — or the model cannot be reached when the call starts — the caller
//!   is handed to the cascade ([`RealtimeEngines::fallback`], only at the
//!   start of a call) or to a person ([`crate::CallerCommand::Transfer`]). The
//!   caller is never left in silence.
//!
//! Not here: the carriers' wire formats (the transport adapters), the
//! protocol's types ([`awaaz_realtime`]), the tools' logic
//! ([`awaaz_agent::tools`]).

mod audio;
mod driver;
mod playout;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use awaaz_agent::tools::Tools;
use awaaz_realtime::{
    AudioConfig, AudioInput, AudioOutput, ClientEvent, FunctionTool, Modality, NoiseReduction,
    NoiseReductionKind, Prices, RealtimeClient, RealtimeConfig, RealtimeError, RealtimeReceiver,
    RealtimeSender, ServerVad, Session, Tool, ToolChoice, Transcription, TurnDetection,
};
use awaaz_store::{Channel, Store};
use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use self::audio::AudioPath;
use crate::connection::CallerConnection;
use crate::driver::{CallConfig, CallEngines, CallInfo, CallReport};
use crate::observer::{CallObserver, NoopObserver};
use crate::CallError;

/// The persona and rules prompt the model gets by default: the file
/// `crates/awaaz-agent/prompts/realtime.md`, with `{shop_name}` replaced.
/// A business edits that file, or passes its own text with
/// [`RealtimeEngines::with_prompt`].
pub const DEFAULT_REALTIME_PROMPT: &str = awaaz_agent::REALTIME_PROMPT;

/// The shop name put into the prompt by default.
pub const DEFAULT_SHOP_NAME: &str = "Awaaz Store";

/// The voice used by default.
pub const DEFAULT_VOICE: &str = "marin";

/// What a realtime call needs, shared by all calls (cheap to clone).
#[derive(Clone)]
pub struct RealtimeEngines {
    /// Where calls, turns, tool calls and usage are kept (and what the tools
    /// read).
    pub store: Arc<dyn Store>,
    /// The agent's tools over `store`.
    pub tools: Arc<Tools>,
    /// Where and how to dial the model (URL, model, API key, connect
    /// timeout).
    pub client: RealtimeConfig,
    /// The output voice (`marin`, `cedar`, …).
    pub voice: String,
    /// The persona and rules prompt; `{shop_name}` is replaced by
    /// [`RealtimeEngines::shop_name`].
    pub prompt: String,
    /// The shop's name, as the agent says it.
    pub shop_name: String,
    /// How the model decides the caller's turn is over. Whatever is set
    /// here, responses are created automatically and caller speech
    /// interrupts them (`create_response` and `interrupt_response` on).
    pub turn_detection: TurnDetection,
    /// Transcription of the caller's audio (the caller turns in the store
    /// come from it); `None` stores no caller text.
    pub transcription: Option<Transcription>,
    /// List prices, for the cost stored with each call.
    pub prices: Prices,
    /// Rupees per US dollar, for the cost in ₹.
    pub usd_to_inr: f64,
    /// The cascade to hand a call to when the model cannot be reached at
    /// its start.
    pub fallback: Option<CallEngines>,
    /// Calls the fallback takes at once (its engines run on this host);
    /// beyond it a caller whose model is unreachable goes to a person.
    /// `None`: no limit but the supervisor's.
    pub fallback_slots: Option<Arc<tokio::sync::Semaphore>>,
    /// Metrics hook.
    pub observer: Arc<dyn CallObserver>,
}

impl std::fmt::Debug for RealtimeEngines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealtimeEngines")
            .field("client", &self.client)
            .field("voice", &self.voice)
            .field("prompt_chars", &self.prompt.chars().count())
            .field("fallback", &self.fallback.is_some())
            .finish_non_exhaustive()
    }
}

impl RealtimeEngines {
    /// Engines over `store` dialling `client`, with the defaults: the
    /// default prompt and shop name, voice `marin`, server VAD (500 ms of
    /// silence ends a turn), `gpt-4o-mini-transcribe` for the caller's
    /// words, `gpt-realtime` list prices at ₹88 per $1, no fallback.
    pub fn new(store: Arc<dyn Store>, client: RealtimeConfig) -> Self {
        Self {
            tools: Arc::new(Tools::new(Arc::clone(&store))),
            store,
            client,
            voice: DEFAULT_VOICE.to_owned(),
            prompt: DEFAULT_REALTIME_PROMPT.to_owned(),
            shop_name: DEFAULT_SHOP_NAME.to_owned(),
            turn_detection: TurnDetection::ServerVad(ServerVad {
                threshold: Some(0.5),
                prefix_padding_ms: Some(300),
                silence_duration_ms: Some(500),
                ..ServerVad::default()
            }),
            transcription: Some(Transcription {
                model: Some("gpt-4o-mini-transcribe".to_owned()),
                language: None,
                prompt: Some(
                    "A customer-service phone call in Hindi, English or Hinglish about orders \
                     (ORD numbers), deliveries, refunds and products (kurta, saree, cooker)."
                        .to_owned(),
                ),
            }),
            prices: Prices::default(),
            usd_to_inr: awaaz_realtime::DEFAULT_INR_PER_USD,
            fallback: None,
            fallback_slots: None,
            observer: Arc::new(NoopObserver),
        }
    }

    /// Uses these tools (e.g. with the product index built up front).
    #[must_use]
    pub fn with_tools(mut self, tools: Arc<Tools>) -> Self {
        self.tools = tools;
        self
    }

    /// Speaks with `voice`.
    #[must_use]
    pub fn with_voice(mut self, voice: impl Into<String>) -> Self {
        self.voice = voice.into();
        self
    }

    /// Uses `prompt` (e.g. a business's edited copy of the prompt file).
    #[must_use]
    pub fn with_prompt(mut self, prompt: impl Into<String>) -> Self {
        self.prompt = prompt.into();
        self
    }

    /// Names the shop `shop_name` in the prompt.
    #[must_use]
    pub fn with_shop_name(mut self, shop_name: impl Into<String>) -> Self {
        self.shop_name = shop_name.into();
        self
    }

    /// Prices costs with `prices` and `usd_to_inr` rupees per dollar.
    #[must_use]
    pub fn with_prices(mut self, prices: Prices, usd_to_inr: f64) -> Self {
        self.prices = prices;
        self.usd_to_inr = usd_to_inr;
        self
    }

    /// Detects turns with `turn_detection`.
    #[must_use]
    pub fn with_turn_detection(mut self, turn_detection: TurnDetection) -> Self {
        self.turn_detection = turn_detection;
        self
    }

    /// Transcribes the caller with `transcription` (`None`: off).
    #[must_use]
    pub fn with_transcription(mut self, transcription: Option<Transcription>) -> Self {
        self.transcription = transcription;
        self
    }

    /// Hands calls to `cascade` when the model cannot be reached at the
    /// start of a call.
    #[must_use]
    pub fn with_fallback(mut self, cascade: CallEngines) -> Self {
        self.fallback = Some(cascade);
        self
    }

    /// Lets the fallback take at most `max_calls` calls at once (e.g. what
    /// the embedded speech engines hold on this host); more go to a person.
    #[must_use]
    pub fn with_fallback_limit(mut self, max_calls: usize) -> Self {
        self.fallback_slots = Some(Arc::new(tokio::sync::Semaphore::new(max_calls)));
        self
    }

    /// Reports to `observer`.
    #[must_use]
    pub fn with_observer(mut self, observer: Arc<dyn CallObserver>) -> Self {
        self.observer = observer;
        self
    }

    /// The session instructions: the prompt with the shop's name, then what
    /// this call knows (today's date, whether the caller's number is known).
    pub fn instructions(&self, caller_known: bool, now: DateTime<Utc>) -> String {
        let mut text = self
            .prompt
            .replace("{shop_name}", &self.shop_name)
            .trim_end()
            .to_owned();
        text.push_str("\n\nThis call:\n");
        text.push_str(&format!(
            "- Today is {} (UTC). Dates in tool results are relative to today.\n",
            now.format("%A, %-d %B %Y")
        ));
        text.push_str(if caller_known {
            "- The caller's phone number is known: lookup_order with no arguments lists their recent orders.\n"
        } else {
            "- The caller's phone number is not known: ask for the order number.\n"
        });
        text
    }

    /// The `session.update` a call on `channel` sends: instructions, voice,
    /// audio formats (`audio/pcmu` on phone channels, `audio/pcm` 24 kHz
    /// otherwise), turn detection with interruption, transcription and the
    /// tools.
    pub fn session(&self, channel: Channel, caller_known: bool, now: DateTime<Utc>) -> Session {
        self.session_for(AudioPath::for_channel(channel), caller_known, now)
    }

    fn session_for(&self, path: AudioPath, caller_known: bool, now: DateTime<Utc>) -> Session {
        let format = path.format();
        let noise = match path {
            AudioPath::Line => NoiseReductionKind::NearField,
            AudioPath::Pcm => NoiseReductionKind::FarField,
        };
        Session {
            instructions: Some(self.instructions(caller_known, now)),
            output_modalities: Some(vec![Modality::Audio]),
            audio: Some(AudioConfig {
                input: Some(AudioInput {
                    format: Some(format),
                    transcription: self.transcription.clone(),
                    noise_reduction: Some(Some(NoiseReduction { kind: noise })),
                    turn_detection: Some(Some(interrupting(&self.turn_detection))),
                }),
                output: Some(AudioOutput {
                    format: Some(format),
                    voice: Some(self.voice.clone()),
                    speed: None,
                }),
            }),
            tools: Some(function_tools()),
            tool_choice: Some(ToolChoice::Auto),
            ..Session::default()
        }
    }

    /// Opens and configures a model session before the caller's media
    /// arrives, so the greeting is not delayed by the TLS and WebSocket
    /// handshakes.
    ///
    /// A phone webhook (`POST /twilio/voice`) starts this while it answers
    /// with TwiML, parks the [`PreparedSession`] by call id, and passes it
    /// to [`run_realtime_call_with`] when the media socket opens. A session
    /// nobody claims should be [closed](PreparedSession::close) (or
    /// dropped) after a few seconds; the service bills only for audio and
    /// tokens, so an unused session costs nothing.
    pub async fn preconnect(
        &self,
        channel: Channel,
        caller_known: bool,
    ) -> Result<PreparedSession, RealtimeError> {
        let path = AudioPath::for_channel(channel);
        let (mut sender, receiver) = RealtimeClient::connect(&self.client).await?;
        let session = self.session_for(path, caller_known, Utc::now());
        sender.send(&ClientEvent::session_update(session)).await?;
        Ok(PreparedSession {
            sender,
            receiver,
            path,
            caller_known,
            opened: tokio::time::Instant::now(),
        })
    }
}

/// Forces `create_response` and `interrupt_response` on: the engine relies
/// on the model answering by itself and on caller speech cutting it.
fn interrupting(detection: &TurnDetection) -> TurnDetection {
    let mut detection = detection.clone();
    match &mut detection {
        TurnDetection::ServerVad(v) => {
            v.create_response = Some(true);
            v.interrupt_response = Some(true);
        }
        TurnDetection::SemanticVad(v) => {
            v.create_response = Some(true);
            v.interrupt_response = Some(true);
        }
        _ => {}
    }
    detection
}

/// The agent's tools as Realtime function tools: the same JSON Schemas the
/// embedded and LLM agents use, plus `end_call`.
pub fn function_tools() -> Vec<Tool> {
    awaaz_agent::llm::tool_schemas()
        .into_iter()
        .map(|schema| {
            Tool::Function(FunctionTool {
                name: schema.name,
                description: Some(schema.description),
                parameters: schema.parameters,
            })
        })
        .collect()
}

/// A model session opened and configured ahead of its call (see
/// [`RealtimeEngines::preconnect`]).
pub struct PreparedSession {
    sender: RealtimeSender,
    receiver: RealtimeReceiver,
    path: AudioPath,
    caller_known: bool,
    opened: tokio::time::Instant,
}

impl std::fmt::Debug for PreparedSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedSession")
            .field("path", &self.path)
            .field("age", &self.opened.elapsed())
            .finish_non_exhaustive()
    }
}

impl PreparedSession {
    /// How long ago the session was opened.
    pub fn age(&self) -> Duration {
        self.opened.elapsed()
    }

    /// Closes a session no call claimed.
    pub async fn close(self) {
        let _ = self.sender.close().await;
    }
}

/// Runs one realtime call to its end, dialling the model itself (see
/// [`run_realtime_call_with`]).
pub async fn run_realtime_call(
    engines: RealtimeEngines,
    config: CallConfig,
    info: CallInfo,
    connection: CallerConnection,
    shutdown: CancellationToken,
) -> Result<CallReport, CallError> {
    run_realtime_call_with(engines, config, info, connection, None, shutdown).await
}

/// Runs one realtime call to its end: records it, greets, converses, runs
/// tools, and stores the transcript, tool calls, usage and cost.
/// `prepared` is a session opened by [`RealtimeEngines::preconnect`] for
/// this call (re-configured if it was opened for another channel);
/// `shutdown` (from [`crate::CallSupervisor`]) drains the call: the model
/// says a short goodbye and the transcript is saved.
///
/// When the model cannot be reached (two attempts), the call goes to
/// [`RealtimeEngines::fallback`] through [`crate::run_call`] if there is
/// one, else to a person. Returns an error only when the call could not be
/// recorded at all.
pub async fn run_realtime_call_with(
    engines: RealtimeEngines,
    config: CallConfig,
    info: CallInfo,
    connection: CallerConnection,
    prepared: Option<PreparedSession>,
    shutdown: CancellationToken,
) -> Result<CallReport, CallError> {
    let span = tracing::info_span!(
        "call",
        call_id = %info.id.0,
        channel = info.channel.as_str(),
        engine = "realtime"
    );
    async move {
        let path = AudioPath::for_channel(info.channel);
        let caller_known = info.caller.is_some();
        let link = match prepared {
            Some(p) => {
                let setup = if p.path == path && p.caller_known == caller_known {
                    Vec::new()
                } else {
                    let session = engines.session_for(path, caller_known, Utc::now());
                    vec![ClientEvent::session_update(session)]
                };
                tracing::debug!(
                    age_ms = p.opened.elapsed().as_millis(),
                    "prepared session used"
                );
                Some((p.sender, p.receiver, setup))
            }
            None => connect_with_retry(&engines, path, caller_known).await,
        };
        let Some((sender, receiver, setup)) = link else {
            if let Some(cascade) = engines.fallback.clone() {
                let permit = match &engines.fallback_slots {
                    Some(slots) => Arc::clone(slots).try_acquire_owned().map(Some),
                    None => Ok(None),
                };
                if let Ok(_permit) = permit {
                    tracing::warn!("realtime model unreachable; the cascade takes the call");
                    return crate::driver::run_call(cascade, config, info, connection, shutdown)
                        .await;
                }
                tracing::warn!("realtime model unreachable and the cascade is full");
            }
            tracing::warn!("realtime model unreachable; handing the caller to a person");
            return driver::hand_over_unconnected(&engines, &config, info, connection).await;
        };
        let driver = driver::Driver::start(
            engines,
            config,
            info,
            connection,
            driver::Link {
                sender,
                receiver,
                setup,
            },
            path,
            shutdown,
        )
        .await?;
        driver.run().await
    }
    .instrument(span)
    .await
}

/// Dials the model, once more if the first attempt fails; the setup events
/// to send first.
async fn connect_with_retry(
    engines: &RealtimeEngines,
    path: AudioPath,
    caller_known: bool,
) -> Option<(RealtimeSender, RealtimeReceiver, Vec<ClientEvent>)> {
    for attempt in 1..=2u32 {
        match RealtimeClient::connect(&engines.client).await {
            Ok((sender, receiver)) => {
                let session = engines.session_for(path, caller_known, Utc::now());
                return Some((sender, receiver, vec![ClientEvent::session_update(session)]));
            }
            Err(e) => tracing::warn!(attempt, error = %e, "could not reach the realtime model"),
        }
    }
    None
}
