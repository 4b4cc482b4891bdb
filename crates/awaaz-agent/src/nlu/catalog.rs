//! What the store holds, indexed for fuzzy matching: product names, kinds and
//! aliases (by canonical token and phonetic key) and order numbers.

use std::collections::{HashMap, HashSet};
use std::sync::{PoisonError, RwLock};

use awaaz_store::{OrderId, Product};

use super::slots;
use super::{OrderRef, ProductRef};
use crate::text::{self, phonetic_key, Normalized, TokenKind};

/// A product score below this is not a match: the caller named something
/// the shop may not sell ("curtain" alone is a mishearing of "kurta", but
/// "cotton" alone names nothing).
pub const PRODUCT_THRESHOLD: f32 = 0.72;

/// How much a match through each kind of phrase is worth.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PhraseKind {
    Name,
    Alias,
    Kind,
    /// The last word of the name (`tawa` in `Non-stick Tawa`).
    Head,
    /// The brand on its own (`samsung`): several products may share it.
    Brand,
    /// A long name word no other product has (`airdopes`, `banarasi`).
    Model,
}

impl PhraseKind {
    fn weight(self) -> f32 {
        match self {
            Self::Name | Self::Alias => 1.0,
            Self::Kind => 0.96,
            Self::Head => 0.9,
            Self::Brand => 0.8,
            Self::Model => 0.86,
        }
    }
}

#[derive(Debug, Clone)]
struct Phrase {
    kind: PhraseKind,
    /// Indices into the vocabulary.
    words: Vec<usize>,
}

#[derive(Debug, Clone)]
struct Indexed {
    id: i64,
    name: String,
    kind: String,
    phrases: Vec<Phrase>,
    name_words: Vec<usize>,
    colours: Vec<String>,
    sizes: Vec<String>,
}

#[derive(Debug, Clone)]
struct Word {
    text: String,
    key: String,
    /// Inverse document frequency over products: rare words identify more.
    weight: f32,
}

#[derive(Debug, Default)]
struct OrderBook {
    exact: HashMap<String, OrderId>,
    /// Digits and id, in the order added (the tie-break for near matches).
    all: Vec<(String, OrderId)>,
}

impl OrderBook {
    fn add(&mut self, id: OrderId) {
        let digits: String = id.as_str().chars().filter(char::is_ascii_digit).collect();
        if digits.is_empty() || self.exact.contains_key(&digits) {
            return;
        }
        self.exact.insert(digits.clone(), id.clone());
        self.all.push((digits, id));
    }
}

/// The catalog and order numbers, indexed once and shared by all calls.
///
/// Orders can be added later ([`CatalogIndex::add_order`]) through a shared
/// reference, so an agent that creates or learns of an order keeps matching
/// it without rebuilding the index.
#[derive(Debug)]
pub struct CatalogIndex {
    products: Vec<Indexed>,
    vocab: Vec<Word>,
    orders: RwLock<OrderBook>,
}

/// Words in product names that name nothing by themselves.
const NAME_NOISE: &[&str] = &[
    "and", "with", "for", "the", "of", "s", "mens", "womens", "men", "women", "new",
];

fn phrase_words(text: &str) -> Vec<String> {
    text::normalize(text)
        .tokens
        .into_iter()
        .filter(|t| t.kind == TokenKind::Word || matches!(t.kind, TokenKind::Ordinal(_)))
        .map(|t| t.text)
        .filter(|w| w.len() >= 2 && !NAME_NOISE.contains(&w.as_str()))
        .collect()
}

