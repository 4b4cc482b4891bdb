//! Reply text → text a voice can say.
//!
//! The agent writes for people reading a screen: "₹1,499", "ORD-45678",
//! "2024-03-15 14:30", markdown stars. A synthesiser reads those badly (espeak
//! says "ORD minus forty-five thousand…"), so every reply passes through
//! [`speakable`] first. The English voice (Piper, which also speaks romanised
//! Hinglish) keeps digits it reads well and gets words for the rest; the Hindi
//! voice (espeak-ng `hi`) gets everything in Devanagari words, because Hindi
//! number names are irregular below a hundred and the callers expect them.
//!
//! This is pure text processing: no I/O, no allocation beyond the output.

use crate::Voice;

/// Rewrites `text` so that `voice` can read it aloud.
///
/// * ids: `ORD-45678` → "order 4 5 6 7 8" (Hindi: "ऑर्डर चार पाँच छह सात आठ");
/// * money: `₹1,499`, `Rs. 1499`, `INR 1,499.50` → "1499 rupees" / "1499 rupees 50 paise"
///   (Hindi: "एक हज़ार चार सौ निन्यानवे रुपये");
/// * dates `2024-03-15`, `15/03/2024` → "15 March 2024"; times `14:30` → "2 30 PM";
/// * digit runs of five or more (phone numbers, pin codes) are read digit by digit;
/// * markdown and symbols a voice reads badly are dropped or spelled out.
pub fn speakable(text: &str, voice: Voice) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 16);
    let mut i = 0;
    while i < chars.len() {
        if let Some((len, words)) = match_at(&chars, i, voice) {
            let words = drop_repeated_word(&out, &words).to_owned();
            push_words(&mut out, &words);
            i += len;
            continue;
        }
        let c = chars[i];
        // A dash between spaces (or starting a line) is a list bullet or an
        // aside, not a minus.
        let lone_dash = c == '-'
            && (i == 0 || chars[i - 1].is_whitespace())
            && chars.get(i + 1).is_none_or(|n| n.is_whitespace());
        let action = if lone_dash {
            Symbol::Pause
        } else {
            symbol(c, voice)
        };
        match action {
            Symbol::Keep => out.push(c),
            Symbol::Drop => {}
            Symbol::Space => out.push(' '),
            Symbol::Pause => {
                trim_end_spaces(&mut out);
                if !out.is_empty() && !out.ends_with([',', '.', '?', '!', '।']) {
                    out.push(',');
                }
                out.push(' ');
            }
            Symbol::Word(w) => push_words(&mut out, w),
        }
        i += 1;
    }
    collapse_spaces(&out)
}

/// What to do with one character that starts no pattern.
enum Symbol {
    Keep,
    Drop,
    Space,
    /// A dash or bullet: a short pause, spoken as a comma.
    Pause,
    Word(&'static str),
}

fn symbol(c: char, voice: Voice) -> Symbol {
    let hindi = voice == Voice::Hindi;
    match c {
        '*' | '_' | '#' | '`' | '~' | '|' | '<' | '>' | '[' | ']' | '{' | '}' | '"' | '“' | '”'
        | '‘' | '^' | '\\' => Symbol::Drop,
        '’' => Symbol::Keep,
        '—' | '–' | '•' | '·' | '\n' => Symbol::Pause,
        '/' | '\t' | '\r' => Symbol::Space,
        '&' => Symbol::Word(if hindi { "और" } else { "and" }),
        '%' => Symbol::Word(if hindi {
            "प्रतिशत"
        } else {
            "percent"
        }),
        '@' => Symbol::Word(if hindi { "ऐट" } else { "at" }),
        '+' => Symbol::Word(if hindi { "प्लस" } else { "plus" }),
        '=' => Symbol::Word(if hindi { "बराबर" } else { "equals" }),
        '₹' => Symbol::Word(if hindi { "रुपये" } else { "rupees" }),
        // Emoji and pictographs: nothing a voice should try to name.
        c if ('\u{1F000}'..='\u{1FAFF}').contains(&c)
            || ('\u{2600}'..='\u{27BF}').contains(&c)
            || c == '\u{FE0F}'
            || c == '\u{200D}' =>
        {
            Symbol::Drop
        }
        _ => Symbol::Keep,
    }
}

/// Tries every pattern at `i`; returns the characters consumed and the words.
fn match_at(chars: &[char], i: usize, voice: Voice) -> Option<(usize, String)> {
    // Patterns start at a word boundary only, so "A4" or "covid19" stay intact.
    if i > 0 && chars[i - 1].is_alphanumeric() {
        return None;
    }
    match_money(chars, i, voice)
        .or_else(|| match_id(chars, i, voice))
        .or_else(|| match_date(chars, i, voice))
        .or_else(|| match_time(chars, i, voice))
        .or_else(|| match_number(chars, i, voice))
}

/// "your order ORD-1234" would become "your order order 1 2 3 4": when the
/// words start with the word just written, skip it.
fn drop_repeated_word<'a>(out: &str, words: &'a str) -> &'a str {
    let last = out.split_whitespace().next_back().unwrap_or("");
    match words.split_once(' ') {
        Some((first, rest)) if !last.is_empty() && first.to_lowercase() == last.to_lowercase() => {
            rest
        }
        _ => words,
    }
}

