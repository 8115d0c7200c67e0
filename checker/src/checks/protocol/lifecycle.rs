//! MCP protocol checks: real requests to the running Worker, replies judged by the spec
//! and validated against the official schema of the revision in use.

//! The initialize-era lifecycle: handshake, version negotiation, the initialized
//! notification and ping.

use serde_json::{json, Value};

use super::{cannot_validate, expect_result, expect_valid_result, schema_failure};
use crate::checks::mcp::{self, initialize_request, Tally, LEGACY_REVISIONS};
use crate::checks::{Context, Outcome};

/// The revision the checks speak when a request needs one: the newest with `initialize`.
const CLIENT_REVISION: &str = mcp::LEGACY;

/// `initialize` is answered, and the result validates against the negotiated revision.
pub fn initialize(ctx: &mut Context) -> Outcome {
    let exchange = ctx
        .client
        .post(&initialize_request(1, CLIENT_REVISION), &[]);
    let body = match expect_result(&exchange, 1, "initialize") {
        Ok(body) => body,
        Err(outcome) => return *outcome,
    };
    let known = ctx.schemas.revisions().unwrap_or_default();
    let negotiated = body["result"]["protocolVersion"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // Validate against the revision the server chose; an unknown one cannot be checked.
    let revision = if known.contains(&negotiated) {
        negotiated.clone()
    } else {
        CLIENT_REVISION.to_owned()
    };
    let violations = match ctx
        .schemas
        .result_violations(&revision, &body, "InitializeResult")
    {
        Ok(v) => v,
        Err(e) => return cannot_validate(e),
    };
    if !violations.is_empty() {
        return schema_failure(&exchange, &revision, "InitializeResult", &violations);
    }
    if !known.contains(&negotiated) {
        return Outcome::fail(
            format!("initialize answered protocolVersion {negotiated:?}, which is no published MCP revision"),
            format!("Answer with one of: {}.", known.join(", ")),
        )
        .with_evidence(Some(exchange.evidence()));
    }
    Outcome::pass(format!(
        "answered protocolVersion {negotiated}; the result matches the MCP {revision} schema"
    ))
}

/// The server echoes a version it supports and offers its newest otherwise.
/// Revisions that begin with `initialize`: a server for today's clients speaks them all.
const INITIALIZE_REVISIONS: &[&str] = LEGACY_REVISIONS;
const UNKNOWN_REVISION: &str = "2099-01-01";

pub fn version_negotiation(ctx: &mut Context) -> Outcome {
    let mut passed = 0;
    let mut misses = Vec::new();
    let mut first_evidence = None;
    let cases = INITIALIZE_REVISIONS
        .iter()
        .copied()
        .chain([UNKNOWN_REVISION]);
    let total = INITIALIZE_REVISIONS.len() + 1;
    for (n, asked) in cases.enumerate() {
        let id = 10 + n as u64;
        let exchange = ctx.client.post(&initialize_request(id, asked), &[]);
        let answered = match expect_result(&exchange, id, "initialize") {
            Ok(body) => body["result"]["protocolVersion"]
                .as_str()
                .map(str::to_owned),
            Err(_) => None,
        };
        let ok = match (&answered, asked) {
            (Some(v), UNKNOWN_REVISION) => INITIALIZE_REVISIONS.contains(&v.as_str()),
            (Some(v), asked) => v == asked,
            (None, _) => false,
        };
        if ok {
            passed += 1;
        } else {
            let got = answered.map_or("no usable reply".to_owned(), |v| format!("got {v}"));
            let wanted = if asked == UNKNOWN_REVISION {
                "a version the server supports".to_owned()
            } else {
                asked.to_owned()
            };
            misses.push(format!("asked {asked}, expected {wanted}, {got}"));
            first_evidence.get_or_insert_with(|| exchange.evidence());
        }
    }
    if misses.is_empty() {
        return Outcome::pass(format!("all {total} cases negotiated as the spec says"));
    }
    Outcome {
        credit: passed as f64 / total as f64,
        message: format!("{passed} of {total} cases right: {}", misses.join("; ")),
        hint: Some(
            "If the client's protocolVersion is one you support, answer with it; otherwise answer with the newest you support."
                .into(),
        ),
        evidence: first_evidence,
        ..Outcome::default()
    }
}

/// `notifications/initialized` (any notification), and a JSON-RPC response, are accepted with
/// 202 and no body.
pub fn initialized_notification(ctx: &mut Context) -> Outcome {
    let mut tally = Tally::default();
    for (revision, method) in [
        ("2025-03-26", "notifications/initialized"),
        (CLIENT_REVISION, "notifications/initialized"),
        (CLIENT_REVISION, "notifications/cancelled"),
    ] {
        let params = if method == "notifications/cancelled" {
            json!({ "requestId": 99, "reason": "checker test" })
        } else {
            json!({})
        };
        let message = mcp::request(Value::Null, method, params);
        let exchange = mcp::send_legacy(ctx, revision, &message);
        tally.case(
            &format!("{method} ({revision})"),
            &exchange,
            "HTTP 202 Accepted, empty body",
            accepted(&exchange),
        );
    }
    // Transports § Sending Messages: a JSON-RPC *response* posted by the client is accepted
    // the same way (it answers a request the server sent; there is nothing to reply).
    let response = json!({ "jsonrpc": "2.0", "id": "checker-response", "result": {} });
    let exchange = mcp::send_legacy(ctx, CLIENT_REVISION, &response);
    tally.case(
        &format!("a JSON-RPC response ({CLIENT_REVISION})"),
        &exchange,
        "HTTP 202 Accepted, empty body",
        accepted(&exchange),
    );
    tally.outcome(
        "notifications and responses get 202 Accepted with no body",
        "A notification or a response has no reply: answer HTTP 202 with an empty body.",
    )
}

fn accepted(exchange: &crate::mcp_client::Exchange) -> Result<(), String> {
    match exchange.reply() {
        Some(r) if r.status == 202 && r.body.trim().is_empty() => Ok(()),
        Some(r) if r.status == 202 => Err(format!("202 but with a body: {}", r.body)),
        Some(r) => Err(format!("HTTP {}", r.status)),
        None => Err(exchange.summary()),
    }
}

// ANCHOR: ping
/// `ping` answers an empty result in every revision that has it.
pub fn ping(ctx: &mut Context) -> Outcome {
    let mut tally = Tally::default();
    for (n, revision) in LEGACY_REVISIONS.iter().enumerate() {
        let id = 40 + n as u64;
        let exchange = mcp::send_legacy(ctx, revision, &mcp::request(id, "ping", json!({})));
        let verdict = match expect_valid_result(ctx, &exchange, id, "ping", revision, "EmptyResult")
        {
            Ok(_) => Ok(()),
            Err(outcome) => Err(outcome.message),
        };
        tally.case(
            &format!("ping ({revision})"),
            &exchange,
            "HTTP 200, {\"result\": {}}",
            verdict,
        );
    }
    tally.outcome(
        "ping answers {} in every initialize-era revision",
        "Answer ping with an empty result object: {\"jsonrpc\":\"2.0\",\"id\":…,\"result\":{}}.",
    )
}
// ANCHOR_END: ping
