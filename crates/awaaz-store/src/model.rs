//! Domain records shared by every store implementation.
//!
//! These are plain data: no sea-orm types leak out of this crate. Money is
//! kept in paise (`i64`) so sums are exact; times are UTC.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A phone number as the carrier or the customer record gives it, in E.164
/// form where possible (`+919812345678`).
///
/// Personal data: its `Debug` and `Display` show only the last two digits, so
/// it can never leak whole into a log line by accident. Use
/// [`PhoneNumber::as_str`] where the full number is really needed.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Wraps a number, normalising Indian forms (`98123 45678`, `098123…`,
    /// `+91-98123-45678`) to E.164 (`+919812345678`).
    pub fn new(raw: &str) -> Self {
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        let e164 = match digits.len() {
            10 => format!("+91{digits}"),
            11 if digits.starts_with('0') => format!("+91{}", &digits[1..]),
            12 if digits.starts_with("91") => format!("+{digits}"),
            _ if raw.trim_start().starts_with('+') => format!("+{digits}"),
            _ => digits,
        };
        Self(e164)
    }

    /// The full number. Never log it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number masked for logs and screens: `+91******78`.
    pub fn masked(&self) -> String {
        let n = self.0.chars().count();
        self.0
            .chars()
            .enumerate()
            .map(|(i, c)| if i < 3 || i + 2 >= n { c } else { '*' })
            .collect()
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// A human-readable order id such as `ORD-45678`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderId(pub String);

impl OrderId {
    /// Builds `ORD-<number>`.
    pub fn from_number(n: u32) -> Self {
        Self(format!("ORD-{n}"))
    }

    /// The numeric part (`45678` for `ORD-45678`), if there is one.
    pub fn number(&self) -> Option<u32> {
        self.0.rsplit('-').next().and_then(|d| d.parse().ok())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A readable ticket id such as `TKT-10234`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TicketId(pub String);

impl fmt::Display for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The id of a call or text conversation (a UUID in text form).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CallId(pub String);

impl CallId {
    /// A fresh, time-ordered id.
    pub fn new_v7() -> Self {
        Self(uuid::Uuid::now_v7().to_string())
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A customer of the shop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// Store key.
    pub id: i64,
    /// Full name (personal data).
    pub name: String,
    /// Phone number (personal data).
    pub phone: PhoneNumber,
    /// E-mail address (personal data).
    pub email: Option<String>,
    /// City, for reading back addresses.
    pub city: String,
    /// Default delivery address (personal data).
    pub address: String,
}

/// One sellable variant of a product (a colour and/or size).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    /// Store key.
    pub id: i64,
    /// Stock-keeping unit, unique.
    pub sku: String,
    /// Colour in English, lower case (`blue`), if the product has colours.
    pub colour: Option<String>,
    /// Size label (`M`, `XL`, `5L`, `128GB`), if the product has sizes.
    pub size: Option<String>,
    /// Units in stock; 0 means out of stock.
    pub stock: u32,
    /// Selling price in paise.
    pub price_paise: i64,
}

/// A product with its variants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    /// Store key.
    pub id: i64,
    /// Display name in English (`Blue Cotton Kurta`).
    pub name: String,
    /// Category key (`ethnic_wear`, `electronics`, `home_kitchen`, …).
    pub category: String,
    /// The product type a caller names (`kurta`, `pressure cooker`).
    pub kind: String,
    /// Other names callers use: Hindi in Devanagari and romanised,
    /// common mishearings (`kurti`, `कुर्ता`, `curtain`).
    pub aliases: Vec<String>,
    /// Brand, if any.
    pub brand: Option<String>,
    /// One-line description.
    pub description: String,
    /// The variants; never empty.
    pub variants: Vec<Variant>,
}

impl Product {
    /// Units in stock over all variants.
    pub fn total_stock(&self) -> u32 {
        self.variants.iter().map(|v| v.stock).sum()
    }

    /// The lowest price over all variants, in paise.
    pub fn min_price_paise(&self) -> i64 {
        self.variants
            .iter()
            .map(|v| v.price_paise)
            .min()
            .unwrap_or(0)
    }
}

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Paid and accepted, not yet packed.
    Placed,
    /// Packed at the warehouse, waiting for the courier.
    Packed,
    /// With the courier.
    Shipped,
    /// With the delivery agent today.
    OutForDelivery,
    /// Delivered to the customer.
    Delivered,
    /// Cancelled before delivery.
    Cancelled,
    /// Returned by the customer.
    Returned,
    /// Refund started, money not yet back.
    RefundInitiated,
    /// Refund paid out.
    RefundCompleted,
}

impl OrderStatus {
    /// Every status, in life-cycle order.
    pub const ALL: [Self; 9] = [
        Self::Placed,
        Self::Packed,
        Self::Shipped,
        Self::OutForDelivery,
        Self::Delivered,
        Self::Cancelled,
        Self::Returned,
        Self::RefundInitiated,
        Self::RefundCompleted,
    ];

    /// The snake_case key used in the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Placed => "placed",
            Self::Packed => "packed",
            Self::Shipped => "shipped",
            Self::OutForDelivery => "out_for_delivery",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
            Self::Returned => "returned",
            Self::RefundInitiated => "refund_initiated",
            Self::RefundCompleted => "refund_completed",
        }
    }

    /// Parses the key written by [`OrderStatus::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether the order can still be cancelled without a return.
    pub fn is_cancellable(self) -> bool {
        matches!(self, Self::Placed | Self::Packed)
    }

    /// Whether the parcel has not reached the customer yet.
    pub fn is_in_transit(self) -> bool {
        matches!(
            self,
            Self::Placed | Self::Packed | Self::Shipped | Self::OutForDelivery
        )
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderItem {
    /// The product bought.
    pub product_id: i64,
    /// The variant bought.
    pub variant_id: i64,
    /// Product name at the time of purchase.
    pub product_name: String,
    /// Colour of the variant, if any.
    pub colour: Option<String>,
    /// Size of the variant, if any.
    pub size: Option<String>,
    /// Units bought.
    pub quantity: u32,
    /// Price per unit in paise.
    pub unit_price_paise: i64,
}

/// An order with its lines and delivery details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// Human id, `ORD-45678`.
    pub id: OrderId,
    /// The customer who placed it.
    pub customer_id: i64,
    /// Customer name (personal data).
    pub customer_name: String,
    /// Customer phone (personal data).
    pub customer_phone: PhoneNumber,
    /// Current status.
    pub status: OrderStatus,
    /// Lines; never empty.
    pub items: Vec<OrderItem>,
    /// Total charged, in paise.
    pub total_paise: i64,
    /// `upi`, `card`, `cod`, `netbanking`, `wallet`.
    pub payment_method: String,
    /// When the order was placed.
    pub placed_at: DateTime<Utc>,
    /// Promised delivery date (for undelivered orders).
    pub expected_delivery: Option<NaiveDate>,
    /// When it was delivered, if it was.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Courier name (`Delhivery`, `Blue Dart`, …), once shipped.
    pub courier: Option<String>,
    /// Courier tracking number, once shipped.
    pub tracking_number: Option<String>,
    /// Delivery address (personal data).
    pub delivery_address: String,
    /// Delivery city.
    pub delivery_city: String,
    /// Refund amount in paise, for refunded orders.
    pub refund_paise: Option<i64>,
    /// Last change of status.
    pub updated_at: DateTime<Utc>,
}

