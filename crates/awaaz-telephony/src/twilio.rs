//! Twilio Media Streams: the JSON messages on a `<Connect><Stream>` WebSocket.
//!
//! Twilio sends `connected`, then `start`, then `media` every 20 ms (base64
//! G.711 μ-law, 8 kHz mono), `dtmf` on key presses, `mark` when audio we
//! queued before a mark has played (or was cleared), and `stop`. We send
//! `media`, `mark` and `clear`.
//!
//! ```text
//!  Twilio ── text frame ──▶ decode() ──▶ Inbound::{Connected, Start, Media, Dtmf, Mark, Stop, Unknown}
//!  Twilio ◀── text frame ── encode_media() / encode_mark() / encode_clear()
//! ```
//!
//! This module does no I/O and does not transcode audio: payloads are the
//! μ-law bytes as sent; G.711 lives in `awaaz-audio`.
//!
//! Twilio sends `sequenceNumber`, `chunk` and `timestamp` as strings; the
//! decoder also takes them as JSON numbers and hands them out as integers.
//! Every field Twilio documents is required, except `customParameters`
//! (absent means none). An unknown `event` is not an error: it decodes to
//! [`Inbound::Unknown`], so a new Twilio message cannot break a call.
//!
//! [`Inbound::to_json`] and [`decode_outbound`] are the other half of the
//! protocol, for fake Twilio peers in tests.
//!
//! Wire format: <https://www.twilio.com/docs/voice/media-streams/websocket-messages>.

use std::fmt;

use crate::wire::{self, id_newtype, json_object, AudioLen};
pub use crate::wire::{CustomParameters, Track};
use crate::Error;

/// The largest text frame [`decode`] accepts. Twilio's frames are a few
/// hundred bytes (160 bytes of audio in base64 plus envelope).
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

id_newtype!(
    /// The id of one Media Stream (`MZ…`); every message we send names it.
    StreamSid
);
id_newtype!(
    /// The id of a call (`CA…`).
    CallSid
);
id_newtype!(
    /// The id of the Twilio account (`AC…`).
    AccountSid
);

/// A message from Twilio.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Inbound {
    /// The WebSocket is open; always the first message.
    Connected(Connected),
    /// The stream's metadata; sent once, right after `connected`.
    Start(Start),
    /// A chunk of caller audio.
    Media(Media),
    /// The caller pressed a key.
    Dtmf(Dtmf),
    /// Audio sent before our mark of this name has played (or was cleared).
    Mark(Mark),
    /// The stream ended (the call hung up or the stream was stopped).
    Stop(Stop),
    /// An event this crate does not know; safe to ignore.
    Unknown {
        /// The `event` field as sent.
        event: String,
    },
}

/// The `connected` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connected {
    /// The protocol, `"Call"`.
    pub protocol: String,
    /// The protocol's version, e.g. `"1.0.0"`.
    pub version: String,
}

/// The `start` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Start {
    /// Position of this message in the stream, from 1.
    pub sequence_number: u64,
    /// The stream.
    pub stream_sid: StreamSid,
    /// The account that owns the call.
    pub account_sid: AccountSid,
    /// The call.
    pub call_sid: CallSid,
    /// Which tracks will be streamed (`inbound` for `<Connect><Stream>`).
    pub tracks: Vec<Track>,
    /// The `<Parameter>`s of the TwiML `<Stream>`.
    pub custom_parameters: CustomParameters,
    /// The audio format of `media` payloads.
    pub media_format: MediaFormat,
}

/// The audio format announced in `start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFormat {
    /// Always `"audio/x-mulaw"` today.
    pub encoding: String,
    /// Always 8000 today.
    pub sample_rate_hz: u32,
    /// Always 1 today.
    pub channels: u16,
}

impl Default for MediaFormat {
    fn default() -> Self {
        Self {
            encoding: "audio/x-mulaw".to_owned(),
            sample_rate_hz: 8000,
            channels: 1,
        }
    }
}

