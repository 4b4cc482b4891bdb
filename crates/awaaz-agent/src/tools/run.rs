//! Running tools: validation, the store work, result JSON and records.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Instant;

use awaaz_store::{
    CallId, NewSms, NewTicket, NewToolCall, NewTransfer, Order, OrderFilter, OrderId, PhoneNumber,
    Product, Store, StoreError, TicketCategory, TicketId, TicketPriority,
};
use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::catalog::{normalize_colour, normalize_size, Catalog};
use super::{
    CheckProductAvailabilityArgs, CreateTicketArgs, LookupOrderArgs, SendSmsArgs,
    TransferToHumanArgs,
};
use crate::reply::format_rupees;
use crate::ToolCallOutcome;

/// The longest SMS body accepted (two concatenated GSM segments).
const MAX_SMS_CHARS: usize = 320;
/// How many recent orders a phone lookup returns.
const RECENT_ORDERS: u64 = 5;
/// Stock at or below this is "only a few left".
const FEW_LEFT: u32 = 5;
/// Alternatives offered for an unavailable product.
const MAX_ALTERNATIVES: usize = 4;

/// A tool as an LLM or a Realtime session sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolSchema {
    /// Function name (`lookup_order`).
    pub name: String,
    /// What the tool does and when to use it.
    pub description: String,
    /// JSON Schema of the arguments: an inline object schema with
    /// `properties`, `required` and `additionalProperties: false`.
    pub parameters: Value,
}

/// Who is asking, and when.
#[derive(Debug, Clone)]
pub struct ToolContext {
    /// The call the tool runs in (tickets, transfers and SMS link to it).
    pub call_id: CallId,
    /// The caller's number, when the carrier gave one.
    pub caller: Option<PhoneNumber>,
    /// The time of the call; "today" for delivery dates is its UTC date.
    pub now: DateTime<Utc>,
    /// Record the call with `record_tool_call` as it runs. Agents whose
    /// replies carry their tool calls leave this off, because the
    /// conversation layer records those with the agent turn's id; a
    /// Realtime session's function calls have no reply to carry them.
    pub record: bool,
}

impl ToolContext {
    fn today(&self) -> NaiveDate {
        self.now.date_naive()
    }
}

/// Why a tool did not do its job.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ToolError {
    /// No tool has this name.
    #[error("unknown tool {name:?}")]
    UnknownTool {
        /// The name asked for.
        name: String,
    },
    /// The arguments do not fit the tool's schema or make no sense.
    #[error("invalid arguments: {reason}")]
    InvalidArguments {
        /// What is wrong, for the model or the developer to fix.
        reason: String,
    },
    /// The request is well-formed but cannot be done (unknown order).
    #[error("{reason}")]
    Rejected {
        /// Why.
        reason: String,
    },
    /// The store failed.
    #[error("store failed")]
    Store(#[from] StoreError),
}

impl ToolError {
    fn code(&self) -> &'static str {
        match self {
            Self::UnknownTool { .. } => "unknown_tool",
            Self::InvalidArguments { .. } => "invalid_arguments",
            Self::Rejected { .. } => "rejected",
            Self::Store(_) => "store_error",
        }
    }
}

/// One tool run: what to record and show, and the typed value for code that
/// acts on it.
#[derive(Debug)]
pub struct ToolRun<T> {
    /// Name, arguments, JSON result, success and duration.
    pub outcome: ToolCallOutcome,
    /// The typed result, or why there is none.
    pub value: Result<T, ToolError>,
}

/// What `lookup_order` found.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderLookup {
    /// The order asked for.
    Found(Box<Order>),
    /// The recent orders of a phone number, newest first (may be empty).
    ByPhone(Vec<Order>),
    /// No order has this number.
    NotFound {
        /// The id that was looked for.
        id: OrderId,
        /// Real ids one or two digits away, nearest first.
        suggestions: Vec<OrderId>,
    },
}

/// Why an alternative is offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlternativeReason {
    /// Same product and size, another colour.
    OtherColour,
    /// Same product and colour, another size.
    OtherSize,
    /// Same product, another colour and size.
    OtherVariant,
    /// Another product of the same kind.
    SimilarProduct,
}

/// An in-stock option close to what was asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alternative {
    /// Product id.
    pub product_id: i64,
    /// Product name.
    pub name: String,
    /// Colour, if the product has colours.
    pub colour: Option<String>,
    /// Size, if the product has sizes.
    pub size: Option<String>,
    /// Price in paise.
    pub price_paise: i64,
    /// Price as text (`₹1,499`).
    pub price: String,
    /// Units in stock.
    pub stock: u32,
    /// Why it is offered.
    pub reason: AlternativeReason,
}

