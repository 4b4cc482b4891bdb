//! Whole calls through the awaaz server with the cloud brains, over real
//! sockets: fake carrier callers ↔ awaaz (`awaaz::start_with_state`, the
//! phone routes and bridge, the real SQLite store with the demo shop) ↔ the
//! fake OpenAI Realtime server (`engine = "realtime"`) or the fake
//! chat-completions server (`agent = "llm"` in the cascade).
//!
//! ```text
//!  FakeTwilioCall / FakeExotelCall ─WS─▶ awaaz /{twilio,exotel}/media ─▶ realtime engine ─WS─▶ FakeRealtime
//!   (20 ms frames in real time,            │  POST /twilio/voice opens the model session early
//!    plays at 8000 B/s, echoes marks)      └─▶ cascade (scripted speech) ─▶ LlmAgent ─HTTP─▶ FakeChat
//!                                          transfers ─▶ FakeCarrierRest (Twilio REST)
//! ```
//!
//! The LLM tests use the scripted recogniser and the silent synthesiser at
//! the speech seams (the embedded engines are covered by `phone_calls`):
//! what is under test is the agent's loop with the model, the tools on the
//! store, barge-in cutting the model's history, and the carrier path.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use awaaz::config::{AgentKind, EngineKind, Secret};
use awaaz::{AppState, ServerHandle};
use awaaz_call::CallEngines;
use awaaz_fakes::carrier_rest::{
    CallAction, FakeCarrierRest, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN,
};
use awaaz_fakes::chat::{ChatRequest, FakeChat, Reply as ChatReply};
use awaaz_fakes::exotel::{ExotelCallSetup, FakeExotelCall};
use awaaz_fakes::realtime::{AudioReply, CallerTurn, FakeRealtime, Pacing, Reply, Script};
use awaaz_fakes::twilio::{CallEventKind, FakeCall, FakeTwilioCall, TwilioCallSetup};
use awaaz_speech::tts::SilentSynthesizer;
use awaaz_speech::ScriptedRecognizer;
use awaaz_store::{CallDetail, Speaker, Store};
use serde_json::{json, Value};
use support::TRANSFER_LINE;

mod support;

use support::turns;

/// The key the fake Realtime server insists on.
const API_KEY: &str = "sk-test-cloud-calls";
/// Priya, a demo customer.
const PRIYA: &str = "+919812345678";
/// Where transfers go.
const DESK: &str = "+911140000000";
/// The shop's Twilio number.
const SHOP: &str = "+15005550001";
/// Everything a test waits for, at most.
const WAIT: Duration = Duration::from_secs(30);
/// The fake model's greeting.
const GREETING: &str =
    "Namaste! Awaaz Store mein aapka swagat hai. Main aapki kya madad kar sakti hoon?";

/// A running awaaz with Twilio configured (REST aimed at a fake) and what
/// the tests look at.
struct Server {
    addr: SocketAddr,
    handle: Option<ServerHandle>,
    store: Arc<dyn Store>,
    rest: FakeCarrierRest,
    _dir: tempfile::TempDir,
}

