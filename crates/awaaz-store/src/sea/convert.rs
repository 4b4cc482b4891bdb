//! Rows ⇄ domain records. Reading is fallible: an unknown enum key, a
//! negative count or broken JSON becomes [`StoreError::Corrupt`] naming the
//! field, never a panic.

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::DbErr;

use super::entity::{
    call, call_usage, customer, order, order_item, product, product_variant, sms, ticket,
    tool_call, transfer, turn,
};
use crate::{
    Call, CallId, CallUsage, Channel, Customer, Order, OrderId, OrderItem, OrderStatus,
    PhoneNumber, Product, Sms, SmsStatus, Speaker, StoreError, StoreResult, Ticket, TicketCategory,
    TicketId, TicketPriority, ToolCall, Transfer, Turn, TurnLatency, Variant,
};

pub(super) fn corrupt(entity: &'static str, field: &'static str) -> StoreError {
    StoreError::Corrupt { entity, field }
}

pub(super) fn to_u32(v: i64, entity: &'static str, field: &'static str) -> StoreResult<u32> {
    u32::try_from(v).map_err(|_| corrupt(entity, field))
}

fn to_u64(v: i64, entity: &'static str, field: &'static str) -> StoreResult<u64> {
    u64::try_from(v).map_err(|_| corrupt(entity, field))
}

/// Durations beyond `i64::MAX` µs (292 000 years) are saturated rather than
/// refused.
pub(super) fn to_db_u64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(super) fn call_usage(u: &call_usage::Model) -> StoreResult<CallUsage> {
    const E: &str = "call usage";
    Ok(CallUsage {
        input_tokens: to_u64(u.input_tokens, E, "input_tokens")?,
        output_tokens: to_u64(u.output_tokens, E, "output_tokens")?,
        audio_in_tokens: to_u64(u.audio_in_tokens, E, "audio_in_tokens")?,
        audio_out_tokens: to_u64(u.audio_out_tokens, E, "audio_out_tokens")?,
        cached_tokens: to_u64(u.cached_tokens, E, "cached_tokens")?,
        cost_usd: u.cost_usd,
        cost_inr: u.cost_inr,
        model_errors: to_u64(u.model_errors, E, "model_errors")?,
    })
}

pub(super) fn customer(c: customer::Model) -> Customer {
    Customer {
        id: c.id,
        name: c.name,
        phone: PhoneNumber::new(&c.phone),
        email: c.email,
        city: c.city,
        address: c.address,
    }
}

pub(super) fn product(
    p: product::Model,
    variants: Vec<product_variant::Model>,
) -> StoreResult<Product> {
    let aliases: Vec<String> =
        serde_json::from_str(&p.aliases).map_err(|_| corrupt("product", "aliases"))?;
    let variants = variants
        .into_iter()
        .map(|v| {
            Ok(Variant {
                id: v.id,
                sku: v.sku,
                colour: v.colour,
                size: v.size,
                stock: to_u32(v.stock, "variant", "stock")?,
                price_paise: v.price_paise,
            })
        })
        .collect::<StoreResult<_>>()?;
    Ok(Product {
        id: p.id,
        name: p.name,
        category: p.category,
        kind: p.kind,
        aliases,
        brand: p.brand,
        description: p.description,
        variants,
    })
}

pub(super) fn order(
    o: order::Model,
    c: customer::Model,
    items: Vec<order_item::Model>,
) -> StoreResult<Order> {
    let status = OrderStatus::parse(&o.status).ok_or_else(|| corrupt("order", "status"))?;
    let items = items
        .into_iter()
        .map(|i| {
            Ok(OrderItem {
                product_id: i.product_id,
                variant_id: i.variant_id,
                product_name: i.product_name,
                colour: i.colour,
                size: i.size,
                quantity: to_u32(i.quantity, "order item", "quantity")?,
                unit_price_paise: i.unit_price_paise,
            })
        })
        .collect::<StoreResult<_>>()?;
    Ok(Order {
        id: OrderId(o.code),
        customer_id: c.id,
        customer_name: c.name,
        customer_phone: PhoneNumber::new(&c.phone),
        status,
        items,
        total_paise: o.total_paise,
        payment_method: o.payment_method,
        placed_at: o.placed_at,
        expected_delivery: o.expected_delivery,
        delivered_at: o.delivered_at,
        courier: o.courier,
        tracking_number: o.tracking_number,
        delivery_address: o.delivery_address,
        delivery_city: o.delivery_city,
        refund_paise: o.refund_paise,
        updated_at: o.updated_at,
    })
}

pub(super) fn call(c: call::Model) -> StoreResult<Call> {
    Ok(Call {
        id: CallId(c.id),
        channel: Channel::parse(&c.channel).ok_or_else(|| corrupt("call", "channel"))?,
        caller: c.caller.as_deref().map(PhoneNumber::new),
        carrier_call_id: c.carrier_call_id,
        status: c.status,
        started_at: c.started_at,
        ended_at: c.ended_at,
        turn_count: to_u32(c.turn_count, "call", "turn_count")?,
    })
}

fn opt_u64(v: Option<i64>, field: &'static str) -> StoreResult<Option<u64>> {
    v.map(|v| to_u64(v, "turn", field)).transpose()
}

