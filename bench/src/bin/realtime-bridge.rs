//! `realtime-bridge`: what awaaz adds between a phone line and the
//! speech-to-speech model, and how many bridged calls one server holds.
//!
//! ```text
//!  --path server (default): the whole server, as a carrier sees it
//!  fake Twilio streams ─ws /twilio/media─▶ awaaz server (own runtime, threads "awaaz-server":
//!   (20 ms media frames,                   bridge → run_realtime_call) ─ws─▶ fake model (loopback)
//!    each payload carries its send time)                                       input_audio_buffer.append:
//!     ◀─ media (payload: the model's bytes) ◀─ bridge ◀─ paced writer ◀─ ws ◀─ output_audio.delta
//!        "model → carrier" = media received − delta send time         "carrier → model" = arrival − send time
//!
//!  --path engine: awaaz_call::run_realtime_call alone, callers on a CallerEndpoint (no WebSocket,
//!  JSON or base64 on the carrier side)
//! ```
//!
//! μ-law passes through the bridge and the engine untouched, so the send
//! time written into the audio bytes survives the trip both ways. The fake model sends
//! 20 ms of audio every 25 ms, a little slower than real time, so the paced
//! writer's queue is empty when a delta arrives and the figure is the
//! bridge's own delay, not playout pacing.
//!
//! Everything runs in this one process on loopback. With `--path server`
//! the server has its own tokio runtime, and "server CPU" counts only its
//! threads; RSS is the whole process's (callers and fake model included).
//! With `--path engine` CPU is the whole process's. Levels run one after the
//! other (100, 250, 500, … calls at once); each warms up, measures for
//! `--seconds`, then hangs every call up. The run stops by itself after the
//! last level, or early when a level misses the goal by far.

#[path = "../voice/procstat.rs"]
mod procstat;

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use awaaz_call::{
    connection_pair, run_realtime_call, CallConfig, CallInfo, CallReport, CallerCommand,
    CallerEndpoint, CallerEvent, EndStatus, RealtimeEngines,
};
use awaaz_realtime::RealtimeConfig;
use awaaz_store::{Channel, SeaStore, Store};
use base64::Engine as _;
use clap::Parser;
use futures_util::{SinkExt as _, StreamExt as _};
use hdrhistogram::Histogram;
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

/// Goal from issue 5: p99 added latency per frame at ≥ 500 calls.
const GOAL_CALLS: usize = 500;
const GOAL_P99_US: u64 = 5_000;
/// A level whose p99 is this far over the goal ends the ramp.
const GIVE_UP_P99_US: u64 = 100_000;
/// One 20 ms μ-law frame.
const FRAME_BYTES: usize = 160;
/// The fake model's WebSocket read buffer.
const READ_BUFFER_BYTES: usize = 16 * 1024;
/// The fake model's delta interval (20 ms of audio each).
const DELTA_EVERY: Duration = Duration::from_millis(25);

/// Measures the realtime bridge's added latency and capacity.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Concurrent calls per level, in order.
    #[arg(long, value_delimiter = ',', default_value = "100,250,500,750,1000")]
    levels: Vec<usize>,
    /// Seconds measured per level (after a warm-up).
    #[arg(long, default_value_t = 8)]
    seconds: u64,
    /// Seconds of warm-up per level, after the last call has started.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Tokio worker threads (default: one per core), for the server's
    /// runtime and for the load's.
    #[arg(long)]
    workers: Option<usize>,
    /// What is measured: the whole server over carrier sockets, or the
    /// realtime engine alone.
    #[arg(long, value_enum, default_value_t = BridgePath::Server)]
    path: BridgePath,
}

/// See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum BridgePath {
    /// Twilio Media Streams → awaaz server (bridge + engine) → model.
    Server,
    /// `run_realtime_call` on a `CallerEndpoint` → model.
    Engine,
}

/// The process-wide time origin stamped into audio.
fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

