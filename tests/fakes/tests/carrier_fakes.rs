//! The fake carriers against a tiny bot server written here: a
//! tokio-tungstenite server on 127.0.0.1:0 that the test drives frame by
//! frame. Checks the wire shapes each carrier documents, real-time pacing
//! both ways, marks/checkpoints echoed only after their audio played, clears,
//! and protocol violations.

// Test helpers outside `#[test]` fns may unwrap too: a panic is a failure.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use awaaz_fakes::exotel::{ExotelCallSetup, FakeExotelCall};
use awaaz_fakes::plivo::{FakePlivoCall, PlivoCallSetup};
use awaaz_fakes::twilio::{CallError, CallEventKind, FakeTwilioCall, TwilioCallSetup};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

const WAIT: Duration = Duration::from_secs(5);

/// The server side of one call, driven by the test.
struct Bot {
    ws: WebSocketStream<TcpStream>,
    /// Every text frame received, with its arrival time.
    seen: Vec<(Instant, Value)>,
}

/// Listens on 127.0.0.1:0; the handle yields the accepted call.
async fn listen(path: &str) -> (String, JoinHandle<Bot>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}{path}", listener.local_addr().unwrap());
    let accept = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        Bot {
            ws,
            seen: Vec::new(),
        }
    });
    (url, accept)
}

impl Bot {
    /// The next text frame as JSON; `None` once the socket closed.
    async fn next(&mut self) -> Option<Value> {
        let message = tokio::time::timeout(WAIT, self.ws.next())
            .await
            .expect("no frame from the fake within 5 s");
        match message {
            Some(Ok(Message::Text(text))) => {
                let value: Value = serde_json::from_str(text.as_str()).unwrap();
                self.seen.push((Instant::now(), value.clone()));
                Some(value)
            }
            Some(Ok(Message::Close(_)) | Err(_)) | None => None,
            Some(Ok(other)) => panic!("unexpected frame from the fake: {other:?}"),
        }
    }

    /// Reads until a frame with `event`; returns it and when it arrived.
    async fn until_event(&mut self, event: &str) -> (Instant, Value) {
        loop {
            let frame = self
                .next()
                .await
                .unwrap_or_else(|| panic!("socket closed before {event:?}"));
            if frame["event"] == event {
                return (Instant::now(), frame);
            }
        }
    }

    /// Reads (and keeps) whatever arrives for `period`.
    async fn read_for(&mut self, period: Duration) {
        let end = Instant::now() + period;
        while let Ok(Some(Ok(Message::Text(text)))) =
            tokio::time::timeout_at(end, self.ws.next()).await
        {
            let value: Value = serde_json::from_str(text.as_str()).unwrap();
            self.seen.push((Instant::now(), value));
        }
    }

    /// Reads until the socket closes; returns the frames read meanwhile.
    async fn until_closed(&mut self) -> Vec<Value> {
        let mut frames = Vec::new();
        while let Some(frame) = self.next().await {
            frames.push(frame);
        }
        frames
    }

    async fn send(&mut self, frame: Value) {
        self.ws
            .send(Message::text(frame.to_string()))
            .await
            .unwrap();
    }

    async fn send_raw(&mut self, message: Message) {
        self.ws.send(message).await.unwrap();
    }

