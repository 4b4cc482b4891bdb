//! Scripts: classifying characters and romanising Devanagari and Urdu words.
//!
//! Devanagari is romanised letter by letter with schwa deletion (the inherent
//! `a` that Hindi does not pronounce: कमला → `kamla`, not `kamala`), in the
//! spelling Hinglish writers use (`ee`, `oo`, `aa`, a final `ा` as `a`).
//! Urdu script omits short vowels, so it cannot be romanised reliably letter by
//! letter; common customer-service words are looked up whole and anything
//! else gets a rough consonant-skeleton reading that the phonetic matcher can
//! still use.

use std::collections::HashMap;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

/// The script of one character, as far as tokenising cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CharClass {
    /// A Latin letter (after lower-casing and stripping accents).
    Latin,
    /// A Devanagari letter, vowel sign or mark.
    Devanagari,
    /// A Perso-Arabic letter or mark.
    Arabic,
    /// A digit of any script, with its value.
    Digit(u8),
    /// Joins letters of a word without being part of it (apostrophes, ZWJ/ZWNJ).
    Joiner,
    /// Anything else: spaces, punctuation, symbols.
    Separator,
}

/// Classifies one character.
pub(crate) fn classify(c: char) -> CharClass {
    match c {
        '0'..='9' => CharClass::Digit(c as u8 - b'0'),
        // Devanagari digits ०-९.
        '\u{0966}'..='\u{096F}' => CharClass::Digit(digit_value(c, 0x0966)),
        // Arabic-Indic and extended (Urdu) digits.
        '\u{0660}'..='\u{0669}' => CharClass::Digit(digit_value(c, 0x0660)),
        '\u{06F0}'..='\u{06F9}' => CharClass::Digit(digit_value(c, 0x06F0)),
        '\'' | '\u{2019}' | '\u{2018}' | '\u{200C}' | '\u{200D}' => CharClass::Joiner,
        // Dandas are punctuation.
        '\u{0964}' | '\u{0965}' => CharClass::Separator,
        '\u{0900}'..='\u{097F}' | '\u{A8E0}'..='\u{A8FF}' => CharClass::Devanagari,
        // Arabic punctuation (comma, semicolon, question mark, full stop) separates.
        '\u{060C}' | '\u{061B}' | '\u{061F}' | '\u{06D4}' => CharClass::Separator,
        '\u{0600}'..='\u{06FF}'
        | '\u{0750}'..='\u{077F}'
        | '\u{FB50}'..='\u{FDFF}'
        | '\u{FE70}'..='\u{FEFF}' => CharClass::Arabic,
        c if c.is_alphabetic() && is_latin(c) => CharClass::Latin,
        _ => CharClass::Separator,
    }
}

fn digit_value(c: char, zero: u32) -> u8 {
    // The callers only pass characters in a ten-wide block starting at `zero`.
    u8::try_from((c as u32).saturating_sub(zero))
        .unwrap_or(0)
        .min(9)
}

fn is_latin(c: char) -> bool {
    c.is_ascii_alphabetic()
        || ('\u{00C0}'..='\u{024F}').contains(&c)
        || ('\u{1E00}'..='\u{1EFF}').contains(&c)
}

/// Lower-cases a Latin word and strips accents (`kahāṅ` → `kahan`).
pub(crate) fn fold_latin(word: &str) -> String {
    word.nfd()
        .filter(char::is_ascii_alphabetic)
        .flat_map(char::to_lowercase)
        .collect()
}

// ---------------------------------------------------------------- Devanagari

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vowel {
    /// The inherent `a` of a consonant with no vowel sign.
    Inherent,
    /// Inherent `a` removed by schwa deletion.
    Deleted,
    /// A vowel sign or an independent vowel letter.
    Sign(char),
    /// A virama: the consonant joins the next one.
    Halant,
}

#[derive(Debug, Clone, Copy)]
struct Syllable {
    consonant: Option<char>,
    nukta: bool,
    vowel: Vowel,
    nasal: bool,
    visarga: bool,
}

fn is_consonant(c: char) -> bool {
    ('\u{0915}'..='\u{0939}').contains(&c)
        || ('\u{0958}'..='\u{095F}').contains(&c)
        || c == '\u{0978}'
}

fn is_vowel_sign(c: char) -> bool {
    ('\u{093E}'..='\u{094C}').contains(&c)
        || matches!(c, '\u{0962}' | '\u{0963}' | '\u{094E}' | '\u{094F}')
}

fn is_independent_vowel(c: char) -> bool {
    ('\u{0904}'..='\u{0914}').contains(&c)
        || matches!(c, '\u{0960}' | '\u{0961}' | '\u{0972}'..='\u{0977}')
}

