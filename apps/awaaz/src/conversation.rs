//! Text conversations: one agent session per conversation, held in memory,
//! every turn recorded in the store exactly like a phone call's.
//!
//! ```text
//!  HTTP handler / chat REPL
//!        │ start / message / end
//!        ▼
//!  Conversations ── table: CallId → Conversation { Mutex<AgentSession>, last_active, slot }
//!        │ each turn runs as a tracked task (finishes even if the client goes away)
//!        ├─▶ AgentSession::respond  (timed: agent latency)
//!        └─▶ CallStore: caller turn, agent turn, tool calls, end_call
//! ```
//!
//! A semaphore caps how many conversations are held; idle ones are ended
//! (`timed_out`) by [`Conversations::run_evictor`] and on demand when the cap
//! is reached. A per-conversation mutex serialises two messages sent to one
//! conversation at once, so turns never interleave.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use awaaz_agent::{Agent, AgentError, AgentReply, AgentSession, CallAction, SessionContext};
use awaaz_store::{
    CallId, Channel, NewCall, NewToolCall, NewTurn, PhoneNumber, Speaker, Store, StoreError,
    TurnLatency,
};
use chrono::{DateTime, Utc};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::config::MAX_MESSAGE_CHARS;
use crate::metrics::Metrics;

/// Final call status of a conversation the caller or the agent ended.
pub const STATUS_COMPLETED: &str = "completed";
/// Final call status when the agent handed the caller to a person.
pub const STATUS_TRANSFERRED: &str = "transferred";
/// Final call status of a conversation ended for being idle too long.
pub const STATUS_TIMED_OUT: &str = "timed_out";

/// Why a conversation operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConversationError {
    /// No conversation with that id was ever started.
    #[error("conversation not found")]
    NotFound,
    /// The conversation is over (the agent ended it, it timed out, or the
    /// server restarted since).
    #[error("conversation has ended")]
    Ended,
    /// The in-memory limit is reached and no conversation is idle.
    #[error("too many active conversations (limit {limit})")]
    Full {
        /// `AWAAZ_MAX_CONVERSATIONS`.
        limit: usize,
    },
    /// The message has no text.
    #[error("text must not be empty")]
    EmptyText,
    /// The message is too long to be one spoken turn.
    #[error("text is longer than {max} characters")]
    TextTooLong {
        /// The limit.
        max: usize,
    },
    /// The store failed.
    #[error("store failed")]
    Store(#[from] StoreError),
    /// The agent failed to answer.
    #[error("agent failed")]
    Agent(#[from] AgentError),
    /// The server is shutting down and the turn could not run.
    #[error("turn was cancelled")]
    Cancelled,
}

/// One answered turn.
#[derive(Debug, Clone)]
pub struct TurnOutcome {
    /// What the agent said and did.
    pub reply: AgentReply,
    /// How long the agent took to think.
    pub agent_time: Duration,
}

/// A started conversation.
#[derive(Debug, Clone)]
pub struct Started {
    /// Its id (also the call id in the store).
    pub id: CallId,
    /// The agent's opening line.
    pub greeting: TurnOutcome,
}

/// One conversation held in memory.
struct Conversation {
    id: CallId,
    /// When it started, for the per-turn millisecond offsets.
    started: Instant,
    last_active: Mutex<Instant>,
    state: tokio::sync::Mutex<SessionState>,
    span: tracing::Span,
    /// Returned to the semaphore when the conversation is dropped.
    _slot: OwnedSemaphorePermit,
}

impl Conversation {
    fn touch(&self) {
        *self
            .last_active
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Instant::now();
    }

    fn idle_for(&self, now: Instant) -> Duration {
        now.saturating_duration_since(
            *self
                .last_active
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    fn offset_ms(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.started).as_millis()).unwrap_or(u64::MAX)
    }
}

struct SessionState {
    session: Box<dyn AgentSession>,
    ended: bool,
}

/// Every text conversation of this process.
pub struct Conversations {
    store: Arc<dyn Store>,
    agent: Arc<dyn Agent>,
    metrics: Arc<Metrics>,
    table: Mutex<HashMap<CallId, Arc<Conversation>>>,
    slots: Arc<Semaphore>,
    limit: usize,
    idle_timeout: Duration,
    tracker: TaskTracker,
}

impl std::fmt::Debug for Conversations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conversations")
            .field("active", &self.active())
            .field("limit", &self.limit)
            .field("idle_timeout", &self.idle_timeout)
            .finish_non_exhaustive()
    }
}

