//! The labelled utterance set: its records, loading, and checks against the
//! store so a label can never point at an order or product that does not
//! exist. Schema and labelling policy: `crates/awaaz-agent/tests/data/README.md`.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use awaaz_agent::nlu::Intent;
use awaaz_store::{OrderId, PhoneNumber, Product, TicketCategory};
use serde::{Deserialize, Serialize};

/// How the caller speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Style {
    /// Indian English.
    #[serde(rename = "en")]
    English,
    /// Code-mixed Hindi and English in Latin script.
    #[serde(rename = "hinglish")]
    Hinglish,
    /// Hindi in Devanagari (a few lines in Urdu script).
    #[serde(rename = "hi")]
    Hindi,
    /// Hindi, romanised.
    #[serde(rename = "hi_roman")]
    HindiRoman,
}

impl Style {
    /// Every style, in report order.
    pub const ALL: [Self; 4] = [Self::English, Self::Hinglish, Self::Hindi, Self::HindiRoman];

    /// The code used in the data file.
    pub fn code(self) -> &'static str {
        match self {
            Self::English => "en",
            Self::Hinglish => "hinglish",
            Self::Hindi => "hi",
            Self::HindiRoman => "hi_roman",
        }
    }
}

impl fmt::Display for Style {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The agent's tools, as named in tool calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolName {
    /// `lookup_order`.
    LookupOrder,
    /// `check_product_availability`.
    CheckProductAvailability,
    /// `create_ticket`.
    CreateTicket,
    /// `transfer_to_human`.
    TransferToHuman,
    /// `send_sms`.
    SendSms,
}

impl ToolName {
    /// The name in tool calls.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LookupOrder => "lookup_order",
            Self::CheckProductAvailability => "check_product_availability",
            Self::CreateTicket => "create_ticket",
            Self::TransferToHuman => "transfer_to_human",
            Self::SendSms => "send_sms",
        }
    }
}

/// The details a caller gave, as labelled. Only the keys present in the
/// utterance are set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelSlots {
    /// The order meant, `ORD-45678`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// A phone number said by the caller, E.164.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The display name of the one product named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// The kind of product named, when no single product is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_kind: Option<String>,
    /// Colour in English, lower case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<String>,
    /// Size as the store writes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// What a complaint is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<TicketCategory>,
}

impl LabelSlots {
    /// How many slots are labelled.
    pub fn count(&self) -> usize {
        [
            self.order_id.is_some(),
            self.phone.is_some(),
            self.product.is_some(),
            self.product_kind.is_some(),
            self.colour.is_some(),
            self.size.is_some(),
            self.category.is_some(),
        ]
        .into_iter()
        .filter(|set| *set)
        .count()
    }
}

/// One labelled utterance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Utterance {
    /// Unique id (`hg-012`).
    pub id: String,
    /// How the caller speaks.
    pub lang: Style,
    /// What the caller said, as the recogniser hands it over.
    pub text: String,
    /// What the caller wants.
    pub intent: Intent,
    /// The first tool the agent should call in a fresh conversation, if any.
    pub tool: Option<ToolName>,
    /// Tools the agent should call after `tool` in the same turn, in order
    /// (a ticket after reading the order it is about).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub then: Vec<ToolName>,
    /// The details given.
    #[serde(default)]
    pub slots: LabelSlots,
    /// Written the way a speech recogniser mangles speech.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub asr: bool,
}

/// Why the labelled set could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A line is not a valid record.
    #[error("line {line}: invalid utterance record")]
    Parse {
        /// 1-based line number.
        line: usize,
        /// What serde found.
        #[source]
        source: serde_json::Error,
    },
    /// Two records share an id.
    #[error("line {line}: duplicate id {id:?}")]
    DuplicateId {
        /// 1-based line number of the second one.
        line: usize,
        /// The id.
        id: String,
    },
    /// No records at all: a benchmark over nothing would pass vacuously.
    #[error("no utterances in {source_name}")]
    Empty {
        /// The file or source read.
        source_name: String,
    },
}

