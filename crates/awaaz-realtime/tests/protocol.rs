//! Wire-format tests: exact JSON for client events, decoding of documented
//! server events, tolerance of unknown events, and fuzzing of the decoders.

// Helpers outside #[test] fns unwrap too: a panic is a test failure with its location.
#![allow(clippy::unwrap_used)]

use awaaz_realtime::{
    AudioConfig, AudioFormat, AudioInput, AudioOutput, ClientEvent, ContentPart, Eagerness, Item,
    ItemStatus, MaxOutputTokens, Modality, NoiseReduction, NoiseReductionKind, Prices,
    RealtimeError, ResponseConfig, ResponseStatus, Role, SemanticVad, ServerEvent, ServerVad,
    Session, Tool, ToolChoice, Transcription, TurnDetection, KNOWN_SERVER_EVENT_TYPES,
};
use proptest::prelude::*;
use serde_json::{json, Value};

fn telephony_session() -> Session {
    Session {
        model: Some("gpt-realtime".into()),
        instructions: Some("You are Awaaz, a support agent.".into()),
        output_modalities: Some(vec![Modality::Audio]),
        audio: Some(AudioConfig {
            input: Some(AudioInput {
                format: Some(AudioFormat::Pcmu),
                transcription: Some(Transcription {
                    model: Some("gpt-4o-transcribe".into()),
                    language: Some("hi".into()),
                    prompt: None,
                }),
                noise_reduction: None,
                turn_detection: Some(Some(TurnDetection::ServerVad(ServerVad {
                    threshold: Some(0.5),
                    prefix_padding_ms: Some(300),
                    silence_duration_ms: Some(500),
                    create_response: Some(true),
                    interrupt_response: Some(true),
                    idle_timeout_ms: None,
                }))),
            }),
            output: Some(AudioOutput {
                format: Some(AudioFormat::Pcmu),
                voice: Some("marin".into()),
                speed: None,
            }),
        }),
        tools: Some(vec![Tool::function(
            "lookup_order",
            "Look up an order by id",
            // Keys in sorted order so the snapshot holds with or without
            // serde_json's preserve_order.
            serde_json::from_str(
                r#"{"properties":{"order_id":{"type":"string"}},"required":["order_id"],"type":"object"}"#,
            )
            .unwrap(),
        )]),
        tool_choice: Some(ToolChoice::Auto),
        ..Session::default()
    }
}

#[test]
fn session_update_snapshot() {
    let json = ClientEvent::session_update(telephony_session())
        .to_json()
        .unwrap();
    assert_eq!(
        json,
        concat!(
            r#"{"type":"session.update","session":{"type":"realtime","model":"gpt-realtime","#,
            r#""instructions":"You are Awaaz, a support agent.","output_modalities":["audio"],"#,
            r#""audio":{"input":{"format":{"type":"audio/pcmu"},"#,
            r#""transcription":{"model":"gpt-4o-transcribe","language":"hi"},"#,
            r#""turn_detection":{"type":"server_vad","threshold":0.5,"prefix_padding_ms":300,"#,
            r#""silence_duration_ms":500,"create_response":true,"interrupt_response":true}},"#,
            r#""output":{"format":{"type":"audio/pcmu"},"voice":"marin"}},"#,
            r#""tools":[{"type":"function","name":"lookup_order","description":"Look up an order by id","#,
            r#""parameters":{"properties":{"order_id":{"type":"string"}},"required":["order_id"],"type":"object"}}],"#,
            r#""tool_choice":"auto"}}"#
        )
    );
}

