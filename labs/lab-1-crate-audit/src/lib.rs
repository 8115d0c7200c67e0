//! Helpers an MCP server needs: request ids, timestamps, random jitter, HMAC signatures,
//! timeouts, retries with back-off, configuration and concurrent fan-out.
//!
//! Written for a server running on a normal operating system. Lab 1 moves it to
//! `wasm32-unknown-unknown`, where it has to run inside a Cloudflare Worker.

pub mod clock;
pub mod config;
pub mod fanout;
pub mod ids;
pub mod jitter;
pub mod retry;
pub mod signing;
pub mod timeout;

pub use clock::{format_rfc3339, now_rfc3339, unix_millis, Stopwatch};
pub use config::{Config, ConfigError};
pub use fanout::fan_out;
pub use ids::request_id;
pub use jitter::jitter;
pub use retry::{retry, RetryPolicy};
pub use signing::{sign, verify};
pub use timeout::{with_timeout, TimedOut};
