//! Spoken numbers: English and Hindi number words, Devanagari numerals and
//! the rules that join them into digits.

use std::collections::HashMap;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

use super::script::romanize_devanagari;

/// How a number word combines with its neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// 0–9: said digit by digit in ids.
    Unit,
    /// A whole number below 100 that does not take a unit after it
    /// (`eleven`, every Hindi word from `das` to `ninyanave`).
    Whole,
    /// English tens (`forty`), which take a unit (`forty five`).
    Tens,
    /// `hundred`/`sau`, `thousand`/`hazaar`, `lakh`, `crore`.
    Mult,
    /// `dedh` (1½), `dhai` (2½): the value is in halves and needs a multiplier.
    Half,
    /// `saadhe` (+½): needs a number and a multiplier after it.
    PlusHalf,
    /// `double`/`triple`: repeats the digit after it.
    Repeat,
}

/// How sure we are that a word is a number at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ambiguity {
    /// Always a number (`paanch`, `seven`).
    Definite,
    /// Also a common word (`do` = give, `oh`, `saath` = with): a number only
    /// next to another number or in a numeric context.
    Weak,
    /// Usually another word (`to`, `for`): a number only between two numbers.
    Strong,
}

/// A number word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NumWord {
    pub(crate) kind: Kind,
    pub(crate) value: u64,
    pub(crate) ambiguity: Ambiguity,
}

