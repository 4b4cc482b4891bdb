//! `phone-idle-streams`: how many idle-but-connected Twilio Media Streams
//! one awaaz server holds, and what each costs it in CPU and memory.
//!
//! ```text
//!  this process (load generator)                 child process (`--serve`): the awaaz server
//!  ─────────────────────────────                 ─────────────────────────────────────────────
//!  one 20 ms ticker ─▶ N light stream tasks ─WS /twilio/media─▶ axum ─▶ phone bridge ─▶ awaaz-call
//!   connected, start, then μ-law silence                        (SQLite store, embedded agent,
//!   (0xFF) frames, 50/s each, Twilio's wire                      silent synthesiser, scripted
//!   format; marks echoed                                         recogniser, energy or Silero VAD)
//!  /proc/<child>/stat, /task/*/stat, /status ◀── CPU (utime+stime), per-thread CPU, VmRSS
//!  /proc/net/tcp ◀── unread bytes in the server's sockets (how far behind it is)
//!  child stdin/stdout: `stats` → active phone calls; `stop` → drain, queue drops
//! ```
//!
//! "Idle" is a live call where the caller says nothing: the bot has greeted
//! and listens, the line keeps sending 20 ms frames of silence. Each level
//! (`--levels`) is reached by opening more streams, waiting for every
//! greeting to end, then holding `--hold-secs` while the server's CPU and
//! memory are read. A per-frame profile of the server's receive path
//! (`--profile-frames`) and a server that only reads and decodes frames
//! (`--floor`) say where the CPU goes.
//!
//! The server is `awaaz`'s own code (`awaaz::start_with_state`, the phone
//! routes, `awaaz-call`) in a child process, with the phone call cap at
//! `--max-calls` (what `AWAAZ_MAX_PHONE_CALLS` sets in `awaaz serve`) and one
//! change from `awaaz serve`, stated in docs/benchmarks.md: the no-input
//! timeout (30 s, which would hang up idle callers) is lifted. Loopback
//! only; every wait has a deadline; the run stops by itself.

use std::collections::BTreeMap;
use std::io::{BufRead as _, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _};
use awaaz::phone::PhoneCalls;
use awaaz::{AppState, Config};
use awaaz_audio::{AudioChunk, Resampler};
use awaaz_call::{
    CallConfig, CallEngines, CallObserver, EnergySegmenter, Segmenter, VadTurnConfig,
    VadTurnSegmenter,
};
use awaaz_speech::tts::SilentSynthesizer;
use awaaz_speech::ScriptedRecognizer;
use base64::Engine as _;
use clap::{Parser, ValueEnum};
use futures_util::{SinkExt as _, StreamExt as _};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

/// Issue 4's goals.
const GOAL_STREAMS: usize = 1_000;
const GOAL_CPU_PCT: f64 = 50.0;
/// One Twilio media frame: 20 ms of μ-law at 8 kHz.
const TICK: Duration = Duration::from_millis(20);
const FRAME_BYTES: usize = 160;
/// μ-law silence.
const ULAW_SILENCE: u8 = 0xFF;
/// Linux's USER_HZ (fixed at 100 for userspace): `/proc` CPU times are in
/// these ticks.
const TICKS_PER_SEC: f64 = 100.0;
/// The no-input timeout the server runs with here (an hour: longer than
/// any run) instead of 30 s.
const NO_INPUT_TIMEOUT_MS: u64 = 3_600_000;
/// After a level's streams are open: how long no bot audio may have
/// arrived on any stream before the greetings count as over.
const GREETINGS_QUIET: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
enum SegmenterKind {
    /// `EnergySegmenter` (frame energy, 600 ms hangover): what `awaaz
    /// serve` runs without models.
    Energy,
    /// Silero VAD + turn detector: what `awaaz serve` runs when the models
    /// directory holds Silero (`just models`).
    Silero,
}

/// Measures how many idle Twilio media streams one awaaz server holds.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Streams open at each level, in order (a ramp).
    #[arg(long, value_delimiter = ',', default_value = "100,250,500,1000,1500")]
    levels: Vec<usize>,
    /// Seconds each level is held (and measured) once its greetings ended.
    #[arg(long, default_value_t = 20)]
    hold_secs: u64,
    /// The server's speech segmenter (per call).
    #[arg(long, value_enum, default_value = "energy")]
    segmenter: SegmenterKind,
    /// New streams opened per second while ramping (each starts a call:
    /// a store write and a greeting). 1,000 calls of three minutes arrive
    /// at about 6 a second; 50 opens a level quickly without a start storm.
    #[arg(long, default_value_t = 50)]
    connect_per_sec: u32,
    /// Longest wait for a level's greetings to end.
    #[arg(long, default_value_t = 120)]
    settle_timeout_secs: u64,
    /// Stop ramping after a level where the server used more than this
    /// share of one core (%), or lost streams.
    #[arg(long, default_value_t = 150.0)]
    stop_above_cpu_pct: f64,
    /// Frames for the per-stage profile of the receive path (0: skip).
    #[arg(long, default_value_t = 5_000)]
    profile_frames: usize,
    /// Pace of the silent synthesiser in the server (ms per character;
    /// 60 ≈ a real voice, so greetings last as long as real ones).
    #[arg(long, default_value_t = 60)]
    ms_per_char: u32,
    /// Where the server's log goes (default: a file in the temp directory).
    #[arg(long)]
    server_log: Option<PathBuf>,
    /// Experiment: the server child only reads and decodes Twilio frames
    /// (axum WebSocket + `twilio::decode`), with no call behind them: the
    /// transport's floor, to tell it from the call pipeline's cost.
    #[arg(long)]
    floor: bool,
    /// Only the per-stage profile; no server, no streams.
    #[arg(long)]
    profile_only: bool,
    /// One JSON object on stdout instead of tables.
    #[arg(long)]
    json: bool,
    /// Internal: run as the server child process.
    #[arg(long, hide = true)]
    serve: bool,
    /// Internal (with `--serve`): phone calls allowed at once.
    #[arg(long, hide = true, default_value_t = 2_000)]
    max_calls: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    if args.serve && args.floor {
        return runtime.block_on(serve_floor());
    }
    if args.serve {
        return runtime.block_on(serve(&args));
    }
    if args.profile_only {
        let silero = args.segmenter == SegmenterKind::Silero;
        let profile = profile_receive_path(args.profile_frames.max(1), silero)?;
        let mut out = std::io::stdout().lock();
        if args.json {
            serde_json::to_writer_pretty(&mut out, &profile)?;
            writeln!(out)?;
        } else {
            print_profile(&mut out, &profile)?;
        }
        return Ok(());
    }
    if args.levels.is_empty() || args.levels.windows(2).any(|w| w[1] <= w[0]) {
        bail!("--levels must be increasing");
    }
    let report = runtime.block_on(run(&args))?;
    print_report(&args, &report)
}

