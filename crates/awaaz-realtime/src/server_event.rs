//! Events the server sends.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::{AudioBase64, ContentPart, Item, PrivateText, RealtimeError, Response, Session};

/// Declares [`ServerEvent`] from one table, so the enum, the list of known
/// types and the per-type decoder used for precise errors cannot drift apart.
macro_rules! server_events {
    ($(
        $(#[$meta:meta])*
        $name:literal $(| $alias:literal)* => $variant:ident($payload:ty),
    )*) => {
        /// An event from the Realtime server.
        ///
        /// Decoded with the GA `type` names; the beta names listed on a
        /// variant are accepted too and normalised to the GA variant (so
        /// [`ServerEvent::event_type`] and serialisation give the GA name).
        /// Event types this crate does not know become
        /// [`ServerEvent::Unknown`], never an error.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "type")]
        #[non_exhaustive]
        pub enum ServerEvent {
            $(
                $(#[$meta])*
                #[serde(rename = $name $(, alias = $alias)*)]
                $variant($payload),
            )*
            /// An event type this crate does not model, kept verbatim.
            #[serde(untagged)]
            Unknown(UnknownEvent),
        }

        /// Every server event `type` decoded into a typed variant: GA names
        /// and the accepted beta aliases.
        pub const KNOWN_SERVER_EVENT_TYPES: &[&str] = &[$($name, $($alias,)*)*];

        impl ServerEvent {
            /// The wire `type` (the GA name for typed variants).
            pub fn event_type(&self) -> &str {
                match self {
                    $(Self::$variant(_) => $name,)*
                    Self::Unknown(unknown) => &unknown.event_type,
                }
            }

            /// Why a known event type failed to decode, from its own payload
            /// type (the enum-level error only says no variant matched).
            fn shape_error(event_type: &str, raw: &Value) -> Option<serde_json::Error> {
                match event_type {
                    $($name $(| $alias)* => <$payload>::deserialize(raw).err(),)*
                    _ => None,
                }
            }
        }
    };
}

server_events! {
    /// `session.created`: first event on every connection, with the defaults.
    "session.created" => SessionCreated(SessionEvent),
    /// `session.updated`: the full effective session after a `session.update`.
    "session.updated" => SessionUpdated(SessionEvent),
    /// `error`: a client event was rejected or something failed. The
    /// connection stays open.
    "error" => Error(ErrorEvent),
    /// `input_audio_buffer.speech_started`: VAD heard the caller start.
    "input_audio_buffer.speech_started" => InputAudioBufferSpeechStarted(SpeechStarted),
    /// `input_audio_buffer.speech_stopped`: VAD heard the caller stop.
    "input_audio_buffer.speech_stopped" => InputAudioBufferSpeechStopped(SpeechStopped),
    /// `input_audio_buffer.committed`: the buffer became a user message.
    "input_audio_buffer.committed" => InputAudioBufferCommitted(AudioBufferCommitted),
    /// `input_audio_buffer.cleared`: the buffer was emptied.
    "input_audio_buffer.cleared" => InputAudioBufferCleared(AudioBufferCleared),
    /// `input_audio_buffer.timeout_triggered`: the idle timeout fired.
    "input_audio_buffer.timeout_triggered" => InputAudioBufferTimeoutTriggered(AudioBufferTimeout),
    /// `conversation.item.added` (beta: `conversation.item.created`): an item
    /// entered the conversation.
    "conversation.item.added" | "conversation.item.created" => ConversationItemAdded(ItemEvent),
    /// `conversation.item.done`: an item is complete.
    "conversation.item.done" => ConversationItemDone(ItemEvent),
    /// `conversation.item.truncated`: a truncate was applied.
    "conversation.item.truncated" => ConversationItemTruncated(ItemTruncated),
    /// `conversation.item.deleted`: an item was removed.
    "conversation.item.deleted" => ConversationItemDeleted(ItemDeleted),
    /// `conversation.item.input_audio_transcription.completed`: the caller's
    /// words for a user audio item.
    "conversation.item.input_audio_transcription.completed" => InputAudioTranscriptionCompleted(TranscriptionCompleted),
    /// `conversation.item.input_audio_transcription.delta`: partial caller transcript.
    "conversation.item.input_audio_transcription.delta" => InputAudioTranscriptionDelta(TranscriptionDelta),
    /// `conversation.item.input_audio_transcription.failed`.
    "conversation.item.input_audio_transcription.failed" => InputAudioTranscriptionFailed(TranscriptionFailed),
    /// `response.created`: a response started.
    "response.created" => ResponseCreated(ResponseEvent),
    /// `response.done`: a response ended (any status), with usage.
    "response.done" => ResponseDone(ResponseEvent),
    /// `response.output_item.added`: a message or function call began.
    "response.output_item.added" => ResponseOutputItemAdded(OutputItemEvent),
    /// `response.output_item.done`: a message or function call is complete.
    "response.output_item.done" => ResponseOutputItemDone(OutputItemEvent),
    /// `response.content_part.added`.
    "response.content_part.added" => ResponseContentPartAdded(ContentPartEvent),
    /// `response.content_part.done`.
    "response.content_part.done" => ResponseContentPartDone(ContentPartEvent),
    /// `response.output_audio.delta` (beta: `response.audio.delta`): model speech.
    "response.output_audio.delta" | "response.audio.delta" => ResponseOutputAudioDelta(AudioDelta),
    /// `response.output_audio.done` (beta: `response.audio.done`).
    "response.output_audio.done" | "response.audio.done" => ResponseOutputAudioDone(AudioDone),
    /// `response.output_audio_transcript.delta` (beta:
    /// `response.audio_transcript.delta`): what the model is saying.
    "response.output_audio_transcript.delta" | "response.audio_transcript.delta" => ResponseOutputAudioTranscriptDelta(TextDelta),
    /// `response.output_audio_transcript.done` (beta: `response.audio_transcript.done`).
    "response.output_audio_transcript.done" | "response.audio_transcript.done" => ResponseOutputAudioTranscriptDone(TranscriptDone),
    /// `response.output_text.delta` (beta: `response.text.delta`), text-only responses.
    "response.output_text.delta" | "response.text.delta" => ResponseOutputTextDelta(TextDelta),
    /// `response.output_text.done` (beta: `response.text.done`).
    "response.output_text.done" | "response.text.done" => ResponseOutputTextDone(TextDone),
    /// `response.function_call_arguments.delta`.
    "response.function_call_arguments.delta" => ResponseFunctionCallArgumentsDelta(FunctionCallArgumentsDelta),
    /// `response.function_call_arguments.done`: call the function now.
    "response.function_call_arguments.done" => ResponseFunctionCallArgumentsDone(FunctionCallArgumentsDone),
    /// `rate_limits.updated`.
    "rate_limits.updated" => RateLimitsUpdated(RateLimitsUpdated),
}

impl ServerEvent {
    /// Decodes one server event.
    ///
    /// Unknown event types give [`ServerEvent::Unknown`]. A known type whose
    /// fields do not match, invalid JSON, or a missing `type` give
    /// [`RealtimeError::Decode`] naming the type. Never panics.
    pub fn from_json(text: &str) -> Result<Self, RealtimeError> {
        // Fast path: one pass for every well-formed event, known or not.
        if let Ok(event) = serde_json::from_str::<Self>(text) {
            return Ok(event);
        }
        // Slow path, errors only: find the most precise reason.
        let raw: Value = serde_json::from_str(text).map_err(|source| RealtimeError::Decode {
            event_type: None,
            source,
        })?;
        let Some(event_type) = raw.get("type").and_then(Value::as_str) else {
            return Err(RealtimeError::Decode {
                event_type: None,
                source: serde::de::Error::custom("missing string field `type`"),
            });
        };
        let source = Self::shape_error(event_type, &raw).unwrap_or_else(|| {
            serde::de::Error::custom("event does not match its documented shape")
        });
        Err(RealtimeError::Decode {
            event_type: Some(event_type.to_owned()),
            source,
        })
    }

    /// The JSON text of this event (for servers, proxies and tests).
    pub fn to_json(&self) -> Result<String, RealtimeError> {
        serde_json::to_string(self).map_err(|source| RealtimeError::Encode {
            event_type: "server event",
            source,
        })
    }

    /// The server's `event_id`, when the event has one.
    pub fn event_id(&self) -> Option<&str> {
        let id = match self {
            Self::SessionCreated(e) | Self::SessionUpdated(e) => &e.event_id,
            Self::Error(e) => &e.event_id,
            Self::InputAudioBufferSpeechStarted(e) => &e.event_id,
            Self::InputAudioBufferSpeechStopped(e) => &e.event_id,
            Self::InputAudioBufferCommitted(e) => &e.event_id,
            Self::InputAudioBufferCleared(e) => &e.event_id,
            Self::InputAudioBufferTimeoutTriggered(e) => &e.event_id,
            Self::ConversationItemAdded(e) | Self::ConversationItemDone(e) => &e.event_id,
            Self::ConversationItemTruncated(e) => &e.event_id,
            Self::ConversationItemDeleted(e) => &e.event_id,
            Self::InputAudioTranscriptionCompleted(e) => &e.event_id,
            Self::InputAudioTranscriptionDelta(e) => &e.event_id,
            Self::InputAudioTranscriptionFailed(e) => &e.event_id,
            Self::ResponseCreated(e) | Self::ResponseDone(e) => &e.event_id,
            Self::ResponseOutputItemAdded(e) | Self::ResponseOutputItemDone(e) => &e.event_id,
            Self::ResponseContentPartAdded(e) | Self::ResponseContentPartDone(e) => &e.event_id,
            Self::ResponseOutputAudioDelta(e) => &e.event_id,
            Self::ResponseOutputAudioDone(e) => &e.event_id,
            Self::ResponseOutputAudioTranscriptDelta(e) | Self::ResponseOutputTextDelta(e) => {
                &e.event_id
            }
            Self::ResponseOutputAudioTranscriptDone(e) => &e.event_id,
            Self::ResponseOutputTextDone(e) => &e.event_id,
            Self::ResponseFunctionCallArgumentsDelta(e) => &e.event_id,
            Self::ResponseFunctionCallArgumentsDone(e) => &e.event_id,
            Self::RateLimitsUpdated(e) => &e.event_id,
            Self::Unknown(e) => return e.raw.get("event_id").and_then(Value::as_str),
        };
        Some(id.as_str()).filter(|id| !id.is_empty())
    }
}

/// Reads the `type` of a JSON event without decoding it (for error reports).
pub(crate) fn peek_type(text: &str) -> Option<String> {
    let raw: Value = serde_json::from_str(text).ok()?;
    raw.get("type").and_then(Value::as_str).map(str::to_owned)
}

/// An event of a type this crate does not model. Serialises back to `raw`.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownEvent {
    /// The event's `type`.
    pub event_type: String,
    /// The whole event as received.
    pub raw: Value,
}

impl Serialize for UnknownEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for UnknownEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(deserializer)?;
        let event_type = raw
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| serde::de::Error::custom("missing string field `type`"))?
            .to_owned();
        // A known type that reached here has the wrong shape: that is an
        // error, not an unknown event.
        if KNOWN_SERVER_EVENT_TYPES.contains(&event_type.as_str()) {
            return Err(serde::de::Error::custom(format_args!(
                "{event_type} event does not match its documented shape"
            )));
        }
        Ok(Self { event_type, raw })
    }
}

