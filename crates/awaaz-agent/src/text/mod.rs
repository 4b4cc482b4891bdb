//! Normalisation: every transcript, whatever its script and spelling, into one
//! comparable form.
//!
//! * Devanagari and Urdu (Perso-Arabic) script are romanised; romanisation
//!   variants fold to one canonical spelling (`kahan`, `kaha`, `kahaan` →
//!   `kahan`).
//! * Numbers spoken as words in Hindi, English or both become digits
//!   (`chaar paanch` → `4 5`, `double five` → `55`, `पैंतालीस` → `45`,
//!   `ek sau bees` → `120`); runs of them become one [`NumberSpan`] so an
//!   order number said in pieces reads back whole.
//! * Ordinals and relative days (`kal`, `parson`) are marked.

mod lexicon;
mod numbers;
mod script;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::Language;
use numbers::{Ambiguity, Item, Kind, NumWord};
use script::CharClass;

pub use lexicon::{canonical, phonetic_key};
pub use numbers::{hindi_number_devanagari, hindi_number_word};

/// How many characters of each script the input had.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptProfile {
    /// Devanagari letters.
    pub devanagari: u32,
    /// Latin letters.
    pub latin: u32,
    /// Perso-Arabic (Urdu) letters.
    pub arabic: u32,
}

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum TokenKind {
    /// A word.
    Word,
    /// A number (said as digits or words).
    Number(u64),
    /// An ordinal (`pehla`, `second`, `तीसरा`).
    Ordinal(u32),
    /// A day relative to today: `aaj` 0, `parson` ±2; `kal` is ±1 and the
    /// sign is the tense's (−1 when the sentence is past, +1 otherwise).
    RelativeDay(i32),
}

/// One token of normalised text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// Canonical romanised lower-case form (`kahan`, `order`, or the digits).
    pub text: String,
    /// The input text the token came from.
    pub raw: String,
    /// What it is.
    pub kind: TokenKind,
}

/// A run of number tokens read as one number (an order id, a phone number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberSpan {
    /// The digits in spoken order (`45678` for "forty five six seventy eight").
    pub digits: String,
    /// Index of the first token of the run.
    pub start: usize,
    /// Index one past the last token of the run.
    pub end: usize,
}

/// A normalised utterance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Normalized {
    /// The input as given.
    pub original: String,
    /// The canonical tokens joined by single spaces.
    pub text: String,
    /// Tokens.
    pub tokens: Vec<Token>,
    /// Runs of numbers.
    pub numbers: Vec<NumberSpan>,
    /// Scripts seen.
    pub script: ScriptProfile,
    /// The language mix detected.
    pub language: Language,
}

/// Which script a piece of input was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Devanagari,
    Arabic,
    Digits,
}

/// A word before numbers are read: canonical text plus what it may be.
#[derive(Debug, Clone)]
struct Pre {
    text: String,
    raw: String,
    script: Script,
    num: Option<NumWord>,
    digits: Option<String>,
    ordinal: Option<u32>,
}

impl Pre {
    fn word(text: &str, raw: &str, script: Script) -> Self {
        Self {
            text: text.to_owned(),
            raw: raw.to_owned(),
            script,
            num: numbers::lookup(text),
            digits: None,
            ordinal: None,
        }
    }
}

/// Words that make a following ambiguous number word (`do`, `oh`) a number.
const NUMERIC_CONTEXT: &[&str] = &[
    "order", "ord", "number", "no", "num", "code", "pin", "otp", "quantity", "qty", "id",
    "tracking",
];

/// Words said between the digits of one number ("456 and 8", "4. I'm 6.7.8").
const FILLERS: &[&str] = &[
    "and", "aur", "n", "an", "uh", "um", "umm", "hmm", "im", "dash", "hyphen", "comma", "ki",
];

