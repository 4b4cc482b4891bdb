//! Plivo: the answer webhook, the bidirectional Audio Stream socket and the
//! transfer document.
//!
//! ```text
//!  POST /plivo/answer (From, CallUUID) ─▶ <Stream bidirectional keepCallAlive
//!                                          contentType="audio/x-mulaw;rate=8000">wss://…/plivo/media</Stream>
//!  WS   /plivo/media: start ─▶ bridge ─▶ awaaz-call   (playAudio / checkpoint / clearAudio out;
//!                                                      media / playedStream / clearedAudio / dtmf in)
//!  transfer: Plivo REST (legs=aleg, aleg_url=…/plivo/transfer) ─▶ POST /plivo/transfer
//!            ─▶ <Speak/><Dial><Number>{transfer_to}</Number></Dial>
//! ```
//!
//! Plivo's `start` carries no phone numbers, so the answer webhook keeps the
//! caller's number (by `CallUUID`, for two minutes) until the stream starts.
//! The transfer document dials the configured `transfer_to` only (never a
//! number from the request).
//!
//! Signatures: when `plivo_auth_token` is set, `POST /plivo/answer` and
//! `/plivo/transfer` refuse (403, nothing remembered or stored) a request
//! whose `X-Plivo-Signature-V3` does not match the public URL (as for
//! Twilio: `public_url` + path + query, else `X-Forwarded-Proto` and
//! `Host`), the form and the nonce. The stream URL the signed answer hands
//! out then carries a token, `?token={CallUUID}.{HMAC-SHA256 of it keyed by
//! the auth token}`: `WS /plivo/media` refuses (403) an upgrade without a
//! valid one, and a stream whose `start` names another call; so nobody can
//! open a call, or claim a remembered caller's number, by dialling the
//! socket directly.

use std::sync::Arc;

use awaaz_audio::g711;
use awaaz_store::{Channel, PhoneNumber};
use awaaz_telephony::plivo::signature::{Method, SignatureV3Validator};
use awaaz_telephony::plivo::xml::{Dial, Response as PlivoXml, Speak, Stream};
use awaaz_telephony::plivo::{self, ContentType, StreamId};
use axum::body::Bytes;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{OriginalUri, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tracing::Instrument as _;

use super::bridge::{
    self, Dialect, Handoff, LineAudio, LineEvent, StartInfo, MAX_SOCKET_MESSAGE_BYTES,
};
use super::exotel::{pcm16_from_le, pcm16_to_le};
use super::{masked, ws_base, PhoneLines, TRANSFER_LANGUAGE, TRANSFER_SAY};
use crate::http::AppState;

/// The audio format awaaz asks Plivo for.
const CONTENT_TYPE: ContentType = ContentType::MulawRate8000;
/// The stream URL's query parameter with the stream token.
const TOKEN_PARAM: &str = "token";

fn forbidden(what: &'static str) -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        what,
    )
        .into_response()
}

/// A webhook that failed its signature check (answered 403).
struct Refused;

impl Refused {
    fn response() -> Response {
        forbidden("invalid or missing X-Plivo-Signature-V3")
    }
}

/// Checks `X-Plivo-Signature-V3` when a Plivo auth token is configured.
fn check_signature(
    lines: &PhoneLines,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
    method: Method,
    params: &[(String, String)],
) -> Result<(), Refused> {
    let Some(validator) = lines.plivo_validator() else {
        return Ok(());
    };
    let signatures = headers
        .get("x-plivo-signature-v3")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let nonce = headers
        .get("x-plivo-signature-v3-nonce")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(base) = lines.public_base(headers) else {
        tracing::warn!("plivo webhook refused: cannot tell the public url (set AWAAZ_PUBLIC_URL)");
        return Err(Refused);
    };
    let path = uri
        .path_and_query()
        .map_or_else(|| uri.path(), |pq| pq.as_str());
    let url = format!("{base}{path}");
    validator
        .validate(method, &url, params, nonce, signatures)
        .map_err(|e| {
            tracing::warn!(error = %e, "plivo webhook refused");
            Refused
        })
}

fn token_message(call_uuid: &str) -> String {
    format!("awaaz-plivo-stream\n{call_uuid}")
}

/// The stream token for a call: `{CallUUID}.{mac}`.
fn stream_token(validator: &SignatureV3Validator, call_uuid: &str) -> String {
    format!("{call_uuid}.{}", validator.token(&token_message(call_uuid)))
}

