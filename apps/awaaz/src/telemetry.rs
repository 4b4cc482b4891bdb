//! Log output: a `tracing` subscriber writing to stderr (stdout belongs to
//! `awaaz chat`), as text or JSON lines.

use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat};

/// Installs the global subscriber. `default_filter` applies when the
/// configuration names none. Installing twice (tests) is not an error.
pub fn init(config: &Config, default_filter: &str) {
    let directives = config.log.as_deref().unwrap_or(default_filter);
    // The configured filter was validated when the configuration was loaded;
    // the fallback only guards a bad built-in default.
    let filter = EnvFilter::try_new(directives).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
