//! Twilio: the voice webhook (TwiML), status callbacks, the Media Streams
//! socket and outbound calls.
//!
//! ```text
//!  POST /twilio/voice  (X-Twilio-Signature) ─▶ <Connect><Stream url="wss://…/twilio/media">
//!                                               <Parameter From, CallSid, token/>
//!  WS   /twilio/media  start (token checked) ─▶ bridge ─▶ awaaz-call
//!  POST /twilio/status (X-Twilio-Signature) ─▶ call record status (by CallSid)
//!  POST /api/v1/calls/outbound {"to"}       ─▶ Twilio REST create call (TwiML → the same stream)
//! ```
//!
//! Signatures: when `twilio_auth_token` is set, both webhooks refuse (403,
//! nothing stored) a request whose `X-Twilio-Signature` does not match the
//! public URL (`public_url` + path + query, else the scheme of
//! `X-Forwarded-Proto` and the `Host`) and the form parameters. The media
//! socket itself is then only accepted with the `token` parameter our
//! signed TwiML handed out: an HMAC (keyed with the auth token) of the
//! call's `CallSid` (or, for outbound calls, a nonce) and the caller's
//! number, so nobody can open a call (or pose as a caller) by dialling the
//! socket directly.

use std::sync::Arc;

use awaaz_audio::g711;
use awaaz_store::{Channel, PhoneNumber};
use awaaz_telephony::rest::{CallInstructions, RestError};
use awaaz_telephony::signature::RequestValidator;
use awaaz_telephony::twilio::{self, CustomParameters, StreamSid, Track};
use awaaz_telephony::twiml::{Say, Stream, VoiceResponse};
use axum::body::Bytes;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use tracing::Instrument as _;

use super::bridge::{
    self, Dialect, Handoff, LineAudio, LineEvent, StartInfo, MAX_SOCKET_MESSAGE_BYTES,
};
use super::{masked, ws_base, PhoneLines};
use crate::http::AppState;

/// The `<Parameter>` carrying the stream token.
const TOKEN_PARAM: &str = "token";
/// The `<Parameter>` carrying an outbound call's nonce.
const NONCE_PARAM: &str = "nonce";
/// Call statuses after which Twilio sends no more callbacks.
const FINAL_STATUSES: &[&str] = &["completed", "busy", "failed", "no-answer", "canceled"];

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
}

fn xml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "invalid or missing X-Twilio-Signature",
    )
        .into_response()
}

fn json_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

/// A webhook that failed its signature check (answered 403).
struct Refused;

/// Checks `X-Twilio-Signature` when an auth token is configured.
fn check_signature(
    lines: &PhoneLines,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
    params: &[(String, String)],
) -> Result<(), Refused> {
    let Some(validator) = lines.validator() else {
        return Ok(());
    };
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(base) = lines.public_base(headers) else {
        tracing::warn!("twilio webhook refused: cannot tell the public url (set AWAAZ_PUBLIC_URL)");
        return Err(Refused);
    };
    let path = uri
        .path_and_query()
        .map_or_else(|| uri.path(), |pq| pq.as_str());
    let url = format!("{base}{path}");
    validator.validate(&url, params, signature).map_err(|e| {
        tracing::warn!(error = %e, "twilio webhook refused");
        Refused
    })
}

/// The `token` parameter for a stream: HMAC-SHA1 (the auth token as key,
/// base64) over the call's key (`CallSid` or nonce) and the caller's number.
fn stream_token(validator: &RequestValidator, key: &str, caller: &str) -> String {
    validator.compute::<&str, &str>(&token_message(key, caller), &[])
}

fn token_message(key: &str, caller: &str) -> String {
    format!("awaaz-stream\n{key}\n{caller}")
}

