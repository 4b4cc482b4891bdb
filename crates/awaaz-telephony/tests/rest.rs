#![cfg(feature = "rest")]
//! The carrier REST clients against `awaaz-fakes`' fake carrier server, over
//! real HTTP on 127.0.0.1.

use std::sync::Arc;
use std::time::Duration;

use awaaz_fakes::carrier_rest::{
    CallAction, FakeCarrier, FakeCarrierRest, EXOTEL_ACCOUNT_SID, EXOTEL_API_KEY, EXOTEL_API_TOKEN,
    PLIVO_AUTH_ID, PLIVO_AUTH_TOKEN, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN,
};
use awaaz_telephony::rest::{
    CallInstructions, Carrier, CarrierControl, ControlOutcome, ExotelRest, ExotelRestConfig,
    Operation, PlivoRest, PlivoRestConfig, PlivoTransfer, RestError, TwilioRest, TwilioRestConfig,
};

const CALLER: &str = "+919876543278";
const AGENT: &str = "+918045671234";
const TWILIO_NUMBER: &str = "+14155550100";
const SMS_TEXT: &str = "Aapka order 45678 kal tak pahunch jayega";

fn twilio_config(fake: &FakeCarrierRest) -> TwilioRestConfig {
    let mut config = TwilioRestConfig::new(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN);
    config.api_base = fake.base_url();
    config.from_number = Some(TWILIO_NUMBER.to_owned());
    config.say_language = Some("en-IN".to_owned());
    config.timeout = Duration::from_secs(5);
    config.max_retries = 3;
    config.retry_backoff = Duration::from_millis(5);
    config
}

fn plivo_config(fake: &FakeCarrierRest) -> PlivoRestConfig {
    let mut config = PlivoRestConfig::new(PLIVO_AUTH_ID, PLIVO_AUTH_TOKEN);
    config.api_base = fake.base_url();
    config.from_number = Some("918061234567".to_owned());
    config.transfer_url = Some("https://awaaz.example/plivo/transfer".to_owned());
    config.timeout = Duration::from_secs(5);
    config.max_retries = 3;
    config.retry_backoff = Duration::from_millis(5);
    config
}

fn exotel_config(fake: &FakeCarrierRest) -> ExotelRestConfig {
    let mut config = ExotelRestConfig::new(EXOTEL_ACCOUNT_SID, EXOTEL_API_KEY, EXOTEL_API_TOKEN);
    config.api_base = fake.base_url();
    config.from_number = Some("08047112233".to_owned());
    config.dlt_entity_id = Some("1101234567890".to_owned());
    config.timeout = Duration::from_secs(5);
    config.max_retries = 3;
    config.retry_backoff = Duration::from_millis(5);
    config
}

fn live_twilio_call() -> String {
    "CA00112233445566778899aabbccddeeff".to_owned()
}

const PLIVO_CALL: &str = "1ed7fd89-df77-4ebf-8196-d5cf7222c918";

/// Neither the number (in any grouping) nor the SMS text may show.
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

fn is_hex_sid(sid: &str, prefix: &str) -> bool {
    sid.strip_prefix(prefix)
        .is_some_and(|rest| rest.len() == 32 && rest.chars().all(|c| c.is_ascii_hexdigit()))
}

// ---------------------------------------------------------------------------
// Twilio
// ---------------------------------------------------------------------------

#[tokio::test]
async fn twilio_create_call_with_twiml_sends_the_form_and_returns_the_call_sid() {
    let fake = FakeCarrierRest::start().await;
    let twilio = TwilioRest::new(twilio_config(&fake)).unwrap();
    let twiml = "<Response><Say>Namaste</Say></Response>";
    let sid = twilio
        .create_call(
            CALLER,
            TWILIO_NUMBER,
            &CallInstructions::Twiml(twiml.to_owned()),
            Some("https://awaaz.example/twilio/status"),
        )
        .await
        .unwrap();
    assert!(is_hex_sid(sid.as_str(), "CA"), "{sid}");

    let created = fake.calls_created();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].sid, sid.as_str());
    assert_eq!(created[0].to, CALLER);
    assert_eq!(created[0].from, TWILIO_NUMBER);
    assert_eq!(created[0].twiml.as_deref(), Some(twiml));
    assert_eq!(created[0].url, None);
    assert_eq!(
        created[0].status_callback.as_deref(),
        Some("https://awaaz.example/twilio/status")
    );

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(
        requests[0].path,
        format!("/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Calls.json")
    );
    assert!(requests[0].authorized);
    assert_eq!(requests[0].status, 201);
}

