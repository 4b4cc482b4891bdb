//! The carriers' REST APIs over real HTTP: calls, transfers, hang-ups, SMS.
//!
//! [`FakeCarrierRest::start`] serves, on `127.0.0.1:<random port>`, the
//! endpoints awaaz uses of three carriers, answering as their public
//! documentation describes:
//!
//! | carrier | request | success |
//! |---|---|---|
//! | Twilio | `POST /2010-04-01/Accounts/{Sid}/Calls.json` (`To`, `From`, `Twiml`/`Url`) | 201, call JSON, `sid` = `CA` + 32 hex |
//! | Twilio | `POST …/Calls/{CallSid}.json` (`Twiml`, `Url`, `Status=completed`) | 200, call JSON |
//! | Twilio | `POST …/Messages.json` (`To`, `From`, `Body`) | 201, message JSON, `sid` = `SM` + 32 hex |
//! | Plivo | `POST /v1/Account/{auth_id}/Call/{uuid}/` (JSON `legs`, `aleg_url`) | 202 `{"message": "call transferred", "api_id"}` |
//! | Plivo | `DELETE /v1/Account/{auth_id}/Call/{uuid}/` | 204 |
//! | Plivo | `POST /v1/Account/{auth_id}/Message/` (JSON `src`, `dst`, `text`) | 202 `{"message_uuid": [uuid], "api_id"}` |
//! | Exotel | `POST /v1/Accounts/{sid}/Sms/send.json` (`From`, `To`, `Body`) | 200 `{"SMSMessage": {"Sid", "Status": "queued", …}}` |
//!
//! and fails like them: 401 with the carrier's error body on wrong Basic-auth
//! credentials (or a path naming another account), 400 on a missing
//! `To`/`From`/`Body` (Twilio codes 21604/21603/21602 for messages,
//! 21201/21213 for calls; 21211, naming the number as Twilio does, for a
//! `To` that is not E.164), 404 for an unknown or malformed call id, and a
//! redirect of a call this fake has already hung up is refused (Twilio
//! 21220; Plivo 404). Twilio only reads form bodies and Plivo JSON bodies, so
//! a client that sends the wrong content type sees the "missing parameter"
//! error the real API would give.
//!
//! Every request is recorded ([`FakeCarrierRest::requests`]); successful SMS,
//! call updates and created calls are also kept in typed form
//! ([`FakeCarrierRest::sms`], [`FakeCarrierRest::call_updates`],
//! [`FakeCarrierRest::calls_created`]). [`FakeCarrierRest::fail_next`] makes
//! the next requests fail with 5xx/429 (the carrier's error body, nothing
//! done), and [`FakeCarrierRest::delay_next`] holds the next answers back
//! *after* acting on them — a slow carrier whose client may time out although
//! the SMS went out.
//!
//! Credentials are the constants below ([`TWILIO_ACCOUNT_SID`], …). Error
//! messages are as close to the carriers' as their public docs allow; codes
//! not documented there are not invented beyond the ones named above.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine as _;
use serde_json::{json, Value};

/// Twilio account SID the fake accepts.
pub const TWILIO_ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
/// Twilio auth token the fake accepts.
pub const TWILIO_AUTH_TOKEN: &str = "fake-twilio-auth-token";
/// Plivo auth ID the fake accepts.
pub const PLIVO_AUTH_ID: &str = "MAFAKEAUTHID00000001";
/// Plivo auth token the fake accepts.
pub const PLIVO_AUTH_TOKEN: &str = "fake-plivo-auth-token";
/// Exotel account SID the fake accepts.
pub const EXOTEL_ACCOUNT_SID: &str = "awaazfake1";
/// Exotel API key the fake accepts.
pub const EXOTEL_API_KEY: &str = "fake-exotel-api-key";
/// Exotel API token the fake accepts.
pub const EXOTEL_API_TOKEN: &str = "fake-exotel-api-token";

