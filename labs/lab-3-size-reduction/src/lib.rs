//! Lab 3 starting point: an MCP server that searches a bundled set of notes about Workers
//! and WebAssembly, over Streamable HTTP at `POST /mcp` (JSON responses only).
//!
//! It answers every request correctly. It is also several times bigger than it needs to be:
//! read README.md for the task, and measure before you change anything.
//!
//! Layers, outermost first: this file (routing and HTTP) → `rpc` (JSON-RPC framing) →
//! `mcp` (methods, version negotiation) → `tools` (the three tools) → `index` (the documents).

mod index;
mod mcp;
mod rpc;
mod tools;

use serde::Serialize;
use worker::{event, Context, Env, Headers, Method, Request, Response, Result};

use crate::rpc::{ErrorObject, Incoming, JsonRpcError};

/// The one MCP endpoint.
const ENDPOINT: &str = "/mcp";

#[event(fetch)]
async fn fetch(req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    // ANCHOR: route
    // Route on the parsed URL.
    let url = req.url()?;
    if url.path() != ENDPOINT {
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
                let message = format!(
                    "unsupported MCP-Protocol-Version: {} (supported: {})",
                    v,
                    mcp::SUPPORTED_VERSIONS.join(", ")
                );
                return send(
                    400,
                    &JsonRpcError::new(None, ErrorObject::new(rpc::INVALID_REQUEST, message)),
                );
            }
        },
    };
    let body = req.text().await?;
    let message: serde_json::Value = match serde_json::from_str(&body) {
        Ok(message) => message,
        Err(_) => {
            let error =
                ErrorObject::new(rpc::PARSE_ERROR, "parse error: the body is not valid JSON");
            return send(400, &JsonRpcError::new(None, error));
        }
    };
    match rpc::parse(&message) {
        Ok(Incoming { id: None, .. }) => accepted(),
        Ok(Incoming {
            id: Some(id),
            method,
            params,
        }) => match mcp::dispatch(&method, &params, version) {
            Ok(result) => send(200, &rpc::JsonRpcResult::new(id, result)),
            Err(error) => send(200, &JsonRpcError::new(Some(id), error)),
        },
        // A JSON-RPC response sent to us needs no answer, like a notification.
        Err(_) if rpc::is_response(&message) => accepted(),
        Err((id, error)) => send(400, &JsonRpcError::new(id, error)),
    }
}

fn is_json(content_type: &str) -> bool {
    match content_type.split(';').next() {
        Some(media) => media.trim().eq_ignore_ascii_case("application/json"),
        None => false,
    }
}

fn accepted() -> Result<Response> {
    Ok(Response::empty()?.with_status(202))
}

// ANCHOR: send
/// Serialises any reply with the given status.
fn send<T: Serialize>(status: u16, body: &T) -> Result<Response> {
    Ok(Response::from_json(body)?.with_status(status))
}
// ANCHOR_END: send