fn push_words(out: &mut String, words: &str) {
    if !out.is_empty() && !out.ends_with(' ') {
        out.push(' ');
    }
    out.push_str(words);
    out.push(' ');
}

fn trim_end_spaces(out: &mut String) {
    while out.ends_with(' ') {
        out.pop();
    }
}

/// Single spaces, no space before punctuation, trimmed.
fn collapse_spaces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_whitespace() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            if matches!(c, ',' | '.' | '?' | '!' | '।' | ';' | ':') && out.ends_with(' ') {
                out.pop();
            }
            out.push(c);
        }
    }
    out.trim_end().to_owned()
}

/// Digits from `i` (no separators).
fn digits_at(chars: &[char], i: usize) -> usize {
    chars[i..].iter().take_while(|c| c.is_ascii_digit()).count()
}

fn is_boundary(chars: &[char], end: usize) -> bool {
    chars.get(end).is_none_or(|c| !c.is_alphanumeric())
}

fn parse_digits(chars: &[char]) -> Option<u64> {
    let s: String = chars.iter().filter(|c| c.is_ascii_digit()).collect();
    if s.is_empty() || s.len() > 15 {
        return None;
    }
    s.parse().ok()
}

/// A number with optional `,` groups (Indian or Western) and an optional
/// fraction: returns (chars consumed, integer part, fraction digits).
fn grouped_number(chars: &[char], i: usize) -> Option<(usize, u64, Option<String>)> {
    let first = digits_at(chars, i);
    if first == 0 {
        return None;
    }
    let mut end = i + first;
    while chars.get(end) == Some(&',') {
        let group = digits_at(chars, end + 1);
        if group == 2 || group == 3 {
            end += 1 + group;
        } else {
            break;
        }
    }
    let integer = parse_digits(&chars[i..end])?;
    let mut fraction = None;
    if chars.get(end) == Some(&'.') {
        let frac = digits_at(chars, end + 1);
        if frac > 0 {
            fraction = Some(chars[end + 1..end + 1 + frac].iter().collect());
            end += 1 + frac;
        }
    }
    Some((end - i, integer, fraction))
}

fn match_money(chars: &[char], i: usize, voice: Voice) -> Option<(usize, String)> {
    let prefix_len = currency_prefix(chars, i)?;
    let mut start = i + prefix_len;
    while chars.get(start) == Some(&' ') {
        start += 1;
    }
    let (len, rupees, fraction) = grouped_number(chars, start)?;
    let end = start + len;
    if !is_boundary(chars, end) {
        return None;
    }
    let paise = fraction.and_then(|f| {
        // "₹1,499.5" means 50 paise; more than two digits is not money.
        let padded = if f.len() == 1 { format!("{f}0") } else { f };
        padded
            .parse::<u64>()
            .ok()
            .filter(|p| *p > 0 && padded.len() == 2)
    });
    let words = match voice {
        Voice::English => {
            let unit = if rupees == 1 { "rupee" } else { "rupees" };
            match paise {
                Some(p) => format!("{rupees} {unit} {p} paise"),
                None => format!("{rupees} {unit}"),
            }
        }
        Voice::Hindi => {
            let unit = if rupees == 1 {
                "रुपया"
            } else {
                "रुपये"
            };
            let mut w = format!("{} {unit}", hindi_number(rupees));
            if let Some(p) = paise {
                w.push(' ');
                w.push_str(&hindi_number(p));
                w.push_str(" पैसे");
            }
            w
        }
    };
    Some((end - i, words))
}

