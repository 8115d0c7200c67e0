//! How a check's requests reach the Worker and its runtime. The checks see two traits:
//! [`Transport`] (HTTP to the Worker) and [`Runtime`] (state read from outside the Worker,
//! the runtime's start time and clock). Grading uses the real ones — HTTP to workerd, and
//! the Node harness — and the checks' unit tests use [`crate::replay`], which serves
//! exchanges recorded from real runs, so a check can be tested in milliseconds.

use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::harness::Inspect;
use crate::mcp_client::{Reply, REPLY_LIMIT, REQUEST_TIMEOUT};

/// One HTTP request, as the client has made it (default headers applied).
pub struct Request<'a> {
    pub method: &'a str,
    /// Path on the server, e.g. `/mcp`.
    pub path: &'a str,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

/// Carries one request to the Worker and brings back its reply.
pub trait Transport {
    fn send(&self, request: &Request) -> Result<Reply, TransportError>;
}

/// Why a request got no reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "error", rename_all = "kebab-case")]
pub enum TransportError {
    /// No reply within the request timeout: the Worker is stuck (local workerd has no CPU
    /// limit), and the client sends nothing more.
    Stuck {
        #[serde(with = "secs")]
        after: Duration,
    },
    /// The reply passed the most the checker reads.
    TooLarge { limit: u64 },
    /// Not sent, because an earlier request found the Worker stuck.
    NotSent { why: String },
    /// The connection failed, or the reply was not HTTP. (A struct variant: an internally
    /// tagged enum cannot hold a bare string, and recordings store these.)
    Io { message: String },
}

impl TransportError {
    pub fn io(e: impl fmt::Display) -> Self {
        TransportError::Io {
            message: e.to_string(),
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Stuck { after } => {
                write!(f, "timed out after {} s: the Worker is stuck", after.as_secs())
            }
            TransportError::TooLarge { limit } => write!(
                f,
                "the reply is larger than {} MiB; the checker stopped reading it (an MCP reply should be a few KiB)",
                limit >> 20
            ),
            TransportError::NotSent { why } => write!(f, "not sent: {why}"),
            TransportError::Io { message } => f.write_str(message),
        }
    }
}

mod secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_secs)
    }
}

/// Bodies larger than this go through [`large_body`], which reads the reply while it writes.
const LARGE_BODY: usize = 256 * 1024;

/// Real HTTP to the runtime on loopback.
pub struct HttpTransport {
    agent: ureq::Agent,
    base: String,
}

impl HttpTransport {
    /// `base` is the server's URL.
    pub fn new(base: &str) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(REQUEST_TIMEOUT))
            // A fresh connection per request: a server that answers before reading the whole
            // body (413, 403) may close the connection, and a pooled one would then fail the
            // next, innocent request.
            .max_idle_connections(0)
            .build()
            .into();
        Self {
            agent,
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    fn send_small(&self, url: &str, request: &Request) -> Result<Reply, TransportError> {
        let mut builder = ureq::http::Request::builder()
            .method(request.method)
            .uri(url);
        for (name, value) in request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let request = builder
            .body(request.body.to_vec())
            .map_err(TransportError::io)?;
        let mut response = self.agent.run(request).map_err(TransportError::io)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        // Bytes, then text: a reply that is not UTF-8 (lab 0's echo of such bytes) is still a
        // reply, shown with U+FFFD where its bytes are not text, as the other transport does.
        let body = response
            .body_mut()
            .with_config()
            .limit(REPLY_LIMIT)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => TransportError::TooLarge { limit: REPLY_LIMIT },
                e => TransportError::io(e),
            })?;
        Ok(Reply::new(
            status,
            headers,
            String::from_utf8_lossy(&body).into_owned(),
        ))
    }
}

impl Transport for HttpTransport {
    fn send(&self, request: &Request) -> Result<Reply, TransportError> {
        let url = format!("{}/{}", self.base, request.path.trim_start_matches('/'));
        let sent = Instant::now();
        // A request that declares its own Content-Length (more than it sends, to see whether
        // the server answers from the headers alone) gets a shorter wait, so a server that
        // waits for the rest of the body is a failed case, not a stuck Worker.
        let declared = request
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-length"));
        let outcome = if declared {
            large_body::send(
                &url,
                request.method,
                request.headers,
                request.body,
                DECLARED_WAIT,
            )
        } else if request.body.len() > LARGE_BODY {
            large_body::send(
                &url,
                request.method,
                request.headers,
                request.body,
                REQUEST_TIMEOUT,
            )
        } else {
            self.send_small(&url, request)
        };
        // A request that failed after waiting the whole timeout means the Worker is stuck.
        match outcome {
            Err(_) if sent.elapsed() + Duration::from_millis(250) >= REQUEST_TIMEOUT => {
                Err(TransportError::Stuck {
                    after: REQUEST_TIMEOUT,
                })
            }
            outcome => outcome,
        }
    }
}