/// `POST /twilio/voice`: answers an incoming (or outbound) call with a
/// bidirectional Media Stream to `WS /twilio/media`.
pub(super) async fn voice(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lines = state.phone();
    let params: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    if check_signature(lines, &headers, &uri, &params).is_err() {
        return forbidden();
    }
    let from = param(&params, "From").unwrap_or_default();
    let call_sid = param(&params, "CallSid").unwrap_or_default();
    tracing::info!(caller = %masked(from), call_sid, "twilio call answered");
    if lines.calls().is_none() {
        tracing::warn!("twilio call refused: speech engines not loaded");
        let twiml = VoiceResponse::new()
            .say(
                Say::new("Sorry, this line is not available right now. Please call again later.")
                    .language(super::TRANSFER_LANGUAGE),
            )
            .hangup()
            .render();
        return xml(twiml);
    }
    let Some(base) = lines.public_base(&headers) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "cannot tell this server's public url: set AWAAZ_PUBLIC_URL",
        );
    };
    let mut stream = Stream::new(format!("{}/twilio/media", ws_base(&base)))
        .parameter("From", from)
        .parameter("CallSid", call_sid);
    if let Some(validator) = lines.validator() {
        stream = stream.parameter(TOKEN_PARAM, stream_token(validator, call_sid, from));
    }
    // The realtime model's handshakes run while Twilio fetches the TwiML
    // and opens the stream, so the greeting is not delayed by them.
    lines.prepare_session(call_sid, Channel::Twilio, !from.is_empty());
    xml(VoiceResponse::new().connect_stream(stream).render())
}

/// `POST /twilio/status`: a call status callback, stored on the call record
/// found by `CallSid`.
pub(super) async fn status(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lines = state.phone();
    let params: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    if check_signature(lines, &headers, &uri, &params).is_err() {
        return forbidden();
    }
    let (Some(call_sid), Some(call_status)) =
        (param(&params, "CallSid"), param(&params, "CallStatus"))
    else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "CallSid and CallStatus are required",
        );
    };
    let call_status: String = call_status
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(32)
        .collect();
    let store = state.store();
    let call = match store.call_by_carrier_id(call_sid).await {
        Ok(call) => call,
        Err(e) => {
            tracing::error!(error = %e, "twilio status: store unreachable");
            return json_error(StatusCode::SERVICE_UNAVAILABLE, "store unavailable");
        }
    };
    let Some(call) = call else {
        // Before the stream started (ringing, busy, no-answer of an outbound
        // call) there is no call record yet.
        tracing::info!(call_sid, call_status = %call_status, "twilio status for a call without a record");
        return StatusCode::NO_CONTENT.into_response();
    };
    let result = if call.ended_at.is_some() {
        // awaaz's own final status (transferred, failed, …) says more than
        // the carrier's "completed".
        Ok(())
    } else if FINAL_STATUSES.contains(&call_status.as_str()) {
        store
            .end_call(&call.id, &call_status, chrono::Utc::now())
            .await
    } else {
        store.set_call_status(&call.id, &call_status).await
    };
    match result {
        Ok(()) => {
            tracing::info!(call_id = %call.id, call_status = %call_status, "twilio call status");
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "twilio status: cannot store");
            json_error(StatusCode::SERVICE_UNAVAILABLE, "store unavailable")
        }
    }
}

/// `WS /twilio/media`: a Media Stream.
pub(super) async fn media(State(state): State<AppState>, upgrade: WebSocketUpgrade) -> Response {
    upgrade
        .max_message_size(MAX_SOCKET_MESSAGE_BYTES)
        .max_frame_size(MAX_SOCKET_MESSAGE_BYTES)
        .on_upgrade(move |socket| async move {
            let span = tracing::info_span!(
                "phone",
                carrier = "twilio",
                call_id = tracing::field::Empty,
                carrier_call_id = tracing::field::Empty
            );
            bridge::run(socket, state, TwilioDialect::default())
                .instrument(span)
                .await;
        })
}

/// Twilio Media Streams frames for the bridge.
#[derive(Debug, Default)]
pub(crate) struct TwilioDialect {
    stream_sid: Option<StreamSid>,
    params: CustomParameters,
    encoding: String,
}

impl TwilioDialect {
    fn sid(&self) -> StreamSid {
        self.stream_sid
            .clone()
            .unwrap_or_else(|| StreamSid::from(""))
    }
}

