//! The LLM-backed agent: any OpenAI-compatible chat-completions server
//! (OpenAI, Ollama, vLLM, llama.cpp, …) answers, with the same tools as the
//! embedded agent, and the embedded agent answers whenever the model fails.
//!
//! ```text
//!  LlmAgent (shared: HTTP client, tools, fallback agent, breaker)
//!     │ start(ctx)
//!     ▼
//!  LlmSession ── respond_streaming(text) ──▶ POST {base_url}/chat/completions (stream: true, tools)
//!     │                                          │ SSE chunks
//!     │            clauses ◀── ClauseSplitter ◀──┤ content deltas
//!     │                                          │ tool_calls deltas ──▶ Tools::call ──▶ dyn Store
//!     │                                          └─ role: tool results ──▶ next round (≤ max_tool_rounds)
//!     └─ connect error, non-2xx, timeout, cut or malformed stream ──▶ fallback session answers the turn
//! ```
//!
//! A session keeps the chat history (a system prompt with the persona,
//! today's date and the caller's language; user, assistant and tool
//! messages). Each turn streams the model's words out clause by clause
//! ([`crate::AgentSession::respond_streaming`]) so the voice can start
//! speaking before the reply is complete. `transfer_to_human` becomes
//! [`CallAction::TransferToHuman`]; the extra [`END_CALL`] tool lets the
//! model hang up ([`CallAction::HangUp`]).
//!
//! The fallback session of each LLM session sees only the turns it answers
//! (feeding it every turn would run its tools twice: two tickets, two
//! transfers). During an outage it answers turn after turn, so it builds
//! its own context; after a failure, the model is left alone for
//! [`LlmConfig::failure_cooldown`] so callers do not wait out a timeout on
//! every turn.
//!
//! Not here: the HTTP server, audio, and non-streaming completions (the
//! client always asks for a stream, but reads a plain JSON answer from a
//! server that ignores `stream`).

mod history;
mod stream;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use awaaz_store::Store;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::time::{timeout_at, Instant};

use crate::tools::{ToolContext, ToolSchema, Tools};
use crate::{
    Agent, AgentError, AgentReply, AgentSession, CallAction, Language, SessionContext,
    ToolCallOutcome,
};
use history::{History, Message, WireFunction, WireToolCall};
pub use stream::ClauseSplitter;
use stream::{speakable, Completion, SseDecoder, StreamAccumulator, StreamError};

/// The default persona prompt (`prompts/persona.md`): who the agent is, how
/// it speaks on the phone, its language rules and when to use each tool.
pub const DEFAULT_PERSONA: &str = include_str!("../../prompts/persona.md");

/// The name of the function tool that ends the call.
pub const END_CALL: &str = "end_call";

/// `transfer_to_human`, as [`Tools::schemas`] names it.
const TRANSFER: &str = "transfer_to_human";

/// The longest error body read from a failed request.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// How to reach the model and how to talk to it.
///
/// `Debug` never shows the API key.
#[derive(Clone)]
#[non_exhaustive]
pub struct LlmConfig {
    /// The API root, up to and including the version: `https://api.openai.com/v1`,
    /// `http://localhost:11434/v1` (Ollama). Requests go to
    /// `{base_url}/chat/completions`.
    pub base_url: String,
    /// Model name (`gpt-4o-mini`, `llama3.1:8b`).
    pub model: String,
    /// Sent as `Authorization: Bearer <key>` when set.
    pub api_key: Option<String>,
    /// The longest one request may take, from sending it to the stream's end.
    pub request_timeout: Duration,
    /// The longest wait, from sending a request, for the first word or tool
    /// call; a caller is waiting in silence meanwhile.
    pub first_token_timeout: Duration,
    /// How many rounds of tool calls one turn may run. When the model still
    /// wants tools after that, the agent apologises instead.
    pub max_tool_rounds: u32,
    /// Sampling temperature; `None` leaves it to the server (some models
    /// accept no other value).
    pub temperature: Option<f32>,
    /// The persona prompt; the session adds today's date and what it knows
    /// about the caller.
    pub prompt: String,
    /// The opening line. `None` uses the fallback agent's greeting (instant,
    /// in its default language).
    pub greeting: Option<String>,
    /// After a failed request, turns go straight to the fallback agent for
    /// this long (every session of the agent).
    pub failure_cooldown: Duration,
    /// Record each tool call in the store as it runs. Off by default: the
    /// conversation layer records the calls listed in each reply.
    pub record_tool_calls: bool,
}

