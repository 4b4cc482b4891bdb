use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::*;

/// Replays scripted probabilities, one per 32 ms frame (silence after the script).
struct Scripted {
    probs: Vec<f32>,
    next: usize,
}

impl VoiceActivityDetector for Scripted {
    fn process(&mut self, _frame: &[i16]) -> f32 {
        let p = self.probs.get(self.next).copied().unwrap_or(0.0);
        self.next += 1;
        p
    }
    fn reset(&mut self) {
        self.next = 0;
    }
    fn frame_len(&self) -> usize {
        512
    }
}

fn script(spec: &[(f32, usize)]) -> VadTurnSegmenter {
    let probs = spec
        .iter()
        .flat_map(|&(p, n)| std::iter::repeat_n(p, n))
        .collect();
    VadTurnSegmenter::new(
        Box::new(Scripted { probs, next: 0 }),
        VadTurnConfig::default(),
    )
}

/// Pushes `ms` of (ignored) audio in 20 ms chunks; returns each event with
/// the stream time of the chunk that produced it.
fn run(
    s: &mut VadTurnSegmenter,
    ms: u64,
    hint_at: Option<(u64, &str)>,
) -> Vec<(u64, SegmentEvent)> {
    let mut out = Vec::new();
    let mut t = 0;
    while t < ms {
        if let Some((at, text)) = hint_at {
            if t == at {
                s.transcript_hint(text);
            }
        }
        t += 20;
        out.extend(
            s.push(&AudioChunk::new(vec![0; 320]))
                .into_iter()
                .map(|e| (t, e)),
        );
    }
    out
}

/// 320 ms silence, 1280 ms speech (320..1600), then silence.
const SPEECH: &[(f32, usize)] = &[(0.0, 10), (0.9, 40)];

#[test]
fn unknown_cue_ends_the_turn_after_the_medium_silence() {
    let events = run(&mut script(SPEECH), 3000, None);
    assert_eq!(
        events,
        vec![
            // Onset 320 minus 30 ms padding, once 200 ms of speech was heard.
            (560, SegmentEvent::SpeechStarted { at_ms: 290 }),
            // Three quiet frames (1600..1696): time to transcribe.
            (1700, SegmentEvent::Quiet { since_ms: 1600 }),
            // 200 ms of silence after 1600; end plus 30 ms padding.
            (1840, SegmentEvent::SpeechStopped { at_ms: 1630 }),
            // 1630 + 550 ms = 2180, decided at the next 32 ms frame (2208).
            (
                2220,
                SegmentEvent::TurnEnded {
                    speech_end_ms: 1630
                }
            ),
        ]
    );
}

#[test]
fn cues_shorten_or_lengthen_the_wait() {
    let ended_at = |text: &str| {
        run(&mut script(SPEECH), 4000, Some((1000, text)))
            .into_iter()
            .find(|(_, e)| matches!(e, SegmentEvent::TurnEnded { .. }))
            .map(|(t, _)| t)
    };
    // 1630 + 280 = 1910 → frame ending 1920; 1630 + 900 = 2530 → 2560.
    assert_eq!(ended_at("Mera order kahan hai?"), Some(1920));
    assert_eq!(ended_at("mera order number hai..."), Some(2560));
    assert_eq!(
        ended_at("hmm"),
        Some(1920),
        "a backchannel to a silent bot is an answer"
    );
    assert_eq!(ended_at("I want to return this shirt"), Some(2220));
}

#[test]
fn a_pause_inside_the_turn_is_not_its_end() {
    // Speech, 400 ms pause, more speech: one turn with a pause.
    let mut s = script(&[(0.0, 10), (0.9, 20), (0.0, 12), (0.9, 20)]);
    let events: Vec<_> = run(&mut s, 4000, None)
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    assert_eq!(
        events,
        vec![
            SegmentEvent::SpeechStarted { at_ms: 290 },
            SegmentEvent::Quiet { since_ms: 960 },
            SegmentEvent::SpeechStopped { at_ms: 990 },
            SegmentEvent::SpeechStarted { at_ms: 1314 },
            SegmentEvent::Quiet { since_ms: 1984 },
            SegmentEvent::SpeechStopped { at_ms: 2014 },
            SegmentEvent::TurnEnded {
                speech_end_ms: 2014
            },
        ]
    );
}

#[test]
fn short_gaps_between_words_are_not_quiet() {
    // Two quiet frames (64 ms) inside speech, then three (96 ms).
    let mut s = script(&[
        (0.0, 10),
        (0.9, 20),
        (0.0, 2),
        (0.9, 10),
        (0.0, 3),
        (0.9, 10),
    ]);
    let quiet: Vec<_> = run(&mut s, 3000, None)
        .into_iter()
        .filter(|(_, e)| matches!(e, SegmentEvent::Quiet { .. }))
        .collect();
    // 320 + 640 + 64 + 320 = 1344: the three-frame gap starts there and is
    // reported at its third frame (1440); the final silence after 1760 too.
    assert_eq!(
        quiet,
        vec![
            (1440, SegmentEvent::Quiet { since_ms: 1344 }),
            (1860, SegmentEvent::Quiet { since_ms: 1760 }),
        ]
    );
    let mut off = VadTurnSegmenter::new(
        Box::new(Scripted {
            probs: [0.0; 10].into_iter().chain([0.9; 40]).collect(),
            next: 0,
        }),
        VadTurnConfig {
            quiet_ms: 0,
            ..VadTurnConfig::default()
        },
    );
    assert!(run(&mut off, 3000, None)
        .iter()
        .all(|(_, e)| !matches!(e, SegmentEvent::Quiet { .. })));
}

