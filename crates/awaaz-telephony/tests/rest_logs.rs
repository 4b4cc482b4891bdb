#![cfg(feature = "rest")]
//! Carrier REST log events carry no phone numbers or SMS text.
//!
//! A test binary of its own: `tracing` caches per-callsite interest, so a
//! thread-local subscriber can miss events when other tests on other threads
//! hit the same callsites first.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use awaaz_fakes::carrier_rest::{FakeCarrierRest, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN};
use awaaz_telephony::rest::{CarrierControl, TwilioRest, TwilioRestConfig};

const CALLER: &str = "+919876543278";
const AGENT: &str = "+918045671234";
const TWILIO_NUMBER: &str = "+14155550100";
const SMS_TEXT: &str = "Aapka order 45678 kal tak pahunch jayega";

fn assert_no_personal_data(text: &str) {
    for needle in [
        "9876543278",
        "98765",
        "8045671234",
        "45671234",
        "order 45678",
        "pahunch",
    ] {
        assert!(!text.contains(needle), "{needle:?} leaked into {text:?}");
    }
}

// ---------------------------------------------------------------------------

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn logs_carry_no_phone_numbers_or_bodies() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let fake = FakeCarrierRest::start().await;
    let mut config = TwilioRestConfig::new(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN);
    config.api_base = fake.base_url();
    config.retry_backoff = Duration::from_millis(5);
    let twilio = TwilioRest::new(config).unwrap();
    fake.fail_next(1, 500);
    twilio
        .send_sms(CALLER, TWILIO_NUMBER, SMS_TEXT)
        .await
        .unwrap();
    twilio
        .send_sms("+91 98765 43278", TWILIO_NUMBER, SMS_TEXT)
        .await
        .unwrap_err();
    CarrierControl::transfer(
        &twilio,
        "CA00112233445566778899aabbccddeeff",
        AGENT,
        Some(SMS_TEXT),
    )
    .await
    .unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("carrier rest request failed, retrying"),
        "{logs}"
    );
    assert!(logs.contains("carrier rest request done"), "{logs}");
    assert_no_personal_data(&logs);
}
