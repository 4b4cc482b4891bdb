//! Exotel Voicebot (AgentStream) bidirectional streams: the JSON messages on
//! the WebSocket Exotel opens to us.
//!
//! Exotel sends `connected`, `start`, `media` (base64 PCM16 little-endian,
//! mono, 8 kHz by default, about 100 ms a frame), `dtmf`, `mark` (our mark's
//! audio has played), sometimes `clear`, and `stop`. We send `media`, `mark`
//! and `clear`. Field names are snake_case (`stream_sid`, `sequence_number`).
//!
//! ```text
//!  Exotel ── text frame ──▶ decode() ──▶ Inbound::{Connected, Start, Media, Dtmf, Mark, Clear, Stop, Unknown}
//!  PCM16 ──▶ Chunker (multiples of 320 bytes) ──▶ encode_media() ──▶ Exotel
//!  Exotel ◀── encode_mark() / encode_clear()
//! ```
//!
//! Outbound audio must come in chunks that are a multiple of 320 bytes
//! (10 ms at 16 kHz, 20 ms at 8 kHz), at most 100 KiB; Exotel recommends at
//! least 3 200 bytes (100 ms at 8 kHz). [`Chunker`] turns audio of any length
//! into such chunks; [`encode_media`] refuses other sizes.
//!
//! Exotel's documentation and its own sample code disagree on small details
//! (numbers as strings or numbers, `stream_sid` or `streamSid`, fields present
//! or not), so this decoder is lenient: it accepts both spellings and both
//! number forms, and requires only what a call cannot do without — the
//! stream id and call id in `start`, the payload of `media`, the digit of
//! `dtmf`, the name of `mark`. Unknown events decode to [`Inbound::Unknown`].
//! Encoders write the documented snake_case form.
//!
//! This module does no I/O and does not resample audio.
//!
//! Wire format: <https://developer.exotel.com/docs/agentstream/websocket-protocol>
//! and <https://developer.exotel.com/docs/agentstream/stream-voicebot-applet>.

use std::fmt;

use crate::wire::{self, id_newtype, json_object, AudioLen, Obj};
pub use crate::wire::{CustomParameters, PhoneNumber, Track};
use crate::Error;

/// The largest text frame [`decode`] accepts. Exotel's frames carry about
/// 100 ms of audio (4–13 KB of base64, depending on the sample rate).
pub const MAX_FRAME_BYTES: usize = 256 * 1024;

/// Every outbound audio chunk must be a multiple of this many bytes.
pub const CHUNK_MULTIPLE_BYTES: usize = 320;

/// The smallest chunk Exotel recommends: 100 ms of PCM16 at 8 kHz.
pub const MIN_RECOMMENDED_CHUNK_BYTES: usize = 3_200;

/// The largest outbound chunk: 100 KiB (a multiple of 320). Larger chunks
/// time out at Exotel.
pub const MAX_CHUNK_BYTES: usize = 102_400;

/// The sample rate Exotel uses when the stream URL does not ask for another
/// (`?sample-rate=16000` or `24000`).
pub const DEFAULT_SAMPLE_RATE_HZ: u32 = 8_000;

id_newtype!(
    /// The id of one Exotel stream.
    StreamSid
);
id_newtype!(
    /// The id of an Exotel call.
    CallSid
);

/// A message from Exotel.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Inbound {
    /// The WebSocket is open.
    Connected(Connected),
    /// The stream's metadata; sent once.
    Start(Start),
    /// A chunk of caller audio.
    Media(Media),
    /// The caller pressed a key (Voicebot only).
    Dtmf(Dtmf),
    /// Audio sent before our mark of this name has played (Voicebot only).
    Mark(Mark),
    /// Exotel dropped queued audio (echo of our `clear`).
    Clear(Clear),
    /// The stream ended.
    Stop(Stop),
    /// An event this crate does not know; safe to ignore.
    Unknown {
        /// The `event` field as sent.
        event: String,
    },
}

/// The `connected` message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Connected {
    /// The protocol's name, when sent.
    pub protocol: Option<String>,
    /// The protocol's version, when sent.
    pub version: Option<String>,
}

