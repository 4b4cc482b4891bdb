//! Phone lines: Twilio, Exotel and Plivo calls into the same call engine as
//! the browser softphone, and the SMS outbox sender.
//!
//! ```text
//!  Twilio ─POST /twilio/voice (signed)─▶ TwiML <Connect><Stream> ─┐
//!  Plivo  ─POST /plivo/answer────────▶ XML <Stream> ──────────────┤
//!  Exotel ─Voicebot applet────────────────────────────────────────┤
//!                                                                 ▼
//!  carrier ◀─ WS /{twilio,exotel,plivo}/media ─▶ bridge (frames ↔ CallerEvent/CallerCommand,
//!                                                  μ-law/PCM16 8 kHz ↔ PCM16 16 kHz)
//!                                                     │            ▲
//!                                                     ▼            │ Play / Mark / Clear / HangUp / Transfer
//!                                              awaaz-call (PhoneCalls: CallSupervisor)
//!                                                     │ Transfer
//!                                                     ▼
//!                            carrier REST (Twilio call update, Plivo transfer) | close the stream (Exotel)
//!
//!  sms_outbox (store) ─▶ SmsSender (background task) ─▶ carrier REST send_sms
//! ```
//!
//! Main items: [`routes`], [`PhoneLines`] (settings, REST clients, the call
//! supervisor; one per [`AppState`]), [`PhoneCalls`] (the supervisor of phone
//! calls), [`attach_voice_from_env`] (loads the speech engines once for
//! browser and phone calls), [`SmsSender`], [`place_outbound_call`].
//!
//! What it is not: the wire formats live in `awaaz-telephony` (sans-I/O);
//! the conversation (turn-taking, barge-in, what was heard) lives in
//! `awaaz-call`. This module only moves frames between the two and talks to
//! the carriers' webhooks and REST APIs.
//!
//! Personal data: caller numbers travel in the call record only; logs carry
//! masked numbers at most. Bad frames are logged (event and reason, never
//! their content) and dropped; the call goes on. The wire contracts are in
//! `docs/protocols.md` ("Phone lines").

mod bridge;
mod exotel;
mod plivo;
mod prepared;
mod sms;
mod twilio;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use awaaz_agent::Agent;
use awaaz_call::{
    CallConfig, CallEngines, CallInfo, CallSupervisor, PreparedSession, RealtimeEngines,
};
use awaaz_store::{Channel, PhoneNumber};
use awaaz_telephony::exotel::StreamAuth;
use awaaz_telephony::plivo::signature::SignatureV3Validator;
use awaaz_telephony::rest::{
    ExotelRest, ExotelRestConfig, PlivoRest, PlivoRestConfig, TwilioRest, TwilioRestConfig,
};
use awaaz_telephony::signature::RequestValidator;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use tokio::time::Instant;

use anyhow::Context as _;

use crate::config::{Config, EngineKind, PhoneSettings};
use crate::http::AppState;

pub use sms::{SmsSender, SmsSenderConfig};
pub use twilio::{call_from_cli, place_outbound_call, OutboundCall, OutboundError};

/// Phone calls allowed at once unless `AWAAZ_MAX_PHONE_CALLS` says
/// otherwise: what a 2-core host holds with the embedded speech engines.
pub const DEFAULT_MAX_PHONE_CALLS: usize = 10;

/// The same with the realtime engine, whose model runs elsewhere: what one
/// server bridges (docs/benchmarks.md "Realtime bridge").
pub const DEFAULT_MAX_REALTIME_CALLS: usize = 500;

/// How long a Plivo caller's number is kept between `POST /plivo/answer` and
/// the stream's `start` (Plivo's `start` carries no numbers).
const PLIVO_CALLER_TTL: Duration = Duration::from_secs(120);
/// Most Plivo callers remembered at once; older entries are dropped first.
const PLIVO_CALLERS_MAX: usize = 1_000;

/// Phone calls: the call supervisor they run under, and which engine
/// answers them.
#[derive(Debug)]
pub struct PhoneCalls {
    supervisor: CallSupervisor,
    realtime: bool,
}

impl PhoneCalls {
    /// Phone calls over `engines` (the cascade), at most `max_calls` at once.
    pub fn new(engines: CallEngines, config: CallConfig, max_calls: usize) -> Self {
        Self {
            supervisor: CallSupervisor::new(engines, config, max_calls),
            realtime: false,
        }
    }