/// Words that put a sentence in the past, so `kal` means yesterday.
const PAST_MARKERS: &[&str] = &[
    "tha",
    "thi",
    "hua",
    "hui",
    "kiya",
    "kiye",
    "gaya",
    "gayi",
    "aaya",
    "aayi",
    "mila",
    "mili",
    "diya",
    "liya",
    "pahuncha",
    "bheja",
    "was",
    "were",
    "did",
    "came",
    "received",
    "ordered",
    "yesterday",
    "got",
    "placed",
    "deliver",
    "delivered",
    "arrived",
];

const ORDINALS: &[(&str, u32)] = &[
    ("pehla", 1),
    ("pahla", 1),
    ("pehli", 1),
    ("pahli", 1),
    ("first", 1),
    ("doosra", 2),
    ("dusra", 2),
    ("doosri", 2),
    ("dusri", 2),
    ("doosre", 2),
    ("dusre", 2),
    ("second", 2),
    ("teesra", 3),
    ("tisra", 3),
    ("teesri", 3),
    ("tisri", 3),
    ("teesre", 3),
    ("third", 3),
    ("chautha", 4),
    ("chauthi", 4),
    ("chauthe", 4),
    ("fourth", 4),
    ("paanchva", 5),
    ("panchva", 5),
    ("paanchvi", 5),
    ("fifth", 5),
];

/// Hindi words that mark a Latin-script sentence as Hinglish. Words that are
/// also common English (`hi`, `do`, `to`, `main`, `me`) are left out.
const HINDI_MARKERS: &[&str] = &[
    "mera",
    "meri",
    "mere",
    "mujhe",
    "mujhko",
    "aap",
    "aapka",
    "aapko",
    "hum",
    "hamara",
    "kab",
    "kahan",
    "kya",
    "kyun",
    "kaise",
    "kaun",
    "kitna",
    "kitne",
    "kitni",
    "hai",
    "hain",
    "ho",
    "tha",
    "thi",
    "nahi",
    "haan",
    "ji",
    "chahiye",
    "ka",
    "ki",
    "ke",
    "ko",
    "se",
    "mein",
    "raha",
    "rahi",
    "rahe",
    "tak",
    "abhi",
    "gaya",
    "gayi",
    "hua",
    "hui",
    "kiya",
    "kar",
    "karo",
    "karna",
    "karni",
    "karein",
    "batao",
    "aayega",
    "aayegi",
    "aaya",
    "aayi",
    "milega",
    "mila",
    "mili",
    "paisa",
    "wapas",
    "bhaiya",
    "namaste",
    "namaskar",
    "dhanyavaad",
    "shukriya",
    "theek",
    "achha",
    "ye",
    "wo",
    "koi",
    "kuch",
    "bahut",
    "toota",
    "kharab",
    "galat",
    "gayab",
    "aaj",
    "kal",
    "parson",
    "wala",
    "bhi",
    "aur",
    "lekin",
    "par",
    "ek",
    "teen",
    "chaar",
    "paanch",
    "bhej",
    "badal",
    "dobara",
    "phir",
    "baat",
    "insaan",
    "hoga",
    "kijiye",
    "sahi",
    "bilkul",
    "nahi",
    "yaar",
    "na",
    "jaldi",
    "pata",
    "saamaan",
    "cheez",
    "sirf",
    "abhi",
];

/// English words that mark a sentence as English when no Hindi word is there.
const ENGLISH_MARKERS: &[&str] = &[
    "i", "my", "me", "is", "are", "am", "the", "a", "an", "where", "when", "what", "why", "how",
    "you", "your", "have", "has", "want", "please", "can", "could", "will", "would", "it", "this",
    "that", "of", "in", "on", "with", "not", "yes", "no", "thanks", "thank", "hello", "bye",
    "okay", "was", "did", "do", "does", "still", "yet", "be", "been", "need", "like", "we", "our",
];

