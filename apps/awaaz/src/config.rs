//! Settings: defaults, then `awaaz.toml`, then `AWAAZ_*` environment
//! variables, then command-line flags; each later source wins.
//!
//! Every setting has one name in each source: `http_addr` in the file is
//! `AWAAZ_HTTP_ADDR` in the environment. A wrong value stops start-up with a
//! message naming where it came from (`AWAAZ_HTTP_ADDR: invalid socket address
//! "foo"`); an unknown key in the file is an error too, because a misspelt
//! setting that is silently ignored is worse than one that refuses to start.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// The file read from the working directory when no path is given.
pub const DEFAULT_CONFIG_FILE: &str = "awaaz.toml";
/// Where the SQLite database lives unless told otherwise.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/awaaz.db?mode=rwc";
/// Longest caller message the agent accepts, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// A credential: kept out of `Debug` and log lines.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The credential itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// What answers a call: the offline cascade or a speech-to-speech model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EngineKind {
    /// VAD → recogniser → agent → synthesiser, all on this machine.
    #[default]
    Cascade,
    /// OpenAI Realtime (or a server speaking its protocol).
    Realtime,
}

/// Which agent answers in the cascade (and on the text API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AgentKind {
    /// The offline Hinglish NLU + policy + templates.
    #[default]
    Embedded,
    /// An OpenAI-compatible chat-completions model, with the embedded agent
    /// as its fallback.
    Llm,
}

/// Twilio account settings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TwilioSettings {
    /// `AC…`: REST calls and signature checks need it.
    pub account_sid: Option<String>,
    /// Signs webhooks and authenticates REST calls. When set, `POST
    /// /twilio/voice` and `/twilio/status` refuse unsigned requests.
    pub auth_token: Option<Secret>,
    /// REST base URL (a local fake in tests).
    pub api_base: String,
    /// The Twilio number calls and SMS come from.
    pub from: Option<String>,
}

/// Exotel account settings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExotelSettings {
    /// API key (the user half of basic auth).
    pub api_key: Option<String>,
    /// API token.
    pub api_token: Option<Secret>,
    /// Account SID (in REST paths).
    pub account_sid: Option<String>,
    /// REST base URL, e.g. `https://api.exotel.com`.
    pub api_base: String,
    /// The ExoPhone SMS and calls come from.
    pub from: Option<String>,
    /// Basic-auth user the Voicebot applet's stream URL carries
    /// (`wss://user:password@host/exotel/media`). With
    /// [`stream_password`](Self::stream_password), `WS /exotel/media`
    /// refuses (401) upgrades without these credentials.
    pub stream_user: Option<String>,
    /// Basic-auth password of the stream URL.
    pub stream_password: Option<Secret>,
}

/// Plivo account settings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlivoSettings {
    /// Auth ID.
    pub auth_id: Option<String>,
    /// Auth token (REST and webhook signatures). When set, `POST
    /// /plivo/answer` and `/plivo/transfer` refuse requests without a valid
    /// `X-Plivo-Signature-V3`, and `WS /plivo/media` streams without the
    /// token the signed answer handed out.
    pub auth_token: Option<Secret>,
    /// REST base URL.
    pub api_base: String,
    /// The Plivo number SMS and calls come from.
    pub from: Option<String>,
}

/// Phone-line settings shared by the carriers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PhoneSettings {
    /// The public `https://` base URL carriers reach this server at (a
    /// proxy or tunnel); signatures are checked against it and stream URLs
    /// are built from it. Without it, the request's `Host` is used.
    pub public_url: Option<String>,
    /// Where "talk to a person" goes: a phone number or `sip:` address.
    pub transfer_to: Option<String>,
    /// Twilio.
    pub twilio: TwilioSettings,
    /// Exotel.
    pub exotel: ExotelSettings,
    /// Plivo.
    pub plivo: PlivoSettings,
    /// Phone calls (all carriers together) allowed at once; a stream beyond
    /// it is closed with the reason `busy`. `None`: the engine's default
    /// ([`Config::max_phone_calls`]).
    pub max_calls: Option<usize>,
}

/// OpenAI Realtime settings (`engine = "realtime"`).
#[derive(Debug, Clone, PartialEq)]
pub struct RealtimeSettings {
    /// API key.
    pub api_key: Option<Secret>,
    /// WebSocket URL of the Realtime endpoint.
    pub url: String,
    /// Model name.
    pub model: String,
    /// Output voice.
    pub voice: String,
    /// Rupees per US dollar, for the cost shown per call.
    pub usd_to_inr: f64,
    /// The persona and rules prompt, when the business keeps its own copy
    /// (default: the built-in `crates/awaaz-agent/prompts/realtime.md`).
    pub prompt_file: Option<PathBuf>,
    /// List prices per 1M tokens, for the cost stored with each call;
    /// `None`: the model's published prices ([`RealtimeSettings::prices`]).
    pub prices: Option<awaaz_realtime::Prices>,
}

