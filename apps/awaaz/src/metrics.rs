//! Counters and a latency histogram, rendered in the Prometheus text
//! exposition format for `GET /metrics`.
//!
//! Hand-rolled because the set is small and fixed; label values are route
//! templates, tool names and statuses, never ids or caller data, so the number
//! of series stays bounded.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Upper bounds of the agent turn latency buckets, in seconds. The embedded
/// agent answers in well under a millisecond to tens of milliseconds; an LLM
/// agent takes seconds.
const TURN_BUCKETS_SECONDS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A cumulative histogram with fixed buckets.
#[derive(Debug, Default)]
struct Histogram {
    /// Count per bucket (not cumulative); the last slot is `+Inf`.
    buckets: [u64; TURN_BUCKETS_SECONDS.len() + 1],
    sum_seconds: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        let slot = TURN_BUCKETS_SECONDS
            .iter()
            .position(|le| seconds <= *le)
            .unwrap_or(TURN_BUCKETS_SECONDS.len());
        self.buckets[slot] += 1;
        self.sum_seconds += seconds;
        self.count += 1;
    }
}

/// Every metric the server exports.
#[derive(Debug, Default)]
pub struct Metrics {
    /// (method, route, status) → count.
    http_requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    conversations_started: AtomicU64,
    /// final status → count.
    conversations_ended: Mutex<BTreeMap<String, u64>>,
    agent_turn: Mutex<Histogram>,
    /// (tool name, ok) → count.
    tool_calls: Mutex<BTreeMap<(String, bool), u64>>,
    agent_errors: AtomicU64,
    /// Voice calls (`awaaz-call`): end of caller speech → first reply audio.
    voice_to_voice: Mutex<Histogram>,
    /// Voice calls started, by channel.
    calls_started: Mutex<BTreeMap<String, u64>>,
    /// Voice calls ended, by (channel, status).
    calls_ended: Mutex<BTreeMap<(String, String), u64>>,
    /// Agent turns the caller cut short.
    barge_ins: AtomicU64,
    /// Items dropped from call queues, by queue.
    call_drops: Mutex<BTreeMap<String, u64>>,
}

