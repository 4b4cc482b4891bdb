//! Plivo REST (v1 API): transfer, hang up, SMS.
//!
//! Endpoints used (JSON bodies, Basic auth `AuthID:AuthToken`, paths end in
//! `/` as Plivo's own SDKs send them):
//!
//! | method | path | body | answer |
//! |---|---|---|---|
//! | [`PlivoRest::transfer`] | `POST /v1/Account/{auth_id}/Call/{call_uuid}/` | `legs=aleg`, `aleg_url`, `aleg_method` | 202 `{"message": "call transferred", "api_id"}` |
//! | [`PlivoRest::hang_up`] | `DELETE /v1/Account/{auth_id}/Call/{call_uuid}/` | — | 204 |
//! | [`PlivoRest::send_sms`] | `POST /v1/Account/{auth_id}/Message/` | `src`, `dst`, `text` | 202 `{"message_uuid": [..], "api_id"}` |
//!
//! Errors come back as `{"api_id", "error"}`.
//!
//! A Plivo transfer cannot carry XML: it points the live call (the A leg) at a
//! URL that answers with Plivo XML. [`CarrierControl::transfer`] therefore
//! needs [`PlivoRestConfig::transfer_url`], a route of the awaaz server; the
//! client appends `to` and `say` as query parameters and the route answers
//! with [`PlivoTransfer::to_xml`] (`<Speak>` then `<Dial><Number>`). The number
//! in that URL is the agent's desk number, not the caller's; the server must
//! not log query strings of that route all the same.

use std::fmt;
use std::time::Duration;

use crate::plivo::xml::{Dial, Response, Speak};

use super::{
    endpoint, mask_phone_number, parse_base, Body, Carrier, CarrierControl, CarrierErrorBody,
    ControlOutcome, CoreSettings, HttpCore, Operation, Redacted, Request, RestError,
    DEFAULT_MAX_RETRIES, DEFAULT_RETRY_BACKOFF, DEFAULT_TIMEOUT,
};

/// Plivo's production API base.
pub const PLIVO_API_BASE: &str = "https://api.plivo.com";

/// Settings for [`PlivoRest`].
#[derive(Clone)]
pub struct PlivoRestConfig {
    /// API base URL; [`PLIVO_API_BASE`] in production.
    pub api_base: String,
    /// Auth ID (`MA…`/`SA…`), the Basic-auth user and part of every path.
    pub auth_id: String,
    /// Auth token, the Basic-auth password.
    pub auth_token: String,
    /// Number SMS are sent from through [`CarrierControl::send_sms`].
    pub from_number: Option<String>,
    /// Public URL of the server route that answers a transfer with Plivo XML
    /// (see the module docs); needed by [`CarrierControl::transfer`].
    pub transfer_url: Option<String>,
    /// Timeout of each request.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff between attempts; doubles each retry.
    pub retry_backoff: Duration,
}

impl PlivoRestConfig {
    /// Production defaults for an account.
    pub fn new(auth_id: impl Into<String>, auth_token: impl Into<String>) -> Self {
        Self {
            api_base: PLIVO_API_BASE.to_owned(),
            auth_id: auth_id.into(),
            auth_token: auth_token.into(),
            from_number: None,
            transfer_url: None,
            timeout: DEFAULT_TIMEOUT,
            max_retries: DEFAULT_MAX_RETRIES,
            retry_backoff: DEFAULT_RETRY_BACKOFF,
        }
    }
}

impl fmt::Debug for PlivoRestConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlivoRestConfig")
            .field("api_base", &self.api_base)
            .field("auth_id", &self.auth_id)
            .field("auth_token", &Redacted)
            .field(
                "from_number",
                &self.from_number.as_deref().map(mask_phone_number),
            )
            .field("transfer_url", &self.transfer_url)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("retry_backoff", &self.retry_backoff)
            .finish()
    }
}

/// What the transfer route must do: the query a transfer URL carries, and
/// the Plivo XML to answer with.
#[derive(Clone, PartialEq, Eq)]
pub struct PlivoTransfer {
    /// Number to dial.
    pub to: String,
    /// Sentence to speak before dialling.
    pub say: Option<String>,
}

