//! The HTTP API (`/api/v1/…`, `/health`, `/metrics`) over [`AppState`].
//!
//! Handlers are thin: they parse and validate, call [`Conversations`] or the
//! store, and shape JSON. Every failure goes through [`AppError`].

use std::sync::Arc;
use std::time::Duration;

use awaaz_agent::{Agent, AgentReply, CallAction};
use awaaz_store::{
    CallId, Channel, OrderFilter, OrderId, OrderStatus, PhoneNumber, Store, TicketFilter,
};
use axum::body::Bytes;
use axum::extract::{
    DefaultBodyLimit, FromRequest, FromRequestParts, MatchedPath, Path, Query, Request, State,
};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::conversation::{Conversations, TurnOutcome};
use crate::error::AppError;
use crate::metrics::Metrics;

/// Largest request body accepted. A message is at most 2000 characters
/// (≤ 8 KB of UTF-8), so this leaves room for JSON escaping and nothing more.
const BODY_LIMIT_BYTES: usize = 64 * 1024;
/// Page size when a listing does not ask for one.
const DEFAULT_PAGE: u64 = 50;
/// Largest page a listing returns.
const MAX_PAGE: u64 = 500;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    conversations: Arc<Conversations>,
    metrics: Arc<Metrics>,
    shop_name: String,
    request_timeout: Duration,
    /// Browser calls, once speech engines are loaded (`WS /web/call`).
    web_calls: std::sync::OnceLock<Arc<crate::web_call::WebCalls>>,
    /// Phone carriers: settings, REST clients, phone calls.
    phone: Arc<crate::phone::PhoneLines>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("shop_name", &self.inner.shop_name)
            .field("conversations", &self.inner.conversations)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Wires a store and an agent together with the limits from `config`.
    pub fn new(store: Arc<dyn Store>, agent: Arc<dyn Agent>, config: &Config) -> Self {
        let metrics = Arc::new(Metrics::default());
        let conversations = Arc::new(Conversations::new(
            Arc::clone(&store),
            agent,
            Arc::clone(&metrics),
            config.max_conversations,
            config.conversation_idle_timeout,
        ));
        Self {
            inner: Arc::new(Inner {
                store,
                conversations,
                metrics,
                shop_name: config.shop_name.clone(),
                request_timeout: config.request_timeout,
                web_calls: std::sync::OnceLock::new(),
                phone: Arc::new(crate::phone::PhoneLines::new(&config.phone)),
            }),
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The conversations held by this server.
    pub fn conversations(&self) -> &Arc<Conversations> {
        &self.inner.conversations
    }

    /// The server's metrics.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    /// Enables browser calls (`WS /web/call`). Only the first call takes
    /// effect; returns whether this one did.
    pub fn set_web_calls(&self, calls: Arc<crate::web_call::WebCalls>) -> bool {
        self.inner.web_calls.set(calls).is_ok()
    }

    /// Browser calls, when speech engines are loaded.
    pub fn web_calls(&self) -> Option<&Arc<crate::web_call::WebCalls>> {
        self.inner.web_calls.get()
    }

    /// Phone carriers (Twilio, Exotel, Plivo): settings, REST clients and,
    /// once speech engines are loaded, phone calls.
    pub fn phone(&self) -> &Arc<crate::phone::PhoneLines> {
        &self.inner.phone
    }
}

/// The whole HTTP API.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/api/v1/conversations", post(create_conversation))
        .route("/api/v1/conversations/{id}/messages", post(post_message))
        .route("/api/v1/calls", get(list_calls))
        .route("/api/v1/calls/{id}", get(get_call))
        .route("/api/v1/orders", get(list_orders))
        .route("/api/v1/orders/{id}", get(get_order))
        .route("/api/v1/products", get(list_products))
        .route("/api/v1/tickets", get(list_tickets))
        .merge(crate::web_call::routes())
        .merge(crate::phone::routes())
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(middleware::from_fn_with_state(state.clone(), time_limit))
        .layer(middleware::from_fn_with_state(state.clone(), count_request))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            // The route template, never the URI: query strings can hold
            // phone numbers (`/api/v1/orders?phone=…`).
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map_or("unmatched", |p| p.as_str());
            tracing::info_span!("http", method = %req.method(), route)
        }))
        .with_state(state)
}

/// Counts every request by method, route template and status.
async fn count_request(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(req).await;
    state
        .metrics()
        .http_request(&method, &route, response.status().as_u16());
    response
}

