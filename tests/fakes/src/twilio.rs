//! A fake Twilio caller on a bidirectional Media Stream (`<Connect><Stream>`).
//!
//! [`FakeTwilioCall::connect`] dials the server's media WebSocket the way
//! Twilio does and then behaves like Twilio's side of the stream, as the
//! Media Streams "WebSocket messages" documentation describes it:
//!
//! * sends `connected` (`protocol: "Call"`, `version: "1.0.0"`), then `start`
//!   (`streamSid`, `accountSid`, `callSid`, `tracks: ["inbound"]`,
//!   `customParameters`, `mediaFormat {encoding: "audio/x-mulaw",
//!   sampleRate: 8000, channels: 1}`), then one `media` frame every 20 ms
//!   (160 bytes of μ-law, base64) — caller speech queued with `say`, μ-law
//!   silence (`0xFF`) otherwise — with `sequenceNumber`, `media.chunk` and
//!   `media.timestamp` (ms from the stream start) as *strings*;
//! * `dtmf` (`dtmf.track: "inbound_track"`), and `stop` on hang-up;
//! * plays outbound `media` (base64 μ-law 8 kHz, no file header) at line
//!   rate, echoes each outbound `mark` once the audio before it has played,
//!   and on `clear` drops the queued audio and sends every pending mark back
//!   at once (Twilio documents this; those echoes are logged with
//!   `played: false`).
//!
//! Frames Twilio would reject or ignore (not JSON, unknown `event`, a
//! missing or foreign `streamSid`, bad base64, a file header in the payload,
//! binary frames) are recorded as [`Violation`]s.
//!
//! It does not fake the TwiML webhook or the REST API (see
//! [`carrier_rest`](crate::carrier_rest)), nor unidirectional streams.

use std::collections::BTreeMap;
use std::ops::Deref;

use serde_json::{json, Value};

use crate::line::{
    base64, check_stream_id, file_header, next_id, parse_event, payload_bytes, string_at, Dialect,
    Outbound, Parsed, TICK_SAMPLES,
};
pub use crate::line::{CallError, CallEvent, CallEventKind, FakeCall, MarksOnClear, Violation};

/// Who is calling: the ids Twilio puts in `start`.
///
/// Twilio's `start` carries no phone numbers; `from` and `to` are kept for the
/// test's own bookkeeping and are *not* sent. A server that needs them gets
/// them the way awaaz's TwiML passes them: as `<Parameter>`s, i.e. in
/// `custom_parameters`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwilioCallSetup {
    /// `AC…` account SID.
    pub account_sid: String,
    /// `CA…` call SID.
    pub call_sid: String,
    /// `MZ…` stream SID; outbound frames must carry it.
    pub stream_sid: String,
    /// The caller's number (not sent; see the type docs).
    pub from: String,
    /// The number called (not sent; see the type docs).
    pub to: String,
    /// `start.customParameters`: the TwiML `<Parameter>`s.
    pub custom_parameters: BTreeMap<String, String>,
}

impl Default for TwilioCallSetup {
    /// Twilio-shaped SIDs unique within the process, fictional numbers.
    fn default() -> Self {
        let id = next_id();
        Self {
            account_sid: format!("AC{:032x}", 0xacc0_u64),
            call_sid: format!("CA{id:032x}"),
            stream_sid: format!("MZ{id:032x}"),
            from: "+15005550006".to_owned(),
            to: "+15005550001".to_owned(),
            custom_parameters: BTreeMap::new(),
        }
    }
}

/// A fake Twilio caller; dereferences to [`FakeCall`] for `say`, `press`,
/// `hang_up`, the `wait_*` helpers and the logs.
#[derive(Debug)]
pub struct FakeTwilioCall {
    call: FakeCall,
    setup: TwilioCallSetup,
}

impl FakeTwilioCall {
    /// Dials `url` (e.g. `ws://127.0.0.1:PORT/twilio/media`) and starts the
    /// stream: `connected`, `start`, then a media frame every 20 ms.
    ///
    /// # Errors
    /// [`CallError::Connect`] if the WebSocket cannot be opened.
    pub async fn connect(url: &str, setup: TwilioCallSetup) -> Result<Self, CallError> {
        let dialect = TwilioDialect {
            setup: setup.clone(),
            seq: 0,
        };
        let call = FakeCall::connect(url, Box::new(dialect)).await?;
        Ok(Self { call, setup })
    }