// ---- the server (child process) ----

/// The awaaz server with phone calls over light engines, as the child
/// runs it.
struct IdleServer {
    addr: SocketAddr,
    state: AppState,
    handle: awaaz::ServerHandle,
    calls: Arc<PhoneCalls>,
    _dir: tempfile::TempDir,
}

async fn start_idle_server(
    segmenter: SegmenterKind,
    max_calls: usize,
    ms_per_char: u32,
) -> anyhow::Result<IdleServer> {
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let config = Config {
        database_url: format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("awaaz.db").display()
        ),
        http_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..Config::default()
    };
    let (store, agent) = awaaz::open(&config).await?;
    let state = AppState::new(Arc::clone(&store), Arc::clone(&agent), &config);
    let mut engines = CallEngines::new(
        store,
        agent,
        Arc::new(ScriptedRecognizer::default()),
        Arc::new(SilentSynthesizer::with_ms_per_char(ms_per_char)),
    )
    .with_observer(Arc::clone(state.metrics()) as Arc<dyn CallObserver>);
    if segmenter == SegmenterKind::Silero {
        let model = awaaz_call::silero_from_env()
            .context("no Silero model: run `just models` or set AWAAZ_MODELS_DIR")?;
        engines = engines.with_segmenter(awaaz_call::vad_segmenter_factory(
            Some(model),
            VadTurnConfig::default(),
        ));
    }
    let mut call_config = CallConfig::default();
    call_config.core.no_input_timeout_ms = NO_INPUT_TIMEOUT_MS;
    let calls = Arc::new(PhoneCalls::new(engines, call_config, max_calls));
    if !state.phone().set_calls(Arc::clone(&calls)) {
        bail!("phone calls were already enabled");
    }
    let (addr, handle) = awaaz::start_with_state(state.clone(), config.http_addr).await?;
    Ok(IdleServer {
        addr,
        state,
        handle,
        calls,
        _dir: dir,
    })
}

/// Runs the awaaz server with phone calls over light engines until `stop`
/// (or end of input) on stdin; answers `stats` with one JSON line.
async fn serve(args: &Args) -> anyhow::Result<()> {
    awaaz::telemetry::init(&Config::default(), "warn");
    let IdleServer {
        addr,
        state,
        handle,
        calls,
        _dir: _keep_until_exit,
    } = start_idle_server(args.segmenter, args.max_calls, args.ms_per_char).await?;
    say(&format!("listening {addr}"))?;

    // Commands from the parent, read on a plain thread (stdin is blocking).
    let (tx, mut commands) = mpsc::channel::<String>(8);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    while let Some(command) = commands.recv().await {
        match command.trim() {
            "stats" => say(&serde_json::json!({ "phone_calls": calls.active() }).to_string())?,
            "stop" => break,
            _ => {}
        }
    }
    let before = calls.active();
    handle.shutdown().await?;
    // Queue drops and call endings are reported when calls end.
    let metrics = state.metrics().render(0);
    let mut dropped = BTreeMap::new();
    let mut ended = BTreeMap::new();
    for line in metrics.lines() {
        if let Some(rest) = line.strip_prefix("awaaz_call_queue_dropped_total") {
            if let Some((labels, n)) = rest.rsplit_once(' ') {
                dropped.insert(labels.to_owned(), n.parse::<u64>().unwrap_or(0));
            }
        }
        if let Some(rest) = line.strip_prefix("awaaz_calls_ended_total") {
            if let Some((labels, n)) = rest.rsplit_once(' ') {
                ended.insert(labels.to_owned(), n.parse::<u64>().unwrap_or(0));
            }
        }
    }
    say(&serde_json::json!({
        "final": true,
        "phone_calls_before_stop": before,
        "queue_dropped": dropped,
        "calls_ended": ended,
    })
    .to_string())
}

/// The transport floor: `WS /twilio/media` that reads and decodes every
/// frame like the bridge does, and nothing else (no call, no greeting).
async fn serve_floor() -> anyhow::Result<()> {
    use axum::extract::ws::{Message as WsMessage, WebSocketUpgrade};
    let active = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&active);
    let app = axum::Router::new().route(
        "/twilio/media",
        axum::routing::get(move |upgrade: WebSocketUpgrade| {
            let active = Arc::clone(&counted);
            async move {
                upgrade.on_upgrade(move |mut socket| async move {
                    active.fetch_add(1, Ordering::Relaxed);
                    while let Some(Ok(message)) = socket.recv().await {
                        match message {
                            WsMessage::Text(text) => {
                                let decoded = awaaz_telephony::twilio::decode(text.as_str());
                                if let Ok(awaaz_telephony::twilio::Inbound::Media(m)) = decoded {
                                    std::hint::black_box(awaaz_audio::g711::ulaw_decode(
                                        &m.payload,
                                    ));
                                }
                            }
                            WsMessage::Close(_) => break,
                            _ => {}
                        }
                    }
                    active.fetch_sub(1, Ordering::Relaxed);
                })
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    say(&format!("listening {}", listener.local_addr()?))?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let (tx, mut commands) = mpsc::channel::<String>(8);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    while let Some(command) = commands.recv().await {
        match command.trim() {
            "stats" => say(&serde_json::json!({ "phone_calls": get(&active) }).to_string())?,
            "stop" => break,
            _ => {}
        }
    }
    server.abort();
    say(&serde_json::json!({ "final": true, "floor": true }).to_string())
}

fn say(line: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}

// ---- /proc readings ----

/// `utime + stime` (USER_HZ ticks) of a `/proc/.../stat` line.
fn stat_ticks(stat: &str) -> Option<(String, u64)> {
    let open = stat.find('(')?;
    let (comm, rest) = stat[open + 1..].rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the command: state is field 3 of the line (index 0 here);
    // utime and stime are fields 14 and 15 (indices 11 and 12).
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((comm.to_owned(), utime + stime))
}

/// CPU ticks of a whole process.
fn process_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat_ticks(&stat).map(|(_, t)| t)
}

/// System (kernel) CPU ticks of a whole process: `stime` alone.
fn process_sys_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    rest.split_whitespace().nth(12)?.parse().ok()
}

/// CPU ticks by thread name (threads of one name summed; a thread that
/// exited since is not counted).
fn thread_ticks(pid: u32) -> BTreeMap<String, u64> {
    let mut by_name = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return by_name;
    };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        if let Some((name, ticks)) = stat_ticks(&stat) {
            *by_name.entry(name).or_insert(0) += ticks;
        }
    }
    by_name
}

