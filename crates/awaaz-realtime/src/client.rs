//! A WebSocket client for the Realtime API (feature `client`).
//!
//! [`RealtimeClient::connect`] dials, authenticates and returns two halves:
//! a [`RealtimeSender`] for one task (the audio pump) and a
//! [`RealtimeReceiver`] for another (the event loop). Neither half logs
//! audio, transcripts or the API key; per-event logs are at `trace` level and
//! carry only the event type.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use crate::{ClientEvent, RealtimeError, ServerEvent};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// An API key. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key itself, for building an `Authorization` header elsewhere.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> Self {
        Self(key)
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> Self {
        Self(key.to_owned())
    }
}

/// Where and how to connect.
#[derive(Clone)]
pub struct RealtimeConfig {
    /// WebSocket URL (`wss://` or `ws://`).
    pub url: String,
    /// Model, sent as the `model` query parameter; empty to leave the URL as is.
    pub model: String,
    /// Sent as `Authorization: Bearer <key>`; `None` sends no authorization
    /// (a local or proxying server).
    pub api_key: Option<ApiKey>,
    /// Limit for TCP connect + TLS + WebSocket handshake.
    pub connect_timeout: Duration,
    /// Extra request headers (e.g. `OpenAI-Project`). Values may be secret:
    /// `Debug` shows only the names.
    pub headers: Vec<(String, String)>,
}

impl RealtimeConfig {
    /// The OpenAI Realtime endpoint.
    pub const DEFAULT_URL: &'static str = "wss://api.openai.com/v1/realtime";
    /// The GA speech-to-speech model.
    pub const DEFAULT_MODEL: &'static str = "gpt-realtime";
    /// Default connect timeout.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

    /// The OpenAI endpoint and default model, with `api_key`.
    pub fn new(api_key: impl Into<ApiKey>) -> Self {
        Self {
            api_key: Some(api_key.into()),
            ..Self::default()
        }
    }

    /// The URL actually dialled: [`RealtimeConfig::url`] with `model` set.
    pub fn request_url(&self) -> Result<url::Url, RealtimeError> {
        let mut url = url::Url::parse(&self.url).map_err(|e| RealtimeError::InvalidUrl {
            reason: e.to_string(),
        })?;
        if !matches!(url.scheme(), "ws" | "wss") {
            return Err(RealtimeError::InvalidUrl {
                reason: format!("scheme {:?} is not ws or wss", url.scheme()),
            });
        }
        if url.host_str().is_none() {
            return Err(RealtimeError::InvalidUrl {
                reason: "no host".to_owned(),
            });
        }
        if !self.model.is_empty() {
            let others: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(k, _)| k != "model")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let mut pairs = url.query_pairs_mut();
            pairs.clear();
            for (k, v) in &others {
                pairs.append_pair(k, v);
            }
            pairs.append_pair("model", &self.model);
        }
        Ok(url)
    }
}

impl Default for RealtimeConfig {
    fn default() -> Self {
        Self {
            url: Self::DEFAULT_URL.to_owned(),
            model: Self::DEFAULT_MODEL.to_owned(),
            api_key: None,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            headers: Vec::new(),
        }
    }
}

impl fmt::Debug for RealtimeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("RealtimeConfig")
            .field("url", &self.url)
            .field("model", &self.model)
            .field("api_key", &self.api_key)
            .field("connect_timeout", &self.connect_timeout)
            .field("headers", &header_names)
            .finish()
    }
}

/// Entry point: dials a Realtime server.
#[derive(Debug, Clone, Copy)]
pub struct RealtimeClient;

