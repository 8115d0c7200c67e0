//! MCP protocol checks: real requests to the running Worker, replies judged by the spec
//! and validated against the official schema of the revision each request used.

pub mod conformance;
pub mod lifecycle;
pub mod modern;
pub mod official;
pub mod probes;
pub mod tools;
pub mod transport;

use serde_json::{json, Value};

use super::{Context, Outcome};
use crate::mcp_client::Exchange;
use crate::transport::TransportError;

/// What to do about a request that got no usable reply, by what the client saw.
fn no_reply_hint(error: &TransportError) -> &'static str {
    match error {
        TransportError::Stuck { .. } => "The handler never returned: a loop that does not end, or a wait that blocks the thread. Local workerd has no CPU limit; production would stop the request at the CPU time limit.",
        TransportError::TooLarge { .. } => "The reply is far too large: find what the handler puts into it (an MCP reply is a few KiB).",
        TransportError::NotSent { .. } | TransportError::Io { .. } => "The Worker must answer every request; look at its output above for a panic.",
    }
}

/// The reply's JSON when it is a successful JSON-RPC response to request `id`, or the
/// failed outcome that explains what came back instead.
fn expect_result(exchange: &Exchange, id: u64, what: &str) -> Result<Value, Box<Outcome>> {
    let expected = format!("HTTP 200 and a JSON-RPC result for {what} with id {id}");
    let fail = |message: String, hint: &str| {
        Err(Box::new(Outcome::fail(message, hint).with_evidence(Some(
            exchange.evidence_expecting(expected.clone()),
        ))))
    };
    let reply = match &exchange.outcome {
        Ok(reply) => reply,
        Err(e) => return fail(format!("{what}: no reply ({e})"), no_reply_hint(e)),
    };
    if reply.status != 200 {
        return fail(
            format!("{what}: HTTP {} instead of 200", reply.status),
            "A JSON-RPC request gets HTTP 200 with a JSON body (Streamable HTTP, sending messages).",
        );
    }
    let Some(body) = reply.json.clone() else {
        return fail(
            format!("{what}: the body is not JSON"),
            "Answer with `Content-Type: application/json` and a JSON-RPC response object.",
        );
    };
    if body.get("id") != Some(&json!(id)) {
        return fail(
            format!(
                "{what}: the reply's id is {} but the request's was {id}",
                body.get("id").unwrap_or(&Value::Null)
            ),
            "A response carries the id of the request it answers (JSON-RPC 2.0 § 5).",
        );
    }
    if let Some(error) = body.get("error") {
        return fail(
            format!("{what}: answered with a JSON-RPC error: {error}"),
            "This method must succeed; see the method's section in the spec.",
        );
    }
    Ok(body)
}

fn schema_failure(
    exchange: &Exchange,
    revision: &str,
    definition: &str,
    violations: &[String],
) -> Outcome {
    Outcome::fail(
        format!(
            "the reply does not match {definition} in the MCP {revision} schema: {}",
            summarise(violations, 3)
        ),
        format!(
            "Compare your reply with `{definition}` in checker/mcp-schema/{revision}/schema.json."
        ),
    )
    .with_evidence(Some(exchange.evidence_expecting(format!(
        "a result valid as {definition} in the MCP {revision} schema"
    ))))
}

fn summarise(items: &[String], shown: usize) -> String {
    let mut text = items
        .iter()
        .take(shown)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if items.len() > shown {
        text.push_str(&format!(" (and {} more)", items.len() - shown));
    }
    text
}

/// The reply's JSON when it is a successful response to request `id` whose result matches
/// `definition` in the `revision` schema; otherwise the failed outcome.
fn expect_valid_result(
    ctx: &mut Context,
    exchange: &Exchange,
    id: u64,
    what: &str,
    revision: &str,
    definition: &str,
) -> Result<Value, Box<Outcome>> {
    let body = expect_result(exchange, id, what)?;
    match ctx.schemas.result_violations(revision, &body, definition) {
        Ok(v) if v.is_empty() => Ok(body),
        Ok(v) => Err(Box::new(schema_failure(exchange, revision, definition, &v))),
        Err(e) => Err(Box::new(cannot_validate(e))),
    }
}

fn cannot_validate(e: anyhow::Error) -> Outcome {
    Outcome::fail(
        format!("cannot validate: {e:#}"),
        "Report this to the course maintainers.",
    )
}
