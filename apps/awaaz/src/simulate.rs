//! `awaaz simulate caller.wav`: a whole call from a recording, through the
//! same call code as a phone call, with the embedded speech engines.
//!
//! ```text
//!  caller.wav ─▶ mono, 16 kHz ─▶ SimulatedCaller ─(CallerEvent::Audio, 20 ms)─▶ awaaz_call::run_call
//!                                      ▲                                           │
//!                                      └──── Play / Mark / HangUp ◀────────────────┘
//!  timeline (caller + agent audio, mixed) ─▶ --out reply.wav;  store ─▶ transcript, tools, latency
//! ```
//!
//! The simulated caller behaves like a polite person: it listens to the
//! greeting, says one turn of the recording (turns are separated by
//! silence), waits for the answer to finish, says the next, and hangs up
//! after the last answer. In real time by default; with `--fast` the
//! recording is fed as fast as the call takes it and bot audio is not
//! paced, and the output timeline adds the compute time actually spent as
//! silence (so `voice_to_voice_ms` then excludes the turn detector's
//! wait for silence, which takes no time when audio is not real time).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _};
use awaaz_audio::{AudioChunk, Resampler, SAMPLE_RATE_HZ};
use awaaz_call::{
    connection_pair, run_call, vad_segmenter_factory, CallConfig, CallEngines, CallInfo,
    CallerCommand, CallerEndpoint, CallerEvent, EnergySegmenter, Phase, SegmentEvent,
    Segmenter as _, VadTurnConfig,
};
use awaaz_store::{CallDetail, Channel, Speaker, Store};
use serde::Serialize;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::config::Config;

/// What `awaaz simulate` was asked to do.
#[derive(Debug, Clone)]
pub struct SimulateOptions {
    /// The caller's recording (any rate, mono or stereo).
    pub input: PathBuf,
    /// Where to write the call's audio (caller and agent, mixed).
    pub out: Option<PathBuf>,
    /// Print one JSON object instead of text.
    pub json: bool,
    /// Do not run in real time.
    pub fast: bool,
}

/// One 20 ms frame of caller audio.
const FRAME: usize = SAMPLE_RATE_HZ as usize / 50;
/// Line silence appended after the recording so its last turn ends.
const TAIL_MS: usize = 1500;

/// Reads a WAV file as 16 kHz mono PCM16.
pub fn read_wav(path: &Path) -> anyhow::Result<Vec<i16>> {
    let reader =
        hound::WavReader::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let spec = reader.spec();
    if spec.channels == 0 {
        bail!("{} has no channels", path.display());
    }
    let channels = usize::from(spec.channels);
    // Every sample as f32 in [-1, 1], whatever the file holds.
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .into_samples::<f32>()
            .collect::<Result<_, _>>()
            .context("corrupt WAV data")?,
        hound::SampleFormat::Int => {
            let scale = 2f32.powi(i32::from(spec.bits_per_sample.clamp(1, 32)) - 1);
            reader
                .into_samples::<i32>()
                .map(|s| s.map(|v| v as f32 / scale))
                .collect::<Result<_, _>>()
                .context("corrupt WAV data")?
        }
    };
    let mono: Vec<i16> = samples
        .chunks(channels)
        .map(|frame| {
            let mean = frame.iter().sum::<f32>() / frame.len() as f32;
            // Clamped to the PCM16 range first, so the cast cannot truncate.
            #[allow(clippy::cast_possible_truncation)]
            let s = (mean.clamp(-1.0, 1.0) * 32767.0).round() as i16;
            s
        })
        .collect();
    if spec.sample_rate == SAMPLE_RATE_HZ {
        return Ok(mono);
    }
    if spec.sample_rate == 0 {
        bail!("{} has a sample rate of 0 Hz", path.display());
    }
    match Resampler::new(spec.sample_rate, SAMPLE_RATE_HZ) {
        Ok(mut resampler) => {
            let mut out = resampler.process(&mono);
            out.extend(resampler.flush());
            Ok(out)
        }
        // The shared resampler covers telephony and browser rates; any other
        // rate (22.05 kHz from espeak-ng, 44.1 kHz) is interpolated here.
        Err(_) => Ok(interpolate(&mono, spec.sample_rate)),
    }
}

