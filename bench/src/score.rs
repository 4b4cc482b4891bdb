//! Scoring one utterance, and the report over all of them.
//!
//! For each utterance three things are scored (the definitions are repeated
//! in `docs/benchmarks.md`):
//!
//! * **intent**: `understand(text).intent` equals the label.
//! * **tool choice**: the name of the first tool call in the reply to the
//!   utterance, said as the first turn of a fresh session, equals the label
//!   (`null` = no tool call). A turn that returned an error is always wrong.
//! * **follow-up tools** (reported, not gated): when the label has `then`
//!   (`lookup_order` then `create_ticket`), those tools are called, in that
//!   order, after the first one in the same turn.
//! * **slots**: each labelled slot is one test. It passes when the value
//!   reached the agent — the understanding's slot *or* a matching argument of
//!   the labelled calls (the first call and the `then` calls) carries it,
//!   after normalisation — and no argument of those calls contradicts it. An
//!   `order_id` or `phone` argument the labels do not call for (an order
//!   number made up, a phone other than the caller's) counts as one failed
//!   slot test more.
//!
//! Normalisation: order ids compare by their digits (`ORD-45678` = `45678`);
//! phone numbers by E.164 form; colours lower-cased; sizes upper-cased
//! without spaces or dashes (`5 l` = `5L`); ticket categories by key;
//! products by display name (understanding) — a tool's free-text `product`
//! argument agrees with a labelled product when its words are the product's
//! name or an alias, or all come from its name, brand, kind, colours and
//! sizes (`blue kurta` agrees with Blue Cotton Kurta), and with a labelled
//! kind when it agrees in that sense with some product of that kind.

use std::collections::{BTreeMap, HashSet};

use awaaz_agent::nlu::{OrderRef, Understanding};
use awaaz_agent::ToolCallOutcome;
use awaaz_store::{PhoneNumber, Product};
use serde::Serialize;
use serde_json::Value;

use crate::data::{Style, Utterance};

/// The products, for judging free-text product arguments.
#[derive(Debug, Clone)]
pub struct Catalog {
    products: Vec<Product>,
}

impl Catalog {
    /// Wraps the store's products.
    pub fn new(products: Vec<Product>) -> Self {
        Self { products }
    }

    /// Whether a free-text product argument names the product called `name`.
    fn arg_names_product(&self, arg: &str, name: &str) -> bool {
        self.products
            .iter()
            .filter(|p| p.name == name)
            .any(|p| names(arg, p))
    }

    /// Whether a free-text product argument names some product of `kind`.
    fn arg_names_kind(&self, arg: &str, kind: &str) -> bool {
        self.products
            .iter()
            .filter(|p| p.kind == kind)
            .any(|p| names(arg, p))
    }
}

/// Lower-case words of any script.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether free text names `p` (see the module docs).
fn names(arg: &str, p: &Product) -> bool {
    let arg_words = words(arg);
    if arg_words.is_empty() {
        return false;
    }
    if arg_words == words(&p.name) || p.aliases.iter().any(|a| words(a) == arg_words) {
        return true;
    }
    let mut vocab: HashSet<String> = words(&p.name).into_iter().collect();
    vocab.extend(words(&p.kind));
    vocab.extend(p.brand.iter().flat_map(|b| words(b)));
    for v in &p.variants {
        vocab.extend(v.colour.iter().flat_map(|c| words(c)));
        vocab.extend(v.size.iter().flat_map(|s| words(s)));
    }
    arg_words.iter().all(|w| vocab.contains(w))
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn norm_size(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

fn norm_colour(s: &str) -> String {
    s.trim().to_lowercase()
}

/// The calls the labels speak about: the first one, and later ones named in
/// the label's `then`.
fn relevant_calls<'a>(u: &Utterance, calls: &'a [ToolCallOutcome]) -> Vec<&'a ToolCallOutcome> {
    calls
        .iter()
        .enumerate()
        .filter(|(i, c)| *i == 0 || u.then.iter().any(|t| t.as_str() == c.name))
        .map(|(_, c)| c)
        .collect()
}

/// The non-empty string values of `key` in `calls`' arguments.
fn arg_values<'a>(calls: &[&'a ToolCallOutcome], key: &str) -> Vec<&'a str> {
    calls
        .iter()
        .filter_map(|c| c.arguments.get(key).and_then(Value::as_str))
        .filter(|s| !s.trim().is_empty())
        .collect()
}