impl RealtimeSettings {
    /// The prices costs are computed with: the configured ones, else
    /// `gpt-realtime-mini`'s for a model named `…mini…`, else
    /// `gpt-realtime`'s.
    pub fn prices(&self) -> awaaz_realtime::Prices {
        self.prices.unwrap_or(if self.model.contains("mini") {
            awaaz_realtime::Prices::GPT_REALTIME_MINI
        } else {
            awaaz_realtime::Prices::GPT_REALTIME
        })
    }
}

impl Default for RealtimeSettings {
    fn default() -> Self {
        Self {
            api_key: None,
            url: "wss://api.openai.com/v1/realtime".to_owned(),
            model: "gpt-realtime".to_owned(),
            voice: "marin".to_owned(),
            usd_to_inr: awaaz_realtime::DEFAULT_INR_PER_USD,
            prompt_file: None,
            prices: None,
        }
    }
}

/// LLM agent settings (`agent = "llm"`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LlmSettings {
    /// An OpenAI-compatible base URL ending in `/v1`.
    pub base_url: Option<String>,
    /// Model name.
    pub model: Option<String>,
    /// API key, if the endpoint needs one.
    pub api_key: Option<Secret>,
}

/// The whole configuration of one awaaz process.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `sqlite://…` or `postgres://…`. May hold a password: never log it.
    pub database_url: String,
    /// Where `awaaz serve` listens.
    pub http_addr: SocketAddr,
    /// The shop's name, as the agent says it in its greeting.
    pub shop_name: String,
    /// A `tracing` filter (`info`, `awaaz=debug,sqlx=warn`); `None` means
    /// the command's default.
    pub log: Option<String>,
    /// Log line format.
    pub log_format: LogFormat,
    /// Most conversations held in memory at once; more are refused with 503.
    pub max_conversations: usize,
    /// A conversation with no message for this long is ended and forgotten.
    pub conversation_idle_timeout: Duration,
    /// Longest an HTTP request may take.
    pub request_timeout: Duration,
    /// Phone carriers.
    pub phone: PhoneSettings,
    /// What answers calls.
    pub engine: EngineKind,
    /// Which agent the cascade uses.
    pub agent: AgentKind,
    /// The Realtime engine.
    pub realtime: RealtimeSettings,
    /// The LLM agent.
    pub llm: LlmSettings,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            http_addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            shop_name: "Awaaz Store".to_owned(),
            log: None,
            log_format: LogFormat::Text,
            max_conversations: 1000,
            conversation_idle_timeout: Duration::from_secs(15 * 60),
            request_timeout: Duration::from_secs(30),
            phone: PhoneSettings {
                twilio: TwilioSettings {
                    api_base: "https://api.twilio.com".to_owned(),
                    ..TwilioSettings::default()
                },
                exotel: ExotelSettings {
                    api_base: "https://api.exotel.com".to_owned(),
                    ..ExotelSettings::default()
                },
                plivo: PlivoSettings {
                    api_base: "https://api.plivo.com".to_owned(),
                    ..PlivoSettings::default()
                },
                ..PhoneSettings::default()
            },
            engine: EngineKind::default(),
            agent: AgentKind::default(),
            realtime: RealtimeSettings::default(),
            llm: LlmSettings::default(),
        }
    }
}

/// A setting that could not be used. The message names the setting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The configuration file is not valid TOML or has an unknown key.
    #[error("{}: {}", path.display(), source.message())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's complaint, which names the key.
        #[source]
        source: toml::de::Error,
    },
    /// A setting has a value awaaz cannot use.
    #[error("{setting}: {reason}")]
    Invalid {
        /// Where the value came from: `AWAAZ_HTTP_ADDR`, `awaaz.toml: http_addr`, `--addr`.
        setting: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// The keys `awaaz.toml` may hold: the environment names without `AWAAZ_`, in
/// lower case.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    http_addr: Option<String>,
    shop_name: Option<String>,
    log: Option<String>,
    log_format: Option<String>,
    max_conversations: Option<i64>,
    max_phone_calls: Option<i64>,
    conversation_idle_secs: Option<i64>,
    request_timeout_secs: Option<i64>,
    public_url: Option<String>,
    transfer_to: Option<String>,
    twilio_account_sid: Option<String>,
    twilio_auth_token: Option<String>,
    twilio_api_base: Option<String>,
    twilio_from: Option<String>,
    exotel_api_key: Option<String>,
    exotel_api_token: Option<String>,
    exotel_account_sid: Option<String>,
    exotel_api_base: Option<String>,
    exotel_from: Option<String>,
    exotel_stream_user: Option<String>,
    exotel_stream_password: Option<String>,
    plivo_auth_id: Option<String>,
    plivo_auth_token: Option<String>,
    plivo_api_base: Option<String>,
    plivo_from: Option<String>,
    engine: Option<String>,
    agent: Option<String>,
    openai_api_key: Option<String>,
    openai_realtime_url: Option<String>,
    openai_realtime_model: Option<String>,
    openai_realtime_voice: Option<String>,
    openai_realtime_prompt_file: Option<String>,
    openai_realtime_prices: Option<String>,
    usd_to_inr: Option<String>,
    llm_base_url: Option<String>,
    llm_model: Option<String>,
    llm_api_key: Option<String>,
}

