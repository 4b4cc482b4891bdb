//! Plivo Audio Streams: the JSON messages on the WebSocket a `<Stream
//! bidirectional="true">` opens, and (in [`xml`]) the answer XML that opens it.
//!
//! Plivo sends `start`, then `media` every 20 ms (base64 audio in the
//! stream's `contentType`: μ-law 8 kHz or L16 8/16 kHz), `dtmf`,
//! `playedStream` when audio queued before our checkpoint has played, and
//! `clearedAudio` after our `clearAudio`. We send `playAudio`, `checkpoint`
//! and `clearAudio`. Field names are camelCase (`streamId`, `sequenceNumber`).
//!
//! ```text
//!  POST /plivo/answer ◀── xml::Response::new().stream(Stream::new(wss).bidirectional(true)…).render()
//!  Plivo ── text frame ──▶ decode() ──▶ Inbound::{Start, Media, Dtmf, PlayedStream, ClearedAudio, Stop, Unknown}
//!  Plivo ◀── encode_play_audio() / encode_checkpoint() / encode_clear_audio()
//! ```
//!
//! Plivo documents `sequenceNumber` and `chunk` as numbers and `timestamp`
//! as a string; the decoder takes either form. It requires only what a call
//! cannot do without — the stream and call ids in `start`, the payload of
//! `media`, the digit of `dtmf`, the name of `playedStream` — and decodes
//! unknown events to [`Inbound::Unknown`]. `stop` is not in Plivo's current
//! protocol reference (the socket closing ends the stream) but is decoded if
//! sent; the older name `played` is read as `playedStream`.
//!
//! Requests from Plivo are signed ([`signature`]: `X-Plivo-Signature-V3`).
//!
//! This module does no I/O and does not transcode audio.
//!
//! Wire format: <https://www.plivo.com/docs/voice/audio-streaming/audio-streaming>
//! and <https://www.plivo.com/docs/voice/xml/audiostream>.

use std::fmt;

use crate::wire::{self, id_newtype, json_object, AudioLen};
pub use crate::wire::{PhoneNumber, Track};
use crate::Error;

pub mod signature;
pub mod xml;

/// The largest text frame [`decode`] accepts. Plivo's frames carry 20 ms of
/// audio (at most 640 bytes, under 1 KB of base64).
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

id_newtype!(
    /// The id of one Plivo audio stream (a UUID).
    StreamId
);
id_newtype!(
    /// The id of a Plivo call (a UUID).
    CallId
);

/// An audio format Plivo streams and plays: the `contentType` of `<Stream>`
/// and of `playAudio`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContentType {
    /// G.711 μ-law, 8 kHz (`audio/x-mulaw;rate=8000`).
    MulawRate8000,
    /// PCM16 little-endian, 8 kHz (`audio/x-l16;rate=8000`, Plivo's default).
    L16Rate8000,
    /// PCM16 little-endian, 16 kHz (`audio/x-l16;rate=16000`).
    L16Rate16000,
}

impl ContentType {
    /// The MIME type without the rate: `audio/x-mulaw` or `audio/x-l16`.
    pub fn mime(self) -> &'static str {
        match self {
            Self::MulawRate8000 => "audio/x-mulaw",
            Self::L16Rate8000 | Self::L16Rate16000 => "audio/x-l16",
        }
    }

    /// The sample rate in Hz.
    pub fn sample_rate_hz(self) -> u32 {
        match self {
            Self::MulawRate8000 | Self::L16Rate8000 => 8_000,
            Self::L16Rate16000 => 16_000,
        }
    }

    /// The `<Stream contentType>` value, e.g. `audio/x-mulaw;rate=8000`.
    pub fn with_rate(self) -> &'static str {
        match self {
            Self::MulawRate8000 => "audio/x-mulaw;rate=8000",
            Self::L16Rate8000 => "audio/x-l16;rate=8000",
            Self::L16Rate16000 => "audio/x-l16;rate=16000",
        }
    }

    /// The content type for a MIME type and rate, if Plivo supports the pair.
    pub fn from_parts(mime: &str, sample_rate_hz: u32) -> Option<Self> {
        match (mime.trim(), sample_rate_hz) {
            ("audio/x-mulaw", 8_000) => Some(Self::MulawRate8000),
            ("audio/x-l16", 8_000) => Some(Self::L16Rate8000),
            ("audio/x-l16", 16_000) => Some(Self::L16Rate16000),
            _ => None,
        }
    }
}

