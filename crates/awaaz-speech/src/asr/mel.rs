//! Whisper's log-mel features, computed here rather than by ct2rs so the
//! encoder can be fed *unpadded* audio (utterance + a short tail) instead of a
//! 30 s window: encoder cost grows with the number of frames, so a 2 s
//! utterance costs a fraction of a padded window.
//!
//! The recipe follows Whisper's reference feature extractor: periodic Hann
//! window of `n_fft` samples, hop `hop_length`, reflect-padded centred STFT
//! with the last frame dropped, power spectrum, mel filter bank (read from the
//! model's `preprocessor_config.json`), `log10` clamped to 8 below the
//! utterance's maximum, then scaled by `(x + 4) / 4`.

use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

/// Log-mel feature extractor for one model (filters and FFT plan are shared).
pub(crate) struct MelExtractor {
    n_fft: usize,
    hop: usize,
    n_mels: usize,
    /// `n_mels` rows of `n_fft / 2 + 1` weights, row-major.
    filters: Vec<f32>,
    window: Vec<f32>,
    fft: Arc<dyn Fft<f32>>,
}

impl std::fmt::Debug for MelExtractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MelExtractor")
            .field("n_fft", &self.n_fft)
            .field("hop", &self.hop)
            .field("n_mels", &self.n_mels)
            .finish_non_exhaustive()
    }
}

/// Features of one utterance: `n_mels` rows of `frames` values, row-major,
/// ready for a `[1, n_mels, frames]` tensor.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Features {
    pub(crate) n_mels: usize,
    pub(crate) frames: usize,
    pub(crate) data: Vec<f32>,
}

impl MelExtractor {
    /// Builds an extractor; `filters` are `n_mels` rows of `n_fft / 2 + 1`.
    /// Returns `None` when the shapes do not fit together.
    pub(crate) fn new(n_fft: usize, hop: usize, filters: Vec<Vec<f32>>) -> Option<Self> {
        let bins = n_fft / 2 + 1;
        if n_fft < 2 || hop == 0 || filters.is_empty() || filters.iter().any(|r| r.len() != bins) {
            return None;
        }
        let n_mels = filters.len();
        // Periodic Hann, as torch.hann_window(n_fft) computes it.
        let window = (0..n_fft)
            .map(|i| {
                let phase = 2.0 * std::f32::consts::PI * i as f32 / n_fft as f32;
                0.5 - 0.5 * phase.cos()
            })
            .collect();
        let fft = FftPlanner::new().plan_fft_forward(n_fft);
        Some(Self {
            n_fft,
            hop,
            n_mels,
            filters: filters.into_iter().flatten().collect(),
            window,
            fft,
        })
    }

    /// Number of mel bands.
    pub(crate) fn n_mels(&self) -> usize {
        self.n_mels
    }

    /// Samples per feature frame.
    pub(crate) fn hop(&self) -> usize {
        self.hop
    }

    /// Log-mel features of `samples` (mono, model rate, roughly −1..1).
    /// One frame per `hop` samples; empty input gives zero frames.
    pub(crate) fn compute(&self, samples: &[f32]) -> Features {
        let frames = samples.len() / self.hop;
        let bins = self.n_fft / 2 + 1;
        let half = self.n_fft / 2;
        let mut data = vec![0.0f32; self.n_mels * frames];
        if frames == 0 {
            return Features {
                n_mels: self.n_mels,
                frames,
                data,
            };
        }
        let mut buf = vec![Complex::new(0.0f32, 0.0); self.n_fft];
        let mut scratch = vec![Complex::new(0.0f32, 0.0); self.fft.get_inplace_scratch_len()];
        let mut power = vec![0.0f32; bins];
        let mut max_log = f32::NEG_INFINITY;
        for frame in 0..frames {
            let centre = frame * self.hop;
            for (k, slot) in buf.iter_mut().enumerate() {
                // Index into the reflect-padded signal: position centre + k - half.
                let pos = reflect(centre as isize + k as isize - half as isize, samples.len());
                *slot = Complex::new(samples[pos] * self.window[k], 0.0);
            }
            self.fft.process_with_scratch(&mut buf, &mut scratch);
            for (p, c) in power.iter_mut().zip(&buf) {
                *p = c.norm_sqr();
            }
            for mel in 0..self.n_mels {
                let row = &self.filters[mel * bins..(mel + 1) * bins];
                let energy: f32 = row.iter().zip(&power).map(|(w, p)| w * p).sum();
                let log = energy.max(1e-10).log10();
                max_log = max_log.max(log);
                data[mel * frames + frame] = log;
            }
        }
        let floor = max_log - 8.0;
        for v in &mut data {
            *v = (v.max(floor) + 4.0) / 4.0;
        }
        Features {
            n_mels: self.n_mels,
            frames,
            data,
        }
    }
}

