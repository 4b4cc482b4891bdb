//! Twilio REST (2010-04-01 API): calls and messages.
//!
//! A small typed client of our own rather than the `twilio` crate
//! (neil-lobracco/twilio-rs 1.1): that crate hard-codes
//! `https://api.twilio.com`, cannot update a live call (so no transfer or
//! hang-up), places calls only by `Url`, and pulls in hyper-tls/OpenSSL; the
//! generated `twilio-rs` 0.1 crate's call update sends no parameters at all.
//!
//! Endpoints used (form-encoded bodies, Basic auth `AccountSid:AuthToken`,
//! JSON answers):
//!
//! | method | path | form |
//! |---|---|---|
//! | [`TwilioRest::create_call`] | `POST /2010-04-01/Accounts/{Sid}/Calls.json` | `To`, `From`, `Twiml` or `Url`, `StatusCallback` |
//! | [`TwilioRest::update_call_twiml`] | `POST …/Calls/{CallSid}.json` | `Twiml` |
//! | [`TwilioRest::hang_up`] | `POST …/Calls/{CallSid}.json` | `Status=completed` |
//! | [`TwilioRest::send_sms`] | `POST …/Messages.json` | `To`, `From`, `Body` |
//!
//! A transfer replaces the live call's TwiML with `<Say>` + `<Dial>`
//! ([`transfer_twiml`]); Twilio then ends the `<Connect><Stream>` and sends
//! the media stream's `stop` message.

use std::fmt;
use std::time::Duration;

use crate::twiml::{Dial, Say, VoiceResponse};

use super::{
    endpoint, parse_base, Body, Carrier, CarrierControl, CarrierErrorBody, ControlOutcome,
    CoreSettings, HttpCore, Operation, Redacted, Reply, Request, RestError, DEFAULT_MAX_RETRIES,
    DEFAULT_RETRY_BACKOFF, DEFAULT_TIMEOUT,
};

/// Twilio's production API base.
pub const TWILIO_API_BASE: &str = "https://api.twilio.com";

const API_VERSION: &str = "2010-04-01";

/// Settings for [`TwilioRest`].
#[derive(Clone)]
pub struct TwilioRestConfig {
    /// API base URL; [`TWILIO_API_BASE`] in production, a fake's URL in tests.
    pub api_base: String,
    /// Account SID (`AC…`), the Basic-auth user and part of every path.
    pub account_sid: String,
    /// Auth token, the Basic-auth password.
    pub auth_token: String,
    /// Number SMS are sent from through [`CarrierControl::send_sms`].
    pub from_number: Option<String>,
    /// `language` of the `<Say>` in a transfer (e.g. `en-IN`, `hi-IN`).
    pub say_language: Option<String>,
    /// Timeout of each request.
    pub timeout: Duration,
    /// Retries after the first attempt (see the module docs of `rest`).
    pub max_retries: u32,
    /// First backoff between attempts; doubles each retry.
    pub retry_backoff: Duration,
}

impl TwilioRestConfig {
    /// Production defaults for an account.
    pub fn new(account_sid: impl Into<String>, auth_token: impl Into<String>) -> Self {
        Self {
            api_base: TWILIO_API_BASE.to_owned(),
            account_sid: account_sid.into(),
            auth_token: auth_token.into(),
            from_number: None,
            say_language: None,
            timeout: DEFAULT_TIMEOUT,
            max_retries: DEFAULT_MAX_RETRIES,
            retry_backoff: DEFAULT_RETRY_BACKOFF,
        }
    }
}

impl fmt::Debug for TwilioRestConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioRestConfig")
            .field("api_base", &self.api_base)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &Redacted)
            .field(
                "from_number",
                &self.from_number.as_deref().map(super::mask_phone_number),
            )
            .field("say_language", &self.say_language)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("retry_backoff", &self.retry_backoff)
            .finish()
    }
}

/// A Twilio call SID (`CA` + 32 hex digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallSid(String);

