//! Whole phone calls over real sockets: the awaaz server (real SQLite store,
//! embedded agent, Whisper + Piper) answers fake Twilio, Exotel and Plivo
//! callers, and hands calls and SMS to a fake carrier REST server.
//!
//! ```text
//!  espeak-ng ─▶ fake caller (awaaz-fakes: 20 ms frames in real time) ─WS─▶ awaaz /{carrier}/media
//!                   ▲ plays out bot audio, echoes marks, obeys clears        │ awaaz-call
//!                   └── heard audio ─▶ Whisper (what did the caller hear?)   ▼
//!                                                         fake carrier REST (transfers, SMS)
//! ```
//!
//! The engine tests skip (with a message) when the models directory is
//! missing (`just models`, or `AWAAZ_MODELS_DIR`); the signature tests and
//! the no-engine socket tests always run. Engine calls run one at a time
//! (`SERIAL`): on two cores, two real-time calls slow each other's
//! recogniser.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use awaaz::{AppState, Config, ServerHandle};
use awaaz_agent::{Agent, AgentError, AgentReply, AgentSession, Language, SessionContext};
use awaaz_audio::{AudioChunk, Resampler};
use awaaz_call::CallEngines;
use awaaz_fakes::carrier_rest::{
    CallAction, FakeCarrier, FakeCarrierRest, EXOTEL_ACCOUNT_SID, EXOTEL_API_KEY, EXOTEL_API_TOKEN,
    PLIVO_AUTH_ID, PLIVO_AUTH_TOKEN, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN,
};
use awaaz_fakes::exotel::{ExotelCallSetup, FakeExotelCall};
use awaaz_fakes::plivo::{FakePlivoCall, PlivoCallSetup};
use awaaz_fakes::twilio::{CallEventKind, FakeCall, FakeTwilioCall, TwilioCallSetup};
use awaaz_speech::tts::EmbeddedSynthesizer;
use awaaz_speech::{
    speakable, RecognitionHints, SpeechRecognizer, Voice, WhisperModel, WhisperRecognizer,
};
use awaaz_store::{Call, CallDetail, CallId, Channel, NewCall, SmsStatus, Speaker, Store};
use awaaz_telephony::plivo::signature::{Method as PlivoMethod, SignatureV3Validator};
use awaaz_telephony::signature::RequestValidator;
use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

mod support;

/// One engine call at a time (see the module docs).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Priya, a demo customer: her orders include ORD-45679 (delivered).
const PRIYA: &str = "+919812345678";
/// Where transfers go.
const DESK: &str = "+911140000000";
/// The shop's numbers on the carriers.
const SHOP: &str = "+15005550001";
/// 20 ms at 16 kHz.
const FRAME: usize = 320;
/// The speech energy (RMS, PCM16) where synthetic speech starts.
const SPEECH_RMS: f64 = 520.0;
/// Everything an engine test may wait for, at most.
const TEST_TIMEOUT: Duration = Duration::from_secs(300);

// ---- logs ----

/// Everything awaaz's own crates log during this test binary.
fn captured_logs() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| Mutex::new(Vec::new()))
}

struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        lock(captured_logs()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn init_logs() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        let filter = tracing_subscriber::EnvFilter::new(
            "awaaz=trace,awaaz_call=debug,awaaz_telephony=trace,awaaz_agent=debug",
        );
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .with_writer(|| LogWriter)
            .try_init();
    });
}

fn logs_text() -> String {
    String::from_utf8_lossy(&lock(captured_logs())).into_owned()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

// ---- engines ----

fn models_dir() -> PathBuf {
    std::env::var_os("AWAAZ_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../models"))
}

/// Whisper base and the Piper/espeak-ng voice, loaded once for the binary.
fn speech_models() -> Option<(WhisperModel, EmbeddedSynthesizer)> {
    static MODELS: OnceLock<Option<(WhisperModel, EmbeddedSynthesizer)>> = OnceLock::new();
    MODELS
        .get_or_init(|| {
            let dir = models_dir();
            if !dir.join("whisper-base").is_dir() {
                eprintln!(
                    "SKIP phone_calls (engine tests): no models at {} (run `just models`, or set AWAAZ_MODELS_DIR)",
                    dir.display()
                );
                return None;
            }
            let whisper = WhisperModel::load(dir.join("whisper-base")).expect("whisper-base loads");
            let env = awaaz_speech::tts::onnx_environment(Some(
                &dir.join("onnxruntime/libonnxruntime.so"),
            ))
            .expect("ONNX Runtime loads");
            let voice = EmbeddedSynthesizer::load(&env, &dir).expect("the Piper voice loads");
            Some((whisper, voice))
        })
        .clone()
}

async fn models() -> Option<(WhisperModel, EmbeddedSynthesizer)> {
    tokio::task::spawn_blocking(speech_models)
        .await
        .expect("model loading panicked")
}

/// The server's agent, noting every reply (the full text, before a
/// barge-in cut it).
struct NotingAgent {
    inner: Arc<dyn Agent>,
    replies: Arc<Mutex<Vec<AgentReply>>>,
}

struct NotingSession {
    inner: Box<dyn AgentSession>,
    replies: Arc<Mutex<Vec<AgentReply>>>,
}

#[async_trait]
impl Agent for NotingAgent {
    async fn start(&self, ctx: SessionContext) -> Box<dyn AgentSession> {
        Box::new(NotingSession {
            inner: self.inner.start(ctx).await,
            replies: Arc::clone(&self.replies),
        })
    }
}

#[async_trait]
impl AgentSession for NotingSession {
    async fn greet(&mut self, now: DateTime<Utc>) -> AgentReply {
        let reply = self.inner.greet(now).await;
        lock(&self.replies).push(reply.clone());
        reply
    }
    async fn respond(&mut self, text: &str, now: DateTime<Utc>) -> Result<AgentReply, AgentError> {
        let reply = self.inner.respond(text, now).await?;
        lock(&self.replies).push(reply.clone());
        Ok(reply)
    }
    async fn respond_streaming(
        &mut self,
        text: &str,
        now: DateTime<Utc>,
        clauses: &mut (dyn FnMut(String) + Send),
    ) -> Result<AgentReply, AgentError> {
        let reply = self.inner.respond_streaming(text, now, clauses).await?;
        lock(&self.replies).push(reply.clone());
        Ok(reply)
    }
    async fn keypress(
        &mut self,
        digit: char,
        now: DateTime<Utc>,
    ) -> Result<Option<AgentReply>, AgentError> {
        let reply = self.inner.keypress(digit, now).await?;
        if let Some(reply) = &reply {
            lock(&self.replies).push(reply.clone());
        }
        Ok(reply)
    }
    fn truncate_last_reply(&mut self, heard: &str) {
        self.inner.truncate_last_reply(heard);
    }
    fn language(&self) -> Language {
        self.inner.language()
    }
}