    /// Phone calls answered by the realtime engine (`engine = "realtime"`),
    /// at most `max_calls` at once; a call whose model cannot be reached
    /// goes to `engines.fallback` (the cascade) if set, else to a person.
    pub fn realtime(engines: RealtimeEngines, config: CallConfig, max_calls: usize) -> Self {
        Self {
            supervisor: CallSupervisor::realtime_only(engines, config, max_calls),
            realtime: true,
        }
    }

    /// Whether the realtime engine answers these calls.
    pub fn is_realtime(&self) -> bool {
        self.realtime
    }

    /// Phone calls running now.
    pub fn active(&self) -> usize {
        self.supervisor.active()
    }

    /// Ends every phone call (each says goodbye and is stored); waits up to
    /// `grace`. Returns whether all finished in time.
    pub async fn shutdown(&self, grace: Duration) -> bool {
        self.supervisor.shutdown(grace).await
    }

    pub(crate) fn supervisor(&self) -> &CallSupervisor {
        &self.supervisor
    }

    /// Starts a call on `connection` with this line's engine (for the
    /// realtime engine, on the model session prepared for it, if any).
    pub(crate) fn start(
        &self,
        info: CallInfo,
        connection: awaaz_call::CallerConnection,
        prepared: Option<PreparedSession>,
    ) -> Result<awaaz_call::CallHandle, awaaz_call::CallError> {
        if self.realtime {
            self.supervisor.start_realtime(info, connection, prepared)
        } else {
            self.supervisor.start(info, connection)
        }
    }
}

/// Everything the phone routes need: the carrier settings, their REST
/// clients (when configured), the webhook signature validator and, once
/// speech engines are loaded, the call supervisor.
pub struct PhoneLines {
    settings: PhoneSettings,
    twilio: Option<Arc<TwilioRest>>,
    plivo: Option<Arc<PlivoRest>>,
    exotel: Option<Arc<ExotelRest>>,
    validator: Option<RequestValidator>,
    plivo_validator: Option<SignatureV3Validator>,
    exotel_auth: Option<StreamAuth>,
    calls: OnceLock<Arc<PhoneCalls>>,
    /// Realtime model sessions opened during answer webhooks.
    prepared: Arc<prepared::PreparedSessions>,
    /// Plivo `CallUUID` → the caller's number, from the answer webhook.
    plivo_callers: Mutex<HashMap<String, (PhoneNumber, Instant)>>,
}

impl std::fmt::Debug for PhoneLines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhoneLines")
            .field("twilio_rest", &self.twilio.is_some())
            .field("plivo_rest", &self.plivo.is_some())
            .field("exotel_rest", &self.exotel.is_some())
            .field("signed_webhooks", &self.validator.is_some())
            .field("signed_plivo_webhooks", &self.plivo_validator.is_some())
            .field("exotel_stream_auth", &self.exotel_auth.is_some())
            .field("calls", &self.calls.get())
            .finish_non_exhaustive()
    }
}

impl PhoneLines {
    /// Reads the carrier settings and builds a REST client for each carrier
    /// whose credentials are all there. A client that cannot be built is
    /// logged and left out (its features answer "not configured").
    pub fn new(settings: &PhoneSettings) -> Self {
        let twilio = match (&settings.twilio.account_sid, &settings.twilio.auth_token) {
            (Some(sid), Some(token)) => {
                let mut config = TwilioRestConfig::new(sid.clone(), token.expose());
                config.api_base.clone_from(&settings.twilio.api_base);
                config.from_number.clone_from(&settings.twilio.from);
                config.say_language = Some(TRANSFER_LANGUAGE.to_owned());
                build("twilio", TwilioRest::new(config))
            }
            _ => None,
        };
        let plivo = match (&settings.plivo.auth_id, &settings.plivo.auth_token) {
            (Some(id), Some(token)) => {
                let mut config = PlivoRestConfig::new(id.clone(), token.expose());
                config.api_base.clone_from(&settings.plivo.api_base);
                config.from_number.clone_from(&settings.plivo.from);
                build("plivo", PlivoRest::new(config))
            }
            _ => None,
        };
        let exotel = match (
            &settings.exotel.account_sid,
            &settings.exotel.api_key,
            &settings.exotel.api_token,
        ) {
            (Some(sid), Some(key), Some(token)) => {
                let mut config = ExotelRestConfig::new(sid.clone(), key.clone(), token.expose());
                config.api_base.clone_from(&settings.exotel.api_base);
                config.from_number.clone_from(&settings.exotel.from);
                build("exotel", ExotelRest::new(config))
            }
            _ => None,
        };
        let validator = settings
            .twilio
            .auth_token
            .as_ref()
            .map(|token| RequestValidator::new(token.expose()));
        let plivo_validator = settings
            .plivo
            .auth_token
            .as_ref()
            .map(|token| SignatureV3Validator::new(token.expose()));
        let exotel_auth = match (
            &settings.exotel.stream_user,
            &settings.exotel.stream_password,
        ) {
            (Some(user), Some(password)) => Some(StreamAuth::new(user, password.expose())),
            _ => None,
        };
        Self {
            settings: settings.clone(),
            twilio,
            plivo,
            exotel,
            validator,
            plivo_validator,
            exotel_auth,
            calls: OnceLock::new(),
            prepared: Arc::default(),
            plivo_callers: Mutex::new(HashMap::new()),
        }
    }

