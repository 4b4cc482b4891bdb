//! Whole calls on a paused clock: the embedded agent on the demo shop in a
//! `MemoryStore`, a scripted recogniser, a silent synthesiser and a scripted
//! caller connection.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use awaaz_agent::{
    Agent, AgentError, AgentReply, AgentSession, EmbeddedAgent, Language, SessionContext,
};
use awaaz_audio::AudioChunk;
use awaaz_speech::tts::SilentSynthesizer;
use awaaz_speech::{
    RecognitionHints, RecognitionStream, ScriptedRecognizer, SpeechError, SpeechLanguage,
    SpeechRecognizer, Transcript,
};
use awaaz_store::{CallDetail, CallStore, Channel, MemoryStore, Speaker, Store};
use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::*;

/// Wraps the embedded agent to see the history cuts barge-in makes.
struct RecordingAgent {
    inner: EmbeddedAgent,
    truncations: Arc<Mutex<Vec<String>>>,
}

struct RecordingSession {
    inner: Box<dyn AgentSession>,
    truncations: Arc<Mutex<Vec<String>>>,
}

#[async_trait]
impl Agent for RecordingAgent {
    async fn start(&self, ctx: SessionContext) -> Box<dyn AgentSession> {
        Box::new(RecordingSession {
            inner: self.inner.start(ctx).await,
            truncations: Arc::clone(&self.truncations),
        })
    }
}

#[async_trait]
impl AgentSession for RecordingSession {
    async fn greet(&mut self, now: DateTime<Utc>) -> AgentReply {
        self.inner.greet(now).await
    }
    async fn respond(&mut self, text: &str, now: DateTime<Utc>) -> Result<AgentReply, AgentError> {
        self.inner.respond(text, now).await
    }
    fn truncate_last_reply(&mut self, heard: &str) {
        self.truncations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(heard.to_owned());
        self.inner.truncate_last_reply(heard);
    }
    fn language(&self) -> Language {
        self.inner.language()
    }
}

/// What the caller's side received, with the virtual time.
#[derive(Debug, Clone, PartialEq)]
enum Got {
    Play,
    Mark(String),
    Clear,
    HangUp,
}

struct TestCall {
    caller: CallerEventSender,
    phase: watch::Receiver<Phase>,
    log: Arc<Mutex<Vec<(Instant, Got)>>>,
    task: JoinHandle<Result<CallReport, CallError>>,
    store: Arc<MemoryStore>,
    synth: SilentSynthesizer,
    truncations: Arc<Mutex<Vec<String>>>,
    call_id: awaaz_store::CallId,
}

struct Engines {
    engines: CallEngines,
    store: Arc<MemoryStore>,
    synth: SilentSynthesizer,
    truncations: Arc<Mutex<Vec<String>>>,
}

async fn engines(script: &[&str]) -> Engines {
    let store = Arc::new(MemoryStore::with_demo(Utc::now().date_naive()));
    let dyn_store: Arc<dyn Store> = store.clone();
    let agent = EmbeddedAgent::load(Arc::clone(&dyn_store)).await.unwrap();
    let truncations = Arc::new(Mutex::new(Vec::new()));
    let synth = SilentSynthesizer::new();
    let engines = CallEngines::new(
        dyn_store,
        Arc::new(RecordingAgent {
            inner: agent,
            truncations: Arc::clone(&truncations),
        }),
        Arc::new(ScriptedRecognizer::new(script.iter().copied())),
        Arc::new(synth.clone()),
    );
    Engines {
        engines,
        store,
        synth,
        truncations,
    }
}

/// Plays the carrier: logs commands and echoes marks as if played at once.
fn carrier(mut endpoint: CallerEndpoint, log: Arc<Mutex<Vec<(Instant, Got)>>>) {
    let echo = endpoint.event_sender();
    tokio::spawn(async move {
        while let Some(cmd) = endpoint.recv().await {
            let got = match cmd {
                CallerCommand::Play(_) | CallerCommand::PlayLine(_) => Got::Play,
                CallerCommand::Mark(name) => {
                    let _ = echo.try_send(CallerEvent::Mark(name.clone()));
                    Got::Mark(name)
                }
                CallerCommand::Clear => Got::Clear,
                CallerCommand::HangUp | CallerCommand::Transfer { .. } => Got::HangUp,
            };
            log.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((Instant::now(), got));
        }
    });
}

