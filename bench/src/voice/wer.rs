//! Word error rate of the recogniser against the text that was synthesised.
//!
//! English and Hinglish: lower-cased, every character that is not a letter
//! or digit becomes a space (so "45,678" → "45678" is *not* merged: commas
//! inside numbers are dropped first). Hindi: both sides go through
//! `awaaz_agent::text::normalize`, which romanises Devanagari (and reads
//! Urdu script) into the agent's canonical tokens, so a transcript in either
//! script can be compared with the Devanagari reference.

use crate::voice::calls::Lang;

/// Words of `text` as scored for `lang`.
pub(crate) fn words(text: &str, lang: Lang) -> Vec<String> {
    match lang {
        Lang::Hindi => awaaz_agent::text::normalize(text)
            .tokens
            .into_iter()
            .map(|t| t.text)
            .collect(),
        Lang::English | Lang::Hinglish => {
            let chars: Vec<char> = text.chars().collect();
            let mut clean = String::with_capacity(text.len());
            for (i, c) in chars.iter().enumerate() {
                let digit_around = |j: Option<usize>| {
                    j.and_then(|j| chars.get(j))
                        .is_some_and(char::is_ascii_digit)
                };
                if *c == ',' && digit_around(i.checked_sub(1)) && digit_around(Some(i + 1)) {
                    continue; // 45,678 → 45678
                }
                if c.is_alphanumeric() {
                    clean.extend(c.to_lowercase());
                } else if *c != '\'' {
                    clean.push(' ');
                }
            }
            clean.split_whitespace().map(str::to_owned).collect()
        }
    }
}

/// Word-level edit distance (substitutions + deletions + insertions).
pub(crate) fn edits(reference: &[String], hypothesis: &[String]) -> usize {
    let mut prev: Vec<usize> = (0..=hypothesis.len()).collect();
    for (i, r) in reference.iter().enumerate() {
        let mut row = Vec::with_capacity(hypothesis.len() + 1);
        row.push(i + 1);
        for (j, h) in hypothesis.iter().enumerate() {
            let sub = prev[j] + usize::from(r != h);
            let del = prev[j + 1] + 1;
            let ins = row[j] + 1;
            row.push(sub.min(del).min(ins));
        }
        prev = row;
    }
    prev[hypothesis.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        words(s, Lang::English)
    }

    #[test]
    fn english_is_case_and_punctuation_free() {
        assert_eq!(
            w("Where is my order 45,678?"),
            ["where", "is", "my", "order", "45678"]
        );
        assert_eq!(w("I'm fine."), ["im", "fine"]);
    }

    #[test]
    fn edit_distance_counts_each_kind() {
        assert_eq!(edits(&w("a b c"), &w("a b c")), 0);
        assert_eq!(edits(&w("a b c"), &w("a x c")), 1);
        assert_eq!(edits(&w("a b c"), &w("a c")), 1);
        assert_eq!(edits(&w("a b c"), &w("a b c d e")), 2);
        assert_eq!(edits(&w("a b"), &[]), 2);
    }

    #[test]
    fn hindi_is_compared_romanised() {
        let r = words("मेरा ऑर्डर कहाँ है?", Lang::Hindi);
        assert!(!r.is_empty());
        assert!(r.iter().all(|t| t.is_ascii()), "{r:?}");
        assert_eq!(edits(&r, &words("मेरा ऑर्डर कहाँ है", Lang::Hindi)), 0);
    }
}