/// Hindi number words 0–100: canonical romanisation first, then variants;
/// then the Devanagari spellings.
const HINDI: &[(u64, &[&str], &[&str])] = &[
    (
        0,
        &["shunya", "shoonya", "sunya", "shuny", "sifar", "sifr"],
        &["शून्य", "सिफ़र"],
    ),
    (1, &["ek", "ekk", "aek", "ik"], &["एक"]),
    (2, &["do", "doo", "dho"], &["दो"]),
    (3, &["teen", "tin", "tiin", "theen"], &["तीन"]),
    (4, &["chaar", "char", "chaar", "chhar", "chaar"], &["चार"]),
    (
        5,
        &["paanch", "panch", "paach", "paunch", "paanc", "paancha"],
        &["पाँच", "पांच"],
    ),
    (
        6,
        &[
            "chhah", "chhe", "che", "chhai", "chah", "chheh", "chhey", "cheh", "chhay", "chha",
        ],
        &["छह", "छः", "छे", "छै"],
    ),
    (7, &["saat", "sat"], &["सात"]),
    (8, &["aath", "aat", "ath", "aathh"], &["आठ"]),
    (9, &["nau", "nao", "nav", "nou"], &["नौ"]),
    (10, &["das", "dus", "dass"], &["दस"]),
    (
        11,
        &[
            "gyarah", "gyaarah", "gyara", "gyaraa", "igyarah", "gyaarh", "gyaras", "gyaara",
        ],
        &["ग्यारह"],
    ),
    (12, &["barah", "baarah", "barha", "baraah"], &["बारह"]),
    (13, &["terah", "terha", "tehrah"], &["तेरह"]),
    (
        14,
        &["chaudah", "chodah", "chaudha", "chauda", "chaudaah"],
        &["चौदह"],
    ),
    (
        15,
        &[
            "pandrah", "pandra", "pendrah", "pandhra", "pandara", "pandhrah",
        ],
        &["पंद्रह", "पन्द्रह"],
    ),
    (16, &["solah", "sola", "solha", "solaah"], &["सोलह"]),
    (17, &["satrah", "satra", "sattrah", "satraah"], &["सत्रह"]),
    (
        18,
        &["atharah", "athara", "attharah", "atthara", "athaarah"],
        &["अठारह"],
    ),
    (
        19,
        &["unnis", "unees", "unnees", "unis", "unnish"],
        &["उन्नीस"],
    ),
    (20, &["bees", "bis", "biss", "bess"], &["बीस"]),
    (21, &["ikkis", "ikkees", "ekkis", "ikkeesh"], &["इक्कीस"]),
    (
        22,
        &["baais", "bais", "baaees", "baees", "baaeis"],
        &["बाईस"],
    ),
    (23, &["teis", "teiis", "teyis", "teees", "teees"], &["तेईस"]),
    (
        24,
        &["chaubis", "chaubees", "chobis", "chaubiss", "chowbis"],
        &["चौबीस"],
    ),
    (
        25,
        &[
            "pachchis",
            "pachis",
            "pachees",
            "pacchis",
            "pachchees",
            "pachiss",
        ],
        &["पच्चीस"],
    ),
    (
        26,
        &["chhabbis", "chabbis", "chhabbees", "chabbees"],
        &["छब्बीस"],
    ),
    (
        27,
        &["sattais", "sattaees", "sattaais", "sataees"],
        &["सत्ताईस"],
    ),
    (
        28,
        &["atthais", "athais", "atthaees", "athaees", "attais"],
        &["अट्ठाईस"],
    ),
    (29, &["untis", "untees", "unatees", "unatis"], &["उनतीस"]),
    (30, &["tees", "tis", "thees"], &["तीस"]),
    (
        31,
        &["ikattis", "iktees", "ikattees", "ikatis", "ektis"],
        &["इकतीस", "इकत्तीस"],
    ),
    (32, &["battis", "battees", "batis", "batees"], &["बत्तीस"]),
    (
        33,
        &["taintis", "taintees", "tentis", "taitees", "taitis"],
        &["तैंतीस"],
    ),
    (
        34,
        &["chauntis", "chauntees", "chontis", "chautis", "chautees"],
        &["चौंतीस"],
    ),
    (
        35,
        &["paintis", "paintees", "pentis", "paitis", "paitees"],
        &["पैंतीस"],
    ),
    (
        36,
        &["chhattis", "chattis", "chhattees", "chattees"],
        &["छत्तीस"],
    ),
    (37, &["saintis", "saintees", "sentis", "saitis"], &["सैंतीस"]),
    (
        38,
        &["artis", "adtis", "artees", "adtees", "arthis"],
        &["अड़तीस"],
    ),
    (
        39,
        &["untalis", "untaalees", "untalees", "unchalis"],
        &["उनतालीस"],
    ),
    (
        40,
        &["chalis", "chaalees", "chaalis", "chalees", "chaalish"],
        &["चालीस"],
    ),
    (
        41,
        &["iktalis", "iktaalees", "iktalees", "ektalis"],
        &["इकतालीस"],
    ),
    (
        42,
        &["bayalis", "bayaalees", "bayalees", "byalis", "beyalis"],
        &["बयालीस"],
    ),
    (
        43,
        &[
            "taintalis",
            "taintaalees",
            "tetalis",
            "taitalis",
            "taintalees",
        ],
        &["तैंतालीस"],
    ),
    (
        44,
        &[
            "chauvalis",
            "chauvaalees",
            "chawalis",
            "chauwalis",
            "chaualis",
            "chavalis",
        ],
        &["चौवालीस", "चवालीस"],
    ),
    (
        45,
        &[
            "paintalis",
            "paintaalees",
            "pentalis",
            "paitalis",
            "paintalees",
            "paintaalis",
        ],
        &["पैंतालीस"],
    ),
    (
        46,
        &["chhiyalis", "chhiyaalees", "chiyalis", "chhiyalees"],
        &["छियालीस"],
    ),
    (
        47,
        &["saintalis", "saintaalees", "sentalis", "saintalees"],
        &["सैंतालीस"],
    ),
    (
        48,
        &["artalis", "artaalees", "adtalis", "adtalees", "artalees"],
        &["अड़तालीस"],
    ),
    (49, &["unchas", "unchaas", "unanchas"], &["उनचास"]),
    (50, &["pachas", "pachaas", "pachaass"], &["पचास"]),
    (
        51,
        &["ikyavan", "ikyaavan", "ikyawan", "ekyavan"],
        &["इक्यावन"],
    ),
    (52, &["bavan", "baavan", "bawan"], &["बावन"]),
    (53, &["tirpan", "tirepan", "tirapan"], &["तिरपन"]),
    (54, &["chauvan", "chauwan", "chowan"], &["चौवन"]),
    (55, &["pachpan", "pachapan"], &["पचपन"]),
    (56, &["chhappan", "chappan"], &["छप्पन"]),
    (57, &["sattavan", "sattaavan", "sattawan"], &["सत्तावन"]),
    (
        58,
        &["atthavan", "atthaavan", "athawan", "athavan"],
        &["अट्ठावन"],
    ),
    (59, &["unsath", "unsaath", "unasath"], &["उनसठ"]),
    (60, &["saath", "sath"], &["साठ"]),
    (61, &["iksath", "iksaath", "eksath"], &["इकसठ"]),
    (62, &["basath", "baasath"], &["बासठ"]),
    (63, &["tirsath", "tirsaath", "tiresath"], &["तिरसठ"]),
    (64, &["chausath", "chaunsath", "chaunsaath"], &["चौंसठ"]),
    (65, &["painsath", "painsaath", "pensath"], &["पैंसठ"]),
    (66, &["chhiyasath", "chhiyaasath", "chiyasath"], &["छियासठ"]),
    (67, &["sarsath", "sadsath", "sarsaath"], &["सड़सठ"]),
    (68, &["arsath", "adsath", "arsaath"], &["अड़सठ"]),
    (69, &["unhattar", "unahattar"], &["उनहत्तर"]),
    (70, &["sattar", "sattarr"], &["सत्तर"]),
    (71, &["ikhattar", "ikahattar"], &["इकहत्तर"]),
    (72, &["bahattar", "bahatar"], &["बहत्तर"]),
    (73, &["tihattar", "tihatar"], &["तिहत्तर"]),
    (74, &["chauhattar", "chohattar"], &["चौहत्तर"]),
    (75, &["pachhattar", "pachattar", "pachhatar"], &["पचहत्तर"]),
    (76, &["chhihattar", "chihattar"], &["छिहत्तर"]),
    (77, &["satattar", "sathattar", "satahattar"], &["सतहत्तर"]),
    (78, &["athattar", "athahattar"], &["अठहत्तर"]),
    (79, &["unasi", "unyasi", "unaasi"], &["उन्यासी", "उनासी"]),
    (80, &["assi", "assee", "asi"], &["अस्सी"]),
    (81, &["ikyasi", "ikyaasi"], &["इक्यासी"]),
    (82, &["bayasi", "bayaasi"], &["बयासी"]),
    (83, &["tirasi", "tiraasi"], &["तिरासी"]),
    (84, &["chaurasi", "chauraasi"], &["चौरासी"]),
    (85, &["pachasi", "pachaasi"], &["पचासी"]),
    (86, &["chhiyasi", "chhiyaasi"], &["छियासी"]),
    (87, &["sattasi", "sattaasi"], &["सत्तासी"]),
    (88, &["atthasi", "atthaasi"], &["अट्ठासी"]),
    (89, &["navasi", "nawasi", "nawaasi"], &["नवासी"]),
    (90, &["nabbe", "nabbey", "navve"], &["नब्बे"]),
    (
        91,
        &["ikyanave", "ikyaanave", "ikyanbe"],
        &["इक्यानबे", "इक्यानवे"],
    ),
    (92, &["baanave", "banave", "baanbe"], &["बानबे", "बानवे"]),
    (
        93,
        &["tiranave", "tiraanave", "tiranbe"],
        &["तिरानबे", "तिरानवे"],
    ),
    (
        94,
        &["chauranave", "chauraanave", "chauranbe"],
        &["चौरानबे", "चौरानवे"],
    ),
    (
        95,
        &["pachanave", "pachaanave", "pachanbe"],
        &["पचानबे", "पंचानबे", "पचानवे"],
    ),
    (
        96,
        &["chhiyanave", "chhiyaanave", "chhiyanbe"],
        &["छियानबे", "छियानवे"],
    ),
    (
        97,
        &["sattanave", "sattaanave", "sattanbe"],
        &["सत्तानबे", "सत्तानवे"],
    ),
    (
        98,
        &["atthanave", "atthaanave", "atthanbe"],
        &["अट्ठानबे", "अट्ठानवे"],
    ),
    (
        99,
        &["ninyanave", "ninyaanave", "ninyanbe"],
        &["निन्यानबे", "निन्यानवे"],
    ),
    (100, &["sau", "sao"], &["सौ"]),
];

