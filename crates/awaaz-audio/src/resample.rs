//! Streaming rational resampling with a polyphase windowed-sinc FIR.
//!
//! [`Resampler`] converts between 8, 16, 24 and 48 kHz (any pair whose reduced
//! ratio `L/M` has `L, M ≤ 6`). It keeps its filter history between calls, so
//! feeding a stream in chunks of any size gives exactly the samples a single
//! call would: there are no clicks at chunk boundaries.
//!
//! The filter is a Kaiser-windowed sinc (β = 8, ≈ 80 dB stop band) cut at 90 %
//! of the lower Nyquist frequency, about 48 taps per unit of the larger of
//! `L` and `M`. Each polyphase branch is normalised to unit DC gain, so a
//! constant signal passes exactly. The filter's group delay is compensated:
//! output sample `n` is aligned with input time `n·M/L`, at the price of a
//! look-ahead of [`Resampler::latency_samples`] input samples; call
//! [`Resampler::flush`] at the end of a stream to get the tail.
//!
//! Streams cut into fixed frames (a phone line's 20 ms) can instead use
//! [`Resampler::without_lookahead`]: the output is then delayed by the
//! filter's group delay (≈ 3 ms for 8 ↔ 16 kHz) rather than waiting for
//! future input, so every chunk of `k·M` input samples gives exactly `k·L`
//! output samples at once and frame boundaries stay frame boundaries.

use crate::AudioError;

/// Kaiser window shape: ≈ 80 dB stop-band attenuation.
const KAISER_BETA: f64 = 8.0;
/// Filter length per unit of max(L, M); sets the transition band width.
const TAPS_PER_RATIO_UNIT: usize = 48;
/// Cut-off as a fraction of the lower Nyquist frequency.
const ROLLOFF: f64 = 0.9;
/// Largest reduced up/down factor accepted (covers 8/16/24/48 kHz pairs).
const MAX_FACTOR: usize = 6;

/// A stateful resampler for one mono PCM16 stream.
#[derive(Debug, Clone)]
pub struct Resampler {
    from_hz: u32,
    to_hz: u32,
    up: usize,
    down: usize,
    taps_per_phase: usize,
    /// `phases[p][i]` multiplies `history[base - taps_per_phase + 1 + i]`.
    phases: Vec<Vec<f32>>,
    /// Input samples still needed, preceded at the start by zeros.
    history: Vec<f32>,
    /// Index in the up-sampled stream of the next output, relative to `history[0]`.
    next_t: usize,
    /// Delay compensation (look-ahead), in up-sampled samples.
    delay_up: usize,
    /// The filter's group delay, in up-sampled samples.
    group_delay_up: usize,
    samples_in: u64,
    samples_out: u64,
}

impl Resampler {
    /// A resampler from `from_hz` to `to_hz`.
    ///
    /// # Errors
    /// [`AudioError::UnsupportedRate`] when a rate is zero or the reduced
    /// ratio needs a factor above 6 (e.g. 44.1 kHz ↔ 16 kHz).
    pub fn new(from_hz: u32, to_hz: u32) -> Result<Self, AudioError> {
        if from_hz == 0 || to_hz == 0 {
            return Err(AudioError::UnsupportedRate { from_hz, to_hz });
        }
        let g = gcd(from_hz, to_hz);
        let up = (to_hz / g) as usize;
        let down = (from_hz / g) as usize;
        if up > MAX_FACTOR || down > MAX_FACTOR {
            return Err(AudioError::UnsupportedRate { from_hz, to_hz });
        }
        let (phases, taps_per_phase) = if up == 1 && down == 1 {
            (vec![vec![1.0]], 1)
        } else {
            design(up, down)
        };
        let group_delay_up = if up == 1 && down == 1 {
            0
        } else {
            taps_per_phase * up / 2 - 1
        };
        let mut r = Self {
            from_hz,
            to_hz,
            up,
            down,
            taps_per_phase,
            phases,
            history: Vec::new(),
            next_t: 0,
            delay_up: group_delay_up,
            group_delay_up,
            samples_in: 0,
            samples_out: 0,
        };
        r.reset();
        Ok(r)
    }

