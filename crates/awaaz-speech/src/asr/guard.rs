//! Guards around Whisper's known failure modes, kept free of the engine so
//! they are unit-tested directly:
//!
//! * no speech at all (silence, line hiss) → skip decoding, empty text;
//! * hallucinated sign-offs on near-silence ("Thank you.", "you") → dropped;
//! * repetition loops ("8, 8, 8, 8, …") → repeated n-grams truncated, and the
//!   token budget capped by the audio's length.

/// Energy frame: 20 ms at 16 kHz.
const FRAME_SAMPLES: usize = 320;

/// A frame louder than this (RMS, dBFS) counts as voiced. Telephone line noise
/// after μ-law sits near −60 dBFS; quiet speech is around −35 dBFS.
const VOICED_DBFS: f32 = -45.0;

/// Less voiced audio than this is not an utterance (a click, a breath).
pub(crate) const MIN_VOICED_MS: u64 = 120;

/// Hallucinated phrases are only trusted with at least this much voiced audio.
const HALLUCINATION_TRUST_VOICED_MS: u64 = 700;

/// Loudness summary of an utterance.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct AudioStats {
    /// Milliseconds of 20 ms frames above the voiced threshold.
    pub(crate) voiced_ms: u64,
    /// Loudest frame RMS in dBFS (−120 for digital silence).
    pub(crate) peak_dbfs: f32,
}

/// Voiced duration and peak frame level of 16 kHz PCM16 audio.
pub(crate) fn audio_stats(samples: &[i16]) -> AudioStats {
    let mut voiced_frames = 0u64;
    let mut peak = -120.0f32;
    for frame in samples.chunks(FRAME_SAMPLES) {
        let dbfs = frame_dbfs(frame);
        peak = peak.max(dbfs);
        if dbfs > VOICED_DBFS {
            voiced_frames += 1;
        }
    }
    AudioStats {
        voiced_ms: voiced_frames * 20,
        peak_dbfs: peak,
    }
}

/// RMS level of one frame in dBFS, floored at −120.
pub(crate) fn frame_dbfs(frame: &[i16]) -> f32 {
    if frame.is_empty() {
        return -120.0;
    }
    let energy: f64 = frame
        .iter()
        .map(|&s| f64::from(s) * f64::from(s))
        .sum::<f64>()
        / frame.len() as f64;
    let rms = energy.sqrt() / 32768.0;
    if rms <= 1e-6 {
        return -120.0;
    }
    // Levels are within −120..0 dB, far inside f32's range.
    #[allow(clippy::cast_possible_truncation)]
    let db = (20.0 * rms.log10()) as f32;
    db
}

/// Whether every 20 ms frame of `samples` is below the voiced threshold.
pub(crate) fn is_quiet(samples: &[i16]) -> bool {
    samples
        .chunks(FRAME_SAMPLES)
        .all(|f| frame_dbfs(f) <= VOICED_DBFS)
}

/// Phrases Whisper is known to produce from silence or noise (lower-case,
/// punctuation removed). Only dropped when the audio has little speech.
const SILENCE_HALLUCINATIONS: &[&str] = &[
    "you",
    "thank you",
    "thank you very much",
    "thanks for watching",
    "thank you for watching",
    "thanks for listening",
    "please subscribe",
    "bye",
    "bye bye",
    "okay",
    "subtitles by the amara org community",
    "धन्यवाद",
    "शुक्रिया",
    "شکریہ",
];

/// Lower-cases and strips punctuation so "Thank you." matches "thank you".
fn normalise(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c.is_whitespace() || is_combining(c) {
                c
            } else {
                ' '
            }
        })
        .collect();
    cleaned
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Devanagari and Arabic-script vowel signs are marks, not punctuation, so
/// they are kept; the dandas and Arabic comma/question/full stop are not.
fn is_combining(c: char) -> bool {
    let punctuation = matches!(
        c,
        '\u{0964}' | '\u{0965}' | '\u{060C}' | '\u{061F}' | '\u{06D4}'
    );
    !punctuation && matches!(c, '\u{0900}'..='\u{097F}' | '\u{0600}'..='\u{06FF}')
}

/// Whether `text` should be dropped as a silence hallucination, given how
/// much voiced audio produced it and Whisper's own no-speech probability.
pub(crate) fn is_silence_hallucination(text: &str, voiced_ms: u64, no_speech_prob: f32) -> bool {
    let norm = normalise(text);
    if norm.is_empty() {
        return true;
    }
    let known = SILENCE_HALLUCINATIONS.contains(&norm.as_str());
    known && (voiced_ms < HALLUCINATION_TRUST_VOICED_MS || no_speech_prob > 0.4)
}

