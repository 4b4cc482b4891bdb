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
    Ok((
        Arc::new(awaaz_speech::WhisperRecognizer::new(whisper)),
        Arc::new(voice),
    ))
}
