//! Product names as callers and models write them, matched to the catalog.
//!
//! The NLU does the hard matching from raw speech; the tool argument is
//! usually a clean name (`cotton kurta`) or a kind (`pressure cooker`), so a
//! small token matcher over names, kinds and aliases is enough here. Names are
//! indexed once; stock is always read fresh from the store.

use awaaz_store::Product;

use crate::text::{normalize, phonetic_key};

/// One product's searchable words.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) kind: String,
    pub(crate) category: String,
    /// Canonical words of the name, the kind and each alias (one list each).
    phrases: Vec<Vec<Key>>,
    /// Canonical words of the kind.
    kind_words: Vec<Key>,
}

/// A word and its phonetic key.
#[derive(Debug, Clone)]
struct Key {
    word: String,
    sound: String,
}

fn keys(text: &str) -> Vec<Key> {
    normalize(text)
        .words()
        .filter(|w| !STOP_WORDS.contains(w))
        .map(|w| Key {
            word: w.to_owned(),
            sound: phonetic_key(w),
        })
        .collect()
}

/// Words that say nothing about which product is meant.
const STOP_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "do",
    "you",
    "have",
    "is",
    "in",
    "of",
    "for",
    "with",
    "and",
    "ka",
    "ki",
    "ke",
    "mein",
    "me",
    "wala",
    "wali",
    "wale",
    "hai",
    "kya",
    "stock",
    "available",
    "size",
    "colour",
    "color",
    "rang",
];

fn same(a: &Key, b: &Key) -> bool {
    a.word == b.word
        || (a.sound.len() >= 3 && a.sound == b.sound)
        || (a.word.len() >= 5 && strsim::jaro_winkler(&a.word, &b.word) >= 0.92)
}

/// The catalog's names, indexed once.
#[derive(Debug, Clone, Default)]
pub(crate) struct Catalog {
    entries: Vec<Entry>,
}

impl Catalog {
    pub(crate) fn new(products: &[Product]) -> Self {
        let entries = products
            .iter()
            .map(|p| {
                let mut phrases = vec![keys(&p.name), keys(&p.kind)];
                phrases.extend(p.aliases.iter().map(|a| keys(a)));
                phrases.retain(|ph| !ph.is_empty());
                Entry {
                    id: p.id,
                    name: p.name.clone(),
                    kind: p.kind.clone(),
                    category: p.category.clone(),
                    phrases,
                    kind_words: keys(&p.kind),
                }
            })
            .collect();
        Self { entries }
    }

    pub(crate) fn entry(&self, id: i64) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// Products of the same kind as `id` (then of the same category), best
    /// alternatives first, without `id` itself.
    pub(crate) fn similar(&self, id: i64) -> Vec<&Entry> {
        let Some(me) = self.entry(id) else {
            return Vec::new();
        };
        let mut same_kind: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| e.id != id && e.kind == me.kind)
            .collect();
        if same_kind.is_empty() {
            // Nothing of the same kind: a phone's neighbours are other
            // electronics only if the kind words overlap (`earbuds` and
            // `wireless earbuds`), never the whole category.
            same_kind = self
                .entries
                .iter()
                .filter(|e| {
                    e.id != id
                        && e.category == me.category
                        && e.kind_words
                            .iter()
                            .any(|k| me.kind_words.iter().any(|m| same(k, m)))
                })
                .collect();
        }
        same_kind
    }

    /// The products that best match `query`, best first, with scores in
    /// 0..=1. Empty when nothing matches well enough.
    pub(crate) fn search(&self, query: &str) -> Vec<(&Entry, f32)> {
        let q = keys(query);
        if q.is_empty() {
            return Vec::new();
        }
        let mut scored: Vec<(&Entry, f32)> = self
            .entries
            .iter()
            .filter_map(|e| {
                let best = e
                    .phrases
                    .iter()
                    .map(|ph| phrase_score(&q, ph))
                    .fold(0.0_f32, f32::max);
                (best >= 0.5).then_some((e, best))
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.id.cmp(&b.0.id)));
        scored
    }
}