impl TestCall {
    async fn start(script: &[&str]) -> Self {
        Self::with_engines(engines(script).await)
    }

    fn with_engines(e: Engines) -> Self {
        let (connection, endpoint) = connection_pair(64);
        let caller = endpoint.event_sender();
        let phase = endpoint.phase();
        let log = Arc::new(Mutex::new(Vec::new()));
        carrier(endpoint, Arc::clone(&log));
        let info = CallInfo::new(Channel::Simulated);
        let call_id = info.id.clone();
        let task = tokio::spawn(run_call(
            e.engines,
            CallConfig::default(),
            info,
            connection,
            CancellationToken::new(),
        ));
        Self {
            caller,
            phase,
            log,
            task,
            store: e.store,
            synth: e.synth,
            truncations: e.truncations,
            call_id,
        }
    }

    /// `ms` of caller audio at `amplitude`, in real-time 20 ms frames.
    async fn audio(&self, ms: u64, amplitude: i16) {
        for _ in 0..ms / 20 {
            let frame = AudioChunk::new(
                (0..320)
                    .map(|i| if i % 2 == 0 { amplitude } else { -amplitude })
                    .collect(),
            );
            self.caller.send(CallerEvent::Audio(frame)).await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn speak(&self, ms: u64) {
        self.audio(ms, 4000).await;
    }

    /// Line silence until the call reaches `want` (at most a minute).
    async fn silence_until(&self, want: Phase) {
        for _ in 0..3000 {
            if *self.phase.borrow() == want {
                return;
            }
            self.audio(20, 0).await;
        }
        panic!("call never reached {want:?}");
    }

    async fn hang_up(mut self) -> (CallReport, CallDetail, Self) {
        self.caller.send(CallerEvent::HungUp).await.unwrap();
        let report = (&mut self.task).await.unwrap().unwrap();
        let detail = self.store.call(&self.call_id).await.unwrap().unwrap();
        (report, detail, self)
    }

    fn got(&self) -> Vec<(Instant, Got)> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn truncations(&self) -> Vec<String> {
        self.truncations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

fn speakers(detail: &CallDetail) -> Vec<Speaker> {
    detail.turns.iter().map(|t| t.speaker).collect()
}

#[tokio::test(start_paused = true)]
async fn order_question_is_answered_with_a_lookup_and_latency_is_recorded() {
    let call = TestCall::start(&["mera order 45678 kahan hai"]).await;
    call.silence_until(Phase::Listening).await;
    call.speak(1200).await;
    call.silence_until(Phase::Listening).await;
    let (report, detail, call) = call.hang_up().await;

    assert_eq!(report.status, EndStatus::Completed);
    assert_eq!(detail.call.status, "completed");
    assert!(detail.call.ended_at.is_some());
    assert_eq!(
        speakers(&detail),
        vec![Speaker::Agent, Speaker::Caller, Speaker::Agent],
        "greeting first"
    );
    assert_eq!(detail.turns[1].text, "mera order 45678 kahan hai");
    let answer = &detail.turns[2];
    assert!(!answer.interrupted);
    let spoken = call.synth.spoken();
    assert_eq!(spoken.len(), 2, "greeting and answer synthesised");
    assert_eq!(answer.text, spoken[1].0, "the whole answer was heard");
    assert_eq!(detail.tool_calls.len(), 1);
    assert_eq!(detail.tool_calls[0].name, "lookup_order");
    assert_eq!(detail.tool_calls[0].arguments["order_id"], "ORD-45678");
    assert_eq!(detail.tool_calls[0].turn_id, Some(answer.id));

    let l = answer.latency;
    let (end, transcript, reply, first) = (
        l.speech_end_ms.unwrap(),
        l.transcript_ready_ms.unwrap(),
        l.reply_ready_ms.unwrap(),
        l.first_audio_ms.unwrap(),
    );
    assert!(
        end <= transcript && transcript <= reply && reply <= first,
        "{l:?}"
    );
    // Engines take no virtual time: what remains is the turn detector's
    // 600 ms of silence plus frame rounding.
    let v2v = l.voice_to_voice_ms.unwrap();
    assert_eq!(v2v, first - end);
    assert!((600..=660).contains(&v2v), "{v2v}");
    assert!(l.agent_us.is_some());
    assert_eq!(detail.turns[1].latency.speech_end_ms, Some(end));
    // The caller's turn lasted as long as they spoke.
    let caller = &detail.turns[1];
    let spoke = (caller.ended_at - caller.started_at).num_milliseconds();
    assert!((1100..=1260).contains(&spoke), "{spoke}");

    assert!(call.got().iter().all(|(_, g)| *g != Got::Clear));
    assert!(call.truncations().is_empty());
    assert_eq!(call.got().last().map(|g| g.1.clone()), Some(Got::HangUp));
}

#[tokio::test(start_paused = true)]
async fn barge_in_clears_bot_audio_and_cuts_the_history() {
    let call = TestCall::start(&[
        "mera order 45678 kahan hai",
        "ruko ruko, mujhe cancel karna hai",
    ])
    .await;
    call.silence_until(Phase::Listening).await;
    call.speak(1200).await;
    call.silence_until(Phase::BotSpeaking).await;
    call.audio(600, 0).await;
    let barge_at = Instant::now();
    call.speak(1000).await;
    call.silence_until(Phase::Listening).await;
    let (_, detail, call) = call.hang_up().await;

    let got = call.got();
    let clear_at = got
        .iter()
        .find(|(_, g)| *g == Got::Clear)
        .map(|(t, _)| *t)
        .expect("clear sent");
    // Decided on the first partial transcript: 300 ms of audio after the
    // detector's 60 ms, well before the caller finished.
    let decided = clear_at - barge_at;
    assert!(decided <= Duration::from_millis(400), "{decided:?}");
    // No bot audio from the clear until the caller finished and the next
    // answer began (the cut turn's queued frames were dropped).
    let next_play = got
        .iter()
        .find(|(t, g)| *t > clear_at && *g == Got::Play)
        .map(|(t, _)| *t)
        .unwrap();
    assert!(
        next_play - clear_at >= Duration::from_millis(1000),
        "{:?}",
        next_play - clear_at
    );

    assert_eq!(
        speakers(&detail),
        vec![
            Speaker::Agent,
            Speaker::Caller,
            Speaker::Agent,
            Speaker::Caller,
            Speaker::Agent
        ]
    );
    let cut = &detail.turns[2];
    assert!(cut.interrupted);
    let full = &call.synth.spoken()[1].0;
    assert!(
        !cut.text.is_empty() && cut.text.len() < full.len(),
        "{:?} of {full:?}",
        cut.text
    );
    let first_words: Vec<&str> = cut.text.split_whitespace().collect();
    let full_words: Vec<&str> = full.split_whitespace().collect();
    assert_eq!(
        first_words[..],
        full_words[..first_words.len()],
        "heard a prefix"
    );
    assert_eq!(call.truncations(), vec![cut.text.clone()]);
    // The tool call of the cut answer is still stored, on the cut turn.
    assert_eq!(detail.tool_calls[0].turn_id, Some(cut.id));
    assert_eq!(detail.turns[3].text, "ruko ruko, mujhe cancel karna hai");
    assert!(!detail.turns[4].interrupted);
}

#[tokio::test(start_paused = true)]
async fn backchannel_does_not_interrupt() {
    let call = TestCall::start(&["mera order 45678 kahan hai", "haan ji"]).await;
    call.silence_until(Phase::Listening).await;
    call.speak(1200).await;
    call.silence_until(Phase::BotSpeaking).await;
    call.audio(400, 0).await;
    call.speak(400).await;
    call.silence_until(Phase::Listening).await;
    let (_, detail, call) = call.hang_up().await;

    assert!(call.got().iter().all(|(_, g)| *g != Got::Clear));
    assert!(call.truncations().is_empty());
    assert_eq!(
        speakers(&detail),
        vec![Speaker::Agent, Speaker::Caller, Speaker::Agent],
        "the backchannel is not a turn"
    );
    assert!(!detail.turns[2].interrupted);
    assert_eq!(detail.turns[2].text, call.synth.spoken()[1].0);
}

#[tokio::test(start_paused = true)]
async fn silent_caller_times_out() {
    let e = engines(&[]).await;
    let (connection, endpoint) = connection_pair(64);
    let log = Arc::new(Mutex::new(Vec::new()));
    carrier(endpoint, Arc::clone(&log));
    let config = CallConfig {
        core: CoreConfig {
            no_input_timeout_ms: 5_000,
            ..CoreConfig::default()
        },
        ..CallConfig::default()
    };
    let info = CallInfo::new(Channel::Web);
    let id = info.id.clone();
    let report = run_call(
        e.engines,
        config,
        info,
        connection,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(report.status, EndStatus::TimedOut);
    let detail = e.store.call(&id).await.unwrap().unwrap();
    assert_eq!(detail.call.status, "timed_out");
    assert_eq!(speakers(&detail), vec![Speaker::Agent]);
    let got = log.lock().unwrap_or_else(PoisonError::into_inner).clone();
    assert_eq!(got.last().map(|g| g.1.clone()), Some(Got::HangUp));
}

#[tokio::test(start_paused = true)]
async fn supervisor_caps_calls_and_drains_with_a_goodbye() {
    let e = engines(&["mera order 45678 kahan hai"]).await;
    let supervisor = CallSupervisor::new(e.engines, CallConfig::default(), 1);
    let (connection, endpoint) = connection_pair(64);
    let phase = endpoint.phase();
    let caller = endpoint.event_sender();
    let log = Arc::new(Mutex::new(Vec::new()));
    carrier(endpoint, Arc::clone(&log));
    let handle = supervisor
        .start(CallInfo::new(Channel::Web), connection)
        .unwrap();
    assert_eq!(supervisor.active(), 1);

    let (second, _) = connection_pair(4);
    assert!(matches!(
        supervisor.start(CallInfo::new(Channel::Web), second),
        Err(CallError::Busy { limit: 1 })
    ));

    // Mid-greeting, the server shuts down.
    let mut phase = phase;
    phase.wait_for(|p| *p == Phase::BotSpeaking).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(supervisor.shutdown(Duration::from_secs(30)).await);
    drop(caller);
    let report = handle.wait().await.unwrap();
    assert_eq!(report.status, EndStatus::Shutdown);
    let detail = e.store.call(&report.call_id).await.unwrap().unwrap();
    assert_eq!(detail.call.status, "shutdown");
    assert_eq!(speakers(&detail), vec![Speaker::Agent, Speaker::Agent]);
    assert!(detail.turns[0].interrupted, "greeting cut by the drain");
    assert!(
        detail.turns[1].text.contains("Dhanyavaad"),
        "{}",
        detail.turns[1].text
    );
    assert!(!detail.turns[1].interrupted);
    assert_eq!(supervisor.active(), 0);
    assert!(matches!(
        supervisor.start(CallInfo::new(Channel::Web), connection_pair(4).0),
        Err(CallError::ShuttingDown)
    ));
}

/// An agent that writes its reply slowly, clause by clause, like an LLM.
struct SlowStreamingAgent;

struct SlowStreamingSession;

#[async_trait]
impl Agent for SlowStreamingAgent {
    async fn start(&self, _ctx: SessionContext) -> Box<dyn AgentSession> {
        Box::new(SlowStreamingSession)
    }
}

const FIRST_CLAUSE: &str = "Ek minute, main dekh rahi hoon.";
const SECOND_CLAUSE: &str = "Aapka order kal tak pahunch jayega.";

#[async_trait]
impl AgentSession for SlowStreamingSession {
    async fn greet(&mut self, _now: DateTime<Utc>) -> AgentReply {
        AgentReply {
            text: "Namaste.".into(),
            language: Language::Hinglish,
            tool_calls: Vec::new(),
            ended: false,
            action: None,
        }
    }
    async fn respond(&mut self, text: &str, now: DateTime<Utc>) -> Result<AgentReply, AgentError> {
        self.respond_streaming(text, now, &mut |_| {}).await
    }
    async fn respond_streaming(
        &mut self,
        _text: &str,
        _now: DateTime<Utc>,
        clauses: &mut (dyn FnMut(String) + Send),
    ) -> Result<AgentReply, AgentError> {
        clauses(FIRST_CLAUSE.to_owned());
        tokio::time::sleep(Duration::from_secs(2)).await;
        clauses(SECOND_CLAUSE.to_owned());
        Ok(AgentReply {
            text: format!("{FIRST_CLAUSE} {SECOND_CLAUSE}"),
            language: Language::Hinglish,
            tool_calls: Vec::new(),
            ended: false,
            action: None,
        })
    }
    fn truncate_last_reply(&mut self, _heard: &str) {}
    fn language(&self) -> Language {
        Language::Hinglish
    }
}

#[tokio::test(start_paused = true)]
async fn a_streaming_agent_is_heard_before_its_reply_is_complete() {
    let store = Arc::new(MemoryStore::with_demo(Utc::now().date_naive()));
    let synth = SilentSynthesizer::new();
    let engines = CallEngines::new(
        store.clone(),
        Arc::new(SlowStreamingAgent),
        Arc::new(ScriptedRecognizer::new(["mera order kahan hai"])),
        Arc::new(synth.clone()),
    );
    let call = TestCall::with_engines(Engines {
        engines,
        store,
        synth,
        truncations: Arc::new(Mutex::new(Vec::new())),
    });
    call.silence_until(Phase::Listening).await;
    call.speak(1200).await;
    call.silence_until(Phase::BotSpeaking).await;
    call.silence_until(Phase::Listening).await;
    let (_, detail, call) = call.hang_up().await;

    let answer = &detail.turns[2];
    assert_eq!(answer.text, format!("{FIRST_CLAUSE} {SECOND_CLAUSE}"));
    let l = answer.latency;
    let (first, reply) = (l.first_audio_ms.unwrap(), l.reply_ready_ms.unwrap());
    assert!(
        first + 1500 < reply,
        "first audio at {first} ms, reply complete at {reply} ms"
    );
    let spoken: Vec<String> = call.synth.spoken().into_iter().map(|s| s.0).collect();
    assert_eq!(
        spoken[1..],
        [FIRST_CLAUSE.to_owned(), SECOND_CLAUSE.to_owned()]
    );
}

/// A recogniser whose decodes take virtual time on a background worker, as
/// Whisper's do: `pause` starts one, `decoded` waits for it, `partial` and
/// `finish` reuse its result.
struct BackgroundRecognizer {
    text: &'static str,
    decode: Duration,
    decodes: Arc<Mutex<u32>>,
}

struct BackgroundStream {
    text: &'static str,
    decode: Duration,
    decodes: Arc<Mutex<u32>>,
    ready_at: Option<Instant>,
    done: bool,
    reported: bool,
}

impl BackgroundStream {
    fn count(&self) {
        *self.decodes.lock().unwrap_or_else(PoisonError::into_inner) += 1;
    }
}

#[async_trait]
impl SpeechRecognizer for BackgroundRecognizer {
    async fn start(
        &self,
        _hints: &RecognitionHints,
    ) -> Result<Box<dyn RecognitionStream>, SpeechError> {
        Ok(Box::new(BackgroundStream {
            text: self.text,
            decode: self.decode,
            decodes: Arc::clone(&self.decodes),
            ready_at: None,
            done: false,
            reported: false,
        }))
    }
}

#[async_trait]
impl RecognitionStream for BackgroundStream {
    async fn push(&mut self, _audio: &AudioChunk) -> Result<(), SpeechError> {
        Ok(())
    }
    async fn partial(&mut self) -> Result<Option<Transcript>, SpeechError> {
        if self.ready_at.is_some_and(|t| t <= Instant::now()) {
            self.done = true;
        }
        if !self.done || self.reported {
            return Ok(None);
        }
        self.reported = true;
        Ok(Some(Transcript {
            text: self.text.to_owned(),
            language: Some(SpeechLanguage::English),
            is_final: false,
        }))
    }
    async fn pause(&mut self) -> Result<(), SpeechError> {
        if self.ready_at.is_none() {
            self.count();
            self.ready_at = Some(Instant::now() + self.decode);
        }
        Ok(())
    }
    async fn decoded(&mut self) -> Result<(), SpeechError> {
        match self.ready_at {
            Some(at) if !self.done => {
                tokio::time::sleep_until(at).await;
                self.done = true;
                Ok(())
            }
            _ => std::future::pending().await,
        }
    }
    async fn finish(&mut self) -> Result<Transcript, SpeechError> {
        if !self.done {
            self.count();
            tokio::time::sleep(self.decode).await;
        }
        Ok(Transcript {
            text: self.text.to_owned(),
            language: Some(SpeechLanguage::English),
            is_final: true,
        })
    }
}

/// One caller question through the VAD segmenter and a recogniser whose
/// decodes take 150 ms: how long after the caller's speech ended the
/// transcript was ready, and how many decodes ran.
async fn transcript_delay(config: VadTurnConfig) -> (u64, u32) {
    let mut e = engines(&[]).await;
    let decodes = Arc::new(Mutex::new(0));
    e.engines.recognizer = Arc::new(BackgroundRecognizer {
        text: "Where is my order 45678?",
        decode: Duration::from_millis(150),
        decodes: Arc::clone(&decodes),
    });
    e.engines = e.engines.with_segmenter(Arc::new(move || {
        Box::new(VadTurnSegmenter::from_model(None, config))
    }));
    let call = TestCall::with_engines(e);
    call.silence_until(Phase::Listening).await;
    call.speak(1200).await;
    call.silence_until(Phase::Listening).await;
    let (_, detail, _) = call.hang_up().await;

    assert_eq!(detail.turns[1].text, "Where is my order 45678?");
    let l = detail.turns[2].latency;
    let delay = l.transcript_ready_ms.unwrap() - l.speech_end_ms.unwrap();
    let decodes = *decodes.lock().unwrap_or_else(PoisonError::into_inner);
    (delay, decodes)
}

#[tokio::test(start_paused = true)]
async fn a_pause_decode_ends_a_complete_turn_as_soon_as_it_is_ready() {
    // Without early decodes: the VAD reports the pause 200 ms (plus frame
    // rounding) after the last speech frame, i.e. 170–202 ms after the
    // padded speech end, the decode takes 150 ms, and its complete question
    // ends the turn at once: not at the next partial tick (300 ms later),
    // nor after the 550 ms an unknown cue waits.
    let (delay, decodes) = transcript_delay(VadTurnConfig {
        quiet_ms: 0,
        ..VadTurnConfig::default()
    })
    .await;
    assert!((320..=360).contains(&delay), "{delay} ms");
    assert_eq!(decodes, 1, "the pause's decode is the final transcript");

    // With them (the default): the decode starts ~100 ms into the quiet and
    // is ready before a complete question's 280 ms of silence has passed.
    let (delay, decodes) = transcript_delay(VadTurnConfig::default()).await;
    assert!((280..=330).contains(&delay), "{delay} ms");
    assert_eq!(decodes, 1, "the quiet's decode is the final transcript");
}
