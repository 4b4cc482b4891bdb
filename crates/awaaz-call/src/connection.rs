//! The caller's side of a call, whatever carries it (browser WebSocket,
//! Twilio, Exotel, Plivo, a simulated caller).
//!
//! A transport adapter holds a [`CallerEndpoint`]; the call holds the
//! matching [`CallerConnection`]. Both are bounded channel pairs:
//!
//! ```text
//!  transport ── endpoint.send(CallerEvent::Audio / Mark / Dtmf / HungUp) ──▶ call
//!  transport ◀── endpoint.recv(): CallerCommand::Play / Mark / Clear / HangUp / Transfer ── call
//! ```
//!
//! Audio both ways is [`AudioChunk`] (PCM16 mono 16 kHz); the adapter
//! converts at its edge (μ-law 8 kHz for phone lines, 24/48 kHz for browsers).
//! Phone adapters may instead pass the line's own μ-law bytes both ways
//! ([`CallerEvent::LineAudio`], [`CallerCommand::PlayLine`]), so that an
//! engine speaking μ-law (the realtime engine) never transcodes.
//! Outbound audio arrives already paced in 20 ms frames, each clause followed
//! by a [`CallerCommand::Mark`]; an adapter that can learn when audio really
//! played (Twilio `mark` echoes, a browser's playback callback) answers each
//! mark with [`CallerEvent::Mark`] so the call knows what the caller heard.

use awaaz_audio::AudioChunk;
use tokio::sync::{mpsc, watch};

use crate::core::Phase;

/// Something the caller's side did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallerEvent {
    /// Caller audio, 16 kHz mono, any length (20 ms is typical).
    Audio(AudioChunk),
    /// Caller audio exactly as a phone carrier sent it: G.711 μ-law, 8 kHz
    /// mono, any length (160 bytes = 20 ms is typical). Phone transports may
    /// send this instead of [`CallerEvent::Audio`]: the realtime engine
    /// passes it to the model untouched, the cascade converts it to 16 kHz.
    LineAudio(Vec<u8>),
    /// A mark sent with [`CallerCommand::Mark`] has played.
    Mark(String),
    /// The caller pressed a key.
    Dtmf(char),
    /// The caller (or the carrier) hung up.
    HungUp,
}

/// Something the call asks the caller's side to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallerCommand {
    /// Play this audio (one 20 ms frame, paced by the call).
    Play(AudioChunk),
    /// Play this G.711 μ-law 8 kHz audio as is (one 20 ms frame of 160
    /// bytes, the last frame of an utterance may be shorter; paced by the
    /// call). The realtime engine sends this on phone channels (Twilio,
    /// Exotel, Plivo) so the model's audio reaches the line without
    /// transcoding; phone transports must accept it.
    PlayLine(Vec<u8>),
    /// Echo this name back as [`CallerEvent::Mark`] once everything sent
    /// before it has played.
    Mark(String),
    /// Drop all audio queued for playing (the caller barged in).
    Clear,
    /// End the call.
    HangUp,
    /// Hand the caller to a person.
    Transfer {
        /// Why (for the carrier's records; no personal data).
        reason: String,
    },
}

/// The call's half: events in, commands out.
#[derive(Debug)]
pub struct CallerConnection {
    pub(crate) events: mpsc::Receiver<CallerEvent>,
    pub(crate) commands: mpsc::Sender<CallerCommand>,
    pub(crate) phase: watch::Sender<Phase>,
}

/// The transport's half: send caller events, receive call commands.
#[derive(Debug)]
pub struct CallerEndpoint {
    events: mpsc::Sender<CallerEvent>,
    commands: mpsc::Receiver<CallerCommand>,
    phase: watch::Receiver<Phase>,
}

/// Why an endpoint could not deliver an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the call has ended")]
pub struct CallEnded;

impl CallerEndpoint {
    /// Delivers an event, waiting if the call is behind.
    pub async fn send(&self, event: CallerEvent) -> Result<(), CallEnded> {
        self.events.send(event).await.map_err(|_| CallEnded)
    }

    /// Delivers an event without waiting; `Ok(false)` when the call is
    /// behind and the event was dropped (audio from a real-time source
    /// should be dropped rather than delay the source).
    pub fn try_send(&self, event: CallerEvent) -> Result<bool, CallEnded> {
        match self.events.try_send(event) {
            Ok(()) => Ok(true),
            Err(mpsc::error::TrySendError::Full(_)) => Ok(false),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(CallEnded),
        }
    }

    /// The next command; `None` once the call is over and every command was
    /// received.
    pub async fn recv(&mut self) -> Option<CallerCommand> {
        self.commands.recv().await
    }

    /// A handle that sends events; the transport may give it to a separate
    /// reader task while this endpoint stays with the writer.
    pub fn event_sender(&self) -> CallerEventSender {
        CallerEventSender(self.events.clone())
    }

    /// Where the conversation is (listening, caller speaking, thinking, bot
    /// speaking, ended), for transports and UIs that show it.
    pub fn phase(&self) -> watch::Receiver<Phase> {
        self.phase.clone()
    }
}

/// A cloneable sender of caller events (see [`CallerEndpoint::event_sender`]).
#[derive(Debug, Clone)]
pub struct CallerEventSender(mpsc::Sender<CallerEvent>);

impl CallerEventSender {
    /// Delivers an event, waiting if the call is behind.
    pub async fn send(&self, event: CallerEvent) -> Result<(), CallEnded> {
        self.0.send(event).await.map_err(|_| CallEnded)
    }

    /// Delivers an event without waiting; `Ok(false)` if it was dropped.
    pub fn try_send(&self, event: CallerEvent) -> Result<bool, CallEnded> {
        match self.0.try_send(event) {
            Ok(()) => Ok(true),
            Err(mpsc::error::TrySendError::Full(_)) => Ok(false),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(CallEnded),
        }
    }
}

/// A connected pair with room for `capacity` messages each way (at least 1).
pub fn connection_pair(capacity: usize) -> (CallerConnection, CallerEndpoint) {
    let capacity = capacity.max(1);
    let (event_tx, event_rx) = mpsc::channel(capacity);
    let (command_tx, command_rx) = mpsc::channel(capacity);
    let (phase_tx, phase_rx) = watch::channel(Phase::Thinking);
    (
        CallerConnection {
            events: event_rx,
            commands: command_tx,
            phase: phase_tx,
        },
        CallerEndpoint {
            events: event_tx,
            commands: command_rx,
            phase: phase_rx,
        },
    )
}
