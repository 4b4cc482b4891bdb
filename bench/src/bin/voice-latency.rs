//! `voice-latency`: voice-to-voice latency of whole synthetic phone calls
//! through the real call code and the embedded engines.
//!
//! ```text
//!  voice::calls::SCRIPTS ─▶ espeak-ng ─▶ sox μ-law 8 kHz ─▶ PCM16 16 kHz
//!        │ (20 ms frames, real time, like a carrier adapter)
//!        ▼
//!  connection_pair ─▶ CallSupervisor::start ─▶ run_call
//!        (WhisperModel whisper-base, EmbeddedSynthesizer Piper + espeak-ng,
//!         EmbeddedAgent on SeaStore / temporary SQLite with the demo shop)
//!        ▼
//!  store: per-turn TurnLatency + caller transcripts ─▶ latency, stages, WER
//!  /proc/self: CPU time and RSS per concurrency level
//! ```
//!
//! Every call has a deadline (`--timeout-secs`); the run always ends.

#[path = "../voice/mod.rs"]
mod voice;

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{bail, Context as _};
use awaaz_agent::{EmbeddedAgent, EmbeddedConfig};
use awaaz_audio::AudioChunk;
use awaaz_call::{
    connection_pair, CallConfig, CallEngines, CallInfo, CallSupervisor, CallerCommand,
    CallerEndpoint, CallerEvent, CallerEventSender, Phase, FRAME_SAMPLES,
};
use awaaz_store::{Channel, PhoneNumber, Speaker, Store};
use clap::Parser;
use serde::Serialize;
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};

use voice::calls::{self, Lang, Script};
use voice::{procstat, wer};

/// Goals from issue 3.
const GOAL_P50_MS: u64 = 500;
const GOAL_P95_MS: u64 = 900;
const GOAL_LOADED_P95_MS: u64 = 1500;
const GOAL_LOADED_CALLS: usize = 10;
const GOAL_MB_PER_CALL: f64 = 20.0;
/// Silence the caller leaves after the agent stops before speaking again.
const PAUSE_BEFORE_TURN_MS: u64 = 400;
/// How long the caller waits (in silence) for the call to take its turn.
const TAKE_TURN_WAIT: Duration = Duration::from_secs(5);

/// Measures voice-to-voice latency of synthetic phone calls.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Calls per concurrency level (at least the level itself).
    #[arg(long, short = 'n', default_value_t = 20)]
    calls: usize,
    /// Concurrency levels to run, in order (calls at once).
    #[arg(long, value_delimiter = ',', default_value = "1,4")]
    concurrency: Vec<usize>,
    /// One JSON object on stdout instead of tables.
    #[arg(long)]
    json: bool,
    /// Smoke test: 3 calls (one per language) at concurrency 1, no warm-up.
    #[arg(long)]
    quick: bool,
    /// Print each call's synthesised text and transcript to stderr.
    #[arg(long)]
    show_transcripts: bool,
    /// Per-call deadline in seconds; the caller hangs up when it passes.
    #[arg(long, default_value_t = 90)]
    timeout_secs: u64,
    /// Turn segmenter: `vad` (Silero VAD + turn detector, what the server,
    /// the softphone and `awaaz simulate` use) or `energy` (the fixed 600 ms
    /// silence of `EnergySegmenter`, the baseline).
    #[arg(long, default_value = "vad")]
    segmenter: String,
    /// With `--segmenter vad`: silence after which the VAD reports a pause
    /// (and the recogniser decodes what was said so far); default: the
    /// call's own (`VadTurnConfig::default()`).
    #[arg(long)]
    vad_min_silence_ms: Option<u64>,
    /// With `--segmenter vad`: quiet inside speech that starts a decode
    /// before the pause is confirmed (0 = off); default: the call's own.
    #[arg(long)]
    quiet_ms: Option<u64>,
}

