//! Lab 0 starting point: a first Rust Worker.
//!
//! It builds and runs, and answers every request with the same placeholder. Three tasks, in
//! the order `cargo lab check lab-0` grades them; each has its marked place below with the
//! section of the book that teaches it (book/src/labs/lab-0-first-worker.md). README.md has
//! the rules.

use worker::{event, Context, Env, Request, Response, Result};

/// Where a request goes, decided from its method and path alone.
#[derive(Debug, PartialEq, Eq)]
pub enum Route {
    Hello,
    Echo,
    NotFound,
}

/// The handler for a method (`"GET"`) and a path (`"/"`, no query string). Tasks 1–3 each
/// need their route here; the unit tests below say which.
pub fn route(_method: &str, _path: &str) -> Route {
    // Wrong: every request goes to the greeting.
    Route::Hello
}

#[event(fetch)]
async fn fetch(req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    match route(req.method().as_ref(), &req.path()) {
        Route::Hello => hello(),
        Route::Echo => echo(req).await,
        Route::NotFound => not_found(),
    }
}

// ANCHOR: task-1
// ─── TASK 1 · GET / answers JSON ─────────────────────────────────────────────────────────
// book/src/labs/lab-0-first-worker.md#task-1-get--answers-json

/// `{"ok": true, "message": "…"}`, as JSON, with `Content-Type: application/json`.
fn hello() -> Result<Response> {
    // Wrong: plain text, and not the document README.md describes.
    Response::ok("TODO: a JSON greeting")
}
// ANCHOR_END: task-1

// ─── TASK 2 · POST /echo sends the body back ─────────────────────────────────────────────
// book/src/labs/lab-0-first-worker.md#task-2-post-echo-sends-the-body-back

/// The request's body, byte for byte, with the request's `Content-Type`.
async fn echo(_req: Request) -> Result<Response> {
    // Wrong: the body is never read.
    Response::ok("TODO: the request's body")
}

// ─── TASK 3 · Everything else is a 404 ───────────────────────────────────────────────────
// book/src/labs/lab-0-first-worker.md#task-3-everything-else-is-a-404

/// What a request that matches no route gets.
fn not_found() -> Result<Response> {
    // Wrong: a 200 tells a client it found something.
    Response::ok("TODO")
}

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
