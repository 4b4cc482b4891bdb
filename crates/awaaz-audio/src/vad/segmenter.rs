//! Hysteresis over per-frame probabilities, and the frame-buffering driver.

use std::collections::VecDeque;

use super::VoiceActivityDetector;
use crate::{ms_to_samples, samples_to_ms};

/// When speech starts and ends, in milliseconds of audio since the stream began.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VadEvent {
    /// Speech began at `at_ms` (padding included). Emitted once the speech
    /// has lasted [`VadConfig::min_speech_ms`].
    SpeechStarted {
        /// Audio time of the onset, minus [`VadConfig::speech_pad_ms`].
        at_ms: u64,
    },
    /// Speech ended at `at_ms` (padding included). Emitted once the silence
    /// has lasted [`VadConfig::min_silence_ms`], so `at_ms` is in the past.
    SpeechEnded {
        /// Audio time of the last speech frame's end, plus [`VadConfig::speech_pad_ms`].
        at_ms: u64,
    },
}

impl VadEvent {
    /// The event's audio time.
    pub fn at_ms(&self) -> u64 {
        match *self {
            Self::SpeechStarted { at_ms } | Self::SpeechEnded { at_ms } => at_ms,
        }
    }
}

/// Thresholds and durations for [`VadSegmenter`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VadConfig {
    /// A frame at or above this probability is speech.
    pub threshold: f32,
    /// A frame below this probability is silence; in between keeps the current state.
    pub neg_threshold: f32,
    /// Speech shorter than this is ignored (clicks, coughs).
    pub min_speech_ms: u64,
    /// Silence shorter than this does not end speech (pauses between words).
    pub min_silence_ms: u64,
    /// Added before the onset and after the end of speech.
    pub speech_pad_ms: u64,
}

