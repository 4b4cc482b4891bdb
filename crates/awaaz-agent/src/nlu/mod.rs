//! Understanding: what the caller wants (intent) and the details they gave
//! (slots), matched against what the store actually holds.
//!
//! ```text
//!  text ─▶ text::normalize ─▶ Normalized
//!            ├─ intent rules (weighted phrases over canonical tokens) ─▶ intent, also
//!            ├─ number spans ─▶ phone | order (exact / nearest / unknown, CatalogIndex)
//!            ├─ colour, size, anger, correction (slots.rs)
//!            └─ product (fuzzy + phonetic match, CatalogIndex) ─▶ Understanding
//! ```
//!
//! Everything is precomputed at [`CatalogIndex::new`] and in lazily built
//! static tables; [`Nlu::understand`] takes tens of microseconds in release.

mod catalog;
mod intent;
mod slots;

use awaaz_store::{OrderId, TicketCategory};
use serde::{Deserialize, Serialize};

use crate::text::{self, Normalized, TokenKind};
use crate::Language;
use intent::Target;

pub use catalog::{CatalogIndex, PRODUCT_THRESHOLD};
pub use slots::{angry, colour, colour_word, correction, phone_of, size, size_word};

/// What the caller wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// Where is my order / what is its status / tracking.
    OrderStatus,
    /// My order is late.
    DeliveryDelay,
    /// Is a product in stock.
    ProductAvailability,
    /// Something is wrong with an order (damaged, wrong, missing).
    Complaint,
    /// I want to return an item.
    ReturnRequest,
    /// Where is my refund.
    Refund,
    /// Cancel my order.
    Cancel,
    /// Change my delivery address.
    AddressChange,
    /// Let me talk to a person.
    TalkToHuman,
    /// Hello.
    Greeting,
    /// Thank you.
    Thanks,
    /// Bye.
    Goodbye,
    /// Say that again.
    Repeat,
    /// Yes.
    Affirm,
    /// No.
    Deny,
    /// Only gives a detail (a number, a product), answering a question.
    Inform,
    /// Text me the details.
    SendSms,
    /// Anything the shop cannot help with.
    OutOfScope,
}

/// How an order was referred to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "match", rename_all = "snake_case")]
pub enum OrderRef {
    /// The digits name a real order.
    Exact {
        /// The order.
        id: OrderId,
    },
    /// No order has these digits; this one is the nearest and must be
    /// confirmed with the caller.
    Nearest {
        /// The digits heard.
        heard: String,
        /// The nearest real order.
        id: OrderId,
    },
    /// Digits that are not close to any order.
    Unknown {
        /// The digits heard.
        heard: String,
    },
}

/// A product the caller named, matched to the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductRef {
    /// Store id of the best match.
    pub product_id: i64,
    /// Its display name.
    pub name: String,
    /// Its kind (`kurta`).
    pub kind: String,
    /// Match quality, 0..=1.
    pub score: f32,
}

/// Details given in one utterance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Slots {
    /// An order number.
    pub order: Option<OrderRef>,
    /// A phone number (digits, E.164 when possible).
    pub phone: Option<String>,
    /// A product.
    pub product: Option<ProductRef>,
    /// A colour, in English (`blue`).
    pub colour: Option<String>,
    /// A size label as the store writes it (`M`, `XL`, `5L`).
    pub size: Option<String>,
    /// What a complaint is about.
    pub complaint: Option<TicketCategory>,
    /// The caller sounds angry or frustrated.
    pub angry: bool,
    /// The caller is correcting what they said before ("nahi, 45679").
    pub correction: bool,
}

/// The result of understanding one utterance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Understanding {
    /// The main intent.
    pub intent: Intent,
    /// Confidence in `intent`, 0..=1.
    pub confidence: f32,
    /// Further requests in the same utterance, in the order spoken.
    pub also: Vec<Intent>,
    /// Details given.
    pub slots: Slots,
    /// The caller's language mix.
    pub language: Language,
    /// The normalised text it was read from.
    pub normalized: Normalized,
}

impl Intent {
    /// Intents that ask the shop to do or look up something (as opposed to
    /// greetings, thanks, yes/no and the like).
    pub fn is_request(self) -> bool {
        matches!(
            self,
            Self::OrderStatus
                | Self::DeliveryDelay
                | Self::ProductAvailability
                | Self::Complaint
                | Self::ReturnRequest
                | Self::Refund
                | Self::Cancel
                | Self::AddressChange
                | Self::TalkToHuman
                | Self::SendSms
        )
    }
}