    /// The carrier settings.
    pub fn settings(&self) -> &PhoneSettings {
        &self.settings
    }

    /// Enables phone calls. Only the first call takes effect; returns
    /// whether this one did.
    pub fn set_calls(&self, calls: Arc<PhoneCalls>) -> bool {
        self.calls.set(calls).is_ok()
    }

    /// Phone calls, when speech engines are loaded.
    pub fn calls(&self) -> Option<&Arc<PhoneCalls>> {
        self.calls.get()
    }

    /// Whether any carrier can send SMS (credentials and a from number).
    pub fn can_send_sms(&self) -> bool {
        (self.twilio.is_some() && self.settings.twilio.from.is_some())
            || (self.plivo.is_some() && self.settings.plivo.from.is_some())
            || (self.exotel.is_some() && self.settings.exotel.from.is_some())
    }

    pub(crate) fn twilio_rest(&self) -> Option<&Arc<TwilioRest>> {
        self.twilio.as_ref()
    }

    pub(crate) fn plivo_rest(&self) -> Option<&Arc<PlivoRest>> {
        self.plivo.as_ref()
    }

    pub(crate) fn exotel_rest(&self) -> Option<&Arc<ExotelRest>> {
        self.exotel.as_ref()
    }

    pub(crate) fn validator(&self) -> Option<&RequestValidator> {
        self.validator.as_ref()
    }

    /// Checks `X-Plivo-Signature-V3`, when a Plivo auth token is set.
    pub(crate) fn plivo_validator(&self) -> Option<&SignatureV3Validator> {
        self.plivo_validator.as_ref()
    }

    /// The credentials Exotel's stream URL must carry, when set.
    pub(crate) fn exotel_auth(&self) -> Option<&StreamAuth> {
        self.exotel_auth.as_ref()
    }

    /// With the realtime engine, starts opening the model session of the
    /// call `carrier_call_id` now, while its answer webhook is answered (see
    /// [`prepared`]). Does nothing for the cascade.
    pub(crate) fn prepare_session(
        &self,
        carrier_call_id: &str,
        channel: Channel,
        caller_known: bool,
    ) {
        let Some(engines) = self
            .calls()
            .filter(|calls| calls.is_realtime())
            .and_then(|calls| calls.supervisor().realtime())
        else {
            return;
        };
        if !self
            .prepared
            .prepare(engines, carrier_call_id, channel, caller_known)
        {
            tracing::debug!(
                pending = self.prepared.len(),
                "no realtime preconnect for this call"
            );
        }
    }

    /// The model session prepared for `carrier_call_id`, if any.
    pub(crate) async fn claim_session(&self, carrier_call_id: &str) -> Option<PreparedSession> {
        if !self.calls().is_some_and(|calls| calls.is_realtime()) {
            return None;
        }
        self.prepared.claim(carrier_call_id).await
    }

    /// Remembers a Plivo caller until the stream starts.
    pub(crate) fn remember_plivo_caller(&self, call_uuid: &str, caller: PhoneNumber) {
        let now = Instant::now();
        let mut callers = self
            .plivo_callers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        callers.retain(|_, (_, at)| now.duration_since(*at) < PLIVO_CALLER_TTL);
        if callers.len() >= PLIVO_CALLERS_MAX {
            if let Some(oldest) = callers
                .iter()
                .min_by_key(|(_, (_, at))| *at)
                .map(|(k, _)| k.clone())
            {
                callers.remove(&oldest);
            }
        }
        callers.insert(call_uuid.to_owned(), (caller, now));
    }

