//! The stateless 2026-07-28 revision: `server/discover`, per-request `_meta`, the mirrored
//! request headers and the errors that guard them.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use serde_json::{json, Value};

use super::expect_valid_result;
use super::probes::{self, Modern};
use crate::checks::mcp::{
    self, Tally, HEADER_MISMATCH, INVALID_PARAMS, META_VERSION, METHOD_NOT_FOUND, MODERN,
    UNSUPPORTED_VERSION,
};
use crate::checks::{Context, Outcome};
use crate::mcp_client::{Exchange, Raw};

/// `server/discover` advertises the versions and capabilities.
pub fn discover(ctx: &mut Context) -> Outcome {
    let message = mcp::modern_request(100, "server/discover", json!({}), MODERN);
    let exchange = mcp::send_modern(ctx, &message);
    let body = match expect_valid_result(
        ctx,
        &exchange,
        100,
        "server/discover",
        MODERN,
        "DiscoverResult",
    ) {
        Ok(body) => body,
        Err(outcome) => return *outcome,
    };
    let result = &body["result"];
    let versions: Vec<&str> = result["supportedVersions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if !versions.contains(&MODERN) {
        return Outcome::fail(
            format!("supportedVersions is {versions:?}, without {MODERN}"),
            "List every revision you serve, newest first, in supportedVersions.",
        )
        .with_evidence(Some(
            exchange.evidence_expecting(format!("supportedVersions containing {MODERN}")),
        ));
    }
    if result["capabilities"].get("tools").is_none() {
        return Outcome::fail(
            "capabilities has no `tools` entry, so clients will not look for tools",
            "Advertise {\"tools\": {}} (or with listChanged) in capabilities.",
        )
        .with_evidence(Some(
            exchange.evidence_expecting("capabilities.tools present"),
        ));
    }
    Outcome::pass(format!(
        "a valid DiscoverResult; supportedVersions {}",
        versions.join(", ")
    ))
}

/// Requests with `_meta` and no handshake are served, with the modern result fields; the tool
/// called is `[modern]` of the lab's `cases.toml`.
pub fn stateless_requests(ctx: &mut Context) -> Outcome {
    let call = match probes::section(ctx.lab, "[modern]", |cases| cases.modern) {
        Ok(probe) => json!({ "name": probe.call_tool, "arguments": probe.call_arguments }),
        Err(outcome) => return *outcome,
    };
    let mut tally = Tally::default();
    let message = mcp::modern_request(110, "tools/list", json!({}), MODERN);
    let exchange = mcp::send_modern(ctx, &message);
    let verdict = expect_valid_result(ctx, &exchange, 110, "tools/list", MODERN, "ListToolsResult")
        .map(drop)
        .map_err(|o| o.message);
    tally.case(
        "tools/list",
        &exchange,
        "a ListToolsResult with resultType, ttlMs and cacheScope",
        verdict,
    );

    let message = mcp::modern_request(111, "tools/call", call, MODERN);
    let exchange = mcp::send_modern(ctx, &message);
    let verdict = expect_valid_result(ctx, &exchange, 111, "tools/call", MODERN, "CallToolResult")
        .and_then(|body| {
            if body["result"]["isError"] == json!(true) {
                Err(Box::new(Outcome::fail(
                    format!("the tool failed: {}", body["result"]["content"]),
                    "",
                )))
            } else {
                Ok(())
            }
        })
        .map_err(|o| o.message);
    tally.case(
        "tools/call",
        &exchange,
        "a CallToolResult with resultType \"complete\"",
        verdict,
    );

    // A legacy-only method does not exist in the stateless revision.
    let message = mcp::modern_request(112, "ping", json!({}), MODERN);
    let exchange = mcp::send_modern(ctx, &message);
    let verdict = mcp::is_error(&exchange, &[METHOD_NOT_FOUND], &[404]);
    tally.case(
        "ping (removed in 2026-07-28)",
        &exchange,
        "HTTP 404 with error -32601",
        verdict,
    );
    missing_meta_cases(ctx, &mut tally);

    tally.outcome(
        "served statelessly: no initialize needed, results carry resultType (and ttlMs/cacheScope on lists); a request without its _meta version gets 400 + -32602",
        "A request whose params._meta names 2026-07-28 is served on its own; add resultType: \"complete\" to every result, ttlMs and cacheScope to tools/list, and answer unknown methods with 404 + -32601. A request whose MCP-Protocol-Version header names 2026-07-28 but whose params._meta (or its io.modelcontextprotocol/protocolVersion) is missing is malformed: 400 + -32602 Invalid params (2026-07-28 § Basic, _meta, per-request protocol fields), not -32020.",
    )
}