/// One call's outcome.
#[derive(Debug, Clone, Serialize)]
struct CallResult {
    lang: Lang,
    status: String,
    timed_out: bool,
    /// Per answered caller turn, from the stored `TurnLatency`.
    turns: Vec<TurnTiming>,
    /// End of the caller's audio → first agent frame at the endpoint (ms).
    line_ms: Vec<u64>,
    ref_words: usize,
    word_edits: usize,
    interrupted_agent_turns: usize,
    /// Caller turns stored for the call.
    caller_turns: usize,
    /// The synthesised text and what the recogniser heard (synthetic, not
    /// personal data), for `--show-transcripts`.
    #[serde(skip)]
    reference: String,
    #[serde(skip)]
    heard: String,
}

#[derive(Debug, Clone, Copy, Serialize)]
struct TurnTiming {
    voice_to_voice_ms: u64,
    transcript_ms: Option<u64>,
    reply_ms: Option<u64>,
    first_audio_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
struct Pct {
    count: usize,
    p50_ms: u64,
    p95_ms: u64,
    max_ms: u64,
}

fn pct(values: &mut [u64]) -> Option<Pct> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    // Nearest rank: the smallest value with at least q of the samples at or below it.
    let at = |q: f64| {
        let n = values.len() as f64;
        // Ranks are small positive integers; the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let rank = (q * n).ceil().max(1.0) as usize;
        values[rank.min(values.len()) - 1]
    };
    Some(Pct {
        count: values.len(),
        p50_ms: at(0.50),
        p95_ms: at(0.95),
        max_ms: values[values.len() - 1],
    })
}

#[derive(Debug, Clone, Serialize)]
struct Level {
    concurrency: usize,
    calls: usize,
    failed_calls: usize,
    timed_out_calls: usize,
    voice_to_voice: Option<Pct>,
    to_transcript: Option<Pct>,
    to_reply: Option<Pct>,
    to_first_audio: Option<Pct>,
    line_observed: Option<Pct>,
    interrupted_agent_turns: usize,
    /// Whisper decodes of the level (partial, pause and final).
    whisper_decodes: u64,
    decodes_per_caller_turn: f64,
    wall_s: f64,
    cpu_s: f64,
    cpu_s_per_call: f64,
    rss_start_mb: f64,
    rss_peak_mb: f64,
    load_before: String,
    load_after: String,
}

#[derive(Debug, Clone, Serialize)]
struct WerRow {
    lang: Lang,
    calls: usize,
    ref_words: usize,
    edits: usize,
    wer: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    segmenter: String,
    rss_after_load_mb: f64,
    levels: Vec<Level>,
    wer: Vec<WerRow>,
    mb_per_extra_call: Vec<(usize, f64)>,
    goals: Vec<(String, bool)>,
}

/// What the line (endpoint) saw: when the caller's speech ended, and how
/// long until the first agent frame arrived after it.
#[derive(Debug, Default)]
struct LineState {
    armed: Option<Instant>,
    observed: Vec<u64>,
}

fn lock(s: &Mutex<LineState>) -> std::sync::MutexGuard<'_, LineState> {
    s.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Plays what the call sends (drops it) and echoes marks at once: output is
/// paced by the call, so a mark is played when it arrives.
fn spawn_line(
    mut endpoint: CallerEndpoint,
    state: Arc<Mutex<LineState>>,
) -> tokio::task::JoinHandle<()> {
    let echo = endpoint.event_sender();
    tokio::spawn(async move {
        while let Some(cmd) = endpoint.recv().await {
            match cmd {
                CallerCommand::Play(_) => {
                    let mut s = lock(&state);
                    if let Some(t) = s.armed.take() {
                        let ms = u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX);
                        s.observed.push(ms);
                    }
                }
                CallerCommand::Mark(name) => {
                    let _ = echo.try_send(CallerEvent::Mark(name));
                }
                CallerCommand::HangUp | CallerCommand::Transfer { .. } => break,
                _ => {}
            }
        }
    })
}

/// A caller speaking in real time: one 20 ms frame per tick.
struct Caller {
    events: CallerEventSender,
    phase: watch::Receiver<Phase>,
    ticker: tokio::time::Interval,
    line: Arc<Mutex<LineState>>,
}