/// One piece of input: a run of letters of one script, or of digits.
fn split(input: &str) -> (Vec<(String, Script)>, ScriptProfile) {
    let mut pieces: Vec<(String, Script)> = Vec::new();
    let mut profile = ScriptProfile::default();
    let mut cur = String::new();
    let mut cur_script: Option<Script> = None;
    let flush = |cur: &mut String, s: &mut Option<Script>, pieces: &mut Vec<(String, Script)>| {
        if let Some(script) = s.take() {
            if !cur.is_empty() {
                pieces.push((std::mem::take(cur), script));
            }
        }
        cur.clear();
    };
    for c in input.chars() {
        let class = script::classify(c);
        let (script, ch) = match class {
            CharClass::Latin => {
                profile.latin = profile.latin.saturating_add(1);
                (Script::Latin, c)
            }
            CharClass::Devanagari => {
                profile.devanagari = profile.devanagari.saturating_add(1);
                (Script::Devanagari, c)
            }
            CharClass::Arabic => {
                profile.arabic = profile.arabic.saturating_add(1);
                (Script::Arabic, c)
            }
            CharClass::Digit(d) => (Script::Digits, char::from(b'0' + d)),
            CharClass::Joiner => {
                // Apostrophes and zero-width joiners keep a word together
                // (`don't`, Urdu `آئےگا`) but carry no sound.
                if cur_script.is_some_and(|s| s != Script::Digits) {
                    continue;
                }
                flush(&mut cur, &mut cur_script, &mut pieces);
                continue;
            }
            CharClass::Separator => {
                flush(&mut cur, &mut cur_script, &mut pieces);
                continue;
            }
        };
        if cur_script.is_some_and(|s| s != script) {
            flush(&mut cur, &mut cur_script, &mut pieces);
        }
        cur_script = Some(script);
        cur.push(ch);
    }
    flush(&mut cur, &mut cur_script, &mut pieces);
    (pieces, profile)
}

fn push_canonical(out: &mut Vec<Pre>, canon: &str, raw: &str, script: Script) {
    for part in canon.split(' ').filter(|p| !p.is_empty()) {
        out.push(Pre::word(part, raw, script));
    }
}

fn pre_tokens(pieces: &[(String, Script)]) -> Vec<Pre> {
    let mut out: Vec<Pre> = Vec::with_capacity(pieces.len() + 2);
    for (raw, script) in pieces {
        match script {
            Script::Digits => out.push(Pre {
                text: raw.clone(),
                raw: raw.clone(),
                script: Script::Digits,
                num: None,
                digits: Some(raw.clone()),
                ordinal: None,
            }),
            Script::Latin => {
                let folded = script::fold_latin(raw);
                if !folded.is_empty() {
                    push_canonical(&mut out, canonical(&folded), raw, *script);
                }
            }
            Script::Devanagari => {
                if let Some(n) = numbers::lookup_devanagari(raw) {
                    let mut p = Pre::word(&script::romanize_devanagari(raw), raw, *script);
                    p.num = Some(n);
                    out.push(p);
                } else if let Some(c) = lexicon::devanagari_word(raw) {
                    push_canonical(&mut out, c, raw, *script);
                } else {
                    let roman = script::romanize_devanagari(raw);
                    if !roman.is_empty() {
                        push_canonical(&mut out, canonical(&roman), raw, *script);
                    }
                }
            }
            Script::Arabic => {
                let roman = script::romanize_urdu(raw);
                if !roman.is_empty() {
                    push_canonical(&mut out, canonical(&roman), raw, *script);
                }
            }
        }
    }
    merge_split_words(&mut out);
    out
}

