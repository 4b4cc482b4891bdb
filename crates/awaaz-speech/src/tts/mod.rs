//! Speech synthesis: reply text → 16 kHz audio, clause by clause.
//!
//! ```text
//!  reply ─▶ speakable(voice) ─▶ split_clauses ─▶ clause 1 ─▶ engine ─▶ next() ─▶ audio 1
//!                                              └▶ clause 2 ─▶ engine (while audio 1 plays) ─▶ audio 2 …
//!  engine: Voice::English → Piper (en_US-joe, espeak-ng phonemes, ONNX Runtime)
//!          Voice::Hindi   → espeak-ng `hi` voice
//! ```
//!
//! [`EmbeddedSynthesizer`] starts the first clause as soon as `synthesize` is
//! called and keeps at most `lookahead` later clauses in flight, each on a
//! blocking thread; dropping the stream stops scheduling new clauses.
//! With feature `test-support`, [`SilentSynthesizer`] stands in for it.

use std::path::PathBuf;

#[cfg(feature = "piper")]
mod embedded;
#[cfg(feature = "piper")]
pub mod espeak;
#[cfg(feature = "test-support")]
mod fake;
#[cfg(feature = "piper")]
pub mod piper;
#[cfg(feature = "piper")]
mod resample;

#[cfg(feature = "piper")]
pub use embedded::{EmbeddedSynthesizer, EspeakVoice, SynthesisOptions, PIPER_ENGLISH_MODEL};
#[cfg(feature = "test-support")]
pub use fake::SilentSynthesizer;
#[cfg(feature = "piper")]
pub use piper::{onnx_environment, ClausePriority, PiperConfig, PiperVoice};

/// Where models live: `AWAAZ_MODELS_DIR`, else `./models`.
pub fn models_dir() -> PathBuf {
    awaaz_audio::models_dir()
}

/// Splits speakable text into clauses to synthesise one at a time: at
/// sentence ends (`.` `?` `!` `।` followed by a space) and at a comma, semicolon
/// or colon once the clause has `long_clause_chars` characters and enough text
/// follows to be worth a clause of its own. Punctuation stays with its clause.
pub fn split_clauses(text: &str, long_clause_chars: usize) -> Vec<String> {
    split_clauses_with(text, long_clause_chars, long_clause_chars)
}

/// Like [`split_clauses`], but the *first* clause already ends at a comma,
/// semicolon or colon once it has `first_clause_chars` characters: the caller
/// waits for the first clause's whole synthesis before hearing anything, so
/// a short first clause ("Order 4 5 6 7 8,") is what makes the answer start
/// quickly; later clauses are synthesised while earlier ones play.
pub fn split_clauses_with(
    text: &str,
    first_clause_chars: usize,
    long_clause_chars: usize,
) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut clauses = Vec::new();
    let mut current = String::new();
    let mut current_len = 0usize;
    for (i, &c) in chars.iter().enumerate() {
        current.push(c);
        current_len += 1;
        let at_break = chars.get(i + 1).is_none_or(|n| n.is_whitespace());
        let sentence_end = matches!(c, '.' | '?' | '!' | '।' | '॥') && at_break;
        let remaining = chars.len() - i - 1;
        let min_chars = if clauses.is_empty() {
            first_clause_chars
        } else {
            long_clause_chars
        };
        let long_pause = matches!(c, ',' | ';' | ':')
            && at_break
            && current_len >= min_chars
            && remaining >= long_clause_chars / 2;
        if sentence_end || long_pause || c == '\n' {
            push_clause(&mut clauses, &current);
            current.clear();
            current_len = 0;
        }
    }
    push_clause(&mut clauses, &current);
    clauses
}

fn push_clause(clauses: &mut Vec<String>, text: &str) {
    let t = text.trim();
    // A clause of punctuation alone ("..." leftovers) has nothing to say.
    if t.chars().any(char::is_alphanumeric) {
        clauses.push(t.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_at_their_ends() {
        assert_eq!(
            split_clauses("Your order is packed. It ships today! Anything else?", 40),
            vec!["Your order is packed.", "It ships today!", "Anything else?"]
        );
        assert_eq!(
            split_clauses("आपका ऑर्डर पैक हो गया है। कल पहुँचेगा।", 40),
            vec!["आपका ऑर्डर पैक हो गया है।", "कल पहुँचेगा।"]
        );
    }

    #[test]
    fn decimals_and_short_commas_do_not_split() {
        assert_eq!(
            split_clauses("It weighs 2.5 kg, sir.", 40),
            vec!["It weighs 2.5 kg, sir."]
        );
    }

    #[test]
    fn long_commas_split_when_enough_follows() {
        let text = "I have checked your order and the courier details, and it will reach you by Friday evening.";
        assert_eq!(
            split_clauses(text, 40),
            vec![
                "I have checked your order and the courier details,",
                "and it will reach you by Friday evening."
            ]
        );
        // Too little after the comma: keep together.
        assert_eq!(
            split_clauses("I have checked your order and the courier details, ok?", 40).len(),
            1
        );
    }

    #[test]
    fn the_first_clause_ends_at_an_early_comma() {
        let text = "Order 4 5 6 7 8, Blue Cotton Kurta, raste mein hai ji, Delhivery se aayega.";
        assert_eq!(
            split_clauses_with(text, 12, 40),
            vec![
                "Order 4 5 6 7 8,",
                "Blue Cotton Kurta, raste mein hai ji, Delhivery se aayega."
            ]
        );
        // Too short to be worth a clause of its own, or too little after it.
        assert_eq!(
            split_clauses_with("Ji, order 4 5 6 7 8 aa gaya hai.", 12, 40).len(),
            1
        );
        assert_eq!(split_clauses_with("Order 4 5 6 7 8, ok?", 12, 40).len(), 1);
        // Without an early comma the first sentence stays whole.
        assert_eq!(
            split_clauses_with("Your order is packed. It ships today!", 12, 40),
            vec!["Your order is packed.", "It ships today!"]
        );
    }

    #[test]
    fn empty_and_punctuation_only_text_has_no_clauses() {
        assert!(split_clauses("", 40).is_empty());
        assert!(split_clauses(" ... ", 40).is_empty());
    }
}