// Sample positions are non-negative and far below 2^52, so the float ↔
// index casts below are exact.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
/// Linear interpolation to 16 kHz, with a crude averaging filter first when
/// downsampling so the result does not alias badly. Good enough for speech
/// going into a recogniser trained on 16 kHz phone-quality audio.
fn interpolate(input: &[i16], from_hz: u32) -> Vec<i16> {
    if input.is_empty() {
        return Vec::new();
    }
    let ratio = f64::from(from_hz) / f64::from(SAMPLE_RATE_HZ);
    let smooth: Vec<f64> = if ratio > 1.0 {
        // Moving average over about one output sample's span.
        let span = ratio.ceil() as usize;
        input
            .windows(span)
            .map(|w| w.iter().map(|s| f64::from(*s)).sum::<f64>() / span as f64)
            .chain(
                input[input.len().saturating_sub(span - 1)..]
                    .iter()
                    .map(|s| f64::from(*s)),
            )
            .collect()
    } else {
        input.iter().map(|s| f64::from(*s)).collect()
    };
    let out_len = (input.len() as f64 / ratio).floor() as usize;
    (0..out_len)
        .map(|i| {
            let pos = i as f64 * ratio;
            let j = pos.floor() as usize;
            let frac = pos - j as f64;
            let a = smooth[j.min(smooth.len() - 1)];
            let b = smooth[(j + 1).min(smooth.len() - 1)];
            // Clamped to the PCM16 range first, so the cast cannot truncate.
            #[allow(clippy::cast_possible_truncation)]
            let v = (a + (b - a) * frac).round().clamp(-32768.0, 32767.0) as i16;
            v
        })
        .collect()
}

/// The call's audio as it would have been heard on the line.
#[derive(Debug, Default)]
struct Timeline {
    mix: Vec<i32>,
    /// Fast mode: where the next audio goes (samples).
    cursor: usize,
    /// Fast mode: when the cursor last moved, to add compute time as silence.
    last_moved: Option<Instant>,
    fast: bool,
    started: Option<Instant>,
}

impl Timeline {
    fn new(fast: bool) -> Self {
        Self {
            fast,
            started: Some(Instant::now()),
            ..Self::default()
        }
    }

    /// Where audio arriving now belongs.
    fn position(&mut self) -> usize {
        let now = Instant::now();
        if !self.fast {
            let elapsed = self.started.map_or(Duration::ZERO, |s| now - s);
            return usize::try_from(elapsed.as_millis()).unwrap_or(usize::MAX / 32) * 16;
        }
        if let Some(last) = self.last_moved {
            let idle = now - last;
            // Time nothing was fed or played is time the call spent working.
            if idle > Duration::from_millis(20) {
                self.cursor += usize::try_from(idle.as_millis()).unwrap_or(0) * 16;
            }
        }
        self.cursor
    }

    fn add(&mut self, samples: &[i16]) {
        let at = self.position();
        if self.mix.len() < at + samples.len() {
            self.mix.resize(at + samples.len(), 0);
        }
        for (slot, s) in self.mix[at..].iter_mut().zip(samples) {
            *slot += i32::from(*s);
        }
        if self.fast {
            self.cursor = at + samples.len();
            self.last_moved = Some(Instant::now());
        }
    }

    fn write(&self, path: &Path) -> anyhow::Result<()> {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: SAMPLE_RATE_HZ,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(path, spec)
            .with_context(|| format!("cannot write {}", path.display()))?;
        for s in &self.mix {
            // Clamped to the PCM16 range first, so the cast cannot truncate.
            #[allow(clippy::cast_possible_truncation)]
            let s = (*s).clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
            w.write_sample(s)?;
        }
        w.finalize()?;
        Ok(())
    }
}

type Shared = Arc<std::sync::Mutex<Timeline>>;

fn lock(t: &Shared) -> std::sync::MutexGuard<'_, Timeline> {
    t.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Receives what the call plays: into the timeline; marks echoed at once
/// (the audio "played" when it arrived).
fn spawn_line(mut endpoint: CallerEndpoint, timeline: Shared) -> tokio::task::JoinHandle<()> {
    let echo = endpoint.event_sender();
    tokio::spawn(async move {
        while let Some(cmd) = endpoint.recv().await {
            match cmd {
                CallerCommand::Play(audio) => lock(&timeline).add(&audio.samples),
                CallerCommand::Mark(name) => {
                    let _ = echo.try_send(CallerEvent::Mark(name));
                }
                CallerCommand::HangUp | CallerCommand::Transfer { .. } => break,
                _ => {}
            }
        }
    })
}

/// Feeds the recording turn by turn, like a caller who waits for answers.
struct SimulatedCaller {
    events: awaaz_call::CallerEventSender,
    phase: watch::Receiver<Phase>,
    timeline: Shared,
    fast: bool,
}

