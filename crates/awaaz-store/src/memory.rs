//! `MemoryStore`: the store in a mutex, for other crates' unit tests.
//!
//! It follows the same rules as [`crate::SeaStore`] (the contract suite in
//! `tests/` runs against both): `seq` from 0 per call, ticket ids from
//! `TKT-10001`, newest-first listings with the same tie-breaks, the same
//! `NotFound`/`Conflict` errors. It is not persistent and not fast at scale.

use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::{
    Call, CallDetail, CallId, CallStore, CallUsage, CatalogStore, Customer, NewCall, NewSms,
    NewTicket, NewToolCall, NewTransfer, NewTurn, Order, OrderFilter, OrderId, OrderStatus,
    OrderStore, PhoneNumber, Product, Sms, SmsStatus, StoreError, StoreResult, SupportStore,
    Ticket, TicketFilter, TicketId, ToolCall, Transfer, Turn,
};

const DEFAULT_LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 500;

/// An in-memory store implementing every store trait.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    customers: Vec<Customer>,
    products: Vec<Product>,
    orders: Vec<Order>,
    calls: Vec<Call>,
    /// (call, turn) in insertion order.
    turns: Vec<(CallId, Turn)>,
    tool_calls: Vec<(CallId, ToolCall)>,
    usage: Vec<(CallId, CallUsage)>,
    tickets: Vec<Ticket>,
    next_ticket: u64,
    transfers: Vec<Transfer>,
    sms: Vec<Sms>,
    next_id: i64,
}

impl Inner {
    fn next_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    fn call_mut(&mut self, id: &CallId) -> StoreResult<&mut Call> {
        self.calls
            .iter_mut()
            .find(|c| &c.id == id)
            .ok_or(StoreError::NotFound { entity: "call" })
    }

    fn has_call(&self, id: &CallId) -> bool {
        self.calls.iter().any(|c| &c.id == id)
    }
}