pub(super) fn turn(t: turn::Model) -> StoreResult<Turn> {
    Ok(Turn {
        id: t.id,
        seq: to_u32(t.seq, "turn", "seq")?,
        speaker: Speaker::parse(&t.speaker).ok_or_else(|| corrupt("turn", "speaker"))?,
        text: t.text,
        language: t.language,
        started_at: t.started_at,
        ended_at: t.ended_at,
        latency: TurnLatency {
            speech_end_ms: opt_u64(t.speech_end_ms, "speech_end_ms")?,
            transcript_ready_ms: opt_u64(t.transcript_ready_ms, "transcript_ready_ms")?,
            reply_ready_ms: opt_u64(t.reply_ready_ms, "reply_ready_ms")?,
            first_audio_ms: opt_u64(t.first_audio_ms, "first_audio_ms")?,
            voice_to_voice_ms: opt_u64(t.voice_to_voice_ms, "voice_to_voice_ms")?,
            agent_us: opt_u64(t.agent_us, "agent_us")?,
        },
        interrupted: t.interrupted,
    })
}

pub(super) fn tool_call(t: tool_call::Model) -> StoreResult<ToolCall> {
    Ok(ToolCall {
        id: t.id,
        turn_id: t.turn_id,
        name: t.name,
        arguments: serde_json::from_str(&t.arguments)
            .map_err(|_| corrupt("tool call", "arguments"))?,
        result: serde_json::from_str(&t.result).map_err(|_| corrupt("tool call", "result"))?,
        ok: t.ok,
        duration_us: to_u64(t.duration_us, "tool call", "duration_us")?,
        created_at: t.created_at,
    })
}

pub(super) fn ticket(t: ticket::Model) -> StoreResult<Ticket> {
    Ok(Ticket {
        id: TicketId(t.code),
        order_id: t.order_id.map(OrderId),
        call_id: t.call_id.map(CallId),
        customer_id: t.customer_id,
        category: TicketCategory::parse(&t.category)
            .ok_or_else(|| corrupt("ticket", "category"))?,
        priority: TicketPriority::parse(&t.priority)
            .ok_or_else(|| corrupt("ticket", "priority"))?,
        status: t.status,
        description: t.description,
        created_at: t.created_at,
    })
}

pub(super) fn transfer(t: transfer::Model) -> Transfer {
    Transfer {
        id: t.id,
        call_id: CallId(t.call_id),
        reason: t.reason,
        target: t.target,
        status: t.status,
        created_at: t.created_at,
    }
}

pub(super) fn sms(s: sms::Model) -> StoreResult<Sms> {
    Ok(Sms {
        id: s.id,
        call_id: s.call_id.map(CallId),
        to: PhoneNumber::new(&s.to_number),
        body: s.body,
        status: SmsStatus::parse(&s.status).ok_or_else(|| corrupt("sms", "status"))?,
        attempts: to_u32(s.attempts, "sms", "attempts")?,
        last_error: s.last_error,
        provider_id: s.provider_id,
        created_at: s.created_at,
    })
}

// Demo rows: ids are explicit so the domain ids in `demo::shop` hold.

pub(super) fn customer_row(c: &Customer) -> customer::ActiveModel {
    customer::ActiveModel {
        id: Set(c.id),
        name: Set(c.name.clone()),
        phone: Set(c.phone.as_str().to_owned()),
        email: Set(c.email.clone()),
        city: Set(c.city.clone()),
        address: Set(c.address.clone()),
    }
}

pub(super) fn product_row(p: &Product) -> Result<product::ActiveModel, DbErr> {
    let aliases = serde_json::to_string(&p.aliases).map_err(|e| DbErr::Json(e.to_string()))?;
    Ok(product::ActiveModel {
        id: Set(p.id),
        name: Set(p.name.clone()),
        category: Set(p.category.clone()),
        kind: Set(p.kind.clone()),
        brand: Set(p.brand.clone()),
        description: Set(p.description.clone()),
        aliases: Set(aliases),
    })
}

pub(super) fn variant_row(product_id: i64, v: &Variant) -> product_variant::ActiveModel {
    product_variant::ActiveModel {
        id: Set(v.id),
        product_id: Set(product_id),
        sku: Set(v.sku.clone()),
        colour: Set(v.colour.clone()),
        size: Set(v.size.clone()),
        stock: Set(i64::from(v.stock)),
        price_paise: Set(v.price_paise),
    }
}

pub(super) fn order_row(id: i64, o: &Order) -> order::ActiveModel {
    order::ActiveModel {
        id: Set(id),
        code: Set(o.id.0.clone()),
        customer_id: Set(o.customer_id),
        status: Set(o.status.as_str().to_owned()),
        total_paise: Set(o.total_paise),
        payment_method: Set(o.payment_method.clone()),
        placed_at: Set(o.placed_at),
        expected_delivery: Set(o.expected_delivery),
        delivered_at: Set(o.delivered_at),
        courier: Set(o.courier.clone()),
        tracking_number: Set(o.tracking_number.clone()),
        delivery_address: Set(o.delivery_address.clone()),
        delivery_city: Set(o.delivery_city.clone()),
        refund_paise: Set(o.refund_paise),
        updated_at: Set(o.updated_at),
    }
}

pub(super) fn item_row(order_id: i64, i: &OrderItem) -> order_item::ActiveModel {
    order_item::ActiveModel {
        id: NotSet,
        order_id: Set(order_id),
        product_id: Set(i.product_id),
        variant_id: Set(i.variant_id),
        product_name: Set(i.product_name.clone()),
        colour: Set(i.colour.clone()),
        size: Set(i.size.clone()),
        quantity: Set(i64::from(i.quantity)),
        unit_price_paise: Set(i.unit_price_paise),
    }
}
