//! [`VadTurnSegmenter`]: Silero VAD (or the energy VAD) plus awaaz-audio's
//! [`TurnDetector`], fed with cues read from partial transcripts.
//!
//! Why: [`crate::EnergySegmenter`] ends a turn only after a fixed 600 ms of
//! silence. Here the VAD notices a pause after 200 ms, and the turn ends
//! after a silence chosen by what the caller said: short after "order kahan
//! hai?", long after "mera order number hai…".
//!
//! Cost on the reactor: [`Segmenter::push`] runs the detector inline on the
//! listener task. One Silero step on a 32 ms frame takes well under a
//! millisecond on one core (`silero_segmenter_on_espeak_speech` measures
//! it), so a 20 ms chunk costs at most one step; this is cheaper than a
//! `spawn_blocking` round trip and does not stall other tasks meaningfully.

use std::sync::{Arc, OnceLock};

use awaaz_audio::{
    AudioChunk, EnergyVad, SileroModel, TranscriptCue, TurnConfig, TurnDetector, TurnEndReason,
    TurnEvent, VadConfig, VadEvent, VadStream, VoiceActivityDetector,
};

use crate::driver::SegmenterFactory;
use crate::segment::{EnergySegmenter, SegmentEvent, Segmenter};

/// Settings of [`VadTurnSegmenter`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VadTurnConfig {
    /// Speech probability hysteresis and durations.
    pub vad: VadConfig,
    /// Silences that end a turn, by transcript cue.
    pub turn: TurnConfig,
    /// Quiet frames in a row (in ms) inside speech that report
    /// [`SegmentEvent::Quiet`], before the VAD confirms a pause; 0 = never.
    pub quiet_ms: u64,
}

impl Default for VadTurnConfig {
    fn default() -> Self {
        Self {
            // Three Silero frames: the recogniser starts on what was said
            // ~100 ms before the VAD would call it a pause.
            quiet_ms: 96,
            // 200 ms: a pause is reported quickly; whether it ends the turn
            // is the turn detector's call, not the VAD's.
            vad: VadConfig {
                min_silence_ms: 200,
                ..VadConfig::default()
            },
            turn: TurnConfig::default(),
        }
    }
}

/// Per-call VAD + turn detection behind the call's [`Segmenter`] seam.
///
/// Stream times are the VAD's audio clock (whole frames since the call began).
pub struct VadTurnSegmenter {
    vad: VadStream<Box<dyn VoiceActivityDetector>>,
    turn: TurnDetector,
    vad_config: VadConfig,
    quiet_ms: u64,
    /// Start of a run of speech frames the VAD has not confirmed yet.
    onset_ms: Option<u64>,
    /// Start of a run of quiet frames inside speech, and whether it was
    /// reported as [`SegmentEvent::Quiet`].
    quiet_since_ms: Option<(u64, bool)>,
}

impl std::fmt::Debug for VadTurnSegmenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VadTurnSegmenter")
            .field("position_ms", &self.vad.position_ms())
            .finish_non_exhaustive()
    }
}

impl VadTurnSegmenter {
    /// A segmenter over any detector.
    pub fn new(detector: Box<dyn VoiceActivityDetector>, config: VadTurnConfig) -> Self {
        Self {
            vad: VadStream::new(detector, config.vad),
            turn: TurnDetector::new(config.turn),
            vad_config: config.vad,
            quiet_ms: config.quiet_ms,
            onset_ms: None,
            quiet_since_ms: None,
        }
    }

    /// Silero when `model` is given (a per-call state over shared weights),
    /// the energy VAD otherwise.
    pub fn from_model(model: Option<&SileroModel>, config: VadTurnConfig) -> Self {
        let detector: Box<dyn VoiceActivityDetector> = match model {
            Some(m) => Box::new(m.new_vad()),
            None => Box::new(EnergyVad::default()),
        };
        Self::new(detector, config)
    }

