//! Lab 4 starting point: an MCP server on Workers, with one marked place per task.
//!
//! `cargo lab check lab-4` grades the lab's seven tasks in order and names the first one not
//! done. Each task has its place below, under a `TASK n` banner that names the section of the
//! book that teaches it. Every function there compiles and answers wrongly: replace its body,
//! split it into modules as it grows (the reference solution has http.rs, jsonrpc.rs, mcp.rs
//! and tools.rs), and run the check again. README.md has the rules in full.

pub mod sql_guard;
pub mod version;

use serde_json::{json, Value};
use worker::{event, Context, Env, Method, Request, Response, Result};

/// What a method answers: a result, or a JSON-RPC error object (`{"code": …, "message": …}`).
type Answer = std::result::Result<Value, Value>;

/// One JSON-RPC request or notification, once its body has been read.
pub struct Call {
    /// `None` for a notification (no `id` member).
    pub id: Option<Value>,
    pub method: String,
    pub params: Value,
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> Result<Response> {
    if let Some(answer) = http_gate(&req) {
        return answer;
    }
    let body = req.bytes().await?;
    let message = match parse_body(&body) {
        Ok(message) => message,
        Err(answer) => return answer,
    };
    if let Some(version) = modern_version(&req, &message) {
        return modern(&req, message, &version, &env).await;
    }
    let version = match legacy_version(&req) {
        Ok(version) => version,
        Err(answer) => return answer,
    };
    legacy(message, version, &env).await
}

// ─── TASK 1 · HTTP: the endpoint, its methods and headers ────────────────────────────────
// book/src/labs/lab-4-full-server.md#task-1-http · README.md § 1 (the table of answers)

// ANCHOR: task-1
/// Answers every request that must not reach JSON-RPC — another path, a foreign `Origin`, a
/// CORS preflight, a method other than POST, a body that is not JSON or is over 1 MiB — or
/// `None` to go on. Decide from the request line and headers alone: the body is not read yet.
fn http_gate(req: &Request) -> Option<Result<Response>> {
    // Wrong: every method but POST is "not found", and nothing else is looked at.
    if req.path() != "/mcp" || req.method() != Method::Post {
        return Some(Response::error("not found", 404));
    }
    None
}

/// The revision of an initialize-era request, from its `MCP-Protocol-Version` header
/// (2025-03-26 when there is none), or the HTTP 400 for a header that names no revision this
/// server speaks.
fn legacy_version(_req: &Request) -> std::result::Result<&'static str, Result<Response>> {
    // Wrong: the header is never read.
    Ok("2025-03-26")
}
// ANCHOR_END: task-1

// ─── TASK 2 · JSON-RPC errors ───────────────────────────────────────────────────────────
// book/src/labs/lab-4-full-server.md#task-2-json-rpc-errors · README.md § 2

/// The body as JSON, or the reply to a body that is not JSON at all.
fn parse_body(body: &[u8]) -> std::result::Result<Value, Result<Response>> {
    // Wrong: a parse error is a JSON-RPC error (-32700, id null), not a plain 500.
    serde_json::from_slice(body).map_err(|_| Response::error("bad json", 500))
}

/// One JSON-RPC message as a call, or the id to answer with and the error that says what is
/// wrong with it (-32600 for an invalid request; -32602 for params that are not an object).
fn read_call(message: &Value) -> std::result::Result<Call, (Value, Value)> {
    // Wrong: nothing is validated, so any JSON becomes a call.
    Ok(Call {
        id: message.get("id").cloned(),
        method: message
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        params: message.get("params").cloned().unwrap_or_else(|| json!({})),
    })
}

/// The answer to a method this server does not have.
fn method_not_found(_method: &str) -> Answer {
    // Wrong: an unknown method is an error (-32601), not an empty result.
    Ok(json!({}))
}

// ─── TASK 3 · The initialize era: initialize, negotiation, notifications, ping, batches ─────
// book/src/labs/lab-4-full-server.md#task-3-the-initialize-era · README.md § 3

/// A request of a revision that starts with `initialize` (2024-11-05 … 2025-11-25).
async fn legacy(message: Value, version: &'static str, env: &Env) -> Result<Response> {
    if let Value::Array(batch) = message {
        return legacy_batch(batch, version, env).await;
    }
    let call = match read_call(&message) {
        Ok(call) => call,
        Err((id, error)) => return reply(id, Err(error)),
    };
    // Wrong: a notification (no id) gets no reply at all: HTTP 202 with an empty body.
    let id = call.id.clone().unwrap_or(Value::Null);
    let answer = match call.method.as_str() {
        "initialize" => initialize(&call.params),
        "ping" => Ok(json!({})),
        _ => dispatch(&call, env).await,
    };
    reply(id, answer)
}