#[test]
fn session_update_pcm_semantic_vad_and_nulls_snapshot() {
    let session = Session {
        audio: Some(AudioConfig {
            input: Some(AudioInput {
                format: Some(AudioFormat::pcm24k()),
                noise_reduction: Some(Some(NoiseReduction {
                    kind: NoiseReductionKind::NearField,
                })),
                turn_detection: Some(Some(TurnDetection::SemanticVad(SemanticVad {
                    eagerness: Some(Eagerness::High),
                    ..SemanticVad::default()
                }))),
                ..AudioInput::default()
            }),
            output: None,
        }),
        tool_choice: Some(ToolChoice::Function {
            name: "hand_off".into(),
        }),
        max_output_tokens: Some(MaxOutputTokens::Infinite),
        ..Session::default()
    };
    assert_eq!(
        ClientEvent::session_update(session)
            .with_event_id("evt_7")
            .to_json()
            .unwrap(),
        concat!(
            r#"{"type":"session.update","event_id":"evt_7","session":{"type":"realtime","#,
            r#""audio":{"input":{"format":{"type":"audio/pcm","rate":24000},"#,
            r#""noise_reduction":{"type":"near_field"},"#,
            r#""turn_detection":{"type":"semantic_vad","eagerness":"high"}}},"#,
            r#""tool_choice":{"type":"function","name":"hand_off"},"max_output_tokens":"inf"}}"#
        )
    );

    // Turning VAD and noise reduction off sends explicit nulls.
    let off = Session {
        audio: Some(AudioConfig {
            input: Some(AudioInput {
                noise_reduction: Some(None),
                turn_detection: Some(None),
                ..AudioInput::default()
            }),
            output: None,
        }),
        ..Session::default()
    };
    assert_eq!(
        ClientEvent::session_update(off).to_json().unwrap(),
        r#"{"type":"session.update","session":{"type":"realtime","audio":{"input":{"noise_reduction":null,"turn_detection":null}}}}"#
    );
}

#[test]
fn client_event_snapshots() {
    let cases: Vec<(ClientEvent, &str)> = vec![
        (
            ClientEvent::append_audio(&[0, 1, 2]),
            r#"{"type":"input_audio_buffer.append","audio":"AAEC"}"#,
        ),
        (
            ClientEvent::commit_audio().with_event_id("evt_1"),
            r#"{"type":"input_audio_buffer.commit","event_id":"evt_1"}"#,
        ),
        (
            ClientEvent::clear_audio(),
            r#"{"type":"input_audio_buffer.clear"}"#,
        ),
        (
            ClientEvent::create_item(Item::user_text("namaste")),
            r#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"namaste"}]}}"#,
        ),
        (
            ClientEvent::create_item(Item::assistant_text("Ji, bataiye")),
            r#"{"type":"conversation.item.create","item":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Ji, bataiye"}]}}"#,
        ),
        (
            ClientEvent::function_call_output("call_1", r#"{"status":"shipped"}"#),
            r#"{"type":"conversation.item.create","item":{"type":"function_call_output","call_id":"call_1","output":"{\"status\":\"shipped\"}"}}"#,
        ),
        (
            ClientEvent::create_response(),
            r#"{"type":"response.create"}"#,
        ),
        (
            ClientEvent::create_response_with(ResponseConfig {
                output_modalities: Some(vec![Modality::Audio]),
                instructions: Some("Say goodbye.".into()),
                ..ResponseConfig::default()
            }),
            r#"{"type":"response.create","response":{"output_modalities":["audio"],"instructions":"Say goodbye."}}"#,
        ),
        (
            ClientEvent::cancel_response(),
            r#"{"type":"response.cancel"}"#,
        ),
        (
            ClientEvent::truncate("item_1", 1500),
            r#"{"type":"conversation.item.truncate","item_id":"item_1","content_index":0,"audio_end_ms":1500}"#,
        ),
        (
            ClientEvent::ConversationItemDelete {
                event_id: None,
                item_id: "item_2".into(),
            },
            r#"{"type":"conversation.item.delete","item_id":"item_2"}"#,
        ),
    ];
    for (event, expected) in cases {
        let json = event.to_json().unwrap();
        assert_eq!(json, expected, "{}", event.event_type());
        assert_eq!(
            ClientEvent::from_json(&json).unwrap(),
            event,
            "round trip {}",
            event.event_type()
        );
        let value: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["type"], event.event_type());
    }
}

#[test]
fn session_round_trips_through_json() {
    let event = ClientEvent::session_update(telephony_session()).with_event_id("e1");
    let back = ClientEvent::from_json(&event.to_json().unwrap()).unwrap();
    assert_eq!(back, event);
    assert_eq!(back.event_id(), Some("e1"));
}