/// Stock of a matched product.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Availability {
    /// Product id.
    pub product_id: i64,
    /// Product name.
    pub name: String,
    /// Product kind (`kurta`).
    pub kind: String,
    /// The colour asked for, as the store writes colours.
    pub colour: Option<String>,
    /// The size asked for, as the store writes sizes.
    pub size: Option<String>,
    /// The product is sold in the colour and size asked for.
    pub variant_exists: bool,
    /// It is in stock.
    pub in_stock: bool,
    /// Units in stock (of the variant asked for, or of the whole product).
    pub stock: u32,
    /// `in_stock`, `only_a_few_left` or `out_of_stock`.
    pub stock_level: &'static str,
    /// Price of the variant asked for, or the lowest in-stock price.
    pub price_paise: i64,
    /// Price as text (`₹1,499`); "from" prices when several variants match.
    pub price: String,
    /// Several variants match, and `price` is the lowest of them.
    pub price_is_from: bool,
    /// Colours in stock in the size asked for (any size when none).
    pub colours_in_stock: Vec<String>,
    /// Sizes in stock in the colour asked for (any colour when none).
    pub sizes_in_stock: Vec<String>,
    /// Close in-stock options when this one is not available.
    pub alternatives: Vec<Alternative>,
}

/// What `check_product_availability` found.
#[derive(Debug, Clone, PartialEq)]
pub enum AvailabilityAnswer {
    /// The product was found.
    Found(Box<Availability>),
    /// The shop does not sell anything like it.
    NotSold {
        /// What was asked for.
        query: String,
        /// Names of the closest products, if any are somewhat close.
        suggestions: Vec<String>,
    },
}

/// A ticket opened by `create_ticket`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketCreated {
    /// Readable id (`TKT-10001`).
    pub ticket_id: TicketId,
    /// The order.
    pub order_id: OrderId,
    /// Category.
    pub category: TicketCategory,
    /// Priority chosen from the category.
    pub priority: TicketPriority,
    /// Working hours within which the team replies.
    pub response_hours: u32,
}

/// A transfer recorded by `transfer_to_human`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransferRequested {
    /// Store id of the transfer.
    pub transfer_id: i64,
    /// Why.
    pub reason: String,
}

/// An SMS queued by `send_sms`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SmsQueued {
    /// Store id of the message.
    pub sms_id: i64,
    /// Recipient, masked.
    pub to: String,
    /// Characters in the body.
    pub characters: usize,
}

/// The tools, bound to a store.
pub struct Tools {
    store: Arc<dyn Store>,
    /// Product names, indexed on first use; stock is always read fresh.
    catalog: RwLock<Option<Arc<Catalog>>>,
}

impl std::fmt::Debug for Tools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tools").finish_non_exhaustive()
    }
}

/// Tool names, in the order [`Tools::schemas`] lists them.
const LOOKUP_ORDER: &str = "lookup_order";
const CHECK_PRODUCT: &str = "check_product_availability";
const CREATE_TICKET: &str = "create_ticket";
const TRANSFER: &str = "transfer_to_human";
const SEND_SMS: &str = "send_sms";

fn schema_for<T: JsonSchema>(name: &str, description: &str) -> ToolSchema {
    let settings = schemars::generate::SchemaSettings::draft2020_12().with(|s| {
        s.inline_subschemas = true;
        s.meta_schema = None;
    });
    let mut value = settings
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value();
    openai_compatible(&mut value, true);
    ToolSchema {
        name: name.to_owned(),
        description: description.to_owned(),
        parameters: value,
    }
}

/// Rewrites a schemars schema into the subset function-calling APIs accept:
/// no `$schema`/`title`, enums of documented unit variants (`oneOf` of
/// `const`s) as a plain `enum`, and every object closed with a `required`
/// list.
fn openai_compatible(value: &mut Value, root: bool) {
    let Value::Object(map) = value else { return };
    map.remove("$schema");
    if root {
        map.remove("title");
        map.remove("description");
    }
    if let Some(Value::Array(options)) = map.get("oneOf") {
        let consts: Option<Vec<(Value, Option<String>)>> = options
            .iter()
            .map(|o| {
                let c = o.get("const")?.clone();
                let d = o
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                Some((c, d))
            })
            .collect();
        if let Some(consts) = consts {
            map.remove("oneOf");
            let docs: Vec<String> = consts
                .iter()
                .filter_map(|(c, d)| {
                    Some(format!(
                        "{}: {}",
                        c.as_str()?,
                        d.as_deref()?.trim_end_matches('.')
                    ))
                })
                .collect();
            map.insert("type".into(), json!("string"));
            map.insert(
                "enum".into(),
                Value::Array(consts.into_iter().map(|(c, _)| c).collect()),
            );
            if !docs.is_empty() {
                let base = map
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                let joined = docs.join("; ");
                let text = if base.is_empty() {
                    joined
                } else {
                    format!("{base} ({joined})")
                };
                map.insert("description".into(), Value::String(text));
            }
        }
    }
    if map.get("type") == Some(&json!("object")) {
        map.entry("required").or_insert_with(|| json!([]));
        map.insert("additionalProperties".into(), json!(false));
    }
    for (key, child) in map.iter_mut() {
        match key.as_str() {
            "properties" => {
                if let Value::Object(props) = child {
                    for p in props.values_mut() {
                        openai_compatible(p, false);
                    }
                }
            }
            "items" | "anyOf" | "oneOf" | "allOf" => match child {
                Value::Array(xs) => xs.iter_mut().for_each(|x| openai_compatible(x, false)),
                other => openai_compatible(other, false),
            },
            _ => {}
        }
    }
}