/// A message from Plivo.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Inbound {
    /// The stream's metadata; sent once when the socket opens.
    Start(Start),
    /// A chunk of caller audio.
    Media(Media),
    /// The caller pressed a key.
    Dtmf(Dtmf),
    /// Audio queued before our checkpoint of this name has played.
    PlayedStream(PlayedStream),
    /// Queued audio was dropped after our `clearAudio`.
    ClearedAudio(ClearedAudio),
    /// The stream ended (not in Plivo's current reference; decoded if sent).
    Stop(Stop),
    /// An event this crate does not know; safe to ignore.
    Unknown {
        /// The `event` field as sent.
        event: String,
    },
}

/// The `start` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Start {
    /// Position of this message in the stream (1), when sent.
    pub sequence_number: Option<u64>,
    /// The stream.
    pub stream_id: StreamId,
    /// The call.
    pub call_id: CallId,
    /// The Plivo account (auth id), when sent.
    pub account_id: Option<String>,
    /// Which tracks are streamed (`inbound` for bidirectional streams;
    /// assumed when absent).
    pub tracks: Vec<Track>,
    /// The audio format of `media` payloads.
    pub media_format: MediaFormat,
    /// The `<Stream extraHeaders>` value (`k=v,k2=v2`, or `;`-separated), when sent.
    pub extra_headers: Option<String>,
    /// The calling number, when sent (not in Plivo's reference).
    pub from: Option<PhoneNumber>,
    /// The called number, when sent (not in Plivo's reference).
    pub to: Option<PhoneNumber>,
}

/// The audio format announced in `start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFormat {
    /// `audio/x-mulaw` or `audio/x-l16`.
    pub encoding: String,
    /// 8000 or 16000.
    pub sample_rate_hz: u32,
}

impl MediaFormat {
    /// The format as a [`ContentType`], if Plivo documents the pair.
    pub fn content_type(&self) -> Option<ContentType> {
        ContentType::from_parts(&self.encoding, self.sample_rate_hz)
    }
}

/// The `media` message: caller audio.
#[derive(Clone, PartialEq, Eq)]
pub struct Media {
    /// Position of this message in the stream, when sent.
    pub sequence_number: Option<u64>,
    /// The stream, when sent.
    pub stream_id: Option<StreamId>,
    /// `inbound` (the caller); assumed when absent.
    pub track: Track,
    /// Unix time of the chunk in milliseconds, when sent.
    pub timestamp_ms: Option<u64>,
    /// Position of the chunk in its track, when sent.
    pub chunk: Option<u64>,
    /// The audio, in the stream's content type.
    pub payload: Vec<u8>,
}

impl fmt::Debug for Media {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Media")
            .field("sequence_number", &self.sequence_number)
            .field("stream_id", &self.stream_id)
            .field("track", &self.track)
            .field("timestamp_ms", &self.timestamp_ms)
            .field("chunk", &self.chunk)
            .field("payload", &AudioLen(&self.payload))
            .finish()
    }
}

/// The `dtmf` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dtmf {
    /// Position of this message in the stream, when sent.
    pub sequence_number: Option<u64>,
    /// The stream, when sent.
    pub stream_id: Option<StreamId>,
    /// The track, when sent.
    pub track: Option<Track>,
    /// The key: `0`–`9`, `*`, `#` or `A`–`D`.
    pub digit: char,
    /// Unix time of the key press in milliseconds, when sent.
    pub timestamp_ms: Option<u64>,
}

