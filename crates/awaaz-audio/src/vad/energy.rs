//! A dependency-free VAD from frame energy over an adaptive noise floor.

use super::VoiceActivityDetector;

/// Tuning for [`EnergyVad`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnergyVadConfig {
    /// Samples per frame (320 = 20 ms).
    pub frame_len: usize,
    /// Starting noise floor, dBFS.
    pub initial_floor_db: f32,
    /// Frame energy this far above the floor gives probability 0.5.
    pub snr_mid_db: f32,
    /// Frames quieter than this (dBFS) are never speech.
    pub min_level_db: f32,
}

impl Default for EnergyVadConfig {
    fn default() -> Self {
        Self {
            frame_len: 320,
            initial_floor_db: -60.0,
            snr_mid_db: 10.0,
            min_level_db: -50.0,
        }
    }
}

/// Energy and zero-crossing VAD: speech is much louder than a slowly
/// tracked noise floor and, unlike hiss, crosses zero less than every other sample.
///
/// Cheap and without a model, but it also fires on loud non-speech (music,
/// clatter). Use it where Silero is unavailable.
#[derive(Debug, Clone)]
pub struct EnergyVad {
    config: EnergyVadConfig,
    floor_db: f32,
}

impl EnergyVad {
    /// A detector with the given tuning.
    pub fn new(config: EnergyVadConfig) -> Self {
        Self {
            config,
            floor_db: config.initial_floor_db,
        }
    }

    /// The current noise-floor estimate, dBFS.
    pub fn noise_floor_db(&self) -> f32 {
        self.floor_db
    }
}

impl Default for EnergyVad {
    fn default() -> Self {
        Self::new(EnergyVadConfig::default())
    }
}

impl VoiceActivityDetector for EnergyVad {
    #[allow(clippy::cast_possible_truncation)] // dB values and probabilities: f64 → f32 is intended
    fn process(&mut self, frame: &[i16]) -> f32 {
        let n = self.config.frame_len.max(1);
        let frame = &frame[..frame.len().min(n)];
        // Missing samples (short frame) count as zeros.
        let energy: f64 = frame
            .iter()
            .map(|&s| f64::from(s) * f64::from(s))
            .sum::<f64>()
            / n as f64;
        let level_db = (10.0 * (energy / (32_768.0 * 32_768.0) + 1e-10).log10()) as f32;
        let crossings = frame
            .windows(2)
            .filter(|w| (w[0] >= 0) != (w[1] >= 0))
            .count();
        let zcr = crossings as f32 / n as f32;

        let snr = level_db - self.floor_db;
        // The floor falls fast (a quieter frame is better evidence of the noise) and
        // rises slowly, faster when the frame is close to the floor, so a long
        // utterance does not become the floor while a louder line still does.
        if snr < 0.0 {
            self.floor_db += 0.3 * snr;
        } else if snr < 6.0 {
            self.floor_db += 0.05 * snr;
        } else {
            self.floor_db += 0.01;
        }

        let mut p = 1.0 / (1.0 + (-(snr - self.config.snr_mid_db) / 2.0).exp());
        // Voiced speech crosses zero rarely; white-ish noise about every other sample.
        if zcr > 0.4 {
            p *= 0.5;
        }
        if level_db < self.config.min_level_db {
            p = 0.0;
        }
        p
    }

    fn reset(&mut self) {
        self.floor_db = self.config.initial_floor_db;
    }

    fn frame_len(&self) -> usize {
        self.config.frame_len
    }
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation)] // test signals are built in range
mod tests {
    use super::*;

    fn noise(len: usize, amplitude: f64, seed: &mut u64) -> Vec<i16> {
        (0..len)
            .map(|_| {
                *seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let u = (*seed >> 33) as f64 / (1u64 << 31) as f64 - 0.5;
                (u * 2.0 * amplitude) as i16
            })
            .collect()
    }

    fn vowel(len: usize, amplitude: f64) -> Vec<i16> {
        (0..len)
            .map(|i| {
                let t = i as f64 / 16_000.0;
                let x = (2.0 * std::f64::consts::PI * 150.0 * t).sin()
                    + 0.5 * (2.0 * std::f64::consts::PI * 450.0 * t).sin();
                (amplitude * x) as i16
            })
            .collect()
    }

    #[test]
    fn quiet_noise_is_silence_and_a_vowel_is_speech() {
        let mut seed = 7;
        let mut vad = EnergyVad::default();
        for frame in noise(16_000, 100.0, &mut seed).chunks(320) {
            assert!(vad.process(frame) < 0.1);
        }
        let floor = vad.noise_floor_db();
        assert!((-58.0..-52.0).contains(&floor), "floor {floor}");
        let speech = vowel(3200, 6000.0);
        let p: Vec<f32> = speech.chunks(320).map(|f| vad.process(f)).collect();
        assert!(p.iter().all(|&p| p > 0.9), "{p:?}");
    }

    #[test]
    fn digital_silence_is_never_speech_and_reset_restores_floor() {
        let mut vad = EnergyVad::default();
        assert_eq!(vad.process(&[0; 320]), 0.0);
        assert_eq!(vad.process(&[]), 0.0);
        vad.reset();
        assert_eq!(vad.noise_floor_db(), -60.0);
    }

    #[test]
    fn loud_hiss_is_discounted() {
        let mut seed = 3;
        let mut vad = EnergyVad::default();
        for frame in vec![0i16; 3200].chunks(320) {
            vad.process(frame);
        }
        let hiss = noise(320, 3000.0, &mut seed);
        let p_hiss = vad.process(&hiss);
        let mut vad2 = EnergyVad::default();
        for frame in vec![0i16; 3200].chunks(320) {
            vad2.process(frame);
        }
        let p_vowel = vad2.process(&vowel(320, 1700.0));
        assert!(
            p_hiss <= 0.5 && p_vowel > 0.9,
            "hiss {p_hiss} vowel {p_vowel}"
        );
    }
}