/// Whether `expected` appears in `got` in order (other names may come between).
fn is_subsequence(expected: &[String], got: &[String]) -> bool {
    let mut it = got.iter();
    expected.iter().all(|e| it.any(|g| g == e))
}

/// One slot test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlotResult {
    /// The slot (`order_id`, or `order_id (unlabelled)` for a made-up one).
    pub slot: String,
    /// The labelled value.
    pub expected: String,
    /// What the understanding carried.
    pub understood: Option<String>,
    /// What the first tool call's matching argument carried.
    pub argument: Option<String>,
    /// Whether the test passed.
    pub ok: bool,
}

/// Everything scored about one utterance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemResult {
    /// Utterance id.
    pub id: String,
    /// Language style.
    pub lang: Style,
    /// Written as a recogniser mangles speech.
    pub asr: bool,
    /// The utterance.
    pub text: String,
    /// Labelled intent.
    pub intent_expected: String,
    /// Understood intent.
    pub intent_got: String,
    /// Intent correct.
    pub intent_ok: bool,
    /// Labelled first tool.
    pub tool_expected: Option<String>,
    /// First tool called.
    pub tool_got: Option<String>,
    /// Its arguments.
    pub tool_arguments: Option<Value>,
    /// Tool choice correct.
    pub tool_ok: bool,
    /// Every tool called in the turn, in order.
    pub tools_got: Vec<String>,
    /// Labelled follow-up tools.
    pub then_expected: Vec<String>,
    /// Whether the follow-up tools were called, in order, after the first
    /// (`None` when none are labelled).
    pub then_ok: Option<bool>,
    /// Slot tests.
    pub slots: Vec<SlotResult>,
    /// The turn failed with this error.
    pub error: Option<String>,
}

impl ItemResult {
    /// Whether anything about the item was wrong.
    pub fn is_failure(&self) -> bool {
        !self.intent_ok
            || !self.tool_ok
            || self.then_ok == Some(false)
            || self.slots.iter().any(|s| !s.ok)
            || self.error.is_some()
    }
}

/// What the agent did with one utterance.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    /// `EmbeddedAgent::understand(text)`.
    pub understanding: &'a Understanding,
    /// The tool calls of the reply, in order.
    pub calls: &'a [ToolCallOutcome],
    /// The turn's error, if it failed.
    pub error: Option<&'a str>,
}

fn snake(v: &impl Serialize) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => "?".to_owned(),
    }
}

