//! An OpenAI-compatible chat-completions server over real HTTP.
//!
//! [`FakeChat::start`] serves `POST /v1/chat/completions` (and
//! `POST /chat/completions`) on `127.0.0.1:<random port>`. A test gives it a
//! *script*: a function from the request ([`ChatRequest`]: model, messages,
//! tools) to what the model says ([`Reply`]: words, tool calls, or a
//! [`Failure`]), so it can answer from the latest user message or from the
//! tool results the client sent back.
//!
//! It answers the way the OpenAI API documents it:
//!
//! * `stream: true` — `text/event-stream` of `data: {chat.completion.chunk}`
//!   events: a role delta first (`{"role": "assistant", "content": ""}`),
//!   the words as content deltas of a word or a punctuation mark each, tool
//!   calls as `tool_calls` deltas (the first with `index`, `id`, `type` and
//!   `function.name`, then `function.arguments` in fragments of a few
//!   characters), a last chunk with an empty delta and `finish_reason`
//!   `"tool_calls"` or `"stop"`, a usage chunk when
//!   `stream_options.include_usage` asks for one, then `data: [DONE]`.
//!   [`ChatOptions::chunk_delay`] paces the chunks.
//! * `stream: false` (or absent) — one `chat.completion` object.
//! * `Authorization: Bearer <key>` is checked when [`ChatOptions::api_key`]
//!   is set: 401 with OpenAI's error object (`invalid_api_key`) otherwise.
//! * The request is validated as the API does: a `model`, non-empty
//!   `messages` with known roles, assistant `tool_calls` each answered by a
//!   `tool` message before the next non-tool message, `tool` messages
//!   answering a call, well-formed `tools` (`type: function`, a name, an
//!   object schema), and `tool_choice` only with tools — 400 with
//!   `invalid_request_error` otherwise; a model other than
//!   [`ChatOptions::model`] (when set) is 404 `model_not_found`.
//!
//! Every request is recorded ([`FakeChat::requests`]), including refused
//! ones. Failures come from the script or from [`FakeChat::fail_next`]:
//! an error status with OpenAI's error body, a server that never answers, a
//! stream cut off mid-way (the connection is dropped without the closing
//! chunk), a stream that stalls, or an event that is not JSON.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};

/// The longest a hanging or stalled answer waits before giving up by itself.
const HANG_LIMIT: Duration = Duration::from_secs(120);
/// Tool-call arguments are streamed in fragments of at most this many chars.
const ARGUMENT_FRAGMENT_CHARS: usize = 7;
/// The `created` timestamp of every answer (a fixed instant keeps runs equal).
const CREATED: i64 = 1_767_225_600;

/// One request the fake received.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    /// The path asked for (`/v1/chat/completions`).
    pub path: String,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The JSON body (`Value::Null` if it was not JSON).
    pub body: Value,
    /// The status the fake answered with.
    pub status: u16,
}

/// A tool's result as the client sent it back.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolResult {
    /// The tool's name (from the assistant message that called it).
    pub name: String,
    /// The call id.
    pub tool_call_id: String,
    /// The content, parsed as JSON when it is JSON, else a JSON string.
    pub content: Value,
}

impl ChatRequest {
    /// `model`.
    pub fn model(&self) -> &str {
        self.body["model"].as_str().unwrap_or("")
    }

    /// Whether the client asked for a stream.
    pub fn stream(&self) -> bool {
        self.body["stream"].as_bool().unwrap_or(false)
    }

    /// `messages`.
    pub fn messages(&self) -> &[Value] {
        self.body["messages"].as_array().map_or(&[], Vec::as_slice)
    }

    /// The system prompt (the first `system` or `developer` message).
    pub fn system_prompt(&self) -> Option<&str> {
        self.messages()
            .iter()
            .find(|m| matches!(m["role"].as_str(), Some("system" | "developer")))
            .and_then(|m| m["content"].as_str())
    }

