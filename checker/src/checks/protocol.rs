//! MCP protocol checks: real requests to the running Worker, replies judged by the spec
//! and validated against the official schema of the revision in use.

use serde_json::{json, Value};

use super::{Check, Context, Outcome};
use crate::mcp_client::Exchange;
use crate::report::Category;

/// The revision the checks speak when a request needs one: the newest with `initialize`.
const CLIENT_REVISION: &str = "2025-11-25";
const DOC: &str = "labs/lab-4-full-server.md";

pub fn all() -> Vec<Box<dyn Check>> {
    vec![
        Box::new(Initialize),
        Box::new(VersionNegotiation),
        Box::new(ToolsList),
        Box::new(KvRoundTrip),
    ]
}

fn initialize_request(id: u64, version: &str) -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": id,
        "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": { "name": "course-checker", "version": env!("CARGO_PKG_VERSION") }
        }
    })
}

/// The reply's JSON when it is a successful JSON-RPC response to request `id`, or the
/// failed outcome that explains what came back instead.
fn expect_result(exchange: &Exchange, id: u64, what: &str) -> Result<Value, Box<Outcome>> {
    let fail = |message: String, hint: &str| {
        Err(Box::new(
            Outcome::fail(message, hint).with_evidence(Some(exchange.evidence())),
        ))
    };
    let reply = match &exchange.outcome {
        Ok(reply) => reply,
        Err(e) => {
            return fail(
                format!("{what}: no reply ({e})"),
                "The Worker must answer every request; look at its output above for a panic.",
            )
        }
    };
    if reply.status != 200 {
        return fail(
            format!("{what}: HTTP {} instead of 200", reply.status),
            "A JSON-RPC request gets HTTP 200 with a JSON body (Streamable HTTP, sending messages).",
        );
    }
    let Some(body) = reply.json.clone() else {
        return fail(
            format!("{what}: the body is not JSON"),
            "Answer with `Content-Type: application/json` and a JSON-RPC response object.",
        );
    };
    if body.get("id") != Some(&json!(id)) {
        return fail(
            format!(
                "{what}: the reply's id is {} but the request's was {id}",
                body.get("id").unwrap_or(&Value::Null)
            ),
            "A response carries the id of the request it answers (JSON-RPC 2.0 § 5).",
        );
    }
    if let Some(error) = body.get("error") {
        return fail(
            format!("{what}: answered with a JSON-RPC error: {error}"),
            "This method must succeed; see the method's section in the spec.",
        );
    }
    Ok(body)
}

fn schema_failure(
    exchange: &Exchange,
    revision: &str,
    definition: &str,
    violations: &[String],
) -> Outcome {
    let shown: Vec<&str> = violations.iter().take(3).map(String::as_str).collect();
    let more = violations.len().saturating_sub(shown.len());
    let mut message = format!(
        "the reply does not match {definition} in the MCP {revision} schema: {}",
        shown.join("; ")
    );
    if more > 0 {
        message.push_str(&format!(" (and {more} more)"));
    }
    Outcome::fail(
        message,
        format!(
            "Compare your reply with `{definition}` in checker/mcp-schema/{revision}/schema.json."
        ),
    )
    .with_evidence(Some(exchange.evidence()))
}

/// The reply's JSON when it is a successful response to request `id` whose result matches
/// `definition` in the `revision` schema; otherwise the failed outcome.
fn expect_valid_result(
    ctx: &mut Context,
    exchange: &Exchange,
    id: u64,
    what: &str,
    revision: &str,
    definition: &str,
) -> Result<Value, Box<Outcome>> {
    let body = expect_result(exchange, id, what)?;
    match ctx.schemas.result_violations(revision, &body, definition) {
        Ok(v) if v.is_empty() => Ok(body),
        Ok(v) => Err(Box::new(schema_failure(exchange, revision, definition, &v))),
        Err(e) => Err(Box::new(cannot_validate(e))),
    }
}

fn cannot_validate(e: anyhow::Error) -> Outcome {
    Outcome::fail(
        format!("cannot validate: {e:#}"),
        "Report this to the course maintainers.",
    )
}

/// `initialize` is answered, and the result validates against the negotiated revision.
struct Initialize;