impl std::fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmConfig")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("request_timeout", &self.request_timeout)
            .field("first_token_timeout", &self.first_token_timeout)
            .field("max_tool_rounds", &self.max_tool_rounds)
            .field("temperature", &self.temperature)
            .field("prompt_chars", &self.prompt.chars().count())
            .field("greeting", &self.greeting.is_some())
            .field("failure_cooldown", &self.failure_cooldown)
            .field("record_tool_calls", &self.record_tool_calls)
            .finish()
    }
}

impl LlmConfig {
    /// A model behind `base_url`, with the defaults: no key, 30 s per
    /// request, 6 s to the first token, 4 tool rounds, temperature 0.3, the
    /// default persona, the fallback's greeting, a 20 s cooldown.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            request_timeout: Duration::from_secs(30),
            first_token_timeout: Duration::from_secs(6),
            max_tool_rounds: 4,
            temperature: Some(0.3),
            prompt: DEFAULT_PERSONA.to_owned(),
            greeting: None,
            failure_cooldown: Duration::from_secs(20),
            record_tool_calls: false,
        }
    }

    /// OpenAI's API with `api_key`.
    pub fn openai(model: impl Into<String>, api_key: impl Into<String>) -> Self {
        Self {
            api_key: Some(api_key.into()),
            ..Self::new("https://api.openai.com/v1", model)
        }
    }

    /// A local Ollama server's OpenAI-compatible API. Local models on a CPU
    /// start slowly, so the first token may take 20 s.
    pub fn ollama(model: impl Into<String>) -> Self {
        Self {
            first_token_timeout: Duration::from_secs(20),
            request_timeout: Duration::from_secs(60),
            ..Self::new("http://localhost:11434/v1", model)
        }
    }

    /// The chat-completions URL.
    pub fn endpoint(&self) -> String {
        format!("{}/chat/completions", self.base_url.trim_end_matches('/'))
    }
}

/// Every tool the model is offered: [`Tools::schemas`] and [`END_CALL`].
pub fn tool_schemas() -> Vec<ToolSchema> {
    let mut schemas = Tools::schemas();
    schemas.push(ToolSchema {
        name: END_CALL.to_owned(),
        description: "End the call: when the caller says goodbye or has nothing more to ask. \
                      Say a short goodbye in the same reply."
            .to_owned(),
        parameters: json!({
            "type": "object",
            "properties": {},
            "required": [],
            "additionalProperties": false,
        }),
    });
    schemas
}

/// Why a model request failed. Says nothing about the conversation.
#[derive(Debug)]
enum Failure {
    /// No connection (refused, DNS, TLS).
    Connect,
    /// The request failed on the way.
    Request,
    /// The server answered with an error status.
    Status { status: u16, code: Option<String> },
    /// Nothing to say within `first_token_timeout`.
    FirstToken,
    /// The request outlived `request_timeout`.
    Timeout,
    /// The body broke off.
    Body,
    /// The body was not a chat completion.
    Stream(StreamError),
    /// A completion with neither words nor tool calls.
    Empty,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Connect => write!(f, "could not connect"),
            Self::Request => write!(f, "request failed"),
            Self::Status { status, code } => match code {
                Some(code) => write!(f, "http status {status} ({code})"),
                None => write!(f, "http status {status}"),
            },
            Self::FirstToken => write!(f, "no first token in time"),
            Self::Timeout => write!(f, "request timed out"),
            Self::Body => write!(f, "response body broke off"),
            Self::Stream(e) => write!(f, "{e}"),
            Self::Empty => write!(f, "empty completion"),
        }
    }
}

