//! The agent's tools: typed arguments, one JSON Schema per tool generated from
//! them, and [`Tools`], which validates arguments and runs a tool against the
//! store.
//!
//! The same schemas and the same [`Tools::call`] serve the embedded agent, an
//! LLM agent and OpenAI Realtime function calling, so every engine leaves the
//! same records behind.
//!
//! ```text
//!  name + JSON arguments ──▶ Tools::call ──▶ serde (deny unknown fields) ──▶ typed helper
//!                                                     │ invalid: ok=false, result.error
//!  typed arguments ──▶ Tools::lookup_order / … ───────┴──▶ dyn Store ──▶ ToolRun { outcome, value }
//! ```
//!
//! Results are JSON objects written to be read by an LLM and by the reply
//! templates alike: machine fields (`status`, `price_paise`) next to
//! ready-made text (`price`, `summary`). A failed call always has
//! `{"ok": false, "error": "..."}`.

mod catalog;
mod run;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use catalog::{normalize_colour, normalize_size};
pub use run::{
    Alternative, AlternativeReason, Availability, AvailabilityAnswer, OrderLookup, SmsQueued,
    TicketCreated, ToolContext, ToolError, ToolRun, ToolSchema, Tools, TransferRequested,
};

/// `lookup_order`: find an order by its number, or the caller's recent orders
/// by phone number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupOrderArgs {
    /// Order number as the caller said it, e.g. `ORD-45678` or `45678`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Phone number the order was placed with, e.g. `+919812345678`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// `check_product_availability`: is a product (optionally a colour and size)
/// in stock; suggests close alternatives when it is not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckProductAvailabilityArgs {
    /// Product name or type, e.g. `cotton kurta`, `pressure cooker`.
    pub product: String,
    /// Colour in English, e.g. `blue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<String>,
    /// Size, e.g. `M`, `XL`, `5L`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
}

/// What a complaint is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintCategory {
    /// The item arrived damaged.
    Damaged,
    /// A different item arrived.
    WrongItem,
    /// Something is missing, or the parcel never came.
    MissingItem,
    /// A refund has not been received.
    RefundNotReceived,
    /// The caller wants to return the item.
    ReturnRequest,
    /// The caller wants to cancel the order.
    CancellationRequest,
    /// The caller wants the delivery address changed.
    AddressChange,
    /// The parcel is late.
    DeliveryDelay,
    /// Anything else.
    Other,
}

/// `create_ticket`: open a support ticket about an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicketArgs {
    /// The order the complaint is about, e.g. `ORD-45678`.
    pub order_id: String,
    /// What the complaint is about.
    pub category: ComplaintCategory,
    /// A short summary of the problem in the caller's words.
    pub description: String,
}

/// `transfer_to_human`: hand the call to a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferToHumanArgs {
    /// Why the caller needs a person.
    pub reason: String,
}

/// `send_sms`: text the caller a confirmation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendSmsArgs {
    /// The message, at most 320 characters.
    pub message: String,
    /// Recipient; defaults to the caller's number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

impl From<ComplaintCategory> for awaaz_store::TicketCategory {
    fn from(c: ComplaintCategory) -> Self {
        match c {
            ComplaintCategory::Damaged => Self::Damaged,
            ComplaintCategory::WrongItem => Self::WrongItem,
            ComplaintCategory::MissingItem => Self::MissingItem,
            ComplaintCategory::RefundNotReceived => Self::RefundNotReceived,
            ComplaintCategory::ReturnRequest => Self::ReturnRequest,
            ComplaintCategory::CancellationRequest => Self::CancellationRequest,
            ComplaintCategory::AddressChange => Self::AddressChange,
            ComplaintCategory::DeliveryDelay => Self::DeliveryDelay,
            ComplaintCategory::Other => Self::Other,
        }
    }
}

impl From<awaaz_store::TicketCategory> for ComplaintCategory {
    fn from(c: awaaz_store::TicketCategory) -> Self {
        use awaaz_store::TicketCategory as T;
        match c {
            T::Damaged => Self::Damaged,
            T::WrongItem => Self::WrongItem,
            T::MissingItem => Self::MissingItem,
            T::RefundNotReceived => Self::RefundNotReceived,
            T::ReturnRequest => Self::ReturnRequest,
            T::CancellationRequest => Self::CancellationRequest,
            T::AddressChange => Self::AddressChange,
            T::DeliveryDelay => Self::DeliveryDelay,
            T::Other => Self::Other,
        }
    }
}

#[cfg(test)]
mod tests;
