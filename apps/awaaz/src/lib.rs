//! The awaaz server: configuration, HTTP API and wiring.