    /// The names of the offered tools, in order.
    pub fn tool_names(&self) -> Vec<String> {
        self.body["tools"]
            .as_array()
            .map(|ts| {
                ts.iter()
                    .filter_map(|t| t["function"]["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The schema of one offered tool's parameters.
    pub fn tool_parameters(&self, name: &str) -> Option<&Value> {
        self.body["tools"]
            .as_array()?
            .iter()
            .find(|t| t["function"]["name"] == name)
            .map(|t| &t["function"]["parameters"])
    }

    /// `tool_choice` (`"auto"`, `"none"`, …), if sent.
    pub fn tool_choice(&self) -> Option<&Value> {
        self.body.get("tool_choice")
    }

    /// The text of the last `user` message.
    pub fn last_user_text(&self) -> Option<&str> {
        self.messages()
            .iter()
            .rev()
            .find(|m| m["role"] == "user")
            .and_then(|m| m["content"].as_str())
    }

    /// The role of the last message (`tool` when the client is sending
    /// results back).
    pub fn last_role(&self) -> Option<&str> {
        self.messages().last().and_then(|m| m["role"].as_str())
    }

    /// Tool results sent since the last user message, in order.
    pub fn tool_results(&self) -> Vec<ToolResult> {
        let messages = self.messages();
        let start = messages
            .iter()
            .rposition(|m| m["role"] == "user")
            .map_or(0, |i| i + 1);
        tool_results_in(messages, start)
    }

    /// The last result of the tool `name` anywhere in the conversation.
    pub fn last_tool_result(&self, name: &str) -> Option<Value> {
        tool_results_in(self.messages(), 0)
            .into_iter()
            .rev()
            .find(|r| r.name == name)
            .map(|r| r.content)
    }
}

fn tool_results_in(messages: &[Value], start: usize) -> Vec<ToolResult> {
    let mut names: HashMap<&str, &str> = HashMap::new();
    for m in messages {
        for call in m["tool_calls"].as_array().into_iter().flatten() {
            if let (Some(id), Some(name)) = (call["id"].as_str(), call["function"]["name"].as_str())
            {
                names.insert(id, name);
            }
        }
    }
    messages
        .iter()
        .skip(start)
        .filter(|m| m["role"] == "tool")
        .map(|m| {
            let id = m["tool_call_id"].as_str().unwrap_or("");
            let raw = m["content"].as_str().unwrap_or("");
            ToolResult {
                name: names.get(id).copied().unwrap_or("").to_owned(),
                tool_call_id: id.to_owned(),
                content: serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.into())),
            }
        })
        .collect()
}

/// A tool call the scripted model makes.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    /// Function name.
    pub name: String,
    /// The arguments as JSON text, exactly as streamed (may be invalid on
    /// purpose).
    pub arguments: String,
}

impl ToolCall {
    /// A call with JSON arguments.
    #[allow(
        clippy::needless_pass_by_value,
        reason = "scripts write the arguments inline with json!"
    )]
    pub fn new(name: &str, arguments: Value) -> Self {
        Self {
            name: name.to_owned(),
            arguments: arguments.to_string(),
        }
    }

    /// A call whose arguments text is sent as given.
    pub fn raw(name: &str, arguments: &str) -> Self {
        Self {
            name: name.to_owned(),
            arguments: arguments.to_owned(),
        }
    }
}

/// How the fake fails a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Answer with this status and OpenAI's error body for it (500
    /// `server_error`, 429 `rate_limit_exceeded`, 503 overloaded, …).
    Status(u16),
    /// Never answer (until the fake is dropped, or two minutes).
    Hang,
    /// Send this many chunks (`data:` events) of the answer, then drop the
    /// connection without finishing the body.
    CutAfter(usize),
    /// Send this many chunks of the answer, then send nothing more (until
    /// the fake is dropped, or two minutes).
    StallAfter(usize),
    /// After the role chunk, send an event whose data is not JSON, then
    /// finish normally.
    Malformed,
}