fn micros_since(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX)
}

fn failure_json(e: &ToolError) -> Value {
    json!({ "ok": false, "error": e.to_string(), "code": e.code() })
}

/// Parses an order id said any way (`ORD-45678`, `45678`, `ord 45678`,
/// `order number four five six seven eight`).
pub(crate) fn parse_order_id(raw: &str) -> Option<OrderId> {
    let typed: String = raw.chars().filter(char::is_ascii_digit).collect();
    let digits = if typed.is_empty() {
        crate::text::normalize(raw)
            .numbers
            .iter()
            .map(|n| n.digits.as_str())
            .collect::<String>()
    } else {
        typed
    };
    let n: u32 = (3..=9)
        .contains(&digits.len())
        .then(|| digits.parse().ok())
        .flatten()?;
    Some(OrderId::from_number(n))
}

/// Edit distance between two digit strings (insertions, deletions,
/// substitutions and swaps of neighbours: the ways digits get misheard).
fn digit_distance(a: &str, b: &str) -> usize {
    strsim::damerau_levenshtein(a, b)
}

/// The ticket priority for a category: money and broken goods first.
pub(crate) fn priority_for(category: TicketCategory) -> TicketPriority {
    match category {
        TicketCategory::Damaged
        | TicketCategory::RefundNotReceived
        | TicketCategory::WrongItem
        | TicketCategory::MissingItem => TicketPriority::High,
        TicketCategory::DeliveryDelay
        | TicketCategory::CancellationRequest
        | TicketCategory::ReturnRequest
        | TicketCategory::AddressChange => TicketPriority::Normal,
        TicketCategory::Other => TicketPriority::Low,
    }
}

fn response_hours(priority: TicketPriority) -> u32 {
    match priority {
        TicketPriority::Urgent => 4,
        TicketPriority::High => 24,
        TicketPriority::Normal => 48,
        TicketPriority::Low => 72,
    }
}

fn stock_level(stock: u32) -> &'static str {
    match stock {
        0 => "out_of_stock",
        n if n <= FEW_LEFT => "only_a_few_left",
        _ => "in_stock",
    }
}

/// A phone number fit to text: E.164, and for India a 10-digit mobile
/// starting 6-9.
fn valid_mobile(p: &PhoneNumber) -> bool {
    let s = p.as_str();
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    match digits.strip_prefix("91") {
        Some(national) if digits.len() == 12 => national.starts_with(['6', '7', '8', '9']),
        _ => (8..=15).contains(&digits.len()) && !digits.starts_with("91"),
    }
}

/// The JSON view of an order: what an LLM or a template needs to talk about
/// it, without the street address.
pub(crate) fn order_json(order: &Order, today: NaiveDate) -> Value {
    let items: Vec<Value> = order
        .items
        .iter()
        .map(|i| {
            json!({
                "product": i.product_name,
                "colour": i.colour,
                "size": i.size,
                "quantity": i.quantity,
                "unit_price": format_rupees(i.unit_price_paise),
            })
        })
        .collect();
    let expected = order.expected_delivery;
    let late = order.status.is_in_transit() && expected.is_some_and(|d| d < today);
    let mut v = json!({
        "order_id": order.id,
        "status": order.status.as_str(),
        "items": items,
        "total": format_rupees(order.total_paise),
        "total_paise": order.total_paise,
        "payment_method": order.payment_method,
        "placed_on": order.placed_at.date_naive(),
        "delivery_city": order.delivery_city,
        "cancellable": order.status.is_cancellable(),
        "is_late": late,
    });
    let Value::Object(map) = &mut v else { return v };
    if let Some(d) = expected {
        map.insert("expected_delivery".into(), json!(d));
        map.insert("expected_in_days".into(), json!((d - today).num_days()));
    }
    if let Some(d) = order.delivered_at {
        map.insert("delivered_on".into(), json!(d.date_naive()));
    }
    if let Some(c) = &order.courier {
        map.insert("courier".into(), json!(c));
    }
    if let Some(t) = &order.tracking_number {
        map.insert("tracking_number".into(), json!(t));
    }
    if let Some(r) = order.refund_paise {
        map.insert("refund".into(), json!(format_rupees(r)));
        map.insert("refund_paise".into(), json!(r));
        map.insert(
            "refund_updated_on".into(),
            json!(order.updated_at.date_naive()),
        );
    }
    v
}

