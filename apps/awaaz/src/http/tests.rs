//! Route tests on `app(state)` with `oneshot`, over the in-memory store and a
//! scripted agent, so they check the HTTP layer and the recording of turns
//! without depending on what the real agent says.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use awaaz_agent::{
    Agent, AgentError, AgentReply, AgentSession, CallAction, Language, SessionContext,
    ToolCallOutcome,
};
use awaaz_store::{CallId, MemoryStore, Speaker};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::{DateTime, Utc};
use http_body_util::BodyExt as _;
use serde_json::{json, Value};
use tower::ServiceExt as _;

use super::*;

/// Answers by keyword; counts its turns so tests can see ordering.
struct ScriptedAgent;

struct ScriptedSession {
    turns: u32,
}

#[async_trait]
impl Agent for ScriptedAgent {
    async fn start(&self, _ctx: SessionContext) -> Box<dyn AgentSession> {
        Box::new(ScriptedSession { turns: 0 })
    }
}

fn reply(text: String) -> AgentReply {
    AgentReply {
        text,
        language: Language::Hinglish,
        tool_calls: vec![],
        ended: false,
        action: None,
    }
}

#[async_trait]
impl AgentSession for ScriptedSession {
    async fn greet(&mut self, _now: DateTime<Utc>) -> AgentReply {
        reply("Namaste! Boliye, main kya madad karun?".to_owned())
    }

    async fn respond(&mut self, text: &str, _now: DateTime<Utc>) -> Result<AgentReply, AgentError> {
        self.turns += 1;
        let n = self.turns;
        if text == "fail" {
            return Err(AgentError::Model {
                reason: "scripted failure".to_owned(),
            });
        }
        if text == "slow" {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut r = reply(format!("turn {n}: {text}"));
        if text.contains("order") {
            r.tool_calls.push(ToolCallOutcome {
                name: "lookup_order".to_owned(),
                arguments: json!({ "order_id": "ORD-45678" }),
                result: json!({ "found": true, "status": "shipped" }),
                ok: true,
                duration_us: 42,
            });
        }
        if text == "bye" {
            r.ended = true;
            r.action = Some(CallAction::HangUp);
        }
        if text == "human" {
            r.ended = true;
            r.action = Some(CallAction::TransferToHuman {
                reason: "caller_asked".to_owned(),
            });
        }
        Ok(r)
    }

    fn truncate_last_reply(&mut self, _heard: &str) {}

    fn language(&self) -> Language {
        Language::Hinglish
    }
}

fn state_with(config: &Config) -> AppState {
    let store = Arc::new(MemoryStore::with_demo(Utc::now().date_naive()));
    AppState::new(store, Arc::new(ScriptedAgent), config)
}

fn state() -> AppState {
    state_with(&Config::default())
}

async fn send(
    state: &AppState,
    method: Method,
    uri: &str,
    body: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let req = req
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned())))
        .unwrap();
    let res = app(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    (status, value)
}

