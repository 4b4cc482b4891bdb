//! Helpers shared by the whole-call test binaries that talk to the server
//! as a carrier does (`mod support;` in each).

#![allow(dead_code)] // each test binary uses its own share of these

use std::collections::BTreeMap;
use std::time::Duration;

use awaaz_fakes::carrier_rest::{TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN};
use awaaz_fakes::twilio::TwilioCallSetup;
use awaaz_telephony::signature::RequestValidator;

/// An HTTP client that never goes through a proxy.
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client")
}

/// The `<Stream url>` and `<Parameter>`s of a TwiML document.
pub(crate) fn parse_stream_twiml(twiml: &str) -> (String, BTreeMap<String, String>) {
    let unescape = |s: &str| {
        s.replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    let attr = |tag: &str, name: &str| -> Option<String> {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let end = tag[start..].find('"')? + start;
        Some(unescape(&tag[start..end]))
    };
    let stream_at = twiml.find("<Stream ").expect("a <Stream>");
    let stream_tag =
        &twiml[stream_at..stream_at + twiml[stream_at..].find('>').expect("a closed <Stream> tag")];
    let url = attr(stream_tag, "url").expect("a stream url");
    let mut params = BTreeMap::new();
    for piece in twiml.split("<Parameter ").skip(1) {
        let tag = &piece[..piece.find("/>").expect("a closed <Parameter/>")];
        params.insert(
            attr(tag, "name").expect("a parameter name"),
            attr(tag, "value").expect("a parameter value"),
        );
    }
    (url, params)
}

/// POSTs a form to `url`, with the `headers` given.
pub(crate) async fn post_form(
    url: &str,
    params: &[(&str, &str)],
    headers: Vec<(&'static str, String)>,
) -> (u16, String) {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let mut request = client()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// The `X-Twilio-Signature` header for a form POSTed to `url`, signed with
/// the fake carrier's auth token.
pub(crate) fn twilio_signature(url: &str, params: &[(&str, &str)]) -> Vec<(&'static str, String)> {
    let signature = RequestValidator::new(TWILIO_AUTH_TOKEN).compute(url, params);
    vec![("x-twilio-signature", signature)]
}

/// A new Twilio call from `from` to `to` answered the way Twilio asks: the
/// signed voice webhook at `{base_url}/twilio/voice`. Returns the call's
/// ids (with the TwiML's `<Parameter>`s as its custom parameters) and the
/// stream URL the TwiML names.
pub(crate) async fn answer_twilio(
    base_url: &str,
    from: &str,
    to: &str,
) -> (TwilioCallSetup, String) {
    let setup = TwilioCallSetup {
        from: from.to_owned(),
        to: to.to_owned(),
        account_sid: TWILIO_ACCOUNT_SID.to_owned(),
        ..TwilioCallSetup::default()
    };
    let params = [
        ("AccountSid", TWILIO_ACCOUNT_SID),
        ("CallSid", setup.call_sid.as_str()),
        ("From", from),
        ("To", to),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
    ];
    let url = format!("{base_url}/twilio/voice");
    let (status, twiml) = post_form(&url, &params, twilio_signature(&url, &params)).await;
    assert_eq!(status, 200, "{twiml}");
    let (stream_url, custom_parameters) = parse_stream_twiml(&twiml);
    (
        TwilioCallSetup {
            custom_parameters,
            ..setup
        },
        stream_url,
    )
}

/// Waits (up to 30 s) until the call with this carrier id is stored as
/// ended, and returns it.
pub(crate) async fn ended_call(
    store: &dyn awaaz_store::Store,
    carrier_call_id: &str,
) -> awaaz_store::CallDetail {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let call = store
            .call_by_carrier_id(carrier_call_id)
            .await
            .expect("store readable");
        if let Some(call) = call.filter(|c| c.ended_at.is_some()) {
            return store
                .call(&call.id)
                .await
                .expect("store readable")
                .expect("call stored");
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the call {carrier_call_id} was never stored as ended"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The fake model's order question: the caller asks about ORD-45678
/// between `start_ms` and `end_ms` of the input audio, the model calls
/// `lookup_order` and answers (2 s of audio) from its result.
pub(crate) fn order_lookup_turn(start_ms: u64, end_ms: u64) -> awaaz_fakes::realtime::CallerTurn {
    use awaaz_fakes::realtime::{AudioReply, CallerTurn, Reply};
    CallerTurn::new(
        start_ms,
        end_ms,
        "mera order 4 5 6 7 8 kab aayega",
        Reply::function_call(
            "lookup_order",
            serde_json::json!({"order_id": "45678"}),
            AudioReply::new(
                "Aapka order {order.order_id} {order.status} hai, {order.courier} se aa raha hai.",
                2_000,
            ),
        ),
    )
}

/// The demo shop's ORD-45678 (delivered by Delhivery).
pub(crate) async fn demo_order(store: &dyn awaaz_store::Store) -> awaaz_store::Order {
    store
        .order(&awaaz_store::OrderId("ORD-45678".to_owned()))
        .await
        .expect("store readable")
        .expect("demo order")
}

/// Waits until the model (connection 0 of `fake`) got a truncation and the
/// caller's words were transcribed after it (anything stale would have
/// arrived by then); returns the recording as it was at the truncation.
pub(crate) async fn truncated_then_transcribed(
    fake: &awaaz_fakes::realtime::FakeRealtime,
    wait: Duration,
) -> awaaz_fakes::realtime::Recording {
    let at_cut = fake
        .wait_for(0, wait, |r| !r.truncations.is_empty())
        .await
        .expect("a truncation");
    fake.wait_for(0, wait, |r| {
        r.sent
            .iter()
            .any(|t| t == "conversation.item.input_audio_transcription.completed")
    })
    .await
    .expect("the caller's words are transcribed");
    at_cut
}

/// A server configuration on a fresh SQLite file in `dir`, on a free port.
pub(crate) fn sqlite_config(dir: &std::path::Path) -> awaaz::Config {
    awaaz_tests::test_config(format!(
        "sqlite://{}?mode=rwc",
        dir.join("awaaz.db").display()
    ))
}

/// What the model says before a transfer.
pub(crate) const TRANSFER_LINE: &str = "Main aapko abhi ek colleague se jod rahi hoon.";

/// The fake model's request for a person: the caller asks between
/// `start_ms` and `end_ms`, the model calls `transfer_to_human` and says
/// [`TRANSFER_LINE`] (1.2 s).
pub(crate) fn transfer_turn(start_ms: u64, end_ms: u64) -> awaaz_fakes::realtime::CallerTurn {
    use awaaz_fakes::realtime::{AudioReply, CallerTurn, Reply};
    CallerTurn::new(
        start_ms,
        end_ms,
        "mujhe kisi insaan se baat karni hai",
        Reply::function_call(
            "transfer_to_human",
            serde_json::json!({"reason": "caller asked for a person"}),
            AudioReply::new(TRANSFER_LINE, 1_200),
        ),
    )
}

/// Who said what in a stored call, in order.
pub(crate) fn turns(detail: &awaaz_store::CallDetail) -> Vec<(awaaz_store::Speaker, String)> {
    detail
        .turns
        .iter()
        .map(|t| (t.speaker, t.text.clone()))
        .collect()
}
