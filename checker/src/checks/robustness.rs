//! Robustness: what hostile or careless input does to the server and its data. Every
//! verdict on data comes from D1 and KV read through Miniflare, outside the Worker.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{json, Value};

use super::mcp::{self, Tally, LEGACY, MODERN};
use super::protocol::probes::{Kv, Modern, Query, ToolError};
use super::{Context, Outcome};
use crate::course::Lab;
use crate::harness::Inspect;
use crate::mcp_client::{Client, Exchange, Ids, Raw};

/// The course's data for both checks and the tool probes, next to the lab's manifest.
pub const CASES_FILE: &str = "cases.toml";

/// `checker/labs/<lab>/cases.toml`: what the robustness checks send and what must come back,
/// and the probes of the tool checks ([`super::protocol::probes`]). Its header comment
/// explains the format to instructors.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cases {
    /// `[[case]]`: the bad requests of `robustness.bad-input`, in the order they are sent.
    #[serde(rename = "case")]
    pub cases: Vec<CaseSpec>,
    /// `[[write_attempt]]`: the statements of `robustness.sql-read-only`, in the order they
    /// are sent.
    #[serde(rename = "write_attempt")]
    pub write_attempts: Vec<WriteAttempt>,
    /// `[kv]`: what `protocol.tools-kv` writes and reads.
    pub kv: Option<Kv>,
    /// `[query]`: the SQL of `protocol.tools-query`.
    pub query: Option<Query>,
    /// `[[tool_error]]`: the calls of `protocol.tool-errors` that must fail, in order.
    #[serde(rename = "tool_error")]
    pub tool_errors: Option<Vec<ToolError>>,
    /// `[modern]`: the 2026-07-28 tool calls of `protocol.stateless-requests` and
    /// `protocol.header-validation`.
    pub modern: Option<Modern>,
    /// Where the file was read from (set after loading), for messages.
    #[serde(skip)]
    pub path: PathBuf,
}

impl Cases {
    /// The lab's `cases.toml`.
    pub fn of(lab: &Lab) -> Result<Self, String> {
        Self::read(&lab.manifest_dir.join(CASES_FILE))
    }

    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut cases: Cases =
            toml::from_str(&text).map_err(|e| format!("{} is not valid: {e}", path.display()))?;
        cases.path = path.to_owned();
        Ok(cases)
    }

    /// The battery as requests, or what is wrong with a case. Each case is a conversation of
    /// its own: a request the checker builds gets the first id of a fresh allocator.
    fn battery(&self, client: &Client) -> Result<Vec<Case>, String> {
        self.cases
            .iter()
            .map(|spec| {
                spec.expand(&mut client.ids(1))
                    .map_err(|e| format!("{}: case {:?}: {e}", self.path.display(), spec.name))
            })
            .collect()
    }

    /// The id of the control query, then each write attempt with its id, from one allocator.
    fn numbered(&self, client: &Client) -> (u64, Vec<(u64, &WriteAttempt)>) {
        let mut ids = client.ids(200);
        let control = ids.next_id();
        (control, ids.zip(&self.write_attempts).collect())
    }
}

/// `[[write_attempt]]`: a statement that would change the database, dressed up to get past
/// naive filters. It may not change a single row or schema object.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriteAttempt {
    /// The SQL, passed as the `sql` argument of `query_data`.
    pub sql: String,
    /// Values for the SQL's `?` placeholders, passed as the `params` argument; not sent
    /// unless given.
    #[serde(default)]
    pub params: Option<Vec<Value>>,
}

impl WriteAttempt {
    /// The arguments of its `query_data` call.
    fn arguments(&self) -> Value {
        match &self.params {
            Some(params) => json!({ "sql": self.sql, "params": params }),
            None => json!({ "sql": self.sql }),
        }
    }
}

