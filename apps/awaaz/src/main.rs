//! The `awaaz` command.
fn main() {}
