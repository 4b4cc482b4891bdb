//! The offline agent: [`EmbeddedAgent`] (built once: catalog index, NLU,
//! tools) and [`EmbeddedSession`] (one per call: the dialogue state).
//!
//! ```text
//!  EmbeddedAgent::load(store) ── products + order ids ──▶ CatalogIndex ──▶ Nlu
//!        │ start(ctx)                                    Tools (product names indexed)
//!        ▼
//!  EmbeddedSession ── respond(text) ──▶ Dialogue ──▶ AgentReply
//! ```
//!
//! Nothing is loaded per turn: a turn is one pass of the NLU (tens of
//! microseconds) plus the few store reads and writes its tools need.

use std::sync::Arc;

use async_trait::async_trait;
use awaaz_store::Store;
use chrono::{DateTime, Utc};

use crate::dialogue::{Dialogue, Shared};
use crate::nlu::{CatalogIndex, Nlu, Understanding};
use crate::reply::HindiNames;
use crate::tools::Tools;
use crate::{Agent, AgentError, AgentReply, AgentSession, Language, SessionContext};

/// How the embedded agent presents itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedConfig {
    /// The shop's name as the agent says it ("Main Awaaz Store se bol rahi
    /// hoon").
    pub shop_name: String,
    /// The language of the greeting, before the caller has said anything.
    pub default_language: Language,
    /// Record each tool call in the store as it runs. Off by default: the
    /// conversation layer records the calls listed in each [`AgentReply`]
    /// together with the agent turn they belong to.
    pub record_tool_calls: bool,
}

impl Default for EmbeddedConfig {
    fn default() -> Self {
        // Indian shops' callers mostly code-mix; a Hinglish greeting invites
        // any of the three languages.
        Self {
            shop_name: "Awaaz Store".to_owned(),
            default_language: Language::Hinglish,
            record_tool_calls: false,
        }
    }
}

/// The offline Hinglish agent: rules, fuzzy matching and templates; no LLM.
///
/// Built once per server (it indexes the catalog and order ids), shared by
/// all calls through [`crate::Agent::start`].
pub struct EmbeddedAgent {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for EmbeddedAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedAgent")
            .field("products", &self.shared.nlu.index().product_count())
            .field("orders", &self.shared.nlu.index().order_count())
            .finish_non_exhaustive()
    }
}

impl EmbeddedAgent {
    /// Loads the catalog index from the store, with the default
    /// [`EmbeddedConfig`].
    pub async fn load(store: Arc<dyn Store>) -> Result<Self, AgentError> {
        Self::load_with(store, EmbeddedConfig::default()).await
    }

    /// Loads the catalog index from the store.
    pub async fn load_with(
        store: Arc<dyn Store>,
        config: EmbeddedConfig,
    ) -> Result<Self, AgentError> {
        let products = store.products().await.map_err(|source| AgentError::Store {
            tool: "load_catalog",
            source,
        })?;
        let order_ids = store
            .order_ids()
            .await
            .map_err(|source| AgentError::Store {
                tool: "load_catalog",
                source,
            })?;
        let nlu = Nlu::new(CatalogIndex::new(&products, &order_ids));
        let tools = Tools::with_products(store, &products);
        let names = HindiNames::new(&products);
        tracing::info!(
            products = products.len(),
            orders = order_ids.len(),
            "embedded agent loaded"
        );
        Ok(Self {
            shared: Arc::new(Shared {
                nlu,
                tools,
                names,
                shop_name: config.shop_name,
                default_language: config.default_language,
                record_tool_calls: config.record_tool_calls,
            }),
        })
    }

    /// Understands one utterance without acting on it (for scoring and
    /// debugging).
    pub fn understand(&self, text: &str) -> Understanding {
        self.shared.nlu.understand(text)
    }

    /// The tools this agent acts through.
    pub fn tools(&self) -> &Tools {
        &self.shared.tools
    }

    /// Starts a session with its concrete type (the [`Agent`] trait boxes it).
    pub fn session(&self, ctx: SessionContext) -> EmbeddedSession {
        EmbeddedSession {
            dialogue: Dialogue::new(Arc::clone(&self.shared), ctx),
        }
    }
}

#[async_trait]
impl Agent for EmbeddedAgent {
    async fn start(&self, ctx: SessionContext) -> Box<dyn AgentSession> {
        Box::new(self.session(ctx))
    }
}

/// One call with the embedded agent.
pub struct EmbeddedSession {
    dialogue: Dialogue,
}

impl std::fmt::Debug for EmbeddedSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedSession")
            .field("language", &self.dialogue.language())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl AgentSession for EmbeddedSession {
    async fn greet(&mut self, now: DateTime<Utc>) -> AgentReply {
        self.dialogue.greet(now)
    }

    async fn respond(&mut self, text: &str, now: DateTime<Utc>) -> Result<AgentReply, AgentError> {
        self.dialogue.respond(text, now).await
    }

    fn truncate_last_reply(&mut self, heard: &str) {
        self.dialogue.truncate_last_reply(heard);
    }

    async fn keypress(
        &mut self,
        digit: char,
        now: DateTime<Utc>,
    ) -> Result<Option<AgentReply>, AgentError> {
        self.dialogue.keypress(digit, now).await
    }

    fn language(&self) -> Language {
        self.dialogue.language()
    }
}