/// `query_data` is read-only however the SQL is dressed.
pub fn sql_read_only(ctx: &mut Context) -> Outcome {
    // Long on purpose: the fast path (every attempt, one comparison) and the slow path that
    // names the culprits (the fixture reset before each attempt) share one tally.
    let Some(db) = ctx.lab.worker.d1.first().cloned() else {
        return Outcome::fail(
            "the lab manifest declares no D1 binding",
            "Report this to the course maintainers.",
        );
    };
    let cases = match Cases::of(ctx.lab) {
        Ok(cases) => cases,
        Err(e) => return cannot_load(e),
    };
    let (control_id, attempts) = cases.numbered(ctx.client);
    // The boundary means nothing if the tool cannot read at all.
    let control = mcp::call_tool(
        ctx,
        LEGACY,
        control_id,
        "query_data",
        json!({ "sql": "SELECT id FROM products ORDER BY id" }),
    );
    let readable = mcp::result_of(&control, &json!(control_id))
        .is_ok_and(|r| r["isError"] != json!(true) && r.to_string().contains("\"id\""));
    if !readable {
        return Outcome::fail(
            "query_data does not answer a plain SELECT, so its read-only boundary cannot be judged",
            "Make query_data run SELECT queries first (see protocol.tools-query).",
        )
        .with_evidence(Some(
            control.evidence_expecting("the rows of SELECT id FROM products"),
        ));
    }
    // Fast path: every attempt, then one comparison. Only if D1 changed is each attempt
    // replayed on a fresh fixture with a comparison of its own, to name the culprits.
    let before = snapshot(ctx, Inspect::D1Snapshot { db: db.clone() });
    let replies: Vec<Exchange> = attempts
        .iter()
        .map(|(id, write)| attempt(ctx, *id, write))
        .collect();
    let after = snapshot(ctx, Inspect::D1Snapshot { db: db.clone() });
    let mut tally = Tally::default();
    let mut writes = 0;
    match (before, after) {
        (Ok(b), Ok(a)) if a == b => {
            for ((_, write), exchange) in attempts.iter().zip(&replies) {
                tally.case(
                    &format!("{:?}", write.sql),
                    exchange,
                    "an isError result, and D1 unchanged",
                    mcp::is_tool_refusal(exchange),
                );
            }
        }
        (Ok(_), Ok(_)) => {
            for (id, write) in &attempts {
                // Put the fixture back, so each attempt is judged on its own.
                let _ = ctx.server.inspect(Inspect::D1Reset { db: db.clone() });
                let before = snapshot(ctx, Inspect::D1Snapshot { db: db.clone() });
                let exchange = attempt(ctx, *id, write);
                let after = snapshot(ctx, Inspect::D1Snapshot { db: db.clone() });
                let verdict = match (before, after) {
                    (Ok(b), Ok(a)) if a != b => {
                        writes += 1;
                        Err("it CHANGED the database".to_owned())
                    }
                    (Ok(_), Ok(_)) => mcp::is_tool_refusal(&exchange),
                    (Err(e), _) | (_, Err(e)) => {
                        Err(format!("cannot read D1 from outside the Worker: {e}"))
                    }
                };
                tally.case(
                    &format!("{:?}", write.sql),
                    &exchange,
                    "an isError result, and D1 unchanged",
                    verdict,
                );
            }
            let _ = ctx.server.inspect(Inspect::D1Reset { db: db.clone() });
        }
        (Err(e), _) | (_, Err(e)) => {
            return Outcome::fail(
                format!("cannot read D1 from outside the Worker: {e}"),
                "Report this to the course maintainers.",
            );
        }
    }
    let attempts = tally.total();
    let mut outcome = tally.outcome(
        format!("all {attempts} write attempts refused; D1 unchanged"),
        "Checking that the SQL starts with SELECT is not a boundary. Tokenise it: skip strings, quoted names and comments; allow one statement; refuse every keyword that writes (see the lab README).",
    );
    if writes > 0 {
        outcome.credit = 0.0;
        outcome.message = format!(
            "{writes} of {attempts} write attempts changed the database. {}",
            outcome.message
        );
    }
    outcome
}

fn attempt(ctx: &Context, id: u64, write: &WriteAttempt) -> Exchange {
    mcp::call_tool(ctx, LEGACY, id, "query_data", write.arguments())
}

/// The outcome when the course's data cannot be used: the message names the file.
pub(crate) fn cannot_load(why: String) -> Outcome {
    Outcome::fail(
        format!("the course's cases cannot be used: {why}"),
        "Report this to the course maintainers.",
    )
}

