//! Exotel REST (v1 API): SMS, and what a transfer or hang-up means for a call
//! in a Voicebot applet.
//!
//! SMS: `POST {base}/v1/Accounts/{account_sid}/Sms/send.json`, form `From`,
//! `To`, `Body` (plus `DltEntityId`/`DltTemplateId`, which Indian operators
//! require for messages to Indian numbers), Basic auth `api_key:api_token`.
//! The `.json` suffix asks for `{"SMSMessage": {"Sid", "Status", …}}` instead
//! of Exotel's default XML; errors come back as
//! `{"RestException": {"Status", "Message"}}`. The base is the account's
//! cluster: `https://api.exotel.com` (Singapore) or `https://api.in.exotel.com`
//! (Mumbai).
//!
//! Transfer and hang-up: Exotel's v1 API has no request that redirects or
//! ends a call that is inside a Voicebot (bidirectional stream) applet, and
//! the `Calls/connect` API places a *new* call between two numbers rather than
//! moving the caller who is already on the line. What Exotel documents
//! instead is flow-based: when the bot closes the stream WebSocket, the call
//! leaves the Voicebot applet and the flow goes on to its next applet — a
//! Connect applet (its "Dial whom" a fixed agent number, a group, or a URL the
//! server answers) for a hand-off, a Hangup applet to end. So
//! [`ExotelRest`]'s [`CarrierControl::transfer`] and
//! [`CarrierControl::hang_up`] send nothing and answer
//! [`ControlOutcome::CloseStream`]; which of the two happens is decided by
//! how the flow is built in the Exotel dashboard, and the `to` of a transfer
//! is only used if the Connect applet asks the server for it.

use std::fmt;
use std::time::Duration;

use super::{
    endpoint, mask_phone_number, parse_base, Body, Carrier, CarrierControl, CarrierErrorBody,
    ControlOutcome, CoreSettings, HttpCore, Operation, Redacted, Request, RestError,
    DEFAULT_MAX_RETRIES, DEFAULT_RETRY_BACKOFF, DEFAULT_TIMEOUT,
};

/// Exotel's Singapore-cluster API base (`https://api.in.exotel.com` for Mumbai).
pub const EXOTEL_API_BASE: &str = "https://api.exotel.com";

/// Settings for [`ExotelRest`].
#[derive(Clone)]
pub struct ExotelRestConfig {
    /// API base URL (the account's cluster).
    pub api_base: String,
    /// API key, the Basic-auth user.
    pub api_key: String,
    /// API token, the Basic-auth password.
    pub api_token: String,
    /// Account SID, part of every path.
    pub account_sid: String,
    /// ExoPhone or DLT sender id SMS are sent from through
    /// [`CarrierControl::send_sms`].
    pub from_number: Option<String>,
    /// DLT entity id (`DltEntityId`), required for SMS to Indian numbers.
    pub dlt_entity_id: Option<String>,
    /// DLT template id (`DltTemplateId`) of the messages sent.
    pub dlt_template_id: Option<String>,
    /// Timeout of each request.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff between attempts; doubles each retry.
    pub retry_backoff: Duration,
}

impl ExotelRestConfig {
    /// Production defaults (Singapore cluster) for an account.
    pub fn new(
        account_sid: impl Into<String>,
        api_key: impl Into<String>,
        api_token: impl Into<String>,
    ) -> Self {
        Self {
            api_base: EXOTEL_API_BASE.to_owned(),
            api_key: api_key.into(),
            api_token: api_token.into(),
            account_sid: account_sid.into(),
            from_number: None,
            dlt_entity_id: None,
            dlt_template_id: None,
            timeout: DEFAULT_TIMEOUT,
            max_retries: DEFAULT_MAX_RETRIES,
            retry_backoff: DEFAULT_RETRY_BACKOFF,
        }
    }
}

impl fmt::Debug for ExotelRestConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExotelRestConfig")
            .field("api_base", &self.api_base)
            .field("api_key", &self.api_key)
            .field("api_token", &Redacted)
            .field("account_sid", &self.account_sid)
            .field(
                "from_number",
                &self.from_number.as_deref().map(mask_phone_number),
            )
            .field("dlt_entity_id", &self.dlt_entity_id)
            .field("dlt_template_id", &self.dlt_template_id)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("retry_backoff", &self.retry_backoff)
            .finish()
    }
}

/// Client for Exotel's REST API.
pub struct ExotelRest {
    core: HttpCore,
    base: url::Url,
    account_sid: String,
    from_number: Option<String>,
    dlt_entity_id: Option<String>,
    dlt_template_id: Option<String>,
}

impl fmt::Debug for ExotelRest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExotelRest")
            .field("base", &self.base.as_str())
            .field("account_sid", &self.account_sid)
            .finish_non_exhaustive()
    }
}

