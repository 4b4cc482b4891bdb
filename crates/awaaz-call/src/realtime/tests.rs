//! Unit tests of the realtime engine's sans-I/O parts: what the caller
//! heard, where an item is cut, framing and the session settings.

use std::sync::Arc;

use awaaz_realtime::{AudioFormat, RealtimeConfig, TurnDetection};
use awaaz_store::{Channel, MemoryStore};
use chrono::TimeZone as _;

use super::audio::{AudioPath, Frame, InboundAudio, OutboundAudio, LINE_FRAME_BYTES};
use super::playout::{heard_text, mark_name, parse_mark, Cut, Playout};
use super::RealtimeEngines;
use crate::CallerCommand;

const MS: u64 = 1_000;

/// An item of `generated_ms` of audio, all of it queued and sent in 20 ms
/// frames starting at `first_sent_ms`, one frame per 20 ms of call time.
fn playing(playout: &mut Playout, item: &str, generated_ms: u64, first_sent_ms: u64) {
    let p = playout.item_or_insert(item, "resp_1", 0);
    p.generated_us = generated_ms * MS;
    p.total_us = generated_ms * MS;
    p.queued_us = generated_ms * MS;
    let seq = p.seq;
    let mut sent = 0;
    while sent < generated_ms {
        sent += 20;
        playout.on_sent(seq, sent * MS, (first_sent_ms + sent - 20) * MS);
    }
}

#[test]
fn mark_names_round_trip() {
    let name = mark_name("item_C3xYz_01", 1_240);
    assert_eq!(name, "rt:item_C3xYz_01:1240");
    assert_eq!(parse_mark(&name), Some(("item_C3xYz_01", 1_240)));
    assert_eq!(
        parse_mark("rt:item:with:colons:80"),
        Some(("item:with:colons", 80))
    );
    assert_eq!(parse_mark("3.1"), None, "a cascade mark is not ours");
    assert_eq!(parse_mark("rt:item_1:x"), None);
}

#[test]
fn heard_follows_the_clock_from_the_first_frame_until_a_mark() {
    let mut playout = Playout::new();
    playing(&mut playout, "item_a", 2_000, 100);
    let item = playout.item("item_a").unwrap();
    // 2 s generated and sent, first frame at 100 ms: at 600 ms, 500 ms heard.
    assert_eq!(item.heard_us(600 * MS), 500 * MS);
    // Never more than was sent.
    assert_eq!(item.heard_us(9_000 * MS), 2_000 * MS);
    // A mark says the line was behind: 300 ms played at 700 ms.
    playout.on_mark("item_a", 300, 700 * MS);
    let item = playout.item("item_a").unwrap();
    assert_eq!(item.heard_us(700 * MS), 300 * MS);
    assert_eq!(item.heard_us(760 * MS), 360 * MS);
    // An older echo arriving late does not move it back.
    playout.on_mark("item_a", 200, 780 * MS);
    assert_eq!(playout.item("item_a").unwrap().heard_us(780 * MS), 380 * MS);
}

#[test]
fn heard_is_clamped_to_what_was_sent_and_generated() {
    let mut playout = Playout::new();
    let p = playout.item_or_insert("item_a", "resp_1", 0);
    p.generated_us = 400 * MS;
    p.queued_us = 400 * MS;
    let seq = p.seq;
    // Only 100 ms sent (the writer is pacing), though time says 1 s.
    playout.on_sent(seq, 100 * MS, 0);
    assert_eq!(
        playout.item("item_a").unwrap().heard_us(1_000 * MS),
        100 * MS
    );
    // A mark can never claim more than was sent.
    playout.on_mark("item_a", 5_000, 1_000 * MS);
    assert_eq!(
        playout.item("item_a").unwrap().heard_us(1_000 * MS),
        100 * MS
    );
}

#[test]
fn barge_in_cuts_at_what_was_heard_never_beyond_generated() {
    let mut playout = Playout::new();
    // The model is slower than real time: 300 ms generated, all sent, and
    // the caller has heard all of it when they interrupt.
    playing(&mut playout, "item_a", 300, 0);
    let cuts = playout.barge_in(5_000 * MS);
    assert_eq!(
        cuts,
        vec![Cut {
            item_id: "item_a".to_owned(),
            audio_end_ms: 300,
            seq: 1
        }]
    );
    assert!(playout.is_truncated("item_a"));
    // A second barge-in does not cut it again.
    assert!(playout.barge_in(6_000 * MS).is_empty());
}

