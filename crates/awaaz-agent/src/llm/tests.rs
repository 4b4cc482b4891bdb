//! The sans-I/O parts of the LLM agent: SSE, chunk folding, clauses, history.

use proptest::prelude::*;
use serde_json::json;

use super::history::{History, Message, WireFunction, WireToolCall};
use super::stream::{speakable, SseDecoder, StreamAccumulator, StreamError};
use super::*;

fn chunk(delta: Value, finish: Option<&str>) -> String {
    let mut c = json!({
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {}, "logprobs": null, "finish_reason": finish}],
    });
    c["choices"][0]["delta"] = delta;
    c.to_string()
}

#[test]
fn sse_events_survive_any_split_and_line_ending() {
    let body = "data: {\"a\":1}\r\n\r\n: keep-alive\n\nevent: x\ndata: two\ndata: lines\n\ndata: [DONE]\n\n";
    for cut in 0..body.len() {
        let mut d = SseDecoder::default();
        let mut events = d.push(&body.as_bytes()[..cut]).unwrap();
        events.extend(d.push(&body.as_bytes()[cut..]).unwrap());
        events.extend(d.finish());
        assert_eq!(
            events,
            vec!["{\"a\":1}", "two\nlines", "[DONE]"],
            "cut at {cut}"
        );
    }
}

#[test]
fn sse_keeps_multibyte_text_split_across_reads() {
    let body = "data: {\"c\":\"आपका\"}\n\n".as_bytes();
    let mut d = SseDecoder::default();
    let mut events = d.push(&body[..12]).unwrap();
    events.extend(d.push(&body[12..]).unwrap());
    assert_eq!(events, vec!["{\"c\":\"आपका\"}"]);
}

#[test]
fn sse_last_event_without_blank_line_is_kept() {
    let mut d = SseDecoder::default();
    assert!(d.push(b"data: [DONE]").unwrap().is_empty());
    assert_eq!(d.finish().as_deref(), Some("[DONE]"));
}

#[test]
fn sse_refuses_endless_lines() {
    let mut d = SseDecoder::default();
    let big = vec![b'x'; (1 << 20) + 1];
    assert_eq!(d.push(&big), Err(StreamError::LineTooLong));
}

#[test]
fn accumulator_folds_text_and_fragmented_tool_calls() {
    let mut acc = StreamAccumulator::default();
    let role = acc
        .apply(&chunk(json!({"role": "assistant", "content": ""}), None))
        .unwrap();
    assert!(role.content.is_empty() && !role.tool_activity);
    assert_eq!(
        acc.apply(&chunk(json!({"content": "Ek "}), None))
            .unwrap()
            .content,
        "Ek "
    );
    acc.apply(&chunk(json!({"content": "second."}), None))
        .unwrap();
    let head = json!({"tool_calls": [{"index": 0, "id": "call_a", "type": "function",
        "function": {"name": "lookup_order", "arguments": ""}}]});
    assert!(acc.apply(&chunk(head, None)).unwrap().tool_activity);
    for frag in ["{\"order", "_id\": \"ORD", "-45678\"}"] {
        let d = json!({"tool_calls": [{"index": 0, "function": {"arguments": frag}}]});
        acc.apply(&chunk(d, None)).unwrap();
    }
    let second = json!({"tool_calls": [{"index": 1, "id": "call_b", "type": "function",
        "function": {"name": "send_sms", "arguments": "{}"}}]});
    acc.apply(&chunk(second, None)).unwrap();
    acc.apply(&chunk(json!({}), Some("tool_calls"))).unwrap();
    acc.apply("[DONE]").unwrap();
    assert!(acc.is_done());
    let c = acc.finish().unwrap();
    assert_eq!(c.content, "Ek second.");
    assert_eq!(c.finish_reason.as_deref(), Some("tool_calls"));
    assert_eq!(c.tool_calls.len(), 2);
    assert_eq!(c.tool_calls[0].id, "call_a");
    assert_eq!(c.tool_calls[0].name, "lookup_order");
    assert_eq!(c.tool_calls[0].arguments, "{\"order_id\": \"ORD-45678\"}");
    assert_eq!(c.tool_calls[1].name, "send_sms");
}

#[test]
fn accumulator_splits_calls_that_reuse_index_zero() {
    // Some servers number every parallel call 0 and tell them apart by id.
    let mut acc = StreamAccumulator::default();
    for (id, name) in [("c1", "lookup_order"), ("c2", "check_product_availability")] {
        let d = json!({"tool_calls": [{"index": 0, "id": id,
            "function": {"name": name, "arguments": {"x": 1}}}]});
        acc.apply(&chunk(d, None)).unwrap();
    }
    acc.apply(&chunk(json!({}), Some("tool_calls"))).unwrap();
    let c = acc.finish().unwrap();
    let names: Vec<_> = c.tool_calls.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["lookup_order", "check_product_availability"]);
    assert_eq!(c.tool_calls[1].arguments, "{\"x\":1}");
}