impl Caller {
    async fn frame(&mut self, samples: &[i16]) -> anyhow::Result<()> {
        self.ticker.tick().await;
        self.events
            .send(CallerEvent::Audio(AudioChunk::new(samples.to_vec())))
            .await
            .context("the call ended")
    }

    /// Says nothing until the call listens; `false` when it ended.
    async fn wait_listening(&mut self) -> anyhow::Result<bool> {
        let silence = [0i16; FRAME_SAMPLES];
        loop {
            match *self.phase.borrow_and_update() {
                Phase::Listening => return Ok(true),
                Phase::Ended => return Ok(false),
                _ => {}
            }
            self.frame(&silence).await?;
        }
    }

    async fn run(&mut self, turns: &[Vec<i16>]) -> anyhow::Result<()> {
        let silence = [0i16; FRAME_SAMPLES];
        if !self.wait_listening().await? {
            return Ok(());
        }
        for (i, audio) in turns.iter().enumerate() {
            if i > 0 {
                for _ in 0..PAUSE_BEFORE_TURN_MS / 20 {
                    self.frame(&silence).await?;
                }
            }
            let last_loud = last_loud_frame(audio);
            for (k, chunk) in audio.chunks(FRAME_SAMPLES).enumerate() {
                let mut frame = chunk.to_vec();
                frame.resize(FRAME_SAMPLES, 0);
                self.frame(&frame).await?;
                if k == last_loud {
                    // The caller's speech really ends here; the clip's
                    // trailing quiet is line silence.
                    lock(&self.line).armed = Some(Instant::now());
                }
            }
            // Silence until the call takes the turn, then until it answered.
            let deadline = Instant::now() + TAKE_TURN_WAIT;
            while Instant::now() < deadline {
                let phase = *self.phase.borrow_and_update();
                if matches!(phase, Phase::Thinking | Phase::BotSpeaking | Phase::Ended) {
                    break;
                }
                self.frame(&silence).await?;
            }
            if !self.wait_listening().await? {
                return Ok(());
            }
        }
        Ok(())
    }
}

/// Index of the last 20 ms frame louder than −40 dBFS RMS (0 if none).
fn last_loud_frame(audio: &[i16]) -> usize {
    audio
        .chunks(FRAME_SAMPLES)
        .rposition(|f| {
            let energy: f64 = f.iter().map(|s| f64::from(*s) * f64::from(*s)).sum();
            #[allow(clippy::cast_precision_loss)] // at most 320 samples
            let rms = (energy / f.len() as f64).sqrt();
            rms > 328.0
        })
        .unwrap_or(0)
}

