//! The embedded speech engines, loaded once for the whole process (the
//! softphone and `awaaz simulate` share this).

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context as _};

/// Loads Whisper and the Piper/espeak-ng voice from the models directory.
pub(crate) async fn load_speech(
    models: &Path,
) -> anyhow::Result<(
    Arc<dyn awaaz_speech::SpeechRecognizer>,
    Arc<dyn awaaz_speech::SpeechSynthesizer>,
)> {
    if !models.join("whisper-base").is_dir() {
        bail!(
            "no speech models in {} (run `just models`, or set AWAAZ_MODELS_DIR)",
            models.display()
        );
    }
    let dir = models.to_path_buf();
    let (whisper, voice) = tokio::task::spawn_blocking(move || {
        let whisper = awaaz_speech::WhisperModel::load(dir.join("whisper-base"))
            .context("cannot load the Whisper model")?;
        let env = awaaz_speech::tts::onnx_environment(None).context("cannot load ONNX Runtime")?;
        let voice = awaaz_speech::tts::EmbeddedSynthesizer::load(&env, &dir)
            .context("cannot load the Piper voice")?;
        anyhow::Ok((whisper, voice))
    })
    .await
    .context("model loading panicked")??;
    let recognizer: Arc<dyn awaaz_speech::SpeechRecognizer> =
        Arc::new(awaaz_speech::WhisperRecognizer::new(whisper));
    let synthesizer: Arc<dyn awaaz_speech::SpeechSynthesizer> = Arc::new(voice);
    warm_up(recognizer.as_ref(), synthesizer.as_ref()).await;
    Ok((recognizer, synthesizer))
}

/// Runs one decode and one synthesis of each voice before the first call:
/// the first Whisper pass JIT-compiles oneDNN kernels and the first Piper
/// run sizes ONNX Runtime's buffers, which otherwise cost the first caller
/// seconds. Failures are logged; the engines still serve.
async fn warm_up(
    recognizer: &dyn awaaz_speech::SpeechRecognizer,
    synthesizer: &dyn awaaz_speech::SpeechSynthesizer,
) {
    let started = std::time::Instant::now();
    // 1.5 s of a gliding tone, loud enough not to count as silence.
    let rate = f64::from(awaaz_audio::SAMPLE_RATE_HZ);
    let samples: Vec<i16> = (0..24_000u32)
        .map(|i| {
            let t = f64::from(i) / rate;
            let phase = std::f64::consts::TAU * (220.0 + 80.0 * t) * t;
            // Bounded by the 6000 amplitude: the cast cannot truncate.
            #[allow(clippy::cast_possible_truncation)]
            let sample = (6000.0 * phase.sin()) as i16;
            sample
        })
        .collect();
    let decoded = async {
        let mut stream = recognizer
            .start(&awaaz_speech::RecognitionHints::default())
            .await?;
        stream.push(&awaaz_audio::AudioChunk::new(samples)).await?;
        stream.finish().await
    }
    .await;
    if let Err(e) = decoded {
        tracing::warn!(error = %e, "recogniser warm-up failed");
    }
    for (text, voice) in [
        ("Hello.", awaaz_speech::Voice::English),
        ("नमस्ते।", awaaz_speech::Voice::Hindi),
    ] {
        let spoken = async {
            let mut stream = synthesizer.synthesize(text, voice).await?;
            while stream.next().await?.is_some() {}
            Ok::<(), awaaz_speech::SpeechError>(())
        }
        .await;
        if let Err(e) = spoken {
            tracing::warn!(error = %e, "synthesiser warm-up failed");
        }
    }
    tracing::info!(
        ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "speech engines warmed up"
    );
}