/// `session.created` / `session.updated`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionEvent {
    /// Server event id.
    #[serde(default)]
    pub event_id: String,
    /// The effective session.
    pub session: Box<Session>,
}

/// `error`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorEvent {
    /// Server event id.
    #[serde(default)]
    pub event_id: String,
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The `error` object of an `error` event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// `invalid_request_error`, `server_error`, …
    #[serde(rename = "type", default)]
    pub error_type: String,
    /// Machine-readable code, e.g. `response_cancel_not_active`.
    #[serde(default)]
    pub code: Option<String>,
    /// Human-readable message.
    #[serde(default)]
    pub message: String,
    /// The parameter at fault.
    #[serde(default)]
    pub param: Option<String>,
    /// The client `event_id` that caused it, when given.
    #[serde(default)]
    pub event_id: Option<String>,
}

impl ErrorDetail {
    /// Codes that are races, not faults: a cancel that arrived after the
    /// response had finished, and a `response.create` while a response (e.g.
    /// one VAD started) is still running.
    pub const BENIGN_CODES: &'static [&'static str] = &[
        "response_cancel_not_active",
        "conversation_already_has_active_response",
    ];

    /// True for the race-condition errors in [`ErrorDetail::BENIGN_CODES`],
    /// which a voice agent should log at debug level and otherwise ignore.
    pub fn is_benign(&self) -> bool {
        self.code
            .as_deref()
            .is_some_and(|code| Self::BENIGN_CODES.contains(&code))
    }
}