/// The `start` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Start {
    /// Position of this message in the stream, when sent.
    pub sequence_number: Option<u64>,
    /// The stream.
    pub stream_sid: StreamSid,
    /// The call.
    pub call_sid: CallSid,
    /// The Exotel account, when sent.
    pub account_sid: Option<String>,
    /// The calling number, when sent.
    pub from: Option<PhoneNumber>,
    /// The called number (the ExoPhone), when sent.
    pub to: Option<PhoneNumber>,
    /// Query parameters of the applet's URL.
    pub custom_parameters: CustomParameters,
    /// The audio format of `media` payloads.
    pub media_format: MediaFormat,
}

/// The audio format announced in `start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFormat {
    /// `"audio/x-raw"` (PCM16 little-endian) in Exotel's documentation.
    pub encoding: String,
    /// 8000 unless the stream URL asked for 16000 or 24000.
    pub sample_rate_hz: u32,
    /// Exotel's `bit_rate`, in practice the bits per sample (16), when sent.
    pub bit_rate: Option<u32>,
}

impl Default for MediaFormat {
    fn default() -> Self {
        Self {
            encoding: "audio/x-raw".to_owned(),
            sample_rate_hz: DEFAULT_SAMPLE_RATE_HZ,
            bit_rate: Some(16),
        }
    }
}

/// The `media` message: caller audio.
#[derive(Clone, PartialEq, Eq)]
pub struct Media {
    /// Position of this message in the stream, when sent.
    pub sequence_number: Option<u64>,
    /// The stream, when sent.
    pub stream_sid: Option<StreamSid>,
    /// The track, when the stream carries both.
    pub track: Option<Track>,
    /// Position of this chunk, when sent.
    pub chunk: Option<u64>,
    /// Exotel's timestamp in milliseconds, when sent.
    pub timestamp_ms: Option<u64>,
    /// PCM16 little-endian mono samples at the stream's sample rate.
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

/// The `dtmf` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dtmf {
    /// Position of this message in the stream, when sent.
    pub sequence_number: Option<u64>,
    /// The stream, when sent.
    pub stream_sid: Option<StreamSid>,
    /// The key.
    pub digit: char,
    /// How long the key was held, in milliseconds, when sent.
    pub duration_ms: Option<u64>,
}

/// The `mark` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// Position of this message in the stream, when sent.
    pub sequence_number: Option<u64>,
    /// The stream, when sent.
    pub stream_sid: Option<StreamSid>,
    /// The name we gave the mark.
    pub name: String,
}

/// The `clear` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clear {
    /// Position of this message in the stream, when sent.
    pub sequence_number: Option<u64>,
    /// The stream, when sent.
    pub stream_sid: Option<StreamSid>,
}

/// The `stop` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    /// Position of this message in the stream, when sent.
    pub sequence_number: Option<u64>,
    /// The stream, when sent.
    pub stream_sid: Option<StreamSid>,
    /// The call, when sent.
    pub call_sid: Option<CallSid>,
    /// The account, when sent.
    pub account_sid: Option<String>,
    /// Why the stream stopped (`stopped`, `callended`, …), when sent.
    pub reason: Option<String>,
}

// Accepted spellings, documented one first.
const SEQUENCE_NUMBER: &[&str] = &["sequence_number", "sequenceNumber"];
const STREAM_SID: &[&str] = &["stream_sid", "streamSid"];
const CALL_SID: &[&str] = &["call_sid", "callSid"];
const ACCOUNT_SID: &[&str] = &["account_sid", "accountSid"];

fn opt_stream_sid(obj: &Obj<'_>) -> Result<Option<StreamSid>, Error> {
    Ok(obj.opt_str(STREAM_SID)?.map(StreamSid::from))
}