/// Length of a currency marker at `i`: "₹", "Rs.", "Rs", "INR".
fn currency_prefix(chars: &[char], i: usize) -> Option<usize> {
    if chars.get(i) == Some(&'₹') {
        return Some(1);
    }
    let word: String = chars[i..]
        .iter()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let len = word.chars().count();
    match word.to_ascii_lowercase().as_str() {
        "rs" if chars.get(i + len) == Some(&'.') => Some(len + 1),
        "rs" | "inr" => Some(len),
        _ => None,
    }
}

/// Known id prefixes and how each voice says them.
const ID_PREFIXES: &[(&str, &str, &str)] = &[
    ("ORD", "order", "ऑर्डर"),
    ("TKT", "ticket", "टिकट"),
    ("INV", "invoice", "इनवॉइस"),
    ("RET", "return", "रिटर्न"),
    ("REF", "refund", "रिफ़ंड"),
    ("AWB", "airway bill", "एयरवे बिल"),
];

/// `ABC-12345`: a prefix of capital letters, a dash, at least three digits.
fn match_id(chars: &[char], i: usize, voice: Voice) -> Option<(usize, String)> {
    let letters = chars[i..]
        .iter()
        .take_while(|c| c.is_ascii_uppercase())
        .count();
    if !(2..=5).contains(&letters) || chars.get(i + letters) != Some(&'-') {
        return None;
    }
    let digit_start = i + letters + 1;
    let digits = digits_at(chars, digit_start);
    let end = digit_start + digits;
    if digits < 3 || !is_boundary(chars, end) {
        return None;
    }
    let prefix: String = chars[i..i + letters].iter().collect();
    let name = ID_PREFIXES
        .iter()
        .find(|(p, _, _)| *p == prefix)
        .map(|(_, en, hi)| match voice {
            Voice::English => (*en).to_owned(),
            Voice::Hindi => (*hi).to_owned(),
        });
    // An unknown prefix is spelled: "AB" → "A B".
    let name = name.unwrap_or_else(|| spell_letters(&prefix));
    Some((
        end - i,
        format!("{name} {}", digit_by_digit(&chars[digit_start..end], voice)),
    ))
}

fn spell_letters(s: &str) -> String {
    s.chars().map(String::from).collect::<Vec<_>>().join(" ")
}