/// Scores one utterance (see the module docs for the definitions).
pub fn score_item(
    u: &Utterance,
    seen: Observation<'_>,
    catalog: &Catalog,
    caller: &PhoneNumber,
) -> ItemResult {
    let und = seen.understanding;
    let tool = seen.calls.first();
    let relevant = relevant_calls(u, seen.calls);
    let args = |key: &str| arg_values(&relevant, key);
    let mut slots = Vec::new();
    let mut test = |slot: &str,
                    expected: String,
                    understood: Option<String>,
                    understood_ok: bool,
                    arguments: Vec<&str>,
                    argument_ok: &dyn Fn(&str) -> bool| {
        // Carried by the understanding or an argument; contradicted by none.
        let args_ok = arguments.iter().all(|a| argument_ok(a));
        slots.push(SlotResult {
            slot: slot.to_owned(),
            expected,
            understood,
            argument: (!arguments.is_empty()).then(|| arguments.join(" | ")),
            ok: (understood_ok || !arguments.is_empty()) && args_ok,
        });
    };

    let l = &u.slots;
    if let Some(order) = &l.order_id {
        let want = digits(order);
        let got = und.slots.order.as_ref().map(|o| match o {
            OrderRef::Exact { id } | OrderRef::Nearest { id, .. } => id.as_str().to_owned(),
            OrderRef::Unknown { heard } => heard.clone(),
        });
        let ok = got.as_deref().map(digits).as_deref() == Some(want.as_str());
        test("order_id", order.clone(), got, ok, args("order_id"), &|a| {
            digits(a) == want
        });
    }
    if let Some(phone) = &l.phone {
        let got = und.slots.phone.clone();
        let ok = got
            .as_deref()
            .map(|p| PhoneNumber::new(p).as_str() == phone)
            == Some(true);
        test("phone", phone.clone(), got, ok, args("phone"), &|a| {
            PhoneNumber::new(a).as_str() == phone
        });
    }
    if let Some(name) = &l.product {
        let got = und.slots.product.as_ref().map(|p| p.name.clone());
        let ok = got.as_deref().map(|g| g.eq_ignore_ascii_case(name)) == Some(true);
        test("product", name.clone(), got, ok, args("product"), &|a| {
            catalog.arg_names_product(a, name)
        });
    }
    if let Some(kind) = &l.product_kind {
        let got = und.slots.product.as_ref().map(|p| p.kind.clone());
        let ok = got.as_deref() == Some(kind.as_str());
        test(
            "product_kind",
            kind.clone(),
            got,
            ok,
            args("product"),
            &|a| catalog.arg_names_kind(a, kind),
        );
    }
    if let Some(colour) = &l.colour {
        let got = und.slots.colour.clone();
        let ok = got.as_deref().map(norm_colour).as_deref() == Some(colour.as_str());
        test("colour", colour.clone(), got, ok, args("colour"), &|a| {
            norm_colour(a) == *colour
        });
    }
    if let Some(size) = &l.size {
        let want = norm_size(size);
        let got = und.slots.size.clone();
        let ok = got.as_deref().map(norm_size).as_deref() == Some(want.as_str());
        test("size", size.clone(), got, ok, args("size"), &|a| {
            norm_size(a) == want
        });
    }
    if let Some(category) = &l.category {
        let want = category.as_str();
        let got = und.slots.complaint.map(|c| c.as_str().to_owned());
        let ok = got.as_deref() == Some(want);
        test(
            "category",
            want.to_owned(),
            got,
            ok,
            args("category"),
            &|a| a == want,
        );
    }
    // Arguments nobody said: an order number or a stranger's phone.
    if l.order_id.is_none() {
        if let Some(a) = args("order_id").first() {
            slots.push(SlotResult {
                slot: "order_id (unlabelled)".to_owned(),
                expected: "none".to_owned(),
                understood: None,
                argument: Some((*a).to_owned()),
                ok: false,
            });
        }
    }
    if l.phone.is_none() {
        if let Some(a) = args("phone")
            .into_iter()
            .find(|a| PhoneNumber::new(a) != *caller)
        {
            slots.push(SlotResult {
                slot: "phone (unlabelled)".to_owned(),
                expected: "the caller's number".to_owned(),
                understood: None,
                argument: Some(PhoneNumber::new(a).masked()),
                ok: false,
            });
        }
    }

    let tool_expected = u.tool.map(|t| t.as_str().to_owned());
    let tool_got = tool.map(|t| t.name.clone());
    let tools_got: Vec<String> = seen.calls.iter().map(|c| c.name.clone()).collect();
    let then_expected: Vec<String> = u.then.iter().map(|t| t.as_str().to_owned()).collect();
    let then_ok = (!then_expected.is_empty()).then(|| {
        seen.error.is_none() && is_subsequence(&then_expected, tools_got.get(1..).unwrap_or(&[]))
    });
    let intent_expected = snake(&u.intent);
    let intent_got = snake(&und.intent);
    ItemResult {
        id: u.id.clone(),
        lang: u.lang,
        asr: u.asr,
        text: u.text.clone(),
        intent_ok: u.intent == und.intent,
        intent_expected,
        intent_got,
        tool_ok: seen.error.is_none() && tool_expected == tool_got,
        tool_expected,
        tool_got,
        tools_got,
        then_expected,
        then_ok,
        tool_arguments: tool.map(|t| t.arguments.clone()),
        slots,
        error: seen.error.map(str::to_owned),
    }
}

/// Counts over a group of items.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tally {
    /// Group name (`en`, `asr`, `all`, or an intent).
    pub name: String,
    /// Utterances.
    pub n: usize,
    /// Intents right.
    pub intent_ok: usize,
    /// First tools right.
    pub tool_ok: usize,
    /// Slot tests.
    pub slots: usize,
    /// Slot tests passed.
    pub slots_ok: usize,
    /// Utterances with labelled follow-up tools.
    pub then_n: usize,
    /// Of those, follow-ups called as labelled.
    pub then_ok: usize,
    /// Turns that returned an error.
    pub errors: usize,
}