/// Which carrier's API a request was addressed to (by its path).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FakeCarrier {
    /// `/2010-04-01/…`
    Twilio,
    /// `/v1/Account/…`
    Plivo,
    /// `/v1/Accounts/…`
    Exotel,
    /// None of the above (answered 404).
    Unknown,
}

/// One request the fake received, and what it answered.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// Whose API the path belongs to.
    pub carrier: FakeCarrier,
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Path, without the query.
    pub path: String,
    /// Form fields, or the JSON body's top-level scalars as text.
    pub params: BTreeMap<String, String>,
    /// The body, when it was JSON.
    pub json: Option<Value>,
    /// Whether the Basic-auth credentials were right for the path's account.
    pub authorized: bool,
    /// The status the fake answered with.
    pub status: u16,
}

impl RecordedRequest {
    /// One form field or top-level JSON scalar.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

/// A text message a carrier accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentSms {
    /// Which carrier.
    pub carrier: FakeCarrier,
    /// The id the fake returned (Twilio `SM…`, Plivo message UUID, Exotel Sid).
    pub sid: String,
    /// Sender.
    pub from: String,
    /// Recipient.
    pub to: String,
    /// Text.
    pub body: String,
}

/// What a call update asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallAction {
    /// Twilio `Twiml=`: run this document now.
    Twiml(String),
    /// Twilio `Url=` or Plivo `aleg_url`: fetch instructions from `url`.
    Redirect {
        /// The URL.
        url: String,
        /// HTTP method the carrier would fetch it with.
        method: String,
    },
    /// Twilio `Status=completed` or Plivo `DELETE`: end the call.
    HangUp,
}

/// A successful change to a live call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallUpdate {
    /// Which carrier.
    pub carrier: FakeCarrier,
    /// Twilio `CallSid` or Plivo `CallUUID`.
    pub call_id: String,
    /// What was asked.
    pub action: CallAction,
}

/// An outbound call Twilio accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedCall {
    /// `CA…` SID the fake returned.
    pub sid: String,
    /// Number called.
    pub to: String,
    /// Caller id.
    pub from: String,
    /// `Twiml` parameter, if given.
    pub twiml: Option<String>,
    /// `Url` parameter, if given.
    pub url: Option<String>,
    /// `StatusCallback` parameter, if given.
    pub status_callback: Option<String>,
}

#[derive(Default)]
struct Inner {
    requests: Vec<RecordedRequest>,
    sms: Vec<SentSms>,
    updates: Vec<CallUpdate>,
    created: Vec<CreatedCall>,
    ended: HashSet<String>,
    fail: VecDeque<u16>,
    delay: VecDeque<Duration>,
}

type Shared = Arc<Mutex<Inner>>;

fn lock(shared: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A fake Twilio + Plivo + Exotel REST server; stops when dropped.
pub struct FakeCarrierRest {
    addr: SocketAddr,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for FakeCarrierRest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeCarrierRest")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Drop for FakeCarrierRest {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeCarrierRest {
    /// Listen on `127.0.0.1:0` and serve until dropped.
    ///
    /// # Panics
    /// If no local port can be bound (a broken test machine).
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("fake carrier rest: bind 127.0.0.1:0");
        let addr = listener
            .local_addr()
            .expect("fake carrier rest: local address");
        let shared: Shared = Arc::default();
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                tracing::warn!(%err, "fake carrier rest server stopped");
            }
        });
        Self { addr, shared, task }
    }

    /// `http://127.0.0.1:<port>`: the `api_base` for any of the three clients.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared).requests.clone()
    }

    /// Every SMS accepted so far.
    pub fn sms(&self) -> Vec<SentSms> {
        lock(&self.shared).sms.clone()
    }

    /// Every accepted change to a live call (transfers, redirects, hang-ups).
    pub fn call_updates(&self) -> Vec<CallUpdate> {
        lock(&self.shared).updates.clone()
    }

    /// Every outbound call accepted (Twilio `Calls.json`).
    pub fn calls_created(&self) -> Vec<CreatedCall> {
        lock(&self.shared).created.clone()
    }

    /// Answer the next `n` requests with `status` (e.g. 500, 503, 429) and the
    /// carrier's error body, without acting on them. Queues after earlier
    /// calls, so `fail_next(1, 500); fail_next(1, 429)` fails two in that order.
    pub fn fail_next(&self, n: usize, status: u16) {
        lock(&self.shared)
            .fail
            .extend(std::iter::repeat_n(status, n));
    }

    /// Hold the answers to the next `n` requests back for `delay`, after
    /// acting on them.
    pub fn delay_next(&self, n: usize, delay: Duration) {
        lock(&self.shared)
            .delay
            .extend(std::iter::repeat_n(delay, n));
    }
}

