//! Carrier REST clients: the calls a voice agent makes *to* the carrier while
//! a call is live — transfer it to a person, hang it up, send an SMS.
//!
//! This is the one part of the crate that does I/O (reqwest + tokio, behind
//! the default `rest` feature). It does not receive webhooks, render the
//! carrier's call-flow XML for inbound calls, or speak the media-stream
//! protocols; those are the sans-I/O modules beside it.
//!
//! * [`TwilioRest`] — Programmable Voice / Messaging 2010 API: create a call,
//!   replace a live call's TwiML (transfer), hang up, send an SMS.
//! * [`PlivoRest`] — Plivo Voice / Messaging v1: transfer a live call to an
//!   answer URL, hang up, send an SMS.
//! * [`ExotelRest`] — Exotel v1: send an SMS. Exotel has no REST call to
//!   transfer or end a call that sits in a Voicebot applet; see
//!   [`ExotelRest`] for what is done instead.
//! * [`CarrierControl`] — the trait the call layer holds (`Arc<dyn
//!   CarrierControl>`) so it can transfer, hang up and text without knowing
//!   which carrier it is talking to. [`ControlOutcome`] tells it whether the
//!   carrier took over or whether it must close the media stream itself.
//!
//! ```text
//!  call layer ──CarrierControl::transfer/hang_up/send_sms──▶ TwilioRest | PlivoRest | ExotelRest
//!                                                                │ HTTPS, Basic auth
//!                                                                ▼
//!                         retry: connect errors, 429, 500/502/503/504 (bounded,
//!                         exponential backoff with jitter, Retry-After honoured)
//!                                                                │
//!                      Ok(sid / ControlOutcome)  or  RestError { carrier, operation,
//!                                                    status, carrier code, masked message }
//! ```
//!
//! Retries: a request is retried on connection failures, HTTP 429 and
//! HTTP 500/502/503/504, never on other 4xx, at most `max_retries` times. A
//! request that timed out or broke after it was sent is retried only when
//! repeating it cannot do harm twice (hang-up, transfer); a timed-out SMS or
//! new call is reported, not re-sent, because the carrier may already have
//! acted on it.
//!
//! Personal data: phone numbers and SMS bodies never appear in [`RestError`]
//! or in log events. Carrier error messages are kept (they help operators)
//! but any phone-number-like digit run in them is masked the way
//! [`mask_phone_number`] does (`+9198******78`). Auth tokens are redacted from
//! the configs' `Debug` output.

mod exotel;
mod plivo;
mod twilio;

use std::fmt;
use std::time::Duration;

pub use exotel::{ExotelRest, ExotelRestConfig, EXOTEL_API_BASE};
pub use plivo::{PlivoRest, PlivoRestConfig, PlivoTransfer, PLIVO_API_BASE};
pub use twilio::{
    transfer_twiml, CallInstructions, CallSid, MessageSid, TwilioRest, TwilioRestConfig,
    TWILIO_API_BASE,
};

/// Default per-request timeout of the REST clients.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default number of retries after the first attempt.
pub const DEFAULT_MAX_RETRIES: u32 = 3;
/// Default first backoff; it doubles on each retry.
pub const DEFAULT_RETRY_BACKOFF: Duration = Duration::from_millis(250);
/// No single backoff (nor an honoured `Retry-After`) waits longer than this.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Which carrier a request went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Carrier {
    /// Twilio.
    Twilio,
    /// Plivo.
    Plivo,
    /// Exotel.
    Exotel,
}

impl fmt::Display for Carrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Twilio => "twilio",
            Self::Plivo => "plivo",
            Self::Exotel => "exotel",
        })
    }
}

/// Which operation a request was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// Place a new outbound call.
    CreateCall,
    /// Replace a live call's instructions (Twilio TwiML update).
    UpdateCall,
    /// Move a live call to other instructions that dial a person.
    Transfer,
    /// End a live call.
    HangUp,
    /// Send a text message.
    SendSms,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::CreateCall => "create call",
            Self::UpdateCall => "update call",
            Self::Transfer => "transfer",
            Self::HangUp => "hang up",
            Self::SendSms => "send sms",
        })
    }
}

