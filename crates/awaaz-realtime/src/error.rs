//! The crate's one error type.

use std::time::Duration;

/// A boxed cause from a lower layer (socket, TLS, WebSocket library).
///
/// Boxed so that this crate's public API never names the WebSocket library's
/// types: the client can change transport without breaking callers.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong in this crate: decoding events, and (with the
/// `client` feature) connecting to and talking with a Realtime server.
///
/// Messages never contain audio, transcripts or the API key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RealtimeError {
    /// A server event could not be decoded. `event_type` is the event's
    /// `type` when the JSON had one.
    #[error("could not decode server event (type {event_type:?})")]
    Decode {
        /// The event's `type` field, if it could be read.
        event_type: Option<String>,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
    /// A client event could not be encoded as JSON.
    #[error("could not encode client event {event_type}")]
    Encode {
        /// The event's `type`.
        event_type: &'static str,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
    /// Base64 audio could not be decoded.
    #[error("invalid base64 audio")]
    Base64 {
        /// What the base64 decoder said.
        #[source]
        source: base64::DecodeError,
    },
    /// The configured URL is not a valid `ws://` or `wss://` URL.
    #[error("invalid realtime url: {reason}")]
    InvalidUrl {
        /// Why it was rejected.
        reason: String,
    },
    /// A configured header name or value cannot be sent.
    #[error("invalid value for header {name}")]
    InvalidHeader {
        /// The header's name (never its value, which may be a secret).
        name: String,
    },
    /// The TCP, TLS or WebSocket connection could not be set up.
    #[error("could not connect to {host}")]
    Connect {
        /// Host and port that were dialled.
        host: String,
        /// The underlying failure.
        #[source]
        source: BoxError,
    },
    /// Connecting (TCP + TLS + WebSocket handshake) took longer than allowed.
    #[error("connecting to {host} timed out after {timeout:?}")]
    ConnectTimeout {
        /// Host and port that were dialled.
        host: String,
        /// The configured limit.
        timeout: Duration,
    },
    /// The server refused the WebSocket upgrade with an HTTP status, e.g. 401
    /// for a wrong API key or 429 when over quota. The response body is not
    /// kept: the service echoes part of the key in it.
    #[error("websocket handshake rejected with http status {status}")]
    Handshake {
        /// The HTTP status code.
        status: u16,
    },
    /// The server closed the WebSocket with a close frame that was not a
    /// normal closure.
    #[error("connection closed by the server with code {code}: {reason}")]
    Closed {
        /// The WebSocket close code.
        code: u16,
        /// The close reason the server gave.
        reason: String,
    },
    /// The connection broke without a closing handshake (reset, EOF, I/O
    /// error). Worth a reconnect.
    #[error("connection lost")]
    ConnectionLost {
        /// The underlying failure.
        #[source]
        source: BoxError,
    },
    /// Sending on a connection that is already closed.
    #[error("connection already closed")]
    AlreadyClosed,
    /// The server sent a binary WebSocket message; the protocol only uses text.
    #[error("unexpected binary message of {len} bytes")]
    UnexpectedBinary {
        /// Size of the message.
        len: usize,
    },
}

impl RealtimeError {
    /// True when the connection is gone and a new one is needed: the caller
    /// may reconnect (with back-off) and resume the session.
    pub fn is_connection_lost(&self) -> bool {
        matches!(
            self,
            Self::ConnectionLost { .. } | Self::Closed { .. } | Self::AlreadyClosed
        )
    }
}