/// What to answer.
struct Reply {
    status: u16,
    body: ReplyBody,
}

enum ReplyBody {
    Empty,
    Json(Value),
    Xml(String),
}

impl Reply {
    fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: ReplyBody::Json(body),
        }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match self.body {
            ReplyBody::Empty => status.into_response(),
            ReplyBody::Json(value) => (
                status,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                value.to_string(),
            )
                .into_response(),
            ReplyBody::Xml(xml) => (
                status,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/xml"),
                )],
                xml,
            )
                .into_response(),
        }
    }
}

fn carrier_of(segments: &[&str]) -> FakeCarrier {
    match segments {
        ["2010-04-01", "Accounts", ..] => FakeCarrier::Twilio,
        ["v1", "Account", ..] => FakeCarrier::Plivo,
        ["v1", "Accounts", ..] => FakeCarrier::Exotel,
        _ => FakeCarrier::Unknown,
    }
}

fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_owned(), pass.to_owned()))
}

fn authorized(carrier: FakeCarrier, segments: &[&str], headers: &HeaderMap) -> bool {
    let Some((user, pass)) = basic_auth(headers) else {
        return false;
    };
    let account = segments.get(2).copied().unwrap_or_default();
    match carrier {
        FakeCarrier::Twilio => {
            user == TWILIO_ACCOUNT_SID && pass == TWILIO_AUTH_TOKEN && account == TWILIO_ACCOUNT_SID
        }
        FakeCarrier::Plivo => {
            user == PLIVO_AUTH_ID && pass == PLIVO_AUTH_TOKEN && account == PLIVO_AUTH_ID
        }
        FakeCarrier::Exotel => {
            user == EXOTEL_API_KEY && pass == EXOTEL_API_TOKEN && account == EXOTEL_ACCOUNT_SID
        }
        FakeCarrier::Unknown => false,
    }
}

/// Form fields if the body is form-encoded, top-level JSON scalars if JSON.
fn parse_body(headers: &HeaderMap, body: &[u8]) -> (BTreeMap<String, String>, Option<Value>) {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let params = form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        return (params, None);
    }
    if content_type.starts_with("application/json") {
        if let Ok(value) = serde_json::from_slice::<Value>(body) {
            let params = value
                .as_object()
                .map(|object| {
                    object
                        .iter()
                        .filter_map(|(k, v)| {
                            let text = match v {
                                Value::String(s) => s.clone(),
                                Value::Number(n) => n.to_string(),
                                Value::Bool(b) => b.to_string(),
                                _ => return None,
                            };
                            Some((k.clone(), text))
                        })
                        .collect()
                })
                .unwrap_or_default();
            return (params, Some(value));
        }
    }
    (BTreeMap::new(), None)
}

fn hex_id(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

fn is_twilio_sid(sid: &str, prefix: &str) -> bool {
    sid.strip_prefix(prefix)
        .is_some_and(|rest| rest.len() == 32 && rest.chars().all(|c| c.is_ascii_hexdigit()))
}

fn twilio_error(status: u16, code: u32, message: &str) -> Reply {
    Reply::json(
        status,
        json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status,
        }),
    )
}

fn plivo_error(status: u16, message: &str) -> Reply {
    Reply::json(
        status,
        json!({ "api_id": uuid::Uuid::new_v4().to_string(), "error": message }),
    )
}