fn consonant_roman(c: char, nukta: bool) -> &'static str {
    if nukta {
        match c {
            'क' => return "k",
            'ख' => return "kh",
            'ग' => return "g",
            'ज' => return "z",
            'ड' => return "r",
            'ढ' => return "rh",
            'फ' => return "f",
            'य' => return "y",
            _ => {}
        }
    }
    match c {
        'क' => "k",
        'ख' => "kh",
        'ग' => "g",
        'घ' => "gh",
        'ङ' => "n",
        'च' => "ch",
        'छ' => "chh",
        'ज' => "j",
        'झ' => "jh",
        'ञ' => "n",
        'ट' => "t",
        'ठ' => "th",
        'ड' => "d",
        'ढ' => "dh",
        'ण' => "n",
        'त' => "t",
        'थ' => "th",
        'द' => "d",
        'ध' => "dh",
        'न' => "n",
        'ऩ' => "n",
        'प' => "p",
        'फ' => "ph",
        'ब' => "b",
        'भ' => "bh",
        'म' => "m",
        'य' => "y",
        'र' | 'ऱ' => "r",
        'ल' | 'ळ' | 'ऴ' => "l",
        'व' => "v",
        'श' | 'ष' => "sh",
        'स' => "s",
        'ह' => "h",
        // Precomposed nukta letters (NFC decomposes most of them, but not all inputs are NFC'd by us first).
        '\u{0958}' => "k",
        '\u{0959}' => "kh",
        '\u{095A}' => "g",
        '\u{095B}' => "z",
        '\u{095C}' => "r",
        '\u{095D}' => "rh",
        '\u{095E}' => "f",
        '\u{095F}' => "y",
        _ => "",
    }
}

/// Romanises a vowel; `last` says whether it ends the word, where Hinglish
/// spelling shortens long vowels (मेरा → `mera`, नहीं → `nahin`).
fn vowel_roman(v: char, last: bool, nasal: bool) -> &'static str {
    match (v, last, nasal) {
        ('अ', _, _) => "a",
        ('आ' | 'ा', true, false) => "a",
        ('आ' | 'ा', _, _) => "aa",
        ('इ' | 'ि', _, _) => "i",
        ('ई' | 'ी', true, _) => "i",
        ('ई' | 'ी', _, _) => "ee",
        ('उ' | 'ु', _, _) => "u",
        ('ऊ' | 'ू', true, false) => "u",
        ('ऊ' | 'ू', _, _) => "oo",
        ('ऋ' | 'ृ', _, _) => "ri",
        ('ए' | 'े', true, true) => "ei",
        ('ए' | 'े' | 'ॅ' | 'ऍ' | 'ॆ' | 'ऎ', _, _) => "e",
        ('ऐ' | 'ै', _, _) => "ai",
        ('ओ' | 'ो' | 'ऑ' | 'ॉ' | 'ॊ' | 'ऒ', _, _) => "o",
        ('औ' | 'ौ', _, _) => "au",
        _ => "",
    }
}

fn is_labial(c: Option<char>) -> bool {
    matches!(c, Some('प' | 'फ' | 'ब' | 'भ' | 'म'))
}

fn parse_devanagari(word: &str) -> Vec<Syllable> {
    let mut out: Vec<Syllable> = Vec::with_capacity(word.len() / 3 + 1);
    for c in word.chars() {
        if is_consonant(c) {
            out.push(Syllable {
                consonant: Some(c),
                nukta: false,
                vowel: Vowel::Inherent,
                nasal: false,
                visarga: false,
            });
        } else if is_independent_vowel(c) {
            out.push(Syllable {
                consonant: None,
                nukta: false,
                vowel: Vowel::Sign(c),
                nasal: false,
                visarga: false,
            });
        } else if is_vowel_sign(c) {
            match out.last_mut() {
                Some(s) if s.consonant.is_some() && s.vowel == Vowel::Inherent => {
                    s.vowel = Vowel::Sign(c)
                }
                // A stray vowel sign (bad input) reads as the vowel itself.
                _ => out.push(Syllable {
                    consonant: None,
                    nukta: false,
                    vowel: Vowel::Sign(c),
                    nasal: false,
                    visarga: false,
                }),
            }
        } else {
            match (c, out.last_mut()) {
                ('\u{094D}', Some(s)) if s.consonant.is_some() => s.vowel = Vowel::Halant,
                ('\u{093C}', Some(s)) => s.nukta = true,
                ('\u{0901}' | '\u{0902}', Some(s)) => s.nasal = true,
                ('\u{0903}', Some(s)) => s.visarga = true,
                _ => {}
            }
        }
    }
    out
}