/// How well query words cover a phrase (recall) and how much of the query
/// the phrase explains (precision), weighted towards recall: `kurta` fully
/// names the kind `kurta`, `blue cotton kurta` names one product better.
fn phrase_score(query: &[Key], phrase: &[Key]) -> f32 {
    let hit = phrase
        .iter()
        .filter(|p| query.iter().any(|q| same(q, p)))
        .count();
    if hit == 0 {
        return 0.0;
    }
    let used = query
        .iter()
        .filter(|q| phrase.iter().any(|p| same(q, p)))
        .count();
    let recall = ratio(hit, phrase.len());
    let precision = ratio(used, query.len());
    0.7 * recall + 0.3 * precision
}

fn ratio(a: usize, b: usize) -> f32 {
    // Word counts are tiny; the conversion is exact.
    #[allow(clippy::cast_precision_loss)]
    let r = a as f32 / b.max(1) as f32;
    r
}

/// A colour as the store writes it (`blue`), from English, romanised Hindi
/// or Devanagari (`neela`, `नीला`, `Blue`).
pub fn normalize_colour(raw: &str) -> String {
    // One colour table for the whole agent: the NLU's, which reads the same
    // words from a caller's speech.
    let lower = raw.trim().to_lowercase();
    let n = normalize(&lower);
    let mut words = n.words();
    match (words.next(), words.next()) {
        (Some(word), None) => crate::nlu::colour_word(word).map_or(lower, str::to_owned),
        _ => lower,
    }
}

/// A size as the store writes it (`M`, `XL`, `5L`, `128GB`), from what a
/// caller or a model says (`medium`, `extra large`, `5 litre`, `128 gb`).
pub fn normalize_size(raw: &str) -> String {
    let squashed: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_uppercase();
    let named = match squashed.as_str() {
        "SMALL" | "SMAL" => "S",
        "MEDIUM" | "MED" | "MIDIUM" => "M",
        "LARGE" | "LARG" => "L",
        "EXTRALARGE" | "XLARGE" => "XL",
        "DOUBLEXL" | "DOUBLEEXTRALARGE" | "XXLARGE" | "2XL" => "XXL",
        "EXTRASMALL" | "XSMALL" => "XS",
        "FREESIZE" | "FREE" => "FREE",
        _ => "",
    };
    if !named.is_empty() {
        return named.to_owned();
    }
    for (suffix, unit) in [
        ("LITRES", "L"),
        ("LITRE", "L"),
        ("LITERS", "L"),
        ("LITER", "L"),
        ("LTR", "L"),
        ("GIGS", "GB"),
    ] {
        if let Some(n) = squashed.strip_suffix(suffix) {
            if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit() || c == '.') {
                return format!("{n}{unit}");
            }
        }
    }
    squashed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_colours_fold_to_store_labels() {
        assert_eq!(normalize_size("medium"), "M");
        assert_eq!(normalize_size("extra large"), "XL");
        assert_eq!(normalize_size("5 litre"), "5L");
        assert_eq!(normalize_size("128 gb"), "128GB");
        assert_eq!(normalize_size("xl"), "XL");
        assert_eq!(normalize_colour("Neela"), "blue");
        assert_eq!(normalize_colour("लाल"), "red");
        assert_eq!(normalize_colour("Beige"), "beige");
        for (raw, want) in [
            ("नीला", "blue"),
            ("सफ़ेद", "white"),
            ("सफेद", "white"),
            ("काला", "black"),
            ("हरा", "green"),
            ("पीला", "yellow"),
            ("गुलाबी", "pink"),
            ("मैरून", "maroon"),
            ("golden", "gold"),
            ("gray", "grey"),
            ("mehroon", "maroon"),
            ("navy blue", "navy blue"),
        ] {
            assert_eq!(normalize_colour(raw), want, "{raw}");
        }
    }
}
