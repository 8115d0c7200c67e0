//! What the protocol and robustness checks share: building MCP requests of either era,
//! judging replies, and counting cases for partial credit.

use serde_json::{json, Value};

use super::{Context, Outcome};
use crate::mcp_client::{Exchange, Raw};
use crate::report::Evidence;

/// The newest revision that begins with `initialize`.
pub const LEGACY: &str = "2025-11-25";
/// The stateless revision: no `initialize`, per-request `_meta`.
pub const MODERN: &str = "2026-07-28";
/// Every revision that begins with `initialize`, oldest first.
pub const LEGACY_REVISIONS: &[&str] = &["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];

pub const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
pub const META_CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const HEADER_MISMATCH: i64 = -32020;
pub const UNSUPPORTED_VERSION: i64 = -32022;

pub fn client_info() -> Value {
    json!({ "name": "course-checker", "version": env!("CARGO_PKG_VERSION") })
}

/// A JSON-RPC request (or, with `id` null, a notification) of a legacy revision.
pub fn request(id: impl Into<Value>, method: &str, params: Value) -> Value {
    let id = id.into();
    let mut message = json!({ "jsonrpc": "2.0", "method": method, "params": params });
    if !id.is_null() {
        message["id"] = id;
    }
    message
}

pub fn initialize_request(id: u64, version: &str) -> Value {
    request(
        id,
        "initialize",
        json!({ "protocolVersion": version, "capabilities": {}, "clientInfo": client_info() }),
    )
}

/// A request of the modern revision: `params._meta` names the version and capabilities.
pub fn modern_request(
    id: impl Into<Value>,
    method: &str,
    mut params: Value,
    version: &str,
) -> Value {
    params["_meta"] = json!({
        META_VERSION: version,
        META_CAPABILITIES: {},
        META_CLIENT_INFO: client_info(),
    });
    request(id, method, params)
}

/// The headers a modern client sends with `message` (transports § request metadata).
pub fn modern_headers(message: &Value, version: &str) -> Vec<(String, String)> {
    let mut headers = vec![
        ("MCP-Protocol-Version".to_owned(), version.to_owned()),
        (
            "Mcp-Method".to_owned(),
            message["method"].as_str().unwrap_or_default().to_owned(),
        ),
    ];
    if message["method"] == "tools/call" {
        if let Some(name) = message["params"]["name"].as_str() {
            headers.push(("Mcp-Name".to_owned(), name.to_owned()));
        }
    }
    headers
}

/// Sends a legacy request with the `MCP-Protocol-Version` header of `revision`.
pub fn send_legacy(ctx: &Context, revision: &str, message: &Value) -> Exchange {
    ctx.client
        .post(message, &[("MCP-Protocol-Version", revision)])
}

/// Sends a well-formed modern request: body `_meta` and headers agree.
pub fn send_modern(ctx: &Context, message: &Value) -> Exchange {
    let version = message["params"]["_meta"][META_VERSION]
        .as_str()
        .unwrap_or(MODERN)
        .to_owned();
    let mut raw = Raw::post(message.to_string());
    for (k, v) in modern_headers(message, &version) {
        raw = raw.header(&k, &v);
    }
    ctx.client.send(raw)
}

/// Calls a tool the way a legacy client of `revision` does.
pub fn call_tool(ctx: &Context, revision: &str, id: u64, tool: &str, arguments: Value) -> Exchange {
    let message = request(
        id,
        "tools/call",
        json!({ "name": tool, "arguments": arguments }),
    );
    send_legacy(ctx, revision, &message)
}

/// The `result` of a successful JSON-RPC reply to `id`, or why the reply is not one.
pub fn result_of(exchange: &Exchange, id: &Value) -> Result<Value, String> {
    let reply = exchange.replied()?;
    if reply.status != 200 {
        return Err(format!("HTTP {} instead of 200", reply.status));
    }
    let body = reply.json.as_ref().ok_or("the body is not JSON")?;
    if body.get("id") != Some(id) {
        return Err(format!(
            "the reply's id is {} but the request's was {id}",
            body.get("id").unwrap_or(&Value::Null)
        ));
    }
    if let Some(error) = body.get("error") {
        return Err(format!("a JSON-RPC error came back: {error}"));
    }
    body.get("result")
        .cloned()
        .ok_or_else(|| "the reply has neither result nor error".to_owned())
}

/// Whether the reply is a JSON-RPC error with one of `codes`, under one of `statuses`.
pub fn is_error(exchange: &Exchange, codes: &[i64], statuses: &[u16]) -> Result<(), String> {
    let reply = exchange.replied()?;
    let code = reply
        .json
        .as_ref()
        .and_then(|b| b.pointer("/error/code"))
        .and_then(Value::as_i64);
    let status_ok = statuses.contains(&reply.status);
    match code {
        Some(c) if codes.contains(&c) && status_ok => Ok(()),
        Some(c) if codes.contains(&c) => Err(format!(
            "error {c} is right, but it came with HTTP {} (expected {})",
            reply.status,
            join(statuses)
        )),
        Some(c) => Err(format!("HTTP {} with error code {c}", reply.status)),
        None => Err(format!("HTTP {} without a JSON-RPC error", reply.status)),
    }
}

/// Whether a tool call was refused the way a model can read: a result with `isError: true`
/// (tools § error handling), or a -32602 protocol error for arguments the schema forbids.
pub fn is_tool_refusal(exchange: &Exchange) -> Result<(), String> {
    let reply = exchange.replied()?;
    let body = reply
        .json
        .as_ref()
        .ok_or_else(|| format!("HTTP {}, not JSON", reply.status))?;
    if body.pointer("/result/isError") == Some(&json!(true)) {
        return Ok(());
    }
    if body.pointer("/error/code") == Some(&json!(INVALID_PARAMS)) {
        return Ok(());
    }
    Err(match body.get("result") {
        Some(_) => "the call succeeded; it should have been refused".to_owned(),
        None => format!(
            "HTTP {} {}",
            reply.status,
            body.get("error").unwrap_or(body)
        ),
    })
}

pub fn join(statuses: &[u16]) -> String {
    statuses
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Counts the cases of one check; the share that passed is its credit.
#[derive(Default)]
pub struct Tally {
    total: usize,
    passed: usize,
    misses: Vec<String>,
    evidence: Option<Evidence>,
}

impl Tally {
    /// Records one case: `verdict` is `Ok` or why it missed; the first miss keeps evidence.
    pub fn case(
        &mut self,
        name: &str,
        exchange: &Exchange,
        expected: &str,
        verdict: Result<(), String>,
    ) {
        self.total += 1;
        match verdict {
            Ok(()) => self.passed += 1,
            Err(why) => {
                self.misses.push(format!("{name}: {why}"));
                if self.evidence.is_none() {
                    self.evidence = Some(exchange.evidence_expecting(expected));
                }
            }
        }
    }

    /// Records a case judged without an exchange of its own.
    pub fn fact(&mut self, name: &str, verdict: Result<(), String>) {
        self.total += 1;
        match verdict {
            Ok(()) => self.passed += 1,
            Err(why) => self.misses.push(format!("{name}: {why}")),
        }
    }

    pub fn total(&self) -> usize {
        self.total
    }

    pub fn outcome(self, passed: impl Into<String>, hint: impl Into<String>) -> Outcome {
        if self.misses.is_empty() && self.total > 0 {
            return Outcome::pass(passed);
        }
        let shown: Vec<&str> = self.misses.iter().take(4).map(String::as_str).collect();
        let more = self.misses.len().saturating_sub(shown.len());
        let mut message = format!(
            "{} of {} cases right; {}",
            self.passed,
            self.total,
            shown.join("; ")
        );
        if more > 0 {
            message.push_str(&format!("; and {more} more"));
        }
        Outcome {
            credit: self.passed as f64 / self.total.max(1) as f64,
            message,
            hint: Some(hint.into()),
            evidence: self.evidence,
            ..Outcome::default()
        }
    }
}