/// Joins words a recogniser split (`aaye ga` → `aayega`, Urdu writes the
/// future tense apart) and reads `1st`, `2nd` as ordinals.
fn merge_split_words(pres: &mut Vec<Pre>) {
    let mut i = 0;
    while i + 1 < pres.len() {
        let merged = match (pres[i].text.as_str(), pres[i + 1].text.as_str()) {
            ("aaya", "ga") => Some("aayega"),
            ("aaya" | "aayi", "gi") => Some("aayegi"),
            ("aaya", "ge") => Some("aayenge"),
            ("mile" | "mila", "ga") => Some("milega"),
            ("mile" | "mili", "gi") => Some("milegi"),
            ("ho", "ga") => Some("hoga"),
            ("ho", "gi") => Some("hogi"),
            _ => None,
        };
        if let Some(m) = merged {
            let raw = format!("{} {}", pres[i].raw, pres[i + 1].raw);
            let script = pres[i].script;
            pres[i] = Pre::word(m, &raw, script);
            pres.remove(i + 1);
            continue;
        }
        if let (Some(d), "st" | "nd" | "rd" | "th") =
            (pres[i].digits.as_deref(), pres[i + 1].text.as_str())
        {
            if let Ok(n) = d.parse::<u32>() {
                let raw = format!("{}{}", pres[i].raw, pres[i + 1].raw);
                let text = format!("{n}{}", pres[i + 1].text);
                pres[i] = Pre {
                    text,
                    raw,
                    script: Script::Latin,
                    num: None,
                    digits: None,
                    ordinal: Some(n),
                };
                pres.remove(i + 1);
            }
        }
        i += 1;
    }
}

/// Decides which words are numbers here (`do` is "two" only next to other
/// numbers).
fn resolve_numbers(pres: &[Pre]) -> Vec<bool> {
    let n = pres.len();
    let word_at = |i: usize| pres.get(i).and_then(|p| p.num);
    let mut numeric: Vec<bool> = pres
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if p.digits.is_some() {
                return true;
            }
            let Some(w) = p.num else { return false };
            match w.kind {
                Kind::Repeat => match pres.get(i + 1) {
                    Some(next) => {
                        next.digits.as_ref().is_some_and(|d| d.len() == 1)
                            || next.num.is_some_and(|u| {
                                u.kind == Kind::Unit && u.ambiguity != Ambiguity::Strong
                            })
                    }
                    None => false,
                },
                Kind::Half => word_at(i + 1).is_some_and(|m| m.kind == Kind::Mult),
                Kind::PlusHalf => {
                    word_at(i + 1).is_some_and(|m| matches!(m.kind, Kind::Unit | Kind::Whole))
                        && word_at(i + 2).is_some_and(|m| m.kind == Kind::Mult)
                }
                _ => w.ambiguity == Ambiguity::Definite,
            }
        })
        .collect();
    // Weak words become numbers beside numbers (twice, so `do do teen` works
    // from the right), in a numeric context, or when they are all that was said.
    for _ in 0..2 {
        for i in 0..n {
            if numeric[i] || pres[i].num.is_none_or(|w| w.ambiguity != Ambiguity::Weak) {
                continue;
            }
            let beside = (i > 0 && numeric[i - 1]) || (i + 1 < n && numeric[i + 1]);
            let context = i > 0 && NUMERIC_CONTEXT.contains(&pres[i - 1].text.as_str());
            if beside || context || n == 1 {
                numeric[i] = true;
            }
        }
    }
    for i in 1..n.saturating_sub(1) {
        if !numeric[i]
            && pres[i]
                .num
                .is_some_and(|w| w.ambiguity == Ambiguity::Strong)
            && numeric[i - 1]
            && numeric[i + 1]
        {
            numeric[i] = true;
        }
    }
    // A homophone opening a run of digits after "order" or before three
    // more digits: "order to three four five six" is 2 3 4 5 6.
    for i in 0..n.saturating_sub(1) {
        let strong = pres[i]
            .num
            .is_some_and(|w| w.ambiguity == Ambiguity::Strong && w.kind == Kind::Unit);
        if numeric[i] || !strong || !numeric[i + 1] {
            continue;
        }
        let after_context = i > 0 && NUMERIC_CONTEXT.contains(&pres[i - 1].text.as_str());
        let digits_follow = (i + 1..i + 4).all(|j| {
            numeric.get(j).copied().unwrap_or(false)
                && pres[j].num.is_some_and(|w| w.kind == Kind::Unit)
        });
        if after_context || digits_follow {
            numeric[i] = true;
        }
    }
    numeric
}

struct Run {
    /// Pre-token range.
    start: usize,
    end: usize,
}

