//! Reference solution for lab 4: a stateless MCP server over Streamable HTTP on Workers,
//! with D1 (read-only SQL) and KV (small key/value store) tools.
//!
//! Layers, outermost first: `http` (routing, limits, CORS, headers) → `jsonrpc` (framing and
//! error codes) → `mcp` (methods and version negotiation) → `tools` (the tools themselves).

mod http;
mod jsonrpc;
mod mcp;
pub mod sql_guard;
mod tools;

use worker::{event, Context, Env, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    http::handle(req, env).await
}
