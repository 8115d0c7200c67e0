//! A minimal MCP-over-HTTP client for the checks: real HTTP to the real runtime, and a
//! record of each exchange so a miss can be shown and reproduced, and so every JSON-RPC
//! message the server sent can be validated against the schema at the end of the run.

use std::cell::RefCell;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::report::Evidence;
use crate::transport::{HttpTransport, Request, Transport, TransportError};

/// How long one request may take before the check calls the server hung.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The most of one reply the checker reads.
pub const REPLY_LIMIT: u64 = 8 * 1024 * 1024;
/// The address `checker serve` listens on by default, used in reproduce lines.
pub const SERVE_ADDR: &str = "127.0.0.1:8787";
/// Most of a reply body kept in a report.
const EVIDENCE_BODY_LIMIT: usize = 2048;
/// Request bodies longer than this are cut in the run's log.
const LOGGED_BODY_LIMIT: usize = 64 * 1024;
/// Request bodies longer than this are described, not pasted, in reproduce lines.
const INLINE_BODY_LIMIT: usize = 4096;

pub struct Client {
    /// What carries a request: real HTTP to the runtime, or a replay of recorded exchanges.
    transport: Box<dyn Transport>,
    path: String,
    log: RefCell<Vec<Exchange>>,
    /// Set once a request got no reply in time. The Worker is then stuck (an endless loop:
    /// local workerd enforces no CPU limit) and every later request would wait as long, so
    /// none is sent: the rest of the run takes seconds, not minutes.
    stuck: RefCell<Option<String>>,
}

/// An HTTP request as a check builds it.
#[derive(Clone, Debug)]
pub struct Raw {
    pub method: &'static str,
    /// Path on the server; `None` is the MCP endpoint.
    pub path: Option<String>,
    /// Headers besides the defaults; a header with an empty value removes a default.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// A shell expression that produces the body, for bodies too long to paste.
    pub body_shell: Option<String>,
    /// Whether to send `Content-Type: application/json` and the Streamable HTTP `Accept`.
    pub default_headers: bool,
}

impl Raw {
    pub fn post(body: impl Into<Vec<u8>>) -> Self {
        Self {
            method: "POST",
            path: None,
            headers: Vec::new(),
            body: body.into(),
            body_shell: None,
            default_headers: true,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// One request and what came back.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Exchange {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub request: String,
    /// Size of the body sent (the logged `request` may be cut).
    pub request_bytes: usize,
    pub body_shell: Option<String>,
    pub outcome: Result<Reply, TransportError>,
}

/// An HTTP reply. `json` is derived from `body` (when it is JSON) whenever a reply is made or
/// read back from a recording; change the body with [`Reply::set_body`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "WireReply")]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The body parsed as JSON, when it is JSON.
    #[serde(skip_serializing)]
    pub json: Option<Value>,
}

/// A reply as a recording stores it.
#[derive(Deserialize)]
struct WireReply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl From<WireReply> for Reply {
    fn from(wire: WireReply) -> Self {
        Reply::new(wire.status, wire.headers, wire.body)
    }
}

impl Reply {
    /// Replaces the body, and its JSON with it.
    pub fn set_body(&mut self, body: String) {
        self.json = serde_json::from_str(&body).ok();
        self.body = body;
    }

    pub fn new(status: u16, headers: Vec<(String, String)>, body: String) -> Self {
        let json = serde_json::from_str(&body).ok();
        Reply {
            status,
            headers,
            body,
            json,
        }
    }

    /// A response header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl Client {
    /// Real HTTP to the server at `base` (its URL); `path` is the MCP endpoint (`/mcp`).
    pub fn new(base: &str, path: &str) -> Self {
        Self::over(Box::new(HttpTransport::new(base)), path)
    }

    /// A client whose requests go through `transport` (a replay, in tests).
    pub fn over(transport: Box<dyn Transport>, path: &str) -> Self {
        Self {
            transport,
            path: path.to_owned(),
            log: RefCell::new(Vec::new()),
            stuck: RefCell::new(None),
        }
    }

