//! The streamed answer, without I/O: server-sent events into chat-completion
//! chunks, chunks into content and whole tool calls, content into clauses a
//! voice can speak.
//!
//! ```text
//!  bytes ──▶ SseDecoder::push ──▶ event data ("{...}" | "[DONE]")
//!                                      │ StreamAccumulator::apply
//!                                      ▼
//!              content deltas ──▶ ClauseSplitter::push ──▶ clauses
//!              tool-call deltas ─▶ (by index and id) ──▶ StreamAccumulator::finish ──▶ Completion
//! ```
//!
//! Everything here is fed and drained by the caller; nothing waits, reads a
//! clock or touches a socket.

use serde::Deserialize;
use serde_json::Value;

/// The longest SSE line accepted; a longer one means the peer is not
/// speaking SSE (or is misbehaving), and buffering it would be unbounded.
const MAX_LINE_BYTES: usize = 1 << 20;

/// Why a stream could not be read as a chat completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StreamError {
    /// A line longer than [`MAX_LINE_BYTES`].
    LineTooLong,
    /// An event that is not a chat-completion chunk.
    BadChunk(String),
    /// The server sent an error object inside the stream.
    ServerError(String),
    /// The stream ended before `[DONE]` or a finish reason.
    Incomplete,
    /// Data arrived after `[DONE]`.
    AfterDone,
}

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::LineTooLong => write!(f, "event line too long"),
            Self::BadChunk(e) => write!(f, "malformed chunk: {e}"),
            Self::ServerError(kind) => write!(f, "error event in stream: {kind}"),
            Self::Incomplete => write!(f, "stream ended before completion"),
            Self::AfterDone => write!(f, "data after [DONE]"),
        }
    }
}

/// Splits a byte stream into server-sent events' `data` payloads.
///
/// Lines end with `\n`, `\r\n` or `\r`; an event ends at a blank line; its
/// `data:` lines are joined with `\n`; comments (`:`) and other fields
/// (`event:`, `id:`, `retry:`) are ignored, as the SSE specification says.
#[derive(Debug, Default)]
pub(crate) struct SseDecoder {
    line: Vec<u8>,
    data: Option<String>,
    /// The previous byte was a `\r`, so a `\n` now is part of the same break.
    after_cr: bool,
}

impl SseDecoder {
    /// Feeds bytes; returns the events they completed.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Result<Vec<String>, StreamError> {
        let mut events = Vec::new();
        for &b in bytes {
            let after_cr = std::mem::replace(&mut self.after_cr, b == b'\r');
            match b {
                b'\n' if after_cr => {}
                b'\n' | b'\r' => self.end_line(&mut events),
                _ => {
                    if self.line.len() >= MAX_LINE_BYTES {
                        return Err(StreamError::LineTooLong);
                    }
                    self.line.push(b);
                }
            }
        }
        Ok(events)
    }

    /// The stream ended: returns an event left without its blank line.
    pub(crate) fn finish(&mut self) -> Option<String> {
        let mut events = Vec::new();
        if !self.line.is_empty() {
            self.end_line(&mut events);
        }
        events.extend(self.data.take());
        events.pop()
    }

    fn end_line(&mut self, events: &mut Vec<String>) {
        let line = std::mem::take(&mut self.line);
        if line.is_empty() {
            events.extend(self.data.take());
            return;
        }
        let line = String::from_utf8_lossy(&line);
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_ref(), ""),
        };
        if field == "data" {
            match &mut self.data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            }
        }
    }
}

/// A chat-completion chunk, read leniently: servers that call themselves
/// OpenAI-compatible leave out or add fields.
#[derive(Debug, Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    index: u32,
    #[serde(default)]
    delta: Option<Delta>,
    /// Some servers send whole messages even when streaming.
    #[serde(default)]
    message: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCallDelta>>,
}

#[derive(Debug, Deserialize)]
struct ToolCallDelta {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<FunctionDelta>,
}

#[derive(Debug, Deserialize)]
struct FunctionDelta {
    #[serde(default)]
    name: Option<String>,
    /// A fragment of the JSON text; a few servers send a whole object.
    #[serde(default)]
    arguments: Option<Value>,
}

/// One tool call, assembled from its deltas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AssembledCall {
    /// The call id the tool result must echo.
    pub(crate) id: String,
    /// Function name.
    pub(crate) name: String,
    /// The arguments as JSON text (possibly invalid: the tool says so).
    pub(crate) arguments: String,
}