/// Whisper's own verdict: likely no speech and a low-confidence text.
pub(crate) fn is_no_speech(no_speech_prob: f32, avg_logprob: f32) -> bool {
    no_speech_prob > 0.6 && avg_logprob < -1.0
}

/// Keeps at most `max_repeats` consecutive copies of any 1- to 6-word n-gram
/// ("8, 8, 8, 8, 8, 8" → "8, 8, 8" with `max_repeats` 3). Words are compared
/// without punctuation or case; the kept words are the originals.
pub(crate) fn collapse_repeats(text: &str, max_repeats: usize) -> String {
    let max_repeats = max_repeats.max(1);
    let words: Vec<&str> = text.split_whitespace().collect();
    let keys: Vec<String> = words.iter().map(|w| normalise(w)).collect();
    let mut kept: Vec<usize> = Vec::with_capacity(words.len());
    let mut i = 0;
    'outer: while i < words.len() {
        for n in 1..=6 {
            if i + n * (max_repeats + 1) > words.len() {
                break;
            }
            let gram = &keys[i..i + n];
            if gram.iter().all(String::is_empty) {
                continue;
            }
            let mut copies = 1;
            while i + (copies + 1) * n <= words.len()
                && keys[i + copies * n..i + (copies + 1) * n] == *gram
            {
                copies += 1;
            }
            if copies > max_repeats {
                kept.extend(i..i + n * max_repeats);
                i += n * copies;
                continue 'outer;
            }
        }
        kept.push(i);
        i += 1;
    }
    let out: Vec<&str> = kept.into_iter().map(|k| words[k]).collect();
    out.join(" ")
}

/// Keeps one copy of a phrase of four or more words said twice or more in a
/// row, and drops a cut-off copy after it: Whisper loops whole sentences
/// ("Mirror order number 45678 can hide. Mirror order number …") until its
/// token cap, while people do not repeat a whole clause back to back.
pub(crate) fn collapse_sentence_loops(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let keys: Vec<String> = words.iter().map(|w| normalise(w)).collect();
    let mut kept: Vec<usize> = Vec::with_capacity(words.len());
    let mut i = 0;
    'outer: while i < words.len() {
        let longest = (words.len() - i) / 2;
        for n in (4..=longest).rev() {
            let gram = &keys[i..i + n];
            if keys[i + n..i + 2 * n] != *gram {
                continue;
            }
            let mut next = i + 2 * n;
            while next + n <= words.len() && keys[next..next + n] == *gram {
                next += n;
            }
            // A trailing partial copy (the loop cut by the token cap).
            let rest = words.len() - next;
            if rest < n && rest > 0 && keys[next..] == gram[..rest] {
                next = words.len();
            }
            kept.extend(i..i + n);
            i = next;
            continue 'outer;
        }
        kept.push(i);
        i += 1;
    }
    let out: Vec<&str> = kept.into_iter().map(|k| words[k]).collect();
    out.join(" ")
}

/// Token budget for decoding `audio_ms` of speech: generous for fast talkers
/// (Devanagari needs several byte-level tokens per word) but far below
/// Whisper's 224, so a loop on a short clip ends early.
pub(crate) fn max_tokens(audio_ms: u64, hindi: bool) -> usize {
    let per_second = if hindi { 30 } else { 10 };
    let secs = audio_ms.div_ceil(1000);
    usize::try_from(12 + secs * per_second)
        .unwrap_or(usize::MAX)
        .min(220)
}

/// Lead-in kept before the first audible sample, in samples (100 ms).
const LEAD_IN_SAMPLES: usize = 1_600;
/// Below this magnitude (≈ −54 dBFS) a sample counts as silence.
const AUDIBLE: i16 = 64;

