//! Per-conversation dialogue state and policy.