fn exotel_error(status: u16, message: &str, json_reply: bool) -> Reply {
    if json_reply {
        Reply::json(
            status,
            json!({ "RestException": { "Status": status, "Message": message } }),
        )
    } else {
        Reply {
            status,
            body: ReplyBody::Xml(format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<TwilioResponse><RestException><Status>{status}</Status><Message>{message}</Message></RestException></TwilioResponse>"
            )),
        }
    }
}

fn injected(carrier: FakeCarrier, status: u16, exotel_json: bool) -> Reply {
    let (code, message) = match status {
        429 => (20429, "Too Many Requests"),
        503 => (20503, "Service Unavailable"),
        _ => (20500, "Internal Server Error"),
    };
    match carrier {
        FakeCarrier::Twilio => twilio_error(status, code, message),
        FakeCarrier::Plivo => plivo_error(status, &message.to_ascii_lowercase()),
        FakeCarrier::Exotel | FakeCarrier::Unknown => exotel_error(status, message, exotel_json),
    }
}

fn unauthorized(carrier: FakeCarrier, exotel_json: bool) -> Reply {
    match carrier {
        FakeCarrier::Twilio => Reply::json(
            401,
            json!({
                "code": 20003,
                "detail": "Your AccountSid or AuthToken was incorrect.",
                "message": "Authenticate",
                "more_info": "https://www.twilio.com/docs/errors/20003",
                "status": 401,
            }),
        ),
        FakeCarrier::Plivo => plivo_error(401, "authentication failed"),
        FakeCarrier::Exotel | FakeCarrier::Unknown => {
            exotel_error(401, "Authentication failed", exotel_json)
        }
    }
}

fn nonempty<'a>(params: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.trim().is_empty())
}

fn now_rfc2822() -> &'static str {
    // A fixed, well-formed date: the clients never read it.
    "Mon, 01 Jan 2024 10:00:00 +0000"
}

/// Twilio takes E.164 (`+` and up to 15 digits) or a `client:`/`sip:` address.
fn twilio_valid_to(to: &str) -> bool {
    if to.starts_with("client:") || to.starts_with("sip:") {
        return true;
    }
    to.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
    })
}

fn twilio_invalid_to(to: &str) -> Reply {
    twilio_error(
        400,
        21211,
        &format!("The 'To' number {to} is not a valid phone number."),
    )
}

fn twilio_call_json(sid: &str, to: &str, from: &str, status: &str) -> Value {
    json!({
        "sid": sid,
        "account_sid": TWILIO_ACCOUNT_SID,
        "to": to,
        "from": from,
        "status": status,
        "direction": "outbound-api",
        "api_version": "2010-04-01",
        "date_created": now_rfc2822(),
        "date_updated": now_rfc2822(),
        "uri": format!("/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Calls/{sid}.json"),
    })
}

fn twilio_create_call(inner: &mut Inner, params: &BTreeMap<String, String>) -> Reply {
    let Some(to) = nonempty(params, "To") else {
        return twilio_error(400, 21201, "No 'To' number is specified");
    };
    if !twilio_valid_to(to) {
        return twilio_invalid_to(to);
    }
    let Some(from) = nonempty(params, "From") else {
        return twilio_error(400, 21213, "No 'From' number is specified");
    };
    let twiml = nonempty(params, "Twiml").map(str::to_owned);
    let url = nonempty(params, "Url").map(str::to_owned);
    if twiml.is_none() && url.is_none() && nonempty(params, "ApplicationSid").is_none() {
        return twilio_error(
            400,
            21205,
            "Either Url, Twiml or ApplicationSid is required",
        );
    }
    let sid = hex_id("CA");
    inner.created.push(CreatedCall {
        sid: sid.clone(),
        to: to.to_owned(),
        from: from.to_owned(),
        twiml,
        url,
        status_callback: nonempty(params, "StatusCallback").map(str::to_owned),
    });
    Reply::json(201, twilio_call_json(&sid, to, from, "queued"))
}