fn snapshot(ctx: &mut Context, inspection: Inspect) -> Result<Value, String> {
    ctx.server.inspect(inspection).map_err(|e| format!("{e:#}"))
}

/// What a bad request must get (`expect` in `cases.toml`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Expect {
    /// `error = { codes, statuses }`: a JSON-RPC error with one of these codes, under one of
    /// these HTTP statuses.
    Error {
        /// JSON-RPC error codes, any of which passes.
        codes: Vec<i64>,
        /// HTTP statuses, any of which passes.
        statuses: Vec<u16>,
    },
    /// `tool_refusal = true`: a refused tool call: `isError: true`, or -32602.
    ToolRefusal(True),
    /// `statuses = [...]`: one of these HTTP statuses, whatever the body.
    #[serde(rename = "statuses")]
    Status(Vec<u16>),
}

/// The only value `tool_refusal` takes.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(try_from = "bool")]
pub struct True;

impl TryFrom<bool> for True {
    type Error = &'static str;
    fn try_from(value: bool) -> Result<Self, Self::Error> {
        if value {
            Ok(True)
        } else {
            Err("`tool_refusal` can only be true")
        }
    }
}

impl Expect {
    fn describe(&self) -> String {
        match self {
            Expect::Error { codes, statuses } => format!(
                "HTTP {} with JSON-RPC error {}",
                mcp::join(statuses),
                codes
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
            Expect::ToolRefusal(True) => {
                "a tool result with isError: true (or error -32602)".into()
            }
            Expect::Status(statuses) => format!("HTTP {}", mcp::join(statuses)),
        }
    }

    fn judge(&self, exchange: &Exchange) -> Result<(), String> {
        match self {
            Expect::Error { codes, statuses } => mcp::is_error(exchange, codes, statuses),
            Expect::ToolRefusal(True) => mcp::is_tool_refusal(exchange),
            Expect::Status(statuses) => match exchange.status() {
                Some(s) if statuses.contains(&s) => Ok(()),
                Some(s) => Err(format!("HTTP {s}")),
                None => Err(exchange.summary()),
            },
        }
    }
}

/// One request of the battery: a name, what to send, what must come back.
struct Case {
    name: String,
    raw: Raw,
    expect: Expect,
}

/// `[[case]]` of `cases.toml`: one bad request of `robustness.bad-input`. What it sends is
/// an HTTP request with exactly one body source: `body`, `body_hex`, `body_parts`,
/// `method` or `tool`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseSpec {
    /// Shown in the report.
    pub name: String,
    /// The HTTP method; POST unless given.
    #[serde(default = "post")]
    pub http_method: String,
    /// A path other than the MCP endpoint.
    #[serde(default)]
    pub path: Option<String>,
    /// The `MCP-Protocol-Version` header, the first of the case's headers; 2025-11-25 unless
    /// given; empty sends none.
    #[serde(default = "legacy")]
    pub protocol_version: String,
    /// More headers, in order, as `[name, value]`; one named like a default replaces it, an
    /// empty value removes it.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// Whether to send the default `Content-Type` and `Accept`; true unless given.
    #[serde(default = "yes")]
    pub default_headers: bool,
    /// The body as text, byte for byte.
    #[serde(default)]
    pub body: Option<String>,
    /// The body as bytes in hex, for bodies that are not UTF-8.
    #[serde(default)]
    pub body_hex: Option<String>,
    /// The body as pieces, each repeated, joined in order.
    #[serde(default)]
    pub body_parts: Option<Vec<Part>>,
    /// A JSON-RPC request of this method, built by the checker with an id it allocates.
    #[serde(default)]
    pub method: Option<String>,
    /// The `params` of `method`; `{}` unless given.
    #[serde(default)]
    pub params: Option<Value>,
    /// A `tools/call` request of this tool, built by the checker with an id it allocates.
    #[serde(default)]
    pub tool: Option<String>,
    /// The `arguments` of `tool`; `{}` unless given.
    #[serde(default)]
    pub arguments: Option<Value>,
    /// String arguments of `tool` too long to write out, added to `arguments`.
    #[serde(default)]
    pub repeated_arguments: BTreeMap<String, Part>,
    /// Whether the `method` or `tool` request is one of 2026-07-28, with `params._meta`.
    #[serde(default)]
    pub modern: bool,
    /// The protocol version in `_meta`; 2026-07-28 unless given.
    #[serde(default)]
    pub meta_version: Option<String>,
    /// `_meta` keys to leave out.
    #[serde(default)]
    pub remove_meta: Vec<String>,
    /// A shell command that prints the body, for the report's `curl` line.
    #[serde(default)]
    pub body_shell: Option<String>,
    /// What must come back.
    pub expect: Expect,
}

