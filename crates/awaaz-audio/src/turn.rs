//! Turn-taking: when the caller has finished, and when they interrupt the bot.
//!
//! [`TurnDetector`] is a sans-I/O state machine; time is an argument in
//! milliseconds (any monotonic origin, usually the call's audio clock, the
//! same clock as [`VadEvent::at_ms`]). Drive it like this:
//!
//! ```text
//!  on_vad(event, now)  on_partial_transcript(cue, now)  set_bot_speaking(b)
//!          │                      │                           │
//!          └──────────────▶ TurnDetector ◀────────────────────┘
//!     loop { while let Some(e) = poll_event() { act(e) }
//!            sleep until poll_timeout(); handle_timeout(now) }
//! ```
//!
//! Policy:
//! * The turn ends after a silence that depends on what the caller said so
//!   far: short when the transcript looks complete, long when it trails off
//!   ("mera order number hai…"), medium when unknown; plus a hard cap on the
//!   length of a turn, so a noisy line cannot hold the floor forever.
//! * While the bot is silent, any speech starts a user turn at once.
//! * While the bot speaks, speech is an interruption only once it has lasted
//!   [`TurnConfig::barge_in_min_speech_ms`] and its transcript is not a
//!   backchannel ("haan", "ok", "hmm"); with no transcript yet, after the
//!   longer [`TurnConfig::barge_in_unknown_speech_ms`]. A backchannel that
//!   ends without becoming an interruption yields [`TurnEvent::BackchannelDetected`].
//! * When the bot is silent a backchannel word is an answer ("haan" = yes),
//!   so it is timed like a complete transcript.
//!
//! [`VadEvent::at_ms`]: crate::vad::VadEvent::at_ms

use std::collections::VecDeque;

use crate::vad::VadEvent;

/// What the caller's words so far suggest, computed by the agent from text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TranscriptCue {
    /// Looks finished: a question, an answer, a full sentence.
    Complete,
    /// Trails off: a dangling "hai…", "aur", "my order number is".
    Incomplete,
    /// Only acknowledgement: "haan", "hmm", "ok", "achha", "ji".
    Backchannel,
    /// No transcript yet, or nothing to say about it.
    #[default]
    Unknown,
}

/// Why a user turn ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TurnEndReason {
    /// The caller was silent long enough.
    Silence,
    /// The turn reached [`TurnConfig::max_turn_ms`].
    MaxTurnLength,
}

/// What the detector decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TurnEvent {
    /// The caller started a turn at `at_ms` (speech onset). While the bot is
    /// speaking this is a barge-in: stop playback.
    UserStartedSpeaking {
        /// When the speech began.
        at_ms: u64,
    },
    /// The caller's turn is over: time to answer.
    UserTurnEnded {
        /// When the detector decided (the `now_ms` it was given).
        at_ms: u64,
        /// When the caller's speech ended (VAD time, padding included).
        speech_ended_ms: u64,
        /// Why.
        reason: TurnEndReason,
    },
    /// The caller spoke while the bot spoke, but only to acknowledge: keep talking.
    BackchannelDetected {
        /// When that speech ended.
        at_ms: u64,
    },
}

/// Durations for [`TurnDetector`], in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TurnConfig {
    /// Silence that ends a turn whose transcript looks complete.
    pub complete_silence_ms: u64,
    /// Silence that ends a turn whose transcript looks incomplete.
    pub incomplete_silence_ms: u64,
    /// Silence that ends a turn with no usable cue.
    pub unknown_silence_ms: u64,
    /// Speech needed, while the bot speaks, before it counts as an interruption.
    pub barge_in_min_speech_ms: u64,
    /// As above, when no transcript cue has arrived yet.
    pub barge_in_unknown_speech_ms: u64,
    /// Longest user turn; at this length the turn ends even if the line is not silent.
    pub max_turn_ms: u64,
}