/// Locks a metrics map; a panic elsewhere while holding it leaves plain
/// counters that are still worth reporting, so poisoning is ignored.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Metrics {
    /// Counts one answered HTTP request. `route` is the matched route
    /// template (`/api/v1/calls/{id}`), not the path.
    pub fn http_request(&self, method: &str, route: &str, status: u16) {
        *lock(&self.http_requests)
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
    }

    /// Counts a started conversation.
    pub fn conversation_started(&self) {
        self.conversations_started.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an ended conversation by its final status.
    pub fn conversation_ended(&self, status: &str) {
        *lock(&self.conversations_ended)
            .entry(status.to_owned())
            .or_default() += 1;
    }

    /// Records how long the agent took to answer one turn.
    pub fn agent_turn(&self, took: Duration) {
        lock(&self.agent_turn).observe(took.as_secs_f64());
    }

    /// Counts a turn the agent failed to answer.
    pub fn agent_error(&self) {
        self.agent_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one tool call.
    pub fn tool_call(&self, name: &str, ok: bool) {
        *lock(&self.tool_calls)
            .entry((name.to_owned(), ok))
            .or_default() += 1;
    }

    /// Renders everything in the Prometheus text format (version 0.0.4).
    /// `active_conversations` is read from the conversation table at scrape
    /// time rather than tracked here, so it can never drift.
    pub fn render(&self, active_conversations: usize) -> String {
        let mut out = String::with_capacity(4096);
        // Writing to a String cannot fail; the results are ignored for that reason.
        let _ = writeln!(
            out,
            "# HELP awaaz_http_requests_total HTTP requests answered, by route and status."
        );
        let _ = writeln!(out, "# TYPE awaaz_http_requests_total counter");
        for ((method, route, status), n) in lock(&self.http_requests).iter() {
            let _ = writeln!(
                out,
                "awaaz_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(method),
                escape(route)
            );
        }

        let _ = writeln!(
            out,
            "# HELP awaaz_conversations_active Conversations held in memory now."
        );
        let _ = writeln!(out, "# TYPE awaaz_conversations_active gauge");
        let _ = writeln!(out, "awaaz_conversations_active {active_conversations}");
        let _ = writeln!(
            out,
            "# HELP awaaz_conversations_started_total Conversations started."
        );
        let _ = writeln!(out, "# TYPE awaaz_conversations_started_total counter");
        let _ = writeln!(
            out,
            "awaaz_conversations_started_total {}",
            self.conversations_started.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP awaaz_conversations_ended_total Conversations ended, by final status."
        );
        let _ = writeln!(out, "# TYPE awaaz_conversations_ended_total counter");
        for (status, n) in lock(&self.conversations_ended).iter() {
            let _ = writeln!(
                out,
                "awaaz_conversations_ended_total{{status=\"{}\"}} {n}",
                escape(status)
            );
        }

        let _ = writeln!(
            out,
            "# HELP awaaz_agent_turn_duration_seconds Time the agent took to answer a turn (understanding, tools, reply)."
        );
        let _ = writeln!(out, "# TYPE awaaz_agent_turn_duration_seconds histogram");
        {
            let h = lock(&self.agent_turn);
            let mut cumulative = 0;
            for (le, n) in TURN_BUCKETS_SECONDS.iter().zip(h.buckets.iter()) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "awaaz_agent_turn_duration_seconds_bucket{{le=\"{le}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "awaaz_agent_turn_duration_seconds_bucket{{le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "awaaz_agent_turn_duration_seconds_sum {}",
                h.sum_seconds
            );
            let _ = writeln!(out, "awaaz_agent_turn_duration_seconds_count {}", h.count);
        }
        let _ = writeln!(
            out,
            "# HELP awaaz_agent_errors_total Turns the agent failed to answer."
        );
        let _ = writeln!(out, "# TYPE awaaz_agent_errors_total counter");
        let _ = writeln!(
            out,
            "awaaz_agent_errors_total {}",
            self.agent_errors.load(Ordering::Relaxed)
        );

        let _ = writeln!(
            out,
            "# HELP awaaz_tool_calls_total Tool calls made by the agent, by tool and outcome."
        );
        let _ = writeln!(out, "# TYPE awaaz_tool_calls_total counter");
        for ((name, ok), n) in lock(&self.tool_calls).iter() {
            let _ = writeln!(
                out,
                "awaaz_tool_calls_total{{name=\"{}\",ok=\"{ok}\"}} {n}",
                escape(name)
            );
        }
        self.render_calls(&mut out);
        out
    }
}

impl awaaz_call::CallObserver for Metrics {
    fn call_started(&self, channel: awaaz_store::Channel) {
        *lock(&self.calls_started)
            .entry(channel.as_str().to_owned())
            .or_default() += 1;
    }

    fn call_ended(&self, channel: awaaz_store::Channel, status: awaaz_call::EndStatus) {
        *lock(&self.calls_ended)
            .entry((channel.as_str().to_owned(), status.as_str().to_owned()))
            .or_default() += 1;
    }

    fn agent_turn(&self, latency: &awaaz_store::TurnLatency, interrupted: bool) {
        if let Some(ms) = latency.voice_to_voice_ms {
            lock(&self.voice_to_voice).observe(Duration::from_millis(ms).as_secs_f64());
        }
        if interrupted {
            self.barge_ins.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn tool_call(&self, name: &str, ok: bool) {
        Self::tool_call(self, name, ok);
    }

    fn dropped(&self, queue: &'static str, count: u64) {
        *lock(&self.call_drops).entry(queue.to_owned()).or_default() += count;
    }
}

impl Metrics {
    /// Renders the voice call metrics (appended to [`Metrics::render`]).
    fn render_calls(&self, out: &mut String) {
        // Writing to a String cannot fail; the results are ignored for that reason.
        let _ = writeln!(
            out,
            "# HELP awaaz_voice_to_voice_seconds End of caller speech to the first byte of reply audio, per answered turn."
        );
        let _ = writeln!(out, "# TYPE awaaz_voice_to_voice_seconds histogram");
        {
            let h = lock(&self.voice_to_voice);
            let mut cumulative = 0;
            for (le, n) in TURN_BUCKETS_SECONDS.iter().zip(h.buckets.iter()) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "awaaz_voice_to_voice_seconds_bucket{{le=\"{le}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "awaaz_voice_to_voice_seconds_bucket{{le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(out, "awaaz_voice_to_voice_seconds_sum {}", h.sum_seconds);
            let _ = writeln!(out, "awaaz_voice_to_voice_seconds_count {}", h.count);
        }
        let _ = writeln!(
            out,
            "# HELP awaaz_calls_started_total Voice calls started, by channel."
        );
        let _ = writeln!(out, "# TYPE awaaz_calls_started_total counter");
        for (channel, n) in lock(&self.calls_started).iter() {
            let _ = writeln!(
                out,
                "awaaz_calls_started_total{{channel=\"{}\"}} {n}",
                escape(channel)
            );
        }
        let _ = writeln!(
            out,
            "# HELP awaaz_calls_ended_total Voice calls ended, by channel and final status."
        );
        let _ = writeln!(out, "# TYPE awaaz_calls_ended_total counter");
        for ((channel, status), n) in lock(&self.calls_ended).iter() {
            let _ = writeln!(
                out,
                "awaaz_calls_ended_total{{channel=\"{}\",status=\"{}\"}} {n}",
                escape(channel),
                escape(status)
            );
        }
        let _ = writeln!(
            out,
            "# HELP awaaz_barge_ins_total Agent turns the caller interrupted."
        );
        let _ = writeln!(out, "# TYPE awaaz_barge_ins_total counter");
        let _ = writeln!(
            out,
            "awaaz_barge_ins_total {}",
            self.barge_ins.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP awaaz_call_queue_dropped_total Items dropped from a call's bounded queues, by queue."
        );
        let _ = writeln!(out, "# TYPE awaaz_call_queue_dropped_total counter");
        for (queue, n) in lock(&self.call_drops).iter() {
            let _ = writeln!(
                out,
                "awaaz_call_queue_dropped_total{{queue=\"{}\"}} {n}",
                escape(queue)
            );
        }
    }
}

/// Escapes a label value as the exposition format requires.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.agent_turn(Duration::from_micros(300));
        m.agent_turn(Duration::from_millis(3));
        m.agent_turn(Duration::from_secs(60));
        let text = m.render(2);
        assert!(
            text.contains("awaaz_agent_turn_duration_seconds_bucket{le=\"0.0005\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("awaaz_agent_turn_duration_seconds_bucket{le=\"0.005\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("awaaz_agent_turn_duration_seconds_bucket{le=\"10\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("awaaz_agent_turn_duration_seconds_bucket{le=\"+Inf\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("awaaz_agent_turn_duration_seconds_count 3\n"),
            "{text}"
        );
        assert!(text.contains("awaaz_conversations_active 2\n"), "{text}");
    }

    #[test]
    fn counters_carry_their_labels() {
        let m = Metrics::default();
        m.http_request("GET", "/api/v1/calls/{id}", 404);
        m.http_request("GET", "/api/v1/calls/{id}", 404);
        m.tool_call("lookup_order", true);
        m.tool_call("lookup_order", false);
        m.conversation_ended("completed");
        let text = m.render(0);
        assert!(text.contains(
            "awaaz_http_requests_total{method=\"GET\",route=\"/api/v1/calls/{id}\",status=\"404\"} 2\n"
        ));
        assert!(text.contains("awaaz_tool_calls_total{name=\"lookup_order\",ok=\"true\"} 1\n"));
        assert!(text.contains("awaaz_tool_calls_total{name=\"lookup_order\",ok=\"false\"} 1\n"));
        assert!(text.contains("awaaz_conversations_ended_total{status=\"completed\"} 1\n"));
    }

    #[test]
    fn voice_call_metrics_are_rendered() {
        use awaaz_call::CallObserver as _;
        let m = Metrics::default();
        m.call_started(awaaz_store::Channel::Web);
        awaaz_call::CallObserver::agent_turn(
            &m,
            &awaaz_store::TurnLatency {
                voice_to_voice_ms: Some(420),
                ..awaaz_store::TurnLatency::default()
            },
            true,
        );
        m.call_ended(awaaz_store::Channel::Web, awaaz_call::EndStatus::Completed);
        m.dropped("caller_audio", 3);
        let text = m.render(0);
        assert!(
            text.contains("awaaz_voice_to_voice_seconds_bucket{le=\"0.25\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("awaaz_voice_to_voice_seconds_bucket{le=\"0.5\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("awaaz_voice_to_voice_seconds_count 1\n"),
            "{text}"
        );
        assert!(
            text.contains("awaaz_calls_started_total{channel=\"web\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("awaaz_calls_ended_total{channel=\"web\",status=\"completed\"} 1\n"));
        assert!(text.contains("awaaz_barge_ins_total 1\n"));
        assert!(text.contains("awaaz_call_queue_dropped_total{queue=\"caller_audio\"} 3\n"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
