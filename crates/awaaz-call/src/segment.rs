//! Cutting the caller's audio into turns: when speech starts and when the
//! caller has finished.
//!
//! [`Segmenter`] is the seam the listener uses; [`EnergySegmenter`] is a
//! dependency-free default (frame energy with a hangover). The app can plug
//! awaaz-audio's VAD and turn detector (Silero, Smart Turn) in its place
//! through [`crate::CallEngines::segmenter`].
//!
//! Times are stream times: milliseconds of caller audio since the call
//! started, counted from the samples themselves.

use awaaz_audio::{AudioChunk, SAMPLE_RATE_HZ};

/// What a segmenter noticed in the caller's audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentEvent {
    /// Speech began at this stream time.
    SpeechStarted {
        /// Stream milliseconds.
        at_ms: u64,
    },
    /// Speech paused (a breath, or the end of the turn: see `TurnEnded`).
    SpeechStopped {
        /// Stream milliseconds of the end of the last speech.
        at_ms: u64,
    },
    /// The caller has been quiet for a moment, too short to call it a pause
    /// yet: a good time to transcribe what was said so far, so a finished
    /// question has its text by the time the pause is confirmed.
    Quiet {
        /// Stream milliseconds where the quiet began (the first quiet frame).
        since_ms: u64,
    },
    /// The caller finished their turn; their speech ended at this stream time.
    TurnEnded {
        /// Stream milliseconds.
        speech_end_ms: u64,
    },
}

/// Per-call speech and turn detection over caller audio. Sans-I/O.
pub trait Segmenter: Send {
    /// Feeds audio; returns what it noticed, in order.
    fn push(&mut self, audio: &AudioChunk) -> Vec<SegmentEvent>;
    /// A partial transcript of the current utterance, for detectors that use
    /// words as cues ("…aur" means more is coming). Ignored by default.
    fn transcript_hint(&mut self, _text: &str) {}
    /// Whether the listener should fetch partial transcripts while the
    /// caller speaks to a silent bot too (they cost decoder passes, so only
    /// detectors that use [`transcript_hint`](Self::transcript_hint) ask).
    fn wants_transcripts(&self) -> bool {
        false
    }
}

/// Settings of [`EnergySegmenter`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnergyConfig {
    /// RMS (in PCM16 units) above which a 20 ms frame counts as speech.
    pub speech_rms: f64,
    /// Loud frames in a row needed before speech counts as started.
    pub min_speech_ms: u64,
    /// Silence after speech that counts as a pause.
    pub pause_ms: u64,
    /// Silence after speech that ends the turn.
    pub end_silence_ms: u64,
}

impl Default for EnergyConfig {
    fn default() -> Self {
        // -36 dBFS: above a phone line's hiss, below quiet speech.
        Self {
            speech_rms: 520.0,
            min_speech_ms: 60,
            pause_ms: 200,
            end_silence_ms: 600,
        }
    }
}

const FRAME_SAMPLES: usize = SAMPLE_RATE_HZ as usize / 50;
const FRAME_MS: u64 = 20;

/// Frame-energy speech detection with a silence hangover.
#[derive(Debug, Clone)]
pub struct EnergySegmenter {
    config: EnergyConfig,
    pending: Vec<i16>,
    /// Stream time at the start of `pending`.
    position_ms: u64,
    loud_run_ms: u64,
    loud_run_start_ms: u64,
    /// Inside an utterance (speech started, turn not ended).
    in_speech: bool,
    /// Speech is sounding now (not paused).
    voiced: bool,
    last_loud_end_ms: u64,
}

impl EnergySegmenter {
    /// A segmenter at stream time 0.
    pub fn new(config: EnergyConfig) -> Self {
        Self {
            config,
            pending: Vec::with_capacity(FRAME_SAMPLES),
            position_ms: 0,
            loud_run_ms: 0,
            loud_run_start_ms: 0,
            in_speech: false,
            voiced: false,
            last_loud_end_ms: 0,
        }
    }