impl CallSid {
    /// The SID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CallSid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Twilio message SID (`SM` + 32 hex digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageSid(String);

impl MessageSid {
    /// The SID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MessageSid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a new call does when answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallInstructions {
    /// Run this TwiML document (the `Twiml` parameter; Twilio allows 4,000 characters).
    Twiml(String),
    /// Fetch TwiML from this URL (the `Url` parameter).
    Url(String),
}

/// TwiML that says `say` (if any) and dials `to`: what a transfer runs.
pub fn transfer_twiml(to: &str, say: Option<&str>, language: Option<&str>) -> String {
    let mut response = VoiceResponse::new();
    if let Some(text) = say.filter(|s| !s.trim().is_empty()) {
        let mut line = Say::new(text);
        if let Some(lang) = language {
            line = line.language(lang);
        }
        response = response.say(line);
    }
    response.dial(Dial::number(to)).render()
}

/// Client for Twilio's REST API.
pub struct TwilioRest {
    core: HttpCore,
    base: url::Url,
    account_sid: String,
    from_number: Option<String>,
    say_language: Option<String>,
}

impl fmt::Debug for TwilioRest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioRest")
            .field("base", &self.base.as_str())
            .field("account_sid", &self.account_sid)
            .finish_non_exhaustive()
    }
}

fn parse_error(body: &[u8]) -> CarrierErrorBody {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return CarrierErrorBody::default();
    };
    CarrierErrorBody {
        code: value.get("code").and_then(serde_json::Value::as_i64),
        message: value
            .get("message")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned),
        more_info: value
            .get("more_info")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned),
    }
}

impl TwilioRest {
    /// A client for `config`; fails only on an unusable base URL or TLS setup.
    pub fn new(config: TwilioRestConfig) -> Result<Self, RestError> {
        let base = parse_base(Carrier::Twilio, &config.api_base)?;
        if config.account_sid.is_empty() {
            return Err(RestError::Config {
                carrier: Carrier::Twilio,
                reason: "account sid is empty".to_owned(),
            });
        }
        let core = HttpCore::new(CoreSettings {
            carrier: Carrier::Twilio,
            user: config.account_sid.clone(),
            secret: config.auth_token,
            timeout: config.timeout,
            max_retries: config.max_retries,
            retry_backoff: config.retry_backoff,
            parse_error,
        })?;
        Ok(Self {
            core,
            base,
            account_sid: config.account_sid,
            from_number: config.from_number,
            say_language: config.say_language,
        })
    }

    fn url(&self, tail: &[&str]) -> Result<url::Url, RestError> {
        let mut segments = vec![API_VERSION, "Accounts", self.account_sid.as_str()];
        segments.extend_from_slice(tail);
        endpoint(Carrier::Twilio, &self.base, &segments)
    }

