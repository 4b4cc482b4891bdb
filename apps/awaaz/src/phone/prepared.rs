//! Model sessions opened while a carrier's answer webhook is answered, kept
//! by the carrier's call id until the call's media stream claims them.
//!
//! ```text
//!  POST /twilio/voice (CallSid) ─▶ prepare(): spawn RealtimeEngines::preconnect ─┐
//!                                  answer TwiML at once                           │ oneshot
//!  WS /twilio/media start(CallSid) ─▶ claim(): wait ≤ CLAIM_WAIT ◀────────────────┘
//!                                   ─▶ CallSupervisor::start_realtime(prepared)
//! ```
//!
//! A session nobody claims within [`UNCLAIMED_TTL`] is closed (the caller
//! hung up while ringing, or the stream never came). At most
//! [`MAX_PREPARED`] are kept; beyond that a call simply dials its model when
//! its stream starts. A preconnect that fails leaves nothing behind: the
//! call dials (and retries) itself.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use awaaz_call::{PreparedSession, RealtimeEngines};
use awaaz_store::Channel;
use tokio::sync::oneshot;

/// How long an unclaimed session is kept open.
pub(crate) const UNCLAIMED_TTL: Duration = Duration::from_secs(20);
/// Sessions kept (or being opened) at once.
pub(crate) const MAX_PREPARED: usize = 256;
/// How long a starting stream waits for its session's handshake to finish.
const CLAIM_WAIT: Duration = Duration::from_secs(3);

struct Entry {
    /// Tells this entry from a later one under the same call id.
    generation: u64,
    session: oneshot::Receiver<PreparedSession>,
}

/// Sessions being opened or open, by carrier call id.
#[derive(Default)]
pub(crate) struct PreparedSessions {
    entries: Mutex<HashMap<String, Entry>>,
    next_generation: Mutex<u64>,
}

impl std::fmt::Debug for PreparedSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedSessions")
            .field("pending", &self.len())
            .finish()
    }
}

impl PreparedSessions {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sessions being opened or waiting for their call.
    pub(crate) fn len(&self) -> usize {
        self.entries().len()
    }

    /// Starts opening a model session for the call `carrier_call_id` on
    /// `channel`; returns at once. Returns whether it was started (not when
    /// the id is empty or already has one, or [`MAX_PREPARED`] are pending).
    pub(crate) fn prepare(
        self: &Arc<Self>,
        engines: &RealtimeEngines,
        carrier_call_id: &str,
        channel: Channel,
        caller_known: bool,
    ) -> bool {
        if carrier_call_id.is_empty() {
            return false;
        }
        let (tx, rx) = oneshot::channel();
        let generation = {
            let mut next = self
                .next_generation
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            *next += 1;
            *next
        };
        {
            let mut entries = self.entries();
            if entries.len() >= MAX_PREPARED || entries.contains_key(carrier_call_id) {
                return false;
            }
            entries.insert(
                carrier_call_id.to_owned(),
                Entry {
                    generation,
                    session: rx,
                },
            );
        }
        let engines = engines.clone();
        let key = carrier_call_id.to_owned();
        let sessions = Arc::clone(self);
        tokio::spawn(async move {
            match engines.preconnect(channel, caller_known).await {
                Ok(session) => {
                    if let Err(session) = tx.send(session) {
                        // The stream came, waited and gave up already.
                        session.close().await;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "realtime preconnect failed; the call will dial itself");
                    sessions.forget(&key, generation);
                    return;
                }
            }
            tokio::time::sleep(UNCLAIMED_TTL).await;
            if let Some(mut entry) = sessions.forget(&key, generation) {
                if let Ok(session) = entry.session.try_recv() {
                    tracing::debug!("unclaimed realtime session closed");
                    session.close().await;
                }
            }
        });
        true
    }

    /// Removes the entry `generation` of `key`, if it is still there.
    fn forget(&self, key: &str, generation: u64) -> Option<Entry> {
        let mut entries = self.entries();
        if entries.get(key).is_some_and(|e| e.generation == generation) {
            entries.remove(key)
        } else {
            None
        }
    }

    /// The session prepared for `carrier_call_id`, waiting up to
    /// [`CLAIM_WAIT`] for its handshake; `None` when there is none (or it
    /// failed, or took too long: the call then dials itself).
    pub(crate) async fn claim(&self, carrier_call_id: &str) -> Option<PreparedSession> {
        let entry = self.entries().remove(carrier_call_id)?;
        match tokio::time::timeout(CLAIM_WAIT, entry.session).await {
            Ok(Ok(session)) => Some(session),
            Ok(Err(_)) => None,
            Err(_) => {
                tracing::warn!(
                    wait_ms = CLAIM_WAIT.as_millis(),
                    "realtime preconnect too slow; the call dials itself"
                );
                None
            }
        }
    }
}