/// English number words below 100 that are written as one word.
const ENGLISH: &[(u64, &[&str])] = &[
    (0, &["zero", "zeero", "ziro"]),
    (1, &["one"]),
    (2, &["two"]),
    (3, &["three", "tree"]),
    (4, &["four"]),
    (5, &["five"]),
    (6, &["six", "sicks"]),
    (7, &["seven"]),
    (8, &["eight"]),
    (9, &["nine"]),
    (10, &["ten"]),
    (11, &["eleven"]),
    (12, &["twelve"]),
    (13, &["thirteen"]),
    (14, &["fourteen"]),
    (15, &["fifteen"]),
    (16, &["sixteen"]),
    (17, &["seventeen"]),
    (18, &["eighteen"]),
    (19, &["nineteen"]),
    (20, &["twenty"]),
    (30, &["thirty"]),
    (40, &["forty", "fourty"]),
    (50, &["fifty"]),
    (60, &["sixty"]),
    (70, &["seventy"]),
    (80, &["eighty"]),
    (90, &["ninety", "ninty"]),
];

/// Words that are numbers only in a numeric context.
const WEAK: &[&str] = &[
    "do", "saath", "sath", "oh", "o", "nav", "ik", "tree", "sat", "tin", "sola", "chha", "asi",
];
/// Words that are numbers only between two numbers.
const STRONG: &[&str] = &["to", "too", "for", "ate", "won", "fore"];

