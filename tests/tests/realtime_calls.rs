//! Whole realtime calls over real sockets: a phone line played by the test
//! in real time ↔ awaaz's realtime engine ↔ the fake OpenAI Realtime server,
//! with the real SQLite store holding the demo shop.
//!
//! ```text
//!  test line (20 ms μ-law frames in real time; plays what it gets at 8000 B/s,
//!             echoes marks once the audio before them has played, drops on clear)
//!     │ CallerEvent::LineAudio / Mark / HungUp        ▲ CallerCommand::PlayLine / Mark / Clear / Transfer
//!     ▼                                               │
//!  awaaz_call::run_realtime_call ──ws──▶ awaaz_fakes::realtime::FakeRealtime (scripted caller turns)
//!     └──▶ SeaStore (temporary SQLite file, demo shop)
//! ```
//!
//! The line's playout clock is what the caller "heard": barge-in tests
//! compare the `audio_end_ms` the fake received with it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use awaaz_agent::{EmbeddedAgent, EmbeddedConfig};
use awaaz_audio::AudioChunk;
use awaaz_call::{
    connection_pair, run_realtime_call, CallConfig, CallEngines, CallInfo, CallReport,
    CallSupervisor, CallerCommand, CallerEndpoint, CallerEvent, EndStatus, RealtimeEngines,
};
use awaaz_fakes::realtime::{AudioReply, CallerTurn, FakeRealtime, Pacing, Reply, Script};
use awaaz_realtime::{ApiKey, RealtimeConfig};
use awaaz_speech::tts::SilentSynthesizer;
use awaaz_speech::ScriptedRecognizer;
use awaaz_store::{CallDetail, CallId, Channel, OrderFilter, SeaStore, Speaker, Store};
use serde_json::{json, Value};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const API_KEY: &str = "sk-test-realtime";
mod support;

use support::turns;

/// μ-law bytes per millisecond (8 kHz).
const BYTES_PER_MS: u64 = 8;
/// Everything a test waits for, at most.
const WAIT: Duration = Duration::from_secs(20);

const GREETING: &str =
    "Namaste! Awaaz Store mein aapka swagat hai. Main aapki kya madad kar sakti hoon?";

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A fresh SQLite file holding the demo shop.
async fn store() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("awaaz.db").display()
    );
    let store = SeaStore::connect(&url).await.expect("store opens");
    (Arc::new(store), dir)
}

fn engines(store: &Arc<dyn Store>, fake: &FakeRealtime) -> RealtimeEngines {
    let client = RealtimeConfig {
        url: fake.url(),
        model: "gpt-realtime".to_owned(),
        api_key: Some(ApiKey::new(API_KEY)),
        connect_timeout: Duration::from_secs(3),
        headers: Vec::new(),
    };
    RealtimeEngines::new(Arc::clone(store), client)
}

fn script(greeting_ms: u64) -> Script {
    let mut script = Script::new().require_api_key(API_KEY);
    script.default_reply = AudioReply::new(GREETING, greeting_ms);
    script
}

fn twilio_call() -> CallInfo {
    CallInfo {
        carrier_call_id: Some(format!("CA{}", uuid::Uuid::new_v4().simple())),
        ..CallInfo::new(Channel::Twilio)
    }
}

/// What the test line saw.
#[derive(Debug, Clone)]
enum Seen {
    Frame { at: Instant, bytes: usize },
    Mark { name: String },
    Clear { at: Instant, played_bytes: u64 },
    End { at: Instant, command: CallerCommand },
}

/// The line's playout clock and log.
#[derive(Debug)]
struct LineState {
    /// Bytes received to play (the end of the playout queue).
    received: u64,
    /// (when, bytes played by then) at the last time the queue started
    /// playing or was cut.
    anchor: (Instant, u64),
    /// Marks waiting for the audio before them: (position, name).
    marks: VecDeque<(u64, String)>,
    seen: Vec<Seen>,
    ended: bool,
}

impl LineState {
    fn played(&self, now: Instant) -> u64 {
        let (at, played) = self.anchor;
        let elapsed_us =
            u64::try_from(now.saturating_duration_since(at).as_micros()).unwrap_or(u64::MAX);
        (played + elapsed_us * BYTES_PER_MS / 1_000).min(self.received)
    }

    /// When the next mark is due.
    fn next_mark_due(&self) -> Option<Instant> {
        let (position, _) = self.marks.front()?;
        let (at, played) = self.anchor;
        let ahead_us = position.saturating_sub(played) * 1_000 / BYTES_PER_MS;
        Some(at + Duration::from_micros(ahead_us))
    }
}

/// A phone line in real time: 20 ms μ-law frames of silence from the
/// caller (the fake's speech windows are scripted on its input timeline),
/// and the caller's ear.
struct Line {
    state: Arc<Mutex<LineState>>,
    hang_up: CancellationToken,
    task: JoinHandle<()>,
}

