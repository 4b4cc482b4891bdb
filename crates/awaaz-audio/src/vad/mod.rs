//! Voice activity detection: per-frame speech probability, then segmentation.
//!
//! ```text
//!  samples ─▶ VadStream ─(frames of frame_len())─▶ VoiceActivityDetector ─▶ probability
//!                        └─────────────────────────▶ VadSegmenter ─▶ VadEvent
//! ```
//!
//! Detectors are per call (they carry state across frames); the Silero
//! weights are shared between calls through [`SileroModel`].

mod energy;
mod segmenter;
#[cfg(feature = "silero")]
mod silero;

pub use energy::{EnergyVad, EnergyVadConfig};
pub use segmenter::{VadConfig, VadEvent, VadSegmenter, VadStream};
#[cfg(feature = "silero")]
pub use silero::{SileroModel, SileroVad, SILERO_CONTEXT_LEN, SILERO_FRAME_LEN};

/// Turns one frame of 16 kHz PCM16 audio into a speech probability.
///
/// Implementations are sans-I/O and keep per-call state (noise floor,
/// recurrent state), so each call owns its own detector.
pub trait VoiceActivityDetector: Send {
    /// Probability in `[0, 1]` that `frame` contains speech.
    ///
    /// `frame` should hold exactly [`frame_len`](Self::frame_len) samples;
    /// a shorter frame is zero-padded and a longer one truncated, never a
    /// panic. [`VadStream`] always passes whole frames.
    fn process(&mut self, frame: &[i16]) -> f32;

    /// Forgets all state: the next frame starts a new stream.
    fn reset(&mut self);

    /// Samples per frame at 16 kHz.
    fn frame_len(&self) -> usize;
}

impl<T: VoiceActivityDetector + ?Sized> VoiceActivityDetector for Box<T> {
    fn process(&mut self, frame: &[i16]) -> f32 {
        (**self).process(frame)
    }

    fn reset(&mut self) {
        (**self).reset();
    }

    fn frame_len(&self) -> usize {
        (**self).frame_len()
    }
}