/// A `kB` field of `/proc/<pid>/status` (`VmRSS`, `VmHWM`), in bytes.
fn status_bytes(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status
        .lines()
        .find(|l| l.strip_prefix(field).is_some_and(|r| r.starts_with(':')))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Bytes received on the server's connected sockets (local port `port`)
/// that it has not read yet (`rx_queue` in `/proc/net/tcp`): how far the
/// server is behind the lines. Listening sockets are left out.
fn server_backlog_bytes(port: u16) -> Option<u64> {
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    Some(backlog_in(&table, port))
}

fn backlog_in(table: &str, port: u16) -> u64 {
    let port = format!(":{port:04X}");
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // local_address, rem_address, st (0A = listening), tx:rx queues.
            let (local, state, queues) = (fields.get(1)?, fields.get(3)?, fields.get(4)?);
            if !local.ends_with(&port) || *state == "0A" {
                return None;
            }
            u64::from_str_radix(queues.split_once(':')?.1, 16).ok()
        })
        .sum()
}

/// This process's soft limit on open files (`/proc/self/limits`); `None`
/// when unlimited or unreadable.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

// ---- the server child, seen from here ----

struct Server {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    addr: SocketAddr,
    log: PathBuf,
}

impl Server {
    async fn spawn(args: &Args, max_calls: usize, log: &Path) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("cannot find this program")?;
        let log_file = std::fs::File::create(log)
            .with_context(|| format!("cannot create {}", log.display()))?;
        let segmenter = match args.segmenter {
            SegmenterKind::Energy => "energy",
            SegmenterKind::Silero => "silero",
        };
        let mut command = Command::new(exe);
        if args.floor {
            command.arg("--floor");
        }
        let mut child = command
            .args(["--serve", "--segmenter", segmenter])
            .args(["--max-calls", &max_calls.to_string()])
            .args(["--ms-per-char", &args.ms_per_char.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .spawn()
            .context("cannot start the server child")?;
        let stdin = child.stdin.take().context("no child stdin")?;
        let stdout = child.stdout.take().context("no child stdout")?;
        let (tx, mut lines) = mpsc::channel(16);
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.blocking_send(line).is_err() {
                    break;
                }
            }
        });
        let first = tokio::time::timeout(Duration::from_secs(120), lines.recv()).await;
        let addr = match first {
            Ok(Some(line)) => line
                .strip_prefix("listening ")
                .and_then(|a| a.parse().ok())
                .with_context(|| format!("unexpected first line from the server: {line}"))?,
            Ok(None) => {
                let _ = child.wait();
                bail!("the server child exited at start; see {}", log.display())
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                bail!("the server child did not start within 120 s")
            }
        };
        Ok(Self {
            child,
            stdin,
            lines,
            addr,
            log: log.to_owned(),
        })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    async fn ask(&mut self, command: &str) -> anyhow::Result<Value> {
        writeln!(self.stdin, "{command}")?;
        self.stdin.flush()?;
        let line = tokio::time::timeout(Duration::from_secs(60), self.lines.recv())
            .await
            .context("the server did not answer in 60 s")?
            .context("the server exited")?;
        serde_json::from_str(&line).with_context(|| format!("bad answer from the server: {line}"))
    }

    /// Stops the server (it drains its calls) and returns its final report.
    async fn stop(mut self) -> anyhow::Result<Value> {
        let answer = self.ask("stop").await;
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            if self.child.try_wait()?.is_some() {
                break;
            }
            if std::time::Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        answer
    }

    /// Log lines so far that contain `needle`.
    fn log_lines_with(&self, needle: &str) -> usize {
        std::fs::read_to_string(&self.log)
            .map(|s| s.lines().filter(|l| l.contains(needle)).count())
            .unwrap_or(0)
    }
}

// ---- light Twilio streams (this process) ----

/// What the streams saw, summed over all of them.
#[derive(Debug, Default)]
struct Counters {
    opened: AtomicU64,
    up: AtomicU64,
    /// Streams that received their first mark (the greeting played).
    greeted: AtomicU64,
    connect_errors: AtomicU64,
    closed_by_server: AtomicU64,
    send_errors: AtomicU64,
    frames_sent: AtomicU64,
    media_in: AtomicU64,
    marks_in: AtomicU64,
    clears_in: AtomicU64,
    /// Server frames Twilio would not accept (not JSON, unknown event).
    bad_in: AtomicU64,
    /// Milliseconds since the run began when bot audio last arrived.
    last_media_ms: AtomicU64,
    /// Most frames one stream had to send at once to catch up (1 = on time).
    max_burst: AtomicU64,
}