/// The `playedStream` message: our checkpoint was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayedStream {
    /// Position of this message in the stream, when sent.
    pub sequence_number: Option<u64>,
    /// The stream, when sent.
    pub stream_id: Option<StreamId>,
    /// The name we gave the checkpoint.
    pub name: String,
}

/// The `clearedAudio` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClearedAudio {
    /// Position of this message in the stream, when sent.
    pub sequence_number: Option<u64>,
    /// The stream, when sent.
    pub stream_id: Option<StreamId>,
}

/// The `stop` message, if Plivo sends one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    /// Position of this message in the stream, when sent.
    pub sequence_number: Option<u64>,
    /// The stream, when sent.
    pub stream_id: Option<StreamId>,
    /// The call, when sent.
    pub call_id: Option<CallId>,
}

const SEQUENCE_NUMBER: &[&str] = &["sequenceNumber", "sequence_number"];
const STREAM_ID: &[&str] = &["streamId", "stream_id"];
const CALL_ID: &[&str] = &["callId", "call_id", "callUUID", "call_uuid"];

impl Inbound {
    /// The message as Plivo writes it (counters as numbers, timestamps as
    /// strings), for fake Plivo peers. [`decode`] of the result gives back `self`.
    pub fn to_json(&self) -> String {
        match self {
            Self::Start(m) => json_object(|o| {
                o.str("event", "start")
                    .opt_num("sequenceNumber", m.sequence_number)
                    .object("start", |s| {
                        s.str("callId", m.call_id.as_str())
                            .str("streamId", m.stream_id.as_str())
                            .opt_str("accountId", m.account_id.as_deref())
                            .str_array("tracks", m.tracks.iter().map(Track::as_str))
                            .object("mediaFormat", |f| {
                                f.str("encoding", &m.media_format.encoding)
                                    .num("sampleRate", u64::from(m.media_format.sample_rate_hz));
                            })
                            .opt_str("from", m.from.as_ref().map(PhoneNumber::as_str))
                            .opt_str("to", m.to.as_ref().map(PhoneNumber::as_str));
                    });
                o.opt_str("extra_headers", m.extra_headers.as_deref());
            }),
            Self::Media(m) => json_object(|o| {
                o.str("event", "media")
                    .opt_num("sequenceNumber", m.sequence_number)
                    .opt_str("streamId", m.stream_id.as_ref().map(StreamId::as_str))
                    .object("media", |media| {
                        media
                            .str("track", m.track.as_str())
                            .opt_num_str("timestamp", m.timestamp_ms)
                            .opt_num("chunk", m.chunk)
                            .base64("payload", &m.payload);
                    });
            }),
            Self::Dtmf(m) => json_object(|o| {
                let mut digit = [0u8; 4];
                o.str("event", "dtmf")
                    .opt_num("sequenceNumber", m.sequence_number)
                    .opt_str("streamId", m.stream_id.as_ref().map(StreamId::as_str))
                    .object("dtmf", |d| {
                        d.opt_str("track", m.track.as_ref().map(Track::as_str))
                            .str("digit", m.digit.encode_utf8(&mut digit))
                            .opt_num_str("timestamp", m.timestamp_ms);
                    });
            }),
            Self::PlayedStream(m) => json_object(|o| {
                o.str("event", "playedStream")
                    .opt_num("sequenceNumber", m.sequence_number)
                    .opt_str("streamId", m.stream_id.as_ref().map(StreamId::as_str))
                    .str("name", &m.name);
            }),
            Self::ClearedAudio(m) => json_object(|o| {
                o.str("event", "clearedAudio")
                    .opt_num("sequenceNumber", m.sequence_number)
                    .opt_str("streamId", m.stream_id.as_ref().map(StreamId::as_str));
            }),
            Self::Stop(m) => json_object(|o| {
                o.str("event", "stop")
                    .opt_num("sequenceNumber", m.sequence_number)
                    .opt_str("streamId", m.stream_id.as_ref().map(StreamId::as_str))
                    .opt_str("callId", m.call_id.as_ref().map(CallId::as_str));
            }),
            Self::Unknown { event } => json_object(|o| {
                o.str("event", event);
            }),
        }
    }
}

