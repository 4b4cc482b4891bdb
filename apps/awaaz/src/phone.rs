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
mod sms;
mod twilio;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use awaaz_agent::Agent;
use awaaz_call::{CallConfig, CallEngines, CallSupervisor};
use awaaz_store::PhoneNumber;
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

use crate::config::PhoneSettings;
use crate::http::AppState;

pub use sms::{SmsSender, SmsSenderConfig};
pub use twilio::{call_from_cli, place_outbound_call, OutboundCall, OutboundError};

/// Phone calls allowed at once unless `AWAAZ_MAX_PHONE_CALLS` says
/// otherwise: what a 2-core host holds with the embedded speech engines.
pub const DEFAULT_MAX_PHONE_CALLS: usize = 10;

/// How long a Plivo caller's number is kept between `POST /plivo/answer` and
/// the stream's `start` (Plivo's `start` carries no numbers).
const PLIVO_CALLER_TTL: Duration = Duration::from_secs(120);
/// Most Plivo callers remembered at once; older entries are dropped first.
const PLIVO_CALLERS_MAX: usize = 1_000;

/// Phone calls: the call supervisor they run under.
#[derive(Debug)]
pub struct PhoneCalls {
    supervisor: CallSupervisor,
}

impl PhoneCalls {
    /// Phone calls over `engines`, at most `max_calls` at once.
    pub fn new(engines: CallEngines, config: CallConfig, max_calls: usize) -> Self {
        Self {
            supervisor: CallSupervisor::new(engines, config, max_calls),
        }
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
/// (default `./models`) and enables both browser calls (`WS /web/call`) and
/// phone calls with them. Without models, or if loading fails, the server
/// runs without voice and the sockets say so.
pub async fn attach_voice_from_env(state: &AppState, agent: Arc<dyn Agent>) {
    let dir = awaaz_audio::models_dir();
    if !dir.join("whisper-base").is_dir() {
        tracing::info!(models_dir = %dir.display(), "voice calls disabled: no models (run `just models`)");
        return;
    }
    let (recognizer, synthesizer) = match crate::engines::load_speech(&dir).await {
        Ok(engines) => engines,
        Err(e) => {
            tracing::error!(
                error = format!("{e:#}"),
                "voice calls disabled: cannot load models"
            );
            return;
        }
    };
    let engines = CallEngines::new(Arc::clone(state.store()), agent, recognizer, synthesizer)
        // As the softphone: Silero + the turn detector when present.
        .with_vad_from_env()
        .with_observer(Arc::clone(state.metrics()) as Arc<dyn awaaz_call::CallObserver>);
    let web = crate::web_call::WebCalls::new(
        engines.clone(),
        CallConfig::default(),
        crate::web_call::DEFAULT_MAX_WEB_CALLS,
    );
    state.set_web_calls(Arc::new(web));
    attach_engines(state, engines);
    tracing::info!("browser and phone calls enabled (embedded speech engines)");
}

/// Enables phone calls on `state` with `engines` (loaded by the caller, for
/// example shared with the softphone or with tests), at most
/// `max_calls` of the phone settings (`AWAAZ_MAX_PHONE_CALLS`) at once.
pub fn attach_engines(state: &AppState, engines: CallEngines) {
    let max_calls = state.phone().settings().max_calls;
    let calls = PhoneCalls::new(engines, CallConfig::default(), max_calls);
    if !state.phone().set_calls(Arc::new(calls)) {
        tracing::warn!("phone calls were already enabled");
    }
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