impl CatalogIndex {
    /// Indexes products (names, kinds, aliases, colours, sizes) and order ids.
    pub fn new(products: &[Product], orders: &[OrderId]) -> Self {
        let mut vocab: Vec<Word> = Vec::new();
        let mut vocab_ix: HashMap<String, usize> = HashMap::new();
        let mut intern = |w: &str, vocab: &mut Vec<Word>| -> usize {
            if let Some(&i) = vocab_ix.get(w) {
                return i;
            }
            vocab.push(Word {
                text: w.to_owned(),
                key: phonetic_key(w),
                weight: 1.0,
            });
            vocab_ix.insert(w.to_owned(), vocab.len() - 1);
            vocab.len() - 1
        };
        let mut indexed = Vec::with_capacity(products.len());
        let mut df: HashMap<usize, usize> = HashMap::new();
        for p in products {
            let mut phrases = Vec::new();
            let mut add =
                |kind: PhraseKind, text: &str, vocab: &mut Vec<Word>, phrases: &mut Vec<Phrase>| {
                    let words: Vec<usize> = phrase_words(text)
                        .iter()
                        .map(|w| intern(w, vocab))
                        .collect();
                    if !words.is_empty() {
                        phrases.push(Phrase { kind, words });
                    }
                };
            add(PhraseKind::Name, &p.name, &mut vocab, &mut phrases);
            add(PhraseKind::Kind, &p.kind, &mut vocab, &mut phrases);
            for a in &p.aliases {
                add(PhraseKind::Alias, a, &mut vocab, &mut phrases);
            }
            let name_words = phrases
                .first()
                .filter(|ph| ph.kind == PhraseKind::Name)
                .map(|ph| ph.words.clone())
                .unwrap_or_default();
            if let Some(&head) = name_words.iter().rev().find(|&&w| {
                vocab[w].text.len() >= 4 && vocab[w].text.chars().all(|c| c.is_ascii_alphabetic())
            }) {
                phrases.push(Phrase {
                    kind: PhraseKind::Head,
                    words: vec![head],
                });
            }
            if let Some(brand) = &p.brand {
                add(PhraseKind::Brand, brand, &mut vocab, &mut phrases);
            }
            let mut seen: HashSet<usize> = HashSet::new();
            for ph in &phrases {
                for &w in &ph.words {
                    if seen.insert(w) {
                        *df.entry(w).or_default() += 1;
                    }
                }
            }
            let mut colours: Vec<String> =
                p.variants.iter().filter_map(|v| v.colour.clone()).collect();
            colours.sort();
            colours.dedup();
            let mut sizes: Vec<String> = p.variants.iter().filter_map(|v| v.size.clone()).collect();
            sizes.sort();
            sizes.dedup();
            indexed.push(Indexed {
                id: p.id,
                name: p.name.clone(),
                kind: p.kind.clone(),
                phrases,
                name_words,
                colours,
                sizes,
            });
        }
        // Model words: long, unique to one product, and not an everyday word.
        for p in &mut indexed {
            let models: Vec<usize> = p
                .name_words
                .iter()
                .copied()
                .filter(|&w| {
                    let t = vocab[w].text.as_str();
                    df.get(&w) == Some(&1)
                        && t.len() >= 5
                        && t.chars().all(|c| c.is_ascii_alphabetic())
                        && !NOT_PRODUCT.contains(&t)
                        && slots::size_word(t).is_none()
                        && slots::colour_word(t).is_none()
                        && !UNIT_WORDS.contains(&t)
                })
                .collect();
            for w in models {
                p.phrases.push(Phrase {
                    kind: PhraseKind::Model,
                    words: vec![w],
                });
            }
        }
        #[allow(clippy::cast_precision_loss)] // product counts are far below 2^23
        let n = products.len().max(1) as f32;
        for (i, w) in vocab.iter_mut().enumerate() {
            #[allow(clippy::cast_precision_loss)] // as above
            let d = df.get(&i).copied().unwrap_or(1).max(1) as f32;
            w.weight = 1.0 + (n / d).ln();
        }
        let mut book = OrderBook::default();
        for o in orders {
            book.add(o.clone());
        }
        Self {
            products: indexed,
            vocab,
            orders: RwLock::new(book),
        }
    }

    /// Adds an order id (e.g. one created after the index was built).
    pub fn add_order(&self, id: OrderId) {
        self.orders
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .add(id);
    }

