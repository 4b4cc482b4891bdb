//! The conversation as the chat-completions API takes it: messages with
//! roles, the assistant's tool calls and the tools' results.
//!
//! The history is kept valid at every await point of a turn (every
//! assistant tool call is followed by its result before the next request),
//! so a turn cancelled by barge-in leaves nothing the server would refuse.

use serde::Serialize;

/// One message of the conversation, serialised as the API wants it.
#[derive(Clone, PartialEq, Serialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub(crate) enum Message {
    /// Instructions: the persona and what is known about this call.
    System {
        /// The prompt.
        content: String,
    },
    /// What the caller said.
    User {
        /// The transcript.
        content: String,
    },
    /// What the agent said or asked the tools to do.
    Assistant {
        /// The words (null when the message is only tool calls).
        content: Option<String>,
        /// Tool calls, each answered by a [`Message::Tool`] after it.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<WireToolCall>,
    },
    /// A tool's result.
    Tool {
        /// The call it answers.
        tool_call_id: String,
        /// The result as JSON text.
        content: String,
    },
}

// The history holds transcripts: Debug shows its shape only.
impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::System { .. } => f.write_str("System"),
            Self::User { .. } => f.write_str("User"),
            Self::Assistant { tool_calls, .. } => {
                write!(f, "Assistant(tool_calls: {})", tool_calls.len())
            }
            Self::Tool { .. } => f.write_str("Tool"),
        }
    }
}

/// An assistant's tool call as sent back to the server.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct WireToolCall {
    /// The id the server gave it.
    pub(crate) id: String,
    /// Always `function`.
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    /// Name and arguments.
    pub(crate) function: WireFunction,
}

/// A function call's name and its JSON arguments as text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct WireFunction {
    /// Function name.
    pub(crate) name: String,
    /// Arguments as the model wrote them.
    pub(crate) arguments: String,
}

/// The chat history of one session.
#[derive(Debug, Clone, Default)]
pub(crate) struct History {
    messages: Vec<Message>,
}

impl History {
    /// All messages, the system prompt first.
    pub(crate) fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// Sets the system prompt (first message).
    pub(crate) fn set_system(&mut self, prompt: String) {
        match self.messages.first_mut() {
            Some(Message::System { content }) => *content = prompt,
            _ => self.messages.insert(0, Message::System { content: prompt }),
        }
    }

    /// Appends a message.
    pub(crate) fn push(&mut self, message: Message) {
        self.messages.push(message);
    }

    /// Appends what the agent said, if anything.
    pub(crate) fn push_said(&mut self, text: &str) {
        let text = text.trim();
        if !text.is_empty() {
            self.messages.push(Message::Assistant {
                content: Some(text.to_owned()),
                tool_calls: Vec::new(),
            });
        }
    }

    /// The caller heard only `heard` of the agent's last turn (every
    /// assistant message since the last user message, in order, as they
    /// were spoken joined by spaces): cut the words to what was heard.
    /// Tool calls stay, since they happened; messages left with no words
    /// and no tool calls go.
    pub(crate) fn truncate_last_turn(&mut self, heard: &str) {
        let start = self
            .messages
            .iter()
            .rposition(|m| matches!(m, Message::User { .. } | Message::System { .. }))
            .map_or(0, |i| i + 1);
        let heard: Vec<char> = heard.trim().chars().collect();
        let mut pos = 0usize;
        for message in &mut self.messages[start..] {
            let Message::Assistant { content, .. } = message else {
                continue;
            };
            let Some(text) = content.as_mut() else {
                continue;
            };
            let len = text.chars().count();
            let from = pos.min(heard.len());
            let to = (pos + len).min(heard.len());
            // Only ever shorten: what was heard is a prefix of what was said.
            if to - from < len {
                let kept: String = heard[from..to].iter().collect();
                let kept = kept.trim();
                *content = (!kept.is_empty()).then(|| kept.to_owned());
            }
            // The separator between two spoken parts.
            pos += len + 1;
        }
        let mut i = start;
        while i < self.messages.len() {
            let empty = matches!(
                &self.messages[i],
                Message::Assistant { content: None, tool_calls } if tool_calls.is_empty()
            );
            if empty {
                self.messages.remove(i);
            } else {
                i += 1;
            }
        }
    }
}