impl Inbound {
    /// The message as Exotel writes it (snake_case, counters as strings),
    /// for fake Exotel peers. [`decode`] of the result gives back `self`.
    pub fn to_json(&self) -> String {
        match self {
            Self::Connected(m) => json_object(|o| {
                o.str("event", "connected")
                    .opt_str("protocol", m.protocol.as_deref())
                    .opt_str("version", m.version.as_deref());
            }),
            Self::Start(m) => json_object(|o| {
                o.str("event", "start")
                    .opt_num_str("sequence_number", m.sequence_number)
                    .str("stream_sid", m.stream_sid.as_str())
                    .object("start", |s| {
                        s.str("stream_sid", m.stream_sid.as_str())
                            .str("call_sid", m.call_sid.as_str())
                            .opt_str("account_sid", m.account_sid.as_deref())
                            .opt_str("from", m.from.as_ref().map(PhoneNumber::as_str))
                            .opt_str("to", m.to.as_ref().map(PhoneNumber::as_str))
                            .str_map("custom_parameters", m.custom_parameters.iter())
                            .object("media_format", |f| {
                                f.str("encoding", &m.media_format.encoding)
                                    .num_str(
                                        "sample_rate",
                                        u64::from(m.media_format.sample_rate_hz),
                                    )
                                    .opt_num_str(
                                        "bit_rate",
                                        m.media_format.bit_rate.map(u64::from),
                                    );
                            });
                    });
            }),
            Self::Media(m) => json_object(|o| {
                o.str("event", "media")
                    .opt_num_str("sequence_number", m.sequence_number)
                    .opt_str("stream_sid", m.stream_sid.as_ref().map(StreamSid::as_str))
                    .object("media", |media| {
                        media
                            .opt_str("track", m.track.as_ref().map(Track::as_str))
                            .opt_num_str("chunk", m.chunk)
                            .opt_num_str("timestamp", m.timestamp_ms)
                            .base64("payload", &m.payload);
                    });
            }),
            Self::Dtmf(m) => json_object(|o| {
                let mut digit = [0u8; 4];
                o.str("event", "dtmf")
                    .opt_num_str("sequence_number", m.sequence_number)
                    .opt_str("stream_sid", m.stream_sid.as_ref().map(StreamSid::as_str))
                    .object("dtmf", |d| {
                        d.str("digit", m.digit.encode_utf8(&mut digit))
                            .opt_num_str("duration", m.duration_ms);
                    });
            }),
            Self::Mark(m) => json_object(|o| {
                o.str("event", "mark")
                    .opt_num_str("sequence_number", m.sequence_number)
                    .opt_str("stream_sid", m.stream_sid.as_ref().map(StreamSid::as_str))
                    .object("mark", |k| {
                        k.str("name", &m.name);
                    });
            }),
            Self::Clear(m) => json_object(|o| {
                o.str("event", "clear")
                    .opt_num_str("sequence_number", m.sequence_number)
                    .opt_str("stream_sid", m.stream_sid.as_ref().map(StreamSid::as_str));
            }),
            Self::Stop(m) => json_object(|o| {
                o.str("event", "stop")
                    .opt_num_str("sequence_number", m.sequence_number)
                    .opt_str("stream_sid", m.stream_sid.as_ref().map(StreamSid::as_str))
                    .object("stop", |s| {
                        s.opt_str("call_sid", m.call_sid.as_ref().map(CallSid::as_str))
                            .opt_str("account_sid", m.account_sid.as_deref())
                            .opt_str("reason", m.reason.as_deref());
                    });
            }),
            Self::Unknown { event } => json_object(|o| {
                o.str("event", event);
            }),
        }
    }
}

/// Decodes one text frame from Exotel, refusing frames over [`MAX_FRAME_BYTES`].
pub fn decode(text: &str) -> Result<Inbound, Error> {
    decode_with_limit(text, MAX_FRAME_BYTES)
}

