//! Conversation items: messages, function calls and their outputs.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{AudioBase64, PrivateText};

/// One item of the server-side conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
#[non_exhaustive]
pub enum Item {
    /// A system, user or assistant message.
    #[serde(rename = "message")]
    Message(MessageItem),
    /// The model calling a function.
    #[serde(rename = "function_call")]
    FunctionCall(FunctionCallItem),
    /// The result of a function call, sent by the client.
    #[serde(rename = "function_call_output")]
    FunctionCallOutput(FunctionCallOutputItem),
    /// An item kind this crate does not model (MCP calls, approvals…), verbatim.
    #[serde(untagged)]
    Other(Value),
}

impl Item {
    /// A user message with text content (`input_text`).
    pub fn user_text(text: impl Into<String>) -> Self {
        Self::Message(MessageItem {
            role: Role::User,
            content: vec![ContentPart::InputText {
                text: PrivateText::new(text),
            }],
            ..MessageItem::default()
        })
    }

    /// A system message with text content (`input_text`).
    pub fn system_text(text: impl Into<String>) -> Self {
        Self::Message(MessageItem {
            role: Role::System,
            content: vec![ContentPart::InputText {
                text: PrivateText::new(text),
            }],
            ..MessageItem::default()
        })
    }

    /// An assistant message with text content (`output_text`), e.g. to seed
    /// history after a reconnect.
    pub fn assistant_text(text: impl Into<String>) -> Self {
        Self::Message(MessageItem {
            role: Role::Assistant,
            content: vec![ContentPart::OutputText {
                text: PrivateText::new(text),
            }],
            ..MessageItem::default()
        })
    }

    /// A function call's result (`function_call_output`).
    pub fn function_call_output(call_id: impl Into<String>, output: impl Into<String>) -> Self {
        Self::FunctionCallOutput(FunctionCallOutputItem {
            id: None,
            object: None,
            status: None,
            call_id: call_id.into(),
            output: PrivateText::new(output),
        })
    }

    /// The item's id, when it has one.
    pub fn id(&self) -> Option<&str> {
        match self {
            Self::Message(m) => m.id.as_deref(),
            Self::FunctionCall(f) => f.id.as_deref(),
            Self::FunctionCallOutput(f) => f.id.as_deref(),
            Self::Other(v) => v.get("id").and_then(Value::as_str),
        }
    }
}

/// `{"type": "message", role, content}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageItem {
    /// Item id (`item_…`); the client may choose it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `"realtime.item"` in server events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Progress of the item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ItemStatus>,
    /// Who speaks.
    pub role: Role,
    /// Content parts.
    #[serde(default)]
    pub content: Vec<ContentPart>,
}

impl Default for MessageItem {
    fn default() -> Self {
        Self {
            id: None,
            object: None,
            status: None,
            role: Role::User,
            content: Vec::new(),
        }
    }
}

impl MessageItem {
    /// The transcript or text of the message's parts, joined.
    pub fn text(&self) -> String {
        self.content
            .iter()
            .filter_map(ContentPart::text)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `{"type": "function_call", call_id, name, arguments}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionCallItem {
    /// Item id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `"realtime.item"` in server events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Progress of the item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ItemStatus>,
    /// The id to answer with in `function_call_output`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    /// Function name.
    #[serde(default)]
    pub name: String,
    /// Arguments as a JSON string (empty while still streaming).
    #[serde(default)]
    pub arguments: PrivateText,
}

/// `{"type": "function_call_output", call_id, output}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionCallOutputItem {
    /// Item id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `"realtime.item"` in server events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Progress of the item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ItemStatus>,
    /// The call this answers.
    pub call_id: String,
    /// The result, usually a JSON string.
    pub output: PrivateText,
}

/// Message author.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions.
    System,
    /// The caller.
    User,
    /// The model.
    Assistant,
}

/// An item's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Still being generated.
    InProgress,
    /// Finished.
    Completed,
    /// Cut short (cancelled or truncated).
    Incomplete,
    /// A status this crate does not know.
    #[serde(other)]
    Other,
}

/// One part of a message's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
#[non_exhaustive]
pub enum ContentPart {
    /// Text from the client (user or system message).
    #[serde(rename = "input_text")]
    InputText {
        /// The text.
        text: PrivateText,
    },
    /// Audio from the client; the server fills `transcript` when
    /// transcription is on.
    #[serde(rename = "input_audio")]
    InputAudio {
        /// Base64 audio (omitted in server events).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        audio: Option<AudioBase64>,
        /// Transcript, if known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transcript: Option<PrivateText>,
    },
    /// Text from the model.
    #[serde(rename = "output_text")]
    OutputText {
        /// The text.
        text: PrivateText,
    },
    /// Speech from the model.
    #[serde(rename = "output_audio")]
    OutputAudio {
        /// Base64 audio (omitted in server events).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        audio: Option<AudioBase64>,
        /// What the model said.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transcript: Option<PrivateText>,
    },
    /// Text part as `response.content_part.*` events name it.
    #[serde(rename = "text")]
    Text {
        /// The text.
        #[serde(default)]
        text: PrivateText,
    },
    /// Audio part as `response.content_part.*` events name it.
    #[serde(rename = "audio")]
    Audio {
        /// Base64 audio (usually omitted).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        audio: Option<AudioBase64>,
        /// Transcript so far.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transcript: Option<PrivateText>,
    },
    /// A part kind this crate does not model (e.g. `input_image`), verbatim.
    #[serde(untagged)]
    Other(Value),
}

impl ContentPart {
    /// The part's text or transcript, if it has one.
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::InputText { text } | Self::OutputText { text } | Self::Text { text } => {
                Some(text.as_str())
            }
            Self::InputAudio { transcript, .. }
            | Self::OutputAudio { transcript, .. }
            | Self::Audio { transcript, .. } => transcript.as_deref(),
            Self::Other(_) => None,
        }
    }
}
