//! Whole conversations through HTTP, as a caller would have them, in English,
//! Hinglish and Hindi. They check what must be true whatever the wording:
//! which tools ran with which ids, what the store holds afterwards, and a few
//! words the reply cannot do without.

use awaaz_tests::{mentions_any, start_server, ticket_id_in, tool_calls, TestServer};
use serde_json::Value;

/// Digits only, so "TKT-10234" and "T K T 1 0 2 3 4" compare equal.
fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// Says `first`; if the agent asks for confirmation instead of calling
/// `tool`, says each of `follow_ups` in turn until it does.
async fn until_tool(
    server: &TestServer,
    id: &str,
    tool: &str,
    first: &str,
    follow_ups: &[&str],
) -> Value {
    let mut reply = server.say(id, first).await;
    for next in follow_ups {
        if !tool_calls(&reply, tool).is_empty() {
            break;
        }
        reply = server.say(id, next).await;
    }
    assert_eq!(
        tool_calls(&reply, tool).len(),
        1,
        "{tool} was never called; last reply {reply}"
    );
    reply
}

#[tokio::test]
async fn hinglish_order_status_is_shipped_with_delhivery() {
    let server = start_server().await;
    let conv = server.start_conversation(Some("+919812345678")).await;
    let reply = server
        .say(&conv.id, "mera order 4 5 6 7 8 kab tak aayega?")
        .await;
    assert_eq!(reply["language"], "hinglish", "{reply}");
    let lookup = tool_calls(&reply, "lookup_order");
    assert_eq!(lookup.len(), 1, "{reply}");
    let result = lookup[0]["result"].to_string();
    assert!(
        result.contains("ORD-45678") && result.contains("shipped"),
        "{result}"
    );
    assert!(
        mentions_any(&reply, &["delhivery"]),
        "courier named: {reply}"
    );
    assert!(
        mentions_any(&reply, &["ship", "raste", "nikal", "bhej", "dispatch"]),
        "{reply}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn english_order_out_for_delivery_today() {
    let server = start_server().await;
    let conv = server.start_conversation(None).await;
    let reply = server.say(&conv.id, "Hi, where is my order 12345?").await;
    assert_eq!(reply["language"], "en", "{reply}");
    let lookup = tool_calls(&reply, "lookup_order");
    assert_eq!(lookup.len(), 1, "{reply}");
    assert!(
        lookup[0]["result"].to_string().contains("out_for_delivery"),
        "{reply}"
    );
    assert!(
        mentions_any(&reply, &["today", "out for delivery"]),
        "{reply}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn hindi_order_status_answers_in_devanagari() {
    let server = start_server().await;
    let conv = server.start_conversation(None).await;
    let reply = server.say(&conv.id, "मेरा ऑर्डर 45678 कहाँ है?").await;
    assert_eq!(reply["language"], "hi", "{reply}");
    let lookup = tool_calls(&reply, "lookup_order");
    assert_eq!(lookup.len(), 1, "{reply}");
    assert!(
        lookup[0]["result"].to_string().contains("ORD-45678"),
        "{reply}"
    );
    let text = reply["reply"].as_str().unwrap();
    assert!(
        text.chars().any(|c| ('\u{0900}'..='\u{097F}').contains(&c)),
        "Devanagari reply: {text}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn blue_kurta_in_medium_is_available() {
    let server = start_server().await;
    let conv = server.start_conversation(None).await;
    let reply = server
        .say(&conv.id, "do you have the blue kurta in medium?")
        .await;
    let checks = tool_calls(&reply, "check_product_availability");
    assert_eq!(checks.len(), 1, "{reply}");
    let args = &checks[0]["arguments"];
    assert!(
        args["product"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("kurta"),
        "{args}"
    );
    assert_eq!(args["colour"], "blue", "{args}");
    assert_eq!(args["size"], "M", "{args}");
    assert!(
        checks[0]["result"]
            .to_string()
            .contains("Blue Cotton Kurta"),
        "{reply}"
    );
    assert!(
        mentions_any(&reply, &["available", "in stock", "have it", "we have"]),
        "{reply}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn romanised_hindi_kurta_out_of_stock_offers_alternatives() {
    let server = start_server().await;
    let conv = server.start_conversation(None).await;
    let reply = server
        .say(&conv.id, "kya blue kurta XL size mein milega?")
        .await;
    let checks = tool_calls(&reply, "check_product_availability");
    assert_eq!(checks.len(), 1, "{reply}");
    assert_eq!(checks[0]["arguments"]["size"], "XL", "{reply}");
    // Blue XL has no stock; the agent must not say it is available.
    assert!(
        mentions_any(
            &reply,
            &["nahi", "out of stock", "khatam", "stock mein nahi"]
        ),
        "{reply}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn damaged_item_complaint_opens_a_ticket() {
    let server = start_server().await;
    let conv = server.start_conversation(Some("+919812345678")).await;
    let reply = until_tool(
        &server,
        &conv.id,
        "create_ticket",
        "order 45679 mein pressure cooker toota hua aaya hai, complaint karni hai",
        &["haan, complaint register kar do", "haan"],
    )
    .await;
    let ticket = &tool_calls(&reply, "create_ticket")[0];
    assert_eq!(ticket["arguments"]["order_id"], "ORD-45679", "{ticket}");
    assert_eq!(ticket["arguments"]["category"], "damaged", "{ticket}");
    let id = ticket_id_in(&ticket["result"].to_string()).expect("ticket id in the tool result");
    assert!(
        digits(reply["reply"].as_str().unwrap()).contains(&digits(&id)),
        "the caller hears the ticket number {id}: {reply}"
    );

    let (status, tickets) = server.get("/api/v1/tickets?order_id=ORD-45679").await;
    assert_eq!(status, 200);
    let listed = tickets["tickets"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{tickets}");
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["category"], "damaged");
    assert_eq!(listed[0]["call_id"], conv.id.as_str());

    // Offered an SMS with the details, the caller accepts.
    if mentions_any(&reply, &["sms"]) {
        let sms = server.say(&conv.id, "haan, bhej do").await;
        let sent = tool_calls(&sms, "send_sms");
        assert_eq!(sent.len(), 1, "{sms}");
        assert_eq!(sent[0]["ok"], true, "{sms}");
        assert!(
            sent[0]["arguments"]["message"]
                .as_str()
                .unwrap()
                .contains(&id),
            "{sms}"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn asking_for_a_person_transfers_the_call() {
    let server = start_server().await;
    let conv = server.start_conversation(Some("+919876543210")).await;
    let reply = server
        .say(&conv.id, "mujhe kisi insaan se baat karao")
        .await;
    let transfers = tool_calls(&reply, "transfer_to_human");
    assert_eq!(transfers.len(), 1, "{reply}");
    assert_eq!(reply["action"]["type"], "transfer_to_human", "{reply}");
    let call = server.call(&conv.id).await;
    assert_eq!(tool_calls(&call, "transfer_to_human").len(), 1, "{call}");
    if reply["ended"] == true {
        assert_eq!(call["call"]["status"], "transferred", "{call}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn goodbye_ends_the_conversation() {
    let server = start_server().await;
    let conv = server.start_conversation(None).await;
    let reply = server.say(&conv.id, "theek hai, dhanyavaad. bye!").await;
    assert_eq!(reply["ended"], true, "{reply}");
    assert!(
        tool_calls(&reply, "transfer_to_human").is_empty(),
        "{reply}"
    );
    let call = server.call(&conv.id).await;
    assert_eq!(call["call"]["status"], "completed");
    let (status, _) = server.message(&conv.id, "hello?").await;
    assert_eq!(status, 409);
    server.shutdown().await;
}

#[tokio::test]
async fn a_multi_turn_call_keeps_the_order_in_context() {
    let server = start_server().await;
    let conv = server.start_conversation(Some("+919812345678")).await;
    let first = server
        .say(&conv.id, "namaste, mera parcel abhi tak nahi aaya")
        .await;
    // Without an order number the agent either asks for it or looks up the
    // caller's orders by phone; both are fine, guessing an order is not.
    if let Some(lookup) = tool_calls(&first, "lookup_order").first() {
        assert!(
            lookup["arguments"]
                .get("order_id")
                .is_none_or(Value::is_null),
            "{first}"
        );
    }
    let second = server.say(&conv.id, "order number hai 33445").await;
    let lookup = tool_calls(&second, "lookup_order");
    assert_eq!(lookup.len(), 1, "{second}");
    assert!(
        lookup[0]["result"].to_string().contains("ORD-33445"),
        "{second}"
    );
    // ORD-33445 was due yesterday: the agent must own the delay.
    assert!(
        mentions_any(
            &second,
            &["delay", "late", "der", "sorry", "maafi", "kal tak", "expected"]
        ),
        "{second}"
    );
    server.shutdown().await;
}