impl Default for TurnConfig {
    fn default() -> Self {
        Self {
            complete_silence_ms: 280,
            incomplete_silence_ms: 900,
            unknown_silence_ms: 550,
            barge_in_min_speech_ms: 250,
            // Without words, wait past a typical "haan"/"hmm" (≈ 300–400 ms) before cutting the bot off.
            barge_in_unknown_speech_ms: 600,
            max_turn_ms: 30_000,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Turn {
    /// Onset of the turn's first speech.
    started_ms: u64,
    /// Onset of the current stretch of speech.
    segment_ms: u64,
    /// The VAD says the caller is speaking.
    speaking: bool,
    /// End of the last stretch of speech, while not speaking.
    speech_ended_ms: u64,
    /// `UserStartedSpeaking` was emitted for this turn.
    announced: bool,
    cue: TranscriptCue,
}

/// Decides when the caller's turn ends and when they barge in. See the module docs.
#[derive(Debug, Clone)]
pub struct TurnDetector {
    config: TurnConfig,
    bot_speaking: bool,
    turn: Option<Turn>,
    events: VecDeque<TurnEvent>,
}

impl TurnDetector {
    /// A detector with no turn in progress and the bot silent.
    pub fn new(config: TurnConfig) -> Self {
        Self {
            config,
            bot_speaking: false,
            turn: None,
            events: VecDeque::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &TurnConfig {
        &self.config
    }

    /// Feeds a VAD event observed at `now_ms`.
    pub fn on_vad(&mut self, event: VadEvent, now_ms: u64) {
        self.handle_timeout(now_ms);
        match event {
            VadEvent::SpeechStarted { at_ms } => match &mut self.turn {
                Some(turn) => {
                    // The caller resumed before the turn ended: same turn.
                    turn.speaking = true;
                    turn.segment_ms = at_ms;
                }
                None => {
                    self.turn = Some(Turn {
                        started_ms: at_ms,
                        segment_ms: at_ms,
                        speaking: true,
                        speech_ended_ms: at_ms,
                        announced: false,
                        cue: TranscriptCue::Unknown,
                    });
                    if !self.bot_speaking {
                        self.announce();
                    }
                }
            },
            VadEvent::SpeechEnded { at_ms } => {
                let Some(turn) = &mut self.turn else { return };
                turn.speaking = false;
                turn.speech_ended_ms = at_ms;
                if !turn.announced {
                    // Speech during the bot's turn that never became an interruption.
                    if turn.cue == TranscriptCue::Backchannel {
                        self.events
                            .push_back(TurnEvent::BackchannelDetected { at_ms });
                    }
                    self.turn = None;
                }
            }
        }
        self.handle_timeout(now_ms);
    }

    /// Feeds the agent's reading of the latest (partial or final) transcript.
    pub fn on_partial_transcript(&mut self, cue: TranscriptCue, now_ms: u64) {
        if let Some(turn) = &mut self.turn {
            turn.cue = cue;
        }
        self.handle_timeout(now_ms);
    }

    /// Tells the detector whether the bot's audio is playing.
    pub fn set_bot_speaking(&mut self, speaking: bool) {
        self.bot_speaking = speaking;
        if !speaking {
            // The bot finished while the caller was talking: the caller has the floor.
            if matches!(self.turn, Some(t) if !t.announced) {
                self.announce();
            }
        }
    }

    /// True while the bot's audio is playing (as last told).
    pub fn bot_speaking(&self) -> bool {
        self.bot_speaking
    }

    /// True while a user turn is in progress (announced or not).
    pub fn user_turn_in_progress(&self) -> bool {
        self.turn.is_some()
    }

    /// The earliest time at which [`handle_timeout`](Self::handle_timeout) has work to do.
    pub fn poll_timeout(&self) -> Option<u64> {
        let turn = self.turn?;
        let mut deadlines = [None; 3];
        if turn.announced {
            deadlines[0] = Some(turn.started_ms + self.config.max_turn_ms);
            if !turn.speaking {
                deadlines[1] = Some(turn.speech_ended_ms + self.silence_for(turn.cue));
            }
        } else if turn.speaking {
            deadlines[2] = self.barge_in_after(turn.cue).map(|d| turn.segment_ms + d);
        }
        deadlines.into_iter().flatten().min()
    }

    /// Acts on every deadline that is due at `now_ms`. Calling it early is harmless.
    pub fn handle_timeout(&mut self, now_ms: u64) {
        let Some(turn) = self.turn else { return };
        if !turn.announced {
            if turn.speaking && self.bot_speaking {
                if let Some(needed) = self.barge_in_after(turn.cue) {
                    if now_ms >= turn.segment_ms + needed {
                        self.announce();
                    }
                }
            }
            return;
        }
        if now_ms >= turn.started_ms + self.config.max_turn_ms {
            self.events.push_back(TurnEvent::UserTurnEnded {
                at_ms: now_ms,
                speech_ended_ms: if turn.speaking {
                    now_ms
                } else {
                    turn.speech_ended_ms
                },
                reason: TurnEndReason::MaxTurnLength,
            });
            // Whatever is still sounding becomes a new, unannounced stretch: it
            // can interrupt the answer under the barge-in rules.
            self.turn = turn.speaking.then_some(Turn {
                started_ms: now_ms,
                segment_ms: now_ms,
                speaking: true,
                speech_ended_ms: now_ms,
                announced: false,
                cue: TranscriptCue::Unknown,
            });
            return;
        }
        if !turn.speaking && now_ms >= turn.speech_ended_ms + self.silence_for(turn.cue) {
            self.events.push_back(TurnEvent::UserTurnEnded {
                at_ms: now_ms,
                speech_ended_ms: turn.speech_ended_ms,
                reason: TurnEndReason::Silence,
            });
            self.turn = None;
        }
    }

    /// The next decision, if any.
    pub fn poll_event(&mut self) -> Option<TurnEvent> {
        self.events.pop_front()
    }

    /// Drops any turn in progress and pending events (the bot state is kept).
    pub fn reset(&mut self) {
        self.turn = None;
        self.events.clear();
    }

    fn announce(&mut self) {
        if let Some(turn) = &mut self.turn {
            turn.announced = true;
            self.events.push_back(TurnEvent::UserStartedSpeaking {
                at_ms: turn.started_ms,
            });
        }
    }

    fn silence_for(&self, cue: TranscriptCue) -> u64 {
        match cue {
            // A lone "haan" after the bot's question is an answer.
            TranscriptCue::Complete | TranscriptCue::Backchannel => self.config.complete_silence_ms,
            TranscriptCue::Incomplete => self.config.incomplete_silence_ms,
            TranscriptCue::Unknown => self.config.unknown_silence_ms,
        }
    }

    /// Speech needed before an interruption, or `None` while it is a backchannel.
    fn barge_in_after(&self, cue: TranscriptCue) -> Option<u64> {
        match cue {
            TranscriptCue::Backchannel => None,
            TranscriptCue::Unknown => Some(self.config.barge_in_unknown_speech_ms),
            TranscriptCue::Complete | TranscriptCue::Incomplete => {
                Some(self.config.barge_in_min_speech_ms)
            }
        }
    }
}

impl Default for TurnDetector {
    fn default() -> Self {
        Self::new(TurnConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TranscriptCue::{Backchannel, Complete, Incomplete, Unknown};

    fn drain(d: &mut TurnDetector) -> Vec<TurnEvent> {
        std::iter::from_fn(|| d.poll_event()).collect()
    }

    fn started(at_ms: u64) -> VadEvent {
        VadEvent::SpeechStarted { at_ms }
    }

    fn ended(at_ms: u64) -> VadEvent {
        VadEvent::SpeechEnded { at_ms }
    }

    fn turn_ended(at_ms: u64, speech_ended_ms: u64) -> TurnEvent {
        TurnEvent::UserTurnEnded {
            at_ms,
            speech_ended_ms,
            reason: TurnEndReason::Silence,
        }
    }

    /// The caller speaks 1000–2500 ms with the bot silent; returns the detector
    /// right after `SpeechEnded` arrived at 2530 ms.
    fn user_spoke(cue: TranscriptCue) -> TurnDetector {
        let mut d = TurnDetector::default();
        d.on_vad(started(1000), 1230);
        assert_eq!(
            drain(&mut d),
            vec![TurnEvent::UserStartedSpeaking { at_ms: 1000 }]
        );
        d.on_partial_transcript(cue, 2000);
        d.on_vad(ended(2500), 2530);
        assert_eq!(drain(&mut d), vec![]);
        d
    }

    /// Steps the detector to its deadline and checks nothing fires a millisecond early.
    fn fire_at(d: &mut TurnDetector, expected_ms: u64) -> Vec<TurnEvent> {
        assert_eq!(d.poll_timeout(), Some(expected_ms));
        d.handle_timeout(expected_ms - 1);
        assert_eq!(drain(d), vec![]);
        d.handle_timeout(expected_ms);
        drain(d)
    }

    #[test]
    fn complete_transcript_ends_turn_after_short_silence() {
        let mut d = user_spoke(Complete);
        assert_eq!(fire_at(&mut d, 2780), vec![turn_ended(2780, 2500)]);
        assert!(!d.user_turn_in_progress());
        assert_eq!(d.poll_timeout(), None);
    }

    #[test]
    fn incomplete_transcript_waits_longer() {
        // "mera order number hai…"
        let mut d = user_spoke(Incomplete);
        assert_eq!(fire_at(&mut d, 3400), vec![turn_ended(3400, 2500)]);
    }

    #[test]
    fn unknown_transcript_waits_the_medium_time() {
        let mut d = user_spoke(Unknown);
        assert_eq!(fire_at(&mut d, 3050), vec![turn_ended(3050, 2500)]);
    }

    #[test]
    fn late_speech_end_fires_at_once_when_silence_already_long_enough() {
        let mut d = TurnDetector::default();
        d.on_vad(started(1000), 1230);
        d.on_partial_transcript(Complete, 2000);
        // The VAD reports the end 300 ms late: the 280 ms have already passed.
        d.on_vad(ended(2500), 2800);
        assert_eq!(
            drain(&mut d),
            vec![
                TurnEvent::UserStartedSpeaking { at_ms: 1000 },
                turn_ended(2800, 2500)
            ]
        );
    }

    #[test]
    fn caller_resuming_keeps_the_same_turn() {
        let mut d = user_spoke(Incomplete);
        d.handle_timeout(3000);
        d.on_vad(started(3000), 3230);
        // No second UserStartedSpeaking and no turn end while speaking.
        assert_eq!(drain(&mut d), vec![]);
        d.handle_timeout(3400);
        assert_eq!(drain(&mut d), vec![]);
        d.on_partial_transcript(Complete, 3600);
        d.on_vad(ended(4000), 4030);
        assert_eq!(fire_at(&mut d, 4280), vec![turn_ended(4280, 4000)]);
    }

    #[test]
    fn cue_arriving_during_silence_moves_the_deadline() {
        let mut d = user_spoke(Incomplete);
        assert_eq!(d.poll_timeout(), Some(3400));
        // The final transcript turns out complete at 2900: 400 ms of silence already.
        d.on_partial_transcript(Complete, 2900);
        assert_eq!(drain(&mut d), vec![turn_ended(2900, 2500)]);
        // And the other way: complete → incomplete postpones.
        let mut d = user_spoke(Complete);
        d.on_partial_transcript(Incomplete, 2600);
        assert_eq!(fire_at(&mut d, 3400), vec![turn_ended(3400, 2500)]);
    }

    #[test]
    fn barge_in_needs_min_speech_and_a_non_backchannel_cue() {
        let mut d = TurnDetector::default();
        d.set_bot_speaking(true);
        d.on_vad(started(1000), 1230);
        assert_eq!(drain(&mut d), vec![]);
        // No words yet: wait 600 ms of speech.
        assert_eq!(d.poll_timeout(), Some(1600));
        // Words say "ruko" (Complete) at 1300: 300 ms ≥ 250 ms, interrupt now.
        d.on_partial_transcript(Complete, 1300);
        assert_eq!(
            drain(&mut d),
            vec![TurnEvent::UserStartedSpeaking { at_ms: 1000 }]
        );
        // From here it is an ordinary user turn.
        d.set_bot_speaking(false);
        d.on_vad(ended(1800), 1830);
        assert_eq!(fire_at(&mut d, 2080), vec![turn_ended(2080, 1800)]);
    }

    #[test]
    fn barge_in_without_transcript_after_longer_speech() {
        let mut d = TurnDetector::default();
        d.set_bot_speaking(true);
        d.on_vad(started(1000), 1230);
        assert_eq!(
            fire_at(&mut d, 1600),
            vec![TurnEvent::UserStartedSpeaking { at_ms: 1000 }]
        );
    }

    #[test]
    fn cue_before_min_speech_waits_for_min_speech() {
        let mut d = TurnDetector::default();
        d.set_bot_speaking(true);
        d.on_vad(started(1000), 1010);
        d.on_partial_transcript(Incomplete, 1100);
        assert_eq!(drain(&mut d), vec![]);
        assert_eq!(
            fire_at(&mut d, 1250),
            vec![TurnEvent::UserStartedSpeaking { at_ms: 1000 }]
        );
    }

    #[test]
    fn backchannel_while_bot_speaks_is_not_an_interruption() {
        let mut d = TurnDetector::default();
        d.set_bot_speaking(true);
        d.on_vad(started(1000), 1230);
        d.on_partial_transcript(Backchannel, 1240);
        // A backchannel never times out into a barge-in.
        assert_eq!(d.poll_timeout(), None);
        d.handle_timeout(5000);
        assert_eq!(drain(&mut d), vec![]);
        d.on_vad(ended(1400), 1700);
        assert_eq!(
            drain(&mut d),
            vec![TurnEvent::BackchannelDetected { at_ms: 1400 }]
        );
        assert!(!d.user_turn_in_progress());
        assert_eq!(d.poll_timeout(), None);
    }

    #[test]
    fn backchannel_that_goes_on_becomes_an_interruption() {
        // "haan haan, lekin mera order…"
        let mut d = TurnDetector::default();
        d.set_bot_speaking(true);
        d.on_vad(started(1000), 1230);
        d.on_partial_transcript(Backchannel, 1300);
        assert_eq!(drain(&mut d), vec![]);
        d.on_partial_transcript(Incomplete, 1900);
        assert_eq!(
            drain(&mut d),
            vec![TurnEvent::UserStartedSpeaking { at_ms: 1000 }]
        );
    }

    #[test]
    fn short_noise_while_bot_speaks_is_dropped_silently() {
        let mut d = TurnDetector::default();
        d.set_bot_speaking(true);
        d.on_vad(started(1000), 1200);
        d.on_vad(ended(1300), 1500);
        assert_eq!(drain(&mut d), vec![]);
        assert!(!d.user_turn_in_progress());
    }

    #[test]
    fn bot_finishing_while_caller_talks_gives_caller_the_floor() {
        let mut d = TurnDetector::default();
        d.set_bot_speaking(true);
        d.on_vad(started(1000), 1230);
        d.on_partial_transcript(Backchannel, 1240);
        d.set_bot_speaking(false);
        assert_eq!(
            drain(&mut d),
            vec![TurnEvent::UserStartedSpeaking { at_ms: 1000 }]
        );
        // With the bot silent, "haan" is an answer: timed as complete.
        d.on_vad(ended(1400), 1430);
        assert_eq!(fire_at(&mut d, 1680), vec![turn_ended(1680, 1400)]);
    }

    #[test]
    fn backchannel_word_answering_the_bot_ends_turn_quickly() {
        let mut d = user_spoke(Backchannel);
        assert_eq!(fire_at(&mut d, 2780), vec![turn_ended(2780, 2500)]);
    }

    #[test]
    fn endless_speech_is_capped_and_what_follows_can_interrupt() {
        let mut d = TurnDetector::default();
        d.on_vad(started(0), 230);
        assert_eq!(
            drain(&mut d),
            vec![TurnEvent::UserStartedSpeaking { at_ms: 0 }]
        );
        assert_eq!(
            fire_at(&mut d, 30_000),
            vec![TurnEvent::UserTurnEnded {
                at_ms: 30_000,
                speech_ended_ms: 30_000,
                reason: TurnEndReason::MaxTurnLength
            }]
        );
        // The line is still "speaking"; the bot answers; the noise is held to barge-in rules.
        assert!(d.user_turn_in_progress());
        d.set_bot_speaking(true);
        assert_eq!(
            fire_at(&mut d, 30_600),
            vec![TurnEvent::UserStartedSpeaking { at_ms: 30_000 }]
        );
    }

    #[test]
    fn speech_end_without_a_turn_is_ignored_and_reset_clears() {
        let mut d = TurnDetector::default();
        d.on_vad(ended(500), 800);
        assert_eq!(drain(&mut d), vec![]);
        d.on_vad(started(1000), 1200);
        d.reset();
        assert_eq!(drain(&mut d), vec![]);
        assert!(!d.user_turn_in_progress());
        assert_eq!(d.poll_timeout(), None);
    }
}
