//! The command line: `awaaz serve`, `awaaz chat`, `awaaz db migrate|seed`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use awaaz_store::{PhoneNumber, SeaStore};
use clap::{Parser, Subcommand};

use crate::chat::{run_chat, ChatOptions};
use crate::config::{CliOverrides, Config};
use crate::server::{shutdown_signal, start_server};
use crate::simulate::{run_simulate, SimulateOptions};
use crate::telemetry;

/// awaaz: a self-hosted Hinglish customer-service agent.
#[derive(Debug, Parser)]
#[command(name = "awaaz", version, about)]
pub struct Cli {
    /// Configuration file (default: ./awaaz.toml when it exists).
    #[arg(long, global = true, env = "AWAAZ_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (API, health, metrics).
    Serve {
        /// Listen address, overriding AWAAZ_HTTP_ADDR.
        #[arg(long, value_name = "HOST:PORT")]
        addr: Option<SocketAddr>,
        /// Database URL, overriding AWAAZ_DATABASE_URL.
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Talk to the agent in the terminal (or pipe lines to it).
    Chat {
        /// The caller's phone number, e.g. +919812345678.
        #[arg(long, value_name = "NUMBER")]
        caller: Option<String>,
        /// Show tool arguments and results.
        #[arg(long, short)]
        verbose: bool,
        /// Database URL, overriding AWAAZ_DATABASE_URL.
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Run a whole voice call from a WAV recording of the caller, with the
    /// embedded speech engines (needs `just models`).
    Simulate {
        /// The caller's recording (any sample rate, mono or stereo); turns
        /// separated by silence.
        #[arg(value_name = "CALLER.WAV")]
        input: PathBuf,
        /// Write the call's audio (caller and agent, on one timeline) here.
        #[arg(long, value_name = "REPLY.WAV")]
        out: Option<PathBuf>,
        /// Print exactly one JSON object: call id and turns.
        #[arg(long)]
        json: bool,
        /// Do not wait in real time (timings then count compute only).
        #[arg(long)]
        fast: bool,
        /// Database URL, overriding AWAAZ_DATABASE_URL.
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Place an outbound phone call through Twilio; the running `awaaz
    /// serve` at AWAAZ_PUBLIC_URL answers it (needs the Twilio settings).
    Call {
        /// The number to call, in E.164 form, e.g. +919812345678.
        #[arg(value_name = "NUMBER")]
        to: String,
    },
    /// Database maintenance.
    Db {
        /// What to do to the database.
        #[command(subcommand)]
        action: DbAction,
        /// Database URL, overriding AWAAZ_DATABASE_URL.
        #[arg(long, value_name = "URL", global = true)]
        database_url: Option<String>,
    },
}

/// `awaaz db …`.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum DbAction {
    /// Create or upgrade the schema.
    Migrate,
    /// Load the demo shop into an empty database.
    Seed,
}

/// Runs a parsed command line; returns the process exit code (2 for a bad
/// configuration, 1 for a failure).
pub async fn run(cli: Cli) -> ExitCode {
    let overrides = match &cli.command {
        Command::Serve { addr, database_url } => CliOverrides {
            http_addr: *addr,
            database_url: database_url.clone(),
        },
        Command::Call { .. } => CliOverrides::default(),
        Command::Chat { database_url, .. }
        | Command::Db { database_url, .. }
        | Command::Simulate { database_url, .. } => CliOverrides {
            http_addr: None,
            database_url: database_url.clone(),
        },
    };
    let config = match Config::load(cli.config.as_deref(), &overrides) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("awaaz: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Serve { .. } => {
            telemetry::init(&config, "info,sqlx=warn,sea_orm=warn");
            serve(&config).await
        }
        Command::Chat {
            caller, verbose, ..
        } => {
            // The prompt owns the terminal: only warnings and errors go to stderr.
            telemetry::init(&config, "warn");
            let caller = caller.as_deref().map(PhoneNumber::new);
            run_chat(&config, ChatOptions { caller, verbose }).await
        }
        Command::Call { to } => {
            telemetry::init(&config, "warn");
            call(&config, &to).await
        }
        Command::Db { action, .. } => {
            telemetry::init(&config, "info,sqlx=warn,sea_orm=warn");
            db(&config, action).await
        }
        Command::Simulate {
            input,
            out,
            json,
            fast,
            ..
        } => {
            // Stdout carries the transcript (or the JSON object): logs stay
            // at warnings, on stderr.
            telemetry::init(&config, "warn");
            let options = SimulateOptions {
                input,
                out,
                json,
                fast,
            };
            run_simulate(&config, options).await
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("awaaz: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: &Config) -> anyhow::Result<()> {
    let (_, handle) = start_server(config).await?;
    handle.run_until(shutdown_signal()).await
}

async fn call(config: &Config, to: &str) -> anyhow::Result<()> {
    let placed = crate::phone::call_from_cli(config, to).await?;
    eprintln!(
        "awaaz: calling {} through {}: call sid {}",
        PhoneNumber::new(to).masked(),
        placed.carrier,
        placed.carrier_call_id
    );
    Ok(())
}

async fn db(config: &Config, action: DbAction) -> anyhow::Result<()> {
    let store = SeaStore::connect_without_demo(&config.database_url)
        .await
        .context("cannot open the store")?;
    match action {
        DbAction::Migrate => eprintln!("awaaz: database is up to date"),
        DbAction::Seed => {
            let loaded = store
                .load_demo(chrono::Utc::now().date_naive())
                .await
                .context("cannot load the demo shop")?;
            if loaded {
                eprintln!("awaaz: demo shop loaded");
            } else {
                eprintln!("awaaz: the database already has products; demo shop not loaded");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_takes_an_address() {
        let cli = Cli::try_parse_from(["awaaz", "serve", "--addr", "127.0.0.1:9000"]).unwrap();
        let Command::Serve { addr, .. } = cli.command else {
            panic!("not serve: {cli:?}")
        };
        assert_eq!(addr, Some("127.0.0.1:9000".parse().unwrap()));
    }

    #[test]
    fn bad_address_is_named() {
        let err = Cli::try_parse_from(["awaaz", "serve", "--addr", "foo"]).unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.contains("'foo'") && shown.contains("--addr"),
            "{shown}"
        );
    }

    #[test]
    fn chat_takes_caller_and_verbose() {
        let cli =
            Cli::try_parse_from(["awaaz", "chat", "--caller", "+919812345678", "-v"]).unwrap();
        let Command::Chat {
            caller, verbose, ..
        } = cli.command
        else {
            panic!("not chat")
        };
        assert_eq!(caller.as_deref(), Some("+919812345678"));
        assert!(verbose);
    }

    #[test]
    fn simulate_takes_a_wav_and_flags() {
        let cli = Cli::try_parse_from([
            "awaaz",
            "simulate",
            "caller.wav",
            "--out",
            "reply.wav",
            "--json",
            "--fast",
        ])
        .unwrap();
        let Command::Simulate {
            input,
            out,
            json,
            fast,
            ..
        } = cli.command
        else {
            panic!("not simulate")
        };
        assert_eq!(input, PathBuf::from("caller.wav"));
        assert_eq!(out, Some(PathBuf::from("reply.wav")));
        assert!(json && fast);
    }

    #[test]
    fn call_takes_a_number() {
        let cli = Cli::try_parse_from(["awaaz", "call", "+919812345678"]).unwrap();
        let Command::Call { to } = cli.command else {
            panic!("not call")
        };
        assert_eq!(to, "+919812345678");
    }

    #[test]
    fn db_seed_parses() {
        let cli = Cli::try_parse_from(["awaaz", "db", "seed"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Db {
                action: DbAction::Seed,
                ..
            }
        ));
    }
}