struct Tables {
    roman: HashMap<String, NumWord>,
    devanagari: HashMap<String, NumWord>,
}

fn word(kind: Kind, value: u64) -> NumWord {
    NumWord {
        kind,
        value,
        ambiguity: Ambiguity::Definite,
    }
}

fn kind_of(value: u64) -> Kind {
    if value < 10 {
        Kind::Unit
    } else if value == 100 {
        Kind::Mult
    } else {
        Kind::Whole
    }
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let mut roman: HashMap<String, NumWord> = HashMap::new();
        let mut devanagari: HashMap<String, NumWord> = HashMap::new();
        for (v, romans, devas) in HINDI {
            let w = word(kind_of(*v), *v);
            for r in *romans {
                roman.entry((*r).to_owned()).or_insert(w);
            }
            for d in *devas {
                let d: String = d.nfc().collect();
                // The letter-by-letter reading of the Devanagari spelling is one
                // more romanised variant.
                roman.entry(romanize_devanagari(&d)).or_insert(w);
                devanagari.insert(d, w);
            }
        }
        for (v, words) in ENGLISH {
            let k = if *v >= 20 { Kind::Tens } else { kind_of(*v) };
            for e in *words {
                roman.insert((*e).to_owned(), word(k, *v));
            }
        }
        let extra: &[(&str, NumWord)] = &[
            ("hundred", word(Kind::Mult, 100)),
            ("hundreds", word(Kind::Mult, 100)),
            ("thousand", word(Kind::Mult, 1000)),
            ("hazaar", word(Kind::Mult, 1000)),
            ("hazar", word(Kind::Mult, 1000)),
            ("hajar", word(Kind::Mult, 1000)),
            ("hajaar", word(Kind::Mult, 1000)),
            ("hazzar", word(Kind::Mult, 1000)),
            ("lakh", word(Kind::Mult, 100_000)),
            ("laakh", word(Kind::Mult, 100_000)),
            ("lac", word(Kind::Mult, 100_000)),
            ("lakhs", word(Kind::Mult, 100_000)),
            ("crore", word(Kind::Mult, 10_000_000)),
            ("karod", word(Kind::Mult, 10_000_000)),
            ("karor", word(Kind::Mult, 10_000_000)),
            ("dedh", word(Kind::Half, 3)),
            ("derh", word(Kind::Half, 3)),
            ("dhedh", word(Kind::Half, 3)),
            ("dhai", word(Kind::Half, 5)),
            ("dhaai", word(Kind::Half, 5)),
            ("dhaee", word(Kind::Half, 5)),
            ("saadhe", word(Kind::PlusHalf, 0)),
            ("sadhe", word(Kind::PlusHalf, 0)),
            ("saade", word(Kind::PlusHalf, 0)),
            ("double", word(Kind::Repeat, 2)),
            ("triple", word(Kind::Repeat, 3)),
            ("oh", word(Kind::Unit, 0)),
            ("o", word(Kind::Unit, 0)),
            ("to", word(Kind::Unit, 2)),
            ("too", word(Kind::Unit, 2)),
            ("won", word(Kind::Unit, 1)),
            ("for", word(Kind::Unit, 4)),
            ("fore", word(Kind::Unit, 4)),
            ("ate", word(Kind::Unit, 8)),
        ];
        for (w, n) in extra {
            roman.insert((*w).to_owned(), *n);
        }
        for (d, n) in [
            ("सौ", word(Kind::Mult, 100)),
            ("हज़ार", word(Kind::Mult, 1000)),
            ("हजार", word(Kind::Mult, 1000)),
            ("लाख", word(Kind::Mult, 100_000)),
            ("करोड़", word(Kind::Mult, 10_000_000)),
            ("डेढ़", word(Kind::Half, 3)),
            ("ढाई", word(Kind::Half, 5)),
            ("साढ़े", word(Kind::PlusHalf, 0)),
        ] {
            devanagari.insert(d.nfc().collect(), n);
        }
        for w in WEAK {
            if let Some(n) = roman.get_mut(*w) {
                n.ambiguity = Ambiguity::Weak;
            }
        }
        for w in STRONG {
            if let Some(n) = roman.get_mut(*w) {
                n.ambiguity = Ambiguity::Strong;
            }
        }
        // `दो` is also "give", like `do`.
        if let Some(n) = devanagari.get_mut(&"दो".nfc().collect::<String>()) {
            n.ambiguity = Ambiguity::Weak;
        }
        Tables { roman, devanagari }
    })
}

