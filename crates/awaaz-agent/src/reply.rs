//! Reply templates in English, Hinglish (Latin script) and Hindi
//! (Devanagari), and the helpers that make ids, money and dates speakable.
//!
//! Every message has two or three wordings per language. Which one is used
//! is a pure function of a seed (the call id and the turn number) and the
//! message, so a test replays exactly while a caller does not hear the same
//! sentence twice in a row.
//!
//! Replies are written for a voice: short sentences, the polite `aap`/`ji`
//! register, numbers as a person reads them ("order 4 5 6 7 8",
//! "1,499 rupaye", "parson"), and Devanagari only for a Hindi voice.

use std::collections::HashMap;

use awaaz_store::{Order, OrderId, OrderStatus, TicketCategory, TicketId};
use chrono::{Datelike, NaiveDate, Weekday};

use crate::text::hindi_number_devanagari;
use crate::tools::{Alternative, Availability, TicketCreated};
use crate::Language;

/// `₹1,499` (Indian digit grouping: `₹1,24,999`; paise only when present).
pub(crate) fn format_rupees(paise: i64) -> String {
    format!("₹{}", rupees_number(paise))
}

fn rupees_number(paise: i64) -> String {
    let sign = if paise < 0 { "-" } else { "" };
    let p = paise.unsigned_abs();
    let whole = indian_grouping(p / 100);
    match p % 100 {
        0 => format!("{sign}{whole}"),
        frac => format!("{sign}{whole}.{frac:02}"),
    }
}

/// `124999` → `1,24,999`: thousands, then lakhs and crores in pairs.
fn indian_grouping(n: u64) -> String {
    let s = n.to_string();
    if s.len() <= 3 {
        return s;
    }
    let (head, last3) = s.split_at(s.len() - 3);
    let mut groups: Vec<&str> = Vec::new();
    let mut rest = head;
    while rest.len() > 2 {
        let (h, t) = rest.split_at(rest.len() - 2);
        groups.push(t);
        rest = h;
    }
    groups.push(rest);
    groups.reverse();
    format!("{},{last3}", groups.join(","))
}

fn devanagari_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c.to_digit(10) {
            // Devanagari digits are the contiguous block U+0966..U+096F.
            Some(d) => char::from_u32(0x0966 + d).unwrap_or(c),
            None => c,
        })
        .collect()
}

/// An amount as it is said: `1,499 rupees`, `1,499 rupaye`, `१,४९९ रुपये`.
pub(crate) fn spoken_rupees(paise: i64, lang: Language) -> String {
    let n = rupees_number(paise);
    match lang {
        Language::English => format!("{n} rupees"),
        Language::Hinglish => format!("{n} rupaye"),
        Language::Hindi => format!("{} रुपये", devanagari_digits(&n)),
    }
}

/// Digits read one by one, in groups a listener can hold: `4 5 6 7 8`,
/// `9 8 1 2 3, 4 5 6 7 8`; in Hindi as words (`चार पाँच छह सात आठ`).
pub(crate) fn spoken_digits(digits: &str, lang: Language) -> String {
    let ds: Vec<char> = digits.chars().filter(char::is_ascii_digit).collect();
    let group = if ds.len() > 6 { 5 } else { ds.len().max(1) };
    ds.chunks(group)
        .map(|chunk| {
            chunk
                .iter()
                .map(|c| match lang {
                    Language::Hindi => c
                        .to_digit(10)
                        .and_then(hindi_number_devanagari)
                        .map_or_else(|| c.to_string(), str::to_owned),
                    _ => c.to_string(),
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The digits of an order id, spoken (`ORD-45678` → `4 5 6 7 8`).
pub(crate) fn spoken_order(id: &OrderId, lang: Language) -> String {
    spoken_digits(id.as_str(), lang)
}

/// The digits of a ticket id, spoken (`TKT-10001` → `1 0 0 0 1`).
pub(crate) fn spoken_ticket(id: &TicketId, lang: Language) -> String {
    spoken_digits(&id.0, lang)
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

fn weekday_name(w: Weekday, lang: Language) -> &'static str {
    let i = w.num_days_from_monday() as usize;
    let names: [&str; 7] = match lang {
        Language::English => [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ],
        Language::Hinglish => [
            "somvaar",
            "mangalvaar",
            "budhvaar",
            "guruvaar",
            "shukravaar",
            "shanivaar",
            "ravivaar",
        ],
        Language::Hindi => [
            "सोमवार",
            "मंगलवार",
            "बुधवार",
            "गुरुवार",
            "शुक्रवार",
            "शनिवार",
            "रविवार",
        ],
    };
    names[i % 7]
}

/// A date said relative to `today`, with its preposition: `tomorrow`,
/// `on Friday, 28 November`; `kal`, `shukravaar, 28 November ko`; `परसों`,
/// `शुक्रवार, अट्ठाईस नवंबर को`. `kal` is both yesterday and tomorrow, as in
/// speech: the sentence's tense tells them apart.
pub(crate) fn spoken_date(date: NaiveDate, today: NaiveDate, lang: Language) -> String {
    let days = (date - today).num_days();
    let month = date.month0() as usize % 12;
    match lang {
        Language::English => match days {
            0 => "today".to_owned(),
            1 => "tomorrow".to_owned(),
            -1 => "yesterday".to_owned(),
            2 => "the day after tomorrow".to_owned(),
            _ => format!(
                "on {}, {} {}",
                weekday_name(date.weekday(), lang),
                date.day(),
                MONTHS_EN[month]
            ),
        },
        Language::Hinglish => match days {
            0 => "aaj".to_owned(),
            1 | -1 => "kal".to_owned(),
            2 | -2 => "parson".to_owned(),
            _ => format!(
                "{}, {} {} ko",
                weekday_name(date.weekday(), lang),
                date.day(),
                MONTHS_EN[month]
            ),
        },
        Language::Hindi => match days {
            0 => "आज".to_owned(),
            1 | -1 => "कल".to_owned(),
            2 | -2 => "परसों".to_owned(),
            _ => {
                let day = hindi_number_devanagari(date.day())
                    .map_or_else(|| devanagari_digits(&date.day().to_string()), str::to_owned);
                format!(
                    "{}, {day} {} को",
                    weekday_name(date.weekday(), lang),
                    MONTHS_HI[month]
                )
            }
        },
    }
}

/// Hindi names for colours, for Devanagari replies.
fn colour_hi(c: &str) -> Option<&'static str> {
    Some(match c {
        "blue" => "नीला",
        "red" => "लाल",
        "white" => "सफ़ेद",
        "black" => "काला",
        "green" => "हरा",
        "yellow" => "पीला",
        "pink" => "गुलाबी",
        "gold" => "सुनहरा",
        "maroon" => "मैरून",
        "grey" => "स्लेटी",
        "beige" => "बेज",
        "olive" => "ऑलिव",
        "brown" => "भूरा",
        "orange" => "नारंगी",
        "purple" => "बैंगनी",
        "silver" => "चाँदी रंग",
        _ => return None,
    })
}

fn size_words(size: &str, lang: Language) -> String {
    let en = match size {
        "S" => "small",
        "M" => "medium",
        "L" => "large",
        "XL" => "extra large",
        "XXL" => "double extra large",
        "XS" => "extra small",
        _ => "",
    };
    match (lang, en.is_empty()) {
        (Language::Hindi, false) => match size {
            "S" => "स्मॉल".to_owned(),
            "M" => "मीडियम".to_owned(),
            "L" => "लार्ज".to_owned(),
            "XL" => "एक्स्ट्रा लार्ज".to_owned(),
            "XXL" => "डबल एक्स्ट्रा लार्ज".to_owned(),
            _ => "एक्स्ट्रा स्मॉल".to_owned(),
        },
        (_, false) => en.to_owned(),
        (_, true) => {
            // `5L`, `128GB`: say the unit.
            let digits: String = size.chars().take_while(|c| c.is_ascii_digit()).collect();
            let unit = &size[digits.len()..];
            let unit_word = match (unit, lang) {
                ("L", Language::Hindi) => "लीटर",
                ("L", _) => "litre",
                ("GB", Language::Hindi) => "जीबी",
                ("GB", _) => "GB",
                (other, _) => other,
            };
            if digits.is_empty() {
                size.to_owned()
            } else if lang == Language::Hindi {
                format!("{} {unit_word}", devanagari_digits(&digits))
            } else {
                format!("{digits} {unit_word}")
            }
        }
    }
}

/// Devanagari names of products (from their Hindi aliases) for Hindi
/// replies; products without one keep their English name.
#[derive(Debug, Clone, Default)]
pub(crate) struct HindiNames {
    by_product: HashMap<i64, String>,
}

impl HindiNames {
    pub(crate) fn new(products: &[awaaz_store::Product]) -> Self {
        let by_product = products
            .iter()
            .filter_map(|p| {
                let alias = p
                    .aliases
                    .iter()
                    .find(|a| a.chars().any(|c| ('\u{0900}'..='\u{097F}').contains(&c)))?;
                Some((p.id, alias.clone()))
            })
            .collect();
        Self { by_product }
    }

    fn get(&self, id: i64) -> Option<&str> {
        self.by_product.get(&id).map(String::as_str)
    }
}

/// One reply's wording: language, variety seed and "today".
pub(crate) struct Voice<'a> {
    pub(crate) lang: Language,
    seed: u64,
    pub(crate) today: NaiveDate,
    names: &'a HindiNames,
    shop: &'a str,
}

/// splitmix64's finaliser: a cheap, well-spread hash of the seed and key.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stable 64-bit hash of text (FNV-1a): `DefaultHasher` may change between
/// Rust releases, and the wording chosen must not.
pub(crate) fn stable_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Capitalises the first letter of each sentence: a relative date or a
/// weekday (`parson`, `kal`) may open one after it was filled in.
fn sentence_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
            start = false;
            continue;
        }
        if matches!(c, '.' | '?' | '!' | '।') {
            start = true;
        } else if !c.is_whitespace() {
            start = false;
        }
        out.push(c);
    }
    out
}