/// What the scripted model answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// Words only (`finish_reason: "stop"`).
    Text(String),
    /// Tool calls, optionally after some words (`finish_reason:
    /// "tool_calls"`).
    ToolCalls {
        /// Words said before the calls.
        text: Option<String>,
        /// The calls, in index order.
        calls: Vec<ToolCall>,
    },
    /// Fail this request.
    Fail(Failure),
}

impl Reply {
    /// Words only.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    /// One tool call with JSON arguments.
    pub fn tool(name: &str, arguments: Value) -> Self {
        Self::ToolCalls {
            text: None,
            calls: vec![ToolCall::new(name, arguments)],
        }
    }

    /// Several tool calls.
    pub fn tools(calls: Vec<ToolCall>) -> Self {
        Self::ToolCalls { text: None, calls }
    }

    /// Words, then tool calls.
    pub fn text_then_tools(text: impl Into<String>, calls: Vec<ToolCall>) -> Self {
        Self::ToolCalls {
            text: Some(text.into()),
            calls,
        }
    }
}

/// How the fake behaves apart from its script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatOptions {
    /// Require `Authorization: Bearer <key>`.
    pub api_key: Option<String>,
    /// Accept only this model (404 `model_not_found` for others).
    pub model: Option<String>,
    /// Pause before each streamed chunk.
    pub chunk_delay: Duration,
}

impl Default for ChatOptions {
    fn default() -> Self {
        Self {
            api_key: None,
            model: None,
            chunk_delay: Duration::from_millis(1),
        }
    }
}

type Script = Arc<dyn Fn(&ChatRequest) -> Reply + Send + Sync>;

struct Inner {
    requests: Vec<ChatRequest>,
    fail_next: VecDeque<Failure>,
    completions: u64,
}

struct Shared {
    options: ChatOptions,
    script: Script,
    inner: Mutex<Inner>,
    shutdown: watch::Receiver<bool>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A fake OpenAI-compatible chat-completions server; stops when dropped.
pub struct FakeChat {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for FakeChat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeChat")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Drop for FakeChat {
    fn drop(&mut self) {
        // Hanging and stalled answers end with the server.
        let _ = self.shutdown.send(true);
        self.task.abort();
    }
}

impl FakeChat {
    /// Serves `script` with the default [`ChatOptions`] on `127.0.0.1:0`.
    ///
    /// # Panics
    /// If no local port can be bound (a broken test machine).
    pub async fn start<F>(script: F) -> Self
    where
        F: Fn(&ChatRequest) -> Reply + Send + Sync + 'static,
    {
        Self::start_with(ChatOptions::default(), script).await
    }

    /// Serves `script` with `options` on `127.0.0.1:0`.
    ///
    /// # Panics
    /// If no local port can be bound (a broken test machine).
    pub async fn start_with<F>(options: ChatOptions, script: F) -> Self
    where
        F: Fn(&ChatRequest) -> Reply + Send + Sync + 'static,
    {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("fake chat: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("fake chat: local address");
        let (shutdown, shutdown_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            options,
            script: Arc::new(script),
            inner: Mutex::new(Inner {
                requests: Vec::new(),
                fail_next: VecDeque::new(),
                completions: 0,
            }),
            shutdown: shutdown_rx,
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(handle))
            .route("/chat/completions", post(handle))
            .with_state(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                tracing::warn!(%err, "fake chat server stopped");
            }
        });
        Self {
            addr,
            shared,
            shutdown,
            task,
        }
    }

    /// `http://127.0.0.1:<port>/v1`: the `base_url` for a client.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<ChatRequest> {
        self.shared.lock().requests.clone()
    }

    /// How many requests arrived.
    pub fn request_count(&self) -> usize {
        self.shared.lock().requests.len()
    }

    /// Fails the next request that passes authentication and validation
    /// with `failure`, whatever the script says. Calls queue up.
    pub fn fail_next(&self, failure: Failure) {
        self.shared.lock().fail_next.push_back(failure);
    }
}

fn error_body(message: &str, kind: &str, code: Option<&str>) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