impl Failure {
    fn from_reqwest(e: &reqwest::Error) -> Self {
        if e.is_timeout() {
            Self::Timeout
        } else if e.is_connect() {
            Self::Connect
        } else if e.is_body() || e.is_decode() {
            Self::Body
        } else {
            Self::Request
        }
    }
}

/// Built once: the HTTP client, the tools, the fallback and the breaker.
struct Shared {
    config: LlmConfig,
    endpoint: String,
    client: reqwest::Client,
    tools: Tools,
    /// `tools` of every request, built once.
    tool_specs: Value,
    fallback: Arc<dyn Agent>,
    /// Until when the model is skipped after a failure.
    down_until: Mutex<Option<Instant>>,
}

/// The LLM-backed agent: built once, shared by all calls.
pub struct LlmAgent {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for LlmAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmAgent")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl LlmAgent {
    /// An agent answering through the model `config` names, with tools over
    /// `store`, and `fallback` answering whenever the model fails.
    ///
    /// Fails only when `base_url` is not an `http(s)` URL or the HTTP client
    /// cannot be built.
    pub fn new(
        config: LlmConfig,
        store: Arc<dyn Store>,
        fallback: Arc<dyn Agent>,
    ) -> Result<Self, AgentError> {
        let base = config.base_url.trim();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(AgentError::Model {
                reason: "base_url must start with http:// or https://".to_owned(),
            });
        }
        let client = reqwest::Client::builder()
            .connect_timeout(config.first_token_timeout)
            .build()
            .map_err(|_| AgentError::Model {
                reason: "could not build the http client".to_owned(),
            })?;
        let tool_specs = Value::Array(
            tool_schemas()
                .into_iter()
                .map(|s| {
                    json!({
                        "type": "function",
                        "function": {
                            "name": s.name,
                            "description": s.description,
                            "parameters": s.parameters,
                        },
                    })
                })
                .collect(),
        );
        Ok(Self {
            shared: Arc::new(Shared {
                endpoint: config.endpoint(),
                config,
                client,
                tools: Tools::new(store),
                tool_specs,
                fallback,
                down_until: Mutex::new(None),
            }),
        })
    }

    /// The tools this agent acts through.
    pub fn tools(&self) -> &Tools {
        &self.shared.tools
    }

    /// The configuration.
    pub fn config(&self) -> &LlmConfig {
        &self.shared.config
    }

    /// Starts a session with its concrete type (the [`Agent`] trait boxes it).
    pub async fn session(&self, ctx: SessionContext) -> LlmSession {
        let fallback = self.shared.fallback.start(ctx.clone()).await;
        let language = fallback.language();
        LlmSession {
            shared: Arc::clone(&self.shared),
            ctx,
            history: History::default(),
            fallback,
            language,
            caller_language: None,
            in_flight: Vec::new(),
            fallback_offset: None,
        }
    }
}

#[async_trait]
impl Agent for LlmAgent {
    async fn start(&self, ctx: SessionContext) -> Box<dyn AgentSession> {
        Box::new(self.session(ctx).await)
    }
}

impl Shared {
    fn cooling_down(&self) -> bool {
        let until = *self
            .down_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        until.is_some_and(|t| Instant::now() < t)
    }