    fn seen_events(&self, event: &str) -> Vec<Value> {
        self.seen
            .iter()
            .filter(|(_, v)| v["event"] == event)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// A 440 Hz tone, PCM16 mono at `rate_hz`.
#[allow(clippy::cast_possible_truncation)] // |6000·sin| fits an i16
fn tone(ms: usize, rate_hz: usize) -> Vec<i16> {
    (0..ms * rate_hz / 1000)
        .map(|i| {
            let t = i as f64 / rate_hz as f64;
            (6000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as i16
        })
        .collect()
}

fn b64(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

fn payload(frame: &Value) -> Vec<u8> {
    BASE64
        .decode(frame["media"]["payload"].as_str().unwrap())
        .unwrap()
}

/// μ-law bytes as the caller would hear them.
fn heard(ulaw: &[u8]) -> Vec<i16> {
    awaaz_audio::g711::ulaw_decode(ulaw)
}

fn ms_between(a: Instant, b: Instant) -> u64 {
    u64::try_from(b.duration_since(a).as_millis()).unwrap()
}

mod twilio {
    use super::*;

    async fn call() -> (FakeTwilioCall, Bot) {
        let (url, accept) = listen("/twilio/media").await;
        let call = FakeTwilioCall::connect(&url, TwilioCallSetup::default())
            .await
            .unwrap();
        let mut bot = accept.await.unwrap();
        assert_eq!(bot.next().await.unwrap()["event"], "connected");
        assert_eq!(bot.next().await.unwrap()["event"], "start");
        (call, bot)
    }

    /// Twilio's outbound media: 20 ms frames of μ-law.
    async fn send_audio(bot: &mut Bot, sid: &str, ulaw: &[u8]) {
        for chunk in ulaw.chunks(160) {
            bot.send(json!({"event": "media", "streamSid": sid, "media": {"payload": b64(chunk)}}))
                .await;
        }
    }

    async fn send_mark(bot: &mut Bot, sid: &str, name: &str) {
        bot.send(json!({"event": "mark", "streamSid": sid, "mark": {"name": name}}))
            .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stream_opens_like_twilio_with_string_counters_in_real_time() {
        let (url, accept) = listen("/twilio/media").await;
        let setup = TwilioCallSetup {
            custom_parameters: BTreeMap::from([("lang".to_owned(), "hi".to_owned())]),
            ..TwilioCallSetup::default()
        };
        let call = FakeTwilioCall::connect(&url, setup.clone()).await.unwrap();
        let mut bot = accept.await.unwrap();

        assert_eq!(
            bot.next().await.unwrap(),
            json!({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        );
        assert_eq!(
            bot.next().await.unwrap(),
            json!({
                "event": "start",
                "sequenceNumber": "1",
                "start": {
                    "accountSid": setup.account_sid,
                    "streamSid": setup.stream_sid,
                    "callSid": setup.call_sid,
                    "tracks": ["inbound"],
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                    "customParameters": {"lang": "hi"},
                },
                "streamSid": setup.stream_sid,
            })
        );
        for i in 0..5_u64 {
            let frame = bot.next().await.unwrap();
            assert_eq!(frame["event"], "media");
            assert_eq!(frame["streamSid"], json!(setup.stream_sid));
            assert_eq!(frame["sequenceNumber"], json!((i + 2).to_string()));
            assert_eq!(frame["media"]["track"], "inbound");
            assert_eq!(frame["media"]["chunk"], json!((i + 1).to_string()));
            assert_eq!(frame["media"]["timestamp"], json!((i * 20).to_string()));
            assert_eq!(payload(&frame), vec![0xFF; 160], "silence is μ-law 0xFF");
        }

        // Real time: about 50 frames in the first second, never more.
        let one_second = call.started_at() + Duration::from_secs(1);
        bot.read_for(one_second.saturating_duration_since(Instant::now()))
            .await;
        let frames = bot.seen_events("media").len();
        assert!((40..=51).contains(&frames), "{frames} frames in 1 s");

        // 300 ms of speech at 16 kHz → exactly 15 non-silent frames.
        call.say(&tone(300, 16_000), 16_000).unwrap();
        let first = loop {
            let frame = bot.until_event("media").await.1;
            if payload(&frame) != vec![0xFF; 160] {
                break frame;
            }
        };
        let mut speech = vec![first];
        loop {
            let frame = bot.until_event("media").await.1;
            if payload(&frame) == vec![0xFF; 160] {
                break;
            }
            speech.push(frame);
        }
        assert_eq!(speech.len(), 15);
        assert!(call
            .events()
            .iter()
            .any(|e| e.kind == CallEventKind::CallerSpeechEnded));

        call.press('7').unwrap();
        let (_, dtmf) = bot.until_event("dtmf").await;
        assert_eq!(dtmf["streamSid"], json!(setup.stream_sid));
        assert_eq!(
            dtmf["dtmf"],
            json!({"track": "inbound_track", "digit": "7"})
        );
        assert!(dtmf["sequenceNumber"].is_string());
        assert!(matches!(
            call.press('x'),
            Err(CallError::InvalidDigit { digit: 'x' })
        ));

        call.hang_up().await;
        let (_, stop) = bot.until_event("stop").await;
        assert_eq!(
            stop["stop"],
            json!({"accountSid": setup.account_sid, "callSid": setup.call_sid})
        );
        assert_eq!(stop["streamSid"], json!(setup.stream_sid));
        assert!(bot.until_closed().await.is_empty(), "nothing after stop");
        assert!(call.ended());
        assert!(!call.closed(), "the caller hung up, not the server");

        // Every frame after `connected` carries the next sequence number, as a string.
        let numbers: Vec<u64> = bot
            .seen
            .iter()
            .skip(1)
            .map(|(_, v)| v["sequenceNumber"].as_str().unwrap().parse().unwrap())
            .collect();
        let expected: Vec<u64> = (1..=numbers.len() as u64).collect();
        assert_eq!(numbers, expected);
        assert!(call.violations().is_empty(), "{:?}", call.violations());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn audio_plays_in_real_time_and_marks_wait_for_it() {
        let (call, mut bot) = call().await;
        let sid = call.stream_sid().to_owned();

        let ulaw = awaaz_audio::g711::ulaw_encode(&tone(1000, 8000));
        send_audio(&mut bot, &sid, &ulaw).await;
        send_mark(&mut bot, &sid, "one-second").await;
        let sent = Instant::now();
        let (echoed, mark) = bot.until_event("mark").await;
        let after = ms_between(sent, echoed);
        assert!(
            (990..=1400).contains(&after),
            "mark echoed {after} ms after the audio was sent"
        );
        assert_eq!(mark["streamSid"], json!(sid));
        assert_eq!(mark["mark"], json!({"name": "one-second"}));
        assert!(mark["sequenceNumber"].is_string());
        assert_eq!(
            call.heard_audio(),
            heard(&ulaw),
            "heard exactly what was sent"
        );
        assert_eq!(call.heard_ms(), 1000);
        assert_eq!(call.received_ms(), 1000);

        // Each mark waits for the audio queued before it, not for the rest.
        let part = awaaz_audio::g711::ulaw_encode(&tone(200, 8000));
        send_audio(&mut bot, &sid, &part).await;
        send_mark(&mut bot, &sid, "a").await;
        send_audio(&mut bot, &sid, &part).await;
        send_mark(&mut bot, &sid, "b").await;
        let (at_a, a) = bot.until_event("mark").await;
        let (at_b, b) = bot.until_event("mark").await;
        assert_eq!(
            (a["mark"]["name"].as_str(), b["mark"]["name"].as_str()),
            (Some("a"), Some("b"))
        );
        let gap = ms_between(at_a, at_b);
        assert!((170..=320).contains(&gap), "b came {gap} ms after a");

        call.wait_quiet(60, WAIT).await.unwrap();
        let kinds: Vec<CallEventKind> = call.events().into_iter().map(|e| e.kind).collect();
        let echoed: Vec<&CallEventKind> = kinds
            .iter()
            .filter(|k| matches!(k, CallEventKind::MarkEchoed { .. }))
            .collect();
        assert_eq!(
            echoed,
            [
                &CallEventKind::MarkEchoed {
                    name: "one-second".into(),
                    played: true
                },
                &CallEventKind::MarkEchoed {
                    name: "a".into(),
                    played: true
                },
                &CallEventKind::MarkEchoed {
                    name: "b".into(),
                    played: true
                },
            ]
        );
        assert!(kinds.contains(&CallEventKind::PlaybackStopped { interrupted: false }));
        assert!(call.violations().is_empty(), "{:?}", call.violations());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn clear_drops_queued_audio_and_returns_pending_marks_at_once() {
        let (call, mut bot) = call().await;
        let sid = call.stream_sid().to_owned();

        send_audio(
            &mut bot,
            &sid,
            &awaaz_audio::g711::ulaw_encode(&tone(2000, 8000)),
        )
        .await;
        send_mark(&mut bot, &sid, "a").await;
        send_audio(
            &mut bot,
            &sid,
            &awaaz_audio::g711::ulaw_encode(&tone(1000, 8000)),
        )
        .await;
        send_mark(&mut bot, &sid, "b").await;
        call.wait_for_audio(500, WAIT).await.unwrap();
        let cleared = Instant::now();
        bot.send(json!({"event": "clear", "streamSid": sid})).await;

        let (at_a, a) = bot.until_event("mark").await;
        let (at_b, b) = bot.until_event("mark").await;
        assert_eq!(a["mark"]["name"], "a");
        assert_eq!(b["mark"]["name"], "b");
        assert!(ms_between(cleared, at_a) <= 200 && ms_between(cleared, at_b) <= 200);
        let heard_ms = call.heard_ms();
        assert!((480..=700).contains(&heard_ms), "heard {heard_ms} ms");
        assert_eq!(call.queued_ms(), 0);

        let events = call.events();
        let dropped_ms = events
            .iter()
            .find_map(|e| match e.kind {
                CallEventKind::Cleared { dropped_ms } => Some(dropped_ms),
                _ => None,
            })
            .unwrap();
        assert!(
            (2999..=3000).contains(&(dropped_ms + heard_ms)),
            "dropped {dropped_ms} + heard {heard_ms} ms, sent 3000 ms"
        );
        let kinds: Vec<CallEventKind> = events.into_iter().map(|e| e.kind).collect();
        assert!(kinds.contains(&CallEventKind::PlaybackStopped { interrupted: true }));
        assert!(kinds.contains(&CallEventKind::MarkEchoed {
            name: "a".into(),
            played: false
        }));
        assert!(kinds.contains(&CallEventKind::MarkEchoed {
            name: "b".into(),
            played: false
        }));

        // The line keeps playing what comes after the clear.
        send_audio(
            &mut bot,
            &sid,
            &awaaz_audio::g711::ulaw_encode(&tone(200, 8000)),
        )
        .await;
        send_mark(&mut bot, &sid, "c").await;
        let sent = Instant::now();
        let (at_c, c) = bot.until_event("mark").await;
        assert_eq!(c["mark"]["name"], "c");
        assert!(ms_between(sent, at_c) >= 190);
        assert_eq!(call.heard_ms(), heard_ms + 200);
        assert!(call.violations().is_empty(), "{:?}", call.violations());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn frames_twilio_would_reject_are_violations() {
        let (call, mut bot) = call().await;
        let sid = call.stream_sid().to_owned();

        bot.send_raw(Message::text("{not json")).await;
        bot.send(json!({"event": "play", "streamSid": sid})).await;
        bot.send(
            json!({"event": "media", "streamSid": sid, "media": {"payload": "!!not base64!!"}}),
        )
        .await;
        bot.send(
            json!({"event": "mark", "streamSid": "MZ-someone-else", "mark": {"name": "foreign"}}),
        )
        .await;
        bot.send_raw(Message::binary(vec![0xFF; 160])).await;
        bot.send(json!({"event": "media", "media": {"payload": b64(&[0xFF; 160])}}))
            .await;
        bot.send(json!({"event": "media", "streamSid": sid, "media": {"payload": b64(b"RIFF\x24\x00\x00\x00WAVEfmt ")}}))
            .await;
        send_mark(&mut bot, &sid, "ok").await;
        let (_, mark) = bot.until_event("mark").await;
        assert_eq!(
            mark["mark"]["name"], "ok",
            "the foreign-stream mark is not echoed"
        );

        let reasons: Vec<String> = call.violations().into_iter().map(|v| v.reason).collect();
        let expected = [
            "not JSON",
            "unknown event \"play\"",
            "not base64",
            "not this stream's",
            "binary frame",
            "`media` without `streamSid`",
            "file header",
        ];
        assert_eq!(reasons.len(), expected.len(), "{reasons:?}");
        for (reason, want) in reasons.iter().zip(expected) {
            assert!(reason.contains(want), "{reason:?} should mention {want:?}");
        }
        assert_eq!(call.violations()[0].frame, "{not json");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn wait_helpers_and_a_server_close() {
        let (call, mut bot) = call().await;
        let sid = call.stream_sid().to_owned();

        send_audio(
            &mut bot,
            &sid,
            &awaaz_audio::g711::ulaw_encode(&tone(300, 8000)),
        )
        .await;
        let sent = Instant::now();
        call.wait_for_audio(250, WAIT).await.unwrap();
        call.wait_quiet(100, WAIT).await.unwrap();
        assert!(
            ms_between(sent, Instant::now()) >= 390,
            "quiet only after the audio and 100 ms"
        );
        assert!(matches!(
            call.wait_for_audio(1000, Duration::from_millis(200)).await,
            Err(CallError::Timeout { .. })
        ));

        bot.send_raw(Message::Close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        })))
        .await;
        call.wait_ended(WAIT).await.unwrap();
        assert!(call.closed());
        let closed = call
            .wait_for_event(WAIT, |k| matches!(k, CallEventKind::ServerClosed { .. }))
            .await
            .unwrap();
        assert_eq!(
            closed.kind,
            CallEventKind::ServerClosed { code: Some(1000) }
        );
        assert!(matches!(
            call.say(&tone(100, 8000), 8000),
            Err(CallError::Closed)
        ));
        assert!(matches!(call.press('1'), Err(CallError::Closed)));
        call.hang_up().await; // harmless once the call is over
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dropping_the_call_hangs_up() {
        let (call, mut bot) = call().await;
        drop(call);
        let (_, stop) = bot.until_event("stop").await;
        assert_eq!(stop["event"], "stop");
        assert!(bot.until_closed().await.is_empty());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn say_wav_sends_the_file() {
        let dir = std::env::temp_dir().join(format!("awaaz-fakes-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("caller.wav");
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(&path, spec).unwrap();
        // Stereo 1000/3000: the caller sends the mean, 2000.
        for _ in 0..1600 {
            writer.write_sample(1000_i16).unwrap();
            writer.write_sample(3000_i16).unwrap();
        }
        writer.finalize().unwrap();

        let (call, mut bot) = call().await;
        call.say_wav(&path).unwrap();
        let expected = awaaz_audio::g711::ulaw_encode(&[2000; 160]);
        let mut speech_frames = 0;
        while speech_frames < 10 {
            let frame = bot.until_event("media").await.1;
            if payload(&frame) == expected {
                speech_frames += 1;
            } else {
                assert_eq!(speech_frames, 0, "speech frames are contiguous");
            }
        }
        call.wait_speech_sent(WAIT).await.unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

mod exotel {
    use super::*;

    fn pcm(samples: &[i16]) -> Vec<u8> {
        samples.iter().flat_map(|s| s.to_le_bytes()).collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stream_opens_like_exotel_with_snake_case_and_pcm() {
        let (url, accept) = listen("/exotel/media").await;
        let setup = ExotelCallSetup {
            custom_parameters: BTreeMap::from([("order".to_owned(), "45678".to_owned())]),
            ..ExotelCallSetup::default()
        };
        let call = FakeExotelCall::connect(&url, setup.clone()).await.unwrap();
        let mut bot = accept.await.unwrap();

        assert_eq!(bot.next().await.unwrap(), json!({"event": "connected"}));
        assert_eq!(
            bot.next().await.unwrap(),
            json!({
                "event": "start",
                "sequence_number": "1",
                "stream_sid": setup.stream_sid,
                "start": {
                    "stream_sid": setup.stream_sid,
                    "call_sid": setup.call_sid,
                    "account_sid": setup.account_sid,
                    "from": setup.from,
                    "to": setup.to,
                    "custom_parameters": {"order": "45678"},
                    "media_format": {"encoding": "base64", "sample_rate": "8000", "bit_rate": "16"},
                },
            })
        );
        for i in 0..3_u64 {
            let frame = bot.next().await.unwrap();
            assert_eq!(frame["event"], "media");
            assert_eq!(frame["sequence_number"], json!((i + 2).to_string()));
            assert_eq!(frame["stream_sid"], json!(setup.stream_sid));
            assert_eq!(frame["media"]["chunk"], json!((i + 1).to_string()));
            assert_eq!(frame["media"]["timestamp"], json!((i * 100).to_string()));
            assert_eq!(payload(&frame), vec![0; 1600], "100 ms of PCM16 silence");
        }
        // Real time: about 10 frames of 100 ms in the first second, never more.
        let one_second = call.started_at() + Duration::from_secs(1);
        bot.read_for(one_second.saturating_duration_since(Instant::now()))
            .await;
        let frames = bot.seen_events("media").len();
        assert!((7..=10).contains(&frames), "{frames} frames in 1 s");

        // 8 kHz speech goes out untouched, as little-endian PCM16.
        let speech = tone(200, 8000);
        call.say(&speech, 8000).unwrap();
        let first = loop {
            let frame = bot.until_event("media").await.1;
            if payload(&frame) != vec![0; 1600] {
                break frame;
            }
        };
        let second = bot.until_event("media").await.1;
        assert_eq!([payload(&first), payload(&second)].concat(), pcm(&speech));

        call.press('5').unwrap();
        let (_, dtmf) = bot.until_event("dtmf").await;
        assert_eq!(dtmf["stream_sid"], json!(setup.stream_sid));
        assert_eq!(dtmf["dtmf"], json!({"digit": "5", "duration": "100"}));

        call.hang_up().await;
        let (_, stop) = bot.until_event("stop").await;
        assert_eq!(
            stop["stop"],
            json!({"call_sid": setup.call_sid, "account_sid": setup.account_sid, "reason": "callended"})
        );
        assert!(bot.until_closed().await.is_empty());

        let numbers: Vec<u64> = bot
            .seen
            .iter()
            .skip(1)
            .map(|(_, v)| v["sequence_number"].as_str().unwrap().parse().unwrap())
            .collect();
        assert_eq!(numbers, (1..=numbers.len() as u64).collect::<Vec<_>>());
        assert!(call.violations().is_empty(), "{:?}", call.violations());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn payloads_must_be_multiples_of_320_bytes_and_marks_wait_for_audio() {
        let (url, accept) = listen("/exotel/media").await;
        let call = FakeExotelCall::connect(&url, ExotelCallSetup::default())
            .await
            .unwrap();
        let sid = call.stream_sid().to_owned();
        let mut bot = accept.await.unwrap();

        // 300 bytes: flagged, still played (padded to 20 ms, as Exotel does).
        let media = |bytes: Vec<u8>| json!({"event": "media", "stream_sid": sid, "media": {"payload": b64(&bytes)}});
        bot.send(media(pcm(&[100; 150]))).await;
        bot.send(media(pcm(&tone(40, 8000)))).await; // 640 bytes: fine
        bot.send(json!({"event": "mark", "stream_sid": sid, "mark": {"name": "m"}}))
            .await;
        let sent = Instant::now();
        let (at, mark) = bot.until_event("mark").await;
        assert!(
            ms_between(sent, at) >= 55,
            "three 20 ms ticks of audio came first"
        );
        assert_eq!(mark["stream_sid"], json!(sid));
        assert_eq!(mark["mark"], json!({"name": "m"}));
        assert!(mark["sequence_number"].is_string());
        assert_eq!(call.heard_ms(), 60);

        // Twilio's camelCase is not Exotel's.
        bot.send(json!({"event": "clear", "streamSid": sid})).await;

        // 1 s in 200 ms chunks, a mark, then a clear 300 ms in.
        for chunk in pcm(&tone(1000, 8000)).chunks(3200) {
            bot.send(media(chunk.to_vec())).await;
        }
        bot.send(json!({"event": "mark", "stream_sid": sid, "mark": {"name": "p"}}))
            .await;
        call.wait_for_audio(300, WAIT).await.unwrap();
        let cleared = Instant::now();
        bot.send(json!({"event": "clear", "stream_sid": sid})).await;
        let (at_p, p) = bot.until_event("mark").await;
        assert_eq!(p["mark"]["name"], "p");
        assert!(
            ms_between(cleared, at_p) <= 200,
            "pending mark returned at once"
        );
        assert!(call.heard_ms() < 500);

        let reasons: Vec<String> = call.violations().into_iter().map(|v| v.reason).collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(
            reasons[0].contains("300 bytes is not a multiple of 320"),
            "{reasons:?}"
        );
        assert!(
            reasons[1].contains("`clear` without `stream_sid`"),
            "{reasons:?}"
        );
    }
}

mod plivo {
    use super::*;

    fn play(ulaw: &[u8]) -> Value {
        json!({
            "event": "playAudio",
            "media": {"contentType": "audio/x-mulaw", "sampleRate": 8000, "payload": b64(ulaw)},
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stream_opens_like_plivo_with_numeric_counters() {
        let (url, accept) = listen("/plivo/media").await;
        let setup = PlivoCallSetup {
            extra_headers: Some("callerLang=hi".to_owned()),
            ..PlivoCallSetup::default()
        };
        let call = FakePlivoCall::connect(&url, setup.clone()).await.unwrap();
        let mut bot = accept.await.unwrap();

        assert_eq!(
            bot.next().await.unwrap(),
            json!({
                "event": "start",
                "sequenceNumber": 1,
                "start": {
                    "callId": setup.call_id,
                    "streamId": setup.stream_id,
                    "accountId": setup.account_id,
                    "tracks": ["inbound"],
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000},
                },
                "extra_headers": "callerLang=hi",
            }),
            "Plivo sends no `connected`: `start` comes first"
        );
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis();
        let now_ms = u64::try_from(now_ms).unwrap();
        let mut stamps = Vec::new();
        for i in 0..3_u64 {
            let frame = bot.next().await.unwrap();
            assert_eq!(frame["event"], "media");
            assert_eq!(frame["sequenceNumber"], json!(i + 2));
            assert_eq!(frame["streamId"], json!(setup.stream_id));
            assert_eq!(frame["media"]["track"], "inbound");
            assert_eq!(frame["media"]["chunk"], json!(i + 1));
            assert_eq!(frame["extra_headers"], "callerLang=hi");
            assert_eq!(payload(&frame), vec![0xFF; 160]);
            let stamp: u64 = frame["media"]["timestamp"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            stamps.push(stamp);
        }
        assert!(stamps[0].abs_diff(now_ms) < 5_000, "epoch milliseconds");
        assert_eq!([stamps[1] - stamps[0], stamps[2] - stamps[1]], [20, 20]);

        call.press('3').unwrap();
        let (_, dtmf) = bot.until_event("dtmf").await;
        assert_eq!(dtmf["streamId"], json!(setup.stream_id));
        assert_eq!(dtmf["dtmf"]["track"], "inbound");
        assert_eq!(dtmf["dtmf"]["digit"], "3");
        assert!(dtmf["dtmf"]["timestamp"].is_string());

        call.hang_up().await;
        let rest = bot.until_closed().await;
        assert!(
            rest.iter().all(|f| f["event"] == "media"),
            "Plivo sends no stop event: {rest:?}"
        );
        let numbers: Vec<u64> = bot
            .seen
            .iter()
            .map(|(_, v)| v["sequenceNumber"].as_u64().unwrap())
            .collect();
        assert_eq!(numbers, (1..=numbers.len() as u64).collect::<Vec<_>>());
        assert!(call.violations().is_empty(), "{:?}", call.violations());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn checkpoints_wait_for_audio_and_clear_audio_drops_them() {
        let (url, accept) = listen("/plivo/media").await;
        let call = FakePlivoCall::connect(&url, PlivoCallSetup::default())
            .await
            .unwrap();
        let id = call.stream_id().to_owned();
        let mut bot = accept.await.unwrap();
        bot.next().await.unwrap();

        let ulaw = awaaz_audio::g711::ulaw_encode(&tone(1000, 8000));
        for chunk in ulaw.chunks(1600) {
            bot.send(play(chunk)).await;
        }
        bot.send(json!({"event": "checkpoint", "streamId": id, "name": "c1"}))
            .await;
        let sent = Instant::now();
        let (at, played) = bot.until_event("playedStream").await;
        let after = ms_between(sent, at);
        assert!(
            (990..=1400).contains(&after),
            "playedStream {after} ms after the audio"
        );
        assert_eq!(played["streamId"], json!(id));
        assert_eq!(played["name"], "c1");
        assert!(played["sequenceNumber"].is_u64());
        assert_eq!(call.heard_audio(), heard(&ulaw));

        // 2 s, a checkpoint, and a clear 300 ms in: cleared, never played.
        for chunk in awaaz_audio::g711::ulaw_encode(&tone(2000, 8000)).chunks(1600) {
            bot.send(play(chunk)).await;
        }
        bot.send(json!({"event": "checkpoint", "streamId": id, "name": "c2"}))
            .await;
        call.wait_for_audio(300, WAIT).await.unwrap();
        let clear_sent = Instant::now();
        bot.send(json!({"event": "clearAudio", "streamId": id}))
            .await;
        let (at, cleared) = bot.until_event("clearedAudio").await;
        assert!(ms_between(clear_sent, at) <= 200);
        assert_eq!(cleared["streamId"], json!(id));
        assert!(cleared["sequenceNumber"].is_u64());
        bot.read_for(Duration::from_millis(400)).await;
        assert_eq!(
            bot.seen_events("playedStream").len(),
            1,
            "c2 is never played"
        );
        assert!(call
            .events()
            .iter()
            .any(|e| e.kind == CallEventKind::MarkDropped { name: "c2".into() }));
        let heard_ms = call.heard_ms();
        assert!((1280..=1500).contains(&heard_ms), "heard {heard_ms} ms");
        assert!(call.violations().is_empty(), "{:?}", call.violations());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn frames_plivo_would_reject_are_violations() {
        let (url, accept) = listen("/plivo/media").await;
        let call = FakePlivoCall::connect(&url, PlivoCallSetup::default())
            .await
            .unwrap();
        let id = call.stream_id().to_owned();
        let mut bot = accept.await.unwrap();

        let silence = b64(&[0xFF; 160]);
        bot.send(json!({"event": "playAudio", "media": {"contentType": "audio/x-l16", "sampleRate": 8000, "payload": silence}}))
            .await;
        bot.send(json!({"event": "playAudio", "media": {"contentType": "audio/x-mulaw", "sampleRate": 16000, "payload": silence}}))
            .await;
        bot.send(json!({"event": "checkpoint", "name": "no-stream"}))
            .await;
        bot.send(json!({"event": "clear", "streamId": id})).await;
        // sampleRate as a string is fine, as is a matching streamId.
        bot.send(json!({"event": "playAudio", "streamId": id, "media": {"contentType": "audio/x-mulaw", "sampleRate": "8000", "payload": silence}}))
            .await;
        bot.send(json!({"event": "checkpoint", "streamId": id, "name": "ok"}))
            .await;
        let (_, played) = bot.until_event("playedStream").await;
        assert_eq!(played["name"], "ok");

        let reasons: Vec<String> = call.violations().into_iter().map(|v| v.reason).collect();
        let expected = [
            "contentType \"audio/x-l16\"",
            "sampleRate 16000",
            "`checkpoint` without `streamId`",
            "unknown event \"clear\"",
        ];
        assert_eq!(reasons.len(), expected.len(), "{reasons:?}");
        for (reason, want) in reasons.iter().zip(expected) {
            assert!(reason.contains(want), "{reason:?} should mention {want:?}");
        }
        assert_eq!(call.heard_ms(), 20, "only the valid playAudio played");
    }
}