fn realised(s: &Syllable) -> bool {
    matches!(s.vowel, Vowel::Inherent | Vowel::Sign(_))
}

/// Deletes the schwas Hindi does not pronounce: word-finally (unless after a
/// conjunct) and in the context V C _ C V, scanning right to left.
fn delete_schwas(syl: &mut [Syllable]) {
    let n = syl.len();
    if n < 2 {
        return;
    }
    let last = n - 1;
    if syl[last].consonant.is_some()
        && syl[last].vowel == Vowel::Inherent
        && !syl[last].nasal
        && syl[last - 1].vowel != Vowel::Halant
    {
        syl[last].vowel = Vowel::Deleted;
    }
    for i in (1..last).rev() {
        let s = syl[i];
        if s.consonant.is_none() || s.vowel != Vowel::Inherent || s.nasal || s.visarga {
            continue;
        }
        let next = syl[i + 1];
        if realised(&syl[i - 1]) && next.consonant.is_some() && realised(&next) {
            syl[i].vowel = Vowel::Deleted;
        }
    }
}

/// Romanises one Devanagari word (no spaces) with schwa deletion.
pub(crate) fn romanize_devanagari(word: &str) -> String {
    let mut syl = parse_devanagari(word);
    delete_schwas(&mut syl);
    let mut out = String::with_capacity(word.len());
    let n = syl.len();
    for i in 0..n {
        let s = syl[i];
        let next = syl.get(i + 1).copied();
        if let Some(c) = s.consonant {
            let roman = consonant_roman(c, s.nukta);
            // ज्ञ is said `gy` in Hindi; च्छ is written `chh`, not `chchh`.
            if c == 'ज' && s.vowel == Vowel::Halant && next.and_then(|x| x.consonant) == Some('ञ')
            {
                out.push('g');
                continue;
            }
            if c == 'ञ'
                && i > 0
                && syl[i - 1].consonant == Some('ज')
                && syl[i - 1].vowel == Vowel::Halant
            {
                out.push('y');
            } else if c == 'च'
                && s.vowel == Vowel::Halant
                && next.and_then(|x| x.consonant) == Some('छ')
            {
                // skip: the छ that follows carries the sound
            } else {
                out.push_str(roman);
            }
        }
        // A vowel is word-final when nothing audible follows it.
        let is_last = syl[i + 1..]
            .iter()
            .all(|x| x.consonant.is_none() && !realised(x))
            || i + 1 == n;
        match s.vowel {
            Vowel::Inherent => out.push('a'),
            Vowel::Sign(v) => out.push_str(vowel_roman(v, is_last, s.nasal)),
            Vowel::Deleted | Vowel::Halant => {}
        }
        if s.nasal {
            let final_ei = is_last && matches!(s.vowel, Vowel::Sign('े' | 'ए'));
            if !final_ei {
                out.push(if is_labial(next.and_then(|x| x.consonant)) {
                    'm'
                } else {
                    'n'
                });
            } else {
                out.push('n');
            }
        }
        if s.visarga {
            out.push('h');
        }
    }
    out
}

// ---------------------------------------------------------------- Urdu