fn error_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn status_failure(status: u16) -> (StatusCode, Value) {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = match status {
        429 => error_body(
            "Rate limit reached for requests. Please try again in 1s.",
            "requests",
            Some("rate_limit_exceeded"),
        ),
        503 => error_body(
            "The engine is currently overloaded, please try again later.",
            "server_error",
            None,
        ),
        400..=499 => error_body("Invalid request.", "invalid_request_error", None),
        _ => error_body(
            "The server had an error while processing your request. Sorry about that!",
            "server_error",
            None,
        ),
    };
    (code, body)
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let json_body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut request = ChatRequest {
        path: uri.path().to_owned(),
        authorization,
        body: json_body,
        status: 200,
    };
    let refusal = refuse(&shared.options, &request, &body);
    let (index, failure) = {
        let mut inner = shared.lock();
        if let Some((status, _)) = &refusal {
            request.status = status.as_u16();
        }
        let failure = if refusal.is_none() {
            inner.fail_next.pop_front()
        } else {
            None
        };
        if let Some(Failure::Status(s)) = &failure {
            request.status = *s;
        }
        inner.completions += 1;
        inner.requests.push(request.clone());
        (inner.completions, failure)
    };
    if let Some((status, body)) = refusal {
        return error_response(status, &body);
    }
    let reply = match failure {
        Some(f @ (Failure::Status(_) | Failure::Hang)) => Reply::Fail(f),
        // A failure mid-answer breaks the answer the script gives.
        Some(f) => match (shared.script)(&request) {
            Reply::Fail(_) => Reply::Fail(f),
            answer => return answer_with(&shared, &request, index, answer, Some(f)).await,
        },
        None => (shared.script)(&request),
    };
    let (reply, failure) = match reply {
        Reply::Fail(Failure::Status(s)) => {
            let (status, body) = status_failure(s);
            return error_response(status, &body);
        }
        Reply::Fail(Failure::Hang) => {
            wait_for_shutdown(shared.shutdown.clone()).await;
            return StatusCode::GATEWAY_TIMEOUT.into_response();
        }
        // A failure mid-answer needs an answer to break: an empty text.
        Reply::Fail(f) => (Reply::Text(String::new()), Some(f)),
        other => (other, None),
    };
    answer_with(&shared, &request, index, reply, failure).await
}

/// Answers with `reply`, broken as `failure` says.
async fn answer_with(
    shared: &Arc<Shared>,
    request: &ChatRequest,
    index: u64,
    reply: Reply,
    failure: Option<Failure>,
) -> Response {
    let id = format!("chatcmpl-fake{index:06}");
    if request.stream() {
        let include_usage = request.body["stream_options"]["include_usage"] == true;
        let chunks = stream_chunks(&id, request.model(), &reply, include_usage);
        stream_response(shared, chunks, failure)
    } else {
        let completion = completion(&id, request.model(), &reply);
        match failure {
            Some(Failure::CutAfter(_) | Failure::Malformed) => {
                let text = completion.to_string();
                let half = text.len() / 2;
                let cut = (0..=half)
                    .rev()
                    .find(|&i| text.is_char_boundary(i))
                    .unwrap_or(0);
                broken_body(text[..cut].to_owned())
            }
            Some(Failure::StallAfter(_)) => {
                wait_for_shutdown(shared.shutdown.clone()).await;
                StatusCode::GATEWAY_TIMEOUT.into_response()
            }
            _ => (
                [(header::CONTENT_TYPE, "application/json")],
                completion.to_string(),
            )
                .into_response(),
        }
    }
}

async fn wait_for_shutdown(mut shutdown: watch::Receiver<bool>) {
    tokio::select! {
        _ = shutdown.wait_for(|stop| *stop) => {}
        () = tokio::time::sleep(HANG_LIMIT) => {}
    }
}

