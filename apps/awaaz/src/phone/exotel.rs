//! Exotel: the Voicebot applet's bidirectional stream, `WS /exotel/media`.
//!
//! ```text
//!  Exotel flow: … ─▶ Voicebot applet (wss://…/exotel/media) ─▶ next applet (Connect: a person)
//!  WS /exotel/media: start (from, call_sid) ─▶ bridge ─▶ awaaz-call
//!                    PCM16 8 kHz base64 both ways; outbound chunks 20 ms (320 bytes at 8 kHz)
//! ```
//!
//! Hand-off: Exotel has no REST request that moves a caller out of a
//! Voicebot applet (see `awaaz_telephony::rest::ExotelRest`); when the bot
//! closes the stream, the call flow continues with the applet after the
//! Voicebot. So both a transfer and a hang-up close the stream, and the
//! flow decides what follows: build it with a Connect applet (to the support
//! desk) after the Voicebot applet for transfers to work.
//!
//! Authentication: Exotel signs nothing; it offers IP allow-listing
//! (arranged with Exotel) or basic-auth credentials in the applet's stream
//! URL (`wss://user:password@host/exotel/media`), which it sends on the
//! upgrade as `Authorization: Basic`. With `exotel_stream_user` and
//! `exotel_stream_password` set, upgrades without those credentials are
//! refused with 401 before any call starts.

use awaaz_store::{Channel, PhoneNumber};
use awaaz_telephony::exotel::{self, StreamSid};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tracing::Instrument as _;

use super::bridge::{
    self, Dialect, Handoff, LineAudio, LineEvent, StartInfo, MAX_SOCKET_MESSAGE_BYTES,
};
use crate::http::AppState;

/// `WS /exotel/media`: a Voicebot stream.
pub(super) async fn media(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if let Some(auth) = state.phone().exotel_auth() {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if let Err(e) = auth.check(given) {
            tracing::warn!(carrier = "exotel", error = %e, "stream refused");
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Basic realm=\"awaaz\"")],
                "the stream URL needs the configured credentials",
            )
                .into_response();
        }
    }
    upgrade
        .max_message_size(MAX_SOCKET_MESSAGE_BYTES)
        .max_frame_size(MAX_SOCKET_MESSAGE_BYTES)
        .on_upgrade(move |socket| async move {
            let span = tracing::info_span!(
                "phone",
                carrier = "exotel",
                call_id = tracing::field::Empty,
                carrier_call_id = tracing::field::Empty
            );
            bridge::run(socket, state, ExotelDialect::default())
                .instrument(span)
                .await;
        })
}

/// PCM16 little-endian bytes to samples (an odd last byte is dropped).
pub(crate) fn pcm16_from_le(bytes: &[u8]) -> Vec<i16> {
    bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// Samples to PCM16 little-endian bytes.
pub(crate) fn pcm16_to_le(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// Exotel Voicebot frames for the bridge.
#[derive(Debug, Default)]
pub(crate) struct ExotelDialect {
    stream_sid: Option<StreamSid>,
}

impl ExotelDialect {
    fn sid(&self) -> StreamSid {
        self.stream_sid
            .clone()
            .unwrap_or_else(|| StreamSid::from(""))
    }
}

impl Dialect for ExotelDialect {
    const CHANNEL: Channel = Channel::Exotel;
    const NAME: &'static str = "exotel";

    fn decode(&mut self, text: &str) -> Result<LineEvent, awaaz_telephony::Error> {
        Ok(match exotel::decode(text)? {
            exotel::Inbound::Connected(_) => LineEvent::Connected,
            exotel::Inbound::Start(start) => {
                self.stream_sid = Some(start.stream_sid.clone());
                LineEvent::Start(StartInfo {
                    stream_id: start.stream_sid.as_str().to_owned(),
                    carrier_call_id: start.call_sid.as_str().to_owned(),
                    caller: start
                        .from
                        .as_ref()
                        .map(|n| n.as_str())
                        .filter(|n| !n.trim().is_empty())
                        .map(PhoneNumber::new),
                    sample_rate_hz: start.media_format.sample_rate_hz,
                })
            }
            exotel::Inbound::Media(media) => {
                LineEvent::Audio(LineAudio::Pcm(pcm16_from_le(&media.payload)))
            }
            exotel::Inbound::Dtmf(dtmf) => LineEvent::Dtmf(dtmf.digit),
            exotel::Inbound::Mark(mark) => LineEvent::Mark(mark.name),
            exotel::Inbound::Clear(_) => LineEvent::Cleared,
            exotel::Inbound::Stop(_) => LineEvent::Stop,
            exotel::Inbound::Unknown { event } => LineEvent::Other(event),
            _ => LineEvent::Other("unknown".to_owned()),
        })
    }

    fn encode_audio(&self, frame: &[i16]) -> Option<String> {
        // 20 ms at 8, 16 or 24 kHz is 320, 640 or 960 bytes: always a
        // multiple of the 320 bytes Exotel asks for.
        match exotel::encode_media(&self.sid(), &pcm16_to_le(frame)) {
            Ok(text) => Some(text),
            Err(e) => {
                tracing::warn!(error = %e, "exotel audio frame not sent");
                None
            }
        }
    }

    fn encode_mark(&self, name: &str) -> String {
        exotel::encode_mark(&self.sid(), name)
    }

    fn encode_clear(&self) -> String {
        exotel::encode_clear(&self.sid())
    }

    fn handoff(&self, _start: &StartInfo) -> Handoff {
        Handoff::CloseStream
    }
}
