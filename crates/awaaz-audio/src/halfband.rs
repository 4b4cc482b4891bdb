//! A cheap 2× interpolator for phone lines: 8 kHz → 16 kHz with a
//! half-band FIR, without look-ahead.
//!
//! ```text
//!  x[n] (8 kHz) ─▶ y[2n]   = x[n − K]                                  (a copy)
//!               └▶ y[2n+1] = Σ_{m<K} g[m] · (x[n−K−m] + x[n−K+1+m])    (K multiplies)
//! ```
//!
//! A half-band low-pass cut at the input's Nyquist frequency has every other
//! tap zero except the centre, so half of the outputs are input samples as
//! they are, and the other half need one multiply per pair of symmetric taps:
//! about a quarter of the arithmetic of the general polyphase
//! [`Resampler`](crate::Resampler) for the same filter length (K = 24 pairs,
//! a Kaiser window with β = 8: ≈ 80 dB stop band, flat to ≈ 3.6 kHz). It is
//! built for the phone bridge, which upsamples every 20 ms line frame of
//! every call, speech or silence.
//!
//! There is no look-ahead: each input sample gives its two output samples at
//! once, so a 160-sample line frame gives exactly one 320-sample frame,
//! delayed by the filter's group delay ([`HalfBandUpsampler::DELAY_MS`],
//! 3 ms). Feeding a stream in chunks of any size gives exactly the samples a
//! single call would.

use crate::resample::{bessel_i0, to_i16};

/// Symmetric tap pairs of the odd-phase branch (a multiple of 4).
const PAIRS: usize = 24;
/// Kaiser window shape: ≈ 80 dB stop-band attenuation.
const KAISER_BETA: f64 = 8.0;

/// A stateful 2× upsampler (8 kHz → 16 kHz) for one mono PCM16 stream.
#[derive(Debug, Clone)]
pub struct HalfBandUpsampler {
    /// `g[m]` multiplies the pair of inputs `m + ½` samples either side of
    /// the odd output's position.
    taps: [f32; PAIRS],
    /// The last `2·PAIRS` input samples, then the chunk being processed.
    history: Vec<f32>,
}

impl Default for HalfBandUpsampler {
    fn default() -> Self {
        Self::new()
    }
}

impl HalfBandUpsampler {
    /// How far the output lags the input, in milliseconds (`PAIRS` samples
    /// at 8 kHz).
    pub const DELAY_MS: f64 = PAIRS as f64 / 8.0;

    /// An upsampler at the start of a stream.
    #[allow(clippy::cast_possible_truncation)] // coefficients are small floats; f32 is plenty
    pub fn new() -> Self {
        let norm = bessel_i0(KAISER_BETA);
        // The ideal interpolator's value half a sample (plus m) away, windowed
        // over the filter's half-length (PAIRS input samples).
        let raw: Vec<f64> = (0..PAIRS)
            .map(|m| {
                let t = m as f64 + 0.5;
                let sinc = (std::f64::consts::PI * t).sin() / (std::f64::consts::PI * t);
                let r = t / PAIRS as f64;
                let window = bessel_i0(KAISER_BETA * (1.0 - r * r).max(0.0).sqrt()) / norm;
                sinc * window
            })
            .collect();
        // Unit DC gain: a constant input gives the same constant out.
        let sum: f64 = raw.iter().sum::<f64>() * 2.0;
        let mut taps = [0.0f32; PAIRS];
        for (tap, g) in taps.iter_mut().zip(&raw) {
            *tap = (g / sum) as f32;
        }
        let mut up = Self {
            taps,
            history: Vec::with_capacity(2 * PAIRS + 1024),
        };
        up.reset();
        up
    }

    /// Forgets the stream: the next sample starts a new one.
    pub fn reset(&mut self) {
        self.history.clear();
        self.history.resize(2 * PAIRS, 0.0);
    }

    /// Upsamples a chunk: exactly twice as many samples out.
    pub fn process(&mut self, input: &[i16]) -> Vec<i16> {
        let mut out = Vec::with_capacity(input.len() * 2);
        self.process_into(input, &mut out);
        out
    }