/// `input_audio_buffer.speech_started`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpeechStarted {
    /// Server event id.
    #[serde(default)]
    pub event_id: String,
    /// Where in the session's input audio speech began.
    pub audio_start_ms: u64,
    /// The user item that will hold this speech.
    #[serde(default)]
    pub item_id: String,
}

/// `input_audio_buffer.speech_stopped`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpeechStopped {
    /// Server event id.
    #[serde(default)]
    pub event_id: String,
    /// Where in the session's input audio speech ended.
    pub audio_end_ms: u64,
    /// The user item that will hold this speech.
    #[serde(default)]
    pub item_id: String,
}

/// `input_audio_buffer.committed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudioBufferCommitted {
    /// Server event id.
    #[serde(default)]
    pub event_id: String,
    /// The item before the new user item.
    #[serde(default)]
    pub previous_item_id: Option<String>,
    /// The new user item.
    #[serde(default)]
    pub item_id: String,
}

/// `input_audio_buffer.cleared`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudioBufferCleared {
    /// Server event id.
    #[serde(default)]
    pub event_id: String,
}

/// `input_audio_buffer.timeout_triggered`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudioBufferTimeout {
    /// Server event id.
    #[serde(default)]
    pub event_id: String,
    /// Start of the idle audio.
    #[serde(default)]
    pub audio_start_ms: u64,
    /// End of the idle audio.
    #[serde(default)]
    pub audio_end_ms: u64,
    /// The item created for it.
    #[serde(default)]
    pub item_id: String,
}