impl fmt::Debug for PlivoTransfer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlivoTransfer")
            .field("to", &mask_phone_number(&self.to))
            .field("say", &self.say.as_ref().map(|_| Redacted))
            .finish()
    }
}

impl PlivoTransfer {
    /// Read the `to` and `say` parameters of a transfer URL's query string.
    pub fn from_query(query: &str) -> Option<Self> {
        let mut to = None;
        let mut say = None;
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match key.as_ref() {
                "to" if !value.is_empty() => to = Some(value.into_owned()),
                "say" if !value.is_empty() => say = Some(value.into_owned()),
                _ => {}
            }
        }
        Some(Self { to: to?, say })
    }

    /// `base` with this transfer's query appended (keeping `base`'s own query).
    pub fn url(&self, base: &str) -> Result<String, RestError> {
        let mut url = url::Url::parse(base).map_err(|e| RestError::Config {
            carrier: Carrier::Plivo,
            reason: format!("transfer url: {e}"),
        })?;
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("to", &self.to);
            if let Some(say) = &self.say {
                query.append_pair("say", say);
            }
        }
        Ok(url.into())
    }

    /// Plivo XML: `<Speak>` (in `language`, e.g. `en-IN`) then `<Dial><Number>`.
    pub fn to_xml(&self, language: Option<&str>) -> String {
        let mut response = Response::new();
        if let Some(text) = self.say.as_deref().filter(|s| !s.trim().is_empty()) {
            let mut line = Speak::new(text);
            if let Some(lang) = language {
                line = line.language(lang);
            }
            response = response.speak(line);
        }
        response.dial(Dial::number(self.to.as_str())).render()
    }
}

/// Client for Plivo's REST API.
pub struct PlivoRest {
    core: HttpCore,
    base: url::Url,
    auth_id: String,
    from_number: Option<String>,
    transfer_url: Option<String>,
}

impl fmt::Debug for PlivoRest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlivoRest")
            .field("base", &self.base.as_str())
            .field("auth_id", &self.auth_id)
            .finish_non_exhaustive()
    }
}

fn parse_error(body: &[u8]) -> CarrierErrorBody {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return CarrierErrorBody::default();
    };
    CarrierErrorBody {
        code: None,
        message: value.get("error").and_then(|e| match e {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        }),
        more_info: None,
    }
}

impl PlivoRest {
    /// A client for `config`; fails only on an unusable base URL or TLS setup.
    pub fn new(config: PlivoRestConfig) -> Result<Self, RestError> {
        let base = parse_base(Carrier::Plivo, &config.api_base)?;
        if config.auth_id.is_empty() {
            return Err(RestError::Config {
                carrier: Carrier::Plivo,
                reason: "auth id is empty".to_owned(),
            });
        }
        let core = HttpCore::new(CoreSettings {
            carrier: Carrier::Plivo,
            user: config.auth_id.clone(),
            secret: config.auth_token,
            timeout: config.timeout,
            max_retries: config.max_retries,
            retry_backoff: config.retry_backoff,
            parse_error,
        })?;
        Ok(Self {
            core,
            base,
            auth_id: config.auth_id,
            from_number: config.from_number,
            transfer_url: config.transfer_url,
        })
    }

    fn url(&self, tail: &[&str]) -> Result<url::Url, RestError> {
        let mut segments = vec!["v1", "Account", self.auth_id.as_str()];
        segments.extend_from_slice(tail);
        // Trailing slash, as Plivo documents every resource path.
        segments.push("");
        endpoint(Carrier::Plivo, &self.base, &segments)
    }

    /// Point the live call's A leg at `aleg_url` (fetched with POST), which
    /// must answer with Plivo XML.
    pub async fn transfer(&self, call_uuid: &str, aleg_url: &str) -> Result<(), RestError> {
        self.core
            .send(Request {
                operation: Operation::Transfer,
                method: reqwest::Method::POST,
                url: self.url(&["Call", call_uuid])?,
                body: Body::Json(serde_json::json!({
                    "legs": "aleg",
                    "aleg_url": aleg_url,
                    "aleg_method": "POST",
                })),
                idempotent: true,
            })
            .await
            .map(drop)
    }

