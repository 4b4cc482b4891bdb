//! Newtypes for personal data and audio whose `Debug` never shows content.

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

use crate::{audio, RealtimeError};

/// Text that may be personal data: transcripts, message text, function
/// arguments and outputs. `Debug` prints only the length, so an event can be
/// logged with `?event` without leaking what a caller said.
#[derive(Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PrivateText(String);

impl PrivateText {
    /// Wraps a string.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, unwrapped.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Debug for PrivateText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateText(<{} chars>)", self.0.chars().count())
    }
}

impl Deref for PrivateText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<String> for PrivateText {
    fn from(text: String) -> Self {
        Self(text)
    }
}

impl From<&str> for PrivateText {
    fn from(text: &str) -> Self {
        Self(text.to_owned())
    }
}

impl PartialEq<str> for PrivateText {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for PrivateText {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// Base64 audio as carried in events. `Debug` prints only the size.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AudioBase64(String);

impl AudioBase64 {
    /// Encodes raw audio bytes.
    pub fn encode(bytes: &[u8]) -> Self {
        Self(audio::encode_audio(bytes))
    }

    /// Wraps text that is already base64.
    pub fn from_base64(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// Decodes to raw audio bytes.
    pub fn decode(&self) -> Result<Vec<u8>, RealtimeError> {
        audio::decode_audio(&self.0)
    }

    /// The base64 text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Size of the decoded audio in bytes, computed from the base64 length.
    pub fn decoded_len(&self) -> usize {
        let text = self.0.trim_end_matches('=');
        text.len() * 3 / 4
    }
}

impl fmt::Debug for AudioBase64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AudioBase64(<{} bytes>)", self.decoded_len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts() {
        let text = PrivateText::new("mera order 45678 kab aayega");
        let shown = format!("{text:?}");
        assert_eq!(shown, "PrivateText(<27 chars>)");
        assert!(!shown.contains("45678"));
        let audio = AudioBase64::encode(&[1, 2, 3, 4, 5]);
        assert_eq!(format!("{audio:?}"), "AudioBase64(<5 bytes>)");
        assert_eq!(audio.decode().unwrap(), vec![1, 2, 3, 4, 5]);
        assert_eq!(AudioBase64::encode(&[0; 160]).decoded_len(), 160);
    }
}