/// Why a request is refused before the script sees it.
fn refuse(options: &ChatOptions, request: &ChatRequest, raw: &[u8]) -> Option<(StatusCode, Value)> {
    if let Some(key) = &options.api_key {
        match request.authorization.as_deref() {
            None => {
                return Some((
                    StatusCode::UNAUTHORIZED,
                    error_body(
                        "You didn't provide an API key. You need to provide your API key in an \
                         Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                        "invalid_request_error",
                        None,
                    ),
                ))
            }
            Some(given) if given.strip_prefix("Bearer ") != Some(key.as_str()) => {
                return Some((
                    StatusCode::UNAUTHORIZED,
                    error_body(
                        "Incorrect API key provided.",
                        "invalid_request_error",
                        Some("invalid_api_key"),
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    if serde_json::from_slice::<Value>(raw).is_err() {
        return Some(invalid(
            "We could not parse the JSON body of your request.",
            None,
        ));
    }
    if let Err(message) = validate(&request.body) {
        return Some(invalid(&message, None));
    }
    if let Some(model) = &options.model {
        if request.model() != model {
            return Some((
                StatusCode::NOT_FOUND,
                error_body(
                    &format!(
                        "The model `{}` does not exist or you do not have access to it.",
                        request.model()
                    ),
                    "invalid_request_error",
                    Some("model_not_found"),
                ),
            ));
        }
    }
    None
}

fn invalid(message: &str, code: Option<&str>) -> (StatusCode, Value) {
    (
        StatusCode::BAD_REQUEST,
        error_body(message, "invalid_request_error", code),
    )
}

/// The request's shape, as the API checks it.
fn validate(body: &Value) -> Result<(), String> {
    let Value::Object(map) = body else {
        return Err("The request body must be a JSON object.".into());
    };
    match map.get("model").and_then(Value::as_str) {
        Some(m) if !m.is_empty() => {}
        _ => return Err("you must provide a model parameter".into()),
    }
    if let Some(s) = map.get("stream") {
        if !s.is_boolean() && !s.is_null() {
            return Err("'stream' must be a boolean".into());
        }
    }
    if let Some(t) = map.get("temperature") {
        match t.as_f64() {
            Some(t) if (0.0..=2.0).contains(&t) => {}
            None if t.is_null() => {}
            _ => return Err("'temperature' must be a number between 0 and 2".into()),
        }
    }
    let messages = match map.get("messages").and_then(Value::as_array) {
        Some(m) if !m.is_empty() => m,
        _ => return Err("'messages' must be a non-empty array".into()),
    };
    validate_messages(messages)?;
    let tools = map.get("tools").filter(|t| !t.is_null());
    if let Some(tools) = tools {
        let Some(tools) = tools.as_array() else {
            return Err("'tools' must be an array".into());
        };
        for (i, tool) in tools.iter().enumerate() {
            if tool["type"] != "function" {
                return Err(format!("tools[{i}].type must be 'function'"));
            }
            match tool["function"]["name"].as_str() {
                Some(n) if is_function_name(n) => {}
                _ => return Err(format!("tools[{i}].function.name is invalid")),
            }
            let params = &tool["function"]["parameters"];
            if !params.is_null() && (!params.is_object() || params["type"] != "object") {
                return Err(format!(
                    "Invalid schema for function '{}': schema must be a JSON Schema of 'type: \"object\"'",
                    tool["function"]["name"].as_str().unwrap_or("")
                ));
            }
        }
    }
    if let Some(choice) = map.get("tool_choice").filter(|c| !c.is_null()) {
        if tools.is_none() {
            return Err("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.".into());
        }
        let ok = match choice {
            Value::String(s) => matches!(s.as_str(), "auto" | "none" | "required"),
            Value::Object(_) => {
                choice["type"] == "function" && choice["function"]["name"].is_string()
            }
            _ => false,
        };
        if !ok {
            return Err("Invalid value for 'tool_choice'".into());
        }
    }
    Ok(())
}

fn is_function_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn validate_messages(messages: &[Value]) -> Result<(), String> {
    // Tool calls still waiting for their `tool` message.
    let mut open: Vec<String> = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let role = m["role"].as_str().unwrap_or("");
        if role != "tool" && !open.is_empty() {
            return Err(format!(
                "An assistant message with 'tool_calls' must be followed by tool messages responding \
                 to each 'tool_call_id'. The following tool_call_ids did not have response messages: {}",
                open.join(", ")
            ));
        }
        match role {
            "system" | "developer" | "user" => {
                if !(m["content"].is_string() || m["content"].is_array()) {
                    return Err(format!("messages[{i}].content must be a string"));
                }
            }
            "assistant" => {
                let calls = m["tool_calls"].as_array().filter(|c| !c.is_empty());
                if !(m["content"].is_string() || (m["content"].is_null() && calls.is_some())) {
                    return Err(format!(
                        "messages[{i}]: assistant content is required unless tool_calls is specified"
                    ));
                }
                for (j, call) in calls.into_iter().flatten().enumerate() {
                    let id = call["id"].as_str().filter(|s| !s.is_empty());
                    let name = call["function"]["name"].as_str();
                    if call["type"] != "function"
                        || id.is_none()
                        || !name.is_some_and(is_function_name)
                        || !call["function"]["arguments"].is_string()
                    {
                        return Err(format!("messages[{i}].tool_calls[{j}] is invalid"));
                    }
                    open.extend(id.map(str::to_owned));
                }
            }
            "tool" => {
                let id = m["tool_call_id"].as_str().unwrap_or("");
                let Some(pos) = open.iter().position(|o| o == id) else {
                    return Err(format!(
                        "Invalid parameter: messages with role 'tool' must be a response to a \
                         preceeding message with 'tool_calls'. (messages[{i}])"
                    ));
                };
                open.remove(pos);
                if !m["content"].is_string() {
                    return Err(format!("messages[{i}].content must be a string"));
                }
            }
            other => {
                return Err(format!(
                "Invalid value: '{other}'. Supported values are: 'system', 'assistant', 'user', \
                     'tool', and 'developer'."
            ))
            }
        }
    }
    if !open.is_empty() {
        return Err(format!(
            "An assistant message with 'tool_calls' must be followed by tool messages responding to \
             each 'tool_call_id'. The following tool_call_ids did not have response messages: {}",
            open.join(", ")
        ));
    }
    Ok(())
}

/// Text as a model streams it: a word (with the space before it) or one
/// punctuation mark per piece.
fn pieces(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        let punct = !c.is_alphanumeric() && !c.is_whitespace() && !is_mark(c);
        let starts_new = if c.is_whitespace() || punct {
            cur.chars().any(|x| !x.is_whitespace())
        } else {
            cur.chars()
                .last()
                .is_some_and(|x| !x.is_alphanumeric() && !x.is_whitespace() && !is_mark(x))
        };
        if starts_new {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Combining marks (Devanagari vowel signs) belong to the letter before.
fn is_mark(c: char) -> bool {
    matches!(c, '\u{0900}'..='\u{0903}' | '\u{093A}'..='\u{094F}' | '\u{0951}'..='\u{0957}' | '\u{0962}'..='\u{0963}')
}

fn fragments(text: &str, chars: usize) -> Vec<String> {
    let all: Vec<char> = text.chars().collect();
    all.chunks(chars.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

fn chunk_json(id: &str, model: &str, delta: Value, finish: Option<&str>) -> String {
    let mut chunk = json!({
        "id": id,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": model,
        "system_fingerprint": "fp_fake",
        "choices": [{"index": 0, "delta": {}, "logprobs": null, "finish_reason": finish}],
    });
    chunk["choices"][0]["delta"] = delta;
    chunk.to_string()
}

fn call_id(id: &str, i: usize) -> String {
    format!("call_{}_{i}", id.trim_start_matches("chatcmpl-"))
}

/// The `data:` payloads of a streamed answer, `[DONE]` last.
fn stream_chunks(id: &str, model: &str, reply: &Reply, include_usage: bool) -> Vec<String> {
    let (text, calls): (Option<&str>, &[ToolCall]) = match reply {
        Reply::Text(t) => (Some(t), &[]),
        Reply::ToolCalls { text, calls } => (text.as_deref(), calls),
        Reply::Fail(_) => (None, &[]),
    };
    let mut out = Vec::new();
    let first_content = if calls.is_empty() || text.is_some() {
        json!("")
    } else {
        Value::Null
    };
    out.push(chunk_json(
        id,
        model,
        json!({"role": "assistant", "content": first_content, "refusal": null}),
        None,
    ));
    for piece in text.map(pieces).unwrap_or_default() {
        out.push(chunk_json(id, model, json!({"content": piece}), None));
    }
    for (i, call) in calls.iter().enumerate() {
        out.push(chunk_json(
            id,
            model,
            json!({"tool_calls": [{"index": i, "id": call_id(id, i), "type": "function",
                "function": {"name": call.name, "arguments": ""}}]}),
            None,
        ));
        for frag in fragments(&call.arguments, ARGUMENT_FRAGMENT_CHARS) {
            out.push(chunk_json(
                id,
                model,
                json!({"tool_calls": [{"index": i, "function": {"arguments": frag}}]}),
                None,
            ));
        }
    }
    let finish = if calls.is_empty() {
        "stop"
    } else {
        "tool_calls"
    };
    out.push(chunk_json(id, model, json!({}), Some(finish)));
    if include_usage {
        let completion_tokens = out.len();
        out.push(
            json!({
                "id": id, "object": "chat.completion.chunk", "created": CREATED, "model": model,
                "system_fingerprint": "fp_fake", "choices": [],
                "usage": {"prompt_tokens": 100, "completion_tokens": completion_tokens,
                          "total_tokens": 100 + completion_tokens},
            })
            .to_string(),
        );
    }
    out.push("[DONE]".to_owned());
    out
}

/// A whole `chat.completion` object.
fn completion(id: &str, model: &str, reply: &Reply) -> Value {
    let (text, calls): (Option<&str>, &[ToolCall]) = match reply {
        Reply::Text(t) => (Some(t), &[]),
        Reply::ToolCalls { text, calls } => (text.as_deref(), calls),
        Reply::Fail(_) => (None, &[]),
    };
    let mut message = json!({"role": "assistant", "content": text, "refusal": null});
    if !calls.is_empty() {
        message["tool_calls"] = Value::Array(
            calls
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    json!({"id": call_id(id, i), "type": "function",
                           "function": {"name": c.name, "arguments": c.arguments}})
                })
                .collect(),
        );
    }
    let finish = if calls.is_empty() {
        "stop"
    } else {
        "tool_calls"
    };
    let completion_tokens = text.map_or(0, |t| pieces(t).len()) + calls.len() * 10;
    json!({
        "id": id,
        "object": "chat.completion",
        "created": CREATED,
        "model": model,
        "system_fingerprint": "fp_fake",
        "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
        "usage": {"prompt_tokens": 100, "completion_tokens": completion_tokens,
                  "total_tokens": 100 + completion_tokens},
    })
}

type Item = Result<Bytes, std::io::Error>;

fn body_from(rx: mpsc::Receiver<Item>) -> Body {
    Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

/// Streams `chunks` as SSE events, failing as `failure` says.
fn stream_response(
    shared: &Arc<Shared>,
    chunks: Vec<String>,
    failure: Option<Failure>,
) -> Response {
    let (tx, rx) = mpsc::channel::<Item>(8);
    let delay = shared.options.chunk_delay;
    let shutdown = shared.shutdown.clone();
    tokio::spawn(async move {
        let mut chunks = chunks;
        if failure == Some(Failure::Malformed) {
            chunks.insert(
                1.min(chunks.len()),
                "{\"choices\": [{\"delta\": {\"content\": ".to_owned(),
            );
        }
        // `[DONE]` never comes when the stream breaks.
        let limit = match &failure {
            Some(Failure::CutAfter(n) | Failure::StallAfter(n)) => {
                Some((*n).min(chunks.len().saturating_sub(1)))
            }
            _ => None,
        };
        for (i, data) in chunks.into_iter().enumerate() {
            if limit.is_some_and(|n| i >= n) {
                break;
            }
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if tx
                .send(Ok(Bytes::from(format!("data: {data}\n\n"))))
                .await
                .is_err()
            {
                return;
            }
        }
        match failure {
            Some(Failure::CutAfter(_)) => {
                // Let the server flush what was sent: only then is the cut
                // "after n chunks" rather than a lost tail.
                tokio::time::sleep(Duration::from_millis(20)).await;
                let _ = tx
                    .send(Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionAborted,
                        "fake chat: stream cut",
                    )))
                    .await;
            }
            Some(Failure::StallAfter(_)) => {
                // Hold the stream open, sending nothing.
                tokio::select! {
                    () = wait_for_shutdown(shutdown) => {}
                    () = tx.closed() => {}
                }
            }
            _ => {}
        }
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body_from(rx))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// A JSON body that breaks off after `partial`.
fn broken_body(partial: String) -> Response {
    let stream = futures_util::stream::iter([
        Ok::<_, std::io::Error>(Bytes::from(partial)),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "fake chat: body cut",
        )),
    ]);
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_words_with_leading_space_and_marks() {
        assert_eq!(
            pieces("Aapka order, shipped hai."),
            ["Aapka", " order", ",", " shipped", " hai", "."]
        );
        assert_eq!(pieces("आपका ऑर्डर।"), ["आपका", " ऑर्डर", "।"]);
        assert_eq!(pieces("₹1,499"), ["₹", "1", ",", "499"]);
    }

    #[test]
    fn arguments_fragments_keep_characters_whole() {
        let f = fragments("{\"q\":\"कुर्ता\"}", 3);
        assert_eq!(f.concat(), "{\"q\":\"कुर्ता\"}");
        assert!(f.iter().all(|x| x.chars().count() <= 3));
    }

    #[test]
    fn validation_catches_unanswered_tool_calls() {
        let body = json!({"model": "m", "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "user", "content": "again"}
        ]});
        assert!(validate(&body).unwrap_err().contains("c1"));
        let ok = json!({"model": "m", "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "{}"}
        ], "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
           "tool_choice": "auto"});
        assert_eq!(validate(&ok), Ok(()));
        let stray = json!({"model": "m", "messages": [{"role": "tool", "tool_call_id": "x", "content": "{}"}]});
        assert!(validate(&stray).is_err());
        let choice_without_tools = json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "tool_choice": "auto"});
        assert!(validate(&choice_without_tools).is_err());
    }

    #[test]
    fn stream_chunks_follow_openai_order() {
        let reply = Reply::text_then_tools(
            "Ek second.",
            vec![ToolCall::new(
                "lookup_order",
                json!({"order_id": "ORD-45678"}),
            )],
        );
        let chunks = stream_chunks("chatcmpl-x", "m", &reply, true);
        let parsed: Vec<Value> = chunks[..chunks.len() - 1]
            .iter()
            .map(|c| serde_json::from_str(c).unwrap())
            .collect();
        assert_eq!(parsed[0]["choices"][0]["delta"]["role"], "assistant");
        assert_eq!(parsed[1]["choices"][0]["delta"]["content"], "Ek");
        let head = parsed
            .iter()
            .find(|c| c["choices"][0]["delta"]["tool_calls"][0]["id"].is_string())
            .unwrap();
        assert_eq!(
            head["choices"][0]["delta"]["tool_calls"][0]["function"]["name"],
            "lookup_order"
        );
        let args: String = parsed
            .iter()
            .filter_map(|c| {
                c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].as_str()
            })
            .collect();
        assert_eq!(args, "{\"order_id\":\"ORD-45678\"}");
        let finish = &parsed[parsed.len() - 2];
        assert_eq!(finish["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(parsed[parsed.len() - 1]["choices"], json!([]));
        assert_eq!(chunks.last().map(String::as_str), Some("[DONE]"));
    }
}