/// A piece of a generated body or argument: `text` repeated `times` times.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    /// The text to repeat.
    pub text: String,
    /// How many times; 1 unless given.
    #[serde(default = "once")]
    pub times: usize,
}

impl Part {
    fn expand(parts: &[Part]) -> String {
        parts.iter().map(|p| p.text.repeat(p.times)).collect()
    }
}

fn post() -> String {
    "POST".into()
}

fn legacy() -> String {
    LEGACY.into()
}

fn yes() -> bool {
    true
}

fn once() -> usize {
    1
}

/// The HTTP methods a case may use.
const HTTP_METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

impl CaseSpec {
    /// The request this case sends; `ids` numbers a request the checker builds.
    fn expand(&self, ids: &mut Ids) -> Result<Case, String> {
        let method = HTTP_METHODS
            .iter()
            .find(|m| **m == self.http_method)
            .ok_or_else(|| {
                format!(
                    "http_method {:?} is not one of {}",
                    self.http_method,
                    HTTP_METHODS.join(", ")
                )
            })?;
        let mut raw = Raw::post(self.body(ids)?);
        raw.method = method;
        raw.path = self.path.clone();
        if !self.protocol_version.is_empty() {
            raw = raw.header("MCP-Protocol-Version", &self.protocol_version);
        }
        for (name, value) in &self.headers {
            raw = raw.header(name, value);
        }
        raw.default_headers = self.default_headers;
        raw.body_shell = self.body_shell.clone();
        Ok(Case {
            name: self.name.clone(),
            raw,
            expect: self.expect.clone(),
        })
    }

    fn body(&self, ids: &mut Ids) -> Result<Vec<u8>, String> {
        // Long on purpose: one arm per way cases.toml gives a body, each checked for what would
        // make it unsendable.
        let given = [
            self.body.is_some(),
            self.body_hex.is_some(),
            self.body_parts.is_some(),
            self.method.is_some(),
            self.tool.is_some(),
        ];
        let sources = "body, body_hex, body_parts, method, tool";
        match given.iter().filter(|g| **g).count() {
            1 => {}
            0 => {
                return Err(format!(
                    "nothing to send: give one of {sources} (body = \"\" for an empty body)"
                ))
            }
            _ => return Err(format!("more than one of {sources}")),
        }
        if self.params.is_some() && self.method.is_none() {
            return Err("params goes with method".into());
        }
        if (self.arguments.is_some() || !self.repeated_arguments.is_empty()) && self.tool.is_none()
        {
            return Err("arguments and repeated_arguments go with tool".into());
        }
        if self.modern && self.method.is_none() && self.tool.is_none() {
            return Err("modern goes with method or tool".into());
        }
        if !self.modern && (self.meta_version.is_some() || !self.remove_meta.is_empty()) {
            return Err("meta_version and remove_meta go with modern = true".into());
        }
        if let Some(text) = &self.body {
            return Ok(text.clone().into_bytes());
        }
        if let Some(digits) = &self.body_hex {
            return from_hex(digits);
        }
        if let Some(parts) = &self.body_parts {
            return Ok(Part::expand(parts).into_bytes());
        }
        let (method, params) = match (&self.method, &self.tool) {
            (Some(method), _) => (
                method.as_str(),
                self.params.clone().unwrap_or_else(|| json!({})),
            ),
            (None, Some(tool)) => {
                let mut arguments = self.arguments.clone().unwrap_or_else(|| json!({}));
                if !self.repeated_arguments.is_empty() {
                    let object = arguments
                        .as_object_mut()
                        .ok_or("repeated_arguments need arguments to be a table")?;
                    for (name, part) in &self.repeated_arguments {
                        object.insert(name.clone(), json!(part.text.repeat(part.times)));
                    }
                }
                (
                    "tools/call",
                    json!({ "name": tool, "arguments": arguments }),
                )
            }
            (None, None) => unreachable!("one body source is given"),
        };
        let id = ids.next_id();
        let message = if self.modern {
            if !params.is_object() {
                return Err("a modern request's params must be a table".into());
            }
            let version = self.meta_version.as_deref().unwrap_or(MODERN);
            let mut message = mcp::modern_request(id, method, params, version);
            let meta = message["params"]["_meta"]
                .as_object_mut()
                .expect("modern_request writes _meta");
            for key in &self.remove_meta {
                if meta.remove(key).is_none() {
                    return Err(format!("remove_meta: _meta has no {key:?}"));
                }
            }
            message
        } else {
            mcp::request(id, method, params)
        };
        Ok(message.to_string().into_bytes())
    }
}