impl Dialect for TwilioDialect {
    const CHANNEL: Channel = Channel::Twilio;
    const NAME: &'static str = "twilio";

    fn decode(&mut self, text: &str) -> Result<LineEvent, awaaz_telephony::Error> {
        Ok(match twilio::decode(text)? {
            twilio::Inbound::Connected(_) => LineEvent::Connected,
            twilio::Inbound::Start(start) => {
                self.stream_sid = Some(start.stream_sid.clone());
                self.encoding = start.media_format.encoding.clone();
                self.params = start.custom_parameters;
                let caller = self
                    .params
                    .get("From")
                    .filter(|f| !f.trim().is_empty())
                    .map(PhoneNumber::new);
                LineEvent::Start(StartInfo {
                    stream_id: start.stream_sid.as_str().to_owned(),
                    carrier_call_id: start.call_sid.as_str().to_owned(),
                    caller,
                    sample_rate_hz: start.media_format.sample_rate_hz,
                })
            }
            twilio::Inbound::Media(media) => match media.track {
                Track::Outbound => LineEvent::Other("media (outbound track)".to_owned()),
                _ => LineEvent::Audio(LineAudio::Mulaw(media.payload)),
            },
            twilio::Inbound::Dtmf(dtmf) => LineEvent::Dtmf(dtmf.digit),
            twilio::Inbound::Mark(mark) => LineEvent::Mark(mark.name),
            twilio::Inbound::Stop(_) => LineEvent::Stop,
            twilio::Inbound::Unknown { event } => LineEvent::Other(event),
            _ => LineEvent::Other("unknown".to_owned()),
        })
    }

    fn accept(&self, start: &StartInfo, lines: &PhoneLines) -> Result<(), &'static str> {
        if self.encoding != "audio/x-mulaw" || start.sample_rate_hz != 8_000 {
            return Err("media format is not audio/x-mulaw at 8000 Hz");
        }
        let Some(validator) = lines.validator() else {
            return Ok(());
        };
        let caller = self.params.get("From").unwrap_or_default();
        let key = match self.params.get("CallSid").filter(|s| !s.is_empty()) {
            Some(call_sid) if call_sid != start.carrier_call_id => {
                return Err("the stream's CallSid parameter names another call");
            }
            Some(call_sid) => call_sid,
            None => self
                .params
                .get(NONCE_PARAM)
                .filter(|s| !s.is_empty())
                .ok_or("no stream token")?,
        };
        let token = self.params.get(TOKEN_PARAM).ok_or("no stream token")?;
        validator
            .validate::<&str, &str>(&token_message(key, caller), &[], token)
            .map_err(|_| "invalid stream token")
    }

    fn encode_audio(&self, frame: &[i16]) -> Option<String> {
        Some(twilio::encode_media(&self.sid(), &g711::ulaw_encode(frame)))
    }

    fn encode_mulaw(&self, frame: &[u8]) -> Option<String> {
        Some(twilio::encode_media(&self.sid(), frame))
    }

    fn encode_mark(&self, name: &str) -> String {
        twilio::encode_mark(&self.sid(), name)
    }

    fn encode_clear(&self) -> String {
        twilio::encode_clear(&self.sid())
    }

    fn handoff(&self, start: &StartInfo) -> Handoff {
        Handoff::Twilio {
            call_sid: start.carrier_call_id.clone(),
        }
    }
}

// ---- outbound calls ----

/// A call placed by awaaz.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundCall {
    /// The carrier that placed it (`twilio`).
    pub carrier: &'static str,
    /// The carrier's id for it (Twilio `CallSid`).
    pub carrier_call_id: String,
}

/// Why an outbound call could not be placed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutboundError {
    /// A setting it needs is missing.
    #[error("outbound calls need {missing}")]
    NotConfigured {
        /// What to set.
        missing: &'static str,
    },
    /// The number is not a phone number.
    #[error("`to` is not a phone number in E.164 form (e.g. +919812345678)")]
    InvalidNumber,
    /// Twilio refused or could not be reached.
    #[error(transparent)]
    Carrier(#[from] RestError),
}