    fn mark_down(&self) {
        if self.config.failure_cooldown.is_zero() {
            return;
        }
        *self
            .down_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner) =
            Some(Instant::now() + self.config.failure_cooldown);
    }

    fn request_body(&self, messages: &[Message], tool_choice: &str) -> Value {
        let mut body = json!({
            "model": self.config.model,
            "messages": messages,
            "stream": true,
            "tools": self.tool_specs,
            "tool_choice": tool_choice,
        });
        if let (Some(t), Value::Object(map)) = (self.config.temperature, &mut body) {
            map.insert("temperature".into(), json!(t));
        }
        body
    }

    /// One request: streams content to `on_content` as it arrives and
    /// returns the whole completion.
    async fn complete(
        &self,
        body: &Value,
        on_content: &mut (dyn FnMut(&str) + Send),
    ) -> Result<Completion, Failure> {
        let started = Instant::now();
        let total = started + self.config.request_timeout;
        let first = started
            + self
                .config
                .first_token_timeout
                .min(self.config.request_timeout);
        let mut request = self.client.post(&self.endpoint).json(body);
        if let Some(key) = &self.config.api_key {
            request = request.bearer_auth(key);
        }
        let response = match timeout_at(first, request.send()).await {
            Err(_) => return Err(Failure::FirstToken),
            Ok(Err(e)) => return Err(Failure::from_reqwest(&e)),
            Ok(Ok(r)) => r,
        };
        let status = response.status();
        if !status.is_success() {
            let body = timeout_at(total, response.bytes())
                .await
                .ok()
                .and_then(Result::ok);
            let code = body.as_deref().and_then(error_code);
            return Err(Failure::Status {
                status: status.as_u16(),
                code,
            });
        }
        let is_json = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let mut acc = StreamAccumulator::default();
        if is_json {
            // A server that ignored `stream: true`: one whole completion.
            let bytes = match timeout_at(total, response.bytes()).await {
                Err(_) => return Err(Failure::Timeout),
                Ok(Err(e)) => return Err(Failure::from_reqwest(&e)),
                Ok(Ok(b)) => b,
            };
            let applied = acc
                .apply(&String::from_utf8_lossy(&bytes))
                .map_err(Failure::Stream)?;
            if !applied.content.is_empty() {
                on_content(&applied.content);
            }
        } else {
            let mut sse = SseDecoder::default();
            let mut stream = response.bytes_stream();
            let mut started_talking = false;
            while !acc.is_done() {
                let deadline = if started_talking { total } else { first };
                let next = match timeout_at(deadline, stream.next()).await {
                    Err(_) if started_talking => return Err(Failure::Timeout),
                    Err(_) => return Err(Failure::FirstToken),
                    Ok(next) => next,
                };
                let ended = next.is_none();
                let events = match next {
                    None => sse.finish().into_iter().collect(),
                    Some(Err(e)) => return Err(Failure::from_reqwest(&e)),
                    Some(Ok(bytes)) => sse.push(&bytes).map_err(Failure::Stream)?,
                };
                for event in events {
                    let applied = acc.apply(&event).map_err(Failure::Stream)?;
                    started_talking |= applied.tool_activity || !applied.content.is_empty();
                    if !applied.content.is_empty() {
                        on_content(&applied.content);
                    }
                }
                if ended {
                    break;
                }
            }
        }
        let completion = acc.finish().map_err(Failure::Stream)?;
        if completion.content.trim().is_empty() && completion.tool_calls.is_empty() {
            return Err(Failure::Empty);
        }
        Ok(completion)
    }
}

/// The `error.code` or `error.type` of an OpenAI-style error body.
fn error_code(body: &[u8]) -> Option<String> {
    if body.len() > MAX_ERROR_BODY {
        return None;
    }
    let v: Value = serde_json::from_slice(body).ok()?;
    let error = v.get("error")?;
    ["code", "type"]
        .iter()
        .find_map(|k| error.get(*k).and_then(Value::as_str))
        .map(str::to_owned)
}

/// The language a reply is written in, when it says (a bare number or name
/// does not).
fn language_of(text: &str) -> Option<Language> {
    let n = crate::text::normalize(text);
    n.has_language_cues().then_some(n.language)
}

fn said_in(lang: Language, english: &str, hinglish: &str, hindi: &str) -> String {
    match lang {
        Language::English => english,
        Language::Hinglish => hinglish,
        Language::Hindi => hindi,
    }
    .to_owned()
}

fn too_many_tools_line(lang: Language) -> String {
    said_in(
        lang,
        "Sorry, I could not finish that just now. Could you tell me once more what you need?",
        "Maaf kijiye, abhi yeh poora nahi ho paaya. Kya aap ek baar phir bata sakte hain?",
        "माफ़ कीजिए, अभी यह पूरा नहीं हो पाया। क्या आप एक बार फिर बता सकते हैं?",
    )
}

