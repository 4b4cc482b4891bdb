//! The `awaaz` command.

use std::process::ExitCode;

use clap::Parser as _;

#[tokio::main]
async fn main() -> ExitCode {
    awaaz::cli::run(awaaz::cli::Cli::parse()).await
}
