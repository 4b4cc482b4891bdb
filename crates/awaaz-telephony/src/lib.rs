//! awaaz-telephony: what phone carriers send and expect, as Rust types.
//!
//! This crate does no I/O (except the optional Twilio REST client in
//! [`rest`], behind the default `rest` feature). Decoders take the text of a
//! WebSocket message or an HTTP form and return typed values or a clear
//! error; encoders return the text to send.

pub mod exotel;
pub mod plivo;
#[cfg(feature = "rest")]
pub mod rest;
pub mod signature;
pub mod twilio;
pub mod twiml;