async fn one_call(
    supervisor: &CallSupervisor,
    store: &Arc<dyn Store>,
    script: Script,
    audio: Vec<Vec<i16>>,
    timeout: Duration,
) -> anyhow::Result<CallResult> {
    let (connection, endpoint) = connection_pair(256);
    let mut info = CallInfo::new(Channel::Simulated);
    // Priya of the demo shop, so order questions can be answered by phone.
    info.caller = Some(PhoneNumber::new(awaaz_bench::DEFAULT_CALLER));
    let line_state = Arc::new(Mutex::new(LineState::default()));
    let mut ticker = tokio::time::interval(Duration::from_millis(20));
    // A carrier sends frames at a steady 20 ms; if we fall behind, catch up.
    ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut caller = Caller {
        events: endpoint.event_sender(),
        phase: endpoint.phase(),
        ticker,
        line: Arc::clone(&line_state),
    };
    let line = spawn_line(endpoint, Arc::clone(&line_state));
    let handle = supervisor.start(info, connection).context("call refused")?;
    let timed_out = match tokio::time::timeout(timeout, caller.run(&audio)).await {
        Ok(Ok(())) => false,
        // The call ended under the caller (agent hung up); not an error.
        Ok(Err(_)) => false,
        Err(_) => true,
    };
    let _ = caller.events.send(CallerEvent::HungUp).await;
    let report = tokio::time::timeout(Duration::from_secs(20), handle.wait())
        .await
        .context("call did not end within 20 s of hang-up")?
        .context("call failed")?;
    let _ = tokio::time::timeout(Duration::from_secs(5), line).await;
    let detail = store
        .call(&report.call_id)
        .await
        .context("cannot read the call back")?
        .context("call not stored")?;

    let mut turns = Vec::new();
    let mut interrupted = 0;
    let mut heard = String::new();
    for t in &detail.turns {
        match t.speaker {
            Speaker::Caller => {
                if !heard.is_empty() {
                    heard.push_str(" | ");
                }
                heard.push_str(&t.text);
            }
            Speaker::Agent => {
                interrupted += usize::from(t.interrupted);
                let l = t.latency;
                if let (Some(v2v), Some(end)) = (l.voice_to_voice_ms, l.speech_end_ms) {
                    let since = |at: Option<u64>| at.map(|a| a.saturating_sub(end));
                    turns.push(TurnTiming {
                        voice_to_voice_ms: v2v,
                        transcript_ms: since(l.transcript_ready_ms),
                        reply_ms: since(l.reply_ready_ms),
                        first_audio_ms: since(l.first_audio_ms),
                    });
                }
            }
        }
    }
    let reference = wer::words(&script.turns.join(" "), script.lang);
    let hypothesis = wer::words(&heard, script.lang);
    let line_ms = std::mem::take(&mut lock(&line_state).observed);
    Ok(CallResult {
        lang: script.lang,
        status: report.status.as_str().to_owned(),
        timed_out,
        turns,
        line_ms,
        ref_words: reference.len(),
        word_edits: wer::edits(&reference, &hypothesis),
        interrupted_agent_turns: interrupted,
        caller_turns: detail
            .turns
            .iter()
            .filter(|t| t.speaker == Speaker::Caller)
            .count(),
        reference: script.turns.join(" | "),
        heard,
    })
}

