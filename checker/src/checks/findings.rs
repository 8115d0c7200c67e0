//! The grader's findings about a Worker lab's run as a whole (`runtime.*`): worth no points,
//! and in the report only when they fail. A panicking, hanging or memory-hungry Worker only
//! shows as HTTP 500s or odd numbers in the checks; these name the cause.

use std::path::Path;

use super::Outcome;
use crate::course::Lab;
use crate::mcp_client::Client;
use crate::report::{Budget, FailureKind, Measure};

/// What the findings read: the run's log of exchanges and what the runtime printed.
pub struct FindingsContext<'a> {
    pub root: &'a Path,
    pub lab: &'a Lab,
    pub client: &'a Client,
    /// Rust panics the Worker reported (`panicked at FILE:LINE:COL: message`), in order.
    pub panics: &'a [String],
}

/// No reply took linear memory past the isolate limit (labs graded on memory have their
/// own check: this one is for the others).
pub fn isolate_limit(ctx: &FindingsContext) -> Outcome {
    use super::memory::{first_over, ISOLATE_LIMIT};
    if ctx.lab.memory.is_some() {
        return Outcome::pass("graded by the lab's own memory checks");
    }
    let log = ctx.client.log();
    let Some((n, exchange, bytes)) = first_over(&log, ISOLATE_LIMIT) else {
        return Outcome::pass("no request went past the isolate limit");
    };
    Outcome {
        measured: Some(Measure {
            value: bytes as f64,
            unit: "bytes".into(),
        }),
        budget: Some(Budget {
            min: None,
            max: Some(ISOLATE_LIMIT as f64),
            unit: "bytes".into(),
        }),
        evidence: Some(exchange.evidence_expecting("linear memory below 128 MiB")),
        ..Outcome::fail(
            format!(
                "request {n} of the run took linear memory to {:.1} MiB, past the 128 MiB an isolate may use (JavaScript heap included): in production the runtime may cancel this request and others the isolate is serving; local workerd does not enforce the limit",
                bytes as f64 / (1024.0 * 1024.0)
            ),
            "Find what that request allocates at once: a buffer sized by the input, a whole body copied, a collection that is never bounded.",
        )
    }
}

/// What workerd answers (HTTP 500) when a request's promise can never settle: its code awaits
/// something nothing will complete, or the instance trapped under it without a panic message.
const HUNG_REPLY: &str = "would never generate a response";

/// workerd cancelled no request because its code could never finish. Left out when a panic
/// was logged: a panic leaves its request unfinished too, and `runtime.panics` names it.
pub fn hangs(ctx: &FindingsContext) -> Outcome {
    if !ctx.panics.is_empty() {
        return Outcome::pass("a panic explains the unfinished requests (runtime.panics)");
    }
    let log = ctx.client.log();
    let hung: Vec<_> = log
        .iter()
        .filter(|e| e.reply().is_some_and(|r| r.body.contains(HUNG_REPLY)))
        .collect();
    let Some(first) = hung.first() else {
        return Outcome::pass("every request finished");
    };
    Outcome::fail(
        format!(
            "workerd cancelled {} of {} requests because their code could never finish (HTTP 500, \"your Worker's code had hung\")",
            hung.len(),
            log.len()
        ),
        "Two usual causes: the handler awaits something nothing will complete (a channel nobody sends on, std::future::pending, a poll that returns Pending without keeping the waker), or the wasm instance trapped without a panic message (a stack overflow: deep recursion, for instance over deeply nested JSON). Replay the reproduce line against `cargo lab serve` and find where the handler stops.",
    )
    .with_evidence(Some(first.evidence_expecting("a reply from the Worker's own code")))
    // Neither a protocol error nor surely a trap (an await nothing completes is not one):
    // the check's own hint names both causes.
    .kind(FailureKind::Other)
}

/// The Worker did not panic during the run.
pub fn panics(ctx: &FindingsContext) -> Outcome {
    let Some(first) = ctx.panics.first() else {
        return Outcome::pass("no panic");
    };
    // `panicked at labs/lab-4-full-server/src/lib.rs:6:5: …`: where, for CI annotations.
    let location = first
        .strip_prefix("panicked at ")
        .and_then(|rest| rest.split(": ").next())
        .and_then(|span| crate::pipeline::span_location(ctx.root, &[ctx.root.to_path_buf()], span));
    Outcome::fail(
        format!(
            "the Worker panicked during the run ({} different panic{}); first: {first}",
            ctx.panics.len(),
            if ctx.panics.len() == 1 { "" } else { "s" }
        ),
        "A panic aborts the request (the client sees HTTP 500) and leaves the instance unusable until it restarts. Return an error instead: a JSON-RPC error, or a tool result with isError.",
    )
    .at(location)
    .kind(FailureKind::RuntimeTrap)
}