    /// The ids this call uses.
    pub fn setup(&self) -> &TwilioCallSetup {
        &self.setup
    }

    /// The stream SID outbound frames must carry.
    pub fn stream_sid(&self) -> &str {
        &self.setup.stream_sid
    }
}

impl Deref for FakeTwilioCall {
    type Target = FakeCall;

    fn deref(&self) -> &FakeCall {
        &self.call
    }
}

struct TwilioDialect {
    setup: TwilioCallSetup,
    /// The last `sequenceNumber` sent (`start` is 1).
    seq: u64,
}

impl TwilioDialect {
    fn next_seq(&mut self) -> String {
        self.seq += 1;
        self.seq.to_string()
    }

    fn parse_value(&self, value: &Value, event: &str) -> Result<Parsed, Parsed> {
        match event {
            "media" | "mark" | "clear" => {}
            other => return Err(Parsed::violation(format!("unknown event {other:?}"))),
        }
        check_stream_id(value, event, "streamSid", &self.setup.stream_sid, true)?;
        Ok(match event {
            "media" => {
                let bytes = payload_bytes(value, event, "/media/payload")?;
                let samples = awaaz_audio::g711::ulaw_decode(&bytes);
                let parsed = Parsed::ok(Outbound::Media {
                    bytes: bytes.len(),
                    samples,
                });
                match file_header(&bytes) {
                    Some(reason) => parsed.also(reason),
                    None => parsed,
                }
            }
            "mark" => Parsed::ok(Outbound::Mark(string_at(value, event, "/mark/name")?)),
            _ => Parsed::ok(Outbound::Clear),
        })
    }
}

impl Dialect for TwilioDialect {
    fn opening(&mut self) -> Vec<String> {
        let connected = json!({"event": "connected", "protocol": "Call", "version": "1.0.0"});
        let start = json!({
            "event": "start",
            "sequenceNumber": self.next_seq(),
            "start": {
                "accountSid": self.setup.account_sid,
                "streamSid": self.setup.stream_sid,
                "callSid": self.setup.call_sid,
                "tracks": ["inbound"],
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                "customParameters": self.setup.custom_parameters,
            },
            "streamSid": self.setup.stream_sid,
        });
        vec![connected.to_string(), start.to_string()]
    }

    fn frame_samples(&self) -> usize {
        TICK_SAMPLES
    }

    fn media(&mut self, samples: &[i16], chunk: u64, offset_ms: u64) -> String {
        let payload = base64(&awaaz_audio::g711::ulaw_encode(samples));
        json!({
            "event": "media",
            "sequenceNumber": self.next_seq(),
            "media": {
                "track": "inbound",
                "chunk": chunk.to_string(),
                "timestamp": offset_ms.to_string(),
                "payload": payload,
            },
            "streamSid": self.setup.stream_sid,
        })
        .to_string()
    }

    fn dtmf(&mut self, digit: char) -> String {
        json!({
            "event": "dtmf",
            "streamSid": self.setup.stream_sid,
            "sequenceNumber": self.next_seq(),
            "dtmf": {"track": "inbound_track", "digit": digit.to_string()},
        })
        .to_string()
    }

    fn stop(&mut self) -> Option<String> {
        Some(
            json!({
                "event": "stop",
                "sequenceNumber": self.next_seq(),
                "streamSid": self.setup.stream_sid,
                "stop": {"accountSid": self.setup.account_sid, "callSid": self.setup.call_sid},
            })
            .to_string(),
        )
    }

    fn parse(&self, text: &str) -> Parsed {
        let (value, event) = match parse_event(text) {
            Ok(parsed) => parsed,
            Err(violation) => return violation,
        };
        self.parse_value(&value, &event).unwrap_or_else(|v| v)
    }

    fn mark_echo(&mut self, name: &str) -> String {
        json!({
            "event": "mark",
            "sequenceNumber": self.next_seq(),
            "streamSid": self.setup.stream_sid,
            "mark": {"name": name},
        })
        .to_string()
    }

    fn clear_reply(&mut self) -> Option<String> {
        None
    }

    fn marks_on_clear(&self) -> MarksOnClear {
        MarksOnClear::Echo
    }
}