/// A carrier REST request that did not succeed.
///
/// Never carries phone numbers, SMS bodies or credentials.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RestError {
    /// The carrier answered with an error status (after any retries).
    #[error("{carrier} {operation} failed: http {status}{}", detail(*.code, .message.as_deref()))]
    Api {
        /// Which carrier.
        carrier: Carrier,
        /// Which operation.
        operation: Operation,
        /// HTTP status of the last answer.
        status: u16,
        /// The carrier's own error code (Twilio `code`, Exotel `Code`), if any.
        code: Option<i64>,
        /// The carrier's message, with phone numbers masked.
        message: Option<String>,
        /// Where the carrier documents this error (Twilio `more_info`).
        more_info: Option<String>,
        /// How many requests were sent in all.
        attempts: u32,
    },
    /// The carrier could not be reached, or the exchange broke or timed out.
    #[error("{carrier} {operation} failed after {attempts} attempt(s): {}", if *.timed_out { "timed out" } else { "transport error" })]
    Transport {
        /// Which carrier.
        carrier: Carrier,
        /// Which operation.
        operation: Operation,
        /// How many requests were sent in all.
        attempts: u32,
        /// Whether the last attempt timed out.
        timed_out: bool,
        /// The HTTP client's error (its URL removed).
        #[source]
        source: reqwest::Error,
    },
    /// The carrier said yes, but the answer was not what its API documents.
    #[error("{carrier} {operation}: unexpected response (http {status}): {reason}")]
    Decode {
        /// Which carrier.
        carrier: Carrier,
        /// Which operation.
        operation: Operation,
        /// HTTP status of the answer.
        status: u16,
        /// What was wrong.
        reason: &'static str,
    },
    /// The client is missing something it needs, or a setting is invalid.
    #[error("{carrier} rest client is misconfigured: {reason}")]
    Config {
        /// Which carrier.
        carrier: Carrier,
        /// What is wrong.
        reason: String,
    },
}

fn detail(code: Option<i64>, message: Option<&str>) -> String {
    match (code, message) {
        (Some(code), Some(message)) => format!(", code {code}: {message}"),
        (Some(code), None) => format!(", code {code}"),
        (None, Some(message)) => format!(": {message}"),
        (None, None) => String::new(),
    }
}

impl RestError {
    /// The carrier the failed request was meant for.
    pub fn carrier(&self) -> Carrier {
        match self {
            Self::Api { carrier, .. }
            | Self::Transport { carrier, .. }
            | Self::Decode { carrier, .. }
            | Self::Config { carrier, .. } => *carrier,
        }
    }

    /// The operation that failed (`None` for configuration errors).
    pub fn operation(&self) -> Option<Operation> {
        match self {
            Self::Api { operation, .. }
            | Self::Transport { operation, .. }
            | Self::Decode { operation, .. } => Some(*operation),
            Self::Config { .. } => None,
        }
    }

    /// HTTP status of the carrier's answer, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } | Self::Decode { status, .. } => Some(*status),
            Self::Transport { .. } | Self::Config { .. } => None,
        }
    }

    /// The carrier's own error code, if it sent one.
    pub fn carrier_code(&self) -> Option<i64> {
        match self {
            Self::Api { code, .. } => *code,
            _ => None,
        }
    }

    /// Whether the carrier rejected the credentials (HTTP 401 or 403).
    pub fn is_unauthorized(&self) -> bool {
        matches!(
            self,
            Self::Api {
                status: 401 | 403,
                ..
            }
        )
    }
}

/// What the call layer must do after [`CarrierControl::transfer`] or
/// [`CarrierControl::hang_up`] succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ControlOutcome {
    /// The carrier acted on the call; it will stop the media stream itself
    /// (Twilio sends `stop`, Plivo ends the stream), so just drain and wait.
    Applied,
    /// Nothing was sent to the carrier: the caller connection must close the
    /// media stream so the carrier's call flow moves on (Exotel: the applet
    /// after the Voicebot applet connects the agent, or hangs up).
    CloseStream,
}

/// Transfer, hang up and text without knowing the carrier.
///
/// Each implementation is configured with its own "from" number for SMS. `call`
/// is the carrier's id for the live call (Twilio `CallSid`, Plivo
/// `CallUUID`, Exotel `CallSid`); `to` is the number of the person to
/// transfer to; `say` is an optional sentence the carrier speaks first.
#[async_trait::async_trait]
pub trait CarrierControl: Send + Sync {
    /// Which carrier this is.
    fn carrier(&self) -> Carrier;