/// Decodes one text frame from Plivo, refusing frames over [`MAX_FRAME_BYTES`].
pub fn decode(text: &str) -> Result<Inbound, Error> {
    decode_with_limit(text, MAX_FRAME_BYTES)
}

/// Decodes one text frame from Plivo, refusing frames over `max_frame_bytes`.
pub fn decode_with_limit(text: &str, max_frame_bytes: usize) -> Result<Inbound, Error> {
    let frame = wire::parse_frame(text, max_frame_bytes)?;
    let root = frame.obj();
    let sequence_number = || root.opt_u64(SEQUENCE_NUMBER);
    let stream_id = || Ok::<_, Error>(root.opt_str(STREAM_ID)?.map(StreamId::from));
    let message = match frame.event.as_str() {
        "start" => {
            let start = root.obj(&["start"], "start")?;
            let format = start.obj(&["mediaFormat", "media_format"], "start.mediaFormat")?;
            let stream_id = match start.opt_str(STREAM_ID)? {
                Some(id) => id,
                None => root
                    .opt_str(STREAM_ID)?
                    .ok_or_else(|| start.missing(STREAM_ID))?,
            };
            Inbound::Start(Start {
                sequence_number: sequence_number()?,
                stream_id: StreamId::from(stream_id),
                call_id: CallId::from(start.str(CALL_ID)?),
                account_id: start
                    .opt_str(&["accountId", "account_id"])?
                    .map(str::to_owned),
                tracks: start
                    .opt_tracks(&["tracks"])?
                    .unwrap_or_else(|| vec![Track::Inbound]),
                media_format: MediaFormat {
                    encoding: format.str(&["encoding"])?.to_owned(),
                    sample_rate_hz: format.u32(&["sampleRate", "sample_rate"])?,
                },
                extra_headers: match root.opt_str(&["extra_headers", "extraHeaders"])? {
                    Some(headers) => Some(headers),
                    None => start.opt_str(&["extra_headers", "extraHeaders"])?,
                }
                .map(str::to_owned),
                from: start.opt_str(&["from"])?.map(PhoneNumber::new),
                to: start.opt_str(&["to"])?.map(PhoneNumber::new),
            })
        }
        "media" => {
            let media = root.obj(&["media"], "media")?;
            Inbound::Media(Media {
                sequence_number: sequence_number()?,
                stream_id: stream_id()?,
                track: media
                    .opt_str(&["track"])?
                    .map_or(Track::Inbound, Track::parse),
                timestamp_ms: media.opt_u64(&["timestamp"])?,
                chunk: media.opt_u64(&["chunk"])?,
                payload: media.base64(&["payload"])?,
            })
        }
        "dtmf" => {
            let dtmf = root.obj(&["dtmf"], "dtmf")?;
            Inbound::Dtmf(Dtmf {
                sequence_number: sequence_number()?,
                stream_id: stream_id()?,
                track: dtmf.opt_str(&["track"])?.map(Track::parse),
                digit: dtmf.char(&["digit"])?,
                timestamp_ms: dtmf.opt_u64(&["timestamp"])?,
            })
        }
        "playedStream" | "played" => Inbound::PlayedStream(PlayedStream {
            sequence_number: sequence_number()?,
            stream_id: stream_id()?,
            name: root.str(&["name"])?.to_owned(),
        }),
        "clearedAudio" => Inbound::ClearedAudio(ClearedAudio {
            sequence_number: sequence_number()?,
            stream_id: stream_id()?,
        }),
        "stop" => Inbound::Stop(Stop {
            sequence_number: sequence_number()?,
            stream_id: stream_id()?,
            call_id: root.opt_str(CALL_ID)?.map(CallId::from),
        }),
        _ => Inbound::Unknown {
            event: frame.event.clone(),
        },
    };
    Ok(message)
}