/// A `session.created` as the GA service sends it (shape per the API
/// reference's server events page).
const SESSION_CREATED: &str = r#"{
  "type": "session.created",
  "event_id": "event_C9G5RJeJ2gF77mV7f2B1j",
  "session": {
    "type": "realtime",
    "object": "realtime.session",
    "id": "sess_C9G5QPteg4UIbotdKLoYQ",
    "model": "gpt-realtime-2025-08-28",
    "output_modalities": ["audio"],
    "instructions": "Your knowledge cutoff is 2023-10.",
    "tools": [],
    "tool_choice": "auto",
    "max_output_tokens": "inf",
    "tracing": null,
    "prompt": null,
    "expires_at": 1756324625,
    "audio": {
      "input": {
        "format": {"type": "audio/pcm", "rate": 24000},
        "transcription": null,
        "noise_reduction": null,
        "turn_detection": {
          "type": "server_vad",
          "threshold": 0.5,
          "prefix_padding_ms": 300,
          "silence_duration_ms": 200,
          "idle_timeout_ms": null,
          "create_response": true,
          "interrupt_response": true
        }
      },
      "output": {
        "format": {"type": "audio/pcm", "rate": 24000},
        "voice": "marin",
        "speed": 1
      }
    },
    "include": null
  }
}"#;

#[test]
fn decodes_session_created() {
    let ServerEvent::SessionCreated(created) = ServerEvent::from_json(SESSION_CREATED).unwrap()
    else {
        panic!("not session.created");
    };
    let session = &created.session;
    assert_eq!(created.event_id, "event_C9G5RJeJ2gF77mV7f2B1j");
    assert_eq!(session.session_type, "realtime");
    assert_eq!(session.id.as_deref(), Some("sess_C9G5QPteg4UIbotdKLoYQ"));
    assert_eq!(session.model.as_deref(), Some("gpt-realtime-2025-08-28"));
    assert_eq!(session.output_modalities, Some(vec![Modality::Audio]));
    assert_eq!(session.input_format(), Some(AudioFormat::pcm24k()));
    assert_eq!(session.max_output_tokens, Some(MaxOutputTokens::Infinite));
    assert_eq!(session.tool_choice, Some(ToolChoice::Auto));
    let Some(Some(TurnDetection::ServerVad(vad))) = session.turn_detection() else {
        panic!("no server vad");
    };
    assert_eq!(vad.silence_duration_ms, Some(200));
    assert_eq!(vad.idle_timeout_ms, None);
    // Unmodelled fields survive a round trip.
    assert_eq!(session.extra.get("tracing"), Some(&Value::Null));
    assert!(session.extra.contains_key("include"));
    let output = session.audio.as_ref().unwrap().output.as_ref().unwrap();
    assert_eq!(output.voice.as_deref(), Some("marin"));
    assert_eq!(output.speed, Some(1.0));
}