/// Answers 503 when a request takes longer than the configured limit.
/// Conversation turns run as their own tasks, so cutting the request short
/// never leaves a turn half-recorded.
async fn time_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(state.inner.request_timeout, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!("request timed out");
            AppError::Unavailable("request timed out".to_owned()).into_response()
        }
    }
}

async fn no_route() -> AppError {
    AppError::NotFound("route")
}

async fn method_not_allowed() -> Response {
    let body = Json(serde_json::json!({ "error": "method not allowed" }));
    (StatusCode::METHOD_NOT_ALLOWED, body).into_response()
}

/// `Json` whose rejections are [`AppError`]s (JSON bodies, not plain text).
#[derive(FromRequest)]
#[from_request(via(Json), rejection(AppError))]
struct ApiJson<T>(T);

/// `Query` whose rejections are [`AppError`]s.
#[derive(FromRequestParts)]
#[from_request(via(Query), rejection(AppError))]
struct ApiQuery<T>(T);

/// `Path` whose rejections are [`AppError`]s.
#[derive(FromRequestParts)]
#[from_request(via(Path), rejection(AppError))]
struct ApiPath<T>(T);

// ---- health and metrics ----

async fn health(State(state): State<AppState>) -> Response {
    let active = state.conversations().active();
    match state.store().calls(1, 0).await {
        Ok(_) => Json(serde_json::json!({
            "status": "ok",
            "store": "ok",
            "shop": state.inner.shop_name,
            "active_conversations": active,
            "version": env!("CARGO_PKG_VERSION"),
        }))
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: store unreachable");
            let body = Json(serde_json::json!({ "status": "unavailable", "store": "error" }));
            (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let text = state.metrics().render(state.conversations().active());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

// ---- conversations ----

/// Body of `POST /api/v1/conversations`; the whole body is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewConversationRequest {
    /// The caller's phone number, so the agent can find their orders.
    caller: Option<String>,
    /// `text` (default), `web`, `simulated`, …
    channel: Option<String>,
}

#[derive(Debug, Serialize)]
struct NewConversationResponse {
    id: CallId,
    greeting: MessageResponse,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageRequest {
    text: String,
}

/// One tool call as the API shows it.
#[derive(Debug, Serialize)]
struct ToolCallView {
    name: String,
    arguments: serde_json::Value,
    result: serde_json::Value,
    ok: bool,
    duration_us: u64,
}

/// The agent's answer to a turn, as the API shows it.
#[derive(Debug, Serialize)]
struct MessageResponse {
    reply: String,
    language: &'static str,
    tool_calls: Vec<ToolCallView>,
    ended: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<CallAction>,
    agent_us: u64,
}

impl From<TurnOutcome> for MessageResponse {
    fn from(t: TurnOutcome) -> Self {
        let AgentReply {
            text,
            language,
            tool_calls,
            ended,
            action,
        } = t.reply;
        Self {
            reply: text,
            language: language.code(),
            tool_calls: tool_calls
                .into_iter()
                .map(|c| ToolCallView {
                    name: c.name,
                    arguments: c.arguments,
                    result: c.result,
                    ok: c.ok,
                    duration_us: c.duration_us,
                })
                .collect(),
            ended,
            action,
            agent_us: u64::try_from(t.agent_time.as_micros()).unwrap_or(u64::MAX),
        }
    }
}

/// A caller number must have the digits of a real phone number (E.164
/// allows at most 15).
fn parse_caller(raw: &str) -> Result<PhoneNumber, AppError> {
    let phone = PhoneNumber::new(raw);
    let digits = phone.as_str().chars().filter(char::is_ascii_digit).count();
    if (8..=15).contains(&digits) && !raw.chars().any(char::is_alphabetic) {
        Ok(phone)
    } else {
        Err(AppError::Unprocessable(
            "caller is not a phone number".to_owned(),
        ))
    }
}

async fn create_conversation(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<NewConversationResponse>), AppError> {
    // The body is optional, so it is parsed by hand: an empty body (with or
    // without a content type) means "no caller number, text channel".
    let request: NewConversationRequest = if body.iter().all(u8::is_ascii_whitespace) {
        NewConversationRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            let message = format!("invalid request body: {e}");
            if e.is_data() {
                AppError::Unprocessable(message)
            } else {
                AppError::BadRequest(message)
            }
        })?
    };
    let caller = request.caller.as_deref().map(parse_caller).transpose()?;
    let channel = match request.channel.as_deref() {
        None => Channel::Text,
        Some(c) => Channel::parse(c).ok_or_else(|| {
            AppError::Unprocessable(
                "unknown channel (expected text, web, twilio, exotel, plivo or simulated)"
                    .to_owned(),
            )
        })?,
    };
    let started = state.conversations().start(caller, channel).await?;
    let response = NewConversationResponse {
        id: started.id,
        greeting: started.greeting.into(),
    };
    Ok((StatusCode::CREATED, Json(response)))
}

async fn post_message(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<MessageRequest>,
) -> Result<Json<MessageResponse>, AppError> {
    let outcome = state
        .conversations()
        .message(&CallId(id), &request.text)
        .await?;
    Ok(Json(outcome.into()))
}

// ---- calls ----

#[derive(Debug, Deserialize)]
struct Page {
    limit: Option<u64>,
    offset: Option<u64>,
}

impl Page {
    fn limit(&self) -> u64 {
        self.limit.unwrap_or(DEFAULT_PAGE).min(MAX_PAGE)
    }
    fn offset(&self) -> u64 {
        self.offset.unwrap_or(0)
    }
}

async fn list_calls(
    State(state): State<AppState>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<serde_json::Value>, AppError> {
    let calls = state.store().calls(page.limit(), page.offset()).await?;
    Ok(Json(
        serde_json::json!({ "calls": calls, "limit": page.limit(), "offset": page.offset() }),
    ))
}

async fn get_call(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<awaaz_store::CallDetail>, AppError> {
    state
        .store()
        .call(&CallId(id))
        .await?
        .map(Json)
        .ok_or(AppError::NotFound("call"))
}

// ---- orders, products, tickets ----

/// Accepts `ORD-45678`, `ord-45678` and `45678`.
fn parse_order_id(raw: &str) -> OrderId {
    let raw = raw.trim();
    if !raw.is_empty() && raw.chars().all(|c| c.is_ascii_digit()) {
        OrderId(format!("ORD-{raw}"))
    } else {
        OrderId(raw.to_ascii_uppercase())
    }
}

#[derive(Debug, Deserialize)]
struct OrderQuery {
    status: Option<String>,
    phone: Option<String>,
    limit: Option<u64>,
    offset: Option<u64>,
}

async fn list_orders(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> Result<Json<serde_json::Value>, AppError> {
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(OrderStatus::parse(s).ok_or_else(|| {
            let known: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
            AppError::BadRequest(format!(
                "unknown order status (expected one of {})",
                known.join(", ")
            ))
        })?),
    };
    let page = Page {
        limit: q.limit,
        offset: q.offset,
    };
    let filter = OrderFilter {
        status,
        customer_phone: q
            .phone
            .as_deref()
            .filter(|p| !p.is_empty())
            .map(PhoneNumber::new),
        limit: Some(page.limit()),
        offset: Some(page.offset()),
    };
    let orders = state.store().orders(&filter).await?;
    Ok(Json(
        serde_json::json!({ "orders": orders, "limit": page.limit(), "offset": page.offset() }),
    ))
}

async fn get_order(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<awaaz_store::Order>, AppError> {
    state
        .store()
        .order(&parse_order_id(&id))
        .await?
        .map(Json)
        .ok_or(AppError::NotFound("order"))
}

async fn list_products(State(state): State<AppState>) -> Result<Json<serde_json::Value>, AppError> {
    let products = state.store().products().await?;
    Ok(Json(serde_json::json!({ "products": products })))
}

#[derive(Debug, Deserialize)]
struct TicketQuery {
    order_id: Option<String>,
    call_id: Option<String>,
    status: Option<String>,
    limit: Option<u64>,
    offset: Option<u64>,
}

async fn list_tickets(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<TicketQuery>,
) -> Result<Json<serde_json::Value>, AppError> {
    let page = Page {
        limit: q.limit,
        offset: q.offset,
    };
    let filter = TicketFilter {
        order_id: q
            .order_id
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(parse_order_id),
        call_id: q.call_id.filter(|s| !s.is_empty()).map(CallId),
        status: q.status.filter(|s| !s.is_empty()),
        limit: Some(page.limit()),
        offset: Some(page.offset()),
    };
    let tickets = state.store().tickets(&filter).await?;
    Ok(Json(
        serde_json::json!({ "tickets": tickets, "limit": page.limit(), "offset": page.offset() }),
    ))
}

#[cfg(test)]
mod tests;