#[test]
fn accumulator_reads_a_whole_non_streamed_completion() {
    let mut acc = StreamAccumulator::default();
    let body = json!({"object": "chat.completion", "choices": [{"index": 0, "finish_reason": "tool_calls",
        "message": {"role": "assistant", "content": null, "tool_calls": [{"id": "call_z", "type": "function",
        "function": {"name": "lookup_order", "arguments": "{}"}}]}}]});
    acc.apply(&body.to_string()).unwrap();
    let c = acc.finish().unwrap();
    assert_eq!(c.tool_calls[0].id, "call_z");
}

#[test]
fn accumulator_rejects_cut_malformed_and_error_streams() {
    let mut acc = StreamAccumulator::default();
    acc.apply(&chunk(json!({"content": "Aapka"}), None))
        .unwrap();
    assert_eq!(acc.finish(), Err(StreamError::Incomplete));

    let mut acc = StreamAccumulator::default();
    assert!(matches!(
        acc.apply("{not json"),
        Err(StreamError::BadChunk(_))
    ));

    let mut acc = StreamAccumulator::default();
    let e = json!({"error": {"message": "caller said secret things", "type": "server_error"}});
    assert_eq!(
        acc.apply(&e.to_string()),
        Err(StreamError::ServerError("server_error".into()))
    );

    let mut acc = StreamAccumulator::default();
    acc.apply("[DONE]").unwrap();
    assert_eq!(
        acc.apply(&chunk(json!({}), None)),
        Err(StreamError::AfterDone)
    );
}

fn split_all(pieces: &[&str]) -> Vec<String> {
    let mut s = ClauseSplitter::new();
    let mut out: Vec<String> = pieces.iter().flat_map(|p| s.push(p)).collect();
    out.extend(s.finish());
    out
}

#[test]
fn clauses_end_at_sentence_marks_followed_by_space() {
    assert_eq!(
        split_all(&[
            "Aapka order ",
            "ship ho gaya hai",
            ". ",
            "Kya aur kuch",
            "? Dhanyavaad!"
        ]),
        [
            "Aapka order ship ho gaya hai.",
            "Kya aur kuch?",
            "Dhanyavaad!"
        ]
    );
    assert_eq!(
        split_all(&["आपका ऑर्डर भेज दिया गया है। ", "कल तक पहुँचेगा।"]),
        ["आपका ऑर्डर भेज दिया गया है।", "कल तक पहुँचेगा।"]
    );
    assert_eq!(
        split_all(&["He said \"done.\" Then", " left"]),
        ["He said \"done.\"", "Then left"]
    );
}

#[test]
fn numbers_do_not_end_clauses() {
    assert_eq!(
        split_all(&["It is ₹1,499.50 for 1.5 litres."]),
        ["It is ₹1,499.50 for 1.5 litres."]
    );
}

#[test]
fn commas_cut_only_long_clauses() {
    assert_eq!(
        split_all(&["Ji, aapka order kal tak aa jayega."]),
        ["Ji, aapka order kal tak aa jayega."]
    );
    assert_eq!(
        split_all(&[
            "Your blue cotton kurta in size medium, which you ordered last Friday evening, is on its way."
        ]),
        [
            "Your blue cotton kurta in size medium,",
            "which you ordered last Friday evening,",
            "is on its way."
        ]
    );
}

#[test]
fn a_clause_is_given_out_when_the_next_character_arrives() {
    let mut s = ClauseSplitter::new();
    assert!(s.push("Shipped.").is_empty());
    assert_eq!(s.push(" Delhivery"), ["Shipped."]);
    assert!(s.push(" se.").is_empty());
    assert_eq!(s.finish().as_deref(), Some("Delhivery se."));
    assert_eq!(s.finish(), None);
}

#[test]
fn punctuation_alone_is_not_a_clause() {
    assert_eq!(split_all(&["... ", "Haan."]), ["Haan."]);
}

proptest! {
    #[test]
    fn clauses_lose_no_words(text in "[a-z ,.?!।0-9]{0,80}", cut in 0usize..80) {
        let cut = (0..=cut.min(text.len())).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        let out = split_all(&[&text[..cut], &text[cut..]]);
        let words = |s: &str| s.split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).map(str::to_owned).collect::<Vec<_>>();
        prop_assert_eq!(words(&out.join(" ")), words(&text));
    }
}