/// Reflect padding without repeating the edge sample (numpy/torch "reflect").
fn reflect(i: isize, len: usize) -> usize {
    if len == 1 {
        return 0;
    }
    let len = len as isize;
    let period = 2 * (len - 1);
    let mut j = i.rem_euclid(period);
    if j >= len {
        j = period - j;
    }
    // j is in 0..len by construction.
    j as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy filter bank: each band sums a contiguous run of FFT bins.
    fn toy_filters(n_fft: usize, n_mels: usize) -> Vec<Vec<f32>> {
        let bins = n_fft / 2 + 1;
        let per = bins / n_mels;
        (0..n_mels)
            .map(|m| {
                (0..bins)
                    .map(|b| if b / per == m { 1.0 } else { 0.0 })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn reflect_mirrors_without_repeating_the_edge() {
        assert_eq!(reflect(-1, 5), 1);
        assert_eq!(reflect(-2, 5), 2);
        assert_eq!(reflect(5, 5), 3);
        assert_eq!(reflect(6, 5), 2);
        assert_eq!(reflect(3, 5), 3);
        assert_eq!(reflect(-3, 1), 0);
    }

    #[test]
    fn rejects_filters_of_the_wrong_width() {
        assert!(MelExtractor::new(400, 160, vec![vec![0.0; 200]]).is_none());
        assert!(MelExtractor::new(400, 0, vec![vec![0.0; 201]]).is_none());
        assert!(MelExtractor::new(400, 160, vec![vec![0.0; 201]]).is_some());
    }

    #[test]
    fn one_frame_per_hop_and_values_in_whisper_range() {
        let mel = MelExtractor::new(400, 160, toy_filters(400, 8)).expect("valid shapes");
        let samples: Vec<f32> = (0..16_000)
            .map(|i| (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 16_000.0).sin() * 0.5)
            .collect();
        let f = mel.compute(&samples);
        assert_eq!(f.frames, 100);
        assert_eq!(f.data.len(), 8 * 100);
        let max = f.data.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let min = f.data.iter().copied().fold(f32::INFINITY, f32::min);
        // log10 clamped to 8 below the max, then (x + 4) / 4: range is exactly 2.
        assert!((max - min - 2.0).abs() < 1e-4, "range {min}..{max}");
    }

    #[test]
    fn a_tone_lights_up_its_band() {
        // 440 Hz at 16 kHz with a 400-point FFT lands in bin 11, band 0 of the toy bank (25 bins per band).
        let mel = MelExtractor::new(400, 160, toy_filters(400, 8)).expect("valid shapes");
        let samples: Vec<f32> = (0..3_200)
            .map(|i| (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 16_000.0).sin())
            .collect();
        let f = mel.compute(&samples);
        let frame = 10;
        let band = |m: usize| f.data[m * f.frames + frame];
        for m in 1..8 {
            assert!(
                band(0) > band(m) + 1.0,
                "band 0 {} vs band {m} {}",
                band(0),
                band(m)
            );
        }
    }

    #[test]
    fn empty_input_has_no_frames() {
        let mel = MelExtractor::new(400, 160, toy_filters(400, 8)).expect("valid shapes");
        let f = mel.compute(&[0.0; 100]);
        assert_eq!(f.frames, 0);
        assert!(f.data.is_empty());
    }
}
