# awaaz — task runner. `just run` starts the server; `just test` runs everything CI runs.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Builds are shared between checkouts and CI runs on this machine.
export CARGO_TARGET_DIR := env_var_or_default("CARGO_TARGET_DIR", "/var/tmp/awaaz-target")
export AWAAZ_TEST_POSTGRES_URL := env_var_or_default("AWAAZ_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")

# Start the server with the embedded agent on SQLite (demo shop loaded on first run).
run *ARGS: setup
    cargo build --release -p awaaz
    {{CARGO_TARGET_DIR}}/release/awaaz serve {{ARGS}}

# Talk to the agent in the terminal.
chat *ARGS: setup
    cargo build --release -p awaaz
    {{CARGO_TARGET_DIR}}/release/awaaz chat {{ARGS}}

# Prepare local directories (models arrive with the voice engine).
setup:
    mkdir -p data

# Fetch pinned, hash-checked models and runtime libraries into ./models; a no-op when done (see scripts/models.py --help).
models *ARGS:
    @python3 scripts/models.py {{ARGS}}

# Format and lint checks.
check:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Everything CI runs: checks, then every test (store tests on SQLite and PostgreSQL).
test: setup check
    cargo test --workspace --all-targets
    cargo test --workspace --doc
    cargo run --release -p awaaz-bench --bin agent-accuracy -- --check

# Agent accuracy on the labelled utterances and turn latency.
bench: setup
    cargo run --release -p awaaz-bench --bin agent-accuracy
    cargo run --release -p awaaz-bench --bin agent-latency