// ---- the server ----

/// Which carrier a server is set up for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Carrier {
    Twilio,
    Exotel,
    Plivo,
}

/// A running awaaz with phone lines, its fake carrier REST server and what
/// the tests look at.
struct Phone {
    addr: SocketAddr,
    handle: Option<ServerHandle>,
    store: Arc<dyn Store>,
    rest: FakeCarrierRest,
    replies: Arc<Mutex<Vec<AgentReply>>>,
    whisper: Option<WhisperRecognizer>,
    _dir: tempfile::TempDir,
}

impl Phone {
    /// A server configured for `carrier` (REST aimed at a fresh fake), with
    /// the speech engines when `engines` are given.
    async fn start(
        carrier: Carrier,
        engines: Option<(WhisperModel, EmbeddedSynthesizer)>,
        edit: impl FnOnce(&mut Config),
    ) -> Self {
        init_logs();
        let rest = FakeCarrierRest::start().await;
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut config = support::sqlite_config(dir.path());
        let phone = &mut config.phone;
        phone.transfer_to = Some(DESK.to_owned());
        match carrier {
            Carrier::Twilio => {
                phone.twilio.account_sid = Some(TWILIO_ACCOUNT_SID.to_owned());
                phone.twilio.auth_token = Some(awaaz::config::Secret::new(TWILIO_AUTH_TOKEN));
                phone.twilio.api_base = rest.base_url();
                phone.twilio.from = Some(SHOP.to_owned());
            }
            Carrier::Plivo => {
                phone.plivo.auth_id = Some(PLIVO_AUTH_ID.to_owned());
                phone.plivo.auth_token = Some(awaaz::config::Secret::new(PLIVO_AUTH_TOKEN));
                phone.plivo.api_base = rest.base_url();
                phone.plivo.from = Some(SHOP.to_owned());
            }
            Carrier::Exotel => {
                phone.exotel.account_sid = Some(EXOTEL_ACCOUNT_SID.to_owned());
                phone.exotel.api_key = Some(EXOTEL_API_KEY.to_owned());
                phone.exotel.api_token = Some(awaaz::config::Secret::new(EXOTEL_API_TOKEN));
                phone.exotel.api_base = rest.base_url();
                phone.exotel.from = Some(SHOP.to_owned());
            }
        }
        edit(&mut config);
        let (store, agent) = awaaz::open(&config).await.expect("store and agent open");
        let replies = Arc::new(Mutex::new(Vec::new()));
        let agent: Arc<dyn Agent> = Arc::new(NotingAgent {
            inner: agent,
            replies: Arc::clone(&replies),
        });
        let state = AppState::new(Arc::clone(&store), Arc::clone(&agent), &config);
        let whisper = engines.map(|(whisper, voice)| {
            let whisper = WhisperRecognizer::new(whisper);
            let engines = CallEngines::new(
                Arc::clone(&store),
                agent,
                Arc::new(whisper.clone()),
                Arc::new(voice),
            );
            awaaz::phone::attach_engines(&state, engines);
            whisper
        });
        let (addr, handle) = awaaz::start_with_state(state, config.http_addr)
            .await
            .expect("server starts");
        Self {
            addr,
            handle: Some(handle),
            store,
            rest,
            replies,
            whisper,
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn ws(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    fn replies(&self) -> Vec<AgentReply> {
        lock(&self.replies).clone()
    }

    /// POSTs a form, signed for `signed_url` with Twilio's test auth token
    /// (`None`: no signature header).
    async fn post_form(
        &self,
        path: &str,
        params: &[(&str, &str)],
        signed_url: Option<&str>,
    ) -> (u16, String) {
        let headers = signed_url.map(|url| support::twilio_signature(url, params));
        support::post_form(&self.url(path), params, headers.unwrap_or_default()).await
    }

    /// POSTs a form as Plivo does, signed (`X-Plivo-Signature-V3`) for
    /// `signed_url` with the test auth token (`None`: no signature headers).
    async fn post_plivo_form(
        &self,
        path: &str,
        params: &[(&str, &str)],
        signed_url: Option<&str>,
    ) -> (u16, String) {
        let headers = signed_url.map(|url| {
            let nonce = CallId::new_v7().to_string();
            let signature = SignatureV3Validator::new(PLIVO_AUTH_TOKEN).compute(
                PlivoMethod::Post,
                url,
                params,
                &nonce,
            );
            vec![
                ("x-plivo-signature-v3", signature),
                ("x-plivo-signature-v3-nonce", nonce),
            ]
        });
        support::post_form(&self.url(path), params, headers.unwrap_or_default()).await
    }

    async fn calls(&self) -> Vec<Call> {
        self.store.calls(100, 0).await.expect("store readable")
    }

    /// Waits until the call with this carrier id is stored as ended.
    async fn ended_call(&self, carrier_call_id: &str) -> CallDetail {
        support::ended_call(self.store.as_ref(), carrier_call_id).await
    }

    /// What Whisper hears in `line` (8 kHz audio the caller heard).
    async fn recognise(&self, line: &[i16]) -> String {
        let whisper = self.whisper.as_ref().expect("engines loaded");
        let mut resampler = Resampler::new(8_000, 16_000).expect("8 → 16 kHz");
        let mut audio = resampler.process(line);
        audio.extend(resampler.flush());
        let mut stream = whisper
            .start(&RecognitionHints::default())
            .await
            .expect("recogniser starts");
        for chunk in audio.chunks(FRAME) {
            stream
                .push(&AudioChunk::new(chunk.to_vec()))
                .await
                .expect("recogniser takes audio");
        }
        stream.finish().await.expect("recognition").text
    }

    async fn stop(mut self) {
        if let Some(handle) = self.handle.take() {
            handle.shutdown().await.expect("clean shutdown");
        }
    }
}

// ---- speech ----

fn rms(frame: &[i16]) -> f64 {
    if frame.is_empty() {
        return 0.0;
    }
    let sum: f64 = frame.iter().map(|s| f64::from(*s).powi(2)).sum();
    (sum / frame.len() as f64).sqrt()
}

/// `text` read by espeak-ng's English voice (the Hinglish caller
/// `voice_calls.rs` uses), 16 kHz PCM16 starting at its first loud frame.
fn speech(text: &str) -> Vec<i16> {
    let script = r#"set -o pipefail
espeak-ng -v en-us -s 150 --stdout "$1" \
  | sox -D -t wav - -t raw -e signed -b 16 -L -r 16000 -c 1 -"#;
    let out = Command::new("bash")
        .args(["-c", script, "speech", text])
        .output()
        .expect("bash starts");
    assert!(
        out.status.success(),
        "espeak-ng | sox failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let samples: Vec<i16> = out
        .stdout
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    let onset = samples
        .chunks(FRAME)
        .position(|f| rms(f) >= SPEECH_RMS)
        .expect("the synthetic speech is audible");
    samples[onset * FRAME..].to_vec()
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The reply as the synthesiser speaks it (what stored turns hold), by words.
fn spoken_words(reply: &AgentReply) -> Vec<String> {
    speakable(&reply.text, Voice::English)
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

fn texts(detail: &CallDetail) -> Vec<&str> {
    detail.turns.iter().map(|t| t.text.as_str()).collect()
}

fn speakers(detail: &CallDetail) -> Vec<Speaker> {
    detail.turns.iter().map(|t| t.speaker).collect()
}

// ---- the caller's side, shared by the three carriers ----

const LONG: Duration = Duration::from_secs(90);

/// Waits for the greeting to play out.
async fn hear_greeting(call: &FakeCall) {
    call.wait_for_audio(1_000, Duration::from_secs(60))
        .await
        .expect("the greeting plays");
    call.wait_quiet(1_000, LONG)
        .await
        .expect("the greeting ends");
}

/// Says `audio` and waits for the whole answer; returns the answer as heard.
async fn ask(call: &FakeCall, audio: &[i16]) -> Vec<i16> {
    let before = call.heard_audio().len();
    call.say(audio, 16_000).expect("the call is up");
    call.wait_speech_sent(Duration::from_secs(30))
        .await
        .expect("the question is sent");
    call.wait_for_audio(1_000, LONG)
        .await
        .expect("the answer plays");
    call.wait_quiet(1_200, LONG).await.expect("the answer ends");
    call.heard_audio()[before..].to_vec()
}

/// (a) The caller asks where order 45678 is, in Hinglish; what they hear
/// names the order's state or its courier. Returns the stored call.
async fn order_question(
    phone: &Phone,
    call: &FakeCall,
    carrier_call_id: &str,
    label: &str,
) -> CallDetail {
    hear_greeting(call).await;
    let answer = ask(call, &speech("Mera order number 45678 kahan hai?")).await;
    let heard = phone.recognise(&answer).await;
    eprintln!("{label}: the caller heard {heard:?}");
    let w = words(&heard);
    assert!(
        w.iter()
            .any(|x| ["delhivery", "delivery", "shipped", "ship", "order"].contains(&x.as_str()))
            || heard.contains("45678"),
        "{label}: the answer names the order or its courier: {heard:?}"
    );
    call.hang_up().await;
    let detail = phone.ended_call(carrier_call_id).await;
    eprintln!("{label}: turns {:?}", texts(&detail));
    assert_eq!(
        speakers(&detail),
        vec![Speaker::Agent, Speaker::Caller, Speaker::Agent],
        "{label}: {:?}",
        texts(&detail)
    );
    assert!(
        detail
            .tool_calls
            .iter()
            .any(|c| c.name == "lookup_order" && c.arguments["order_id"] == "ORD-45678"),
        "{label}: {:?}",
        detail.tool_calls
    );
    assert!(!detail.turns[2].interrupted);
    assert_eq!(detail.call.status, "completed");
    assert!(
        call.violations().is_empty(),
        "{label}: {:?}",
        call.violations()
    );
    detail
}

/// (b) The caller talks over the answer: the carrier is told to clear, the
/// bot stops, and the stored answer is a prefix of what was meant.
async fn barge_in(phone: &Phone, call: &FakeCall, carrier_call_id: &str, label: &str) {
    hear_greeting(call).await;
    call.say(&speech("Hello, where is my order number 45678?"), 16_000)
        .expect("the call is up");
    call.wait_speech_sent(Duration::from_secs(30))
        .await
        .expect("sent");
    call.wait_for_audio(800, LONG)
        .await
        .expect("the answer starts");
    call.say(
        &speech("Wait, stop. I want to cancel my order instead."),
        16_000,
    )
    .expect("the call is up");
    let cleared = call
        .wait_for_event(Duration::from_secs(15), |k| {
            matches!(k, CallEventKind::Cleared { .. })
        })
        .await
        .expect("the carrier was told to clear");
    eprintln!("{label}: cleared {cleared:?}");
    call.wait_speech_sent(Duration::from_secs(30))
        .await
        .expect("sent");
    call.wait_for_audio(500, LONG)
        .await
        .expect("the interruption is answered");
    call.wait_quiet(1_200, LONG).await.expect("the answer ends");
    call.hang_up().await;
    let detail = phone.ended_call(carrier_call_id).await;
    eprintln!("{label}: turns {:?}", texts(&detail));
    assert!(
        detail.turns.len() >= 4,
        "{label}: greeting, question, cut answer, interruption: {:?}",
        texts(&detail)
    );
    let cut = &detail.turns[2];
    assert_eq!(cut.speaker, Speaker::Agent);
    assert!(cut.interrupted, "{label}: {:?}", texts(&detail));
    let full = spoken_words(&phone.replies()[1]);
    let heard: Vec<String> = cut.text.split_whitespace().map(str::to_owned).collect();
    assert!(
        heard.len() < full.len(),
        "{label}: the stored turn {:?} is shorter than the reply {full:?}",
        cut.text
    );
    assert_eq!(
        heard[..],
        full[..heard.len()],
        "{label}: the stored turn is a prefix of the reply"
    );
    assert_eq!(detail.turns[3].speaker, Speaker::Caller);
    assert!(
        call.violations().is_empty(),
        "{label}: {:?}",
        call.violations()
    );
}

/// (c) The caller presses 0: the agent hands the call to a person and the
/// socket closes. Returns the stored call.
async fn press_zero(
    phone: &Phone,
    call: &FakeCall,
    carrier_call_id: &str,
    label: &str,
) -> CallDetail {
    hear_greeting(call).await;
    call.press('0').expect("the call is up");
    call.wait_ended(LONG)
        .await
        .expect("the call is handed over");
    assert!(call.closed(), "{label}: awaaz closed the stream");
    // The "connecting you" line played to its end before the hand-off.
    let events = call.events();
    let end_echoed = events
        .iter()
        .position(|e| {
            matches!(&e.kind, CallEventKind::MarkEchoed { name, played: true } if name == "awaaz-end")
        })
        .unwrap_or_else(|| panic!("{label}: the end mark was echoed: {events:?}"));
    let pressed = events
        .iter()
        .position(|e| matches!(e.kind, CallEventKind::DtmfSent { digit: '0' }))
        .expect("the key press was sent");
    assert!(
        events[pressed..end_echoed]
            .iter()
            .any(|e| matches!(e.kind, CallEventKind::MediaReceived { .. })),
        "{label}: the transfer line was played before the hand-off"
    );
    let detail = phone.ended_call(carrier_call_id).await;
    eprintln!("{label}: turns {:?}", texts(&detail));
    assert_eq!(detail.call.status, "transferred", "{label}");
    let transfers = phone
        .store
        .transfers(&detail.call.id)
        .await
        .expect("store readable");
    assert_eq!(transfers.len(), 1, "{label}: {transfers:?}");
    assert_eq!(transfers[0].status, "connected", "{label}");
    detail
}

/// (d) A damage complaint: a ticket is raised, the caller takes the SMS
/// offer, and the SMS leaves through the carrier's REST API.
///
/// The caller (Priya, a known number) names no order: the agent finds her
/// delivered order by her number and asks to confirm, then offers the SMS.
/// Each of those questions is answered "yes" (at most three times) until
/// the SMS is queued.
async fn complaint(phone: &Phone, call: &FakeCall, carrier_call_id: &str, label: &str) {
    hear_greeting(call).await;
    let answer = ask(
        call,
        &speech("My parcel arrived damaged. I want to make a complaint."),
    )
    .await;
    eprintln!(
        "{label}: complaint answered with {:?}",
        phone.recognise(&answer).await
    );
    for _ in 0..3 {
        let sms_queued = !phone
            .store
            .sms_by_status(SmsStatus::Queued, 10)
            .await
            .expect("store readable")
            .is_empty()
            || !phone.rest.sms().is_empty();
        if sms_queued {
            break;
        }
        ask(call, &speech("Yes, please.")).await;
    }
    call.hang_up().await;
    let detail = phone.ended_call(carrier_call_id).await;
    eprintln!("{label}: turns {:?}", texts(&detail));
    let tickets = phone
        .store
        .tickets(&awaaz_store::TicketFilter::default())
        .await
        .expect("store readable");
    let ticket = tickets
        .iter()
        .find(|t| t.call_id.as_ref() == Some(&detail.call.id))
        .unwrap_or_else(|| panic!("{label}: a ticket for the call: {tickets:?}"));
    assert_eq!(
        ticket.order_id.as_ref().map(|o| o.0.as_str()),
        Some("ORD-45679"),
        "{label}: Priya's delivered order"
    );
    assert_eq!(ticket.category, awaaz_store::TicketCategory::Damaged);
    assert!(
        detail.tool_calls.iter().any(|c| c.name == "send_sms"),
        "{label}: {:?}",
        detail.tool_calls
    );
    // The sender polls the outbox every second.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while phone.rest.sms().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{label}: no SMS reached the carrier; requests {:?}",
            phone.rest.requests()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sms = phone.rest.sms();
    assert_eq!(sms.len(), 1, "{label}: {sms:?}");
    assert_eq!(sms[0].to, PRIYA);
    assert_eq!(sms[0].from, SHOP);
    assert!(
        sms[0].body.contains(&ticket.id.0),
        "{label}: {}",
        sms[0].body
    );
    // And the outbox says so.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let sent = phone
            .store
            .sms_by_status(SmsStatus::Sent, 10)
            .await
            .expect("store readable");
        if sent.len() == 1 {
            assert_eq!(sent[0].provider_id.as_deref(), Some(sms[0].sid.as_str()));
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{label}: sms not marked sent"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---- Twilio ----

/// Parses the TwiML `<Stream url>` and its `<Parameter>`s.
/// A Twilio call the way Twilio makes it: the signed voice webhook, then
/// the Media Stream the TwiML names, with its parameters.
async fn twilio_call(phone: &Phone, from: &str) -> FakeTwilioCall {
    let (setup, stream_url) = support::answer_twilio(&phone.url(""), from, SHOP).await;
    assert_eq!(stream_url, phone.ws("/twilio/media"));
    FakeTwilioCall::connect(&stream_url, setup)
        .await
        .expect("the media stream opens")
}

macro_rules! engines_or_skip {
    () => {
        match models().await {
            Some(models) => models,
            None => return,
        }
    };
}

async fn with_timeout(body: impl std::future::Future<Output = ()>) {
    tokio::time::timeout(TEST_TIMEOUT, body)
        .await
        .expect("the test finished in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilio_hinglish_order_question_is_answered_aloud() {
    let _serial = SERIAL.lock().await;
    let models = engines_or_skip!();
    with_timeout(async {
        let phone = Phone::start(Carrier::Twilio, Some(models), |_| {}).await;
        let call = twilio_call(&phone, PRIYA).await;
        let sid = call.setup().call_sid.clone();
        let detail = order_question(&phone, &call, &sid, "twilio").await;
        assert_eq!(detail.call.channel, Channel::Twilio);
        assert_eq!(detail.call.caller.as_ref().map(|p| p.as_str()), Some(PRIYA));
        assert_eq!(detail.call.carrier_call_id.as_deref(), Some(sid.as_str()));
        // Marks came back for what played; the stream was μ-law frames of 20 ms.
        let events = call.events();
        assert!(events
            .iter()
            .any(|e| matches!(&e.kind, CallEventKind::MarkEchoed { played: true, .. })));
        assert!(events.iter().all(|e| match &e.kind {
            CallEventKind::MediaReceived { bytes, .. } => *bytes == 160,
            _ => true,
        }));
        // No caller number in awaaz's logs.
        let logs = logs_text();
        assert!(logs.contains("phone call started"), "logs were captured");
        assert!(!logs.contains("9812345678"), "a phone number was logged");
        phone.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilio_barge_in_clears_and_cuts_the_turn() {
    let _serial = SERIAL.lock().await;
    let models = engines_or_skip!();
    with_timeout(async {
        let phone = Phone::start(Carrier::Twilio, Some(models), |_| {}).await;
        let call = twilio_call(&phone, PRIYA).await;
        let sid = call.setup().call_sid.clone();
        barge_in(&phone, &call, &sid, "twilio").await;
        phone.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilio_keypad_zero_transfers_through_rest() {
    let _serial = SERIAL.lock().await;
    let models = engines_or_skip!();
    with_timeout(async {
        let phone = Phone::start(Carrier::Twilio, Some(models), |_| {}).await;
        let call = twilio_call(&phone, PRIYA).await;
        let sid = call.setup().call_sid.clone();
        press_zero(&phone, &call, &sid, "twilio").await;
        let updates = phone.rest.call_updates();
        assert_eq!(updates.len(), 1, "{updates:?}");
        assert_eq!(updates[0].carrier, FakeCarrier::Twilio);
        assert_eq!(updates[0].call_id, sid);
        let CallAction::Twiml(twiml) = &updates[0].action else {
            panic!("not a TwiML update: {updates:?}")
        };
        assert!(twiml.contains(&format!("<Dial>{DESK}</Dial>")), "{twiml}");
        assert!(twiml.contains("<Say"), "{twiml}");
        phone.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilio_complaint_raises_a_ticket_and_sends_an_sms() {
    let _serial = SERIAL.lock().await;
    let models = engines_or_skip!();
    with_timeout(async {
        let phone = Phone::start(Carrier::Twilio, Some(models), |_| {}).await;
        let call = twilio_call(&phone, PRIYA).await;
        let sid = call.setup().call_sid.clone();
        complaint(&phone, &call, &sid, "twilio").await;
        assert_eq!(phone.rest.sms()[0].carrier, FakeCarrier::Twilio);
        phone.stop().await;
    })
    .await;
}

/// Malformed frames on one stream (and a stream that never starts) do not
/// stop that call, another call, or the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilio_malformed_frames_are_dropped_and_calls_go_on() {
    let _serial = SERIAL.lock().await;
    let models = engines_or_skip!();
    with_timeout(async {
        let phone = Phone::start(Carrier::Twilio, Some(models), |_| {}).await;
        // A socket that never says start is closed after 10 s.
        let (mut silent, _) = tokio_tungstenite::connect_async(phone.ws("/twilio/media"))
            .await
            .expect("connects");
        let silent_closed = tokio::spawn(async move {
            let opened = tokio::time::Instant::now();
            while let Some(Ok(message)) = silent.next().await {
                if matches!(message, Message::Close(_)) {
                    break;
                }
            }
            opened.elapsed()
        });

        // A well-behaved caller, concurrently.
        let good = twilio_call(&phone, PRIYA).await;
        let good_sid = good.setup().call_sid.clone();

        // The misbehaving stream: valid start (TwiML parameters), then junk.
        let call_sid = format!("CA{:032x}", 0xbad_u64);
        let params = [("CallSid", call_sid.as_str()), ("From", "+919876543210")];
        let url = phone.url("/twilio/voice");
        let (status, twiml) = phone.post_form("/twilio/voice", &params, Some(&url)).await;
        assert_eq!(status, 200);
        let (stream_url, custom) = support::parse_stream_twiml(&twiml);
        let (mut bad, _) = tokio_tungstenite::connect_async(stream_url)
            .await
            .expect("connects");
        let sid = "MZ00000000000000000000000000000bad";
        let media = |payload: &str| {
            serde_json::json!({"event": "media", "sequenceNumber": "3", "streamSid": sid,
                "media": {"track": "inbound", "chunk": "1", "timestamp": "20", "payload": payload}})
            .to_string()
        };
        let start = serde_json::json!({"event": "start", "sequenceNumber": "1", "streamSid": sid,
            "start": {"accountSid": TWILIO_ACCOUNT_SID, "streamSid": sid, "callSid": call_sid,
                "tracks": ["inbound"], "customParameters": custom,
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}})
        .to_string();
        let silence = base64_encode(&[0xff; 160]);
        let junk = [
            Message::text(media(&silence)), // media before start
            Message::text(r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#),
            Message::text(start),
            Message::text("{not json"),
            Message::text(media("%%% not base64 %%%")),
            Message::binary(vec![0u8; 320]),
            Message::text(format!(
                r#"{{"event":"media","pad":"{}"}}"#,
                "x".repeat(1024 * 1024)
            )),
            Message::text(r#"{"event":"dance","streamSid":"x"}"#),
            Message::text(r#"[1,2,3]"#),
            Message::text(r#"{"event":"mark","streamSid":"x","mark":{}}"#),
            Message::text(media(&silence)),
        ];
        for message in junk {
            bad.send(message).await.expect("the server still reads");
        }
        // The misbehaving call is up: its greeting arrives.
        let mut greeting_frames = 0;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while greeting_frames < 10 {
            let next = tokio::time::timeout_at(deadline, bad.next())
                .await
                .expect("greeting audio on the misbehaving call");
            match next {
                Some(Ok(Message::Text(text))) if text.contains("\"media\"") => {
                    greeting_frames += 1;
                }
                Some(Ok(_)) => {}
                other => panic!("the misbehaving call was closed: {other:?}"),
            }
        }
        // The good call completes a question normally.
        hear_greeting(&good).await;
        let answer = ask(&good, &speech("Mera order number 45678 kahan hai?")).await;
        assert!(answer.len() > 8_000, "a second of answer");
        good.hang_up().await;
        let detail = phone.ended_call(&good_sid).await;
        assert_eq!(detail.call.status, "completed");
        assert_eq!(detail.turns.len(), 3, "{:?}", texts(&detail));
        let _ = bad.close(None).await;
        let waited = silent_closed.await.expect("the silent socket task");
        assert!(
            (Duration::from_secs(9)..Duration::from_secs(30)).contains(&waited),
            "closed after {waited:?}"
        );
        let (status, _) = get(&phone.url("/health")).await;
        assert_eq!(status, 200, "the server is up");
        let logs = logs_text();
        assert!(
            logs.contains("carrier frame dropped"),
            "bad frames are logged"
        );
        assert!(logs.contains("no start on the media stream"), "{logs}");
        phone.stop().await;
    })
    .await;
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn get(url: &str) -> (u16, String) {
    let response = support::client()
        .get(url)
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

// ---- Twilio webhooks: signatures and status (no engines needed) ----

#[tokio::test]
async fn twilio_voice_webhook_needs_a_valid_signature() {
    let phone = Phone::start(Carrier::Twilio, None, |_| {}).await;
    let calls_before = phone.calls().await.len();
    let params = [
        ("AccountSid", TWILIO_ACCOUNT_SID),
        ("CallSid", "CA0123456789abcdef0123456789abcdef"),
        ("From", PRIYA),
        ("To", SHOP),
    ];
    let url = phone.url("/twilio/voice");

    // No engines in this server: a valid request is answered, politely.
    let (status, twiml) = phone.post_form("/twilio/voice", &params, Some(&url)).await;
    assert_eq!(status, 200, "{twiml}");
    assert!(
        twiml.contains("<Say") && twiml.contains("<Hangup/>"),
        "{twiml}"
    );

    for (label, signed) in [
        ("missing", None),
        ("another url", Some(phone.url("/twilio/status"))),
        (
            "another host",
            Some(format!("https://evil.example{}", "/twilio/voice")),
        ),
        ("another query", Some(format!("{url}?x=1"))),
    ] {
        let (status, body) = phone
            .post_form("/twilio/voice", &params, signed.as_deref())
            .await;
        assert_eq!(status, 403, "{label}: {body}");
    }
    // A signature over other parameters.
    let mut tampered = params;
    tampered[2] = ("From", "+919999999999");
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(tampered)
        .finish();
    let signature = RequestValidator::new(TWILIO_AUTH_TOKEN).compute(&url, &params);
    let response = support::client()
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", signature)
        .body(body)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 403);
    assert_eq!(phone.calls().await.len(), calls_before, "nothing stored");
    phone.stop().await;
}

#[tokio::test]
async fn twilio_voice_webhook_streams_to_the_public_url() {
    let models = models().await;
    let phone = Phone::start(Carrier::Twilio, models, |c| {
        c.phone.public_url = Some("https://voice.example.in".to_owned());
    })
    .await;
    if phone.whisper.is_none() {
        // Without engines the webhook says sorry instead; covered above.
        phone.stop().await;
        return;
    }
    let sid = "CA0123456789abcdef0123456789abcdef";
    let params = [("CallSid", sid), ("From", PRIYA)];
    let public = "https://voice.example.in/twilio/voice";
    let (status, twiml) = phone
        .post_form("/twilio/voice", &params, Some(public))
        .await;
    assert_eq!(status, 200, "{twiml}");
    let (url, parameters) = support::parse_stream_twiml(&twiml);
    assert_eq!(url, "wss://voice.example.in/twilio/media");
    assert_eq!(parameters["From"], PRIYA);
    assert_eq!(parameters["CallSid"], sid);
    assert!(!parameters["token"].is_empty());
    // Signed for the local address, not the public one: refused.
    let local = phone.url("/twilio/voice");
    let (status, _) = phone
        .post_form("/twilio/voice", &params, Some(&local))
        .await;
    assert_eq!(status, 403);
    phone.stop().await;
}

#[tokio::test]
async fn twilio_media_stream_needs_the_twiml_token() {
    let models = models().await;
    let phone = Phone::start(Carrier::Twilio, models, |_| {}).await;
    // A start without the token our TwiML hands out is refused: no call.
    let setup = TwilioCallSetup {
        custom_parameters: BTreeMap::from([("From".to_owned(), PRIYA.to_owned())]),
        ..TwilioCallSetup::default()
    };
    let call = FakeTwilioCall::connect(&phone.ws("/twilio/media"), setup)
        .await
        .expect("connects");
    call.wait_ended(Duration::from_secs(10))
        .await
        .expect("the stream is closed");
    assert!(call.closed());
    assert_eq!(call.heard_ms(), 0);
    assert!(phone.calls().await.is_empty(), "nothing stored");
    phone.stop().await;
}

#[tokio::test]
async fn twilio_status_callback_updates_the_call_record() {
    let phone = Phone::start(Carrier::Twilio, None, |_| {}).await;
    let sid = "CAfeedfeedfeedfeedfeedfeedfeedfeed";
    let call = phone
        .store
        .create_call(NewCall {
            id: CallId::new_v7(),
            channel: Channel::Twilio,
            caller: None,
            carrier_call_id: Some(sid.to_owned()),
            started_at: Utc::now(),
        })
        .await
        .expect("stored");
    let url = phone.url("/twilio/status");
    let params = [("CallSid", sid), ("CallStatus", "in-progress")];
    // Unsigned: refused, nothing changes.
    let (status, _) = phone.post_form("/twilio/status", &params, None).await;
    assert_eq!(status, 403);
    let stored = phone.store.call(&call.id).await.unwrap().unwrap().call;
    assert_eq!(stored.status, "active");

    let (status, body) = phone.post_form("/twilio/status", &params, Some(&url)).await;
    assert_eq!(status, 204, "{body}");
    let stored = phone.store.call(&call.id).await.unwrap().unwrap().call;
    assert_eq!(stored.status, "in-progress");
    assert!(stored.ended_at.is_none());

    let params = [("CallSid", sid), ("CallStatus", "no-answer")];
    let (status, _) = phone.post_form("/twilio/status", &params, Some(&url)).await;
    assert_eq!(status, 204);
    let stored = phone.store.call(&call.id).await.unwrap().unwrap().call;
    assert_eq!(stored.status, "no-answer");
    assert!(stored.ended_at.is_some());

    // An unknown call is fine (no record yet), and nothing is created.
    let params = [
        ("CallSid", "CA00000000000000000000000000000000"),
        ("CallStatus", "ringing"),
    ];
    let (status, _) = phone.post_form("/twilio/status", &params, Some(&url)).await;
    assert_eq!(status, 204);
    assert_eq!(phone.calls().await.len(), 1);
    phone.stop().await;
}

#[tokio::test]
async fn outbound_calls_go_through_twilio_rest() {
    let phone = Phone::start(Carrier::Twilio, None, |_| {}).await;
    let response = support::client()
        .post(phone.url("/api/v1/calls/outbound"))
        .json(&serde_json::json!({ "to": PRIYA }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 201);
    let body: serde_json::Value = response.json().await.expect("json");
    let created = phone.rest.calls_created();
    assert_eq!(created.len(), 1);
    assert_eq!(body["carrier_call_id"], created[0].sid.as_str());
    assert_eq!(created[0].to, PRIYA);
    assert_eq!(created[0].from, SHOP);
    let twiml = created[0].twiml.as_deref().expect("inline TwiML");
    let (url, params) = support::parse_stream_twiml(twiml);
    assert_eq!(url, phone.ws("/twilio/media"));
    assert_eq!(params["From"], PRIYA);
    assert!(params.contains_key("token") && params.contains_key("nonce"));
    assert_eq!(
        created[0].status_callback.as_deref(),
        Some(phone.url("/twilio/status").as_str())
    );

    let response = support::client()
        .post(phone.url("/api/v1/calls/outbound"))
        .json(&serde_json::json!({ "to": "call me maybe" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 422);
    phone.stop().await;

    // Without Twilio credentials: 503 with a clear error.
    let phone = Phone::start(Carrier::Plivo, None, |_| {}).await;
    let response = support::client()
        .post(phone.url("/api/v1/calls/outbound"))
        .json(&serde_json::json!({ "to": PRIYA }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 503);
    let body: serde_json::Value = response.json().await.expect("json");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("AWAAZ_TWILIO_ACCOUNT_SID"),
        "{body}"
    );
    phone.stop().await;
}

/// A transfer the carrier refuses: the caller is hung up on, and the call
/// record says so instead of `transferred`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilio_refused_transfer_is_recorded_as_failed() {
    let _serial = SERIAL.lock().await;
    let models = engines_or_skip!();
    with_timeout(async {
        let phone = Phone::start(Carrier::Twilio, Some(models), |_| {}).await;
        let call = twilio_call(&phone, PRIYA).await;
        let sid = call.setup().call_sid.clone();
        hear_greeting(&call).await;
        // Twilio answers the call update with 404 (the call is not live).
        phone.rest.fail_next(1, 404);
        call.press('0').expect("the call is up");
        call.wait_ended(LONG).await.expect("the call ends");
        assert!(call.closed(), "awaaz closed the stream");
        let detail = phone.ended_call(&sid).await;
        // The call stored `transferred` when it asked; the bridge then
        // corrects it once the carrier said no.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        let status = loop {
            let status = phone
                .store
                .call(&detail.call.id)
                .await
                .expect("store readable")
                .expect("the call")
                .call
                .status;
            if status != "transferred" || tokio::time::Instant::now() > deadline {
                break status;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(status, "transfer_failed");
        let transfers = phone
            .store
            .transfers(&detail.call.id)
            .await
            .expect("store readable");
        assert_eq!(transfers.len(), 1, "{transfers:?}");
        assert_eq!(transfers[0].status, "failed");
        assert!(phone.rest.call_updates().is_empty(), "nothing was applied");
        phone.stop().await;
    })
    .await;
}

// ---- Plivo signatures and stream tokens, Exotel stream credentials ----

#[tokio::test]
async fn plivo_webhooks_need_a_valid_signature() {
    let phone = Phone::start(Carrier::Plivo, None, |_| {}).await;
    let params = [
        ("CallUUID", "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36"),
        ("From", PRIYA),
        ("To", SHOP),
    ];
    let url = phone.url("/plivo/answer");
    // No engines here: a valid request is answered, politely.
    let (status, xml) = phone
        .post_plivo_form("/plivo/answer", &params, Some(&url))
        .await;
    assert_eq!(status, 200, "{xml}");
    assert!(xml.contains("<Speak") && xml.contains("<Hangup"), "{xml}");
    for (label, signed) in [
        ("missing", None),
        ("another url", Some(phone.url("/plivo/transfer"))),
        (
            "another host",
            Some("https://evil.example/plivo/answer".to_owned()),
        ),
        ("another query", Some(format!("{url}?x=1"))),
    ] {
        let (status, body) = phone
            .post_plivo_form("/plivo/answer", &params, signed.as_deref())
            .await;
        assert_eq!(status, 403, "{label}: {body}");
        assert_eq!(body, "invalid or missing X-Plivo-Signature-V3", "{label}");
    }
    // Signed over other parameters, or with another account's token.
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("CallUUID", params[0].1),
            ("From", "+919999999999"),
            ("To", SHOP),
        ])
        .finish();
    for token in [PLIVO_AUTH_TOKEN, "another-account"] {
        let signature =
            SignatureV3Validator::new(token).compute(PlivoMethod::Post, &url, &params, "n1");
        let response = support::client()
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-plivo-signature-v3", signature)
            .header("x-plivo-signature-v3-nonce", "n1")
            .body(body.clone())
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status().as_u16(), 403, "{token}");
    }
    // The transfer document too.
    let (status, _) = phone
        .post_plivo_form("/plivo/transfer", &[("CallUUID", params[0].1)], None)
        .await;
    assert_eq!(status, 403);
    assert!(phone.calls().await.is_empty(), "nothing stored");
    phone.stop().await;
}

#[tokio::test]
async fn plivo_media_stream_needs_the_answer_token() {
    let models = models().await;
    let phone = Phone::start(Carrier::Plivo, models, |_| {}).await;
    if phone.whisper.is_none() {
        // Without engines the answer says sorry and hands out no stream.
        phone.stop().await;
        return;
    }
    let setup = PlivoCallSetup::default();
    let url = plivo_answer(&phone, setup.call_id.as_str()).await;
    // Without a token, or with a forged one: refused before the upgrade.
    let bare = phone.ws("/plivo/media");
    let forged = format!("{bare}?token={}.AAAA", setup.call_id.as_str());
    let tampered = url.replacen(
        setup.call_id.as_str(),
        "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36",
        1,
    );
    for attempt in [bare, forged, tampered] {
        match tokio_tungstenite::connect_async(attempt.as_str()).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status().as_u16(), 403, "{attempt}");
            }
            other => panic!("{attempt}: not refused: {other:?}"),
        }
    }
    // The right token, but a stream for another call: closed, no call.
    let other = PlivoCallSetup::default();
    assert_ne!(other.call_id, setup.call_id);
    let call = FakePlivoCall::connect(&url, other).await.expect("upgraded");
    call.wait_ended(Duration::from_secs(10))
        .await
        .expect("the stream is closed");
    assert!(call.closed());
    assert_eq!(call.heard_ms(), 0);
    assert!(phone.calls().await.is_empty(), "nothing stored");
    phone.stop().await;
}

#[tokio::test]
async fn exotel_stream_needs_the_configured_credentials() {
    let phone = Phone::start(Carrier::Exotel, None, |c| {
        c.phone.exotel.stream_user = Some("exotel".to_owned());
        c.phone.exotel.stream_password = Some(awaaz::config::Secret::new("s3cret"));
    })
    .await;
    let host = phone.addr;
    for url in [
        format!("ws://{host}/exotel/media"),
        format!("ws://exotel:wrong@{host}/exotel/media"),
        format!("ws://other:s3cret@{host}/exotel/media"),
    ] {
        match FakeExotelCall::connect(&url, ExotelCallSetup::default()).await {
            Err(awaaz_fakes::twilio::CallError::Connect { source, .. }) => match *source {
                tokio_tungstenite::tungstenite::Error::Http(response) => {
                    assert_eq!(response.status().as_u16(), 401, "{url}");
                }
                other => panic!("{url}: {other}"),
            },
            other => panic!("{url}: not refused: {other:?}"),
        }
    }
    // As the applet's URL carries them: upgraded (then closed, no engines here).
    let call = FakeExotelCall::connect(
        &format!("ws://exotel:s3cret@{host}/exotel/media"),
        ExotelCallSetup::default(),
    )
    .await
    .expect("upgraded with the credentials");
    call.wait_ended(Duration::from_secs(10))
        .await
        .expect("closed");
    assert!(phone.calls().await.is_empty());
    phone.stop().await;
}

#[tokio::test]
async fn streams_without_engines_are_closed_and_nothing_is_stored() {
    let phone = Phone::start(Carrier::Exotel, None, |_| {}).await;
    let call = FakeExotelCall::connect(&phone.ws("/exotel/media"), ExotelCallSetup::default())
        .await
        .expect("connects");
    call.wait_ended(Duration::from_secs(10))
        .await
        .expect("closed");
    assert!(call.closed());
    assert!(phone.calls().await.is_empty());
    phone.stop().await;
}

// ---- Exotel ----

async fn exotel_call(phone: &Phone) -> FakeExotelCall {
    FakeExotelCall::connect(
        &phone.ws("/exotel/media"),
        ExotelCallSetup {
            from: PRIYA.to_owned(),
            to: SHOP.to_owned(),
            ..ExotelCallSetup::default()
        },
    )
    .await
    .expect("the Voicebot stream opens")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exotel_hinglish_order_question_is_answered_aloud() {
    let _serial = SERIAL.lock().await;
    let models = engines_or_skip!();
    with_timeout(async {
        let phone = Phone::start(Carrier::Exotel, Some(models), |_| {}).await;
        let call = exotel_call(&phone).await;
        let sid = call.setup().call_sid.clone();
        let detail = order_question(&phone, &call, &sid, "exotel").await;
        assert_eq!(detail.call.channel, Channel::Exotel);
        assert_eq!(detail.call.caller.as_ref().map(|p| p.as_str()), Some(PRIYA));
        assert!(call.events().iter().all(|e| match &e.kind {
            CallEventKind::MediaReceived { bytes, .. } => bytes % 320 == 0,
            _ => true,
        }));
        phone.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exotel_barge_in_clears_and_cuts_the_turn() {
    let _serial = SERIAL.lock().await;
    let models = engines_or_skip!();
    with_timeout(async {
        let phone = Phone::start(Carrier::Exotel, Some(models), |_| {}).await;
        let call = exotel_call(&phone).await;
        let sid = call.setup().call_sid.clone();
        barge_in(&phone, &call, &sid, "exotel").await;
        phone.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exotel_keypad_zero_hands_the_call_to_the_flow() {
    let _serial = SERIAL.lock().await;
    let models = engines_or_skip!();
    with_timeout(async {
        let phone = Phone::start(Carrier::Exotel, Some(models), |_| {}).await;
        let call = exotel_call(&phone).await;
        let sid = call.setup().call_sid.clone();
        press_zero(&phone, &call, &sid, "exotel").await;
        // Exotel has no transfer API: closing the stream lets the flow's
        // next applet connect the caller. Nothing goes to REST.
        assert!(
            phone.rest.requests().is_empty(),
            "{:?}",
            phone.rest.requests()
        );
        phone.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exotel_complaint_raises_a_ticket_and_sends_an_sms() {
    let _serial = SERIAL.lock().await;
    let models = engines_or_skip!();
    with_timeout(async {
        let phone = Phone::start(Carrier::Exotel, Some(models), |_| {}).await;
        let call = exotel_call(&phone).await;
        let sid = call.setup().call_sid.clone();
        complaint(&phone, &call, &sid, "exotel").await;
        assert_eq!(phone.rest.sms()[0].carrier, FakeCarrier::Exotel);
        phone.stop().await;
    })
    .await;
}

// ---- Plivo ----

/// A Plivo call the way Plivo makes it: the answer webhook, then the stream
/// its XML names.
async fn plivo_call(phone: &Phone) -> FakePlivoCall {
    let setup = PlivoCallSetup::default();
    let url = plivo_answer(phone, setup.call_id.as_str()).await;
    FakePlivoCall::connect(&url, setup)
        .await
        .expect("the audio stream opens")
}

/// The signed answer webhook for `call_uuid`; returns the stream URL of its
/// XML (with the stream token).
async fn plivo_answer(phone: &Phone, call_uuid: &str) -> String {
    let params = [
        ("CallUUID", call_uuid),
        ("From", PRIYA),
        ("To", SHOP),
        ("Direction", "inbound"),
    ];
    let signed = phone.url("/plivo/answer");
    let (status, xml) = phone
        .post_plivo_form("/plivo/answer", &params, Some(&signed))
        .await;
    assert_eq!(status, 200, "{xml}");
    let prefix = r#"<Stream bidirectional="true" keepCallAlive="true" contentType="audio/x-mulaw;rate=8000">"#;
    let start = xml
        .find(prefix)
        .unwrap_or_else(|| panic!("a <Stream>: {xml}"))
        + prefix.len();
    let url = &xml[start..start + xml[start..].find("</Stream>").expect("</Stream>")];
    let token_prefix = format!("{}?token={call_uuid}.", phone.ws("/plivo/media"));
    assert!(url.starts_with(&token_prefix), "{url}");
    assert!(url.len() > token_prefix.len() + 40, "{url}");
    url.to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plivo_hinglish_order_question_is_answered_aloud() {
    let _serial = SERIAL.lock().await;
    let models = engines_or_skip!();
    with_timeout(async {
        let phone = Phone::start(Carrier::Plivo, Some(models), |_| {}).await;
        let call = plivo_call(&phone).await;
        let id = call.setup().call_id.clone();
        let detail = order_question(&phone, &call, &id, "plivo").await;
        assert_eq!(detail.call.channel, Channel::Plivo);
        assert_eq!(detail.call.caller.as_ref().map(|p| p.as_str()), Some(PRIYA));
        phone.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plivo_barge_in_clears_and_cuts_the_turn() {
    let _serial = SERIAL.lock().await;
    let models = engines_or_skip!();
    with_timeout(async {
        let phone = Phone::start(Carrier::Plivo, Some(models), |_| {}).await;
        let call = plivo_call(&phone).await;
        let id = call.setup().call_id.clone();
        barge_in(&phone, &call, &id, "plivo").await;
        phone.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plivo_keypad_zero_transfers_through_rest() {
    let _serial = SERIAL.lock().await;
    let models = engines_or_skip!();
    with_timeout(async {
        let phone = Phone::start(Carrier::Plivo, Some(models), |_| {}).await;
        let call = plivo_call(&phone).await;
        let id = call.setup().call_id.clone();
        press_zero(&phone, &call, &id, "plivo").await;
        let updates = phone.rest.call_updates();
        assert_eq!(updates.len(), 1, "{updates:?}");
        assert_eq!(updates[0].carrier, FakeCarrier::Plivo);
        assert_eq!(updates[0].call_id, id);
        let CallAction::Redirect { url, method } = &updates[0].action else {
            panic!("not a transfer: {updates:?}")
        };
        assert_eq!(url, &phone.url("/plivo/transfer"));
        assert_eq!(method, "POST");
        // What Plivo then fetches (signed) dials the desk.
        let (status, _) = phone
            .post_plivo_form("/plivo/transfer", &[("CallUUID", &id)], None)
            .await;
        assert_eq!(status, 403, "unsigned");
        let (status, xml) = phone
            .post_plivo_form(
                "/plivo/transfer",
                &[("CallUUID", &id)],
                Some(&phone.url("/plivo/transfer")),
            )
            .await;
        assert_eq!(status, 200);
        assert!(
            xml.contains(&format!("<Dial><Number>{DESK}</Number></Dial>")),
            "{xml}"
        );
        phone.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plivo_complaint_raises_a_ticket_and_sends_an_sms() {
    let _serial = SERIAL.lock().await;
    let models = engines_or_skip!();
    with_timeout(async {
        let phone = Phone::start(Carrier::Plivo, Some(models), |_| {}).await;
        let call = plivo_call(&phone).await;
        let id = call.setup().call_id.clone();
        complaint(&phone, &call, &id, "plivo").await;
        assert_eq!(phone.rest.sms()[0].carrier, FakeCarrier::Plivo);
        phone.stop().await;
    })
    .await;
}
