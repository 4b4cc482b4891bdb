//! `phone-overhead`: what the Twilio phone path adds to voice-to-voice
//! latency, against the browser softphone path, on the same calls.
//!
//! ```text
//!  one awaaz server in this process (127.0.0.1:0), one set of engines for both paths:
//!    EnergySegmenter · ScriptedRecognizer (hears one scripted line per turn) ·
//!    EmbeddedAgent on a temporary SQLite demo shop · SilentSynthesizer
//!  call i (the path that goes first alternates):
//!    browser: WS /web/call      PCM16 16 kHz binary frames every 20 ms, JSON events
//!    phone:   WS /twilio/media  FakeTwilioCall: μ-law 8 kHz base64 JSON frames every 20 ms
//!  the caller waits for the greeting to end, says the same tone burst, and measures
//!    the tick its last speech frame was sent → the first agent audio frame received
//! ```
//!
//! The engines are deterministic and identical on both paths, so the
//! difference between the two is what the transport costs: WebSocket framing,
//! JSON and base64, μ-law, 8 ↔ 16 kHz resampling, the bridge's 20 ms framing.
//! The call's own measure (`TurnLatency.voice_to_voice_ms`, stored) is read
//! back too: caller-side minus call-side is the wire's share.
//!
//! Every call has a deadline (`--timeout-secs`); the run always ends.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _};
use awaaz::web_call::WebCalls;
use awaaz::{AppState, Config};
use awaaz_call::{CallConfig, CallEngines};
use awaaz_fakes::twilio::{CallEventKind, FakeTwilioCall, TwilioCallSetup};
use awaaz_speech::tts::SilentSynthesizer;
use awaaz_speech::ScriptedRecognizer;
use awaaz_store::{CallId, Speaker, Store};
use clap::Parser;
use futures_util::{SinkExt as _, StreamExt as _};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;

/// Issue 4's goal: what the phone path adds, at most (ms).
const GOAL_ADDED_MS: f64 = 20.0;
/// Sample rate of the browser protocol and of the tone.
const RATE_HZ: u32 = 16_000;
/// 20 ms at 16 kHz.
const FRAME_SAMPLES: usize = 320;
const TICK: Duration = Duration::from_millis(20);
/// How long nothing from the bot must have played before the caller speaks
/// (the greeting is over and its marks are back).
const QUIET: Duration = Duration::from_millis(700);
/// What the scripted recogniser "hears" in the tone: a question whose answer
/// does not depend on who calls (both paths call anonymously).
const HEARD: &str = "Do you have the blue kurta in medium?";

/// Measures what the Twilio phone path adds to voice-to-voice latency.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Calls per path.
    #[arg(long, short = 'n', default_value_t = 30)]
    calls: usize,
    /// Unmeasured call pairs first (warm caches, the SQLite file, the agent).
    #[arg(long, default_value_t = 1)]
    warmup: usize,
    /// Pace of the silent synthesiser (ms of audio per character).
    #[arg(long, default_value_t = 10)]
    ms_per_char: u32,
    /// Length of the caller's tone burst (ms, a multiple of 20).
    #[arg(long, default_value_t = 800)]
    tone_ms: u64,
    /// Per-call deadline in seconds.
    #[arg(long, default_value_t = 30)]
    timeout_secs: u64,
    /// Experiment: the browser client keeps Nagle's algorithm on (as the
    /// fake Twilio caller does). By default it sets TCP_NODELAY, as
    /// Chromium does for WebSockets.
    #[arg(long)]
    client_nagle: bool,
    /// One JSON object on stdout instead of tables.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Path {
    Browser,
    Phone,
}

/// One call's measures.
#[derive(Debug, Clone, Copy, Serialize)]
struct Sample {
    /// Caller side: last speech frame sent → first agent audio received.
    caller_ms: f64,
    /// Call side, as stored: end of speech → first reply audio handed to
    /// the transport.
    engine_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
struct Pct {
    count: usize,
    p50: f64,
    p95: f64,
    min: f64,
    max: f64,
    mean: f64,
}

/// Nearest-rank percentiles (the smallest value with at least q of the
/// samples at or below it).
fn pct(values: &[f64]) -> Option<Pct> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let at = |q: f64| {
        // Sample counts are small; the conversions are exact.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let rank = (q * v.len() as f64).ceil().max(1.0) as usize;
        v[rank.min(v.len()) - 1]
    };
    #[allow(clippy::cast_precision_loss)]
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    Some(Pct {
        count: v.len(),
        p50: at(0.50),
        p95: at(0.95),
        min: v[0],
        max: v[v.len() - 1],
        mean,
    })
}