/// The `media` message: caller audio.
#[derive(Clone, PartialEq, Eq)]
pub struct Media {
    /// Position of this message in the stream.
    pub sequence_number: u64,
    /// The stream.
    pub stream_sid: StreamSid,
    /// `inbound` (the caller) for bidirectional streams.
    pub track: Track,
    /// Position of this chunk in its track, from 1.
    pub chunk: u64,
    /// Milliseconds from the start of the stream to this chunk.
    pub timestamp_ms: u64,
    /// The audio: G.711 μ-law bytes, 8 kHz mono (160 bytes per 20 ms).
    pub payload: Vec<u8>,
}

impl fmt::Debug for Media {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Media")
            .field("sequence_number", &self.sequence_number)
            .field("stream_sid", &self.stream_sid)
            .field("track", &self.track)
            .field("chunk", &self.chunk)
            .field("timestamp_ms", &self.timestamp_ms)
            .field("payload", &AudioLen(&self.payload))
            .finish()
    }
}

/// The `dtmf` message: a key press.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dtmf {
    /// Position of this message in the stream.
    pub sequence_number: u64,
    /// The stream.
    pub stream_sid: StreamSid,
    /// `inbound` (Twilio writes `inbound_track`).
    pub track: Track,
    /// The key: `0`–`9`, `*` or `#`.
    pub digit: char,
}

/// The `mark` message: our mark's audio has played (or was cleared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// Position of this message in the stream.
    pub sequence_number: u64,
    /// The stream.
    pub stream_sid: StreamSid,
    /// The name we gave the mark.
    pub name: String,
}

/// The `stop` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    /// Position of this message in the stream.
    pub sequence_number: u64,
    /// The stream.
    pub stream_sid: StreamSid,
    /// The account that owns the call.
    pub account_sid: AccountSid,
    /// The call.
    pub call_sid: CallSid,
}

impl Inbound {
    /// The stream the message belongs to (`connected` and unknown messages
    /// name none).
    pub fn stream_sid(&self) -> Option<&StreamSid> {
        match self {
            Self::Start(m) => Some(&m.stream_sid),
            Self::Media(m) => Some(&m.stream_sid),
            Self::Dtmf(m) => Some(&m.stream_sid),
            Self::Mark(m) => Some(&m.stream_sid),
            Self::Stop(m) => Some(&m.stream_sid),
            Self::Connected(_) | Self::Unknown { .. } => None,
        }
    }

    /// The message as Twilio writes it (counters as strings), for fake
    /// Twilio peers. [`decode`] of the result gives back `self`.
    pub fn to_json(&self) -> String {
        match self {
            Self::Connected(m) => json_object(|o| {
                o.str("event", "connected")
                    .str("protocol", &m.protocol)
                    .str("version", &m.version);
            }),
            Self::Start(m) => json_object(|o| {
                o.str("event", "start")
                    .num_str("sequenceNumber", m.sequence_number);
                o.object("start", |s| {
                    s.str("accountSid", m.account_sid.as_str())
                        .str("streamSid", m.stream_sid.as_str())
                        .str("callSid", m.call_sid.as_str())
                        .str_array("tracks", m.tracks.iter().map(Track::as_str))
                        .str_map("customParameters", m.custom_parameters.iter())
                        .object("mediaFormat", |f| {
                            f.str("encoding", &m.media_format.encoding)
                                .num("sampleRate", u64::from(m.media_format.sample_rate_hz))
                                .num("channels", u64::from(m.media_format.channels));
                        });
                });
                o.str("streamSid", m.stream_sid.as_str());
            }),
            Self::Media(m) => json_object(|o| {
                o.str("event", "media")
                    .num_str("sequenceNumber", m.sequence_number);
                o.object("media", |media| {
                    media
                        .str("track", m.track.as_str())
                        .num_str("chunk", m.chunk)
                        .num_str("timestamp", m.timestamp_ms)
                        .base64("payload", &m.payload);
                });
                o.str("streamSid", m.stream_sid.as_str());
            }),
            Self::Dtmf(m) => json_object(|o| {
                let track = match &m.track {
                    Track::Inbound => "inbound_track",
                    Track::Outbound => "outbound_track",
                    other => other.as_str(),
                };
                let mut digit = [0u8; 4];
                o.str("event", "dtmf")
                    .str("streamSid", m.stream_sid.as_str())
                    .num_str("sequenceNumber", m.sequence_number)
                    .object("dtmf", |d| {
                        d.str("track", track)
                            .str("digit", m.digit.encode_utf8(&mut digit));
                    });
            }),
            Self::Mark(m) => json_object(|o| {
                o.str("event", "mark")
                    .num_str("sequenceNumber", m.sequence_number)
                    .str("streamSid", m.stream_sid.as_str())
                    .object("mark", |k| {
                        k.str("name", &m.name);
                    });
            }),
            Self::Stop(m) => json_object(|o| {
                o.str("event", "stop")
                    .num_str("sequenceNumber", m.sequence_number)
                    .str("streamSid", m.stream_sid.as_str())
                    .object("stop", |s| {
                        s.str("accountSid", m.account_sid.as_str())
                            .str("callSid", m.call_sid.as_str());
                    });
            }),
            Self::Unknown { event } => json_object(|o| {
                o.str("event", event);
            }),
        }
    }
}