async fn start(state: &AppState) -> String {
    let (status, body) = send(state, Method::POST, "/api/v1/conversations", None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn say(state: &AppState, id: &str, text: &str) -> (StatusCode, Value) {
    let body = json!({ "text": text }).to_string();
    send(
        state,
        Method::POST,
        &format!("/api/v1/conversations/{id}/messages"),
        Some(&body),
    )
    .await
}

#[tokio::test]
async fn start_returns_id_and_greeting() {
    let state = state();
    let (status, body) = send(
        &state,
        Method::POST,
        "/api/v1/conversations",
        Some(r#"{"caller": "+91 98123 45678", "channel": "text"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        body["greeting"]["reply"],
        "Namaste! Boliye, main kya madad karun?"
    );
    assert_eq!(body["greeting"]["language"], "hinglish");
    assert_eq!(body["greeting"]["ended"], false);
    let id = body["id"].as_str().unwrap();
    let detail = state
        .store()
        .call(&CallId(id.to_owned()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(detail.call.status, "active");
    assert_eq!(detail.call.caller.unwrap().as_str(), "+919812345678");
    assert_eq!(detail.turns.len(), 1, "the greeting is stored");
    assert_eq!(detail.turns[0].speaker, Speaker::Agent);
    assert_eq!(state.conversations().active(), 1);
}

#[tokio::test]
async fn start_rejects_bad_bodies() {
    let state = state();
    let (status, body) = send(
        &state,
        Method::POST,
        "/api/v1/conversations",
        Some("{not json"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("invalid request body"),
        "{body}"
    );
    let (status, _) = send(
        &state,
        Method::POST,
        "/api/v1/conversations",
        Some(r#"{"channel": "pigeon"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = send(
        &state,
        Method::POST,
        "/api/v1/conversations",
        Some(r#"{"caller": "hello"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "caller is not a phone number");
    let (status, body) = send(
        &state,
        Method::POST,
        "/api/v1/conversations",
        Some(r#"{"calller": "+919812345678"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("unknown field `calller`"),
        "{body}"
    );
    assert_eq!(state.conversations().active(), 0);
}

#[tokio::test]
async fn a_turn_is_answered_and_recorded_with_tool_calls_and_latency() {
    let state = state();
    let id = start(&state).await;
    let (status, body) = say(&state, &id, "mera order kahan hai").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["reply"], "turn 1: mera order kahan hai");
    assert_eq!(body["language"], "hinglish");
    assert_eq!(body["ended"], false);
    assert_eq!(body["tool_calls"][0]["name"], "lookup_order");
    assert_eq!(body["tool_calls"][0]["arguments"]["order_id"], "ORD-45678");
    assert_eq!(body["tool_calls"][0]["result"]["status"], "shipped");

    let (status, call) = send(&state, Method::GET, &format!("/api/v1/calls/{id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    let turns = call["turns"].as_array().unwrap();
    let speakers: Vec<&str> = turns
        .iter()
        .map(|t| t["speaker"].as_str().unwrap())
        .collect();
    assert_eq!(speakers, ["agent", "caller", "agent"]);
    assert_eq!(turns[1]["text"], "mera order kahan hai");
    assert_eq!(turns[1]["language"], "hinglish");
    assert!(turns[2]["latency"]["agent_us"].as_u64().is_some(), "{call}");
    assert!(
        turns[2]["latency"]["reply_ready_ms"].as_u64().is_some(),
        "{call}"
    );
    let tools = call["tool_calls"].as_array().unwrap();
    assert_eq!(tools.len(), 1, "recorded once: {call}");
    assert_eq!(tools[0]["name"], "lookup_order");
    assert_eq!(
        tools[0]["turn_id"], turns[2]["id"],
        "linked to the agent turn"
    );
}

#[tokio::test]
async fn message_errors_have_statuses_and_json_bodies() {
    let state = state();
    let id = start(&state).await;
    let (status, body) = say(&state, "no-such-id", "hello").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({ "error": "conversation not found" }));

    let (status, body) = say(&state, &id, "   ").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "text must not be empty");
    let (status, body) = say(&state, &id, &"a".repeat(2001)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "text is longer than 2000 characters");
    let (status, _) = say(&state, &id, &"क".repeat(2000)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "2000 characters are allowed, however many bytes"
    );

    let uri = format!("/api/v1/conversations/{id}/messages");
    let (status, body) = send(&state, Method::POST, &uri, Some("{\"text\": ")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].is_string(), "{body}");
    let (status, body) = send(&state, Method::POST, &uri, Some("{\"txt\": \"hi\"}")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"].as_str().unwrap().contains("txt"), "{body}");
    let (status, body) = send(&state, Method::POST, &uri, None).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert!(body["error"].is_string());

    let (status, _) = say(&state, &id, "bye").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = say(&state, &id, "hello again").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], "conversation has ended");
}

#[tokio::test]
async fn ending_replies_end_the_call_in_the_store() {
    let state = state();
    let a = start(&state).await;
    let (_, body) = say(&state, &a, "bye").await;
    assert_eq!(body["ended"], true);
    let b = start(&state).await;
    let (_, body) = say(&state, &b, "human").await;
    assert_eq!(body["action"]["type"], "transfer_to_human");
    let a = state.store().call(&CallId(a)).await.unwrap().unwrap();
    let b = state.store().call(&CallId(b)).await.unwrap().unwrap();
    assert_eq!(a.call.status, "completed");
    assert!(a.call.ended_at.is_some());
    assert_eq!(b.call.status, "transferred");
    assert_eq!(state.conversations().active(), 0);
}

#[tokio::test]
async fn agent_failure_is_a_500_without_details_and_the_call_goes_on() {
    let state = state();
    let id = start(&state).await;
    let (status, body) = say(&state, &id, "fail").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body, json!({ "error": "internal server error" }));
    let (status, body) = say(&state, &id, "hello").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["reply"], "turn 2: hello");
}

#[tokio::test]
async fn two_messages_on_one_conversation_are_serialised() {
    let state = state();
    let id = start(&state).await;
    let (a, b) = tokio::join!(say(&state, &id, "slow"), say(&state, &id, "slow"));
    assert_eq!(a.0, StatusCode::OK);
    assert_eq!(b.0, StatusCode::OK);
    let mut replies = [
        a.1["reply"].as_str().unwrap(),
        b.1["reply"].as_str().unwrap(),
    ];
    replies.sort_unstable();
    assert_eq!(replies, ["turn 1: slow", "turn 2: slow"]);
    let detail = state.store().call(&CallId(id)).await.unwrap().unwrap();
    let speakers: Vec<Speaker> = detail.turns.iter().map(|t| t.speaker).collect();
    assert_eq!(
        speakers,
        [
            Speaker::Agent,
            Speaker::Caller,
            Speaker::Agent,
            Speaker::Caller,
            Speaker::Agent
        ],
        "turns never interleave"
    );
}

#[tokio::test]
async fn the_limit_refuses_new_conversations_until_idle_ones_are_evicted() {
    let config = Config {
        max_conversations: 2,
        conversation_idle_timeout: Duration::from_millis(100),
        ..Config::default()
    };
    let state = state_with(&config);
    let first = start(&state).await;
    start(&state).await;
    let (status, body) = send(&state, Method::POST, "/api/v1/conversations", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"], "too many active conversations (limit 2)");

    tokio::time::sleep(Duration::from_millis(150)).await;
    let third = start(&state).await;
    assert_ne!(third, first);
    assert_eq!(
        state.conversations().active(),
        1,
        "both idle ones were ended"
    );
    let first = state
        .store()
        .call(&CallId(first.clone()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.call.status, "timed_out");
    let (status, _) = say(&state, &first.call.id.0, "hello").await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn shutdown_ends_active_conversations() {
    let state = state();
    let id = start(&state).await;
    state.conversations().end_all("completed").await;
    let detail = state.store().call(&CallId(id)).await.unwrap().unwrap();
    assert_eq!(detail.call.status, "completed");
    assert_eq!(state.conversations().active(), 0);
}

#[tokio::test]
async fn listings_and_lookups() {
    let state = state();
    let (status, body) = send(&state, Method::GET, "/api/v1/orders/ORD-45678", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "shipped");
    assert_eq!(body["courier"], "Delhivery");
    let (status, body) = send(&state, Method::GET, "/api/v1/orders/45678", None).await;
    assert_eq!(status, StatusCode::OK, "bare digits are accepted");
    assert_eq!(body["id"], "ORD-45678");
    let (status, body) = send(&state, Method::GET, "/api/v1/orders/ORD-1", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({ "error": "order not found" }));

    let (status, body) = send(
        &state,
        Method::GET,
        "/api/v1/orders?phone=%2B919812345678&limit=100",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = body["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"ORD-45678") && ids.contains(&"ORD-33445"),
        "{ids:?}"
    );
    assert!(
        !ids.contains(&"ORD-12345"),
        "Rahul's order is not Priya's: {ids:?}"
    );

    let (status, body) = send(
        &state,
        Method::GET,
        "/api/v1/orders?status=shipped&limit=5",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let orders = body["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 5);
    assert!(orders.iter().all(|o| o["status"] == "shipped"));
    let (status, body) = send(&state, Method::GET, "/api/v1/orders?status=lost", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"].as_str().unwrap().contains("refund_completed"),
        "{body}"
    );
    let (status, body) = send(&state, Method::GET, "/api/v1/orders?limit=many", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].is_string());

    let (status, body) = send(&state, Method::GET, "/api/v1/products", None).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = body["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Blue Cotton Kurta"), "{names:?}");

    let (status, body) = send(&state, Method::GET, "/api/v1/tickets?order_id=45678", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["tickets"].is_array());

    let (status, body) = send(&state, Method::GET, "/api/v1/calls/nope", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "call not found");
    let (status, body) = send(&state, Method::GET, "/api/v1/nothing", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "route not found");
    let (status, body) = send(&state, Method::DELETE, "/api/v1/products", None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["error"], "method not allowed");
}

#[tokio::test]
async fn calls_are_listed_newest_first() {
    let state = state();
    let a = start(&state).await;
    let b = start(&state).await;
    let (status, body) = send(&state, Method::GET, "/api/v1/calls?limit=1", None).await;
    assert_eq!(status, StatusCode::OK);
    let calls = body["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["id"], b.as_str());
    let (_, body) = send(&state, Method::GET, "/api/v1/calls?limit=1&offset=1", None).await;
    assert_eq!(body["calls"][0]["id"], a.as_str());
}

#[tokio::test]
async fn health_and_metrics() {
    let state = state();
    let (status, body) = send(&state, Method::GET, "/health", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["store"], "ok");

    let id = start(&state).await;
    say(&state, &id, "order please").await;
    say(&state, "missing", "hi").await;
    let (status, text) = send(&state, Method::GET, "/metrics", None).await;
    assert_eq!(status, StatusCode::OK);
    let text = text.as_str().unwrap();
    assert!(text.contains("awaaz_conversations_active 1\n"), "{text}");
    assert!(
        text.contains("awaaz_conversations_started_total 1\n"),
        "{text}"
    );
    assert!(
        text.contains("awaaz_agent_turn_duration_seconds_count 2\n"),
        "greeting + turn: {text}"
    );
    assert!(
        text.contains("awaaz_tool_calls_total{name=\"lookup_order\",ok=\"true\"} 1\n"),
        "{text}"
    );
    assert!(text.contains(
        "awaaz_http_requests_total{method=\"POST\",route=\"/api/v1/conversations/{id}/messages\",status=\"404\"} 1\n"
    ), "{text}");
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_json() {
    let state = state();
    let id = start(&state).await;
    let huge = json!({ "text": "a".repeat(100 * 1024) }).to_string();
    let (status, body) = send(
        &state,
        Method::POST,
        &format!("/api/v1/conversations/{id}/messages"),
        Some(&huge),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body["error"].is_string(), "{body}");
}