#[test]
fn barge_in_cuts_the_playing_item_and_zeroes_the_queued_one() {
    let mut playout = Playout::new();
    playing(&mut playout, "item_a", 1_000, 0);
    playout.item_mut("item_a").unwrap().audio_done = true;
    playout.on_mark("item_a", 1_000, 1_010 * MS);
    // item_b: 3 s generated quickly, 200 ms sent from 1 s on.
    let p = playout.item_or_insert("item_b", "resp_2", 900 * MS);
    p.generated_us = 3_000 * MS;
    p.total_us = 3_000 * MS;
    p.queued_us = 3_000 * MS;
    let seq_b = p.seq;
    playout.on_sent(seq_b, 20 * MS, 1_000 * MS);
    playout.on_sent(seq_b, 200 * MS, 1_180 * MS);
    playout.on_mark("item_b", 100, 1_130 * MS);
    // item_c: queued behind item_b, nothing sent.
    let p = playout.item_or_insert("item_c", "resp_2", 950 * MS);
    p.generated_us = 500 * MS;
    p.queued_us = 500 * MS;

    let cuts = playout.barge_in(1_150 * MS);
    // item_a played to the end: left alone. item_b: mark at 100 ms + 20 ms
    // since. item_c: nothing heard.
    assert_eq!(
        cuts.iter()
            .map(|c| (c.item_id.as_str(), c.audio_end_ms))
            .collect::<Vec<_>>(),
        vec![("item_b", 120), ("item_c", 0)]
    );
    assert_eq!(playout.last_seq(), 3);
    // Marks the transport returns for the cut item on clear are ignored.
    playout.on_mark("item_b", 200, 1_160 * MS);
    assert_eq!(
        playout.item("item_b").unwrap().mark,
        Some((100 * MS, 1_130 * MS))
    );
}

#[test]
fn truncation_rounds_down_to_whole_ms() {
    let mut playout = Playout::new();
    let p = playout.item_or_insert("item_a", "resp_1", 0);
    // 1234.875 ms generated (μ-law bytes are 125 µs each).
    p.generated_us = AudioPath::Line.model_us(9_879);
    p.queued_us = p.generated_us;
    let seq = p.seq;
    playout.on_sent(seq, AudioPath::Line.model_us(9_879), 0);
    let cuts = playout.barge_in(60_000 * MS);
    assert_eq!(cuts[0].audio_end_ms, 1_234);
    assert!(cuts[0].audio_end_ms * MS <= AudioPath::Line.model_us(9_879));
}

#[test]
fn an_item_counts_as_played_after_its_last_mark_or_a_grace_period() {
    let mut playout = Playout::new();
    playing(&mut playout, "item_a", 200, 0);
    let grace = 800 * MS;
    let item = playout.item("item_a").unwrap();
    assert!(!item.fully_played(200 * MS, grace), "audio not done yet");
    playout.item_mut("item_a").unwrap().audio_done = true;
    let item = playout.item("item_a").unwrap();
    assert!(!item.fully_played(300 * MS, grace));
    assert!(item.fully_played(180 * MS + grace, grace), "no echo: grace");
    playout.on_mark("item_a", 200, 230 * MS);
    assert!(playout
        .item("item_a")
        .unwrap()
        .fully_played(230 * MS, grace));
    assert!(playout.all_played(230 * MS, grace));
}

#[test]
fn heard_text_keeps_whole_words_in_proportion() {
    let text = "Aapka order ship ho gaya hai aur kal tak aa jayega.";
    assert_eq!(heard_text(text, 0, 1_000), "");
    assert_eq!(heard_text(text, 1_000, 1_000), text);
    assert_eq!(heard_text(text, 5_000, 1_000), text);
    // 20 of 51 characters: "Aapka order ship ho " → whole words only.
    assert_eq!(heard_text(text, 400, 1_000), "Aapka order ship ho");
    // Cut inside "gaya": the word is dropped.
    assert_eq!(heard_text(text, 460, 1_000), "Aapka order ship ho");
    assert_eq!(heard_text("Namaste", 500, 1_000), "");
    assert_eq!(heard_text("नमस्ते, मैं आपकी मदद", 700, 1_000), "नमस्ते, मैं");
    assert_eq!(heard_text("anything", 10, 0), "anything");
}

