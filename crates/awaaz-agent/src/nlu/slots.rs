//! Slot readers that need no catalog: colours, sizes, phone numbers, anger
//! and corrections.

use crate::text::{Normalized, NumberSpan, TokenKind};

/// English colour → the words callers use for it (English, romanised Hindi;
/// Devanagari arrives romanised by the normaliser).
const COLOURS: &[(&str, &[&str])] = &[
    (
        "blue",
        &[
            "blue", "neela", "neeli", "neele", "nila", "nili", "bleu", "blu", "aasmani",
        ],
    ),
    ("red", &["red", "laal", "lal", "laali", "lali"]),
    (
        "green",
        &["green", "hara", "hari", "hare", "harra", "haraa"],
    ),
    (
        "black",
        &[
            "black", "kaala", "kaali", "kala", "kali", "kaale", "kale", "blak",
        ],
    ),
    (
        "white",
        &[
            "white", "safed", "safaid", "sufed", "safeid", "safeed", "wite",
        ],
    ),
    (
        "yellow",
        &["yellow", "peela", "peeli", "pila", "pili", "peele", "yelo"],
    ),
    ("pink", &["pink", "gulabi", "gulaabi"]),
    (
        "maroon",
        &[
            "maroon", "mehroon", "mahroon", "marun", "maroun", "meroon", "maharoon",
        ],
    ),
    (
        "orange",
        &["orange", "narangi", "naarangi", "kesariya", "santri"],
    ),
    ("purple", &["purple", "baingani", "jamuni", "violet"]),
    ("grey", &["grey", "gray", "sleti", "slaty"]),
    ("brown", &["brown", "bhura", "bhoora"]),
    ("gold", &["gold", "golden", "sunehra", "sunahra", "sunehri"]),
    ("silver", &["silver", "chandi", "chaandi"]),
    ("beige", &["beige", "beej", "baij"]),
    ("olive", &["olive"]),
    ("navy", &["navy"]),
    ("cream", &["cream", "kreem"]),
    ("floral", &["floral", "phoolon", "phooldar", "flowery"]),
];

/// The English colour a word names, if it names one.
pub fn colour_word(word: &str) -> Option<&'static str> {
    COLOURS
        .iter()
        .find(|(_, ws)| ws.contains(&word))
        .map(|(c, _)| *c)
}

/// The first colour mentioned.
pub fn colour(n: &Normalized) -> Option<&'static str> {
    n.tokens
        .iter()
        .filter(|t| t.kind == TokenKind::Word)
        .find_map(|t| colour_word(&t.text))
}

/// A size label for one word that is a size on its own (`medium` → `M`).
/// Single letters (`m`, `l`) need context and are handled by [`size`].
pub fn size_word(word: &str) -> Option<&'static str> {
    Some(match word {
        "xs" => "XS",
        "small" => "S",
        "medium" | "madhyam" => "M",
        "large" => "L",
        "xl" => "XL",
        "xxl" | "2xl" => "XXL",
        "xxxl" | "3xl" => "XXXL",
        _ => return None,
    })
}

