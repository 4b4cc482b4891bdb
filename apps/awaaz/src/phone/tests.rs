//! Unit tests of the phone bridge's sans-I/O parts and the webhooks.

use std::sync::Arc;

use awaaz_audio::AudioChunk;
use axum::http::HeaderMap;

use super::bridge::{Framer, Inbound, Marks};
use super::*;
use crate::config::Secret;

fn settings() -> PhoneSettings {
    Config::default().phone
}

#[test]
fn framer_cuts_16k_audio_into_20ms_line_frames() {
    let mut framer = Framer::new(8_000).unwrap();
    let mut frames = Vec::new();
    for _ in 0..10 {
        frames.extend(framer.push(&AudioChunk::new(vec![1000; 320])));
    }
    // 200 ms in, 10 whole frames out (no look-ahead).
    assert_eq!(frames.len(), 10);
    assert!(frames.iter().all(|f| f.len() == 160));
    let tail = framer.flush();
    let total: usize = frames.iter().chain(tail.iter()).map(Vec::len).sum();
    assert_eq!(total, 10 * 160, "200 ms at 8 kHz, padded to whole frames");
    assert!(tail.iter().all(|f| f.len() == 160));
    // A constant signal comes through at its level.
    assert!(frames[3].iter().all(|s| (i32::from(*s) - 1000).abs() < 20));
    assert!(framer.flush().is_empty());
}

#[test]
fn framer_pads_a_partial_frame_before_a_mark_and_clear_drops_pending() {
    let mut framer = Framer::new(8_000).unwrap();
    assert!(framer.push(&AudioChunk::new(vec![500; 100])).is_empty());
    let flushed = framer.flush();
    assert_eq!(flushed.len(), 1);
    assert_eq!(flushed[0].len(), 160);
    assert_eq!(flushed[0][159], 0, "padded with silence");

    assert!(framer.push(&AudioChunk::new(vec![500; 100])).is_empty());
    framer.clear();
    assert!(framer.flush().is_empty(), "clear dropped the pending audio");
}

#[test]
fn framer_at_16k_passes_audio_through() {
    let mut framer = Framer::new(16_000).unwrap();
    let frames = framer.push(&AudioChunk::new((0..320).collect()));
    assert_eq!(frames, vec![(0..320).collect::<Vec<i16>>()]);
}

#[test]
fn inbound_doubles_8k_audio() {
    let mut inbound = Inbound::new(8_000).unwrap();
    let mut n = 0;
    for _ in 0..10 {
        n += inbound.convert(&[0; 160]).len();
    }
    assert_eq!(n, 3_200, "ten 20 ms line frames, ten 20 ms call frames");
    assert!(Inbound::new(11_025).is_none());
}

/// The call's segmenter works in whole 20 ms frames: if a line frame gave
/// less than one, the caller's end of speech would be seen a frame late.
#[test]
fn every_line_frame_gives_one_whole_20ms_call_frame_at_once() {
    let mut inbound = Inbound::new(8_000).unwrap();
    for i in 0..5 {
        let line = vec![if i % 2 == 0 { 3000 } else { -3000 }; 160];
        assert_eq!(inbound.convert(&line).len(), 320, "line frame {i}");
    }
}

/// The first reply frame must leave with the call's first 20 ms, not with
/// its second.
#[test]
fn every_20ms_call_frame_gives_one_line_frame_at_once() {
    let mut framer = Framer::new(8_000).unwrap();
    for i in 0..5 {
        let frames = framer.push(&AudioChunk::new(vec![1000; 320]));
        assert_eq!(frames.len(), 1, "call frame {i}");
        assert_eq!(frames[0].len(), 160);
    }
    assert!(framer.flush().is_empty(), "nothing held back before a mark");
    // After a clear (barge-in) the next answer starts the same way.
    framer.clear();
    assert_eq!(framer.push(&AudioChunk::new(vec![1000; 320])).len(), 1);
}

#[test]
fn marks_sent_before_a_clear_are_not_heard() {
    let mut marks = Marks::default();
    marks.sent("1.0");
    marks.sent("1.1");
    assert!(marks.echoed("1.0"), "played normally");
    marks.sent("1.2");
    marks.cleared();
    // Twilio returns every pending mark at once after a clear.
    assert!(!marks.echoed("1.1"));
    assert!(!marks.echoed("1.2"));
    marks.sent("2.0");
    assert!(marks.echoed("2.0"));
    assert!(!marks.echoed("2.0"), "an echo counts once");
    assert!(!marks.echoed("never-sent"));
}