fn add(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

fn get(c: &AtomicU64) -> u64 {
    c.load(Ordering::Relaxed)
}

/// The wire format of Twilio's side of a Media Stream, as Twilio writes
/// it: numbers that Twilio sends as strings are strings.
struct TwilioWire {
    stream_sid: String,
    call_sid: String,
    account_sid: String,
    payload: Arc<str>,
}

impl TwilioWire {
    fn new(n: u64, payload: Arc<str>) -> Self {
        Self {
            stream_sid: format!("MZ{n:032x}"),
            call_sid: format!("CA{n:032x}"),
            account_sid: format!("AC{:032x}", 0xacc0_u64),
            payload,
        }
    }

    fn connected() -> String {
        r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#.to_owned()
    }

    fn start(&self) -> String {
        serde_json::json!({
            "event": "start",
            "sequenceNumber": "1",
            "start": {
                "accountSid": self.account_sid,
                "streamSid": self.stream_sid,
                "callSid": self.call_sid,
                "tracks": ["inbound"],
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                "customParameters": {},
            },
            "streamSid": self.stream_sid,
        })
        .to_string()
    }

    fn media(&self, seq: u64, chunk: u64) -> String {
        format!(
            r#"{{"event":"media","sequenceNumber":"{seq}","media":{{"track":"inbound","chunk":"{chunk}","timestamp":"{}","payload":"{}"}},"streamSid":"{}"}}"#,
            (chunk - 1) * 20,
            self.payload,
            self.stream_sid
        )
    }

    fn mark(&self, seq: u64, name: &str) -> String {
        serde_json::json!({
            "event": "mark",
            "sequenceNumber": seq.to_string(),
            "streamSid": self.stream_sid,
            "mark": {"name": name},
        })
        .to_string()
    }

    fn stop(&self, seq: u64) -> String {
        serde_json::json!({
            "event": "stop",
            "sequenceNumber": seq.to_string(),
            "streamSid": self.stream_sid,
            "stop": {"accountSid": self.account_sid, "callSid": self.call_sid},
        })
        .to_string()
    }
}

/// The shared clock: the number of 20 ms ticks since the run began.
fn spawn_ticker(begun: Instant, stop: CancellationToken) -> watch::Receiver<u64> {
    let (tx, rx) = watch::channel(0u64);
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(begun + TICK, TICK);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = ticks.tick() => {
                    // Whole ticks of wall time: a stalled ticker does not
                    // slow the lines down, the streams catch up.
                    let n = u64::try_from(begun.elapsed().as_millis() / TICK.as_millis())
                        .unwrap_or(u64::MAX);
                    if tx.send(n).is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}

/// One idle caller: `connected`, `start`, then a silence frame per tick
/// (catching up if late), marks echoed, until stopped or closed.
async fn stream_task(
    url: String,
    wire: TwilioWire,
    mut ticks: watch::Receiver<u64>,
    counters: Arc<Counters>,
    begun: Instant,
    stop: CancellationToken,
) {
    // TCP_NODELAY: each 20 ms frame leaves in its own segment, as from a
    // media server (Nagle's algorithm would batch frames and flatter the
    // server's numbers).
    let connected = tokio_tungstenite::connect_async_with_config(url.as_str(), None, true).await;
    let Ok((ws, _)) = connected else {
        add(&counters.connect_errors, 1);
        return;
    };
    let (mut sink, mut stream) = ws.split();
    add(&counters.opened, 1);
    if sink
        .send(Message::text(TwilioWire::connected()))
        .await
        .is_err()
        || sink.send(Message::text(wire.start())).await.is_err()
    {
        add(&counters.send_errors, 1);
        return;
    }
    add(&counters.up, 1);
    let first_tick = *ticks.borrow_and_update();
    let mut seq: u64 = 1;
    let mut chunk: u64 = 0;
    let mut greeted = false;
    loop {
        tokio::select! {
            () = stop.cancelled() => {
                seq += 1;
                let _ = sink.send(Message::text(wire.stop(seq))).await;
                let _ = sink.close().await;
                break;
            }
            changed = ticks.changed() => {
                if changed.is_err() {
                    break;
                }
                let due = ticks.borrow_and_update().saturating_sub(first_tick);
                counters.max_burst.fetch_max(due.saturating_sub(chunk), Ordering::Relaxed);
                let mut failed = false;
                while chunk < due {
                    chunk += 1;
                    seq += 1;
                    if sink.send(Message::text(wire.media(seq, chunk))).await.is_err() {
                        failed = true;
                        break;
                    }
                    add(&counters.frames_sent, 1);
                }
                if failed {
                    add(&counters.send_errors, 1);
                    break;
                }
            }
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let event: Option<Value> = serde_json::from_str(text.as_str()).ok();
                    match event.as_ref().and_then(|v| v["event"].as_str()) {
                        Some("media") => {
                            add(&counters.media_in, 1);
                            let ms = u64::try_from(begun.elapsed().as_millis()).unwrap_or(u64::MAX);
                            counters.last_media_ms.fetch_max(ms, Ordering::Relaxed);
                        }
                        Some("mark") => {
                            add(&counters.marks_in, 1);
                            if !greeted {
                                greeted = true;
                                add(&counters.greeted, 1);
                            }
                            // The server paces its audio in real time: the
                            // audio before the mark has played by now.
                            let name = event
                                .as_ref()
                                .and_then(|v| v["mark"]["name"].as_str())
                                .unwrap_or_default()
                                .to_owned();
                            seq += 1;
                            if sink.send(Message::text(wire.mark(seq, &name))).await.is_err() {
                                add(&counters.send_errors, 1);
                                break;
                            }
                        }
                        Some("clear") => add(&counters.clears_in, 1),
                        _ => add(&counters.bad_in, 1),
                    }
                }
                Some(Ok(Message::Binary(_))) => add(&counters.bad_in, 1),
                Some(Ok(Message::Close(_)) | Err(_)) | None => {
                    add(&counters.closed_by_server, 1);
                    break;
                }
                Some(Ok(_)) => {}
            }
        }
    }
    counters.up.fetch_sub(1, Ordering::Relaxed);
}

// ---- where the CPU goes: the receive path, stage by stage ----

#[derive(Debug, Clone, Serialize)]
struct StageCost {
    stage: String,
    us_per_frame: f64,
    /// Share of one core this stage costs at 1,000 streams (50 frames/s each).
    core_pct_at_1000: f64,
}

/// CPU time this thread has run, in ns (`/proc/thread-self/schedstat`),
/// so other processes on the machine do not inflate the profile.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Least wall time each stage runs: the scheduler updates `schedstat`
/// at its ticks, so short runs would read as zero.
const STAGE_MIN_WALL: Duration = Duration::from_millis(400);