impl Tools {
    /// Tools over `store`. The product index is built on first use.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            catalog: RwLock::new(None),
        }
    }

    /// Tools over `store` with the product index built from `products` now,
    /// so no turn pays for it.
    pub fn with_products(store: Arc<dyn Store>, products: &[Product]) -> Self {
        Self {
            store,
            catalog: RwLock::new(Some(Arc::new(Catalog::new(products)))),
        }
    }

    /// The store the tools act on.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Forgets the product index; the next availability check rebuilds it
    /// (after products were added or renamed).
    pub fn refresh_catalog(&self) {
        *self.catalog.write().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Every tool's name, description and argument schema, for LLM and
    /// Realtime function calling.
    pub fn schemas() -> Vec<ToolSchema> {
        vec![
            schema_for::<LookupOrderArgs>(
                LOOKUP_ORDER,
                "Look up an order by its number (any form: ORD-45678, 45678) to get its status, items, \
                 delivery date, courier and refund; or, with only a phone number, list that customer's \
                 recent orders. Unknown numbers return found=false with the nearest real order ids.",
            ),
            schema_for::<CheckProductAvailabilityArgs>(
                CHECK_PRODUCT,
                "Check whether a product (optionally a colour and size) is in stock, with its price. \
                 When it is not available, returns close in-stock alternatives.",
            ),
            schema_for::<CreateTicketArgs>(
                CREATE_TICKET,
                "Open a support ticket about an existing order (damaged, wrong or missing item, refund not \
                 received, return, cancellation, address change, late delivery). Returns the ticket id to \
                 read back to the caller.",
            ),
            schema_for::<TransferToHumanArgs>(
                TRANSFER,
                "Hand the call to a human agent: when the caller asks for a person, is upset, or the \
                 request cannot be handled.",
            ),
            schema_for::<SendSmsArgs>(
                SEND_SMS,
                "Send the caller a text message (for example a ticket number or order status). Sent to \
                 the caller's number unless another is given.",
            ),
        ]
    }

    /// Runs the tool `name` with JSON `arguments`. Never panics and never
    /// fails: bad input gives `ok = false` and a `result` of
    /// `{"ok": false, "error", "code"}`.
    pub async fn call(&self, name: &str, arguments: Value, ctx: &ToolContext) -> ToolCallOutcome {
        let start = Instant::now();
        // An LLM may send the arguments as a JSON string, as the OpenAI
        // APIs do on the wire.
        let arguments = match arguments {
            Value::String(s) => match serde_json::from_str::<Value>(&s) {
                Ok(v) => v,
                Err(e) => {
                    let err = ToolError::InvalidArguments {
                        reason: format!("arguments are not JSON: {e}"),
                    };
                    return self
                        .finish(name, Value::String(s), Err(err), start, ctx)
                        .await;
                }
            },
            Value::Null => json!({}),
            other => other,
        };
        match name {
            LOOKUP_ORDER => {
                self.dispatch(name, arguments, ctx, start, Self::run_lookup)
                    .await
            }
            CHECK_PRODUCT => {
                self.dispatch(name, arguments, ctx, start, Self::run_availability)
                    .await
            }
            CREATE_TICKET => {
                self.dispatch(name, arguments, ctx, start, Self::run_ticket)
                    .await
            }
            TRANSFER => {
                self.dispatch(name, arguments, ctx, start, Self::run_transfer)
                    .await
            }
            SEND_SMS => {
                self.dispatch(name, arguments, ctx, start, Self::run_sms)
                    .await
            }
            _ => {
                let err = ToolError::UnknownTool {
                    name: name.to_owned(),
                };
                self.finish(name, arguments, Err(err), start, ctx).await
            }
        }
    }

    async fn dispatch<'a, A, F, Fut>(
        &'a self,
        name: &str,
        arguments: Value,
        ctx: &'a ToolContext,
        start: Instant,
        run: F,
    ) -> ToolCallOutcome
    where
        A: DeserializeOwned,
        F: FnOnce(&'a Self, A, &'a ToolContext) -> Fut,
        Fut: std::future::Future<Output = Result<Value, ToolError>> + 'a,
    {
        let result = match serde_json::from_value::<A>(arguments.clone()) {
            Ok(args) => run(self, args, ctx).await,
            Err(e) => Err(ToolError::InvalidArguments {
                reason: e.to_string(),
            }),
        };
        self.finish(name, arguments, result, start, ctx).await
    }

    async fn run_lookup(
        &self,
        args: LookupOrderArgs,
        ctx: &ToolContext,
    ) -> Result<Value, ToolError> {
        let found = self.lookup(&args, ctx).await?;
        Ok(lookup_json(&found, ctx.today()))
    }

    async fn run_availability(
        &self,
        args: CheckProductAvailabilityArgs,
        _ctx: &ToolContext,
    ) -> Result<Value, ToolError> {
        Ok(availability_json(&self.availability(&args).await?))
    }

    async fn run_ticket(
        &self,
        args: CreateTicketArgs,
        ctx: &ToolContext,
    ) -> Result<Value, ToolError> {
        Ok(ticket_json(&self.ticket(&args, ctx).await?))
    }

    async fn run_transfer(
        &self,
        args: TransferToHumanArgs,
        ctx: &ToolContext,
    ) -> Result<Value, ToolError> {
        Ok(transfer_json(&self.transfer(&args, ctx).await?))
    }

    async fn run_sms(&self, args: SendSmsArgs, ctx: &ToolContext) -> Result<Value, ToolError> {
        Ok(sms_json(&self.sms(&args, ctx).await?))
    }

    /// Builds the outcome and records it when asked to.
    async fn finish(
        &self,
        name: &str,
        arguments: Value,
        result: Result<Value, ToolError>,
        start: Instant,
        ctx: &ToolContext,
    ) -> ToolCallOutcome {
        let (result, ok) = match result {
            Ok(v) => (v, true),
            Err(e) => {
                if let ToolError::Store(source) = &e {
                    tracing::warn!(tool = name, error = %source, "tool failed in the store");
                }
                (failure_json(&e), false)
            }
        };
        let outcome = ToolCallOutcome {
            name: name.to_owned(),
            arguments,
            result,
            ok,
            duration_us: micros_since(start),
        };
        self.record(&outcome, ctx).await;
        outcome
    }

    async fn record(&self, outcome: &ToolCallOutcome, ctx: &ToolContext) {
        if !ctx.record {
            return;
        }
        let recorded = self
            .store
            .record_tool_call(NewToolCall {
                call_id: ctx.call_id.clone(),
                turn_id: None,
                name: outcome.name.clone(),
                arguments: outcome.arguments.clone(),
                result: outcome.result.clone(),
                ok: outcome.ok,
                duration_us: outcome.duration_us,
                created_at: ctx.now,
            })
            .await;
        if let Err(e) = recorded {
            // The tool did its work; a missing record must not undo it.
            tracing::warn!(tool = %outcome.name, error = %e, "could not record tool call");
        }
    }

    async fn typed<A: Serialize, T>(
        &self,
        name: &str,
        args: &A,
        ctx: &ToolContext,
        start: Instant,
        value: Result<T, ToolError>,
        to_json: impl FnOnce(&T) -> Value,
    ) -> ToolRun<T> {
        let arguments = serde_json::to_value(args).unwrap_or(Value::Null);
        let result = match &value {
            Ok(v) => Ok(to_json(v)),
            Err(e) => Err(clone_for_json(e)),
        };
        let outcome = self.finish(name, arguments, result, start, ctx).await;
        ToolRun { outcome, value }
    }

    /// `lookup_order` with typed arguments and result.
    pub async fn lookup_order(
        &self,
        args: LookupOrderArgs,
        ctx: &ToolContext,
    ) -> ToolRun<OrderLookup> {
        let start = Instant::now();
        let value = self.lookup(&args, ctx).await;
        let today = ctx.today();
        self.typed(LOOKUP_ORDER, &args, ctx, start, value, |v| {
            lookup_json(v, today)
        })
        .await
    }

    /// `check_product_availability` with typed arguments and result.
    pub async fn check_product_availability(
        &self,
        args: CheckProductAvailabilityArgs,
        ctx: &ToolContext,
    ) -> ToolRun<AvailabilityAnswer> {
        let start = Instant::now();
        let value = self.availability(&args).await;
        self.typed(CHECK_PRODUCT, &args, ctx, start, value, availability_json)
            .await
    }

    /// `create_ticket` with typed arguments and result.
    pub async fn create_ticket(
        &self,
        args: CreateTicketArgs,
        ctx: &ToolContext,
    ) -> ToolRun<TicketCreated> {
        let start = Instant::now();
        let value = self.ticket(&args, ctx).await;
        self.typed(CREATE_TICKET, &args, ctx, start, value, ticket_json)
            .await
    }

    /// `transfer_to_human` with typed arguments and result.
    pub async fn transfer_to_human(
        &self,
        args: TransferToHumanArgs,
        ctx: &ToolContext,
    ) -> ToolRun<TransferRequested> {
        let start = Instant::now();
        let value = self.transfer(&args, ctx).await;
        self.typed(TRANSFER, &args, ctx, start, value, transfer_json)
            .await
    }

    /// `send_sms` with typed arguments and result.
    pub async fn send_sms(&self, args: SendSmsArgs, ctx: &ToolContext) -> ToolRun<SmsQueued> {
        let start = Instant::now();
        let value = self.sms(&args, ctx).await;
        self.typed(SEND_SMS, &args, ctx, start, value, sms_json)
            .await
    }

    async fn lookup(
        &self,
        args: &LookupOrderArgs,
        ctx: &ToolContext,
    ) -> Result<OrderLookup, ToolError> {
        let order_text = args
            .order_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let phone_text = args
            .phone
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        if let Some(raw) = order_text {
            let id = parse_order_id(raw).ok_or_else(|| ToolError::InvalidArguments {
                reason: "order_id must contain the order number, e.g. ORD-45678 or 45678"
                    .to_owned(),
            })?;
            if let Some(order) = self.store.order(&id).await? {
                return Ok(OrderLookup::Found(Box::new(order)));
            }
            let heard = id.number().map(|n| n.to_string()).unwrap_or_default();
            let mut near: Vec<(usize, OrderId)> = self
                .store
                .order_ids()
                .await?
                .into_iter()
                .filter_map(|o| {
                    let d = digit_distance(&heard, &o.number()?.to_string());
                    (d <= 1).then_some((d, o))
                })
                .collect();
            near.sort();
            let suggestions = near.into_iter().take(3).map(|(_, o)| o).collect();
            return Ok(OrderLookup::NotFound { id, suggestions });
        }
        let phone = match phone_text {
            Some(p) => PhoneNumber::new(p),
            None => ctx
                .caller
                .clone()
                .ok_or_else(|| ToolError::InvalidArguments {
                    reason: "give order_id or phone (the caller's number is not known)".to_owned(),
                })?,
        };
        let filter = OrderFilter {
            customer_phone: Some(phone),
            limit: Some(RECENT_ORDERS),
            ..OrderFilter::default()
        };
        Ok(OrderLookup::ByPhone(self.store.orders(&filter).await?))
    }

    async fn catalog(&self) -> Result<Arc<Catalog>, ToolError> {
        if let Some(c) = self
            .catalog
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            return Ok(Arc::clone(c));
        }
        let built = Arc::new(Catalog::new(&self.store.products().await?));
        *self.catalog.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&built));
        Ok(built)
    }

    async fn availability(
        &self,
        args: &CheckProductAvailabilityArgs,
    ) -> Result<AvailabilityAnswer, ToolError> {
        let query = args.product.trim();
        if query.is_empty() {
            return Err(ToolError::InvalidArguments {
                reason: "product must not be empty".to_owned(),
            });
        }
        let colour = args
            .colour
            .as_deref()
            .map(normalize_colour)
            .filter(|c| !c.is_empty());
        let size = args
            .size
            .as_deref()
            .map(normalize_size)
            .filter(|s| !s.is_empty());
        let catalog = self.catalog().await?;
        let hits = catalog.search(query);
        let Some(&(entry, score)) = hits.first() else {
            return Ok(AvailabilityAnswer::NotSold {
                query: query.to_owned(),
                suggestions: Vec::new(),
            });
        };
        if score < 0.6 {
            let suggestions = hits.iter().take(3).map(|(e, _)| e.name.clone()).collect();
            return Ok(AvailabilityAnswer::NotSold {
                query: query.to_owned(),
                suggestions,
            });
        }
        // Several products of the asked-for kind: prefer one that has the
        // colour/size asked for in stock, as a shop assistant would.
        let mut best_id = entry.id;
        let tied: Vec<i64> = hits
            .iter()
            .filter(|(_, s)| (score - s).abs() < 1e-3)
            .map(|(e, _)| e.id)
            .collect();
        if tied.len() > 1 {
            for id in &tied {
                if let Some(p) = self.store.product(*id).await? {
                    if p.variants
                        .iter()
                        .any(|v| v.stock > 0 && variant_fits(v, colour.as_deref(), size.as_deref()))
                    {
                        best_id = *id;
                        break;
                    }
                }
            }
        }
        let Some(product) = self.store.product(best_id).await? else {
            return Ok(AvailabilityAnswer::NotSold {
                query: query.to_owned(),
                suggestions: Vec::new(),
            });
        };
        let mut similar = Vec::new();
        for e in catalog.similar(product.id) {
            if let Some(p) = self.store.product(e.id).await? {
                similar.push(p);
            }
        }
        Ok(AvailabilityAnswer::Found(Box::new(assess(
            &product, colour, size, &similar,
        ))))
    }

    async fn ticket(
        &self,
        args: &CreateTicketArgs,
        ctx: &ToolContext,
    ) -> Result<TicketCreated, ToolError> {
        let id = parse_order_id(&args.order_id).ok_or_else(|| ToolError::InvalidArguments {
            reason: "order_id must contain the order number, e.g. ORD-45678".to_owned(),
        })?;
        let description = args.description.trim();
        if description.is_empty() {
            return Err(ToolError::InvalidArguments {
                reason: "description must not be empty".to_owned(),
            });
        }
        let order = self
            .store
            .order(&id)
            .await?
            .ok_or_else(|| ToolError::Rejected {
                reason: format!("order {id} does not exist"),
            })?;
        let category = TicketCategory::from(args.category);
        let priority = priority_for(category);
        let new = NewTicket {
            order_id: Some(order.id.clone()),
            call_id: Some(ctx.call_id.clone()),
            customer_id: Some(order.customer_id),
            category,
            priority,
            description: description.chars().take(1000).collect(),
            created_at: ctx.now,
        };
        let ticket = match self.store.create_ticket(new.clone()).await {
            // A conversation that is not recorded as a call (a scoring run,
            // a direct API user) still gets its ticket.
            Err(StoreError::NotFound { entity: "call" }) => {
                self.store
                    .create_ticket(NewTicket {
                        call_id: None,
                        ..new
                    })
                    .await?
            }
            other => other?,
        };
        Ok(TicketCreated {
            ticket_id: ticket.id,
            order_id: order.id,
            category,
            priority,
            response_hours: response_hours(priority),
        })
    }

    async fn transfer(
        &self,
        args: &TransferToHumanArgs,
        ctx: &ToolContext,
    ) -> Result<TransferRequested, ToolError> {
        let reason = args.reason.trim();
        if reason.is_empty() {
            return Err(ToolError::InvalidArguments {
                reason: "reason must not be empty".to_owned(),
            });
        }
        let t = self
            .store
            .create_transfer(NewTransfer {
                call_id: ctx.call_id.clone(),
                reason: reason.chars().take(200).collect(),
                target: None,
                created_at: ctx.now,
            })
            .await?;
        Ok(TransferRequested {
            transfer_id: t.id,
            reason: t.reason,
        })
    }

    async fn sms(&self, args: &SendSmsArgs, ctx: &ToolContext) -> Result<SmsQueued, ToolError> {
        let body = args.message.trim();
        let characters = body.chars().count();
        if characters == 0 {
            return Err(ToolError::InvalidArguments {
                reason: "message must not be empty".to_owned(),
            });
        }
        if characters > MAX_SMS_CHARS {
            return Err(ToolError::InvalidArguments {
                reason: format!(
                    "message has {characters} characters; at most {MAX_SMS_CHARS} are allowed"
                ),
            });
        }
        let to = match args.to.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => PhoneNumber::new(raw),
            None => ctx
                .caller
                .clone()
                .ok_or_else(|| ToolError::InvalidArguments {
                    reason: "the caller's number is not known; give `to`".to_owned(),
                })?,
        };
        if !valid_mobile(&to) {
            return Err(ToolError::InvalidArguments {
                reason: "`to` is not a valid mobile number (E.164, e.g. +919812345678)".to_owned(),
            });
        }
        let new = NewSms {
            call_id: Some(ctx.call_id.clone()),
            to: to.clone(),
            body: body.to_owned(),
            created_at: ctx.now,
        };
        let sms = match self.store.queue_sms(new.clone()).await {
            Err(StoreError::NotFound { entity: "call" }) => {
                self.store
                    .queue_sms(NewSms {
                        call_id: None,
                        ..new
                    })
                    .await?
            }
            other => other?,
        };
        Ok(SmsQueued {
            sms_id: sms.id,
            to: to.masked(),
            characters,
        })
    }
}

