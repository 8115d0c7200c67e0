//! Lab 0's checks: a first Worker answers plain HTTP. `GET /` is a small JSON document,
//! `POST /echo` sends the body back byte for byte, and anything else is a 404 (or a 405 with
//! `Allow` for a known path asked with the wrong method). The cases are tables below: each
//! row is one request and what must come back.

use serde_json::Value;

use super::mcp::Tally;
use super::{Context, Outcome};
use crate::mcp_client::{Exchange, Raw};

/// A request with no defaults: only the headers a case names.
fn request(method: &'static str, path: &str, body: &[u8]) -> Raw {
    Raw {
        method,
        path: Some(path.to_owned()),
        headers: Vec::new(),
        body: body.to_vec(),
        body_shell: None,
        default_headers: false,
    }
}

fn header<'e>(exchange: &'e Exchange, name: &str) -> Option<&'e str> {
    exchange.reply().and_then(|r| r.header(name))
}

/// `GET /` (and the same with a query string, which is not part of the path) answers
/// `{"ok": true, "message": "…"}` as JSON.
pub fn hello(ctx: &mut Context) -> Outcome {
    let mut tally = Tally::default();
    for path in ["/", "/?from=checker"] {
        let exchange = ctx.client.send(request("GET", path, b""));
        let verdict = exchange.replied().and_then(|reply| {
            if reply.status != 200 {
                return Err(format!("HTTP {}", reply.status));
            }
            let content_type = reply.header("Content-Type").unwrap_or("(none)");
            if !content_type
                .to_ascii_lowercase()
                .starts_with("application/json")
            {
                return Err(format!("Content-Type: {content_type}"));
            }
            let Some(Value::Object(document)) = &reply.json else {
                return Err("the body is not a JSON object".into());
            };
            if document.get("ok") != Some(&Value::Bool(true)) {
                return Err(r#""ok" is not true"#.into());
            }
            match document.get("message").and_then(Value::as_str) {
                Some(text) if !text.trim().is_empty() => Ok(()),
                _ => Err(r#""message" is not a non-empty string"#.into()),
            }
        });
        tally.case(
            &format!("GET {path}"),
            &exchange,
            r#"HTTP 200, Content-Type: application/json, {"ok": true, "message": "…"}"#,
            verdict,
        );
    }
    tally.outcome(
        "GET / answers {\"ok\": true, \"message\": …} as JSON",
        "Build the document with serde_json's json! macro and answer it with Response::from_json, which sets Content-Type: application/json. Match on req.path(), which has no query string.",
    )
}

/// What `POST /echo` is sent, one row per case: a name, the Content-Type (none for `None`),
/// the body, and a shell command that prints it when it cannot be pasted.
const ECHOES: &[(&str, Option<&str>, &[u8], Option<&str>)] = &[
    (
        "a JSON body",
        Some("application/json"),
        br#"{"hello":"workers","n":[1,2,3]}"#,
        None,
    ),
    (
        "text that is not ASCII",
        Some("text/plain; charset=utf-8"),
        "héllo, wörkers — ✓\n".as_bytes(),
        None,
    ),
    (
        "bytes that are not UTF-8",
        Some("application/octet-stream"),
        b"\x00\xff\xfe\x80A",
        Some(r"printf '\000\377\376\200A'"),
    ),
    ("an empty body, no Content-Type", None, b"", None),
];

/// `POST /echo` answers 200 with the request's body, byte for byte, and its Content-Type.
pub fn echo(ctx: &mut Context) -> Outcome {
    let mut tally = Tally::default();
    let big = "x".repeat(64 * 1024);
    let cases = ECHOES.iter().copied().chain(std::iter::once((
        "64 KiB of text",
        Some("text/plain"),
        big.as_bytes(),
        Some("head -c 65536 /dev/zero | tr '\\0' x"),
    )));
    for (name, content_type, body, shell) in cases {
        let mut raw = request("POST", "/echo", body);
        if let Some(content_type) = content_type {
            raw = raw.header("Content-Type", content_type);
        }
        raw.body_shell = shell.map(str::to_owned);
        let exchange = ctx.client.send(raw);
        let verdict = exchange.replied().and_then(|reply| {
            if reply.status != 200 {
                return Err(format!("HTTP {}", reply.status));
            }
            // The reply as the checker reads it is text; its length in bytes tells a body
            // decoded and re-encoded (invalid bytes become U+FFFD, three bytes each) from the
            // body itself.
            let length = header(&exchange, "Content-Length").and_then(|v| v.parse::<usize>().ok());
            if reply.body != String::from_utf8_lossy(body)
                || length.is_some_and(|n| n != body.len())
            {
                return Err(format!(
                    "the body came back different ({} bytes sent, {} received)",
                    body.len(),
                    length.unwrap_or(reply.body.len())
                ));
            }
            match (content_type, reply.header("Content-Type")) {
                (Some(sent), Some(got)) if got.eq_ignore_ascii_case(sent) => Ok(()),
                (Some(sent), got) => Err(format!(
                    "Content-Type {} instead of {sent}",
                    got.unwrap_or("(none)")
                )),
                (None, _) => Ok(()),
            }
        });
        let expected = match content_type {
            Some(ct) => format!(
                "HTTP 200, the same {} bytes, Content-Type: {ct}",
                body.len()
            ),
            None => "HTTP 200, an empty body".to_owned(),
        };
        tally.case(name, &exchange, &expected, verdict);
    }
    tally.outcome(
        "POST /echo sends back every body byte for byte, with its Content-Type",
        "Read the body with req.bytes() (text() would change bytes that are not UTF-8), answer it with Response::from_bytes, and copy the request's Content-Type header onto the response.",
    )
}

/// Requests that match no route, each with the statuses that may answer it.
const ELSEWHERE: &[(&str, &str, &[u16])] = &[
    ("GET", "/nope", &[404]),
    ("POST", "/echo/deeper", &[404]),
    ("GET", "/echo/", &[404]),
    ("GET", "/echo", &[404, 405]),
    ("POST", "/", &[404, 405]),
    ("DELETE", "/echo", &[404, 405]),
];

/// Anything but the two routes is a 404; a known path asked with the wrong method may be a
/// 405, which must then say what is allowed (RFC 9110 § 15.5.6).
pub fn not_found(ctx: &mut Context) -> Outcome {
    let mut tally = Tally::default();
    for (method, path, statuses) in ELSEWHERE {
        let body: &[u8] = if *method == "POST" { b"{}" } else { b"" };
        let exchange = ctx.client.send(request(method, path, body));
        let verdict = exchange.replied().and_then(|reply| {
            if !statuses.contains(&reply.status) {
                return Err(format!("HTTP {}", reply.status));
            }
            if reply.status == 405 && reply.header("Allow").is_none() {
                return Err("405 without an Allow header".into());
            }
            Ok(())
        });
        let expected = if statuses.len() == 1 {
            "HTTP 404 Not Found".to_owned()
        } else {
            "HTTP 404 Not Found (or 405 Method Not Allowed, with Allow)".to_owned()
        };
        tally.case(&format!("{method} {path}"), &exchange, &expected, verdict);
    }
    tally.outcome(
        "every other method and path gets 404 (or 405 with Allow)",
        "A route that matches nothing must say so: Response::error(\"not found\", 404). A 200 tells a client, and a cache, that there is something there.",
    )
}
