//! awaaz benchmarks.