/// The first size mentioned, as the store writes sizes: `M`, `XL`, `5L`,
/// `128GB`.
pub fn size(n: &Normalized) -> Option<String> {
    let t = &n.tokens;
    let words = t.iter().filter(|x| x.kind == TokenKind::Word).count();
    for i in 0..t.len() {
        let w = t[i].text.as_str();
        let next = t.get(i + 1).map(|x| x.text.as_str());
        let prev = i.checked_sub(1).map(|j| t[j].text.as_str());
        // Numbers with a unit: 5 litre, 128 GB.
        if let TokenKind::Number(v) = t[i].kind {
            match next {
                Some(
                    "l" | "litre" | "liter" | "litres" | "liters" | "ltr" | "lit" | "leter"
                    | "litar",
                ) => {
                    return Some(format!("{v}L"));
                }
                Some("gb" | "gigabyte") => return Some(format!("{v}GB")),
                Some("tb") => return Some(format!("{v}TB")),
                Some("xl") if v <= 5 => {
                    return Some(format!(
                        "{}XL",
                        "X".repeat(usize::try_from(v).unwrap_or(1) - 1)
                    ))
                }
                _ => {}
            }
            if matches!(prev, Some("size" | "naap")) {
                return Some(v.to_string());
            }
            continue;
        }
        if t[i].kind != TokenKind::Word {
            continue;
        }
        match (w, next) {
            ("extra" | "ekstra", Some("large")) => return Some("XL".to_owned()),
            ("extra" | "ekstra", Some("small")) => return Some("XS".to_owned()),
            ("double", Some("xl")) => return Some("XXL".to_owned()),
            ("double", Some("extra")) if t.get(i + 2).is_some_and(|x| x.text == "large") => {
                return Some("XXL".to_owned());
            }
            ("triple", Some("xl")) => return Some("XXXL".to_owned()),
            ("x" | "ex", Some("l")) => return Some("XL".to_owned()),
            ("xx", Some("l")) => return Some("XXL".to_owned()),
            ("free", Some("size")) => return Some("Free".to_owned()),
            _ => {}
        }
        // "chhote naap mein", "bada size": relative sizes only next to a
        // size word ("size chhota hai" is a complaint, not a size).
        if matches!(next, Some("naap" | "size")) {
            match w {
                "chhota" | "chhote" | "chhoti" => return Some("S".to_owned()),
                "bada" | "bade" | "badi" => return Some("L".to_owned()),
                _ => {}
            }
        }
        if let Some(s) = size_word(w) {
            // "extra large" was handled above; "large" alone is L.
            return Some(s.to_owned());
        }
        // Single letters are sizes only after "size", in a very short answer,
        // or when written as a capital letter on its own ("blue kurta M").
        if matches!(w, "m" | "s" | "l" | "em" | "el" | "es") {
            let after_size = matches!(prev, Some("size" | "naap"));
            let short = words <= 2;
            let capital = t[i].raw.len() == 1 && t[i].raw.chars().all(|c| c.is_ascii_uppercase());
            let followed_by_number = t
                .get(i + 1)
                .is_some_and(|x| matches!(x.kind, TokenKind::Number(_)));
            if (after_size || short || capital) && !followed_by_number {
                return Some(
                    match w {
                        "m" | "em" => "M",
                        "s" | "es" => "S",
                        _ => "L",
                    }
                    .to_owned(),
                );
            }
        }
    }
    None
}

/// A spoken or typed Indian mobile number in E.164 form, if the span is one.
pub fn phone_of(span: &NumberSpan) -> Option<String> {
    let d = span.digits.as_str();
    let mobile = |s: &str| s.len() == 10 && s.starts_with(['6', '7', '8', '9']);
    let ten = match d.len() {
        10 => d,
        11 if d.starts_with('0') => &d[1..],
        12 if d.starts_with("91") => &d[2..],
        13 if d.starts_with("091") => &d[3..],
        _ => return None,
    };
    mobile(ten).then(|| awaaz_store::PhoneNumber::new(ten).as_str().to_owned())
}

/// Words and phrases that sound angry or fed up.
const ANGRY_WORDS: &[&str] = &[
    "gussa",
    "bakwas",
    "bekaar",
    "worst",
    "pathetic",
    "useless",
    "ghatiya",
    "nonsense",
    "rubbish",
    "fraud",
    "cheat",
    "cheater",
    "cheating",
    "dhokha",
    "dhokebaaz",
    "chor",
    "chori",
    "ridiculous",
    "disgusting",
    "terrible",
    "horrible",
    "shameful",
    "shame",
    "pagal",
    "idiot",
    "stupid",
    "bloody",
    "irritating",
    "frustrated",
    "frustrating",
    "angry",
    "furious",
    "jhooth",
    "jhoot",
    "jhootha",
    "jhuth",
    "lies",
    "lying",
    "bewakoof",
    "nikamma",
    "faltu",
    "bakwaas",
    "disappointed",
    "unacceptable",
    "scam",
    "loot",
    "harassment",
];

const ANGRY_PHRASES: &[&[&str]] = &[
    &["kitni", "baar"],
    &["kitne", "baar"],
    &["how", "many", "times"],
    &["har", "baar"],
    &["baar", "baar"],
    &["teesri", "baar"],
    &["again", "and", "again"],
    &["fed", "up"],
    &["consumer", "court"],
    &["koi", "jawab", "nahi"],
    &["no", "response"],
    &["hadd", "ho", "gayi"],
    &["had", "ho", "gayi"],
    &["what", "the", "hell"],
];

/// Latin words that are normally written in capitals.
const CAPS_OK: &[&str] = &[
    "ORD", "XL", "XXL", "XXXL", "SMS", "OTP", "USB", "COD", "UPI", "ID", "OK", "GB", "TV", "AC",
    "LED", "PIN", "EMI",
];

/// Whether the caller sounds angry: angry words, "kitni baar", shouting in
/// capitals, or "!!".
pub fn angry(n: &Normalized) -> bool {
    let words: Vec<&str> = n.words().collect();
    if words.iter().any(|w| ANGRY_WORDS.contains(w)) {
        return true;
    }
    if ANGRY_PHRASES
        .iter()
        .any(|p| words.windows(p.len()).any(|w| w == *p))
    {
        return true;
    }
    if n.original.contains("!!") {
        return true;
    }
    let latin: Vec<&str> = n
        .original
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 3)
        .collect();
    let shouted = latin
        .iter()
        .filter(|w| w.chars().all(|c| c.is_ascii_uppercase()) && !CAPS_OK.contains(w))
        .count();
    shouted >= 2 && shouted * 2 >= latin.len()
}