#[tokio::test]
async fn twilio_create_call_by_url() {
    let fake = FakeCarrierRest::start().await;
    let twilio = TwilioRest::new(twilio_config(&fake)).unwrap();
    twilio
        .create_call(
            CALLER,
            TWILIO_NUMBER,
            &CallInstructions::Url("https://awaaz.example/twilio/voice".to_owned()),
            None,
        )
        .await
        .unwrap();
    let created = fake.calls_created();
    assert_eq!(
        created[0].url.as_deref(),
        Some("https://awaaz.example/twilio/voice")
    );
    assert_eq!(created[0].twiml, None);
    assert_eq!(created[0].status_callback, None);
    assert_eq!(fake.requests()[0].param("StatusCallback"), None);
}

#[tokio::test]
async fn twilio_update_call_twiml_then_hang_up() {
    let fake = FakeCarrierRest::start().await;
    let twilio = TwilioRest::new(twilio_config(&fake)).unwrap();
    let call = live_twilio_call();
    let twiml = "<Response><Dial>+918045671234</Dial></Response>";
    twilio.update_call_twiml(&call, twiml).await.unwrap();
    twilio.hang_up(&call).await.unwrap();

    let updates = fake.call_updates();
    assert_eq!(updates.len(), 2);
    assert_eq!(updates[0].carrier, FakeCarrier::Twilio);
    assert_eq!(updates[0].call_id, call);
    assert_eq!(updates[0].action, CallAction::Twiml(twiml.to_owned()));
    assert_eq!(updates[1].action, CallAction::HangUp);

    let requests = fake.requests();
    assert_eq!(
        requests[1].path,
        format!("/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Calls/{call}.json")
    );
    assert_eq!(requests[1].param("Status"), Some("completed"));

    // A call that has ended cannot be redirected any more (Twilio 21220).
    let err = twilio.update_call_twiml(&call, twiml).await.unwrap_err();
    assert!(
        matches!(
            err,
            RestError::Api {
                carrier: Carrier::Twilio,
                operation: Operation::UpdateCall,
                status: 400,
                code: Some(21220),
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn twilio_unknown_call_sid_is_a_404() {
    let fake = FakeCarrierRest::start().await;
    let twilio = TwilioRest::new(twilio_config(&fake)).unwrap();
    let err = twilio.hang_up("CAnot-a-sid").await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.carrier_code(), Some(20404));
    assert_eq!(err.operation(), Some(Operation::HangUp));
}

#[tokio::test]
async fn twilio_send_sms_returns_the_message_sid() {
    let fake = FakeCarrierRest::start().await;
    let twilio = TwilioRest::new(twilio_config(&fake)).unwrap();
    let sid = twilio
        .send_sms(CALLER, TWILIO_NUMBER, SMS_TEXT)
        .await
        .unwrap();
    assert!(is_hex_sid(sid.as_str(), "SM"), "{sid}");
    let sms = fake.sms();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].carrier, FakeCarrier::Twilio);
    assert_eq!(sms[0].sid, sid.as_str());
    assert_eq!(sms[0].to, CALLER);
    assert_eq!(sms[0].from, TWILIO_NUMBER);
    assert_eq!(sms[0].body, SMS_TEXT);
    assert_eq!(
        fake.requests()[0].path,
        format!("/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages.json")
    );
}

#[tokio::test]
async fn twilio_retries_500_then_succeeds() {
    let fake = FakeCarrierRest::start().await;
    let twilio = TwilioRest::new(twilio_config(&fake)).unwrap();
    fake.fail_next(2, 500);
    let sid = twilio
        .send_sms(CALLER, TWILIO_NUMBER, SMS_TEXT)
        .await
        .unwrap();
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 500, 201]);
    assert_eq!(fake.sms().len(), 1);
    assert_eq!(fake.sms()[0].sid, sid.as_str());
}