fn parse_error(body: &[u8]) -> CarrierErrorBody {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        let exception = value.get("RestException").unwrap_or(&value);
        return CarrierErrorBody {
            code: exception.get("Code").and_then(|c| {
                c.as_i64()
                    .or_else(|| c.as_str().and_then(|s| s.parse().ok()))
            }),
            message: exception
                .get("Message")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned),
            more_info: None,
        };
    }
    // Exotel's default (XML) error form: <RestException><Message>…</Message>.
    let text = String::from_utf8_lossy(body);
    let message = text
        .split_once("<Message>")
        .and_then(|(_, rest)| rest.split_once("</Message>"))
        .map(|(m, _)| m.trim().to_owned())
        .filter(|m| !m.is_empty());
    CarrierErrorBody {
        code: None,
        message,
        more_info: None,
    }
}

impl ExotelRest {
    /// A client for `config`; fails only on an unusable base URL or TLS setup.
    pub fn new(config: ExotelRestConfig) -> Result<Self, RestError> {
        let base = parse_base(Carrier::Exotel, &config.api_base)?;
        if config.account_sid.is_empty() {
            return Err(RestError::Config {
                carrier: Carrier::Exotel,
                reason: "account sid is empty".to_owned(),
            });
        }
        let core = HttpCore::new(CoreSettings {
            carrier: Carrier::Exotel,
            user: config.api_key,
            secret: config.api_token,
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
            dlt_entity_id: config.dlt_entity_id,
            dlt_template_id: config.dlt_template_id,
        })
    }

    /// Send `body` from `from` (an ExoPhone or DLT sender id) to `to`; returns
    /// the SMS SID.
    pub async fn send_sms(&self, to: &str, from: &str, body: &str) -> Result<String, RestError> {
        let mut form = vec![
            ("From", from.to_owned()),
            ("To", to.to_owned()),
            ("Body", body.to_owned()),
        ];
        if let Some(id) = &self.dlt_entity_id {
            form.push(("DltEntityId", id.clone()));
        }
        if let Some(id) = &self.dlt_template_id {
            form.push(("DltTemplateId", id.clone()));
        }
        let url = endpoint(
            Carrier::Exotel,
            &self.base,
            &["v1", "Accounts", &self.account_sid, "Sms", "send.json"],
        )?;
        let reply = self
            .core
            .send(Request {
                operation: Operation::SendSms,
                method: reqwest::Method::POST,
                url,
                body: Body::Form(form),
                idempotent: false,
            })
            .await?;
        let value = reply.json(Carrier::Exotel, Operation::SendSms)?;
        // Exotel has answered with the object and with a one-element list.
        let message = match &value {
            serde_json::Value::Array(items) => items.first().and_then(|v| v.get("SMSMessage")),
            other => other.get("SMSMessage"),
        };
        message
            .and_then(|m| m.get("Sid"))
            .and_then(serde_json::Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .ok_or(RestError::Decode {
                carrier: Carrier::Exotel,
                operation: Operation::SendSms,
                status: reply.status,
                reason: "no SMSMessage.Sid in response",
            })
    }
}

#[async_trait::async_trait]
impl CarrierControl for ExotelRest {
    fn carrier(&self) -> Carrier {
        self.core.carrier()
    }

    /// Sends nothing: see the module docs. The flow's next applet connects
    /// the agent once the stream is closed.
    async fn transfer(
        &self,
        _call: &str,
        _to: &str,
        _say: Option<&str>,
    ) -> Result<ControlOutcome, RestError> {
        tracing::debug!(carrier = %Carrier::Exotel, "transfer is done by the exotel flow after the stream closes");
        Ok(ControlOutcome::CloseStream)
    }

    /// Sends nothing: see the module docs.
    async fn hang_up(&self, _call: &str) -> Result<ControlOutcome, RestError> {
        Ok(ControlOutcome::CloseStream)
    }

    async fn send_sms(&self, to: &str, body: &str) -> Result<String, RestError> {
        let from = self.from_number.as_deref().ok_or(RestError::Config {
            carrier: Carrier::Exotel,
            reason: "no sms from number configured".to_owned(),
        })?;
        Self::send_sms(self, to, from, body).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exotel_errors_in_json_and_xml() {
        let parsed = parse_error(
            br#"{"RestException": {"Status": 403, "Message": "Account is not active"}}"#,
        );
        assert_eq!(parsed.message.as_deref(), Some("Account is not active"));
        assert_eq!(parsed.code, None);
        let parsed = parse_error(
            b"<TwilioResponse><RestException><Status>400</Status><Message>Invalid Parameters</Message></RestException></TwilioResponse>",
        );
        assert_eq!(parsed.message.as_deref(), Some("Invalid Parameters"));
    }

    #[tokio::test]
    async fn transfer_and_hang_up_ask_for_the_stream_to_close() {
        // No server at this address: nothing may be sent.
        let mut config = ExotelRestConfig::new("sid", "key", "token");
        config.api_base = "http://127.0.0.1:9".into();
        let exotel = ExotelRest::new(config).unwrap();
        let control: &dyn CarrierControl = &exotel;
        assert_eq!(
            control
                .transfer("call", "+911234567890", Some("hi"))
                .await
                .unwrap(),
            ControlOutcome::CloseStream
        );
        assert_eq!(
            control.hang_up("call").await.unwrap(),
            ControlOutcome::CloseStream
        );
        assert_eq!(control.carrier(), Carrier::Exotel);
    }
}