fn stamp() -> u64 {
    u64::try_from(origin().elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// A frame of μ-law silence carrying its send time in its first 8 bytes.
fn stamped_frame() -> Vec<u8> {
    let mut frame = vec![0xFF; FRAME_BYTES];
    frame[..8].copy_from_slice(&stamp().to_le_bytes());
    frame
}

/// Microseconds since the stamp in `frame`.
fn age_us(frame: &[u8]) -> Option<u64> {
    let sent = u64::from_le_bytes(frame.get(..8)?.try_into().ok()?);
    Some(stamp().saturating_sub(sent) / 1_000)
}

/// Latency histograms shared by every task of a level.
struct Meter {
    measuring: AtomicBool,
    to_model: Mutex<Histogram<u64>>,
    to_caller: Mutex<Histogram<u64>>,
    frames_sent: AtomicU64,
    frames_unsent: AtomicU64,
    /// Streams the server closed before the bench hung up (server path).
    closed_early: AtomicU64,
    /// Caller frames that reached the model.
    frames_at_model: AtomicU64,
}

impl Meter {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            measuring: AtomicBool::new(false),
            to_model: Mutex::new(Histogram::new_with_bounds(1, 10_000_000, 3)?),
            to_caller: Mutex::new(Histogram::new_with_bounds(1, 10_000_000, 3)?),
            frames_sent: AtomicU64::new(0),
            frames_unsent: AtomicU64::new(0),
            closed_early: AtomicU64::new(0),
            frames_at_model: AtomicU64::new(0),
        })
    }

    fn record(&self, histogram: &Mutex<Histogram<u64>>, us: u64) {
        if self.measuring.load(Ordering::Relaxed) {
            let mut h = histogram.lock().unwrap_or_else(PoisonError::into_inner);
            h.saturating_record(us.max(1));
        }
    }
}

/// The fake model: accepts sessions, measures each append's age, and
/// streams stamped audio deltas while `streaming` is on.
async fn fake_model(listener: TcpListener, meter: Arc<Meter>, stop: CancellationToken) {
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    let _ = stream.set_nodelay(true);
                    sessions.spawn(model_session(stream, Arc::clone(&meter), stop.clone()));
                }
            }
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
    sessions.abort_all();
}