/// How long a request with a declared Content-Length waits for the reply.
const DECLARED_WAIT: Duration = Duration::from_secs(5);

/// What a check may ask of the runtime besides HTTP.
pub trait Runtime {
    /// Reads state from outside the Worker, through Miniflare's own handles (see
    /// `runtime::Server::inspect`).
    fn inspect(&mut self, inspection: Inspect) -> anyhow::Result<Value>;
    /// How long the runtime took from the start request to serving.
    fn ready_in(&self) -> Duration;
    /// The time now, as the runtime's clock (the machine's) has it: KV expirations are
    /// judged against it.
    fn now(&mut self) -> SystemTime;
    /// Runs the official MCP conformance suite's requirement set for `revision` (e.g.
    /// `2026-07-28`) against the Worker's MCP endpoint.
    fn official_suite(
        &mut self,
        revision: &str,
    ) -> Result<crate::official_suite::SuiteRun, crate::official_suite::SuiteError>;
}

impl Runtime for crate::runtime::Server {
    fn inspect(&mut self, inspection: Inspect) -> anyhow::Result<Value> {
        crate::runtime::Server::inspect(self, inspection)
    }
    fn ready_in(&self) -> Duration {
        self.ready_in
    }
    fn now(&mut self) -> SystemTime {
        SystemTime::now()
    }
    fn official_suite(
        &mut self,
        revision: &str,
    ) -> Result<crate::official_suite::SuiteRun, crate::official_suite::SuiteError> {
        crate::runtime::Server::official_suite(self, revision)
    }
}

/// Sending a body the server may refuse before reading it (413): HTTP clients write the whole
/// body before reading, and fail with "connection reset" when the server answers early and
/// closes. Here a thread writes while this one reads, so the early answer is what we see.
/// (ureq has no `Expect: 100-continue`, and workerd does not promise to honour it.)
mod large_body {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;

    use super::TransportError as E;
    use crate::mcp_client::Reply;

    /// Sends the request and waits up to `wait` for the reply. A `Content-Length` among
    /// `headers` is sent as given (it may promise more than `body`); otherwise the body's.
    pub fn send(
        url: &str,
        method: &str,
        headers: &[(String, String)],
        body: &[u8],
        wait: std::time::Duration,
    ) -> Result<Reply, E> {
        let rest = url.strip_prefix("http://").ok_or_else(|| E::Io {
            message: "only http:// URLs".into(),
        })?;
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let stream = TcpStream::connect(authority).map_err(E::io)?;
        stream.set_read_timeout(Some(wait)).map_err(E::io)?;
        let mut head =
            format!("{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut writer = stream.try_clone().map_err(E::io)?;
        let payload = [head.as_bytes(), body].concat();
        // The write may fail once the server has answered and closed: that is expected.
        let write = std::thread::spawn(move || {
            let _ = writer.write_all(&payload);
        });
        let closer = stream.try_clone().map_err(E::io)?;
        let reply = read_reply(BufReader::new(stream)).map_err(|e| match e {
            E::Io { message }
                if message.contains("os error 11") || message.contains("timed out") =>
            {
                E::Io {
                    message: format!("no reply within {} s ({message})", wait.as_secs()),
                }
            }
            e => e,
        });
        // A server that stopped reading would leave the writer blocked: close the socket
        // so it fails and the thread ends.
        let _ = closer.shutdown(std::net::Shutdown::Both);
        let _ = write.join();
        reply
    }

    fn read_reply(mut reader: BufReader<TcpStream>) -> Result<Reply, E> {
        let mut status_line = String::new();
        reader.read_line(&mut status_line).map_err(E::io)?;
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| E::Io {
                message: format!("not an HTTP reply: {status_line:?}"),
            })?;
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).map_err(E::io)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
        let length = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<usize>().ok());
        let mut body = Vec::new();
        let read = match length {
            Some(n) => reader.take(n as u64).read_to_end(&mut body),
            None => reader.read_to_end(&mut body),
        };
        // A reset after the body arrived loses nothing.
        if let Err(e) = read {
            if body.is_empty() {
                return Err(E::io(e));
            }
        }
        Ok(Reply::new(
            status,
            headers,
            String::from_utf8_lossy(&body).into_owned(),
        ))
    }
}