/// `conversation.item.added` / `conversation.item.done`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemEvent {
    /// Server event id.
    #[serde(default)]
    pub event_id: String,
    /// The item before this one.
    #[serde(default)]
    pub previous_item_id: Option<String>,
    /// The item (audio bytes omitted).
    pub item: Item,
}

/// `conversation.item.truncated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemTruncated {
    /// Server event id.
    #[serde(default)]
    pub event_id: String,
    /// The assistant item.
    pub item_id: String,
    /// The content part.
    #[serde(default)]
    pub content_index: u32,
    /// Audio kept, in ms.
    pub audio_end_ms: u64,
}

/// `conversation.item.deleted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemDeleted {
    /// Server event id.
    #[serde(default)]
    pub event_id: String,
    /// The removed item.
    pub item_id: String,
}

/// `conversation.item.input_audio_transcription.completed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranscriptionCompleted {
    /// Server event id.
    #[serde(default)]
    pub event_id: String,
    /// The user item.
    #[serde(default)]
    pub item_id: String,
    /// The content part.
    #[serde(default)]
    pub content_index: u32,
    /// What the caller said.
    pub transcript: PrivateText,
    /// Transcription usage (tokens or duration), as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Value>,
}

/// `conversation.item.input_audio_transcription.delta`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptionDelta {
    /// Server event id.
    #[serde(default)]
    pub event_id: String,
    /// The user item.
    #[serde(default)]
    pub item_id: String,
    /// The content part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_index: Option<u32>,
    /// More of what the caller said.
    pub delta: PrivateText,
}

/// `conversation.item.input_audio_transcription.failed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptionFailed {
    /// Server event id.
    #[serde(default)]
    pub event_id: String,
    /// The user item.
    #[serde(default)]
    pub item_id: String,
    /// The content part.
    #[serde(default)]
    pub content_index: u32,
    /// Why.
    pub error: ErrorDetail,
}

/// `response.created` / `response.done`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseEvent {
    /// Server event id.
    #[serde(default)]
    pub event_id: String,
    /// The response.
    pub response: Box<Response>,
}

/// `response.output_item.added` / `.done`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputItemEvent {
    /// Server event id.
    #[serde(default)]
    pub event_id: String,
    /// The response.
    #[serde(default)]
    pub response_id: String,
    /// Position in the response's output.
    #[serde(default)]
    pub output_index: u32,
    /// The item.
    pub item: Item,
}

/// `response.content_part.added` / `.done`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentPartEvent {
    /// Server event id.
    #[serde(default)]
    pub event_id: String,
    /// The response.
    #[serde(default)]
    pub response_id: String,
    /// The item.
    #[serde(default)]
    pub item_id: String,
    /// Position in the response's output.
    #[serde(default)]
    pub output_index: u32,
    /// Position in the item's content.
    #[serde(default)]
    pub content_index: u32,
    /// The part.
    pub part: ContentPart,
}

