//! A hook for metrics: the app implements [`CallObserver`] on its metrics
//! registry (Prometheus histograms of per-turn latency, call counts).

use awaaz_store::{Channel, TurnLatency};

use crate::core::EndStatus;

/// Told about every call's milestones. Implementations must be cheap and
/// must not block: they run on the call's task.
pub trait CallObserver: Send + Sync {
    /// A call started.
    fn call_started(&self, _channel: Channel) {}
    /// A call ended with `status`.
    fn call_ended(&self, _channel: Channel, _status: EndStatus) {}
    /// An agent turn finished (played or interrupted) with these timings.
    fn agent_turn(&self, _latency: &TurnLatency, _interrupted: bool) {}
    /// The agent called a tool.
    fn tool_call(&self, _name: &str, _ok: bool) {}
    /// `count` items were dropped from a bounded queue named `queue`.
    fn dropped(&self, _queue: &'static str, _count: u64) {}
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopObserver;

impl CallObserver for NoopObserver {}
