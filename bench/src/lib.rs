//! awaaz benchmarks: the agent's accuracy on the labelled utterances and its
//! per-turn latency on a real store.
//!
//! ```text
//!  crates/awaaz-agent/tests/data/utterances.jsonl
//!        │ data::load_utterances ── data::validate (against the store's demo shop)
//!        ▼
//!  EmbeddedAgent::understand + a fresh session's first respond
//!        │ score::score_item (intent, first tool, slots)
//!        ▼
//!  score::Report ──▶ table | JSON            (bin agent-accuracy)
//!
//!  scripts::SCRIPTS ──▶ sessions on SeaStore/SQLite ──▶ latency::Summary   (bin agent-latency)
//! ```
//!
//! The binaries are thin: everything they compute lives here so it can be
//! unit-tested. Not here: the agent itself, or any labels (those live beside
//! the agent, in `crates/awaaz-agent/tests/data/`).

pub mod data;
pub mod latency;
pub mod score;
pub mod scripts;

use std::path::PathBuf;
use std::sync::Arc;

use awaaz_store::{SeaStore, Store, StoreError};

/// The caller the labels assume: Priya Sharma of the demo shop.
pub const DEFAULT_CALLER: &str = "+919812345678";

/// The labelled set inside this repository.
pub fn default_data_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../crates/awaaz-agent/tests/data/utterances.jsonl"
    ))
}

/// A store for a benchmark run, and what keeps it alive.
pub struct BenchStore {
    /// The store.
    pub store: Arc<dyn Store>,
    /// What it is, for reports (`SQLite (temporary file)`); never a URL,
    /// which may hold a password.
    pub description: String,
    /// The temporary directory of a throw-away SQLite file; deleted on drop.
    _dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for BenchStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BenchStore")
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

/// Why a benchmark store could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchStoreError {
    /// The temporary directory could not be created.
    #[error("cannot create a temporary directory for the SQLite file")]
    TempDir(#[source] std::io::Error),
    /// The store refused to open.
    #[error("cannot open the store")]
    Store(#[source] StoreError),
}

/// Opens the store a benchmark runs against: the database at `url` (the demo
/// shop is loaded when it is empty), or by default a fresh SQLite file in a
/// temporary directory with the demo shop, the way `awaaz serve` starts on
/// first run.
pub async fn open_store(url: Option<&str>) -> Result<BenchStore, BenchStoreError> {
    match url {
        Some(url) => {
            let store = SeaStore::connect(url)
                .await
                .map_err(BenchStoreError::Store)?;
            let scheme = url.split(':').next().unwrap_or("unknown");
            Ok(BenchStore {
                store: Arc::new(store),
                description: format!("{scheme} (given url)"),
                _dir: None,
            })
        }
        None => {
            let dir = tempfile::tempdir().map_err(BenchStoreError::TempDir)?;
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("awaaz.db").display()
            );
            let store = SeaStore::connect(&url)
                .await
                .map_err(BenchStoreError::Store)?;
            Ok(BenchStore {
                store: Arc::new(store),
                description: "SQLite (temporary file, WAL)".to_owned(),
                _dir: Some(dir),
            })
        }
    }
}
