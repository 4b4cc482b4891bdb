# awaaz — task runner. `just run` starts the server; `just test` runs everything CI runs.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Builds are shared between checkouts and CI runs on this machine. Everything
# (run, test, bench) uses the dev profile, whose dependencies are optimised (see
# Cargo.toml), so the heavy C++ builds behind the speech engines happen once.
export CARGO_TARGET_DIR := env_var_or_default("CARGO_TARGET_DIR", "/var/tmp/awaaz-target")
export AWAAZ_TEST_POSTGRES_URL := env_var_or_default("AWAAZ_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")

# Start the server with the embedded agent on SQLite (demo shop loaded on first run).
run *ARGS: setup
    cargo build -p awaaz
    {{CARGO_TARGET_DIR}}/debug/awaaz serve {{ARGS}}

# Talk to the agent in the terminal.
chat *ARGS: setup
    cargo build -p awaaz
    {{CARGO_TARGET_DIR}}/debug/awaaz chat {{ARGS}}

# Prepare local directories, Debian packages and the pinned models (a no-op when done).
setup:
    mkdir -p data
    python3 scripts/models.py

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
    cargo run -p awaaz-bench --bin agent-accuracy -- --check
    cargo run -p awaaz-bench --bin agent-accuracy -- --check --data crates/awaaz-agent/tests/data/heldout.jsonl
    python3 -m unittest scripts/test_models.py
    just test-browser

# The browser softphone end to end: real server, headless Chromium with a fake microphone (needs chromium, node, ./models).
test-browser:
    tests/browser/run.sh

# Agent accuracy on the labelled utterances and turn latency.
bench: setup
    cargo run -p awaaz-bench --bin agent-accuracy
    cargo run -p awaaz-bench --bin agent-latency

# Built with `cargo rustc` to strip debug info: with it the binary (C++ speech
# engines) is 1.1 GB. Examples: `just bench-latency --quick`, `just bench-latency
# --concurrency 1,4,8,16 --json`; see docs/benchmarks.md "Voice-to-voice latency".
# Voice-to-voice latency of synthetic phone calls, real call code and engines (needs espeak-ng, sox, ./models).
bench-latency *ARGS: setup
    cargo rustc -p awaaz-bench --bin voice-latency -- -C strip=debuginfo
    {{CARGO_TARGET_DIR}}/debug/voice-latency {{ARGS}}

# The phone path's benchmarks, both with their defaults (no models needed);
# see docs/benchmarks.md "Phone path". Each can run alone with its options:
# `just bench-phone-overhead --calls 10`, `just bench-phone-idle --levels 100,500 --hold-secs 10`.
# What the Twilio phone path adds to voice-to-voice latency, and how many idle Twilio streams one server holds.
bench-phone: bench-phone-overhead bench-phone-idle

# Phone path vs browser path, voice-to-voice on the same calls (deterministic engines, ~5 min).
bench-phone-overhead *ARGS:
    cargo rustc -p awaaz-bench --bin phone-overhead -- -C strip=debuginfo
    {{CARGO_TARGET_DIR}}/debug/phone-overhead {{ARGS}}

# Idle Twilio media streams one server holds: CPU, memory, drops per level (~5 min; raises the open-files limit).
bench-phone-idle *ARGS:
    cargo rustc -p awaaz-bench --bin phone-idle-streams -- -C strip=debuginfo
    ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"; {{CARGO_TARGET_DIR}}/debug/phone-idle-streams {{ARGS}}