/// `initialize`: the negotiated version (src/version.rs), the capabilities, the server's name
/// and version.
fn initialize(_params: &Value) -> Answer {
    // Wrong: the client's version is not read, and `capabilities` and a version are missing.
    Ok(json!({
        "protocolVersion": version::negotiate(""),
        "serverInfo": { "name": "lab-4-full-server" }
    }))
}

/// A JSON array of messages: answered under 2025-03-26, the one revision with batches, and
/// refused by later ones.
async fn legacy_batch(_batch: Vec<Value>, _version: &str, _env: &Env) -> Result<Response> {
    // Wrong: 2025-03-26, the revision that has batches, gets no answers either.
    Response::error("batches are not supported", 400)
}

// ─── TASK 4 · The tools list and the KV tools ───────────────────────────────────────────
// book/src/labs/lab-4-full-server.md#task-4-the-tools-list-and-the-kv-tools · README.md § 4

/// The methods shared by every revision: the tools.
async fn dispatch(call: &Call, env: &Env) -> Answer {
    match call.method.as_str() {
        "tools/list" => Ok(tools_list()),
        "tools/call" => call_tool(&call.params, env).await,
        other => method_not_found(other),
    }
}

/// Every tool, with an `inputSchema` (and, from 2025-06-18, an `outputSchema`).
fn tools_list() -> Value {
    // Wrong: one tool of four, without its schemas.
    json!({ "tools": [ { "name": "query_data", "description": "Run SQL" } ] })
}

async fn call_tool(params: &Value, env: &Env) -> Answer {
    let name = params
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let arguments = params
        .get("arguments")
        .cloned()
        .unwrap_or_else(|| json!({}));
    match name {
        "store_value" | "get_value" | "list_keys" => kv_tool(name, &arguments, env).await,
        "query_data" => query_data(&arguments, env).await,
        other => unknown_tool(other),
    }
}

/// `store_value`, `get_value` and `list_keys`, on the `KV` binding (`env.kv("KV")`).
async fn kv_tool(_name: &str, _arguments: &Value, _env: &Env) -> Answer {
    // Wrong: nothing is stored or read.
    Ok(json!({}))
}

// ─── TASK 5 · Queries, tool errors and read-only SQL ────────────────────────────────────
// book/src/labs/lab-4-full-server.md#task-5-queries-tool-errors-and-read-only-sql
// README.md § 5 and src/sql_guard.rs

/// `query_data` on the `DB` binding (`env.d1("DB")`): one read-only statement, its `?`
/// parameters bound, at most 100 rows.
async fn query_data(_arguments: &Value, _env: &Env) -> Answer {
    // Wrong: no query runs. Refuse what src/sql_guard.rs refuses before anything does.
    Ok(json!({}))
}

/// A `tools/call` naming a tool that does not exist.
fn unknown_tool(_name: &str) -> Answer {
    // Wrong: only this is a protocol error (-32602); a tool's own failure is a result with
    // `isError: true`.
    Ok(json!({}))
}

// ─── TASK 6 · The 2026-07-28 revision: discover, stateless requests, headers ─────────────
// book/src/labs/lab-4-full-server.md#task-6-the-2026-07-28-revision · README.md § 6

/// The revision a 2026-07-28 request asks for — named in `params._meta` or by its
/// `MCP-Protocol-Version` header — or `None` for an initialize-era request.
fn modern_version(_req: &Request, _message: &Value) -> Option<String> {
    // Wrong: no request is ever seen as one of 2026-07-28.
    None
}

/// One 2026-07-28 request: its headers must match its body (-32020), its version must be
/// one this server speaks (-32022), and every result says `resultType`.
async fn modern(_req: &Request, message: Value, _version: &str, env: &Env) -> Result<Response> {
    let call = match read_call(&message) {
        Ok(call) => call,
        Err((id, error)) => return reply(id, Err(error)),
    };
    let id = call.id.clone().unwrap_or(Value::Null);
    // Wrong: `server/discover` is not answered, and nothing is checked.
    let answer = dispatch(&call, env).await;
    reply(id, answer)
}

// ─── TASK 7 · The whole server: bad input of every kind, every message against the schema ──
// book/src/labs/lab-4-full-server.md#task-7-the-whole-server · README.md § 7
//
// No new place: every function above must hold when the input is wrong in every way the
// checker tries (`cargo lab check lab-4 --all` lists them), and every reply must match the
// schema of its revision.

/// The HTTP reply carrying a JSON-RPC response to `id`.
fn reply(id: Value, answer: Answer) -> Result<Response> {
    let body = match answer {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err(error) => json!({ "jsonrpc": "2.0", "id": id, "error": error }),
    };
    Response::from_json(&body)
}