/// Places a call to `to` through Twilio; when answered, it streams to
/// `{public_base}/twilio/media` and talks to the agent like an incoming call
/// (the person called is the call's `caller`).
pub async fn place_outbound_call(
    lines: &PhoneLines,
    public_base: &str,
    to: &str,
) -> Result<OutboundCall, OutboundError> {
    let number = valid_number(to).ok_or(OutboundError::InvalidNumber)?;
    let rest = lines.twilio_rest().ok_or(OutboundError::NotConfigured {
        missing: "AWAAZ_TWILIO_ACCOUNT_SID and AWAAZ_TWILIO_AUTH_TOKEN",
    })?;
    let from = lines
        .settings()
        .twilio
        .from
        .as_deref()
        .ok_or(OutboundError::NotConfigured {
            missing: "AWAAZ_TWILIO_FROM (the Twilio number to call from)",
        })?;
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let mut stream = Stream::new(format!("{}/twilio/media", ws_base(public_base)))
        .parameter("From", number.as_str())
        .parameter("Direction", "outbound-api")
        .parameter(NONCE_PARAM, nonce.as_str());
    if let Some(validator) = lines.validator() {
        stream = stream.parameter(
            TOKEN_PARAM,
            stream_token(validator, &nonce, number.as_str()),
        );
    }
    let twiml = VoiceResponse::new().connect_stream(stream).render();
    let status_callback = format!("{public_base}/twilio/status");
    let sid = rest
        .create_call(
            number.as_str(),
            from,
            &CallInstructions::Twiml(twiml),
            Some(&status_callback),
        )
        .await?;
    tracing::info!(to = %number.masked(), call_sid = %sid, "outbound twilio call placed");
    Ok(OutboundCall {
        carrier: "twilio",
        carrier_call_id: sid.as_str().to_owned(),
    })
}

/// E.164-ish: 8 to 15 digits, no letters.
fn valid_number(raw: &str) -> Option<PhoneNumber> {
    if raw.chars().any(char::is_alphabetic) {
        return None;
    }
    let number = PhoneNumber::new(raw);
    let digits = number.as_str().chars().filter(char::is_ascii_digit).count();
    (number.as_str().starts_with('+') && (8..=15).contains(&digits)).then_some(number)
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct OutboundRequest {
    to: String,
}

/// `POST /api/v1/calls/outbound {"to"}` → 201 `{"carrier", "carrier_call_id"}`.
pub(super) async fn outbound(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request: OutboundRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) if e.is_data() => {
            return json_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("invalid request body: {e}"),
            )
        }
        Err(e) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                format!("invalid request body: {e}"),
            )
        }
    };
    let lines = Arc::clone(state.phone());
    let Some(base) = lines.public_base(&headers) else {
        return json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "outbound calls need AWAAZ_PUBLIC_URL",
        );
    };
    match place_outbound_call(&lines, &base, &request.to).await {
        Ok(call) => (
            StatusCode::CREATED,
            Json(serde_json::json!({
                "carrier": call.carrier,
                "carrier_call_id": call.carrier_call_id,
            })),
        )
            .into_response(),
        Err(e @ OutboundError::NotConfigured { .. }) => {
            json_error(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
        }
        Err(e @ OutboundError::InvalidNumber) => {
            json_error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
        }
        Err(e) => {
            tracing::warn!(error = %e, "outbound call failed");
            json_error(StatusCode::BAD_GATEWAY, e.to_string())
        }
    }
}

/// `awaaz call +91…`: places an outbound call through Twilio for the server
/// running at `public_url` (which must be set) to answer.
pub async fn call_from_cli(config: &crate::Config, to: &str) -> anyhow::Result<OutboundCall> {
    let Some(base) = config.phone.public_url.as_deref() else {
        anyhow::bail!(
            "outbound calls need AWAAZ_PUBLIC_URL (where Twilio reaches the running `awaaz serve`)"
        );
    };
    let lines = PhoneLines::new(&config.phone);
    Ok(place_outbound_call(&lines, base, to).await?)
}