#[tokio::test]
async fn twilio_retries_429_then_succeeds() {
    let fake = FakeCarrierRest::start().await;
    let twilio = TwilioRest::new(twilio_config(&fake)).unwrap();
    fake.fail_next(1, 429);
    fake.fail_next(1, 503);
    twilio.hang_up(&live_twilio_call()).await.unwrap();
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 503, 200]);
    assert_eq!(fake.call_updates().len(), 1);
}

#[tokio::test]
async fn twilio_gives_up_after_max_retries_with_the_last_status() {
    let fake = FakeCarrierRest::start().await;
    let mut config = twilio_config(&fake);
    config.max_retries = 2;
    let twilio = TwilioRest::new(config).unwrap();
    fake.fail_next(10, 503);
    let err = twilio
        .send_sms(CALLER, TWILIO_NUMBER, SMS_TEXT)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            RestError::Api {
                status: 503,
                code: Some(20503),
                attempts: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(fake.requests().len(), 3);
    assert!(fake.sms().is_empty());
}

#[tokio::test]
async fn twilio_does_not_retry_a_400() {
    let fake = FakeCarrierRest::start().await;
    let twilio = TwilioRest::new(twilio_config(&fake)).unwrap();
    let err = twilio
        .send_sms(CALLER, TWILIO_NUMBER, "")
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            RestError::Api {
                carrier: Carrier::Twilio,
                operation: Operation::SendSms,
                status: 400,
                code: Some(21602),
                attempts: 1,
                more_info: Some(url),
                ..
            } if url == "https://www.twilio.com/docs/errors/21602"
        ),
        "{err:?}"
    );
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn twilio_bad_credentials_are_reported_not_retried() {
    let fake = FakeCarrierRest::start().await;
    let mut config = twilio_config(&fake);
    config.auth_token = "wrong".to_owned();
    let twilio = TwilioRest::new(config).unwrap();
    let err = twilio
        .send_sms(CALLER, TWILIO_NUMBER, SMS_TEXT)
        .await
        .unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.carrier_code(), Some(20003));
    assert_eq!(
        err.to_string(),
        "twilio send sms failed: http 401, code 20003: Authenticate"
    );
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert!(!requests[0].authorized);
    assert!(fake.sms().is_empty());
}

#[tokio::test]
async fn twilio_errors_carry_no_phone_numbers_or_bodies() {
    let fake = FakeCarrierRest::start().await;
    let twilio = TwilioRest::new(twilio_config(&fake)).unwrap();
    // Not E.164: Twilio's 21211 message names the number; ours must not.
    let err = twilio
        .send_sms("+91 98765 43278", TWILIO_NUMBER, SMS_TEXT)
        .await
        .unwrap_err();
    assert_eq!(err.carrier_code(), Some(21211));
    let RestError::Api { message, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        message.as_deref(),
        Some("The 'To' number +9198******78 is not a valid phone number.")
    );
    assert_no_personal_data(&err.to_string());
    assert_no_personal_data(&format!("{err:?}"));

    let mut config = twilio_config(&fake);
    config.auth_token = "wrong".to_owned();
    let err = TwilioRest::new(config)
        .unwrap()
        .send_sms(CALLER, TWILIO_NUMBER, SMS_TEXT)
        .await
        .unwrap_err();
    assert_no_personal_data(&err.to_string());
    assert_no_personal_data(&format!("{err:?}"));
}