fn transfer_line(lang: Language) -> String {
    said_in(
        lang,
        "I am connecting you to a colleague now. Please stay on the line.",
        "Main aapko abhi ek colleague se connect kar rahi hoon. Kripya line par bane rahiye.",
        "मैं आपको अभी एक सहकर्मी से जोड़ रही हूँ। कृपया लाइन पर बने रहिए।",
    )
}

fn goodbye_line(lang: Language) -> String {
    said_in(
        lang,
        "Thank you for calling. Have a good day!",
        "Call karne ke liye dhanyavaad. Aapka din shubh ho!",
        "कॉल करने के लिए धन्यवाद। आपका दिन शुभ हो!",
    )
}

fn calendar_date(now: DateTime<Utc>) -> String {
    now.format("%A, %-d %B %Y").to_string()
}

/// What one turn has done so far.
#[derive(Debug, Default)]
struct Turn {
    /// Words of the rounds already in the history, in order.
    parts: Vec<String>,
    tool_calls: Vec<ToolCallOutcome>,
    ended: bool,
    action: Option<CallAction>,
}

/// One call with the LLM agent.
pub struct LlmSession {
    shared: Arc<Shared>,
    ctx: SessionContext,
    history: History,
    fallback: Box<dyn AgentSession>,
    language: Language,
    /// The caller's language, once they have said something that shows it.
    caller_language: Option<Language>,
    /// Clauses of the current round given to the voice but not yet in the
    /// history; a turn cancelled mid-stream leaves them here.
    in_flight: Vec<String>,
    /// When the fallback answered the last turn: how many characters of the
    /// reply came before its words.
    fallback_offset: Option<usize>,
}

impl std::fmt::Debug for LlmSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmSession")
            .field("call_id", &self.ctx.call_id)
            .field("language", &self.language)
            .field("messages", &self.history.messages().len())
            .finish_non_exhaustive()
    }
}

impl LlmSession {
    /// The system prompt for a turn at `now`.
    fn system_prompt(&self, now: DateTime<Utc>) -> String {
        let mut p = self.shared.config.prompt.trim_end().to_owned();
        p.push_str("\n\nThis call:\n");
        p.push_str(&format!(
            "- Today is {} (UTC). Dates in tool results are relative to today.\n",
            calendar_date(now)
        ));
        p.push_str(if self.ctx.caller.is_some() {
            "- The caller's phone number is known: lookup_order with no arguments lists their recent orders.\n"
        } else {
            "- The caller's phone number is not known: ask for the order number.\n"
        });
        p.push_str(match self.caller_language {
            Some(Language::English) => "- The caller speaks English: answer in English.\n",
            Some(Language::Hinglish) => {
                "- The caller mixes Hindi and English in Latin letters: answer in Hinglish, in Latin letters.\n"
            }
            Some(Language::Hindi) => "- The caller speaks Hindi: answer in Hindi, in Devanagari.\n",
            None => "- The caller has not shown their language yet: follow their lead.\n",
        });
        p
    }

    /// Commits the words of a turn cancelled mid-stream.
    fn settle(&mut self) {
        if !self.in_flight.is_empty() {
            let said = std::mem::take(&mut self.in_flight).join(" ");
            self.history.push_said(&said);
        }
    }

    /// The language for canned lines.
    fn speaking(&self) -> Language {
        self.caller_language.unwrap_or(self.language)
    }