impl FileConfig {
    /// The string-valued settings, by their file key.
    fn strings(&mut self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("public_url", self.public_url.take()),
            ("transfer_to", self.transfer_to.take()),
            ("twilio_account_sid", self.twilio_account_sid.take()),
            ("twilio_auth_token", self.twilio_auth_token.take()),
            ("twilio_api_base", self.twilio_api_base.take()),
            ("twilio_from", self.twilio_from.take()),
            ("exotel_api_key", self.exotel_api_key.take()),
            ("exotel_api_token", self.exotel_api_token.take()),
            ("exotel_account_sid", self.exotel_account_sid.take()),
            ("exotel_api_base", self.exotel_api_base.take()),
            ("exotel_from", self.exotel_from.take()),
            ("exotel_stream_user", self.exotel_stream_user.take()),
            ("exotel_stream_password", self.exotel_stream_password.take()),
            ("plivo_auth_id", self.plivo_auth_id.take()),
            ("plivo_auth_token", self.plivo_auth_token.take()),
            ("plivo_api_base", self.plivo_api_base.take()),
            ("plivo_from", self.plivo_from.take()),
            ("engine", self.engine.take()),
            ("agent", self.agent.take()),
            ("openai_api_key", self.openai_api_key.take()),
            ("openai_realtime_url", self.openai_realtime_url.take()),
            ("openai_realtime_model", self.openai_realtime_model.take()),
            ("openai_realtime_voice", self.openai_realtime_voice.take()),
            (
                "openai_realtime_prompt_file",
                self.openai_realtime_prompt_file.take(),
            ),
            ("openai_realtime_prices", self.openai_realtime_prices.take()),
            ("usd_to_inr", self.usd_to_inr.take()),
            ("llm_base_url", self.llm_base_url.take()),
            ("llm_model", self.llm_model.take()),
            ("llm_api_key", self.llm_api_key.take()),
        ]
    }
}

/// Overrides given on the command line.
#[derive(Debug, Clone, Default)]
pub struct CliOverrides {
    /// `--addr`.
    pub http_addr: Option<SocketAddr>,
    /// `--database-url`.
    pub database_url: Option<String>,
}

impl Config {
    /// Phone calls allowed at once: `max_phone_calls` when set, else what
    /// this host holds with the engine: 10 with the embedded speech engines
    /// on a 2-core machine, 500 with the realtime engine (the model runs
    /// elsewhere; see docs/benchmarks.md "Realtime bridge").
    pub fn max_phone_calls(&self) -> usize {
        self.phone.max_calls.unwrap_or(match self.engine {
            EngineKind::Cascade => crate::phone::DEFAULT_MAX_PHONE_CALLS,
            EngineKind::Realtime => crate::phone::DEFAULT_MAX_REALTIME_CALLS,
        })
    }

    /// Loads the configuration the way the `awaaz` command does: the file at
    /// `path` (which must exist) or `./awaaz.toml` (if it exists), then the
    /// process environment, then `cli`.
    pub fn load(path: Option<&Path>, cli: &CliOverrides) -> Result<Self, ConfigError> {
        let file = match path {
            Some(p) => Some(read_file(p)?),
            None => {
                let p = Path::new(DEFAULT_CONFIG_FILE);
                if p.exists() {
                    Some(read_file(p)?)
                } else {
                    None
                }
            }
        };
        let file = file.as_ref().map(|(p, text)| (p.as_path(), text.as_str()));
        Self::from_sources(file, std::env::vars(), cli)
    }

    /// Builds a configuration from a file's text (with the path to name in
    /// errors), environment variables and command-line overrides. Pure, so it
    /// can be tested without touching the process environment.
    pub fn from_sources(
        file: Option<(&Path, &str)>,
        env: impl IntoIterator<Item = (String, String)>,
        cli: &CliOverrides,
    ) -> Result<Self, ConfigError> {
        let mut config = Self::default();
        if let Some((path, text)) = file {
            config.apply_file(path, text)?;
        }
        for (key, value) in env {
            config.apply_env(&key, &value)?;
        }
        if let Some(addr) = cli.http_addr {
            config.http_addr = addr;
        }
        if let Some(url) = &cli.database_url {
            config.database_url = parse_database_url("--database-url", url)?;
        }
        config.check()?;
        Ok(config)
    }