/// A 2026-07-28 `tools/list` whose headers are right but whose body lacks a required `_meta`
/// field (2026-07-28 § Basic, General fields, `_meta`): malformed, so 400 + -32602 Invalid
/// params, not -32020 (there is no body value for the header to disagree with).
fn missing_meta_cases(ctx: &Context, tally: &mut Tally) {
    let without_meta = mcp::request(113, "tools/list", json!({}));
    let mut without_version = mcp::modern_request(114, "tools/list", json!({}), MODERN);
    if let Some(meta) = without_version["params"]["_meta"].as_object_mut() {
        meta.remove(META_VERSION);
    }
    let cases = [
        ("params._meta missing", without_meta),
        (
            "_meta without io.modelcontextprotocol/protocolVersion",
            without_version,
        ),
    ];
    for (name, message) in cases {
        let exchange = send_with(
            ctx,
            &message,
            &[
                ("MCP-Protocol-Version", MODERN),
                ("Mcp-Method", "tools/list"),
            ],
        );
        let verdict = mcp::is_error(&exchange, &[INVALID_PARAMS], &[400]);
        tally.case(
            name,
            &exchange,
            "HTTP 400 with error -32602 (Invalid params)",
            verdict,
        );
    }
}

/// Sends `message` with exactly these headers (besides the content type and accept ones).
fn send_with(ctx: &Context, message: &Value, headers: &[(&str, &str)]) -> Exchange {
    let mut raw = Raw::post(message.to_string());
    for (k, v) in headers {
        raw = raw.header(k, v);
    }
    ctx.client.send(raw)
}

/// The Base64 sentinel form of a mirrored header value (2026-07-28 § Streamable HTTP, Value
/// Encoding): `=?base64?{Base64 of the UTF-8}?=`.
fn base64_sentinel(value: &str) -> String {
    format!("=?base64?{}?=", STANDARD.encode(value))
}

/// A sentinel whose inside is not Base64: the server cannot decode it, so it is a mismatch.
const MALFORMED_SENTINEL: &str = "=?base64?not*base64!?=";

/// A request whose headers disagree with its body: name, body, headers sent.
type MismatchCase<'a> = (&'a str, &'a Value, Vec<(&'a str, &'a str)>);

/// What refusing a mismatched request proves, besides the rule it breaks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Proves {
    /// Nothing more.
    Rule,
    /// That the server compares headers with the body at all (a plainly different
    /// `Mcp-Method` or `Mcp-Name`): the accepted cases count only then.
    Validation,
    /// Nothing, unless the server also decodes: a server that never decodes refuses any
    /// sentinel, so these count only when the sentinel of the right name is served.
    Decoding,
}

/// A mismatch case whose verdict waits for the accepted cases (see [`Proves::Decoding`]).
struct Deferred {
    name: String,
    exchange: Exchange,
    verdict: Result<(), String>,
}

/// Headers and body must agree; unsupported versions are refused with the supported list;
/// header values are read without the whitespace around them and with Base64 sentinels
/// decoded. The tool calls are `[modern]` of the lab's `cases.toml`.
pub fn header_validation(ctx: &mut Context) -> Outcome {
    let probe: Modern = match probes::section(ctx.lab, "[modern]", |cases| cases.modern) {
        Ok(probe) => probe,
        Err(outcome) => return *outcome,
    };
    let mut tally = Tally::default();
    unsupported_version_case(ctx, &mut tally);
    let (validates, deferred) = mismatch_cases(ctx, &mut tally, &probe);
    let decodes = accepted_cases(ctx, &mut tally, &probe, validates);
    for case in deferred {
        let verdict = case.verdict.and_then(|()| {
            if decodes {
                Ok(())
            } else {
                Err("refused, but so is the Base64 sentinel of the right name (below): a server that never decodes refuses this too".to_owned())
            }
        });
        tally.case(
            &case.name,
            &case.exchange,
            "HTTP 400 with error -32020 (HeaderMismatch)",
            verdict,
        );
    }
    tally.outcome(
        "mismatched, missing or undecodable headers get 400 + -32020; an unknown version gets 400 + -32022 listing the supported ones; whitespace around a value and Base64-encoded names are accepted",
        "Compare MCP-Protocol-Version with params._meta (before judging the version), Mcp-Method with method and Mcp-Name with params.name before doing anything else. Read each value without the spaces and tabs around it (RFC 9110 § 5.5), and decode an Mcp-Name of the form =?base64?…?= before comparing (2026-07-28 § Streamable HTTP, Value Encoding); one that does not decode is -32020.",
    )
}