    /// POSTs a JSON-RPC message with the headers a Streamable HTTP client sends.
    pub fn post(&self, message: &Value, extra_headers: &[(&str, &str)]) -> Exchange {
        let mut raw = Raw::post(message.to_string());
        for (k, v) in extra_headers {
            raw = raw.header(k, v);
        }
        self.send(raw)
    }

    /// Sends any HTTP request; never fails (a transport error is the exchange's outcome).
    pub fn send(&self, raw: Raw) -> Exchange {
        let path = raw.path.clone().unwrap_or_else(|| self.path.clone());
        let mut headers: Vec<(String, String)> = Vec::new();
        if raw.default_headers {
            headers.push(("Content-Type".into(), "application/json".into()));
            headers.push((
                "Accept".into(),
                "application/json, text/event-stream".into(),
            ));
        }
        for (name, value) in &raw.headers {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
            if !value.is_empty() {
                headers.push((name.clone(), value.clone()));
            }
        }
        let outcome = match self.stuck.borrow().clone() {
            Some(why) => Err(TransportError::NotSent { why }),
            None => self.transport.send(&Request {
                method: raw.method,
                path: &path,
                headers: &headers,
                body: &raw.body,
            }),
        };
        if let Err(TransportError::Stuck { after }) = &outcome {
            *self.stuck.borrow_mut() = Some(format!(
                "the Worker stopped answering: {} {path} got no reply within {} s (an endless loop? local workerd has no CPU limit); later requests of this run were not sent",
                raw.method,
                after.as_secs()
            ));
        }
        self.record(raw, path, headers, outcome)
    }

    /// Why the Worker counts as stuck, once a request got no reply in time.
    pub fn stuck(&self) -> Option<String> {
        self.stuck.borrow().clone()
    }

    fn record(
        &self,
        raw: Raw,
        path: String,
        headers: Vec<(String, String)>,
        outcome: Result<Reply, TransportError>,
    ) -> Exchange {
        let exchange = Exchange {
            method: raw.method.to_owned(),
            path,
            headers,
            request: String::from_utf8_lossy(&raw.body).into_owned(),
            request_bytes: raw.body.len(),
            body_shell: raw.body_shell,
            outcome,
        };
        // The run's log keeps replies whole but large request bodies cut: a memory lab sends
        // hundreds of megabytes, and the log only needs their replies and headers.
        let mut logged = exchange.clone();
        if logged.request.len() > LOGGED_BODY_LIMIT {
            logged.request = truncate(&logged.request, LOGGED_BODY_LIMIT);
        }
        self.log.borrow_mut().push(logged);
        exchange
    }

    /// Starts the log with exchanges of an earlier part of a run (a replay of a check that
    /// reads the whole log).
    pub fn preload(&self, earlier: Vec<Exchange>) {
        self.log.borrow_mut().extend(earlier);
    }

    /// Every exchange of this run so far, oldest first.
    pub fn log(&self) -> Vec<Exchange> {
        self.log.borrow().clone()
    }

    /// JSON-RPC ids for requests a check describes rather than writes out: `first`,
    /// `first + 1`, … in the order the requests are built.
    pub fn ids(&self, first: u64) -> Ids {
        Ids(first..)
    }
}

/// The ids [`Client::ids`] hands out, in order; never runs out.
#[derive(Clone, Debug)]
pub struct Ids(std::ops::RangeFrom<u64>);

impl Ids {
    /// The next id.
    pub fn next_id(&mut self) -> u64 {
        self.0.next().expect("a RangeFrom never ends")
    }
}

impl Iterator for Ids {
    type Item = u64;
    fn next(&mut self) -> Option<u64> {
        Some(self.next_id())
    }
}

impl Exchange {
    pub fn reply(&self) -> Option<&Reply> {
        self.outcome.as_ref().ok()
    }

    /// The reply, or why there is none as a check's verdict says it.
    pub fn replied(&self) -> Result<&Reply, String> {
        self.outcome.as_ref().map_err(|e| format!("no reply ({e})"))
    }