    fn apply_file(&mut self, path: &Path, text: &str) -> Result<(), ConfigError> {
        let mut file: FileConfig = toml::from_str(text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })?;
        let name = |key: &str| format!("{}: {key}", path.display());
        if let Some(v) = file.database_url.take() {
            self.database_url = parse_database_url(&name("database_url"), &v)?;
        }
        if let Some(v) = file.http_addr.take() {
            self.http_addr = parse_addr(&name("http_addr"), &v)?;
        }
        if let Some(v) = file.shop_name.take() {
            self.shop_name = parse_shop_name(&name("shop_name"), &v)?;
        }
        if let Some(v) = file.log.take() {
            self.log = Some(parse_log_filter(&name("log"), &v)?);
        }
        if let Some(v) = file.log_format.take() {
            self.log_format = parse_log_format(&name("log_format"), &v)?;
        }
        if let Some(v) = file.max_conversations.take() {
            self.max_conversations = positive(&name("max_conversations"), v)?;
        }
        if let Some(v) = file.max_phone_calls.take() {
            self.phone.max_calls = Some(positive(&name("max_phone_calls"), v)?);
        }
        if let Some(v) = file.conversation_idle_secs.take() {
            self.conversation_idle_timeout = secs(&name("conversation_idle_secs"), v)?;
        }
        if let Some(v) = file.request_timeout_secs.take() {
            self.request_timeout = secs(&name("request_timeout_secs"), v)?;
        }
        for (key, value) in file.strings() {
            if let Some(v) = value {
                self.apply_string(key, &name(key), &v)?;
            }
        }
        Ok(())
    }

    /// A string-valued setting by its file key (`twilio_auth_token`);
    /// `setting` names the source in errors. `Ok(false)`: not such a key.
    fn apply_string(&mut self, key: &str, setting: &str, value: &str) -> Result<bool, ConfigError> {
        let text = || non_empty(setting, value);
        let phone = &mut self.phone;
        match key {
            "public_url" => phone.public_url = Some(parse_http_url(setting, value)?),
            "transfer_to" => phone.transfer_to = Some(text()?),
            "twilio_account_sid" => phone.twilio.account_sid = Some(text()?),
            "twilio_auth_token" => phone.twilio.auth_token = Some(Secret(text()?)),
            "twilio_api_base" => phone.twilio.api_base = parse_http_url(setting, value)?,
            "twilio_from" => phone.twilio.from = Some(text()?),
            "exotel_api_key" => phone.exotel.api_key = Some(text()?),
            "exotel_api_token" => phone.exotel.api_token = Some(Secret(text()?)),
            "exotel_account_sid" => phone.exotel.account_sid = Some(text()?),
            "exotel_api_base" => phone.exotel.api_base = parse_http_url(setting, value)?,
            "exotel_from" => phone.exotel.from = Some(text()?),
            "exotel_stream_user" => phone.exotel.stream_user = Some(text()?),
            "exotel_stream_password" => phone.exotel.stream_password = Some(Secret(text()?)),
            "plivo_auth_id" => phone.plivo.auth_id = Some(text()?),
            "plivo_auth_token" => phone.plivo.auth_token = Some(Secret(text()?)),
            "plivo_api_base" => phone.plivo.api_base = parse_http_url(setting, value)?,
            "plivo_from" => phone.plivo.from = Some(text()?),
            "engine" => {
                self.engine = match value.trim().to_ascii_lowercase().as_str() {
                    "cascade" => EngineKind::Cascade,
                    "realtime" => EngineKind::Realtime,
                    _ => {
                        return Err(invalid(
                            setting,
                            format!("unknown engine {value:?} (expected cascade or realtime)"),
                        ))
                    }
                }
            }
            "agent" => {
                self.agent = match value.trim().to_ascii_lowercase().as_str() {
                    "embedded" => AgentKind::Embedded,
                    "llm" => AgentKind::Llm,
                    _ => {
                        return Err(invalid(
                            setting,
                            format!("unknown agent {value:?} (expected embedded or llm)"),
                        ))
                    }
                }
            }
            "openai_api_key" => self.realtime.api_key = Some(Secret(text()?)),
            "openai_realtime_url" => self.realtime.url = parse_ws_url(setting, value)?,
            "openai_realtime_model" => self.realtime.model = text()?,
            "openai_realtime_voice" => self.realtime.voice = text()?,
            "openai_realtime_prompt_file" => {
                self.realtime.prompt_file = Some(PathBuf::from(text()?));
            }
            "openai_realtime_prices" => self.realtime.prices = Some(parse_prices(setting, value)?),
            "usd_to_inr" => {
                self.realtime.usd_to_inr = value
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|r| r.is_finite() && *r > 0.0)
                    .ok_or_else(|| {
                        invalid(setting, format!("must be a positive number, got {value:?}"))
                    })?;
            }
            "llm_base_url" => self.llm.base_url = Some(parse_http_url(setting, value)?),
            "llm_model" => self.llm.model = Some(text()?),
            "llm_api_key" => self.llm.api_key = Some(Secret(text()?)),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Settings that only make sense together.
    fn check(&self) -> Result<(), ConfigError> {
        let exotel = &self.phone.exotel;
        if exotel.stream_user.is_some() != exotel.stream_password.is_some() {
            return Err(invalid(
                "AWAAZ_EXOTEL_STREAM_USER",
                "the Exotel stream credentials need both AWAAZ_EXOTEL_STREAM_USER and \
                 AWAAZ_EXOTEL_STREAM_PASSWORD",
            ));
        }
        if exotel
            .stream_user
            .as_deref()
            .is_some_and(|u| u.contains(':'))
        {
            return Err(invalid(
                "AWAAZ_EXOTEL_STREAM_USER",
                "must not contain ':' (it is the user of basic auth)",
            ));
        }
        if self.engine == EngineKind::Realtime && self.realtime.api_key.is_none() {
            return Err(invalid(
                "AWAAZ_ENGINE",
                "realtime needs AWAAZ_OPENAI_API_KEY (or openai_api_key in awaaz.toml)",
            ));
        }
        if self.agent == AgentKind::Llm && (self.llm.base_url.is_none() || self.llm.model.is_none())
        {
            return Err(invalid(
                "AWAAZ_AGENT",
                "llm needs AWAAZ_LLM_BASE_URL and AWAAZ_LLM_MODEL",
            ));
        }
        Ok(())
    }

    /// Applies one environment variable; variables awaaz does not know are
    /// ignored (the environment is shared with everything else).
    fn apply_env(&mut self, key: &str, value: &str) -> Result<(), ConfigError> {
        match key {
            "AWAAZ_DATABASE_URL" => self.database_url = parse_database_url(key, value)?,
            "AWAAZ_HTTP_ADDR" => self.http_addr = parse_addr(key, value)?,
            "AWAAZ_SHOP_NAME" => self.shop_name = parse_shop_name(key, value)?,
            "AWAAZ_LOG" => self.log = Some(parse_log_filter(key, value)?),
            "AWAAZ_LOG_FORMAT" => self.log_format = parse_log_format(key, value)?,
            "AWAAZ_MAX_CONVERSATIONS" => {
                self.max_conversations = positive(key, parse_int(key, value)?)?;
            }
            "AWAAZ_MAX_PHONE_CALLS" => {
                self.phone.max_calls = Some(positive(key, parse_int(key, value)?)?);
            }
            "AWAAZ_CONVERSATION_IDLE_SECS" => {
                self.conversation_idle_timeout = secs(key, parse_int(key, value)?)?;
            }
            "AWAAZ_REQUEST_TIMEOUT_SECS" => {
                self.request_timeout = secs(key, parse_int(key, value)?)?;
            }
            _ => {
                if let Some(rest) = key.strip_prefix("AWAAZ_") {
                    // Unknown AWAAZ_ variables are ignored like any other.
                    self.apply_string(&rest.to_ascii_lowercase(), key, value)?;
                }
            }
        }
        Ok(())
    }
}