impl Tally {
    fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            ..Self::default()
        }
    }

    fn add(&mut self, r: &ItemResult) {
        self.n += 1;
        self.intent_ok += usize::from(r.intent_ok);
        self.tool_ok += usize::from(r.tool_ok);
        self.slots += r.slots.len();
        self.slots_ok += r.slots.iter().filter(|s| s.ok).count();
        self.errors += usize::from(r.error.is_some());
        if let Some(ok) = r.then_ok {
            self.then_n += 1;
            self.then_ok += usize::from(ok);
        }
    }

    /// Intent accuracy, 0..=1 (1 for an empty group).
    pub fn intent_accuracy(&self) -> f64 {
        ratio(self.intent_ok, self.n)
    }

    /// Tool-choice accuracy, 0..=1.
    pub fn tool_accuracy(&self) -> f64 {
        ratio(self.tool_ok, self.n)
    }

    /// Slot accuracy, 0..=1.
    pub fn slot_accuracy(&self) -> f64 {
        ratio(self.slots_ok, self.slots)
    }

    /// Follow-up tool accuracy, 0..=1 (not gated).
    pub fn then_accuracy(&self) -> f64 {
        ratio(self.then_ok, self.then_n)
    }
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        1.0
    } else {
        // Counts are far below 2^52: the conversion is exact.
        #[allow(clippy::cast_precision_loss)]
        let r = num as f64 / den as f64;
        r
    }
}

/// Thresholds `--check` enforces.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    /// Minimum overall tool-choice accuracy.
    pub tool: f64,
    /// Minimum overall slot accuracy.
    pub slot: f64,
}

/// The CI gate: tool choice ≥ 95 %, slots ≥ 92 %.
pub const CHECK: Thresholds = Thresholds {
    tool: 0.95,
    slot: 0.92,
};

/// The whole run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Per language style, then `asr` (the recogniser-style lines of every
    /// style), then `all`.
    pub groups: Vec<Tally>,
    /// Per labelled intent.
    pub by_intent: Vec<Tally>,
    /// Every item with something wrong.
    pub failures: Vec<ItemResult>,
}

impl Report {
    /// Builds the report from scored items.
    pub fn new(items: &[ItemResult]) -> Self {
        let mut groups: Vec<Tally> = Style::ALL.iter().map(|s| Tally::new(s.code())).collect();
        let mut asr = Tally::new("asr");
        let mut all = Tally::new("all");
        let mut by_intent: BTreeMap<String, Tally> = BTreeMap::new();
        for r in items {
            if let Some(pos) = Style::ALL.iter().position(|s| *s == r.lang) {
                groups[pos].add(r);
            }
            if r.asr {
                asr.add(r);
            }
            all.add(r);
            by_intent
                .entry(r.intent_expected.clone())
                .or_insert_with(|| Tally::new(&r.intent_expected))
                .add(r);
        }
        groups.push(asr);
        groups.push(all);
        Self {
            groups,
            by_intent: by_intent.into_values().collect(),
            failures: items.iter().filter(|r| r.is_failure()).cloned().collect(),
        }
    }

    /// The `all` row.
    pub fn overall(&self) -> Tally {
        self.groups
            .iter()
            .find(|g| g.name == "all")
            .cloned()
            .unwrap_or_default()
    }

    /// Why the run misses `thresholds` (empty when it meets them).
    pub fn check(&self, thresholds: Thresholds) -> Vec<String> {
        let all = self.overall();
        let mut misses = Vec::new();
        if all.n == 0 {
            misses.push("no utterances were scored".to_owned());
        }
        if all.tool_accuracy() < thresholds.tool {
            misses.push(format!(
                "tool-choice accuracy {:.1}% is below {:.0}%",
                all.tool_accuracy() * 100.0,
                thresholds.tool * 100.0
            ));
        }
        if all.slot_accuracy() < thresholds.slot {
            misses.push(format!(
                "slot accuracy {:.1}% is below {:.0}%",
                all.slot_accuracy() * 100.0,
                thresholds.slot * 100.0
            ));
        }
        if all.errors > 0 {
            misses.push(format!("{} turns failed with an error", all.errors));
        }
        misses
    }
}

#[cfg(test)]
mod tests {
    use awaaz_agent::nlu::{Intent, ProductRef, Slots};
    use awaaz_agent::text::{Normalized, ScriptProfile};
    use awaaz_agent::Language;
    use awaaz_store::{OrderId, TicketCategory};
    use serde_json::json;

    use super::*;
    use crate::data::{LabelSlots, ToolName};

    fn catalog() -> Catalog {
        Catalog::new(
            awaaz_store::demo::shop(chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()).products,
        )
    }

    fn understanding(intent: Intent, slots: Slots) -> Understanding {
        Understanding {
            intent,
            confidence: 1.0,
            also: Vec::new(),
            slots,
            language: Language::English,
            normalized: Normalized {
                original: String::new(),
                text: String::new(),
                tokens: Vec::new(),
                numbers: Vec::new(),
                script: ScriptProfile::default(),
                language: Language::English,
            },
        }
    }