/// Body and header both name 2099-01-01: not a mismatch, a version the server does not speak.
fn unsupported_version_case(ctx: &Context, tally: &mut Tally) {
    let unknown = mcp::modern_request(122, "tools/list", json!({}), "2099-01-01");
    let exchange = send_with(
        ctx,
        &unknown,
        &[
            ("MCP-Protocol-Version", "2099-01-01"),
            ("Mcp-Method", "tools/list"),
        ],
    );
    let verdict = mcp::is_error(&exchange, &[UNSUPPORTED_VERSION], &[400]).and_then(|()| {
        let data = exchange
            .json()
            .map(|b| b["error"]["data"].clone())
            .unwrap_or_default();
        let supported = data["supported"].as_array().cloned().unwrap_or_default();
        if data["requested"] != "2099-01-01" {
            Err(format!("error.data.requested is {}", data["requested"]))
        } else if !supported.contains(&json!(MODERN)) {
            Err(format!(
                "error.data.supported {} lacks {MODERN}",
                data["supported"]
            ))
        } else {
            Ok(())
        }
    });
    tally.case(
        "unsupported version",
        &exchange,
        "HTTP 400, error -32022 with data.requested and data.supported",
        verdict,
    );
}

/// Each header rule broken once: 400 + -32020 (HeaderMismatch). Returns whether the server
/// refused a plainly different `Mcp-Method` and `Mcp-Name` (only then do the accepted cases
/// prove anything), and the Base64 cases, whose verdict waits for the accepted ones.
fn mismatch_cases(ctx: &Context, tally: &mut Tally, probe: &Modern) -> (bool, Vec<Deferred>) {
    let list = mcp::modern_request(120, "tools/list", json!({}), MODERN);
    let call = mcp::modern_request(
        121,
        "tools/call",
        json!({ "name": probe.mismatch_tool, "arguments": probe.mismatch_arguments }),
        MODERN,
    );
    let encoded_mismatch = base64_sentinel(&probe.mismatch_name);
    let cases: [(MismatchCase, Proves); 8] = [
        (
            (
            "MCP-Protocol-Version differs from _meta",
            &list,
            vec![
                ("MCP-Protocol-Version", "2025-11-25"),
                ("Mcp-Method", "tools/list"),
            ],
        ),
            Proves::Rule,
        ),
        (
            (
            "MCP-Protocol-Version 2099-01-01 with a 2026-07-28 body (a mismatch before an unknown version)",
            &list,
            vec![
                ("MCP-Protocol-Version", "2099-01-01"),
                ("Mcp-Method", "tools/list"),
            ],
        ),
            Proves::Rule,
        ),
        (
            (
            "MCP-Protocol-Version missing",
            &list,
            vec![("Mcp-Method", "tools/list")],
        ),
            Proves::Rule,
        ),
        (
            (
            "Mcp-Method missing",
            &list,
            vec![("MCP-Protocol-Version", MODERN)],
        ),
            Proves::Rule,
        ),
        (
            (
            "Mcp-Method differs from the body",
            &list,
            vec![
                ("MCP-Protocol-Version", MODERN),
                ("Mcp-Method", "tools/call"),
            ],
        ),
            Proves::Validation,
        ),
        (
            (
            "Mcp-Name differs from params.name",
            &call,
            vec![
                ("MCP-Protocol-Version", MODERN),
                ("Mcp-Method", "tools/call"),
                ("Mcp-Name", probe.mismatch_name.as_str()),
            ],
        ),
            Proves::Validation,
        ),
        (
            (
            "Mcp-Name Base64-encodes another name than params.name",
            &call,
            vec![
                ("MCP-Protocol-Version", MODERN),
                ("Mcp-Method", "tools/call"),
                ("Mcp-Name", encoded_mismatch.as_str()),
            ],
        ),
            Proves::Decoding,
        ),
        (
            (
            "Mcp-Name a malformed Base64 sentinel",
            &call,
            vec![
                ("MCP-Protocol-Version", MODERN),
                ("Mcp-Method", "tools/call"),
                ("Mcp-Name", MALFORMED_SENTINEL),
            ],
        ),
            Proves::Decoding,
        ),
    ];
    let mut validates = true;
    let mut deferred = Vec::new();
    for ((name, message, headers), proves) in cases {
        let exchange = send_with(ctx, message, &headers);
        let verdict = mcp::is_error(&exchange, &[HEADER_MISMATCH], &[400]);
        match proves {
            Proves::Decoding => {
                deferred.push(Deferred {
                    name: name.to_owned(),
                    exchange,
                    verdict,
                });
                continue;
            }
            Proves::Validation => validates &= verdict.is_ok(),
            Proves::Rule => {}
        }
        tally.case(
            name,
            &exchange,
            "HTTP 400 with error -32020 (HeaderMismatch)",
            verdict,
        );
    }
    (validates, deferred)
}