/// A store error cannot be cloned; the JSON only needs its message.
fn clone_for_json(e: &ToolError) -> ToolError {
    match e {
        ToolError::UnknownTool { name } => ToolError::UnknownTool { name: name.clone() },
        ToolError::InvalidArguments { reason } => ToolError::InvalidArguments {
            reason: reason.clone(),
        },
        ToolError::Rejected { reason } => ToolError::Rejected {
            reason: reason.clone(),
        },
        ToolError::Store(_) => ToolError::Rejected {
            reason: "the store failed; try again".to_owned(),
        },
    }
}

fn variant_fits(v: &awaaz_store::Variant, colour: Option<&str>, size: Option<&str>) -> bool {
    let colour_ok = colour.is_none_or(|c| {
        v.colour
            .as_deref()
            .is_some_and(|vc| vc.eq_ignore_ascii_case(c))
    });
    let size_ok = size.is_none_or(|s| v.size.as_deref().is_some_and(|vs| normalize_size(vs) == s));
    colour_ok && size_ok
}

fn alternative(p: &Product, v: &awaaz_store::Variant, reason: AlternativeReason) -> Alternative {
    Alternative {
        product_id: p.id,
        name: p.name.clone(),
        colour: v.colour.clone(),
        size: v.size.clone(),
        price_paise: v.price_paise,
        price: format_rupees(v.price_paise),
        stock: v.stock,
        reason,
    }
}

