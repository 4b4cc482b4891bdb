//! A scripted call against the embedded agent over the demo shop.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the harness"
)]
#![allow(
    unreachable_pub,
    reason = "a test-support module shared by test binaries"
)]

use std::sync::Arc;

use awaaz_agent::{Agent, AgentReply, AgentSession, EmbeddedAgent, SessionContext};
use awaaz_store::{CallId, CallStore, Channel, MemoryStore, NewCall, PhoneNumber, Store};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

/// Priya Sharma (orders 45678, 45679, 89012, 33445).
pub const PRIYA: &str = "+919812345678";
/// Rahul Verma (orders 12345, 23456, 11223).
pub const RAHUL: &str = "+919876543210";
/// Mohammed Arif (orders 67890, 78901).
pub const ARIF: &str = "+919123456780";

/// The fixed "now" of every test: 24 November 2026 (a Tuesday), 10:00 UTC.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
        .single()
        .expect("valid time")
}

pub fn today() -> NaiveDate {
    now().date_naive()
}

/// The demo shop for [`today`].
pub fn demo_store() -> Arc<MemoryStore> {
    Arc::new(MemoryStore::with_demo(today()))
}

/// One call: the store, the session and what it said.
pub struct Call {
    pub store: Arc<MemoryStore>,
    pub agent: Arc<EmbeddedAgent>,
    pub id: CallId,
    pub session: Box<dyn AgentSession>,
    pub greeting: AgentReply,
}

impl Call {
    /// Starts a call (recorded in the store, as the server does) and greets.
    pub async fn start(caller: Option<&str>) -> Self {
        let store = demo_store();
        let dyn_store: Arc<dyn Store> = store.clone();
        let agent = Arc::new(EmbeddedAgent::load(dyn_store).await.expect("agent loads"));
        Self::start_with(store, agent, caller).await
    }

    /// Starts a call on an existing store and agent.
    pub async fn start_with(
        store: Arc<MemoryStore>,
        agent: Arc<EmbeddedAgent>,
        caller: Option<&str>,
    ) -> Self {
        // A fixed id: the wording variant chosen each turn depends on it, so
        // every run of a test hears the same sentences. Set
        // AWAAZ_TEST_CALL_ID to run the scenarios over other wordings.
        let id =
            CallId(std::env::var("AWAAZ_TEST_CALL_ID").unwrap_or_else(|_| "test-call".to_owned()));
        let caller = caller.map(PhoneNumber::new);
        store
            .create_call(NewCall {
                id: id.clone(),
                channel: Channel::Text,
                caller: caller.clone(),
                carrier_call_id: None,
                started_at: now(),
            })
            .await
            .expect("call recorded");
        let mut session = agent
            .start(SessionContext {
                call_id: id.clone(),
                channel: Channel::Text,
                caller,
            })
            .await;
        let greeting = session.greet(now()).await;
        Self {
            store,
            agent,
            id,
            session,
            greeting,
        }
    }

    /// The caller says `text`; the agent's answer.
    pub async fn say(&mut self, text: &str) -> AgentReply {
        self.session
            .respond(text, now())
            .await
            .expect("agent answers")
    }
}

/// The names of the tools a reply called, in order.
pub fn tools(reply: &AgentReply) -> Vec<&str> {
    reply.tool_calls.iter().map(|c| c.name.as_str()).collect()
}

/// The one call of `name` in a reply.
pub fn call<'a>(reply: &'a AgentReply, name: &str) -> &'a awaaz_agent::ToolCallOutcome {
    let found: Vec<_> = reply.tool_calls.iter().filter(|c| c.name == name).collect();
    assert_eq!(
        found.len(),
        1,
        "expected one {name} call in {:?}",
        tools(reply)
    );
    found[0]
}

/// Asserts `haystack` contains every needle.
#[track_caller]
pub fn has(haystack: &str, needles: &[&str]) {
    for n in needles {
        assert!(haystack.contains(n), "expected {n:?} in {haystack:?}");
    }
}