#[test]
fn decodes_a_documented_conversation() {
    let events = [
        json!({"type": "input_audio_buffer.speech_started", "event_id": "event_1516",
               "audio_start_ms": 1000, "item_id": "msg_003"}),
        json!({"type": "input_audio_buffer.speech_stopped", "event_id": "event_1718",
               "audio_end_ms": 2000, "item_id": "msg_003"}),
        json!({"type": "input_audio_buffer.committed", "event_id": "event_1121",
               "previous_item_id": "msg_001", "item_id": "msg_002"}),
        json!({"type": "conversation.item.added", "event_id": "event_1920",
               "previous_item_id": "msg_002",
               "item": {"id": "msg_003", "object": "realtime.item", "type": "message",
                        "status": "completed", "role": "user",
                        "content": [{"type": "input_audio", "transcript": null}]}}),
        json!({"type": "conversation.item.input_audio_transcription.completed",
               "event_id": "event_CCXGRvtUVrax5SJAnNOWZ", "item_id": "item_CCXGQ4e1ht4cOraEYcuR2",
               "content_index": 0, "transcript": "Hey, can you hear me?",
               "usage": {"type": "tokens", "total_tokens": 22, "input_tokens": 13,
                         "input_token_details": {"text_tokens": 0, "audio_tokens": 13},
                         "output_tokens": 9}}),
        json!({"type": "response.created", "event_id": "event_C9G8pqbTEddBSIxbBN6Os",
               "response": {"object": "realtime.response", "id": "resp_C9G8p7IH2WxLbkgPNouYL",
                            "status": "in_progress", "status_details": null, "output": [],
                            "conversation_id": "conv_C9G8mmBkLhQJwCon3hoJN",
                            "output_modalities": ["audio"], "max_output_tokens": "inf",
                            "audio": {"output": {"format": {"type": "audio/pcm", "rate": 24000},
                                                 "voice": "marin"}},
                            "usage": null, "metadata": null}}),
        json!({"type": "response.output_item.added", "event_id": "event_3334",
               "response_id": "resp_001", "output_index": 0,
               "item": {"id": "msg_007", "object": "realtime.item", "type": "message",
                        "status": "in_progress", "role": "assistant", "content": []}}),
        json!({"type": "response.output_audio.delta", "event_id": "event_4950",
               "response_id": "resp_001", "item_id": "msg_008", "output_index": 0,
               "content_index": 0, "delta": "Base64EncodedAudioDelta"}),
        json!({"type": "response.output_audio_transcript.delta", "event_id": "event_4546",
               "response_id": "resp_001", "item_id": "msg_008", "output_index": 0,
               "content_index": 0, "delta": "Hello, how can I a"}),
        json!({"type": "response.output_audio_transcript.done", "event_id": "event_4748",
               "response_id": "resp_001", "item_id": "msg_008", "output_index": 0,
               "content_index": 0, "transcript": "Hello, how can I assist you today?"}),
        json!({"type": "response.output_audio.done", "event_id": "event_5152",
               "response_id": "resp_001", "item_id": "msg_008", "output_index": 0,
               "content_index": 0}),
        json!({"type": "response.function_call_arguments.done", "event_id": "event_5556",
               "response_id": "resp_002", "item_id": "fc_001", "output_index": 0,
               "call_id": "call_001", "name": "get_weather",
               "arguments": "{\"location\": \"San Francisco\"}"}),
        json!({"type": "conversation.item.truncated", "event_id": "event_2122",
               "item_id": "msg_004", "content_index": 0, "audio_end_ms": 1500}),
        json!({"type": "rate_limits.updated", "event_id": "event_5758",
               "rate_limits": [{"name": "requests", "limit": 1000, "remaining": 999,
                                "reset_seconds": 60},
                               {"name": "tokens", "limit": 50000, "remaining": 49950,
                                "reset_seconds": 60}]}),
        json!({"type": "error", "event_id": "event_890",
               "error": {"type": "invalid_request_error", "code": "invalid_event",
                         "message": "The 'type' field is missing.", "param": null,
                         "event_id": "event_567"}}),
    ];
    let decoded: Vec<ServerEvent> = events
        .iter()
        .map(|e| ServerEvent::from_json(&e.to_string()).unwrap())
        .collect();
    let types: Vec<&str> = decoded.iter().map(ServerEvent::event_type).collect();
    let expected: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, expected);
    assert!(!decoded.iter().any(|e| matches!(e, ServerEvent::Unknown(_))));

    match &decoded[0] {
        ServerEvent::InputAudioBufferSpeechStarted(e) => {
            assert_eq!((e.audio_start_ms, e.item_id.as_str()), (1000, "msg_003"));
        }
        other => panic!("{other:?}"),
    }
    match &decoded[3] {
        ServerEvent::ConversationItemAdded(e) => {
            let Item::Message(m) = &e.item else {
                panic!("not a message")
            };
            assert_eq!(m.role, Role::User);
            assert_eq!(m.status, Some(ItemStatus::Completed));
            assert_eq!(
                m.content,
                vec![ContentPart::InputAudio {
                    audio: None,
                    transcript: None
                }]
            );
        }
        other => panic!("{other:?}"),
    }
    match &decoded[4] {
        ServerEvent::InputAudioTranscriptionCompleted(e) => {
            assert_eq!(e.transcript, "Hey, can you hear me?");
        }
        other => panic!("{other:?}"),
    }
    match &decoded[5] {
        ServerEvent::ResponseCreated(e) => {
            assert_eq!(e.response.status, Some(ResponseStatus::InProgress));
            assert_eq!(e.response.usage, None);
        }
        other => panic!("{other:?}"),
    }
    match &decoded[7] {
        ServerEvent::ResponseOutputAudioDelta(e) => {
            assert_eq!(e.item_id, "msg_008");
            assert_eq!(e.delta.as_str(), "Base64EncodedAudioDelta");
        }
        other => panic!("{other:?}"),
    }
    match &decoded[11] {
        ServerEvent::ResponseFunctionCallArgumentsDone(e) => {
            assert_eq!(e.call_id, "call_001");
            assert_eq!(e.name.as_deref(), Some("get_weather"));
            let args: Value = serde_json::from_str(&e.arguments).unwrap();
            assert_eq!(args["location"], "San Francisco");
        }
        other => panic!("{other:?}"),
    }
    match &decoded[14] {
        ServerEvent::Error(e) => {
            assert_eq!(e.error.error_type, "invalid_request_error");
            assert_eq!(e.error.code.as_deref(), Some("invalid_event"));
            assert_eq!(e.error.event_id.as_deref(), Some("event_567"));
            assert!(!e.error.is_benign());
        }
        other => panic!("{other:?}"),
    }
}

