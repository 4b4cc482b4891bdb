//! The shared Whisper model: CTranslate2 weights, tokenizer and mel filters,
//! loaded once and used from blocking threads by every call's stream.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ct2rs::sys::{self, ComputeType, Device, StorageView, WhisperOptions};
use ct2rs::tokenizers::hf;
use ct2rs::Tokenizer as _;

use super::guard;
use super::mel::MelExtractor;
use super::{LanguagePolicy, WhisperConfig};
use crate::{SpeechError, SpeechLanguage};

const ENGINE: &str = "whisper";
const SAMPLE_RATE_HZ: usize = 16_000;
/// Whisper's encoder takes at most 30 s (3000 frames).
const MAX_FRAMES: usize = 3_000;

/// Languages whose detection counts as "Hindi-like" speech: Hindustani is
/// often detected as Urdu, and Hindi from synthetic or accented voices
/// sometimes as Marathi, Nepali or Punjabi.
const HINDI_LIKE: &[&str] = &["<|hi|>", "<|ur|>", "<|mr|>", "<|ne|>", "<|pa|>"];

/// A CTranslate2 Whisper model (int8 on CPU), cheap to clone: the weights are
/// behind an `Arc` and loaded once.
#[derive(Clone)]
pub struct WhisperModel {
    inner: Arc<Inner>,
}

struct Inner {
    whisper: sys::Whisper,
    tokenizer: hf::Tokenizer,
    mel: MelExtractor,
    config: WhisperConfig,
    path: PathBuf,
    /// Decodes running or queued on this model; partial decodes only start
    /// when it is idle so they never delay another call's final result.
    busy: AtomicUsize,
    /// Utterances being recognised now (open streams), across all calls.
    utterances: AtomicUsize,
    /// Decodes run since loading (skipped silent ones included).
    decodes: AtomicU64,
}

impl std::fmt::Debug for WhisperModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhisperModel")
            .field("path", &self.inner.path)
            .field("multilingual", &self.inner.whisper.is_multilingual())
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// What one decode should do.
#[derive(Debug, Clone, Default)]
pub(crate) struct DecodeRequest {
    /// Decode in this language; `None` detects it (multilingual models).
    pub(crate) language: Option<SpeechLanguage>,
    /// Token strings of the initial prompt (vocabulary bias), without specials.
    pub(crate) prompt: Vec<String>,
}

/// One decode's result, before it becomes a [`crate::Transcript`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decoded {
    /// Guarded text (may be empty).
    pub(crate) text: String,
    /// The language decoded in, `None` when nothing was decoded.
    pub(crate) language: Option<SpeechLanguage>,
    /// Samples of audio this decode covered.
    pub(crate) samples: usize,
    /// Wall time of the decode.
    pub(crate) elapsed: Duration,
}

/// Held while a decode runs; releases the model's busy count on drop.
pub(crate) struct BusyGuard {
    model: WhisperModel,
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.model.inner.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Held by a stream while it recognises an utterance.
pub(crate) struct UtteranceGuard {
    model: WhisperModel,
}

impl std::fmt::Debug for UtteranceGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UtteranceGuard")
    }
}

impl Drop for UtteranceGuard {
    fn drop(&mut self) {
        self.model.inner.utterances.fetch_sub(1, Ordering::AcqRel);
    }
}