/// Which brain answers the server's calls.
enum Brain<'a> {
    /// `engine = "realtime"` against this fake.
    Realtime(&'a FakeRealtime),
    /// The cascade with `agent = "llm"` against this fake, hearing these
    /// transcripts.
    Llm(&'a FakeChat, ScriptedRecognizer),
}

impl Server {
    async fn start(brain: Brain<'_>) -> Self {
        let rest = FakeCarrierRest::start().await;
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut config = support::sqlite_config(dir.path());
        let phone = &mut config.phone;
        phone.transfer_to = Some(DESK.to_owned());
        phone.twilio.account_sid = Some(TWILIO_ACCOUNT_SID.to_owned());
        phone.twilio.auth_token = Some(Secret::new(TWILIO_AUTH_TOKEN));
        phone.twilio.api_base = rest.base_url();
        phone.twilio.from = Some(SHOP.to_owned());
        match &brain {
            Brain::Realtime(fake) => {
                config.engine = EngineKind::Realtime;
                config.realtime.url = fake.url();
                config.realtime.api_key = Some(Secret::new(API_KEY));
            }
            Brain::Llm(chat, _) => {
                config.agent = AgentKind::Llm;
                config.llm.base_url = Some(chat.base_url());
                config.llm.model = Some("test-model".to_owned());
            }
        }
        let (store, agent) = awaaz::open(&config).await.expect("store and agent open");
        let state = AppState::new(Arc::clone(&store), Arc::clone(&agent), &config);
        match brain {
            Brain::Realtime(_) => {
                awaaz::phone::attach_realtime(&state, &config, None).expect("realtime engine")
            }
            Brain::Llm(_, recognizer) => {
                let engines = CallEngines::new(
                    Arc::clone(&store),
                    agent,
                    Arc::new(recognizer),
                    Arc::new(SilentSynthesizer::with_ms_per_char(20)),
                );
                awaaz::phone::attach_engines(&state, engines);
            }
        }
        let (addr, handle) = awaaz::start_with_state(state, config.http_addr)
            .await
            .expect("server starts");
        Self {
            addr,
            handle: Some(handle),
            store,
            rest,
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Twilio's signed voice webhook for a new call from `from`.
    async fn answer_twilio(&self, from: &str) -> (TwilioCallSetup, String) {
        support::answer_twilio(&self.url(""), from, SHOP).await
    }

    /// A whole Twilio call: the webhook, then the Media Stream it names.
    async fn twilio_call(&self, from: &str) -> FakeTwilioCall {
        let (setup, stream_url) = self.answer_twilio(from).await;
        FakeTwilioCall::connect(&stream_url, setup)
            .await
            .expect("the media stream opens")
    }

    /// Waits until the call with this carrier id is stored as ended.
    async fn ended_call(&self, carrier_call_id: &str) -> CallDetail {
        support::ended_call(self.store.as_ref(), carrier_call_id).await
    }

    async fn stop(mut self) {
        if let Some(handle) = self.handle.take() {
            handle.shutdown().await.expect("clean shutdown");
        }
    }
}

fn realtime_script(greeting_ms: u64) -> Script {
    let mut script = Script::new().require_api_key(API_KEY);
    script.default_reply = AudioReply::new(GREETING, greeting_ms);
    script
}

/// Bytes of μ-law the line received, per millisecond.
const LINE_BYTES_PER_MS: u64 = 8;

/// Milliseconds of bot audio that reached the line.
fn received_ms(call: &FakeCall) -> u64 {
    call.events()
        .iter()
        .map(|e| match e.kind {
            CallEventKind::MediaReceived { samples, .. } => samples as u64,
            _ => 0,
        })
        .sum::<u64>()
        / LINE_BYTES_PER_MS
}

/// The call `sid` was handed to the desk through Twilio REST after the
/// agent said `goodbye`, and the store says so.
async fn handed_to_the_desk(server: &Server, sid: &str, detail: &CallDetail, goodbye: &str) {
    let updates = server.rest.call_updates();
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(updates[0].call_id, sid);
    assert!(
        matches!(&updates[0].action, CallAction::Twiml(twiml) if twiml.contains(DESK)),
        "expected TwiML dialling the desk: {updates:?}"
    );
    assert_eq!(detail.call.status, "transferred");
    assert_eq!(detail.tool_calls[0].name, "transfer_to_human");
    let transfers = server
        .store
        .transfers(&detail.call.id)
        .await
        .expect("store readable");
    assert_eq!(transfers.len(), 1);
    assert_eq!(transfers[0].status, "connected");
    assert_eq!(transfers[0].reason, "caller asked for a person");
    assert_eq!(
        turns(detail).last(),
        Some(&(Speaker::Agent, goodbye.to_owned()))
    );
}

async fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !ready() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ---- the realtime engine ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn realtime_twilio_call_greets_looks_up_an_order_and_is_stored() {
    let fake =
        FakeRealtime::start(realtime_script(1_000).turn(support::order_lookup_turn(1_600, 2_600)))
            .await
            .expect("fake realtime starts");
    let server = Server::start(Brain::Realtime(&fake)).await;
    let order = support::demo_order(server.store.as_ref()).await;

    // The webhook opens and configures the model session before the
    // carrier opens the media stream.
    let (setup, stream_url) = server.answer_twilio(PRIYA).await;
    wait_until("the model session is opened by the webhook", || {
        fake.recording(0)
            .is_some_and(|r| r.received.first().is_some_and(|t| t == "session.update"))
    })
    .await;
    let sid = setup.call_sid.clone();
    let call = FakeTwilioCall::connect(&stream_url, setup)
        .await
        .expect("the media stream opens");
    let rec = fake
        .wait_for(0, WAIT, |r| {
            r.responses.len() == 3 && r.responses[2].status == "completed"
        })
        .await
        .expect("the answer is spoken");
    call.wait_quiet(300, WAIT).await.expect("the bot stops");
    call.hang_up().await;
    let detail = server.ended_call(&sid).await;
    assert_eq!(fake.connection_count(), 1, "one session, opened early");

    // μ-law passed through both ways: the session speaks audio/pcmu, the
    // caller's frames went to the model as they came, and the line got
    // exactly the model's audio, as valid Twilio frames.
    let update = &rec.session_updates[0];
    assert_eq!(
        update["audio"]["input"]["format"],
        json!({"type": "audio/pcmu"})
    );
    assert_eq!(
        update["audio"]["output"]["format"],
        json!({"type": "audio/pcmu"})
    );
    let instructions = update["instructions"].as_str().expect("instructions");
    assert!(
        instructions.contains("caller's phone number is known"),
        "{instructions}"
    );
    assert!(rec.audio_bytes_appended > 0);
    assert_eq!(rec.audio_bytes_appended % 160, 0, "whole 20 ms frames");
    assert_eq!(
        received_ms(&call),
        3_000,
        "greeting and answer, nothing else"
    );
    assert!(call.violations().is_empty(), "{:?}", call.violations());

    // The function ran on the store; its output went back to the model.
    assert_eq!(rec.function_outputs.len(), 1);
    let output: Value = serde_json::from_str(&rec.function_outputs[0].output).expect("json");
    assert_eq!(output["order"]["order_id"], "ORD-45678");
    assert_eq!(output["order"]["courier"], "Delhivery");
    let answer = format!(
        "Aapka order ORD-45678 {} hai, Delhivery se aa raha hai.",
        order.status.as_str()
    );
    assert_eq!(rec.responses[2].transcript, answer);

    // The call record: the carrier's ids, both sides' words, the tool call,
    // usage and cost.
    assert_eq!(detail.call.status, "completed");
    assert_eq!(detail.call.caller.as_ref().map(|n| n.as_str()), Some(PRIYA));
    assert_eq!(
        turns(&detail),
        [
            (Speaker::Agent, GREETING.to_owned()),
            (
                Speaker::Caller,
                "mera order 4 5 6 7 8 kab aayega".to_owned()
            ),
            (Speaker::Agent, answer),
        ]
    );
    assert_eq!(detail.tool_calls.len(), 1);
    assert_eq!(detail.tool_calls[0].name, "lookup_order");
    assert_eq!(detail.tool_calls[0].result["order"]["courier"], "Delhivery");
    let usage = detail.usage.expect("usage stored");
    assert!(
        usage.cost_usd > 0.0 && usage.cost_inr > usage.cost_usd,
        "{usage:?}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn realtime_barge_in_over_twilio_truncates_at_what_the_caller_heard() {
    let long = "Namaste! Awaaz Store mein aapka swagat hai. Aaj kurta aur saree par khaas \
                offer chal raha hai, aur har order par free delivery hai. Main aapki kya madad \
                kar sakti hoon?";
    let mut script =
        realtime_script(4_000).turn(CallerTurn::new(1_500, 2_200, "ruko ruko", Reply::Silence));
    script.default_reply = AudioReply::new(long, 4_000);
    // Generated twice as fast as it plays: much more is sent than heard.
    script.pacing = Pacing {
        speed: 2.0,
        ..Pacing::default()
    };
    let fake = FakeRealtime::start(script)
        .await
        .expect("fake realtime starts");
    let server = Server::start(Brain::Realtime(&fake)).await;
    let call = server.twilio_call(PRIYA).await;
    let sid = call.setup().call_sid.clone();
    let rec = support::truncated_then_transcribed(&fake, WAIT).await;
    call.wait_for_event(WAIT, |e| matches!(e, CallEventKind::Cleared { .. }))
        .await
        .expect("the line is cleared");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let heard_ms = call.heard_ms();
    call.hang_up().await;
    let detail = server.ended_call(&sid).await;

    let cut = &rec.truncations[0];
    assert!(cut.applied, "refused: {:?}", rec.error_messages());
    assert_eq!(cut.item_id, rec.responses[0].item_id);
    let generated = fake.recording(0).expect("recording").responses[0].audio_ms;
    eprintln!(
        "barge-in over twilio: generated {generated} ms, cut at {} ms, the caller heard {heard_ms} ms",
        cut.audio_end_ms
    );
    assert!(
        generated > cut.audio_end_ms + 500,
        "audio was ahead of the line"
    );
    // The cut is what the caller heard: the line's own playout clock.
    assert!(
        cut.audio_end_ms <= heard_ms + 2 && heard_ms <= cut.audio_end_ms + 40,
        "cut at {} ms, the caller heard {heard_ms} ms",
        cut.audio_end_ms
    );
    assert_eq!(fake.recording(0).expect("recording").truncations.len(), 1);
    let agent = &detail.turns[0];
    assert!(agent.interrupted);
    assert!(long.starts_with(&agent.text) && agent.text.len() < long.len());
    assert_eq!(turns(&detail)[1], (Speaker::Caller, "ruko ruko".to_owned()));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn realtime_transfer_over_twilio_plays_the_goodbye_then_dials_the_desk() {
    let goodbye = TRANSFER_LINE;
    let fake = FakeRealtime::start(realtime_script(800).turn(support::transfer_turn(1_200, 2_000)))
        .await
        .expect("fake realtime starts");
    let server = Server::start(Brain::Realtime(&fake)).await;
    let call = server.twilio_call(PRIYA).await;
    let sid = call.setup().call_sid.clone();
    call.wait_ended(WAIT)
        .await
        .expect("the call is handed over");
    let detail = server.ended_call(&sid).await;

    // The whole goodbye played before the line changed hands.
    assert_eq!(received_ms(&call), 2_000);
    let events = call.events();
    assert!(
        events.iter().any(|e| matches!(
            &e.kind,
            CallEventKind::MarkEchoed { name, played: true } if name == "awaaz-end"
        )),
        "the end mark was echoed after the audio played"
    );
    handed_to_the_desk(&server, &sid, &detail, goodbye).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn realtime_exotel_call_converts_pcm_at_the_edge_only() {
    let fake = FakeRealtime::start(realtime_script(1_000))
        .await
        .expect("fake realtime starts");
    let server = Server::start(Brain::Realtime(&fake)).await;
    let setup = ExotelCallSetup {
        from: PRIYA.to_owned(),
        ..ExotelCallSetup::default()
    };
    let call_sid = setup.call_sid.clone();
    let call = FakeExotelCall::connect(&format!("ws://{}/exotel/media", server.addr), setup)
        .await
        .expect("the stream opens");
    let rec = fake
        .wait_for(0, WAIT, |r| {
            r.responses.first().is_some_and(|r| r.status == "completed")
        })
        .await
        .expect("the greeting is spoken");
    call.wait_quiet(300, WAIT).await.expect("the bot stops");
    call.hang_up().await;
    let detail = server.ended_call(&call_sid).await;

    // The model hears and speaks μ-law; Exotel gets PCM16 in whole 20 ms
    // chunks (the fake flags any frame Exotel would refuse).
    assert_eq!(
        rec.session_updates[0]["audio"]["output"]["format"],
        json!({"type": "audio/pcmu"})
    );
    assert!(rec.audio_bytes_appended > 0 && rec.audio_bytes_appended % 160 == 0);
    assert!(call.violations().is_empty(), "{:?}", call.violations());
    assert_eq!(call.heard_ms(), 1_000);
    assert_eq!(turns(&detail), [(Speaker::Agent, GREETING.to_owned())]);
    server.stop().await;
}

// ---- the LLM agent in the cascade ----

/// Caller "speech" for the scripted recogniser: a voiced tone loud enough
/// for the segmenter, at 16 kHz.
fn utterance(ms: u32) -> Vec<i16> {
    (0..ms * 16)
        .map(|i| {
            let t = f64::from(i) / 16_000.0;
            let s = (std::f64::consts::TAU * 180.0 * t).sin()
                + 0.5 * (std::f64::consts::TAU * 540.0 * t).sin();
            // Bounded by 6000 × 1.5: no truncation.
            #[allow(clippy::cast_possible_truncation)]
            let sample = (6_000.0 * s) as i16;
            sample
        })
        .collect()
}

/// The chat model of the LLM tests: looks orders up, asks for a person,
/// and answers from the tool results.
fn chat_model(long_first_answer: Option<&'static str>) -> impl Fn(&ChatRequest) -> ChatReply {
    move |request: &ChatRequest| {
        if let Some(result) = request.last_tool_result("lookup_order") {
            if request.last_role() == Some("tool") {
                let order = &result["order"];
                return ChatReply::text(format!(
                    "Aapka order {} {} hai, {} se aa raha hai.",
                    order["order_id"].as_str().unwrap_or_default(),
                    order["status"].as_str().unwrap_or_default(),
                    order["courier"].as_str().unwrap_or_default()
                ));
            }
        }
        let said = request.last_user_text().unwrap_or_default().to_lowercase();
        if said.contains("insaan") {
            return ChatReply::tool(
                "transfer_to_human",
                json!({"reason": "caller asked for a person"}),
            );
        }
        if said.contains("order") {
            return ChatReply::tool("lookup_order", json!({"order_id": "45678"}));
        }
        ChatReply::text(long_first_answer.unwrap_or("Ji, boliye."))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_agent_answers_an_order_question_from_the_store_over_twilio() {
    let chat = FakeChat::start(chat_model(None)).await;
    let recognizer = ScriptedRecognizer::new(["mera order 45678 kab aayega"]);
    let server = Server::start(Brain::Llm(&chat, recognizer)).await;
    let order = support::demo_order(server.store.as_ref()).await;
    let call = server.twilio_call(PRIYA).await;
    let sid = call.setup().call_sid.clone();
    call.wait_for_audio(500, WAIT).await.expect("a greeting");
    call.wait_quiet(400, WAIT).await.expect("the greeting ends");
    let before = call.heard_ms();
    call.say(&utterance(1_200), 16_000).expect("the call is up");
    call.wait_for_audio(500, WAIT).await.expect("an answer");
    call.wait_quiet(400, WAIT).await.expect("the answer ends");
    assert!(call.heard_ms() > before);
    call.hang_up().await;
    let detail = server.ended_call(&sid).await;

    // Two model rounds: the tool call, then the answer from its result.
    let requests = chat.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert!(requests[0]
        .tool_names()
        .contains(&"lookup_order".to_owned()));
    let result = requests[1]
        .last_tool_result("lookup_order")
        .expect("the tool's result went back to the model");
    assert_eq!(result["order"]["courier"], "Delhivery");
    let answer = format!(
        "Aapka order ORD-45678 {} hai, Delhivery se aa raha hai.",
        order.status.as_str()
    );
    let stored = turns(&detail);
    assert_eq!(
        stored[1..],
        [
            (Speaker::Caller, "mera order 45678 kab aayega".to_owned()),
            (Speaker::Agent, answer),
        ]
    );
    assert_eq!(detail.tool_calls.len(), 1);
    assert_eq!(detail.tool_calls[0].name, "lookup_order");
    assert!(detail.tool_calls[0].ok);
    assert_eq!(detail.tool_calls[0].turn_id, Some(detail.turns[2].id));
    assert!(detail.turns[2].latency.voice_to_voice_ms.is_some());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_agent_barge_in_cuts_the_models_history_to_what_was_heard() {
    const LONG: &str = "Ji zaroor. Hamare yahan kurta, saree aur pressure cooker sab milte hain, \
                        aur aaj har order par free delivery hai. Aap bataiye ki aapko kis cheez \
                        ki zaroorat hai, main abhi dekh leti hoon ki woh stock mein hai ya nahi.";
    let chat = FakeChat::start(chat_model(Some(LONG))).await;
    let recognizer = ScriptedRecognizer::new(["kya kya milta hai", "ek minute ruko"]);
    let server = Server::start(Brain::Llm(&chat, recognizer)).await;
    let call = server.twilio_call(PRIYA).await;
    let sid = call.setup().call_sid.clone();
    call.wait_for_audio(500, WAIT).await.expect("a greeting");
    call.wait_quiet(400, WAIT).await.expect("the greeting ends");
    call.say(&utterance(1_000), 16_000).expect("the call is up");
    // A second into the long answer, the caller talks over it.
    call.wait_for_event(WAIT, |e| matches!(e, CallEventKind::PlaybackStarted))
        .await
        .expect("playback");
    let answer_from = call.heard_ms();
    call.wait_for_audio(1_000, WAIT)
        .await
        .expect("the long answer plays");
    call.say(&utterance(800), 16_000).expect("the call is up");
    call.wait_for_event(WAIT, |e| matches!(e, CallEventKind::Cleared { .. }))
        .await
        .expect("the line is cleared");
    wait_until("the model is asked again", || chat.request_count() >= 2).await;
    call.wait_quiet(400, WAIT).await.expect("the bot stops");
    call.hang_up().await;
    let detail = server.ended_call(&sid).await;

    let interrupted = detail
        .turns
        .iter()
        .find(|t| t.speaker == Speaker::Agent && t.interrupted)
        .expect("an interrupted agent turn");
    assert!(
        LONG.starts_with(interrupted.text.as_str()) && interrupted.text.len() < LONG.len(),
        "{:?}",
        interrupted.text
    );
    // The model's history holds only the heard part of its answer.
    let requests = chat.requests();
    let history = requests[1].messages();
    let said: Vec<&str> = history
        .iter()
        .filter(|m| m["role"] == "assistant")
        .filter_map(|m| m["content"].as_str())
        .collect();
    let cut = said
        .iter()
        .find(|text| LONG.starts_with(**text) && !text.is_empty())
        .unwrap_or_else(|| panic!("no cut answer in the history: {said:?}"));
    assert!(cut.len() < LONG.len(), "the whole answer is in the history");
    assert_eq!(*cut, interrupted.text, "the model and the store agree");
    eprintln!(
        "llm barge-in: the answer played from {answer_from} ms; kept {} of {} chars",
        cut.chars().count(),
        LONG.chars().count()
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_agent_transfer_over_twilio_dials_the_desk() {
    let chat = FakeChat::start(chat_model(None)).await;
    let recognizer = ScriptedRecognizer::new(["mujhe kisi insaan se baat karni hai"]);
    let server = Server::start(Brain::Llm(&chat, recognizer)).await;
    let call = server.twilio_call(PRIYA).await;
    let sid = call.setup().call_sid.clone();
    call.wait_for_audio(500, WAIT).await.expect("a greeting");
    call.wait_quiet(400, WAIT).await.expect("the greeting ends");
    call.say(&utterance(1_200), 16_000).expect("the call is up");
    call.wait_ended(WAIT)
        .await
        .expect("the call is handed over");
    let detail = server.ended_call(&sid).await;

    // The model asked for the hand-off; the agent says its own line for it
    // (in the caller's Hinglish) without another model round.
    assert_eq!(chat.request_count(), 1);
    handed_to_the_desk(
        &server,
        &sid,
        &detail,
        "Main aapko abhi ek colleague se connect kar rahi hoon. Kripya line par bane rahiye.",
    )
    .await;
    server.stop().await;
}