/// Decodes one text frame from Exotel, refusing frames over `max_frame_bytes`.
pub fn decode_with_limit(text: &str, max_frame_bytes: usize) -> Result<Inbound, Error> {
    let frame = wire::parse_frame(text, max_frame_bytes)?;
    let root = frame.obj();
    // Read lazily so that an unknown event never fails on a field it may
    // spell differently.
    let sequence_number = || root.opt_u64(SEQUENCE_NUMBER);
    let message = match frame.event.as_str() {
        "connected" => Inbound::Connected(Connected {
            protocol: root.opt_str(&["protocol"])?.map(str::to_owned),
            version: root.opt_str(&["version"])?.map(str::to_owned),
        }),
        "start" => {
            let start = root.obj(&["start"], "start")?;
            let stream_sid = match start.opt_str(STREAM_SID)? {
                Some(sid) => sid,
                None => root
                    .opt_str(STREAM_SID)?
                    .ok_or_else(|| start.missing(STREAM_SID))?,
            };
            let media_format = match start
                .opt_obj(&["media_format", "mediaFormat"], "start.media_format")?
            {
                None => MediaFormat::default(),
                Some(format) => {
                    let sample_rate = &["sample_rate", "sampleRate"];
                    let bit_rate = &["bit_rate", "bitRate"];
                    MediaFormat {
                        encoding: format
                            .opt_str(&["encoding"])?
                            .unwrap_or("audio/x-raw")
                            .to_owned(),
                        sample_rate_hz: format
                            .fit_u32(sample_rate, format.opt_u64_with_unit(sample_rate)?)?
                            .unwrap_or(DEFAULT_SAMPLE_RATE_HZ),
                        bit_rate: format.fit_u32(bit_rate, format.opt_u64_with_unit(bit_rate)?)?,
                    }
                }
            };
            Inbound::Start(Start {
                sequence_number: sequence_number()?,
                stream_sid: StreamSid::from(stream_sid),
                call_sid: CallSid::from(start.str(CALL_SID)?),
                account_sid: start.opt_str(ACCOUNT_SID)?.map(str::to_owned),
                from: start.opt_str(&["from"])?.map(PhoneNumber::new),
                to: start.opt_str(&["to"])?.map(PhoneNumber::new),
                custom_parameters: start.params(&["custom_parameters", "customParameters"])?,
                media_format,
            })
        }
        "media" => {
            let media = root.obj(&["media"], "media")?;
            Inbound::Media(Media {
                sequence_number: sequence_number()?,
                stream_sid: opt_stream_sid(&root)?,
                track: media.opt_str(&["track"])?.map(Track::parse),
                chunk: media.opt_u64(&["chunk"])?,
                timestamp_ms: media.opt_u64(&["timestamp"])?,
                payload: media.base64(&["payload"])?,
            })
        }
        "dtmf" => {
            let dtmf = root.obj(&["dtmf"], "dtmf")?;
            Inbound::Dtmf(Dtmf {
                sequence_number: sequence_number()?,
                stream_sid: opt_stream_sid(&root)?,
                digit: dtmf.char(&["digit"])?,
                duration_ms: dtmf.opt_u64_with_unit(&["duration"])?,
            })
        }
        "mark" => Inbound::Mark(Mark {
            sequence_number: sequence_number()?,
            stream_sid: opt_stream_sid(&root)?,
            name: root.obj(&["mark"], "mark")?.str(&["name"])?.to_owned(),
        }),
        "clear" => Inbound::Clear(Clear {
            sequence_number: sequence_number()?,
            stream_sid: opt_stream_sid(&root)?,
        }),
        "stop" => {
            let stop = root.opt_obj(&["stop"], "stop")?;
            let field = |names: &[&'static str]| -> Result<Option<String>, Error> {
                Ok(match stop {
                    Some(stop) => stop.opt_str(names)?.map(str::to_owned),
                    None => None,
                })
            };
            Inbound::Stop(Stop {
                sequence_number: sequence_number()?,
                stream_sid: opt_stream_sid(&root)?,
                call_sid: field(CALL_SID)?.map(CallSid::from),
                account_sid: field(ACCOUNT_SID)?,
                reason: field(&["reason"])?,
            })
        }
        _ => Inbound::Unknown {
            event: frame.event.clone(),
        },
    };
    Ok(message)
}

/// A message to Exotel (Voicebot applet only).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outbound {
    /// Audio to play to the caller, queued after earlier audio.
    Media {
        /// The stream.
        stream_sid: StreamSid,
        /// PCM16 little-endian mono at the stream's sample rate.
        payload: Vec<u8>,
    },
    /// Ask Exotel to send back a `mark` of this name once the audio queued
    /// before it has played.
    Mark {
        /// The stream.
        stream_sid: StreamSid,
        /// The mark's name.
        name: String,
    },
    /// Drop all queued audio now (barge-in).
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
    /// The message's text. Unlike [`encode_media`], this does not check the
    /// audio chunk's size.
    pub fn to_json(&self) -> String {
        match self {
            Self::Media {
                stream_sid,
                payload,
            } => media_json(stream_sid, payload),
            Self::Mark { stream_sid, name } => encode_mark(stream_sid, name),
            Self::Clear { stream_sid } => encode_clear(stream_sid),
        }
    }
}