impl Default for VadConfig {
    fn default() -> Self {
        // Silero's own defaults are 0.5 / 0.35 (threshold − 0.15); the durations
        // suit phone speech: "haan" lasts ~250 ms, pauses inside a sentence ~200 ms.
        Self {
            threshold: 0.5,
            neg_threshold: 0.35,
            min_speech_ms: 200,
            min_silence_ms: 300,
            speech_pad_ms: 30,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No speech; `candidate` is where a run of speech frames began, in samples.
    Silence { candidate: Option<u64> },
    /// Speech; `silence_since` is where a run of silent frames began, in samples.
    Speech { silence_since: Option<u64> },
}

/// Turns per-frame probabilities into [`VadEvent`]s with hysteresis.
///
/// Time is the audio: each frame advances the clock by its length.
#[derive(Debug, Clone)]
pub struct VadSegmenter {
    config: VadConfig,
    state: State,
    /// Samples seen so far.
    position: u64,
    events: VecDeque<VadEvent>,
}

impl VadSegmenter {
    /// A segmenter at audio time zero.
    pub fn new(config: VadConfig) -> Self {
        Self {
            config,
            state: State::Silence { candidate: None },
            position: 0,
            events: VecDeque::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &VadConfig {
        &self.config
    }

    /// Feeds the probability of the next frame, `frame_samples` long at 16 kHz.
    pub fn handle_probability(&mut self, probability: f32, frame_samples: usize) {
        let start = self.position;
        let end = start + frame_samples as u64;
        self.position = end;
        let speech = probability >= self.config.threshold;
        let silence = probability < self.config.neg_threshold;
        match &mut self.state {
            State::Silence { candidate } => {
                if speech {
                    let onset = *candidate.get_or_insert(start);
                    if end - onset >= ms_to_samples(self.config.min_speech_ms) {
                        let at_ms = samples_to_ms(onset).saturating_sub(self.config.speech_pad_ms);
                        self.events.push_back(VadEvent::SpeechStarted { at_ms });
                        self.state = State::Speech {
                            silence_since: None,
                        };
                    }
                } else if silence {
                    *candidate = None;
                }
            }
            State::Speech { silence_since } => {
                if silence {
                    let since = *silence_since.get_or_insert(start);
                    if end - since >= ms_to_samples(self.config.min_silence_ms) {
                        let at_ms = (samples_to_ms(since) + self.config.speech_pad_ms)
                            .min(samples_to_ms(end));
                        self.events.push_back(VadEvent::SpeechEnded { at_ms });
                        self.state = State::Silence { candidate: None };
                    }
                } else if speech {
                    *silence_since = None;
                }
            }
        }
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<VadEvent> {
        self.events.pop_front()
    }

    /// True between `SpeechStarted` and `SpeechEnded`.
    pub fn is_speaking(&self) -> bool {
        matches!(self.state, State::Speech { .. })
    }

    /// Audio time so far, in milliseconds.
    pub fn position_ms(&self) -> u64 {
        samples_to_ms(self.position)
    }

    /// Back to silence at audio time zero; pending events are dropped.
    pub fn reset(&mut self) {
        *self = Self::new(self.config);
    }
}

/// A detector plus a segmenter, fed with chunks of any length.
///
/// Buffers samples into the detector's frames, so a carrier's 20 ms chunks
/// work with Silero's 32 ms frames.
#[derive(Debug)]
pub struct VadStream<D> {
    detector: D,
    segmenter: VadSegmenter,
    pending: Vec<i16>,
    last_probability: f32,
}

impl<D: VoiceActivityDetector> VadStream<D> {
    /// Wraps a detector.
    pub fn new(detector: D, config: VadConfig) -> Self {
        let cap = detector.frame_len();
        Self {
            detector,
            segmenter: VadSegmenter::new(config),
            pending: Vec::with_capacity(cap),
            last_probability: 0.0,
        }
    }

    /// Feeds 16 kHz samples; whole frames are run through the detector now,
    /// the rest waits for the next call.
    pub fn handle_audio(&mut self, samples: &[i16]) {
        let frame_len = self.detector.frame_len().max(1);
        let mut rest = samples;
        while !rest.is_empty() {
            let take = (frame_len - self.pending.len()).min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() == frame_len {
                let p = self.detector.process(&self.pending);
                self.last_probability = p;
                self.segmenter.handle_probability(p, frame_len);
                self.pending.clear();
            }
        }
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<VadEvent> {
        self.segmenter.poll_event()
    }

    /// Probability of the last whole frame.
    pub fn last_probability(&self) -> f32 {
        self.last_probability
    }

    /// True while the segmenter is in speech.
    pub fn is_speaking(&self) -> bool {
        self.segmenter.is_speaking()
    }

    /// Audio time processed so far (whole frames), in milliseconds.
    pub fn position_ms(&self) -> u64 {
        self.segmenter.position_ms()
    }

    /// The detector.
    pub fn detector(&self) -> &D {
        &self.detector
    }

    /// The detector, mutably.
    pub fn detector_mut(&mut self) -> &mut D {
        &mut self.detector
    }

    /// Starts a new stream: detector, segmenter and buffer are cleared.
    pub fn reset(&mut self) {
        self.detector.reset();
        self.segmenter.reset();
        self.pending.clear();
        self.last_probability = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 20 ms frames at 16 kHz.
    const FRAME: usize = 320;

    fn run(config: VadConfig, probs: &[f32]) -> Vec<VadEvent> {
        let mut s = VadSegmenter::new(config);
        let mut out = Vec::new();
        for &p in probs {
            s.handle_probability(p, FRAME);
            out.extend(std::iter::from_fn(|| s.poll_event()));
        }
        out
    }

    fn frames(spec: &[(f32, usize)]) -> Vec<f32> {
        spec.iter()
            .flat_map(|&(p, n)| std::iter::repeat_n(p, n))
            .collect()
    }

    #[test]
    fn speech_segment_gets_padded_start_and_end() {
        // 500 ms silence, 1 s speech, 600 ms silence.
        let probs = frames(&[(0.05, 25), (0.9, 50), (0.05, 30)]);
        let events = run(VadConfig::default(), &probs);
        assert_eq!(
            events,
            vec![
                VadEvent::SpeechStarted { at_ms: 470 },
                VadEvent::SpeechEnded { at_ms: 1530 }
            ]
        );
    }

    #[test]
    fn start_is_emitted_after_min_speech() {
        let mut s = VadSegmenter::new(VadConfig::default());
        for _ in 0..9 {
            s.handle_probability(0.9, FRAME);
        }
        // 180 ms of speech: not yet.
        assert_eq!(s.poll_event(), None);
        s.handle_probability(0.9, FRAME);
        assert_eq!(s.poll_event(), Some(VadEvent::SpeechStarted { at_ms: 0 }));
        assert!(s.is_speaking());
    }

    #[test]
    fn short_blip_is_ignored() {
        let probs = frames(&[(0.0, 10), (0.95, 6), (0.0, 40)]);
        assert!(run(VadConfig::default(), &probs).is_empty());
    }

    #[test]
    fn short_pause_does_not_end_speech() {
        // A 200 ms pause inside 2 s of speech is below min_silence (300 ms).
        let probs = frames(&[(0.9, 50), (0.1, 10), (0.9, 50), (0.1, 20)]);
        let events = run(VadConfig::default(), &probs);
        assert_eq!(
            events,
            vec![
                VadEvent::SpeechStarted { at_ms: 0 },
                VadEvent::SpeechEnded { at_ms: 2230 }
            ]
        );
    }

    #[test]
    fn in_between_probabilities_keep_the_state() {
        // 0.4 is between neg_threshold and threshold: neither starts nor ends speech.
        let probs = frames(&[(0.4, 50), (0.9, 20), (0.4, 50), (0.1, 15)]);
        let events = run(VadConfig::default(), &probs);
        assert_eq!(
            events,
            vec![
                VadEvent::SpeechStarted { at_ms: 970 },
                VadEvent::SpeechEnded { at_ms: 2430 }
            ]
        );
    }

    #[test]
    fn configurable_silence() {
        let config = VadConfig {
            min_silence_ms: 600,
            speech_pad_ms: 0,
            ..VadConfig::default()
        };
        let probs = frames(&[(0.9, 20), (0.1, 25), (0.9, 20), (0.1, 30)]);
        let events = run(config, &probs);
        // The 500 ms gap is bridged; the final 600 ms silence ends speech at 1300 ms.
        assert_eq!(
            events,
            vec![
                VadEvent::SpeechStarted { at_ms: 0 },
                VadEvent::SpeechEnded { at_ms: 1300 }
            ]
        );
    }

    /// Speech when the frame's mean absolute value exceeds 1000.
    struct Loudness;

    impl VoiceActivityDetector for Loudness {
        fn process(&mut self, frame: &[i16]) -> f32 {
            let mean =
                frame.iter().map(|s| i64::from(*s).abs()).sum::<i64>() / frame.len().max(1) as i64;
            if mean > 1000 {
                1.0
            } else {
                0.0
            }
        }
        fn reset(&mut self) {}
        fn frame_len(&self) -> usize {
            512
        }
    }

    #[test]
    fn stream_buffers_arbitrary_chunks_into_frames() {
        let mut audio = vec![0i16; 16_000];
        audio.extend(vec![5000i16; 16_000]);
        audio.extend(vec![0i16; 16_000]);
        let mut a = VadStream::new(Loudness, VadConfig::default());
        let mut b = VadStream::new(
            Box::new(Loudness) as Box<dyn VoiceActivityDetector>,
            VadConfig::default(),
        );
        a.handle_audio(&audio);
        for chunk in audio.chunks(160) {
            b.handle_audio(chunk);
        }
        let ea: Vec<_> = std::iter::from_fn(|| a.poll_event()).collect();
        let eb: Vec<_> = std::iter::from_fn(|| b.poll_event()).collect();
        // The speech starts in the frame covering 992..1024 ms (frames are 32 ms), minus 30 ms padding.
        assert_eq!(
            ea,
            vec![
                VadEvent::SpeechStarted { at_ms: 962 },
                VadEvent::SpeechEnded { at_ms: 2046 }
            ]
        );
        assert_eq!(ea, eb);
        assert_eq!(a.position_ms(), 2976);
    }
}
