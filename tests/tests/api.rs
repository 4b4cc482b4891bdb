//! The HTTP API contract over a real socket, the real agent and a real
//! SQLite store: status codes, JSON shapes and error bodies.

use awaaz_tests::{start_server, tool_calls};
use serde_json::{json, Value};

fn is_error_body(v: &Value) -> bool {
    v.as_object()
        .is_some_and(|o| o.len() == 1 && o["error"].as_str().is_some_and(|s| !s.is_empty()))
}

#[tokio::test]
async fn conversation_contract() {
    let server = start_server().await;
    let conv = server.start_conversation(Some("+919812345678")).await;
    let greeting = &conv.started["greeting"];
    assert!(
        !greeting["reply"].as_str().unwrap().is_empty(),
        "{greeting}"
    );
    assert!(["en", "hinglish", "hi"].contains(&greeting["language"].as_str().unwrap()));
    assert_eq!(greeting["ended"], false);
    assert!(greeting["tool_calls"].is_array());

    let reply = server.say(&conv.id, "where is my order 45678?").await;
    for key in ["reply", "language", "tool_calls", "ended"] {
        assert!(reply.get(key).is_some(), "missing {key}: {reply}");
    }
    let lookups = tool_calls(&reply, "lookup_order");
    assert_eq!(lookups.len(), 1, "{reply}");
    for key in ["name", "arguments", "result"] {
        assert!(
            lookups[0].get(key).is_some(),
            "tool call without {key}: {reply}"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn start_body_is_optional_and_validated() {
    let server = start_server().await;
    let (status, body) = server.post("/api/v1/conversations", None).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = server
        .post("/api/v1/conversations", Some(&json!({ "channel": "text" })))
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = server
        .post_raw("/api/v1/conversations", "application/json", "{oops")
        .await;
    assert_eq!(status, 400);
    assert!(is_error_body(&body), "{body}");
    let (status, body) = server
        .post("/api/v1/conversations", Some(&json!({ "channel": "fax" })))
        .await;
    assert_eq!(status, 422);
    assert!(is_error_body(&body), "{body}");
    server.shutdown().await;
}

#[tokio::test]
async fn message_errors() {
    let server = start_server().await;
    let conv = server.start_conversation(None).await;

    let (status, body) = server
        .message("0190a0a0-0000-7000-8000-000000000000", "hello")
        .await;
    assert_eq!(
        (status, body),
        (404, json!({ "error": "conversation not found" }))
    );

    let (status, body) = server.message(&conv.id, "").await;
    assert_eq!(status, 422);
    assert_eq!(body["error"], "text must not be empty");
    let (status, body) = server.message(&conv.id, &"ha ".repeat(700)).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"], "text is longer than 2000 characters");

    let path = format!("/api/v1/conversations/{}/messages", conv.id);
    let (status, body) = server
        .post_raw(&path, "application/json", "{\"text\": \"hi\"")
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(is_error_body(&body), "{body}");
    let (status, body) = server
        .post_raw(&path, "application/json", "{\"text\": 5}")
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("invalid type"),
        "{body}"
    );
    let (status, body) = server.post_raw(&path, "text/plain", "hello").await;
    assert_eq!(status, 415, "{body}");
    assert!(is_error_body(&body), "{body}");

    // Rejected messages were not stored: only the greeting is there.
    let call = server.call(&conv.id).await;
    assert_eq!(call["turns"].as_array().unwrap().len(), 1, "{call}");

    let reply = server.say(&conv.id, "bye").await;
    assert_eq!(reply["ended"], true, "{reply}");
    let (status, body) = server.message(&conv.id, "hello?").await;
    assert_eq!(
        (status, body),
        (409, json!({ "error": "conversation has ended" }))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn orders_products_tickets_and_calls() {
    let server = start_server().await;
    let (status, order) = server.get("/api/v1/orders/ORD-45678").await;
    assert_eq!(status, 200);
    assert_eq!(order["status"], "shipped");
    assert_eq!(order["courier"], "Delhivery");
    assert_eq!(order["tracking_number"], "DL1234567890IN");
    assert_eq!(order["items"][0]["product_name"], "Blue Cotton Kurta");
    let (status, body) = server.get("/api/v1/orders/ORD-99999").await;
    assert_eq!((status, body), (404, json!({ "error": "order not found" })));

    let (status, body) = server.get("/api/v1/orders?phone=9876543210").await;
    assert_eq!(status, 200);
    let mut ids: Vec<&str> = body["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        ["ORD-11223", "ORD-12345", "ORD-23456"],
        "Rahul's orders"
    );

    let (status, body) = server
        .get("/api/v1/orders?status=refund_initiated&limit=500")
        .await;
    assert_eq!(status, 200);
    let orders = body["orders"].as_array().unwrap();
    assert!(orders.iter().any(|o| o["id"] == "ORD-78901"));
    assert!(orders.iter().all(|o| o["status"] == "refund_initiated"));
    let (status, body) = server.get("/api/v1/orders?status=teleported").await;
    assert_eq!(status, 400);
    assert!(is_error_body(&body));
    let (status, body) = server.get("/api/v1/orders?offset=-1").await;
    assert_eq!(status, 400);
    assert!(is_error_body(&body), "{body}");

    let (status, body) = server.get("/api/v1/products").await;
    assert_eq!(status, 200);
    let products = body["products"].as_array().unwrap();
    assert!(products.len() >= 60, "{}", products.len());
    let kurta = products
        .iter()
        .find(|p| p["name"] == "Blue Cotton Kurta")
        .expect("kurta");
    let blue_m = kurta["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["colour"] == "blue" && v["size"] == "M")
        .expect("blue M");
    assert_eq!(blue_m["stock"], 12);

    let (status, body) = server.get("/api/v1/tickets?order_id=ORD-45678").await;
    assert_eq!(status, 200);
    assert_eq!(body["tickets"], json!([]));

    let (status, body) = server.get("/api/v1/calls").await;
    assert_eq!(status, 200);
    assert_eq!(body["calls"], json!([]));
    let (status, body) = server.get("/api/v1/calls/unknown").await;
    assert_eq!((status, body), (404, json!({ "error": "call not found" })));
    let (status, body) = server.get("/api/v2/anything").await;
    assert_eq!(status, 404);
    assert!(is_error_body(&body));
    server.shutdown().await;
}

#[tokio::test]
async fn health_reports_the_store() {
    let server = start_server().await;
    let (status, body) = server.get("/health").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["store"], "ok");
    assert_eq!(body["active_conversations"], 0);
    server.shutdown().await;
}

#[tokio::test]
async fn metrics_expose_the_turn_latency_histogram() {
    let server = start_server().await;
    let conv = server.start_conversation(None).await;
    server.say(&conv.id, "mera order 45678 kahan hai").await;
    let (status, text) = server.get_text("/metrics").await;
    assert_eq!(status, 200);
    assert!(
        text.contains("# TYPE awaaz_agent_turn_duration_seconds histogram"),
        "{text}"
    );
    assert!(
        text.contains("awaaz_agent_turn_duration_seconds_bucket{le=\"+Inf\"} 2\n"),
        "{text}"
    );
    assert!(
        text.contains("awaaz_agent_turn_duration_seconds_count 2\n"),
        "{text}"
    );
    assert!(text.contains("awaaz_conversations_active 1\n"), "{text}");
    assert!(
        text.contains("awaaz_tool_calls_total{name=\"lookup_order\",ok=\"true\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "awaaz_http_requests_total{method=\"POST\",route=\"/api/v1/conversations\",status=\"201\"} 1\n"
        ),
        "{text}"
    );
    server.shutdown().await;
}