/// Bytes from hex digits (whitespace between them is ignored).
fn from_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    hex::decode(&digits).map_err(|e| match e {
        hex::FromHexError::OddLength => format!("body_hex {text:?} has an odd number of digits"),
        _ => format!("body_hex {text:?} is not hex"),
    })
}

/// A barrage of bad requests: each gets the right refusal, and nothing is lost.
pub fn bad_input(ctx: &mut Context) -> Outcome {
    let (Some(db), Some(kv)) = (
        ctx.lab.worker.d1.first().cloned(),
        ctx.lab.worker.kv.first().cloned(),
    ) else {
        return Outcome::fail(
            "the lab manifest declares no D1 or KV binding",
            "Report this to the course maintainers.",
        );
    };
    let battery = match Cases::of(ctx.lab).and_then(|cases| cases.battery(ctx.client)) {
        Ok(battery) => battery,
        Err(e) => return cannot_load(e),
    };
    let d1_before = snapshot(ctx, Inspect::D1Snapshot { db: db.clone() });
    let kv_before = snapshot(ctx, Inspect::KvSnapshot { ns: kv.clone() });
    let mut tally = Tally::default();
    for case in battery {
        let sent_id = request_id(&case.raw.body);
        let exchange = ctx.client.send(case.raw);
        let verdict = case
            .expect
            .judge(&exchange)
            .and_then(|()| echoes_id(sent_id.as_ref(), &exchange));
        tally.case(&case.name, &exchange, &case.expect.describe(), verdict);
    }
    let sent = tally.total();
    // Still serving after all that?
    let alive_id = ctx.client.ids(999).next_id();
    let alive = mcp::send_legacy(
        ctx,
        LEGACY,
        &mcp::request(alive_id, "tools/list", json!({})),
    );
    tally.case(
        "still serving afterwards",
        &alive,
        "a tools/list result",
        mcp::result_of(&alive, &json!(alive_id)).map(drop),
    );
    let d1_after = snapshot(ctx, Inspect::D1Snapshot { db: db.clone() });
    let kv_after = snapshot(ctx, Inspect::KvSnapshot { ns: kv.clone() });
    tally.fact("D1 unchanged", unchanged(d1_before, d1_after));
    tally.fact("KV unchanged", unchanged(kv_before, kv_after));
    tally.outcome(
        format!("{sent} bad requests each got the right refusal; the server kept serving; D1 and KV unchanged"),
        "Validate before acting: parse errors -32700 (400), invalid requests -32600, unknown methods -32601, bad params -32602, bad tool arguments isError: true; HTTP gates (415, 413, 400, 403, 405, 404) before any of that.",
    )
}

/// The id of a request body that has one a server can read: a JSON object whose `id` is a
/// string or a number. (A body that does not parse, or an id of another type, leaves the
/// server no id to echo: JSON-RPC 2.0 § 5 then wants `null`.)
fn request_id(body: &[u8]) -> Option<Value> {
    let message: Value = serde_json::from_slice(body).ok()?;
    message
        .get("id")
        .filter(|id| id.is_string() || id.is_number())
        .cloned()
}