    /// Number of products indexed.
    pub fn product_count(&self) -> usize {
        self.products.len()
    }

    /// Number of orders indexed.
    pub fn order_count(&self) -> usize {
        self.orders
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .all
            .len()
    }

    /// Whether these digits are exactly a known order's number.
    pub fn order_exact(&self, digits: &str) -> Option<OrderId> {
        self.orders
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .exact
            .get(digits)
            .cloned()
    }

    /// Matches heard digits to an order: the order itself, else the nearest
    /// by Damerau-Levenshtein distance (≤ 1 for four digits or fewer, ≤ 2
    /// otherwise; same length, then a shared prefix, then index order break
    /// ties), else unknown.
    pub fn match_order(&self, heard: &str) -> OrderRef {
        let book = self.orders.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(id) = book.exact.get(heard) {
            return OrderRef::Exact { id: id.clone() };
        }
        let limit = if heard.len() <= 4 { 1 } else { 2 };
        let best = book
            .all
            .iter()
            .enumerate()
            .filter_map(|(i, (d, id))| {
                let dist = strsim::osa_distance(heard, d);
                (dist <= limit).then(|| {
                    let same_len = d.len() == heard.len();
                    let prefix = d.starts_with(heard) || heard.starts_with(d.as_str());
                    ((dist, !same_len, !prefix, i), id)
                })
            })
            .min_by_key(|(k, _)| *k);
        match best {
            Some((_, id)) => OrderRef::Nearest {
                heard: heard.to_owned(),
                id: id.clone(),
            },
            None => OrderRef::Unknown {
                heard: heard.to_owned(),
            },
        }
    }

    /// The products the utterance names, best first, with scores at or above
    /// [`PRODUCT_THRESHOLD`]. `colour` and `size` (when the caller gave them)
    /// break ties between products of one kind.
    pub fn match_products(
        &self,
        n: &Normalized,
        colour: Option<&str>,
        size: Option<&str>,
        limit: usize,
    ) -> Vec<ProductRef> {
        let candidates = product_candidates(n);
        if candidates.is_empty() || self.products.is_empty() {
            return Vec::new();
        }
        let keys: Vec<String> = candidates.iter().map(|(w, _)| phonetic_key(w)).collect();
        // Best similarity of each vocabulary word to any candidate word.
        let sims: Vec<f32> = self
            .vocab
            .iter()
            .map(|v| {
                candidates
                    .iter()
                    .zip(&keys)
                    .map(|((w, compound), k)| {
                        if *compound {
                            // Joined words only complete a compound; they are
                            // not guessed at.
                            if *w == v.text || *k == v.key {
                                1.0
                            } else {
                                0.0
                            }
                        } else {
                            word_similarity(w, k, &v.text, &v.key)
                        }
                    })
                    .fold(0.0f32, f32::max)
            })
            .collect();
        let coverage = |words: &[usize]| -> f32 {
            let total: f32 = words.iter().map(|&w| self.vocab[w].weight).sum();
            if total <= 0.0 {
                return 0.0;
            }
            words
                .iter()
                .map(|&w| self.vocab[w].weight * sims[w])
                .sum::<f32>()
                / total
        };
        let mut scored: Vec<(f32, f32, &Indexed)> = self
            .products
            .iter()
            .filter_map(|p| {
                let score = p
                    .phrases
                    .iter()
                    .map(|ph| {
                        let c = coverage(&ph.words);
                        // A model word must be said (nearly) exactly: `line`
                        // is not `linen`.
                        if ph.kind == PhraseKind::Model
                            && c < 0.99
                            && !(c >= 0.93 && self.vocab[ph.words[0]].text.len() >= 6)
                        {
                            return 0.0;
                        }
                        ph.kind.weight() * c
                    })
                    .fold(0.0f32, f32::max);
                if score < PRODUCT_THRESHOLD {
                    return None;
                }
                // Rank: the score, then how much of the full name was said,
                // then whether the colour and size asked for exist.
                let mut rank = score + 0.15 * coverage(&p.name_words);
                if colour.is_some_and(|c| p.colours.iter().any(|pc| pc == c)) {
                    rank += 0.05;
                }
                if size.is_some_and(|s| p.sizes.iter().any(|ps| ps.eq_ignore_ascii_case(s))) {
                    rank += 0.02;
                }
                Some((rank, score.min(1.0), p))
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.2.id.cmp(&b.2.id)));
        scored
            .into_iter()
            .take(limit)
            .map(|(_, score, p)| ProductRef {
                product_id: p.id,
                name: p.name.clone(),
                kind: p.kind.clone(),
                score,
            })
            .collect()
    }