fn twilio_update_call(
    inner: &mut Inner,
    path: &str,
    file: &str,
    params: &BTreeMap<String, String>,
) -> Reply {
    let sid = file.strip_suffix(".json").unwrap_or(file);
    if !is_twilio_sid(sid, "CA") {
        return twilio_error(
            404,
            20404,
            &format!("The requested resource {path} was not found"),
        );
    }
    let ended = inner.ended.contains(sid);
    let action = if let Some(twiml) = nonempty(params, "Twiml") {
        Some(CallAction::Twiml(twiml.to_owned()))
    } else if let Some(url) = nonempty(params, "Url") {
        Some(CallAction::Redirect {
            url: url.to_owned(),
            method: nonempty(params, "Method").unwrap_or("POST").to_owned(),
        })
    } else if matches!(nonempty(params, "Status"), Some("completed" | "canceled")) {
        Some(CallAction::HangUp)
    } else if let Some(status) = nonempty(params, "Status") {
        return twilio_error(
            400,
            21218,
            &format!("Invalid call status '{status}': use completed or canceled"),
        );
    } else {
        None
    };
    let status = match &action {
        Some(CallAction::HangUp) => "completed",
        Some(_) if ended => {
            return twilio_error(400, 21220, "Call is not in-progress. Cannot redirect.");
        }
        _ if ended => "completed",
        _ => "in-progress",
    };
    if let Some(action) = action {
        // Completing a completed call changes nothing; record real changes only.
        if !(ended && action == CallAction::HangUp) {
            if action == CallAction::HangUp {
                inner.ended.insert(sid.to_owned());
            }
            inner.updates.push(CallUpdate {
                carrier: FakeCarrier::Twilio,
                call_id: sid.to_owned(),
                action,
            });
        }
    }
    Reply::json(200, twilio_call_json(sid, "", "", status))
}

fn twilio_send_sms(inner: &mut Inner, params: &BTreeMap<String, String>) -> Reply {
    let Some(to) = nonempty(params, "To") else {
        return twilio_error(400, 21604, "A 'To' phone number is required.");
    };
    if !twilio_valid_to(to) {
        return twilio_invalid_to(to);
    }
    let from = nonempty(params, "From");
    if from.is_none() && nonempty(params, "MessagingServiceSid").is_none() {
        return twilio_error(400, 21603, "A 'From' phone number is required.");
    }
    let Some(body) = nonempty(params, "Body") else {
        return twilio_error(400, 21602, "Message body is required.");
    };
    let from = from.unwrap_or_default();
    let sid = hex_id("SM");
    inner.sms.push(SentSms {
        carrier: FakeCarrier::Twilio,
        sid: sid.clone(),
        from: from.to_owned(),
        to: to.to_owned(),
        body: body.to_owned(),
    });
    Reply::json(
        201,
        json!({
            "sid": sid,
            "account_sid": TWILIO_ACCOUNT_SID,
            "to": to,
            "from": from,
            "body": body,
            "status": "queued",
            "num_segments": "1",
            "num_media": "0",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "date_created": now_rfc2822(),
            "date_updated": now_rfc2822(),
            "date_sent": null,
            "error_code": null,
            "error_message": null,
            "uri": format!("/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages/{sid}.json"),
        }),
    )
}