/// What one streamed completion said.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Completion {
    /// The text, as streamed.
    pub(crate) content: String,
    /// Tool calls in index order.
    pub(crate) tool_calls: Vec<AssembledCall>,
    /// `stop`, `tool_calls`, `length`, … (absent when only `[DONE]` ended it).
    pub(crate) finish_reason: Option<String>,
}

/// What one event added.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Applied {
    /// Text to pass on at once.
    pub(crate) content: String,
    /// A tool call started or grew.
    pub(crate) tool_activity: bool,
}

#[derive(Debug)]
struct Slot {
    /// The index the server used.
    raw_index: u32,
    call: AssembledCall,
}

/// Folds chunk events into one [`Completion`].
#[derive(Debug, Default)]
pub(crate) struct StreamAccumulator {
    content: String,
    slots: Vec<Slot>,
    finish_reason: Option<String>,
    done: bool,
}

impl StreamAccumulator {
    /// `[DONE]` was seen.
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// Applies one SSE event's data.
    pub(crate) fn apply(&mut self, data: &str) -> Result<Applied, StreamError> {
        let data = data.trim();
        if self.done {
            return if data.is_empty() {
                Ok(Applied::default())
            } else {
                Err(StreamError::AfterDone)
            };
        }
        if data == "[DONE]" {
            self.done = true;
            return Ok(Applied::default());
        }
        if data.is_empty() {
            return Ok(Applied::default());
        }
        let chunk: Chunk =
            serde_json::from_str(data).map_err(|e| StreamError::BadChunk(e.to_string()))?;
        if let Some(error) = chunk.error {
            // Only the error's kind: its message may quote the conversation.
            let kind = error
                .get("type")
                .or_else(|| error.get("code"))
                .and_then(Value::as_str)
                .unwrap_or("unknown")
                .to_owned();
            return Err(StreamError::ServerError(kind));
        }
        let mut applied = Applied::default();
        // Only the first choice is ours (n = 1).
        for choice in chunk.choices.into_iter().filter(|c| c.index == 0) {
            if let Some(reason) = choice.finish_reason {
                self.finish_reason = Some(reason);
            }
            for delta in [choice.delta, choice.message].into_iter().flatten() {
                if let Some(text) = delta.content {
                    self.content.push_str(&text);
                    applied.content.push_str(&text);
                }
                for (position, call) in delta.tool_calls.into_iter().flatten().enumerate() {
                    self.apply_tool_delta(position, call);
                    applied.tool_activity = true;
                }
            }
        }
        Ok(applied)
    }

    fn apply_tool_delta(&mut self, position: usize, delta: ToolCallDelta) {
        let raw_index = delta
            .index
            .unwrap_or_else(|| u32::try_from(position).unwrap_or(u32::MAX));
        let id = delta.id.filter(|id| !id.is_empty());
        // The newest slot with this index; a different id at an index already
        // seen is a new call (some servers number every call 0).
        let existing = self.slots.iter().rposition(|s| s.raw_index == raw_index);
        let slot = match (existing, &id) {
            (Some(i), Some(id))
                if self.slots[i].call.id != *id && !self.slots[i].call.id.is_empty() =>
            {
                None
            }
            (Some(i), _) => Some(i),
            (None, _) => None,
        };
        let i = slot.unwrap_or_else(|| {
            self.slots.push(Slot {
                raw_index,
                call: AssembledCall {
                    id: String::new(),
                    name: String::new(),
                    arguments: String::new(),
                },
            });
            self.slots.len() - 1
        });
        let call = &mut self.slots[i].call;
        if let Some(id) = id {
            call.id = id;
        }
        if let Some(function) = delta.function {
            if let Some(name) = function.name.filter(|n| !n.is_empty()) {
                // Most servers send the name once; some repeat it whole.
                if call.name.is_empty() {
                    call.name = name;
                } else if call.name != name {
                    call.name.push_str(&name);
                }
            }
            match function.arguments {
                Some(Value::String(fragment)) => call.arguments.push_str(&fragment),
                Some(Value::Null) | None => {}
                Some(whole) => call.arguments = whole.to_string(),
            }
        }
    }

    /// The stream ended. A completion needs `[DONE]` or a finish reason;
    /// without either the stream was cut.
    pub(crate) fn finish(self) -> Result<Completion, StreamError> {
        if !self.done && self.finish_reason.is_none() {
            return Err(StreamError::Incomplete);
        }
        let tool_calls = self
            .slots
            .into_iter()
            .enumerate()
            .map(|(n, slot)| {
                let mut call = slot.call;
                if call.id.is_empty() {
                    call.id = format!("call_{n}");
                }
                call
            })
            .collect();
        Ok(Completion {
            content: self.content,
            tool_calls,
            finish_reason: self.finish_reason,
        })
    }
}

