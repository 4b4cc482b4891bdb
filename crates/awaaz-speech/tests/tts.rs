//! Synthesis with the real voices (`just models` first) and the fake.
//!
//! `cargo test -p awaaz-speech --test tts` runs the checks;
//! `cargo test -p awaaz-speech --test tts -- --ignored --nocapture tts_latency_report`
//! prints the numbers recorded in docs/benchmarks.md ("TTS").
#![cfg(all(feature = "piper", feature = "test-support"))]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use awaaz_audio::AudioChunk;
use awaaz_speech::tts::{
    onnx_environment, EmbeddedSynthesizer, EspeakVoice, PiperVoice, SilentSynthesizer,
};
use awaaz_speech::{SpeechSynthesizer, Voice};

/// The models directory, or `None` (with a message) when it is missing.
fn models() -> Option<PathBuf> {
    let dir = std::env::var_os("AWAAZ_MODELS_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models"),
        PathBuf::from,
    );
    if dir.join("piper-en-us-joe/en_US-joe-medium.onnx").exists() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: no Piper voice under {} — run `just models`",
            dir.display()
        );
        None
    }
}

fn synthesizer(dir: &std::path::Path) -> EmbeddedSynthesizer {
    let env = onnx_environment(Some(&dir.join("onnxruntime/libonnxruntime.so")))
        .expect("onnx runtime loads");
    EmbeddedSynthesizer::load(&env, dir).expect("piper voice loads")
}

fn rms(a: &AudioChunk) -> f64 {
    let sum: f64 = a.samples.iter().map(|s| f64::from(*s).powi(2)).sum();
    (sum / a.samples.len().max(1) as f64).sqrt()
}