/// A message to Plivo (bidirectional streams only).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outbound {
    /// Audio to play to the caller, queued after earlier audio.
    PlayAudio {
        /// The audio's format; must match the stream's `contentType`.
        content_type: ContentType,
        /// The audio.
        payload: Vec<u8>,
    },
    /// Ask Plivo to send back `playedStream` with this name once the audio
    /// queued before it has played.
    Checkpoint {
        /// The stream.
        stream_id: StreamId,
        /// The checkpoint's name.
        name: String,
    },
    /// Drop all queued audio now (barge-in); Plivo answers `clearedAudio`.
    ClearAudio {
        /// The stream.
        stream_id: StreamId,
    },
}

impl fmt::Debug for Outbound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PlayAudio {
                content_type,
                payload,
            } => f
                .debug_struct("PlayAudio")
                .field("content_type", content_type)
                .field("payload", &AudioLen(payload))
                .finish(),
            Self::Checkpoint { stream_id, name } => f
                .debug_struct("Checkpoint")
                .field("stream_id", stream_id)
                .field("name", name)
                .finish(),
            Self::ClearAudio { stream_id } => f
                .debug_struct("ClearAudio")
                .field("stream_id", stream_id)
                .finish(),
        }
    }
}

impl Outbound {
    /// The message's text.
    pub fn to_json(&self) -> String {
        match self {
            Self::PlayAudio {
                content_type,
                payload,
            } => encode_play_audio(*content_type, payload),
            Self::Checkpoint { stream_id, name } => encode_checkpoint(stream_id, name),
            Self::ClearAudio { stream_id } => encode_clear_audio(stream_id),
        }
    }
}

/// `{"event":"playAudio","media":{"contentType":…,"sampleRate":…,"payload":<base64>}}`.
///
/// Plivo's reference gives `playAudio` no `streamId` (the socket is the
/// stream), so none is sent.
pub fn encode_play_audio(content_type: ContentType, audio: &[u8]) -> String {
    json_object(|o| {
        o.str("event", "playAudio").object("media", |m| {
            m.str("contentType", content_type.mime())
                .num("sampleRate", u64::from(content_type.sample_rate_hz()))
                .base64("payload", audio);
        });
    })
}

/// `{"event":"checkpoint","streamId":…,"name":…}`.
pub fn encode_checkpoint(stream_id: &StreamId, name: &str) -> String {
    json_object(|o| {
        o.str("event", "checkpoint")
            .str("streamId", stream_id.as_str())
            .str("name", name);
    })
}

/// `{"event":"clearAudio","streamId":…}`.
pub fn encode_clear_audio(stream_id: &StreamId) -> String {
    json_object(|o| {
        o.str("event", "clearAudio")
            .str("streamId", stream_id.as_str());
    })
}

/// Decodes a message meant for Plivo (what a fake Plivo peer receives);
/// refuses unknown events and content types Plivo does not support.
pub fn decode_outbound(text: &str) -> Result<Outbound, Error> {
    let frame = wire::parse_frame(text, MAX_FRAME_BYTES)?;
    let root = frame.obj();
    let stream_id = || root.str(STREAM_ID).map(StreamId::from);
    match frame.event.as_str() {
        "playAudio" => {
            let media = root.obj(&["media"], "media")?;
            let mime = media.str(&["contentType"])?;
            let rate = media.u32(&["sampleRate"])?;
            let content_type = ContentType::from_parts(mime, rate).ok_or_else(|| {
                media.invalid(
                    &["contentType"],
                    "audio/x-mulaw at 8000 Hz or audio/x-l16 at 8000 or 16000 Hz",
                )
            })?;
            Ok(Outbound::PlayAudio {
                content_type,
                payload: media.base64(&["payload"])?,
            })
        }
        "checkpoint" => Ok(Outbound::Checkpoint {
            stream_id: stream_id()?,
            name: root.str(&["name"])?.to_owned(),
        }),
        "clearAudio" => Ok(Outbound::ClearAudio {
            stream_id: stream_id()?,
        }),
        _ => Err(Error::UnknownEvent {
            event: frame.event.clone(),
        }),
    }
}