#[test]
fn line_audio_passes_through_in_20_ms_frames() {
    let mut out = OutboundAudio::new(AudioPath::Line);
    let delta: Vec<u8> = (0..=255).cycle().take(400).collect();
    let frames = out.push(&delta);
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0], Frame::Line(delta[..160].to_vec()));
    assert_eq!(frames[1].duration_us(), 20_000);
    // 80 bytes wait for more.
    let frames = out.push(&delta[..100]);
    assert_eq!(
        frames,
        vec![Frame::Line([&delta[320..400], &delta[..80]].concat())]
    );
    let tail = out.finish();
    assert_eq!(tail, vec![Frame::Line(delta[80..100].to_vec())]);
    assert_eq!(tail[0].duration_us(), 2_500);
    assert!(matches!(
        tail[0].clone().into_command(),
        CallerCommand::PlayLine(bytes) if bytes.len() == 20
    ));
    assert!(out.finish().is_empty());

    let mut inbound = InboundAudio::new(AudioPath::Line);
    let frame = vec![0x7Fu8; LINE_FRAME_BYTES];
    assert_eq!(inbound.line(frame.clone()), frame, "no transcoding");
}

#[test]
fn pcm_audio_is_resampled_both_ways() {
    let mut inbound = InboundAudio::new(AudioPath::Pcm);
    let mut total = 0;
    for _ in 0..50 {
        total += inbound.pcm(&[1_000i16; 320]).len();
    }
    // One second at 16 kHz → about one second at 24 kHz, 2 bytes a sample.
    assert!((47_000..=48_000).contains(&total), "{total}");

    let mut out = OutboundAudio::new(AudioPath::Pcm);
    // 1 s of 24 kHz audio in 100 ms deltas, one with an odd length.
    let second: Vec<u8> = std::iter::repeat_n(500i16.to_le_bytes(), 24_000)
        .flatten()
        .collect();
    let mut frames = Vec::new();
    for chunk in second.chunks(4_801) {
        frames.extend(out.push(chunk));
    }
    frames.extend(out.finish());
    let us: u64 = frames.iter().map(Frame::duration_us).sum();
    assert!((999_000..=1_001_000).contains(&us), "{us}");
    assert!(frames[..frames.len() - 1]
        .iter()
        .all(|f| f.duration_us() == 20_000));
    assert_eq!(AudioPath::Pcm.model_us(48_000), 1_000_000);
}