/// Reads the labelled set from a JSON-lines file.
pub fn load_utterances(path: &Path) -> Result<Vec<Utterance>, DataError> {
    let text = std::fs::read_to_string(path).map_err(|source| DataError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_utterances(&text, &path.display().to_string())
}

/// Parses JSON lines (blank lines are skipped). `source_name` names the
/// input in errors.
pub fn parse_utterances(text: &str, source_name: &str) -> Result<Vec<Utterance>, DataError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let u: Utterance = serde_json::from_str(line).map_err(|source| DataError::Parse {
            line: i + 1,
            source,
        })?;
        if !seen.insert(u.id.clone()) {
            return Err(DataError::DuplicateId {
                line: i + 1,
                id: u.id,
            });
        }
        out.push(u);
    }
    if out.is_empty() {
        return Err(DataError::Empty {
            source_name: source_name.to_owned(),
        });
    }
    Ok(out)
}

/// One label that does not fit the store or the labelling policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelProblem {
    /// The utterance.
    pub id: String,
    /// What is wrong.
    pub problem: String,
}

impl fmt::Display for LabelProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.id, self.problem)
    }
}

/// Checks every label against the store's products and orders and against
/// the labelling policy's hard rules. An empty result means the set is
/// usable.
pub fn validate(
    utterances: &[Utterance],
    products: &[Product],
    order_ids: &[OrderId],
) -> Vec<LabelProblem> {
    let orders: HashSet<&str> = order_ids.iter().map(OrderId::as_str).collect();
    let mut problems = Vec::new();
    for u in utterances {
        let mut bad = |problem: String| {
            problems.push(LabelProblem {
                id: u.id.clone(),
                problem,
            })
        };
        let s = &u.slots;
        if u.text.trim().is_empty() {
            bad("empty text".to_owned());
        }
        if let Some(id) = &s.order_id {
            if !orders.contains(id.as_str()) {
                bad(format!("order {id} is not in the store"));
            }
        }
        if let Some(phone) = &s.phone {
            if PhoneNumber::new(phone).as_str() != phone {
                bad(format!("phone {phone} is not in E.164 form"));
            }
        }
        // The products a colour or size label must belong to.
        let candidates: Vec<&Product> = match (&s.product, &s.product_kind) {
            (Some(_), Some(_)) => {
                bad("label either product or product_kind, not both".to_owned());
                Vec::new()
            }
            (Some(name), None) => {
                let found: Vec<&Product> = products.iter().filter(|p| &p.name == name).collect();
                if found.is_empty() {
                    bad(format!("product {name:?} is not in the store"));
                }
                found
            }
            (None, Some(kind)) => {
                let found: Vec<&Product> = products.iter().filter(|p| &p.kind == kind).collect();
                if found.is_empty() {
                    bad(format!("product kind {kind:?} is not in the store"));
                }
                found
            }
            (None, None) => products.iter().collect(),
        };
        if let Some(colour) = &s.colour {
            let known = candidates
                .iter()
                .flat_map(|p| &p.variants)
                .any(|v| v.colour.as_deref() == Some(colour.as_str()));
            if !known {
                bad(format!(
                    "colour {colour:?} is not sold for the labelled product"
                ));
            }
        }
        if let Some(size) = &s.size {
            let known = candidates
                .iter()
                .flat_map(|p| &p.variants)
                .any(|v| v.size.as_deref() == Some(size.as_str()));
            if !known {
                bad(format!(
                    "size {size:?} is not sold for the labelled product"
                ));
            }
        }
        if s.category.is_some() && u.intent != Intent::Complaint {
            bad("category is labelled on complaints only".to_owned());
        }
        if !u.then.is_empty() && u.tool.is_none() {
            bad("then without a first tool".to_owned());
        }
        for follow in &u.then {
            match follow {
                ToolName::CreateTicket => {
                    if u.intent != Intent::Complaint || s.order_id.is_none() || s.category.is_none()
                    {
                        bad("create_ticket needs a complaint with order_id and category".to_owned());
                    }
                }
                ToolName::SendSms => {
                    if u.intent != Intent::SendSms || s.order_id.is_none() {
                        bad("send_sms follows an SMS request naming its order".to_owned());
                    }
                }
                other => bad(format!("{} is never a follow-up tool", other.as_str())),
            }
        }
        match u.tool {
            Some(ToolName::CreateTicket) => {
                bad("create_ticket is never a first tool: the order is read first".to_owned());
            }
            Some(ToolName::CheckProductAvailability) => {
                if s.product.is_none() && s.product_kind.is_none() {
                    bad("check_product_availability needs a product or product_kind".to_owned());
                }
            }
            Some(ToolName::TransferToHuman) => {
                if u.intent != Intent::TalkToHuman {
                    bad("transfer_to_human is the first tool of talk_to_human only".to_owned());
                }
            }
            Some(ToolName::SendSms) => {
                bad("send_sms is never a first tool (see the labelling policy)".to_owned());
            }
            Some(ToolName::LookupOrder) | None => {}
        }
        if u.intent == Intent::TalkToHuman && u.tool != Some(ToolName::TransferToHuman) {
            bad("talk_to_human must be labelled transfer_to_human".to_owned());
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"id":"x-1","lang":"hinglish","text":"order 45678 kahan hai","intent":"order_status","tool":"lookup_order","slots":{"order_id":"ORD-45678"}}"#;

    #[test]
    fn parses_a_record() {
        let set = parse_utterances(LINE, "inline").unwrap();
        assert_eq!(set.len(), 1);
        assert_eq!(set[0].lang, Style::Hinglish);
        assert_eq!(set[0].intent, Intent::OrderStatus);
        assert_eq!(set[0].tool, Some(ToolName::LookupOrder));
        assert_eq!(set[0].slots.order_id.as_deref(), Some("ORD-45678"));
        assert!(!set[0].asr);
    }

    #[test]
    fn an_empty_set_is_an_error() {
        assert!(matches!(
            parse_utterances("\n  \n", "inline"),
            Err(DataError::Empty { .. })
        ));
    }

    #[test]
    fn duplicate_ids_are_an_error() {
        let text = format!("{LINE}\n{LINE}\n");
        assert!(matches!(
            parse_utterances(&text, "inline"),
            Err(DataError::DuplicateId { line: 2, .. })
        ));
    }

    #[test]
    fn unknown_fields_intents_and_slot_keys_are_errors() {
        for bad in [
            LINE.replace("order_status", "order_statuss"),
            LINE.replace("\"order_id\"", "\"order\""),
            LINE.replace("lookup_order", "lookup_orders"),
            LINE.replace("\"lang\"", "\"language\""),
        ] {
            assert!(
                matches!(
                    parse_utterances(&bad, "inline"),
                    Err(DataError::Parse { line: 1, .. })
                ),
                "accepted {bad}"
            );
        }
    }
}

#[cfg(test)]
mod validate_tests {
    use super::*;

    #[test]
    fn validate_reports_labels_the_shop_cannot_back() {
        let shop = awaaz_store::demo::shop(chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap());
        let ids: Vec<OrderId> = shop.orders.iter().map(|o| o.id.clone()).collect();
        let line = r#"{"id":"b-1","lang":"en","text":"x","intent":"order_status","tool":"create_ticket","slots":{"order_id":"ORD-99999","product":"Blue Cotton Kurta","colour":"purple","size":"5L","category":"damaged"}}"#;
        let set = parse_utterances(line, "inline").unwrap();
        let problems: Vec<String> = validate(&set, &shop.products, &ids)
            .into_iter()
            .map(|p| p.problem)
            .collect();
        assert_eq!(
            problems,
            [
                "order ORD-99999 is not in the store",
                "colour \"purple\" is not sold for the labelled product",
                "size \"5L\" is not sold for the labelled product",
                "category is labelled on complaints only",
                "create_ticket is never a first tool: the order is read first",
            ]
        );
    }
}