/// Microseconds in a duration, saturating.
fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl Conversations {
    /// An empty table holding at most `limit` conversations.
    pub fn new(
        store: Arc<dyn Store>,
        agent: Arc<dyn Agent>,
        metrics: Arc<Metrics>,
        limit: usize,
        idle_timeout: Duration,
    ) -> Self {
        Self {
            store,
            agent,
            metrics,
            table: Mutex::new(HashMap::new()),
            slots: Arc::new(Semaphore::new(limit)),
            limit,
            idle_timeout,
            tracker: TaskTracker::new(),
        }
    }

    /// Conversations held in memory now.
    pub fn active(&self) -> usize {
        self.table().len()
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<CallId, Arc<Conversation>>> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `work` as a tracked task and waits for it. A turn is several
    /// store writes; if the HTTP client disconnects, axum drops the handler's
    /// future, and without this the turn could stop half-recorded.
    async fn detached<T, F>(&self, work: F) -> Result<T, ConversationError>
    where
        T: Send + 'static,
        F: std::future::Future<Output = Result<T, ConversationError>> + Send + 'static,
    {
        self.tracker.spawn(work).await.map_err(|e| {
            tracing::error!(error = %e, "conversation task failed");
            ConversationError::Cancelled
        })?
    }

    /// Starts a conversation: records the call, opens an agent session and
    /// stores its greeting.
    pub async fn start(
        self: &Arc<Self>,
        caller: Option<PhoneNumber>,
        channel: Channel,
    ) -> Result<Started, ConversationError> {
        let slot = match Arc::clone(&self.slots).try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                // Full: make room by ending conversations nobody is using.
                self.evict_idle().await;
                Arc::clone(&self.slots)
                    .try_acquire_owned()
                    .map_err(|_| ConversationError::Full { limit: self.limit })?
            }
        };
        let this = Arc::clone(self);
        self.detached(async move { this.start_inner(caller, channel, slot).await })
            .await
    }

    async fn start_inner(
        self: Arc<Self>,
        caller: Option<PhoneNumber>,
        channel: Channel,
        slot: OwnedSemaphorePermit,
    ) -> Result<Started, ConversationError> {
        let id = CallId::new_v7();
        let span = tracing::info_span!("call", call_id = %id);
        async {
            let started = Instant::now();
            let started_at = Utc::now();
            self.store
                .create_call(NewCall {
                    id: id.clone(),
                    channel,
                    caller: caller.clone(),
                    carrier_call_id: None,
                    started_at,
                })
                .await?;
            tracing::info!(channel = channel.as_str(), caller = ?caller, "conversation started");
            self.metrics.conversation_started();

            let mut session = self
                .agent
                .start(SessionContext {
                    call_id: id.clone(),
                    channel,
                    caller,
                })
                .await;
            let t0 = Instant::now();
            let greeting = session.greet(Utc::now()).await;
            let agent_time = t0.elapsed();

            let conv = Arc::new(Conversation {
                id: id.clone(),
                started,
                last_active: Mutex::new(Instant::now()),
                state: tokio::sync::Mutex::new(SessionState {
                    session,
                    ended: false,
                }),
                span: tracing::Span::current(),
                _slot: slot,
            });
            self.record_agent_turn(&conv, &greeting, started_at, t0, agent_time)
                .await?;
            let outcome = TurnOutcome {
                reply: greeting,
                agent_time,
            };
            if outcome.reply.ended {
                // An agent that ends the call in its greeting (closed shop):
                // never put it in the table.
                let mut state = conv.state.lock().await;
                self.finish(&conv, &mut state, final_status(&outcome.reply))
                    .await?;
            } else {
                self.table().insert(id.clone(), conv);
            }
            Ok(Started {
                id,
                greeting: outcome,
            })
        }
        .instrument(span)
        .await
    }

    /// Answers one caller message in a conversation and records both turns.
    pub async fn message(
        self: &Arc<Self>,
        id: &CallId,
        text: &str,
    ) -> Result<TurnOutcome, ConversationError> {
        if text.trim().is_empty() {
            return Err(ConversationError::EmptyText);
        }
        if text.chars().count() > MAX_MESSAGE_CHARS {
            return Err(ConversationError::TextTooLong {
                max: MAX_MESSAGE_CHARS,
            });
        }
        let found = self.table().get(id).cloned();
        let Some(conv) = found else {
            // Not in memory: either it never existed or it is over.
            return match self.store.call(id).await? {
                None => Err(ConversationError::NotFound),
                Some(_) => Err(ConversationError::Ended),
            };
        };
        let this = Arc::clone(self);
        let text = text.to_owned();
        let span = conv.span.clone();
        self.detached(async move { this.turn(conv, text).await }.instrument(span))
            .await
    }

    async fn turn(
        self: Arc<Self>,
        conv: Arc<Conversation>,
        text: String,
    ) -> Result<TurnOutcome, ConversationError> {
        // Held for the whole turn: a second message to the same conversation
        // waits here until this one is answered and recorded.
        let mut state = conv.state.lock().await;
        if state.ended {
            return Err(ConversationError::Ended);
        }
        conv.touch();
        let received_at = Utc::now();
        let received = Instant::now();
        let answer = state.session.respond(&text, received_at).await;
        let agent_time = received.elapsed();

        let language = answer.as_ref().ok().map(|r| r.language.code().to_owned());
        self.store
            .append_turn(NewTurn {
                call_id: conv.id.clone(),
                speaker: Speaker::Caller,
                text,
                language,
                started_at: received_at,
                ended_at: received_at,
                latency: TurnLatency {
                    transcript_ready_ms: Some(conv.offset_ms(received)),
                    ..TurnLatency::default()
                },
                interrupted: false,
            })
            .await?;

        let reply = match answer {
            Ok(reply) => reply,
            Err(e) => {
                self.metrics.agent_error();
                tracing::error!(error = %e, "agent failed to answer");
                conv.touch();
                return Err(e.into());
            }
        };
        self.record_agent_turn(&conv, &reply, received_at, received, agent_time)
            .await?;
        if reply.ended {
            self.finish(&conv, &mut state, final_status(&reply)).await?;
            self.remove(&conv);
        }
        conv.touch();
        Ok(TurnOutcome { reply, agent_time })
    }

    /// Stores an agent turn and its tool calls, and counts them.
    async fn record_agent_turn(
        &self,
        conv: &Conversation,
        reply: &AgentReply,
        started_at: DateTime<Utc>,
        started: Instant,
        agent_time: Duration,
    ) -> Result<(), ConversationError> {
        let agent_us = micros(agent_time);
        let turn = self
            .store
            .append_turn(NewTurn {
                call_id: conv.id.clone(),
                speaker: Speaker::Agent,
                text: reply.text.clone(),
                language: Some(reply.language.code().to_owned()),
                started_at,
                ended_at: Utc::now(),
                latency: TurnLatency {
                    transcript_ready_ms: Some(conv.offset_ms(started)),
                    reply_ready_ms: Some(conv.offset_ms(Instant::now())),
                    agent_us: Some(agent_us),
                    ..TurnLatency::default()
                },
                interrupted: false,
            })
            .await?;
        for call in &reply.tool_calls {
            self.store
                .record_tool_call(NewToolCall {
                    call_id: conv.id.clone(),
                    turn_id: Some(turn.id),
                    name: call.name.clone(),
                    arguments: call.arguments.clone(),
                    result: call.result.clone(),
                    ok: call.ok,
                    duration_us: call.duration_us,
                    created_at: started_at,
                })
                .await?;
            self.metrics.tool_call(&call.name, call.ok);
        }
        self.metrics.agent_turn(agent_time);
        let tools: Vec<&str> = reply.tool_calls.iter().map(|c| c.name.as_str()).collect();
        tracing::info!(
            language = reply.language.code(),
            agent_us,
            tools = ?tools,
            ended = reply.ended,
            "agent answered"
        );
        Ok(())
    }

    /// Marks a conversation ended in memory and in the store.
    async fn finish(
        &self,
        conv: &Conversation,
        state: &mut SessionState,
        status: &str,
    ) -> Result<(), ConversationError> {
        if state.ended {
            return Ok(());
        }
        state.ended = true;
        self.store.end_call(&conv.id, status, Utc::now()).await?;
        self.metrics.conversation_ended(status);
        tracing::info!(parent: &conv.span, status, "conversation ended");
        Ok(())
    }

    fn remove(&self, conv: &Arc<Conversation>) {
        let mut table = self.table();
        if table.get(&conv.id).is_some_and(|c| Arc::ptr_eq(c, conv)) {
            table.remove(&conv.id);
        }
    }

    /// Ends one conversation with `status` (the caller hung up, `/quit`).
    /// Waits for a turn in progress to finish first.
    pub async fn end(&self, id: &CallId, status: &str) -> Result<(), ConversationError> {
        let conv = self.table().remove(id).ok_or(ConversationError::NotFound)?;
        let mut state = conv.state.lock().await;
        self.finish(&conv, &mut state, status).await
    }

    /// Ends every conversation held in memory (server shutdown), then waits
    /// for any turn task still running.
    pub async fn end_all(&self, status: &str) {
        let all: Vec<Arc<Conversation>> = self.table().drain().map(|(_, c)| c).collect();
        let count = all.len();
        for conv in all {
            let mut state = conv.state.lock().await;
            if let Err(e) = self.finish(&conv, &mut state, status).await {
                tracing::error!(parent: &conv.span, error = %e, "could not end conversation");
            }
        }
        self.tracker.close();
        self.tracker.wait().await;
        if count > 0 {
            tracing::info!(count, status, "ended active conversations");
        }
    }

    /// Ends conversations idle for longer than the idle timeout. Returns how
    /// many it ended. A conversation in the middle of a turn is never idle.
    pub async fn evict_idle(&self) -> usize {
        let now = Instant::now();
        let idle: Vec<Arc<Conversation>> = {
            let mut table = self.table();
            let ids: Vec<CallId> = table
                .values()
                .filter(|c| c.idle_for(now) >= self.idle_timeout && c.state.try_lock().is_ok())
                .map(|c| c.id.clone())
                .collect();
            ids.iter().filter_map(|id| table.remove(id)).collect()
        };
        let count = idle.len();
        for conv in idle {
            let mut state = conv.state.lock().await;
            if let Err(e) = self.finish(&conv, &mut state, STATUS_TIMED_OUT).await {
                tracing::error!(parent: &conv.span, error = %e, "could not end idle conversation");
            }
        }
        count
    }

    /// Ends idle conversations periodically until `shutdown` is cancelled.
    pub async fn run_evictor(self: Arc<Self>, shutdown: CancellationToken) {
        let period =
            (self.idle_timeout / 4).clamp(Duration::from_millis(100), Duration::from_secs(30));
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = tick.tick() => {
                    let n = self.evict_idle().await;
                    if n > 0 {
                        tracing::info!(count = n, "ended idle conversations");
                    }
                }
            }
        }
    }
}

/// The call status a final reply leaves behind.
fn final_status(reply: &AgentReply) -> &'static str {
    match reply.action {
        Some(CallAction::TransferToHuman { .. }) => STATUS_TRANSFERRED,
        _ => STATUS_COMPLETED,
    }
}
