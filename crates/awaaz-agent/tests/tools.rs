//! `Tools::call` against the demo shop: validation, results, side effects.

mod common;

use std::sync::Arc;

use awaaz_agent::tools::{ToolContext, Tools};
use awaaz_store::{
    CallId, CallStore, Channel, NewCall, PhoneNumber, SmsStatus, Store, SupportStore, TicketFilter,
    TicketId, TicketPriority,
};
use common::{demo_store, now, PRIYA};
use serde_json::{json, Value};

async fn setup(
    caller: Option<&str>,
    record: bool,
) -> (Arc<awaaz_store::MemoryStore>, Tools, ToolContext) {
    let store = demo_store();
    let id = CallId::new_v7();
    store
        .create_call(NewCall {
            id: id.clone(),
            channel: Channel::Twilio,
            caller: caller.map(PhoneNumber::new),
            carrier_call_id: None,
            started_at: now(),
        })
        .await
        .expect("call");
    let dyn_store: Arc<dyn Store> = store.clone();
    let tools = Tools::new(dyn_store);
    let ctx = ToolContext {
        call_id: id,
        caller: caller.map(PhoneNumber::new),
        now: now(),
        record,
    };
    (store, tools, ctx)
}

fn error_of(v: &Value) -> String {
    assert_eq!(v["ok"], false, "{v}");
    v["error"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn bad_calls_fail_cleanly_with_a_reason() {
    let (_, tools, ctx) = setup(None, false).await;
    let out = tools.call("fly_to_moon", json!({}), &ctx).await;
    assert!(!out.ok);
    assert_eq!(out.result["code"], "unknown_tool");
    assert!(error_of(&out.result).contains("fly_to_moon"));

    let out = tools
        .call("lookup_order", Value::String("{not json".into()), &ctx)
        .await;
    assert!(!out.ok);
    assert!(error_of(&out.result).contains("not JSON"), "{}", out.result);

    let out = tools
        .call(
            "create_ticket",
            json!({"order_id": "ORD-45678", "category": "damaged"}),
            &ctx,
        )
        .await;
    assert!(!out.ok);
    assert!(
        error_of(&out.result).contains("missing field `description`"),
        "{}",
        out.result
    );

    let out = tools
        .call(
            "create_ticket",
            json!({"order_id": "45678", "category": "broken_heart", "description": "x"}),
            &ctx,
        )
        .await;
    assert!(!out.ok);
    assert!(
        error_of(&out.result).contains("unknown variant `broken_heart`"),
        "{}",
        out.result
    );

    let out = tools
        .call("lookup_order", json!({"order": "45678"}), &ctx)
        .await;
    assert!(!out.ok, "unknown fields are refused: {}", out.result);

    let out = tools
        .call("check_product_availability", json!({"product": 42}), &ctx)
        .await;
    assert!(!out.ok);
    assert_eq!(out.result["code"], "invalid_arguments");

    let out = tools.call("lookup_order", json!({}), &ctx).await;
    assert!(!out.ok, "no order id and no caller number");
}

#[tokio::test]
async fn lookup_order_reads_any_form_and_suggests_near_ids() {
    let (_, tools, ctx) = setup(Some(PRIYA), false).await;
    for form in [
        "ORD-45678",
        "45678",
        "ord 45678",
        "order four five six seven eight",
    ] {
        let out = tools
            .call("lookup_order", json!({ "order_id": form }), &ctx)
            .await;
        assert!(out.ok, "{form}: {}", out.result);
        assert_eq!(out.result["found"], true, "{form}");
        let order = &out.result["order"];
        assert_eq!(order["order_id"], "ORD-45678");
        assert_eq!(order["status"], "shipped");
        assert_eq!(order["courier"], "Delhivery");
        assert_eq!(order["tracking_number"], "DL1234567890IN");
        assert_eq!(order["expected_in_days"], 2);
        assert_eq!(order["items"][0]["product"], "Blue Cotton Kurta");
    }

    let out = tools
        .call("lookup_order", json!({"order_id": "45677"}), &ctx)
        .await;
    assert!(out.ok, "an unknown id is a successful lookup");
    assert_eq!(out.result["found"], false);
    let suggestions: Vec<&str> = out.result["suggestions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert!(suggestions.contains(&"ORD-45678"), "{suggestions:?}");
    assert!(out.result["hint"]
        .as_str()
        .unwrap_or_default()
        .contains("ORD-4567"));

    // The caller's own number when no id is given.
    let out = tools.call("lookup_order", json!({}), &ctx).await;
    assert_eq!(out.result["count"], 4, "{}", out.result);
    let ids: Vec<&str> = out.result["orders"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["order_id"].as_str())
        .collect();
    for id in ["ORD-45678", "ORD-45679", "ORD-89012", "ORD-33445"] {
        assert!(ids.contains(&id), "{ids:?}");
    }
    let late: Vec<&Value> = out.result["orders"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|o| o["is_late"] == true)
        .collect();
    assert_eq!(late.len(), 1);
    assert_eq!(late[0]["order_id"], "ORD-33445");
}

#[tokio::test]
async fn availability_gives_price_stock_and_close_alternatives() {
    let (_, tools, ctx) = setup(None, false).await;
    let out = tools
        .call(
            "check_product_availability",
            json!({"product": "cotton kurta", "colour": "blue", "size": "medium"}),
            &ctx,
        )
        .await;
    assert!(out.ok, "{}", out.result);
    assert_eq!(out.result["name"], "Blue Cotton Kurta");
    assert_eq!(out.result["in_stock"], true);
    assert_eq!(out.result["stock"], 12);
    assert_eq!(out.result["size"], "M");
    assert!(out.result["price"]
        .as_str()
        .unwrap_or_default()
        .starts_with('₹'));

    let out = tools
        .call(
            "check_product_availability",
            json!({"product": "Blue Cotton Kurta", "colour": "blue", "size": "XL"}),
            &ctx,
        )
        .await;
    assert_eq!(out.result["in_stock"], false, "{}", out.result);
    assert_eq!(out.result["stock_level"], "out_of_stock");
    let alts = out.result["alternatives"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!alts.is_empty());
    assert_eq!(
        alts[0]["reason"], "other_colour",
        "same size in another colour first: {alts:?}"
    );
    assert_eq!(alts[0]["size"], "XL");
    assert!(
        alts.iter()
            .any(|a| a["colour"] == "white" && a["size"] == "XL"),
        "{alts:?}"
    );

    let out = tools
        .call(
            "check_product_availability",
            json!({"product": "lehenga", "colour": "laal"}),
            &ctx,
        )
        .await;
    assert_eq!(out.result["name"], "Lehenga Choli");
    assert_eq!(out.result["colour"], "red");
    assert_eq!(out.result["in_stock"], false);
    let alts = out.result["alternatives"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        alts.iter()
            .all(|a| a["colour"] != "red" || a["name"] != "Lehenga Choli"),
        "{alts:?}"
    );
    assert!(!alts.is_empty());

    let out = tools
        .call(
            "check_product_availability",
            json!({"product": "OnePlus Nord CE4"}),
            &ctx,
        )
        .await;
    assert_eq!(out.result["in_stock"], false);
    let alts = out.result["alternatives"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        alts.iter()
            .all(|a| a["reason"] == "similar_product" && a["stock"].as_u64() > Some(0)),
        "{alts:?}"
    );
    assert!(
        alts.iter()
            .any(|a| a["name"] == "Samsung Galaxy M35 5G" || a["name"] == "Redmi Note 13 5G"),
        "other phones: {alts:?}"
    );

    let out = tools
        .call(
            "check_product_availability",
            json!({"product": "window curtains"}),
            &ctx,
        )
        .await;
    assert!(out.ok);
    assert_eq!(out.result["found"], false, "{}", out.result);
}

#[tokio::test]
async fn tickets_need_a_real_order_and_get_a_priority() {
    let (store, tools, ctx) = setup(None, false).await;
    let out = tools
        .call(
            "create_ticket",
            json!({"order_id": "ORD-99999", "category": "damaged", "description": "x"}),
            &ctx,
        )
        .await;
    assert!(!out.ok);
    assert!(
        error_of(&out.result).contains("ORD-99999"),
        "{}",
        out.result
    );

    let out = tools
        .call(
            "create_ticket",
            json!({"order_id": "89012", "category": "refund_not_received", "description": "refund not in account"}),
            &ctx,
        )
        .await;
    assert!(out.ok, "{}", out.result);
    assert_eq!(out.result["ticket_id"], "TKT-10001");
    assert_eq!(out.result["priority"], "high");
    let ticket = store
        .ticket(&TicketId("TKT-10001".into()))
        .await
        .expect("store")
        .expect("ticket");
    assert_eq!(ticket.order_id.map(|o| o.0).as_deref(), Some("ORD-89012"));
    assert_eq!(ticket.priority, TicketPriority::High);
    assert_eq!(ticket.customer_id, Some(1), "the order's customer");
    assert_eq!(ticket.call_id.as_ref(), Some(&ctx.call_id));

    let out = tools
        .call(
            "create_ticket",
            json!({"order_id": "23456", "category": "address_change", "description": "new flat"}),
            &ctx,
        )
        .await;
    assert_eq!(out.result["priority"], "normal");
    let all = store
        .tickets(&TicketFilter::default())
        .await
        .expect("store");
    assert_eq!(all.len(), 2);
}

#[tokio::test]
async fn transfer_and_sms_are_recorded() {
    let (store, tools, ctx) = setup(Some(PRIYA), true).await;
    let out = tools
        .call("transfer_to_human", json!({"reason": "caller_asked"}), &ctx)
        .await;
    assert!(out.ok, "{}", out.result);
    let transfers = store.transfers(&ctx.call_id).await.expect("store");
    assert_eq!(transfers.len(), 1);
    assert_eq!(transfers[0].reason, "caller_asked");

    let long = "x".repeat(321);
    let out = tools
        .call("send_sms", json!({ "message": long }), &ctx)
        .await;
    assert!(
        error_of(&out.result).contains("321 characters"),
        "{}",
        out.result
    );
    let out = tools
        .call("send_sms", json!({"message": "hi", "to": "12345"}), &ctx)
        .await;
    assert!(
        error_of(&out.result).contains("not a valid mobile"),
        "{}",
        out.result
    );
    let out = tools
        .call(
            "send_sms",
            json!({"message": "hi", "to": "+91 5123456789"}),
            &ctx,
        )
        .await;
    assert!(!out.ok, "Indian mobiles start 6-9");

    let out = tools
        .call(
            "send_sms",
            json!({"message": "Your ticket is TKT-10001"}),
            &ctx,
        )
        .await;
    assert!(out.ok, "{}", out.result);
    assert_eq!(
        out.result["to"],
        PhoneNumber::new(PRIYA).masked(),
        "masked in the result"
    );
    let queued = store
        .sms_by_status(SmsStatus::Queued, 10)
        .await
        .expect("store");
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].to.as_str(), PRIYA, "defaults to the caller");
    assert_eq!(queued[0].body, "Your ticket is TKT-10001");

    // record = true: every call above, failures included, is in the call's record.
    let detail = store
        .call(&ctx.call_id)
        .await
        .expect("store")
        .expect("call");
    let names: Vec<&str> = detail.tool_calls.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "transfer_to_human",
            "send_sms",
            "send_sms",
            "send_sms",
            "send_sms"
        ]
    );
    assert_eq!(detail.tool_calls.iter().filter(|t| t.ok).count(), 2);
}

#[tokio::test]
async fn nothing_is_recorded_when_the_caller_of_tools_records() {
    let (store, tools, ctx) = setup(None, false).await;
    let out = tools
        .call("lookup_order", json!({"order_id": "45678"}), &ctx)
        .await;
    assert!(out.ok);
    let detail = store
        .call(&ctx.call_id)
        .await
        .expect("store")
        .expect("call");
    assert!(detail.tool_calls.is_empty());
}