/// Filter for listing orders.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderFilter {
    /// Only orders in this status.
    pub status: Option<OrderStatus>,
    /// Only this customer's orders.
    pub customer_phone: Option<PhoneNumber>,
    /// Page size (defaults to 50, at most 500).
    pub limit: Option<u64>,
    /// Rows to skip.
    pub offset: Option<u64>,
}

/// How a call reached awaaz.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A text conversation (HTTP API or `awaaz chat`).
    Text,
    /// The browser softphone.
    Web,
    /// A Twilio phone call.
    Twilio,
    /// An Exotel phone call.
    Exotel,
    /// A Plivo phone call.
    Plivo,
    /// A simulated call from a WAV file.
    Simulated,
}

impl Channel {
    /// The snake_case key.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Web => "web",
            Self::Twilio => "twilio",
            Self::Exotel => "exotel",
            Self::Plivo => "plivo",
            Self::Simulated => "simulated",
        }
    }

    /// Parses the key written by [`Channel::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Text,
            Self::Web,
            Self::Twilio,
            Self::Exotel,
            Self::Plivo,
            Self::Simulated,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// A call or conversation to be recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewCall {
    /// Id chosen by the caller of the store (see [`CallId::new_v7`]).
    pub id: CallId,
    /// How it arrived.
    pub channel: Channel,
    /// The caller's number, when known (personal data).
    pub caller: Option<PhoneNumber>,
    /// The carrier's own id for the call (Twilio `CallSid`, …).
    pub carrier_call_id: Option<String>,
    /// When it started.
    pub started_at: DateTime<Utc>,
}

/// A stored call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Call {
    /// Id.
    pub id: CallId,
    /// How it arrived.
    pub channel: Channel,
    /// The caller's number, when known (personal data).
    pub caller: Option<PhoneNumber>,
    /// The carrier's own id.
    pub carrier_call_id: Option<String>,
    /// `active`, `completed`, `transferred`, `failed`, or a carrier status.
    pub status: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// Number of turns stored.
    pub turn_count: u32,
}