fn read_file(path: &Path) -> Result<(PathBuf, String), ConfigError> {
    std::fs::read_to_string(path)
        .map(|text| (path.to_owned(), text))
        .map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })
}

fn invalid(setting: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        setting: setting.to_owned(),
        reason: reason.into(),
    }
}

fn parse_addr(setting: &str, value: &str) -> Result<SocketAddr, ConfigError> {
    value.trim().parse().map_err(|_| {
        invalid(
            setting,
            format!("invalid socket address {value:?} (expected host:port, e.g. 127.0.0.1:8080)"),
        )
    })
}

/// Checks only the scheme: the rest may hold a password, so it is never
/// repeated in a message.
fn parse_database_url(setting: &str, value: &str) -> Result<String, ConfigError> {
    let value = value.trim();
    let known = ["sqlite:", "postgres://", "postgresql://"];
    if known.iter().any(|p| value.starts_with(p)) {
        Ok(value.to_owned())
    } else {
        Err(invalid(setting, "expected a sqlite: or postgres:// url"))
    }
}

fn non_empty(setting: &str, value: &str) -> Result<String, ConfigError> {
    let value = value.trim();
    if value.is_empty() {
        Err(invalid(setting, "must not be empty"))
    } else {
        Ok(value.to_owned())
    }
}

/// An `http(s)://` URL without a trailing slash. Credentials in URLs are
/// refused (they would end up in logs).
fn parse_http_url(setting: &str, value: &str) -> Result<String, ConfigError> {
    parse_url(setting, value, &["http://", "https://"])
}