fn load_error(path: &Path, reason: impl std::fmt::Display) -> SpeechError {
    SpeechError::Load {
        what: "whisper model",
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

fn inference_error(reason: impl std::fmt::Display) -> SpeechError {
    SpeechError::Inference {
        engine: ENGINE,
        reason: reason.to_string(),
    }
}

impl WhisperModel {
    /// Loads a CTranslate2 Whisper model directory (`model.bin`,
    /// `tokenizer.json`, `preprocessor_config.json`) with the default config
    /// (int8, 2 threads).
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, SpeechError> {
        Self::load_with(dir, WhisperConfig::default())
    }

    /// Loads the model in `$AWAAZ_MODELS_DIR/whisper-base` (default
    /// `./models/whisper-base`).
    pub fn load_default() -> Result<Self, SpeechError> {
        Self::load(default_dir())
    }

    /// Loads a model directory with an explicit configuration.
    pub fn load_with(dir: impl AsRef<Path>, config: WhisperConfig) -> Result<Self, SpeechError> {
        let path = dir.as_ref().to_path_buf();
        let ct2_config = sys::Config {
            device: Device::CPU,
            compute_type: ComputeType::INT8,
            num_threads_per_replica: config.threads.max(1),
            ..sys::Config::default()
        };
        let whisper = sys::Whisper::new(&path, ct2_config).map_err(|e| load_error(&path, e))?;
        let mut tokenizer = hf::Tokenizer::new(&path).map_err(|e| load_error(&path, e))?;
        // The prompt is tokenised bare; the decoder's special tokens are added by hand.
        tokenizer.disable_spacial_token();
        let mel = load_mel(&path)?;
        if mel.n_mels() != whisper.n_mels() {
            return Err(load_error(
                &path,
                format!(
                    "preprocessor has {} mel bands, model expects {}",
                    mel.n_mels(),
                    whisper.n_mels()
                ),
            ));
        }
        tracing::info!(
            path = %path.display(),
            multilingual = whisper.is_multilingual(),
            threads = config.threads,
            "whisper model loaded"
        );
        Ok(Self {
            inner: Arc::new(Inner {
                whisper,
                tokenizer,
                mel,
                config,
                path,
                busy: AtomicUsize::new(0),
                utterances: AtomicUsize::new(0),
                decodes: AtomicU64::new(0),
            }),
        })
    }

    /// Whether the model knows languages other than English.
    pub fn is_multilingual(&self) -> bool {
        self.inner.whisper.is_multilingual()
    }

    /// The configuration it was loaded with.
    pub fn config(&self) -> &WhisperConfig {
        &self.inner.config
    }

    /// Marks the model busy for one decode (finals always get a slot; they
    /// queue on the CTranslate2 replica).
    pub(crate) fn reserve(&self) -> BusyGuard {
        self.inner.busy.fetch_add(1, Ordering::AcqRel);
        BusyGuard {
            model: self.clone(),
        }
    }

    /// Like [`Self::reserve`] but refuses while any other decode is running
    /// or queued, or while another utterance is being recognised: partials
    /// are best-effort, and a decode cannot be interrupted, so one started
    /// now would hold up another caller's pause or final decode for its
    /// whole length.
    pub(crate) fn reserve_if_uncontended(&self) -> Option<BusyGuard> {
        if self.inner.utterances.load(Ordering::Acquire) > 1 {
            return None;
        }
        self.inner
            .busy
            .compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire)
            .ok()?;
        Some(BusyGuard {
            model: self.clone(),
        })
    }

    /// Counts an utterance as open until the guard is dropped.
    pub(crate) fn open_utterance(&self) -> UtteranceGuard {
        self.inner.utterances.fetch_add(1, Ordering::AcqRel);
        UtteranceGuard {
            model: self.clone(),
        }
    }

    /// Utterances being recognised now, across all streams of this model.
    pub fn open_utterances(&self) -> usize {
        self.inner.utterances.load(Ordering::Acquire)
    }

    /// Decodes run on this model since it was loaded (partial, pause and
    /// final decodes alike, silent audio that was skipped included).
    pub fn decodes_run(&self) -> u64 {
        self.inner.decodes.load(Ordering::Acquire)
    }

    /// Byte-level BPE tokens of `text` for use as an initial prompt.
    pub(crate) fn prompt_tokens(&self, text: &str) -> Vec<String> {
        if text.trim().is_empty() {
            return Vec::new();
        }
        match self.inner.tokenizer.encode(&format!(" {}", text.trim())) {
            Ok(tokens) => {
                let mut tokens: Vec<String> =
                    tokens.into_iter().filter(|t| !is_special(t)).collect();
                // Whisper keeps at most half its 448-token context for the prompt; stay well under.
                let keep = self.inner.config.max_prompt_tokens;
                if tokens.len() > keep {
                    tokens.drain(..tokens.len() - keep);
                }
                tokens
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not tokenise recognition hints; decoding without them");
                Vec::new()
            }
        }
    }

    /// Transcribes one utterance (16 kHz PCM16). Blocking: call it from
    /// `spawn_blocking`.
    pub(crate) fn decode(
        &self,
        samples: &[i16],
        request: &DecodeRequest,
    ) -> Result<Decoded, SpeechError> {
        let started = Instant::now();
        let inner = &*self.inner;
        inner.decodes.fetch_add(1, Ordering::AcqRel);
        let stats = guard::audio_stats(samples);
        let empty = |language| Decoded {
            text: String::new(),
            language,
            samples: samples.len(),
            elapsed: started.elapsed(),
        };
        if stats.voiced_ms < guard::MIN_VOICED_MS {
            tracing::debug!(
                voiced_ms = stats.voiced_ms,
                "no speech energy; skipped decoding"
            );
            return Ok(empty(None));
        }

        // Unpadded features: the utterance plus a short silent tail (Whisper was
        // trained on speech followed by silence/padding; the tail keeps the end
        // of the last word from being cut).
        let tail = inner.config.tail_pad_ms as usize * SAMPLE_RATE_HZ / 1000;
        let tail = tail.min(MAX_FRAMES * inner.mel.hop() / 2);
        let max_samples = MAX_FRAMES * inner.mel.hop() - tail;
        // Leading digital silence (a VAD pre-roll over a quiet line decodes to
        // exact zeros) makes Whisper loop the whole sentence; keep only a short
        // lead-in before the first audible sample.
        let speech = guard::trim_leading_silence(samples);
        let start = speech.len().saturating_sub(max_samples);
        let mut pcm: Vec<f32> = speech[start..]
            .iter()
            .map(|&s| f32::from(s) / 32_768.0)
            .collect();
        pcm.resize(pcm.len() + tail, 0.0);
        let mut features = inner.mel.compute(&pcm);
        let frames = features.frames.min(MAX_FRAMES);
        features.data.truncate(features.n_mels * frames);
        let view = StorageView::new(
            &[1, features.n_mels, frames],
            &mut features.data,
            Device::CPU,
        )
        .map_err(inference_error)?;
        let encoded = inner
            .whisper
            .encode(&view, false)
            .map_err(inference_error)?;
        let encoded_at = started.elapsed();

        let language = match (request.language, inner.whisper.is_multilingual()) {
            (_, false) => SpeechLanguage::English,
            (Some(language), true) => language,
            (None, true) => self.detect(&encoded)?,
        };
        let hindi = language == SpeechLanguage::Hindi;

        let mut prompt: Vec<&str> = Vec::with_capacity(request.prompt.len() + 5);
        if !request.prompt.is_empty() {
            prompt.push("<|startofprev|>");
            prompt.extend(request.prompt.iter().map(String::as_str));
        }
        prompt.push("<|startoftranscript|>");
        if inner.whisper.is_multilingual() {
            prompt.push(if hindi { "<|hi|>" } else { "<|en|>" });
            prompt.push("<|transcribe|>");
        }
        prompt.push("<|notimestamps|>");

        let audio_ms = (samples.len() * 1000 / SAMPLE_RATE_HZ) as u64;
        let cap = guard::max_tokens(audio_ms, hindi);
        let start_step = prompt.len().saturating_sub(1);
        let options = WhisperOptions {
            beam_size: inner.config.beam_size.max(1),
            // CTranslate2 generates at most min(max_length / 2, max_length - prompt).
            max_length: (2 * cap).max(cap + start_step),
            return_scores: true,
            return_no_speech_prob: true,
            ..WhisperOptions::default()
        };
        let result = inner
            .whisper
            .generate(&encoded, &[prompt], &options)
            .map_err(inference_error)?
            .into_iter()
            .next()
            .ok_or_else(|| inference_error("no generation result"))?;
        let tokens: Vec<String> = result
            .sequences
            .into_iter()
            .next()
            .unwrap_or_default()
            .into_iter()
            .filter(|t| !is_special(t))
            .collect();
        let token_count = tokens.len();
        let raw = inner.tokenizer.decode(tokens).map_err(inference_error)?;
        let avg_logprob = result.scores.first().copied().unwrap_or(0.0);
        let no_speech_prob = result.no_speech_prob;

        let mut text = guard::collapse_sentence_loops(&guard::collapse_repeats(
            raw.trim(),
            inner.config.max_repeats,
        ));
        let hit_cap = token_count >= cap;
        if guard::is_no_speech(no_speech_prob, avg_logprob)
            || guard::is_silence_hallucination(&text, stats.voiced_ms, no_speech_prob)
        {
            text.clear();
        }
        let elapsed = started.elapsed();
        tracing::debug!(
            audio_ms,
            voiced_ms = stats.voiced_ms,
            frames,
            ?language,
            tokens = token_count,
            hit_token_cap = hit_cap,
            no_speech_prob,
            avg_logprob,
            encode_ms = u64::try_from(encoded_at.as_millis()).unwrap_or(u64::MAX),
            total_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            empty = text.is_empty(),
            "whisper decode"
        );
        Ok(Decoded {
            text,
            language: Some(language),
            samples: samples.len(),
            elapsed,
        })
    }

    /// English or Hindi, from Whisper's language probabilities on the encoded audio.
    fn detect(&self, encoded: &StorageView<'_>) -> Result<SpeechLanguage, SpeechError> {
        let detected = self
            .inner
            .whisper
            .detect_language(encoded)
            .map_err(inference_error)?;
        let probs = detected.into_iter().next().unwrap_or_default();
        let mut english = 0.0f32;
        let mut hindi = 0.0f32;
        for (language, probability) in probs.iter().filter_map(detection_fields) {
            if language == "<|en|>" {
                english += probability;
            } else if HINDI_LIKE.contains(&language.as_str()) {
                hindi += probability;
            }
        }
        let language = match self.inner.config.language_policy {
            LanguagePolicy::PreferEnglish if hindi > english => SpeechLanguage::Hindi,
            LanguagePolicy::PreferEnglish => SpeechLanguage::English,
            LanguagePolicy::HindiWhenLikely if hindi >= self.inner.config.hindi_threshold => {
                SpeechLanguage::Hindi
            }
            LanguagePolicy::HindiWhenLikely => SpeechLanguage::English,
        };
        tracing::debug!(english, hindi, ?language, "whisper language detection");
        Ok(language)
    }
}

/// `$AWAAZ_MODELS_DIR/whisper-base`, defaulting to `./models/whisper-base`.
pub fn default_dir() -> PathBuf {
    awaaz_audio::models_dir().join("whisper-base")
}

/// The language token and probability of a detection result. ct2rs 0.10
/// declares these fields private (cxx keeps the bridge's visibility), so they
/// are read back from the derived `Debug` form:
/// `DetectionResult { language: "<|en|>", probability: 0.93 }`.
fn detection_fields(d: &sys::DetectionResult) -> Option<(String, f32)> {
    parse_detection(&format!("{d:?}"))
}

fn parse_detection(debug: &str) -> Option<(String, f32)> {
    let after = debug.split_once("language: \"")?.1;
    let (language, rest) = after.split_once('"')?;
    let probability = rest.split_once("probability: ")?.1;
    let end = probability
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+')))?;
    Some((language.to_owned(), probability[..end].parse().ok()?))
}

fn is_special(token: &str) -> bool {
    token.starts_with("<|") && token.ends_with("|>")
}

fn load_mel(dir: &Path) -> Result<MelExtractor, SpeechError> {
    #[derive(Default)]
    struct Pre {
        n_fft: usize,
        hop: usize,
        filters: Vec<Vec<f32>>,
    }
    let file = dir.join("preprocessor_config.json");
    let text = std::fs::read_to_string(&file).map_err(|e| load_error(&file, e))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| load_error(&file, e))?;
    let field = |name: &str| {
        json.get(name)
            .and_then(serde_json::Value::as_u64)
            .and_then(|v| usize::try_from(v).ok())
            .ok_or_else(|| load_error(&file, format!("missing {name}")))
    };
    let mut pre = Pre {
        n_fft: field("n_fft")?,
        hop: field("hop_length")?,
        ..Pre::default()
    };
    let rows = json
        .get("mel_filters")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| load_error(&file, "missing mel_filters"))?;
    for row in rows {
        let row = row
            .as_array()
            .ok_or_else(|| load_error(&file, "mel_filters row is not an array"))?;
        // Filter weights are small positive numbers; f32 holds them exactly enough.
        #[allow(clippy::cast_possible_truncation)]
        let row: Vec<f32> = row
            .iter()
            .filter_map(serde_json::Value::as_f64)
            .map(|v| v as f32)
            .collect();
        pre.filters.push(row);
    }
    MelExtractor::new(pre.n_fft, pre.hop, pre.filters)
        .ok_or_else(|| load_error(&file, "mel filter shape mismatch"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_detection_debug_form() {
        assert_eq!(
            parse_detection(r#"DetectionResult { language: "<|hi|>", probability: 0.615 }"#),
            Some(("<|hi|>".to_owned(), 0.615))
        );
        assert_eq!(
            parse_detection(r#"DetectionResult { language: "<|en|>", probability: 1.2e-5 }"#),
            Some(("<|en|>".to_owned(), 1.2e-5))
        );
        assert_eq!(parse_detection("something else"), None);
    }
}