/// Rule score a request intent needs to be the main intent.
const PRIMARY_MIN: f32 = 1.0;
/// A request scoring below this can be outvoted by a much stronger
/// conversational intent.
const SOCIAL_OVERRIDE_MAX: f32 = 2.0;
/// Rule score a further request needs to be listed in [`Understanding::also`].
const ALSO_MIN: f32 = 2.0;
/// Rule score of an off-topic cue (weather, recharge) that makes the
/// utterance out of scope.
const OFF_TOPIC_MIN: f32 = 3.0;
/// What "my <product>" + a shipping word adds to an order-status reading.
const OWN_PRODUCT_BOOST: f32 = 1.0;

/// Whether the caller speaks of a product as theirs and asks where it is:
/// a possessive ("my", "mera", "mere", "hamara") or "I ordered", and a
/// shipping, arrival or order word, and no stock word ("my size in stock?" stays a stock
/// question).
fn asks_about_own_product(n: &Normalized) -> bool {
    const POSSESSIVE: &[&str] = &[
        "my", "mera", "meri", "mere", "hamara", "hamari", "hamare", "apna", "ordered", "mangaya",
        "mangwaya",
    ];
    // Not past arrival ("mera kurta aaya, toota hua"): that is a complaint.
    const ORDERISH: &[&str] = &[
        "order",
        "ship",
        "shipped",
        "dispatch",
        "dispatched",
        "deliver",
        "delivery",
        "arrive",
        "arriving",
        "reach",
        "aayega",
        "aayegi",
        "pahunchega",
        "kahan",
        "where",
        "status",
        "track",
        "tracking",
        "jaankari",
        "haal",
        "sthiti",
        "packed",
        "courier",
    ];
    const STOCK: &[&str] = &[
        "stock",
        "available",
        "availability",
        "uplabdh",
        "price",
        "kimat",
    ];
    let mut possessive = false;
    let mut orderish = false;
    for w in n.words() {
        if STOCK.contains(&w) {
            return false;
        }
        possessive |= POSSESSIVE.contains(&w);
        orderish |= ORDERISH.contains(&w);
    }
    possessive && orderish
}

/// The offline understanding engine: rules and fuzzy matching over a
/// [`CatalogIndex`]. Cheap to call (tens of microseconds); share one per
/// server.
#[derive(Debug)]
pub struct Nlu {
    index: CatalogIndex,
}

impl Nlu {
    /// Builds the engine over an index of the store's catalog and orders.
    pub fn new(index: CatalogIndex) -> Self {
        Self { index }
    }

    /// The catalog index (to add orders, or match products directly).
    pub fn index(&self) -> &CatalogIndex {
        &self.index
    }

    /// Understands one utterance.
    pub fn understand(&self, text: &str) -> Understanding {
        self.understand_normalized(text::normalize(text))
    }