    /// The Plivo caller remembered for this call, once.
    pub(crate) fn take_plivo_caller(&self, call_uuid: &str) -> Option<PhoneNumber> {
        self.plivo_callers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(call_uuid)
            .filter(|(_, at)| at.elapsed() < PLIVO_CALLER_TTL)
            .map(|(number, _)| number)
    }

    /// The public base URL (`https://host`, no trailing slash) carriers
    /// reach this server at: the configured `public_url`, else the request's
    /// `X-Forwarded-Proto` (default `http`) and `X-Forwarded-Host` or `Host`.
    pub(crate) fn public_base(&self, headers: &HeaderMap) -> Option<String> {
        if let Some(url) = &self.settings.public_url {
            return Some(url.trim_end_matches('/').to_owned());
        }
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                // A proxy chain lists several; the first is the client's.
                .and_then(|v| v.split(',').next())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let proto = header("x-forwarded-proto").unwrap_or("http");
        if !matches!(proto, "http" | "https") {
            return None;
        }
        let host = header("x-forwarded-host").or_else(|| header("host"))?;
        if host.contains(['/', '@', ' ', '?', '#']) {
            return None;
        }
        Some(format!("{proto}://{host}"))
    }
}

/// `language` of the `<Say>`/`<Speak>` a transfer plays.
const TRANSFER_LANGUAGE: &str = "en-IN";
/// What the carrier says while connecting a transfer.
const TRANSFER_SAY: &str = "Please stay on the line while we connect you.";

fn build<T>(
    carrier: &'static str,
    client: Result<T, awaaz_telephony::rest::RestError>,
) -> Option<Arc<T>> {
    match client {
        Ok(client) => Some(Arc::new(client)),
        Err(e) => {
            tracing::error!(carrier, error = %e, "carrier rest client disabled");
            None
        }
    }
}

/// The `ws://`/`wss://` form of a public base URL.
pub(crate) fn ws_base(public_base: &str) -> String {
    if let Some(rest) = public_base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = public_base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        public_base.to_owned()
    }
}

/// A phone number for logs: `+91******78`.
pub(crate) fn masked(number: &str) -> String {
    PhoneNumber::new(number).masked()
}

/// Loads the embedded speech engines once from `$AWAAZ_MODELS_DIR`
/// (default `./models`) and enables browser calls (`WS /web/call`) with
/// them, and phone calls with the engine `config` names: the cascade on
/// those engines, or the realtime engine (with the cascade as its fallback
/// when the models are there). Without models, or if loading fails, the
/// cascade is off and its sockets say so; the realtime engine needs none.
///
/// Fails only on a realtime setting that cannot be used (an unreadable
/// prompt file).
pub async fn attach_voice(
    state: &AppState,
    agent: Arc<dyn Agent>,
    config: &Config,
) -> anyhow::Result<()> {
    let cascade = load_cascade(state, agent).await;
    if let Some(engines) = &cascade {
        let web = crate::web_call::WebCalls::new(
            engines.clone(),
            CallConfig::default(),
            crate::web_call::DEFAULT_MAX_WEB_CALLS,
        );
        state.set_web_calls(Arc::new(web));
        tracing::info!("browser calls enabled (embedded speech engines)");
    }
    match config.engine {
        EngineKind::Cascade => {
            if let Some(engines) = cascade {
                attach_engines(state, engines);
                tracing::info!("phone calls enabled (embedded speech engines)");
            }
        }
        EngineKind::Realtime => {
            let fallback = cascade.is_some();
            attach_realtime(state, config, cascade)?;
            tracing::info!(
                model = %config.realtime.model,
                fallback,
                max_calls = config.max_phone_calls(),
                "phone calls enabled (realtime engine)"
            );
        }
    }
    Ok(())
}