    fn call(name: &str, arguments: Value) -> ToolCallOutcome {
        ToolCallOutcome {
            name: name.to_owned(),
            arguments,
            result: json!({}),
            ok: true,
            duration_us: 1,
        }
    }

    fn label(tool: Option<ToolName>, slots: LabelSlots) -> Utterance {
        Utterance {
            id: "t-1".to_owned(),
            lang: Style::Hinglish,
            text: "…".to_owned(),
            intent: Intent::ProductAvailability,
            tool,
            then: Vec::new(),
            slots,
            asr: false,
        }
    }

    fn caller() -> PhoneNumber {
        PhoneNumber::new("+919812345678")
    }

    fn kurta() -> ProductRef {
        ProductRef {
            product_id: 1,
            name: "Blue Cotton Kurta".to_owned(),
            kind: "kurta".to_owned(),
            score: 0.9,
        }
    }

    #[test]
    fn a_fully_right_item_passes_every_test() {
        let u = label(
            Some(ToolName::CheckProductAvailability),
            LabelSlots {
                product: Some("Blue Cotton Kurta".to_owned()),
                colour: Some("blue".to_owned()),
                size: Some("M".to_owned()),
                ..LabelSlots::default()
            },
        );
        let und = understanding(
            Intent::ProductAvailability,
            Slots {
                product: Some(kurta()),
                colour: Some("blue".to_owned()),
                size: Some("M".to_owned()),
                ..Slots::default()
            },
        );
        let c = call(
            "check_product_availability",
            json!({"product": "blue cotton kurta", "colour": "Blue", "size": "m"}),
        );
        let r = score_item(
            &u,
            Observation {
                understanding: &und,
                calls: std::slice::from_ref(&c),
                error: None,
            },
            &catalog(),
            &caller(),
        );
        assert!(r.intent_ok && r.tool_ok);
        assert_eq!(r.slots.len(), 3);
        assert!(r.slots.iter().all(|s| s.ok), "{:?}", r.slots);
        assert!(!r.is_failure());
    }

    #[test]
    fn a_contradicting_argument_fails_the_slot_even_if_understood() {
        let u = label(
            Some(ToolName::CheckProductAvailability),
            LabelSlots {
                product_kind: Some("kurta".to_owned()),
                size: Some("M".to_owned()),
                ..LabelSlots::default()
            },
        );
        let und = understanding(
            Intent::ProductAvailability,
            Slots {
                product: Some(kurta()),
                size: Some("M".to_owned()),
                ..Slots::default()
            },
        );
        let c = call(
            "check_product_availability",
            json!({"product": "pressure cooker", "size": "XL"}),
        );
        let r = score_item(
            &u,
            Observation {
                understanding: &und,
                calls: std::slice::from_ref(&c),
                error: None,
            },
            &catalog(),
            &caller(),
        );
        assert_eq!(
            r.slots
                .iter()
                .map(|s| (s.slot.as_str(), s.ok))
                .collect::<Vec<_>>(),
            [("product_kind", false), ("size", false)]
        );
    }

    #[test]
    fn the_argument_alone_can_carry_a_slot_and_made_up_orders_count_against() {
        let mut u = label(
            Some(ToolName::LookupOrder),
            LabelSlots {
                order_id: Some("ORD-45678".to_owned()),
                ..LabelSlots::default()
            },
        );
        u.intent = Intent::OrderStatus;
        let und = understanding(Intent::OrderStatus, Slots::default());
        let c = call("lookup_order", json!({"order_id": "45678"}));
        let seen = Observation {
            understanding: &und,
            calls: std::slice::from_ref(&c),
            error: None,
        };
        let r = score_item(&u, seen, &catalog(), &caller());
        assert!(r.slots[0].ok);

        // No order said, but the agent looked one up.
        u.slots = LabelSlots::default();
        let r = score_item(&u, seen, &catalog(), &caller());
        assert_eq!(r.slots.len(), 1);
        assert_eq!(r.slots[0].slot, "order_id (unlabelled)");
        assert!(!r.slots[0].ok);
    }

