//! A fake Plivo caller on a bidirectional Audio Stream (`<Stream
//! bidirectional="true" contentType="audio/x-mulaw;rate=8000">`).
//!
//! [`FakePlivoCall::connect`] dials the server's WebSocket the way Plivo
//! does and behaves like Plivo's side, as Plivo's "Stream Event Protocol"
//! page describes it:
//!
//! * no `connected` event: `start` comes first (`sequenceNumber: 1` — a JSON
//!   *number* — and `start {callId, streamId, accountId, tracks: ["inbound"],
//!   mediaFormat {encoding: "audio/x-mulaw", sampleRate: 8000}}`), then a
//!   `media` frame every 20 ms (`sequenceNumber` and `media.chunk` numbers,
//!   `media.timestamp` a string of Unix epoch milliseconds, `media.track:
//!   "inbound"`, 160 bytes of μ-law in base64); `extra_headers` rides on both
//!   when set;
//! * `dtmf {track, digit, timestamp}`; on hang-up Plivo sends no event (stream
//!   lifecycle goes to the HTTP status callback): the socket just closes;
//! * outbound `playAudio {media {contentType: "audio/x-mulaw", sampleRate:
//!   8000, payload}}` is played at line rate; `checkpoint {streamId, name}`
//!   is answered with `playedStream {streamId, name}` once the audio before it
//!   has played; `clearAudio {streamId}` drops the queued audio and is
//!   answered with `clearedAudio {streamId}`. Plivo answers a checkpoint only
//!   if the audio before it played, so a clear drops pending checkpoints
//!   without a `playedStream` (logged as `MarkDropped`). `sendDTMF` is noted.
//!
//! Frames Plivo would reject (not JSON, unknown `event`, a foreign or missing
//! `streamId` where it is required, a `contentType`/`sampleRate` other than
//! the stream's, bad base64) are recorded as [`Violation`]s. L16 streams are
//! not faked.

use std::ops::Deref;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

use crate::line::{
    base64, check_stream_id, file_header, next_id, parse_event, payload_bytes, string_at, Dialect,
    Outbound, Parsed, TICK_SAMPLES,
};
pub use crate::line::{CallError, CallEvent, CallEventKind, FakeCall, MarksOnClear, Violation};

/// Who is calling: the ids Plivo puts in `start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlivoCallSetup {
    /// `start.accountId` (the Auth ID, `MA…`).
    pub account_id: String,
    /// `start.callId` (a UUID).
    pub call_id: String,
    /// `start.streamId` (a UUID); `checkpoint` and `clearAudio` must carry it.
    pub stream_id: String,
    /// `extra_headers`: the `<Stream extraHeaders>` attribute, if set.
    pub extra_headers: Option<String>,
}

impl Default for PlivoCallSetup {
    /// UUID-shaped ids unique within the process.
    fn default() -> Self {
        let id = next_id();
        Self {
            account_id: "MA0000000000000FAKE00".to_owned(),
            call_id: format!("00000000-0000-4000-8000-{id:012x}"),
            stream_id: format!("00000000-0000-4000-9000-{id:012x}"),
            extra_headers: None,
        }
    }
}

/// A fake Plivo caller; dereferences to [`FakeCall`] for `say`, `press`,
/// `hang_up`, the `wait_*` helpers and the logs.
#[derive(Debug)]
pub struct FakePlivoCall {
    call: FakeCall,
    setup: PlivoCallSetup,
}

impl FakePlivoCall {
    /// Dials `url` (e.g. `ws://127.0.0.1:PORT/plivo/media`) and starts the
    /// stream: `start`, then a media frame every 20 ms.
    ///
    /// # Errors
    /// [`CallError::Connect`] if the WebSocket cannot be opened.
    pub async fn connect(url: &str, setup: PlivoCallSetup) -> Result<Self, CallError> {
        let dialect = PlivoDialect {
            setup: setup.clone(),
            epoch_ms: epoch_ms(),
            seq: 0,
        };
        let call = FakeCall::connect(url, Box::new(dialect)).await?;
        Ok(Self { call, setup })
    }

    /// The ids this call uses.
    pub fn setup(&self) -> &PlivoCallSetup {
        &self.setup
    }

    /// The stream id `checkpoint` and `clearAudio` must carry.
    pub fn stream_id(&self) -> &str {
        &self.setup.stream_id
    }
}

impl Deref for FakePlivoCall {
    type Target = FakeCall;

    fn deref(&self) -> &FakeCall {
        &self.call
    }
}

fn epoch_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

struct PlivoDialect {
    setup: PlivoCallSetup,
    /// Wall-clock time of the stream start, for `media.timestamp`.
    epoch_ms: u64,
    /// The last `sequenceNumber` sent (`start` is 1).
    seq: u64,
}

