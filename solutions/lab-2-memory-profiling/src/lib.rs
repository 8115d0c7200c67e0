//! Reference solution for lab 2: the same MCP server and the same answers as the starting
//! point, with memory that stays flat from one request to the next and a peak close to the
//! size of the request body.
//!
//! The body is read once, as bytes, and parsed once, in a single pass: serde_json reads the
//! JSON-RPC envelope into typed fields (`envelope`), and the `events` array is folded event by
//! event into an accumulator while it is being parsed (`events`, `summary`). Strings borrow
//! from the body. Nothing outlives the request.

mod envelope;
mod events;
mod json;
pub mod mcp;
pub mod summary;

#[cfg(test)]
mod alloc_meter;
#[cfg(test)]
mod memory_tests;

use worker::{event, Context, Env, Headers, Method, Request, Response, ResponseBody, Result};

#[event(fetch)]
async fn fetch(mut req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    course_probe::install();
    if req.path() != "/mcp" {
        return text(404, "not found: the MCP endpoint is POST /mcp");
    }
    if req.method() != Method::Post {
        return text(405, "method not allowed: use POST");
    }
    // One copy of the body in linear memory, exactly its size; every string the server reads
    // from it is a slice of it.
    let body = req.bytes().await?;
    let reply = mcp::handle(&body);
    // Give the body's block back before the response is built.
    drop(body);
    match reply.body {
        None => Ok(Response::empty()?.with_status(reply.status)),
        Some(json) => {
            let headers = Headers::new();
            headers.set("Content-Type", "application/json")?;
            Ok(Response::from_body(ResponseBody::Body(json.into_bytes()))?
                .with_status(reply.status)
                .with_headers(headers))
        }
    }
}

fn text(status: u16, message: &str) -> Result<Response> {
    Ok(Response::ok(message)?.with_status(status))
}