#[test]
fn energy_vad_fallback_segments_tone_bursts() {
    let mut s = VadTurnSegmenter::from_model(None, VadTurnConfig::default());
    let tone = |ms: usize, amplitude: f64| {
        AudioChunk::new(
            (0..ms * 16)
                .map(|i| {
                    let v = amplitude
                        * (i as f64 * 2.0 * std::f64::consts::PI * 440.0 / 16_000.0).sin();
                    // Bounded by `amplitude` < 32768.
                    #[allow(clippy::cast_possible_truncation)]
                    let v = v as i16;
                    v
                })
                .collect(),
        )
    };
    let mut events = s.push(&tone(1000, 0.0));
    events.extend(s.push(&tone(800, 8000.0)));
    events.extend(s.push(&tone(1500, 0.0)));
    assert!(
        matches!(events.first(), Some(SegmentEvent::SpeechStarted { at_ms }) if (900..=1100).contains(at_ms)),
        "{events:?}"
    );
    assert!(
        matches!(events.last(), Some(SegmentEvent::TurnEnded { speech_end_ms }) if (1750..=2000).contains(speech_end_ms)),
        "{events:?}"
    );
}

#[test]
fn cue_table() {
    use TranscriptCue::*;
    for (text, cue) in [
        ("", Unknown),
        ("  ", Unknown),
        ("Where is my order?", Complete),
        ("Mera order 45678 hai.", Complete),
        ("order ka status batao", Complete),
        ("Mera order number hai...", Incomplete),
        ("mera order number hai", Incomplete),
        ("mera order number", Incomplete),
        ("I want to return this and", Incomplete),
        ("size badalna hai aur", Incomplete),
        ("haan", Backchannel),
        ("Okay.", Backchannel),
        ("haan ji", Backchannel),
        ("I want to return this shirt", Unknown),
        // Whole requests without punctuation, as Whisper writes phone audio.
        ("Where in my order 45,678", Complete),
        ("mera order 45678 kab aayega", Complete),
        ("I want to talk to a person", Complete),
        ("thank you so much", Complete),
        // Still reading the order number out.
        ("mera order number 4 5 6", Unknown),
    ] {
        assert_eq!(transcript_cue(text), cue, "{text:?}");
    }
}

fn models_dir() -> PathBuf {
    std::env::var_os("AWAAZ_MODELS_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models"),
        PathBuf::from,
    )
}

/// espeak-ng speech through a μ-law 8 kHz phone line, back at 16 kHz.
fn phone_speech(text: &str, dir: &Path) -> Option<Vec<i16>> {
    let wav = dir.join("speech.wav");
    let ulaw = dir.join("speech.ul.wav");
    let raw = dir.join("speech.raw");
    let ok = Command::new("espeak-ng")
        .args(["-v", "en-us", "-w"])
        .arg(&wav)
        .arg(text)
        .status()
        .is_ok_and(|s| s.success())
        && Command::new("sox")
            .arg(&wav)
            .args(["-r", "8000", "-c", "1", "-e", "u-law"])
            .arg(&ulaw)
            .status()
            .is_ok_and(|s| s.success())
        && Command::new("sox")
            .arg(&ulaw)
            .args(["-r", "16000", "-e", "signed", "-b", "16", "-t", "raw"])
            .arg(&raw)
            .status()
            .is_ok_and(|s| s.success());
    ok.then(|| std::fs::read(&raw).ok())
        .flatten()
        .map(|b| AudioChunk::from_le_bytes(&b).samples)
}

#[test]
fn silero_segmenter_on_espeak_speech() {
    let models = models_dir();
    let model = match SileroModel::from_models_dir(&models) {
        Ok(m) => m,
        Err(e) if !models.join("silero-vad").is_dir() => {
            eprintln!(
                "SKIPPED: no Silero model in {} ({e}); run `just models`",
                models.display()
            );
            return;
        }
        Err(e) => panic!("the Silero model is present but does not load: {e}"),
    };
    let dir = std::env::temp_dir().join(format!("awaaz-call-vad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let speech = phone_speech("Where is my order? I ordered a blue shirt last week.", &dir)
        .expect("espeak-ng and sox are installed (see docs/models.md)");
    let _ = std::fs::remove_dir_all(&dir);
    let speech_ms = speech.len() as u64 / 16;
    let mut s = VadTurnSegmenter::from_model(Some(&model), VadTurnConfig::default());
    let mut audio = vec![0i16; 16 * 500];
    audio.extend(&speech);
    audio.extend(vec![0i16; 16 * 1500]);
    let mut events = Vec::new();
    let mut slowest = Duration::ZERO;
    let started = Instant::now();
    for chunk in audio.chunks(320) {
        let t = Instant::now();
        events.extend(s.push(&AudioChunk::new(chunk.to_vec())));
        slowest = slowest.max(t.elapsed());
    }
    let per_frame = started.elapsed() / u32::try_from(audio.len() / 512).unwrap();
    eprintln!("silero segmenter: {per_frame:?} per 32 ms frame, slowest 20 ms chunk {slowest:?}");
    // Generous for a loaded 2-core box; measured ≈ 0.1–0.3 ms.
    assert!(
        per_frame < Duration::from_millis(5),
        "{per_frame:?} per frame"
    );
    let first = events.first().copied();
    assert!(
        matches!(first, Some(SegmentEvent::SpeechStarted { at_ms }) if (400..=800).contains(&at_ms)),
        "{events:?}"
    );
    let ends: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            SegmentEvent::TurnEnded { speech_end_ms } => Some(*speech_end_ms),
            _ => None,
        })
        .collect();
    let end = *ends.last().expect("the turn ends in the trailing silence");
    let true_end = 500 + speech_ms;
    assert!(
        end + 250 >= true_end && end <= true_end + 100,
        "speech ended at {end} ms, audio at {true_end} ms: {events:?}"
    );
}