    /// Like [`process`](Self::process), appending to `out`.
    pub fn process_into(&mut self, input: &[i16], out: &mut Vec<i16>) {
        self.history.extend(input.iter().map(|&s| f32::from(s)));
        out.reserve(input.len() * 2);
        let g = &self.taps;
        // Each window of 2·PAIRS samples ends with a new input sample; the
        // output position lies between its two halves' middle samples.
        for w in self.history[1..].windows(2 * PAIRS) {
            let (Some(left), Some(right)) = (w.first_chunk::<PAIRS>(), w.last_chunk::<PAIRS>())
            else {
                continue;
            };
            // Four accumulators, unrolled: independent sums run in parallel
            // (the dev profile does not vectorise).
            let (mut a0, mut a1, mut a2, mut a3) = (0.0f32, 0.0f32, 0.0f32, 0.0f32);
            let mut m = 0;
            while m < PAIRS {
                a0 += g[m] * (left[PAIRS - 1 - m] + right[m]);
                a1 += g[m + 1] * (left[PAIRS - 2 - m] + right[m + 1]);
                a2 += g[m + 2] * (left[PAIRS - 3 - m] + right[m + 2]);
                a3 += g[m + 3] * (left[PAIRS - 4 - m] + right[m + 3]);
                m += 4;
            }
            out.push(to_i16(left[PAIRS - 1]));
            out.push(to_i16((a0 + a2) + (a1 + a3)));
        }
        let keep_from = self.history.len() - 2 * PAIRS;
        self.history.drain(..keep_from);
    }
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation)] // test signals are built in range
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tone(rate_hz: f64, freq_hz: f64, amplitude: f64, len: usize, delay_s: f64) -> Vec<f64> {
        (0..len)
            .map(|i| {
                let t = i as f64 / rate_hz - delay_s;
                amplitude * (2.0 * std::f64::consts::PI * freq_hz * t).sin()
            })
            .collect()
    }

    fn pcm(x: &[f64]) -> Vec<i16> {
        x.iter().map(|&v| v.round() as i16).collect()
    }

    /// Amplitude of `freq_hz` in `x` (correlation with sine and cosine).
    fn amplitude_at(x: &[i16], rate_hz: f64, freq_hz: f64) -> f64 {
        let (mut s, mut c) = (0.0, 0.0);
        for (i, &v) in x.iter().enumerate() {
            let w = 2.0 * std::f64::consts::PI * freq_hz * i as f64 / rate_hz;
            s += f64::from(v) * w.sin();
            c += f64::from(v) * w.cos();
        }
        2.0 * (s * s + c * c).sqrt() / x.len() as f64
    }

    #[test]
    fn each_line_frame_gives_one_whole_frame_at_once() {
        let mut up = HalfBandUpsampler::new();
        for i in 0..10 {
            let frame = vec![if i % 2 == 0 { 1000 } else { -1000 }; 160];
            assert_eq!(up.process(&frame).len(), 320, "frame {i}");
        }
        assert!(up.process(&[]).is_empty());
        assert_eq!(up.process(&[5]).len(), 2);
    }

    #[test]
    fn tones_in_the_telephone_band_come_through_on_time() {
        for freq in [300.0, 1000.0, 3000.0, 3400.0] {
            let x = pcm(&tone(8000.0, freq, 8000.0, 8000, 0.0));
            let y = HalfBandUpsampler::new().process(&x);
            let mid = &y[1600..14_400];
            let a = amplitude_at(mid, 16_000.0, freq);
            assert!((a - 8000.0).abs() < 80.0, "{freq} Hz: amplitude {a}");
            // Sample by sample, the ideal tone at 16 kHz, 3 ms late.
            let ideal = tone(
                16_000.0,
                freq,
                8000.0,
                y.len(),
                HalfBandUpsampler::DELAY_MS / 1000.0,
            );
            let max_err = (1600..14_400)
                .map(|n| (f64::from(y[n]) - ideal[n]).abs())
                .fold(0.0, f64::max);
            assert!(max_err < 80.0, "{freq} Hz: max error {max_err}");
        }
    }

    #[test]
    fn images_above_the_line_band_are_removed() {
        // Zero-stuffing mirrors 3 kHz to 5 kHz and 1 kHz to 7 kHz.
        for (freq, image) in [(3000.0, 5000.0), (1000.0, 7000.0)] {
            let x = pcm(&tone(8000.0, freq, 10_000.0, 8000, 0.0));
            let y = HalfBandUpsampler::new().process(&x);
            let a = amplitude_at(&y[1600..14_400], 16_000.0, image);
            assert!(a < 10.0, "{freq} Hz image at {image} Hz: {a}");
        }
    }

    #[test]
    fn dc_passes_exactly_and_reset_starts_over() {
        let mut up = HalfBandUpsampler::new();
        let y = up.process(&[12_345; 800]);
        assert!(y[200..].iter().all(|&v| (i32::from(v) - 12_345).abs() <= 1));
        assert!(y[..2 * PAIRS - 1].iter().all(|&v| v.abs() < 12_345));
        let first = {
            let mut fresh = HalfBandUpsampler::new();
            fresh.process(&[300, -200, 100])
        };
        up.reset();
        assert_eq!(up.process(&[300, -200, 100]), first);
    }

    #[test]
    fn loud_input_saturates_instead_of_wrapping() {
        let x: Vec<i16> = (0..400)
            .map(|i| if (i / 3) % 2 == 0 { i16::MAX } else { i16::MIN })
            .collect();
        let y = HalfBandUpsampler::new().process(&x);
        assert_eq!(y.len(), 800);
    }

    proptest! {
        #[test]
        fn chunked_equals_one_shot(
            x in proptest::collection::vec(any::<i16>(), 0..2000),
            cuts in proptest::collection::vec(0usize..400, 0..12),
        ) {
            let one_shot = HalfBandUpsampler::new().process(&x);
            prop_assert_eq!(one_shot.len(), 2 * x.len());
            let mut up = HalfBandUpsampler::new();
            let mut chunked = Vec::new();
            let mut rest = &x[..];
            for c in cuts {
                let (a, b) = rest.split_at(c.min(rest.len()));
                up.process_into(a, &mut chunked);
                rest = b;
            }
            up.process_into(rest, &mut chunked);
            prop_assert_eq!(chunked, one_shot);
        }
    }
}