    pub fn status(&self) -> Option<u16> {
        self.reply().map(|r| r.status)
    }

    pub fn json(&self) -> Option<&Value> {
        self.reply().and_then(|r| r.json.as_ref())
    }

    /// The request body as JSON, when it is.
    pub fn request_json(&self) -> Option<Value> {
        serde_json::from_str(&self.request).ok()
    }

    pub fn request_header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// One line for a report: the status and the start of the body.
    pub fn summary(&self) -> String {
        match &self.outcome {
            Ok(reply) => format!("HTTP {} {}", reply.status, truncate(&reply.body, 160)),
            Err(e) => format!("no reply: {e}"),
        }
    }

    pub fn evidence(&self) -> Evidence {
        let response = match &self.outcome {
            Ok(reply) => format!(
                "HTTP {} {}",
                reply.status,
                truncate(&reply.body, EVIDENCE_BODY_LIMIT)
            ),
            Err(e) => format!("no reply: {e}"),
        };
        let mut curl = String::from("curl -si");
        if self.method != "GET" || !self.request.is_empty() {
            curl.push_str(&format!(" -X {}", self.method));
        }
        curl.push_str(&format!(" http://{SERVE_ADDR}{}", self.path));
        for (name, value) in &self.headers {
            curl.push_str(&format!(" -H {}", shell_quote(&format!("{name}: {value}"))));
        }
        let request = if let Some(shell) = &self.body_shell {
            curl.push_str(&format!(" --data-binary @<({shell})"));
            // The logged body is already cut: its own length is not the request's.
            format!(
                "({} bytes) {}…",
                self.request_bytes,
                prefix(&self.request, 200)
            )
        } else if self.request.len() > INLINE_BODY_LIMIT {
            curl.push_str(" --data-binary @request.json");
            truncate(&self.request, EVIDENCE_BODY_LIMIT)
        } else {
            if !self.request.is_empty() {
                curl.push_str(&format!(" --data-binary {}", shell_quote(&self.request)));
            }
            self.request.clone()
        };
        Evidence {
            request,
            response,
            expected: None,
            reproduce: curl,
        }
    }

    /// Evidence with what the check expected.
    pub fn evidence_expecting(&self, expected: impl Into<String>) -> Evidence {
        Evidence {
            expected: Some(expected.into()),
            ..self.evidence()
        }
    }
}

pub fn truncate(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    format!("{}… ({} bytes in all)", prefix(text, limit), text.len())
}

/// The longest prefix of `text` of at most `limit` bytes that ends on a character boundary.
fn prefix(text: &str, limit: usize) -> &str {
    let mut end = limit.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Single-quotes a word for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(method: &str, request: &str) -> Exchange {
        Exchange {
            method: method.into(),
            path: "/mcp".into(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            request: request.into(),
            request_bytes: request.len(),
            body_shell: None,
            outcome: Err(TransportError::Io {
                message: "timed out".into(),
            }),
        }
    }

    #[test]
    fn reproduce_line_is_a_valid_shell_command_for_quotes() {
        let evidence = exchange("POST", r#"{"sql":"SELECT 'x'"}"#).evidence();
        assert_eq!(
            evidence.reproduce,
            r#"curl -si -X POST http://127.0.0.1:8787/mcp -H 'Content-Type: application/json' --data-binary '{"sql":"SELECT '\''x'\''"}'"#
        );
        assert_eq!(evidence.response, "no reply: timed out");
    }

    #[test]
    fn a_get_is_reproduced_without_a_body() {
        let evidence = exchange("GET", "").evidence();
        assert_eq!(
            evidence.reproduce,
            "curl -si http://127.0.0.1:8787/mcp -H 'Content-Type: application/json'"
        );
    }

    #[test]
    fn long_bodies_are_cut_on_a_char_boundary() {
        let cut = truncate(&"é".repeat(10), 5);
        assert!(cut.starts_with("éé…"), "{cut}");
        assert!(cut.ends_with("(20 bytes in all)"));
    }
}
