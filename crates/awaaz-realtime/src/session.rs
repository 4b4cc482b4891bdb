//! Session configuration: what `session.update` sends and what
//! `session.created` / `session.updated` report.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::serde_util::double_option;
use crate::AudioFormat;

/// A Realtime session's configuration (GA shape: `session.type`,
/// `output_modalities`, `audio.input` / `audio.output`).
///
/// Every field is optional because `session.update` changes only the fields
/// it carries. Fields this crate does not model (`tracing`, `truncation`,
/// `prompt`, `include`, …) are kept in [`Session::extra`] and sent back as
/// they came.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Always `"realtime"` for a speech-to-speech session.
    #[serde(rename = "type", default = "realtime_type")]
    pub session_type: String,
    /// Server-assigned id (`sess_…`), only in server events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `"realtime.session"`, only in server events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Session expiry (Unix seconds), only in server events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// The model, e.g. `gpt-realtime`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// System instructions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// `["audio"]` (speech plus transcript) or `["text"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_modalities: Option<Vec<Modality>>,
    /// Input and output audio settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<AudioConfig>,
    /// Tools (functions) the model may call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    /// How the model chooses tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// Output token cap per response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<MaxOutputTokens>,
    /// Fields not modelled here, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Map::is_empty")]
    pub extra: Map<String, Value>,
}

fn realtime_type() -> String {
    Session::REALTIME.to_owned()
}

impl Default for Session {
    fn default() -> Self {
        Self {
            session_type: realtime_type(),
            id: None,
            object: None,
            expires_at: None,
            model: None,
            instructions: None,
            output_modalities: None,
            audio: None,
            tools: None,
            tool_choice: None,
            max_output_tokens: None,
            extra: Map::new(),
        }
    }
}

impl Session {
    /// The `type` of a speech-to-speech session.
    pub const REALTIME: &'static str = "realtime";

    /// The input audio format, if the session names one.
    pub fn input_format(&self) -> Option<AudioFormat> {
        self.audio.as_ref()?.input.as_ref()?.format
    }

    /// The output audio format, if the session names one.
    pub fn output_format(&self) -> Option<AudioFormat> {
        self.audio.as_ref()?.output.as_ref()?.format
    }

    /// The turn detection setting: `None` if absent, `Some(None)` if turned off.
    pub fn turn_detection(&self) -> Option<Option<&TurnDetection>> {
        let input = self.audio.as_ref()?.input.as_ref()?;
        input.turn_detection.as_ref().map(Option::as_ref)
    }
}

/// What the model answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Modality {
    /// Text only.
    Text,
    /// Speech, always with a text transcript.
    Audio,
}

/// `session.audio`: input and output settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AudioConfig {
    /// What the client sends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<AudioInput>,
    /// What the model speaks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<AudioOutput>,
}

/// `session.audio.input`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AudioInput {
    /// Format of `input_audio_buffer.append` audio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<AudioFormat>,
    /// Transcription of the caller's audio (off unless set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcription: Option<Transcription>,
    /// Noise reduction; `Some(None)` sends `null` (off).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "double_option"
    )]
    pub noise_reduction: Option<Option<NoiseReduction>>,
    /// Voice activity detection; `Some(None)` sends `null` (off: the client
    /// commits the buffer and asks for responses itself).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "double_option"
    )]
    pub turn_detection: Option<Option<TurnDetection>>,
}

/// `session.audio.output`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AudioOutput {
    /// Format of `response.output_audio.delta` audio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<AudioFormat>,
    /// Voice name (`marin`, `cedar`, `alloy`, …). Fixed once the model has spoken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
    /// Speaking speed, 0.25–1.5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<f64>,
}

/// `session.audio.input.transcription`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transcription {
    /// Transcription model, e.g. `gpt-4o-transcribe` or `whisper-1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// ISO-639-1 language hint (`hi`, `en`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Free-text hint for the transcriber (vocabulary, names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
}

/// `session.audio.input.noise_reduction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoiseReduction {
    /// Which filter.
    #[serde(rename = "type")]
    pub kind: NoiseReductionKind,
}

/// Noise reduction filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoiseReductionKind {
    /// Close-talking microphones (headsets, handsets).
    NearField,
    /// Far-field microphones (laptops, conference rooms).
    FarField,
}

/// `session.audio.input.turn_detection`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
#[non_exhaustive]
pub enum TurnDetection {
    /// Energy-based VAD with silence timing.
    #[serde(rename = "server_vad")]
    ServerVad(ServerVad),
    /// Model-based end-of-turn detection.
    #[serde(rename = "semantic_vad")]
    SemanticVad(SemanticVad),
}