/// A `ws(s)://` URL without a trailing slash.
fn parse_ws_url(setting: &str, value: &str) -> Result<String, ConfigError> {
    parse_url(setting, value, &["ws://", "wss://"])
}

fn parse_url(setting: &str, value: &str, schemes: &[&str]) -> Result<String, ConfigError> {
    let value = value.trim().trim_end_matches('/');
    let Some(rest) = schemes.iter().find_map(|s| value.strip_prefix(s)) else {
        return Err(invalid(
            setting,
            format!("expected a {} url", schemes.join(" or ")),
        ));
    };
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || host.contains('@') || value.contains(char::is_whitespace) {
        return Err(invalid(
            setting,
            "expected a url with a host and no credentials",
        ));
    }
    Ok(value.to_owned())
}

/// Five US dollar prices per 1M tokens, comma-separated: text input, audio
/// input, cached input, text output, audio output (`4,32,0.4,16,64`).
fn parse_prices(setting: &str, value: &str) -> Result<awaaz_realtime::Prices, ConfigError> {
    let numbers: Vec<f64> = value
        .split(',')
        .map(|n| {
            n.trim()
                .parse::<f64>()
                .ok()
                .filter(|p| p.is_finite() && *p >= 0.0)
        })
        .collect::<Option<_>>()
        .unwrap_or_default();
    let [text_input, audio_input, cached_input, text_output, audio_output] = numbers[..] else {
        return Err(invalid(
            setting,
            format!(
                "expected five prices in US dollars per 1M tokens: text input, audio input, \
                 cached input, text output, audio output (e.g. 4,32,0.4,16,64), got {value:?}"
            ),
        ));
    };
    Ok(awaaz_realtime::Prices {
        text_input,
        audio_input,
        cached_input,
        text_output,
        audio_output,
    })
}

fn parse_shop_name(setting: &str, value: &str) -> Result<String, ConfigError> {
    let value = value.trim();
    if value.is_empty() {
        Err(invalid(setting, "must not be empty"))
    } else {
        Ok(value.to_owned())
    }
}

fn parse_log_filter(setting: &str, value: &str) -> Result<String, ConfigError> {
    tracing_subscriber::EnvFilter::try_new(value)
        .map(|_| value.to_owned())
        .map_err(|e| invalid(setting, format!("invalid log filter {value:?}: {e}")))
}

fn parse_log_format(setting: &str, value: &str) -> Result<LogFormat, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        _ => Err(invalid(
            setting,
            format!("unknown log format {value:?} (expected text or json)"),
        )),
    }
}

fn parse_int(setting: &str, value: &str) -> Result<i64, ConfigError> {
    value
        .trim()
        .parse()
        .map_err(|_| invalid(setting, format!("invalid number {value:?}")))
}

fn positive(setting: &str, value: i64) -> Result<usize, ConfigError> {
    usize::try_from(value)
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| invalid(setting, format!("must be a positive number, got {value}")))
}