/// Whether Exotel accepts an outbound chunk of `len` bytes: a positive
/// multiple of [`CHUNK_MULTIPLE_BYTES`] up to [`MAX_CHUNK_BYTES`].
pub fn is_valid_chunk_len(len: usize) -> bool {
    len > 0 && len.is_multiple_of(CHUNK_MULTIPLE_BYTES) && len <= MAX_CHUNK_BYTES
}

fn chunk_size_error(len: usize) -> Error {
    Error::InvalidChunkSize {
        len,
        multiple: CHUNK_MULTIPLE_BYTES,
        max: MAX_CHUNK_BYTES,
    }
}

fn media_json(stream_sid: &StreamSid, pcm16le: &[u8]) -> String {
    json_object(|o| {
        o.str("event", "media")
            .str("stream_sid", stream_sid.as_str())
            .object("media", |m| {
                m.base64("payload", pcm16le);
            });
    })
}

/// `{"event":"media","stream_sid":…,"media":{"payload":<base64 PCM16>}}`.
///
/// Refuses chunks Exotel would play badly: see [`is_valid_chunk_len`]; use a
/// [`Chunker`] to get valid ones.
pub fn encode_media(stream_sid: &StreamSid, pcm16le: &[u8]) -> Result<String, Error> {
    if !is_valid_chunk_len(pcm16le.len()) {
        return Err(chunk_size_error(pcm16le.len()));
    }
    Ok(media_json(stream_sid, pcm16le))
}

/// `{"event":"mark","stream_sid":…,"mark":{"name":…}}`.
pub fn encode_mark(stream_sid: &StreamSid, name: &str) -> String {
    json_object(|o| {
        o.str("event", "mark")
            .str("stream_sid", stream_sid.as_str())
            .object("mark", |m| {
                m.str("name", name);
            });
    })
}

/// `{"event":"clear","stream_sid":…}`.
pub fn encode_clear(stream_sid: &StreamSid) -> String {
    json_object(|o| {
        o.str("event", "clear")
            .str("stream_sid", stream_sid.as_str());
    })
}

/// Decodes a message meant for Exotel (what a fake Exotel peer receives).
/// Accepts `streamSid` as well as `stream_sid`; refuses unknown events.
pub fn decode_outbound(text: &str) -> Result<Outbound, Error> {
    let frame = wire::parse_frame(text, MAX_FRAME_BYTES)?;
    let root = frame.obj();
    let stream_sid = || root.str(STREAM_SID).map(StreamSid::from);
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

/// Cuts outbound PCM16 into chunks Exotel accepts.
///
/// Push audio of any length; take full chunks with [`Chunker::poll_chunk`];
/// at the end of an utterance, [`Chunker::finish`] returns the rest padded
/// with silence to the next multiple of 320 bytes (at most 19 ms at 8 kHz).
/// On barge-in, [`Chunker::clear`] drops what is pending.
///
/// ```
/// use awaaz_telephony::exotel::Chunker;
///
/// let mut chunker = Chunker::default(); // 3 200-byte chunks
/// chunker.push(&vec![1u8; 7_000]);
/// assert_eq!(chunker.poll_chunk().map(|c| c.len()), Some(3_200));
/// assert_eq!(chunker.poll_chunk().map(|c| c.len()), Some(3_200));
/// assert_eq!(chunker.poll_chunk(), None); // 600 bytes wait for more audio
/// assert_eq!(chunker.finish().map(|c| c.len()), Some(640)); // padded with silence
/// ```
#[derive(Clone)]
pub struct Chunker {
    chunk_bytes: usize,
    pending: Vec<u8>,
}

impl fmt::Debug for Chunker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chunker")
            .field("chunk_bytes", &self.chunk_bytes)
            .field("pending", &AudioLen(&self.pending))
            .finish()
    }
}

impl Default for Chunker {
    /// Chunks of [`MIN_RECOMMENDED_CHUNK_BYTES`] (100 ms at 8 kHz).
    fn default() -> Self {
        Self {
            chunk_bytes: MIN_RECOMMENDED_CHUNK_BYTES,
            pending: Vec::new(),
        }
    }
}

impl Chunker {
    /// A chunker producing chunks of `chunk_bytes`, which must be a valid
    /// chunk size (see [`is_valid_chunk_len`]).
    pub fn new(chunk_bytes: usize) -> Result<Self, Error> {
        if !is_valid_chunk_len(chunk_bytes) {
            return Err(chunk_size_error(chunk_bytes));
        }
        Ok(Self {
            chunk_bytes,
            pending: Vec::new(),
        })
    }