fn page<T>(items: impl Iterator<Item = T>, limit: u64, offset: u64) -> Vec<T> {
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    let limit = usize::try_from(limit.min(MAX_LIMIT)).unwrap_or(usize::MAX);
    items.skip(offset).take(limit).collect()
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding [`crate::demo::shop`] for `today`.
    pub fn with_demo(today: NaiveDate) -> Self {
        let store = Self::new();
        store.load_demo(today);
        store
    }

    /// Loads the demo shop if the store has no products; returns whether it did.
    pub fn load_demo(&self, today: NaiveDate) -> bool {
        let mut inner = self.lock();
        if !inner.products.is_empty() {
            return false;
        }
        let shop = crate::demo::shop(today);
        inner.customers = shop.customers;
        inner.products = shop.products;
        inner.orders = shop.orders;
        true
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking test thread must not take every other test down with
        // it; the data is still consistent because no method panics midway.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl CatalogStore for MemoryStore {
    async fn products(&self) -> StoreResult<Vec<Product>> {
        Ok(self.lock().products.clone())
    }

    async fn product(&self, id: i64) -> StoreResult<Option<Product>> {
        Ok(self.lock().products.iter().find(|p| p.id == id).cloned())
    }
}

#[async_trait]
impl OrderStore for MemoryStore {
    async fn order(&self, id: &OrderId) -> StoreResult<Option<Order>> {
        Ok(self.lock().orders.iter().find(|o| &o.id == id).cloned())
    }

    async fn orders(&self, filter: &OrderFilter) -> StoreResult<Vec<Order>> {
        let inner = self.lock();
        // Newest first; among equal times the later-loaded order first, as
        // the database's id tie-break does.
        let mut matching: Vec<(usize, &Order)> = inner
            .orders
            .iter()
            .enumerate()
            .filter(|(_, o)| filter.status.is_none_or(|s| o.status == s))
            .filter(|(_, o)| {
                filter
                    .customer_phone
                    .as_ref()
                    .is_none_or(|p| &o.customer_phone == p)
            })
            .collect();
        matching.sort_by(|(ia, a), (ib, b)| b.placed_at.cmp(&a.placed_at).then(ib.cmp(ia)));
        Ok(page(
            matching.into_iter().map(|(_, o)| o.clone()),
            filter.limit.unwrap_or(DEFAULT_LIMIT),
            filter.offset.unwrap_or(0),
        ))
    }

    async fn order_ids(&self) -> StoreResult<Vec<OrderId>> {
        let mut ids: Vec<OrderId> = self.lock().orders.iter().map(|o| o.id.clone()).collect();
        ids.sort();
        Ok(ids)
    }

    async fn customer_by_phone(&self, phone: &PhoneNumber) -> StoreResult<Option<Customer>> {
        Ok(self
            .lock()
            .customers
            .iter()
            .find(|c| &c.phone == phone)
            .cloned())
    }

    async fn set_order_status(&self, id: &OrderId, status: OrderStatus) -> StoreResult<()> {
        let mut inner = self.lock();
        let order = inner
            .orders
            .iter_mut()
            .find(|o| &o.id == id)
            .ok_or(StoreError::NotFound { entity: "order" })?;
        order.status = status;
        order.updated_at = Utc::now();
        Ok(())
    }
}

#[async_trait]
impl CallStore for MemoryStore {
    async fn create_call(&self, new: NewCall) -> StoreResult<Call> {
        let mut inner = self.lock();
        if inner.has_call(&new.id) {
            return Err(StoreError::Conflict { entity: "call" });
        }
        let call = Call {
            id: new.id,
            channel: new.channel,
            caller: new.caller,
            carrier_call_id: new.carrier_call_id,
            status: "active".to_owned(),
            started_at: new.started_at,
            ended_at: None,
            turn_count: 0,
        };
        inner.calls.push(call.clone());
        Ok(call)
    }

    async fn end_call(
        &self,
        id: &CallId,
        status: &str,
        ended_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut inner = self.lock();
        let call = inner.call_mut(id)?;
        call.status = status.to_owned();
        call.ended_at = Some(ended_at);
        Ok(())
    }

    async fn set_call_status(&self, id: &CallId, status: &str) -> StoreResult<()> {
        self.lock().call_mut(id)?.status = status.to_owned();
        Ok(())
    }

    async fn call_by_carrier_id(&self, carrier_call_id: &str) -> StoreResult<Option<Call>> {
        let inner = self.lock();
        Ok(inner
            .calls
            .iter()
            .filter(|c| c.carrier_call_id.as_deref() == Some(carrier_call_id))
            .max_by_key(|c| c.started_at)
            .cloned())
    }

    async fn append_turn(&self, new: NewTurn) -> StoreResult<Turn> {
        let mut inner = self.lock();
        let call = inner.call_mut(&new.call_id)?;
        let seq = call.turn_count;
        call.turn_count += 1;
        let turn = Turn {
            id: inner.next_id(),
            seq,
            speaker: new.speaker,
            text: new.text,
            language: new.language,
            started_at: new.started_at,
            ended_at: new.ended_at,
            latency: new.latency,
            interrupted: new.interrupted,
        };
        inner.turns.push((new.call_id, turn.clone()));
        Ok(turn)
    }

    async fn record_tool_call(&self, new: NewToolCall) -> StoreResult<ToolCall> {
        let mut inner = self.lock();
        if !inner.has_call(&new.call_id) {
            return Err(StoreError::NotFound { entity: "call" });
        }
        if let Some(turn_id) = new.turn_id {
            if !inner
                .turns
                .iter()
                .any(|(c, t)| c == &new.call_id && t.id == turn_id)
            {
                return Err(StoreError::NotFound { entity: "turn" });
            }
        }
        let call = ToolCall {
            id: inner.next_id(),
            turn_id: new.turn_id,
            name: new.name,
            arguments: new.arguments,
            result: new.result,
            ok: new.ok,
            duration_us: new.duration_us,
            created_at: new.created_at,
        };
        inner.tool_calls.push((new.call_id, call.clone()));
        Ok(call)
    }

    async fn calls(&self, limit: u64, offset: u64) -> StoreResult<Vec<Call>> {
        let inner = self.lock();
        let mut calls: Vec<&Call> = inner.calls.iter().collect();
        calls.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(b.id.cmp(&a.id)));
        Ok(page(calls.into_iter().cloned(), limit, offset))
    }

    async fn call(&self, id: &CallId) -> StoreResult<Option<CallDetail>> {
        let inner = self.lock();
        let Some(call) = inner.calls.iter().find(|c| &c.id == id) else {
            return Ok(None);
        };
        let mut turns: Vec<Turn> = inner
            .turns
            .iter()
            .filter(|(c, _)| c == id)
            .map(|(_, t)| t.clone())
            .collect();
        turns.sort_by_key(|t| t.seq);
        let tool_calls = inner
            .tool_calls
            .iter()
            .filter(|(c, _)| c == id)
            .map(|(_, t)| t.clone())
            .collect();
        let usage = inner.usage.iter().find(|(c, _)| c == id).map(|(_, u)| *u);
        Ok(Some(CallDetail {
            call: call.clone(),
            turns,
            tool_calls,
            usage,
        }))
    }

    async fn record_call_usage(&self, id: &CallId, usage: &CallUsage) -> StoreResult<()> {
        let mut inner = self.lock();
        if !inner.has_call(id) {
            return Err(StoreError::NotFound { entity: "call" });
        }
        match inner.usage.iter_mut().find(|(c, _)| c == id) {
            Some((_, stored)) => *stored = *usage,
            None => inner.usage.push((id.clone(), *usage)),
        }
        Ok(())
    }
}