/// Who spoke a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    /// The person calling.
    Caller,
    /// awaaz.
    Agent,
}

impl Speaker {
    /// The snake_case key.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Caller => "caller",
            Self::Agent => "agent",
        }
    }

    /// Parses the key written by [`Speaker::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Caller, Self::Agent]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// Per-turn timings, in milliseconds since the call started. All optional:
/// a text conversation has no audio stages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnLatency {
    /// The caller stopped speaking.
    pub speech_end_ms: Option<u64>,
    /// The final transcript was ready.
    pub transcript_ready_ms: Option<u64>,
    /// The agent's reply text was ready.
    pub reply_ready_ms: Option<u64>,
    /// The first byte of reply audio left awaaz.
    pub first_audio_ms: Option<u64>,
    /// End of caller speech → first reply audio byte.
    pub voice_to_voice_ms: Option<u64>,
    /// Time the agent took to think (understanding + tools + reply), in µs.
    pub agent_us: Option<u64>,
}

/// A turn to append to a call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewTurn {
    /// The call.
    pub call_id: CallId,
    /// Who spoke.
    pub speaker: Speaker,
    /// What was said (personal data).
    pub text: String,
    /// `en`, `hi`, `hinglish`, when known.
    pub language: Option<String>,
    /// When the turn started.
    pub started_at: DateTime<Utc>,
    /// When the turn ended.
    pub ended_at: DateTime<Utc>,
    /// Timings.
    pub latency: TurnLatency,
    /// The agent's turn was cut short by the caller.
    pub interrupted: bool,
}

/// A stored turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    /// Store key.
    pub id: i64,
    /// Position in the call, from 0.
    pub seq: u32,
    /// Who spoke.
    pub speaker: Speaker,
    /// What was said (personal data).
    pub text: String,
    /// `en`, `hi`, `hinglish`.
    pub language: Option<String>,
    /// When the turn started.
    pub started_at: DateTime<Utc>,
    /// When the turn ended.
    pub ended_at: DateTime<Utc>,
    /// Timings.
    pub latency: TurnLatency,
    /// The agent's turn was cut short by the caller.
    pub interrupted: bool,
}

/// A tool call to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewToolCall {
    /// The call.
    pub call_id: CallId,
    /// The agent turn it belongs to, when stored.
    pub turn_id: Option<i64>,
    /// Tool name (`lookup_order`).
    pub name: String,
    /// Arguments as JSON (personal data).
    pub arguments: serde_json::Value,
    /// Result as JSON (personal data).
    pub result: serde_json::Value,
    /// Whether the tool reported success.
    pub ok: bool,
    /// How long it took.
    pub duration_us: u64,
    /// When it ran.
    pub created_at: DateTime<Utc>,
}

/// A stored tool call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// Store key.
    pub id: i64,
    /// The agent turn it belongs to.
    pub turn_id: Option<i64>,
    /// Tool name.
    pub name: String,
    /// Arguments.
    pub arguments: serde_json::Value,
    /// Result.
    pub result: serde_json::Value,
    /// Success.
    pub ok: bool,
    /// Duration.
    pub duration_us: u64,
    /// When it ran.
    pub created_at: DateTime<Utc>,
}

/// A call with everything recorded about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallDetail {
    /// The call.
    pub call: Call,
    /// Turns in order.
    pub turns: Vec<Turn>,
    /// Tool calls in order.
    pub tool_calls: Vec<ToolCall>,
    /// Token usage and cost of the call's speech-to-speech model session
    /// (realtime engine only; `None` for cascade calls and text chats).
    #[serde(default)]
    pub usage: Option<CallUsage>,
}

/// What a call's model session used and cost, summed over the call (the
/// realtime engine records it when the call ends).
///
/// Cached tokens are a subset of input tokens; audio tokens are a subset of
/// input or output tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CallUsage {
    /// All input tokens, cached included.
    pub input_tokens: u64,
    /// All output tokens.
    pub output_tokens: u64,
    /// Input tokens that were audio.
    pub audio_in_tokens: u64,
    /// Output tokens that were audio.
    pub audio_out_tokens: u64,
    /// Input tokens served from the cache.
    pub cached_tokens: u64,
    /// Estimated cost in US dollars (configured list prices).
    pub cost_usd: f64,
    /// The same cost in Indian rupees (configured exchange rate).
    pub cost_inr: f64,
    /// Errors the model service reported during the call (benign races not
    /// counted).
    pub model_errors: u64,
}

/// What a ticket is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketCategory {
    /// The item arrived damaged.
    Damaged,
    /// A different item arrived.
    WrongItem,
    /// Something is missing from the parcel, or it never came.
    MissingItem,
    /// A refund was promised but has not arrived.
    RefundNotReceived,
    /// The caller wants to return the item.
    ReturnRequest,
    /// The caller wants to cancel.
    CancellationRequest,
    /// The caller wants the delivery address changed.
    AddressChange,
    /// The parcel is late.
    DeliveryDelay,
    /// Anything else.
    Other,
}