fn secs(setting: &str, value: i64) -> Result<Duration, ConfigError> {
    u64::try_from(value)
        .ok()
        .filter(|n| *n > 0)
        .map(Duration::from_secs)
        .ok_or_else(|| {
            invalid(
                setting,
                format!("must be a positive number of seconds, got {value}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn load(file: Option<&str>, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let path = Path::new("awaaz.toml");
        Config::from_sources(file.map(|t| (path, t)), env(vars), &CliOverrides::default())
    }

    #[test]
    fn defaults_without_any_source() {
        let c = load(None, &[]).unwrap();
        assert_eq!(c.database_url, "sqlite://data/awaaz.db?mode=rwc");
        assert_eq!(c.http_addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(c.log_format, LogFormat::Text);
        assert_eq!(c.max_conversations, 1000);
        assert_eq!(c.log, None);
    }

    #[test]
    fn phone_call_cap_from_file_or_env() {
        assert_eq!(load(None, &[]).unwrap().max_phone_calls(), 10);
        let c = load(Some("max_phone_calls = 40"), &[]).unwrap();
        assert_eq!(c.max_phone_calls(), 40);
        let c = load(
            Some("max_phone_calls = 40"),
            &[("AWAAZ_MAX_PHONE_CALLS", "250")],
        )
        .unwrap();
        assert_eq!(c.max_phone_calls(), 250, "env beats file");
        let e = load(None, &[("AWAAZ_MAX_PHONE_CALLS", "0")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "AWAAZ_MAX_PHONE_CALLS: must be a positive number, got 0"
        );
        let e = load(None, &[("AWAAZ_MAX_PHONE_CALLS", "many")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "AWAAZ_MAX_PHONE_CALLS: invalid number \"many\""
        );
    }

    #[test]
    fn exotel_stream_credentials_come_in_pairs() {
        let c = load(
            None,
            &[
                ("AWAAZ_EXOTEL_STREAM_USER", "exotel"),
                ("AWAAZ_EXOTEL_STREAM_PASSWORD", "s3cret"),
            ],
        )
        .unwrap();
        assert_eq!(c.phone.exotel.stream_user.as_deref(), Some("exotel"));
        assert_eq!(
            c.phone.exotel.stream_password.as_ref().map(Secret::expose),
            Some("s3cret")
        );
        assert!(
            !format!("{c:?}").contains("s3cret"),
            "the password stays out of Debug"
        );
        let e = load(None, &[("AWAAZ_EXOTEL_STREAM_PASSWORD", "s3cret")]).unwrap_err();
        assert!(
            e.to_string().starts_with("AWAAZ_EXOTEL_STREAM_USER: "),
            "{e}"
        );
        let e = load(
            Some("exotel_stream_user = \"a:b\"\nexotel_stream_password = \"x\""),
            &[],
        )
        .unwrap_err();
        assert!(e.to_string().contains("must not contain ':'"), "{e}");
    }

    #[test]
    fn file_then_env_then_cli() {
        let file = r#"
            http_addr = "0.0.0.0:9000"
            shop_name = "Sharma Fashions"
            max_conversations = 10
            log_format = "json"
        "#;
        let c = load(Some(file), &[("AWAAZ_HTTP_ADDR", "127.0.0.1:9001")]).unwrap();
        assert_eq!(
            c.http_addr,
            "127.0.0.1:9001".parse().unwrap(),
            "env beats file"
        );
        assert_eq!(c.shop_name, "Sharma Fashions");
        assert_eq!(c.max_conversations, 10);
        assert_eq!(c.log_format, LogFormat::Json);

        let cli = CliOverrides {
            http_addr: Some("127.0.0.1:9002".parse().unwrap()),
            database_url: Some("postgres://db/awaaz".to_owned()),
        };
        let c = Config::from_sources(
            Some((Path::new("awaaz.toml"), file)),
            env(&[("AWAAZ_HTTP_ADDR", "127.0.0.1:9001")]),
            &cli,
        )
        .unwrap();
        assert_eq!(
            c.http_addr,
            "127.0.0.1:9002".parse().unwrap(),
            "cli beats env"
        );
        assert_eq!(c.database_url, "postgres://db/awaaz");
    }

    #[test]
    fn bad_env_value_names_the_variable() {
        let err = load(None, &[("AWAAZ_HTTP_ADDR", "foo")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "AWAAZ_HTTP_ADDR: invalid socket address \"foo\" (expected host:port, e.g. 127.0.0.1:8080)"
        );
        let err = load(None, &[("AWAAZ_MAX_CONVERSATIONS", "0")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "AWAAZ_MAX_CONVERSATIONS: must be a positive number, got 0"
        );
        let err = load(None, &[("AWAAZ_MAX_CONVERSATIONS", "lots")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "AWAAZ_MAX_CONVERSATIONS: invalid number \"lots\""
        );
        let err = load(None, &[("AWAAZ_LOG_FORMAT", "xml")]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("AWAAZ_LOG_FORMAT: unknown log format \"xml\""),
            "{err}"
        );
        let err = load(None, &[("AWAAZ_LOG", "awaaz=loud")]).unwrap_err();
        assert!(
            err.to_string().starts_with("AWAAZ_LOG: invalid log filter"),
            "{err}"
        );
    }

    #[test]
    fn bad_database_url_never_repeats_the_password() {
        let err = load(
            None,
            &[("AWAAZ_DATABASE_URL", "mysql://root:hunter2@db/shop")],
        )
        .unwrap_err();
        let shown = err.to_string();
        assert_eq!(
            shown,
            "AWAAZ_DATABASE_URL: expected a sqlite: or postgres:// url"
        );
        assert!(!shown.contains("hunter2"));
    }

    #[test]
    fn unknown_file_key_is_named() {
        let err = load(Some("http_adr = \"127.0.0.1:1\"\n"), &[]).unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.starts_with("awaaz.toml: unknown field `http_adr`"),
            "{shown}"
        );
    }

    #[test]
    fn bad_file_value_names_file_and_key() {
        let err = load(Some("http_addr = \"foo\"\n"), &[]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("awaaz.toml: http_addr: invalid socket address \"foo\""),
            "{err}"
        );
        let err = load(Some("request_timeout_secs = -1\n"), &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "awaaz.toml: request_timeout_secs: must be a positive number of seconds, got -1"
        );
    }

    #[test]
    fn unrelated_environment_is_ignored() {
        let c = load(None, &[("AWAAZ_TEST_POSTGRES_URL", "x"), ("PATH", "/bin")]).unwrap();
        assert_eq!(c, Config::default());
    }

    #[test]
    fn phone_engine_and_llm_settings() {
        let file = r#"
            public_url = "https://voice.example.in/"
            twilio_account_sid = "AC123"
            engine = "cascade"
            openai_api_key = "sk-file"
        "#;
        let c = load(
            Some(file),
            &[
                ("AWAAZ_TWILIO_AUTH_TOKEN", "tok"),
                ("AWAAZ_TWILIO_API_BASE", "http://127.0.0.1:9/"),
                ("AWAAZ_TRANSFER_TO", "+911140000000"),
                ("AWAAZ_AGENT", "llm"),
                ("AWAAZ_LLM_BASE_URL", "http://127.0.0.1:11434/v1"),
                ("AWAAZ_LLM_MODEL", "qwen"),
                ("AWAAZ_PLIVO_AUTH_ID", "MA1"),
            ],
        )
        .unwrap();
        assert_eq!(
            c.phone.public_url.as_deref(),
            Some("https://voice.example.in")
        );
        assert_eq!(c.phone.twilio.account_sid.as_deref(), Some("AC123"));
        assert_eq!(c.phone.twilio.auth_token, Some(Secret::new("tok")));
        assert_eq!(c.phone.twilio.api_base, "http://127.0.0.1:9");
        assert_eq!(c.phone.transfer_to.as_deref(), Some("+911140000000"));
        assert_eq!(c.phone.plivo.auth_id.as_deref(), Some("MA1"));
        assert_eq!(c.phone.plivo.api_base, "https://api.plivo.com");
        assert_eq!(c.engine, EngineKind::Cascade);
        assert_eq!(c.agent, AgentKind::Llm);
        assert_eq!(c.llm.model.as_deref(), Some("qwen"));
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("tok\"") && !shown.contains("sk-file"),
            "{shown}"
        );
    }

    #[test]
    fn engines_need_their_keys_and_urls_are_checked() {
        let err = load(None, &[("AWAAZ_ENGINE", "realtime")]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("AWAAZ_ENGINE: realtime needs AWAAZ_OPENAI_API_KEY"),
            "{err}"
        );
        let c = load(
            None,
            &[("AWAAZ_ENGINE", "realtime"), ("AWAAZ_OPENAI_API_KEY", "k")],
        )
        .unwrap();
        assert_eq!(c.engine, EngineKind::Realtime);
        assert_eq!(c.max_phone_calls(), 500, "the realtime engine's own cap");
        assert_eq!(c.realtime.prices(), awaaz_realtime::Prices::GPT_REALTIME);
        assert!(!format!("{c:?}").contains("\"k\""), "the key is not shown");
        let err = load(None, &[("AWAAZ_AGENT", "llm")]).unwrap_err();
        assert!(
            err.to_string().starts_with("AWAAZ_AGENT: llm needs"),
            "{err}"
        );
        let err = load(None, &[("AWAAZ_ENGINE", "gpt")]).unwrap_err();
        assert!(
            err.to_string().starts_with("AWAAZ_ENGINE: unknown engine"),
            "{err}"
        );
        let err = load(None, &[("AWAAZ_PUBLIC_URL", "https://user:pw@x.in")]).unwrap_err();
        assert!(!err.to_string().contains("pw"), "{err}");
        let err = load(
            None,
            &[("AWAAZ_OPENAI_REALTIME_URL", "https://api.openai.com")],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "AWAAZ_OPENAI_REALTIME_URL: expected a ws:// or wss:// url"
        );
    }

    #[test]
    fn realtime_prompt_file_and_prices() {
        let c = load(
            Some("openai_realtime_prompt_file = \"prompts/shop.md\"\nopenai_realtime_model = \"gpt-realtime-mini\"\n"),
            &[],
        )
        .unwrap();
        assert_eq!(
            c.realtime.prompt_file,
            Some(PathBuf::from("prompts/shop.md"))
        );
        assert_eq!(
            c.realtime.prices(),
            awaaz_realtime::Prices::GPT_REALTIME_MINI,
            "a mini model is priced as one"
        );
        let c = load(
            None,
            &[("AWAAZ_OPENAI_REALTIME_PRICES", "4, 32, 0.4, 16, 64.5")],
        )
        .unwrap();
        assert_eq!(
            c.realtime.prices(),
            awaaz_realtime::Prices {
                text_input: 4.0,
                audio_input: 32.0,
                cached_input: 0.4,
                text_output: 16.0,
                audio_output: 64.5,
            }
        );
        for bad in ["4,32,0.4,16", "4,32,0.4,16,x", "4,32,-1,16,64", ""] {
            let err = load(None, &[("AWAAZ_OPENAI_REALTIME_PRICES", bad)]).unwrap_err();
            assert!(
                err.to_string()
                    .starts_with("AWAAZ_OPENAI_REALTIME_PRICES: expected five prices"),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn missing_explicit_file_is_an_error() {
        let err = Config::load(
            Some(Path::new("/nonexistent/awaaz.toml")),
            &CliOverrides::default(),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("/nonexistent/awaaz.toml: cannot read"),
            "{err}"
        );
    }
}
