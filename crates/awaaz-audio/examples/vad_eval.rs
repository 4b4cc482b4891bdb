//! Silero vs energy VAD on phone-quality speech with a known segmentation.
//!
//! Builds a test call: English and Hindi sentences from espeak-ng, each sent
//! through a phone line with sox (μ-law 8 kHz, back to 16 kHz), separated by
//! 0.8–2 s gaps, over line hiss, with two non-speech events (a noise burst
//! and a 400 Hz beep). The truth is each sentence's span (first to last
//! audible 10 ms of its clean phone signal; pauses between words count as
//! speech). Then both VADs run through [`VadStream`] and are scored per 10 ms
//! slot, on raw frames (p ≥ 0.5) and on the segmenter's speech intervals.
//!
//! ```text
//! cargo run -p awaaz-audio --example vad_eval [-- <models_dir>]
//! ```
//! Needs espeak-ng and sox on PATH, and the models (`just models`).

#![allow(clippy::print_stdout)] // a measurement tool: its report is its output
#![allow(clippy::cast_possible_truncation)] // sample maths on small, clamped values

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use awaaz_audio::vad::{
    EnergyVad, SileroModel, VadConfig, VadEvent, VadStream, VoiceActivityDetector,
};

const RATE: usize = 16_000;
/// Scoring resolution: 10 ms.
const SLOT: usize = RATE / 100;

const SENTENCES: &[(&str, &str)] = &[
    (
        "en-us",
        "Hello, I am calling about my order. It has not arrived yet.",
    ),
    ("hi", "नमस्ते, मेरा ऑर्डर अभी तक नहीं आया है।"),
    ("en-us", "My order number is four five six seven eight."),
    ("hi", "मुझे अपना पैसा वापस चाहिए, कृपया जल्दी कीजिए।"),
    ("en-us", "Yes."),
    ("hi", "हाँ जी।"),
    (
        "en-us",
        "Can you tell me when the delivery will reach Pune?",
    ),
    ("hi", "डिलीवरी कब तक हो जाएगी? मैं कल घर पर नहीं रहूँगा।"),
    ("en-us", "Okay, thank you so much for your help."),
    ("hi", "ठीक है, धन्यवाद।"),
];

fn run(cmd: &mut Command) -> Result<(), Box<dyn Error>> {
    let status = cmd.status()?;
    if !status.success() {
        return Err(format!("{cmd:?} failed: {status}").into());
    }
    Ok(())
}

/// espeak-ng → sox μ-law 8 kHz → sox PCM16 16 kHz.
fn phone_utterance(
    dir: &Path,
    i: usize,
    voice: &str,
    text: &str,
) -> Result<Vec<i16>, Box<dyn Error>> {
    let raw = dir.join(format!("u{i}.wav"));
    let ulaw = dir.join(format!("u{i}.ul.wav"));
    let back = dir.join(format!("u{i}.16k.wav"));
    run(Command::new("espeak-ng")
        .args(["-v", voice, "-s", "150", "-w"])
        .arg(&raw)
        .arg(text))?;
    run(Command::new("sox")
        .arg(&raw)
        .args(["-r", "8000", "-c", "1", "-e", "mu-law"])
        .arg(&ulaw))?;
    run(Command::new("sox")
        .arg(&ulaw)
        .args(["-r", "16000", "-e", "signed-integer", "-b", "16"])
        .arg(&back))?;
    let reader = hound::WavReader::open(&back)?;
    Ok(reader.into_samples::<i16>().collect::<Result<_, _>>()?)
}

struct Lcg(u64);

impl Lcg {
    /// Roughly Gaussian noise sample (sum of 4 uniforms), unit variance.
    fn gauss(&mut self) -> f64 {
        let mut s = 0.0;
        for _ in 0..4 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            s += (self.0 >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
        }
        s * 3f64.sqrt()
    }
}