    /// The size of full chunks.
    pub fn chunk_bytes(&self) -> usize {
        self.chunk_bytes
    }

    /// Adds audio (PCM16 little-endian; an odd byte waits for its pair).
    pub fn push(&mut self, pcm16le: &[u8]) {
        self.pending.extend_from_slice(pcm16le);
    }

    /// A full chunk, if enough audio is pending.
    pub fn poll_chunk(&mut self) -> Option<Vec<u8>> {
        if self.pending.len() < self.chunk_bytes {
            return None;
        }
        let rest = self.pending.split_off(self.chunk_bytes);
        Some(std::mem::replace(&mut self.pending, rest))
    }

    /// Whatever is pending, as chunks: full ones, then the remainder padded
    /// with silence (zero bytes) to a multiple of 320 bytes. `None` when
    /// nothing is pending. Call [`Chunker::poll_chunk`] first for full chunks;
    /// this returns one chunk at most, of up to `chunk_bytes`.
    pub fn finish(&mut self) -> Option<Vec<u8>> {
        if let Some(chunk) = self.poll_chunk() {
            return Some(chunk);
        }
        if self.pending.is_empty() {
            return None;
        }
        let padded = self.pending.len().div_ceil(CHUNK_MULTIPLE_BYTES) * CHUNK_MULTIPLE_BYTES;
        let mut chunk = std::mem::take(&mut self.pending);
        chunk.resize(padded, 0);
        Some(chunk)
    }

    /// Drops pending audio (barge-in).
    pub fn clear(&mut self) {
        self.pending.clear();
    }

    /// Bytes waiting for a full chunk.
    pub fn pending_bytes(&self) -> usize {
        self.pending.len()
    }
}

/// Cuts a whole utterance into valid chunks of at most `chunk_bytes`, the
/// last one padded with silence.
pub fn chunk_utterance(pcm16le: &[u8], chunk_bytes: usize) -> Result<Vec<Vec<u8>>, Error> {
    let mut chunker = Chunker::new(chunk_bytes)?;
    chunker.push(pcm16le);
    let mut chunks = Vec::with_capacity(pcm16le.len() / chunk_bytes + 1);
    while let Some(chunk) = chunker.finish() {
        chunks.push(chunk);
    }
    Ok(chunks)
}

/// The basic-auth credentials a Voicebot applet's stream URL carries.
///
/// Exotel authenticates its streams either by IP allow-listing (arranged
/// with Exotel) or by credentials in the URL the applet is configured with,
/// `wss://user:password@host/path`, which Exotel sends on the WebSocket
/// upgrade as `Authorization: Basic base64(user:password)`. This checks
/// that header; comparison is constant-time. `Debug` does not show the
/// password.
#[derive(Clone)]
pub struct StreamAuth {
    expected: String,
}

impl fmt::Debug for StreamAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamAuth").finish_non_exhaustive()
    }
}

impl StreamAuth {
    /// Credentials `user` (which cannot contain `:`) and `password`.
    pub fn new(user: &str, password: &str) -> Self {
        Self {
            expected: format!("{user}:{password}"),
        }
    }

    /// Checks an `Authorization` header value (`None`: no header).
    ///
    /// # Errors
    /// [`Error::CredentialsMissing`] without a `Basic` header (or with one
    /// that is not base64 of UTF-8), [`Error::CredentialsMismatch`] when the
    /// credentials differ.
    pub fn check(&self, authorization: Option<&str>) -> Result<(), Error> {
        use base64::Engine as _;
        use subtle::ConstantTimeEq as _;
        let encoded = authorization
            .map(str::trim)
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
            .map(|(_, creds)| creds.trim())
            .ok_or(Error::CredentialsMissing)?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| Error::CredentialsMissing)?;
        if bool::from(decoded.ct_eq(self.expected.as_bytes())) {
            Ok(())
        } else {
            Err(Error::CredentialsMismatch)
        }
    }

    /// The `Authorization` header value for these credentials (what Exotel
    /// sends; for tests and clients).
    pub fn header_value(&self) -> String {
        use base64::Engine as _;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(&self.expected)
        )
    }
}