/// Whether the caller is correcting something they said: "nahi, 45679",
/// "no I said…", "galat, …", "I meant…".
pub fn correction(n: &Normalized, has_detail: bool) -> bool {
    let words: Vec<&str> = n.words().collect();
    let starts_no = words.first().is_some_and(|w| {
        matches!(
            *w,
            "nahi" | "no" | "nope" | "galat" | "wrong" | "not" | "sorry" | "arre" | "actually"
        )
    });
    if starts_no && has_detail {
        return true;
    }
    const PHRASES: &[&[&str]] = &[
        &["i", "said"],
        &["i", "meant"],
        &["i", "mean"],
        &["maine", "kahan"],
        &["maine", "bola"],
        &["mera", "matlab"],
        &["matlab"],
        &["sahi", "number"],
        &["correct", "number"],
        &["actually"],
        &["not", "that"],
        &["galat", "number"],
        &["wrong", "number"],
    ];
    PHRASES
        .iter()
        .any(|p| words.windows(p.len()).any(|w| w == *p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalize;

    #[test]
    fn colours_in_english_and_hindi() {
        assert_eq!(colour(&normalize("neela kurta")), Some("blue"));
        assert_eq!(colour(&normalize("नीला कुर्ता")), Some("blue"));
        assert_eq!(colour(&normalize("लाल साड़ी")), Some("red"));
        assert_eq!(colour(&normalize("kaala wala")), Some("black"));
        assert_eq!(colour(&normalize("safed")), Some("white"));
        assert_eq!(colour(&normalize("mehroon lehenga")), Some("maroon"));
        assert_eq!(colour(&normalize("kal aayega")), None);
    }

    #[test]
    fn sizes() {
        assert_eq!(size(&normalize("blue kurta medium")).as_deref(), Some("M"));
        assert_eq!(size(&normalize("blue kurta M")).as_deref(), Some("M"));
        assert_eq!(size(&normalize("size em")).as_deref(), Some("M"));
        assert_eq!(size(&normalize("extra large")).as_deref(), Some("XL"));
        assert_eq!(
            size(&normalize("double XL hai kya")).as_deref(),
            Some("XXL")
        );
        assert_eq!(size(&normalize("XL")).as_deref(), Some("XL"));
        assert_eq!(
            size(&normalize("5 litre wala cooker")).as_deref(),
            Some("5L")
        );
        assert_eq!(size(&normalize("paanch litre")).as_deref(), Some("5L"));
        assert_eq!(size(&normalize("128 GB")).as_deref(), Some("128GB"));
        assert_eq!(size(&normalize("128GB")).as_deref(), Some("128GB"));
        assert_eq!(size(&normalize("मीडियम साइज़")).as_deref(), Some("M"));
        // The M of "Galaxy M35" is not a size.
        assert_eq!(size(&normalize("samsung galaxy M35 available hai")), None);
    }

    #[test]
    fn phones() {
        let span = |d: &str| NumberSpan {
            digits: d.to_owned(),
            start: 0,
            end: 1,
        };
        assert_eq!(
            phone_of(&span("9812345678")).as_deref(),
            Some("+919812345678")
        );
        assert_eq!(
            phone_of(&span("919812345678")).as_deref(),
            Some("+919812345678")
        );
        assert_eq!(
            phone_of(&span("09812345678")).as_deref(),
            Some("+919812345678")
        );
        assert_eq!(phone_of(&span("1234567890")), None);
        assert_eq!(phone_of(&span("45678")), None);
    }

    #[test]
    fn anger() {
        assert!(angry(&normalize("kitni baar bolun, bakwas service")));
        assert!(angry(&normalize("WHERE IS MY ORDER")));
        assert!(angry(&normalize("where is my order!!")));
        assert!(angry(&normalize("this is pathetic")));
        assert!(!angry(&normalize("where is my order ORD-45678")));
        assert!(!angry(&normalize("mera order kab aayega")));
    }

    #[test]
    fn corrections() {
        assert!(correction(&normalize("nahi, 45679"), true));
        assert!(correction(&normalize("no I said 45679"), true));
        assert!(correction(&normalize("galat, 4 5 6 7 9"), true));
        assert!(!correction(&normalize("nahi"), false));
        assert!(!correction(&normalize("mera order 45678"), true));
    }
}