impl RealtimeClient {
    /// Connects and authenticates. The first event the receiver yields is
    /// the server's `session.created`.
    ///
    /// Takes the config by reference so a reconnect loop can reuse it.
    pub async fn connect(
        config: &RealtimeConfig,
    ) -> Result<(RealtimeSender, RealtimeReceiver), RealtimeError> {
        let url = config.request_url()?;
        let host = format!(
            "{}:{}",
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or_default()
        );
        let mut request =
            url.as_str()
                .into_client_request()
                .map_err(|e| RealtimeError::InvalidUrl {
                    reason: e.to_string(),
                })?;
        let headers = request.headers_mut();
        if let Some(key) = &config.api_key {
            let value = HeaderValue::from_str(&format!("Bearer {}", key.expose_secret())).map_err(
                |_| RealtimeError::InvalidHeader {
                    name: "authorization".to_owned(),
                },
            )?;
            headers.insert("authorization", value);
        }
        for (name, value) in &config.headers {
            let invalid = || RealtimeError::InvalidHeader { name: name.clone() };
            let name = tungstenite::http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| invalid())?;
            let value = HeaderValue::from_str(value).map_err(|_| invalid())?;
            headers.insert(name, value);
        }
        let connector = if url.scheme() == "wss" {
            Some(Connector::Rustls(tls_config().map_err(|source| {
                RealtimeError::Connect {
                    host: host.clone(),
                    source,
                }
            })?))
        } else {
            None
        };
        // Small frames both ways, 50 a second: Nagle's algorithm would hold
        // each one back (measured: 13 ms p50 per caller frame), and a 16 KiB
        // read buffer is plenty for audio deltas (tungstenite's default
        // 128 KiB is zero-filled per read, per connection).
        let ws_config =
            tungstenite::protocol::WebSocketConfig::default().read_buffer_size(16 * 1024);
        let dial = tokio_tungstenite::connect_async_tls_with_config(
            request,
            Some(ws_config),
            true,
            connector,
        );
        let ws = match tokio::time::timeout(config.connect_timeout, dial).await {
            Err(_elapsed) => {
                return Err(RealtimeError::ConnectTimeout {
                    host,
                    timeout: config.connect_timeout,
                })
            }
            Ok(Err(tungstenite::Error::Http(response))) => {
                return Err(RealtimeError::Handshake {
                    status: response.status().as_u16(),
                })
            }
            Ok(Err(e)) => {
                return Err(RealtimeError::Connect {
                    host,
                    source: Box::new(e),
                })
            }
            Ok(Ok((ws, _response))) => ws,
        };
        tracing::debug!(%host, "realtime connected");
        let (sink, stream) = ws.split();
        Ok((
            RealtimeSender {
                sink,
                closed: false,
            },
            RealtimeReceiver {
                stream,
                done: false,
            },
        ))
    }
}

/// TLS settings for `wss://`: the ring provider and the webpki root set,
/// chosen explicitly so nothing depends on a process-wide default provider.
fn tls_config() -> Result<Arc<rustls::ClientConfig>, crate::BoxError> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    if let Some(config) = CONFIG.get() {
        return Ok(config.clone());
    }
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(CONFIG.get_or_init(|| Arc::new(config)).clone())
}

/// The sending half. Owned by one task; events go out in order.
pub struct RealtimeSender {
    sink: SplitSink<Ws, Message>,
    closed: bool,
}

impl fmt::Debug for RealtimeSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RealtimeSender")
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl RealtimeSender {
    /// Sends one event and flushes it.
    pub async fn send(&mut self, event: &ClientEvent) -> Result<(), RealtimeError> {
        if self.closed {
            return Err(RealtimeError::AlreadyClosed);
        }
        let json = event.to_json()?;
        tracing::trace!(event_type = event.event_type(), "realtime send");
        self.sink
            .send(Message::text(json))
            .await
            .map_err(|e| self.send_error(e))
    }

    /// Sends `input_audio_buffer.append` with raw audio in the session's
    /// input format.
    pub async fn send_audio(&mut self, audio: &[u8]) -> Result<(), RealtimeError> {
        self.send(&ClientEvent::append_audio(audio)).await
    }

    /// Closes the connection with a normal close frame.
    pub async fn close(mut self) -> Result<(), RealtimeError> {
        if self.closed {
            return Ok(());
        }
        self.closed = true;
        let frame = CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        };
        match self.sink.send(Message::Close(Some(frame))).await {
            Ok(())
            | Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                Ok(())
            }
            Err(e) => Err(RealtimeError::ConnectionLost {
                source: Box::new(e),
            }),
        }
    }

    fn send_error(&mut self, error: tungstenite::Error) -> RealtimeError {
        self.closed = true;
        match error {
            tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
                RealtimeError::AlreadyClosed
            }
            e => RealtimeError::ConnectionLost {
                source: Box::new(e),
            },
        }
    }
}