/// The usage block from the API reference's `response.done` example.
const RESPONSE_DONE: &str = r#"{
  "type": "response.done",
  "event_id": "event_CCXHxcMy86rrKhBLDdqCh",
  "response": {
    "object": "realtime.response",
    "id": "resp_CCXHw0UJld10EzIUXQCNh",
    "status": "completed",
    "status_details": null,
    "output": [
      {
        "id": "item_CCXHwGjjDUfOXbiySlK7i",
        "type": "message",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_audio", "transcript": "Loud and clear! I can hear you perfectly."}]
      },
      {
        "id": "item_fc1", "type": "function_call", "status": "completed",
        "name": "lookup_order", "call_id": "call_9", "arguments": "{\"order_id\":\"45678\"}"
      }
    ],
    "conversation_id": "conv_CCXHsurMKcaVxIZvaCI5m",
    "output_modalities": ["audio"],
    "max_output_tokens": "inf",
    "audio": {"output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy"}},
    "usage": {
      "total_tokens": 253,
      "input_tokens": 132,
      "output_tokens": 121,
      "input_token_details": {
        "text_tokens": 119,
        "audio_tokens": 13,
        "image_tokens": 0,
        "cached_tokens": 64,
        "cached_tokens_details": {"text_tokens": 64, "audio_tokens": 0, "image_tokens": 0}
      },
      "output_token_details": {"text_tokens": 30, "audio_tokens": 91}
    },
    "metadata": null
  }
}"#;