    /// Understands an utterance already normalised.
    pub fn understand_normalized(&self, normalized: Normalized) -> Understanding {
        let n = &normalized;
        let mut slots = Slots {
            colour: colour(n).map(str::to_owned),
            size: size(n),
            ..Slots::default()
        };
        self.fill_numbers(n, &mut slots);
        slots.product = self
            .index
            .match_product(n, slots.colour.as_deref(), slots.size.as_deref());

        let view = intent::View::new(n);
        let mut scores = intent::score(&view);
        // The complaint kinds vote for one Complaint intent; the strongest kind
        // is the category.
        let mut complaint: Option<(TicketCategory, f32, usize)> = None;
        scores.retain(|t, (s, p)| match t {
            Target::Complaint(c) => {
                if complaint.is_none_or(|(_, best, _)| *s > best) {
                    complaint = Some((*c, *s, *p));
                }
                false
            }
            Target::Intent(_) => true,
        });
        let mut by_intent: Vec<(Intent, f32, usize)> = scores
            .into_iter()
            .filter_map(|(t, (s, p))| match t {
                Target::Intent(i) => Some((i, s, p)),
                Target::Complaint(_) => None,
            })
            .collect();
        if let Some((_, s, p)) = complaint {
            by_intent.push((Intent::Complaint, s, p));
        }
        // What the shop cannot help with (weather, recharges, tickets): a
        // product word in it ("mobile recharge") is not a product question.
        let off_topic = by_intent
            .iter()
            .any(|(i, s, _)| *i == Intent::OutOfScope && *s >= OFF_TOPIC_MIN)
            && slots.order.is_none();
        if off_topic {
            slots.product = None;
        }
        // "my kurta", "mera Redmi wala order" with a shipping or arrival word
        // asks about the caller's order of that product, not about stock.
        // Only when no other order request was heard: "mere phone ki
        // delivery mein deri" is about a late order, and says so.
        let other_order_request = by_intent.iter().any(|(i, s, _)| {
            i.is_request()
                && !matches!(i, Intent::OrderStatus | Intent::ProductAvailability)
                && *s >= ALSO_MIN
        });
        let own_product =
            slots.product.is_some() && !other_order_request && asks_about_own_product(n);
        if own_product {
            by_intent.retain(|(i, _, _)| *i != Intent::ProductAvailability);
            match by_intent
                .iter_mut()
                .find(|(i, _, _)| *i == Intent::OrderStatus)
            {
                Some(e) => e.1 += OWN_PRODUCT_BOOST,
                None => by_intent.push((Intent::OrderStatus, OWN_PRODUCT_BOOST, 0)),
            }
        }
        // Naming a product makes an availability question out of "hai kya",
        // "chahiye" or a question mark.
        if slots.product.is_some() && !own_product {
            let question = n.original.contains('?');
            match by_intent
                .iter_mut()
                .find(|(i, _, _)| *i == Intent::ProductAvailability)
            {
                Some(e) => e.1 += 1.0,
                None if question => by_intent.push((Intent::ProductAvailability, 1.2, 0)),
                None => {}
            }
        }
        // Strongest first; ties go to what was said first.
        by_intent.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));

        let has_detail = slots.order.is_some()
            || slots.phone.is_some()
            || slots.product.is_some()
            || slots.colour.is_some()
            || slots.size.is_some();
        // "not that one": a lone "one" is a pronoun, not a number given.
        let has_number = n.numbers.iter().any(|s| {
            s.digits.len() >= 2
                || n.tokens
                    .get(s.start)
                    .is_some_and(|t| !t.raw.chars().all(char::is_alphabetic))
        });
        slots.angry = angry(n);
        slots.correction = correction(n, has_detail || has_number);

        let mut request = by_intent
            .iter()
            .find(|(i, s, _)| i.is_request() && *s >= PRIMARY_MIN)
            .copied();
        // An off-topic request wins over the weak request cues it contains
        // ("ek pizza order karna hai").
        if off_topic && request.is_some_and(|(_, s, _)| s < OFF_TOPIC_MIN + 1.0) {
            request = None;
        }
        // A weak request cue loses to a clear conversational one: "kya kaha"
        // is "say again", not "where" (`kaha` and `kahan` share a spelling).
        let social_best = by_intent
            .iter()
            .find(|(i, _, _)| !i.is_request())
            .map(|(_, s, _)| *s);
        if let (Some((_, rs, _)), Some(ss)) = (request, social_best) {
            if rs < SOCIAL_OVERRIDE_MAX && ss >= rs + 1.0 {
                request = None;
            }
        }
        let (intent, score) = match request {
            Some((i, s, _)) => (i, s),
            None => {
                let social = by_intent.iter().find(|(i, _, _)| !i.is_request()).copied();
                match social {
                    // "nahi, 45679": a correction carrying the right detail.
                    Some((Intent::Deny, _, _)) if has_detail || has_number => {
                        slots.correction = true;
                        (Intent::Inform, 1.5)
                    }
                    Some((Intent::Greeting | Intent::Thanks, _, _)) if has_detail => {
                        (Intent::Inform, 1.5)
                    }
                    Some((i, s, _)) => (i, s),
                    None if has_detail || has_number => (Intent::Inform, 1.5),
                    None => (Intent::OutOfScope, 0.0),
                }
            }
        };
        let mut also: Vec<(Intent, usize)> = by_intent
            .iter()
            .filter(|(i, s, _)| {
                *i != intent && i.is_request() && intent.is_request() && *s >= ALSO_MIN
            })
            .filter(|(i, _, _)| !subsumes(intent, *i))
            .map(|(i, _, p)| (*i, *p))
            .collect();
        also.sort_by_key(|(_, p)| *p);

        slots.complaint = match intent {
            Intent::Complaint => Some(complaint.map_or(TicketCategory::Other, |(c, _, _)| c)),
            Intent::DeliveryDelay => Some(TicketCategory::DeliveryDelay),
            Intent::Refund if refund_overdue(n) => Some(TicketCategory::RefundNotReceived),
            _ => None,
        };
        let confidence = match intent {
            // Recognised as off-topic: understood, just not the shop's.
            Intent::OutOfScope if off_topic => 0.8,
            Intent::OutOfScope => 0.4,
            Intent::Inform => 0.9,
            _ => (0.5 + 0.15 * score).min(0.98),
        };
        Understanding {
            intent,
            confidence,
            also: also.into_iter().map(|(i, _)| i).collect(),
            slots,
            language: normalized.language,
            normalized,
        }
    }

    /// Order and phone slots from the number spans.
    fn fill_numbers(&self, n: &Normalized, slots: &mut Slots) {
        let mut candidates: Vec<(usize, &text::NumberSpan)> = Vec::new();
        slots.phone = n.numbers.iter().find_map(phone_of);
        for (k, span) in n.numbers.iter().enumerate() {
            if phone_of(span).is_some() {
                continue;
            }
            let prev = span
                .start
                .checked_sub(1)
                .and_then(|i| n.tokens.get(i))
                .map(|t| t.text.as_str());
            let next = n.tokens.get(span.end).map(|t| t.text.as_str());
            // Amounts, capacities and quantities are not order numbers.
            let unit = matches!(
                next,
                Some(
                    "rupaye"
                        | "l"
                        | "litre"
                        | "liter"
                        | "gb"
                        | "mah"
                        | "w"
                        | "watt"
                        | "din"
                        | "days"
                        | "baar"
                        | "mb"
                        | "tb"
                )
            ) || matches!(prev, Some("rupaye"));
            let after_order = matches!(prev, Some("ord" | "order" | "number" | "no"));
            // An exact order anywhere (whole span or a piece of it) wins, even
            // in a span that ends in a unit ("45678 2 din se").
            if span.digits.len() >= 4 {
                if let Some(id) = self.exact_within(n, span) {
                    slots.order = Some(OrderRef::Exact { id });
                    return;
                }
            }
            if unit || (span.digits.len() < 4 && !(after_order && span.digits.len() >= 3)) {
                continue;
            }
            candidates.push((k, span));
        }
        if candidates.is_empty() {
            return;
        }
        // Otherwise the span said right after "order"/"ORD", else the first.
        let pick = candidates
            .iter()
            .find(|(_, s)| {
                s.start
                    .checked_sub(1)
                    .and_then(|i| n.tokens.get(i))
                    .is_some_and(|t| matches!(t.text.as_str(), "ord" | "order" | "number"))
            })
            .or(candidates.first())
            .map(|(_, s)| *s);
        if let Some(span) = pick {
            slots.order = Some(self.index.match_order(&span.digits));
        }
    }

    /// An exact order id said inside a longer run ("45678 2 din se" read as
    /// `456782`): any stretch of the span's number tokens that is an order.
    fn exact_within(&self, n: &Normalized, span: &text::NumberSpan) -> Option<OrderId> {
        if let Some(id) = self.index.order_exact(&span.digits) {
            return Some(id);
        }
        let toks = &n.tokens[span.start..span.end.min(n.tokens.len())];
        for a in 0..toks.len() {
            let mut digits = String::new();
            for t in &toks[a..] {
                if !matches!(t.kind, TokenKind::Number(_)) {
                    break;
                }
                digits.push_str(&t.text);
                if digits.len() >= 4 {
                    if let Some(id) = self.index.order_exact(&digits) {
                        return Some(id);
                    }
                }
            }
        }
        None
    }
}

