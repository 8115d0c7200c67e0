//! Lab 4 starting point: a partial MCP server on Workers.
//!
//! It compiles and answers some requests, but not the way the MCP specification asks.
//! Read README.md for the task, then run `just check lab-4` to see what the checker grades.

pub mod sql_guard;
pub mod version;

use serde_json::{json, Value};
use worker::{event, Context, Env, Method, Request, Response, Result};

#[event(fetch)]
async fn fetch(mut req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    if req.path() != "/mcp" || req.method() != Method::Post {
        return Response::error("not found", 404);
    }
    // TODO: limit the body size, check Origin and MCP-Protocol-Version, answer CORS preflight.
    let message: Value = match req.json().await {
        Ok(v) => v,
        // TODO: a parse error is a JSON-RPC error (-32700), not a plain 500.
        Err(_) => return Response::error("bad json", 500),
    };
    let id = message.get("id").cloned().unwrap_or(Value::Null);
    let method = message
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let result = match method {
        // TODO: negotiate the version the client asked for, and describe the server fully.
        "initialize" => json!({
            "protocolVersion": version::negotiate(""),
            "serverInfo": { "name": "lab-4-full-server" }
        }),
        // TODO: list all four tools (query_data, store_value, get_value, list_keys) with
        // precise input schemas.
        "tools/list" => json!({
            "tools": [ { "name": "query_data", "description": "Run SQL" } ]
        }),
        // TODO: tools/call, ping, notifications (202), and the right error for anything else.
        _ => json!({}),
    };
    Response::from_json(&json!({ "jsonrpc": "2.0", "id": id, "result": result }))
}
