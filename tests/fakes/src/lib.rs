//! Fake peers (being written).
