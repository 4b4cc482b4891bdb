//! Embedded speech recognition: Whisper through CTranslate2 (feature
//! `whisper`, on by default), and a scripted fake (feature `test-support`).
//!
//! ```text
//!  WhisperModel::load(dir) ──Arc──▶ WhisperRecognizer ──start(hints)──▶ WhisperStream (one per utterance)
//!                                                                       │ push(16 kHz audio)
//!                                                                       │ partial(): background decode of the
//!                                                                       │   audio so far, at most every
//!                                                                       │   `partial_interval_ms`, only when the
//!                                                                       │   model is idle and no other caller
//!                                                                       │   is speaking (best effort)
//!                                                                       │ pause(): decode everything so far now,
//!                                                                       │   queued like a final (the caller paused)
//!                                                                       │ decoded(): wakes when a decode is done
//!                                                                       └ finish(): reuses the last decode when
//!                                                                           only silence followed it, else decodes
//!                                                                           the unpadded utterance
//! ```
//!
//! Decodes cannot be interrupted and share one CTranslate2 replica, so the
//! scheduling is what keeps latency flat with several calls: the decode that
//! decides a turn (at the caller's pause) queues in order, while the
//! speculative ones (mid-speech partials) only run on an otherwise idle
//! model and never while another caller is speaking.
//!
//! What it does not do: voice activity detection or end-of-turn decisions
//! (awaaz-audio), text normalisation of Devanagari/Urdu output (the agent).
//! Guards for Whisper's failure modes live in `guard` (repetition loops,
//! silence hallucinations, token caps).

#[cfg(feature = "whisper")]
mod guard;
#[cfg(feature = "whisper")]
mod mel;
#[cfg(feature = "whisper")]
mod model;
#[cfg(feature = "test-support")]
mod scripted;
#[cfg(feature = "whisper")]
mod stream;

#[cfg(feature = "whisper")]
pub use model::{default_dir, WhisperModel};
#[cfg(feature = "test-support")]
pub use scripted::ScriptedRecognizer;
#[cfg(feature = "whisper")]
pub use stream::{WhisperRecognizer, WhisperStream};

/// How a multilingual model picks between English and Hindi decoding when the
/// caller's language is not known yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LanguagePolicy {
    /// Hindi when Hindi-like languages (hi, ur, mr, ne, pa) together are more
    /// probable than English; otherwise English.
    #[default]
    PreferEnglish,
    /// Hindi when Hindi-like languages reach `hindi_threshold`.
    HindiWhenLikely,
}

/// Settings of the Whisper recogniser.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WhisperConfig {
    /// CTranslate2 intra-op threads (one replica; decodes queue on it).
    pub threads: usize,
    /// 1 = greedy search (fastest); more = beam search.
    pub beam_size: usize,
    /// Silence appended after the utterance before computing features.
    pub tail_pad_ms: u32,
    /// Minimum new audio between two partial decodes.
    pub partial_interval_ms: u32,
    /// Audio beyond this is not kept (Whisper's window is 30 s).
    pub max_utterance_ms: u32,
    /// At most this many consecutive copies of a repeated n-gram survive.
    pub max_repeats: usize,
    /// Prompt tokens kept from the vocabulary hints (the most recent ones).
    pub max_prompt_tokens: usize,
    /// Language choice when the hints give none.
    pub language_policy: LanguagePolicy,
    /// Hindi-like probability needed by [`LanguagePolicy::HindiWhenLikely`].
    pub hindi_threshold: f32,
}

impl Default for WhisperConfig {
    fn default() -> Self {
        Self {
            threads: 2,
            beam_size: 1,
            tail_pad_ms: 1_000,
            partial_interval_ms: 300,
            max_utterance_ms: 28_000,
            max_repeats: 3,
            max_prompt_tokens: 96,
            language_policy: LanguagePolicy::default(),
            hindi_threshold: 0.5,
        }
    }
}

impl WhisperConfig {
    /// Sets the number of CTranslate2 threads.
    #[must_use]
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Sets the beam size (1 = greedy).
    #[must_use]
    pub fn with_beam_size(mut self, beam_size: usize) -> Self {
        self.beam_size = beam_size;
        self
    }

    /// Sets the minimum new audio between partial decodes.
    #[must_use]
    pub fn with_partial_interval_ms(mut self, ms: u32) -> Self {
        self.partial_interval_ms = ms;
        self
    }

    /// Sets the Hindi-like probability [`LanguagePolicy::HindiWhenLikely`] needs.
    #[must_use]
    pub fn with_hindi_threshold(mut self, threshold: f32) -> Self {
        self.hindi_threshold = threshold;
        self
    }

    /// Sets the language policy for utterances without a language hint.
    #[must_use]
    pub fn with_language_policy(mut self, policy: LanguagePolicy) -> Self {
        self.language_policy = policy;
        self
    }
}

/// The initial prompt built from recognition hints: the shop's words as a
/// short comma-separated line. Whisper continues the style and spelling of
/// its prompt, so product names come out spelt as the catalogue spells them.
pub fn hint_prompt(vocabulary: &[String]) -> String {
    let mut seen = std::collections::HashSet::new();
    let words: Vec<&str> = vocabulary
        .iter()
        .map(|w| w.trim())
        .filter(|w| !w.is_empty() && seen.insert(w.to_lowercase()))
        .collect();
    if words.is_empty() {
        return String::new();
    }
    format!("{}.", words.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hint_prompt_dedups_and_punctuates() {
        let vocab = vec![
            "Kurta".to_owned(),
            "order".to_owned(),
            " kurta ".to_owned(),
            String::new(),
            "refund".to_owned(),
        ];
        assert_eq!(hint_prompt(&vocab), "Kurta, order, refund.");
        assert_eq!(hint_prompt(&[]), "");
    }
}
