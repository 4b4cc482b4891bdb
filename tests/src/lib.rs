//! Helpers for whole-system tests: start a server on 127.0.0.1:0 and talk to it.
