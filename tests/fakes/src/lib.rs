//! awaaz-fakes: faithful fake peers for whole-call tests over real sockets.
//!
//! Each fake behaves like the real service as its public documentation
//! describes it (timing, event order, errors), so a test that passes here
//! exercises what a real carrier or model would do:
//!
//! * [`twilio`], [`exotel`], [`plivo`] — a phone caller on a carrier's media
//!   stream WebSocket: real-time 20 ms frames, playout of what it receives at
//!   line rate, mark/checkpoint echoes only after the audio before them has
//!   played, clears, DTMF, hang-up.
//! * [`carrier_rest`] — the carriers' REST APIs over real HTTP (calls,
//!   transfers, SMS), recording every request.
//! * [`realtime`] — an OpenAI Realtime (GA) server over a real WebSocket.
//! * [`chat`] — an OpenAI-compatible `/v1/chat/completions` server with
//!   streaming and tool calls.

pub mod carrier_rest;
pub mod chat;
pub mod exotel;
mod line;
pub mod plivo;
pub mod realtime;
pub mod twilio;