impl TurnDetection {
    /// Whether a response is created automatically at the end of a turn
    /// (the service's default is true).
    pub fn create_response(&self) -> bool {
        match self {
            Self::ServerVad(v) => v.create_response,
            Self::SemanticVad(v) => v.create_response,
        }
        .unwrap_or(true)
    }

    /// Whether caller speech cancels the response in progress (default true).
    pub fn interrupt_response(&self) -> bool {
        match self {
            Self::ServerVad(v) => v.interrupt_response,
            Self::SemanticVad(v) => v.interrupt_response,
        }
        .unwrap_or(true)
    }
}

/// `{"type": "server_vad", …}`. Unset fields take the service's defaults
/// (threshold 0.5, prefix padding 300 ms, silence 500 ms).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerVad {
    /// Activation threshold 0.0–1.0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// Audio kept before detected speech.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_padding_ms: Option<u32>,
    /// Silence that ends a turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silence_duration_ms: Option<u32>,
    /// Create a response when the turn ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_response: Option<bool>,
    /// Cancel the response in progress when speech starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupt_response: Option<bool>,
    /// Prompt the caller after this much idle time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout_ms: Option<u32>,
}

/// `{"type": "semantic_vad", …}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SemanticVad {
    /// How quickly the model decides the caller has finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eagerness: Option<Eagerness>,
    /// Create a response when the turn ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_response: Option<bool>,
    /// Cancel the response in progress when speech starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupt_response: Option<bool>,
}

/// Semantic VAD eagerness (max wait: low 8 s, medium 4 s, high 2 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Eagerness {
    /// Wait longer for the caller to continue.
    Low,
    /// The default.
    Medium,
    /// Answer quickly.
    High,
    /// Same as medium.
    Auto,
}

/// A tool the model may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
#[non_exhaustive]
pub enum Tool {
    /// `{"type": "function", name, description, parameters}`.
    #[serde(rename = "function")]
    Function(FunctionTool),
    /// A tool kind this crate does not model (e.g. `mcp`), kept verbatim.
    #[serde(untagged)]
    Other(Value),
}

impl Tool {
    /// A function tool.
    pub fn function(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: Value,
    ) -> Self {
        Self::Function(FunctionTool {
            name: name.into(),
            description: Some(description.into()),
            parameters,
        })
    }
}

/// A function the model may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionTool {
    /// Function name.
    pub name: String,
    /// What it does and when to call it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON Schema of the arguments.
    #[serde(default)]
    pub parameters: Value,
}

/// `tool_choice`: `"auto"`, `"none"`, `"required"` or a specific function.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ToolChoice {
    /// The model decides.
    Auto,
    /// No tools.
    None,
    /// Must call some tool.
    Required,
    /// Must call this function.
    Function {
        /// Function name.
        name: String,
    },
    /// A choice this crate does not model, kept verbatim.
    Other(Value),
}

impl Serialize for ToolChoice {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Auto => serializer.serialize_str("auto"),
            Self::None => serializer.serialize_str("none"),
            Self::Required => serializer.serialize_str("required"),
            Self::Function { name } => {
                use serde::ser::SerializeMap as _;
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("type", "function")?;
                map.serialize_entry("name", name)?;
                map.end()
            }
            Self::Other(value) => value.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for ToolChoice {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Ok(match value.as_str() {
            Some("auto") => Self::Auto,
            Some("none") => Self::None,
            Some("required") => Self::Required,
            _ => match (
                value.get("type").and_then(Value::as_str),
                value.get("name").and_then(Value::as_str),
            ) {
                (Some("function"), Some(name)) => Self::Function {
                    name: name.to_owned(),
                },
                _ => Self::Other(value),
            },
        })
    }
}

/// `max_output_tokens`: a number, or `"inf"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxOutputTokens {
    /// At most this many tokens (1–4096).
    Limit(u32),
    /// The model's maximum.
    Infinite,
}

impl Serialize for MaxOutputTokens {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Limit(n) => serializer.serialize_u32(*n),
            Self::Infinite => serializer.serialize_str("inf"),
        }
    }
}

impl<'de> Deserialize<'de> for MaxOutputTokens {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        if value.as_str() == Some("inf") {
            return Ok(Self::Infinite);
        }
        value
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Self::Limit)
            .ok_or_else(|| serde::de::Error::custom("expected a token count or \"inf\""))
    }
}
