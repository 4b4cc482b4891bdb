//! Responses: the `response` object of `response.created` / `response.done`,
//! the optional config of `response.create`, and token usage.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{AudioConfig, Item, MaxOutputTokens, Modality, Tool, ToolChoice};

/// A response as the server reports it. Audio bytes are never included.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// Response id (`resp_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `"realtime.response"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Where the response stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ResponseStatus>,
    /// Why it ended the way it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_details: Option<StatusDetails>,
    /// Output items (messages, function calls).
    #[serde(default)]
    pub output: Vec<Item>,
    /// Tokens used; this is what is billed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// The conversation it was added to (`null` for out-of-band responses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
    /// Modalities used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_modalities: Option<Vec<Modality>>,
    /// Output audio settings used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<AudioConfig>,
    /// Output token cap used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<MaxOutputTokens>,
    /// Client metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

/// A response's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseStatus {
    /// Still generating.
    InProgress,
    /// Finished normally.
    Completed,
    /// Cancelled by the client or by caller speech.
    Cancelled,
    /// Failed; see [`StatusDetails::error`].
    Failed,
    /// Cut short (token limit, content filter).
    Incomplete,
    /// A status this crate does not know.
    #[serde(other)]
    Other,
}

/// `response.status_details`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatusDetails {
    /// Mirrors `status`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `turn_detected`, `client_cancelled`, `max_output_tokens`, `content_filter`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The error behind a `failed` status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<StatusError>,
}

/// `response.status_details.error`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusError {
    /// Error type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Error code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Human-readable message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Token usage of one response (`response.done.response.usage`).
///
/// Cached tokens are a subset of input tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Input plus output.
    #[serde(default)]
    pub total_tokens: u64,
    /// All input tokens, cached included.
    #[serde(default)]
    pub input_tokens: u64,
    /// All output tokens.
    #[serde(default)]
    pub output_tokens: u64,
    /// Input split by modality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_token_details: Option<InputTokenDetails>,
    /// Output split by modality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_token_details: Option<OutputTokenDetails>,
}

/// `usage.input_token_details`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputTokenDetails {
    /// Text input tokens (cached included).
    #[serde(default)]
    pub text_tokens: u64,
    /// Audio input tokens (cached included).
    #[serde(default)]
    pub audio_tokens: u64,
    /// Image input tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_tokens: Option<u64>,
    /// Cached input tokens.
    #[serde(default)]
    pub cached_tokens: u64,
    /// Cached tokens split by modality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_tokens_details: Option<CachedTokenDetails>,
}

/// `usage.input_token_details.cached_tokens_details`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedTokenDetails {
    /// Cached text tokens.
    #[serde(default)]
    pub text_tokens: u64,
    /// Cached audio tokens.
    #[serde(default)]
    pub audio_tokens: u64,
    /// Cached image tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_tokens: Option<u64>,
}

/// `usage.output_token_details`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputTokenDetails {
    /// Text output tokens (the transcript counts here).
    #[serde(default)]
    pub text_tokens: u64,
    /// Audio output tokens.
    #[serde(default)]
    pub audio_tokens: u64,
}

/// The optional `response` of `response.create`: per-response overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponseConfig {
    /// `["audio"]` or `["text"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_modalities: Option<Vec<Modality>>,
    /// Instructions for this response only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Output audio settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<AudioConfig>,
    /// Tools for this response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    /// Tool choice for this response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// `"auto"` (default conversation) or `"none"` (out of band).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<String>,
    /// Explicit input items instead of the conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Vec<Item>>,
    /// Metadata echoed back in the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    /// Output token cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<MaxOutputTokens>,
}
