//! The SMS outbox sender: a background task that sends what the agent's
//! `send_sms` tool queued in the store.
//!
//! ```text
//!  send_sms tool ─▶ store.queue_sms (status queued)
//!                        │ every poll_interval
//!                        ▼
//!  SmsSender ─▶ Twilio | Plivo | Exotel REST (the first configured, in that order)
//!        ├─ ok ──────────────────────────────▶ status sent, carrier message id
//!        ├─ connection refused, 429, 5xx ────▶ stays queued, retried with backoff, until max_attempts
//!        └─ refused (4xx), timed out, config ▶ status failed, with the error
//! ```
//!
//! The REST clients already retry transient failures a few times within one
//! send; this task adds slower retries across minutes. A send that timed
//! out (or broke) after the request went out is not repeated, because the
//! carrier may have sent the message: it is marked failed with that reason.
//! Logs name the SMS by its store id and never show numbers or bodies.
//!
//! Several servers draining one database would race for the same queued
//! messages; run the sender on one instance (the store has no claim
//! operation yet).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use awaaz_store::{Sms, SmsStatus, Store};
use awaaz_telephony::rest::{CarrierControl, RestError};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::PhoneLines;

/// How long a send in flight may go on after shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How the sender polls and retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsSenderConfig {
    /// How often the outbox is read.
    pub poll_interval: Duration,
    /// Most messages read per poll.
    pub batch: u64,
    /// Attempts (across polls) before a message is marked failed.
    pub max_attempts: u32,
    /// Wait before the first retry; doubles each attempt.
    pub first_backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
}

impl Default for SmsSenderConfig {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(1),
            batch: 20,
            max_attempts: 5,
            first_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(300),
        }
    }
}

/// Sends queued SMS through the configured carrier.
pub struct SmsSender {
    store: Arc<dyn Store>,
    carrier: Option<Arc<dyn CarrierControl>>,
    config: SmsSenderConfig,
    /// SMS id → when it may be tried again.
    retry_at: HashMap<i64, Instant>,
}

impl std::fmt::Debug for SmsSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsSender")
            .field("carrier", &self.carrier.as_ref().map(|c| c.carrier()))
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What to do with a message after a failed send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    Later,
    Never,
}

fn classify(error: &RestError) -> Retry {
    match error {
        RestError::Api { status, .. } if *status == 429 || *status >= 500 => Retry::Later,
        RestError::Transport { source, .. } if source.is_connect() => Retry::Later,
        _ => Retry::Never,
    }
}

impl SmsSender {
    /// A sender over `store`, through the first carrier of `lines` that can
    /// send SMS (Twilio, then Plivo, then Exotel).
    pub fn new(store: Arc<dyn Store>, lines: &PhoneLines, config: SmsSenderConfig) -> Self {
        let settings = lines.settings();
        let carrier: Option<Arc<dyn CarrierControl>> =
            if let (Some(rest), Some(_)) = (lines.twilio_rest(), &settings.twilio.from) {
                Some(Arc::clone(rest) as Arc<dyn CarrierControl>)
            } else if let (Some(rest), Some(_)) = (lines.plivo_rest(), &settings.plivo.from) {
                Some(Arc::clone(rest) as Arc<dyn CarrierControl>)
            } else if let (Some(rest), Some(_)) = (lines.exotel_rest(), &settings.exotel.from) {
                Some(Arc::clone(rest) as Arc<dyn CarrierControl>)
            } else {
                None
            };
        Self {
            store,
            carrier,
            config,
            retry_at: HashMap::new(),
        }
    }

    /// Polls the outbox until `shutdown`; a send in flight then gets five
    /// seconds to finish.
    pub async fn run(mut self, shutdown: CancellationToken) {
        let Some(carrier) = &self.carrier else {
            tracing::info!("sms sender not started: no carrier with credentials and a from number");
            return;
        };
        tracing::info!(carrier = %carrier.carrier(), "sms sender started");
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(self.config.poll_interval) => {}
            }
            let drain = self.drain_once();
            tokio::pin!(drain);
            tokio::select! {
                _ = &mut drain => {}
                () = shutdown.cancelled() => {
                    // A send in flight gets a moment to finish and be
                    // recorded; one cut short stays queued for next time.
                    if tokio::time::timeout(SHUTDOWN_GRACE, drain).await.is_err() {
                        tracing::warn!("sms sender stopped in the middle of a send");
                    }
                    break;
                }
            }
        }
        tracing::info!("sms sender stopped");
    }

    /// Tries every queued message that is due once; returns how many were
    /// tried.
    pub async fn drain_once(&mut self) -> usize {
        let Some(carrier) = self.carrier.clone() else {
            return 0;
        };
        let queued = match self
            .store
            .sms_by_status(SmsStatus::Queued, self.config.batch)
            .await
        {
            Ok(queued) => queued,
            Err(e) => {
                tracing::warn!(error = %e, "sms outbox unreadable");
                return 0;
            }
        };
        let now = Instant::now();
        let mut tried = 0;
        for sms in queued {
            if self.retry_at.get(&sms.id).is_some_and(|at| *at > now) {
                continue;
            }
            tried += 1;
            self.send(carrier.as_ref(), &sms).await;
        }
        tried
    }

    async fn send(&mut self, carrier: &dyn CarrierControl, sms: &Sms) {
        let attempt = sms.attempts + 1;
        let (status, provider_id, error) = match carrier.send_sms(sms.to.as_str(), &sms.body).await
        {
            Ok(id) => {
                tracing::info!(sms_id = sms.id, carrier = %carrier.carrier(), attempt, "sms sent");
                self.retry_at.remove(&sms.id);
                (SmsStatus::Sent, Some(id), None)
            }
            Err(e) => {
                let retry = classify(&e) == Retry::Later && attempt < self.config.max_attempts;
                tracing::warn!(sms_id = sms.id, carrier = %carrier.carrier(), attempt, retry, error = %e, "sms not sent");
                if retry {
                    let wait = self
                        .config
                        .first_backoff
                        .saturating_mul(1u32 << (attempt - 1).min(16))
                        .min(self.config.max_backoff);
                    self.retry_at.insert(sms.id, Instant::now() + wait);
                    (SmsStatus::Queued, None, Some(e.to_string()))
                } else {
                    self.retry_at.remove(&sms.id);
                    (SmsStatus::Failed, None, Some(e.to_string()))
                }
            }
        };
        if let Err(e) = self
            .store
            .update_sms(sms.id, status, provider_id, error)
            .await
        {
            tracing::error!(sms_id = sms.id, error = %e, "cannot record the sms outcome");
        }
    }
}