fn push_unique(out: &mut Vec<String>, s: Option<&String>) {
    if let Some(s) = s {
        if !out.contains(s) {
            out.push(s.clone());
        }
    }
}

/// Works out availability of `product` in `colour`/`size`, with alternatives.
fn assess(
    product: &Product,
    colour: Option<String>,
    size: Option<String>,
    similar: &[Product],
) -> Availability {
    let (c, s) = (colour.as_deref(), size.as_deref());
    let matching: Vec<&awaaz_store::Variant> = product
        .variants
        .iter()
        .filter(|v| variant_fits(v, c, s))
        .collect();
    let in_stock: Vec<&&awaaz_store::Variant> = matching.iter().filter(|v| v.stock > 0).collect();
    let stock: u32 = matching.iter().map(|v| v.stock).sum();
    let priced = if in_stock.is_empty() {
        matching.iter().collect::<Vec<_>>()
    } else {
        in_stock.clone()
    };
    let price_paise = priced
        .iter()
        .map(|v| v.price_paise)
        .min()
        .unwrap_or_else(|| product.min_price_paise());
    let price_is_from = priced
        .iter()
        .map(|v| v.price_paise)
        .collect::<std::collections::BTreeSet<_>>()
        .len()
        > 1;
    let mut colours_in_stock = Vec::new();
    let mut sizes_in_stock = Vec::new();
    for v in product.variants.iter().filter(|v| v.stock > 0) {
        if variant_fits(v, None, s) {
            push_unique(&mut colours_in_stock, v.colour.as_ref());
        }
        if variant_fits(v, c, None) {
            push_unique(&mut sizes_in_stock, v.size.as_ref());
        }
    }
    let mut alternatives = Vec::new();
    if in_stock.is_empty() {
        let own = product.variants.iter().filter(|v| v.stock > 0);
        if s.is_some() {
            // Same size, other colours first: the fit matters more than the colour.
            for v in own.clone().filter(|v| variant_fits(v, None, s)) {
                alternatives.push(alternative(product, v, AlternativeReason::OtherColour));
            }
        }
        if c.is_some() {
            for v in own.clone().filter(|v| variant_fits(v, c, None)) {
                alternatives.push(alternative(product, v, AlternativeReason::OtherSize));
            }
        }
        if alternatives.is_empty() && (c.is_some() || s.is_some()) {
            for v in own.take(2) {
                alternatives.push(alternative(product, v, AlternativeReason::OtherVariant));
            }
        }
        for p in similar {
            let best = p.variants.iter().filter(|v| v.stock > 0).max_by_key(|v| {
                (
                    variant_fits(v, c, s),
                    variant_fits(v, None, s),
                    variant_fits(v, c, None),
                    v.stock,
                )
            });
            if let Some(v) = best {
                alternatives.push(alternative(p, v, AlternativeReason::SimilarProduct));
            }
        }
        alternatives.truncate(MAX_ALTERNATIVES);
    }
    Availability {
        product_id: product.id,
        name: product.name.clone(),
        kind: product.kind.clone(),
        colour,
        size,
        variant_exists: !matching.is_empty(),
        in_stock: !in_stock.is_empty(),
        stock,
        stock_level: stock_level(stock),
        price_paise,
        price: format_rupees(price_paise),
        price_is_from,
        colours_in_stock,
        sizes_in_stock,
        alternatives,
    }
}