#[test]
fn speakable_drops_markdown() {
    assert_eq!(speakable("**Order** #45678 `ok`"), "Order 45678 ok");
}

fn assistant(text: Option<&str>, calls: usize) -> Message {
    Message::Assistant {
        content: text.map(str::to_owned),
        tool_calls: (0..calls)
            .map(|i| WireToolCall {
                id: format!("c{i}"),
                kind: "function",
                function: WireFunction {
                    name: "lookup_order".into(),
                    arguments: "{}".into(),
                },
            })
            .collect(),
    }
}

fn user(text: &str) -> Message {
    Message::User {
        content: text.into(),
    }
}

#[test]
fn truncation_cuts_across_the_last_turns_messages() {
    let mut h = History::default();
    h.set_system("sys".into());
    h.push(user("order 45678"));
    h.push(assistant(Some("Ek second."), 1));
    h.push(Message::Tool {
        tool_call_id: "c0".into(),
        content: "{}".into(),
    });
    h.push(assistant(
        Some("Aapka order shipped hai. Parson tak aayega."),
        0,
    ));
    h.truncate_last_turn("Ek second. Aapka order");
    let m = h.messages();
    assert_eq!(m.len(), 5);
    assert_eq!(m[2], assistant(Some("Ek second."), 1));
    assert_eq!(m[4], assistant(Some("Aapka order"), 0));

    // Heard nothing of the words: text-only messages go, tool calls stay.
    h.truncate_last_turn("");
    let m = h.messages();
    assert_eq!(m.len(), 4);
    assert_eq!(m[2], assistant(None, 1));
}

#[test]
fn truncation_never_lengthens_and_leaves_earlier_turns() {
    let mut h = History::default();
    h.set_system("sys".into());
    h.push_said("Namaste!");
    h.push(user("hi"));
    h.push_said("Hello.");
    h.truncate_last_turn("Hello. And something never said");
    assert_eq!(h.messages()[3], assistant(Some("Hello."), 0));
    assert_eq!(h.messages()[1], assistant(Some("Namaste!"), 0));
}

#[test]
fn history_serialises_as_the_api_wants() {
    let mut h = History::default();
    h.set_system("be nice".into());
    h.push(user("hi"));
    h.push(assistant(None, 1));
    h.push(Message::Tool {
        tool_call_id: "c0".into(),
        content: "{\"found\":true}".into(),
    });
    let v = serde_json::to_value(h.messages()).unwrap();
    assert_eq!(
        v,
        json!([
            {"role": "system", "content": "be nice"},
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "c0", "type": "function", "function": {"name": "lookup_order", "arguments": "{}"}}
            ]},
            {"role": "tool", "tool_call_id": "c0", "content": "{\"found\":true}"},
        ])
    );
    // Debug shows no words.
    assert!(!format!("{:?}", h).contains("hi"));
}

#[test]
fn config_debug_hides_the_key_and_endpoint_joins_cleanly() {
    let mut c = LlmConfig::openai("gpt-4o-mini", "sk-secret-123");
    c.base_url = "https://api.openai.com/v1/".into();
    let dbg = format!("{c:?}");
    assert!(!dbg.contains("sk-secret-123"), "{dbg}");
    assert!(dbg.contains("<redacted>"));
    assert_eq!(c.endpoint(), "https://api.openai.com/v1/chat/completions");
    assert_eq!(
        LlmConfig::ollama("llama3.1").base_url,
        "http://localhost:11434/v1"
    );
}

#[test]
fn the_model_gets_every_tool_and_end_call() {
    let names: Vec<String> = tool_schemas().into_iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        [
            "lookup_order",
            "check_product_availability",
            "create_ticket",
            "transfer_to_human",
            "send_sms",
            "end_call"
        ]
    );
}

#[test]
fn reply_language_follows_the_script_and_markers() {
    assert_eq!(
        language_of("आपका ऑर्डर Delhivery से आ रहा है।"),
        Some(Language::Hindi)
    );
    assert_eq!(
        language_of("Aapka order Delhivery se aa raha hai."),
        Some(Language::Hinglish)
    );
    assert_eq!(
        language_of("Your order is on its way with Delhivery."),
        Some(Language::English)
    );
    assert_eq!(language_of("ORD-45678"), None);
}

#[test]
fn error_codes_are_read_from_openai_error_bodies() {
    let body = json!({"error": {"message": "x", "type": "invalid_request_error", "code": "invalid_api_key"}});
    assert_eq!(
        error_code(body.to_string().as_bytes()).as_deref(),
        Some("invalid_api_key")
    );
    assert_eq!(error_code(b"<html>"), None);
}
