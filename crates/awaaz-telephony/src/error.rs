//! The one error type of this crate.
//!
//! Messages name the frame's event and the field at fault, never the field's
//! value: a value may be a caller's phone number, a custom parameter or audio.

/// Everything that can go wrong when decoding a carrier's frame, checking a
/// webhook signature or preparing audio for a carrier.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The frame is longer than the decoder accepts.
    #[error("frame of {len} bytes is over the {max}-byte limit")]
    FrameTooLarge {
        /// Length of the frame in bytes.
        len: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// The frame is not JSON.
    #[error("frame is not valid json (line {line}, column {column})")]
    InvalidJson {
        /// Line of the first error, from 1.
        line: usize,
        /// Column of the first error, from 1.
        column: usize,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// The frame is JSON but not an object.
    #[error("frame is not a json object")]
    NotAnObject,
    /// A field the event requires is absent (or `null`).
    #[error("{event} frame has no `{field}`")]
    MissingField {
        /// The frame's event (`"unknown"` when the `event` field itself is missing).
        event: String,
        /// Dotted path of the field, e.g. `media.payload`.
        field: String,
    },
    /// A field is present but of the wrong type or out of range.
    #[error("{event} frame has an invalid `{field}`: expected {expected}")]
    InvalidField {
        /// The frame's event.
        event: String,
        /// Dotted path of the field.
        field: String,
        /// What was expected, e.g. `"an unsigned integer or a string of digits"`.
        expected: &'static str,
    },
    /// An audio payload is not valid base64.
    #[error("{event} frame has a `{field}` that is not valid base64")]
    InvalidBase64 {
        /// The frame's event.
        event: String,
        /// Dotted path of the field.
        field: String,
        /// The decoder's error.
        #[source]
        source: base64::DecodeError,
    },
    /// A message we send must be one of a known set of events, and this one
    /// is not (used when decoding the messages *we* send, e.g. in fake peers).
    #[error("unknown `{event}` event")]
    UnknownEvent {
        /// The event name as received.
        event: String,
    },
    /// An outbound audio chunk does not have a size the carrier accepts.
    #[error(
        "audio chunk of {len} bytes is not a positive multiple of {multiple} bytes up to {max}"
    )]
    InvalidChunkSize {
        /// Length of the chunk in bytes.
        len: usize,
        /// The size every chunk must be a multiple of.
        multiple: usize,
        /// The largest chunk accepted.
        max: usize,
    },
    /// A webhook request carries no signature header (or an empty one).
    #[error("request has no signature")]
    SignatureMissing,
    /// The signature does not match the URL, parameters and auth token.
    #[error("signature does not match the request")]
    SignatureMismatch,
    /// A JSON webhook's URL has no `bodySHA256` query parameter.
    #[error("url has no bodySHA256 parameter")]
    BodyHashMissing,
    /// The body's SHA-256 differs from the URL's `bodySHA256` parameter.
    #[error("body does not match the bodySHA256 parameter")]
    BodyHashMismatch,
    /// A request that needs credentials has no (basic) `Authorization`.
    #[error("request has no basic-auth credentials")]
    CredentialsMissing,
    /// The request's credentials are not the configured ones.
    #[error("request credentials do not match")]
    CredentialsMismatch,
}