fn lookup_json(found: &OrderLookup, today: NaiveDate) -> Value {
    match found {
        OrderLookup::Found(order) => json!({ "found": true, "order": order_json(order, today) }),
        OrderLookup::ByPhone(orders) => json!({
            "found": !orders.is_empty(),
            "count": orders.len(),
            "orders": orders.iter().map(|o| order_json(o, today)).collect::<Vec<_>>(),
        }),
        OrderLookup::NotFound { id, suggestions } => {
            let hint = match suggestions.first() {
                Some(s) => format!("No order {id}. Ask the caller whether they meant {s}."),
                None => format!(
                    "No order {id}. Ask the caller to check the number, or look up by phone."
                ),
            };
            json!({ "found": false, "order_id": id, "suggestions": suggestions, "hint": hint })
        }
    }
}

fn availability_json(a: &AvailabilityAnswer) -> Value {
    match a {
        AvailabilityAnswer::Found(av) => {
            let mut v = serde_json::to_value(av.as_ref()).unwrap_or_else(|_| json!({}));
            if let Value::Object(map) = &mut v {
                map.insert("found".into(), json!(true));
            }
            v
        }
        AvailabilityAnswer::NotSold { query, suggestions } => json!({
            "found": false,
            "query": query,
            "suggestions": suggestions,
            "hint": "The shop does not sell this. Say so politely and offer the suggestions, if any.",
        }),
    }
}

fn ticket_json(t: &TicketCreated) -> Value {
    let mut v = serde_json::to_value(t).unwrap_or_else(|_| json!({}));
    if let Value::Object(map) = &mut v {
        map.insert("created".into(), json!(true));
        map.insert("status".into(), json!("open"));
    }
    v
}

fn transfer_json(t: &TransferRequested) -> Value {
    json!({ "transferred": true, "transfer_id": t.transfer_id, "reason": t.reason })
}

fn sms_json(s: &SmsQueued) -> Value {
    let mut map = Map::new();
    map.insert("queued".into(), json!(true));
    map.insert("sms_id".into(), json!(s.sms_id));
    map.insert("to".into(), json!(s.to));
    map.insert("characters".into(), json!(s.characters));
    Value::Object(map)
}
