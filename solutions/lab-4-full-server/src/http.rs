//! Streamable HTTP transport (stateless, JSON responses only, no SSE stream).

use serde_json::Value;
use worker::{Env, Headers, Method, Request, Response, Result};

use crate::jsonrpc::{self, RpcError, INVALID_REQUEST, PARSE_ERROR};
use crate::mcp;

/// The one MCP endpoint.
const ENDPOINT: &str = "/mcp";
/// Largest request body accepted, in bytes; bigger bodies get 413 before they are parsed.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub async fn handle(mut req: Request, env: Env) -> Result<Response> {
    if req.path() != ENDPOINT {
        return plain(404, "not found: the MCP endpoint is POST /mcp");
    }
    let origin = req.headers().get("Origin")?;
    // DNS-rebinding protection (transports § security warning): refuse foreign origins.
    if let Some(origin) = &origin {
        if !origin_allowed(origin) {
            return plain(403, "forbidden origin");
        }
    }
    let response = match req.method() {
        Method::Options => Ok(Response::empty()?.with_status(204)),
        Method::Post => post(&mut req, &env).await,
        // No server-initiated stream: GET is not offered (transports § listening for messages).
        _ => Ok(plain(405, "method not allowed: use POST")?.with_headers(allow_header()?)),
    }?;
    with_cors(response, origin.as_deref())
}

async fn post(req: &mut Request, env: &Env) -> Result<Response> {
    let declared = req
        .headers()
        .get("Content-Length")?
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return plain(413, "request body too large");
    }
    let header_version = req.headers().get("MCP-Protocol-Version")?;
    let version = match header_version.as_deref() {
        None => mcp::DEFAULT_HEADER_VERSION,
        Some(v) if mcp::SUPPORTED_VERSIONS.contains(&v) => v,
        Some(v) => return plain(400, &format!("unsupported MCP-Protocol-Version: {v}")),
    };
    let body = req.bytes().await?;
    if body.len() > MAX_BODY_BYTES {
        return plain(413, "request body too large");
    }
    let message: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            let err = RpcError::new(PARSE_ERROR, format!("parse error: {e}"));
            return json(400, &jsonrpc::error(Value::Null, err));
        }
    };
    match message {
        Value::Array(batch) => {
            // JSON-RPC batches existed in 2024-11-05 and 2025-03-26 only.
            if version >= "2025-06-18" || batch.is_empty() {
                let err = RpcError::new(
                    INVALID_REQUEST,
                    "batches are not accepted by this protocol version",
                );
                return json(400, &jsonrpc::error(Value::Null, err));
            }
            let mut replies = Vec::new();
            for item in &batch {
                if let Some(reply) = one(item, version, env).await {
                    replies.push(reply);
                }
            }
            if replies.is_empty() {
                return accepted();
            }
            json(200, &Value::Array(replies))
        }
        single => match one(&single, version, env).await {
            Some(reply) => json(200, &reply),
            None => accepted(),
        },
    }
}

async fn one(message: &Value, header_version: &str, env: &Env) -> Option<Value> {
    match jsonrpc::parse_message(message) {
        Ok(incoming) => mcp::dispatch(incoming, header_version, env).await,
        // A JSON-RPC response sent to us needs no answer, like a notification.
        Err(_) if message.get("result").is_some() || message.get("error").is_some() => None,
        Err((id, err)) => Some(jsonrpc::error(id, err)),
    }
}

fn origin_allowed(origin: &str) -> bool {
    ["http://localhost", "http://127.0.0.1", "https://localhost"]
        .iter()
        .any(|allowed| origin == *allowed || origin.starts_with(&format!("{allowed}:")))
}

fn allow_header() -> Result<Headers> {
    let headers = Headers::new();
    headers.set("Allow", "POST, OPTIONS")?;
    Ok(headers)
}

fn with_cors(response: Response, origin: Option<&str>) -> Result<Response> {
    let Some(origin) = origin else {
        return Ok(response);
    };
    let headers = response.headers().clone();
    headers.set("Access-Control-Allow-Origin", origin)?;
    headers.set("Vary", "Origin")?;
    headers.set("Access-Control-Allow-Methods", "POST, OPTIONS")?;
    headers.set(
        "Access-Control-Allow-Headers",
        "Content-Type, Accept, MCP-Protocol-Version, Mcp-Session-Id, Mcp-Method, Mcp-Name",
    )?;
    headers.set("Access-Control-Max-Age", "86400")?;
    Ok(response.with_headers(headers))
}

fn accepted() -> Result<Response> {
    Ok(Response::empty()?.with_status(202))
}

fn plain(status: u16, text: &str) -> Result<Response> {
    Ok(Response::ok(text)?.with_status(status))
}

fn json(status: u16, body: &Value) -> Result<Response> {
    Ok(Response::from_json(body)?.with_status(status))
}
