//! Audio between the caller and the model session, sans-I/O: which session
//! format a call uses, the conversions at each end (none for phone lines),
//! and cutting the model's audio into 20 ms frames for the caller.

use awaaz_audio::{g711, Resampler, SAMPLE_RATE_HZ};
use awaaz_realtime::AudioFormat;
use awaaz_store::Channel;

use crate::connection::CallerCommand;

/// Microseconds per μ-law byte (8 kHz).
const LINE_US_PER_BYTE: u64 = 125;
/// One 20 ms frame of μ-law.
pub(crate) const LINE_FRAME_BYTES: usize = 160;
/// One 20 ms frame of PCM16 at 16 kHz.
const PCM_FRAME_SAMPLES: usize = SAMPLE_RATE_HZ as usize / 50;

/// How audio flows in one realtime call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AudioPath {
    /// A phone line: G.711 μ-law 8 kHz both ways and a session in
    /// `audio/pcmu`, so the carrier's bytes pass through untouched.
    Line,
    /// A PCM caller (browser): PCM16 16 kHz on the caller's side, a session
    /// in `audio/pcm` 24 kHz, resampled at both ends.
    Pcm,
}

impl AudioPath {
    /// Phone channels use the line path, everything else PCM.
    pub(crate) fn for_channel(channel: Channel) -> Self {
        match channel {
            Channel::Twilio | Channel::Exotel | Channel::Plivo => Self::Line,
            _ => Self::Pcm,
        }
    }

    /// The session's input and output format.
    pub(crate) fn format(self) -> AudioFormat {
        match self {
            Self::Line => AudioFormat::Pcmu,
            Self::Pcm => AudioFormat::pcm24k(),
        }
    }

    /// The duration of `bytes` bytes of the session format, in µs.
    pub(crate) fn model_us(self, bytes: u64) -> u64 {
        match self {
            Self::Line => bytes * LINE_US_PER_BYTE,
            // 24 kHz, 2 bytes a sample: 125/3 µs per sample.
            Self::Pcm => (bytes / 2) * 125 / 3,
        }
    }
}

/// Caller audio → the session's input format.
#[derive(Debug)]
pub(crate) struct InboundAudio {
    path: AudioPath,
    /// PCM path: 16 kHz caller → 24 kHz session.
    pcm_up: Option<Resampler>,
    /// PCM path, line audio arriving anyway: 8 kHz → 24 kHz.
    line_up: Option<Resampler>,
    /// Line path, PCM arriving anyway: 16 kHz → 8 kHz.
    pcm_down: Option<Resampler>,
}

impl InboundAudio {
    pub(crate) fn new(path: AudioPath) -> Self {
        Self {
            path,
            pcm_up: None,
            line_up: None,
            pcm_down: None,
        }
    }

    /// μ-law 8 kHz from the line.
    pub(crate) fn line(&mut self, mulaw: Vec<u8>) -> Vec<u8> {
        match self.path {
            AudioPath::Line => mulaw,
            AudioPath::Pcm => {
                let pcm = g711::ulaw_decode(&mulaw);
                let up = resampler(&mut self.line_up, 8_000, 24_000).process(&pcm);
                le_bytes(&up)
            }
        }
    }

    /// PCM16 16 kHz from a PCM caller.
    pub(crate) fn pcm(&mut self, samples: &[i16]) -> Vec<u8> {
        match self.path {
            AudioPath::Line => {
                let down = resampler(&mut self.pcm_down, SAMPLE_RATE_HZ, 8_000).process(samples);
                g711::ulaw_encode(&down)
            }
            AudioPath::Pcm => {
                let up = resampler(&mut self.pcm_up, SAMPLE_RATE_HZ, 24_000).process(samples);
                le_bytes(&up)
            }
        }
    }
}

fn resampler(slot: &mut Option<Resampler>, from_hz: u32, to_hz: u32) -> &mut Resampler {
    slot.get_or_insert_with(|| {
        // Every rate pair used here (8/16/24 kHz) is supported.
        Resampler::new(from_hz, to_hz).unwrap_or_else(|_| unreachable!("8/16/24 kHz pairs"))
    })
}