/// The receiving half. Owned by one task.
pub struct RealtimeReceiver {
    stream: SplitStream<Ws>,
    done: bool,
}

impl fmt::Debug for RealtimeReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RealtimeReceiver")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl RealtimeReceiver {
    /// The next server event.
    ///
    /// `None` after a normal close. A decode error is returned for that one
    /// event and the stream goes on; an abnormal close or a lost connection
    /// is returned once, then `None`.
    pub async fn recv(&mut self) -> Option<Result<ServerEvent, RealtimeError>> {
        while !self.done {
            let Some(message) = self.stream.next().await else {
                self.done = true;
                break;
            };
            match message {
                Ok(Message::Text(text)) => {
                    let event = ServerEvent::from_json(text.as_str());
                    if let Ok(event) = &event {
                        tracing::trace!(event_type = event.event_type(), "realtime recv");
                    }
                    return Some(event);
                }
                Ok(Message::Binary(bytes)) => {
                    return Some(Err(RealtimeError::UnexpectedBinary { len: bytes.len() }))
                }
                Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => {}
                Ok(Message::Close(frame)) => {
                    self.done = true;
                    let frame = frame?;
                    if frame.code == CloseCode::Normal {
                        return None;
                    }
                    tracing::debug!(code = u16::from(frame.code), "realtime closed by server");
                    return Some(Err(RealtimeError::Closed {
                        code: frame.code.into(),
                        reason: frame.reason.to_string(),
                    }));
                }
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    self.done = true;
                }
                Err(e) => {
                    self.done = true;
                    tracing::debug!("realtime connection lost");
                    return Some(Err(RealtimeError::ConnectionLost {
                        source: Box::new(e),
                    }));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_url_sets_model() {
        let config = RealtimeConfig::new("sk-test");
        assert_eq!(
            config.request_url().unwrap().as_str(),
            "wss://api.openai.com/v1/realtime?model=gpt-realtime"
        );
        let config = RealtimeConfig {
            url: "ws://127.0.0.1:9/v1/realtime?model=old&x=1".to_owned(),
            model: "gpt-realtime-mini".to_owned(),
            ..RealtimeConfig::default()
        };
        assert_eq!(
            config.request_url().unwrap().as_str(),
            "ws://127.0.0.1:9/v1/realtime?x=1&model=gpt-realtime-mini"
        );
        let bad = RealtimeConfig {
            url: "https://api.openai.com/v1/realtime".to_owned(),
            ..RealtimeConfig::default()
        };
        assert!(matches!(
            bad.request_url(),
            Err(RealtimeError::InvalidUrl { .. })
        ));
    }

    #[test]
    fn debug_hides_secrets() {
        let config = RealtimeConfig {
            headers: vec![("OpenAI-Project".to_owned(), "proj_secret".to_owned())],
            ..RealtimeConfig::new("sk-live-abcdef123456")
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("sk-live-abcdef123456"), "{shown}");
        assert!(!shown.contains("proj_secret"), "{shown}");
        assert!(shown.contains("ApiKey(<redacted>)"), "{shown}");
        assert!(shown.contains("OpenAI-Project"), "{shown}");
    }

    #[test]
    fn tls_config_builds_without_a_process_default() {
        let config = tls_config().unwrap();
        assert!(Arc::ptr_eq(&config, &tls_config().unwrap()));
    }
}