impl Line {
    fn start(mut endpoint: CallerEndpoint) -> Self {
        let now = Instant::now();
        let state = Arc::new(Mutex::new(LineState {
            received: 0,
            anchor: (now, 0),
            marks: VecDeque::new(),
            seen: Vec::new(),
            ended: false,
        }));
        let hang_up = CancellationToken::new();
        let task = tokio::spawn({
            let state = Arc::clone(&state);
            let hang_up = hang_up.clone();
            async move {
                let events = endpoint.event_sender();
                let mut frames = tokio::time::interval(Duration::from_millis(20));
                frames.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                let mut hung_up = false;
                loop {
                    let due = lock(&state).next_mark_due();
                    tokio::select! {
                        () = hang_up.cancelled(), if !hung_up => {
                            hung_up = true;
                            let _ = events.send(CallerEvent::HungUp).await;
                        }
                        _ = frames.tick(), if !hung_up => {
                            // A real-time source: a frame the call cannot
                            // take now is lost, as on a phone line.
                            if events.try_send(CallerEvent::LineAudio(vec![0xFF; 160])).is_err() {
                                hung_up = true;
                            }
                        }
                        () = sleep_until_opt(due) => {
                            let now = Instant::now();
                            let mut echo = Vec::new();
                            {
                                let mut s = lock(&state);
                                let played = s.played(now);
                                while s.marks.front().is_some_and(|(p, _)| *p <= played) {
                                    if let Some((_, name)) = s.marks.pop_front() {
                                        echo.push(name);
                                    }
                                }
                            }
                            for name in echo {
                                let _ = events.send(CallerEvent::Mark(name)).await;
                            }
                        }
                        command = endpoint.recv() => {
                            let Some(command) = command else { break };
                            let now = Instant::now();
                            // Marks the line hands back on a clear.
                            let returned: Vec<String> = {
                                let mut s = lock(&state);
                                match command {
                                    CallerCommand::PlayLine(bytes) => {
                                        let played = s.played(now);
                                        if played >= s.received {
                                            // The queue was empty: playing restarts now.
                                            s.anchor = (now, played);
                                        }
                                        s.received += bytes.len() as u64;
                                        s.seen.push(Seen::Frame { at: now, bytes: bytes.len() });
                                        Vec::new()
                                    }
                                    CallerCommand::Mark(name) => {
                                        let position = s.received;
                                        s.marks.push_back((position, name.clone()));
                                        s.seen.push(Seen::Mark { name });
                                        Vec::new()
                                    }
                                    CallerCommand::Clear => {
                                        let played = s.played(now);
                                        s.received = played;
                                        s.anchor = (now, played);
                                        s.seen.push(Seen::Clear { at: now, played_bytes: played });
                                        // Like Twilio: pending marks come back at once.
                                        s.marks.drain(..).map(|(_, n)| n).collect()
                                    }
                                    CallerCommand::Play(chunk) => {
                                        // 16 kHz PCM: counted in line bytes of the same duration.
                                        let bytes = chunk.samples.len() / 2;
                                        let played = s.played(now);
                                        if played >= s.received {
                                            s.anchor = (now, played);
                                        }
                                        s.received += bytes as u64;
                                        s.seen.push(Seen::Frame { at: now, bytes });
                                        Vec::new()
                                    }
                                    other => {
                                        s.ended = true;
                                        s.seen.push(Seen::End { at: now, command: other });
                                        Vec::new()
                                    }
                                }
                            };
                            for name in returned {
                                let _ = events.send(CallerEvent::Mark(name)).await;
                            }
                        }
                    }
                }
            }
        });
        Self {
            state,
            hang_up,
            task,
        }
    }

    fn played_ms(&self) -> u64 {
        let s = lock(&self.state);
        s.played(Instant::now()) / BYTES_PER_MS
    }

    fn ended(&self) -> bool {
        lock(&self.state).ended
    }

