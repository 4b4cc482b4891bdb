//! awaaz-store: where everything awaaz knows and remembers lives.
//!
//! The agent and the call code talk to the store only through the traits in
//! this crate ([`CatalogStore`], [`OrderStore`], [`CallStore`],
//! [`SupportStore`], together [`Store`]) and the plain records in [`model`];
//! they never see sea-orm types.
//!
//! ```text
//!  agent / call / server ──▶ dyn Store ──┬─▶ SeaStore (sea-orm) ──▶ SQLite file | PostgreSQL
//!                                        └─▶ MemoryStore (feature `test-support`, unit tests)
//! ```
//!
//! [`SeaStore::connect`] opens the database named by a URL
//! (`sqlite://data/awaaz.db?mode=rwc`, `postgres://…`), runs the migrations and,
//! on an empty database, loads the deterministic demo shop from [`demo`].
//!
//! Not here: business rules (what the agent may do with an order) live in
//! `awaaz-agent`; this crate stores and fetches.

pub mod demo;
pub mod model;
mod sea;

#[cfg(feature = "test-support")]
mod memory;

use async_trait::async_trait;

pub use model::*;
pub use sea::SeaStore;

#[cfg(feature = "test-support")]
pub use memory::MemoryStore;

/// Everything that can go wrong talking to the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL could not be used.
    #[error("invalid database url {url_scheme:?}: {reason}")]
    InvalidUrl {
        /// Only the scheme is kept: the rest may hold a password.
        url_scheme: String,
        /// What is wrong.
        reason: String,
    },
    /// The database refused or failed a query.
    #[error("database error during {operation}")]
    Database {
        /// What the store was doing.
        operation: &'static str,
        /// The driver's error.
        #[source]
        source: sea_orm::DbErr,
    },
    /// A referenced record does not exist.
    #[error("{entity} not found")]
    NotFound {
        /// Which kind of record.
        entity: &'static str,
    },
    /// A record with the same key already exists (a call id used twice).
    #[error("{entity} already exists")]
    Conflict {
        /// Which kind of record.
        entity: &'static str,
    },
    /// A stored value could not be read back (corrupt or from a newer version).
    #[error("stored {entity} has an invalid {field}")]
    Corrupt {
        /// Which kind of record.
        entity: &'static str,
        /// Which field.
        field: &'static str,
    },
}

/// Result alias for store operations.
pub type StoreResult<T> = Result<T, StoreError>;

/// Products and their stock.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// Every product with its variants, ordered by id.
    async fn products(&self) -> StoreResult<Vec<Product>>;
    /// One product by id.
    async fn product(&self, id: i64) -> StoreResult<Option<Product>>;
}

/// Customers and their orders.
#[async_trait]
pub trait OrderStore: Send + Sync {
    /// One order by its human id.
    async fn order(&self, id: &OrderId) -> StoreResult<Option<Order>>;
    /// Orders matching a filter, newest first.
    async fn orders(&self, filter: &OrderFilter) -> StoreResult<Vec<Order>>;
    /// Every order id, for fuzzy matching of misheard numbers.
    async fn order_ids(&self) -> StoreResult<Vec<OrderId>>;
    /// A customer by phone number.
    async fn customer_by_phone(&self, phone: &PhoneNumber) -> StoreResult<Option<Customer>>;
    /// Changes an order's status (cancellation, address change flows).
    async fn set_order_status(&self, id: &OrderId, status: OrderStatus) -> StoreResult<()>;
}

/// Calls, turns and tool calls.
#[async_trait]
pub trait CallStore: Send + Sync {
    /// Records a new call.
    async fn create_call(&self, call: NewCall) -> StoreResult<Call>;
    /// Marks a call as ended with a final status.
    async fn end_call(
        &self,
        id: &CallId,
        status: &str,
        ended_at: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<()>;
    /// Updates a call's status without ending it (carrier callbacks).
    async fn set_call_status(&self, id: &CallId, status: &str) -> StoreResult<()>;
    /// Finds a call by the carrier's id.
    async fn call_by_carrier_id(&self, carrier_call_id: &str) -> StoreResult<Option<Call>>;
    /// Appends a turn; its `seq` is assigned by the store.
    async fn append_turn(&self, turn: NewTurn) -> StoreResult<Turn>;
    /// Records a tool call.
    async fn record_tool_call(&self, call: NewToolCall) -> StoreResult<ToolCall>;
    /// Calls, newest first.
    async fn calls(&self, limit: u64, offset: u64) -> StoreResult<Vec<Call>>;
    /// One call with its turns and tool calls.
    async fn call(&self, id: &CallId) -> StoreResult<Option<CallDetail>>;
    /// Sets a call's model usage and cost (replacing what was recorded
    /// before: the value is the call's running total).
    async fn record_call_usage(&self, id: &CallId, usage: &CallUsage) -> StoreResult<()>;
}

/// Tickets, transfers and the SMS outbox.
#[async_trait]
pub trait SupportStore: Send + Sync {
    /// Opens a ticket; its readable id is assigned by the store.
    async fn create_ticket(&self, ticket: NewTicket) -> StoreResult<Ticket>;
    /// Tickets matching a filter, newest first.
    async fn tickets(&self, filter: &TicketFilter) -> StoreResult<Vec<Ticket>>;
    /// One ticket.
    async fn ticket(&self, id: &TicketId) -> StoreResult<Option<Ticket>>;
    /// Records a transfer request.
    async fn create_transfer(&self, transfer: NewTransfer) -> StoreResult<Transfer>;
    /// Transfers asked for in a call.
    async fn transfers(&self, call_id: &CallId) -> StoreResult<Vec<Transfer>>;
    /// Updates a transfer's status.
    async fn set_transfer_status(&self, id: i64, status: &str) -> StoreResult<()>;
    /// Queues an SMS.
    async fn queue_sms(&self, sms: NewSms) -> StoreResult<Sms>;
    /// SMS in a given state, oldest first.
    async fn sms_by_status(&self, status: SmsStatus, limit: u64) -> StoreResult<Vec<Sms>>;
    /// Records a send attempt's outcome.
    async fn update_sms(
        &self,
        id: i64,
        status: SmsStatus,
        provider_id: Option<String>,
        error: Option<String>,
    ) -> StoreResult<()>;
}

/// The whole store.
pub trait Store: CatalogStore + OrderStore + CallStore + SupportStore {}

impl<T: CatalogStore + OrderStore + CallStore + SupportStore> Store for T {}