fn mb(bytes: u64) -> f64 {
    // Memory sizes are far below 2^52; the conversion is exact enough.
    #[allow(clippy::cast_precision_loss)]
    let v = bytes as f64 / (1024.0 * 1024.0);
    v
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

struct Bench {
    engines: CallEngines,
    store: Arc<dyn Store>,
    audio: Vec<(Script, Vec<Vec<i16>>)>,
    timeout: Duration,
    show_transcripts: bool,
    /// The shared recogniser model, to count its decodes per level.
    whisper: awaaz_speech::WhisperModel,
}

async fn run_level(
    bench: &Bench,
    concurrency: usize,
    n: usize,
    all: &mut Vec<CallResult>,
) -> Level {
    let supervisor = CallSupervisor::new(bench.engines.clone(), CallConfig::default(), concurrency);
    let load_before = loadavg();
    let rss_start = procstat::rss_bytes().unwrap_or(0);
    let cpu_start = procstat::cpu_time().unwrap_or_default();
    let decodes_start = bench.whisper.decodes_run();
    let started = Instant::now();
    let peak = Arc::new(std::sync::atomic::AtomicU64::new(rss_start));
    let sampling = tokio_util::sync::CancellationToken::new();
    let sampler = {
        let peak = Arc::clone(&peak);
        let stop = sampling.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            while !stop.is_cancelled() {
                tokio::select! {
                    _ = tick.tick() => {}
                    () = stop.cancelled() => {}
                }
                if let Some(rss) = procstat::rss_bytes() {
                    peak.fetch_max(rss, std::sync::atomic::Ordering::Relaxed);
                }
            }
        })
    };
    let slots = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let (script, audio) = bench.audio[i % bench.audio.len()].clone();
        let supervisor = supervisor.clone();
        let store = Arc::clone(&bench.store);
        let slots = Arc::clone(&slots);
        let timeout = bench.timeout;
        tasks.spawn(async move {
            let _permit = slots.acquire_owned().await;
            // Staggered starts, as real calls do not arrive in the same ms.
            tokio::time::sleep(Duration::from_millis(50 * (i % concurrency.max(1)) as u64)).await;
            (
                script.lang,
                one_call(&supervisor, &store, script, audio, timeout).await,
            )
        });
    }
    let mut results = Vec::new();
    let mut failed = 0;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((_, Ok(r))) => results.push(r),
            Ok((lang, Err(e))) => {
                failed += 1;
                // Errors name the stage that failed, never what was said.
                eprintln!("a {} call failed: {e:#}", lang.as_str());
            }
            Err(_) => failed += 1,
        }
    }
    let wall = started.elapsed();
    let cpu = procstat::cpu_time()
        .unwrap_or_default()
        .saturating_sub(cpu_start);
    sampling.cancel();
    let _ = sampler.await;
    let _ = supervisor.shutdown(Duration::from_secs(10)).await;

    let collect = |f: &dyn Fn(&TurnTiming) -> Option<u64>| {
        let mut v: Vec<u64> = results
            .iter()
            .flat_map(|r| r.turns.iter().filter_map(f))
            .collect();
        pct(&mut v)
    };
    let mut line: Vec<u64> = results
        .iter()
        .flat_map(|r| r.line_ms.iter().copied())
        .collect();
    let calls_done = results.len().max(1);
    let caller_turns: usize = results.iter().map(|r| r.caller_turns).sum();
    let decodes = bench.whisper.decodes_run() - decodes_start;
    let level = Level {
        concurrency,
        calls: n,
        failed_calls: failed,
        timed_out_calls: results.iter().filter(|r| r.timed_out).count(),
        voice_to_voice: collect(&|t| Some(t.voice_to_voice_ms)),
        to_transcript: collect(&|t| t.transcript_ms),
        to_reply: collect(&|t| t.reply_ms),
        to_first_audio: collect(&|t| t.first_audio_ms),
        line_observed: pct(&mut line),
        interrupted_agent_turns: results.iter().map(|r| r.interrupted_agent_turns).sum(),
        whisper_decodes: decodes,
        #[allow(clippy::cast_precision_loss)] // counts
        decodes_per_caller_turn: decodes as f64 / caller_turns.max(1) as f64,
        wall_s: wall.as_secs_f64(),
        cpu_s: cpu.as_secs_f64(),
        #[allow(clippy::cast_precision_loss)] // a call count
        cpu_s_per_call: cpu.as_secs_f64() / calls_done as f64,
        rss_start_mb: mb(rss_start),
        rss_peak_mb: mb(peak.load(std::sync::atomic::Ordering::Relaxed)),
        load_before,
        load_after: loadavg(),
    };
    if bench.show_transcripts {
        for r in &results {
            eprintln!(
                "[{}] said: {}\n      heard: {}",
                r.lang.as_str(),
                r.reference,
                r.heard
            );
        }
    }
    all.extend(results);
    level
}

fn wer_rows(results: &[CallResult]) -> Vec<WerRow> {
    [Lang::English, Lang::Hinglish, Lang::Hindi]
        .into_iter()
        .filter_map(|lang| {
            let of: Vec<&CallResult> = results.iter().filter(|r| r.lang == lang).collect();
            let ref_words: usize = of.iter().map(|r| r.ref_words).sum();
            let edits: usize = of.iter().map(|r| r.word_edits).sum();
            #[allow(clippy::cast_precision_loss)] // word counts
            let wer = edits as f64 / ref_words.max(1) as f64;
            (!of.is_empty()).then_some(WerRow {
                lang,
                calls: of.len(),
                ref_words,
                edits,
                wer,
            })
        })
        .collect()
}

