//! awaaz-speech: turning caller audio into text and reply text into audio.
//!
//! ```text
//!  AudioChunk… ─▶ SpeechRecognizer::start ─▶ RecognitionStream ─(push/partial/finish)─▶ Transcript
//!  text ─▶ SpeechSynthesizer::synthesize ─▶ SynthesisStream ─(next)─▶ AudioChunk per clause
//! ```
//!
//! Engines are shared (weights loaded once, behind `Arc`); each call opens its
//! own stream with its own decoding state. Heavy inference runs on blocking
//! threads, never on the async reactor.

pub mod asr;
pub mod speakable;
pub mod tts;

pub use speakable::speakable;

#[cfg(feature = "test-support")]
pub use asr::ScriptedRecognizer;
#[cfg(feature = "whisper")]
pub use asr::{WhisperConfig, WhisperModel, WhisperRecognizer};

use async_trait::async_trait;
use awaaz_audio::AudioChunk;

/// Errors from speech engines.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpeechError {
    /// A model or runtime library could not be loaded.
    #[error("failed to load {what} from {path}: {reason}")]
    Load {
        /// Which model.
        what: &'static str,
        /// Where from.
        path: String,
        /// Why.
        reason: String,
    },
    /// Inference failed.
    #[error("{engine} inference failed: {reason}")]
    Inference {
        /// Which engine.
        engine: &'static str,
        /// Why.
        reason: String,
    },
}

/// Language hint or result of recognition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpeechLanguage {
    /// English.
    English,
    /// Hindi (Devanagari or Urdu script output).
    Hindi,
}

/// What the recogniser heard.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    /// The text, as the engine wrote it.
    pub text: String,
    /// The language it decoded in.
    pub language: Option<SpeechLanguage>,
    /// Whether this is the final result for the utterance.
    pub is_final: bool,
}

/// Speech → text, shared by all calls.
#[async_trait]
pub trait SpeechRecognizer: Send + Sync {
    /// Opens a recognition stream for one caller utterance.
    async fn start(
        &self,
        hints: &RecognitionHints,
    ) -> Result<Box<dyn RecognitionStream>, SpeechError>;
}

/// Words to bias the recogniser towards (product names, "order", "refund").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecognitionHints {
    /// A short prompt of likely vocabulary.
    pub vocabulary: Vec<String>,
    /// Preferred language, if known from earlier turns.
    pub language: Option<SpeechLanguage>,
}

/// One utterance being recognised.
#[async_trait]
pub trait RecognitionStream: Send {
    /// Adds audio (16 kHz PCM16).
    async fn push(&mut self, audio: &AudioChunk) -> Result<(), SpeechError>;
    /// A partial transcript of the audio so far, if the engine has one ready.
    /// Never waits for a decode; engines may start one in the background
    /// (best effort: they may decline while busy with other calls).
    async fn partial(&mut self) -> Result<Option<Transcript>, SpeechError>;
    /// The caller paused: transcribe everything heard so far now, ahead of
    /// best-effort partials, so that the turn detector gets a fresh cue and
    /// the final transcript is ready if the pause ends the turn. The result
    /// arrives through [`partial`](Self::partial) (wait for it with
    /// [`decoded`](Self::decoded)). Engines without background decoding
    /// ignore it.
    async fn pause(&mut self) -> Result<(), SpeechError> {
        Ok(())
    }
    /// Resolves when a background decode has finished, so that
    /// [`partial`](Self::partial) has something new; pending forever while
    /// none is running. Cancel-safe: dropping the future loses nothing.
    async fn decoded(&mut self) -> Result<(), SpeechError> {
        std::future::pending().await
    }
    /// The utterance ended: the final transcript.
    async fn finish(&mut self) -> Result<Transcript, SpeechError>;
}

/// The voice a reply should use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Voice {
    /// English and romanised Hinglish (Latin script).
    English,
    /// Hindi (Devanagari script).
    Hindi,
}

/// Text → speech, shared by all calls.
#[async_trait]
pub trait SpeechSynthesizer: Send + Sync {
    /// Starts synthesising `text`; audio comes out clause by clause.
    async fn synthesize(
        &self,
        text: &str,
        voice: Voice,
    ) -> Result<Box<dyn SynthesisStream>, SpeechError>;
}

/// Audio of one reply, clause by clause.
#[async_trait]
pub trait SynthesisStream: Send {
    /// The next clause's audio (16 kHz) and the text it speaks; `None` at the end.
    async fn next(&mut self) -> Result<Option<(String, AudioChunk)>, SpeechError>;
}