/// Replaces `{name}` placeholders.
fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

impl<'a> Voice<'a> {
    pub(crate) fn new(
        lang: Language,
        seed: u64,
        today: NaiveDate,
        names: &'a HindiNames,
        shop: &'a str,
    ) -> Self {
        Self {
            lang,
            seed,
            today,
            names,
            shop,
        }
    }

    /// Picks one wording of message `key` in the voice's language.
    fn pick(
        &self,
        key: &str,
        en: &[&'static str],
        hl: &[&'static str],
        hi: &[&'static str],
    ) -> &'static str {
        let options = match self.lang {
            Language::English => en,
            Language::Hinglish => hl,
            Language::Hindi => hi,
        };
        let n = options.len().max(1) as u64;
        let i = usize::try_from(mix(self.seed ^ stable_hash(key)) % n).unwrap_or(0);
        options.get(i).copied().unwrap_or("")
    }

    fn say(
        &self,
        key: &str,
        en: &[&'static str],
        hl: &[&'static str],
        hi: &[&'static str],
        vars: &[(&str, &str)],
    ) -> String {
        sentence_case(&fill(self.pick(key, en, hl, hi), vars))
    }

    fn order(&self, id: &OrderId) -> String {
        spoken_order(id, self.lang)
    }

    fn date(&self, d: NaiveDate) -> String {
        spoken_date(d, self.today, self.lang)
    }

    fn money(&self, paise: i64) -> String {
        spoken_rupees(paise, self.lang)
    }

    /// How the first item of an order is named: "Blue Cotton Kurta";
    /// Hindi "नीला कुर्ता"; "… and 1 more item".
    fn items(&self, order: &Order) -> String {
        let Some(first) = order.items.first() else {
            return String::new();
        };
        let name = self.product_name(
            first.product_id,
            &first.product_name,
            first.colour.as_deref(),
        );
        let more = order.items.len().saturating_sub(1);
        if more == 0 {
            return name;
        }
        let n = more.to_string();
        match self.lang {
            Language::English => format!(
                "{name} and {n} more item{}",
                if more > 1 { "s" } else { "" }
            ),
            Language::Hinglish => format!("{name} aur {n} aur item"),
            Language::Hindi => format!("{name} और {} और सामान", devanagari_digits(&n)),
        }
    }

    fn product_name(&self, id: i64, english: &str, colour: Option<&str>) -> String {
        if self.lang != Language::Hindi {
            return english.to_owned();
        }
        match self.names.get(id) {
            Some(hi) => match colour.and_then(colour_hi) {
                Some(c) => format!("{c} {hi}"),
                None => hi.to_owned(),
            },
            None => english.to_owned(),
        }
    }

    fn variant_words(&self, colour: Option<&str>, size: Option<&str>) -> String {
        let c = colour.map(|c| match self.lang {
            Language::Hindi => colour_hi(c).unwrap_or(c).to_owned(),
            _ => c.to_owned(),
        });
        let s = size.map(|s| size_words(s, self.lang));
        match (c, s, self.lang) {
            (Some(c), Some(s), Language::English) => format!("{c}, size {s}"),
            (Some(c), Some(s), Language::Hinglish) => format!("{c} colour, {s} size"),
            (Some(c), Some(s), Language::Hindi) => format!("{c} रंग, {s} साइज़"),
            (Some(c), None, Language::Hindi) => format!("{c} रंग"),
            (Some(c), None, _) => format!("{c} colour"),
            (None, Some(s), Language::English) => format!("size {s}"),
            (None, Some(s), Language::Hinglish) => format!("{s} size"),
            (None, Some(s), Language::Hindi) => format!("{s} साइज़"),
            (None, None, _) => String::new(),
        }
    }

    // ---- opening, closing, small talk -------------------------------------------------

    pub(crate) fn greeting(&self) -> String {
        self.say(
            "greeting",
            &[
                "Hello! This is {shop}. How may I help you today?",
                "Namaste! You've reached {shop}. How can I help you?",
            ],
            &[
                "Namaste! Main {shop} se bol rahi hoon. Bataiye, main aapki kya madad kar sakti hoon?",
                "Namaste ji! {shop} mein aapka swagat hai. Bataiye, kya madad karoon?",
            ],
            &[
                "नमस्ते! मैं {shop} से बोल रही हूँ। बताइए, मैं आपकी क्या मदद कर सकती हूँ?",
                "नमस्ते जी! {shop} में आपका स्वागत है। बताइए, क्या मदद करूँ?",
            ],
            &[("shop", self.shop)],
        )
    }

    pub(crate) fn how_can_help(&self) -> String {
        self.say(
            "help",
            &["Hello! How can I help you?", "Hi! Tell me, how can I help?"],
            &[
                "Namaste ji! Bataiye, kya madad karoon?",
                "Ji, namaste! Boliye, main kya kar sakti hoon?",
            ],
            &[
                "नमस्ते जी! बताइए, क्या मदद करूँ?",
                "जी, नमस्ते! बोलिए, मैं क्या कर सकती हूँ?",
            ],
            &[],
        )
    }

    pub(crate) fn anything_else(&self) -> String {
        self.say(
            "else",
            &[
                "Is there anything else I can help with?",
                "Anything else I can do for you?",
            ],
            &[
                "Aur kuch madad chahiye?",
                "Kya main aur kuch kar sakti hoon?",
            ],
            &["और कुछ मदद चाहिए?", "क्या मैं और कुछ कर सकती हूँ?"],
            &[],
        )
    }

    pub(crate) fn thanks(&self) -> String {
        let first = self.say(
            "thanks",
            &["You're welcome!", "My pleasure!"],
            &["Koi baat nahi ji!", "Aapka swagat hai ji!"],
            &["कोई बात नहीं जी!", "आपका स्वागत है जी!"],
            &[],
        );
        format!("{first} {}", self.anything_else())
    }

    pub(crate) fn goodbye(&self) -> String {
        self.say(
            "bye",
            &[
                "Thank you for calling {shop}. Have a good day!",
                "Thanks for calling {shop}. Take care, goodbye!",
            ],
            &[
                "{shop} ko call karne ke liye dhanyavaad. Aapka din shubh ho!",
                "Dhanyavaad ji! Aapka din achha rahe. Namaste!",
            ],
            &[
                "{shop} को कॉल करने के लिए धन्यवाद। आपका दिन शुभ हो!",
                "धन्यवाद जी! आपका दिन अच्छा रहे। नमस्ते!",
            ],
            &[("shop", self.shop)],
        )
    }

    pub(crate) fn not_understood(&self) -> String {
        self.say(
            "nlu",
            &[
                "Sorry, I didn't quite get that. I can help with your order, a product, a refund or a complaint.",
                "I'm sorry, could you say that again? You can ask about an order, a refund, a return or a product.",
            ],
            &[
                "Maaf kijiye, main samajh nahi paayi. Main order, product, refund ya complaint mein madad kar sakti hoon.",
                "Sorry ji, phir se bataiye? Aap order, refund, return ya product ke baare mein pooch sakte hain.",
            ],
            &[
                "माफ़ कीजिए, मैं समझ नहीं पाई। मैं ऑर्डर, प्रोडक्ट, रिफ़ंड या शिकायत में मदद कर सकती हूँ।",
                "माफ़ कीजिए, फिर से बताइए? आप ऑर्डर, रिफ़ंड, वापसी या प्रोडक्ट के बारे में पूछ सकते हैं।",
            ],
            &[],
        )
    }

    pub(crate) fn not_understood_short(&self) -> String {
        self.say(
            "nlu-short",
            &["Sorry, I didn't catch that.", "Sorry, I missed that."],
            &[
                "Maaf kijiye, main samajh nahi paayi.",
                "Sorry ji, theek se sunai nahi diya.",
            ],
            &[
                "माफ़ कीजिए, मैं समझ नहीं पाई।",
                "माफ़ कीजिए जी, ठीक से सुनाई नहीं दिया।",
            ],
            &[],
        )
    }

    pub(crate) fn offer_missing_ticket(&self) -> String {
        self.say(
            "offer-missing",
            &["If you haven't received it, shall I raise a complaint?"],
            &["Agar aapko nahi mila hai, toh kya main complaint darj kar doon?"],
            &["अगर आपको नहीं मिला है, तो क्या मैं शिकायत दर्ज कर दूँ?"],
            &[],
        )
    }

    pub(crate) fn out_of_scope(&self) -> String {
        self.say(
            "oos",
            &[
                "I'm sorry, I can't help with that. I can help with orders, products, refunds, returns and complaints.",
                "That's outside what I can do, sorry. Ask me about your order, a product, a refund or a complaint.",
            ],
            &[
                "Maaf kijiye, us mein main madad nahi kar sakti. Main order, product, refund, return aur complaint mein madad karti hoon.",
                "Ye mere paas nahi hai ji. Aap order, product, refund ya complaint ke baare mein pooch sakte hain.",
            ],
            &[
                "माफ़ कीजिए, उसमें मैं मदद नहीं कर सकती। मैं ऑर्डर, प्रोडक्ट, रिफ़ंड, वापसी और शिकायत में मदद करती हूँ।",
                "यह मेरे पास नहीं है जी। आप ऑर्डर, प्रोडक्ट, रिफ़ंड या शिकायत के बारे में पूछ सकते हैं।",
            ],
            &[],
        )
    }

    pub(crate) fn transfer(&self, why: TransferWhy) -> String {
        let lead = match why {
            TransferWhy::Asked | TransferWhy::KeyPressed => self.say(
                "xfer-asked",
                &["Sure.", "Of course."],
                &["Ji zaroor.", "Bilkul ji."],
                &["जी ज़रूर।", "बिल्कुल जी।"],
                &[],
            ),
            TransferWhy::Angry => self.say(
                "xfer-angry",
                &[
                    "I'm really sorry for the trouble.",
                    "I understand, and I'm sorry about this.",
                ],
                &[
                    "Mujhe bahut afsos hai ji, aapko pareshani hui.",
                    "Main samajh sakti hoon ji, maaf kijiye.",
                ],
                &[
                    "मुझे बहुत अफ़सोस है जी, आपको परेशानी हुई।",
                    "मैं समझ सकती हूँ जी, माफ़ कीजिए।",
                ],
                &[],
            ),
            TransferWhy::NotUnderstood => self.say(
                "xfer-nlu",
                &[
                    "I'm sorry I couldn't understand.",
                    "Sorry, I'm having trouble understanding.",
                ],
                &[
                    "Maaf kijiye, main theek se samajh nahi paa rahi.",
                    "Sorry ji, mujhe samajhne mein dikkat ho rahi hai.",
                ],
                &[
                    "माफ़ कीजिए, मैं ठीक से समझ नहीं पा रही।",
                    "माफ़ कीजिए, मुझे समझने में दिक़्क़त हो रही है।",
                ],
                &[],
            ),
        };
        let rest = self.say(
            "xfer",
            &[
                "I'm connecting you to a member of our team now. Please stay on the line.",
                "Let me transfer you to a colleague. Please hold.",
            ],
            &[
                "Main aapko abhi hamari team se connect kar rahi hoon. Kripya line par bane rahiye.",
                "Main aapki baat hamare colleague se karwa rahi hoon. Thoda hold kijiye.",
            ],
            &[
                "मैं आपको अभी हमारी टीम से जोड़ रही हूँ। कृपया लाइन पर बने रहिए।",
                "मैं आपकी बात हमारे साथी से करवा रही हूँ। थोड़ा होल्ड कीजिए।",
            ],
            &[],
        );
        format!("{lead} {rest}")
    }

    pub(crate) fn okay(&self) -> String {
        self.say(
            "ok",
            &["Okay.", "Alright."],
            &["Theek hai ji.", "Achha ji."],
            &["ठीक है जी।", "अच्छा जी।"],
            &[],
        )
    }

    // ---- finding the order ----------------------------------------------------------------

    pub(crate) fn ask_order(&self, offer_phone: bool) -> String {
        if offer_phone {
            return self.say(
                "ask-order-phone",
                &[
                    "Could you tell me your order number? Or shall I look it up with your registered number?",
                    "What's the order number? I can also check with your registered number.",
                ],
                &[
                    "Apna order number bataiye. Ya kya main aapke registered number se dekh loon?",
                    "Order number bata dijiye ji. Ya main aapke registered number se check kar loon?",
                ],
                &[
                    "अपना ऑर्डर नंबर बताइए। या क्या मैं आपके रजिस्टर्ड नंबर से देख लूँ?",
                    "ऑर्डर नंबर बता दीजिए जी। या मैं आपके रजिस्टर्ड नंबर से चेक कर लूँ?",
                ],
                &[],
            );
        }
        self.say(
            "ask-order",
            &[
                "Could you tell me your order number, please?",
                "Sure. What's your order number?",
            ],
            &[
                "Apna order number bataiye, please.",
                "Ji zaroor. Aapka order number kya hai?",
            ],
            &["अपना ऑर्डर नंबर बताइए।", "जी ज़रूर। आपका ऑर्डर नंबर क्या है?"],
            &[],
        )
    }

    pub(crate) fn confirm_nearest(&self, heard: &str, id: &OrderId) -> String {
        let heard = spoken_digits(heard, self.lang);
        let id = self.order(id);
        self.say(
            "nearest",
            &[
                "You said {heard}. Is your order number {id}?",
                "I heard {heard}. Did you mean order {id}?",
            ],
            &[
                "Aapne {heard} kaha. Kya aapka order {id} hai?",
                "Maine {heard} suna. Kya order number {id} hai?",
            ],
            &[
                "आपने {heard} कहा। क्या आपका ऑर्डर {id} है?",
                "मैंने {heard} सुना। क्या ऑर्डर नंबर {id} है?",
            ],
            &[("heard", &heard), ("id", &id)],
        )
    }

    pub(crate) fn order_not_found(&self, heard: &str, offer_phone: bool) -> String {
        let heard = spoken_digits(heard, self.lang);
        let first = self.say(
            "notfound",
            &[
                "I couldn't find an order {heard}.",
                "Sorry, there's no order with the number {heard}.",
            ],
            &[
                "Order {heard} mujhe nahi mila.",
                "Maaf kijiye, {heard} number ka koi order nahi mila.",
            ],
            &[
                "ऑर्डर {heard} मुझे नहीं मिला।",
                "माफ़ कीजिए, {heard} नंबर का कोई ऑर्डर नहीं मिला।",
            ],
            &[("heard", &heard)],
        );
        let next = if offer_phone {
            self.say(
                "notfound-phone",
                &[
                    "Please check the number, or shall I look up your orders with your registered number?",
                    "Could you check it once more? Or I can look up your orders by your phone number.",
                ],
                &[
                    "Ek baar number check kar lijiye. Ya kya main aapke registered number se dekh loon?",
                    "Number phir se bataiye, ya main aapke registered number se dekh loon?",
                ],
                &[
                    "एक बार नंबर देख लीजिए। या क्या मैं आपके रजिस्टर्ड नंबर से देख लूँ?",
                    "नंबर फिर से बताइए, या मैं आपके रजिस्टर्ड नंबर से देख लूँ?",
                ],
                &[],
            )
        } else {
            self.say(
                "notfound-again",
                &[
                    "Could you check the number and tell me again?",
                    "Please say the order number once more.",
                ],
                &[
                    "Ek baar number check karke phir se bataiye.",
                    "Order number ek baar phir se boliye.",
                ],
                &[
                    "एक बार नंबर देखकर फिर से बताइए।",
                    "ऑर्डर नंबर एक बार फिर से बोलिए।",
                ],
                &[],
            )
        };
        format!("{first} {next}")
    }

    pub(crate) fn no_phone(&self) -> String {
        self.say(
            "nophone",
            &["I don't have your number on this call. Could you tell me the order number?"],
            &["Is call par aapka number mere paas nahi hai. Order number bata dijiye?"],
            &["इस कॉल पर आपका नंबर मेरे पास नहीं है। ऑर्डर नंबर बता दीजिए?"],
            &[],
        )
    }

    pub(crate) fn no_orders_for_phone(&self) -> String {
        self.say(
            "noorders",
            &["I couldn't find any orders on your number. Could you tell me the order number?"],
            &["Aapke number par koi order nahi mila. Order number bata dijiye?"],
            &["आपके नंबर पर कोई ऑर्डर नहीं मिला। ऑर्डर नंबर बता दीजिए?"],
            &[],
        )
    }

    pub(crate) fn choose_order(&self, orders: &[Order]) -> String {
        let list: Vec<String> = orders
            .iter()
            .map(|o| match self.lang {
                Language::English => format!("order {} for {}", self.order(&o.id), self.items(o)),
                Language::Hinglish => format!("{} wala order {}", self.items(o), self.order(&o.id)),
                Language::Hindi => format!("{} वाला ऑर्डर {}", self.items(o), self.order(&o.id)),
            })
            .collect();
        let joined = list.join("; ");
        self.say(
            "choose",
            &["I can see these recent orders on your number: {list}. Which one is it about?"],
            &["Aapke number par ye haal ke orders hain: {list}. Kaunse order ki baat hai?"],
            &["आपके नंबर पर ये हाल के ऑर्डर हैं: {list}। किस ऑर्डर की बात है?"],
            &[("list", &joined)],
        )
    }

    /// One order found on the caller's number for a request that will act
    /// on it: confirmed before the ticket is raised.
    pub(crate) fn confirm_found_order(&self, o: &Order) -> String {
        let id = self.order(&o.id);
        let item = self.items(o);
        self.say(
            "confirm-found",
            &[
                "I can see order {id} for {item} on your number. Is it about this order?",
                "Your number has order {id}, {item}. Is that the one?",
            ],
            &[
                "Aapke number par {item} wala order {id} dikh raha hai. Kya isi ki baat hai?",
                "Aapke number par order {id} hai, {item}. Kya yahi order hai?",
            ],
            &[
                "आपके नंबर पर {item} वाला ऑर्डर {id} दिख रहा है। क्या इसी की बात है?",
                "आपके नंबर पर ऑर्डर {id} है, {item}। क्या यही ऑर्डर है?",
            ],
            &[("id", &id), ("item", &item)],
        )
    }

    // ---- order status ---------------------------------------------------------------------

    pub(crate) fn order_status(&self, o: &Order) -> String {
        let id = self.order(&o.id);
        let item = self.items(o);
        let courier = o.courier.clone().unwrap_or_default();
        let expected = o
            .expected_delivery
            .map(|d| self.date(d))
            .unwrap_or_default();
        let delivered = o
            .delivered_at
            .map(|d| self.date(d.date_naive()))
            .unwrap_or_default();
        let vars: Vec<(&str, &str)> = vec![
            ("id", &id),
            ("item", &item),
            ("courier", &courier),
            ("expected", &expected),
            ("delivered", &delivered),
        ];
        let late = o.status.is_in_transit() && o.expected_delivery.is_some_and(|d| d < self.today);
        match o.status {
            OrderStatus::Placed | OrderStatus::Packed if !expected.is_empty() => {
                let head = if o.status == OrderStatus::Placed {
                    self.say(
                        "st-placed",
                        &["Your order {id}, {item}, is confirmed and will be packed soon.", "Order {id} for {item} is confirmed; it will be packed shortly."],
                        &["Aapka order {id}, {item}, confirm ho gaya hai aur jald hi pack hoga.", "Order {id}, {item}, confirm hai ji. Jaldi pack ho jayega."],
                        &["आपका ऑर्डर {id}, {item}, कन्फ़र्म हो गया है और जल्दी ही पैक होगा।", "ऑर्डर {id}, {item}, कन्फ़र्म है जी। जल्दी पैक हो जाएगा।"],
                        &vars,
                    )
                } else {
                    self.say(
                        "st-packed",
                        &["Your order {id}, {item}, is packed and will be handed to the courier soon.", "Order {id} for {item} is packed and ready to ship."],
                        &["Aapka order {id}, {item}, pack ho chuka hai. Jald hi courier ko diya jayega.", "Order {id}, {item}, pack ho gaya hai ji, bas ship hone wala hai."],
                        &["आपका ऑर्डर {id}, {item}, पैक हो चुका है। जल्दी ही कूरियर को दिया जाएगा।", "ऑर्डर {id}, {item}, पैक हो गया है जी, बस भेजा जाने वाला है।"],
                        &vars,
                    )
                };
                format!("{head} {}", self.expected_by(&expected))
            }
            OrderStatus::Shipped if late => self.say(
                "st-late",
                &["Your order {id}, {item}, is with {courier}. It was expected {expected}, so it is running late."],
                &["Aapka order {id}, {item}, {courier} ke paas hai. Ye {expected} aana tha, isme deri ho gayi hai."],
                &["आपका ऑर्डर {id}, {item}, {courier} के पास है। यह {expected} आना था, इसमें देरी हो गई है।"],
                &vars,
            ),
            OrderStatus::Shipped => self.say(
                "st-shipped",
                &[
                    "Your order {id}, {item}, has been shipped with {courier}. It should reach you {expected}.",
                    "Good news: order {id}, {item}, is on its way with {courier}, arriving {expected}.",
                ],
                &[
                    "Aapka order {id}, {item}, {courier} se ship ho chuka hai. Ye {expected} tak pahunch jayega.",
                    "Order {id}, {item}, raste mein hai ji, {courier} se. {expected} tak aa jayega.",
                ],
                &[
                    "आपका ऑर्डर {id}, {item}, {courier} से भेज दिया गया है। यह {expected} तक पहुँच जाएगा।",
                    "ऑर्डर {id}, {item}, रास्ते में है जी, {courier} से। {expected} तक आ जाएगा।",
                ],
                &vars,
            ),
            OrderStatus::OutForDelivery => self.say(
                "st-ofd",
                &[
                    "Your order {id}, {item}, is out for delivery today with {courier}.",
                    "Order {id}, {item}, is out for delivery and will reach you today.",
                ],
                &[
                    "Aapka order {id}, {item}, aaj delivery ke liye nikal chuka hai. {courier} ka delivery partner aaj hi aayega.",
                    "Order {id}, {item}, out for delivery hai ji. Aaj hi aap tak pahunch jayega.",
                ],
                &[
                    "आपका ऑर्डर {id}, {item}, आज डिलीवरी के लिए निकल चुका है।",
                    "ऑर्डर {id}, {item}, आज ही आप तक पहुँच जाएगा।",
                ],
                &vars,
            ),
            OrderStatus::Delivered => self.say(
                "st-delivered",
                &["Your order {id}, {item}, was delivered {delivered}.", "Order {id}, {item}, was delivered {delivered}."],
                &["Aapka order {id}, {item}, {delivered} deliver ho gaya tha.", "Order {id}, {item}, {delivered} deliver ho chuka hai ji."],
                &["आपका ऑर्डर {id}, {item}, {delivered} डिलीवर हो गया था।", "ऑर्डर {id}, {item}, {delivered} डिलीवर हो चुका है जी।"],
                &vars,
            ),
            OrderStatus::Cancelled => {
                let head = self.say(
                    "st-cancelled",
                    &["Order {id}, {item}, has been cancelled."],
                    &["Order {id}, {item}, cancel ho chuka hai."],
                    &["ऑर्डर {id}, {item}, रद्द हो चुका है।"],
                    &vars,
                );
                match o.refund_paise {
                    Some(_) => format!("{head} {}", self.refund_status(o)),
                    None => head,
                }
            }
            OrderStatus::Returned => self.say(
                "st-returned",
                &["We have received the return of order {id}, {item}. The refund will start after a quality check."],
                &["Order {id}, {item}, ka return hume mil gaya hai. Quality check ke baad refund shuru hoga."],
                &["ऑर्डर {id}, {item}, की वापसी हमें मिल गई है। क्वालिटी चेक के बाद रिफ़ंड शुरू होगा।"],
                &vars,
            ),
            OrderStatus::RefundInitiated | OrderStatus::RefundCompleted => {
                let head = self.say(
                    "st-refund",
                    &["Order {id}, {item}, was returned."],
                    &["Order {id}, {item}, return ho chuka hai."],
                    &["ऑर्डर {id}, {item}, वापस हो चुका है।"],
                    &vars,
                );
                format!("{head} {}", self.refund_status(o))
            }
            // Placed/packed without a promised date.
            OrderStatus::Placed | OrderStatus::Packed => self.say(
                "st-nodate",
                &["Your order {id}, {item}, is confirmed and being prepared."],
                &["Aapka order {id}, {item}, confirm hai aur taiyaar ho raha hai."],
                &["आपका ऑर्डर {id}, {item}, कन्फ़र्म है और तैयार हो रहा है।"],
                &vars,
            ),
        }
    }

    fn expected_by(&self, expected: &str) -> String {
        self.say(
            "expected",
            &[
                "Expected delivery is {expected}.",
                "It should reach you {expected}.",
            ],
            &[
                "Delivery {expected} tak ho jayegi.",
                "Ye {expected} tak aap tak pahunch jayega.",
            ],
            &[
                "डिलीवरी {expected} तक हो जाएगी।",
                "यह {expected} तक आप तक पहुँच जाएगा।",
            ],
            &[("expected", expected)],
        )
    }

    pub(crate) fn not_late(&self, o: &Order) -> String {
        let expected = o
            .expected_delivery
            .map(|d| self.date(d))
            .unwrap_or_default();
        let id = self.order(&o.id);
        self.say(
            "notlate",
            &[
                "Order {id} is on schedule. It should reach you {expected}.",
                "Don't worry, order {id} isn't late. It's expected {expected}.",
            ],
            &[
                "Order {id} time par hai ji. Ye {expected} tak pahunch jayega.",
                "Chinta mat kijiye, order {id} late nahi hai. {expected} tak aa jayega.",
            ],
            &[
                "ऑर्डर {id} समय पर है जी। यह {expected} तक पहुँच जाएगा।",
                "चिंता मत कीजिए, ऑर्डर {id} लेट नहीं है। {expected} तक आ जाएगा।",
            ],
            &[("id", &id), ("expected", &expected)],
        )
    }

    pub(crate) fn late_apology(&self, o: &Order) -> String {
        let expected = o
            .expected_delivery
            .map(|d| self.date(d))
            .unwrap_or_default();
        let id = self.order(&o.id);
        self.say(
            "lateapology",
            &["I'm sorry, order {id} was due {expected} and is running late."],
            &["Maaf kijiye ji, order {id} {expected} aana tha, isme deri ho gayi hai."],
            &["माफ़ कीजिए जी, ऑर्डर {id} {expected} आना था, इसमें देरी हो गई है।"],
            &[("id", &id), ("expected", &expected)],
        )
    }

    // ---- refunds --------------------------------------------------------------------------

    /// Refund facts for an order that has or had a refund.
    pub(crate) fn refund_status(&self, o: &Order) -> String {
        let amount = o.refund_paise.map(|p| self.money(p)).unwrap_or_default();
        let on = self.date(o.updated_at.date_naive());
        let vars = [("amount", amount.as_str()), ("on", on.as_str())];
        match o.status {
            OrderStatus::RefundCompleted => self.say(
                "refund-done",
                &["Your refund of {amount} was completed {on}. It is back in your original payment method."],
                &["Aapka {amount} ka refund {on} complete ho gaya tha. Paise aapke original payment method mein wapas aa gaye hain."],
                &["आपका {amount} का रिफ़ंड {on} पूरा हो गया था। पैसे आपके मूल पेमेंट तरीक़े में वापस आ गए हैं।"],
                &vars,
            ),
            OrderStatus::RefundInitiated => self.say(
                "refund-started",
                &[
                    "Your refund of {amount} was started {on}. It takes 5 to 7 working days to reach your account.",
                    "A refund of {amount} was initiated {on}; expect it in your account within 5 to 7 working days.",
                ],
                &[
                    "Aapka {amount} ka refund {on} shuru ho gaya tha. Account mein aane mein 5 se 7 working din lagte hain.",
                    "{amount} ka refund {on} initiate ho chuka hai ji. 5 se 7 working din mein aapke account mein aa jayega.",
                ],
                &[
                    "आपका {amount} का रिफ़ंड {on} शुरू हो गया था। खाते में आने में पाँच से सात कामकाजी दिन लगते हैं।",
                    "{amount} का रिफ़ंड {on} शुरू हो चुका है जी। पाँच से सात कामकाजी दिन में आपके खाते में आ जाएगा।",
                ],
                &vars,
            ),
            OrderStatus::Cancelled if o.refund_paise.is_some() => self.say(
                "refund-cancel",
                &["Your refund of {amount} for it has been processed."],
                &["Iska {amount} ka refund process ho chuka hai."],
                &["इसका {amount} का रिफ़ंड प्रोसेस हो चुका है।"],
                &vars,
            ),
            OrderStatus::Returned => self.say(
                "refund-returned",
                &["We've received the return; your refund will start within 2 working days after a quality check."],
                &["Return hume mil gaya hai. Quality check ke baad 2 working din mein refund shuru ho jayega."],
                &["वापसी हमें मिल गई है। क्वालिटी चेक के बाद दो कामकाजी दिन में रिफ़ंड शुरू हो जाएगा।"],
                &vars,
            ),
            _ => self.no_refund(o),
        }
    }

    fn no_refund(&self, o: &Order) -> String {
        let id = self.order(&o.id);
        self.say(
            "norefund",
            &["There's no refund on order {id}; it hasn't been cancelled or returned."],
            &["Order {id} par koi refund nahi hai ji, ye cancel ya return nahi hua hai."],
            &["ऑर्डर {id} पर कोई रिफ़ंड नहीं है जी, यह रद्द या वापस नहीं हुआ है।"],
            &[("id", &id)],
        )
    }

    pub(crate) fn offer_refund_ticket(&self) -> String {
        self.say(
            "offer-refund-ticket",
            &["If it hasn't reached your account, shall I raise a complaint?"],
            &["Agar paise abhi tak account mein nahi aaye, toh kya main complaint darj kar doon?"],
            &["अगर पैसे अभी तक खाते में नहीं आए, तो क्या मैं शिकायत दर्ज कर दूँ?"],
            &[],
        )
    }

    pub(crate) fn offer_return(&self) -> String {
        self.say(
            "offer-return",
            &["Would you like to return it?"],
            &["Kya aap ise return karna chahenge?"],
            &["क्या आप इसे वापस करना चाहेंगे?"],
            &[],
        )
    }

    // ---- tickets and complaints -----------------------------------------------------------

    pub(crate) fn ask_complaint(&self) -> String {
        self.say(
            "ask-complaint",
            &[
                "I'm sorry to hear that. What's the problem: is the item damaged, wrong, or missing?",
                "Sorry about that. Was the item damaged, was it the wrong item, or is something missing?",
            ],
            &[
                "Sorry ji. Kya problem hai: saamaan toota hua aaya, galat aaya, ya kuch missing hai?",
                "Maaf kijiye ji. Bataiye, item damaged hai, galat item aaya hai, ya kuch kam aaya hai?",
            ],
            &[
                "माफ़ कीजिए जी। क्या समस्या है: सामान टूटा हुआ आया, ग़लत आया, या कुछ कम आया है?",
                "माफ़ कीजिए जी। बताइए, सामान ख़राब है, ग़लत आया है, या कुछ गायब है?",
            ],
            &[],
        )
    }

    fn category_words(&self, c: TicketCategory) -> &'static str {
        match (self.lang, c) {
            (Language::English, TicketCategory::Damaged) => "damaged item",
            (Language::English, TicketCategory::WrongItem) => "wrong item",
            (Language::English, TicketCategory::MissingItem) => "missing item",
            (Language::English, TicketCategory::RefundNotReceived) => "refund not received",
            (Language::English, TicketCategory::ReturnRequest) => "return",
            (Language::English, TicketCategory::CancellationRequest) => "cancellation",
            (Language::English, TicketCategory::AddressChange) => "address change",
            (Language::English, TicketCategory::DeliveryDelay) => "late delivery",
            (Language::English, TicketCategory::Other) => "complaint",
            (Language::Hinglish, TicketCategory::Damaged) => "damaged item",
            (Language::Hinglish, TicketCategory::WrongItem) => "galat item",
            (Language::Hinglish, TicketCategory::MissingItem) => "missing item",
            (Language::Hinglish, TicketCategory::RefundNotReceived) => "refund na milne",
            (Language::Hinglish, TicketCategory::ReturnRequest) => "return",
            (Language::Hinglish, TicketCategory::CancellationRequest) => "cancellation",
            (Language::Hinglish, TicketCategory::AddressChange) => "address badalne",
            (Language::Hinglish, TicketCategory::DeliveryDelay) => "delivery mein deri",
            (Language::Hinglish, TicketCategory::Other) => "complaint",
            (Language::Hindi, TicketCategory::Damaged) => "टूटे सामान",
            (Language::Hindi, TicketCategory::WrongItem) => "ग़लत सामान",
            (Language::Hindi, TicketCategory::MissingItem) => "गायब सामान",
            (Language::Hindi, TicketCategory::RefundNotReceived) => "रिफ़ंड न मिलने",
            (Language::Hindi, TicketCategory::ReturnRequest) => "वापसी",
            (Language::Hindi, TicketCategory::CancellationRequest) => "रद्द करने",
            (Language::Hindi, TicketCategory::AddressChange) => "पता बदलने",
            (Language::Hindi, TicketCategory::DeliveryDelay) => "डिलीवरी में देरी",
            (Language::Hindi, TicketCategory::Other) => "शिकायत",
        }
    }

    /// "I've raised a ticket for … Your ticket number is 1 0 0 0 1."
    pub(crate) fn ticket_created(&self, t: &TicketCreated) -> String {
        let what = self.category_words(t.category);
        let id = self.order(&t.order_id);
        let ticket = spoken_ticket(&t.ticket_id, self.lang);
        let hours = t.response_hours.to_string();
        let hours = if self.lang == Language::Hindi {
            devanagari_digits(&hours)
        } else {
            hours
        };
        self.say(
            "ticket",
            &[
                "I've raised a {what} complaint for order {id}. Your ticket number is {ticket}. Our team will get back to you within {hours} hours.",
                "Done. Your {what} ticket for order {id} is registered, ticket number {ticket}. You'll hear from us within {hours} hours.",
            ],
            &[
                "Maine order {id} ke liye {what} ki complaint darj kar di hai. Aapka ticket number hai {ticket}. Hamari team {hours} ghante mein aapse sampark karegi.",
                "Ho gaya ji. Order {id} ki {what} wali complaint register ho gayi hai, ticket number {ticket}. {hours} ghante mein hamari team aapko call karegi.",
            ],
            &[
                "मैंने ऑर्डर {id} के लिए {what} की शिकायत दर्ज कर दी है। आपका टिकट नंबर है {ticket}। हमारी टीम {hours} घंटे में आपसे संपर्क करेगी।",
                "हो गया जी। ऑर्डर {id} की {what} वाली शिकायत दर्ज हो गई है, टिकट नंबर {ticket}। {hours} घंटे में हमारी टीम आपको कॉल करेगी।",
            ],
            &[("what", what), ("id", &id), ("ticket", &ticket), ("hours", &hours)],
        )
    }

    pub(crate) fn offer_sms(&self) -> String {
        self.say(
            "offer-sms",
            &[
                "Shall I send these details to you by SMS?",
                "Would you like an SMS with these details?",
            ],
            &[
                "Kya main ye details aapko SMS kar doon?",
                "Ye details SMS par bhej doon ji?",
            ],
            &[
                "क्या मैं ये जानकारी आपको एसएमएस कर दूँ?",
                "यह जानकारी एसएमएस पर भेज दूँ जी?",
            ],
            &[],
        )
    }

    pub(crate) fn sms_sent(&self) -> String {
        self.say(
            "sms-sent",
            &[
                "I've sent you an SMS with the details.",
                "Done, the SMS is on its way to your phone.",
            ],
            &[
                "Maine aapko details SMS kar di hain.",
                "Ho gaya ji, SMS aapke phone par aa jayega.",
            ],
            &[
                "मैंने आपको जानकारी एसएमएस कर दी है।",
                "हो गया जी, एसएमएस आपके फ़ोन पर आ जाएगा।",
            ],
            &[],
        )
    }

    pub(crate) fn sms_failed(&self) -> String {
        self.say(
            "sms-failed",
            &["Sorry, I couldn't send the SMS to this number."],
            &["Maaf kijiye, is number par SMS nahi bhej paayi."],
            &["माफ़ कीजिए, इस नंबर पर एसएमएस नहीं भेज पाई।"],
            &[],
        )
    }

    // ---- cancellation, address, returns ---------------------------------------------------

    pub(crate) fn confirm_cancel(&self, o: &Order) -> String {
        let id = self.order(&o.id);
        let item = self.items(o);
        self.say(
            "confirm-cancel",
            &[
                "Just to confirm: shall I cancel order {id}, {item}?",
                "You want to cancel order {id}, {item}. Shall I go ahead?",
            ],
            &[
                "Confirm kar dijiye: kya main order {id}, {item}, cancel kar doon?",
                "Aap order {id}, {item}, cancel karna chahte hain. Kya main aage badhoon?",
            ],
            &[
                "पक्का कर दीजिए: क्या मैं ऑर्डर {id}, {item}, रद्द कर दूँ?",
                "आप ऑर्डर {id}, {item}, रद्द करना चाहते हैं। क्या मैं आगे बढ़ूँ?",
            ],
            &[("id", &id), ("item", &item)],
        )
    }

    pub(crate) fn cancelled(&self, o: &Order, ticket: &TicketCreated) -> String {
        let id = self.order(&o.id);
        let ticket = spoken_ticket(&ticket.ticket_id, self.lang);
        let head = self.say(
            "cancelled",
            &["Done. Order {id} is cancelled. Your reference number is {ticket}."],
            &["Ho gaya ji. Order {id} cancel kar diya gaya hai. Aapka reference number hai {ticket}."],
            &["हो गया जी। ऑर्डर {id} रद्द कर दिया गया है। आपका रेफ़रेंस नंबर है {ticket}।"],
            &[("id", &id), ("ticket", &ticket)],
        );
        if o.payment_method == "cod" {
            return head;
        }
        let amount = self.money(o.total_paise);
        let refund = self.say(
            "cancel-refund",
            &["The refund of {amount} will reach your account in 5 to 7 working days."],
            &["{amount} ka refund 5 se 7 working din mein aapke account mein aa jayega."],
            &["{amount} का रिफ़ंड पाँच से सात कामकाजी दिन में आपके खाते में आ जाएगा।"],
            &[("amount", &amount)],
        );
        format!("{head} {refund}")
    }

    pub(crate) fn not_cancelled(&self) -> String {
        self.say(
            "not-cancelled",
            &["Okay, I won't cancel it. Your order stays as it is."],
            &["Theek hai ji, main cancel nahi kar rahi. Aapka order waise hi rahega."],
            &["ठीक है जी, मैं रद्द नहीं कर रही। आपका ऑर्डर वैसे ही रहेगा।"],
            &[],
        )
    }

    pub(crate) fn cannot_cancel_shipped(&self, o: &Order) -> String {
        let id = self.order(&o.id);
        self.say(
            "cancel-shipped",
            &["Order {id} has already been shipped, so it can't be cancelled now. Once it arrives you can return it. Shall I raise a return request?"],
            &["Order {id} ship ho chuka hai, isliye ab cancel nahi ho sakta. Delivery ke baad aap return kar sakte hain. Kya main return request darj kar doon?"],
            &["ऑर्डर {id} भेजा जा चुका है, इसलिए अब रद्द नहीं हो सकता। डिलीवरी के बाद आप वापस कर सकते हैं। क्या मैं वापसी का अनुरोध दर्ज कर दूँ?"],
            &[("id", &id)],
        )
    }

    pub(crate) fn cannot_cancel_delivered(&self, o: &Order) -> String {
        let id = self.order(&o.id);
        self.say(
            "cancel-delivered",
            &["Order {id} has already been delivered, so it can't be cancelled. Would you like to return it instead?"],
            &["Order {id} deliver ho chuka hai, isliye cancel nahi ho sakta. Kya aap ise return karna chahenge?"],
            &["ऑर्डर {id} डिलीवर हो चुका है, इसलिए रद्द नहीं हो सकता। क्या आप इसे वापस करना चाहेंगे?"],
            &[("id", &id)],
        )
    }

    pub(crate) fn address_too_late(&self, o: &Order) -> String {
        let id = self.order(&o.id);
        self.say(
            "address-late",
            &["Order {id} has already left our warehouse, so I can't change the address now. The courier's delivery partner will call you before delivery."],
            &["Order {id} warehouse se nikal chuka hai, isliye ab address nahi badal sakte. Delivery se pehle courier wale aapko call karenge."],
            &["ऑर्डर {id} गोदाम से निकल चुका है, इसलिए अब पता नहीं बदल सकते। डिलीवरी से पहले कूरियर वाले आपको कॉल करेंगे।"],
            &[("id", &id)],
        )
    }

    pub(crate) fn address_ticket_note(&self) -> String {
        self.say(
            "address-note",
            &["Our team will call you to confirm the new address."],
            &["Hamari team naya address confirm karne ke liye aapko call karegi."],
            &["हमारी टीम नया पता पक्का करने के लिए आपको कॉल करेगी।"],
            &[],
        )
    }

    pub(crate) fn return_before_delivery(&self, o: &Order) -> String {
        let id = self.order(&o.id);
        if o.status.is_cancellable() {
            return self.say(
                "return-cancel",
                &["Order {id} hasn't shipped yet, so you can simply cancel it. Shall I cancel it?"],
                &["Order {id} abhi ship nahi hua hai, aap ise cancel kar sakte hain. Kya main cancel kar doon?"],
                &["ऑर्डर {id} अभी भेजा नहीं गया है, आप इसे रद्द कर सकते हैं। क्या मैं रद्द कर दूँ?"],
                &[("id", &id)],
            );
        }
        self.say(
            "return-transit",
            &["Order {id} is still on its way. You can return it after it's delivered."],
            &["Order {id} abhi raste mein hai. Delivery ke baad aap ise return kar sakte hain."],
            &["ऑर्डर {id} अभी रास्ते में है। डिलीवरी के बाद आप इसे वापस कर सकते हैं।"],
            &[("id", &id)],
        )
    }

    pub(crate) fn return_note(&self) -> String {
        self.say(
            "return-note",
            &["A pickup will be arranged in 2 to 3 days, and the refund starts once we receive the item."],
            &["2 se 3 din mein pickup ho jayega, aur item milte hi refund shuru ho jayega."],
            &["दो से तीन दिन में पिकअप हो जाएगा, और सामान मिलते ही रिफ़ंड शुरू हो जाएगा।"],
            &[],
        )
    }

    // ---- products -------------------------------------------------------------------------

    pub(crate) fn ask_product(&self) -> String {
        self.say(
            "ask-product",
            &[
                "Sure. Which product are you looking for?",
                "Which product would you like to check?",
            ],
            &[
                "Zaroor ji. Aap kaunsa product dekh rahe hain?",
                "Bataiye, kaunse product ka stock check karoon?",
            ],
            &[
                "ज़रूर जी। आप कौन सा प्रोडक्ट देख रहे हैं?",
                "बताइए, किस प्रोडक्ट का स्टॉक देखूँ?",
            ],
            &[],
        )
    }

    pub(crate) fn not_sold(&self, query: &str) -> String {
        self.say(
            "not-sold",
            &[
                "Sorry, we don't sell {q} at the moment.",
                "I'm sorry, {q} isn't something we carry.",
            ],
            &[
                "Maaf kijiye, {q} hum abhi nahi bechte.",
                "Sorry ji, {q} hamare store mein nahi milta.",
            ],
            &[
                "माफ़ कीजिए, {q} हम अभी नहीं बेचते।",
                "माफ़ कीजिए जी, {q} हमारे स्टोर में नहीं मिलता।",
            ],
            &[("q", query)],
        )
    }

    pub(crate) fn availability(&self, a: &Availability) -> String {
        let name = self.product_name(a.product_id, &a.name, None);
        let variant = self.variant_words(a.colour.as_deref(), a.size.as_deref());
        let what = if variant.is_empty() {
            name.clone()
        } else {
            match self.lang {
                Language::English => format!("{name} in {variant}"),
                _ => format!("{name}, {variant}"),
            }
        };
        let price = self.money(a.price_paise);
        if a.in_stock {
            let few = a.stock_level == "only_a_few_left";
            let head = if a.price_is_from {
                self.say(
                    "in-stock-from",
                    &[
                        "Yes, {what} is in stock, starting at {price}.",
                        "Good news, {what} is available, from {price}.",
                    ],
                    &[
                        "Haan ji, {what} stock mein hai, {price} se shuru.",
                        "Ji, {what} available hai. Daam {price} se shuru hai.",
                    ],
                    &[
                        "हाँ जी, {what} स्टॉक में है, {price} से शुरू।",
                        "जी, {what} उपलब्ध है। दाम {price} से शुरू है।",
                    ],
                    &[("what", &what), ("price", &price)],
                )
            } else {
                self.say(
                    "in-stock",
                    &[
                        "Yes, {what} is in stock, for {price}.",
                        "Good news, {what} is available. It costs {price}.",
                    ],
                    &[
                        "Haan ji, {what} stock mein hai. Iska daam {price} hai.",
                        "Ji, {what} available hai, {price} ka.",
                    ],
                    &[
                        "हाँ जी, {what} स्टॉक में है। इसका दाम {price} है।",
                        "जी, {what} उपलब्ध है, {price} का।",
                    ],
                    &[("what", &what), ("price", &price)],
                )
            };
            if few {
                let hurry = self.say(
                    "few",
                    &["Only a few are left."],
                    &["Bas kuch hi piece bache hain."],
                    &["बस कुछ ही पीस बचे हैं।"],
                    &[],
                );
                return format!("{head} {hurry}");
            }
            return head;
        }
        let head = if a.variant_exists || variant.is_empty() {
            self.say(
                "out-of-stock",
                &[
                    "Sorry, {what} is out of stock right now.",
                    "I'm sorry, {what} is sold out at the moment.",
                ],
                &[
                    "Maaf kijiye, {what} abhi stock mein nahi hai.",
                    "Sorry ji, {what} abhi khatam ho gaya hai.",
                ],
                &[
                    "माफ़ कीजिए, {what} अभी स्टॉक में नहीं है।",
                    "माफ़ कीजिए जी, {what} अभी ख़त्म हो गया है।",
                ],
                &[("what", &what)],
            )
        } else {
            self.say(
                "no-variant",
                &["Sorry, {name} doesn't come in {variant}."],
                &["Maaf kijiye, {name} {variant} mein nahi aata."],
                &["माफ़ कीजिए, {name} {variant} में नहीं आता।"],
                &[("name", &name), ("variant", &variant)],
            )
        };
        if a.alternatives.is_empty() {
            return head;
        }
        let alts: Vec<String> = a
            .alternatives
            .iter()
            .take(3)
            .map(|alt| self.alternative(a, alt))
            .collect();
        let list = match self.lang {
            Language::English => alts.join(", or "),
            Language::Hinglish => alts.join(", ya "),
            Language::Hindi => alts.join(", या "),
        };
        let offer = self.say(
            "alternatives",
            &["But it's available in {list}.", "You could go for {list}."],
            &[
                "Lekin ye available hai: {list}.",
                "Aap {list} le sakte hain.",
            ],
            &["लेकिन यह उपलब्ध है: {list}।", "आप {list} ले सकते हैं।"],
            &[("list", &list)],
        );
        format!("{head} {offer}")
    }

    fn alternative(&self, asked: &Availability, alt: &Alternative) -> String {
        let price = self.money(alt.price_paise);
        let variant = self.variant_words(alt.colour.as_deref(), alt.size.as_deref());
        let same_product = alt.product_id == asked.product_id;
        let name = self.product_name(alt.product_id, &alt.name, None);
        match (same_product, self.lang) {
            (true, Language::English) => format!("{variant} for {price}"),
            (true, _) => format!("{variant}, {price}"),
            (false, Language::English) if variant.is_empty() => format!("{name} for {price}"),
            (false, Language::English) => format!("{name} in {variant} for {price}"),
            (false, _) if variant.is_empty() => format!("{name}, {price}"),
            (false, _) => format!("{name}, {variant}, {price}"),
        }
    }

    pub(crate) fn repeat_nothing(&self) -> String {
        self.say(
            "repeat-nothing",
            &["I haven't said anything yet. How can I help?"],
            &["Maine abhi kuch nahi kaha ji. Bataiye, kya madad karoon?"],
            &["मैंने अभी कुछ नहीं कहा जी। बताइए, क्या मदद करूँ?"],
            &[],
        )
    }

    /// The text of an SMS confirming a ticket (English: SMS in Devanagari
    /// costs three times as many segments).
    pub(crate) fn sms_ticket(&self, t: &TicketCreated) -> String {
        format!(
            "{}: Ticket {} raised for order {} ({}). We will get back to you within {} hours.",
            self.shop,
            t.ticket_id,
            t.order_id,
            t.category.as_str().replace('_', " "),
            t.response_hours
        )
    }

    /// The text of an SMS with an order's status.
    pub(crate) fn sms_order(&self, o: &Order) -> String {
        let mut s = format!(
            "{}: Order {} is {}.",
            self.shop,
            o.id,
            o.status.as_str().replace('_', " ")
        );
        if let (true, Some(d)) = (o.status.is_in_transit(), o.expected_delivery) {
            s.push_str(&format!(" Expected delivery {}.", d.format("%d %b %Y")));
        }
        if let (Some(c), Some(t)) = (&o.courier, &o.tracking_number) {
            s.push_str(&format!(" {c} tracking {t}."));
        }
        s
    }
}

/// Why a caller is handed to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransferWhy {
    Asked,
    /// The caller pressed the keypad's "talk to a person" key.
    KeyPressed,
    Angry,
    NotUnderstood,
}

impl TransferWhy {
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Self::Asked => "caller_asked",
            Self::KeyPressed => "caller_pressed_0",
            Self::Angry => "angry",
            Self::NotUnderstood => "not_understood",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn rupees_use_indian_grouping() {
        assert_eq!(format_rupees(149_900), "₹1,499");
        assert_eq!(format_rupees(12_499_900), "₹1,24,999");
        assert_eq!(format_rupees(49_950), "₹499.50");
        assert_eq!(spoken_rupees(149_900, Language::English), "1,499 rupees");
        assert_eq!(spoken_rupees(149_900, Language::Hinglish), "1,499 rupaye");
        assert_eq!(spoken_rupees(149_900, Language::Hindi), "१,४९९ रुपये");
    }

    #[test]
    fn ids_are_read_digit_by_digit() {
        let id = OrderId("ORD-45678".into());
        assert_eq!(spoken_order(&id, Language::English), "4 5 6 7 8");
        assert_eq!(spoken_order(&id, Language::Hindi), "चार पाँच छह सात आठ");
        assert_eq!(
            spoken_digits("9812345678", Language::English),
            "9 8 1 2 3, 4 5 6 7 8"
        );
    }

    #[test]
    fn dates_are_relative_to_today() {
        let today = d(2026, 11, 24); // a Tuesday
        assert_eq!(spoken_date(today, today, Language::English), "today");
        assert_eq!(
            spoken_date(d(2026, 11, 25), today, Language::English),
            "tomorrow"
        );
        assert_eq!(
            spoken_date(d(2026, 11, 26), today, Language::Hinglish),
            "parson"
        );
        assert_eq!(spoken_date(d(2026, 11, 25), today, Language::Hindi), "कल");
        assert_eq!(
            spoken_date(d(2026, 11, 27), today, Language::English),
            "on Friday, 27 November"
        );
        assert_eq!(
            spoken_date(d(2026, 11, 27), today, Language::Hinglish),
            "shukravaar, 27 November ko"
        );
        assert_eq!(
            spoken_date(d(2026, 11, 28), today, Language::Hindi),
            "शनिवार, अट्ठाईस नवंबर को"
        );
    }

    #[test]
    fn wording_is_reproducible_and_varies_with_the_seed() {
        let names = HindiNames::default();
        let today = d(2026, 11, 24);
        let a = Voice::new(Language::Hinglish, 1, today, &names, "Awaaz Store").greeting();
        let b = Voice::new(Language::Hinglish, 1, today, &names, "Awaaz Store").greeting();
        assert_eq!(a, b);
        let all: std::collections::HashSet<String> = (0..32)
            .map(|s| Voice::new(Language::Hinglish, s, today, &names, "Awaaz Store").greeting())
            .collect();
        assert_eq!(
            all.len(),
            2,
            "both greeting wordings should be used: {all:?}"
        );
        assert!(all.iter().all(|g| g.contains("Awaaz Store")));
    }
}
