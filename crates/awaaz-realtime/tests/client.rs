//! The client against the fake Realtime server over real sockets.

// Helpers outside #[test] fns unwrap too: a panic is a test failure with its location.
#![allow(clippy::unwrap_used)]
#![cfg(feature = "client")]

use std::time::{Duration, Instant};

use awaaz_fakes::realtime::{AudioReply, CallerTurn, FakeRealtime, Pacing, Reply, Script};
use awaaz_realtime::{
    AudioConfig, AudioFormat, AudioInput, AudioOutput, ClientEvent, Item, Modality, RealtimeClient,
    RealtimeConfig, RealtimeError, RealtimeReceiver, RealtimeSender, ResponseStatus, ServerEvent,
    ServerVad, Session, Tool, Transcription, TurnDetection,
};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);
/// μ-law silence; the fake's VAD follows the script, not the audio.
const ULAW_SILENCE: u8 = 0xFF;

fn config(fake: &FakeRealtime) -> RealtimeConfig {
    RealtimeConfig {
        url: fake.url(),
        connect_timeout: Duration::from_secs(5),
        ..RealtimeConfig::new("sk-test-key")
    }
}

async fn connect(fake: &FakeRealtime) -> (RealtimeSender, RealtimeReceiver) {
    RealtimeClient::connect(&config(fake)).await.unwrap()
}

async fn next(rx: &mut RealtimeReceiver) -> ServerEvent {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("timed out waiting for a server event")
        .expect("connection closed")
        .expect("undecodable server event")
}

/// Receives events until one matches, returning all of them (the match last).
async fn until(rx: &mut RealtimeReceiver, done: impl Fn(&ServerEvent) -> bool) -> Vec<ServerEvent> {
    let mut events = Vec::new();
    loop {
        let event = next(rx).await;
        assert!(
            !matches!(event, ServerEvent::Unknown(_)),
            "untyped event {}",
            event.event_type()
        );
        let stop = done(&event);
        events.push(event);
        if stop {
            return events;
        }
    }
}

fn is_response_done(event: &ServerEvent) -> bool {
    matches!(event, ServerEvent::ResponseDone(_))
}

fn types(events: &[ServerEvent]) -> Vec<&str> {
    events.iter().map(ServerEvent::event_type).collect()
}

fn phone_session(instructions: &str) -> Session {
    Session {
        instructions: Some(instructions.to_owned()),
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
                    silence_duration_ms: Some(500),
                    prefix_padding_ms: Some(300),
                    create_response: Some(true),
                    interrupt_response: Some(true),
                    ..ServerVad::default()
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
            "Look up an order",
            json!({"type": "object", "properties": {"order_id": {"type": "string"}}}),
        )]),
        ..Session::default()
    }
}

/// Connects and applies `phone_session`, returning after `session.updated`.
async fn phone_call(fake: &FakeRealtime, instructions: &str) -> (RealtimeSender, RealtimeReceiver) {
    let (mut tx, mut rx) = connect(fake).await;
    assert!(matches!(
        next(&mut rx).await,
        ServerEvent::SessionCreated(_)
    ));
    tx.send(&ClientEvent::session_update(phone_session(instructions)))
        .await
        .unwrap();
    let ServerEvent::SessionUpdated(updated) = next(&mut rx).await else {
        panic!("expected session.updated");
    };
    assert_eq!(updated.session.instructions.as_deref(), Some(instructions));
    (tx, rx)
}

/// Sends `ms` of μ-law audio in 20 ms frames.
async fn send_audio(tx: &mut RealtimeSender, ms: u64) {
    for _ in 0..ms / 20 {
        tx.send_audio(&[ULAW_SILENCE; 160]).await.unwrap();
    }
}

fn audio_bytes_for(events: &[ServerEvent], item_id: &str) -> usize {
    events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::ResponseOutputAudioDelta(d) if d.item_id == item_id => {
                Some(d.audio().unwrap().len())
            }
            _ => None,
        })
        .sum()
}

fn assistant_item_id(events: &[ServerEvent]) -> String {
    events
        .iter()
        .find_map(|e| match e {
            ServerEvent::ResponseOutputItemAdded(added) => added.item.id().map(str::to_owned),
            _ => None,
        })
        .expect("no output item")
}

