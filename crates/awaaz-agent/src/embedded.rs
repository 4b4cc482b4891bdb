//! The offline agent.

use std::sync::Arc;

use awaaz_store::Store;

use crate::nlu::Understanding;
use crate::AgentError;

/// The offline Hinglish agent: rules, fuzzy matching and templates; no LLM.
///
/// Built once per server (it indexes the catalog and order ids), shared by
/// all calls through [`crate::Agent::start`].
pub struct EmbeddedAgent {
    store: Arc<dyn Store>,
}

impl std::fmt::Debug for EmbeddedAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedAgent").finish_non_exhaustive()
    }
}

impl EmbeddedAgent {
    /// Loads the catalog index from the store.
    pub async fn load(store: Arc<dyn Store>) -> Result<Self, AgentError> {
        Ok(Self { store })
    }

    /// Understands one utterance without acting on it (for scoring and
    /// debugging).
    pub fn understand(&self, text: &str) -> Understanding {
        let _ = (&self.store, text);
        unimplemented!("filled in by the NLU work")
    }
}
