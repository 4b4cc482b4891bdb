//! A fake Exotel caller on a Voicebot applet (bidirectional AgentStream).
//!
//! [`FakeExotelCall::connect`] dials the server's WebSocket the way Exotel
//! does and behaves like Exotel's side, as Exotel's "Working with the Stream
//! and Voicebot applet" and AgentStream "WebSocket protocol" pages describe it:
//!
//! * field names are snake_case and numbers are strings: `connected`, then
//!   `start` (`sequence_number`, `stream_sid`, `start {stream_sid, call_sid,
//!   account_sid, from, to, custom_parameters, media_format {encoding,
//!   sample_rate: "8000", bit_rate}}`), then `media {chunk, timestamp,
//!   payload}` frames in real time;
//! * audio is raw PCM16 little-endian, 8 kHz mono, base64 — not μ-law.
//!   Exotel sends caller audio in chunks of about 100 ms (the documented
//!   example has `chunk: "2"` at `timestamp: "200"`), so that is the default
//!   here ([`ExotelCallSetup::frame_ms`]);
//! * `dtmf {digit, duration}`, and `stop {call_sid, account_sid, reason:
//!   "callended"}` on hang-up;
//! * outbound `media` payloads must be multiples of 320 bytes (20 ms) and at
//!   most 100 KB: other sizes are recorded as [`Violation`]s (and, as Exotel
//!   does, a short last packet is followed by a gap up to the next 20 ms);
//!   `mark {name}` is echoed after the audio before it played; `clear` drops
//!   the queued audio. What Exotel does with marks pending at a clear is not
//!   documented; by default they are sent back at once as Twilio does
//!   ([`ExotelCallSetup::marks_on_clear`]).
//!
//! Outbound frames must carry this stream's `stream_sid` (a camelCase
//! `streamSid` is a violation). Basic-auth headers and 16/24 kHz streams are
//! not faked.

use std::collections::BTreeMap;
use std::ops::Deref;

use serde_json::{json, Value};

use crate::line::{
    base64, check_stream_id, file_header, next_id, parse_event, payload_bytes, string_at, Dialect,
    Outbound, Parsed, TICK_SAMPLES,
};
pub use crate::line::{CallError, CallEvent, CallEventKind, FakeCall, MarksOnClear, Violation};

/// Bytes of 20 ms of PCM16 at 8 kHz: outbound payloads are multiples of it.
pub const EXOTEL_CHUNK_BYTES: usize = 320;
/// The largest outbound payload Exotel accepts.
pub const EXOTEL_MAX_PAYLOAD_BYTES: usize = 100_000;

/// Who is calling, and how Exotel's side is configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExotelCallSetup {
    /// Account SID.
    pub account_sid: String,
    /// Call SID.
    pub call_sid: String,
    /// Stream SID; outbound frames must carry it as `stream_sid`.
    pub stream_sid: String,
    /// The caller's number (`start.from`).
    pub from: String,
    /// The number called (`start.to`).
    pub to: String,
    /// `start.custom_parameters` (the applet URL's query parameters).
    pub custom_parameters: BTreeMap<String, String>,
    /// `start.media_format.encoding`. Exotel's older applet guide shows
    /// `"base64"`, the newer AgentStream page `"audio/x-raw"`; the audio is
    /// PCM16 either way.
    pub media_encoding: String,
    /// `start.media_format.bit_rate`.
    pub bit_rate: String,
    /// Caller audio per inbound `media` frame, in ms (rounded up to a
    /// multiple of 20; default 100, as Exotel streams).
    pub frame_ms: u32,
    /// What a `clear` does with marks whose audio has not played.
    pub marks_on_clear: MarksOnClear,
}

impl Default for ExotelCallSetup {
    /// Ids unique within the process, fictional Indian numbers.
    fn default() -> Self {
        let id = next_id();
        Self {
            account_sid: "exotel-test-account".to_owned(),
            call_sid: format!("{id:032x}"),
            stream_sid: format!("stream-{id:026x}"),
            from: "+910000000001".to_owned(),
            to: "+910000000002".to_owned(),
            custom_parameters: BTreeMap::new(),
            media_encoding: "base64".to_owned(),
            bit_rate: "16".to_owned(),
            frame_ms: 100,
            marks_on_clear: MarksOnClear::Echo,
        }
    }
}

/// A fake Exotel Voicebot caller; dereferences to [`FakeCall`] for `say`,
/// `press`, `hang_up`, the `wait_*` helpers and the logs.
#[derive(Debug)]
pub struct FakeExotelCall {
    call: FakeCall,
    setup: ExotelCallSetup,
}

impl FakeExotelCall {
    /// Dials `url` (e.g. `ws://127.0.0.1:PORT/exotel/media`) and starts the
    /// stream: `connected`, `start`, then a media frame every
    /// [`frame_ms`](ExotelCallSetup::frame_ms).
    ///
    /// # Errors
    /// [`CallError::Connect`] if the WebSocket cannot be opened.
    pub async fn connect(url: &str, setup: ExotelCallSetup) -> Result<Self, CallError> {
        let ticks = setup.frame_ms.div_ceil(20).max(1) as usize;
        let dialect = ExotelDialect {
            setup: setup.clone(),
            frame_samples: ticks * TICK_SAMPLES,
            seq: 0,
        };
        let call = FakeCall::connect(url, Box::new(dialect)).await?;
        Ok(Self { call, setup })
    }

