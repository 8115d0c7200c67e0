//! Reference solution for lab 3: the documentation-search MCP server of the starting point,
//! with the same replies, at a fraction of the size. README.md lists what changed and what
//! each change saved.
//!
//! Layers, outermost first: this file (routing and HTTP) → `rpc` (JSON-RPC framing) →
//! `mcp` (methods, version negotiation) → `tools` (the three tools) → `index` (the documents).

mod index;
mod mcp;
mod rpc;
mod tools;

use serde_json::Value;
use worker::{event, Context, Env, Headers, Method, Request, Response, Result};

/// The one MCP endpoint.
const ENDPOINT: &str = "/mcp";

#[event(fetch)]
async fn fetch(req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    // ANCHOR: route
    // `Request::path` is cut from the URL string the runtime already parsed; `Request::url`
    // would link the whole `url` crate with its IDNA and ICU tables.
    if req.path() != ENDPOINT {
        return Response::error("not found: the MCP endpoint is POST /mcp", 404);
    }
    // ANCHOR_END: route
    if req.method() != Method::Post {
        let headers = Headers::new();
        headers.set("Allow", "POST")?;
        return Ok(Response::error("method not allowed: use POST", 405)?.with_headers(headers));
    }
    handle_post(req).await
}

async fn handle_post(mut req: Request) -> Result<Response> {
    let content_type = req.headers().get("Content-Type")?.unwrap_or_default();
    if !is_json(&content_type) {
        return Response::error(
            "unsupported media type: send Content-Type: application/json",
            415,
        );
    }
    // Absent means 2025-03-26 (Streamable HTTP, "Protocol Version Header").
    let version = match req.headers().get("MCP-Protocol-Version")? {
        None => mcp::DEFAULT_HEADER_VERSION,
        Some(v) => match mcp::supported(&v) {
            Some(v) => v,
            None => {
                let mut message = String::from("unsupported MCP-Protocol-Version: ");
                message.push_str(&v);
                message.push_str(" (supported: ");
                message.push_str(&mcp::SUPPORTED_VERSIONS.join(", "));
                message.push(')');
                return send(400, &rpc::error(Value::Null, rpc::INVALID_REQUEST, message));
            }
        },
    };
    let body = req.text().await?;
    let Ok(message) = serde_json::from_str::<Value>(&body) else {
        return send(
            400,
            &rpc::error(
                Value::Null,
                rpc::PARSE_ERROR,
                "parse error: the body is not valid JSON".into(),
            ),
        );
    };
    match rpc::parse(&message) {
        Ok(incoming) => match incoming.id {
            None => accepted(),
            Some(id) => send(
                200,
                &match mcp::dispatch(&incoming.method, &incoming.params, version) {
                    Ok(result) => rpc::result(id, result),
                    Err((code, message)) => rpc::error(id, code, message),
                },
            ),
        },
        // A JSON-RPC response sent to us needs no answer, like a notification.
        Err(_) if rpc::is_response(&message) => accepted(),
        Err((id, code, message)) => send(400, &rpc::error(id, code, message.into())),
    }
}

fn is_json(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

fn accepted() -> Result<Response> {
    Ok(Response::empty()?.with_status(202))
}

// ANCHOR: send
/// One non-generic function renders every reply: one copy of the serialiser.
fn send(status: u16, body: &Value) -> Result<Response> {
    Ok(Response::from_json(body)?.with_status(status))
}
// ANCHOR_END: send