    /// The same resampler without look-ahead, for streams cut into frames:
    /// each output sample is computed as soon as the input it follows has
    /// arrived, so any chunk of `k·M` input samples (for `L/M` the reduced
    /// ratio: 160 samples at 8 kHz → 16 kHz, 320 at 16 kHz → 8 kHz) gives
    /// exactly `k·L` output samples at once. The price is that the output
    /// lags the input by the filter's group delay,
    /// [`output_delay_ms`](Self::output_delay_ms) (≈ 3 ms for 8 ↔ 16 kHz),
    /// instead of by one chunk. [`flush`](Self::flush) still gives
    /// `ceil(samples_in · L / M)` samples in all, so the last group delay's
    /// worth of input is not emitted; [`reset`](Self::reset) keeps the mode.
    #[must_use]
    pub fn without_lookahead(mut self) -> Self {
        self.delay_up = 0;
        self.reset();
        self
    }

    /// How far the output lags the input signal in time, in milliseconds:
    /// zero with look-ahead (the default), the filter's group delay
    /// without it.
    pub fn output_delay_ms(&self) -> f64 {
        let lag_up = self.group_delay_up - self.delay_up;
        lag_up as f64 * 1000.0 / (f64::from(self.from_hz) * self.up as f64)
    }

    /// Input rate.
    pub fn from_hz(&self) -> u32 {
        self.from_hz
    }

    /// Output rate.
    pub fn to_hz(&self) -> u32 {
        self.to_hz
    }

    /// How many input samples the resampler looks ahead: the output lags the
    /// input by this much until [`flush`](Self::flush).
    pub fn latency_samples(&self) -> usize {
        self.delay_up.div_ceil(self.up)
    }

    /// Forgets the stream: the next sample starts a new one.
    pub fn reset(&mut self) {
        self.history.clear();
        // Zeros before the first sample, so the first outputs have a full window.
        self.history.resize(self.taps_per_phase - 1, 0.0);
        self.next_t = (self.taps_per_phase - 1) * self.up + self.delay_up;
        self.samples_in = 0;
        self.samples_out = 0;
    }

    /// Resamples a chunk; the output may be a few samples shorter than the
    /// exact ratio until [`flush`](Self::flush).
    pub fn process(&mut self, input: &[i16]) -> Vec<i16> {
        let mut out = Vec::with_capacity(input.len() * self.up / self.down + 2);
        self.process_into(input, &mut out);
        out
    }

    /// Like [`process`](Self::process), appending to `out`.
    pub fn process_into(&mut self, input: &[i16], out: &mut Vec<i16>) {
        self.history.extend(input.iter().map(|&s| f32::from(s)));
        self.samples_in += input.len() as u64;
        self.run(out, u64::MAX);
    }

    /// Ends the stream: emits the delayed tail so that the total output is
    /// `ceil(samples_in · L / M)` samples, then resets.
    pub fn flush(&mut self) -> Vec<i16> {
        let mut out = Vec::new();
        let total = (self.samples_in * self.up as u64).div_ceil(self.down as u64);
        let pad = self.latency_samples() + self.taps_per_phase;
        self.history.extend(std::iter::repeat_n(0.0, pad));
        self.run(&mut out, total);
        self.reset();
        out
    }

    fn run(&mut self, out: &mut Vec<i16>, limit: u64) {
        let np = self.taps_per_phase;
        while self.samples_out < limit {
            let base = self.next_t / self.up;
            if base >= self.history.len() {
                break;
            }
            let phase = &self.phases[self.next_t % self.up];
            let window = &self.history[base + 1 - np..=base];
            let acc: f32 = window.iter().zip(phase).map(|(x, h)| x * h).sum();
            out.push(to_i16(acc));
            self.samples_out += 1;
            self.next_t += self.down;
        }
        // Drop history no future output needs.
        let keep_from = (self.next_t / self.up + 1).saturating_sub(np);
        if keep_from > 0 {
            let keep_from = keep_from.min(self.history.len());
            self.history.drain(..keep_from);
            self.next_t -= keep_from * self.up;
        }
    }
}

