//! The code the course book's concept pages show: examples of each idea that are not any
//! lab's answer (the labs' solutions appear only after their lab). Each piece sits between
//! `ANCHOR` comments and is included into a page by name, so what the book shows is what
//! compiles here. Check it with (from the repository root):
//!
//! ```sh
//! CARGO_TARGET_DIR=target cargo test --manifest-path book/examples/Cargo.toml
//! CARGO_TARGET_DIR=target CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=.tools/bin/wasm-bindgen-test-runner \
//!     cargo test --manifest-path book/examples/Cargo.toml --target wasm32-unknown-unknown
//! ```

pub mod concurrency;
pub mod crypto;
pub mod errors;
pub mod http_rules;
pub mod ids;
pub mod parsing;
pub mod replies;
pub mod streaming;
pub mod timing;
mod worker;