    /// The best product match, if confident.
    pub fn match_product(
        &self,
        n: &Normalized,
        colour: Option<&str>,
        size: Option<&str>,
    ) -> Option<ProductRef> {
        self.match_products(n, colour, size, 1).into_iter().next()
    }
}

/// Similarity of an utterance word to a vocabulary word, 0..=1.
fn word_similarity(w: &str, wk: &str, v: &str, vk: &str) -> f32 {
    if w == v {
        return 1.0;
    }
    // Short words must match exactly: too many short words look alike.
    if w.len() < 4 || v.len() < 4 || wk.is_empty() || vk.is_empty() {
        return 0.0;
    }
    if wk == vk {
        return 0.93;
    }
    if wk.len() < 4 || vk.len() < 4 {
        return 0.0;
    }
    if wk.as_bytes()[0] != vk.as_bytes()[0] {
        return 0.0;
    }
    // Jaro-Winkler rewards a shared start generously (`shukriya` and
    // `sunscreen`), so the edit distance on the keys must be small as well.
    let max_edits = (wk.len().max(vk.len()) / 4).max(1);
    if strsim::levenshtein(wk, vk) > max_edits {
        return 0.0;
    }
    #[allow(clippy::cast_possible_truncation)] // a similarity in 0..=1 fits an f32
    let jw = strsim::jaro_winkler(wk, vk) as f32;
    if jw >= 0.85 {
        0.95 * jw
    } else {
        0.0
    }
}

/// Units in product names: they describe, they do not name.
const UNIT_WORDS: &[&str] = &[
    "litre", "liter", "inch", "inches", "pieces", "piece", "watt", "socket", "meter",
];

/// Words the caller says that never name a product.
const NOT_PRODUCT: &[&str] = &[
    "mera",
    "meri",
    "mere",
    "mujhe",
    "aap",
    "aapka",
    "hai",
    "hain",
    "kya",
    "kab",
    "kahan",
    "nahi",
    "haan",
    "ji",
    "order",
    "ord",
    "number",
    "status",
    "track",
    "tracking",
    "parcel",
    "delivery",
    "deliver",
    "refund",
    "return",
    "cancel",
    "address",
    "chahiye",
    "available",
    "stock",
    "size",
    "colour",
    "medium",
    "large",
    "small",
    "please",
    "the",
    "a",
    "an",
    "is",
    "in",
    "do",
    "you",
    "have",
    "my",
    "i",
    "want",
    "of",
    "for",
    "and",
    "aur",
    "ka",
    "ki",
    "ke",
    "ko",
    "se",
    "mein",
    "me",
    "with",
    "it",
    "this",
    "that",
    "hello",
    "namaste",
    "thanks",
    "okay",
    "achha",
    "theek",
    "abhi",
    "tak",
    "aayega",
    "aaya",
    "kal",
    "aaj",
    "milega",
    "bhaiya",
    "sir",
    "madam",
    "wala",
    "koi",
    "product",
    "item",
    "saamaan",
    "cheez",
    "price",
    "kitne",
    "kitna",
    "ek",
    "bhi",
    "hoga",
    "ho",
    "raha",
    "rahi",
    "kar",
    "karo",
    "karna",
    "what",
    "where",
    "when",
    "how",
    "can",
    "will",
    "are",
    "your",
    "not",
    "no",
    "yes",
    "batao",
    "dikhao",
    "toota",
    "kharab",
    "galat",
    "wrong",
    "damaged",
    "broken",
    "missing",
    "late",
    "sms",
    "message",
    "bhej",
    "customer",
    "care",
    "agent",
    "human",
    "manager",
    "insaan",
    "baat",
    "kisi",
    "complaint",
    "problem",
    "wapas",
    "paisa",
    "money",
    "also",
    "sahi",
    "acha",
    "still",
    "yet",
    "did",
    "got",
    "get",
    // Brand and name words that are everyday words too ("bahut noise hai").
    "noise",
    "sugar",
    "natural",
    "smart",
    "set",
    "pieces",
    "double",
    "go",
    "pulse",
    "board",
    "water",
    "fast",
    "power",
    "popular",
    "formal",
    "note",
    "call",
    "watch",
    "kids",
    "school",
    "dont",
    "this",
    "these",
    "those",
    "there",
    "their",
    "then",
    "than",
    "some",
    "anymore",
    "only",
    "just",
    "very",
    "much",
    "more",
    "again",
    "back",
    "bank",
    "account",
    "aapke",
    "paas",
    "wheres",
    "stuff",
    "thing",
    "things",
];