fn digit_by_digit(digits: &[char], voice: Voice) -> String {
    digits
        .iter()
        .filter_map(|c| c.to_digit(10))
        .map(|d| match voice {
            Voice::English => d.to_string(),
            Voice::Hindi => HINDI_0_99[d as usize].to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_HI: [&str; 12] = [
    "जनवरी",
    "फ़रवरी",
    "मार्च",
    "अप्रैल",
    "मई",
    "जून",
    "जुलाई",
    "अगस्त",
    "सितंबर",
    "अक्टूबर",
    "नवंबर",
    "दिसंबर",
];

/// `2024-03-15` (ISO, what tools return) or `15/03/2024` (how India writes it).
fn match_date(chars: &[char], i: usize, voice: Voice) -> Option<(usize, String)> {
    let field = |start: usize, len: usize| -> Option<u32> {
        (digits_at(chars, start) == len)
            .then(|| {
                chars[start..start + len]
                    .iter()
                    .collect::<String>()
                    .parse()
                    .ok()
            })
            .flatten()
    };
    let (len, year, month, day) = if field(i, 4).is_some()
        && chars.get(i + 4) == Some(&'-')
        && chars.get(i + 7) == Some(&'-')
    {
        (10, field(i, 4)?, field(i + 5, 2)?, field(i + 8, 2)?)
    } else {
        let d = digits_at(chars, i);
        if !(1..=2).contains(&d) || chars.get(i + d) != Some(&'/') {
            return None;
        }
        let m = digits_at(chars, i + d + 1);
        if !(1..=2).contains(&m) || chars.get(i + d + 1 + m) != Some(&'/') {
            return None;
        }
        let y = i + d + m + 2;
        (d + m + 6, field(y, 4)?, field(i + d + 1, m)?, field(i, d)?)
    };
    if !is_boundary(chars, i + len) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let m = (month - 1) as usize;
    let words = match voice {
        Voice::English => format!("{day} {} {year}", MONTHS_EN[m]),
        Voice::Hindi => format!(
            "{} {} {}",
            hindi_number(u64::from(day)),
            MONTHS_HI[m],
            hindi_number(u64::from(year))
        ),
    };
    Some((len, words))
}

/// `14:30`, `2:30 pm`, `9:00AM`.
fn match_time(chars: &[char], i: usize, voice: Voice) -> Option<(usize, String)> {
    let h = digits_at(chars, i);
    if !(1..=2).contains(&h) || chars.get(i + h) != Some(&':') || digits_at(chars, i + h + 1) != 2 {
        return None;
    }
    let hour: u32 = chars[i..i + h].iter().collect::<String>().parse().ok()?;
    let minute: u32 = chars[i + h + 1..i + h + 3]
        .iter()
        .collect::<String>()
        .parse()
        .ok()?;
    let mut end = i + h + 3;
    if hour > 23 || minute > 59 {
        return None;
    }
    // An explicit am/pm after the time overrides the 24-hour reading.
    let mut j = end;
    while chars.get(j) == Some(&' ') {
        j += 1;
    }
    let marker: String = chars[j..]
        .iter()
        .take(4)
        .collect::<String>()
        .to_ascii_lowercase();
    let mut meridiem = None;
    for (text, pm) in [("a.m.", false), ("p.m.", true), ("am", false), ("pm", true)] {
        if marker.starts_with(text) && is_boundary(chars, j + text.len()) {
            meridiem = Some(pm);
            end = j + text.len();
            break;
        }
    }
    if !is_boundary(chars, end) && meridiem.is_none() {
        return None;
    }
    let hour24 = match meridiem {
        Some(true) if hour < 12 => hour + 12,
        Some(false) if hour == 12 => 0,
        _ => hour,
    };
    let hour12 = match hour24 % 12 {
        0 => 12,
        h => h,
    };
    let words = match voice {
        Voice::English => {
            let suffix = if hour24 >= 12 { "PM" } else { "AM" };
            match minute {
                0 => format!("{hour12} {suffix}"),
                m if m < 10 => format!("{hour12} oh {m} {suffix}"),
                m => format!("{hour12} {m} {suffix}"),
            }
        }
        Voice::Hindi => {
            let part = match hour24 {
                4..=11 => "सुबह",
                12..=15 => "दोपहर",
                16..=19 => "शाम",
                _ => "रात",
            };
            let h = hindi_number(u64::from(hour12));
            match minute {
                0 => format!("{part} {h} बजे"),
                m => format!("{part} {h} बजकर {} मिनट", hindi_number(u64::from(m))),
            }
        }
    };
    Some((end - i, words))
}

/// Any other number. Long digit runs are read digit by digit (phone numbers,
/// pin codes, bare order numbers); Hindi gets number words for the rest.
fn match_number(chars: &[char], i: usize, voice: Voice) -> Option<(usize, String)> {
    let (len, integer, fraction) = grouped_number(chars, i)?;
    let end = i + len;
    let had_groups = chars[i..end].contains(&',');
    let raw_digits = digits_at(chars, i);
    if raw_digits >= 5 && !had_groups && fraction.is_none() {
        return Some((raw_digits, digit_by_digit(&chars[i..i + raw_digits], voice)));
    }
    let words = match voice {
        Voice::English => match fraction {
            Some(f) => format!("{integer} point {}", spell_letters(&f)),
            None => integer.to_string(),
        },
        Voice::Hindi => {
            let mut w = hindi_number(integer);
            if let Some(f) = fraction {
                w.push_str(" दशमलव ");
                let f: Vec<char> = f.chars().collect();
                w.push_str(&digit_by_digit(&f, voice));
            }
            w
        }
    };
    Some((len, words))
}

/// Hindi number names 0–99: irregular, so a table.
const HINDI_0_99: [&str; 100] = [
    "शून्य",
    "एक",
    "दो",
    "तीन",
    "चार",
    "पाँच",
    "छह",
    "सात",
    "आठ",
    "नौ",
    "दस",
    "ग्यारह",
    "बारह",
    "तेरह",
    "चौदह",
    "पंद्रह",
    "सोलह",
    "सत्रह",
    "अठारह",
    "उन्नीस",
    "बीस",
    "इक्कीस",
    "बाईस",
    "तेईस",
    "चौबीस",
    "पच्चीस",
    "छब्बीस",
    "सत्ताईस",
    "अट्ठाईस",
    "उनतीस",
    "तीस",
    "इकतीस",
    "बत्तीस",
    "तैंतीस",
    "चौंतीस",
    "पैंतीस",
    "छत्तीस",
    "सैंतीस",
    "अड़तीस",
    "उनतालीस",
    "चालीस",
    "इकतालीस",
    "बयालीस",
    "तैंतालीस",
    "चवालीस",
    "पैंतालीस",
    "छियालीस",
    "सैंतालीस",
    "अड़तालीस",
    "उनचास",
    "पचास",
    "इक्यावन",
    "बावन",
    "तिरपन",
    "चौवन",
    "पचपन",
    "छप्पन",
    "सत्तावन",
    "अट्ठावन",
    "उनसठ",
    "साठ",
    "इकसठ",
    "बासठ",
    "तिरसठ",
    "चौंसठ",
    "पैंसठ",
    "छियासठ",
    "सड़सठ",
    "अड़सठ",
    "उनहत्तर",
    "सत्तर",
    "इकहत्तर",
    "बहत्तर",
    "तिहत्तर",
    "चौहत्तर",
    "पचहत्तर",
    "छिहत्तर",
    "सतहत्तर",
    "अठहत्तर",
    "उनासी",
    "अस्सी",
    "इक्यासी",
    "बयासी",
    "तिरासी",
    "चौरासी",
    "पचासी",
    "छियासी",
    "सत्तासी",
    "अट्ठासी",
    "नवासी",
    "नब्बे",
    "इक्यानवे",
    "बानवे",
    "तिरानवे",
    "चौरानवे",
    "पचानवे",
    "छियानवे",
    "सत्तानवे",
    "अट्ठानवे",
    "निन्यानवे",
];

/// The table entry for `n` < 100 (callers only pass remainders below 100).
fn below_100(n: u64) -> &'static str {
    HINDI_0_99[usize::try_from(n.min(99)).unwrap_or(99)]
}

/// A number in Hindi words with Indian grouping (हज़ार, लाख, करोड़).
pub fn hindi_number(n: u64) -> String {
    if n < 100 {
        return below_100(n).to_owned();
    }
    let mut parts: Vec<String> = Vec::new();
    let mut rest = n;
    let crore = rest / 10_000_000;
    rest %= 10_000_000;
    if crore > 0 {
        parts.push(format!("{} करोड़", hindi_number(crore)));
    }
    for (size, name) in [(100_000, "लाख"), (1_000, "हज़ार"), (100, "सौ")] {
        let count = rest / size;
        rest %= size;
        if count > 0 {
            parts.push(format!("{} {name}", below_100(count)));
        }
    }
    if rest > 0 {
        parts.push(below_100(rest).to_owned());
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn en(s: &str) -> String {
        speakable(s, Voice::English)
    }
    fn hi(s: &str) -> String {
        speakable(s, Voice::Hindi)
    }

    #[test]
    fn order_and_ticket_ids_are_read_digit_by_digit() {
        assert_eq!(
            en("Your ORD-45678 is packed."),
            "Your order 4 5 6 7 8 is packed."
        );
        assert_eq!(en("Ticket TKT-10001 raised"), "Ticket 1 0 0 0 1 raised");
        assert_eq!(en("TKT-10001"), "ticket 1 0 0 0 1");
        assert_eq!(
            hi("ORD-45678 भेज दिया है।"),
            "ऑर्डर चार पाँच छह सात आठ भेज दिया है।"
        );
        assert_eq!(en("ref XYZ-123"), "ref X Y Z 1 2 3");
    }

    #[test]
    fn rupee_amounts_for_english_keep_digits() {
        assert_eq!(en("Total ₹1,499 only."), "Total 1499 rupees only.");
        assert_eq!(en("₹ 1,00,000"), "100000 rupees");
        assert_eq!(en("Rs. 250.50 refunded"), "250 rupees 50 paise refunded");
        assert_eq!(en("INR 1 charged"), "1 rupee charged");
        assert_eq!(en("₹99.5"), "99 rupees 50 paise");
    }

    #[test]
    fn rupee_amounts_for_hindi_are_words() {
        assert_eq!(hi("₹1,499"), "एक हज़ार चार सौ निन्यानवे रुपये");
        assert_eq!(hi("कुल ₹1,00,250 है"), "कुल एक लाख दो सौ पचास रुपये है");
        assert_eq!(hi("₹1"), "एक रुपया");
    }

    #[test]
    fn hindi_number_words() {
        assert_eq!(hindi_number(0), "शून्य");
        assert_eq!(hindi_number(45), "पैंतालीस");
        assert_eq!(hindi_number(99), "निन्यानवे");
        assert_eq!(hindi_number(100), "एक सौ");
        assert_eq!(hindi_number(2024), "दो हज़ार चौबीस");
        assert_eq!(
            hindi_number(123_456_789),
            "बारह करोड़ चौंतीस लाख छप्पन हज़ार सात सौ नवासी"
        );
    }

    #[test]
    fn dates_become_day_month_year() {
        assert_eq!(en("Delivery on 2024-03-15."), "Delivery on 15 March 2024.");
        assert_eq!(en("by 5/11/2025"), "by 5 November 2025");
        assert_eq!(hi("2024-03-15 को"), "पंद्रह मार्च दो हज़ार चौबीस को");
        // Not a date: month 13 stays numbers.
        assert_eq!(en("2024-13-15"), "2024 - 13 - 15");
    }

    #[test]
    fn times_are_twelve_hour() {
        assert_eq!(en("at 14:30"), "at 2 30 PM");
        assert_eq!(en("at 9:05 am"), "at 9 oh 5 AM");
        assert_eq!(en("by 12:00"), "by 12 PM");
        assert_eq!(en("2:15pm"), "2 15 PM");
        assert_eq!(hi("14:30 तक"), "दोपहर दो बजकर तीस मिनट तक");
        assert_eq!(hi("9:00"), "सुबह नौ बजे");
    }

    #[test]
    fn long_digit_runs_are_spelled_and_short_ones_kept() {
        assert_eq!(en("call 9876543210"), "call 9 8 7 6 5 4 3 2 1 0");
        assert_eq!(en("3 items, 2.5 kg"), "3 items, 2 point 5 kg");
        assert_eq!(hi("3 दिन"), "तीन दिन");
        assert_eq!(hi("110001"), "एक एक शून्य शून्य शून्य एक");
    }

    #[test]
    fn markdown_and_symbols_are_removed_or_spoken() {
        assert_eq!(
            en("**Great!** 50% off & free"),
            "Great! 50 percent off and free"
        );
        assert_eq!(en("Done — thanks 🙏"), "Done, thanks");
        assert_eq!(en("- item one\n- item two"), "item one, item two");
        assert_eq!(en("well-known"), "well-known");
        assert_eq!(hi("50% छूट"), "पचास प्रतिशत छूट");
    }

    #[test]
    fn words_with_digits_are_left_alone() {
        assert_eq!(en("covid19 and A4 paper"), "covid19 and A4 paper");
    }

    #[test]
    fn hinglish_passes_through() {
        assert_eq!(
            en("Aapka order ORD-45678 kal tak deliver ho jayega."),
            "Aapka order 4 5 6 7 8 kal tak deliver ho jayega."
        );
    }
}
