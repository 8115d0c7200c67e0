//! A minimal MCP-over-HTTP client for the checks: real HTTP to the real runtime, and a
//! record of each exchange so a miss can be shown and reproduced.

use std::time::Duration;

use serde_json::Value;

use crate::report::Evidence;

/// How long one request may take before the check calls the server hung.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The address `checker serve` listens on by default, used in reproduce lines.
pub const SERVE_ADDR: &str = "127.0.0.1:8787";
/// Most of a reply body kept in a report.
const EVIDENCE_BODY_LIMIT: usize = 2048;

pub struct Client {
    agent: ureq::Agent,
    endpoint: String,
    path: String,
}

/// One request and what came back.
pub struct Exchange {
    pub request: String,
    pub headers: Vec<(String, String)>,
    pub path: String,
    pub outcome: Result<Reply, String>,
}

pub struct Reply {
    pub status: u16,
    pub body: String,
    /// The body parsed as JSON, when it is JSON.
    pub json: Option<Value>,
}

impl Client {
    /// `base` is the server's URL, `path` the MCP endpoint (e.g. `/mcp`).
    pub fn new(base: &str, path: &str) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(REQUEST_TIMEOUT))
            .build()
            .into();
        Self {
            agent,
            endpoint: format!(
                "{}/{}",
                base.trim_end_matches('/'),
                path.trim_start_matches('/')
            ),
            path: path.to_owned(),
        }
    }

    /// POSTs a JSON-RPC message with the headers a Streamable HTTP client sends.
    pub fn post(&self, message: &Value, extra_headers: &[(&str, &str)]) -> Exchange {
        let body = message.to_string();
        let mut headers = vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            (
                "Accept".to_owned(),
                "application/json, text/event-stream".to_owned(),
            ),
        ];
        headers.extend(
            extra_headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let mut request = self.agent.post(&self.endpoint);
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        let outcome = request
            .send(&body)
            .map_err(|e| e.to_string())
            .and_then(|mut response| {
                let status = response.status().as_u16();
                let body = response
                    .body_mut()
                    .read_to_string()
                    .map_err(|e| e.to_string())?;
                let json = serde_json::from_str(&body).ok();
                Ok(Reply { status, body, json })
            });
        Exchange {
            request: body,
            headers,
            path: self.path.clone(),
            outcome,
        }
    }
}

impl Exchange {
    pub fn evidence(&self) -> Evidence {
        let response = match &self.outcome {
            Ok(reply) => format!(
                "HTTP {} {}",
                reply.status,
                truncate(&reply.body, EVIDENCE_BODY_LIMIT)
            ),
            Err(e) => format!("no reply: {e}"),
        };
        let mut curl = format!("curl -si -X POST http://{SERVE_ADDR}{}", self.path);
        for (name, value) in &self.headers {
            curl.push_str(&format!(" -H {}", shell_quote(&format!("{name}: {value}"))));
        }
        curl.push_str(&format!(" --data {}", shell_quote(&self.request)));
        Evidence {
            request: self.request.clone(),
            response,
            reproduce: curl,
        }
    }
}

fn truncate(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &text[..end], text.len())
}

/// Single-quotes a word for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduce_line_is_a_valid_shell_command_for_quotes() {
        let exchange = Exchange {
            request: r#"{"sql":"SELECT 'x'"}"#.into(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            path: "/mcp".into(),
            outcome: Err("timed out".into()),
        };
        let evidence = exchange.evidence();
        assert_eq!(
            evidence.reproduce,
            r#"curl -si -X POST http://127.0.0.1:8787/mcp -H 'Content-Type: application/json' --data '{"sql":"SELECT '\''x'\''"}'"#
        );
        assert_eq!(evidence.response, "no reply: timed out");
    }

    #[test]
    fn long_bodies_are_cut_on_a_char_boundary() {
        let cut = truncate(&"é".repeat(10), 5);
        assert!(cut.starts_with("éé…"), "{cut}");
        assert!(cut.ends_with("(20 bytes in all)"));
    }
}