/// Cuts streamed text into clauses a voice can start speaking one by one.
///
/// A clause ends at `.`, `?`, `!`, `।` (with any closing quotes or brackets
/// after them) followed by white space, at a line break, and at `,` or `;`
/// followed by white space once the clause has at least
/// [`ClauseSplitter::with_min_words_before_comma`] words (short lead-ins such
/// as "Ji, ..." stay whole). A full stop inside a number (`1.5`) or a comma
/// inside one (`₹1,499`) is not followed by white space and ends nothing.
/// Because a mark's meaning depends on the character after it, a clause is
/// given out when that character arrives, or at [`ClauseSplitter::finish`].
///
/// ```
/// use awaaz_agent::llm::ClauseSplitter;
///
/// let mut s = ClauseSplitter::new();
/// assert!(s.push("Aapka order ship ho gaya hai").is_empty());
/// assert_eq!(s.push(". Kal tak"), vec!["Aapka order ship ho gaya hai."]);
/// assert_eq!(s.finish(), Some("Kal tak".to_owned()));
/// ```
#[derive(Debug, Clone)]
pub struct ClauseSplitter {
    pending: String,
    min_words_before_comma: usize,
}

impl Default for ClauseSplitter {
    fn default() -> Self {
        Self::new()
    }
}

/// Ends a sentence.
fn is_terminal(c: char) -> bool {
    matches!(c, '.' | '?' | '!' | '।' | '॥' | '…')
}

/// Ends a clause inside a sentence.
fn is_soft(c: char) -> bool {
    matches!(c, ',' | ';' | '،')
}

/// May follow the end of a sentence and still belong to it.
fn is_closing(c: char) -> bool {
    matches!(c, '"' | '\'' | '”' | '’' | ')' | ']' | '»')
}

impl ClauseSplitter {
    /// A splitter that cuts at commas after six words.
    pub fn new() -> Self {
        Self::with_min_words_before_comma(6)
    }

    /// A splitter that cuts at commas once a clause has `words` words.
    pub fn with_min_words_before_comma(words: usize) -> Self {
        Self {
            pending: String::new(),
            min_words_before_comma: words,
        }
    }

    /// Adds streamed text; returns the clauses it completed, trimmed.
    pub fn push(&mut self, text: &str) -> Vec<String> {
        self.pending.push_str(text);
        let mut out = Vec::new();
        while let Some(end) = self.next_boundary() {
            let rest = self.pending.split_off(end);
            let clause = std::mem::replace(&mut self.pending, rest);
            push_clause(&mut out, &clause);
        }
        out
    }

    /// The text ended: returns what is left, if it has anything to say.
    pub fn finish(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.pending);
        let mut out = Vec::new();
        push_clause(&mut out, &rest);
        out.pop()
    }

    /// Forgets text not yet given out.
    pub fn reset(&mut self) {
        self.pending.clear();
    }

    /// The byte offset just after the first complete clause, if any.
    fn next_boundary(&self) -> Option<usize> {
        let s = self.pending.as_str();
        let mut chars = s.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '\n' {
                if s[..i].trim().is_empty() {
                    continue;
                }
                return Some(i + 1);
            }
            let soft = is_soft(c);
            if !is_terminal(c) && !soft {
                continue;
            }
            // The run of marks and closing quotes this clause ends with.
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                if is_terminal(d) || is_closing(d) || (soft && is_soft(d)) {
                    end = j + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            match chars.peek() {
                // Undecided until the next character arrives.
                None => return None,
                Some(&(_, next)) if next.is_whitespace() => {
                    if soft && s[..end].split_whitespace().count() < self.min_words_before_comma {
                        continue;
                    }
                    return Some(end);
                }
                Some(_) => {}
            }
        }
        None
    }
}

fn push_clause(out: &mut Vec<String>, clause: &str) {
    let clause = clause.trim();
    if clause.chars().any(char::is_alphanumeric) {
        out.push(clause.to_owned());
    }
}

/// Drops the markdown a model sometimes writes despite being asked not to
/// (a voice would read `*` and `#` aloud, or stumble on them).
pub(crate) fn speakable(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '*' | '`' | '#'))
        .collect()
}
