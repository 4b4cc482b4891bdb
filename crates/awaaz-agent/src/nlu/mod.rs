//! Understanding: what the caller wants (intent) and the details they gave
//! (slots), matched against what the store actually holds.

use awaaz_store::{OrderId, TicketCategory};
use serde::{Deserialize, Serialize};

use crate::text::Normalized;
use crate::Language;

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
