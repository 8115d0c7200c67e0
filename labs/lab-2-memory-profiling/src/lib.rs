//! Lab 2 starting point: an MCP server that summarizes event logs.
//!
//! Every answer it gives is right. Read README.md for what is wrong with it, and run
//! `cargo test -p lab-2-memory-profiling --lib` to see the two memory budgets it misses.

pub mod debug_log;
pub mod mcp;
pub mod summary;

#[cfg(test)]
mod alloc_meter;
#[cfg(test)]
mod memory_tests;

use worker::{event, Context, Env, Headers, Method, Request, Response, ResponseBody, Result};

#[event(fetch)]
async fn fetch(mut req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    // Course-owned: lets the checker read this Worker's memory. Leave it here.
    course_probe::install();
    if req.path() != "/mcp" {
        return text(404, "not found: the MCP endpoint is POST /mcp");
    }
    if req.method() != Method::Post {
        return text(405, "method not allowed: use POST");
    }
    // The body as text: JSON is text.
    let body = req.text().await?;
    let reply = mcp::handle(&body);
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