impl TicketCategory {
    /// Every category.
    pub const ALL: [Self; 9] = [
        Self::Damaged,
        Self::WrongItem,
        Self::MissingItem,
        Self::RefundNotReceived,
        Self::ReturnRequest,
        Self::CancellationRequest,
        Self::AddressChange,
        Self::DeliveryDelay,
        Self::Other,
    ];

    /// The snake_case key.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Damaged => "damaged",
            Self::WrongItem => "wrong_item",
            Self::MissingItem => "missing_item",
            Self::RefundNotReceived => "refund_not_received",
            Self::ReturnRequest => "return_request",
            Self::CancellationRequest => "cancellation_request",
            Self::AddressChange => "address_change",
            Self::DeliveryDelay => "delivery_delay",
            Self::Other => "other",
        }
    }

    /// Parses the key written by [`TicketCategory::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// How urgent a ticket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketPriority {
    /// Can wait.
    Low,
    /// Normal.
    Normal,
    /// Money or an angry customer is involved.
    High,
    /// Needs a person today.
    Urgent,
}

impl TicketPriority {
    /// The snake_case key.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Normal => "normal",
            Self::High => "high",
            Self::Urgent => "urgent",
        }
    }

    /// Parses the key written by [`TicketPriority::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Low, Self::Normal, Self::High, Self::Urgent]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// A ticket to open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewTicket {
    /// The order it is about, if any.
    pub order_id: Option<OrderId>,
    /// The call that raised it, if any.
    pub call_id: Option<CallId>,
    /// The customer, if known.
    pub customer_id: Option<i64>,
    /// What it is about.
    pub category: TicketCategory,
    /// How urgent.
    pub priority: TicketPriority,
    /// The caller's words, summarised (personal data).
    pub description: String,
    /// When it was raised.
    pub created_at: DateTime<Utc>,
}

/// A stored ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// Readable id, `TKT-10234`, assigned by the store.
    pub id: TicketId,
    /// The order it is about.
    pub order_id: Option<OrderId>,
    /// The call that raised it.
    pub call_id: Option<CallId>,
    /// The customer.
    pub customer_id: Option<i64>,
    /// What it is about.
    pub category: TicketCategory,
    /// How urgent.
    pub priority: TicketPriority,
    /// `open`, `in_progress`, `resolved`, `closed`.
    pub status: String,
    /// Description (personal data).
    pub description: String,
    /// When it was raised.
    pub created_at: DateTime<Utc>,
}

/// Filter for listing tickets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketFilter {
    /// Only tickets about this order.
    pub order_id: Option<OrderId>,
    /// Only tickets raised in this call.
    pub call_id: Option<CallId>,
    /// Only this status.
    pub status: Option<String>,
    /// Page size (defaults to 50, at most 500).
    pub limit: Option<u64>,
    /// Rows to skip.
    pub offset: Option<u64>,
}

/// A request to hand a call to a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewTransfer {
    /// The call.
    pub call_id: CallId,
    /// Why (`caller_asked`, `angry`, `not_understood`, or free text).
    pub reason: String,
    /// Where to (number or SIP address), when known.
    pub target: Option<String>,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
}

/// A stored transfer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transfer {
    /// Store key.
    pub id: i64,
    /// The call.
    pub call_id: CallId,
    /// Why.
    pub reason: String,
    /// Where to.
    pub target: Option<String>,
    /// `requested`, `connected`, `failed`.
    pub status: String,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
}

/// State of an outgoing SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsStatus {
    /// Waiting to be sent.
    Queued,
    /// Accepted by the carrier.
    Sent,
    /// Gave up after retries.
    Failed,
}

impl SmsStatus {
    /// The snake_case key.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    /// Parses the key written by [`SmsStatus::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Queued, Self::Sent, Self::Failed]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// An SMS to queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSms {
    /// The call that asked for it, if any.
    pub call_id: Option<CallId>,
    /// Recipient (personal data).
    pub to: PhoneNumber,
    /// Text (personal data).
    pub body: String,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
}

/// A stored SMS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sms {
    /// Store key.
    pub id: i64,
    /// The call that asked for it.
    pub call_id: Option<CallId>,
    /// Recipient (personal data).
    pub to: PhoneNumber,
    /// Text (personal data).
    pub body: String,
    /// Delivery state.
    pub status: SmsStatus,
    /// Send attempts so far.
    pub attempts: u32,
    /// Last failure, if any.
    pub last_error: Option<String>,
    /// Carrier message id once sent.
    pub provider_id: Option<String>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
}