fn stage(stage: &str, frames: usize, mut f: impl FnMut()) -> StageCost {
    // Warm up, then time at least `frames` frames and `STAGE_MIN_WALL`
    // (thread CPU time; wall time if unavailable).
    for _ in 0..frames.min(200) {
        f();
    }
    let wall = std::time::Instant::now();
    let cpu = thread_cpu_ns();
    let mut done = 0usize;
    while done < frames || wall.elapsed() < STAGE_MIN_WALL {
        for _ in 0..100 {
            f();
        }
        done += 100;
    }
    let ns = match (cpu, thread_cpu_ns()) {
        (Some(a), Some(b)) => Duration::from_nanos(b.saturating_sub(a)),
        _ => wall.elapsed(),
    };
    #[allow(clippy::cast_precision_loss)]
    let us = ns.as_secs_f64() * 1e6 / done as f64;
    StageCost {
        stage: stage.to_owned(),
        us_per_frame: us,
        core_pct_at_1000: us * 50.0 * 1000.0 / 1e6 * 100.0,
    }
}

/// Times, per 20 ms frame of silence, each step the server's receive path
/// takes for one idle stream (single thread, no contention).
fn profile_receive_path(frames: usize, silero: bool) -> anyhow::Result<Vec<StageCost>> {
    let payload = base64::engine::general_purpose::STANDARD.encode([ULAW_SILENCE; FRAME_BYTES]);
    let wire = TwilioWire::new(1, Arc::from(payload));
    let text = wire.media(2, 1);
    let mulaw = vec![ULAW_SILENCE; FRAME_BYTES];
    let pcm8 = awaaz_audio::g711::ulaw_decode(&mulaw);
    let mut up = Resampler::new(8_000, 16_000)?;
    let pcm16 = AudioChunk::new(up.process(&pcm8));
    let mut half_band = awaaz_audio::HalfBandUpsampler::new();
    let mut out = vec![
        stage("twilio::decode (JSON + base64)", frames, || {
            let decoded = awaaz_telephony::twilio::decode(std::hint::black_box(&text));
            std::hint::black_box(decoded.is_ok());
        }),
        stage("g711::ulaw_decode (160 B)", frames, || {
            std::hint::black_box(awaaz_audio::g711::ulaw_decode(std::hint::black_box(&mulaw)));
        }),
        stage("Resampler 8 → 16 kHz (160 samples)", frames, || {
            std::hint::black_box(up.process(std::hint::black_box(&pcm8)));
        }),
        stage(
            "HalfBandUpsampler 8 → 16 kHz, the bridge's (160 samples)",
            frames,
            || {
                std::hint::black_box(half_band.process(std::hint::black_box(&pcm8)));
            },
        ),
    ];
    let mut energy = EnergySegmenter::default();
    out.push(stage("EnergySegmenter::push (320 samples)", frames, || {
        std::hint::black_box(energy.push(std::hint::black_box(&pcm16)));
    }));
    if silero {
        let model = awaaz_call::silero_from_env()
            .context("no Silero model: run `just models` or set AWAAZ_MODELS_DIR")?;
        let mut vad = VadTurnSegmenter::from_model(Some(&model), VadTurnConfig::default());
        out.push(stage(
            "Silero VadTurnSegmenter::push (320 samples)",
            frames,
            || {
                std::hint::black_box(vad.push(std::hint::black_box(&pcm16)));
            },
        ));
    }
    out.push(stage("AudioChunk clone (pre-roll copy)", frames, || {
        std::hint::black_box(std::hint::black_box(&pcm16).clone());
    }));
    Ok(out)
}

// ---- the ramp ----

#[derive(Debug, Clone, Serialize)]
struct Level {
    streams: usize,
    /// Streams still connected at the end of the hold (client side).
    up: u64,
    /// Phone calls the server holds at the end of the hold.
    server_calls: Option<u64>,
    greeted: u64,
    settle_s: f64,
    settled: bool,
    hold_s: f64,
    server_cpu_pct: f64,
    /// Of which in the kernel (system time): sockets, epoll, wake-ups.
    server_sys_pct: f64,
    /// Server CPU per inbound frame (all streams, 50 frames/s each), µs.
    server_us_per_frame: f64,
    /// CPU % by server thread name over the hold.
    server_threads_pct: BTreeMap<String, f64>,
    client_cpu_pct: f64,
    rss_mb: f64,
    kb_per_stream: f64,
    frames_sent: u64,
    frames_expected: u64,
    max_burst: u64,
    media_in: u64,
    marks_in: u64,
    clears_in: u64,
    bad_in: u64,
    closed_by_server: u64,
    connect_errors: u64,
    send_errors: u64,
    /// Server log lines so far that report dropped caller audio.
    drop_log_lines: usize,
    /// Most unread bytes waiting in the server's sockets during the hold
    /// (sampled every 500 ms), and at its end.
    backlog_max_kb: f64,
    backlog_end_kb: f64,
    /// Held as asked: greetings over, every stream up on both sides, no
    /// caller audio dropped during this level. A level that is not healthy
    /// says nothing about capacity (a starved server also reads low CPU).
    healthy: bool,
    load: String,
}

#[derive(Debug, Serialize)]
struct Report {
    /// `--floor`: the server only decoded frames (no calls).
    floor: bool,
    segmenter: SegmenterKind,
    server_log: String,
    baseline_rss_mb: f64,
    baseline_cpu_pct: f64,
    levels: Vec<Level>,
    profile: Vec<StageCost>,
    server_final: Value,
    /// The highest level held with every stream up and CPU within the goal.
    max_streams_within_goal: Option<usize>,
    goal_met: bool,
    load_before: String,
    load_after: String,
}

fn mb(bytes: u64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let v = bytes as f64 / (1024.0 * 1024.0);
    v
}

#[allow(clippy::cast_precision_loss)]
fn ticks_pct(ticks: u64, wall: Duration) -> f64 {
    ticks as f64 / TICKS_PER_SEC / wall.as_secs_f64().max(1e-9) * 100.0
}