#[derive(Debug, Serialize)]
struct Report {
    calls_per_path: usize,
    failed: Vec<String>,
    browser: Option<Pct>,
    phone: Option<Pct>,
    browser_engine: Option<Pct>,
    phone_engine: Option<Pct>,
    /// phone − browser, call by call (the pair ran back to back).
    paired_difference: Option<Pct>,
    /// p50(phone) − p50(browser).
    p50_difference_ms: Option<f64>,
    /// p95(phone) − p95(browser).
    p95_difference_ms: Option<f64>,
    /// Caller-side minus call-side, per path (the wire's share).
    browser_wire: Option<Pct>,
    phone_wire: Option<Pct>,
    /// What the phone line's resamplers (as the bridge runs them) give for
    /// the first 20 ms frame, each way (a whole frame is 160 at 8 kHz, 320
    /// at 16 kHz), and the delay they add instead of holding samples back.
    lookahead: Lookahead,
    goal_added_ms: f64,
    goal_met: Option<bool>,
    load_before: String,
    load_after: String,
}

#[derive(Debug, Clone, Copy, Serialize)]
struct Lookahead {
    /// 16 → 8 kHz (bot audio to the line): samples out of one 320-sample frame.
    down_first_frame: usize,
    /// 8 → 16 kHz (the line to the call): samples out of one 160-sample frame.
    up_first_frame: usize,
    /// The filter delay each way (ms).
    down_delay_ms: f64,
    up_delay_ms: f64,
}

/// How much of one 20 ms frame the phone bridge's converters give back at
/// once, each way: `awaaz_audio::Resampler` without look-ahead (bot audio,
/// 16 → 8 kHz) and `awaaz_audio::HalfBandUpsampler` (caller audio).
fn lookahead() -> anyhow::Result<Lookahead> {
    let mut down = awaaz_audio::Resampler::new(RATE_HZ, 8_000)?.without_lookahead();
    let mut up = awaaz_audio::HalfBandUpsampler::new();
    Ok(Lookahead {
        down_first_frame: down.process(&[1000; FRAME_SAMPLES]).len(),
        up_first_frame: up.process(&[1000; FRAME_SAMPLES / 2]).len(),
        down_delay_ms: down.output_delay_ms(),
        up_delay_ms: awaaz_audio::HalfBandUpsampler::DELAY_MS,
    })
}

/// The caller's speech: a tone burst (two partials, 10 ms fade-in, 40 ms
/// fade-out to silence) of `ms` at 16 kHz, loud enough for the energy
/// segmenter (RMS ≈ 4000), ending on a 20 ms frame boundary.
fn tone_burst(ms: u64) -> Vec<i16> {
    let n = usize::try_from(ms * u64::from(RATE_HZ) / 1000).unwrap_or(0) / FRAME_SAMPLES
        * FRAME_SAMPLES;
    let fade_in = FRAME_SAMPLES / 2;
    let fade_out = FRAME_SAMPLES * 2;
    (0..n)
        .map(|i| {
            #[allow(clippy::cast_precision_loss)]
            let t = i as f64 / f64::from(RATE_HZ);
            let mut gain = 1.0;
            if i < fade_in {
                #[allow(clippy::cast_precision_loss)]
                let g = i as f64 / fade_in as f64;
                gain = g;
            }
            if i + fade_out >= n {
                #[allow(clippy::cast_precision_loss)]
                let g = (n - i) as f64 / fade_out as f64;
                gain = g;
            }
            let tau = std::f64::consts::TAU;
            let s = 4000.0 * (tau * 220.0 * t).sin() + 4000.0 * (tau * 660.0 * t).sin();
            // |s| ≤ 8000: fits an i16.
            #[allow(clippy::cast_possible_truncation)]
            let v = (s * gain).round() as i16;
            v
        })
        .collect()
}

