//! Events the client sends.

use serde::{Deserialize, Serialize};

use crate::{AudioBase64, Item, RealtimeError, ResponseConfig, Session};

/// An event sent from the client to the Realtime server, serialised with the
/// protocol's exact `type` names. Every event may carry a client-chosen
/// `event_id`, which the server echoes in `error.event_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
#[non_exhaustive]
pub enum ClientEvent {
    /// `session.update`: change the fields present in `session`.
    #[serde(rename = "session.update")]
    SessionUpdate {
        /// Client event id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event_id: Option<String>,
        /// The fields to change; `session.type` is required.
        session: Box<Session>,
    },
    /// `input_audio_buffer.append`: add audio in the session's input format.
    #[serde(rename = "input_audio_buffer.append")]
    InputAudioBufferAppend {
        /// Client event id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event_id: Option<String>,
        /// Base64 audio.
        audio: AudioBase64,
    },
    /// `input_audio_buffer.commit`: turn the buffer into a user message
    /// (needed only without turn detection).
    #[serde(rename = "input_audio_buffer.commit")]
    InputAudioBufferCommit {
        /// Client event id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event_id: Option<String>,
    },
    /// `input_audio_buffer.clear`: drop the uncommitted audio.
    #[serde(rename = "input_audio_buffer.clear")]
    InputAudioBufferClear {
        /// Client event id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event_id: Option<String>,
    },
    /// `conversation.item.create`: add a message or a function call output.
    #[serde(rename = "conversation.item.create")]
    ConversationItemCreate {
        /// Client event id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event_id: Option<String>,
        /// Insert after this item (`"root"` for the start); appended if absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous_item_id: Option<String>,
        /// The item.
        item: Item,
    },
    /// `conversation.item.truncate`: cut an assistant message's audio to what
    /// the caller actually heard (used on barge-in).
    #[serde(rename = "conversation.item.truncate")]
    ConversationItemTruncate {
        /// Client event id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event_id: Option<String>,
        /// The assistant message item.
        item_id: String,
        /// The content part; always 0 for audio.
        content_index: u32,
        /// Keep audio up to here; the rest, and its transcript, is dropped.
        audio_end_ms: u64,
    },
    /// `conversation.item.delete`: remove an item from the conversation.
    #[serde(rename = "conversation.item.delete")]
    ConversationItemDelete {
        /// Client event id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event_id: Option<String>,
        /// The item.
        item_id: String,
    },
    /// `response.create`: ask the model to respond.
    #[serde(rename = "response.create")]
    ResponseCreate {
        /// Client event id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event_id: Option<String>,
        /// Overrides for this response.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        response: Option<Box<ResponseConfig>>,
    },
    /// `response.cancel`: stop the response in progress.
    #[serde(rename = "response.cancel")]
    ResponseCancel {
        /// Client event id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event_id: Option<String>,
        /// A specific response; the default conversation's current one if absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        response_id: Option<String>,
    },
}

impl ClientEvent {
    /// `session.update` with `session`.
    pub fn session_update(session: Session) -> Self {
        Self::SessionUpdate {
            event_id: None,
            session: Box::new(session),
        }
    }

    /// `input_audio_buffer.append` with raw audio bytes (encoded here).
    pub fn append_audio(bytes: &[u8]) -> Self {
        Self::InputAudioBufferAppend {
            event_id: None,
            audio: AudioBase64::encode(bytes),
        }
    }

    /// `input_audio_buffer.commit`.
    pub fn commit_audio() -> Self {
        Self::InputAudioBufferCommit { event_id: None }
    }

    /// `input_audio_buffer.clear`.
    pub fn clear_audio() -> Self {
        Self::InputAudioBufferClear { event_id: None }
    }

    /// `conversation.item.create` appending `item`.
    pub fn create_item(item: Item) -> Self {
        Self::ConversationItemCreate {
            event_id: None,
            previous_item_id: None,
            item,
        }
    }

    /// `conversation.item.create` with a `function_call_output`.
    pub fn function_call_output(call_id: impl Into<String>, output: impl Into<String>) -> Self {
        Self::create_item(Item::function_call_output(call_id, output))
    }

    /// `conversation.item.truncate` for content part 0.
    pub fn truncate(item_id: impl Into<String>, audio_end_ms: u64) -> Self {
        Self::ConversationItemTruncate {
            event_id: None,
            item_id: item_id.into(),
            content_index: 0,
            audio_end_ms,
        }
    }

    /// `response.create` with no overrides.
    pub fn create_response() -> Self {
        Self::ResponseCreate {
            event_id: None,
            response: None,
        }
    }

    /// `response.create` with overrides.
    pub fn create_response_with(config: ResponseConfig) -> Self {
        Self::ResponseCreate {
            event_id: None,
            response: Some(Box::new(config)),
        }
    }

    /// `response.cancel` for the current response.
    pub fn cancel_response() -> Self {
        Self::ResponseCancel {
            event_id: None,
            response_id: None,
        }
    }

    /// The same event with `event_id` set.
    #[must_use]
    pub fn with_event_id(mut self, id: impl Into<String>) -> Self {
        let id = Some(id.into());
        match &mut self {
            Self::SessionUpdate { event_id, .. }
            | Self::InputAudioBufferAppend { event_id, .. }
            | Self::InputAudioBufferCommit { event_id }
            | Self::InputAudioBufferClear { event_id }
            | Self::ConversationItemCreate { event_id, .. }
            | Self::ConversationItemTruncate { event_id, .. }
            | Self::ConversationItemDelete { event_id, .. }
            | Self::ResponseCreate { event_id, .. }
            | Self::ResponseCancel { event_id, .. } => *event_id = id,
        }
        self
    }

    /// The client event id, if set.
    pub fn event_id(&self) -> Option<&str> {
        match self {
            Self::SessionUpdate { event_id, .. }
            | Self::InputAudioBufferAppend { event_id, .. }
            | Self::InputAudioBufferCommit { event_id }
            | Self::InputAudioBufferClear { event_id }
            | Self::ConversationItemCreate { event_id, .. }
            | Self::ConversationItemTruncate { event_id, .. }
            | Self::ConversationItemDelete { event_id, .. }
            | Self::ResponseCreate { event_id, .. }
            | Self::ResponseCancel { event_id, .. } => event_id.as_deref(),
        }
    }

    /// The wire `type`.
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::SessionUpdate { .. } => "session.update",
            Self::InputAudioBufferAppend { .. } => "input_audio_buffer.append",
            Self::InputAudioBufferCommit { .. } => "input_audio_buffer.commit",
            Self::InputAudioBufferClear { .. } => "input_audio_buffer.clear",
            Self::ConversationItemCreate { .. } => "conversation.item.create",
            Self::ConversationItemTruncate { .. } => "conversation.item.truncate",
            Self::ConversationItemDelete { .. } => "conversation.item.delete",
            Self::ResponseCreate { .. } => "response.create",
            Self::ResponseCancel { .. } => "response.cancel",
        }
    }

    /// The JSON text to send.
    pub fn to_json(&self) -> Result<String, RealtimeError> {
        serde_json::to_string(self).map_err(|source| RealtimeError::Encode {
            event_type: self.event_type(),
            source,
        })
    }

    /// Parses a client event (for servers, proxies and tests).
    pub fn from_json(text: &str) -> Result<Self, RealtimeError> {
        serde_json::from_str(text).map_err(|source| RealtimeError::Decode {
            event_type: crate::server_event::peek_type(text),
            source,
        })
    }
}
