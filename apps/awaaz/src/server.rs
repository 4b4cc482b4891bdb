//! Opening the store and agent, running the HTTP server, shutting it down.
//!
//! ```text
//!  Config ─▶ open(): SeaStore::connect (migrations, demo shop) ─▶ EmbeddedAgent::load_with
//!        ─▶ AppState ─▶ start_server(): bind, axum::serve (TCP_NODELAY) + idle evictor
//!        ─▶ ServerHandle::shutdown(): stop accepting, finish requests,
//!           end active conversations (status `completed`)
//! ```

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use awaaz_agent::{Agent, EmbeddedAgent, EmbeddedConfig};
use awaaz_store::{SeaStore, Store};
use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::conversation::STATUS_COMPLETED;
use crate::http::{app, AppState};

/// Opens the store named by the configuration (running migrations and
/// loading the demo shop into an empty database) and loads the agent on it.
pub async fn open(config: &Config) -> anyhow::Result<(Arc<dyn Store>, Arc<dyn Agent>)> {
    let store = SeaStore::connect(&config.database_url)
        .await
        .context("cannot open the store")?;
    let store: Arc<dyn Store> = Arc::new(store);
    // The agent leaves tool-call recording to `Conversations`, which links
    // each record to the agent turn that made it.
    let agent_config = EmbeddedConfig {
        shop_name: config.shop_name.clone(),
        record_tool_calls: false,
        ..EmbeddedConfig::default()
    };
    let embedded = EmbeddedAgent::load_with(Arc::clone(&store), agent_config)
        .await
        .context("cannot load the agent")?;
    let embedded: Arc<dyn Agent> = Arc::new(embedded);
    let agent = match (config.agent, &config.llm.base_url, &config.llm.model) {
        (crate::config::AgentKind::Llm, Some(base_url), Some(model)) => {
            let mut llm = awaaz_agent::llm::LlmConfig::new(base_url.clone(), model.clone());
            llm.api_key = config.llm.api_key.as_ref().map(|k| k.expose().to_owned());
            llm.record_tool_calls = false;
            // The embedded agent answers whenever the model cannot.
            let agent = awaaz_agent::llm::LlmAgent::new(llm, Arc::clone(&store), embedded)
                .context("cannot set up the LLM agent")?;
            tracing::info!(model = %model, "agent: LLM over chat completions, embedded fallback");
            Arc::new(agent) as Arc<dyn Agent>
        }
        _ => embedded,
    };
    Ok((store, agent))
}

/// A running server.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    state: AppState,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl ServerHandle {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its state (store, conversations, metrics), for tests and embedding.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops accepting connections, lets requests in flight finish, ends
    /// every active conversation in the store and waits for all of it.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.task.await.context("server task failed")?
    }

    /// Runs until `signal` completes (then shuts down) or the server fails.
    pub async fn run_until(mut self, signal: impl Future<Output = ()>) -> anyhow::Result<()> {
        tokio::select! {
            () = signal => {
                tracing::info!("shutting down");
                self.shutdown().await
            }
            ended = &mut self.task => ended.context("server task failed")?,
        }
    }
}

/// Opens everything `config` names and starts serving on `config.http_addr`
/// (port 0 picks a free port). Returns the bound address and a handle.
pub async fn start_server(config: &Config) -> anyhow::Result<(SocketAddr, ServerHandle)> {
    let (store, agent) = open(config).await?;
    let state = AppState::new(store, Arc::clone(&agent), config);
    // Whisper and the voices are loaded once for browser and phone calls.
    crate::phone::attach_voice(&state, agent, config).await?;
    start_with_state(state, config.http_addr).await
}

/// Starts serving `state` on `addr`.
pub async fn start_with_state(
    state: AppState,
    addr: SocketAddr,
) -> anyhow::Result<(SocketAddr, ServerHandle)> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener
        .local_addr()
        .context("cannot read the bound address")?;
    let shutdown = CancellationToken::new();

    let task = {
        let state = state.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let conversations = Arc::clone(state.conversations());
            let evictor = tokio::spawn(Arc::clone(&conversations).run_evictor(shutdown.clone()));
            let sms_sender = state.phone().can_send_sms().then(|| {
                let sender = crate::phone::SmsSender::new(
                    Arc::clone(state.store()),
                    state.phone(),
                    crate::phone::SmsSenderConfig::default(),
                );
                tokio::spawn(sender.run(shutdown.clone()))
            });
            // Voice sockets write small frames (a transcript event, then
            // 20 ms of audio) that must leave at once: with Nagle's
            // algorithm the audio after an event waited for the peer's ACK
            // (~17 ms on a browser call).
            let listener = listener.tap_io(|tcp| {
                if let Err(e) = tcp.set_nodelay(true) {
                    tracing::debug!(error = %e, "cannot set TCP_NODELAY on a connection");
                }
            });
            let served = axum::serve(listener, app(state.clone()))
                .with_graceful_shutdown(shutdown.clone().cancelled_owned())
                .await
                .context("server failed");
            // Whether the server stopped on request or failed, the calls it
            // held are over: record that before the process goes away.
            shutdown.cancel();
            // axum's graceful shutdown does not wait for upgraded sockets:
            // browser calls are drained here (goodbye, transcript stored).
            if let Some(calls) = state.web_calls() {
                if !calls.shutdown(std::time::Duration::from_secs(5)).await {
                    tracing::warn!("browser calls did not finish in time");
                }
            }
            // Phone calls too (axum does not wait for their sockets).
            if let Some(calls) = state.phone().calls() {
                if !calls.shutdown(std::time::Duration::from_secs(5)).await {
                    tracing::warn!("phone calls did not finish in time");
                }
            }
            if let Some(sender) = sms_sender {
                if let Err(e) = sender.await {
                    tracing::error!(error = %e, "sms sender failed");
                }
            }
            if let Err(e) = evictor.await {
                tracing::error!(error = %e, "idle evictor failed");
            }
            conversations.end_all(STATUS_COMPLETED).await;
            served
        })
    };
    tracing::info!(addr = %local, "listening");
    Ok((
        local,
        ServerHandle {
            addr: local,
            state,
            shutdown,
            task,
        },
    ))
}

/// Completes on Ctrl-C or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
