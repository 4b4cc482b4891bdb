//! The deterministic demo shop loaded into an empty database.