async fn run(args: &Args) -> anyhow::Result<Report> {
    // One socket per stream here and in the child (which inherits the
    // limit), plus files, the store and the runtime.
    let max_streams = args.levels.last().copied().unwrap_or(0);
    let needed = max_streams as u64 + 256;
    if let Some(limit) = open_files_limit().filter(|&l| l < needed) {
        bail!(
            "{max_streams} streams need about {needed} open files; the limit is {limit} \
             (raise it first: `ulimit -n {needed}`; `just bench-phone` does)"
        );
    }
    let load_before = load_average();
    // The profile first, while nothing else of ours runs.
    let profile = if args.profile_frames > 0 {
        let frames = args.profile_frames;
        let silero = args.segmenter == SegmenterKind::Silero;
        tokio::task::spawn_blocking(move || profile_receive_path(frames, silero))
            .await
            .context("profile panicked")??
    } else {
        Vec::new()
    };

    let log = args.server_log.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("awaaz-idle-streams-{}.log", std::process::id()))
    });
    let max = args.levels.last().copied().unwrap_or(0);
    let mut server = Server::spawn(args, max + 10, &log).await?;
    let pid = server.pid();
    let url = format!("ws://{}/twilio/media", server.addr);

    // Baseline: the server with no calls.
    let t0 = Instant::now();
    let c0 = process_ticks(pid).unwrap_or(0);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let baseline_cpu_pct = ticks_pct(process_ticks(pid).unwrap_or(0) - c0, t0.elapsed());
    let baseline_rss = status_bytes(pid, "VmRSS").unwrap_or(0);

    let begun = Instant::now();
    let stop = CancellationToken::new();
    let ticks = spawn_ticker(begun, stop.clone());
    let counters = Arc::new(Counters::default());
    let payload: Arc<str> =
        Arc::from(base64::engine::general_purpose::STANDARD.encode([ULAW_SILENCE; FRAME_BYTES]));
    let mut tasks = tokio::task::JoinSet::new();
    let mut opened = 0usize;
    let mut levels = Vec::new();
    let spacing = Duration::from_secs_f64(1.0 / f64::from(args.connect_per_sec.max(1)));

    for &level in &args.levels {
        let ramp_start = Instant::now();
        let mut next = Instant::now();
        while opened < level {
            tokio::time::sleep_until(next).await;
            next += spacing;
            opened += 1;
            tasks.spawn(stream_task(
                url.clone(),
                TwilioWire::new(opened as u64, Arc::clone(&payload)),
                ticks.clone(),
                Arc::clone(&counters),
                begun,
                stop.clone(),
            ));
        }
        // Every greeting played and none for a while.
        let settle_deadline = Instant::now() + Duration::from_secs(args.settle_timeout_secs);
        let settled = loop {
            let done = get(&counters.opened) + get(&counters.connect_errors) >= opened as u64;
            // The floor server does not greet.
            let greeted = args.floor
                || get(&counters.greeted)
                    + get(&counters.closed_by_server)
                    + get(&counters.connect_errors)
                    >= opened as u64;
            let last = Duration::from_millis(get(&counters.last_media_ms));
            let quiet = begun.elapsed() >= last + GREETINGS_QUIET;
            if done && greeted && quiet {
                break true;
            }
            if Instant::now() >= settle_deadline {
                break false;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let settle_s = ramp_start.elapsed().as_secs_f64();

        // The hold.
        let drops_before = server.log_lines_with("dropped");
        let t_a = Instant::now();
        let cpu_a = process_ticks(pid).unwrap_or(0);
        let sys_a = process_sys_ticks(pid).unwrap_or(0);
        let threads_a = thread_ticks(pid);
        let own_a = process_ticks(std::process::id()).unwrap_or(0);
        let sent_a = get(&counters.frames_sent);
        counters.max_burst.store(0, Ordering::Relaxed);
        let mut up_sum = 0u64;
        let mut up_samples = 0u64;
        let mut backlog_max = 0u64;
        let mut backlog_end = 0u64;
        let hold_end = t_a + Duration::from_secs(args.hold_secs);
        while Instant::now() < hold_end {
            tokio::time::sleep(Duration::from_millis(500).min(hold_end - Instant::now())).await;
            up_sum += get(&counters.up);
            up_samples += 1;
            backlog_end = server_backlog_bytes(server.addr.port()).unwrap_or(0);
            backlog_max = backlog_max.max(backlog_end);
        }
        let wall = t_a.elapsed();
        let cpu_b = process_ticks(pid).unwrap_or(0);
        let sys_b = process_sys_ticks(pid).unwrap_or(0);
        let threads_b = thread_ticks(pid);
        let own_b = process_ticks(std::process::id()).unwrap_or(0);
        let sent_b = get(&counters.frames_sent);
        let rss = status_bytes(pid, "VmRSS").unwrap_or(0);
        let server_calls = server
            .ask("stats")
            .await
            .ok()
            .and_then(|v| v["phone_calls"].as_u64());
        let mut server_threads_pct = BTreeMap::new();
        for (name, b) in &threads_b {
            let a = threads_a.get(name).copied().unwrap_or(0);
            let pct = ticks_pct(b.saturating_sub(a), wall);
            if pct >= 0.5 {
                server_threads_pct.insert(name.clone(), (pct * 10.0).round() / 10.0);
            }
        }
        let up = get(&counters.up);
        let mean_up = up_sum.checked_div(up_samples).unwrap_or(up);
        #[allow(clippy::cast_precision_loss)]
        let kb_per_stream =
            rss.saturating_sub(baseline_rss) as f64 / 1024.0 / (level.max(1) as f64);
        // A count of frames, far below 2^52: the casts are exact enough.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let frames_expected = (wall.as_secs_f64() * 50.0 * mean_up as f64).round() as u64;
        let mut row = Level {
            streams: level,
            up,
            server_calls,
            greeted: get(&counters.greeted),
            settle_s,
            settled,
            hold_s: wall.as_secs_f64(),
            server_cpu_pct: ticks_pct(cpu_b.saturating_sub(cpu_a), wall),
            server_sys_pct: ticks_pct(sys_b.saturating_sub(sys_a), wall),
            #[allow(clippy::cast_precision_loss)]
            server_us_per_frame: ticks_pct(cpu_b.saturating_sub(cpu_a), wall) / 100.0 * 1e6
                / ((sent_b - sent_a) as f64 / wall.as_secs_f64()).max(1.0),
            server_threads_pct,
            client_cpu_pct: ticks_pct(own_b.saturating_sub(own_a), wall),
            rss_mb: mb(rss),
            kb_per_stream,
            frames_sent: sent_b - sent_a,
            frames_expected,
            max_burst: get(&counters.max_burst),
            media_in: get(&counters.media_in),
            marks_in: get(&counters.marks_in),
            clears_in: get(&counters.clears_in),
            bad_in: get(&counters.bad_in),
            closed_by_server: get(&counters.closed_by_server),
            connect_errors: get(&counters.connect_errors),
            send_errors: get(&counters.send_errors),
            drop_log_lines: server.log_lines_with("dropped"),
            #[allow(clippy::cast_precision_loss)]
            backlog_max_kb: backlog_max as f64 / 1024.0,
            #[allow(clippy::cast_precision_loss)]
            backlog_end_kb: backlog_end as f64 / 1024.0,
            healthy: false,
            load: load_average(),
        };
        if !args.json {
            eprintln!(
                "level {:>5}: up {:>5}, server calls {:>5}, server CPU {:>6.1} %, RSS {:>7.1} MB, settle {:.1} s",
                row.streams,
                row.up,
                row.server_calls.map_or_else(|| "?".to_owned(), |n| n.to_string()),
                row.server_cpu_pct,
                row.rss_mb,
                row.settle_s,
            );
        }
        row.healthy = settled
            && row.up == level as u64
            && row.server_calls == Some(level as u64)
            && row.drop_log_lines == drops_before
            // Behind by less than two frames (~300 B each) per stream.
            && backlog_end < level as u64 * 600
            && drops_before == levels.last().map_or(0, |l: &Level| l.drop_log_lines);
        let lost = !row.healthy;
        let hot = row.server_cpu_pct > args.stop_above_cpu_pct;
        levels.push(row);
        if lost || hot {
            if !args.json {
                eprintln!(
                    "stopping the ramp: {}",
                    if lost {
                        "streams lost"
                    } else {
                        "server CPU above the stop threshold"
                    }
                );
            }
            break;
        }
    }

    // Hang up every stream, then stop the server (it drains and reports drops).
    stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(20), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    tasks.abort_all();
    let server_final = server.stop().await.unwrap_or(Value::Null);
    let load_after = load_average();

    let max_streams_within_goal = levels
        .iter()
        .filter(|l| l.healthy && l.server_cpu_pct <= GOAL_CPU_PCT)
        .map(|l| l.streams)
        .max();
    Ok(Report {
        floor: args.floor,
        segmenter: args.segmenter,
        server_log: log.display().to_string(),
        baseline_rss_mb: mb(baseline_rss),
        baseline_cpu_pct,
        goal_met: !args.floor && max_streams_within_goal.is_some_and(|n| n >= GOAL_STREAMS),
        max_streams_within_goal,
        levels,
        profile,
        server_final,
        load_before,
        load_after,
    })
}

fn print_report(args: &Args, report: &Report) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, report)?;
        writeln!(out)?;
        return Ok(());
    }
    if report.floor {
        writeln!(
            out,
            "phone-idle-streams --floor: the server only reads and decodes frames (no calls)"
        )?;
    }
    writeln!(
        out,
        "phone-idle-streams: segmenter {:?}, hold {} s per level, server log {}",
        report.segmenter, args.hold_secs, report.server_log
    )?;
    writeln!(
        out,
        "load average before: {}   after: {}",
        report.load_before, report.load_after
    )?;
    writeln!(
        out,
        "server with no calls: CPU {:.1} % of one core, RSS {:.1} MB",
        report.baseline_cpu_pct, report.baseline_rss_mb
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:>7} {:>4} {:>6} {:>7} {:>9} {:>8} {:>8} {:>9} {:>8} {:>9} {:>11} {:>6} {:>7} {:>6} {:>9} {:>14}",
        "streams",
        "ok",
        "up",
        "srv",
        "srv CPU%",
        "of sys",
        "µs/frm",
        "cli CPU%",
        "RSS MB",
        "KB/strm",
        "frames %",
        "burst",
        "closed",
        "drops",
        "behind KB",
        "load"
    )?;
    for l in &report.levels {
        #[allow(clippy::cast_precision_loss)]
        let frames_pct = l.frames_sent as f64 * 100.0 / l.frames_expected.max(1) as f64;
        writeln!(
            out,
            "{:>7} {:>4} {:>6} {:>7} {:>9.1} {:>8.1} {:>8.1} {:>9.1} {:>8.1} {:>9.1} {:>10.1}% {:>6} {:>7} {:>6} {:>9.0} {:>14}",
            l.streams,
            if l.healthy { "yes" } else { "NO" },
            l.up,
            l.server_calls.map_or_else(|| "?".to_owned(), |n| n.to_string()),
            l.server_cpu_pct,
            l.server_sys_pct,
            l.server_us_per_frame,
            l.client_cpu_pct,
            l.rss_mb,
            l.kb_per_stream,
            frames_pct,
            l.max_burst,
            l.closed_by_server,
            l.drop_log_lines,
            l.backlog_max_kb,
            l.load,
        )?;
    }
    writeln!(out)?;
    writeln!(out, "server CPU by thread over each hold (% of one core):")?;
    for l in &report.levels {
        let threads: Vec<String> = l
            .server_threads_pct
            .iter()
            .map(|(name, pct)| format!("{name} {pct:.1}"))
            .collect();
        writeln!(out, "  {:>5} streams: {}", l.streams, threads.join(", "))?;
    }
    if !report.profile.is_empty() {
        writeln!(out)?;
        print_profile(&mut out, &report.profile)?;
    }
    writeln!(out)?;
    writeln!(out, "server at the end: {}", report.server_final)?;
    if report.floor {
        writeln!(
            out,
            "goal: not evaluated (--floor measures the transport alone, not the awaaz server)"
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "goal: ≥ {GOAL_STREAMS} idle streams with server CPU ≤ {GOAL_CPU_PCT:.0} % of one core: {} (largest level within it: {})",
        if report.goal_met { "MET" } else { "NOT MET" },
        report
            .max_streams_within_goal
            .map_or_else(|| "none".to_owned(), |n| n.to_string())
    )?;
    Ok(())
}