fn goals(levels: &[Level], per_call: &[(usize, f64)]) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    if let Some(p) = levels
        .iter()
        .find(|l| l.concurrency == 1)
        .and_then(|l| l.voice_to_voice.as_ref())
    {
        out.push((
            format!("1 call: p50 {} ms <= {GOAL_P50_MS} ms", p.p50_ms),
            p.p50_ms <= GOAL_P50_MS,
        ));
        out.push((
            format!("1 call: p95 {} ms <= {GOAL_P95_MS} ms", p.p95_ms),
            p.p95_ms <= GOAL_P95_MS,
        ));
    }
    for l in levels.iter().filter(|l| l.concurrency >= GOAL_LOADED_CALLS) {
        if let Some(p) = &l.voice_to_voice {
            out.push((
                format!(
                    "{} calls: p95 {} ms <= {GOAL_LOADED_P95_MS} ms",
                    l.concurrency, p.p95_ms
                ),
                p.p95_ms <= GOAL_LOADED_P95_MS && l.failed_calls == 0 && l.timed_out_calls == 0,
            ));
        }
    }
    for (c, per) in per_call {
        out.push((
            format!("{c} calls: {per:.1} MB per extra call <= {GOAL_MB_PER_CALL} MB"),
            *per <= GOAL_MB_PER_CALL,
        ));
    }
    out
}

fn print_pct(out: &mut impl std::io::Write, name: &str, p: Option<&Pct>) -> std::io::Result<()> {
    match p {
        Some(p) => writeln!(
            out,
            "  {name:<34} n={:<3} p50 {:>5} ms  p95 {:>5} ms  max {:>5} ms",
            p.count, p.p50_ms, p.p95_ms, p.max_ms
        ),
        None => writeln!(out, "  {name:<34} no samples"),
    }
}

fn print_level(out: &mut impl std::io::Write, l: &Level) -> std::io::Result<()> {
    writeln!(
        out,
        "\n{} call(s) at once: {} calls, {} failed, {} timed out, {:.0} s wall, load {} -> {}",
        l.concurrency,
        l.calls,
        l.failed_calls,
        l.timed_out_calls,
        l.wall_s,
        l.load_before,
        l.load_after
    )?;
    print_pct(out, "voice-to-voice (stored)", l.voice_to_voice.as_ref())?;
    print_pct(
        out,
        "  speech end -> transcript ready",
        l.to_transcript.as_ref(),
    )?;
    print_pct(out, "  speech end -> reply ready", l.to_reply.as_ref())?;
    print_pct(
        out,
        "  speech end -> first audio",
        l.to_first_audio.as_ref(),
    )?;
    print_pct(
        out,
        "line: caller speech end -> 1st frame",
        l.line_observed.as_ref(),
    )?;
    writeln!(out, "  CPU {:.1} s ({:.1} s per call), RSS {:.0} MB at start, peak {:.0} MB, {} agent turns interrupted",
        l.cpu_s, l.cpu_s_per_call, l.rss_start_mb, l.rss_peak_mb, l.interrupted_agent_turns)?;
    writeln!(
        out,
        "  Whisper decodes {} ({:.1} per caller turn)",
        l.whisper_decodes, l.decodes_per_caller_turn
    )?;
    Ok(())
}

