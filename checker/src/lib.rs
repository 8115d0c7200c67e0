//! `checker`: grades the course labs. The binary (`src/main.rs`) is a thin command line over
//! this library; the library is what the tests drive, down to single checks against
//! recorded exchanges (`replay`).

pub mod audit;
pub mod bench;
pub mod bootstrap;
pub mod checks;
pub mod cli;
pub mod commands;
pub mod course;
pub mod doctor;
pub mod fingerprint;
pub mod grading;
pub mod harness;
pub mod hint;
pub mod integrity;
pub mod mcp_client;
pub mod mutants;
pub mod official_suite;
pub mod payload;
pub mod pipeline;
pub mod processes;
pub mod render;
pub mod replay;
pub mod report;
pub mod reset;
pub mod rubric;
pub mod runtime;
pub mod schema;
pub mod steps;
pub mod student_progress;
pub mod summary;
pub mod transport;
pub mod wasm_size;
pub mod watch;
pub mod wrangler;