fn rms(x: &[i16]) -> f64 {
    (x.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

/// The test call: samples and per-slot truth.
fn build_call(dir: &Path) -> Result<(Vec<i16>, Vec<bool>), Box<dyn Error>> {
    let mut rng = Lcg(42);
    let mut clean: Vec<f64> = vec![0.0; RATE];
    let mut truth_spans = Vec::new();
    for (i, (voice, text)) in SENTENCES.iter().enumerate() {
        let u = phone_utterance(dir, i, voice, text)?;
        // The audible span of the clean phone signal (espeak pads with silence).
        let loud: Vec<usize> = u
            .chunks(SLOT)
            .enumerate()
            .filter(|(_, c)| rms(c) > 100.0)
            .map(|(k, _)| k)
            .collect();
        let (Some(&first), Some(&last)) = (loud.first(), loud.last()) else {
            continue;
        };
        let gain = 3000.0 / rms(&u[first * SLOT..(last + 1) * SLOT]);
        let start = clean.len();
        truth_spans.push((start + first * SLOT, start + (last + 1) * SLOT));
        clean.extend(u.iter().map(|&s| f64::from(s) * gain));
        // 0.8–2.0 s gap.
        let gap = RATE * 8 / 10 + (rng.gauss().abs() * 0.4 * RATE as f64) as usize;
        clean.extend(std::iter::repeat_n(0.0, gap.min(2 * RATE)));
        if i == 3 {
            // Non-speech: a 600 ms burst of loud noise in its own gap.
            clean.extend((0..RATE * 6 / 10).map(|_| 1500.0 * rng.gauss()));
            clean.extend(std::iter::repeat_n(0.0, RATE));
        }
        if i == 7 {
            // Non-speech: a 500 ms 400 Hz beep (call-waiting tone).
            clean.extend((0..RATE / 2).map(|k| {
                2000.0 * (2.0 * std::f64::consts::PI * 400.0 * k as f64 / RATE as f64).sin()
            }));
            clean.extend(std::iter::repeat_n(0.0, RATE));
        }
    }
    // Line hiss at ≈ -47 dBFS, about 26 dB below the speech.
    let samples: Vec<i16> = clean
        .iter()
        .map(|&x| (x + 150.0 * rng.gauss()).round().clamp(-32_768.0, 32_767.0) as i16)
        .collect();
    let slots = samples.len() / SLOT;
    let truth = (0..slots)
        .map(|k| {
            truth_spans
                .iter()
                .any(|&(a, b)| k * SLOT >= a && (k + 1) * SLOT <= b + SLOT / 2)
        })
        .collect();
    Ok((samples, truth))
}

struct Score {
    name: &'static str,
    frame_acc: f64,
    seg_acc: f64,
    seg_recall: f64,
    seg_false_alarm: f64,
    segments: usize,
    cpu_ms_per_s: f64,
}

fn evaluate<D: VoiceActivityDetector>(
    name: &'static str,
    detector: D,
    samples: &[i16],
    truth: &[bool],
) -> Score {
    let frame_len = detector.frame_len();
    let mut stream = VadStream::new(detector, VadConfig::default());
    let mut probs = Vec::new();
    let mut events = Vec::new();
    let begin = Instant::now();
    for chunk in samples.chunks(320) {
        let before = stream.position_ms();
        stream.handle_audio(chunk);
        if stream.position_ms() != before {
            probs.push(stream.last_probability());
        }
        events.extend(std::iter::from_fn(|| stream.poll_event()));
    }
    let cpu = begin.elapsed().as_secs_f64();
    let audio_s = samples.len() as f64 / RATE as f64;
    // Raw frames: slot k is speech if its frame's probability ≥ 0.5.
    let raw: Vec<bool> = (0..truth.len())
        .map(|k| probs.get(k * SLOT / frame_len).is_some_and(|&p| p >= 0.5))
        .collect();
    // Segments: between SpeechStarted and SpeechEnded (an open one runs to the end).
    let mut seg = vec![false; truth.len()];
    let mut open = None;
    let mut segments = 0;
    for e in &events {
        match *e {
            VadEvent::SpeechStarted { at_ms } => open = Some(at_ms),
            VadEvent::SpeechEnded { at_ms } => {
                if let Some(s) = open.take() {
                    segments += 1;
                    for slot in seg
                        .iter_mut()
                        .take((at_ms / 10) as usize)
                        .skip((s / 10) as usize)
                    {
                        *slot = true;
                    }
                }
            }
        }
    }
    if let Some(s) = open {
        segments += 1;
        for slot in seg.iter_mut().skip((s / 10) as usize) {
            *slot = true;
        }
    }
    let acc = |pred: &[bool]| {
        pred.iter().zip(truth).filter(|(p, t)| p == t).count() as f64 / truth.len() as f64
    };
    let speech = truth.iter().filter(|&&t| t).count() as f64;
    let silence = truth.len() as f64 - speech;
    Score {
        name,
        frame_acc: acc(&raw),
        seg_acc: acc(&seg),
        seg_recall: seg.iter().zip(truth).filter(|(p, t)| **p && **t).count() as f64 / speech,
        seg_false_alarm: seg.iter().zip(truth).filter(|(p, t)| **p && !**t).count() as f64
            / silence,
        segments,
        cpu_ms_per_s: cpu * 1000.0 / audio_s,
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let models = std::env::args().nth(1).map_or_else(
        || {
            std::env::var_os("AWAAZ_MODELS_DIR")
                .map_or_else(|| PathBuf::from("models"), PathBuf::from)
        },
        PathBuf::from,
    );
    let dir = std::env::temp_dir().join(format!("awaaz-vad-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let built = build_call(&dir);
    std::fs::remove_dir_all(&dir)?;
    let (samples, truth) = built?;
    let speech_s = truth.iter().filter(|&&t| t).count() as f64 / 100.0;
    println!(
        "test call: {:.1} s, {:.1} s speech in {} sentences, 2 non-speech events",
        samples.len() as f64 / RATE as f64,
        speech_s,
        SENTENCES.len()
    );
    let model = SileroModel::from_models_dir(&models)?;
    let scores = [
        evaluate("silero v5", model.new_vad(), &samples, &truth),
        evaluate("energy", EnergyVad::default(), &samples, &truth),
    ];
    println!("| VAD | frame acc. (p≥0.5) | segment acc. | speech recall | false alarm | segments | CPU ms per s audio |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for s in &scores {
        println!(
            "| {} | {:.1} % | {:.1} % | {:.1} % | {:.1} % | {} (truth {}) | {:.2} |",
            s.name,
            100.0 * s.frame_acc,
            100.0 * s.seg_acc,
            100.0 * s.seg_recall,
            100.0 * s.seg_false_alarm,
            s.segments,
            SENTENCES.len(),
            s.cpu_ms_per_s
        );
    }
    Ok(())
}