    fn frame(&mut self, frame: &[i16], out: &mut Vec<SegmentEvent>) {
        let start = self.position_ms;
        let end = start + FRAME_MS;
        self.position_ms = end;
        let energy: f64 = frame.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>();
        let rms = (energy / frame.len().max(1) as f64).sqrt();
        if rms >= self.config.speech_rms {
            if self.loud_run_ms == 0 {
                self.loud_run_start_ms = start;
            }
            self.loud_run_ms += FRAME_MS;
            self.last_loud_end_ms = end;
            if !self.voiced && self.loud_run_ms >= self.config.min_speech_ms {
                self.in_speech = true;
                self.voiced = true;
                out.push(SegmentEvent::SpeechStarted {
                    at_ms: self.loud_run_start_ms,
                });
            }
        } else {
            self.loud_run_ms = 0;
            let silent_ms = end - self.last_loud_end_ms;
            if self.voiced && silent_ms >= self.config.pause_ms {
                self.voiced = false;
                out.push(SegmentEvent::SpeechStopped {
                    at_ms: self.last_loud_end_ms,
                });
            }
            if self.in_speech && silent_ms >= self.config.end_silence_ms {
                self.in_speech = false;
                out.push(SegmentEvent::TurnEnded {
                    speech_end_ms: self.last_loud_end_ms,
                });
            }
        }
    }
}

impl Default for EnergySegmenter {
    fn default() -> Self {
        Self::new(EnergyConfig::default())
    }
}

impl Segmenter for EnergySegmenter {
    fn push(&mut self, audio: &AudioChunk) -> Vec<SegmentEvent> {
        let mut out = Vec::new();
        self.pending.extend_from_slice(&audio.samples);
        let mut frames = std::mem::take(&mut self.pending);
        let whole = frames.len() / FRAME_SAMPLES * FRAME_SAMPLES;
        for frame in frames[..whole].chunks_exact(FRAME_SAMPLES) {
            self.frame(frame, &mut out);
        }
        frames.drain(..whole);
        self.pending = frames;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(ms: u64, amplitude: i16) -> AudioChunk {
        let n = usize::try_from(ms * 16).unwrap_or(0);
        AudioChunk::new(
            (0..n)
                .map(|i| if i % 2 == 0 { amplitude } else { -amplitude })
                .collect(),
        )
    }

    #[test]
    fn speech_then_silence_is_one_turn() {
        let mut s = EnergySegmenter::default();
        assert!(s.push(&tone(500, 0)).is_empty());
        // Odd chunk sizes: frames are cut across pushes.
        let mut events = s.push(&AudioChunk::new(tone(1000, 3000).samples[..7000].to_vec()));
        events.extend(s.push(&AudioChunk::new(tone(1000, 3000).samples[7000..].to_vec())));
        assert_eq!(events, vec![SegmentEvent::SpeechStarted { at_ms: 500 }]);
        assert_eq!(
            s.push(&tone(580, 0)),
            vec![SegmentEvent::SpeechStopped { at_ms: 1500 }],
            "a pause, not yet the end of the turn"
        );
        assert_eq!(
            s.push(&tone(20, 0)),
            vec![SegmentEvent::TurnEnded {
                speech_end_ms: 1500
            }]
        );
    }

    #[test]
    fn a_click_is_not_speech_and_a_pause_does_not_end_the_turn() {
        let mut s = EnergySegmenter::default();
        assert!(s.push(&tone(40, 5000)).is_empty());
        assert!(s.push(&tone(200, 0)).is_empty());
        assert_eq!(s.push(&tone(300, 5000)).len(), 1);
        assert_eq!(
            s.push(&tone(400, 0)),
            vec![SegmentEvent::SpeechStopped { at_ms: 540 }]
        );
        assert_eq!(
            s.push(&tone(300, 5000)),
            vec![SegmentEvent::SpeechStarted { at_ms: 940 }],
            "speech resumes within the same turn"
        );
        assert_eq!(
            s.push(&tone(600, 0)),
            vec![
                SegmentEvent::SpeechStopped { at_ms: 1240 },
                SegmentEvent::TurnEnded {
                    speech_end_ms: 1240
                }
            ]
        );
    }
}
