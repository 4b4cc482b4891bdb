//! Pieces of the `voice-latency` benchmark: the synthetic callers' scripts
//! and audio, word error rate, and process CPU/memory readings.

pub(crate) mod calls;
pub(crate) mod procstat;
pub(crate) mod wer;