/// Decodes one text frame from Twilio, refusing frames over
/// [`MAX_FRAME_BYTES`].
pub fn decode(text: &str) -> Result<Inbound, Error> {
    decode_with_limit(text, MAX_FRAME_BYTES)
}

/// Decodes one text frame from Twilio, refusing frames over `max_frame_bytes`.
pub fn decode_with_limit(text: &str, max_frame_bytes: usize) -> Result<Inbound, Error> {
    let frame = wire::parse_frame(text, max_frame_bytes)?;
    let root = frame.obj();
    let message = match frame.event.as_str() {
        "connected" => Inbound::Connected(Connected {
            protocol: root.str(&["protocol"])?.to_owned(),
            version: root.str(&["version"])?.to_owned(),
        }),
        "start" => {
            let start = root.obj(&["start"], "start")?;
            let format = start.obj(&["mediaFormat"], "start.mediaFormat")?;
            // The top-level streamSid and start.streamSid are the same; take
            // whichever is there.
            let stream_sid = match root.opt_str(&["streamSid"])? {
                Some(sid) => sid,
                None => start.str(&["streamSid"])?,
            };
            Inbound::Start(Start {
                sequence_number: root.u64(&["sequenceNumber"])?,
                stream_sid: StreamSid::from(stream_sid),
                account_sid: AccountSid::from(start.str(&["accountSid"])?),
                call_sid: CallSid::from(start.str(&["callSid"])?),
                tracks: start.tracks(&["tracks"])?,
                custom_parameters: start.params(&["customParameters"])?,
                media_format: MediaFormat {
                    encoding: format.str(&["encoding"])?.to_owned(),
                    sample_rate_hz: format.u32(&["sampleRate"])?,
                    channels: format.u16(&["channels"])?,
                },
            })
        }
        "media" => {
            let media = root.obj(&["media"], "media")?;
            Inbound::Media(Media {
                sequence_number: root.u64(&["sequenceNumber"])?,
                stream_sid: StreamSid::from(root.str(&["streamSid"])?),
                track: Track::parse(media.str(&["track"])?),
                chunk: media.u64(&["chunk"])?,
                timestamp_ms: media.u64(&["timestamp"])?,
                payload: media.base64(&["payload"])?,
            })
        }
        "dtmf" => {
            let dtmf = root.obj(&["dtmf"], "dtmf")?;
            Inbound::Dtmf(Dtmf {
                sequence_number: root.u64(&["sequenceNumber"])?,
                stream_sid: StreamSid::from(root.str(&["streamSid"])?),
                track: Track::parse(dtmf.str(&["track"])?),
                digit: dtmf.char(&["digit"])?,
            })
        }
        "mark" => {
            let mark = root.obj(&["mark"], "mark")?;
            Inbound::Mark(Mark {
                sequence_number: root.u64(&["sequenceNumber"])?,
                stream_sid: StreamSid::from(root.str(&["streamSid"])?),
                name: mark.str(&["name"])?.to_owned(),
            })
        }
        "stop" => {
            let stop = root.obj(&["stop"], "stop")?;
            Inbound::Stop(Stop {
                sequence_number: root.u64(&["sequenceNumber"])?,
                stream_sid: StreamSid::from(root.str(&["streamSid"])?),
                account_sid: AccountSid::from(stop.str(&["accountSid"])?),
                call_sid: CallSid::from(stop.str(&["callSid"])?),
            })
        }
        _ => Inbound::Unknown {
            event: frame.event.clone(),
        },
    };
    Ok(message)
}