/// The call a stream URL's token was handed out for, if the token is ours.
fn token_call(validator: &SignatureV3Validator, query: Option<&str>) -> Option<String> {
    let token = form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == TOKEN_PARAM)
        .map(|(_, v)| v.into_owned())?;
    let (call_uuid, mac) = token.rsplit_once('.')?;
    validator
        .is_token(&token_message(call_uuid), mac)
        .then(|| call_uuid.to_owned())
}

fn xml(body: String) -> Response {
    (
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
}

/// `POST /plivo/answer`: answers a call with a bidirectional stream.
pub(super) async fn answer(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lines = state.phone();
    let params: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    if check_signature(lines, &headers, &uri, Method::Post, &params).is_err() {
        return Refused::response();
    }
    let call_uuid = param(&params, "CallUUID");
    let from = param(&params, "From");
    tracing::info!(caller = %from.map(masked).unwrap_or_default(), call_uuid, "plivo call answered");
    if lines.calls().is_none() {
        tracing::warn!("plivo call refused: speech engines not loaded");
        let document = PlivoXml::new()
            .speak(
                Speak::new("Sorry, this line is not available right now. Please call again later.")
                    .language(TRANSFER_LANGUAGE),
            )
            .hangup()
            .render();
        return xml(document);
    }
    let Some(base) = lines.public_base(&headers) else {
        return (
            StatusCode::BAD_REQUEST,
            "cannot tell this server's public url: set AWAAZ_PUBLIC_URL",
        )
            .into_response();
    };
    let mut url = format!("{}/plivo/media", ws_base(&base));
    if let Some(validator) = lines.plivo_validator() {
        let Some(call_uuid) = call_uuid else {
            return (StatusCode::BAD_REQUEST, "CallUUID is required").into_response();
        };
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair(TOKEN_PARAM, &stream_token(validator, call_uuid))
            .finish();
        url = format!("{url}?{query}");
    }
    if let (Some(call_uuid), Some(from)) = (call_uuid, from) {
        lines.remember_plivo_caller(call_uuid, PhoneNumber::new(from));
    }
    if let Some(call_uuid) = call_uuid {
        // As for Twilio: the model's handshakes overlap the stream's.
        lines.prepare_session(call_uuid, Channel::Plivo, from.is_some());
    }
    let stream = Stream::new(url)
        .bidirectional(true)
        .keep_call_alive(true)
        .content_type(CONTENT_TYPE);
    xml(PlivoXml::new().stream(stream).render())
}

/// `POST /plivo/transfer` (the `aleg_url` of a transfer): say a word, then
/// dial the configured `transfer_to`.
pub(super) async fn transfer(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    method: axum::http::Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lines = state.phone();
    let (method, params) = if method == axum::http::Method::GET {
        (Method::Get, Vec::new())
    } else {
        let params: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
        (Method::Post, params)
    };
    if check_signature(lines, &headers, &uri, method, &params).is_err() {
        return Refused::response();
    }
    let document = match lines.settings().transfer_to.as_deref() {
        Some(target) => {
            let dial = if target.starts_with("sip:") {
                Dial::sip(target)
            } else {
                Dial::number(target)
            };
            PlivoXml::new()
                .speak(Speak::new(TRANSFER_SAY).language(TRANSFER_LANGUAGE))
                .dial(dial)
                .render()
        }
        None => {
            tracing::warn!("plivo transfer fetched, but AWAAZ_TRANSFER_TO is not set: hanging up");
            PlivoXml::new().hangup().render()
        }
    };
    xml(document)
}

/// `WS /plivo/media`: a bidirectional Audio Stream.
pub(super) async fn media(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let lines = Arc::clone(state.phone());
    let expected_call = match lines.plivo_validator() {
        Some(validator) => match token_call(validator, query.as_deref()) {
            Some(call_uuid) => Some(call_uuid),
            None => {
                tracing::warn!(
                    carrier = "plivo",
                    "stream refused: missing or invalid token"
                );
                return forbidden("invalid or missing stream token");
            }
        },
        None => None,
    };
    let transfer_url = lines
        .public_base(&headers)
        .map(|base| format!("{base}/plivo/transfer"));
    upgrade
        .max_message_size(MAX_SOCKET_MESSAGE_BYTES)
        .max_frame_size(MAX_SOCKET_MESSAGE_BYTES)
        .on_upgrade(move |socket| async move {
            let span = tracing::info_span!(
                "phone",
                carrier = "plivo",
                call_id = tracing::field::Empty,
                carrier_call_id = tracing::field::Empty
            );
            let dialect = PlivoDialect {
                lines,
                expected_call,
                transfer_url,
                stream_id: None,
                content_type: None,
            };
            bridge::run(socket, state, dialect).instrument(span).await;
        })
}

/// Plivo Audio Stream frames for the bridge.
pub(crate) struct PlivoDialect {
    lines: Arc<PhoneLines>,
    /// The call the stream's token was handed out for.
    expected_call: Option<String>,
    transfer_url: Option<String>,
    stream_id: Option<StreamId>,
    content_type: Option<ContentType>,
}

impl PlivoDialect {
    fn id(&self) -> StreamId {
        self.stream_id.clone().unwrap_or_else(|| StreamId::from(""))
    }
}

impl Dialect for PlivoDialect {
    const CHANNEL: Channel = Channel::Plivo;
    const NAME: &'static str = "plivo";

    fn decode(&mut self, text: &str) -> Result<LineEvent, awaaz_telephony::Error> {
        Ok(match plivo::decode(text)? {
            plivo::Inbound::Start(start) => {
                self.stream_id = Some(start.stream_id.clone());
                self.content_type = start.media_format.content_type();
                let caller = start
                    .from
                    .as_ref()
                    .map(|n| n.as_str())
                    .filter(|n| !n.trim().is_empty())
                    .map(PhoneNumber::new)
                    .or_else(|| {
                        // Only the call this stream's token is for.
                        let call = start.call_id.as_str();
                        self.expected_call
                            .as_deref()
                            .is_none_or(|expected| expected == call)
                            .then(|| self.lines.take_plivo_caller(call))
                            .flatten()
                    });
                LineEvent::Start(StartInfo {
                    stream_id: start.stream_id.as_str().to_owned(),
                    carrier_call_id: start.call_id.as_str().to_owned(),
                    caller,
                    sample_rate_hz: start.media_format.sample_rate_hz,
                })
            }
            plivo::Inbound::Media(media) => match self.content_type {
                Some(ContentType::MulawRate8000) => {
                    LineEvent::Audio(LineAudio::Mulaw(media.payload))
                }
                _ => LineEvent::Audio(LineAudio::Pcm(pcm16_from_le(&media.payload))),
            },
            plivo::Inbound::Dtmf(dtmf) => LineEvent::Dtmf(dtmf.digit),
            plivo::Inbound::PlayedStream(played) => LineEvent::Mark(played.name),
            plivo::Inbound::ClearedAudio(_) => LineEvent::Cleared,
            plivo::Inbound::Stop(_) => LineEvent::Stop,
            plivo::Inbound::Unknown { event } => LineEvent::Other(event),
            _ => LineEvent::Other("unknown".to_owned()),
        })
    }

    fn accept(&self, start: &StartInfo, _lines: &PhoneLines) -> Result<(), &'static str> {
        if self
            .expected_call
            .as_deref()
            .is_some_and(|call| call != start.carrier_call_id)
        {
            return Err("the stream token is for another call");
        }
        match self.content_type {
            Some(_) => Ok(()),
            None => Err("unsupported media format"),
        }
    }

    fn encode_audio(&self, frame: &[i16]) -> Option<String> {
        let content_type = self.content_type?;
        let payload = match content_type {
            ContentType::MulawRate8000 => g711::ulaw_encode(frame),
            _ => pcm16_to_le(frame),
        };
        Some(plivo::encode_play_audio(content_type, &payload))
    }

    fn encode_mulaw(&self, frame: &[u8]) -> Option<String> {
        match self.content_type? {
            content_type @ ContentType::MulawRate8000 => {
                Some(plivo::encode_play_audio(content_type, frame))
            }
            _ => self.encode_audio(&g711::ulaw_decode(frame)),
        }
    }

    fn encode_mark(&self, name: &str) -> String {
        plivo::encode_checkpoint(&self.id(), name)
    }

    fn encode_clear(&self) -> String {
        plivo::encode_clear_audio(&self.id())
    }

    fn handoff(&self, start: &StartInfo) -> Handoff {
        Handoff::Plivo {
            call_uuid: start.carrier_call_id.clone(),
            transfer_url: self.transfer_url.clone(),
        }
    }
}