#[async_trait]
impl SupportStore for MemoryStore {
    async fn create_ticket(&self, new: NewTicket) -> StoreResult<Ticket> {
        let mut inner = self.lock();
        if let Some(order_id) = &new.order_id {
            if !inner.orders.iter().any(|o| &o.id == order_id) {
                return Err(StoreError::NotFound { entity: "order" });
            }
        }
        if let Some(call_id) = &new.call_id {
            if !inner.has_call(call_id) {
                return Err(StoreError::NotFound { entity: "call" });
            }
        }
        if let Some(customer_id) = new.customer_id {
            if !inner.customers.iter().any(|c| c.id == customer_id) {
                return Err(StoreError::NotFound { entity: "customer" });
            }
        }
        inner.next_ticket += 1;
        let ticket = Ticket {
            id: TicketId(format!("TKT-{}", 10_000 + inner.next_ticket)),
            order_id: new.order_id,
            call_id: new.call_id,
            customer_id: new.customer_id,
            category: new.category,
            priority: new.priority,
            status: "open".to_owned(),
            description: new.description,
            created_at: new.created_at,
        };
        inner.tickets.push(ticket.clone());
        Ok(ticket)
    }

    async fn tickets(&self, filter: &TicketFilter) -> StoreResult<Vec<Ticket>> {
        let inner = self.lock();
        let mut matching: Vec<(usize, &Ticket)> = inner
            .tickets
            .iter()
            .enumerate()
            .filter(|(_, t)| {
                filter
                    .order_id
                    .as_ref()
                    .is_none_or(|o| t.order_id.as_ref() == Some(o))
            })
            .filter(|(_, t)| {
                filter
                    .call_id
                    .as_ref()
                    .is_none_or(|c| t.call_id.as_ref() == Some(c))
            })
            .filter(|(_, t)| filter.status.as_ref().is_none_or(|s| &t.status == s))
            .collect();
        matching.sort_by(|(ia, a), (ib, b)| b.created_at.cmp(&a.created_at).then(ib.cmp(ia)));
        Ok(page(
            matching.into_iter().map(|(_, t)| t.clone()),
            filter.limit.unwrap_or(DEFAULT_LIMIT),
            filter.offset.unwrap_or(0),
        ))
    }

    async fn ticket(&self, id: &TicketId) -> StoreResult<Option<Ticket>> {
        Ok(self.lock().tickets.iter().find(|t| &t.id == id).cloned())
    }

    async fn create_transfer(&self, new: NewTransfer) -> StoreResult<Transfer> {
        let mut inner = self.lock();
        if !inner.has_call(&new.call_id) {
            return Err(StoreError::NotFound { entity: "call" });
        }
        let transfer = Transfer {
            id: inner.next_id(),
            call_id: new.call_id,
            reason: new.reason,
            target: new.target,
            status: "requested".to_owned(),
            created_at: new.created_at,
        };
        inner.transfers.push(transfer.clone());
        Ok(transfer)
    }

    async fn transfers(&self, call_id: &CallId) -> StoreResult<Vec<Transfer>> {
        Ok(self
            .lock()
            .transfers
            .iter()
            .filter(|t| &t.call_id == call_id)
            .cloned()
            .collect())
    }

    async fn set_transfer_status(&self, id: i64, status: &str) -> StoreResult<()> {
        let mut inner = self.lock();
        let transfer = inner
            .transfers
            .iter_mut()
            .find(|t| t.id == id)
            .ok_or(StoreError::NotFound { entity: "transfer" })?;
        transfer.status = status.to_owned();
        Ok(())
    }

    async fn queue_sms(&self, new: NewSms) -> StoreResult<Sms> {
        let mut inner = self.lock();
        if let Some(call_id) = &new.call_id {
            if !inner.has_call(call_id) {
                return Err(StoreError::NotFound { entity: "call" });
            }
        }
        let sms = Sms {
            id: inner.next_id(),
            call_id: new.call_id,
            to: new.to,
            body: new.body,
            status: SmsStatus::Queued,
            attempts: 0,
            last_error: None,
            provider_id: None,
            created_at: new.created_at,
        };
        inner.sms.push(sms.clone());
        Ok(sms)
    }

    async fn sms_by_status(&self, status: SmsStatus, limit: u64) -> StoreResult<Vec<Sms>> {
        let inner = self.lock();
        let mut matching: Vec<&Sms> = inner.sms.iter().filter(|s| s.status == status).collect();
        matching.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(page(matching.into_iter().cloned(), limit, 0))
    }

    async fn update_sms(
        &self,
        id: i64,
        status: SmsStatus,
        provider_id: Option<String>,
        error: Option<String>,
    ) -> StoreResult<()> {
        let mut inner = self.lock();
        let sms = inner
            .sms
            .iter_mut()
            .find(|s| s.id == id)
            .ok_or(StoreError::NotFound { entity: "sms" })?;
        sms.status = status;
        sms.attempts += 1;
        if provider_id.is_some() {
            sms.provider_id = provider_id;
        }
        if error.is_some() {
            sms.last_error = error;
        }
        Ok(())
    }
}
