//! awaaz-audio: the sound side of a call, without I/O.
//!
//! Inside awaaz all audio is [`AudioChunk`]: PCM16 mono at 16 kHz. Carriers
//! and browsers speak other formats (μ-law 8 kHz, PCM16 8/24/48 kHz); the
//! codecs and resamplers here convert at the edge.
//!
//! ```text
//!  carrier bytes ─▶ g711 decode ─▶ Resampler → 16 kHz ─▶ AudioChunk
//!        AudioChunk ─▶ VadStream(VoiceActivityDetector + VadSegmenter) ─▶ VadEvent
//!        VadEvent + TranscriptCue (from the agent) ─▶ TurnDetector ─▶ TurnEvent
//! ```
//!
//! Main types:
//! * [`g711`]: μ-law / A-law encode and decode (ITU-T G.711).
//! * [`resample::Resampler`]: streaming polyphase resampler (8/16/24/48 kHz).
//! * [`halfband::HalfBandUpsampler`]: a cheap 8 → 16 kHz half-band
//!   interpolator without look-ahead, for phone lines.
//! * [`vad::VoiceActivityDetector`]: per-frame speech probability, with
//!   [`vad::EnergyVad`] (dependency-free) and, with the `silero` feature,
//!   [`vad::SileroModel`] / [`vad::SileroVad`] (shared weights, per-call state).
//! * [`vad::VadSegmenter`]: hysteresis over probabilities → speech start/end.
//! * [`turn::TurnDetector`]: when the caller's turn ends, and barge-in.
//!
//! This crate does no I/O (apart from loading the Silero model file when asked
//! to) and reads no clock: time is the audio itself (sample counts) or an
//! argument. It does not know words: transcripts arrive as [`turn::TranscriptCue`]s
//! computed by the caller.

use std::path::PathBuf;

pub mod g711;
pub mod halfband;
#[cfg(feature = "silero")]
pub mod onnx;
pub mod resample;
pub mod turn;
pub mod vad;

pub use halfband::HalfBandUpsampler;
pub use resample::Resampler;
pub use turn::{TranscriptCue, TurnConfig, TurnDetector, TurnEndReason, TurnEvent};
pub use vad::{EnergyVad, VadConfig, VadEvent, VadSegmenter, VadStream, VoiceActivityDetector};
#[cfg(feature = "silero")]
pub use vad::{SileroModel, SileroVad};

/// Where the embedded models live: `$AWAAZ_MODELS_DIR`, else `./models`
/// (the layout `just models` writes). Every loader that is not given a path
/// starts here.
pub fn models_dir() -> PathBuf {
    std::env::var_os("AWAAZ_MODELS_DIR").map_or_else(|| PathBuf::from("models"), PathBuf::from)
}

/// The sample rate used inside awaaz.
pub const SAMPLE_RATE_HZ: u32 = 16_000;

/// A piece of mono PCM16 audio at [`SAMPLE_RATE_HZ`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AudioChunk {
    /// Samples.
    pub samples: Vec<i16>,
}

impl AudioChunk {
    /// Wraps samples at 16 kHz.
    pub fn new(samples: Vec<i16>) -> Self {
        Self { samples }
    }

    /// Duration in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        self.samples.len() as u64 * 1000 / u64::from(SAMPLE_RATE_HZ)
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// True when the chunk holds no samples.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Little-endian PCM16 bytes.
    pub fn to_le_bytes(&self) -> Vec<u8> {
        self.samples.iter().flat_map(|s| s.to_le_bytes()).collect()
    }

    /// From little-endian PCM16 bytes (a trailing odd byte is dropped).
    pub fn from_le_bytes(bytes: &[u8]) -> Self {
        Self {
            samples: bytes
                .chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]]))
                .collect(),
        }
    }
}

/// Converts a duration in samples at [`SAMPLE_RATE_HZ`] to milliseconds (rounded down).
pub fn samples_to_ms(samples: u64) -> u64 {
    samples * 1000 / u64::from(SAMPLE_RATE_HZ)
}

/// Converts milliseconds to a number of samples at [`SAMPLE_RATE_HZ`].
pub fn ms_to_samples(ms: u64) -> u64 {
    ms * u64::from(SAMPLE_RATE_HZ) / 1000
}

/// Errors from this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AudioError {
    /// The resampler does not support this pair of rates.
    #[error("unsupported resampling from {from_hz} Hz to {to_hz} Hz")]
    UnsupportedRate {
        /// Input rate.
        from_hz: u32,
        /// Output rate.
        to_hz: u32,
    },
    /// A model or runtime library file was not found.
    #[error("model file not found: {path}")]
    ModelNotFound {
        /// The path that was tried.
        path: PathBuf,
    },
    /// ONNX Runtime could not be loaded or initialised.
    #[error("cannot load onnx runtime from {path}")]
    RuntimeLoad {
        /// The shared library path.
        path: PathBuf,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The model could not be loaded, or does not look like the expected model.
    #[error("cannot load model {path}: {reason}")]
    ModelLoad {
        /// The model path.
        path: PathBuf,
        /// What went wrong.
        reason: String,
        /// The underlying error, if any.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// Running the model failed.
    #[error("inference failed")]
    Inference {
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}