fn error_of(event: &ServerEvent) -> &awaaz_realtime::ErrorDetail {
    match event {
        ServerEvent::Error(e) => &e.error,
        other => panic!("expected an error event, got {}", other.event_type()),
    }
}

#[tokio::test]
async fn session_update_audio_in_and_scripted_reply_out() {
    let script = Script::new()
        .pacing(Pacing::instant())
        .turn(CallerTurn::new(
            500,
            1_000,
            "mera order kab aayega",
            Reply::audio("Aapka order kal pahunchega.", 600),
        ));
    let fake = FakeRealtime::start(script).await.unwrap();
    let (mut tx, mut rx) = connect(&fake).await;

    let ServerEvent::SessionCreated(created) = next(&mut rx).await else {
        panic!("first event must be session.created");
    };
    assert_eq!(created.session.model.as_deref(), Some("gpt-realtime"));
    assert_eq!(created.session.input_format(), Some(AudioFormat::pcm24k()));

    tx.send(&ClientEvent::session_update(phone_session("Be brief.")).with_event_id("cfg_1"))
        .await
        .unwrap();
    let ServerEvent::SessionUpdated(updated) = next(&mut rx).await else {
        panic!("expected session.updated");
    };
    let session = &updated.session;
    assert_eq!(session.input_format(), Some(AudioFormat::Pcmu));
    assert_eq!(session.output_format(), Some(AudioFormat::Pcmu));
    // Fields the update did not name keep their values.
    assert_eq!(session.model.as_deref(), Some("gpt-realtime"));
    let output = session.audio.as_ref().unwrap().output.as_ref().unwrap();
    assert_eq!(output.voice.as_deref(), Some("marin"));
    assert_eq!(output.speed, Some(1.0));

    send_audio(&mut tx, 1_600).await;
    let events = until(&mut rx, is_response_done).await;
    assert_eq!(
        types(&events),
        [
            "input_audio_buffer.speech_started",
            "input_audio_buffer.speech_stopped",
            "input_audio_buffer.committed",
            "conversation.item.added",
            "conversation.item.done",
            "conversation.item.input_audio_transcription.delta",
            "conversation.item.input_audio_transcription.completed",
            "response.created",
            "response.output_item.added",
            "conversation.item.added",
            "response.content_part.added",
            "response.output_audio.delta",
            "response.output_audio_transcript.delta",
            "response.output_audio.delta",
            "response.output_audio_transcript.delta",
            "response.output_audio.delta",
            "response.output_audio_transcript.delta",
            "response.output_audio.delta",
            "response.output_audio_transcript.delta",
            "response.output_audio.delta",
            "response.output_audio_transcript.delta",
            "response.output_audio.delta",
            "response.output_audio_transcript.delta",
            "response.output_audio.done",
            "response.output_audio_transcript.done",
            "response.content_part.done",
            "response.output_item.done",
            "conversation.item.done",
            "response.done",
        ]
    );
    let ServerEvent::InputAudioBufferSpeechStarted(started) = &events[0] else {
        unreachable!()
    };
    // 500 ms minus the 300 ms prefix padding, as the service reports it.
    assert_eq!(started.audio_start_ms, 200);
    let ServerEvent::InputAudioBufferSpeechStopped(stopped) = &events[1] else {
        unreachable!()
    };
    assert_eq!(stopped.audio_end_ms, 1_000);
    assert_eq!(stopped.item_id, started.item_id);
    let ServerEvent::InputAudioTranscriptionCompleted(heard) = &events[6] else {
        unreachable!()
    };
    assert_eq!(heard.transcript, "mera order kab aayega");
    assert_eq!(heard.item_id, started.item_id);

    let item_id = assistant_item_id(&events);
    // 600 ms of μ-law at 8 bytes per ms.
    assert_eq!(audio_bytes_for(&events, &item_id), 4_800);
    let spoken: String = events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::ResponseOutputAudioTranscriptDelta(d) => Some(d.delta.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(spoken, "Aapka order kal pahunchega.");
    let ServerEvent::ResponseDone(done) = events.last().unwrap() else {
        unreachable!()
    };
    assert_eq!(done.response.status, Some(ResponseStatus::Completed));
    let usage = done.response.usage.unwrap();
    assert_eq!(usage.output_token_details.unwrap().audio_tokens, 12);
    assert_eq!(usage.total_tokens, usage.input_tokens + usage.output_tokens);
    assert!(awaaz_realtime::Prices::default().cost(&usage).usd > 0.0);

    // The voice is fixed once the model has spoken.
    let mut change_voice = phone_session("Be brief.");
    change_voice
        .audio
        .as_mut()
        .unwrap()
        .output
        .as_mut()
        .unwrap()
        .voice = Some("cedar".into());
    tx.send(&ClientEvent::session_update(change_voice).with_event_id("cfg_2"))
        .await
        .unwrap();
    let event = next(&mut rx).await;
    let error = error_of(&event);
    assert_eq!(error.code.as_deref(), Some("cannot_update_voice"));
    assert_eq!(error.event_id.as_deref(), Some("cfg_2"));

    let recording = fake.recording(0).unwrap();
    assert_eq!(recording.model.as_deref(), Some("gpt-realtime"));
    assert_eq!(recording.audio_ms_appended, 1_600);
    assert_eq!(recording.audio_bytes_appended, 12_800);
    assert_eq!(recording.session_updates.len(), 1);
    assert_eq!(
        recording.session["audio"]["input"]["format"],
        json!({"type": "audio/pcmu"})
    );
    assert_eq!(recording.session["instructions"], "Be brief.");
    tx.close().await.unwrap();
}

#[tokio::test]
async fn function_call_loop() {
    let script = Script::new()
        .pacing(Pacing::instant())
        .turn(CallerTurn::new(
            200,
            900,
            "order 45678 ka status batao",
            Reply::function_call(
                "lookup_order",
                json!({"order_id": "45678"}),
                AudioReply::new(
                    "Order {order_id} {status} hai, {eta.day} tak aa jayega.",
                    800,
                ),
            ),
        ));
    let fake = FakeRealtime::start(script).await.unwrap();
    let (mut tx, mut rx) = phone_call(&fake, "Use tools.").await;
    send_audio(&mut tx, 1_500).await;

    let events = until(&mut rx, is_response_done).await;
    let added = events
        .iter()
        .find_map(|e| match e {
            ServerEvent::ResponseOutputItemAdded(a) => Some(a),
            _ => None,
        })
        .unwrap();
    let Item::FunctionCall(call_item) = &added.item else {
        panic!("expected a function call item")
    };
    assert_eq!(call_item.name, "lookup_order");
    let args_done = events
        .iter()
        .find_map(|e| match e {
            ServerEvent::ResponseFunctionCallArgumentsDone(d) => Some(d),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        Some(args_done.call_id.as_str()),
        call_item.call_id.as_deref()
    );
    assert_eq!(args_done.name.as_deref(), Some("lookup_order"));
    let streamed: String = events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::ResponseFunctionCallArgumentsDelta(d) => Some(d.delta.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(streamed, args_done.arguments.as_str());
    let arguments: Value = serde_json::from_str(&args_done.arguments).unwrap();
    assert_eq!(arguments, json!({"order_id": "45678"}));
    let ServerEvent::ResponseDone(done) = events.last().unwrap() else {
        unreachable!()
    };
    assert!(matches!(
        done.response.output.as_slice(),
        [Item::FunctionCall(_)]
    ));

    let output = json!({"order_id": "45678", "status": "shipped", "eta": {"day": "Friday"}});
    tx.send(&ClientEvent::function_call_output(
        args_done.call_id.clone(),
        output.to_string(),
    ))
    .await
    .unwrap();
    let added = until(&mut rx, |e| {
        matches!(e, ServerEvent::ConversationItemDone(_))
    })
    .await;
    let ServerEvent::ConversationItemAdded(item) = &added[0] else {
        panic!("expected conversation.item.added")
    };
    assert!(matches!(item.item, Item::FunctionCallOutput(_)));

    tx.send(&ClientEvent::create_response()).await.unwrap();
    let events = until(&mut rx, is_response_done).await;
    let transcript = events
        .iter()
        .find_map(|e| match e {
            ServerEvent::ResponseOutputAudioTranscriptDone(d) => Some(d.transcript.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(transcript, "Order 45678 shipped hai, Friday tak aa jayega.");
    assert_eq!(audio_bytes_for(&events, &assistant_item_id(&events)), 6_400);

    let recording = fake.recording(0).unwrap();
    assert_eq!(recording.function_outputs.len(), 1);
    assert_eq!(recording.function_outputs[0].call_id, args_done.call_id);
    assert_eq!(
        serde_json::from_str::<Value>(&recording.function_outputs[0].output).unwrap(),
        output
    );
    assert_eq!(recording.response_creates, 1);
    let kinds: Vec<&str> = recording
        .responses
        .iter()
        .map(|r| r.kind.as_str())
        .collect();
    assert_eq!(kinds, ["function_call", "audio"]);
}

#[tokio::test]
async fn truncate_rules() {
    let script = Script::new()
        .pacing(Pacing::instant())
        .turn(CallerTurn::new(
            200,
            800,
            "hello",
            Reply::audio("Namaste, boliye.", 1_000),
        ));
    let fake = FakeRealtime::start(script).await.unwrap();
    let (mut tx, mut rx) = phone_call(&fake, "Truncation.").await;
    send_audio(&mut tx, 1_400).await;
    let events = until(&mut rx, is_response_done).await;
    let assistant = assistant_item_id(&events);
    let user = events
        .iter()
        .find_map(|e| match e {
            ServerEvent::InputAudioBufferCommitted(c) => Some(c.item_id.clone()),
            _ => None,
        })
        .unwrap();

    // Past the generated audio: the service's own wording.
    tx.send(&ClientEvent::truncate(&assistant, 1_200).with_event_id("t1"))
        .await
        .unwrap();
    let event = next(&mut rx).await;
    let error = error_of(&event);
    assert_eq!(
        error.message,
        "Audio content of 1000ms is already shorter than 1200ms"
    );
    assert_eq!(error.event_id.as_deref(), Some("t1"));
    assert!(!error.is_benign());

    // Only assistant audio can be truncated.
    tx.send(&ClientEvent::truncate(&user, 100)).await.unwrap();
    let event = next(&mut rx).await;
    assert_eq!(
        error_of(&event).message,
        "Only model output audio messages can be truncated"
    );

    // Within the audio: applied.
    tx.send(&ClientEvent::truncate(&assistant, 400))
        .await
        .unwrap();
    let ServerEvent::ConversationItemTruncated(truncated) = next(&mut rx).await else {
        panic!("expected conversation.item.truncated")
    };
    assert_eq!(
        (truncated.item_id.as_str(), truncated.audio_end_ms),
        (assistant.as_str(), 400)
    );

    // The item is now 400 ms long.
    tx.send(&ClientEvent::truncate(&assistant, 500))
        .await
        .unwrap();
    let event = next(&mut rx).await;
    assert_eq!(
        error_of(&event).message,
        "Audio content of 400ms is already shorter than 500ms"
    );

    let recording = fake.recording(0).unwrap();
    let applied: Vec<(u64, bool)> = recording
        .truncations
        .iter()
        .map(|t| (t.audio_end_ms, t.applied))
        .collect();
    assert_eq!(
        applied,
        [(1_200, false), (100, false), (400, true), (500, false)]
    );
}

#[tokio::test]
async fn cancel_and_create_races_are_benign_errors() {
    let script = Script {
        default_reply: AudioReply::new("A long answer.", 5_000),
        pacing: Pacing::default(),
        ..Script::new()
    };
    let fake = FakeRealtime::start(script).await.unwrap();
    let (mut tx, mut rx) = phone_call(&fake, "Races.").await;

    tx.send(&ClientEvent::cancel_response().with_event_id("c1"))
        .await
        .unwrap();
    let event = next(&mut rx).await;
    let error = error_of(&event);
    assert_eq!(error.code.as_deref(), Some("response_cancel_not_active"));
    assert_eq!(
        error.message,
        "Cancellation failed: no active response found"
    );
    assert_eq!(error.event_id.as_deref(), Some("c1"));
    assert!(error.is_benign());

    tx.send(&ClientEvent::create_response()).await.unwrap();
    let created = until(&mut rx, |e| matches!(e, ServerEvent::ResponseCreated(_))).await;
    let ServerEvent::ResponseCreated(created) = created.last().unwrap() else {
        unreachable!()
    };
    let response_id = created.response.id.clone().unwrap();
    tx.send(&ClientEvent::create_response().with_event_id("c2"))
        .await
        .unwrap();
    let events = until(&mut rx, |e| matches!(e, ServerEvent::Error(_))).await;
    let error = error_of(events.last().unwrap());
    assert_eq!(
        error.code.as_deref(),
        Some("conversation_already_has_active_response")
    );
    assert!(error.message.starts_with(&format!(
        "Conversation already has an active response in progress: {response_id}"
    )));
    assert!(error.is_benign());

    tx.send(&ClientEvent::cancel_response()).await.unwrap();
    let events = until(&mut rx, is_response_done).await;
    let ServerEvent::ResponseDone(done) = events.last().unwrap() else {
        unreachable!()
    };
    assert_eq!(done.response.status, Some(ResponseStatus::Cancelled));
    let details = done.response.status_details.as_ref().unwrap();
    assert_eq!(details.reason.as_deref(), Some("client_cancelled"));
    let recording = fake.recording(0).unwrap();
    assert_eq!(recording.cancels, 2);
    assert_eq!(recording.responses[0].status, "cancelled");
    assert!(recording.responses[0].audio_ms < 5_000);
    assert_eq!(
        recording.error_codes(),
        [
            "response_cancel_not_active",
            "conversation_already_has_active_response"
        ]
    );
}

#[tokio::test]
async fn barge_in_cancels_and_truncation_matches_audio_received() {
    let script = Script::new()
        .pacing(Pacing {
            first_delta_delay: Duration::ZERO,
            ..Pacing::default()
        })
        .turn(CallerTurn::new(
            300,
            1_000,
            "pehla sawal",
            Reply::audio("Ek lamba jawab.", 5_000),
        ))
        .turn(CallerTurn::new(
            2_000,
            2_400,
            "ruko",
            Reply::audio("Ji, boliye.", 300),
        ));
    let fake = FakeRealtime::start(script).await.unwrap();
    let (mut tx, mut rx) = phone_call(&fake, "Barge-in.").await;
    send_audio(&mut tx, 1_500).await;

    // Let some speech arrive, then talk over it.
    let mut events = until(&mut rx, |e| {
        matches!(e, ServerEvent::ResponseOutputAudioDelta(_))
    })
    .await;
    events.extend(
        until(&mut rx, |e| {
            matches!(e, ServerEvent::ResponseOutputAudioDelta(_))
        })
        .await,
    );
    send_audio(&mut tx, 600).await;
    events.extend(until(&mut rx, is_response_done).await);
    let item_id = assistant_item_id(&events);
    assert!(events.iter().any(
        |e| matches!(e, ServerEvent::InputAudioBufferSpeechStarted(s) if s.audio_start_ms == 1_700)
    ));
    let ServerEvent::ResponseDone(done) = events.last().unwrap() else {
        unreachable!()
    };
    assert_eq!(done.response.status, Some(ResponseStatus::Cancelled));
    assert_eq!(
        done.response
            .status_details
            .as_ref()
            .unwrap()
            .reason
            .as_deref(),
        Some("turn_detected")
    );
    let heard_ms = u64::try_from(audio_bytes_for(&events, &item_id) / 8).unwrap();
    assert!((200..5_000).contains(&heard_ms), "{heard_ms}");

    // The server's idea of the item's length is exactly what we received.
    tx.send(&ClientEvent::truncate(&item_id, heard_ms + 1_000))
        .await
        .unwrap();
    let event = next(&mut rx).await;
    assert_eq!(
        error_of(&event).message,
        format!(
            "Audio content of {heard_ms}ms is already shorter than {}ms",
            heard_ms + 1_000
        )
    );
    tx.send(&ClientEvent::truncate(&item_id, heard_ms / 2))
        .await
        .unwrap();
    assert!(matches!(
        next(&mut rx).await,
        ServerEvent::ConversationItemTruncated(t) if t.audio_end_ms == heard_ms / 2
    ));

    // The caller finishes the second turn and gets its answer.
    send_audio(&mut tx, 1_000).await;
    let events = until(&mut rx, is_response_done).await;
    let ServerEvent::ResponseDone(done) = events.last().unwrap() else {
        unreachable!()
    };
    assert_eq!(done.response.status, Some(ResponseStatus::Completed));
    assert!(events.iter().any(
        |e| matches!(e, ServerEvent::InputAudioTranscriptionCompleted(t) if t.transcript == "ruko")
    ));
    let reasons: Vec<Option<String>> = fake
        .recording(0)
        .unwrap()
        .responses
        .iter()
        .map(|r| r.reason.clone())
        .collect();
    assert_eq!(reasons, [Some("turn_detected".to_owned()), None]);
}

#[tokio::test]
async fn fake_interrupt_starts_the_next_turn_now() {
    let script = Script::new()
        .pacing(Pacing::default())
        .turn(CallerTurn::new(
            100,
            600,
            "haan",
            Reply::audio("Bahut lamba jawab.", 10_000),
        ))
        .turn(CallerTurn::new(60_000, 60_300, "ek minute", Reply::Silence));
    let fake = FakeRealtime::start(script).await.unwrap();
    let (mut tx, mut rx) = phone_call(&fake, "Interrupt.").await;
    send_audio(&mut tx, 1_200).await;
    until(&mut rx, |e| {
        matches!(e, ServerEvent::ResponseOutputAudioDelta(_))
    })
    .await;

    assert!(fake.interrupt(0));
    let events = until(&mut rx, is_response_done).await;
    let started = events
        .iter()
        .find_map(|e| match e {
            ServerEvent::InputAudioBufferSpeechStarted(s) => Some(s.audio_start_ms),
            _ => None,
        })
        .unwrap();
    // Speech "starts" where the input audio is now (1200 ms) minus padding.
    assert_eq!(started, 900);
    let ServerEvent::ResponseDone(done) = events.last().unwrap() else {
        unreachable!()
    };
    assert_eq!(done.response.status, Some(ResponseStatus::Cancelled));

    // The shifted turn ends 300 ms later; a silent turn gets no response.
    send_audio(&mut tx, 900).await;
    let events = until(&mut rx, |e| {
        matches!(e, ServerEvent::ConversationItemDone(_))
    })
    .await;
    assert!(
        matches!(events[0], ServerEvent::InputAudioBufferSpeechStopped(ref s) if s.audio_end_ms == 1_500)
    );
    assert!(!fake.interrupt(5));
}

#[tokio::test]
async fn manual_commit_without_turn_detection() {
    let script = Script::new()
        .pacing(Pacing::instant())
        .turn(CallerTurn::new(
            0,
            0,
            "typed by push-to-talk",
            Reply::audio("Theek hai.", 200),
        ));
    let fake = FakeRealtime::start(script).await.unwrap();
    let (mut tx, mut rx) = connect(&fake).await;
    next(&mut rx).await;
    let mut session = phone_session("Manual.");
    session
        .audio
        .as_mut()
        .unwrap()
        .input
        .as_mut()
        .unwrap()
        .turn_detection = Some(None);
    tx.send(&ClientEvent::session_update(session))
        .await
        .unwrap();
    let ServerEvent::SessionUpdated(updated) = next(&mut rx).await else {
        panic!("expected session.updated")
    };
    assert_eq!(updated.session.turn_detection(), Some(None));

    send_audio(&mut tx, 60).await;
    tx.send(&ClientEvent::commit_audio()).await.unwrap();
    let event = next(&mut rx).await;
    let error = error_of(&event);
    assert_eq!(
        error.code.as_deref(),
        Some("input_audio_buffer_commit_empty")
    );
    assert_eq!(
        error.message,
        "Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has 60.00ms of audio."
    );

    send_audio(&mut tx, 500).await;
    tx.send(&ClientEvent::commit_audio()).await.unwrap();
    let events = until(&mut rx, |e| {
        matches!(e, ServerEvent::InputAudioTranscriptionCompleted(_))
    })
    .await;
    assert_eq!(events[0].event_type(), "input_audio_buffer.committed");
    assert!(!events
        .iter()
        .any(|e| matches!(e, ServerEvent::InputAudioBufferSpeechStarted(_))));
    tx.send(&ClientEvent::create_response()).await.unwrap();
    let events = until(&mut rx, is_response_done).await;
    assert!(events.iter().any(|e| matches!(
        e,
        ServerEvent::ResponseOutputAudioTranscriptDone(d) if d.transcript == "Theek hai."
    )));
    assert_eq!(fake.recording(0).unwrap().commits, 2);
}

#[tokio::test]
async fn dropped_connection_is_reported_and_a_reconnect_starts_fresh() {
    let script = Script::new()
        .pacing(Pacing::instant())
        .drop_connection_after(0, 400);
    let fake = FakeRealtime::start(script).await.unwrap();
    let config = config(&fake);

    let (mut tx, mut rx) = RealtimeClient::connect(&config).await.unwrap();
    let ServerEvent::SessionCreated(first) = next(&mut rx).await else {
        panic!("expected session.created")
    };
    // μ-law, so 400 ms is 3200 bytes (the default PCM would need 19200).
    tx.send(&ClientEvent::session_update(phone_session("Drop.")))
        .await
        .unwrap();
    assert!(matches!(
        next(&mut rx).await,
        ServerEvent::SessionUpdated(_)
    ));
    send_audio(&mut tx, 500).await;
    let error = loop {
        match tokio::time::timeout(WAIT, rx.recv()).await.unwrap() {
            Some(Ok(_event)) => continue,
            Some(Err(error)) => break error,
            None => panic!("closed without an error"),
        }
    };
    assert!(
        matches!(error, RealtimeError::ConnectionLost { .. }),
        "{error:?}"
    );
    assert!(error.is_connection_lost());
    assert!(rx.recv().await.is_none());
    let first_recording = fake.recording(0).unwrap();
    assert!(first_recording.dropped);
    assert_eq!(first_recording.audio_ms_appended, 400);

    // Reconnect: a new session with its own state.
    let (mut tx, mut rx) = RealtimeClient::connect(&config).await.unwrap();
    let ServerEvent::SessionCreated(second) = next(&mut rx).await else {
        panic!("expected session.created")
    };
    assert_ne!(first.session.id, second.session.id);
    assert_eq!(fake.connection_count(), 2);
    send_audio(&mut tx, 100).await;
    // No session.update here: the default 24 kHz PCM counts these 800 bytes
    // as 16 ms.
    let recording = fake
        .wait_for(1, WAIT, |r| r.audio_bytes_appended == 800)
        .await
        .expect("second connection never saw its audio");
    assert_eq!(recording.audio_ms_appended, 16);
    assert!(recording.session_updates.is_empty());
    assert!(!recording.dropped);

    // A test can also drop a connection at any moment.
    assert!(fake.drop_connection(1));
    let event = tokio::time::timeout(WAIT, rx.recv()).await.unwrap();
    assert!(
        matches!(event, Some(Err(RealtimeError::ConnectionLost { .. }))),
        "{event:?}"
    );
}

#[tokio::test]
async fn fifty_concurrent_connections_keep_their_own_state() {
    let script = Script::new()
        .pacing(Pacing::instant())
        .turn(CallerTurn::new(
            200,
            600,
            "hello",
            Reply::audio("Namaste", 300),
        ));
    let fake = std::sync::Arc::new(FakeRealtime::start(script).await.unwrap());
    let mut calls = tokio::task::JoinSet::new();
    for caller in 0..50u64 {
        let fake = fake.clone();
        calls.spawn(async move {
            let instructions = format!("caller-{caller}");
            let (mut tx, mut rx) = phone_call(&fake, &instructions).await;
            let audio_ms = 1_200 + caller * 20;
            send_audio(&mut tx, audio_ms).await;
            let events = until(&mut rx, is_response_done).await;
            let item_id = assistant_item_id(&events);
            assert_eq!(audio_bytes_for(&events, &item_id), 2_400);
            let transcript = events
                .iter()
                .find_map(|e| match e {
                    ServerEvent::ResponseOutputAudioTranscriptDone(d) => Some(d.transcript.clone()),
                    _ => None,
                })
                .unwrap();
            assert_eq!(transcript, "Namaste");
            // Every id this connection saw carries the same connection tag.
            let tag = &item_id[..item_id.len() - 5];
            for event in &events {
                let id = match event {
                    ServerEvent::InputAudioBufferSpeechStarted(e) => &e.item_id,
                    ServerEvent::InputAudioBufferCommitted(e) => &e.item_id,
                    ServerEvent::ResponseOutputAudioDelta(e) => &e.item_id,
                    _ => continue,
                };
                assert!(id.starts_with(tag), "{id} is not from {tag}");
            }
            tx.close().await.unwrap();
            (instructions, audio_ms)
        });
    }
    let mut finished = Vec::new();
    while let Some(result) = calls.join_next().await {
        finished.push(result.unwrap());
    }
    assert_eq!(finished.len(), 50);
    assert_eq!(fake.connection_count(), 50);

    let recordings = fake.recordings();
    for (instructions, audio_ms) in finished {
        let mine: Vec<_> = recordings
            .iter()
            .filter(|r| r.session["instructions"] == instructions.as_str())
            .collect();
        assert_eq!(mine.len(), 1, "{instructions}");
        assert_eq!(mine[0].audio_ms_appended, audio_ms, "{instructions}");
        assert_eq!(mine[0].responses.len(), 1);
        assert_eq!(mine[0].responses[0].status, "completed");
    }
    let mut session_ids: Vec<String> = recordings
        .iter()
        .map(|r| r.session["id"].as_str().unwrap().to_owned())
        .collect();
    session_ids.sort();
    session_ids.dedup();
    assert_eq!(session_ids.len(), 50);
}

#[tokio::test]
async fn connect_timeout() {
    // Accepts TCP (the kernel does) but never answers the WebSocket handshake.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let config = RealtimeConfig {
        url: format!("ws://{}/v1/realtime", silent.local_addr().unwrap()),
        connect_timeout: Duration::from_millis(300),
        ..RealtimeConfig::new("sk-test")
    };
    let started = Instant::now();
    let error = RealtimeClient::connect(&config).await.unwrap_err();
    assert!(
        matches!(error, RealtimeError::ConnectTimeout { timeout, .. } if timeout == Duration::from_millis(300)),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    drop(silent);
}

#[tokio::test]
async fn connection_refused() {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let config = RealtimeConfig {
        url: format!("ws://{addr}/v1/realtime"),
        ..RealtimeConfig::new("sk-test")
    };
    let error = RealtimeClient::connect(&config).await.unwrap_err();
    assert!(matches!(error, RealtimeError::Connect { .. }), "{error:?}");
}

#[tokio::test]
async fn wrong_api_key_is_a_401_handshake_error() {
    let fake = FakeRealtime::start(Script::new().require_api_key("sk-right"))
        .await
        .unwrap();
    let wrong = RealtimeConfig {
        url: fake.url(),
        ..RealtimeConfig::new("sk-wrong")
    };
    let error = RealtimeClient::connect(&wrong).await.unwrap_err();
    assert!(
        matches!(error, RealtimeError::Handshake { status: 401 }),
        "{error:?}"
    );
    assert!(!error.to_string().contains("sk-wrong"));
    assert_eq!(fake.rejected_handshakes(), 1);
    assert_eq!(fake.connection_count(), 0);

    let right = RealtimeConfig {
        url: fake.url(),
        ..RealtimeConfig::new("sk-right")
    };
    let (_tx, mut rx) = RealtimeClient::connect(&right).await.unwrap();
    assert!(matches!(
        next(&mut rx).await,
        ServerEvent::SessionCreated(_)
    ));
    assert_eq!(fake.connection_count(), 1);

    let wrong_path = RealtimeConfig {
        url: fake.url().replace("/v1/realtime", "/v1/other"),
        ..RealtimeConfig::new("sk-right")
    };
    let error = RealtimeClient::connect(&wrong_path).await.unwrap_err();
    assert!(
        matches!(error, RealtimeError::Handshake { status: 404 }),
        "{error:?}"
    );
}

#[tokio::test]
async fn user_text_turn_and_default_reply() {
    let script = Script::new()
        .pacing(Pacing::instant())
        .turn(CallerTurn::new(
            0,
            0,
            "unused",
            Reply::audio("Aapka ticket ban gaya.", 200),
        ));
    let fake = FakeRealtime::start(script).await.unwrap();
    let (mut tx, mut rx) = phone_call(&fake, "Text.").await;
    tx.send(&ClientEvent::create_item(Item::user_text("ticket banao")))
        .await
        .unwrap();
    let events = until(&mut rx, |e| {
        matches!(e, ServerEvent::ConversationItemDone(_))
    })
    .await;
    assert_eq!(
        types(&events),
        ["conversation.item.added", "conversation.item.done"]
    );
    tx.send(&ClientEvent::create_response()).await.unwrap();
    let events = until(&mut rx, is_response_done).await;
    assert!(events.iter().any(|e| matches!(
        e, ServerEvent::ResponseOutputAudioTranscriptDone(d) if d.transcript == "Aapka ticket ban gaya."
    )));
    // No scripted turn left: the default reply.
    tx.send(&ClientEvent::create_response()).await.unwrap();
    let events = until(&mut rx, is_response_done).await;
    assert!(events.iter().any(|e| matches!(
        e, ServerEvent::ResponseOutputAudioTranscriptDone(d) if d.transcript == "How can I help you?"
    )));
    assert_eq!(fake.recording(0).unwrap().user_texts, ["ticket banao"]);
}
