//! The softphone protocol: the sans-I/O validator directly, then the socket
//! over a real listener with a WebSocket client.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use awaaz_speech::tts::SilentSynthesizer;
use awaaz_speech::ScriptedRecognizer;
use awaaz_store::{CallStore as _, MemoryStore};
use chrono::Utc;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::*;
use crate::config::Config;

// ---- WebProtocol ----

#[test]
fn start_then_audio_is_accepted_as_16khz_samples() {
    let mut p = WebProtocol::new();
    assert_eq!(
        p.handle_text(r#"{"type":"start","sample_rate_hz":16000}"#),
        Ok(CallerInput::Start)
    );
    assert!(p.is_started());
    let frame: Vec<u8> = [1i16, -2, 300]
        .iter()
        .flat_map(|s| s.to_le_bytes())
        .collect();
    assert_eq!(
        p.handle_binary(&frame),
        Ok(CallerInput::Audio(AudioChunk::new(vec![1, -2, 300])))
    );
}

#[test]
fn audio_and_marks_before_start_are_refused() {
    let mut p = WebProtocol::new();
    assert_eq!(
        p.handle_binary(&[0, 0]),
        Err(ProtocolError::NotStarted { what: "audio" })
    );
    assert_eq!(
        p.handle_text(r#"{"type":"mark","name":"c1"}"#),
        Err(ProtocolError::NotStarted { what: "mark" })
    );
}

#[test]
fn only_16khz_and_only_one_start() {
    let mut p = WebProtocol::new();
    assert_eq!(
        p.handle_text(r#"{"type":"start","sample_rate_hz":48000}"#),
        Err(ProtocolError::UnsupportedSampleRate {
            got: 48_000,
            expected: 16_000
        })
    );
    assert!(!p.is_started());
    assert!(p
        .handle_text(r#"{"type":"start","sample_rate_hz":16000}"#)
        .is_ok());
    assert_eq!(
        p.handle_text(r#"{"type":"start","sample_rate_hz":16000}"#),
        Err(ProtocolError::AlreadyStarted)
    );
}

#[test]
fn malformed_and_oversized_frames_are_errors() {
    let mut p = WebProtocol::new();
    p.handle_text(r#"{"type":"start","sample_rate_hz":16000}"#)
        .unwrap();
    for bad in [
        "not json",
        "{}",
        r#"{"type":"dance"}"#,
        r#"{"type":"mark"}"#,
        "[1,2]",
    ] {
        assert!(
            matches!(p.handle_text(bad), Err(ProtocolError::InvalidEvent { .. })),
            "{bad}"
        );
    }
    assert_eq!(
        p.handle_binary(&[0, 0, 0]),
        Err(ProtocolError::OddAudioLength { len: 3 })
    );
    assert_eq!(
        p.handle_binary(&vec![0; MAX_AUDIO_FRAME_BYTES + 2]),
        Err(ProtocolError::AudioTooLarge {
            len: MAX_AUDIO_FRAME_BYTES + 2,
            max: MAX_AUDIO_FRAME_BYTES
        })
    );
    let long = format!(
        r#"{{"type":"mark","name":"{}"}}"#,
        "x".repeat(MAX_TEXT_FRAME_BYTES)
    );
    assert!(matches!(
        p.handle_text(&long),
        Err(ProtocolError::EventTooLarge { .. })
    ));
}

#[test]
fn mark_names_are_kept_short() {
    let mut p = WebProtocol::new();
    p.handle_text(r#"{"type":"start","sample_rate_hz":16000}"#)
        .unwrap();
    let text = format!(r#"{{"type":"mark","name":"{}"}}"#, "m".repeat(500));
    assert_eq!(
        p.handle_text(&text),
        Ok(CallerInput::Mark("m".repeat(MAX_MARK_NAME_CHARS)))
    );
}

#[test]
fn server_events_have_the_documented_shape() {
    let cases = [
        (
            ServerEvent::Started {
                call_id: "c".to_owned(),
                sample_rate_hz: 16_000,
            },
            json!({"type": "started", "call_id": "c", "sample_rate_hz": 16000}),
        ),
        (
            ServerEvent::Transcript {
                speaker: TranscriptSpeaker::Caller,
                text: "mera order".to_owned(),
                is_final: false,
            },
            json!({"type": "transcript", "speaker": "caller", "text": "mera order", "final": false}),
        ),
        (
            ServerEvent::ToolCall {
                name: "lookup_order".to_owned(),
                arguments: json!({"order_id": "ORD-45678"}),
                result: json!({"status": "shipped"}),
            },
            json!({"type": "tool_call", "name": "lookup_order",
                   "arguments": {"order_id": "ORD-45678"}, "result": {"status": "shipped"}}),
        ),
        (
            ServerEvent::Latency {
                voice_to_voice_ms: 420,
                asr_ms: Some(150),
                agent_ms: None,
                tts_ms: None,
            },
            json!({"type": "latency", "voice_to_voice_ms": 420, "asr_ms": 150}),
        ),
        (
            ServerEvent::Mark {
                name: "t1-c0".to_owned(),
            },
            json!({"type": "mark", "name": "t1-c0"}),
        ),
        (ServerEvent::Clear, json!({"type": "clear"})),
        (
            ServerEvent::Ended {
                reason: "hangup".to_owned(),
            },
            json!({"type": "ended", "reason": "hangup"}),
        ),
        (
            ServerEvent::Error {
                message: "x".to_owned(),
            },
            json!({"type": "error", "message": "x"}),
        ),
    ];
    for (event, expected) in cases {
        assert_eq!(serde_json::to_value(&event).unwrap(), expected);
    }
}

// ---- over a real socket ----

type Client =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A real server on a free port: embedded agent on the demo shop, browser
/// calls over `awaaz-call` with a scripted recogniser (it "hears" `heard`,
/// one line per caller utterance) and a fast silent synthesiser.
async fn server_hearing(heard: &[&str]) -> (SocketAddr, crate::ServerHandle, Arc<MemoryStore>) {
    let (addr, handle, store, agent) = base_server().await;
    let engines = CallEngines::new(
        store.clone(),
        agent,
        Arc::new(ScriptedRecognizer::new(heard.iter().copied())),
        Arc::new(SilentSynthesizer::with_ms_per_char(4)),
    );
    let calls = WebCalls::new(engines, CallConfig::default(), 4);
    assert!(handle.state().set_web_calls(Arc::new(calls)));
    (addr, handle, store)
}

async fn server_without_voice() -> (SocketAddr, crate::ServerHandle, Arc<MemoryStore>) {
    let (addr, handle, store, _) = base_server().await;
    (addr, handle, store)
}

async fn base_server() -> (
    SocketAddr,
    crate::ServerHandle,
    Arc<MemoryStore>,
    Arc<dyn Agent>,
) {
    let store = Arc::new(MemoryStore::with_demo(Utc::now().date_naive()));
    let agent: Arc<dyn Agent> = Arc::new(
        awaaz_agent::EmbeddedAgent::load_with(
            store.clone(),
            awaaz_agent::EmbeddedConfig::default(),
        )
        .await
        .unwrap(),
    );
    let state = AppState::new(store.clone(), Arc::clone(&agent), &Config::default());
    let (addr, handle) = crate::start_with_state(state, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    (addr, handle, store, agent)
}

async fn connect(addr: SocketAddr) -> Client {
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/web/call"))
        .await
        .unwrap();
    ws
}

/// What the page would see, as it arrives.
#[derive(Debug, Default)]
struct Seen {
    events: Vec<Value>,
    audio_bytes: usize,
}

/// The next JSON event (counting audio on the way); `None` when the socket
/// closed.
async fn next_event(ws: &mut Client, seen: &mut Seen) -> Option<Value> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("no frame within 10 s")?;
        match msg {
            Ok(WsMessage::Text(t)) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                seen.events.push(v.clone());
                return Some(v);
            }
            Ok(WsMessage::Binary(b)) => seen.audio_bytes += b.len(),
            Ok(WsMessage::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// Skips to the next event of `kind`, echoing marks like the page does.
async fn expect(ws: &mut Client, seen: &mut Seen, kind: &str) -> Value {
    loop {
        let e = next_event(ws, seen)
            .await
            .unwrap_or_else(|| panic!("socket closed before a {kind} event: {:?}", seen.events));
        if e["type"] == kind {
            return e;
        }
        if e["type"] == "mark" {
            send_json(ws, json!({"type": "mark", "name": e["name"]})).await;
        }
    }
}

async fn send_json(ws: &mut Client, v: Value) {
    ws.send(WsMessage::Text(v.to_string().into()))
        .await
        .unwrap();
}

/// 20 ms of a 300 Hz tone (loud enough to be speech) or of silence.
#[allow(clippy::cast_possible_truncation)] // |sample| ≤ 8000 fits in i16
fn frame(loud: bool, n: usize) -> Vec<u8> {
    (0..320)
        .map(|i| {
            if loud {
                let t = (n * 320 + i) as f64 / 16_000.0;
                (8_000.0 * (2.0 * std::f64::consts::PI * 300.0 * t).sin()) as i16
            } else {
                0
            }
        })
        .flat_map(i16::to_le_bytes)
        .collect()
}

async fn start_call(ws: &mut Client, seen: &mut Seen) -> String {
    send_json(ws, json!({"type": "start", "sample_rate_hz": 16000})).await;
    let started = expect(ws, seen, "started").await;
    assert_eq!(started["sample_rate_hz"], 16000);
    started["call_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_spoken_question_gets_transcript_tool_call_spoken_reply_and_latency() {
    let (addr, handle, store) = server_hearing(&["where is my order 45678"]).await;
    let mut ws = connect(addr).await;
    let mut seen = Seen::default();
    let call_id = start_call(&mut ws, &mut seen).await;

    // The greeting is spoken first; wait for its last mark so the question
    // does not barge in on it.
    let greeting = expect(&mut ws, &mut seen, "transcript").await;
    assert_eq!(greeting["speaker"], "agent");
    expect(&mut ws, &mut seen, "mark").await;
    let greeting_audio = seen.audio_bytes;
    assert!(greeting_audio > 0, "greeting audio");

    // 0.8 s of "speech", then 1.2 s of silence ends the turn.
    for n in 0..100 {
        ws.send(WsMessage::Binary(frame(n < 40, n).into()))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let caller = expect(&mut ws, &mut seen, "transcript").await;
    assert_eq!(
        caller,
        json!({"type": "transcript", "speaker": "caller", "text": "where is my order 45678", "final": true})
    );
    let tool = expect(&mut ws, &mut seen, "tool_call").await;
    assert!(tool["name"].as_str().unwrap().contains("order"), "{tool}");
    assert!(tool["arguments"].to_string().contains("45678"), "{tool}");
    let reply = expect(&mut ws, &mut seen, "transcript").await;
    assert_eq!(reply["speaker"], "agent");
    let text = reply["text"].as_str().unwrap().to_lowercase();
    assert!(
        text.contains("shipped") || text.contains("delhivery"),
        "{text}"
    );
    let latency = expect(&mut ws, &mut seen, "latency").await;
    let v2v = latency["voice_to_voice_ms"].as_u64().unwrap();
    assert!(v2v > 0 && v2v < 10_000, "{latency}");
    assert!(seen.audio_bytes > greeting_audio, "reply audio");

    send_json(&mut ws, json!({"type": "hangup"})).await;
    let ended = expect(&mut ws, &mut seen, "ended").await;
    assert_eq!(ended["reason"], "hangup");

    // The call and its caller turn are in the store.
    let id = CallId(call_id);
    let mut stored = None;
    for _ in 0..50 {
        stored = store.call(&id).await.unwrap();
        if stored.as_ref().is_some_and(|c| c.call.ended_at.is_some()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stored = stored.expect("call stored");
    assert_eq!(stored.call.channel, Channel::Web);
    assert!(stored
        .turns
        .iter()
        .any(|t| t.text == "where is my order 45678"));
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn call_starts_survives_bad_frames_and_ends_on_hangup() {
    let (addr, handle, _) = server_hearing(&[]).await;
    let mut ws = connect(addr).await;
    let mut seen = Seen::default();

    // Audio before start: an error, and the socket stays open.
    ws.send(WsMessage::Binary(vec![0u8; 640].into()))
        .await
        .unwrap();
    let e = expect(&mut ws, &mut seen, "error").await;
    assert_eq!(e["message"], "send start before audio");

    let call_id = start_call(&mut ws, &mut seen).await;
    assert_eq!(call_id.len(), 36);

    ws.send(WsMessage::Text("{oops".into())).await.unwrap();
    let e = expect(&mut ws, &mut seen, "error").await;
    assert!(e["message"].as_str().unwrap().starts_with("invalid event"));

    ws.send(WsMessage::Binary(vec![0u8; 641].into()))
        .await
        .unwrap();
    let e = expect(&mut ws, &mut seen, "error").await;
    assert_eq!(e["message"], "audio frame has an odd number of bytes (641)");

    ws.send(WsMessage::Binary(
        vec![0u8; MAX_AUDIO_FRAME_BYTES + 2].into(),
    ))
    .await
    .unwrap();
    let e = expect(&mut ws, &mut seen, "error").await;
    assert_eq!(
        e["message"],
        format!("audio frame too large (16002 bytes, limit {MAX_AUDIO_FRAME_BYTES})")
    );

    // Good audio is accepted silently; hang-up ends the call.
    for n in 0..10 {
        ws.send(WsMessage::Binary(frame(false, n).into()))
            .await
            .unwrap();
    }
    send_json(&mut ws, json!({"type": "hangup"})).await;
    let ended = expect(&mut ws, &mut seen, "ended").await;
    assert_eq!(ended, json!({"type": "ended", "reason": "hangup"}));
    assert_eq!(next_event(&mut ws, &mut seen).await, None);
    assert!(
        !seen
            .events
            .iter()
            .any(|e| e["type"] == "ended" && e != &ended),
        "one ended event"
    );
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn without_speech_engines_the_call_is_refused_with_a_reason() {
    let (addr, handle, _) = server_without_voice().await;
    let mut ws = connect(addr).await;
    let mut seen = Seen::default();
    send_json(&mut ws, json!({"type": "start", "sample_rate_hz": 16000})).await;
    let e = expect(&mut ws, &mut seen, "error").await;
    assert!(e["message"].as_str().unwrap().contains("not available"));
    let ended = expect(&mut ws, &mut seen, "ended").await;
    assert_eq!(ended["reason"], "unavailable");
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_frame_over_the_socket_limit_closes_the_connection() {
    let (addr, handle, _) = server_hearing(&[]).await;
    let mut ws = connect(addr).await;
    let mut seen = Seen::default();
    start_call(&mut ws, &mut seen).await;
    // The client may see the close or a reset; either way the server keeps
    // serving other calls.
    let _ = ws
        .send(WsMessage::Binary(
            vec![0u8; MAX_SOCKET_MESSAGE_BYTES + 2].into(),
        ))
        .await;
    while next_event(&mut ws, &mut seen).await.is_some() {}

    let mut other = connect(addr).await;
    start_call(&mut other, &mut seen).await;
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_page_and_its_assets_are_served() {
    let (addr, handle, _) = server_without_voice().await;
    for (path, kind, needle) in [
        ("/", "text/html", "/web/softphone.js"),
        ("/web/softphone.js", "text/javascript", "/web/call"),
        (
            "/web/capture-worklet.js",
            "text/javascript",
            "registerProcessor",
        ),
        ("/web/softphone.css", "text/css", ".transcript"),
    ] {
        let (status, content_type, body) = http_get(addr, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
        assert!(body.contains(needle), "{path}");
    }
    handle.shutdown().await.unwrap();
}

/// A minimal HTTP/1.1 GET, so this test needs no HTTP client crate.
async fn http_get(addr: SocketAddr, path: &str) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head[9..12].parse().unwrap();
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_owned)
        })
        .unwrap_or_default();
    (status, content_type, body.to_owned())
}