#[tokio::test]
async fn a_timed_out_sms_is_not_sent_twice() {
    let fake = FakeCarrierRest::start().await;
    let mut config = twilio_config(&fake);
    config.timeout = Duration::from_millis(300);
    let twilio = TwilioRest::new(config).unwrap();
    fake.delay_next(1, Duration::from_secs(3));
    let err = twilio
        .send_sms(CALLER, TWILIO_NUMBER, SMS_TEXT)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            RestError::Transport {
                operation: Operation::SendSms,
                attempts: 1,
                timed_out: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert_no_personal_data(&format!("{err:?}"));
    // The carrier did send it; re-sending would text the caller twice.
    assert_eq!(fake.requests().len(), 1);
    assert_eq!(fake.sms().len(), 1);
}

#[tokio::test]
async fn a_timed_out_hang_up_is_retried() {
    let fake = FakeCarrierRest::start().await;
    let mut config = twilio_config(&fake);
    config.timeout = Duration::from_millis(300);
    let twilio = TwilioRest::new(config).unwrap();
    fake.delay_next(1, Duration::from_secs(3));
    twilio.hang_up(&live_twilio_call()).await.unwrap();
    assert_eq!(fake.requests().len(), 2);
    assert_eq!(fake.call_updates().len(), 1);
}

#[tokio::test]
async fn unreachable_carrier_is_retried_then_reported() {
    // Bind and drop a listener: nothing listens on that port any more.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut config = TwilioRestConfig::new(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN);
    config.api_base = format!("http://127.0.0.1:{port}");
    config.max_retries = 2;
    config.retry_backoff = Duration::from_millis(5);
    let twilio = TwilioRest::new(config).unwrap();
    // Even the non-idempotent SMS goes again: a refused connection sent nothing.
    let err = twilio
        .send_sms(CALLER, TWILIO_NUMBER, SMS_TEXT)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            RestError::Transport {
                carrier: Carrier::Twilio,
                attempts: 3,
                timed_out: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(std::error::Error::source(&err).is_some());
}

#[tokio::test]
async fn twilio_carrier_control_transfers_with_say_and_dial() {
    let fake = FakeCarrierRest::start().await;
    let twilio = TwilioRest::new(twilio_config(&fake)).unwrap();
    let control: Arc<dyn CarrierControl> = Arc::new(twilio);
    let call = live_twilio_call();
    let outcome = control
        .transfer(&call, AGENT, Some("Main aapko agent se jod rahi hoon"))
        .await
        .unwrap();
    assert_eq!(outcome, ControlOutcome::Applied);
    let updates = fake.call_updates();
    assert_eq!(updates.len(), 1);
    assert_eq!(
        updates[0].action,
        CallAction::Twiml(
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say language="en-IN">Main aapko agent se jod rahi hoon</Say><Dial>+918045671234</Dial></Response>"#
                .to_owned()
        )
    );
    assert_eq!(
        control.hang_up(&call).await.unwrap(),
        ControlOutcome::Applied
    );
    let sid = control.send_sms(CALLER, SMS_TEXT).await.unwrap();
    let sms = fake.sms();
    assert_eq!(sms[0].sid, sid);
    assert_eq!(sms[0].from, TWILIO_NUMBER);
}

#[tokio::test]
async fn carrier_control_sms_needs_a_from_number() {
    let fake = FakeCarrierRest::start().await;
    let mut config = twilio_config(&fake);
    config.from_number = None;
    let twilio = TwilioRest::new(config).unwrap();
    let err = CarrierControl::send_sms(&twilio, CALLER, SMS_TEXT)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            RestError::Config {
                carrier: Carrier::Twilio,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn bad_api_base_is_a_config_error() {
    let mut config = TwilioRestConfig::new(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN);
    config.api_base = "api.twilio.com".to_owned();
    let err = TwilioRest::new(config).unwrap_err();
    assert!(
        matches!(
            err,
            RestError::Config {
                carrier: Carrier::Twilio,
                ..
            }
        ),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------
// Plivo
// ---------------------------------------------------------------------------

#[tokio::test]
async fn plivo_transfer_points_the_a_leg_at_the_transfer_url() {
    let fake = FakeCarrierRest::start().await;
    let plivo = PlivoRest::new(plivo_config(&fake)).unwrap();
    let outcome = CarrierControl::transfer(&plivo, PLIVO_CALL, AGENT, Some("Ek minute"))
        .await
        .unwrap();
    assert_eq!(outcome, ControlOutcome::Applied);

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(
        requests[0].path,
        format!("/v1/Account/{PLIVO_AUTH_ID}/Call/{PLIVO_CALL}/")
    );
    assert_eq!(requests[0].status, 202);
    assert_eq!(requests[0].param("legs"), Some("aleg"));
    assert_eq!(requests[0].param("aleg_method"), Some("POST"));

    let updates = fake.call_updates();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].carrier, FakeCarrier::Plivo);
    assert_eq!(updates[0].call_id, PLIVO_CALL);
    let CallAction::Redirect { url, method } = &updates[0].action else {
        panic!("{:?}", updates[0].action)
    };
    assert_eq!(method, "POST");
    let (base, query) = url.split_once('?').unwrap();
    assert_eq!(base, "https://awaaz.example/plivo/transfer");
    // What the server's transfer route will read back and answer with.
    let transfer = PlivoTransfer::from_query(query).unwrap();
    assert_eq!(transfer.to, AGENT);
    assert_eq!(transfer.say.as_deref(), Some("Ek minute"));
    assert_eq!(
        transfer.to_xml(None),
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Speak>Ek minute</Speak><Dial><Number>+918045671234</Number></Dial></Response>"#
    );
}

#[tokio::test]
async fn plivo_transfer_without_a_transfer_url_is_a_config_error() {
    let fake = FakeCarrierRest::start().await;
    let mut config = plivo_config(&fake);
    config.transfer_url = None;
    let plivo = PlivoRest::new(config).unwrap();
    let err = CarrierControl::transfer(&plivo, PLIVO_CALL, AGENT, None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            RestError::Config {
                carrier: Carrier::Plivo,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn plivo_hang_up_deletes_the_call_once() {
    let fake = FakeCarrierRest::start().await;
    let plivo = PlivoRest::new(plivo_config(&fake)).unwrap();
    plivo.hang_up(PLIVO_CALL).await.unwrap();
    let requests = fake.requests();
    assert_eq!(requests[0].method, "DELETE");
    assert_eq!(requests[0].status, 204);
    assert_eq!(fake.call_updates()[0].action, CallAction::HangUp);

    // The call is gone now: Plivo answers 404, which is not retried.
    let err = plivo.hang_up(PLIVO_CALL).await.unwrap_err();
    assert!(
        matches!(
            &err,
            RestError::Api {
                carrier: Carrier::Plivo,
                operation: Operation::HangUp,
                status: 404,
                attempts: 1,
                message: Some(m),
                ..
            } if m == "not found"
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn plivo_send_sms_posts_json_and_returns_the_message_uuid() {
    let fake = FakeCarrierRest::start().await;
    let plivo = PlivoRest::new(plivo_config(&fake)).unwrap();
    let id = CarrierControl::send_sms(&plivo, CALLER, SMS_TEXT)
        .await
        .unwrap();
    assert!(uuid_like(&id), "{id}");
    let sms = fake.sms();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].carrier, FakeCarrier::Plivo);
    assert_eq!(sms[0].sid, id);
    assert_eq!(sms[0].to, CALLER);
    assert_eq!(sms[0].from, "918061234567");
    assert_eq!(sms[0].body, SMS_TEXT);
    let request = &fake.requests()[0];
    assert_eq!(
        request.path,
        format!("/v1/Account/{PLIVO_AUTH_ID}/Message/")
    );
    assert_eq!(
        request
            .json
            .as_ref()
            .and_then(|j| j.get("text"))
            .and_then(|t| t.as_str()),
        Some(SMS_TEXT)
    );
}

fn uuid_like(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

#[tokio::test]
async fn plivo_retries_500_and_429() {
    let fake = FakeCarrierRest::start().await;
    let plivo = PlivoRest::new(plivo_config(&fake)).unwrap();
    fake.fail_next(1, 500);
    fake.fail_next(1, 429);
    plivo
        .transfer(PLIVO_CALL, "https://awaaz.example/plivo/transfer?to=x")
        .await
        .unwrap();
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 429, 202]);
    assert_eq!(fake.call_updates().len(), 1);
}

#[tokio::test]
async fn plivo_bad_credentials() {
    let fake = FakeCarrierRest::start().await;
    let mut config = plivo_config(&fake);
    config.auth_token = "wrong".to_owned();
    let plivo = PlivoRest::new(config).unwrap();
    let err = plivo
        .send_sms(CALLER, "918061234567", SMS_TEXT)
        .await
        .unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    assert_eq!(
        err.to_string(),
        "plivo send sms failed: http 401: authentication failed"
    );
    assert_eq!(fake.requests().len(), 1);
    assert_no_personal_data(&format!("{err:?}"));
}

#[tokio::test]
async fn plivo_missing_text_is_a_400() {
    let fake = FakeCarrierRest::start().await;
    let plivo = PlivoRest::new(plivo_config(&fake)).unwrap();
    let err = plivo
        .send_sms(CALLER, "918061234567", "")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert_eq!(fake.requests().len(), 1);
}

// ---------------------------------------------------------------------------
// Exotel
// ---------------------------------------------------------------------------

#[tokio::test]
async fn exotel_send_sms_posts_the_form_with_dlt_ids() {
    let fake = FakeCarrierRest::start().await;
    let mut config = exotel_config(&fake);
    config.dlt_template_id = Some("1107000000000000001".to_owned());
    let exotel = ExotelRest::new(config).unwrap();
    let sid = exotel
        .send_sms(CALLER, "08047112233", SMS_TEXT)
        .await
        .unwrap();
    assert!(
        sid.len() == 32 && sid.chars().all(|c| c.is_ascii_hexdigit()),
        "{sid}"
    );
    let sms = fake.sms();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].carrier, FakeCarrier::Exotel);
    assert_eq!(sms[0].sid, sid);
    assert_eq!(sms[0].to, CALLER);
    assert_eq!(sms[0].body, SMS_TEXT);
    let request = &fake.requests()[0];
    assert_eq!(
        request.path,
        format!("/v1/Accounts/{EXOTEL_ACCOUNT_SID}/Sms/send.json")
    );
    assert_eq!(request.param("DltEntityId"), Some("1101234567890"));
    assert_eq!(request.param("DltTemplateId"), Some("1107000000000000001"));
    assert!(request.authorized);
}

#[tokio::test]
async fn exotel_errors_and_retries() {
    let fake = FakeCarrierRest::start().await;
    let exotel = ExotelRest::new(exotel_config(&fake)).unwrap();

    let err = exotel
        .send_sms(CALLER, "08047112233", "")
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            RestError::Api {
                carrier: Carrier::Exotel,
                status: 400,
                attempts: 1,
                message: Some(m),
                ..
            } if m == "Invalid Parameters"
        ),
        "{err:?}"
    );

    fake.fail_next(1, 503);
    CarrierControl::send_sms(&exotel, CALLER, SMS_TEXT)
        .await
        .unwrap();
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [400, 503, 200]);

    let mut config = exotel_config(&fake);
    config.api_token = "wrong".to_owned();
    let err = ExotelRest::new(config)
        .unwrap()
        .send_sms(CALLER, "08047112233", SMS_TEXT)
        .await
        .unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    assert_no_personal_data(&format!("{err:?} {err}"));
}

#[tokio::test]
async fn exotel_transfer_and_hang_up_close_the_stream_and_send_nothing() {
    let fake = FakeCarrierRest::start().await;
    let exotel = ExotelRest::new(exotel_config(&fake)).unwrap();
    let control: &dyn CarrierControl = &exotel;
    assert_eq!(
        control
            .transfer("exotel-call-sid", AGENT, Some("Ek minute"))
            .await
            .unwrap(),
        ControlOutcome::CloseStream
    );
    assert_eq!(
        control.hang_up("exotel-call-sid").await.unwrap(),
        ControlOutcome::CloseStream
    );
    assert!(fake.requests().is_empty());
}

// ---------------------------------------------------------------------------
// All three behind the trait
// ---------------------------------------------------------------------------

#[tokio::test]
async fn one_trait_three_carriers() {
    let fake = FakeCarrierRest::start().await;
    let carriers: Vec<Box<dyn CarrierControl>> = vec![
        Box::new(TwilioRest::new(twilio_config(&fake)).unwrap()),
        Box::new(PlivoRest::new(plivo_config(&fake)).unwrap()),
        Box::new(ExotelRest::new(exotel_config(&fake)).unwrap()),
    ];
    let mut ids = Vec::new();
    for carrier in &carriers {
        ids.push(carrier.send_sms(CALLER, SMS_TEXT).await.unwrap());
    }
    let sms = fake.sms();
    let seen: Vec<(FakeCarrier, &str)> = sms.iter().map(|s| (s.carrier, s.sid.as_str())).collect();
    assert_eq!(
        seen,
        [
            (FakeCarrier::Twilio, ids[0].as_str()),
            (FakeCarrier::Plivo, ids[1].as_str()),
            (FakeCarrier::Exotel, ids[2].as_str()),
        ]
    );
    let kinds: Vec<Carrier> = carriers.iter().map(|c| c.carrier()).collect();
    assert_eq!(kinds, [Carrier::Twilio, Carrier::Plivo, Carrier::Exotel]);
}