/// Rounds and saturates to PCM16.
#[allow(clippy::cast_possible_truncation)] // the value is clamped to the i16 range first
pub(crate) fn to_i16(x: f32) -> i16 {
    x.round().clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i16
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Zeroth-order modified Bessel function, by its power series.
pub(crate) fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let half = x / 2.0;
    for k in 1..50 {
        term *= (half / f64::from(k)) * (half / f64::from(k));
        sum += term;
        if term < sum * 1e-12 {
            break;
        }
    }
    sum
}

/// Designs the polyphase branches for up-sampling by `up` then down-sampling by `down`.
#[allow(clippy::cast_possible_truncation)] // coefficients are small floats; f32 is plenty
fn design(up: usize, down: usize) -> (Vec<Vec<f32>>, usize) {
    // Even number of taps per phase, so the centre falls on an up-sampled sample.
    let taps_per_phase = (TAPS_PER_RATIO_UNIT * up.max(down))
        .div_ceil(up)
        .next_multiple_of(2);
    let n = taps_per_phase * up;
    // Odd-length symmetric prototype (the last tap stays zero): centre is an integer.
    let centre = (n / 2 - 1) as f64;
    // Cut-off relative to the up-sampled rate: the lower Nyquist is 1/(2·max(up, down)).
    let cutoff = ROLLOFF * 0.5 / up.max(down) as f64;
    let norm = bessel_i0(KAISER_BETA);
    let prototype: Vec<f64> = (0..n)
        .map(|k| {
            let x = k as f64 - centre;
            if x.abs() > centre {
                return 0.0;
            }
            let arg = 2.0 * cutoff * x;
            let sinc = if arg == 0.0 {
                1.0
            } else {
                (std::f64::consts::PI * arg).sin() / (std::f64::consts::PI * arg)
            };
            let r = x / centre;
            let window = bessel_i0(KAISER_BETA * (1.0 - r * r).max(0.0).sqrt()) / norm;
            sinc * window
        })
        .collect();
    let phases = (0..up)
        .map(|p| {
            // Output at up-sampled index t uses x[base - j]·h[p + j·up]; store reversed
            // so the branch is a plain dot product with a forward history slice.
            let mut branch: Vec<f64> = (0..taps_per_phase)
                .rev()
                .map(|j| prototype[p + j * up])
                .collect();
            // Unit DC gain per branch: a constant input gives a constant output.
            let sum: f64 = branch.iter().sum();
            for c in &mut branch {
                *c /= sum;
            }
            branch.into_iter().map(|c| c as f32).collect()
        })
        .collect();
    (phases, taps_per_phase)
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation)] // test signals are built in range
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tone(rate_hz: u32, freq_hz: f64, amplitude: f64, len: usize) -> Vec<i16> {
        (0..len)
            .map(|i| {
                let t = i as f64 / f64::from(rate_hz);
                to_i16((amplitude * (2.0 * std::f64::consts::PI * freq_hz * t).sin()) as f32)
            })
            .collect()
    }

    /// Amplitude of `freq_hz` in `x` (correlation with sine and cosine).
    fn amplitude_at(x: &[i16], rate_hz: u32, freq_hz: f64) -> f64 {
        let (mut s, mut c) = (0.0, 0.0);
        for (i, &v) in x.iter().enumerate() {
            let w = 2.0 * std::f64::consts::PI * freq_hz * i as f64 / f64::from(rate_hz);
            s += f64::from(v) * w.sin();
            c += f64::from(v) * w.cos();
        }
        2.0 * (s * s + c * c).sqrt() / x.len() as f64
    }

    fn resample_all(from: u32, to: u32, x: &[i16]) -> Vec<i16> {
        let mut r = Resampler::new(from, to).expect("supported");
        let mut y = r.process(x);
        y.extend(r.flush());
        y
    }

    const PAIRS: [(u32, u32); 7] = [
        (8_000, 16_000),
        (16_000, 8_000),
        (24_000, 16_000),
        (16_000, 24_000),
        (48_000, 16_000),
        (16_000, 48_000),
        (16_000, 16_000),
    ];

    #[test]
    fn rejects_unsupported_rates() {
        assert!(matches!(
            Resampler::new(44_100, 16_000),
            Err(AudioError::UnsupportedRate {
                from_hz: 44_100,
                to_hz: 16_000
            })
        ));
        assert!(Resampler::new(0, 16_000).is_err());
    }

    #[test]
    fn output_length_is_exact_ratio_after_flush() {
        for (from, to) in PAIRS {
            let x = vec![100i16; 1001];
            let y = resample_all(from, to, &x);
            let expected = (1001 * u64::from(to)).div_ceil(u64::from(from));
            assert_eq!(y.len() as u64, expected, "{from}->{to}");
        }
    }

    #[test]
    fn tone_keeps_frequency_and_amplitude() {
        for (from, to) in PAIRS {
            let x = tone(from, 440.0, 8000.0, from as usize / 2);
            let y = resample_all(from, to, &x);
            // Skip the edges, where the zero history ramps the filter in and out.
            let skip = to as usize / 20;
            let mid = &y[skip..y.len() - skip];
            let a = amplitude_at(mid, to, 440.0);
            assert!((a - 8000.0).abs() < 80.0, "{from}->{to}: amplitude {a}");
            // Nearly all the energy is at 440 Hz: a 470 Hz probe sees almost nothing.
            assert!(amplitude_at(mid, to, 470.0) < 400.0, "{from}->{to}");
            // Alignment: the output matches the ideal tone at the new rate sample by sample.
            let ideal = tone(to, 440.0, 8000.0, y.len());
            let max_err = mid
                .iter()
                .zip(&ideal[skip..])
                .map(|(a, b)| (i32::from(*a) - i32::from(*b)).abs())
                .max()
                .unwrap_or(0);
            assert!(max_err < 60, "{from}->{to}: max error {max_err}");
        }
    }

    #[test]
    fn three_khz_passes_telephone_band_to_16k() {
        let x = tone(8_000, 3_000.0, 10_000.0, 8_000);
        let y = resample_all(8_000, 16_000, &x);
        let a = amplitude_at(&y[1600..14_400], 16_000, 3_000.0);
        assert!((a - 10_000.0).abs() < 200.0, "amplitude {a}");
        // Zero-stuffing 8 kHz → 16 kHz mirrors 3 kHz to 5 kHz; the filter must remove it.
        assert!(amplitude_at(&y[1600..14_400], 16_000, 5_000.0) < 20.0);
    }

    #[test]
    fn anti_aliasing_removes_content_above_new_nyquist() {
        // Without filtering, 10 kHz at 48 kHz → 16 kHz folds to 6 kHz, and 5 kHz at
        // 16 kHz → 8 kHz folds to 3 kHz.
        let x = tone(48_000, 10_000.0, 10_000.0, 48_000);
        let y = resample_all(48_000, 16_000, &x);
        let mid = &y[1600..14_400];
        assert!(amplitude_at(mid, 16_000, 6_000.0) < 10.0, "alias leaked");
        let x = tone(16_000, 5_000.0, 10_000.0, 16_000);
        let y = resample_all(16_000, 8_000, &x);
        assert!(
            amplitude_at(&y[800..7200], 8_000, 3_000.0) < 10.0,
            "alias leaked"
        );
    }

    #[test]
    fn dc_passes_exactly() {
        for (from, to) in PAIRS {
            let x = vec![12_345i16; from as usize / 10];
            let mut r = Resampler::new(from, to).expect("supported");
            let y = r.process(&x);
            let settled = &y[y.len() / 2..];
            assert!(!settled.is_empty());
            assert!(
                settled.iter().all(|&v| (i32::from(v) - 12_345).abs() <= 1),
                "{from}->{to}"
            );
        }
    }

    #[test]
    fn reset_starts_a_fresh_stream() {
        let x = tone(8_000, 300.0, 5000.0, 800);
        let mut r = Resampler::new(8_000, 16_000).expect("supported");
        let first = r.process(&x);
        r.process(&[9999; 50]);
        r.reset();
        assert_eq!(r.process(&x), first);
    }

    #[test]
    fn without_lookahead_every_20ms_frame_gives_one_whole_frame_at_once() {
        for (from, to) in PAIRS {
            let x = tone(from, 440.0, 8000.0, from as usize);
            let frame_in = from as usize / 50;
            let frame_out = to as usize / 50;
            let mut r = Resampler::new(from, to)
                .expect("supported")
                .without_lookahead();
            for (i, frame) in x.chunks(frame_in).enumerate() {
                assert_eq!(r.process(frame).len(), frame_out, "{from}->{to} frame {i}");
            }
            assert!(r.flush().is_empty(), "{from}->{to}: nothing held back");
            // After a reset too.
            assert_eq!(r.process(&x[..frame_in]).len(), frame_out);
        }
        // With look-ahead the first frame comes out short (what the mode is for).
        let mut r = Resampler::new(8_000, 16_000).expect("supported");
        assert_eq!(
            r.process(&[1000; 160]).len(),
            320 - 2 * r.latency_samples() + 1
        );
        let mut r = Resampler::new(16_000, 8_000).expect("supported");
        assert!(r.process(&[1000; 320]).len() < 160);
    }

    #[test]
    fn without_lookahead_is_the_same_signal_delayed_by_the_group_delay() {
        let x = tone(8_000, 440.0, 8000.0, 1600);
        let ahead = resample_all(8_000, 16_000, &x);
        let mut r = Resampler::new(8_000, 16_000)
            .expect("supported")
            .without_lookahead();
        assert_eq!(r.latency_samples(), 0);
        let delayed = r.process(&x);
        assert_eq!(delayed.len(), 3200);
        // 47 samples at 16 kHz: the filter's group delay.
        assert!(
            (r.output_delay_ms() - 47.0 / 16.0).abs() < 1e-9,
            "{}",
            r.output_delay_ms()
        );
        assert_eq!(delayed[47..], ahead[..3200 - 47]);
        assert_eq!(
            Resampler::new(8_000, 16_000)
                .expect("supported")
                .output_delay_ms(),
            0.0
        );

        // 16 → 8 kHz: half a sample at 8 kHz does not shift exactly; compare
        // with the ideal tone delayed by the group delay.
        let x = tone(16_000, 440.0, 8000.0, 3200);
        let mut r = Resampler::new(16_000, 8_000)
            .expect("supported")
            .without_lookahead();
        let y = r.process(&x);
        assert_eq!(y.len(), 1600);
        let delay_s = r.output_delay_ms() / 1000.0;
        assert!((delay_s * 8_000.0 - 23.5).abs() < 1e-9, "{delay_s}");
        let max_err = (400..1200)
            .map(|n| {
                let t = n as f64 / 8_000.0 - delay_s;
                let ideal = 8000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin();
                (f64::from(y[n]) - ideal).abs()
            })
            .fold(0.0, f64::max);
        assert!(max_err < 60.0, "max error {max_err}");
    }

    proptest! {
        #[test]
        fn chunked_equals_one_shot(
            pair in 0usize..PAIRS.len(),
            lookahead in any::<bool>(),
            x in proptest::collection::vec(any::<i16>(), 0..2000),
            cuts in proptest::collection::vec(0usize..400, 0..12),
        ) {
            let (from, to) = PAIRS[pair];
            let make = || {
                let r = Resampler::new(from, to).expect("supported");
                if lookahead { r } else { r.without_lookahead() }
            };
            let mut one = make();
            let mut one_shot = one.process(&x);
            one_shot.extend(one.flush());
            prop_assert_eq!(
                one_shot.len() as u64,
                (x.len() as u64 * u64::from(to)).div_ceil(u64::from(from))
            );
            let mut r = make();
            let mut chunked = Vec::new();
            let mut rest = &x[..];
            for c in cuts {
                let (a, b) = rest.split_at(c.min(rest.len()));
                r.process_into(a, &mut chunked);
                rest = b;
            }
            r.process_into(rest, &mut chunked);
            chunked.extend(r.flush());
            prop_assert_eq!(chunked, one_shot);
        }
    }
}