impl Check for Initialize {
    fn id(&self) -> &'static str {
        "protocol.initialize"
    }
    fn category(&self) -> Category {
        Category::Protocol
    }
    fn title(&self) -> &'static str {
        "initialize returns a result that matches the official MCP schema"
    }
    fn doc(&self) -> &'static str {
        "labs/lab-4-full-server.md#initialize"
    }
    fn spec(&self) -> Option<&'static str> {
        Some("2025-11-25/basic/lifecycle#initialization")
    }

    fn run(&self, ctx: &mut Context) -> Outcome {
        let exchange = ctx
            .client
            .post(&initialize_request(1, CLIENT_REVISION), &[]);
        let body = match expect_result(&exchange, 1, "initialize") {
            Ok(body) => body,
            Err(outcome) => return *outcome,
        };
        let known = ctx.schemas.revisions().unwrap_or_default();
        let negotiated = body["result"]["protocolVersion"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        // Validate against the revision the server chose; an unknown one cannot be checked.
        let revision = if known.contains(&negotiated) {
            negotiated.clone()
        } else {
            CLIENT_REVISION.to_owned()
        };
        let violations = match ctx
            .schemas
            .result_violations(&revision, &body, "InitializeResult")
        {
            Ok(v) => v,
            Err(e) => return cannot_validate(e),
        };
        if !violations.is_empty() {
            return schema_failure(&exchange, &revision, "InitializeResult", &violations);
        }
        if !known.contains(&negotiated) {
            return Outcome::fail(
                format!("initialize answered protocolVersion {negotiated:?}, which is no published MCP revision"),
                format!("Answer with one of: {}.", known.join(", ")),
            )
            .with_evidence(Some(exchange.evidence()));
        }
        Outcome::pass(format!(
            "answered protocolVersion {negotiated}; the result matches the MCP {revision} schema"
        ))
    }
}

/// The server echoes a version it supports and offers its newest otherwise.
struct VersionNegotiation;

/// Revisions that begin with `initialize`: a server for today's clients speaks them all.
const INITIALIZE_REVISIONS: &[&str] = &["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
const UNKNOWN_REVISION: &str = "2099-01-01";

impl Check for VersionNegotiation {
    fn id(&self) -> &'static str {
        "protocol.version-negotiation"
    }
    fn category(&self) -> Category {
        Category::Protocol
    }
    fn title(&self) -> &'static str {
        "initialize echoes each supported protocol version and offers a supported one otherwise"
    }
    fn doc(&self) -> &'static str {
        "labs/lab-4-full-server.md#version-negotiation"
    }
    fn spec(&self) -> Option<&'static str> {
        Some("2025-11-25/basic/lifecycle#version-negotiation")
    }

    fn run(&self, ctx: &mut Context) -> Outcome {
        let mut passed = 0;
        let mut misses = Vec::new();
        let mut first_evidence = None;
        let cases = INITIALIZE_REVISIONS
            .iter()
            .copied()
            .chain([UNKNOWN_REVISION]);
        let total = INITIALIZE_REVISIONS.len() + 1;
        for (n, asked) in cases.enumerate() {
            let id = 10 + n as u64;
            let exchange = ctx.client.post(&initialize_request(id, asked), &[]);
            let answered = match expect_result(&exchange, id, "initialize") {
                Ok(body) => body["result"]["protocolVersion"]
                    .as_str()
                    .map(str::to_owned),
                Err(_) => None,
            };
            let ok = match (&answered, asked) {
                (Some(v), UNKNOWN_REVISION) => INITIALIZE_REVISIONS.contains(&v.as_str()),
                (Some(v), asked) => v == asked,
                (None, _) => false,
            };
            if ok {
                passed += 1;
            } else {
                let got = answered.map_or("no usable reply".to_owned(), |v| format!("got {v}"));
                let wanted = if asked == UNKNOWN_REVISION {
                    "a version the server supports".to_owned()
                } else {
                    asked.to_owned()
                };
                misses.push(format!("asked {asked}, expected {wanted}, {got}"));
                first_evidence.get_or_insert_with(|| exchange.evidence());
            }
        }
        if misses.is_empty() {
            return Outcome::pass(format!("all {total} cases negotiated as the spec says"));
        }
        Outcome {
            credit: passed as f64 / total as f64,
            message: format!("{passed} of {total} cases right: {}", misses.join("; ")),
            hint: Some(
                "If the client's protocolVersion is one you support, answer with it; otherwise answer with the newest you support."
                    .into(),
            ),
            evidence: first_evidence,
            ..Outcome::default()
        }
    }
}

/// `tools/list` returns the lab's tools, valid per the schema.
struct ToolsList;

