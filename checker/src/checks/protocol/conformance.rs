//! Every JSON-RPC message the server sent during the run, validated against the official
//! schema of the revision its request used — not only the replies a check looked at.

use serde_json::Value;

use super::summarise;
use crate::checks::mcp::{LEGACY, META_VERSION, MODERN};
use crate::checks::{Context, Outcome};
use crate::mcp_client::Exchange;

/// What a client that sends no version header is taken to speak (2025-06-18 transports).
const HEADERLESS_REVISION: &str = "2025-03-26";

pub fn every_message(ctx: &mut Context) -> Outcome {
    // Long on purpose: one walk over the run's log: each reply message paired with its request
    // to pick the revision and the schema definition it must match.
    let known = ctx.schemas.revisions().unwrap_or_default();
    let mut total = 0usize;
    let mut invalid = Vec::new();
    let mut evidence = None;
    let mut used = std::collections::BTreeSet::new();
    for exchange in ctx.client.log() {
        let Some(reply) = exchange.json().cloned() else {
            continue;
        };
        let request = exchange.request_json().unwrap_or(Value::Null);
        let messages: Vec<Value> = match reply {
            Value::Array(items) => items,
            single => vec![single],
        };
        for message in messages {
            if !is_jsonrpc(&message) {
                continue;
            }
            let sent = matching_request(&request, &message);
            let revision = revision_of(&exchange, &sent, &message, &known);
            used.insert(revision.clone());
            total += 1;
            let found = if message.get("error").is_some() {
                ctx.schemas.error_violations(&revision, &message)
            } else {
                let definition = result_definition(sent["method"].as_str().unwrap_or_default());
                ctx.schemas
                    .result_violations(&revision, &message, definition)
            };
            match found {
                Ok(v) if v.is_empty() => {}
                Ok(v) => {
                    invalid.push(format!(
                        "{} ({revision}): {}",
                        sent["method"].as_str().unwrap_or("reply"),
                        summarise(&v, 1)
                    ));
                    evidence.get_or_insert_with(|| {
                        exchange.evidence_expecting(format!(
                            "a message valid in the MCP {revision} schema"
                        ))
                    });
                }
                Err(e) => invalid.push(format!("cannot validate: {e:#}")),
            }
        }
    }
    let revisions = used.into_iter().collect::<Vec<_>>().join(", ");
    if total == 0 {
        return Outcome::fail(
            "the server sent no JSON-RPC message during the run",
            "Answer requests with JSON-RPC response objects (application/json).",
        );
    }
    if invalid.is_empty() {
        return Outcome::pass(format!(
            "all {total} JSON-RPC messages are valid ({revisions})"
        ));
    }
    Outcome {
        credit: (total - invalid.len()) as f64 / total as f64,
        message: format!(
            "{} of {total} JSON-RPC messages do not match the schema of their revision: {}",
            invalid.len(),
            summarise(&invalid, 3)
        ),
        hint: Some("Compare each reply with its definition in checker/mcp-schema/<revision>/schema.json (results and errors alike).".into()),
        evidence,
        ..Outcome::default()
    }
}

fn is_jsonrpc(message: &Value) -> bool {
    message.get("jsonrpc").is_some()
        || message.get("result").is_some()
        || message.get("error").is_some()
}

/// The request (or batch item) a reply answers, matched by id.
fn matching_request(request: &Value, reply: &Value) -> Value {
    match request {
        Value::Array(items) => items
            .iter()
            .find(|item| item.get("id").is_some() && item.get("id") == reply.get("id"))
            .cloned()
            .unwrap_or(Value::Null),
        single => single.clone(),
    }
}

/// The revision a request used: its `_meta` version (modern), else the version it
/// negotiated (initialize), else its header, else the headerless default.
fn revision_of(exchange: &Exchange, request: &Value, reply: &Value, known: &[String]) -> String {
    let is_known = |v: &str| known.iter().any(|k| k == v);
    if let Some(meta) = request
        .pointer("/params/_meta")
        .and_then(|m| m.get(META_VERSION))
    {
        return match meta.as_str() {
            Some(v) if is_known(v) => v.to_owned(),
            // A modern-shaped request for a version nobody knows: the refusal is modern.
            _ => MODERN.to_owned(),
        };
    }
    if request["method"] == "initialize" {
        for candidate in [
            &reply["result"]["protocolVersion"],
            &request["params"]["protocolVersion"],
        ] {
            if let Some(v) = candidate.as_str().filter(|v| is_known(v)) {
                return v.to_owned();
            }
        }
        return LEGACY.to_owned();
    }
    match exchange.request_header("MCP-Protocol-Version") {
        Some(v) if is_known(v) => v.to_owned(),
        _ => HEADERLESS_REVISION.to_owned(),
    }
}

/// The schema definition of a successful result, by method.
fn result_definition(method: &str) -> &'static str {
    match method {
        "initialize" => "InitializeResult",
        "tools/list" => "ListToolsResult",
        "tools/call" => "CallToolResult",
        "server/discover" => "DiscoverResult",
        _ => "Result",
    }
}