fn plivo_call(
    inner: &mut Inner,
    method: &Method,
    uuid: &str,
    params: &BTreeMap<String, String>,
) -> Reply {
    if uuid::Uuid::parse_str(uuid).is_err() || inner.ended.contains(uuid) {
        return plivo_error(404, "not found");
    }
    if method == Method::DELETE {
        inner.ended.insert(uuid.to_owned());
        inner.updates.push(CallUpdate {
            carrier: FakeCarrier::Plivo,
            call_id: uuid.to_owned(),
            action: CallAction::HangUp,
        });
        return Reply {
            status: 204,
            body: ReplyBody::Empty,
        };
    }
    if method != Method::POST {
        return plivo_error(405, "method not allowed");
    }
    let legs = nonempty(params, "legs").unwrap_or("aleg");
    if !matches!(legs, "aleg" | "bleg" | "both") {
        return plivo_error(400, "legs must be aleg, bleg or both");
    }
    if legs == "bleg" {
        // awaaz's calls are never in a Dial when transferred: no B leg.
        return plivo_error(400, "no bridged leg found for this call");
    }
    let Some(url) = nonempty(params, "aleg_url") else {
        return plivo_error(
            400,
            "aleg_url parameter is required when legs is aleg or both",
        );
    };
    inner.updates.push(CallUpdate {
        carrier: FakeCarrier::Plivo,
        call_id: uuid.to_owned(),
        action: CallAction::Redirect {
            url: url.to_owned(),
            method: nonempty(params, "aleg_method").unwrap_or("POST").to_owned(),
        },
    });
    Reply::json(
        202,
        json!({ "api_id": uuid::Uuid::new_v4().to_string(), "message": "call transferred" }),
    )
}

fn plivo_send_sms(inner: &mut Inner, params: &BTreeMap<String, String>) -> Reply {
    let Some(dst) = nonempty(params, "dst") else {
        return plivo_error(400, "dst parameter is required");
    };
    let src = nonempty(params, "src");
    if src.is_none() && nonempty(params, "powerpack_uuid").is_none() {
        return plivo_error(400, "src parameter is required");
    }
    let Some(text) = nonempty(params, "text") else {
        return plivo_error(400, "text parameter is required");
    };
    let src = src.unwrap_or_default();
    if src == dst {
        return plivo_error(400, "src and dst cannot be same");
    }
    let message_uuid = uuid::Uuid::new_v4().to_string();
    inner.sms.push(SentSms {
        carrier: FakeCarrier::Plivo,
        sid: message_uuid.clone(),
        from: src.to_owned(),
        to: dst.to_owned(),
        body: text.to_owned(),
    });
    Reply::json(
        202,
        json!({
            "api_id": uuid::Uuid::new_v4().to_string(),
            "message": "message(s) queued",
            "message_uuid": [message_uuid],
        }),
    )
}

fn exotel_send_sms(
    inner: &mut Inner,
    params: &BTreeMap<String, String>,
    json_reply: bool,
) -> Reply {
    let (Some(from), Some(to), Some(body)) = (
        nonempty(params, "From"),
        nonempty(params, "To"),
        nonempty(params, "Body"),
    ) else {
        return exotel_error(400, "Invalid Parameters", json_reply);
    };
    let sid = uuid::Uuid::new_v4().simple().to_string();
    inner.sms.push(SentSms {
        carrier: FakeCarrier::Exotel,
        sid: sid.clone(),
        from: from.to_owned(),
        to: to.to_owned(),
        body: body.to_owned(),
    });
    let uri = format!("/v1/Accounts/{EXOTEL_ACCOUNT_SID}/SMS/Messages/{sid}");
    if !json_reply {
        return Reply {
            status: 200,
            body: ReplyBody::Xml(format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<TwilioResponse><SMSMessage><Sid>{sid}</Sid><AccountSid>{EXOTEL_ACCOUNT_SID}</AccountSid><Status>queued</Status><Uri>{uri}</Uri></SMSMessage></TwilioResponse>"
            )),
        };
    }
    Reply::json(
        200,
        json!({
            "SMSMessage": {
                "Sid": sid,
                "AccountSid": EXOTEL_ACCOUNT_SID,
                "From": from,
                "To": to,
                "Body": body,
                "Status": "queued",
                "DateCreated": "2024-01-01 15:30:00",
                "DateUpdated": "2024-01-01 15:30:00",
                "DateSent": null,
                "Price": null,
                "Direction": "outbound-api",
                "Uri": uri,
            }
        }),
    )
}

