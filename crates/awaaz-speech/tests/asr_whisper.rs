//! The embedded Whisper recogniser on generated speech (espeak-ng / festival,
//! through a μ-law 8 kHz phone line and back), plus the recogniser contract
//! run against the scripted fake and the real engine.
//!
//! Real-model tests skip (with a message) only when the model directory is
//! missing; `just test` fetches it first with `just models`.
#![cfg(feature = "whisper")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use awaaz_audio::AudioChunk;
use awaaz_speech::asr::{LanguagePolicy, WhisperConfig};
use awaaz_speech::{
    RecognitionHints, RecognitionStream, ScriptedRecognizer, SpeechLanguage, SpeechRecognizer,
    Transcript, WhisperModel, WhisperRecognizer,
};

fn models_dir() -> PathBuf {
    std::env::var_os("AWAAZ_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models"))
}

/// The shared whisper-base model, loaded once for all tests in this binary.
fn model() -> Option<WhisperModel> {
    static MODEL: OnceLock<Option<WhisperModel>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let dir = models_dir().join("whisper-base");
            if !dir.join("model.bin").exists() {
                eprintln!(
                    "SKIP: {} is missing; run `just models` to fetch whisper-base",
                    dir.display()
                );
                return None;
            }
            Some(WhisperModel::load(&dir).expect("whisper-base loads"))
        })
        .clone()
}

/// Which synthetic voice speaks a test sentence.
#[derive(Debug, Clone, Copy)]
enum Tts {
    EspeakEn,
    EspeakHi,
    FestivalHi,
}

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?} failed to start: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Speech for `text`, as a phone line delivers it: μ-law 8 kHz, then back
/// to 16 kHz PCM16.
fn phone_speech(text: &str, tts: Tts) -> Vec<i16> {
    let dir = tempfile::tempdir().expect("temp dir");
    let raw = dir.path().join("raw.wav");
    match tts {
        Tts::EspeakEn => run(Command::new("espeak-ng")
            .args(["-v", "en-us", "-s", "160", "-w"])
            .arg(&raw)
            .arg(text)),
        Tts::EspeakHi => run(Command::new("espeak-ng")
            .args(["-v", "hi", "-s", "150", "-w"])
            .arg(&raw)
            .arg(text)),
        Tts::FestivalHi => {
            let txt = dir.path().join("text.txt");
            std::fs::write(&txt, text).expect("write text");
            run(Command::new("text2wave")
                .args([
                    "-eval",
                    "(voice_hindi_NSK_diphone)",
                    "-eval",
                    "(Parameter.set 'Int_Method 'DuffInt)",
                ])
                .arg(&txt)
                .arg("-o")
                .arg(&raw));
        }
    }
    let line = dir.path().join("line.wav");
    let back = dir.path().join("back.wav");
    // `-D`: no dither, so the same text gives the same audio on every run.
    run(Command::new("sox")
        .arg("-D")
        .arg(&raw)
        .args(["-r", "8000", "-c", "1", "-e", "mu-law"])
        .arg(&line));
    run(Command::new("sox")
        .arg("-D")
        .arg(&line)
        .args(["-r", "16000", "-c", "1", "-e", "signed", "-b", "16"])
        .arg(&back));
    let mut reader = hound::WavReader::open(&back).expect("read wav");
    assert_eq!(reader.spec().sample_rate, 16_000);
    reader
        .samples::<i16>()
        .collect::<Result<_, _>>()
        .expect("samples")
}

fn silence(ms: usize) -> Vec<i16> {
    vec![0; ms * 16]
}