    /// Move the live call to a person at `to`, saying `say` first.
    async fn transfer(
        &self,
        call: &str,
        to: &str,
        say: Option<&str>,
    ) -> Result<ControlOutcome, RestError>;

    /// End the live call.
    async fn hang_up(&self, call: &str) -> Result<ControlOutcome, RestError>;

    /// Text `body` to `to` from the configured number; returns the carrier's
    /// message id.
    async fn send_sms(&self, to: &str, body: &str) -> Result<String, RestError>;
}

/// Mask a phone number for logs: keep a leading `+`, the first four and the
/// last two digits, star the rest (`+919876543278` → `+9198******78`).
/// Numbers with fewer than seven digits are starred completely.
pub fn mask_phone_number(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::with_capacity(digits.len() + 1);
    if number.trim_start().starts_with('+') {
        out.push('+');
    }
    let n = digits.len();
    for (i, d) in digits.iter().enumerate() {
        if n >= 7 && (i < 4 || i >= n - 2) {
            out.push(*d);
        } else {
            out.push('*');
        }
    }
    out
}

/// Mask every phone-number-like run in a carrier's message: an optional `+`
/// and digits, possibly grouped by single spaces, dashes or dots, eight or
/// more digits in all, not touching a letter or digit (so ids such as
/// `CA0123…` are left alone). Over-masking (a date) is preferred to leaking
/// part of a number.
pub(crate) fn redact_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let is_sep = |c: char| matches!(c, ' ' | '-' | '.');
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts_run =
            c.is_ascii_digit() || (c == '+' && chars.get(i + 1).is_some_and(char::is_ascii_digit));
        if !starts_run || (i > 0 && chars[i - 1].is_alphanumeric()) {
            out.push(c);
            i += 1;
            continue;
        }
        let mut j = if c == '+' { i + 1 } else { i };
        let mut digits = 0;
        while j < chars.len() {
            if chars[j].is_ascii_digit() {
                digits += 1;
                j += 1;
            } else if is_sep(chars[j]) && chars.get(j + 1).is_some_and(char::is_ascii_digit) {
                j += 1;
            } else {
                break;
            }
        }
        let touches_word = j < chars.len() && chars[j].is_alphanumeric();
        let run: String = chars[i..j].iter().collect();
        if digits >= 8 && !touches_word {
            out.push_str(&mask_phone_number(&run));
        } else {
            out.push_str(&run);
        }
        i = j;
    }
    out
}

/// What the carrier's error body says, in the shape common to all three.
#[derive(Debug, Default)]
pub(crate) struct CarrierErrorBody {
    pub(crate) code: Option<i64>,
    pub(crate) message: Option<String>,
    pub(crate) more_info: Option<String>,
}

/// Settings shared by the three clients' HTTP cores.
pub(crate) struct CoreSettings {
    pub(crate) carrier: Carrier,
    pub(crate) user: String,
    pub(crate) secret: String,
    pub(crate) timeout: Duration,
    pub(crate) max_retries: u32,
    pub(crate) retry_backoff: Duration,
    pub(crate) parse_error: fn(&[u8]) -> CarrierErrorBody,
}

/// A request body.
pub(crate) enum Body {
    Empty,
    Form(Vec<(&'static str, String)>),
    Json(serde_json::Value),
}

/// One REST request, before retries.
pub(crate) struct Request {
    pub(crate) operation: Operation,
    pub(crate) method: reqwest::Method,
    pub(crate) url: url::Url,
    pub(crate) body: Body,
    /// Safe to send again if a sent attempt timed out or broke.
    pub(crate) idempotent: bool,
}

/// A successful (2xx) answer.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    /// The body as JSON, or a [`RestError::Decode`].
    pub(crate) fn json(
        &self,
        carrier: Carrier,
        operation: Operation,
    ) -> Result<serde_json::Value, RestError> {
        serde_json::from_slice(&self.body).map_err(|_| RestError::Decode {
            carrier,
            operation,
            status: self.status,
            reason: "body is not json",
        })
    }
}

/// The HTTP client, credentials and retry policy one carrier client uses.
pub(crate) struct HttpCore {
    client: reqwest::Client,
    settings: CoreSettings,
}

impl HttpCore {
    pub(crate) fn new(settings: CoreSettings) -> Result<Self, RestError> {
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("awaaz/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RestError::Config {
                carrier: settings.carrier,
                reason: format!("http client: {}", e.without_url()),
            })?;
        Ok(Self { client, settings })
    }