/// JSON-RPC 2.0 § 5: an error answering a request whose id the server could read carries that
/// id. Checked on every JSON-RPC error a case gets back, whatever else it expects.
fn echoes_id(sent: Option<&Value>, exchange: &Exchange) -> Result<(), String> {
    let (Some(sent), Some(reply)) = (sent, exchange.json()) else {
        return Ok(());
    };
    if reply.get("error").is_none() || reply.get("id") == Some(sent) {
        return Ok(());
    }
    Err(format!(
        "the error's id is {}, not the request's {sent} (JSON-RPC 2.0 § 5: the same id as the request)",
        reply.get("id").map_or("missing".to_owned(), Value::to_string)
    ))
}

fn unchanged(before: Result<Value, String>, after: Result<Value, String>) -> Result<(), String> {
    match (before, after) {
        (Ok(b), Ok(a)) if a == b => Ok(()),
        (Ok(_), Ok(_)) => Err("the data changed during the battery".into()),
        (Err(e), _) | (_, Err(e)) => Err(format!("cannot read it from outside the Worker: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_must_echo_a_readable_request_id() {
        assert_eq!(request_id(br#"{"id":7,"method":"x"}"#), Some(json!(7)));
        assert_eq!(request_id(br#"{"id":"a"}"#), Some(json!("a")));
        assert_eq!(
            request_id(br#"{"id":[1]}"#),
            None,
            "not an id a server can echo"
        );
        assert_eq!(request_id(br#"{"id":1"#), None, "does not parse");
        assert_eq!(request_id(br#"[{"id":1}]"#), None, "a batch has no one id");
    }

    fn lab4_cases() -> Cases {
        let lab = crate::course::find(&crate::course::root(), "lab-4").expect("lab 4");
        Cases::of(&lab).unwrap_or_else(|e| panic!("{e}"))
    }

    fn offline_client() -> Client {
        Client::new("http://127.0.0.1:9", "/mcp")
    }

    #[test]
    fn the_battery_and_the_write_attempts_are_as_large_as_promised() {
        let cases = lab4_cases();
        let battery = cases.battery(&offline_client()).unwrap();
        assert!(battery.len() >= 50, "{}", battery.len());
        assert!(cases.write_attempts.len() >= 20);
    }

    /// Writes `text` as a cases file in a scratch directory and loads its battery.
    fn load(text: &str) -> (tempfile::TempDir, String, Result<usize, String>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CASES_FILE);
        std::fs::write(&path, text).unwrap();
        let loaded = Cases::read(&path)
            .and_then(|cases| cases.battery(&offline_client()))
            .map(|battery| battery.len());
        (dir, path.display().to_string(), loaded)
    }

    #[test]
    fn a_missing_or_invalid_file_fails_the_check_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CASES_FILE);
        let outcome = cannot_load(Cases::read(&path).unwrap_err());
        assert_eq!(outcome.credit, 0.0);
        assert!(
            outcome.message.contains(&path.display().to_string()),
            "{}",
            outcome.message
        );
        let attempt = "[[write_attempt]]\nsql = \"VACUUM\"\n";
        let statuses = "expect = { statuses = [400] }";
        for (fields, why) in [
            (&["body = \"\"", statuses, "surprise = 1"][..], "surprise"),
            (
                &["body = \"\"", "expect = { statuses = [400], codes = [1] }"],
                "exactly 1 element",
            ),
            (
                &["body = \"\"", "expect = { tool_refusal = false }"],
                "can only be true",
            ),
            (&[statuses], "nothing to send"),
            (
                &["body = \"\"", "method = \"ping\"", statuses],
                "more than one",
            ),
            (&["body_hex = \"7g\"", statuses], "not hex"),
            (&["body = \"\"", "http_method = \"BREW\"", statuses], "BREW"),
            (
                &[
                    "modern = true",
                    "method = \"ping\"",
                    "remove_meta = [\"nope\"]",
                    statuses,
                ],
                "nope",
            ),
        ] {
            let case = format!("[[case]]\nname = \"x\"\n{}\n", fields.join("\n"));
            let (_dir, path, loaded) = load(&format!("{case}{attempt}"));
            let e = loaded.unwrap_err();
            assert!(e.contains(&path) && e.contains(why), "{e}");
        }
        let (_dir, _, loaded) = load(&format!(
            "[[case]]\nname = \"x\"\nbody = \"\"\n{statuses}\n"
        ));
        assert!(loaded.unwrap_err().contains("write_attempt"));
    }

    /// The golden record of every request the two checks send from `cases.toml`.
    const GOLDEN: &str = "src/checks/testdata/lab-4-cases.json";
    /// Set to write the golden record from the data file instead of comparing with it.
    const UPDATE_GOLDEN: &str = "CHECKER_UPDATE_GOLDEN";
    /// Bodies longer than this are recorded by size, hash and start.
    const GOLDEN_BODY_LIMIT: usize = 4096;

    /// One request of the battery as the golden record shows it: everything that goes on
    /// the wire, and the expectation as the report words it. The client's own version in
    /// `clientInfo` is a placeholder, so a version bump does not change the record.
    fn golden_case(name: &str, raw: &Raw, expect: String) -> Value {
        use sha2::{Digest, Sha256};
        let client_info = mcp::client_info().to_string();
        let placeholder = client_info.replace(env!("CARGO_PKG_VERSION"), "<CARGO_PKG_VERSION>");
        let mut case = json!({
            "name": name,
            "http_method": raw.method,
            "path": raw.path,
            "headers": raw.headers,
            "default_headers": raw.default_headers,
            "body_shell": raw.body_shell,
            "expect": expect,
        });
        match std::str::from_utf8(&raw.body) {
            Ok(text) if text.len() <= GOLDEN_BODY_LIMIT => {
                case["body"] = json!(text.replace(&client_info, &placeholder));
            }
            Ok(text) => {
                case["body_bytes"] = json!(raw.body.len());
                case["body_sha256"] = json!(format!("{:x}", Sha256::digest(&raw.body)));
                case["body_starts"] = json!(text.chars().take(200).collect::<String>());
            }
            Err(_) => {
                case["body_hex"] = json!(hex::encode(&raw.body));
            }
        }
        case
    }

    fn golden(battery: Vec<Value>, control: u64, attempts: Vec<(u64, String, Value)>) -> Value {
        let attempts: Vec<Value> = attempts
            .into_iter()
            .map(|(id, name, arguments)| json!({ "id": id, "name": name, "arguments": arguments }))
            .collect();
        json!({
            "robustness.bad-input": battery,
            "robustness.sql-read-only": { "control_id": control, "write_attempts": attempts },
        })
    }

    /// What the data file sends, as the golden record shows it.
    fn golden_of_the_data_file() -> Value {
        let client = offline_client();
        let cases = lab4_cases();
        let battery = cases.battery(&client).unwrap();
        let (control, attempts) = cases.numbered(&client);
        golden(
            battery
                .iter()
                .map(|c| golden_case(&c.name, &c.raw, c.expect.describe()))
                .collect(),
            control,
            attempts
                .iter()
                .map(|(id, w)| (*id, format!("{:?}", w.sql), w.arguments()))
                .collect(),
        )
    }

    /// Every request of `robustness.bad-input` and `robustness.sql-read-only` — name, HTTP
    /// method, path, headers in order, body bytes, reproduce line, expectation, JSON-RPC ids —
    /// is the one the golden record holds. The record was made from the Rust battery the
    /// data file replaced (as of commit 1b5a965; its copy was compared with the record in
    /// this test module until the record was committed), so reports stay what they were. After a
    /// deliberate change to `cases.toml`: `CHECKER_UPDATE_GOLDEN=1 cargo test -p checker
    /// --lib robustness`, and review the record's diff.
    #[test]
    fn the_data_file_sends_what_the_golden_record_holds() {
        let actual = golden_of_the_data_file();
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(GOLDEN);
        let text = serde_json::to_string_pretty(&actual).unwrap() + "\n";
        if std::env::var_os(UPDATE_GOLDEN).is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            return;
        }
        let recorded = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let recorded: Value = serde_json::from_str(&recorded).unwrap();
        let (new, old) = (
            &actual["robustness.bad-input"],
            &recorded["robustness.bad-input"],
        );
        for (n, (new, old)) in new
            .as_array()
            .unwrap()
            .iter()
            .zip(old.as_array().unwrap())
            .enumerate()
        {
            assert_eq!(new, old, "case {n} differs from {GOLDEN}");
        }
        assert_eq!(
            actual, recorded,
            "the requests differ from {GOLDEN} ({UPDATE_GOLDEN}=1 rewrites it)"
        );
    }
}