/// Looks up a canonical romanised word.
pub(crate) fn lookup(word: &str) -> Option<NumWord> {
    tables().roman.get(word).copied()
}

/// Looks up an NFC Devanagari word.
pub(crate) fn lookup_devanagari(word: &str) -> Option<NumWord> {
    tables().devanagari.get(word).copied()
}

/// The canonical romanised Hindi word for 0–100 (`45` → `paintalis`).
pub fn hindi_number_word(n: u32) -> Option<&'static str> {
    HINDI
        .iter()
        .find(|(v, _, _)| *v == u64::from(n))
        .and_then(|(_, r, _)| r.first().copied())
}

/// The Devanagari Hindi word for 0–100 (`45` → `पैंतालीस`).
pub fn hindi_number_devanagari(n: u32) -> Option<&'static str> {
    HINDI
        .iter()
        .find(|(v, _, _)| *v == u64::from(n))
        .and_then(|(_, _, d)| d.first().copied())
}

/// One item of a run of numbers: typed digits or a number word.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    Digits(String),
    Word(NumWord),
    /// `and`/`aur` inside a compound (`four hundred and five`).
    Connector,
}

/// A number read from a run: its digits and how many items it used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chunk {
    pub(crate) digits: String,
    pub(crate) value: u64,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

fn below_100(items: &[Item], i: usize) -> Option<(u64, usize)> {
    match items.get(i)? {
        Item::Word(w) if w.kind == Kind::Tens => match items.get(i + 1) {
            Some(Item::Word(u)) if u.kind == Kind::Unit && (1..=9).contains(&u.value) => {
                Some((w.value + u.value, 2))
            }
            _ => Some((w.value, 1)),
        },
        Item::Word(w) if matches!(w.kind, Kind::Unit | Kind::Whole) => Some((w.value, 1)),
        _ => None,
    }
}

fn mult_at(items: &[Item], i: usize) -> Option<u64> {
    match items.get(i) {
        Some(Item::Word(w)) if w.kind == Kind::Mult => Some(w.value),
        _ => None,
    }
}

/// Continues a compound after its first group: multipliers and the smaller
/// numbers between them (`do hazaar paanch sau`, `four hundred and five`).
/// `group` is in halves so `dedh`/`saadhe` stay exact.
fn compound(items: &[Item], mut i: usize, mut group2: u64) -> (u64, usize, bool) {
    let mut total: u64 = 0;
    let mut saw_mult = false;
    while let Some(m) = mult_at(items, i) {
        i += 1;
        saw_mult = true;
        if m == 100 && total == 0 && group2 < 200 {
            group2 = group2.saturating_mul(100);
        } else {
            total = total.saturating_add(group2.saturating_mul(m) / 2);
            group2 = 0;
        }
        let mut j = i;
        if matches!(items.get(j), Some(Item::Connector)) {
            j += 1;
        }
        match below_100(items, j) {
            Some((v, used)) => {
                group2 = group2.saturating_add(v * 2);
                i = j + used;
            }
            None => break,
        }
    }
    (total.saturating_add(group2 / 2), i, saw_mult)
}