/// Drops leading silence beyond a 100 ms lead-in: Whisper base, given half a
/// second of exact zeros before speech, repeats the sentence until its token
/// cap. Audio with nothing audible is returned unchanged.
pub(crate) fn trim_leading_silence(samples: &[i16]) -> &[i16] {
    match samples
        .iter()
        .position(|s| s.unsigned_abs() >= AUDIBLE.unsigned_abs())
    {
        Some(first) => &samples[first.saturating_sub(LEAD_IN_SAMPLES)..],
        None => samples,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapses_digit_loops() {
        assert_eq!(collapse_repeats("8, 8, 8, 8, 8, 8, 8, 8", 3), "8, 8, 8,");
        assert_eq!(
            collapse_repeats("my order is 8, 8, 8, 8, 8, 8.", 3),
            "my order is 8, 8, 8,"
        );
    }

    #[test]
    fn collapses_phrase_loops_and_keeps_what_follows() {
        let looped =
            "where is my order where is my order where is my order where is my order please";
        assert_eq!(
            collapse_repeats(looped, 2),
            "where is my order where is my order please"
        );
    }

    #[test]
    fn leaves_ordinary_repeats_alone() {
        assert_eq!(
            collapse_repeats("no no I said blue", 3),
            "no no I said blue"
        );
        assert_eq!(collapse_repeats("order 1 2 3 4", 3), "order 1 2 3 4");
        assert_eq!(collapse_repeats("", 3), "");
    }

    #[test]
    fn drops_sign_off_hallucinations_only_on_little_speech() {
        assert!(is_silence_hallucination("Thank you.", 100, 0.1));
        assert!(is_silence_hallucination(" you", 0, 0.0));
        assert!(is_silence_hallucination("Thank you.", 2_000, 0.7));
        assert!(!is_silence_hallucination("Thank you.", 2_000, 0.1));
        assert!(!is_silence_hallucination("where is my order", 100, 0.1));
        assert!(is_silence_hallucination(" ... ", 2_000, 0.0));
    }

    #[test]
    fn hindi_letters_survive_normalisation() {
        assert_eq!(normalise("मेरा ऑर्डर कहाँ है?"), "मेरा ऑर्डर कहाँ है");
        assert!(is_silence_hallucination("धन्यवाद।", 200, 0.0));
    }

    #[test]
    fn silence_has_no_voiced_frames() {
        let stats = audio_stats(&[0; 16_000]);
        assert_eq!(stats.voiced_ms, 0);
        assert!((stats.peak_dbfs + 120.0).abs() < 1e-3);
        assert!(is_quiet(&[3; 16_000]));
    }

    #[test]
    fn a_loud_tone_is_voiced_for_its_length() {
        let tone: Vec<i16> = (0..8_000)
            .map(|i| {
                let v = (2.0 * std::f32::consts::PI * 300.0 * i as f32 / 16_000.0).sin() * 8_000.0;
                // |v| ≤ 8000 fits i16.
                #[allow(clippy::cast_possible_truncation)]
                let s = v as i16;
                s
            })
            .collect();
        let mut audio = vec![0i16; 8_000];
        audio.extend(&tone);
        let stats = audio_stats(&audio);
        assert_eq!(stats.voiced_ms, 500);
        // A sine of amplitude 8000 has RMS 8000/√2: −15.26 dBFS.
        assert!(
            (stats.peak_dbfs + 15.26).abs() < 0.05,
            "{}",
            stats.peak_dbfs
        );
        assert!(!is_quiet(&audio));
    }

    #[test]
    fn token_budget_grows_with_audio_and_script() {
        assert_eq!(max_tokens(0, false), 12);
        assert_eq!(max_tokens(2_500, false), 42);
        assert_eq!(max_tokens(2_500, true), 102);
        assert_eq!(max_tokens(60_000, true), 220);
    }

    #[test]
    fn no_speech_needs_both_signals() {
        assert!(is_no_speech(0.9, -1.5));
        assert!(!is_no_speech(0.9, -0.3));
        assert!(!is_no_speech(0.2, -1.5));
    }

    #[test]
    fn leading_silence_is_trimmed_to_a_short_lead_in() {
        let mut audio = vec![0_i16; 8_000];
        audio.extend(std::iter::repeat_n(1_000_i16, 320));
        let trimmed = trim_leading_silence(&audio);
        assert_eq!(trimmed.len(), 1_600 + 320);
        assert_eq!(trimmed[1_600], 1_000);
        let quiet = vec![3_i16; 500];
        assert_eq!(trim_leading_silence(&quiet).len(), 500);
        let short = vec![0_i16; 100];
        let mut starts_loud = short;
        starts_loud.push(2_000);
        assert_eq!(trim_leading_silence(&starts_loud).len(), 101);
    }

    #[test]
    fn keeps_one_copy_of_a_looped_sentence() {
        let looped = "Mirror Order number 45678 can hide. Mirror Order number 45678 can hide. \
                      Mirror Order number 45678 can hide. Mirror";
        assert_eq!(
            collapse_sentence_loops(looped),
            "Mirror Order number 45678 can hide."
        );
        let fine = "where is my order, where is it now";
        assert_eq!(collapse_sentence_loops(fine), fine);
        let twice = "I want a refund I want a refund please";
        assert_eq!(collapse_sentence_loops(twice), "I want a refund please");
    }
}