/// Common words as Urdu-script recognisers write them, with their Hinglish
/// spelling. Whisper told the language is `hi` often answers in Urdu script.
const URDU_WORDS: &[(&str, &str)] = &[
    ("میرا", "mera"),
    ("میری", "meri"),
    ("میرے", "mere"),
    ("مجھے", "mujhe"),
    ("آرڈر", "order"),
    ("آڈر", "order"),
    ("کب", "kab"),
    ("آئے", "aaye"),
    ("آئےگا", "aayega"),
    ("آئیگا", "aayega"),
    ("آئیں", "aayein"),
    ("گا", "ga"),
    ("گی", "gi"),
    ("گے", "ge"),
    ("آیا", "aaya"),
    ("آئی", "aayi"),
    ("نہیں", "nahi"),
    ("نہی", "nahi"),
    ("ہے", "hai"),
    ("ہیں", "hain"),
    ("کیا", "kya"),
    ("کہاں", "kahan"),
    ("کہا", "kaha"),
    ("پارسل", "parcel"),
    ("ابھی", "abhi"),
    ("تک", "tak"),
    ("واپس", "wapas"),
    ("پیسے", "paise"),
    ("پیسہ", "paisa"),
    ("پیسا", "paisa"),
    ("ریفنڈ", "refund"),
    ("کینسل", "cancel"),
    ("شکریہ", "shukriya"),
    ("سلام", "salaam"),
    ("السلام", "assalam"),
    ("علیکم", "alaikum"),
    ("آداب", "adaab"),
    ("ہاں", "haan"),
    ("ہاں۔", "haan"),
    ("جی", "ji"),
    ("نہ", "na"),
    ("ٹھیک", "theek"),
    ("کرنا", "karna"),
    ("کریں", "karein"),
    ("کرو", "karo"),
    ("کر", "kar"),
    ("دو", "do"),
    ("دیں", "dein"),
    ("دیجیے", "dijiye"),
    ("ایک", "ek"),
    ("تین", "teen"),
    ("چار", "chaar"),
    ("پانچ", "paanch"),
    ("چھ", "chhah"),
    ("سات", "saat"),
    ("آٹھ", "aath"),
    ("نو", "nau"),
    ("دس", "das"),
    ("صفر", "shunya"),
    ("سو", "sau"),
    ("ہزار", "hazaar"),
    ("بات", "baat"),
    ("انسان", "insaan"),
    ("ایجنٹ", "agent"),
    ("کسی", "kisi"),
    ("سے", "se"),
    ("کا", "ka"),
    ("کی", "ki"),
    ("کے", "ke"),
    ("کو", "ko"),
    ("میں", "mein"),
    ("آپ", "aap"),
    ("ہم", "hum"),
    ("چاہیے", "chahiye"),
    ("چاہئے", "chahiye"),
    ("ٹوٹا", "toota"),
    ("ٹوٹی", "tooti"),
    ("خراب", "kharab"),
    ("غلط", "galat"),
    ("سامان", "samaan"),
    ("پتہ", "pata"),
    ("پتا", "pata"),
    ("بتائیں", "batao"),
    ("بتاؤ", "batao"),
    ("بتائیے", "batao"),
    ("اسٹیٹس", "status"),
    ("سٹیٹس", "status"),
    ("ڈیلیوری", "delivery"),
    ("کرتا", "kurta"),
    ("کُرتا", "kurta"),
    ("ساڑی", "saree"),
    ("ساڑھی", "saree"),
    ("رنگ", "rang"),
    ("نیلا", "neela"),
    ("نیلی", "neeli"),
    ("لال", "laal"),
    ("کالا", "kaala"),
    ("سفید", "safed"),
    ("سائز", "size"),
    ("میڈیم", "medium"),
    ("دیر", "der"),
    ("لیٹ", "late"),
    ("ایڈریس", "address"),
    ("بدلنا", "badalna"),
    ("بدلو", "badlo"),
    ("شکایت", "shikayat"),
    ("آج", "aaj"),
    ("کل", "kal"),
    ("پرسوں", "parson"),
    ("ہو", "ho"),
    ("رہا", "raha"),
    ("رہی", "rahi"),
    ("تھا", "tha"),
    ("تھی", "thi"),
    ("ہوا", "hua"),
    ("گیا", "gaya"),
    ("گئی", "gayi"),
    ("ملا", "mila"),
    ("ملی", "mili"),
    ("ملےگا", "milega"),
    ("ملے", "mile"),
    ("نمبر", "number"),
    ("فون", "phone"),
    ("موبائل", "mobile"),
    ("اسٹاک", "stock"),
    ("بھیجو", "bhejo"),
    ("بھیجیں", "bhejein"),
    ("بھیج", "bhej"),
    ("میسج", "message"),
    ("خدا", "khuda"),
    ("حافظ", "hafiz"),
    ("اللہ", "allah"),
    ("الوداع", "alvida"),
    ("دوبارہ", "dobara"),
    ("پھر", "phir"),
    ("یہ", "ye"),
    ("وہ", "woh"),
    ("بھائی", "bhai"),
    ("بہت", "bahut"),
    ("غصہ", "gussa"),
    ("بکواس", "bakwas"),
    ("بیکار", "bekaar"),
    ("ریٹرن", "return"),
    ("کینسل", "cancel"),
    ("منسوخ", "radd"),
    ("چیز", "cheez"),
    ("پروڈکٹ", "product"),
    ("دستیاب", "available"),
    ("ہیلو", "hello"),
    ("اوکے", "okay"),
    ("اچھا", "achha"),
    ("جلدی", "jaldi"),
    ("کتنے", "kitne"),
    ("دن", "din"),
    ("پہلا", "pehla"),
    ("دوسرا", "doosra"),
    ("تیسرا", "teesra"),
];