    /// The ids and settings this call uses.
    pub fn setup(&self) -> &ExotelCallSetup {
        &self.setup
    }

    /// The stream SID outbound frames must carry.
    pub fn stream_sid(&self) -> &str {
        &self.setup.stream_sid
    }
}

impl Deref for FakeExotelCall {
    type Target = FakeCall;

    fn deref(&self) -> &FakeCall {
        &self.call
    }
}

struct ExotelDialect {
    setup: ExotelCallSetup,
    frame_samples: usize,
    /// The last `sequence_number` sent (`start` is 1).
    seq: u64,
}

impl ExotelDialect {
    fn next_seq(&mut self) -> String {
        self.seq += 1;
        self.seq.to_string()
    }

    fn parse_value(&self, value: &Value, event: &str) -> Result<Parsed, Parsed> {
        match event {
            "media" | "mark" | "clear" => {}
            other => return Err(Parsed::violation(format!("unknown event {other:?}"))),
        }
        check_stream_id(value, event, "stream_sid", &self.setup.stream_sid, true)?;
        Ok(match event {
            "media" => media(&payload_bytes(value, event, "/media/payload")?),
            "mark" => Parsed::ok(Outbound::Mark(string_at(value, event, "/mark/name")?)),
            _ => Parsed::ok(Outbound::Clear),
        })
    }
}

/// Decodes an outbound PCM16 payload and checks Exotel's size rules.
fn media(bytes: &[u8]) -> Parsed {
    let mut violations = Vec::new();
    if !bytes.len().is_multiple_of(EXOTEL_CHUNK_BYTES) {
        violations.push(format!(
            "media payload of {} bytes is not a multiple of {EXOTEL_CHUNK_BYTES} bytes",
            bytes.len()
        ));
    }
    if bytes.len() > EXOTEL_MAX_PAYLOAD_BYTES {
        violations.push(format!(
            "media payload of {} bytes is over {EXOTEL_MAX_PAYLOAD_BYTES} bytes",
            bytes.len()
        ));
    }
    violations.extend(file_header(bytes));
    let mut samples: Vec<i16> = bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    // A short last packet: Exotel waits out the rest of its 20 ms.
    samples.resize(samples.len().div_ceil(TICK_SAMPLES) * TICK_SAMPLES, 0);
    Parsed {
        action: Some(Outbound::Media {
            bytes: bytes.len(),
            samples,
        }),
        violations,
    }
}

impl Dialect for ExotelDialect {
    fn opening(&mut self) -> Vec<String> {
        let connected = json!({"event": "connected"});
        let start = json!({
            "event": "start",
            "sequence_number": self.next_seq(),
            "stream_sid": self.setup.stream_sid,
            "start": {
                "stream_sid": self.setup.stream_sid,
                "call_sid": self.setup.call_sid,
                "account_sid": self.setup.account_sid,
                "from": self.setup.from,
                "to": self.setup.to,
                "custom_parameters": self.setup.custom_parameters,
                "media_format": {
                    "encoding": self.setup.media_encoding,
                    "sample_rate": "8000",
                    "bit_rate": self.setup.bit_rate,
                },
            },
        });
        vec![connected.to_string(), start.to_string()]
    }

    fn frame_samples(&self) -> usize {
        self.frame_samples
    }

    fn media(&mut self, samples: &[i16], chunk: u64, offset_ms: u64) -> String {
        let pcm: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        json!({
            "event": "media",
            "sequence_number": self.next_seq(),
            "stream_sid": self.setup.stream_sid,
            "media": {
                "chunk": chunk.to_string(),
                "timestamp": offset_ms.to_string(),
                "payload": base64(&pcm),
            },
        })
        .to_string()
    }

    fn dtmf(&mut self, digit: char) -> String {
        json!({
            "event": "dtmf",
            "sequence_number": self.next_seq(),
            "stream_sid": self.setup.stream_sid,
            "dtmf": {"digit": digit.to_string(), "duration": "100"},
        })
        .to_string()
    }

    fn stop(&mut self) -> Option<String> {
        Some(
            json!({
                "event": "stop",
                "sequence_number": self.next_seq(),
                "stream_sid": self.setup.stream_sid,
                "stop": {
                    "call_sid": self.setup.call_sid,
                    "account_sid": self.setup.account_sid,
                    "reason": "callended",
                },
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
            "sequence_number": self.next_seq(),
            "stream_sid": self.setup.stream_sid,
            "mark": {"name": name},
        })
        .to_string()
    }

    fn clear_reply(&mut self) -> Option<String> {
        None
    }

    fn marks_on_clear(&self) -> MarksOnClear {
        self.setup.marks_on_clear
    }
}