#[test]
fn public_base_prefers_the_configured_url() {
    let mut s = settings();
    s.public_url = Some("https://voice.example.in".to_owned());
    let lines = PhoneLines::new(&s);
    let mut headers = HeaderMap::new();
    headers.insert("host", "10.0.0.5:8080".parse().unwrap());
    assert_eq!(
        lines.public_base(&headers).as_deref(),
        Some("https://voice.example.in")
    );
}

#[test]
fn public_base_from_forwarded_headers() {
    let lines = PhoneLines::new(&settings());
    let mut headers = HeaderMap::new();
    headers.insert("host", "10.0.0.5:8080".parse().unwrap());
    assert_eq!(
        lines.public_base(&headers).as_deref(),
        Some("http://10.0.0.5:8080")
    );
    headers.insert("x-forwarded-proto", "https, http".parse().unwrap());
    headers.insert("x-forwarded-host", "abc.ngrok.app".parse().unwrap());
    assert_eq!(
        lines.public_base(&headers).as_deref(),
        Some("https://abc.ngrok.app")
    );
    headers.insert("x-forwarded-proto", "gopher".parse().unwrap());
    assert_eq!(lines.public_base(&headers), None);
    assert_eq!(lines.public_base(&HeaderMap::new()), None);
    assert_eq!(ws_base("https://a.in"), "wss://a.in");
    assert_eq!(ws_base("http://127.0.0.1:9"), "ws://127.0.0.1:9");
}

#[test]
fn rest_clients_need_all_their_credentials() {
    let mut s = settings();
    let lines = PhoneLines::new(&s);
    assert!(lines.twilio_rest().is_none() && lines.validator().is_none());
    assert!(!lines.can_send_sms());
    s.twilio.account_sid = Some("AC00".to_owned());
    s.twilio.auth_token = Some(Secret::new("tok"));
    let lines = PhoneLines::new(&s);
    assert!(lines.twilio_rest().is_some() && lines.validator().is_some());
    assert!(!lines.can_send_sms(), "no from number");
    s.twilio.from = Some("+15005550006".to_owned());
    assert!(PhoneLines::new(&s).can_send_sms());
    s.exotel.account_sid = Some("acc".to_owned());
    s.exotel.api_key = Some("key".to_owned());
    let lines = PhoneLines::new(&s);
    assert!(lines.exotel_rest().is_none(), "no token");
}

#[test]
fn plivo_callers_are_remembered_once() {
    let lines = Arc::new(PhoneLines::new(&settings()));
    lines.remember_plivo_caller("uuid-1", PhoneNumber::new("+919812345678"));
    assert_eq!(
        lines
            .take_plivo_caller("uuid-1")
            .map(|p| p.as_str().to_owned()),
        Some("+919812345678".to_owned())
    );
    assert!(lines.take_plivo_caller("uuid-1").is_none());
    assert!(lines.take_plivo_caller("other").is_none());
}

// ---- the SMS sender, against the fake carrier REST server ----

mod sms_sender {
    use std::sync::Arc;
    use std::time::Duration;

    use awaaz_fakes::carrier_rest::{
        FakeCarrier, FakeCarrierRest, PLIVO_AUTH_ID, PLIVO_AUTH_TOKEN, TWILIO_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN,
    };
    use awaaz_store::{MemoryStore, NewSms, PhoneNumber, SmsStatus, Store};

    use super::super::{PhoneLines, SmsSender, SmsSenderConfig};
    use crate::config::Secret;

    const TO: &str = "+919812345678";

    fn twilio_lines(rest: &FakeCarrierRest) -> PhoneLines {
        let mut s = crate::Config::default().phone;
        s.twilio.account_sid = Some(TWILIO_ACCOUNT_SID.to_owned());
        s.twilio.auth_token = Some(Secret::new(TWILIO_AUTH_TOKEN));
        s.twilio.api_base = rest.base_url();
        s.twilio.from = Some("+15005550001".to_owned());
        // Plivo is configured too: Twilio goes first.
        s.plivo.auth_id = Some(PLIVO_AUTH_ID.to_owned());
        s.plivo.auth_token = Some(Secret::new(PLIVO_AUTH_TOKEN));
        s.plivo.api_base = rest.base_url();
        s.plivo.from = Some("+15005550002".to_owned());
        PhoneLines::new(&s)
    }