    /// Waits until the line has played `ms` of audio in all.
    async fn wait_played(&self, ms: u64) {
        let deadline = Instant::now() + WAIT;
        while self.played_ms() < ms {
            assert!(
                Instant::now() < deadline,
                "the line played only {} ms, waited for {ms} ms",
                self.played_ms()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn wait_ended(&self) {
        let deadline = Instant::now() + WAIT;
        while !self.ended() {
            assert!(Instant::now() < deadline, "the call never ended the line");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn hang_up(self) -> Vec<Seen> {
        self.hang_up.cancel();
        let _ = tokio::time::timeout(WAIT, self.task).await;
        lock(&self.state).seen.clone()
    }
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// A running call and its line.
struct Call {
    id: CallId,
    line: Line,
    task: JoinHandle<CallReport>,
}

fn start_call(engines: RealtimeEngines, info: CallInfo) -> Call {
    let (connection, endpoint) = connection_pair(64);
    let id = info.id.clone();
    let line = Line::start(endpoint);
    let task = tokio::spawn(async move {
        run_realtime_call(
            engines,
            CallConfig::default(),
            info,
            connection,
            CancellationToken::new(),
        )
        .await
        .expect("the call is recorded")
    });
    Call { id, line, task }
}

impl Call {
    /// The caller hangs up; returns the report and what the line saw.
    async fn hang_up(self) -> (CallReport, Vec<Seen>) {
        let seen = self.line.hang_up().await;
        let report = tokio::time::timeout(WAIT, self.task)
            .await
            .expect("the call ends after the hang-up")
            .expect("the call task does not panic");
        (report, seen)
    }

    /// The call ends by itself (transfer, hang-up by the agent).
    async fn ended_by_awaaz(self) -> (CallReport, Vec<Seen>) {
        self.line.wait_ended().await;
        let report = tokio::time::timeout(WAIT, self.task)
            .await
            .expect("the call ends")
            .expect("the call task does not panic");
        let seen = self.line.hang_up().await;
        (report, seen)
    }
}

async fn detail(store: &Arc<dyn Store>, id: &CallId) -> CallDetail {
    store
        .call(id)
        .await
        .expect("store reads")
        .expect("call stored")
}

fn frame_bytes(seen: &[Seen]) -> u64 {
    seen.iter()
        .map(|s| match s {
            Seen::Frame { bytes, .. } => *bytes as u64,
            _ => 0,
        })
        .sum()
}

fn marks(seen: &[Seen]) -> Vec<(String, u64)> {
    seen.iter()
        .filter_map(|s| match s {
            Seen::Mark { name, .. } => {
                let rest = name.strip_prefix("rt:")?;
                let (item, ms) = rest.rsplit_once(':')?;
                Some((item.to_owned(), ms.parse().ok()?))
            }
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn greeting_is_spoken_paced_and_stored() {
    let (store, _dir) = store().await;
    let fake = FakeRealtime::start(script(1_500)).await.unwrap();
    let started = Instant::now();
    let call = start_call(engines(&store, &fake), twilio_call());
    call.line.wait_played(1_500).await;
    let rec = fake
        .wait_for(0, WAIT, |r| {
            r.responses.first().is_some_and(|r| r.status == "completed")
        })
        .await
        .expect("the greeting completes");
    // Let the last mark come back before hanging up.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let id = call.id.clone();
    let (report, seen) = call.hang_up().await;
    assert_eq!(report.status, EndStatus::Completed);

    // The session: μ-law both ways (no transcoding), the voice, VAD that
    // interrupts, transcription and the agent's tools.
    assert_eq!(rec.model.as_deref(), Some("gpt-realtime"));
    assert_eq!(&rec.received[..2], ["session.update", "response.create"]);
    let update = &rec.session_updates[0];
    assert_eq!(update["type"], "realtime");
    assert_eq!(
        update["audio"]["input"]["format"],
        json!({"type": "audio/pcmu"})
    );
    assert_eq!(
        update["audio"]["output"]["format"],
        json!({"type": "audio/pcmu"})
    );
    assert_eq!(update["audio"]["output"]["voice"], "marin");
    assert_eq!(
        update["audio"]["input"]["turn_detection"]["type"],
        "server_vad"
    );
    assert_eq!(
        update["audio"]["input"]["turn_detection"]["interrupt_response"],
        true
    );
    assert!(update["audio"]["input"]["transcription"]["model"].is_string());
    let tools: Vec<&str> = update["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        tools,
        [
            "lookup_order",
            "check_product_availability",
            "create_ticket",
            "transfer_to_human",
            "send_sms",
            "end_call"
        ]
    );
    let instructions = update["instructions"].as_str().unwrap();
    assert!(instructions.contains("Awaaz Store"), "{instructions}");
    assert!(instructions.contains("Today is"), "{instructions}");
    assert_eq!(rec.response_creates, 1);
    assert!(
        rec.audio_bytes_appended > 0,
        "caller audio reached the model"
    );
    assert_eq!(
        rec.audio_bytes_appended % 160,
        0,
        "μ-law frames passed as they came"
    );

    // The line got exactly the greeting's audio, in 20 ms frames, paced in
    // real time, with marks naming the item and its position.
    assert_eq!(frame_bytes(&seen), 1_500 * BYTES_PER_MS);
    let frames: Vec<(Instant, usize)> = seen
        .iter()
        .filter_map(|s| match s {
            Seen::Frame { at, bytes } => Some((*at, *bytes)),
            _ => None,
        })
        .collect();
    assert!(frames.iter().all(|(_, b)| *b == 160));
    let spread = frames.last().unwrap().0 - frames[0].0;
    assert!(
        spread >= Duration::from_millis(1_400),
        "1.5 s of audio sent in {spread:?}: not paced"
    );
    let first_audio = frames[0].0 - started;
    assert!(
        first_audio < Duration::from_secs(2),
        "greeting after {first_audio:?}"
    );
    let marks = marks(&seen);
    assert!(!marks.is_empty());
    assert!(marks
        .iter()
        .all(|(item, _)| item == &rec.responses[0].item_id));
    assert_eq!(marks.last().unwrap().1, 1_500);

    let d = detail(&store, &id).await;
    assert_eq!(d.call.status, "completed");
    assert_eq!(turns(&d), [(Speaker::Agent, GREETING.to_owned())]);
    assert!(!d.turns[0].interrupted);
    assert!(d.turns[0].latency.first_audio_ms.is_some());
    let usage = d.usage.expect("usage stored");
    assert!(
        usage.output_tokens > 0 && usage.input_tokens > 0,
        "{usage:?}"
    );
    assert!(usage.audio_out_tokens > 0, "{usage:?}");
    assert!(usage.cost_usd > 0.0);
    assert!(
        (usage.cost_inr - usage.cost_usd * 88.0).abs() < 1e-9,
        "{usage:?}"
    );
    assert_eq!(usage.model_errors, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_lookup_is_answered_from_the_store() {
    let (store, _dir) = store().await;
    let order = support::demo_order(store.as_ref()).await;
    assert_eq!(order.courier.as_deref(), Some("Delhivery"));
    let fake = FakeRealtime::start(script(1_000).turn(support::order_lookup_turn(1_600, 2_600)))
        .await
        .unwrap();
    let call = start_call(engines(&store, &fake), twilio_call());
    let rec = fake
        .wait_for(0, WAIT, |r| {
            r.responses.len() == 3 && r.responses[2].status == "completed"
        })
        .await
        .expect("the answer is spoken");
    call.line.wait_played(3_000).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let id = call.id.clone();
    let (report, seen) = call.hang_up().await;
    assert_eq!(report.status, EndStatus::Completed);

    // The function ran against the store and its output went back, then a
    // response was asked for.
    assert_eq!(rec.function_outputs.len(), 1);
    let output: Value = serde_json::from_str(&rec.function_outputs[0].output).unwrap();
    assert_eq!(output["found"], true);
    assert_eq!(output["order"]["order_id"], "ORD-45678");
    assert_eq!(output["order"]["status"], order.status.as_str());
    assert_eq!(output["order"]["courier"], "Delhivery");
    let answer = format!(
        "Aapka order ORD-45678 {} hai, Delhivery se aa raha hai.",
        order.status.as_str()
    );
    assert_eq!(rec.responses[2].transcript, answer);
    let after_call = rec
        .received
        .iter()
        .skip_while(|t| *t != "conversation.item.create")
        .filter(|t| *t != "input_audio_buffer.append")
        .take(2)
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(after_call, ["conversation.item.create", "response.create"]);
    assert_eq!(frame_bytes(&seen), 3_000 * BYTES_PER_MS);

    let d = detail(&store, &id).await;
    assert_eq!(
        turns(&d),
        [
            (Speaker::Agent, GREETING.to_owned()),
            (
                Speaker::Caller,
                "mera order 4 5 6 7 8 kab aayega".to_owned()
            ),
            (Speaker::Agent, answer),
        ]
    );
    assert_eq!(d.tool_calls.len(), 1);
    let tool = &d.tool_calls[0];
    assert_eq!(tool.name, "lookup_order");
    assert!(tool.ok);
    assert_eq!(tool.arguments, json!({"order_id": "45678"}));
    assert_eq!(tool.result["order"]["courier"], "Delhivery");
    assert_eq!(tool.turn_id, Some(d.turns[2].id), "stored with the answer");
    let caller = &d.turns[1].latency;
    assert!(caller.speech_end_ms.is_some() && caller.transcript_ready_ms.is_some());
    let v2v = d.turns[2]
        .latency
        .voice_to_voice_ms
        .expect("voice-to-voice");
    assert!(v2v < 2_000, "voice to voice {v2v} ms");
    assert!(d.usage.unwrap().cost_usd > 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn barge_in_truncates_at_what_the_caller_heard() {
    let (store, _dir) = store().await;
    let long = "Namaste! Awaaz Store mein aapka swagat hai. Aaj hamare yahan kurta aur saree \
                par khaas offer chal raha hai, aur har order par free delivery hai. Main aapki \
                kya madad kar sakti hoon?";
    let mut script = script(4_000).turn(CallerTurn::new(1_500, 2_200, "ruko ruko", Reply::Silence));
    script.default_reply = AudioReply::new(long, 4_000);
    // The model speaks twice as fast as real time: when the caller
    // interrupts, far more has been generated than heard.
    script.pacing = Pacing {
        speed: 2.0,
        ..Pacing::default()
    };
    let fake = FakeRealtime::start(script).await.unwrap();
    let call = start_call(engines(&store, &fake), twilio_call());
    let rec = support::truncated_then_transcribed(&fake, WAIT).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rec_after = fake.recording(0).unwrap();
    let id = call.id.clone();
    let (_report, seen) = call.hang_up().await;

    let cut = &rec.truncations[0];
    assert_eq!(rec_after.truncations.len(), 1, "one cut");
    assert!(
        cut.applied,
        "the fake refused it: {:?}",
        rec.error_messages()
    );
    assert_eq!(cut.item_id, rec.responses[0].item_id);
    assert_eq!(cut.content_index, 0);
    let generated = rec_after.responses[0].audio_ms;
    assert!(cut.audio_end_ms <= generated);
    assert!(
        generated > cut.audio_end_ms + 500,
        "generated {generated} ms, cut at {}: the test needs audio ahead",
        cut.audio_end_ms
    );
    assert_eq!(rec_after.responses[0].status, "cancelled");

    // What the caller heard when the line was cleared.
    let (clear_at, played_bytes) = seen
        .iter()
        .find_map(|s| match s {
            Seen::Clear { at, played_bytes } => Some((*at, *played_bytes)),
            _ => None,
        })
        .expect("the line was cleared");
    let heard_ms = played_bytes / BYTES_PER_MS;
    eprintln!(
        "barge-in: generated {generated} ms, cut at {} ms, the line had played {heard_ms} ms",
        cut.audio_end_ms
    );
    assert!(
        cut.audio_end_ms <= heard_ms + 2 && heard_ms <= cut.audio_end_ms + 40,
        "cut at {} ms, the caller heard {heard_ms} ms",
        cut.audio_end_ms
    );
    // Nothing more was played after the clear.
    let late = seen
        .iter()
        .filter(|s| matches!(s, Seen::Frame { at, .. } if *at > clear_at))
        .count();
    assert_eq!(late, 0, "stale frames after the clear");

    let d = detail(&store, &id).await;
    let agent = &d.turns[0];
    assert_eq!(agent.speaker, Speaker::Agent);
    assert!(agent.interrupted);
    assert!(long.starts_with(&agent.text), "{:?}", agent.text);
    let chars = long.chars().count() as u64;
    let expected = chars * cut.audio_end_ms / 4_000;
    let got = agent.text.chars().count() as u64;
    assert!(
        got <= expected + 1 && got + 15 >= expected,
        "kept {got} chars, {expected} heard"
    );
    assert_eq!(turns(&d)[1], (Speaker::Caller, "ruko ruko".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_waits_for_the_goodbye_to_play() {
    let (store, _dir) = store().await;
    let goodbye = support::TRANSFER_LINE;
    let fake = FakeRealtime::start(script(800).turn(support::transfer_turn(1_200, 2_000)))
        .await
        .unwrap();
    let call = start_call(engines(&store, &fake), twilio_call());
    let id = call.id.clone();
    let (report, seen) = call.ended_by_awaaz().await;
    assert_eq!(report.status, EndStatus::Transferred);

    let (end_at, command) = seen
        .iter()
        .find_map(|s| match s {
            Seen::End { at, command } => Some((*at, command.clone())),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        command,
        CallerCommand::Transfer {
            reason: "caller asked for a person".to_owned()
        }
    );
    // All of the goodbye reached the line and had played by the transfer.
    assert_eq!(frame_bytes(&seen), (800 + 1_200) * BYTES_PER_MS);
    let last_frame = seen
        .iter()
        .rev()
        .find_map(|s| match s {
            Seen::Frame { at, .. } => Some(*at),
            _ => None,
        })
        .unwrap();
    assert!(end_at >= last_frame + Duration::from_millis(15));
    let rec = fake.recording(0).unwrap();
    assert_eq!(rec.responses.len(), 3, "greeting, function call, goodbye");
    assert_eq!(rec.responses[2].transcript, goodbye);

    let d = detail(&store, &id).await;
    assert_eq!(d.call.status, "transferred");
    assert_eq!(
        turns(&d).last().unwrap(),
        &(Speaker::Agent, goodbye.to_owned())
    );
    assert_eq!(d.tool_calls[0].name, "transfer_to_human");
    let transfers = store.transfers(&id).await.unwrap();
    assert_eq!(transfers.len(), 1);
    assert_eq!(transfers[0].reason, "caller asked for a person");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_model_connection_is_redialled_once() {
    let (store, _dir) = store().await;
    // Connection 0 drops after 1.2 s of caller audio; connection 1 hears the
    // caller's question 1.5 s after it opened (every connection follows the
    // same script on its own input timeline).
    let fake = FakeRealtime::start(
        script(600)
            .turn(CallerTurn::new(
                1_500,
                2_300,
                "order 4 5 6 7 8 ka status batao",
                Reply::function_call(
                    "lookup_order",
                    json!({"order_id": "ORD-45678"}),
                    AudioReply::new(
                        "Order {order.order_id} {order.courier} ke saath hai.",
                        1_000,
                    ),
                ),
            ))
            .drop_connection_after(0, 1_200),
    )
    .await
    .unwrap();
    let call = start_call(engines(&store, &fake), twilio_call());
    let second = fake
        .wait_for(1, WAIT, |r| {
            r.responses
                .iter()
                .any(|x| x.kind == "audio" && x.status == "completed")
        })
        .await
        .expect("the second session answers");
    call.line.wait_played(1_600).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let id = call.id.clone();
    let (report, _seen) = call.hang_up().await;
    assert_eq!(report.status, EndStatus::Completed);

    let first = fake.recording(0).unwrap();
    assert!(first.dropped);
    assert_eq!(fake.connection_count(), 2, "one redial");
    // The new session got the settings, then the conversation so far.
    assert_eq!(second.received[0], "session.update");
    assert_eq!(
        second.session_updates[0]["audio"]["input"]["format"]["type"],
        "audio/pcmu"
    );
    assert_eq!(second.received[1], "conversation.item.create");
    assert_eq!(second.response_creates, 1, "only the answer after the tool");
    let output: Value = serde_json::from_str(&second.function_outputs[0].output).unwrap();
    assert_eq!(output["order"]["courier"], "Delhivery");

    let d = detail(&store, &id).await;
    assert_eq!(d.call.status, "completed");
    assert_eq!(
        turns(&d),
        [
            (Speaker::Agent, GREETING.to_owned()),
            (
                Speaker::Caller,
                "order 4 5 6 7 8 ka status batao".to_owned()
            ),
            (
                Speaker::Agent,
                "Order ORD-45678 Delhivery ke saath hai.".to_owned()
            ),
        ]
    );
    assert_eq!(d.tool_calls.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_lost_twice_hands_the_caller_to_a_person() {
    let (store, _dir) = store().await;
    let fake = FakeRealtime::start(
        script(600)
            .drop_connection_after(0, 1_000)
            .drop_connection_after(1, 400),
    )
    .await
    .unwrap();
    let call = start_call(engines(&store, &fake), twilio_call());
    let id = call.id.clone();
    let (report, seen) = call.ended_by_awaaz().await;
    assert_eq!(report.status, EndStatus::Transferred);
    assert_eq!(fake.connection_count(), 2);
    assert!(seen.iter().any(|s| matches!(
        s,
        Seen::End { command: CallerCommand::Transfer { reason }, .. } if reason == "model_unavailable"
    )));
    let d = detail(&store, &id).await;
    assert_eq!(d.call.status, "transferred");
    let transfers = store.transfers(&id).await.unwrap();
    assert_eq!(transfers[0].reason, "model_unavailable");
}

/// Engines dialling a port nobody listens on.
fn unreachable_engines(store: &Arc<dyn Store>) -> RealtimeEngines {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let url = format!(
        "ws://{}/v1/realtime",
        closed.local_addr().expect("its address")
    );
    drop(closed);
    RealtimeEngines::new(
        Arc::clone(store),
        RealtimeConfig {
            url,
            connect_timeout: Duration::from_millis(500),
            ..RealtimeConfig::default()
        },
    )
}

/// The call went to a person at once.
async fn handed_to_a_person(call: Call, store: &Arc<dyn Store>, started: Instant) {
    let id = call.id.clone();
    let (report, seen) = call.ended_by_awaaz().await;
    assert_eq!(report.status, EndStatus::Transferred);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(matches!(
        seen.last(),
        Some(Seen::End {
            command: CallerCommand::Transfer { .. },
            ..
        })
    ));
    assert_eq!(detail(store, &id).await.call.status, "transferred");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_model_hands_the_caller_to_a_person_at_once() {
    let (store, _dir) = store().await;
    let started = Instant::now();
    let call = start_call(unreachable_engines(&store), twilio_call());
    handed_to_a_person(call, &store, started).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_model_goes_to_a_person_when_the_cascade_is_full() {
    let (store, _dir) = store().await;
    let engines = unreachable_engines(&store)
        .with_fallback(cascade(&store).await)
        .with_fallback_limit(0);
    let started = Instant::now();
    let call = start_call(engines, twilio_call());
    handed_to_a_person(call, &store, started).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_calls_each_get_their_own_session() {
    const CALLS: usize = 50;
    let (store, _dir) = store().await;
    let orders = store
        .orders(&OrderFilter {
            limit: Some(CALLS as u64),
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(orders.len(), CALLS);
    // One fake server per call, each scripted with its caller's order: a
    // call served by the wrong session would hear another order's data.
    let mut fakes = Vec::new();
    for order in &orders {
        let digits: String = order.id.0.chars().filter(char::is_ascii_digit).collect();
        let fake = FakeRealtime::start(script(400).turn(CallerTurn::new(
            700,
            1_300,
            format!("mera order {digits}"),
            Reply::function_call(
                "lookup_order",
                json!({"order_id": digits}),
                AudioReply::new("Order {order.order_id} ka status {order.status} hai.", 600),
            ),
        )))
        .await
        .unwrap();
        fakes.push(fake);
    }
    let calls: Vec<Call> = fakes
        .iter()
        .map(|fake| start_call(engines(&store, fake), twilio_call()))
        .collect();
    for (fake, call) in fakes.iter().zip(&calls) {
        fake.wait_for(0, Duration::from_secs(30), |r| {
            r.responses.len() == 3 && r.responses[2].status == "completed"
        })
        .await
        .expect("every call gets its answer");
        call.line.wait_played(1_000).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut ids = Vec::new();
    for call in calls {
        ids.push(call.id.clone());
        let (report, _) = call.hang_up().await;
        assert_eq!(report.status, EndStatus::Completed);
    }
    for ((fake, order), id) in fakes.iter().zip(&orders).zip(&ids) {
        assert_eq!(fake.connection_count(), 1);
        let rec = fake.recording(0).unwrap();
        let output: Value = serde_json::from_str(&rec.function_outputs[0].output).unwrap();
        assert_eq!(output["order"]["order_id"], order.id.0.as_str());
        let answer = format!(
            "Order {} ka status {} hai.",
            order.id.0,
            order.status.as_str()
        );
        let d = detail(&store, id).await;
        assert_eq!(turns(&d).last().unwrap(), &(Speaker::Agent, answer));
        assert_eq!(d.tool_calls.len(), 1);
        assert_eq!(
            d.tool_calls[0].result["order"]["order_id"],
            order.id.0.as_str()
        );
        assert_eq!(d.call.status, "completed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_slower_than_real_time_is_never_cut_beyond_what_it_generated() {
    let (store, _dir) = store().await;
    // Half real time: the caller has heard everything generated so far and
    // waits for more when they interrupt; a cut by the clock alone would
    // name audio that does not exist (and the service would refuse it).
    let mut script = script(3_000).turn(CallerTurn::new(1_500, 2_000, "haan ji", Reply::Silence));
    script.pacing = Pacing {
        speed: 0.5,
        ..Pacing::default()
    };
    let fake = FakeRealtime::start(script).await.unwrap();
    let call = start_call(engines(&store, &fake), twilio_call());
    let rec = fake
        .wait_for(0, WAIT, |r| {
            !r.truncations.is_empty() && r.responses[0].status == "cancelled"
        })
        .await
        .expect("a truncation");
    let (_report, _seen) = call.hang_up().await;
    let cut = &rec.truncations[0];
    assert!(cut.applied, "{:?}", rec.error_messages());
    assert_eq!(
        cut.audio_end_ms, rec.responses[0].audio_ms,
        "all of it was heard"
    );
    assert!(rec.errors.is_empty(), "{:?}", rec.error_messages());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_calls_use_pcm_at_24_khz_both_ways() {
    let (store, _dir) = store().await;
    let fake = FakeRealtime::start(script(1_000)).await.unwrap();
    let (connection, mut endpoint) = connection_pair(64);
    let info = CallInfo::new(Channel::Web);
    let id = info.id.clone();
    let task = tokio::spawn(run_realtime_call(
        engines(&store, &fake),
        CallConfig::default(),
        info,
        connection,
        CancellationToken::new(),
    ));
    let events = endpoint.event_sender();
    let mut frames = tokio::time::interval(Duration::from_millis(20));
    let mut played_samples = 0usize;
    let mut frame_sizes = Vec::new();
    let deadline = Instant::now() + WAIT;
    while played_samples < 16_000 {
        assert!(
            Instant::now() < deadline,
            "only {played_samples} samples played"
        );
        tokio::select! {
            _ = frames.tick() => {
                let _ = events.try_send(CallerEvent::Audio(AudioChunk::new(vec![0; 320])));
            }
            command = endpoint.recv() => match command {
                Some(CallerCommand::Play(chunk)) => {
                    played_samples += chunk.samples.len();
                    frame_sizes.push(chunk.samples.len());
                }
                Some(CallerCommand::Mark(name)) => {
                    let _ = events.try_send(CallerEvent::Mark(name));
                }
                Some(other) => panic!("unexpected {other:?}"),
                None => panic!("the call ended"),
            },
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    events.send(CallerEvent::HungUp).await.unwrap();
    while endpoint.recv().await.is_some() {}
    let report = task.await.unwrap().unwrap();
    assert_eq!(report.status, EndStatus::Completed);
    assert_eq!(played_samples, 16_000, "1 s of 16 kHz audio");
    assert!(frame_sizes[..frame_sizes.len() - 1]
        .iter()
        .all(|n| *n == 320));
    let rec = fake.recording(0).unwrap();
    let format = json!({"type": "audio/pcm", "rate": 24000});
    assert_eq!(rec.session_updates[0]["audio"]["input"]["format"], format);
    assert_eq!(rec.session_updates[0]["audio"]["output"]["format"], format);
    // 16 kHz caller audio reaches the model at 24 kHz: 48 bytes a ms.
    let per_ms = rec.audio_bytes_appended / rec.audio_ms_appended.max(1);
    assert_eq!(
        per_ms, 48,
        "{} bytes in {} ms",
        rec.audio_bytes_appended, rec.audio_ms_appended
    );
    let d = detail(&store, &id).await;
    assert_eq!(turns(&d), [(Speaker::Agent, GREETING.to_owned())]);
}

/// The cascade with the embedded agent and silent stand-in speech engines.
async fn cascade(store: &Arc<dyn Store>) -> CallEngines {
    let agent = EmbeddedAgent::load_with(Arc::clone(store), EmbeddedConfig::default())
        .await
        .expect("agent loads");
    CallEngines::new(
        Arc::clone(store),
        Arc::new(agent),
        Arc::new(ScriptedRecognizer::new(Vec::<String>::new())),
        Arc::new(SilentSynthesizer::new()),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_model_leaves_the_call_to_the_cascade_when_there_is_one() {
    let (store, _dir) = store().await;
    let engines = unreachable_engines(&store)
        .with_fallback(cascade(&store).await)
        .with_fallback_limit(1);
    let call = start_call(engines, twilio_call());
    // The embedded agent greets through the (silent) synthesiser.
    call.line.wait_played(200).await;
    let id = call.id.clone();
    let (report, seen) = call.hang_up().await;
    assert_eq!(report.status, EndStatus::Completed);
    assert!(frame_bytes(&seen) > 0);
    let d = detail(&store, &id).await;
    assert_eq!(d.call.status, "completed");
    assert_eq!(d.turns[0].speaker, Speaker::Agent, "the cascade's greeting");
    assert_eq!(d.usage, None, "no model session, no usage");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supervisor_runs_realtime_calls_and_drains_them_with_a_goodbye() {
    let (store, _dir) = store().await;
    // The greeting is long; the drain cuts it and asks for a goodbye (the
    // fake answers any unscripted response.create with its default reply).
    let fake = FakeRealtime::start(script(2_500)).await.unwrap();
    let supervisor = CallSupervisor::new(cascade(&store).await, CallConfig::default(), 4)
        .with_realtime(engines(&store, &fake));
    let (connection, endpoint) = connection_pair(64);
    let info = twilio_call();
    let id = info.id.clone();
    let line = Line::start(endpoint);
    let handle = supervisor.start_realtime(info, connection, None).unwrap();
    assert_eq!(supervisor.active(), 1);
    line.wait_played(1_000).await;
    assert!(
        supervisor.shutdown(Duration::from_secs(10)).await,
        "drained in time"
    );
    let report = handle.wait().await.unwrap();
    assert_eq!(report.status, EndStatus::Shutdown);
    line.wait_ended().await;
    let seen = line.hang_up().await;
    assert!(matches!(
        seen.last(),
        Some(Seen::End {
            command: CallerCommand::HangUp,
            ..
        })
    ));
    let rec = fake.recording(0).unwrap();
    assert_eq!(rec.response_creates, 2, "greeting, goodbye");
    assert_eq!(rec.truncations.len(), 1, "the greeting was cut");
    assert_eq!(
        rec.responses[1].status, "completed",
        "the goodbye was said in full"
    );
    let d = detail(&store, &id).await;
    assert_eq!(d.call.status, "shutdown");
    assert_eq!(d.turns.len(), 2);
    assert!(d.turns[0].interrupted);
    assert!(!d.turns[1].interrupted);

    let (connection, _endpoint) = connection_pair(8);
    assert!(matches!(
        supervisor.start_realtime(twilio_call(), connection, None),
        Err(awaaz_call::CallError::ShuttingDown)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_press_reaches_the_model() {
    let (store, _dir) = store().await;
    // The fake takes a typed user message as the caller's next turn.
    let fake = FakeRealtime::start(script(500).turn(CallerTurn::new(
        60_000,
        61_000,
        "(keypad)",
        Reply::audio("Aapne ek dabaya, main aapka order dekhti hoon.", 800),
    )))
    .await
    .unwrap();
    let (connection, endpoint) = connection_pair(64);
    let info = twilio_call();
    let events = endpoint.event_sender();
    let line = Line::start(endpoint);
    let task = tokio::spawn(run_realtime_call(
        engines(&store, &fake),
        CallConfig::default(),
        info,
        connection,
        CancellationToken::new(),
    ));
    line.wait_played(500).await;
    events.send(CallerEvent::Dtmf('1')).await.unwrap();
    line.wait_played(1_300).await;
    let _seen = line.hang_up().await;
    let report = task.await.unwrap().unwrap();
    assert_eq!(report.status, EndStatus::Completed);
    let rec = fake.recording(0).unwrap();
    assert_eq!(
        rec.user_texts,
        ["(The caller pressed 1 on the phone keypad.)"]
    );
    assert_eq!(rec.response_creates, 2);
    assert_eq!(
        rec.responses[1].transcript,
        "Aapne ek dabaya, main aapka order dekhti hoon."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_opened_during_the_webhook_is_used_by_the_call() {
    let (store, _dir) = store().await;
    let fake = FakeRealtime::start(script(600)).await.unwrap();
    let engines = engines(&store, &fake);
    // The webhook answers while the session opens; the media socket comes
    // a moment later.
    let prepared = engines
        .preconnect(Channel::Twilio, false)
        .await
        .expect("the model answers");
    let opened = fake
        .wait_for(0, WAIT, |r| r.session_updates.len() == 1)
        .await
        .expect("configured before the call");
    assert_eq!(opened.response_creates, 0, "nobody to greet yet");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (connection, endpoint) = connection_pair(64);
    let info = twilio_call();
    let id = info.id.clone();
    let line = Line::start(endpoint);
    let started = Instant::now();
    let task = tokio::spawn(awaaz_call::run_realtime_call_with(
        engines.clone(),
        CallConfig::default(),
        info,
        connection,
        Some(prepared),
        CancellationToken::new(),
    ));
    line.wait_played(600).await;
    // Let the last mark come back before hanging up.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let _seen = line.hang_up().await;
    task.await.unwrap().unwrap();
    assert_eq!(fake.connection_count(), 1, "no second dial");
    let rec = fake.recording(0).unwrap();
    assert_eq!(rec.session_updates.len(), 1, "configured once");
    assert_eq!(rec.response_creates, 1);
    assert!(started.elapsed() < Duration::from_secs(3));
    let d = detail(&store, &id).await;
    assert_eq!(turns(&d), [(Speaker::Agent, GREETING.to_owned())]);

    // A session opened for another kind of caller is set up again.
    let prepared = engines.preconnect(Channel::Web, false).await.unwrap();
    let (connection, endpoint) = connection_pair(64);
    let line = Line::start(endpoint);
    let task = tokio::spawn(awaaz_call::run_realtime_call_with(
        engines,
        CallConfig::default(),
        twilio_call(),
        connection,
        Some(prepared),
        CancellationToken::new(),
    ));
    line.wait_played(600).await;
    // Let the last mark come back before hanging up.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let _seen = line.hang_up().await;
    task.await.unwrap().unwrap();
    let rec = fake.recording(1).unwrap();
    assert_eq!(rec.session_updates.len(), 2);
    assert_eq!(
        rec.session_updates[0]["audio"]["input"]["format"]["type"],
        "audio/pcm"
    );
    assert_eq!(
        rec.session_updates[1]["audio"]["input"]["format"]["type"],
        "audio/pcmu"
    );
}