/// Groups number pre-tokens into runs said as one number.
fn runs(pres: &[Pre], numeric: &[bool]) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    let mut i = 0;
    while i < pres.len() {
        if !numeric[i] {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        while i < pres.len() {
            let prev = &pres[i - 1];
            if numeric[i] {
                // A long typed number followed by a spoken one (`45678 ek
                // baar`) is two things, not one longer number.
                let long_typed = |p: &Pre| p.digits.as_ref().is_some_and(|d| d.len() >= 4);
                let typed_then_word = long_typed(prev) && pres[i].digits.is_none();
                let word_then_typed = prev.digits.is_none() && long_typed(&pres[i]);
                if typed_then_word || word_then_typed {
                    break;
                }
                i += 1;
                continue;
            }
            // `four hundred and five`: a connector inside a compound.
            let after_mult = prev.num.is_some_and(|w| w.kind == Kind::Mult) && numeric[i - 1];
            let is_and = matches!(pres[i].text.as_str(), "and" | "aur");
            let next_small = i + 1 < pres.len()
                && numeric[i + 1]
                && pres[i + 1]
                    .num
                    .is_some_and(|w| matches!(w.kind, Kind::Unit | Kind::Whole | Kind::Tens));
            if after_mult && is_and && next_small {
                i += 1;
                continue;
            }
            break;
        }
        out.push(Run { start, end: i });
    }
    out
}

fn items_of(pres: &[Pre], run: &Run) -> Vec<Item> {
    pres[run.start..run.end]
        .iter()
        .map(|p| match (&p.digits, p.num) {
            (Some(d), _) => Item::Digits(d.clone()),
            (None, Some(w)) => Item::Word(w),
            (None, None) => Item::Connector,
        })
        .collect()
}

fn word_token(p: &Pre) -> Token {
    let kind = match p.ordinal {
        Some(n) => TokenKind::Ordinal(n),
        None => TokenKind::Word,
    };
    Token {
        text: p.text.clone(),
        raw: p.raw.clone(),
        kind,
    }
}

/// Builds tokens and number spans from pre-tokens.
fn tokens_and_spans(pres: &[Pre]) -> (Vec<Token>, Vec<NumberSpan>) {
    let numeric = resolve_numbers(pres);
    let runs = runs(pres, &numeric);
    let mut tokens: Vec<Token> = Vec::with_capacity(pres.len());
    // (token start, token end, digits) per run.
    let mut run_spans: Vec<(usize, usize, String)> = Vec::with_capacity(runs.len());
    let mut next_run = runs.iter().peekable();
    let mut i = 0;
    while i < pres.len() {
        if let Some(run) = next_run.next_if(|r| r.start == i) {
            let items = items_of(pres, run);
            let chunks = numbers::parse_run(&items);
            let tstart = tokens.len();
            let mut digits = String::new();
            for c in &chunks {
                let raw: Vec<&str> = pres[run.start + c.start..run.start + c.end]
                    .iter()
                    .map(|p| p.raw.as_str())
                    .collect();
                tokens.push(Token {
                    text: c.digits.clone(),
                    raw: raw.join(" "),
                    kind: TokenKind::Number(c.value),
                });
                digits.push_str(&c.digits);
            }
            if chunks.is_empty() {
                // Nothing numeric came of it (`dedh` alone): keep the words.
                for p in &pres[run.start..run.end] {
                    tokens.push(word_token(p));
                }
            } else {
                run_spans.push((tstart, tokens.len(), digits));
            }
            i = run.end;
            continue;
        }
        tokens.push(word_token(&pres[i]));
        i += 1;
    }
    // Join runs separated by one filler word when one side is only a piece
    // of a number ("456 and 8", "4. I'm 6.7.8.").
    let mut spans: Vec<NumberSpan> = Vec::with_capacity(run_spans.len());
    for (start, end, digits) in run_spans {
        if let Some(last) = spans.last_mut() {
            let gap_is_filler =
                start == last.end + 1 && FILLERS.contains(&tokens[last.end].text.as_str());
            if gap_is_filler
                && (last.digits.len() < 4 || digits.len() < 4)
                && last.digits.len() + digits.len() <= 12
            {
                last.digits.push_str(&digits);
                last.end = end;
                continue;
            }
        }
        spans.push(NumberSpan { digits, start, end });
    }
    (tokens, spans)
}