#[test]
fn piper_ids_for_a_sentence_follow_piper() {
    let Some(dir) = models() else { return };
    let env = onnx_environment(Some(&dir.join("onnxruntime/libonnxruntime.so"))).unwrap();
    let voice = PiperVoice::load(&env, &dir.join("piper-en-us-joe/en_US-joe-medium.onnx")).unwrap();
    let phonemes = voice.phonemize("Hello, world.").unwrap();
    assert_eq!(phonemes, "həlˈoʊ, wˈɜːld.");
    let ids = voice.config().phoneme_ids(&phonemes);
    // ^ _ then 15 phonemes each followed by _, then $.
    assert_eq!(ids.len(), 2 + 15 * 2 + 1);
    assert_eq!((ids[0], ids[1], ids[ids.len() - 1]), (1, 0, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn english_sentence_is_audible_with_a_plausible_duration() {
    let Some(dir) = models() else { return };
    let tts = synthesizer(&dir);
    let mut stream = tts
        .synthesize("Your order will arrive tomorrow.", Voice::English)
        .await
        .unwrap();
    let (text, audio) = stream.next().await.unwrap().unwrap();
    assert_eq!(text, "Your order will arrive tomorrow.");
    let ms = audio.duration_ms();
    assert!((1_000..=3_500).contains(&ms), "duration {ms} ms");
    assert!(rms(&audio) > 1_000.0, "rms {}", rms(&audio));
    assert!(stream.next().await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hindi_sentence_is_audible() {
    let Some(dir) = models() else { return };
    let tts = synthesizer(&dir);
    let mut stream = tts
        .synthesize("आपका ऑर्डर कल तक पहुँच जाएगा।", Voice::Hindi)
        .await
        .unwrap();
    let (_, audio) = stream.next().await.unwrap().unwrap();
    let ms = audio.duration_ms();
    assert!((1_000..=5_000).contains(&ms), "duration {ms} ms");
    assert!(rms(&audio) > 500.0, "rms {}", rms(&audio));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_stream_clause_by_clause_with_speakable_text() {
    let Some(dir) = models() else { return };
    let tts = synthesizer(&dir);
    let started = Instant::now();
    let mut stream = tts
        .synthesize(
            "Aapka ORD-45678 dispatch ho gaya hai. Refund of ₹1,499 kal tak aa jayega.",
            Voice::English,
        )
        .await
        .unwrap();
    let (first, audio) = stream.next().await.unwrap().unwrap();
    let first_audio = started.elapsed();
    assert_eq!(first, "Aapka order 4 5 6 7 8 dispatch ho gaya hai.");
    assert!(audio.duration_ms() > 1_000);
    let (second, audio) = stream.next().await.unwrap().unwrap();
    assert_eq!(second, "Refund of 1499 rupees kal tak aa jayega.");
    assert!(audio.duration_ms() > 1_000);
    assert!(stream.next().await.unwrap().is_none());
    eprintln!("first clause audio after {first_audio:?}");
    // Generous bound for a loaded 2-core CI machine in the dev profile.
    assert!(first_audio < Duration::from_secs(3), "{first_audio:?}");
}

#[tokio::test]
async fn silent_synthesizer_makes_audio_proportional_to_text() {
    let tts = SilentSynthesizer::with_ms_per_char(50);
    let mut stream = tts
        .synthesize("Hello there. Bye!", Voice::Hindi)
        .await
        .unwrap();
    let (text, audio) = stream.next().await.unwrap().unwrap();
    assert_eq!(
        (text.as_str(), audio.samples.len()),
        ("Hello there.", 12 * 800)
    );
    assert!(audio.samples.iter().all(|s| *s == 0));
    let (text, audio) = stream.next().await.unwrap().unwrap();
    assert_eq!((text.as_str(), audio.duration_ms()), ("Bye!", 200));
    assert!(stream.next().await.unwrap().is_none());
    assert_eq!(
        tts.spoken(),
        vec![("Hello there. Bye!".to_owned(), Voice::Hindi)]
    );
}

/// Time to first audio and real-time factor for typical two-sentence replies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --nocapture"]
async fn tts_latency_report() {
    let Some(dir) = models() else { return };
    let tts = Arc::new(synthesizer(&dir));
    let replies = [
        (
            "English",
            Voice::English,
            "Your order ORD-45678 was shipped today. It should reach you by Friday.",
        ),
        (
            "Hinglish",
            Voice::English,
            "Aapka order ORD-45678 aaj ship ho gaya hai. Friday tak pahunch jayega.",
        ),
        (
            "Hindi",
            Voice::Hindi,
            "आपका ऑर्डर आज भेज दिया गया है। शुक्रवार तक पहुँच जाएगा।",
        ),
    ];
    // Warm up: first inference allocates ONNX Runtime's buffers.
    let mut s = tts.synthesize("Warm up.", Voice::English).await.unwrap();
    while s.next().await.unwrap().is_some() {}

    let espeak_ms = {
        let e = awaaz_speech::tts::espeak::Espeak::new();
        let t = Instant::now();
        for _ in 0..20 {
            e.phonemes("Your order was shipped today.", "en-us")
                .unwrap();
        }
        t.elapsed().as_secs_f64() * 1000.0 / 20.0
    };
    println!("espeak-ng --ipa subprocess per clause: {espeak_ms:.1} ms");
    for (name, voice, text) in replies {
        let runs = 10;
        let mut first = Vec::new();
        let mut total = Duration::ZERO;
        let mut audio_ms = 0u64;
        for _ in 0..runs {
            let t = Instant::now();
            let mut s = tts.synthesize(text, voice).await.unwrap();
            let mut n = 0;
            while let Some((_, a)) = s.next().await.unwrap() {
                if n == 0 {
                    first.push(t.elapsed());
                }
                n += 1;
                audio_ms += a.duration_ms();
            }
            total += t.elapsed();
        }
        first.sort();
        let p50 = first[runs / 2];
        let max = first[runs - 1];
        let rtf = total.as_secs_f64() * 1000.0 / audio_ms as f64;
        println!(
            "{name}: time to first audio p50 {:.0} ms, max {:.0} ms; reply audio {:.2} s; RTF {rtf:.3} (wall incl. lookahead)",
            p50.as_secs_f64() * 1000.0,
            max.as_secs_f64() * 1000.0,
            audio_ms as f64 / runs as f64 / 1000.0
        );
    }
    let _ = EspeakVoice::hindi();
}