/// The words that may name a product: not function words, not sizes, and not
/// `phone`/`mobile` when they are part of "phone number".
fn product_candidates(n: &Normalized) -> Vec<(String, bool)> {
    let toks = &n.tokens;
    let gave_phone_number = n.numbers.iter().any(|s| slots::phone_of(s).is_some());
    let mut out: Vec<(String, bool)> = toks
        .iter()
        .enumerate()
        .filter(|(i, t)| {
            if t.kind != TokenKind::Word
                || t.text.len() < 2
                || NOT_PRODUCT.contains(&t.text.as_str())
            {
                return false;
            }
            if slots::size_word(&t.text).is_some() {
                return false;
            }
            let next = toks.get(i + 1).map(|x| x.text.as_str());
            let phone_word = matches!(t.text.as_str(), "phone" | "mobile" | "contact");
            !(phone_word && (gave_phone_number || matches!(next, Some("number" | "no" | "num"))))
        })
        .map(|(_, t)| (misheard(&t.text).unwrap_or(&t.text).to_owned(), false))
        .collect();
    // Compounds said as two words: "power bank", "bed sheet", "ear phone",
    // "one plus" (whose "one" the normaliser read as a digit), "red me".
    for w in toks.windows(2) {
        let word_or_one = |t: &text::Token| match t.kind {
            TokenKind::Word => Some(t.text.clone()),
            TokenKind::Number(_) => Some(t.raw.to_lowercase()),
            _ => None,
        };
        let (Some(a), Some(b)) = (word_or_one(&w[0]), word_or_one(&w[1])) else {
            continue;
        };
        if w[0].kind != TokenKind::Word && w[1].kind != TokenKind::Word {
            continue;
        }
        let joined = format!("{a}{b}");
        if let Some(m) = misheard(&joined) {
            out.push((m.to_owned(), true));
        } else if joined.len() >= 6 && joined.chars().all(|c| c.is_alphabetic()) {
            out.push((joined, true));
        }
    }
    out
}

/// Product words recognisers are known to mishear, with what was said:
/// "blue curtain medium" is the blue kurta, "red me note" the Redmi Note.
/// Only words the shop does not otherwise sell (it sells no curtains or
/// coolers).
fn misheard(word: &str) -> Option<&'static str> {
    Some(match word {
        "curtain" | "curtains" | "kurtain" | "kartan" | "kurtan" | "kartain" | "kurtin" => "kurta",
        "cooler" | "kular" | "coolar" => "cooker",
        "north" | "nords" => "nord",
        "redme" | "radmi" | "redmee" | "readme" | "redmy" => "redmi",
        "wanplus" | "vanplus" | "vanaplas" | "onplus" => "oneplus",
        _ => return None,
    })
}