/// `response.output_audio.delta`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudioDelta {
    /// Server event id.
    #[serde(default)]
    pub event_id: String,
    /// The response.
    #[serde(default)]
    pub response_id: String,
    /// The assistant item (the id to truncate on barge-in).
    #[serde(default)]
    pub item_id: String,
    /// Position in the response's output.
    #[serde(default)]
    pub output_index: u32,
    /// Position in the item's content.
    #[serde(default)]
    pub content_index: u32,
    /// Base64 audio in the session's output format.
    pub delta: AudioBase64,
}

impl AudioDelta {
    /// The audio bytes.
    pub fn audio(&self) -> Result<Vec<u8>, RealtimeError> {
        self.delta.decode()
    }
}

/// `response.output_audio.done`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudioDone {
    /// Server event id.
    #[serde(default)]
    pub event_id: String,
    /// The response.
    #[serde(default)]
    pub response_id: String,
    /// The assistant item.
    #[serde(default)]
    pub item_id: String,
    /// Position in the response's output.
    #[serde(default)]
    pub output_index: u32,
    /// Position in the item's content.
    #[serde(default)]
    pub content_index: u32,
}

/// `response.output_audio_transcript.delta` / `response.output_text.delta`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextDelta {
    /// Server event id.
    #[serde(default)]
    pub event_id: String,
    /// The response.
    #[serde(default)]
    pub response_id: String,
    /// The assistant item.
    #[serde(default)]
    pub item_id: String,
    /// Position in the response's output.
    #[serde(default)]
    pub output_index: u32,
    /// Position in the item's content.
    #[serde(default)]
    pub content_index: u32,
    /// More text.
    pub delta: PrivateText,
}

/// `response.output_audio_transcript.done`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptDone {
    /// Server event id.
    #[serde(default)]
    pub event_id: String,
    /// The response.
    #[serde(default)]
    pub response_id: String,
    /// The assistant item.
    #[serde(default)]
    pub item_id: String,
    /// Position in the response's output.
    #[serde(default)]
    pub output_index: u32,
    /// Position in the item's content.
    #[serde(default)]
    pub content_index: u32,
    /// Everything the model said in this part.
    pub transcript: PrivateText,
}

/// `response.output_text.done`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextDone {
    /// Server event id.
    #[serde(default)]
    pub event_id: String,
    /// The response.
    #[serde(default)]
    pub response_id: String,
    /// The assistant item.
    #[serde(default)]
    pub item_id: String,
    /// Position in the response's output.
    #[serde(default)]
    pub output_index: u32,
    /// Position in the item's content.
    #[serde(default)]
    pub content_index: u32,
    /// The whole text.
    pub text: PrivateText,
}

/// `response.function_call_arguments.delta`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionCallArgumentsDelta {
    /// Server event id.
    #[serde(default)]
    pub event_id: String,
    /// The response.
    #[serde(default)]
    pub response_id: String,
    /// The function call item.
    #[serde(default)]
    pub item_id: String,
    /// Position in the response's output.
    #[serde(default)]
    pub output_index: u32,
    /// The call.
    #[serde(default)]
    pub call_id: String,
    /// More of the JSON arguments.
    pub delta: PrivateText,
}

/// `response.function_call_arguments.done`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionCallArgumentsDone {
    /// Server event id.
    #[serde(default)]
    pub event_id: String,
    /// The response.
    #[serde(default)]
    pub response_id: String,
    /// The function call item.
    #[serde(default)]
    pub item_id: String,
    /// Position in the response's output.
    #[serde(default)]
    pub output_index: u32,
    /// The call; answer with `function_call_output` carrying this id.
    pub call_id: String,
    /// Function name (sent by the service; older servers omit it — take it
    /// from `response.output_item.added`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The complete JSON arguments.
    pub arguments: PrivateText,
}

/// `rate_limits.updated`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateLimitsUpdated {
    /// Server event id.
    #[serde(default)]
    pub event_id: String,
    /// Current limits.
    #[serde(default)]
    pub rate_limits: Vec<RateLimit>,
}

/// One entry of `rate_limits.updated`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateLimit {
    /// `requests` or `tokens`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// What is left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u64>,
    /// Seconds until reset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_seconds: Option<f64>,
}