    fn quick() -> SmsSenderConfig {
        SmsSenderConfig {
            poll_interval: Duration::from_millis(20),
            first_backoff: Duration::ZERO,
            max_attempts: 2,
            ..SmsSenderConfig::default()
        }
    }

    async fn queue(store: &Arc<dyn Store>, to: &str) -> i64 {
        store
            .queue_sms(NewSms {
                call_id: None,
                to: PhoneNumber::new(to),
                body: "Ticket TKT-10001 for order ORD-45679".to_owned(),
                created_at: chrono::Utc::now(),
            })
            .await
            .unwrap()
            .id
    }

    async fn stored(store: &Arc<dyn Store>, id: i64) -> awaaz_store::Sms {
        for status in [SmsStatus::Queued, SmsStatus::Sent, SmsStatus::Failed] {
            if let Some(sms) = store
                .sms_by_status(status, 100)
                .await
                .unwrap()
                .into_iter()
                .find(|s| s.id == id)
            {
                return sms;
            }
        }
        panic!("sms {id} not stored")
    }

    #[tokio::test]
    async fn queued_sms_is_sent_through_twilio_first_and_marked_sent() {
        let rest = FakeCarrierRest::start().await;
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let id = queue(&store, TO).await;
        let mut sender = SmsSender::new(Arc::clone(&store), &twilio_lines(&rest), quick());
        assert_eq!(sender.drain_once().await, 1);
        let sent = rest.sms();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].carrier, FakeCarrier::Twilio);
        assert_eq!(sent[0].to, TO);
        assert_eq!(sent[0].from, "+15005550001");
        let sms = stored(&store, id).await;
        assert_eq!(sms.status, SmsStatus::Sent);
        assert_eq!(sms.provider_id.as_deref(), Some(sent[0].sid.as_str()));
        assert_eq!(sms.attempts, 1);
        assert_eq!(sender.drain_once().await, 0, "nothing left");
    }

    #[tokio::test]
    async fn carrier_outage_is_retried_then_sent() {
        let rest = FakeCarrierRest::start().await;
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let id = queue(&store, TO).await;
        // The client's own retries (3) are used up by 4 failures.
        rest.fail_next(4, 503);
        let mut sender = SmsSender::new(Arc::clone(&store), &twilio_lines(&rest), quick());
        sender.drain_once().await;
        let sms = stored(&store, id).await;
        assert_eq!(sms.status, SmsStatus::Queued);
        assert_eq!(sms.attempts, 1);
        assert!(
            sms.last_error
                .as_deref()
                .unwrap_or_default()
                .contains("503"),
            "{sms:?}"
        );
        assert!(rest.sms().is_empty());
        sender.drain_once().await;
        let sms = stored(&store, id).await;
        assert_eq!(sms.status, SmsStatus::Sent);
        assert_eq!(sms.attempts, 2);
        assert_eq!(rest.sms().len(), 1);
    }

    #[tokio::test]
    async fn refused_sms_fails_at_once_with_the_error() {
        let rest = FakeCarrierRest::start().await;
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        // Twilio refuses this number (not E.164 after normalisation).
        let id = queue(&store, "12345").await;
        let mut sender = SmsSender::new(Arc::clone(&store), &twilio_lines(&rest), quick());
        sender.drain_once().await;
        let sms = stored(&store, id).await;
        assert_eq!(sms.status, SmsStatus::Failed);
        assert_eq!(sms.attempts, 1);
        let error = sms.last_error.unwrap();
        assert!(error.contains("http 400"), "{error}");
        assert_eq!(sender.drain_once().await, 0, "not retried");
    }

    #[tokio::test]
    async fn sender_stops_on_shutdown() {
        let rest = FakeCarrierRest::start().await;
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let sender = SmsSender::new(Arc::clone(&store), &twilio_lines(&rest), quick());
        let shutdown = tokio_util::sync::CancellationToken::new();
        let task = tokio::spawn(sender.run(shutdown.clone()));
        let id = queue(&store, TO).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while stored(&store, id).await.status != SmsStatus::Sent {
            assert!(tokio::time::Instant::now() < deadline, "sent by the task");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(2), task)
            .await
            .expect("stopped in time")
            .unwrap();
    }
}
