//! Lab 0 reference solution: a first Rust Worker. `GET /` answers a small JSON document,
//! `POST /echo` sends the request's body back byte for byte, and anything else is a 404.

use serde_json::json;
use worker::{event, Context, Env, Headers, Request, Response, Result};

/// Where a request goes, decided from its method and path alone.
#[derive(Debug, PartialEq, Eq)]
pub enum Route {
    Hello,
    Echo,
    NotFound,
}

// ANCHOR: route
/// The handler for a method and a path. The path has no query string (`Request::path`), so
/// `GET /?from=checker` is `GET /`.
pub fn route(method: &str, path: &str) -> Route {
    match (method, path) {
        ("GET", "/") => Route::Hello,
        ("POST", "/echo") => Route::Echo,
        _ => Route::NotFound,
    }
}
// ANCHOR_END: route

// ANCHOR: fetch
#[event(fetch)]
async fn fetch(req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    match route(req.method().as_ref(), &req.path()) {
        Route::Hello => hello(),
        Route::Echo => echo(req).await,
        Route::NotFound => Response::error("not found", 404),
    }
}
// ANCHOR_END: fetch

// ANCHOR: hello
/// `Response::from_json` serialises the value and sets `Content-Type: application/json`.
fn hello() -> Result<Response> {
    Response::from_json(&json!({
        "ok": true,
        "message": "Hello from Rust on Workers!",
    }))
}
// ANCHOR_END: hello

// ANCHOR: echo
/// The body as bytes, not text: `Request::text` would replace bytes that are not UTF-8 with
/// U+FFFD, and the echo would no longer be the request.
async fn echo(mut req: Request) -> Result<Response> {
    let content_type = req
        .headers()
        .get("Content-Type")?
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let body = req.bytes().await?;
    let headers = Headers::new();
    headers.set("Content-Type", &content_type)?;
    Ok(Response::from_bytes(body)?.with_headers(headers))
}
// ANCHOR_END: echo

#[cfg(test)]
mod tests {
    use super::{route, Route};

    #[test]
    fn the_two_routes() {
        assert_eq!(route("GET", "/"), Route::Hello);
        assert_eq!(route("POST", "/echo"), Route::Echo);
    }

    #[test]
    fn anything_else_is_not_found() {
        for (method, path) in [
            ("GET", "/echo"),
            ("POST", "/"),
            ("GET", "/nope"),
            ("DELETE", "/echo"),
            ("GET", "/echo/"),
        ] {
            assert_eq!(route(method, path), Route::NotFound, "{method} {path}");
        }
    }
}