/// Feeds `audio` in 20 ms chunks, asking for partials every 100 ms. With
/// `realtime` it paces like a live caller, so background partials can run.
/// Returns the final transcript, the time `finish` took and when the first
/// partial arrived (relative to the first audio).
async fn recognise(
    asr: &dyn SpeechRecognizer,
    hints: &RecognitionHints,
    audio: &[i16],
    realtime: bool,
) -> (Transcript, Duration, Option<Duration>) {
    let mut stream: Box<dyn RecognitionStream> = asr.start(hints).await.expect("start");
    let began = Instant::now();
    let mut first_partial = None;
    for (i, chunk) in audio.chunks(320).enumerate() {
        stream
            .push(&AudioChunk::new(chunk.to_vec()))
            .await
            .expect("push");
        if i % 5 == 4 {
            if let Some(p) = stream.partial().await.expect("partial") {
                assert!(!p.is_final);
                first_partial.get_or_insert(began.elapsed());
            }
        }
        if realtime {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let finish_started = Instant::now();
    let transcript = stream.finish().await.expect("finish");
    (transcript, finish_started.elapsed(), first_partial)
}

fn shop_hints() -> RecognitionHints {
    RecognitionHints {
        vocabulary: ["kurta", "saree", "order", "refund", "return", "delivery"]
            .map(String::from)
            .to_vec(),
        language: None,
    }
}

// ---- contract: every recogniser, fake or real ----

async fn contract_empty_utterance_is_an_empty_final(asr: &dyn SpeechRecognizer) {
    let mut stream = asr
        .start(&RecognitionHints::default())
        .await
        .expect("start");
    assert_eq!(stream.partial().await.expect("partial"), None);
    let t = stream.finish().await.expect("finish");
    assert_eq!(
        t,
        Transcript {
            text: String::new(),
            language: None,
            is_final: true
        }
    );
}

#[tokio::test]
async fn contract_scripted() {
    contract_empty_utterance_is_an_empty_final(&ScriptedRecognizer::new(Vec::<String>::new()))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_whisper() {
    let Some(model) = model() else { return };
    contract_empty_utterance_is_an_empty_final(&WhisperRecognizer::new(model)).await;
}

// ---- the real engine ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn english_order_sentence_over_a_phone_line() {
    let Some(model) = model() else { return };
    let asr = WhisperRecognizer::new(model);
    let mut audio = silence(200);
    audio.extend(phone_speech(
        "Hello, I want to know where my order for the blue kurta is.",
        Tts::EspeakEn,
    ));
    // The caller's VAD ends the turn after some trailing silence.
    audio.extend(silence(500));
    let speech_ms = audio.len() / 16;

    let (t, finish, first_partial) = recognise(&asr, &shop_hints(), &audio, true).await;
    eprintln!(
        "english {speech_ms} ms realtime: finish {} ms, first partial {:?} ms, text {:?}",
        finish.as_millis(),
        first_partial.map(|d| d.as_millis()),
        t.text
    );
    let lower = t.text.to_lowercase();
    assert!(t.is_final);
    assert_eq!(t.language, Some(SpeechLanguage::English));
    assert!(lower.contains("order"), "{:?}", t.text);
    assert!(
        lower.contains("kurta") || lower.contains("blue"),
        "{:?}",
        t.text
    );
    assert!(first_partial.is_some(), "a live caller gets partials");

    // The same utterance pushed at once: `finish` decodes everything.
    let (cold, cold_finish, _) = recognise(&asr, &shop_hints(), &audio, false).await;
    eprintln!(
        "english {speech_ms} ms cold finish: {} ms, text {:?}",
        cold_finish.as_millis(),
        cold.text
    );
    assert!(
        cold.text.to_lowercase().contains("order"),
        "{:?}",
        cold.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_and_line_hiss_give_empty_text() {
    let Some(model) = model() else { return };
    let asr = WhisperRecognizer::new(model);
    let (t, _, _) = recognise(&asr, &shop_hints(), &silence(2_000), false).await;
    assert_eq!(t.text, "");
    assert_eq!(t.language, None);

    // Quiet noise (about −50 dBFS), like an open phone line.
    let mut seed = 0x2545_f491_u32;
    let hiss: Vec<i16> = (0..32_000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            i16::try_from(seed % 201).unwrap_or(0) - 100
        })
        .collect();
    let (t, _, _) = recognise(&asr, &shop_hints(), &hiss, false).await;
    assert_eq!(t.text, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hindi_speech_is_decoded_as_hindi() {
    let Some(model) = model() else { return };
    let asr = WhisperRecognizer::new(model);
    let audio = phone_speech("मेरा ऑर्डर कहाँ है? मुझे रिफंड चाहिए।", Tts::FestivalHi);
    let (t, finish, _) = recognise(&asr, &RecognitionHints::default(), &audio, false).await;
    eprintln!(
        "hindi {} ms: finish {} ms, language {:?}, text {:?}",
        audio.len() / 16,
        finish.as_millis(),
        t.language,
        t.text
    );
    assert_eq!(t.language, Some(SpeechLanguage::Hindi));
    assert!(!t.text.is_empty());
    // Hindi decoding writes Devanagari or Urdu script, never a Latin translation.
    assert!(
        t.text
            .chars()
            .any(|c| matches!(c, '\u{0900}'..='\u{097F}' | '\u{0600}'..='\u{06FF}')),
        "{:?}",
        t.text
    );
}

/// Accuracy report over synthetic English, Hinglish and Hindi under each
/// language policy. Slow; run by hand:
/// `cargo test -p awaaz-speech --test asr_whisper -- --ignored --nocapture language_report`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow measurement, run by hand"]
async fn language_report() {
    let Some(model) = model() else { return };
    let dir = models_dir().join("whisper-base");
    let cases: &[(&str, Tts, &str)] = &[
        (
            "en",
            Tts::EspeakEn,
            "I want to cancel my order for the red saree.",
        ),
        (
            "en",
            Tts::EspeakEn,
            "My order number is 4 5 7 2, when will it be delivered?",
        ),
        (
            "en",
            Tts::EspeakEn,
            "Please give me a refund for the blue kurta.",
        ),
        (
            "hinglish",
            Tts::EspeakEn,
            "Mera order kab aayega? Mujhe blue kurta chahiye.",
        ),
        (
            "hinglish",
            Tts::EspeakHi,
            "मेरा order कब आएगा? मुझे blue kurta चाहिए।",
        ),
        (
            "hinglish",
            Tts::FestivalHi,
            "मेरा ऑर्डर कब आएगा? मुझे ब्लू कुर्ता चाहिए।",
        ),
        ("hi", Tts::EspeakHi, "मेरा ऑर्डर कहाँ है? मुझे रिफंड चाहिए।"),
        ("hi", Tts::FestivalHi, "मेरा ऑर्डर कहाँ है? मुझे रिफंड चाहिए।"),
        ("hi", Tts::FestivalHi, "मैं अपना ऑर्डर रद्द करना चाहता हूँ।"),
    ];
    let policies = [
        ("detect(prefer-en)", None, LanguagePolicy::PreferEnglish),
        ("detect(hi>=0.3)", None, LanguagePolicy::HindiWhenLikely),
        (
            "forced en",
            Some(SpeechLanguage::English),
            LanguagePolicy::PreferEnglish,
        ),
        (
            "forced hi",
            Some(SpeechLanguage::Hindi),
            LanguagePolicy::PreferEnglish,
        ),
    ];
    let audio: Vec<Vec<i16>> = cases
        .iter()
        .map(|(_, tts, text)| phone_speech(text, *tts))
        .collect();
    for (name, language, policy) in policies {
        let config = WhisperConfig::default().with_language_policy(policy);
        let config = if policy == LanguagePolicy::HindiWhenLikely {
            config.with_hindi_threshold(0.3)
        } else {
            config
        };
        let asr = if policy == LanguagePolicy::PreferEnglish {
            WhisperRecognizer::new(model.clone())
        } else {
            WhisperRecognizer::new(WhisperModel::load_with(&dir, config).expect("load"))
        };
        for ((kind, tts, text), pcm) in cases.iter().zip(&audio) {
            let hints = RecognitionHints {
                language,
                ..shop_hints()
            };
            let (t, finish, _) = recognise(&asr, &hints, pcm, false).await;
            eprintln!(
                "{name:18} {kind:8} {tts:?} {:5} ms audio {:4} ms {:?} | ref {text:?} | got {:?}",
                pcm.len() / 16,
                finish.as_millis(),
                t.language,
                t.text
            );
        }
    }
}

// ---- scheduling: pause decodes, best-effort partials ----

/// A model of its own: these tests count decodes and open utterances, which
/// other tests sharing [`model`] would change under them.
fn own_model() -> Option<WhisperModel> {
    model()?;
    Some(WhisperModel::load(models_dir().join("whisper-base")).expect("whisper-base loads"))
}

/// Pushes `audio` in 20 ms chunks without pacing or partials.
async fn push_all(stream: &mut dyn RecognitionStream, audio: &[i16]) {
    for chunk in audio.chunks(320) {
        stream
            .push(&AudioChunk::new(chunk.to_vec()))
            .await
            .expect("push");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_decode_is_reused_as_the_final_transcript() {
    let Some(model) = own_model() else { return };
    let asr = WhisperRecognizer::new(model.clone());
    let mut stream = asr.open(&shop_hints());
    let mut audio = silence(200);
    audio.extend(phone_speech("Where is my order?", Tts::EspeakEn));
    audio.extend(silence(200));
    push_all(&mut stream, &audio).await;

    let before = model.decodes_run();
    stream.pause().await.expect("pause");
    tokio::time::timeout(Duration::from_secs(30), stream.decoded())
        .await
        .expect("the pause decode finishes")
        .expect("decode");
    assert_eq!(model.decodes_run(), before + 1, "one decode for the pause");
    let partial = stream
        .partial()
        .await
        .expect("partial")
        .expect("the pause decode's text");
    assert!(!partial.is_final);
    assert!(
        partial.text.to_lowercase().contains("order"),
        "{:?}",
        partial.text
    );

    // Only silence after the pause: the final is the pause's decode.
    push_all(&mut stream, &silence(400)).await;
    let fin = stream.finish().await.expect("finish");
    assert!(fin.is_final);
    assert_eq!(fin.text, partial.text);
    assert_eq!(
        model.decodes_run(),
        before + 1,
        "finish decoded nothing new"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partials_yield_to_another_speaking_caller_but_pauses_do_not() {
    let Some(model) = own_model() else { return };
    let asr = WhisperRecognizer::new(model.clone());
    let speech = phone_speech("Do you have the blue kurta in medium?", Tts::EspeakEn);
    let mut first = asr.open(&shop_hints());
    let mut second = asr.open(&shop_hints());
    push_all(&mut second, &speech).await;
    push_all(&mut first, &speech).await;

    let before = model.decodes_run();
    for _ in 0..5 {
        assert_eq!(first.partial().await.expect("partial"), None);
    }
    // Nothing can finish in time if nothing was started.
    let idle = tokio::time::timeout(Duration::from_millis(300), first.decoded()).await;
    assert!(
        idle.is_err(),
        "no best-effort decode while another caller speaks"
    );
    assert_eq!(model.decodes_run(), before);

    first.pause().await.expect("pause");
    tokio::time::timeout(Duration::from_secs(30), first.decoded())
        .await
        .expect("the pause decode runs anyway")
        .expect("decode");
    assert_eq!(model.decodes_run(), before + 1);
    let text = first.partial().await.expect("partial").expect("text").text;
    assert!(text.to_lowercase().contains("medium"), "{text:?}");

    // The other caller hangs up: the remaining stream may decode partials.
    drop(second);
    push_all(&mut first, &phone_speech("and in red", Tts::EspeakEn)).await;
    assert_eq!(model.open_utterances(), 1);
    let _ = first.partial().await.expect("partial");
    tokio::time::timeout(Duration::from_secs(30), first.decoded())
        .await
        .expect("a best-effort partial ran once alone")
        .expect("decode");
    assert_eq!(model.decodes_run(), before + 2);
}