    /// Rounds of model requests and tools until the model has answered.
    async fn run_rounds(
        &mut self,
        now: DateTime<Utc>,
        clauses: &mut (dyn FnMut(String) + Send),
        turn: &mut Turn,
    ) -> Result<(), Failure> {
        let shared = Arc::clone(&self.shared);
        let max_rounds = shared.config.max_tool_rounds;
        let tool_ctx = ToolContext {
            call_id: self.ctx.call_id.clone(),
            caller: self.ctx.caller.clone(),
            now,
            record: shared.config.record_tool_calls,
        };
        let mut rounds = 0u32;
        loop {
            // Past the limit the model may only talk.
            let choice = if rounds < max_rounds { "auto" } else { "none" };
            let body = shared.request_body(self.history.messages(), choice);
            let mut splitter = ClauseSplitter::new();
            let completion = {
                let in_flight = &mut self.in_flight;
                let mut on_content = |delta: &str| {
                    for clause in splitter.push(&speakable(delta)) {
                        in_flight.push(clause.clone());
                        clauses(clause);
                    }
                };
                shared.complete(&body, &mut on_content).await?
            };
            if let Some(clause) = splitter.finish() {
                self.in_flight.push(clause.clone());
                clauses(clause);
            }
            let content = speakable(&completion.content).trim().to_owned();
            tracing::debug!(
                round = rounds,
                tool_calls = completion.tool_calls.len(),
                finish_reason = completion.finish_reason.as_deref().unwrap_or(""),
                "llm round done"
            );
            if completion.tool_calls.is_empty() {
                self.in_flight.clear();
                self.history.push_said(&content);
                turn.parts.push(content);
                return Ok(());
            }
            if rounds >= max_rounds {
                tracing::warn!(rounds, "llm asked for tools past the round limit");
                let line = too_many_tools_line(self.speaking());
                clauses(line.clone());
                self.in_flight.clear();
                let said = if content.is_empty() {
                    line
                } else {
                    format!("{content} {line}")
                };
                self.history.push_said(&said);
                turn.parts.push(said);
                return Ok(());
            }
            let mut results = Vec::with_capacity(completion.tool_calls.len());
            for call in &completion.tool_calls {
                let outcome = if call.name == END_CALL {
                    end_call_outcome(&call.arguments)
                } else {
                    shared
                        .tools
                        .call(&call.name, Value::String(call.arguments.clone()), &tool_ctx)
                        .await
                };
                tracing::debug!(tool = %outcome.name, ok = outcome.ok, "llm tool call");
                if outcome.name == END_CALL {
                    turn.ended = true;
                    turn.action.get_or_insert(CallAction::HangUp);
                } else if outcome.name == TRANSFER && outcome.ok {
                    let reason = outcome.result["reason"].as_str().unwrap_or("").to_owned();
                    turn.ended = true;
                    turn.action = Some(CallAction::TransferToHuman { reason });
                }
                results.push(Message::Tool {
                    tool_call_id: call.id.clone(),
                    content: outcome.result.to_string(),
                });
                turn.tool_calls.push(outcome);
            }
            // The round goes into the history whole, after every tool ran:
            // a request never sees a tool call without its result.
            self.in_flight.clear();
            self.history.push(Message::Assistant {
                content: (!content.is_empty()).then(|| content.clone()),
                tool_calls: completion
                    .tool_calls
                    .iter()
                    .map(|c| WireToolCall {
                        id: c.id.clone(),
                        kind: "function",
                        function: WireFunction {
                            name: c.name.clone(),
                            arguments: c.arguments.clone(),
                        },
                    })
                    .collect(),
            });
            for r in results {
                self.history.push(r);
            }
            if !content.is_empty() {
                turn.parts.push(content);
            }
            rounds += 1;
            if turn.ended {
                if turn.parts.is_empty() {
                    let line = match turn.action {
                        Some(CallAction::TransferToHuman { .. }) => transfer_line(self.speaking()),
                        _ => goodbye_line(self.speaking()),
                    };
                    clauses(line.clone());
                    self.history.push_said(&line);
                    turn.parts.push(line);
                }
                return Ok(());
            }
        }
    }

