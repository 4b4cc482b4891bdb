//! Audio formats and base64 helpers.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::RealtimeError;

/// An audio format as the GA protocol names it (`{"type": "audio/pcmu"}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
#[non_exhaustive]
pub enum AudioFormat {
    /// 16-bit little-endian mono PCM. The service only supports 24 kHz.
    #[serde(rename = "audio/pcm")]
    Pcm {
        /// Sample rate in Hz; always 24000 on the OpenAI service.
        #[serde(default = "default_pcm_rate")]
        rate: u32,
    },
    /// G.711 μ-law, 8 kHz mono (what telephone carriers send).
    #[serde(rename = "audio/pcmu")]
    Pcmu,
    /// G.711 A-law, 8 kHz mono.
    #[serde(rename = "audio/pcma")]
    Pcma,
}

fn default_pcm_rate() -> u32 {
    AudioFormat::PCM_RATE_HZ
}

impl AudioFormat {
    /// The only PCM rate the service accepts.
    pub const PCM_RATE_HZ: u32 = 24_000;

    /// 16-bit PCM at 24 kHz.
    pub const fn pcm24k() -> Self {
        Self::Pcm {
            rate: Self::PCM_RATE_HZ,
        }
    }

    /// Sample rate in Hz.
    pub fn sample_rate_hz(&self) -> u32 {
        match self {
            Self::Pcm { rate } => *rate,
            Self::Pcmu | Self::Pcma => 8_000,
        }
    }

    /// Bytes per sample: 2 for PCM16, 1 for G.711.
    pub fn bytes_per_sample(&self) -> u32 {
        match self {
            Self::Pcm { .. } => 2,
            Self::Pcmu | Self::Pcma => 1,
        }
    }

    /// Bytes of audio per second (μ-law: 8000, PCM 24 kHz: 48000).
    pub fn bytes_per_second(&self) -> u64 {
        u64::from(self.sample_rate_hz()) * u64::from(self.bytes_per_sample())
    }

    /// Whole milliseconds of audio in `bytes` bytes of this format.
    pub fn duration_ms(&self, bytes: u64) -> u64 {
        let per_second = self.bytes_per_second();
        if per_second == 0 {
            return 0;
        }
        bytes.saturating_mul(1000) / per_second
    }

    /// Bytes that hold `ms` milliseconds of this format.
    pub fn bytes_for_ms(&self, ms: u64) -> u64 {
        ms.saturating_mul(self.bytes_per_second()) / 1000
    }
}

/// Encodes raw audio bytes as the standard base64 the protocol carries.
pub fn encode_audio(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes base64 audio from an event (`delta`, `audio`).
pub fn decode_audio(base64_audio: &str) -> Result<Vec<u8>, RealtimeError> {
    base64::engine::general_purpose::STANDARD
        .decode(base64_audio)
        .map_err(|source| RealtimeError::Base64 { source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_per_format() {
        assert_eq!(AudioFormat::Pcmu.duration_ms(8_000), 1_000);
        assert_eq!(AudioFormat::Pcmu.duration_ms(160), 20);
        assert_eq!(AudioFormat::pcm24k().duration_ms(48_000), 1_000);
        assert_eq!(AudioFormat::pcm24k().duration_ms(960), 20);
        assert_eq!(AudioFormat::pcm24k().bytes_for_ms(20), 960);
        assert_eq!(AudioFormat::Pcma.bytes_for_ms(250), 2_000);
    }

    #[test]
    fn base64_round_trip() {
        let bytes = [0u8, 1, 2, 254, 255];
        let text = encode_audio(&bytes);
        assert_eq!(text, "AAEC/v8=");
        assert_eq!(decode_audio(&text).unwrap(), bytes);
        assert!(matches!(
            decode_audio("not base64!"),
            Err(RealtimeError::Base64 { .. })
        ));
    }
}