#[test]
fn phone_channels_use_pcmu_and_browsers_pcm24() {
    assert_eq!(AudioPath::for_channel(Channel::Twilio), AudioPath::Line);
    assert_eq!(AudioPath::for_channel(Channel::Plivo), AudioPath::Line);
    assert_eq!(AudioPath::for_channel(Channel::Web), AudioPath::Pcm);
    let store = Arc::new(MemoryStore::new());
    let engines =
        RealtimeEngines::new(store, RealtimeConfig::default()).with_shop_name("Kapda Ghar");
    let now = chrono::Utc
        .with_ymd_and_hms(2025, 11, 24, 9, 30, 0)
        .unwrap();
    let session = engines.session(Channel::Twilio, true, now);
    assert_eq!(session.input_format(), Some(AudioFormat::Pcmu));
    assert_eq!(session.output_format(), Some(AudioFormat::Pcmu));
    let web = engines.session(Channel::Web, false, now);
    assert_eq!(web.input_format(), Some(AudioFormat::pcm24k()));
    let json = serde_json::to_value(&session).unwrap();
    assert_eq!(json["type"], "realtime");
    assert_eq!(json["audio"]["output"]["voice"], "marin");
    let detection = &json["audio"]["input"]["turn_detection"];
    assert_eq!(detection["type"], "server_vad");
    assert_eq!(detection["interrupt_response"], true);
    assert_eq!(detection["create_response"], true);
    let instructions = json["instructions"].as_str().unwrap();
    assert!(
        instructions.contains("voice agent of Kapda Ghar"),
        "{instructions}"
    );
    assert!(!instructions.contains("{shop_name}"));
    assert!(instructions.contains("Today is Monday, 24 November 2025 (UTC)"));
    assert!(instructions.contains("lookup_order with no arguments"));
    let names: Vec<&str> = json["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
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
    // Exactly the agent's schemas.
    let schemas = awaaz_agent::tools::Tools::schemas();
    assert_eq!(json["tools"][0]["parameters"], schemas[0].parameters);
    assert_eq!(json["tools"][0]["type"], "function");
}

#[test]
fn interruption_is_forced_on_whatever_the_setting() {
    let store = Arc::new(MemoryStore::new());
    let engines = RealtimeEngines::new(store, RealtimeConfig::default()).with_turn_detection(
        TurnDetection::SemanticVad(awaaz_realtime::SemanticVad {
            eagerness: Some(awaaz_realtime::Eagerness::High),
            create_response: Some(false),
            interrupt_response: Some(false),
        }),
    );
    let session = engines.session(Channel::Web, false, chrono::Utc::now());
    let detection = session.turn_detection().flatten().unwrap();
    assert!(detection.interrupt_response());
    assert!(detection.create_response());
}

/// The cascade takes the carrier's own μ-law ([`crate::CallerEvent::LineAudio`])
/// as it takes 16 kHz PCM: the caller is heard, transcribed and answered.
#[tokio::test(start_paused = true)]
async fn the_cascade_hears_line_audio() {
    use awaaz_agent::EmbeddedAgent;
    use awaaz_speech::tts::SilentSynthesizer;
    use awaaz_speech::ScriptedRecognizer;
    use awaaz_store::{CallStore as _, Speaker, Store};
    use tokio_util::sync::CancellationToken;

    use crate::{connection_pair, run_call, CallConfig, CallEngines, CallInfo, CallerEvent};

    let store = Arc::new(MemoryStore::with_demo(chrono::Utc::now().date_naive()));
    let dyn_store: Arc<dyn Store> = store.clone();
    let agent = EmbeddedAgent::load(Arc::clone(&dyn_store)).await.unwrap();
    let recognizer = ScriptedRecognizer::new(["mera order 45678 kahan hai"]);
    let engines = CallEngines::new(
        dyn_store,
        Arc::new(agent),
        Arc::new(recognizer.clone()),
        Arc::new(SilentSynthesizer::new()),
    );
    let (connection, mut endpoint) = connection_pair(64);
    let events = endpoint.event_sender();
    let phase = endpoint.phase();
    let commands = tokio::spawn(async move {
        let mut played = 0usize;
        while let Some(command) = endpoint.recv().await {
            if let CallerCommand::Play(chunk) = command {
                played += chunk.samples.len();
            }
        }
        played
    });
    let info = CallInfo::new(Channel::Twilio);
    let id = info.id.clone();
    let call = tokio::spawn(run_call(
        engines,
        CallConfig::default(),
        info,
        connection,
        CancellationToken::new(),
    ));
    // μ-law frames: silence until the greeting is over, 1.2 s of a loud
    // tone, silence until the answer is over.
    // 400 Hz: 20 samples a period at 8 kHz, so every 20 ms frame is whole
    // periods.
    let tone: Vec<i16> = (0..160)
        .map(|i| {
            let phase = f64::from(i % 20) / 20.0 * std::f64::consts::TAU;
            #[allow(clippy::cast_possible_truncation)] // |value| ≤ 6000
            let sample = (phase.sin() * 6_000.0) as i16;
            sample
        })
        .collect();
    let loud = awaaz_audio::g711::ulaw_encode(&tone);
    let silence = vec![0xFFu8; 160];
    until_listening(&events, &phase, &silence).await;
    for _ in 0..60 {
        line_frame(&events, &loud).await;
    }
    for _ in 0..10 {
        line_frame(&events, &silence).await;
    }
    until_listening(&events, &phase, &silence).await;
    events.send(CallerEvent::HungUp).await.unwrap();
    call.await.unwrap().unwrap();
    assert!(commands.await.unwrap() > 0, "the agent spoke");
    let detail = store.call(&id).await.unwrap().unwrap();
    let caller: Vec<&str> = detail
        .turns
        .iter()
        .filter(|t| t.speaker == Speaker::Caller)
        .map(|t| t.text.as_str())
        .collect();
    assert_eq!(caller, ["mera order 45678 kahan hai"]);
    // The recogniser got the tone at 16 kHz: about 1.2 s of it (plus the
    // pre-roll and the silence until the turn ended).
    let heard = recognizer.audio_ms_heard();
    assert_eq!(heard.len(), 1);
    assert!((1_200..=3_000).contains(&heard[0]), "{heard:?}");
    assert_eq!(detail.tool_calls[0].name, "lookup_order");
}

async fn line_frame(events: &crate::CallerEventSender, audio: &[u8]) {
    events
        .send(crate::CallerEvent::LineAudio(audio.to_vec()))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
}

async fn until_listening(
    events: &crate::CallerEventSender,
    phase: &tokio::sync::watch::Receiver<crate::Phase>,
    silence: &[u8],
) {
    for _ in 0..3_000 {
        if *phase.borrow() == crate::Phase::Listening {
            return;
        }
        line_frame(events, silence).await;
    }
    panic!("the call never listened");
}