fn print_profile(out: &mut impl std::io::Write, profile: &[StageCost]) -> anyhow::Result<()> {
    writeln!(
        out,
        "{:<46} {:>10} {:>24}",
        "receive path, per 20 ms frame (thread CPU)", "µs/frame", "% of a core at 1,000 streams"
    )?;
    for s in profile {
        writeln!(
            out,
            "{:<46} {:>10.2} {:>24.1}",
            s.stage, s.us_per_frame, s.core_pct_at_1000
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_spaces_in_the_name_parse() {
        let line = "1234 (tokio-runtime w) S 1 2 3 4 5 6 7 8 9 10 250 40 0 0 20 0 9 0 100 0 0";
        assert_eq!(stat_ticks(line), Some(("tokio-runtime w".to_owned(), 290)));
        assert_eq!(stat_ticks("garbage"), None);
    }

    #[test]
    fn the_backlog_sums_unread_bytes_of_connected_server_sockets() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr\n\
           0: 0100007F:1F90 00000000:0000 0A 00000000:00000005 00:00000000\n\
           1: 0100007F:1F90 0100007F:A001 01 00000000:00000100 00:00000000\n\
           2: 0100007F:1F90 0100007F:A002 01 00000010:00000020 00:00000000\n\
           3: 0100007F:A001 0100007F:1F90 01 00000000:00000400 00:00000000\n";
        // Port 8080 = 0x1F90: the listener (0A) and the client side are left out.
        assert_eq!(backlog_in(table, 8080), 0x100 + 0x20);
        assert_eq!(backlog_in(table, 9), 0);
    }

    #[test]
    fn this_process_has_cpu_and_memory_readings() {
        let pid = std::process::id();
        assert!(process_ticks(pid).is_some());
        assert!(process_sys_ticks(pid).unwrap() <= process_ticks(pid).unwrap());
        assert!(!thread_ticks(pid).is_empty());
        assert!(status_bytes(pid, "VmRSS").unwrap() > 1_000_000);
        assert!(status_bytes(pid, "VmNoSuchField").is_none());
        assert!(open_files_limit().is_none_or(|l| l >= 16));
    }

    #[test]
    fn frames_follow_twilios_wire_format() {
        let payload = base64::engine::general_purpose::STANDARD.encode([ULAW_SILENCE; FRAME_BYTES]);
        let wire = TwilioWire::new(7, Arc::from(payload));
        let media: Value = serde_json::from_str(&wire.media(3, 2)).unwrap();
        assert_eq!(media["event"], "media");
        assert_eq!(media["sequenceNumber"], "3");
        assert_eq!(media["media"]["chunk"], "2");
        assert_eq!(media["media"]["timestamp"], "20");
        assert_eq!(media["media"]["track"], "inbound");
        assert_eq!(media["streamSid"], format!("MZ{:032x}", 7));
        // What the server's decoder makes of it: 160 bytes of μ-law silence.
        match awaaz_telephony::twilio::decode(&wire.media(3, 2)).unwrap() {
            awaaz_telephony::twilio::Inbound::Media(m) => {
                assert_eq!(m.payload, vec![ULAW_SILENCE; FRAME_BYTES]);
            }
            other => panic!("not media: {other:?}"),
        }
        let start = awaaz_telephony::twilio::decode(&wire.start()).unwrap();
        assert!(matches!(start, awaaz_telephony::twilio::Inbound::Start(_)));
        let mark: Value = serde_json::from_str(&wire.mark(9, "t0-c0")).unwrap();
        assert_eq!(
            (
                mark["sequenceNumber"].as_str(),
                mark["mark"]["name"].as_str()
            ),
            (Some("9"), Some("t0-c0"))
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn light_streams_are_greeted_and_held_by_the_real_server() {
        let server = start_idle_server(SegmenterKind::Energy, 10, 5)
            .await
            .unwrap();
        let url = format!("ws://{}/twilio/media", server.addr);
        let begun = Instant::now();
        let stop = CancellationToken::new();
        let ticks = spawn_ticker(begun, stop.clone());
        let counters = Arc::new(Counters::default());
        let payload: Arc<str> = Arc::from(
            base64::engine::general_purpose::STANDARD.encode([ULAW_SILENCE; FRAME_BYTES]),
        );
        let mut tasks = tokio::task::JoinSet::new();
        for n in 1..=3 {
            tasks.spawn(stream_task(
                url.clone(),
                TwilioWire::new(n, Arc::clone(&payload)),
                ticks.clone(),
                Arc::clone(&counters),
                begun,
                stop.clone(),
            ));
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while get(&counters.greeted) < 3 {
            assert!(Instant::now() < deadline, "greetings: {counters:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let sent = get(&counters.frames_sent);
        tokio::time::sleep(Duration::from_secs(1)).await;
        // Three lines at 50 frames a second, give or take a tick each.
        let per_second = get(&counters.frames_sent) - sent;
        assert!((144..=156).contains(&per_second), "{per_second}");
        assert_eq!(server.calls.active(), 3);
        assert_eq!(get(&counters.up), 3);
        assert_eq!(
            (get(&counters.bad_in), get(&counters.closed_by_server)),
            (0, 0)
        );
        assert!(get(&counters.media_in) > 0 && get(&counters.marks_in) >= 3);
        assert!(server_backlog_bytes(server.addr.port()).is_some());
        stop.cancel();
        while tasks.join_next().await.is_some() {}
        server.handle.shutdown().await.unwrap();
    }

    #[test]
    fn the_profile_times_every_stage() {
        let stages = profile_receive_path(50, false).unwrap();
        assert_eq!(stages.len(), 6);
        assert!(stages.iter().all(|s| s.us_per_frame > 0.0));
        let s = &stages[0];
        assert!((s.core_pct_at_1000 - s.us_per_frame * 5.0).abs() < 1e-9);
    }
}