/// Header values the server must read as the body's: whitespace around them is not part of
/// the value (RFC 9110 § 5.5), and a Base64 sentinel stands for the text it encodes. Each
/// request must be served (HTTP 200, a result that is not an error), by a server that
/// `validates` the headers at all: serving them proves nothing otherwise. Returns whether the
/// Base64 sentinel of the right name was served (the server decodes).
fn accepted_cases(ctx: &Context, tally: &mut Tally, probe: &Modern, validates: bool) -> bool {
    let call = |id: u64| {
        mcp::modern_request(
            id,
            "tools/call",
            json!({ "name": probe.call_tool, "arguments": probe.call_arguments }),
            MODERN,
        )
    };
    let list = mcp::modern_request(123, "tools/list", json!({}), MODERN);
    let (spaced_call, encoded_call) = (call(124), call(125));
    let spaced_name = format!("{}  ", probe.call_tool);
    let encoded_name = base64_sentinel(&probe.call_tool);
    let cases: [MismatchCase; 3] = [
        (
            "Mcp-Method with whitespace around it",
            &list,
            vec![
                ("MCP-Protocol-Version", MODERN),
                ("Mcp-Method", "  tools/list "),
            ],
        ),
        (
            "Mcp-Name with trailing whitespace",
            &spaced_call,
            vec![
                ("MCP-Protocol-Version", MODERN),
                ("Mcp-Method", "tools/call"),
                ("Mcp-Name", spaced_name.as_str()),
            ],
        ),
        (
            DECODED_CASE,
            &encoded_call,
            vec![
                ("MCP-Protocol-Version", MODERN),
                ("Mcp-Method", "tools/call"),
                ("Mcp-Name", encoded_name.as_str()),
            ],
        ),
    ];
    let mut decodes = false;
    for (name, message, headers) in cases {
        let exchange = send_with(ctx, message, &headers);
        let was_served = served(&exchange, &message["id"]);
        if name == DECODED_CASE {
            decodes = was_served.is_ok();
        }
        let verdict = if validates {
            was_served
        } else {
            Err("served, but so is a plainly different Mcp-Method or Mcp-Name (above): accepting this proves nothing until those are refused".to_owned())
        };
        tally.case(
            name,
            &exchange,
            "HTTP 200 with a result (the header, read as RFC 9110 and the Value Encoding rules say, matches the body)",
            verdict,
        );
    }
    decodes
}

/// The accepted case that shows the server decodes Base64 sentinels.
const DECODED_CASE: &str = "Mcp-Name as a Base64 sentinel of params.name";

/// A successful reply to `id` whose result is not a tool error.
fn served(exchange: &Exchange, id: &Value) -> Result<(), String> {
    let result = mcp::result_of(exchange, id)?;
    if result["isError"] == json!(true) {
        return Err(format!("the tool failed: {}", result["content"]));
    }
    Ok(())
}