fn route(
    inner: &mut Inner,
    carrier: FakeCarrier,
    method: &Method,
    path: &str,
    segments: &[&str],
    params: &BTreeMap<String, String>,
) -> Reply {
    let post = method == Method::POST;
    match (carrier, segments) {
        (FakeCarrier::Twilio, [_, _, _, "Calls.json"]) if post => twilio_create_call(inner, params),
        (FakeCarrier::Twilio, [_, _, _, "Calls", file]) if post => {
            twilio_update_call(inner, path, file, params)
        }
        (FakeCarrier::Twilio, [_, _, _, "Messages.json"]) if post => twilio_send_sms(inner, params),
        (FakeCarrier::Twilio, _) => twilio_error(
            404,
            20404,
            &format!("The requested resource {path} was not found"),
        ),
        (FakeCarrier::Plivo, [_, _, _, "Call", uuid]) => plivo_call(inner, method, uuid, params),
        (FakeCarrier::Plivo, [_, _, _, "Message"]) if post => plivo_send_sms(inner, params),
        (FakeCarrier::Plivo, _) => plivo_error(404, "not found"),
        (FakeCarrier::Exotel, [_, _, _, "Sms", "send"]) if post => {
            exotel_send_sms(inner, params, false)
        }
        (FakeCarrier::Exotel, [_, _, _, "Sms", "send.json"]) if post => {
            exotel_send_sms(inner, params, true)
        }
        (FakeCarrier::Exotel | FakeCarrier::Unknown, _) => {
            exotel_error(404, "Not Found", path.ends_with(".json"))
        }
    }
}

async fn handle(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let path = uri.path().to_owned();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let carrier = carrier_of(&segments);
    let (params, json_body) = parse_body(&headers, &body);
    let authorized = authorized(carrier, &segments, &headers);
    let exotel_json = path.ends_with(".json");
    // Act (or fail) first, then hold the answer back: a delayed request has
    // already taken effect, as with a slow carrier.
    let (reply, delay) = {
        let mut inner = lock(&shared);
        let delay = inner.delay.pop_front();
        let reply = if let Some(status) = inner.fail.pop_front() {
            injected(carrier, status, exotel_json)
        } else if carrier == FakeCarrier::Unknown {
            exotel_error(404, "Not Found", exotel_json)
        } else if !authorized {
            unauthorized(carrier, exotel_json)
        } else {
            route(&mut inner, carrier, &method, &path, &segments, &params)
        };
        tracing::debug!(?carrier, %method, path, status = reply.status, "fake carrier rest request");
        inner.requests.push(RecordedRequest {
            carrier,
            method: method.to_string(),
            path,
            params,
            json: json_body,
            authorized,
            status: reply.status,
        });
        (reply, delay)
    };
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twilio_sids_are_ca_or_sm_and_32_hex() {
        let sid = hex_id("CA");
        assert!(is_twilio_sid(&sid, "CA"), "{sid}");
        assert_eq!(sid.len(), 34);
        assert!(!is_twilio_sid("CA123", "CA"));
        assert!(!is_twilio_sid(&hex_id("SM"), "CA"));
    }

    #[test]
    fn parses_basic_auth() {
        let mut headers = HeaderMap::new();
        let token = base64::engine::general_purpose::STANDARD.encode("user:pa:ss");
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {token}")).unwrap(),
        );
        assert_eq!(basic_auth(&headers), Some(("user".into(), "pa:ss".into())));
    }

    #[test]
    fn completing_an_ended_twilio_call_is_not_a_second_hang_up() {
        let mut inner = Inner::default();
        let sid = hex_id("CA");
        let file = format!("{sid}.json");
        let hang_up: BTreeMap<String, String> =
            [("Status".to_owned(), "completed".to_owned())].into();
        assert_eq!(
            twilio_update_call(&mut inner, "/p", &file, &hang_up).status,
            200
        );
        assert_eq!(
            twilio_update_call(&mut inner, "/p", &file, &hang_up).status,
            200
        );
        assert_eq!(inner.updates.len(), 1);
        let redirect: BTreeMap<String, String> =
            [("Twiml".to_owned(), "<Response/>".to_owned())].into();
        assert_eq!(
            twilio_update_call(&mut inner, "/p", &file, &redirect).status,
            400
        );
    }
}