/// The cascade on the embedded speech engines, if the models load.
async fn load_cascade(state: &AppState, agent: Arc<dyn Agent>) -> Option<CallEngines> {
    let dir = awaaz_audio::models_dir();
    if !dir.join("whisper-base").is_dir() {
        tracing::info!(models_dir = %dir.display(), "embedded voice disabled: no models (run `just models`)");
        return None;
    }
    let (recognizer, synthesizer) = match crate::engines::load_speech(&dir).await {
        Ok(engines) => engines,
        Err(e) => {
            tracing::error!(
                error = format!("{e:#}"),
                "embedded voice disabled: cannot load models"
            );
            return None;
        }
    };
    Some(
        CallEngines::new(Arc::clone(state.store()), agent, recognizer, synthesizer)
            // As the softphone: Silero + the turn detector when present.
            .with_vad_from_env()
            .with_observer(Arc::clone(state.metrics()) as Arc<dyn awaaz_call::CallObserver>),
    )
}

/// Enables phone calls on `state` with `engines` (loaded by the caller, for
/// example shared with the softphone or with tests), at most
/// `max_calls` of the phone settings (`AWAAZ_MAX_PHONE_CALLS`, default
/// [`DEFAULT_MAX_PHONE_CALLS`]) at once.
pub fn attach_engines(state: &AppState, engines: CallEngines) {
    let max_calls = state
        .phone()
        .settings()
        .max_calls
        .unwrap_or(DEFAULT_MAX_PHONE_CALLS);
    let calls = PhoneCalls::new(engines, CallConfig::default(), max_calls);
    if !state.phone().set_calls(Arc::new(calls)) {
        tracing::warn!("phone calls were already enabled");
    }
}

/// Enables phone calls on `state` answered by the realtime engine that
/// `config.realtime` describes (endpoint, model, key, voice, prompt file,
/// prices), at most [`Config::max_phone_calls`] at once, with `fallback`
/// taking calls whose model cannot be reached.
pub fn attach_realtime(
    state: &AppState,
    config: &Config,
    fallback: Option<CallEngines>,
) -> anyhow::Result<()> {
    let engines = realtime_engines(state, config, fallback)?;
    let calls = PhoneCalls::realtime(engines, CallConfig::default(), config.max_phone_calls());
    if !state.phone().set_calls(Arc::new(calls)) {
        tracing::warn!("phone calls were already enabled");
    }
    Ok(())
}

/// The realtime engine `config` describes, over the state's store.
fn realtime_engines(
    state: &AppState,
    config: &Config,
    fallback: Option<CallEngines>,
) -> anyhow::Result<RealtimeEngines> {
    let settings = &config.realtime;
    let key = settings
        .api_key
        .as_ref()
        .context("the realtime engine needs AWAAZ_OPENAI_API_KEY")?;
    let mut client = awaaz_realtime::RealtimeConfig::new(key.expose());
    client.url.clone_from(&settings.url);
    client.model.clone_from(&settings.model);
    let mut engines = RealtimeEngines::new(Arc::clone(state.store()), client)
        .with_voice(settings.voice.clone())
        .with_shop_name(config.shop_name.clone())
        .with_prices(settings.prices(), settings.usd_to_inr)
        .with_observer(Arc::clone(state.metrics()) as Arc<dyn awaaz_call::CallObserver>);
    if let Some(path) = &settings.prompt_file {
        let prompt = std::fs::read_to_string(path).with_context(|| {
            format!(
                "AWAAZ_OPENAI_REALTIME_PROMPT_FILE: cannot read {}",
                path.display()
            )
        })?;
        if prompt.trim().is_empty() {
            anyhow::bail!(
                "AWAAZ_OPENAI_REALTIME_PROMPT_FILE: {} is empty",
                path.display()
            );
        }
        engines = engines.with_prompt(prompt);
    }
    if let Some(cascade) = fallback {
        // The embedded engines hold what they hold on this host whatever
        // the realtime cap; beyond that an outage sends callers to a person.
        engines = engines
            .with_fallback(cascade)
            .with_fallback_limit(DEFAULT_MAX_PHONE_CALLS);
    }
    Ok(engines)
}

/// The carrier webhooks and media sockets, and the outbound-call API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/twilio/voice", post(twilio::voice))
        .route("/twilio/status", post(twilio::status))
        .route("/twilio/media", get(twilio::media))
        .route("/api/v1/calls/outbound", post(twilio::outbound))
        .route("/exotel/media", get(exotel::media))
        .route("/plivo/answer", post(plivo::answer))
        .route(
            "/plivo/transfer",
            post(plivo::transfer).get(plivo::transfer),
        )
        .route("/plivo/media", get(plivo::media))
}

#[cfg(test)]
mod tests;