    fn sid(reply: &Reply, operation: Operation) -> Result<String, RestError> {
        let value = reply.json(Carrier::Twilio, operation)?;
        value
            .get("sid")
            .and_then(serde_json::Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .ok_or(RestError::Decode {
                carrier: Carrier::Twilio,
                operation,
                status: reply.status,
                reason: "no sid in response",
            })
    }

    /// Place a call from `from` to `to` that runs `instructions` when answered.
    pub async fn create_call(
        &self,
        to: &str,
        from: &str,
        instructions: &CallInstructions,
        status_callback: Option<&str>,
    ) -> Result<CallSid, RestError> {
        let mut form = vec![("To", to.to_owned()), ("From", from.to_owned())];
        match instructions {
            CallInstructions::Twiml(twiml) => form.push(("Twiml", twiml.clone())),
            CallInstructions::Url(url) => form.push(("Url", url.clone())),
        }
        if let Some(cb) = status_callback {
            form.push(("StatusCallback", cb.to_owned()));
        }
        let reply = self
            .core
            .send(Request {
                operation: Operation::CreateCall,
                method: reqwest::Method::POST,
                url: self.url(&["Calls.json"])?,
                body: Body::Form(form),
                idempotent: false,
            })
            .await?;
        Self::sid(&reply, Operation::CreateCall).map(CallSid)
    }

    async fn update_call(
        &self,
        operation: Operation,
        call_sid: &str,
        form: Vec<(&'static str, String)>,
    ) -> Result<(), RestError> {
        let file = format!("{call_sid}.json");
        self.core
            .send(Request {
                operation,
                method: reqwest::Method::POST,
                url: self.url(&["Calls", &file])?,
                body: Body::Form(form),
                // Running the same TwiML again, or completing a completed
                // call, leaves the call where the first request would have.
                idempotent: true,
            })
            .await
            .map(drop)
    }

    /// Replace the live call's TwiML with `twiml` (e.g. [`transfer_twiml`]).
    pub async fn update_call_twiml(&self, call_sid: &str, twiml: &str) -> Result<(), RestError> {
        self.update_call(
            Operation::UpdateCall,
            call_sid,
            vec![("Twiml", twiml.to_owned())],
        )
        .await
    }

    /// End the live call (`Status=completed`).
    pub async fn hang_up(&self, call_sid: &str) -> Result<(), RestError> {
        self.update_call(
            Operation::HangUp,
            call_sid,
            vec![("Status", "completed".to_owned())],
        )
        .await
    }

    /// Send `body` from `from` to `to`.
    pub async fn send_sms(
        &self,
        to: &str,
        from: &str,
        body: &str,
    ) -> Result<MessageSid, RestError> {
        let reply = self
            .core
            .send(Request {
                operation: Operation::SendSms,
                method: reqwest::Method::POST,
                url: self.url(&["Messages.json"])?,
                body: Body::Form(vec![
                    ("To", to.to_owned()),
                    ("From", from.to_owned()),
                    ("Body", body.to_owned()),
                ]),
                idempotent: false,
            })
            .await?;
        Self::sid(&reply, Operation::SendSms).map(MessageSid)
    }
}

#[async_trait::async_trait]
impl CarrierControl for TwilioRest {
    fn carrier(&self) -> Carrier {
        self.core.carrier()
    }

    async fn transfer(
        &self,
        call: &str,
        to: &str,
        say: Option<&str>,
    ) -> Result<ControlOutcome, RestError> {
        let twiml = transfer_twiml(to, say, self.say_language.as_deref());
        self.update_call(Operation::Transfer, call, vec![("Twiml", twiml)])
            .await?;
        Ok(ControlOutcome::Applied)
    }

    async fn hang_up(&self, call: &str) -> Result<ControlOutcome, RestError> {
        Self::hang_up(self, call).await?;
        Ok(ControlOutcome::Applied)
    }

    async fn send_sms(&self, to: &str, body: &str) -> Result<String, RestError> {
        let from = self.from_number.as_deref().ok_or(RestError::Config {
            carrier: Carrier::Twilio,
            reason: "no sms from number configured".to_owned(),
        })?;
        Self::send_sms(self, to, from, body).await.map(|sid| sid.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_twiml_says_then_dials_and_escapes() {
        assert_eq!(
            transfer_twiml(
                "+911234567890",
                Some("Ek minute <ruko> & suno"),
                Some("hi-IN")
            ),
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say language="hi-IN">Ek minute &lt;ruko&gt; &amp; suno</Say><Dial>+911234567890</Dial></Response>"#
        );
        assert_eq!(
            transfer_twiml("+911234567890", Some("  "), None),
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial>+911234567890</Dial></Response>"#
        );
    }

    #[test]
    fn parses_twilio_error_json() {
        let body = br#"{"code": 21211, "message": "Invalid 'To' Phone Number", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}"#;
        let parsed = parse_error(body);
        assert_eq!(parsed.code, Some(21211));
        assert_eq!(parsed.message.as_deref(), Some("Invalid 'To' Phone Number"));
        assert_eq!(
            parsed.more_info.as_deref(),
            Some("https://www.twilio.com/docs/errors/21211")
        );
        let parsed = parse_error(b"<html>bad gateway</html>");
        assert_eq!(parsed.code, None);
    }

    #[test]
    fn config_debug_hides_token_and_number() {
        let mut config = TwilioRestConfig::new("AC00", "very-secret-token");
        config.from_number = Some("+919876543278".into());
        let shown = format!("{config:?}");
        assert!(!shown.contains("very-secret-token"), "{shown}");
        assert!(!shown.contains("9876543278"), "{shown}");
        assert!(shown.contains("+9198******78"), "{shown}");
    }
}