#[test]
fn decodes_response_done_and_prices_it() {
    let ServerEvent::ResponseDone(done) = ServerEvent::from_json(RESPONSE_DONE).unwrap() else {
        panic!("not response.done");
    };
    let response = &done.response;
    assert_eq!(response.status, Some(ResponseStatus::Completed));
    assert_eq!(response.output.len(), 2);
    let Item::Message(message) = &response.output[0] else {
        panic!("first output is not a message")
    };
    assert_eq!(message.text(), "Loud and clear! I can hear you perfectly.");
    let Item::FunctionCall(call) = &response.output[1] else {
        panic!("second output is not a function call")
    };
    assert_eq!(call.call_id.as_deref(), Some("call_9"));
    assert_eq!(call.arguments, r#"{"order_id":"45678"}"#);

    let usage = response.usage.unwrap();
    assert_eq!(
        (usage.total_tokens, usage.input_tokens, usage.output_tokens),
        (253, 132, 121)
    );
    // (119-64)*$4 + 13*$32 + 64*$0.40 + 30*$16 + 91*$64, per 1M tokens.
    let cost = Prices::GPT_REALTIME.cost(&usage);
    let expected = (55.0 * 4.0 + 13.0 * 32.0 + 64.0 * 0.4 + 30.0 * 16.0 + 91.0 * 64.0) / 1e6;
    assert!(
        (cost.usd - expected).abs() < 1e-12,
        "{} vs {expected}",
        cost.usd
    );
    assert!((cost.usd - 0.006_965_6).abs() < 1e-12);
    assert!((cost.inr(88.0) - 0.612_972_8).abs() < 1e-9);
}

#[test]
fn beta_names_are_accepted_and_normalised() {
    let created = json!({"type": "conversation.item.created", "event_id": "e",
        "previous_item_id": null,
        "item": {"id": "i", "type": "message", "role": "user", "content": []}});
    let event = ServerEvent::from_json(&created.to_string()).unwrap();
    assert!(matches!(event, ServerEvent::ConversationItemAdded(_)));
    assert_eq!(event.event_type(), "conversation.item.added");

    let delta = json!({"type": "response.audio.delta", "event_id": "e", "response_id": "r",
        "item_id": "i", "output_index": 0, "content_index": 0, "delta": "AAAA"});
    let event = ServerEvent::from_json(&delta.to_string()).unwrap();
    let ServerEvent::ResponseOutputAudioDelta(d) = &event else {
        panic!("{event:?}")
    };
    assert_eq!(d.audio().unwrap(), vec![0, 0, 0]);
    assert_eq!(event.event_type(), "response.output_audio.delta");
    let reencoded: Value = serde_json::from_str(&event.to_json().unwrap()).unwrap();
    assert_eq!(reencoded["type"], "response.output_audio.delta");
}

#[test]
fn unknown_event_types_are_kept_not_rejected() {
    let raw = json!({"type": "output_audio_buffer.started", "event_id": "event_abc",
                     "response_id": "resp_1", "novel": {"nested": [1, 2]}});
    let event = ServerEvent::from_json(&raw.to_string()).unwrap();
    let ServerEvent::Unknown(unknown) = &event else {
        panic!("{event:?}")
    };
    assert_eq!(unknown.event_type, "output_audio_buffer.started");
    assert_eq!(unknown.raw, raw);
    assert_eq!(event.event_type(), "output_audio_buffer.started");
    assert_eq!(event.event_id(), Some("event_abc"));
    let back: Value = serde_json::from_str(&event.to_json().unwrap()).unwrap();
    assert_eq!(back, raw);
    // Plain serde agrees with from_json.
    let via_serde: ServerEvent = serde_json::from_value(raw).unwrap();
    assert_eq!(via_serde, event);
}

#[test]
fn malformed_known_events_are_errors_naming_the_type() {
    let missing_delta = r#"{"type":"response.output_audio.delta","item_id":"i"}"#;
    match ServerEvent::from_json(missing_delta) {
        Err(RealtimeError::Decode {
            event_type: Some(t),
            source,
        }) => {
            assert_eq!(t, "response.output_audio.delta");
            assert!(source.to_string().contains("delta"), "{source}");
        }
        other => panic!("{other:?}"),
    }
    let wrong_type = r#"{"type":"input_audio_buffer.speech_started","audio_start_ms":"soon"}"#;
    assert!(matches!(
        ServerEvent::from_json(wrong_type),
        Err(RealtimeError::Decode { event_type: Some(t), .. }) if t == "input_audio_buffer.speech_started"
    ));
    assert!(serde_json::from_str::<ServerEvent>(missing_delta).is_err());
    assert!(matches!(
        ServerEvent::from_json(r#"{"event_id":"x"}"#),
        Err(RealtimeError::Decode {
            event_type: None,
            ..
        })
    ));
    assert!(matches!(
        ServerEvent::from_json("not json"),
        Err(RealtimeError::Decode {
            event_type: None,
            ..
        })
    ));
    assert!(matches!(
        ClientEvent::from_json(r#"{"type":"response.create","response":7}"#),
        Err(RealtimeError::Decode { event_type: Some(t), .. }) if t == "response.create"
    ));
}

#[test]
fn benign_error_codes() {
    for (code, benign) in [
        ("response_cancel_not_active", true),
        ("conversation_already_has_active_response", true),
        ("invalid_value", false),
    ] {
        let json = json!({"type": "error", "event_id": "e",
            "error": {"type": "invalid_request_error", "code": code, "message": "m",
                      "param": null, "event_id": null}});
        let ServerEvent::Error(e) = ServerEvent::from_json(&json.to_string()).unwrap() else {
            panic!("not an error")
        };
        assert_eq!(e.error.is_benign(), benign, "{code}");
    }
}

#[test]
fn debug_output_hides_transcripts_and_audio() {
    let json = json!({"type": "response.output_audio_transcript.done", "event_id": "e",
        "response_id": "r", "item_id": "i", "output_index": 0, "content_index": 0,
        "transcript": "Your order 45678 ships to Andheri West"});
    let event = ServerEvent::from_json(&json.to_string()).unwrap();
    let shown = format!("{event:?}");
    assert!(!shown.contains("45678"), "{shown}");
    assert!(!shown.contains("Andheri"), "{shown}");
    let append = ClientEvent::append_audio(&[7u8; 160]);
    let shown = format!("{append:?}");
    assert!(shown.contains("160 bytes"), "{shown}");
    assert!(!shown.contains("BwcH"), "{shown}");
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        // Eighths round-trip exactly through serde_json's float parser.
        any::<i32>().prop_map(|i| Value::from(f64::from(i) / 8.0)),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("type".to_owned()),
                    Just("event_id".to_owned()),
                    Just("item_id".to_owned()),
                    Just("delta".to_owned()),
                    Just("item".to_owned()),
                    Just("response".to_owned()),
                    Just("session".to_owned()),
                    Just("error".to_owned()),
                    "[a-z_]{1,10}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decoders_never_panic_on_arbitrary_text(text in ".{0,200}") {
        let _ = ServerEvent::from_json(&text);
        let _ = ClientEvent::from_json(&text);
    }

    #[test]
    fn decoders_never_panic_on_events_with_known_types(
        index in 0..KNOWN_SERVER_EVENT_TYPES.len(),
        body in arbitrary_json(),
    ) {
        let mut object = match body {
            Value::Object(map) => map,
            other => {
                let mut map = serde_json::Map::new();
                map.insert("payload".into(), other);
                map
            }
        };
        object.insert("type".into(), Value::from(KNOWN_SERVER_EVENT_TYPES[index]));
        let text = Value::Object(object).to_string();
        match ServerEvent::from_json(&text) {
            // Whatever decodes must re-encode and decode to the same event.
            Ok(event) => {
                prop_assert!(!matches!(event, ServerEvent::Unknown(_)));
                let again = ServerEvent::from_json(&event.to_json().unwrap()).unwrap();
                prop_assert_eq!(again, event);
            }
            Err(RealtimeError::Decode { event_type, .. }) => {
                prop_assert_eq!(event_type.as_deref(), Some(KNOWN_SERVER_EVENT_TYPES[index]));
            }
            Err(other) => prop_assert!(false, "unexpected error {other:?}"),
        }
        let _ = ClientEvent::from_json(&text);
    }

    #[test]
    fn audio_deltas_round_trip(bytes in prop::collection::vec(any::<u8>(), 0..512), index in 0u32..8) {
        let json = json!({"type": "response.output_audio.delta", "event_id": "e",
            "response_id": "r", "item_id": "i", "output_index": index, "content_index": 0,
            "delta": awaaz_realtime::encode_audio(&bytes)});
        let ServerEvent::ResponseOutputAudioDelta(delta) =
            ServerEvent::from_json(&json.to_string()).unwrap() else {
            panic!("not a delta");
        };
        prop_assert_eq!(delta.output_index, index);
        prop_assert_eq!(delta.delta.decoded_len(), bytes.len());
        prop_assert_eq!(delta.audio().unwrap(), bytes);
    }
}
