//! Helpers an MCP server needs: request ids, timestamps, random jitter, HMAC signatures,
//! timeouts, retries with back-off, configuration and concurrent fan-out.
//!
//! Works natively and on `wasm32-unknown-unknown` inside a Cloudflare Worker (and under Node,
//! where the course's wasm tests run). Where the two differ, the code says `#[cfg]` and why.

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