/// Reads a run of number items into chunks, in spoken order.
pub(crate) fn parse_run(items: &[Item]) -> Vec<Chunk> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let start = i;
        let chunk = match &items[i] {
            Item::Connector => {
                i += 1;
                continue;
            }
            Item::Digits(d) => {
                // `5 hazaar`, `2 lakh`: typed digits with a spoken multiplier.
                if d.len() <= 3 && mult_at(items, i + 1).is_some() {
                    let v: u64 = d.parse().unwrap_or(0);
                    let (value, next, _) = compound(items, i + 1, v * 2);
                    i = next;
                    value.to_string()
                } else {
                    i += 1;
                    d.clone()
                }
            }
            Item::Word(w) => match w.kind {
                Kind::Repeat => match items.get(i + 1) {
                    Some(Item::Word(u)) if u.kind == Kind::Unit => {
                        i += 2;
                        u.value
                            .to_string()
                            .repeat(usize::try_from(w.value).unwrap_or(1))
                    }
                    Some(Item::Digits(d)) if d.len() == 1 => {
                        i += 2;
                        d.repeat(usize::try_from(w.value).unwrap_or(1))
                    }
                    _ => {
                        i += 1;
                        continue;
                    }
                },
                Kind::Half => {
                    let (value, next, saw) = compound(items, i + 1, w.value);
                    i = next;
                    if !saw {
                        continue;
                    }
                    value.to_string()
                }
                Kind::PlusHalf => match below_100(items, i + 1) {
                    Some((v, used)) if mult_at(items, i + 1 + used).is_some() => {
                        let (value, next, _) = compound(items, i + 1 + used, v * 2 + 1);
                        i = next;
                        value.to_string()
                    }
                    _ => {
                        i += 1;
                        continue;
                    }
                },
                Kind::Mult => {
                    let (value, next, _) = compound(items, i, 2);
                    i = next;
                    value.to_string()
                }
                Kind::Unit | Kind::Whole | Kind::Tens => {
                    let (v, used) = below_100(items, i).unwrap_or((w.value, 1));
                    let (value, next, saw) = compound(items, i + used, v * 2);
                    i = next;
                    if saw {
                        value.to_string()
                    } else {
                        v.to_string()
                    }
                }
            },
        };
        let value = chunk.parse().unwrap_or(u64::MAX);
        out.push(Chunk {
            digits: chunk,
            value,
            start,
            end: i,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(words: &[&str]) -> String {
        let items: Vec<Item> = words
            .iter()
            .map(|w| match *w {
                "and" | "aur" => Item::Connector,
                w if w.chars().all(|c| c.is_ascii_digit()) => Item::Digits(w.to_owned()),
                w => Item::Word(lookup(w).unwrap_or_else(|| panic!("not a number word: {w}"))),
            })
            .collect();
        parse_run(&items).into_iter().map(|c| c.digits).collect()
    }

    #[test]
    fn english_compounds_and_digit_strings() {
        assert_eq!(run(&["forty", "five", "six", "seventy", "eight"]), "45678");
        assert_eq!(run(&["double", "five"]), "55");
        assert_eq!(run(&["triple", "seven"]), "777");
        assert_eq!(run(&["one", "twenty"]), "120");
        assert_eq!(run(&["four", "hundred", "and", "five"]), "405");
        assert_eq!(run(&["four", "hundred", "fifty", "six"]), "456");
        assert_eq!(run(&["twenty", "five", "hundred"]), "2500");
        assert_eq!(run(&["oh", "nine"]), "09");
        assert_eq!(run(&["hundred"]), "100");
    }

    #[test]
    fn hindi_compounds() {
        assert_eq!(run(&["ek", "sau", "bees"]), "120");
        assert_eq!(run(&["do", "hazaar"]), "2000");
        assert_eq!(run(&["do", "hazaar", "paanch", "sau"]), "2500");
        assert_eq!(run(&["dedh", "sau"]), "150");
        assert_eq!(run(&["dhai", "hazaar"]), "2500");
        assert_eq!(run(&["saadhe", "teen", "sau"]), "350");
        assert_eq!(run(&["chaar", "paanch", "six", "seven", "eight"]), "45678");
        assert_eq!(run(&["pachpan", "chhappan"]), "5556");
        assert_eq!(run(&["5", "hazaar"]), "5000");
    }

    #[test]
    fn hindi_words_exist_for_0_to_100() {
        for n in 0..=100u32 {
            let w = hindi_number_word(n).unwrap_or_else(|| panic!("no word for {n}"));
            assert_eq!(lookup(w).map(|x| x.value), Some(u64::from(n)), "{w}");
            let d: String = hindi_number_devanagari(n)
                .unwrap_or_default()
                .nfc()
                .collect();
            assert_eq!(
                lookup_devanagari(&d).map(|x| x.value),
                Some(u64::from(n)),
                "{d}"
            );
        }
    }
}