fn print_report(r: &Report) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "voice-to-voice latency (segmenter: {}; RSS after loading engines {:.0} MB)",
        r.segmenter, r.rss_after_load_mb
    )?;
    for l in &r.levels {
        print_level(&mut out, l)?;
    }
    writeln!(out, "\nword error rate (all calls above):")?;
    for w in &r.wer {
        writeln!(
            out,
            "  {:<9} {:>3} calls {:>4} words {:>4} edits  WER {:.1} %",
            w.lang.as_str(),
            w.calls,
            w.ref_words,
            w.edits,
            w.wer * 100.0
        )?;
    }
    for (c, per) in &r.mb_per_extra_call {
        writeln!(
            out,
            "memory: {per:.1} MB per extra call at {c} calls (peak RSS vs 1 call)"
        )?;
    }
    writeln!(out, "\ngoals:")?;
    for (g, met) in &r.goals {
        writeln!(out, "  [{}] {g}", if *met { "met" } else { "NOT met" })?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let levels: Vec<usize> = if args.quick {
        vec![1]
    } else {
        args.concurrency.clone()
    };
    if levels.is_empty() || levels.contains(&0) {
        bail!("--concurrency needs levels of at least 1");
    }
    let n = if args.quick { 3 } else { args.calls.max(1) };

    // Audio first: a missing espeak-ng or sox fails fast.
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let mut audio = Vec::new();
    for (i, script) in calls::pick(n.min(calls::SCRIPTS.len()))
        .into_iter()
        .enumerate()
    {
        let turns = script
            .turns
            .iter()
            .enumerate()
            .map(|(t, text)| {
                calls::phone_audio(text, script.lang, dir.path(), &format!("c{i}t{t}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        audio.push((script, turns));
    }

    let models = awaaz_speech::tts::models_dir();
    if !models.join("whisper-base").is_dir() {
        bail!(
            "no speech models in {} (run `just models`, or set AWAAZ_MODELS_DIR)",
            models.display()
        );
    }
    let dir_models: PathBuf = models.clone();
    let (whisper, voice) = tokio::task::spawn_blocking(move || {
        let whisper = awaaz_speech::WhisperModel::load(dir_models.join("whisper-base"))
            .context("cannot load the Whisper model")?;
        let env = awaaz_speech::tts::onnx_environment(None).context("cannot load ONNX Runtime")?;
        let voice = awaaz_speech::tts::EmbeddedSynthesizer::load(&env, &dir_models)
            .context("cannot load the Piper voice")?;
        anyhow::Ok((whisper, voice))
    })
    .await
    .context("model loading panicked")??;
    let bench_store = awaaz_bench::open_store(None).await?;
    let store = Arc::clone(&bench_store.store);
    let agent = EmbeddedAgent::load_with(
        Arc::clone(&store),
        EmbeddedConfig {
            record_tool_calls: false,
            ..EmbeddedConfig::default()
        },
    )
    .await
    .context("cannot load the agent")?;
    let mut engines = CallEngines::new(
        Arc::clone(&store),
        Arc::new(agent),
        Arc::new(awaaz_speech::WhisperRecognizer::new(whisper.clone())),
        Arc::new(voice),
    );
    match args.segmenter.as_str() {
        "energy" | "default" => {}
        "vad" => {
            let mut config = awaaz_call::VadTurnConfig::default();
            if let Some(ms) = args.vad_min_silence_ms {
                config.vad.min_silence_ms = ms;
            }
            if let Some(ms) = args.quiet_ms {
                config.quiet_ms = ms;
            }
            engines = engines.with_segmenter(awaaz_call::vad_segmenter_factory(
                awaaz_call::silero_from_env(),
                config,
            ));
        }
        other => bail!("unknown --segmenter {other} (vad, energy)"),
    }
    let bench = Bench {
        engines,
        store,
        audio,
        timeout: Duration::from_secs(args.timeout_secs.max(5)),
        show_transcripts: args.show_transcripts,
        whisper,
    };

    if !args.quick {
        // One untimed call: first decodes, page cache, allocator arenas.
        let mut ignored = Vec::new();
        let _ = run_level(&bench, 1, 1, &mut ignored).await;
    }
    let rss_after_load_mb = mb(procstat::rss_bytes().unwrap_or(0));
    let mut all = Vec::new();
    let mut done = Vec::new();
    for c in levels {
        let level = run_level(&bench, c, n.max(c), &mut all).await;
        // Progress on stderr, so a long run shows each level as it ends.
        print_level(&mut std::io::stderr().lock(), &level)?;
        done.push(level);
    }
    let single_peak = done
        .iter()
        .find(|l| l.concurrency == 1)
        .map(|l| l.rss_peak_mb);
    let mb_per_extra_call: Vec<(usize, f64)> = match single_peak {
        Some(base) => done
            .iter()
            .filter(|l| l.concurrency > 1)
            .map(|l| {
                #[allow(clippy::cast_precision_loss)] // a call count
                let extra = (l.concurrency - 1) as f64;
                (l.concurrency, (l.rss_peak_mb - base).max(0.0) / extra)
            })
            .collect(),
        None => Vec::new(),
    };
    let report = Report {
        segmenter: args.segmenter.clone(),
        rss_after_load_mb,
        goals: goals(&done, &mb_per_extra_call),
        wer: wer_rows(&all),
        levels: done,
        mb_per_extra_call,
    };
    if args.json {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        print_report(&report)?;
    }
    drop(bench_store);
    Ok(())
}