    /// End the live call.
    pub async fn hang_up(&self, call_uuid: &str) -> Result<(), RestError> {
        self.core
            .send(Request {
                operation: Operation::HangUp,
                method: reqwest::Method::DELETE,
                url: self.url(&["Call", call_uuid])?,
                body: Body::Empty,
                idempotent: true,
            })
            .await
            .map(drop)
    }

    /// Send `text` from `src` to `dst`; returns the message UUID.
    pub async fn send_sms(&self, dst: &str, src: &str, text: &str) -> Result<String, RestError> {
        let reply = self
            .core
            .send(Request {
                operation: Operation::SendSms,
                method: reqwest::Method::POST,
                url: self.url(&["Message"])?,
                body: Body::Json(serde_json::json!({ "src": src, "dst": dst, "text": text })),
                idempotent: false,
            })
            .await?;
        let value = reply.json(Carrier::Plivo, Operation::SendSms)?;
        value
            .get("message_uuid")
            .and_then(serde_json::Value::as_array)
            .and_then(|ids| ids.first())
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or(RestError::Decode {
                carrier: Carrier::Plivo,
                operation: Operation::SendSms,
                status: reply.status,
                reason: "no message_uuid in response",
            })
    }
}

#[async_trait::async_trait]
impl CarrierControl for PlivoRest {
    fn carrier(&self) -> Carrier {
        self.core.carrier()
    }

    async fn transfer(
        &self,
        call: &str,
        to: &str,
        say: Option<&str>,
    ) -> Result<ControlOutcome, RestError> {
        let base = self.transfer_url.as_deref().ok_or(RestError::Config {
            carrier: Carrier::Plivo,
            reason: "no transfer url configured".to_owned(),
        })?;
        let aleg_url = PlivoTransfer {
            to: to.to_owned(),
            say: say.map(str::to_owned),
        }
        .url(base)?;
        Self::transfer(self, call, &aleg_url).await?;
        Ok(ControlOutcome::Applied)
    }

    async fn hang_up(&self, call: &str) -> Result<ControlOutcome, RestError> {
        Self::hang_up(self, call).await?;
        Ok(ControlOutcome::Applied)
    }

    async fn send_sms(&self, to: &str, body: &str) -> Result<String, RestError> {
        let from = self.from_number.as_deref().ok_or(RestError::Config {
            carrier: Carrier::Plivo,
            reason: "no sms from number configured".to_owned(),
        })?;
        Self::send_sms(self, to, from, body).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_url_round_trips_through_the_query() {
        let transfer = PlivoTransfer {
            to: "+911234567890".into(),
            say: Some("Aapko agent se jod rahe hain & ruko".into()),
        };
        let url = transfer
            .url("https://awaaz.example/plivo/transfer?k=1")
            .unwrap();
        assert!(url.starts_with("https://awaaz.example/plivo/transfer?k=1&to=%2B911234567890&say="));
        let query = url.split_once('?').unwrap().1;
        assert_eq!(PlivoTransfer::from_query(query), Some(transfer));
        assert_eq!(PlivoTransfer::from_query("say=hi"), None);
    }

    #[test]
    fn transfer_xml_speaks_then_dials() {
        let transfer = PlivoTransfer {
            to: "+911234567890".into(),
            say: Some("Ek minute <ruko>".into()),
        };
        assert_eq!(
            transfer.to_xml(Some("en-IN")),
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Speak language="en-IN">Ek minute &lt;ruko&gt;</Speak><Dial><Number>+911234567890</Number></Dial></Response>"#
        );
        let debug = format!("{transfer:?}");
        assert!(
            !debug.contains("1234567890") && !debug.contains("ruko"),
            "{debug}"
        );
    }

    #[test]
    fn parses_plivo_error_json() {
        let parsed = parse_error(br#"{"api_id": "x", "error": "not found"}"#);
        assert_eq!(parsed.message.as_deref(), Some("not found"));
        assert_eq!(parsed.code, None);
        let parsed = parse_error(br#"{"api_id": "x", "error": {"dst": ["required"]}}"#);
        assert_eq!(parsed.message.as_deref(), Some(r#"{"dst":["required"]}"#));
    }
}