impl PlivoDialect {
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn with_extra_headers(&self, mut frame: Value) -> String {
        if let (Some(headers), Some(object)) = (&self.setup.extra_headers, frame.as_object_mut()) {
            object.insert("extra_headers".to_owned(), Value::from(headers.as_str()));
        }
        frame.to_string()
    }

    fn parse_value(&self, value: &Value, event: &str) -> Result<Parsed, Parsed> {
        let stream_id = self.setup.stream_id.as_str();
        match event {
            "playAudio" => {
                check_stream_id(value, event, "streamId", stream_id, false)?;
                let media = value
                    .get("media")
                    .and_then(Value::as_object)
                    .ok_or_else(|| Parsed::violation("`playAudio` without a `media` object"))?;
                check_format(media)?;
                let bytes = payload_bytes(value, event, "/media/payload")?;
                let parsed = Parsed::ok(Outbound::Media {
                    bytes: bytes.len(),
                    samples: awaaz_audio::g711::ulaw_decode(&bytes),
                });
                Ok(match file_header(&bytes) {
                    Some(reason) => parsed.also(reason),
                    None => parsed,
                })
            }
            "checkpoint" => {
                check_stream_id(value, event, "streamId", stream_id, true)?;
                Ok(Parsed::ok(Outbound::Mark(string_at(
                    value, event, "/name",
                )?)))
            }
            "clearAudio" => {
                check_stream_id(value, event, "streamId", stream_id, true)?;
                Ok(Parsed::ok(Outbound::Clear))
            }
            "sendDTMF" => Ok(Parsed::ok(Outbound::Other(event.to_owned()))),
            other => Err(Parsed::violation(format!("unknown event {other:?}"))),
        }
    }
}

/// `playAudio` must name the stream's own codec and rate.
fn check_format(media: &Map<String, Value>) -> Result<(), Parsed> {
    match media.get("contentType").and_then(Value::as_str) {
        Some("audio/x-mulaw") => {}
        Some(other) => {
            return Err(Parsed::violation(format!(
                "`playAudio` contentType {other:?} on an audio/x-mulaw stream"
            )))
        }
        None => {
            return Err(Parsed::violation(
                "`playAudio` without a string `media.contentType`",
            ))
        }
    }
    let rate_ok = match media.get("sampleRate") {
        Some(Value::Number(n)) => n.as_u64() == Some(8000),
        Some(Value::String(s)) => s == "8000",
        _ => false,
    };
    if rate_ok {
        Ok(())
    } else {
        Err(Parsed::violation(format!(
            "`playAudio` sampleRate {} on an 8000 Hz stream",
            media.get("sampleRate").unwrap_or(&Value::Null)
        )))
    }
}

impl Dialect for PlivoDialect {
    fn opening(&mut self) -> Vec<String> {
        let start = json!({
            "event": "start",
            "sequenceNumber": self.next_seq(),
            "start": {
                "callId": self.setup.call_id,
                "streamId": self.setup.stream_id,
                "accountId": self.setup.account_id,
                "tracks": ["inbound"],
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000},
            },
        });
        vec![self.with_extra_headers(start)]
    }

    fn frame_samples(&self) -> usize {
        TICK_SAMPLES
    }

    fn media(&mut self, samples: &[i16], chunk: u64, offset_ms: u64) -> String {
        let payload = base64(&awaaz_audio::g711::ulaw_encode(samples));
        let frame = json!({
            "event": "media",
            "sequenceNumber": self.next_seq(),
            "streamId": self.setup.stream_id,
            "media": {
                "track": "inbound",
                "timestamp": (self.epoch_ms + offset_ms).to_string(),
                "chunk": chunk,
                "payload": payload,
            },
        });
        self.with_extra_headers(frame)
    }

    fn dtmf(&mut self, digit: char) -> String {
        json!({
            "event": "dtmf",
            "sequenceNumber": self.next_seq(),
            "streamId": self.setup.stream_id,
            "dtmf": {"track": "inbound", "digit": digit.to_string(), "timestamp": epoch_ms().to_string()},
        })
        .to_string()
    }

    fn stop(&mut self) -> Option<String> {
        None
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
            "event": "playedStream",
            "sequenceNumber": self.next_seq(),
            "streamId": self.setup.stream_id,
            "name": name,
        })
        .to_string()
    }

    fn clear_reply(&mut self) -> Option<String> {
        Some(
            json!({
                "event": "clearedAudio",
                "sequenceNumber": self.next_seq(),
                "streamId": self.setup.stream_id,
            })
            .to_string(),
        )
    }

    fn marks_on_clear(&self) -> MarksOnClear {
        MarksOnClear::Drop
    }
}