fn le_bytes(samples: &[i16]) -> Vec<u8> {
    let mut out = Vec::with_capacity(samples.len() * 2);
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// One frame for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Frame {
    /// μ-law 8 kHz, for [`CallerCommand::PlayLine`].
    Line(Vec<u8>),
    /// PCM16 16 kHz, for [`CallerCommand::Play`].
    Pcm(Vec<i16>),
}

impl Frame {
    /// How long the frame plays, in µs.
    pub(crate) fn duration_us(&self) -> u64 {
        match self {
            Self::Line(bytes) => bytes.len() as u64 * LINE_US_PER_BYTE,
            // 16 kHz: 62.5 µs a sample.
            Self::Pcm(samples) => samples.len() as u64 * 125 / 2,
        }
    }

    pub(crate) fn into_command(self) -> CallerCommand {
        match self {
            Self::Line(bytes) => CallerCommand::PlayLine(bytes),
            Self::Pcm(samples) => CallerCommand::Play(awaaz_audio::AudioChunk::new(samples)),
        }
    }
}

/// The model's audio → 20 ms frames in the caller's format. Audio that does
/// not fill a frame waits for the next delta of the same item, or for
/// [`OutboundAudio::finish`] at the item's end.
#[derive(Debug)]
pub(crate) struct OutboundAudio {
    path: AudioPath,
    line: Vec<u8>,
    pcm: Vec<i16>,
    /// PCM path: an odd byte left over from a delta.
    odd_byte: Option<u8>,
    down: Option<Resampler>,
}

impl OutboundAudio {
    pub(crate) fn new(path: AudioPath) -> Self {
        Self {
            path,
            line: Vec::new(),
            pcm: Vec::new(),
            odd_byte: None,
            down: None,
        }
    }

    /// Frames ready after a delta of the session's output format.
    pub(crate) fn push(&mut self, audio: &[u8]) -> Vec<Frame> {
        match self.path {
            AudioPath::Line => {
                self.line.extend_from_slice(audio);
                let whole = self.line.len() / LINE_FRAME_BYTES * LINE_FRAME_BYTES;
                let rest = self.line.split_off(whole);
                let frames = self
                    .line
                    .chunks(LINE_FRAME_BYTES)
                    .map(|c| Frame::Line(c.to_vec()))
                    .collect();
                self.line = rest;
                frames
            }
            AudioPath::Pcm => {
                let mut bytes = Vec::with_capacity(audio.len() + 1);
                bytes.extend(self.odd_byte.take());
                bytes.extend_from_slice(audio);
                if bytes.len() % 2 == 1 {
                    self.odd_byte = bytes.pop();
                }
                let samples: Vec<i16> = bytes
                    .chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]]))
                    .collect();
                let down = resampler(&mut self.down, 24_000, SAMPLE_RATE_HZ).process(&samples);
                self.pcm.extend_from_slice(&down);
                self.take_pcm_frames(false)
            }
        }
    }

    /// The item's audio is complete: whatever is left, as a last (short)
    /// frame.
    pub(crate) fn finish(&mut self) -> Vec<Frame> {
        match self.path {
            AudioPath::Line => {
                if self.line.is_empty() {
                    Vec::new()
                } else {
                    vec![Frame::Line(std::mem::take(&mut self.line))]
                }
            }
            AudioPath::Pcm => {
                self.odd_byte = None;
                if let Some(down) = self.down.as_mut() {
                    let tail = down.flush();
                    self.pcm.extend_from_slice(&tail);
                }
                self.take_pcm_frames(true)
            }
        }
    }

    /// Forgets audio not yet framed (the item was cut).
    pub(crate) fn reset(&mut self) {
        self.line.clear();
        self.pcm.clear();
        self.odd_byte = None;
        if let Some(down) = self.down.as_mut() {
            down.reset();
        }
    }

    fn take_pcm_frames(&mut self, all: bool) -> Vec<Frame> {
        let whole = if all {
            self.pcm.len()
        } else {
            self.pcm.len() / PCM_FRAME_SAMPLES * PCM_FRAME_SAMPLES
        };
        let rest = self.pcm.split_off(whole);
        let frames = self
            .pcm
            .chunks(PCM_FRAME_SAMPLES)
            .map(|c| Frame::Pcm(c.to_vec()))
            .collect();
        self.pcm = rest;
        frames
    }
}
