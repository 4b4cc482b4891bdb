//! Voice output rate → 16 kHz.
//!
//! Piper and espeak-ng speak at 22,050 Hz; awaaz carries 16 kHz. A
//! windowed-sinc interpolator with its cut-off below the new Nyquist
//! frequency keeps sibilants from folding back as hiss. It works on one whole
//! clause at a time, so it needs no state between calls.
// TODO(awaaz-audio): switch to the awaaz-audio resampler once it lands; this
// one exists so TTS does not wait on it.

use std::f32::consts::PI;

/// Taps on each side of the interpolation point.
const HALF_TAPS: i64 = 12;

/// Resamples mono `input` from `from_hz` to `to_hz`.
// The casts are index and ratio arithmetic on one clause (at most minutes of
// audio at audio rates), far inside every type's range.
#[allow(clippy::cast_possible_truncation)]
pub(crate) fn resample(input: &[f32], from_hz: u32, to_hz: u32) -> Vec<f32> {
    if from_hz == to_hz || input.is_empty() || from_hz == 0 || to_hz == 0 {
        return input.to_vec();
    }
    let step = f64::from(from_hz) / f64::from(to_hz);
    // Cut-off relative to the input rate: 0.5 is the input Nyquist; when
    // going down, stay at 90 % of the output Nyquist.
    let cutoff = (0.5 * f64::from(to_hz.min(from_hz)) / f64::from(from_hz) * 0.9) as f32;
    // Output sample n sits at input position n·from/to, whose fractional part
    // repeats every to/gcd outputs (320 for 22,050 → 16,000): compute those
    // filters once instead of a sine per tap per sample.
    let g = gcd(from_hz, to_hz);
    let (up, down) = (u64::from(to_hz / g), u64::from(from_hz / g));
    let taps = (2 * HALF_TAPS) as usize;
    let phases = usize::try_from(up).unwrap_or(usize::MAX).min(4096);
    let mut table = Vec::with_capacity(phases * taps);
    for p in 0..phases {
        let frac = p as f32 / phases as f32;
        let weights: Vec<f32> = (-HALF_TAPS + 1..=HALF_TAPS)
            .map(|k| windowed_sinc(k as f32 - frac, cutoff))
            .collect();
        let norm: f32 = weights.iter().sum();
        table.extend(weights.iter().map(|w| {
            if norm.abs() > f32::EPSILON {
                w / norm
            } else {
                *w
            }
        }));
    }
    let out_len = ((input.len() as f64) / step).floor() as usize;
    let mut out = Vec::with_capacity(out_len);
    let last = input.len() as i64 - 1;
    for n in 0..out_len as u64 {
        let pos = n * down;
        let centre = (pos / up) as i64;
        // Phase index in 0..up, scaled onto the table when it was capped.
        let phase = ((pos % up) as usize * phases) / up as usize;
        let weights = &table[phase * taps..(phase + 1) * taps];
        let mut acc = 0.0f32;
        for (k, w) in (-HALF_TAPS + 1..=HALF_TAPS).zip(weights) {
            let idx = centre + k;
            if (0..=last).contains(&idx) {
                acc += input[idx as usize] * w;
            }
        }
        out.push(acc);
    }
    out
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn windowed_sinc(x: f32, cutoff: f32) -> f32 {
    let arg = 2.0 * cutoff * x;
    let sinc = if arg.abs() < 1e-6 {
        1.0
    } else {
        (PI * arg).sin() / (PI * arg)
    };
    // Hann window over the tap span.
    let span = HALF_TAPS as f32;
    let window = if x.abs() >= span {
        0.0
    } else {
        0.5 + 0.5 * (PI * x / span).cos()
    };
    sinc * window
}

/// Float samples to PCM16, scaled so the loudest sample sits at `peak` of full
/// scale (as Piper normalises each utterance), never amplifying near-silence
/// by more than 100×.
pub(crate) fn to_pcm16_normalised(samples: &[f32], peak: f32) -> Vec<i16> {
    let max = samples.iter().fold(0.0f32, |m, s| m.max(s.abs())).max(0.01);
    let scale = peak * f32::from(i16::MAX) / max;
    samples.iter().map(|s| to_i16(s * scale)).collect()
}

/// PCM16 to float in [-1, 1].
pub(crate) fn from_pcm16(samples: &[i16]) -> Vec<f32> {
    samples
        .iter()
        .map(|s| f32::from(*s) / f32::from(i16::MAX))
        .collect()
}

/// PCM16 from float in [-1, 1], clamped.
pub(crate) fn to_pcm16(samples: &[f32]) -> Vec<i16> {
    samples
        .iter()
        .map(|s| to_i16(s * f32::from(i16::MAX)))
        .collect()
}

fn to_i16(v: f32) -> i16 {
    // Clamped first, so the cast cannot truncate.
    #[allow(clippy::cast_possible_truncation)]
    let s = v.round().clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i16;
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    // Test signal lengths are small positive numbers.
    #[allow(clippy::cast_possible_truncation)]
    fn sine(freq: f32, rate: u32, secs: f32) -> Vec<f32> {
        let n = (rate as f32 * secs) as usize;
        (0..n)
            .map(|i| (2.0 * PI * freq * i as f32 / rate as f32).sin() * 0.5)
            .collect()
    }

    fn rms(x: &[f32]) -> f32 {
        (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt()
    }

    #[test]
    fn length_scales_with_the_rate_ratio() {
        let out = resample(&vec![0.0; 22_050], 22_050, 16_000);
        assert_eq!(out.len(), 16_000);
    }

    #[test]
    fn a_tone_in_band_keeps_its_level() {
        let out = resample(&sine(440.0, 22_050, 0.5), 22_050, 16_000);
        let mid = &out[400..out.len() - 400];
        assert!(
            (rms(mid) - 0.5 / 2f32.sqrt()).abs() < 0.01,
            "rms {}",
            rms(mid)
        );
        // Same period: zero crossings of a 440 Hz tone in 0.5 s ≈ 440.
        let crossings = out.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count();
        assert!((218..=222).contains(&crossings), "{crossings}");
    }

    #[test]
    fn a_tone_above_the_new_nyquist_is_filtered_out() {
        let out = resample(&sine(10_000.0, 22_050, 0.5), 22_050, 16_000);
        let mid = &out[400..out.len() - 400];
        assert!(rms(mid) < 0.02, "aliased rms {}", rms(mid));
    }

    #[test]
    fn normalisation_hits_the_peak_and_spares_silence() {
        let pcm = to_pcm16_normalised(&[0.0, 0.25, -0.5], 0.9);
        assert_eq!(pcm, vec![0, 14_745, -29_490]);
        let quiet = to_pcm16_normalised(&[0.0001], 0.9);
        assert_eq!(quiet, vec![295]);
        assert_eq!(to_pcm16(&[2.0, -2.0]), vec![i16::MAX, i16::MIN]);
        assert_eq!(from_pcm16(&[i16::MAX]), vec![1.0]);
    }
}