    /// The model failed: the fallback session answers this turn.
    async fn fall_back(
        &mut self,
        text: &str,
        now: DateTime<Utc>,
        clauses: &mut (dyn FnMut(String) + Send),
        mut turn: Turn,
    ) -> Result<AgentReply, AgentError> {
        // Words of the failed round the caller already heard stay said.
        let heard = std::mem::take(&mut self.in_flight).join(" ");
        let reply = match self.fallback.respond(text, now).await {
            Ok(r) => r,
            Err(e) => {
                self.history.push_said(&heard);
                return Err(e);
            }
        };
        let mut splitter = ClauseSplitter::new();
        for clause in splitter
            .push(&reply.text)
            .into_iter()
            .chain(splitter.finish())
        {
            clauses(clause);
        }
        self.history
            .push_said(&join_said([heard.as_str(), &reply.text]));
        let before = join_said(
            turn.parts
                .iter()
                .map(String::as_str)
                .chain([heard.as_str()]),
        );
        self.fallback_offset = Some(if before.is_empty() {
            0
        } else {
            before.chars().count() + 1
        });
        let text = join_said([before.as_str(), &reply.text]);
        turn.tool_calls.extend(reply.tool_calls);
        self.language = reply.language;
        Ok(AgentReply {
            text,
            language: reply.language,
            tool_calls: turn.tool_calls,
            ended: turn.ended || reply.ended,
            action: turn.action.or(reply.action),
        })
    }
}

/// Spoken parts joined by spaces, empty ones left out.
fn join_said<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The record of an [`END_CALL`] call.
fn end_call_outcome(arguments: &str) -> ToolCallOutcome {
    let arguments = serde_json::from_str::<Value>(arguments)
        .ok()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    ToolCallOutcome {
        name: END_CALL.to_owned(),
        arguments,
        result: json!({ "ended": true }),
        ok: true,
        duration_us: 0,
    }
}

#[async_trait]
impl AgentSession for LlmSession {
    async fn greet(&mut self, now: DateTime<Utc>) -> AgentReply {
        self.history.set_system(self.system_prompt(now));
        let reply = match &self.shared.config.greeting {
            Some(text) => AgentReply {
                text: text.clone(),
                language: language_of(text).unwrap_or(self.language),
                tool_calls: Vec::new(),
                ended: false,
                action: None,
            },
            None => self.fallback.greet(now).await,
        };
        self.language = reply.language;
        self.history.push_said(&reply.text);
        self.fallback_offset = None;
        reply
    }

    async fn respond(&mut self, text: &str, now: DateTime<Utc>) -> Result<AgentReply, AgentError> {
        self.respond_streaming(text, now, &mut |_| {}).await
    }

    async fn respond_streaming(
        &mut self,
        text: &str,
        now: DateTime<Utc>,
        clauses: &mut (dyn FnMut(String) + Send),
    ) -> Result<AgentReply, AgentError> {
        self.settle();
        let said = text.trim();
        let normalized = crate::text::normalize(said);
        if normalized.has_language_cues() {
            self.caller_language = Some(normalized.language);
        }
        self.history.set_system(self.system_prompt(now));
        self.history.push(Message::User {
            content: said.to_owned(),
        });
        self.fallback_offset = None;
        let mut turn = Turn::default();
        if self.shared.cooling_down() {
            tracing::debug!("llm cooling down after a failure; the fallback agent answers");
            return self.fall_back(said, now, clauses, turn).await;
        }
        let started = Instant::now();
        match self.run_rounds(now, clauses, &mut turn).await {
            Ok(()) => {
                let text = join_said(turn.parts.iter().map(String::as_str));
                let language = language_of(&text).unwrap_or_else(|| self.speaking());
                self.language = language;
                tracing::debug!(
                    tool_calls = turn.tool_calls.len(),
                    elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    "llm turn answered"
                );
                Ok(AgentReply {
                    text,
                    language,
                    tool_calls: turn.tool_calls,
                    ended: turn.ended,
                    action: turn.action,
                })
            }
            Err(failure) => {
                tracing::warn!(
                    failure = %failure,
                    "llm request failed; the fallback agent answers this turn"
                );
                self.shared.mark_down();
                self.fall_back(said, now, clauses, turn).await
            }
        }
    }

    fn truncate_last_reply(&mut self, heard: &str) {
        self.settle();
        self.history.truncate_last_turn(heard);
        if let Some(offset) = self.fallback_offset {
            let rest: String = heard.trim().chars().skip(offset).collect();
            self.fallback.truncate_last_reply(rest.trim());
        }
    }

    fn language(&self) -> Language {
        self.language
    }
}