    #[test]
    fn nearest_orders_categories_and_errors() {
        let mut u = label(
            None,
            LabelSlots {
                order_id: Some("ORD-12345".to_owned()),
                ..LabelSlots::default()
            },
        );
        u.intent = Intent::OrderStatus;
        let und = understanding(
            Intent::OrderStatus,
            Slots {
                order: Some(OrderRef::Nearest {
                    heard: "12346".to_owned(),
                    id: OrderId("ORD-12345".to_owned()),
                }),
                complaint: Some(TicketCategory::Damaged),
                ..Slots::default()
            },
        );
        let seen = Observation {
            understanding: &und,
            calls: &[],
            error: None,
        };
        let r = score_item(&u, seen, &catalog(), &caller());
        assert!(r.tool_ok && r.slots[0].ok);

        // An error is never the right tool choice, even when none was due.
        let r = score_item(
            &u,
            Observation {
                error: Some("store failed"),
                ..seen
            },
            &catalog(),
            &caller(),
        );
        assert!(!r.tool_ok && r.is_failure());

        u.slots = LabelSlots {
            category: Some(TicketCategory::WrongItem),
            ..LabelSlots::default()
        };
        let r = score_item(&u, seen, &catalog(), &caller());
        assert!(!r.slots[0].ok);
    }

    #[test]
    fn follow_up_tools_and_their_arguments() {
        let mut u = label(
            Some(ToolName::LookupOrder),
            LabelSlots {
                order_id: Some("ORD-45679".to_owned()),
                category: Some(TicketCategory::Damaged),
                ..LabelSlots::default()
            },
        );
        u.intent = Intent::Complaint;
        u.then = vec![ToolName::CreateTicket];
        let und = understanding(Intent::Complaint, Slots::default());
        let calls = [
            call("lookup_order", json!({"order_id": "ORD-45679"})),
            call(
                "create_ticket",
                json!({"order_id": "ORD-45679", "category": "wrong_item", "description": "x"}),
            ),
        ];
        let seen = Observation {
            understanding: &und,
            calls: &calls,
            error: None,
        };
        let r = score_item(&u, seen, &catalog(), &caller());
        assert!(r.tool_ok);
        assert_eq!(r.then_ok, Some(true));
        assert_eq!(r.tools_got, ["lookup_order", "create_ticket"]);
        // The order id is carried by both calls; the ticket's category
        // contradicts the label.
        assert_eq!(
            r.slots
                .iter()
                .map(|s| (s.slot.as_str(), s.ok))
                .collect::<Vec<_>>(),
            [("order_id", true), ("category", false)]
        );

        let only_lookup = Observation {
            calls: &calls[..1],
            ..seen
        };
        let r = score_item(&u, only_lookup, &catalog(), &caller());
        assert!(r.tool_ok && r.is_failure());
        assert_eq!(r.then_ok, Some(false));
    }

    #[test]
    fn free_text_product_arguments() {
        let cat = catalog();
        assert!(cat.arg_names_product("Blue Cotton Kurta", "Blue Cotton Kurta"));
        assert!(cat.arg_names_product("kurta", "Blue Cotton Kurta"));
        assert!(cat.arg_names_product("कुर्ता", "Blue Cotton Kurta"));
        assert!(!cat.arg_names_product("linen kurta", "Blue Cotton Kurta"));
        assert!(cat.arg_names_kind("white kurta", "kurta"));
        assert!(cat.arg_names_kind("cooker", "pressure cooker"));
        assert!(!cat.arg_names_kind("curtain", "kurta"));
    }

    #[test]
    fn report_groups_and_check() {
        let item = |lang, asr, ok| ItemResult {
            id: "x".to_owned(),
            lang,
            asr,
            text: String::new(),
            intent_expected: "greeting".to_owned(),
            intent_got: "greeting".to_owned(),
            intent_ok: ok,
            tool_expected: None,
            tool_got: None,
            tool_arguments: None,
            tool_ok: ok,
            tools_got: Vec::new(),
            then_expected: Vec::new(),
            then_ok: None,
            slots: Vec::new(),
            error: None,
        };
        let items = [
            item(Style::English, false, true),
            item(Style::Hindi, true, false),
            item(Style::Hindi, false, true),
        ];
        let report = Report::new(&items);
        let names: Vec<&str> = report.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["en", "hinglish", "hi", "hi_roman", "asr", "all"]);
        assert_eq!(report.groups[2].n, 2);
        assert_eq!(report.groups[4].n, 1);
        assert_eq!(report.overall().tool_ok, 2);
        assert_eq!(report.failures.len(), 1);
        assert_eq!(report.check(CHECK).len(), 1);
        assert!(Report::new(&[]).check(CHECK)[0].contains("no utterances"));
    }
}
