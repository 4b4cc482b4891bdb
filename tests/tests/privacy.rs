//! Logs never carry personal data: a scripted conversation with a phone
//! number, a name and an address-like complaint runs with every awaaz log
//! line captured, and none of it may appear.
//!
//! Its own test binary, because it installs the global subscriber.

use std::io::Write;
use std::sync::{Arc, Mutex};

use awaaz_tests::start_server;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_phone_numbers_or_transcripts_in_logs() {
    let capture = Capture::default();
    let writer = capture.clone();
    // Everything awaaz logs, at the most verbose level; the database drivers
    // at their default (their statement logs are theirs to redact).
    tracing_subscriber::fmt()
        .with_env_filter("trace,sqlx=warn,sea_orm=warn,hyper=info,h2=info,reqwest=info")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let server = start_server().await;
    let conv = server.start_conversation(Some("+919812345678")).await;
    server
        .say(
            &conv.id,
            "main Priya Sharma bol rahi hoon, mera order 45678 kahan hai",
        )
        .await;
    server
        .say(
            &conv.id,
            "mera number 9812345678 hai, Lajpat Nagar wala address",
        )
        .await;
    server.get("/api/v1/orders?phone=%2B919812345678").await;
    server.say(&conv.id, "bye").await;
    server.shutdown().await;

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains(&conv.id),
        "the call id is logged, so the capture works:\n{logs}"
    );
    for secret in ["9812345678", "Priya", "Lajpat", "kahan hai", "bol rahi"] {
        assert!(
            !logs.contains(secret),
            "{secret:?} leaked into the logs:\n{logs}"
        );
    }
}