/// Whether the main intent already covers another (a late order is also an
/// order-status question; a refund one may mention delivery).
fn subsumes(main: Intent, other: Intent) -> bool {
    use Intent as I;
    matches!(
        (main, other),
        (I::DeliveryDelay, I::OrderStatus)
            | (I::Refund, I::OrderStatus | I::DeliveryDelay)
            | (I::Complaint, I::OrderStatus | I::DeliveryDelay)
            | (I::Cancel, I::OrderStatus)
            | (I::ReturnRequest, I::OrderStatus)
            | (I::ProductAvailability, I::OrderStatus)
            | (I::SendSms, I::OrderStatus)
    )
}

/// "refund nahi aaya", "still no refund", "paisa abhi tak nahi mila".
fn refund_overdue(n: &Normalized) -> bool {
    n.words().any(|w| {
        matches!(
            w,
            "nahi" | "not" | "still" | "havent" | "hasnt" | "didnt" | "abhi" | "yet" | "never"
        )
    })
}

/// Words a caller says over the agent to show they are listening, not to
/// take the turn: "haan", "hmm", "ji", "achha", "okay" (and short runs of
/// them, "haan ji", "theek hai"). The call layer does not barge in on these.
pub fn is_backchannel(n: &Normalized) -> bool {
    const WORDS: &[&str] = &[
        "haan", "ji", "hmm", "hm", "hmmm", "mm", "mhm", "mmm", "achha", "okay", "theek", "hai",
        "right", "yeah", "yes", "uh", "huh", "aha", "sahi", "oh", "ohh", "accha", "acha", "sure",
        "han", "ha", "umm", "um", "uhh", "ok", "alright", "bilkul", "ho", "ah", "aah", "ahh",
    ];
    let words: Vec<&str> = n.words().collect();
    !words.is_empty()
        && words.len() <= 3
        && n.numbers.is_empty()
        && words.iter().all(|w| WORDS.contains(w))
        && !(words.len() == 1 && matches!(words[0], "hai" | "ho"))
}

#[cfg(test)]
mod tests;