    pub(crate) fn carrier(&self) -> Carrier {
        self.settings.carrier
    }

    fn build(&self, req: &Request) -> reqwest::RequestBuilder {
        let builder = self
            .client
            .request(req.method.clone(), req.url.clone())
            .basic_auth(&self.settings.user, Some(&self.settings.secret))
            .header(reqwest::header::ACCEPT, "application/json");
        match &req.body {
            Body::Empty => builder,
            Body::Form(pairs) => {
                let encoded = form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
                    .finish();
                builder
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        "application/x-www-form-urlencoded",
                    )
                    .body(encoded)
            }
            Body::Json(value) => builder.json(value),
        }
    }

    /// Send `req`, retrying as the module docs describe; 2xx answers only.
    pub(crate) async fn send(&self, req: Request) -> Result<Reply, RestError> {
        let carrier = self.settings.carrier;
        let operation = req.operation;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let outcome = match self.build(&req).send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let retry_after = retry_after(resp.headers());
                    match resp.bytes().await {
                        Ok(body) => Ok((status, retry_after, body.to_vec())),
                        Err(err) => Err(err),
                    }
                }
                Err(err) => Err(err),
            };
            match outcome {
                Ok((status, retry_after, body)) => {
                    if (200..300).contains(&status) {
                        tracing::debug!(%carrier, %operation, attempt, status, "carrier rest request done");
                        return Ok(Reply { status, body });
                    }
                    let transient = matches!(status, 429 | 500 | 502 | 503 | 504);
                    if transient && attempt <= self.settings.max_retries {
                        let wait = self.backoff(attempt, retry_after);
                        tracing::warn!(%carrier, %operation, attempt, status, wait_ms = millis(wait), "carrier rest request failed, retrying");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    let parsed = (self.settings.parse_error)(&body);
                    tracing::warn!(%carrier, %operation, attempt, status, code = parsed.code, "carrier rest request failed");
                    return Err(RestError::Api {
                        carrier,
                        operation,
                        status,
                        code: parsed.code,
                        message: parsed.message.map(|m| redact_numbers(&m)),
                        more_info: parsed.more_info,
                        attempts: attempt,
                    });
                }
                Err(err) => {
                    // A refused connection never reached the carrier; anything
                    // later may have, so only idempotent requests go again.
                    let safe = err.is_connect() || req.idempotent;
                    if safe && attempt <= self.settings.max_retries {
                        let wait = self.backoff(attempt, None);
                        tracing::warn!(%carrier, %operation, attempt, timed_out = err.is_timeout(), wait_ms = millis(wait), "carrier rest request did not complete, retrying");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    tracing::warn!(%carrier, %operation, attempt, timed_out = err.is_timeout(), "carrier rest request did not complete");
                    return Err(RestError::Transport {
                        carrier,
                        operation,
                        attempts: attempt,
                        timed_out: err.is_timeout(),
                        source: err.without_url(),
                    });
                }
            }
        }
    }

    /// Exponential backoff with "equal jitter" (half fixed, half random), at
    /// least what `Retry-After` asked for, never more than [`MAX_BACKOFF`].
    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .settings
            .retry_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(MAX_BACKOFF);
        let jittered = exp / 2 + (exp / 2).mul_f64(jitter_fraction());
        jittered
            .max(retry_after.unwrap_or_default())
            .min(MAX_BACKOFF)
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A number in `[0, 1)` that differs from call to call, without an RNG
/// dependency: std's `RandomState` is randomly keyed per instance.
fn jitter_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// `Retry-After` in seconds (the HTTP-date form is ignored).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Parse `base` and append `segments` as path segments (each one encoded, so
/// an id can never change the path's shape).
pub(crate) fn endpoint(
    carrier: Carrier,
    base: &url::Url,
    segments: &[&str],
) -> Result<url::Url, RestError> {
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|()| RestError::Config {
            carrier,
            reason: "api base url cannot have a path".to_owned(),
        })?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// Validate a configured base URL.