/// Marks ordinals and relative days among the word tokens.
fn mark_days_and_ordinals(tokens: &mut [Token]) {
    let past = tokens
        .iter()
        .any(|t| PAST_MARKERS.contains(&t.text.as_str()));
    let sign = if past { -1 } else { 1 };
    for t in tokens.iter_mut().filter(|t| t.kind == TokenKind::Word) {
        let day = match t.text.as_str() {
            "aaj" | "today" => Some(0),
            "kal" => Some(sign),
            "parson" => Some(2 * sign),
            "tomorrow" => Some(1),
            "yesterday" => Some(-1),
            _ => None,
        };
        if let Some(d) = day {
            t.kind = TokenKind::RelativeDay(d);
        } else if let Some((_, n)) = ORDINALS.iter().find(|(w, _)| *w == t.text) {
            t.kind = TokenKind::Ordinal(*n);
        }
    }
}

fn detect_language(pres: &[Pre]) -> Language {
    let mut latin_words = 0usize;
    let mut other_words = 0usize;
    let mut hindi = 0usize;
    for p in pres {
        match p.script {
            Script::Latin => latin_words += 1,
            Script::Devanagari | Script::Arabic => other_words += 1,
            Script::Digits => {}
        }
        if p.script == Script::Latin && HINDI_MARKERS.contains(&p.text.as_str()) {
            hindi += 1;
        }
    }
    if other_words > 0 && other_words >= latin_words {
        Language::Hindi
    } else if hindi > 0 || other_words > 0 {
        Language::Hinglish
    } else {
        Language::English
    }
}

/// Normalises one utterance.
///
/// Never panics, whatever the input; cost is linear in its length.
pub fn normalize(input: &str) -> Normalized {
    let nfc: String = input.nfc().collect();
    let (pieces, script) = split(&nfc);
    let pres = pre_tokens(&pieces);
    let language = detect_language(&pres);
    let (mut tokens, numbers) = tokens_and_spans(&pres);
    mark_days_and_ordinals(&mut tokens);
    let text = tokens
        .iter()
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    Normalized {
        original: input.to_owned(),
        text,
        tokens,
        numbers,
        script,
        language,
    }
}

impl Normalized {
    /// The canonical token texts, in order.
    pub fn words(&self) -> impl Iterator<Item = &str> + '_ {
        self.tokens.iter().map(|t| t.text.as_str())
    }

    /// Whether any token's canonical text is `word`.
    pub fn has(&self, word: &str) -> bool {
        self.tokens.iter().any(|t| t.text == word)
    }

    /// The first relative day mentioned (`kal` → ±1), if any.
    pub fn relative_day(&self) -> Option<i32> {
        self.tokens.iter().find_map(|t| match t.kind {
            TokenKind::RelativeDay(d) => Some(d),
            _ => None,
        })
    }

    /// The first ordinal mentioned (`doosra` → 2), if any.
    pub fn ordinal(&self) -> Option<u32> {
        self.tokens.iter().find_map(|t| match t.kind {
            TokenKind::Ordinal(n) => Some(n),
            _ => None,
        })
    }

    /// Whether the utterance says anything about the caller's language.
    ///
    /// A bare number or product name ("45678", "kurta") does not: the
    /// dialogue should keep answering in the language it was using.
    pub fn has_language_cues(&self) -> bool {
        if self.script.devanagari > 0 || self.script.arabic > 0 {
            return true;
        }
        self.tokens.iter().any(|t| {
            t.kind == TokenKind::Word
                && (HINDI_MARKERS.contains(&t.text.as_str())
                    || ENGLISH_MARKERS.contains(&t.text.as_str()))
        })
    }
}

#[cfg(test)]
mod tests;
