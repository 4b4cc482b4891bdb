//! [`CallSupervisor`]: every call of the process, capped and drained
//! together.

use std::sync::Arc;
use std::time::Duration;

use awaaz_store::{CallId, Store};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::connection::CallerConnection;
use crate::core::EndStatus;
use crate::driver::{run_call, CallConfig, CallEngines, CallInfo, CallReport};
use crate::realtime::{run_realtime_call_with, PreparedSession, RealtimeEngines};
use crate::CallError;

/// Runs calls: at most `max_calls` at once, each in its own task, all
/// drained (goodbye said, transcript saved) on [`CallSupervisor::shutdown`].
///
/// A call's failure or panic is caught at its boundary and recorded as
/// `failed`; it never affects another call.
#[derive(Clone)]
pub struct CallSupervisor {
    /// The cascade, for calls started with [`CallSupervisor::start`];
    /// `None` for a [realtime-only](CallSupervisor::realtime_only) supervisor.
    engines: Option<CallEngines>,
    /// Where a call that panicked is recorded as `failed`.
    store: Arc<dyn Store>,
    /// The realtime engine, for calls started with
    /// [`CallSupervisor::start_realtime`].
    realtime: Option<RealtimeEngines>,
    config: CallConfig,
    shutdown: CancellationToken,
    tracker: TaskTracker,
    slots: Arc<Semaphore>,
    limit: usize,
}

impl std::fmt::Debug for CallSupervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallSupervisor")
            .field("active", &self.active())
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

/// A started call.
#[derive(Debug)]
pub struct CallHandle {
    /// The call's id.
    pub call_id: CallId,
    task: tokio::task::JoinHandle<Result<CallReport, CallError>>,
}

impl CallHandle {
    /// Waits for the call to end.
    pub async fn wait(self) -> Result<CallReport, CallError> {
        self.task.await.map_err(|_| CallError::Panicked)?
    }
}

impl CallSupervisor {
    /// A supervisor for calls using `engines` and `config`.
    pub fn new(engines: CallEngines, config: CallConfig, max_calls: usize) -> Self {
        Self {
            store: Arc::clone(&engines.store),
            engines: Some(engines),
            realtime: None,
            config,
            shutdown: CancellationToken::new(),
            tracker: TaskTracker::new(),
            slots: Arc::new(Semaphore::new(max_calls)),
            limit: max_calls,
        }
    }

    /// A supervisor for realtime calls only ([`CallSupervisor::start_realtime`]),
    /// for a server with no embedded speech engines: [`CallSupervisor::start`]
    /// refuses with [`CallError::EngineMissing`]. A realtime call that cannot
    /// reach its model still goes to [`RealtimeEngines::fallback`] when
    /// `realtime` has one.
    pub fn realtime_only(realtime: RealtimeEngines, config: CallConfig, max_calls: usize) -> Self {
        Self {
            store: Arc::clone(&realtime.store),
            engines: None,
            realtime: Some(realtime),
            config,
            shutdown: CancellationToken::new(),
            tracker: TaskTracker::new(),
            slots: Arc::new(Semaphore::new(max_calls)),
            limit: max_calls,
        }
    }

    /// Also runs realtime calls ([`CallSupervisor::start_realtime`]) with
    /// `engines`, under the same limit and drain.
    #[must_use]
    pub fn with_realtime(mut self, engines: RealtimeEngines) -> Self {
        self.realtime = Some(engines);
        self
    }

    /// The realtime engine, e.g. to [preconnect](RealtimeEngines::preconnect)
    /// a model session while a webhook is answered.
    pub fn realtime(&self) -> Option<&RealtimeEngines> {
        self.realtime.as_ref()
    }

    /// Calls running now.
    pub fn active(&self) -> usize {
        self.limit.saturating_sub(self.slots.available_permits())
    }

    /// Whether [`CallSupervisor::shutdown`] has begun (new calls are refused).
    pub fn is_shutting_down(&self) -> bool {
        self.shutdown.is_cancelled()
    }

    /// Starts a call on `connection`. Refuses with [`CallError::Busy`] when
    /// `max_calls` are running, and [`CallError::ShuttingDown`] during a
    /// drain, and [`CallError::EngineMissing`] on a
    /// [realtime-only](CallSupervisor::realtime_only) supervisor; the caller
    /// should then play a busy message or close.
    pub fn start(
        &self,
        info: CallInfo,
        connection: CallerConnection,
    ) -> Result<CallHandle, CallError> {
        let engines = self
            .engines
            .clone()
            .ok_or(CallError::EngineMissing { engine: "cascade" })?;
        let config = self.config.clone();
        self.spawn(info, move |info, shutdown| {
            run_call(engines, config, info, connection, shutdown)
        })
    }

    /// Starts a call on `connection` with the realtime engine, on
    /// `prepared` if a model session was opened for it ahead of time (see
    /// [`RealtimeEngines::preconnect`]). Refuses like
    /// [`CallSupervisor::start`], and with [`CallError::EngineMissing`] when
    /// no realtime engine was given ([`CallSupervisor::with_realtime`]).
    pub fn start_realtime(
        &self,
        info: CallInfo,
        connection: CallerConnection,
        prepared: Option<PreparedSession>,
    ) -> Result<CallHandle, CallError> {
        let engines = self
            .realtime
            .clone()
            .ok_or(CallError::EngineMissing { engine: "realtime" })?;
        let config = self.config.clone();
        self.spawn(info, move |info, shutdown| {
            run_realtime_call_with(engines, config, info, connection, prepared, shutdown)
        })
    }

    /// Runs `call` in its own task under the limit, catching its panic at
    /// the call boundary.
    fn spawn<F, Fut>(&self, info: CallInfo, call: F) -> Result<CallHandle, CallError>
    where
        F: FnOnce(CallInfo, CancellationToken) -> Fut,
        Fut: std::future::Future<Output = Result<CallReport, CallError>> + Send + 'static,
    {
        if self.shutdown.is_cancelled() {
            return Err(CallError::ShuttingDown);
        }
        let permit = Arc::clone(&self.slots)
            .try_acquire_owned()
            .map_err(|_| CallError::Busy { limit: self.limit })?;
        let call_id = info.id.clone();
        let store = Arc::clone(&self.store);
        let id = info.id.clone();
        let running = call(info, self.shutdown.child_token());
        let task = self.tracker.spawn(async move {
            let _permit = permit;
            // The call runs in its own task so a panic inside it is caught
            // here and recorded, instead of leaving the call open forever.
            let mut boundary = JoinSet::new();
            boundary.spawn(running);
            match boundary.join_next().await {
                Some(Ok(result)) => {
                    if let Err(e) = &result {
                        tracing::error!(call_id = %id.0, error = %e, "call failed to start");
                    }
                    result
                }
                _ => {
                    tracing::error!(call_id = %id.0, "call task panicked");
                    if let Err(e) = store
                        .end_call(&id, EndStatus::Failed.as_str(), chrono::Utc::now())
                        .await
                    {
                        tracing::error!(call_id = %id.0, error = %e, "could not record the failed call");
                    }
                    Err(CallError::Panicked)
                }
            }
        });
        Ok(CallHandle { call_id, task })
    }

    /// Drains every call: each says goodbye, stores its transcript and ends
    /// with status `shutdown`. Waits up to `grace`; returns whether all
    /// calls finished in time.
    pub async fn shutdown(&self, grace: Duration) -> bool {
        self.tracker.close();
        self.shutdown.cancel();
        tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_ok()
    }
}