/// A message to Twilio (bidirectional streams only).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outbound {
    /// Audio to play to the caller, queued after earlier audio.
    Media {
        /// The stream.
        stream_sid: StreamSid,
        /// G.711 μ-law bytes, 8 kHz mono.
        payload: Vec<u8>,
    },
    /// Ask Twilio to send back a `mark` of this name once the audio queued
    /// before it has played.
    Mark {
        /// The stream.
        stream_sid: StreamSid,
        /// The mark's name.
        name: String,
    },
    /// Drop all queued audio now; pending marks come back at once.
    Clear {
        /// The stream.
        stream_sid: StreamSid,
    },
}

impl fmt::Debug for Outbound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Media {
                stream_sid,
                payload,
            } => f
                .debug_struct("Media")
                .field("stream_sid", stream_sid)
                .field("payload", &AudioLen(payload))
                .finish(),
            Self::Mark { stream_sid, name } => f
                .debug_struct("Mark")
                .field("stream_sid", stream_sid)
                .field("name", name)
                .finish(),
            Self::Clear { stream_sid } => f
                .debug_struct("Clear")
                .field("stream_sid", stream_sid)
                .finish(),
        }
    }
}

impl Outbound {
    /// The message's text.
    pub fn to_json(&self) -> String {
        match self {
            Self::Media {
                stream_sid,
                payload,
            } => encode_media(stream_sid, payload),
            Self::Mark { stream_sid, name } => encode_mark(stream_sid, name),
            Self::Clear { stream_sid } => encode_clear(stream_sid),
        }
    }
}

/// `{"event":"media","streamSid":…,"media":{"payload":<base64 μ-law>}}`.
///
/// Twilio plays payloads back to back; 160 bytes is 20 ms.
pub fn encode_media(stream_sid: &StreamSid, mulaw: &[u8]) -> String {
    json_object(|o| {
        o.str("event", "media")
            .str("streamSid", stream_sid.as_str())
            .object("media", |m| {
                m.base64("payload", mulaw);
            });
    })
}

/// `{"event":"mark","streamSid":…,"mark":{"name":…}}`.
pub fn encode_mark(stream_sid: &StreamSid, name: &str) -> String {
    json_object(|o| {
        o.str("event", "mark")
            .str("streamSid", stream_sid.as_str())
            .object("mark", |m| {
                m.str("name", name);
            });
    })
}

/// `{"event":"clear","streamSid":…}`.
pub fn encode_clear(stream_sid: &StreamSid) -> String {
    json_object(|o| {
        o.str("event", "clear")
            .str("streamSid", stream_sid.as_str());
    })
}

/// Decodes a message meant for Twilio (what a fake Twilio peer receives),
/// refusing frames over [`MAX_FRAME_BYTES`] and events Twilio would not accept.
pub fn decode_outbound(text: &str) -> Result<Outbound, Error> {
    let frame = wire::parse_frame(text, MAX_FRAME_BYTES)?;
    let root = frame.obj();
    let stream_sid = || root.str(&["streamSid"]).map(StreamSid::from);
    match frame.event.as_str() {
        "media" => Ok(Outbound::Media {
            stream_sid: stream_sid()?,
            payload: root.obj(&["media"], "media")?.base64(&["payload"])?,
        }),
        "mark" => Ok(Outbound::Mark {
            stream_sid: stream_sid()?,
            name: root.obj(&["mark"], "mark")?.str(&["name"])?.to_owned(),
        }),
        "clear" => Ok(Outbound::Clear {
            stream_sid: stream_sid()?,
        }),
        _ => Err(Error::UnknownEvent {
            event: frame.event.clone(),
        }),
    }
}