fn pcm_bytes(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// The server, its store and the scripted recogniser both paths share.
struct Bench {
    addr: SocketAddr,
    store: Arc<dyn Store>,
    recognizer: ScriptedRecognizer,
    server: awaaz::ServerHandle,
    client_nodelay: bool,
    _dir: tempfile::TempDir,
}

async fn start_server(args: &Args) -> anyhow::Result<Bench> {
    let ms_per_char = args.ms_per_char;
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
    let recognizer = ScriptedRecognizer::default();
    // One set of engines for both paths: only the transport differs.
    let engines = CallEngines::new(
        Arc::clone(&store),
        agent,
        Arc::new(recognizer.clone()),
        Arc::new(SilentSynthesizer::with_ms_per_char(ms_per_char)),
    );
    let web = WebCalls::new(engines.clone(), CallConfig::default(), 4);
    if !state.set_web_calls(Arc::new(web)) {
        bail!("browser calls were already enabled");
    }
    awaaz::phone::attach_engines(&state, engines);
    // As `awaaz serve` runs it (TCP_NODELAY on accepted sockets).
    let (addr, server) = awaaz::start_with_state(state, config.http_addr).await?;
    Ok(Bench {
        addr,
        store,
        recognizer,
        server,
        client_nodelay: !args.client_nagle,
        _dir: dir,
    })
}

/// The stored call-side voice-to-voice of the call's first answered turn;
/// waits (briefly) for the recorder.
async fn engine_ms(store: &Arc<dyn Store>, id: &CallId) -> Option<u64> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Ok(Some(detail)) = store.call(id).await {
            let found = detail
                .turns
                .iter()
                .filter(|t| t.speaker == Speaker::Agent)
                .find_map(|t| t.latency.voice_to_voice_ms);
            if found.is_some() {
                return found;
            }
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Where a browser call is.
enum Stage {
    /// The greeting plays; the microphone sends silence.
    Greeting,
    /// The caller speaks: the next tone frame to send.
    Speaking(usize),
    /// The tone's last frame went out at this tick.
    Waiting(Instant),
    /// The reply started; waiting for it to end.
    Reply,
}

/// One call over `WS /web/call`, as the demo page makes it: a 20 ms
/// microphone frame every tick, marks echoed when they arrive (the server
/// paces its audio in real time, so a mark arrives as the audio before it
/// finishes playing).
async fn browser_call(bench: &Bench, tone: &[i16], timeout: Duration) -> anyhow::Result<Sample> {
    let url = format!("ws://{}/web/call", bench.addr);
    let (ws, _) =
        tokio_tungstenite::connect_async_with_config(url.as_str(), None, bench.client_nodelay)
            .await
            .with_context(|| format!("cannot connect to {url}"))?;
    let (mut sink, mut stream) = ws.split();
    sink.send(Message::text(
        json!({"type": "start", "sample_rate_hz": RATE_HZ}).to_string(),
    ))
    .await?;
    let silence = vec![0u8; FRAME_SAMPLES * 2];
    let frames: Vec<Vec<u8>> = tone.chunks(FRAME_SAMPLES).map(pcm_bytes).collect();
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let deadline = Instant::now() + timeout;
    let mut stage = Stage::Greeting;
    let mut last_audio: Option<Instant> = None;
    let mut call_id: Option<CallId> = None;
    let mut caller_ms: Option<f64> = None;
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                let now = Instant::now();
                let quiet = last_audio.is_some_and(|t| now >= t + QUIET);
                let frame = match stage {
                    Stage::Greeting => {
                        if quiet {
                            stage = Stage::Speaking(0);
                        }
                        &silence
                    }
                    Stage::Speaking(k) => {
                        stage = if k + 1 == frames.len() {
                            Stage::Waiting(now)
                        } else {
                            Stage::Speaking(k + 1)
                        };
                        &frames[k]
                    }
                    Stage::Waiting(_) => &silence,
                    Stage::Reply => {
                        if quiet {
                            break;
                        }
                        &silence
                    }
                };
                sink.send(Message::binary(frame.clone())).await.context("socket closed")?;
            }
            message = stream.next() => {
                let now = Instant::now();
                match message {
                    Some(Ok(Message::Binary(_))) => {
                        if let Stage::Waiting(end) = stage {
                            caller_ms = Some(millis(now - end));
                            stage = Stage::Reply;
                        }
                        last_audio = Some(now);
                    }
                    Some(Ok(Message::Text(text))) => {
                        let event: Value = serde_json::from_str(text.as_str())
                            .context("server event is not JSON")?;
                        match event["type"].as_str() {
                            Some("started") => {
                                call_id = event["call_id"]
                                    .as_str()
                                    .map(|id| CallId(id.to_owned()));
                            }
                            Some("mark") => {
                                let name = event["name"].as_str().unwrap_or_default();
                                sink.send(Message::text(
                                    json!({"type": "mark", "name": name}).to_string(),
                                ))
                                .await?;
                            }
                            Some("ended") => bail!("the server ended the call: {event}"),
                            _ => {}
                        }
                    }
                    Some(Ok(Message::Close(frame))) => bail!("the server closed the socket: {frame:?}"),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e).context("socket failed"),
                    None => bail!("the socket closed"),
                }
            }
            () = tokio::time::sleep_until(deadline) => bail!("browser call timed out"),
        }
    }
    sink.send(Message::text(json!({"type": "hangup"}).to_string()))
        .await?;
    // Until `ended` and the close (or a short grace).
    let _ = tokio::time::timeout(Duration::from_secs(3), async {
        while let Some(Ok(message)) = stream.next().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
    let caller_ms = caller_ms.context("no reply audio")?;
    let engine_ms = match call_id {
        Some(id) => engine_ms(&bench.store, &id).await,
        None => None,
    };
    Ok(Sample {
        caller_ms,
        engine_ms,
    })
}

/// One call over `WS /twilio/media` with the fake Twilio caller.
async fn phone_call(bench: &Bench, tone: &[i16], timeout: Duration) -> anyhow::Result<Sample> {
    let url = format!("ws://{}/twilio/media", bench.addr);
    // Anonymous, as the browser call is: no `From` parameter.
    let setup = TwilioCallSetup::default();
    let call_sid = setup.call_sid.clone();
    let call = FakeTwilioCall::connect(&url, setup).await?;
    let deadline = Instant::now() + timeout;
    let left = || deadline.saturating_duration_since(Instant::now());
    call.wait_for_event(left(), |e| matches!(e, CallEventKind::MediaReceived { .. }))
        .await
        .context("no greeting")?;
    call.wait_quiet(u64::try_from(QUIET.as_millis()).unwrap_or(700), left())
        .await
        .context("the greeting did not end")?;
    call.say(tone, RATE_HZ)?;
    let started = call
        .wait_for_event(left(), |e| matches!(e, CallEventKind::CallerSpeechStarted))
        .await?;
    // The fake queues the resampler's tail after the tone, so its
    // `CallerSpeechEnded` may fall one frame late; the tone's last frame is
    // the (n-1)th tick after its first, as on the browser path.
    let tone_frames = u32::try_from(tone.len() / FRAME_SAMPLES).unwrap_or(1);
    let speech_end = started.at + TICK * tone_frames.saturating_sub(1);
    let first_audio = loop {
        let found = call
            .events()
            .into_iter()
            .find(|e| e.at > speech_end && matches!(e.kind, CallEventKind::MediaReceived { .. }));
        if let Some(event) = found {
            break event.at;
        }
        if call.ended() {
            bail!("the call ended before the reply");
        }
        if Instant::now() >= deadline {
            bail!("phone call timed out waiting for the reply");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    call.wait_quiet(u64::try_from(QUIET.as_millis()).unwrap_or(700), left())
        .await
        .context("the reply did not end")?;
    let violations = call.violations();
    call.hang_up().await;
    if let Some(v) = violations.first() {
        bail!(
            "the server sent a frame Twilio would refuse: {} ({} in all)",
            v.reason,
            violations.len()
        );
    }
    let engine_ms = match bench.store.call_by_carrier_id(&call_sid).await {
        Ok(Some(record)) => engine_ms(&bench.store, &record.id).await,
        _ => None,
    };
    Ok(Sample {
        caller_ms: millis(first_audio - speech_end),
        engine_ms,
    })
}

async fn one(bench: &Bench, path: Path, tone: &[i16], timeout: Duration) -> anyhow::Result<Sample> {
    bench.recognizer.push_utterance(HEARD);
    match path {
        Path::Browser => browser_call(bench, tone, timeout).await,
        Path::Phone => phone_call(bench, tone, timeout).await,
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.calls == 0 {
        bail!("--calls must be at least 1");
    }
    if args.tone_ms < 100 || args.tone_ms % 20 != 0 {
        bail!("--tone-ms must be a multiple of 20, at least 100");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    let report = runtime.block_on(run(&args))?;
    print_report(&args, &report)?;
    Ok(())
}

async fn run(args: &Args) -> anyhow::Result<Report> {
    let load_before = load_average();
    let bench = start_server(args).await?;
    let tone = tone_burst(args.tone_ms);
    let timeout = Duration::from_secs(args.timeout_secs);
    for _ in 0..args.warmup {
        one(&bench, Path::Browser, &tone, timeout).await?;
        one(&bench, Path::Phone, &tone, timeout).await?;
    }
    let mut pairs: Vec<(Option<Sample>, Option<Sample>)> = Vec::with_capacity(args.calls);
    let mut failed = Vec::new();
    for i in 0..args.calls {
        // Alternate which path goes first, so a drift in machine load
        // does not favour one.
        let order = if i % 2 == 0 {
            [Path::Browser, Path::Phone]
        } else {
            [Path::Phone, Path::Browser]
        };
        let mut pair = (None, None);
        for path in order {
            match one(&bench, path, &tone, timeout).await {
                Ok(sample) => match path {
                    Path::Browser => pair.0 = Some(sample),
                    Path::Phone => pair.1 = Some(sample),
                },
                Err(e) => failed.push(format!("call {i} {path:?}: {e:#}")),
            }
        }
        if !args.json {
            eprint!(".");
        }
        pairs.push(pair);
    }
    if !args.json {
        eprintln!();
    }
    bench.server.shutdown().await?;
    let load_after = load_average();

    let browser: Vec<Sample> = pairs.iter().filter_map(|p| p.0).collect();
    let phone: Vec<Sample> = pairs.iter().filter_map(|p| p.1).collect();
    let caller = |s: &[Sample]| s.iter().map(|x| x.caller_ms).collect::<Vec<_>>();
    let engine = |s: &[Sample]| {
        s.iter()
            .filter_map(|x| x.engine_ms)
            .map(|ms| {
                #[allow(clippy::cast_precision_loss)]
                let v = ms as f64;
                v
            })
            .collect::<Vec<_>>()
    };
    let wire = |s: &[Sample]| {
        s.iter()
            .filter_map(|x| {
                #[allow(clippy::cast_precision_loss)]
                x.engine_ms.map(|e| x.caller_ms - e as f64)
            })
            .collect::<Vec<_>>()
    };
    let diffs: Vec<f64> = pairs
        .iter()
        .filter_map(|p| match p {
            (Some(b), Some(ph)) => Some(ph.caller_ms - b.caller_ms),
            _ => None,
        })
        .collect();
    let browser_pct = pct(&caller(&browser));
    let phone_pct = pct(&caller(&phone));
    let p50_difference_ms = browser_pct
        .as_ref()
        .zip(phone_pct.as_ref())
        .map(|(b, p)| p.p50 - b.p50);
    let p95_difference_ms = browser_pct
        .as_ref()
        .zip(phone_pct.as_ref())
        .map(|(b, p)| p.p95 - b.p95);
    let paired_difference = pct(&diffs);
    let goal_met = paired_difference
        .as_ref()
        .map(|d| d.p50 <= GOAL_ADDED_MS && p50_difference_ms.unwrap_or(f64::MAX) <= GOAL_ADDED_MS);
    Ok(Report {
        calls_per_path: args.calls,
        failed,
        browser_engine: pct(&engine(&browser)),
        phone_engine: pct(&engine(&phone)),
        browser_wire: pct(&wire(&browser)),
        phone_wire: pct(&wire(&phone)),
        browser: browser_pct,
        phone: phone_pct,
        paired_difference,
        p50_difference_ms,
        p95_difference_ms,
        lookahead: lookahead()?,
        goal_added_ms: GOAL_ADDED_MS,
        goal_met,
        load_before,
        load_after,
    })
}

fn print_report(args: &Args, report: &Report) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, report)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "phone-overhead: {} calls per path, tone {} ms, silent synthesiser {} ms/char",
        report.calls_per_path, args.tone_ms, args.ms_per_char
    )?;
    writeln!(
        out,
        "TCP_NODELAY: browser client {}, server on (as awaaz serve)",
        if args.client_nagle {
            "off (experiment)"
        } else {
            "on (as Chromium)"
        },
    )?;
    writeln!(
        out,
        "load average before: {}   after: {}",
        report.load_before, report.load_after
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<34} {:>5} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "voice-to-voice (ms)", "n", "p50", "p95", "min", "max", "mean"
    )?;
    let row = |out: &mut std::io::StdoutLock<'_>, name: &str, p: Option<&Pct>| match p {
        Some(p) => writeln!(
            out,
            "{:<34} {:>5} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>8.1}",
            name, p.count, p.p50, p.p95, p.min, p.max, p.mean
        ),
        None => writeln!(out, "{name:<34}     0"),
    };
    row(&mut out, "browser, at the caller", report.browser.as_ref())?;
    row(
        &mut out,
        "phone (Twilio), at the caller",
        report.phone.as_ref(),
    )?;
    row(
        &mut out,
        "browser, in the call (stored)",
        report.browser_engine.as_ref(),
    )?;
    row(
        &mut out,
        "phone, in the call (stored)",
        report.phone_engine.as_ref(),
    )?;
    row(
        &mut out,
        "browser wire (caller − call)",
        report.browser_wire.as_ref(),
    )?;
    row(
        &mut out,
        "phone wire (caller − call)",
        report.phone_wire.as_ref(),
    )?;
    row(
        &mut out,
        "paired phone − browser",
        report.paired_difference.as_ref(),
    )?;
    writeln!(out)?;
    if let (Some(d50), Some(d95)) = (report.p50_difference_ms, report.p95_difference_ms) {
        writeln!(
            out,
            "p50(phone) − p50(browser) = {d50:.1} ms; p95(phone) − p95(browser) = {d95:.1} ms"
        )?;
    }
    writeln!(
        out,
        "bridge resamplers: 16→8 kHz gives {} of 160 samples for the first 20 ms frame ({:.1} ms filter delay), 8→16 kHz {} of 320 ({:.1} ms)",
        report.lookahead.down_first_frame,
        report.lookahead.down_delay_ms,
        report.lookahead.up_first_frame,
        report.lookahead.up_delay_ms
    )?;
    match report.goal_met {
        Some(met) => writeln!(
            out,
            "goal: phone path adds ≤ {:.0} ms (paired p50 and p50 difference): {}",
            report.goal_added_ms,
            if met { "MET" } else { "NOT MET" }
        )?,
        None => writeln!(out, "goal: no complete pairs, not evaluated")?,
    }
    if !report.failed.is_empty() {
        writeln!(out, "\nfailed calls ({}):", report.failed.len())?;
        for f in &report.failed {
            writeln!(out, "  {f}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tone_is_loud_until_its_last_frame_and_ends_on_a_frame_boundary() {
        let tone = tone_burst(800);
        assert_eq!(tone.len(), 40 * FRAME_SAMPLES);
        let rms = |f: &[i16]| {
            let e: f64 = f.iter().map(|s| f64::from(*s).powi(2)).sum();
            (e / f.len() as f64).sqrt()
        };
        let frames: Vec<f64> = tone.chunks(FRAME_SAMPLES).map(rms).collect();
        // Every frame is above the energy segmenter's 520 threshold.
        assert!(frames.iter().all(|&r| r > 520.0), "{frames:?}");
        assert!(frames[20] > 3500.0 && frames[20] < 4500.0, "{}", frames[20]);
        assert!(tone[tone.len() - 1].abs() < 100);
    }

    #[test]
    fn the_bridge_resamplers_give_whole_frames_each_way() {
        let l = lookahead().unwrap();
        assert_eq!((l.down_first_frame, l.up_first_frame), (160, 320), "{l:?}");
        assert!(l.down_delay_ms > 2.0 && l.down_delay_ms < 4.0, "{l:?}");
        assert!(l.up_delay_ms > 2.0 && l.up_delay_ms < 4.0, "{l:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_call_on_each_path_is_measured_at_both_ends() {
        let args = Args::parse_from(["phone-overhead"]);
        let bench = start_server(&args).await.unwrap();
        let tone = tone_burst(400);
        let timeout = Duration::from_secs(20);
        for path in [Path::Browser, Path::Phone] {
            let sample = one(&bench, path, &tone, timeout).await.unwrap();
            // The energy segmenter waits 600 ms of silence; the rest is
            // the agent, the synthesiser and the wire.
            assert!(
                (590.0..800.0).contains(&sample.caller_ms),
                "{path:?}: {sample:?}"
            );
            let engine = sample.engine_ms.unwrap();
            assert!((590..800).contains(&engine), "{path:?}: {sample:?}");
            #[allow(clippy::cast_precision_loss)]
            let wire = sample.caller_ms - engine as f64;
            assert!((-5.0..60.0).contains(&wire), "{path:?}: {sample:?}");
        }
        assert_eq!(bench.recognizer.remaining(), 0);
        bench.server.shutdown().await.unwrap();
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        let p = pct(&v).unwrap();
        assert_eq!((p.p50, p.p95, p.min, p.max), (10.0, 19.0, 1.0, 20.0));
        assert!((p.mean - 10.5).abs() < 1e-9);
        let d = pct(&[-3.0, 5.0, 1.0]).unwrap();
        assert_eq!((d.p50, d.p95), (1.0, 5.0));
        assert!(pct(&[]).is_none());
    }
}
