//! Helpers for whole-system tests: start a real server on `127.0.0.1:0` over
//! a real store (a temporary SQLite file, or an isolated PostgreSQL schema)
//! with the real agent, and talk to it over HTTP.
//!
//! ```text
//!  test ──reqwest──▶ 127.0.0.1:<port> ──▶ awaaz::start_server ──▶ EmbeddedAgent
//!                                                             └──▶ SeaStore (tmp SQLite | PG schema)
//! ```
//!
//! Helpers panic with a message on anything unexpected: in a test, a panic
//! is a failure with a location.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use awaaz::{Config, ServerHandle};
use awaaz_store::Store;
use sea_orm::ConnectionTrait as _;
use serde_json::Value;

/// The PostgreSQL server the tests use unless `AWAAZ_TEST_POSTGRES_URL` says
/// otherwise (the same default as the store's contract tests).
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A server under test.
#[derive(Debug)]
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    handle: ServerHandle,
    client: reqwest::Client,
    /// Keeps the SQLite file alive for the test.
    _dir: Option<tempfile::TempDir>,
}

/// A stopped server's leftovers: holds its temporary database directory.
#[derive(Debug)]
pub struct Stopped {
    _dir: Option<tempfile::TempDir>,
}

/// A started conversation.
#[derive(Debug, Clone)]
pub struct Conversation {
    /// Its id.
    pub id: String,
    /// The whole `POST /api/v1/conversations` answer.
    pub started: Value,
}

/// A test configuration: port 0, the given database, defaults otherwise.
pub fn test_config(database_url: String) -> Config {
    Config {
        database_url,
        http_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..Config::default()
    }
}

/// Starts a server on a fresh SQLite file holding the demo shop.
pub async fn start_server() -> TestServer {
    start_server_with(|_| {}).await
}

/// Like [`start_server`], with changes to the configuration.
pub async fn start_server_with(edit: impl FnOnce(&mut Config)) -> TestServer {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("awaaz.db");
    let mut config = test_config(format!("sqlite://{}?mode=rwc", path.display()));
    edit(&mut config);
    let mut server = start(&config).await;
    server._dir = Some(dir);
    server
}

async fn start(config: &Config) -> TestServer {
    let (addr, handle) = awaaz::start_server(config).await.expect("server starts");
    let client = reqwest::Client::builder()
        // Proxy settings in the environment must not divert 127.0.0.1.
        .no_proxy()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("http client");
    TestServer {
        addr,
        handle,
        client,
        _dir: None,
    }
}

/// `AWAAZ_TEST_POSTGRES_URL`, or the default.
pub fn postgres_url() -> String {
    std::env::var("AWAAZ_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

/// Runs `body` against a server on PostgreSQL, in a schema of its own
/// (`awaaz_it_<uuid>`, chosen through `search_path`) that is dropped
/// afterwards even when `body` panics. An unreachable server fails the test:
/// CI has one.
pub async fn with_postgres_server<F, Fut>(body: F)
where
    F: FnOnce(Arc<TestServer>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let base = postgres_url();
    let admin = sea_orm::Database::connect(base.as_str()).await.unwrap_or_else(|e| {
        panic!("PostgreSQL is not reachable at AWAAZ_TEST_POSTGRES_URL (default {DEFAULT_POSTGRES_URL}): {e}")
    });
    let schema = format!("awaaz_it_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
        .await
        .expect("create schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");

    let server = Arc::new(start(&test_config(url)).await);
    // Run the body as a task so a panic in it is caught and cleanup still runs.
    let outcome = tokio::spawn(body(Arc::clone(&server))).await;
    match Arc::try_unwrap(server) {
        Ok(server) => drop(server.shutdown().await),
        Err(_) => panic!("the test body kept the server"),
    }
    admin
        .execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .expect("drop schema");
    let _ = admin.close().await;
    if let Err(e) = outcome {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
        panic!("test body failed: {e}");
    }
}

impl TestServer {
    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The server's store, to check side effects directly.
    pub fn store(&self) -> Arc<dyn Store> {
        Arc::clone(self.handle.state().store())
    }

    /// Stops the server the way SIGTERM does. The returned value keeps the
    /// SQLite file until it is dropped, so the store can still be read.
    pub async fn shutdown(self) -> Stopped {
        self.handle.shutdown().await.expect("clean shutdown");
        Stopped { _dir: self._dir }
    }

    async fn read(response: reqwest::Response) -> (u16, Value) {
        let status = response.status().as_u16();
        let text = response.text().await.expect("response body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    /// `GET path` → (status, JSON body, or the text as a JSON string).
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self.client.get(self.url(path)).send().await.expect("GET");
        Self::read(response).await
    }

    /// `GET path` → the body as text.
    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let response = self.client.get(self.url(path)).send().await.expect("GET");
        (
            response.status().as_u16(),
            response.text().await.expect("response body"),
        )
    }

    /// `POST path` with a JSON body (or none).
    pub async fn post(&self, path: &str, body: Option<&Value>) -> (u16, Value) {
        let mut request = self.client.post(self.url(path));
        if let Some(body) = body {
            request = request.json(body);
        }
        Self::read(request.send().await.expect("POST")).await
    }

    /// `POST path` with a raw body and content type.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: &str) -> (u16, Value) {
        let request = self
            .client
            .post(self.url(path))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body.to_owned());
        Self::read(request.send().await.expect("POST")).await
    }

    /// Starts a conversation, optionally from a caller number.
    pub async fn start_conversation(&self, caller: Option<&str>) -> Conversation {
        let body = caller.map(|c| serde_json::json!({ "caller": c }));
        let (status, started) = self.post("/api/v1/conversations", body.as_ref()).await;
        assert_eq!(status, 201, "start conversation: {started}");
        let id = started["id"].as_str().expect("conversation id").to_owned();
        Conversation { id, started }
    }

    /// Sends one message and returns the reply JSON; fails unless 200.
    pub async fn say(&self, conversation: &str, text: &str) -> Value {
        let (status, reply) = self.message(conversation, text).await;
        assert_eq!(status, 200, "message {text:?}: {reply}");
        reply
    }

    /// Sends one message; returns status and body.
    pub async fn message(&self, conversation: &str, text: &str) -> (u16, Value) {
        let path = format!("/api/v1/conversations/{conversation}/messages");
        self.post(&path, Some(&serde_json::json!({ "text": text })))
            .await
    }

    /// `GET /api/v1/calls/{id}`; fails unless 200.
    pub async fn call(&self, id: &str) -> Value {
        let (status, call) = self.get(&format!("/api/v1/calls/{id}")).await;
        assert_eq!(status, 200, "call {id}: {call}");
        call
    }
}

/// The tool calls of a reply (or of a stored call) with this name.
pub fn tool_calls<'a>(value: &'a Value, name: &str) -> Vec<&'a Value> {
    value["tool_calls"]
        .as_array()
        .map(|calls| calls.iter().filter(|c| c["name"] == name).collect())
        .unwrap_or_default()
}

/// The reply text in lower case, for keyword checks.
pub fn reply_text(reply: &Value) -> String {
    reply["reply"].as_str().unwrap_or_default().to_lowercase()
}

/// Whether the reply mentions any of `words` (case-insensitive).
pub fn mentions_any(reply: &Value, words: &[&str]) -> bool {
    let text = reply_text(reply);
    words.iter().any(|w| text.contains(&w.to_lowercase()))
}

/// Finds the first `TKT-<digits>` in a text.
pub fn ticket_id_in(text: &str) -> Option<String> {
    let start = text.find("TKT-")?;
    let digits: String = text[start + 4..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then(|| format!("TKT-{digits}"))
}