impl Check for ToolsList {
    fn id(&self) -> &'static str {
        "protocol.tools-list"
    }
    fn category(&self) -> Category {
        Category::Protocol
    }
    fn title(&self) -> &'static str {
        "tools/list lists every tool of the lab with a valid definition"
    }
    fn doc(&self) -> &'static str {
        "labs/lab-4-full-server.md#tools"
    }
    fn spec(&self) -> Option<&'static str> {
        Some("2025-11-25/server/tools#listing-tools")
    }

    fn run(&self, ctx: &mut Context) -> Outcome {
        let request = json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {} });
        let exchange = ctx
            .client
            .post(&request, &[("MCP-Protocol-Version", CLIENT_REVISION)]);
        let body = match expect_valid_result(
            ctx,
            &exchange,
            2,
            "tools/list",
            CLIENT_REVISION,
            "ListToolsResult",
        ) {
            Ok(body) => body,
            Err(outcome) => return *outcome,
        };
        let listed: Vec<&str> = body["result"]["tools"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["name"].as_str())
            .collect();
        let expected = &ctx.spec.tools;
        let missing: Vec<&str> = expected
            .iter()
            .map(String::as_str)
            .filter(|name| !listed.contains(name))
            .collect();
        if missing.is_empty() {
            return Outcome::pass(format!("lists {}", expected.join(", ")));
        }
        let found = expected.len() - missing.len();
        Outcome {
            credit: found as f64 / expected.len().max(1) as f64,
            message: format!(
                "{found} of {} tools listed; missing: {}",
                expected.len(),
                missing.join(", ")
            ),
            hint: Some(format!(
                "Each tool needs a name, a description and an inputSchema; see {DOC}."
            )),
            evidence: Some(exchange.evidence()),
            ..Outcome::default()
        }
    }
}

/// `store_value` really writes to KV (read back from outside the Worker) and `get_value`
/// reads it back through the tool.
struct KvRoundTrip;

const PROBE_KEY: &str = "checker:probe";

impl KvRoundTrip {
    fn call(
        ctx: &mut Context,
        id: u64,
        tool: &str,
        arguments: Value,
    ) -> (Exchange, Result<Value, Box<Outcome>>) {
        let request = json!({
            "jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": { "name": tool, "arguments": arguments }
        });
        let exchange = ctx
            .client
            .post(&request, &[("MCP-Protocol-Version", CLIENT_REVISION)]);
        let what = format!("tools/call {tool}");
        let body =
            expect_valid_result(ctx, &exchange, id, &what, CLIENT_REVISION, "CallToolResult");
        (exchange, body)
    }
}

impl Check for KvRoundTrip {
    fn id(&self) -> &'static str {
        "protocol.tools-call-kv"
    }
    fn category(&self) -> Category {
        Category::Protocol
    }
    fn title(&self) -> &'static str {
        "store_value writes to KV and get_value reads the same value back"
    }
    fn doc(&self) -> &'static str {
        "labs/lab-4-full-server.md#tools"
    }
    fn spec(&self) -> Option<&'static str> {
        Some("2025-11-25/server/tools#calling-tools")
    }

    fn run(&self, ctx: &mut Context) -> Outcome {
        // A fresh value each run, so an old entry cannot pass for this one.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let value = format!("written by the checker, run {nanos}");
        let (exchange, stored) = Self::call(
            ctx,
            30,
            "store_value",
            json!({ "key": PROBE_KEY, "value": value }),
        );
        let body = match stored {
            Ok(body) => body,
            Err(outcome) => return *outcome,
        };
        if body["result"]["isError"] == json!(true) {
            return Outcome::fail(
                format!(
                    "store_value reported an error: {}",
                    body["result"]["content"]
                ),
                "store_value must store the key and value it is given.",
            )
            .with_evidence(Some(exchange.evidence()));
        }
        // Read KV from outside the Worker, through Miniflare's own handle.
        let Some(kv) = ctx.lab.worker.kv.first().cloned() else {
            return Outcome::fail(
                "the lab manifest declares no KV binding",
                "Report this to the course maintainers.",
            );
        };
        match ctx
            .server
            .inspect(json!({ "op": "kv.get", "ns": kv, "key": PROBE_KEY }))
        {
            Ok(Value::String(found)) if found == value => {}
            Ok(found) => {
                return Outcome::fail(
                    format!(
                    "after store_value, KV holds {found} under {PROBE_KEY:?}, not the value sent"
                ),
                    "Write the value with `env.kv(\"KV\")?.put(key, value)?.execute().await`.",
                )
                .with_evidence(Some(exchange.evidence()))
            }
            Err(e) => {
                return Outcome::fail(
                    format!("cannot read KV from outside the Worker: {e:#}"),
                    "Report this to the course maintainers.",
                )
            }
        }
        let (exchange, got) = Self::call(ctx, 31, "get_value", json!({ "key": PROBE_KEY }));
        let body = match got {
            Ok(body) => body,
            Err(outcome) => return *outcome,
        };
        let text = body["result"]["content"][0]["text"]
            .as_str()
            .unwrap_or_default();
        if body["result"]["isError"] == json!(true) || !text.contains(&value) {
            return Outcome {
                credit: 0.5,
                message: "store_value wrote to KV, but get_value did not return the stored value".into(),
                hint: Some("get_value should read the key from KV and return its value in the text content.".into()),
                evidence: Some(exchange.evidence()),
                ..Outcome::default()
            };
        }
        Outcome::pass("the value stored through the tool is in KV and comes back through get_value")
    }
}
