//! The embedded synthesiser: Piper for English/Hinglish, espeak-ng for Hindi.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use awaaz_audio::{AudioChunk, SAMPLE_RATE_HZ};
use ort::environment::Environment;
use tokio::task::JoinHandle;

use super::espeak::Espeak;
use super::piper::{ClausePriority, PiperVoice};
use super::resample::{from_pcm16, resample, to_pcm16};
use super::split_clauses_with;
use crate::speakable::speakable;
use crate::{SpeechError, SpeechSynthesizer, SynthesisStream, Voice};

/// The Piper voice under the models directory.
pub const PIPER_ENGLISH_MODEL: &str = "piper-en-us-joe/en_US-joe-medium.onnx";

/// How replies are cut and scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynthesisOptions {
    /// Clauses synthesised ahead of the one being returned. One keeps the
    /// next clause ready while the current one plays without two clauses of
    /// the same reply competing for the CPU before the first audio.
    pub lookahead: usize,
    /// A comma splits a clause once the clause is this long (characters).
    pub long_clause_chars: usize,
    /// A comma already ends the *first* clause once it is this long, so the
    /// first audio is ready sooner (see [`super::split_clauses_with`]).
    pub first_clause_chars: usize,
}

impl Default for SynthesisOptions {
    fn default() -> Self {
        Self {
            lookahead: 1,
            long_clause_chars: 40,
            first_clause_chars: 8,
        }
    }
}

/// espeak-ng speaking one of its own voices (Hindi: `hi`).
#[derive(Debug, Clone)]
pub struct EspeakVoice {
    espeak: Espeak,
    voice: String,
    rate_wpm: u32,
}

impl EspeakVoice {
    /// espeak-ng's Hindi voice, a little slower than its default 175 wpm so it
    /// survives a phone line.
    pub fn hindi() -> Self {
        Self {
            espeak: Espeak::new(),
            voice: "hi".into(),
            rate_wpm: 150,
        }
    }

    /// Any espeak-ng voice at `rate_wpm`.
    pub fn new(espeak: Espeak, voice: impl Into<String>, rate_wpm: u32) -> Self {
        Self {
            espeak,
            voice: voice.into(),
            rate_wpm,
        }
    }

    /// Speaks one clause: 16 kHz PCM16.
    pub fn synthesize(&self, text: &str) -> Result<AudioChunk, SpeechError> {
        let (rate, samples) = self.espeak.synthesize(text, &self.voice, self.rate_wpm)?;
        if rate == SAMPLE_RATE_HZ {
            return Ok(AudioChunk::new(samples));
        }
        let audio = resample(&from_pcm16(&samples), rate, SAMPLE_RATE_HZ);
        Ok(AudioChunk::new(to_pcm16(&audio)))
    }
}

/// Offline [`SpeechSynthesizer`]: Piper for [`Voice::English`] (which also
/// reads romanised Hinglish), espeak-ng for [`Voice::Hindi`]. Cheap to clone;
/// the model is loaded once.
#[derive(Debug, Clone)]
pub struct EmbeddedSynthesizer {
    english: Arc<PiperVoice>,
    hindi: Arc<EspeakVoice>,
    options: SynthesisOptions,
}

impl EmbeddedSynthesizer {
    /// From loaded voices.
    pub fn new(english: Arc<PiperVoice>, hindi: Arc<EspeakVoice>) -> Self {
        Self {
            english,
            hindi,
            options: SynthesisOptions::default(),
        }
    }

    /// Loads the Piper voice from `models_dir` ([`PIPER_ENGLISH_MODEL`]) and
    /// uses espeak-ng's Hindi voice.
    pub fn load(env: &Environment, models_dir: &Path) -> Result<Self, SpeechError> {
        let english = PiperVoice::load(env, &models_dir.join(PIPER_ENGLISH_MODEL))?;
        Ok(Self::new(Arc::new(english), Arc::new(EspeakVoice::hindi())))
    }

    /// Changes how replies are cut and scheduled.
    pub fn with_options(mut self, options: SynthesisOptions) -> Self {
        self.options = options;
        self
    }

    fn engine(&self, voice: Voice) -> Engine {
        match voice {
            Voice::English => Engine::Piper(Arc::clone(&self.english)),
            Voice::Hindi => Engine::Espeak(Arc::clone(&self.hindi)),
        }
    }
}

#[async_trait]
impl SpeechSynthesizer for EmbeddedSynthesizer {
    #[tracing::instrument(name = "tts", skip_all, fields(?voice))]
    async fn synthesize(
        &self,
        text: &str,
        voice: Voice,
    ) -> Result<Box<dyn SynthesisStream>, SpeechError> {
        let clauses = split_clauses_with(
            &speakable(text, voice),
            self.options.first_clause_chars,
            self.options.long_clause_chars,
        );
        tracing::debug!(clauses = clauses.len(), "synthesis started");
        let mut stream = ClauseStream {
            engine: self.engine(voice),
            waiting: clauses.into(),
            in_flight: VecDeque::new(),
            lookahead: self.options.lookahead,
        };
        // The first clause starts now, not at the first `next()`.
        stream.schedule(1, ClausePriority::First);
        Ok(Box::new(stream))
    }
}

#[derive(Debug, Clone)]
enum Engine {
    Piper(Arc<PiperVoice>),
    Espeak(Arc<EspeakVoice>),
}

impl Engine {
    fn synthesize(&self, text: &str, priority: ClausePriority) -> Result<AudioChunk, SpeechError> {
        match self {
            Self::Piper(v) => v.synthesize_with(text, priority),
            // A process per clause: nothing shared to wait for.
            Self::Espeak(v) => v.synthesize(text),
        }
    }
}

/// One reply: clauses not started, and clauses being synthesised in order.
struct ClauseStream {
    engine: Engine,
    waiting: VecDeque<String>,
    in_flight: VecDeque<(String, JoinHandle<Result<AudioChunk, SpeechError>>)>,
    lookahead: usize,
}

impl ClauseStream {
    /// Starts clauses until `target` are in flight.
    fn schedule(&mut self, target: usize, priority: ClausePriority) {
        while self.in_flight.len() < target {
            let Some(text) = self.waiting.pop_front() else {
                break;
            };
            let engine = self.engine.clone();
            let clause = text.clone();
            // CPU-heavy: a blocking thread, never the reactor. The handle is
            // owned by this stream; dropping the stream lets the clause in
            // progress finish and discards it.
            let handle = tokio::task::spawn_blocking(move || engine.synthesize(&clause, priority));
            self.in_flight.push_back((text, handle));
        }
    }
}

#[async_trait]
impl SynthesisStream for ClauseStream {
    async fn next(&mut self) -> Result<Option<(String, AudioChunk)>, SpeechError> {
        // Nothing in flight: the caller waits for this clause now.
        self.schedule(1, ClausePriority::First);
        let Some((text, handle)) = self.in_flight.pop_front() else {
            return Ok(None);
        };
        let audio = handle.await.map_err(|e| SpeechError::Inference {
            engine: "tts",
            reason: format!("synthesis task failed: {e}"),
        })??;
        // The caller now plays this clause: prepare the next ones meanwhile.
        self.schedule(self.lookahead, ClausePriority::Ahead);
        Ok(Some((text, audio)))
    }
}