async fn model_session(stream: TcpStream, meter: Arc<Meter>, stop: CancellationToken) {
    // tungstenite zero-fills its whole read buffer on every read (128 KiB
    // by default); the model's events are small.
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER_BYTES);
    let Ok(ws) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await else {
        return;
    };
    let (mut sink, mut stream) = ws.split();
    let created = json!({"type": "session.created", "event_id": "event_0",
                         "session": {"type": "realtime", "id": "sess_bench"}});
    if sink.send(Message::text(created.to_string())).await.is_err() {
        return;
    }
    let mut deltas = tokio::time::interval(DELTA_EVERY);
    deltas.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut n = 0u64;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    if let Some(audio) = appended_audio(text.as_str()) {
                        meter.frames_at_model.fetch_add(1, Ordering::Relaxed);
                        if let Some(us) = age_us(&audio) {
                            meter.record(&meter.to_model, us);
                        }
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return,
            },
            _ = deltas.tick() => {
                n += 1;
                let audio = base64::engine::general_purpose::STANDARD.encode(stamped_frame());
                let delta = json!({"type": "response.output_audio.delta", "event_id": format!("event_{n}"),
                                   "response_id": "resp_bench", "item_id": "item_bench",
                                   "output_index": 0, "content_index": 0, "delta": audio});
                if sink.send(Message::text(delta.to_string())).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// The audio of an `input_audio_buffer.append`, if `text` is one.
fn appended_audio(text: &str) -> Option<Vec<u8>> {
    if !text.contains("input_audio_buffer.append") {
        return None;
    }
    let event: Value = serde_json::from_str(text).ok()?;
    let audio = event.get("audio")?.as_str()?;
    base64::engine::general_purpose::STANDARD.decode(audio).ok()
}

/// One caller: a stamped frame every 20 ms (phase-shifted per call), marks
/// echoed at once, and the age of every frame played to it.
async fn caller(
    mut endpoint: CallerEndpoint,
    phase: Duration,
    meter: Arc<Meter>,
    hang_up: CancellationToken,
) {
    let events = endpoint.event_sender();
    let start = tokio::time::Instant::now() + phase;
    let mut frames = tokio::time::interval_at(start, Duration::from_millis(20));
    frames.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut hung_up = false;
    loop {
        tokio::select! {
            () = hang_up.cancelled(), if !hung_up => {
                hung_up = true;
                let _ = events.send(CallerEvent::HungUp).await;
            }
            _ = frames.tick(), if !hung_up => {
                match events.try_send(CallerEvent::LineAudio(stamped_frame())) {
                    Ok(true) => meter.frames_sent.fetch_add(1, Ordering::Relaxed),
                    Ok(false) => meter.frames_unsent.fetch_add(1, Ordering::Relaxed),
                    Err(_) => return,
                };
            }
            command = endpoint.recv() => match command {
                Some(CallerCommand::PlayLine(frame)) => {
                    if let Some(us) = age_us(&frame) {
                        meter.record(&meter.to_caller, us);
                    }
                }
                Some(CallerCommand::Mark(name)) => {
                    let _ = events.try_send(CallerEvent::Mark(name));
                }
                Some(_) => {}
                None => return,
            },
        }
    }
}

/// One level's results.
struct Level {
    calls: usize,
    to_model: Histogram<u64>,
    to_caller: Histogram<u64>,
    cpu_percent: f64,
    rss_mb: f64,
    frames_sent: u64,
    frames_unsent: u64,
    dropped_in_call: u64,
    failed: usize,
}

async fn run_level(calls: usize, args: &Args, store: &Arc<dyn Store>) -> anyhow::Result<Level> {
    match args.path {
        BridgePath::Engine => run_engine_level(calls, args, store).await,
        BridgePath::Server => run_server_level(calls, args).await,
    }
}

/// One caller over a Twilio Media Stream: `connected`, `start`, a stamped
/// `media` frame every 20 ms (phase-shifted per call), marks echoed at once,
/// and the age of every frame played to it.
async fn twilio_caller(
    url: String,
    n: u64,
    phase: Duration,
    meter: Arc<Meter>,
    hang_up: CancellationToken,
) {
    // TCP_NODELAY: one frame per segment, as from a media server.
    let Ok((ws, _)) = tokio_tungstenite::connect_async_with_config(url.as_str(), None, true).await
    else {
        meter.closed_early.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let (mut sink, mut stream) = ws.split();
    let stream_sid = format!("MZ{n:032x}");
    let call_sid = format!("CA{n:032x}");
    let start = json!({
        "event": "start", "sequenceNumber": "1", "streamSid": stream_sid,
        "start": {"accountSid": "AC00000000000000000000000000000000", "streamSid": stream_sid,
                  "callSid": call_sid, "tracks": ["inbound"], "customParameters": {},
                  "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}},
    });
    let connected = r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#;
    for frame in [connected.to_owned(), start.to_string()] {
        if sink.send(Message::text(frame)).await.is_err() {
            meter.closed_early.fetch_add(1, Ordering::Relaxed);
            return;
        }
    }
    let mut frames = tokio::time::interval_at(
        tokio::time::Instant::now() + phase,
        Duration::from_millis(20),
    );
    frames.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seq = 1u64;
    let mut chunk = 0u64;
    loop {
        tokio::select! {
            () = hang_up.cancelled() => {
                seq += 1;
                let stop = json!({"event": "stop", "sequenceNumber": seq.to_string(),
                                  "streamSid": stream_sid,
                                  "stop": {"accountSid": "AC00000000000000000000000000000000",
                                           "callSid": call_sid}});
                let _ = sink.send(Message::text(stop.to_string())).await;
                let _ = sink.close().await;
                return;
            }
            _ = frames.tick() => {
                seq += 1;
                chunk += 1;
                let payload = base64::engine::general_purpose::STANDARD.encode(stamped_frame());
                let media = format!(
                    r#"{{"event":"media","sequenceNumber":"{seq}","media":{{"track":"inbound","chunk":"{chunk}","timestamp":"{}","payload":"{payload}"}},"streamSid":"{stream_sid}"}}"#,
                    (chunk - 1) * 20
                );
                if sink.send(Message::text(media)).await.is_err() {
                    meter.closed_early.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                meter.frames_sent.fetch_add(1, Ordering::Relaxed);
            }
            message = stream.next() => {
                let text = match message {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(_)) => continue,
                    Some(Err(_)) | None => {
                        meter.closed_early.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                };
                let Ok(event) = serde_json::from_str::<Value>(text.as_str()) else { continue };
                match event["event"].as_str() {
                    Some("media") => {
                        let played = event["media"]["payload"]
                            .as_str()
                            .and_then(|p| base64::engine::general_purpose::STANDARD.decode(p).ok());
                        if let Some(us) = played.as_deref().and_then(age_us) {
                            meter.record(&meter.to_caller, us);
                        }
                    }
                    Some("mark") => {
                        seq += 1;
                        let echo = json!({"event": "mark", "sequenceNumber": seq.to_string(),
                                          "streamSid": stream_sid, "mark": event["mark"]});
                        if sink.send(Message::text(echo.to_string())).await.is_err() {
                            return;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// Thread name prefix of the server's runtime.
const SERVER_THREADS: &str = "awaaz-server";

/// The awaaz server under test on its own runtime: the phone routes with
/// the realtime engine dialling `model_url`.
struct ServerUnderTest {
    runtime: tokio::runtime::Runtime,
    handle: awaaz::ServerHandle,
    _dir: tempfile::TempDir,
}

impl ServerUnderTest {
    async fn start(model_url: &str, calls: usize, workers: Option<usize>) -> anyhow::Result<Self> {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.enable_all().thread_name(SERVER_THREADS);
        if let Some(workers) = workers {
            builder.worker_threads(workers);
        }
        let runtime = builder.build().context("server runtime")?;
        let dir = tempfile::tempdir()?;
        let mut config = awaaz::Config {
            database_url: format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("server.db").display()
            ),
            http_addr: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            engine: awaaz::config::EngineKind::Realtime,
            ..awaaz::Config::default()
        };
        config.realtime.url = model_url.to_owned();
        config.realtime.api_key = Some(awaaz::config::Secret::new("bench"));
        config.phone.max_calls = Some(calls + 10);
        let handle = runtime
            .spawn(async move {
                let (store, agent) = awaaz::open(&config).await?;
                let state = awaaz::AppState::new(store, agent, &config);
                awaaz::phone::attach_realtime(&state, &config, None)?;
                let (_, handle) = awaaz::start_with_state(state, config.http_addr).await?;
                anyhow::Ok(handle)
            })
            .await
            .context("server start panicked")??;
        Ok(Self {
            runtime,
            handle,
            _dir: dir,
        })
    }

    fn media_url(&self) -> String {
        format!("ws://{}/twilio/media", self.handle.addr())
    }

    async fn stop(self) -> anyhow::Result<()> {
        let Self {
            runtime,
            handle,
            _dir,
        } = self;
        runtime
            .spawn(handle.shutdown())
            .await
            .context("server shutdown panicked")??;
        runtime.shutdown_background();
        Ok(())
    }
}

async fn run_server_level(calls: usize, args: &Args) -> anyhow::Result<Level> {
    let meter = Arc::new(Meter::new()?);
    let stop = CancellationToken::new();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let model_url = format!("ws://{}/v1/realtime", listener.local_addr()?);
    let model = tokio::spawn(fake_model(listener, Arc::clone(&meter), stop.clone()));
    let server = ServerUnderTest::start(&model_url, calls, args.workers).await?;
    let hang_up = CancellationToken::new();
    let mut callers = JoinSet::new();
    for i in 0..calls {
        #[allow(clippy::cast_possible_truncation)] // i < calls, a few thousand
        let phase = Duration::from_micros((i as u64 * 20_000 / calls as u64).max(1));
        callers.spawn(twilio_caller(
            server.media_url(),
            i as u64 + 1,
            phase,
            Arc::clone(&meter),
            hang_up.clone(),
        ));
        // Calls arrive over about a second, not all in one instant.
        if i % 50 == 49 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    tokio::time::sleep(Duration::from_secs(args.warmup)).await;

    let cpu_before = procstat::threads_cpu_time(SERVER_THREADS).unwrap_or_default();
    let wall = Instant::now();
    meter.measuring.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    meter.measuring.store(false, Ordering::Relaxed);
    let cpu = procstat::threads_cpu_time(SERVER_THREADS)
        .unwrap_or_default()
        .saturating_sub(cpu_before);
    let elapsed = wall.elapsed();
    #[allow(clippy::cast_precision_loss)] // a byte count
    let rss_mb = procstat::rss_bytes().unwrap_or(0) as f64 / 1_048_576.0;

    hang_up.cancel();
    while callers.join_next().await.is_some() {}
    server.stop().await?;
    stop.cancel();
    let _ = model.await;

    let take = |h: &Mutex<Histogram<u64>>| h.lock().unwrap_or_else(PoisonError::into_inner).clone();
    Ok(Level {
        calls,
        to_model: take(&meter.to_model),
        to_caller: take(&meter.to_caller),
        cpu_percent: cpu.as_secs_f64() / elapsed.as_secs_f64() * 100.0,
        rss_mb,
        frames_sent: meter.frames_sent.load(Ordering::Relaxed),
        frames_unsent: meter.frames_unsent.load(Ordering::Relaxed),
        // Sent but never appended (the last few in flight at the hang-up
        // count too: an upper bound).
        dropped_in_call: meter
            .frames_sent
            .load(Ordering::Relaxed)
            .saturating_sub(meter.frames_at_model.load(Ordering::Relaxed)),
        #[allow(clippy::cast_possible_truncation)] // at most `calls`
        failed: meter.closed_early.load(Ordering::Relaxed) as usize,
    })
}

async fn run_engine_level(
    calls: usize,
    args: &Args,
    store: &Arc<dyn Store>,
) -> anyhow::Result<Level> {
    let meter = Arc::new(Meter::new()?);
    let stop = CancellationToken::new();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("ws://{}/v1/realtime", listener.local_addr()?);
    let model = tokio::spawn(fake_model(listener, Arc::clone(&meter), stop.clone()));
    let engines = RealtimeEngines::new(
        Arc::clone(store),
        RealtimeConfig {
            url,
            model: String::new(),
            api_key: None,
            connect_timeout: Duration::from_secs(10),
            headers: Vec::new(),
        },
    );
    let config = CallConfig {
        channel_capacity: 64,
        ..CallConfig::default()
    };
    let hang_up = CancellationToken::new();
    let mut running: JoinSet<Result<CallReport, awaaz_call::CallError>> = JoinSet::new();
    let mut callers = JoinSet::new();
    for i in 0..calls {
        let (connection, endpoint) = connection_pair(100);
        #[allow(clippy::cast_possible_truncation)] // i < calls, a few thousand
        let phase = Duration::from_micros((i as u64 * 20_000 / calls as u64).max(1));
        callers.spawn(caller(endpoint, phase, Arc::clone(&meter), hang_up.clone()));
        let info = CallInfo::new(Channel::Twilio);
        running.spawn(run_realtime_call(
            engines.clone(),
            config.clone(),
            info,
            connection,
            CancellationToken::new(),
        ));
        // Calls arrive over about a second, not all in one instant.
        if i % 50 == 49 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    tokio::time::sleep(Duration::from_secs(args.warmup)).await;

    let cpu_before = procstat::cpu_time().unwrap_or_default();
    let wall = Instant::now();
    meter.measuring.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    meter.measuring.store(false, Ordering::Relaxed);
    let cpu = procstat::cpu_time()
        .unwrap_or_default()
        .saturating_sub(cpu_before);
    let elapsed = wall.elapsed();
    #[allow(clippy::cast_precision_loss)] // a byte count
    let rss_mb = procstat::rss_bytes().unwrap_or(0) as f64 / 1_048_576.0;

    hang_up.cancel();
    let mut failed = 0;
    let mut dropped_in_call = 0;
    while let Some(done) = running.join_next().await {
        match done {
            Ok(Ok(report)) => {
                dropped_in_call += report.dropped.caller_audio;
                if report.status != EndStatus::Completed {
                    failed += 1;
                }
            }
            _ => failed += 1,
        }
    }
    while callers.join_next().await.is_some() {}
    stop.cancel();
    let _ = model.await;

    let take = |h: &Mutex<Histogram<u64>>| h.lock().unwrap_or_else(PoisonError::into_inner).clone();
    Ok(Level {
        calls,
        to_model: take(&meter.to_model),
        to_caller: take(&meter.to_caller),
        cpu_percent: cpu.as_secs_f64() / elapsed.as_secs_f64() * 100.0,
        rss_mb,
        frames_sent: meter.frames_sent.load(Ordering::Relaxed),
        frames_unsent: meter.frames_unsent.load(Ordering::Relaxed),
        dropped_in_call,
        failed,
    })
}

fn ms(us: u64) -> f64 {
    #[allow(clippy::cast_precision_loss)] // microseconds of a short run
    let ms = us as f64 / 1_000.0;
    ms
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(workers) = args.workers {
        runtime.worker_threads(workers);
    }
    let runtime = runtime.build().context("tokio runtime")?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    origin();
    let dir = tempfile::tempdir()?;
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let store: Arc<dyn Store> = Arc::new(SeaStore::connect(&url).await?);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "realtime bridge ({}): added latency per 20 ms frame (loopback, μ-law passthrough), \
         {} s measured per level, {} cores",
        match args.path {
            BridgePath::Server =>
                "whole server: Twilio streams → bridge → engine → model; server threads' CPU",
            BridgePath::Engine => "engine alone; whole process's CPU",
        },
        args.seconds,
        std::thread::available_parallelism().map_or(0, usize::from)
    )?;
    writeln!(
        out,
        "| calls | carrier→model p50 / p99 / max (ms) | model→carrier p50 / p99 / max (ms) | CPU (% of one core) | RSS (MB) | caller frames dropped | failed calls |"
    )?;
    writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|")?;
    out.flush()?;
    let mut best_ok = 0;
    for &calls in &args.levels {
        let level = run_level(calls, &args, &store).await?;
        let p99 = level
            .to_model
            .value_at_quantile(0.99)
            .max(level.to_caller.value_at_quantile(0.99));
        let dropped = level.frames_unsent + level.dropped_in_call;
        writeln!(
            out,
            "| {} | {:.2} / {:.2} / {:.1} | {:.2} / {:.2} / {:.1} | {:.0} | {:.0} | {} of {} | {} |",
            level.calls,
            ms(level.to_model.value_at_quantile(0.5)),
            ms(level.to_model.value_at_quantile(0.99)),
            ms(level.to_model.max()),
            ms(level.to_caller.value_at_quantile(0.5)),
            ms(level.to_caller.value_at_quantile(0.99)),
            ms(level.to_caller.max()),
            level.cpu_percent,
            level.rss_mb,
            dropped,
            level.frames_sent + level.frames_unsent,
            level.failed,
        )?;
        out.flush()?;
        if p99 <= GOAL_P99_US && level.failed == 0 {
            best_ok = best_ok.max(calls);
        }
        if p99 > GIVE_UP_P99_US || level.failed > calls / 10 {
            writeln!(
                out,
                "stopping: {calls} calls is past what this machine holds"
            )?;
            break;
        }
    }
    writeln!(
        out,
        "most calls with p99 ≤ {} ms both ways and no failed call: {best_ok} (goal: ≥ {GOAL_CALLS})",
        ms(GOAL_P99_US)
    )?;
    Ok(())
}