fn fold_arabic_letter(c: char) -> Option<char> {
    Some(match c {
        // Arabic forms Whisper sometimes writes instead of the Urdu ones.
        'ك' => 'ک',
        'ي' | 'ى' => 'ی',
        'ه' | 'ة' => 'ہ',
        // Zero-width joiners and tatweel carry no sound.
        '\u{200C}' | '\u{200D}' | 'ـ' => return None,
        c => c,
    })
}

fn canonical_urdu(word: &str) -> String {
    word.nfc().filter_map(fold_arabic_letter).collect()
}

fn urdu_table() -> &'static HashMap<String, &'static str> {
    static TABLE: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        URDU_WORDS
            .iter()
            .map(|(u, r)| (canonical_urdu(u), *r))
            .collect()
    })
}

/// Romanises one Urdu-script word: whole-word lookup first, then a rough
/// letter-by-letter reading.
pub(crate) fn romanize_urdu(word: &str) -> String {
    let key = canonical_urdu(word);
    if let Some(r) = urdu_table().get(&key) {
        return (*r).to_owned();
    }
    let chars: Vec<char> = key.chars().collect();
    let mut out = String::with_capacity(chars.len() * 2);
    for (i, &c) in chars.iter().enumerate() {
        let first = i == 0;
        let last = i + 1 == chars.len();
        let piece = match c {
            'آ' => "aa",
            'ا' | 'أ' | 'إ' => {
                if first {
                    "a"
                } else {
                    "aa"
                }
            }
            'ب' => "b",
            'پ' => "p",
            'ت' | 'ٹ' | 'ط' => "t",
            'ث' | 'س' | 'ص' => "s",
            'ج' => "j",
            'چ' => "ch",
            'ح' => "h",
            'خ' => "kh",
            'د' | 'ڈ' => "d",
            'ذ' | 'ز' | 'ض' | 'ظ' | 'ژ' => "z",
            'ر' | 'ڑ' => "r",
            'ش' => "sh",
            'ع' => "a",
            'غ' => "g",
            'ف' => "f",
            'ق' | 'ک' => "k",
            'گ' => "g",
            'ل' => "l",
            'م' => "m",
            'ن' | 'ں' => "n",
            'و' | 'ؤ' => {
                if first {
                    "v"
                } else {
                    "o"
                }
            }
            'ہ' | 'ۂ' => {
                if last {
                    "a"
                } else {
                    "h"
                }
            }
            'ھ' => "h",
            'ی' | 'ئ' => {
                if first {
                    "y"
                } else {
                    "i"
                }
            }
            'ے' | 'ۓ' => "e",
            '\u{064E}' => "a",
            '\u{0650}' => "i",
            '\u{064F}' => "u",
            _ => "",
        };
        out.push_str(piece);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deva(s: &str) -> String {
        romanize_devanagari(&s.nfc().collect::<String>())
    }

    #[test]
    fn devanagari_schwa_deletion() {
        let cases = [
            ("मेरा", "mera"),
            ("कब", "kab"),
            ("कहाँ", "kahaan"),
            ("नहीं", "nahin"),
            ("आएगा", "aaega"),
            ("पहला", "pahla"),
            ("समझना", "samajhna"),
            ("बदलना", "badalna"),
            ("नमस्ते", "namaste"),
            ("धन्यवाद", "dhanyavaad"),
            ("गलत", "galat"),
            ("पार्सल", "paarsal"),
            ("ऑर्डर", "ordar"),
            ("मित्र", "mitra"),
            ("में", "mein"),
            ("अच्छा", "achha"),
            ("लंबा", "lamba"),
            ("कपड़ा", "kapra"),
            ("ज़रूर", "zaroor"),
            ("ज्ञान", "gyaan"),
            ("पंद्रह", "pandrah"),
            ("साड़ी", "saari"),
            ("कुर्ता", "kurta"),
        ];
        for (d, r) in cases {
            assert_eq!(deva(d), r, "{d}");
        }
    }

    #[test]
    fn urdu_words_and_fallback() {
        assert_eq!(romanize_urdu("میرا"), "mera");
        assert_eq!(romanize_urdu("آرڈر"), "order");
        // Arabic kaf and yeh fold to the Urdu letters before lookup.
        assert_eq!(romanize_urdu("كيا"), "kya");
        assert_eq!(romanize_urdu("بلب"), "blb");
    }

    #[test]
    fn classify_digits_of_all_scripts() {
        assert_eq!(classify('७'), CharClass::Digit(7));
        assert_eq!(classify('۵'), CharClass::Digit(5));
        assert_eq!(classify('٣'), CharClass::Digit(3));
        assert_eq!(classify('।'), CharClass::Separator);
        assert_eq!(classify('é'), CharClass::Latin);
    }
}