impl SimulatedCaller {
    async fn frame(&self, samples: &[i16]) -> anyhow::Result<()> {
        lock(&self.timeline).add(samples);
        self.events
            .send(CallerEvent::Audio(AudioChunk::new(samples.to_vec())))
            .await
            .context("the call ended early")?;
        if self.fast {
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    /// Waits (saying nothing) until the call is listening again.
    async fn wait_for_listening(&mut self) -> anyhow::Result<()> {
        let silence = [0i16; FRAME];
        loop {
            let phase = *self.phase.borrow_and_update();
            match phase {
                Phase::Listening => return Ok(()),
                Phase::Ended => bail!("the call ended early"),
                _ if self.fast => {
                    self.phase.changed().await.context("the call ended early")?;
                }
                // A phone line carries silence while the caller listens.
                _ => self.frame(&silence).await?,
            }
        }
    }

    /// After the caller's turn ended: waits for the call to take the turn
    /// (it may not, if it heard only noise), then for its answer to end.
    async fn await_answer(&mut self) -> anyhow::Result<()> {
        let silence = [0i16; FRAME];
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            let phase = *self.phase.borrow_and_update();
            if matches!(phase, Phase::Thinking | Phase::BotSpeaking | Phase::Ended) {
                break;
            }
            if self.fast {
                let _ = tokio::time::timeout_at(deadline, self.phase.changed()).await;
            } else {
                self.frame(&silence).await?;
            }
        }
        self.wait_for_listening().await
    }

    async fn run(mut self, audio: &[i16]) -> anyhow::Result<()> {
        self.wait_for_listening().await?;
        // The same detector the call uses, to know where our turns end.
        let mut turns = EnergySegmenter::default();
        let tail = vec![0i16; TAIL_MS * 16];
        for frame in audio.chunks(FRAME).chain(tail.chunks(FRAME)) {
            self.frame(frame).await?;
            let ended = turns
                .push(&AudioChunk::new(frame.to_vec()))
                .iter()
                .any(|e| matches!(e, SegmentEvent::TurnEnded { .. }));
            if ended {
                self.await_answer().await?;
            }
        }
        self.wait_for_listening().await?;
        let _ = self.events.send(CallerEvent::HungUp).await;
        Ok(())
    }
}

/// One turn of the `--json` output.
#[derive(Debug, Serialize)]
struct JsonTurn {
    speaker: &'static str,
    text: String,
    tool_calls: Vec<JsonToolCall>,
    voice_to_voice_ms: Option<u64>,
}

#[derive(Debug, Serialize)]
struct JsonToolCall {
    name: String,
    arguments: serde_json::Value,
    result: serde_json::Value,
}

#[derive(Debug, Serialize)]
struct JsonCall {
    call_id: String,
    turns: Vec<JsonTurn>,
}

fn json_call(detail: &CallDetail) -> JsonCall {
    JsonCall {
        call_id: detail.call.id.0.clone(),
        turns: detail
            .turns
            .iter()
            .map(|t| JsonTurn {
                speaker: match t.speaker {
                    Speaker::Caller => "caller",
                    Speaker::Agent => "agent",
                },
                text: t.text.clone(),
                tool_calls: detail
                    .tool_calls
                    .iter()
                    .filter(|c| c.turn_id == Some(t.id))
                    .map(|c| JsonToolCall {
                        name: c.name.clone(),
                        arguments: c.arguments.clone(),
                        result: c.result.clone(),
                    })
                    .collect(),
                voice_to_voice_ms: t.latency.voice_to_voice_ms,
            })
            .collect(),
    }
}

fn print_text(detail: &CallDetail, out: &mut impl std::io::Write) -> std::io::Result<()> {
    writeln!(
        out,
        "call {} ({}, {})",
        detail.call.id.0,
        detail.call.channel.as_str(),
        detail.call.status
    )?;
    for t in &detail.turns {
        let who = match t.speaker {
            Speaker::Caller => "caller",
            Speaker::Agent => "agent ",
        };
        let cut = if t.interrupted { " [interrupted]" } else { "" };
        writeln!(out, "{who}: {}{cut}", t.text)?;
        for c in detail.tool_calls.iter().filter(|c| c.turn_id == Some(t.id)) {
            writeln!(
                out,
                "        tool {} {} -> {}",
                c.name, c.arguments, c.result
            )?;
        }
        let l = t.latency;
        if let (Speaker::Agent, Some(end)) = (t.speaker, l.speech_end_ms) {
            let stage = |at: Option<u64>| {
                at.map_or("-".to_owned(), |v| format!("+{}", v.saturating_sub(end)))
            };
            writeln!(
                out,
                "        latency: voice-to-voice {} ms (transcript {} ms, reply {} ms, first audio {} ms after speech end; agent {} µs)",
                l.voice_to_voice_ms.map_or("-".to_owned(), |v| v.to_string()),
                stage(l.transcript_ready_ms),
                stage(l.reply_ready_ms),
                stage(l.first_audio_ms),
                l.agent_us.map_or("-".to_owned(), |v| v.to_string()),
            )?;
        }
    }
    Ok(())
}

/// Runs `awaaz simulate`.
pub async fn run_simulate(config: &Config, options: SimulateOptions) -> anyhow::Result<()> {
    let audio = read_wav(&options.input)?;
    let models = awaaz_speech::tts::models_dir();
    let (recognizer, synthesizer) = crate::engines::load_speech(&models).await?;
    let (store, agent) = crate::server::open(config).await?;
    // Silero VAD + turn detector when the model is there (turns end ~300 ms
    // sooner); the energy segmenter otherwise.
    let silero = match awaaz_audio::SileroModel::from_models_dir(&models) {
        Ok(model) => Some(model),
        Err(e) => {
            tracing::info!(error = %e, "silero vad unavailable; using the energy segmenter");
            None
        }
    };
    let engines = CallEngines::new(Arc::clone(&store), agent, recognizer, synthesizer)
        .with_segmenter(vad_segmenter_factory(silero, VadTurnConfig::default()));
    let detail = simulate_call(engines, &store, &audio, &options).await?;

    let mut stdout = std::io::stdout().lock();
    if options.json {
        serde_json::to_writer(&mut stdout, &json_call(&detail)).context("cannot write JSON")?;
        writeln!(stdout).context("cannot write to stdout")?;
    } else {
        print_text(&detail, &mut stdout).context("cannot write to stdout")?;
    }
    Ok(())
}

/// Runs one simulated call over `engines` and returns what the store kept.
pub async fn simulate_call(
    engines: CallEngines,
    store: &Arc<dyn Store>,
    audio: &[i16],
    options: &SimulateOptions,
) -> anyhow::Result<CallDetail> {
    let (connection, endpoint) = connection_pair(256);
    let timeline: Shared = Arc::new(std::sync::Mutex::new(Timeline::new(options.fast)));
    let caller = SimulatedCaller {
        events: endpoint.event_sender(),
        phase: endpoint.phase(),
        timeline: Arc::clone(&timeline),
        fast: options.fast,
    };
    let line = spawn_line(endpoint, Arc::clone(&timeline));
    let call_config = CallConfig {
        pace_output: !options.fast,
        ..CallConfig::default()
    };
    let info = CallInfo::new(Channel::Simulated);
    let call = run_call(
        engines,
        call_config,
        info,
        connection,
        CancellationToken::new(),
    );
    let (report, fed) = tokio::join!(call, caller.run(audio));
    let report = report.context("the call could not start")?;
    if let Err(e) = fed {
        // Usually the agent ended the call (a goodbye) before the recording
        // did; the stored status says whether anything went wrong.
        tracing::debug!(
            error = format!("{e:#}"),
            "the simulated caller stopped early"
        );
    }
    let _ = line.await;
    if let Some(path) = &options.out {
        lock(&timeline).write(path)?;
    }
    store
        .call(&report.call_id)
        .await
        .context("cannot read the call back")?
        .context("the call was not stored")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stereo_8khz_wav_becomes_16khz_mono() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.wav");
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&path, spec).unwrap();
        for _ in 0..8000 {
            w.write_sample(1000i16).unwrap();
            w.write_sample(3000i16).unwrap();
        }
        w.finalize().unwrap();
        let samples = read_wav(&path).unwrap();
        assert!(
            (15_900..=16_100).contains(&samples.len()),
            "{}",
            samples.len()
        );
        // The channels' mean, away from the resampler's edges.
        assert!((1990..=2010).contains(&samples[8000]), "{}", samples[8000]);
    }

    #[test]
    fn odd_rates_are_interpolated() {
        let input = vec![1000i16; 22_050];
        let out = interpolate(&input, 22_050);
        assert_eq!(out.len(), 16_000);
        assert!(out.iter().all(|s| *s == 1000));
    }

    #[test]
    fn json_has_the_documented_shape() {
        use awaaz_store::{Call, CallId, ToolCall, Turn, TurnLatency};
        let now = chrono::Utc::now();
        let turn = |id, speaker, text: &str, v2v| Turn {
            id,
            seq: 0,
            speaker,
            text: text.into(),
            language: None,
            started_at: now,
            ended_at: now,
            latency: TurnLatency {
                voice_to_voice_ms: v2v,
                ..TurnLatency::default()
            },
            interrupted: false,
        };
        let detail = CallDetail {
            call: Call {
                id: CallId("c1".into()),
                channel: Channel::Simulated,
                caller: None,
                carrier_call_id: None,
                status: "completed".into(),
                started_at: now,
                ended_at: Some(now),
                turn_count: 2,
            },
            turns: vec![
                turn(1, Speaker::Caller, "order 45678", None),
                turn(2, Speaker::Agent, "Aapka order kal aayega.", Some(640)),
            ],
            tool_calls: vec![ToolCall {
                id: 1,
                turn_id: Some(2),
                name: "lookup_order".into(),
                arguments: serde_json::json!({"order_id": "ORD-45678"}),
                result: serde_json::json!({"found": true}),
                ok: true,
                duration_us: 5,
                created_at: now,
            }],
            usage: None,
        };
        let v = serde_json::to_value(json_call(&detail)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "call_id": "c1",
                "turns": [
                    {"speaker": "caller", "text": "order 45678", "tool_calls": [], "voice_to_voice_ms": null},
                    {"speaker": "agent", "text": "Aapka order kal aayega.", "tool_calls": [
                        {"name": "lookup_order", "arguments": {"order_id": "ORD-45678"}, "result": {"found": true}}
                    ], "voice_to_voice_ms": 640}
                ]
            })
        );
    }

    fn tone(ms: usize, amplitude: i16) -> Vec<i16> {
        (0..ms * 16)
            .map(|i| if i % 2 == 0 { amplitude } else { -amplitude })
            .collect()
    }

    #[tokio::test]
    async fn a_recording_becomes_a_stored_call_with_audio_out() {
        use awaaz_speech::tts::SilentSynthesizer;
        use awaaz_speech::ScriptedRecognizer;
        let store = Arc::new(awaaz_store::MemoryStore::with_demo(
            chrono::Utc::now().date_naive(),
        ));
        let store: Arc<dyn Store> = store;
        let agent = awaaz_agent::EmbeddedAgent::load(Arc::clone(&store))
            .await
            .unwrap();
        let engines = CallEngines::new(
            Arc::clone(&store),
            Arc::new(agent),
            Arc::new(ScriptedRecognizer::new([
                "mera order 45678 kahan hai",
                "theek hai, dhanyavaad",
            ])),
            Arc::new(SilentSynthesizer::with_ms_per_char(5)),
        );
        let mut audio = tone(300, 0);
        audio.extend(tone(1200, 4000));
        audio.extend(tone(1000, 0));
        audio.extend(tone(800, 4000));
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("call.wav");
        let options = SimulateOptions {
            input: PathBuf::new(),
            out: Some(out.clone()),
            json: true,
            fast: true,
        };
        let detail = simulate_call(engines, &store, &audio, &options)
            .await
            .unwrap();
        let json = serde_json::to_value(json_call(&detail)).unwrap();
        let turns = json["turns"].as_array().unwrap();
        let speakers: Vec<&str> = turns
            .iter()
            .map(|t| t["speaker"].as_str().unwrap())
            .collect();
        assert_eq!(
            speakers,
            ["agent", "caller", "agent", "caller", "agent"],
            "{json}"
        );
        assert_eq!(turns[1]["text"], "mera order 45678 kahan hai");
        assert_eq!(turns[2]["tool_calls"][0]["name"], "lookup_order");
        assert_eq!(
            turns[2]["tool_calls"][0]["arguments"]["order_id"],
            "ORD-45678"
        );
        assert!(turns[2]["voice_to_voice_ms"].is_u64(), "{json}");
        assert!(
            turns[0]["voice_to_voice_ms"].is_null(),
            "the greeting answers nobody"
        );
        assert_eq!(detail.call.status, "completed");

        let written = read_wav(&out).unwrap();
        // At least the caller's recording and the line tail.
        assert!(
            written.len() >= audio.len(),
            "{} < {}",
            written.len(),
            audio.len()
        );
        assert!(written.contains(&4000), "caller audio is in the mix");
    }
}