    fn drain(&mut self, out: &mut Vec<SegmentEvent>) {
        let position = self.vad.position_ms();
        // The VAD confirms speech only after `min_speech_ms`; until then the
        // turn detector is told the time the run began, so a caller who
        // resumed after a pause is not cut off while the VAD makes sure.
        let now = self.onset_ms.unwrap_or(position);
        while let Some(event) = self.vad.poll_event() {
            out.push(match event {
                VadEvent::SpeechStarted { at_ms } => SegmentEvent::SpeechStarted { at_ms },
                VadEvent::SpeechEnded { at_ms } => SegmentEvent::SpeechStopped { at_ms },
            });
            self.turn.on_vad(event, now);
        }
        let now = if self.vad.is_speaking() {
            position
        } else {
            now
        };
        self.turn.handle_timeout(now);
        while let Some(event) = self.turn.poll_event() {
            // Speech starts and backchannels are reported from the VAD above:
            // the listener starts recognition on the first and the call core
            // judges barge-ins itself.
            if let TurnEvent::UserTurnEnded {
                speech_ended_ms,
                reason,
                ..
            } = event
            {
                out.push(SegmentEvent::TurnEnded {
                    speech_end_ms: speech_ended_ms,
                });
                if reason == TurnEndReason::MaxTurnLength && self.vad.is_speaking() {
                    // The caller is still talking after the cap: a new turn,
                    // announced now (the detector would otherwise wait for a
                    // bot it does not know about).
                    self.turn.reset();
                    let restart = VadEvent::SpeechStarted { at_ms: now };
                    self.turn.on_vad(restart, now);
                    out.push(SegmentEvent::SpeechStarted { at_ms: now });
                }
            }
        }
    }
}

impl VadTurnSegmenter {
    /// A quiet frame starting at `frame_ms`: inside speech, the run reports
    /// [`SegmentEvent::Quiet`] once it has lasted `quiet_ms`.
    fn note_quiet(&mut self, frame_ms: u64, out: &mut Vec<SegmentEvent>) {
        if self.quiet_ms == 0 || !self.vad.is_speaking() {
            self.quiet_since_ms = None;
            return;
        }
        let (since, reported) = self.quiet_since_ms.get_or_insert((frame_ms, false));
        if !*reported && self.vad.position_ms() - *since >= self.quiet_ms {
            *reported = true;
            out.push(SegmentEvent::Quiet { since_ms: *since });
        }
    }
}

impl Segmenter for VadTurnSegmenter {
    fn push(&mut self, audio: &AudioChunk) -> Vec<SegmentEvent> {
        let mut out = Vec::new();
        // One frame at a time, so each decision is timed at its own frame.
        let step = self.vad.detector().frame_len().max(1);
        for piece in audio.samples.chunks(step) {
            let before = self.vad.position_ms();
            self.vad.handle_audio(piece);
            if self.vad.position_ms() != before {
                let p = self.vad.last_probability();
                if p >= self.vad_config.threshold {
                    self.onset_ms.get_or_insert(before);
                    self.quiet_since_ms = None;
                } else if p < self.vad_config.neg_threshold {
                    self.onset_ms = None;
                    self.note_quiet(before, &mut out);
                }
            }
            self.drain(&mut out);
            if self.vad.is_speaking() {
                self.onset_ms = None;
            }
        }
        out
    }

    fn transcript_hint(&mut self, text: &str) {
        let now = self.vad.position_ms();
        self.turn.on_partial_transcript(transcript_cue(text), now);
    }

    fn wants_transcripts(&self) -> bool {
        true
    }
}