pub(crate) fn parse_base(carrier: Carrier, base: &str) -> Result<url::Url, RestError> {
    let url = url::Url::parse(base).map_err(|e| RestError::Config {
        carrier,
        reason: format!("api base url: {e}"),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(RestError::Config {
            carrier,
            reason: "api base url must be http(s)".to_owned(),
        });
    }
    Ok(url)
}

/// A `Debug` stand-in for secrets.
pub(crate) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_numbers_like_the_docs_say() {
        assert_eq!(mask_phone_number("+919876543278"), "+9198******78");
        assert_eq!(mask_phone_number("09876543210"), "0987*****10");
        assert_eq!(mask_phone_number("12345"), "*****");
        assert_eq!(mask_phone_number(""), "");
    }

    #[test]
    fn redacts_numbers_in_carrier_messages_but_not_ids() {
        assert_eq!(
            redact_numbers("The 'To' number +919876543278 is not a valid phone number."),
            "The 'To' number +9198******78 is not a valid phone number."
        );
        assert_eq!(
            redact_numbers("Invalid Recipient [09876543210]"),
            "Invalid Recipient [0987*****10]"
        );
        assert_eq!(
            redact_numbers("The 'To' number +91 98765 43278 is invalid"),
            "The 'To' number +9198******78 is invalid"
        );
        assert_eq!(redact_numbers("call 987-654-3278."), "call 9876****78.");
        let ids = "/Accounts/AC0123456789abcdef0123456789abcdef/Calls/CA12345678901234567890123456789012.json";
        assert_eq!(redact_numbers(ids), ids);
        assert_eq!(
            redact_numbers("code 21211, status 400"),
            "code 21211, status 400"
        );
    }

    #[test]
    fn endpoint_encodes_ids_as_single_segments() {
        let base = parse_base(Carrier::Twilio, "http://127.0.0.1:1/prefix/").unwrap();
        let url = endpoint(Carrier::Twilio, &base, &["Calls", "CA1/../x.json"]).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:1/prefix/Calls/CA1%2F..%2Fx.json"
        );
        let url = endpoint(Carrier::Plivo, &base, &["Call", "u", ""]).unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:1/prefix/Call/u/");
    }

    #[test]
    fn rejects_bad_base_urls() {
        assert!(matches!(
            parse_base(Carrier::Exotel, "ftp://x"),
            Err(RestError::Config {
                carrier: Carrier::Exotel,
                ..
            })
        ));
        assert!(parse_base(Carrier::Exotel, "not a url").is_err());
    }

    #[test]
    fn backoff_doubles_within_jitter_and_honours_retry_after() {
        let core = HttpCore::new(CoreSettings {
            carrier: Carrier::Twilio,
            user: "u".into(),
            secret: "s".into(),
            timeout: Duration::from_secs(1),
            max_retries: 3,
            retry_backoff: Duration::from_millis(100),
            parse_error: |_| CarrierErrorBody::default(),
        })
        .unwrap();
        for _ in 0..20 {
            let first = core.backoff(1, None);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = core.backoff(3, None);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
        }
        assert_eq!(
            core.backoff(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(core.backoff(1, Some(Duration::from_secs(60))), MAX_BACKOFF);
        assert_eq!(core.backoff(40, None).max(MAX_BACKOFF), MAX_BACKOFF);
    }

    #[test]
    fn error_display_has_no_numbers_and_reads_well() {
        let err = RestError::Api {
            carrier: Carrier::Twilio,
            operation: Operation::SendSms,
            status: 400,
            code: Some(21211),
            message: Some(redact_numbers("The 'To' number +919876543278 is not valid")),
            more_info: None,
            attempts: 1,
        };
        assert_eq!(
            err.to_string(),
            "twilio send sms failed: http 400, code 21211: The 'To' number +9198******78 is not valid"
        );
        assert_eq!(err.status(), Some(400));
        assert_eq!(err.carrier_code(), Some(21211));
        assert!(!err.is_unauthorized());
    }
}