/// What a (partial) transcript suggests about the end of the caller's turn.
///
/// Complete: ends like a sentence or a question ("?", ".", "।") or with a
/// request word ("batao", "chahiye", "please"). Incomplete: trails off
/// ("…", "aur", "and", "mera order number", "number hai"). Backchannel:
/// only "haan", "ok", "hmm". Unknown otherwise, and for empty text.
pub fn transcript_cue(text: &str) -> TranscriptCue {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return TranscriptCue::Unknown;
    }
    let normalized = awaaz_agent::text::normalize(trimmed);
    if awaaz_agent::nlu::is_backchannel(&normalized) {
        return TranscriptCue::Backchannel;
    }
    if trimmed.ends_with("...") || trimmed.ends_with('…') || trimmed.ends_with(',') {
        return TranscriptCue::Incomplete;
    }
    let lower = trimmed.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let last = words.last().copied().unwrap_or_default();
    let before_last = words
        .len()
        .checked_sub(2)
        .and_then(|i| words.get(i))
        .copied();
    const DANGLING: &[&str] = &[
        "aur", "and", "or", "ya", "number", "mera", "meri", "mere", "my", "is", "the", "ka", "ki",
        "ke", "ko", "se", "but", "lekin", "toh", "to", "और",
    ];
    if DANGLING.contains(&last) || (matches!(last, "hai" | "है") && before_last == Some("number"))
    {
        return TranscriptCue::Incomplete;
    }
    if trimmed.ends_with(['?', '.', '!', '।']) {
        return TranscriptCue::Complete;
    }
    const REQUEST_END: &[&str] = &[
        "batao", "bataiye", "bataye", "chahiye", "karo", "kijiye", "please", "kahan", "kab", "kya",
        "status",
    ];
    if REQUEST_END.contains(&last) {
        return TranscriptCue::Complete;
    }
    if understood_as_complete(normalized) {
        return TranscriptCue::Complete;
    }
    TranscriptCue::Unknown
}

/// Order ids are read as this many digits or more; fewer is a caller still
/// reading them out ("order 4 5 6 …").
const MIN_ORDER_DIGITS: usize = 5;

/// Whether the words alone make a whole request, punctuation or not
/// (Whisper often drops the question mark on phone audio): an order question
/// with a whole order number ("where is my order 45678"), a request for a
/// person, a thank-you, a goodbye, a yes or a no. Read with the agent's own
/// understanding rules over an empty catalogue: the cue needs the shape of
/// the request, not the shop's data.
fn understood_as_complete(normalized: awaaz_agent::text::Normalized) -> bool {
    use awaaz_agent::nlu::{CatalogIndex, Intent, Nlu, OrderRef};
    static NLU: OnceLock<Nlu> = OnceLock::new();
    let nlu = NLU.get_or_init(|| Nlu::new(CatalogIndex::new(&[], &[])));
    let u = nlu.understand_normalized(normalized);
    let whole_order = match &u.slots.order {
        Some(OrderRef::Exact { .. } | OrderRef::Nearest { .. }) => true,
        Some(OrderRef::Unknown { heard }) => heard.len() >= MIN_ORDER_DIGITS,
        None => false,
    };
    match u.intent {
        Intent::OrderStatus
        | Intent::DeliveryDelay
        | Intent::Refund
        | Intent::Cancel
        | Intent::ReturnRequest => whole_order,
        Intent::TalkToHuman
        | Intent::Thanks
        | Intent::Goodbye
        | Intent::Affirm
        | Intent::Deny
        | Intent::Repeat => true,
        _ => false,
    }
}

/// Loads Silero once per process from `$AWAAZ_MODELS_DIR` (default
/// `./models`); `None` (logged once) when it is missing or does not load.
pub fn silero_from_env() -> Option<SileroModel> {
    static MODEL: OnceLock<Option<SileroModel>> = OnceLock::new();
    MODEL
        .get_or_init(|| match SileroModel::from_env() {
            Ok(model) => Some(model),
            Err(e) => {
                tracing::info!(error = %e, "silero vad unavailable; using the energy segmenter");
                None
            }
        })
        .clone()
}

/// A factory of [`VadTurnSegmenter`]s over Silero when `model` is given, or
/// of [`EnergySegmenter`]s otherwise (the energy VAD with the turn detector
/// is no better than the energy segmenter on a phone line's hiss).
pub fn vad_segmenter_factory(
    model: Option<SileroModel>,
    config: VadTurnConfig,
) -> SegmenterFactory {
    match model {
        Some(model) => {
            let model = Arc::new(model);
            Arc::new(move || Box::new(VadTurnSegmenter::from_model(Some(&model), config)))
        }
        None => Arc::new(|| Box::new(EnergySegmenter::default())),
    }
}

#[cfg(test)]
mod tests;
