//! The stateless 2026-07-28 revision: `server/discover`, per-request `_meta`, the mirrored
//! request headers and the errors that guard them.

use serde_json::{json, Value};

use super::expect_valid_result;
use super::probes::{self, Modern};
use crate::checks::mcp::{
    self, Tally, HEADER_MISMATCH, METHOD_NOT_FOUND, MODERN, UNSUPPORTED_VERSION,
};
use crate::checks::{Context, Outcome};
use crate::mcp_client::Raw;

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

    tally.outcome(
        "served statelessly: no initialize needed, results carry resultType (and ttlMs/cacheScope on lists)",
        "A request whose params._meta names 2026-07-28 is served on its own; add resultType: \"complete\" to every result, ttlMs and cacheScope to tools/list, and answer unknown methods with 404 + -32601.",
    )
}

/// A request whose headers disagree with its body: name, body, headers sent.
type MismatchCase<'a> = (&'a str, &'a Value, Vec<(&'a str, &'a str)>);

/// Headers and body must agree; unsupported versions are refused with the supported list. The
/// tool call whose `Mcp-Name` disagrees is `[modern]` of the lab's `cases.toml`.
pub fn header_validation(ctx: &mut Context) -> Outcome {
    // Long on purpose: one tally case per header rule of 2026-07-28 (Mcp-Method, Mcp-Name, the
    // version header), each its own request: kept together so the rules read as one list.
    let mut tally = Tally::default();
    let list = mcp::modern_request(120, "tools/list", json!({}), MODERN);
    let probe: Modern = match probes::section(ctx.lab, "[modern]", |cases| cases.modern) {
        Ok(probe) => probe,
        Err(outcome) => return *outcome,
    };
    let call = mcp::modern_request(
        121,
        "tools/call",
        json!({ "name": probe.mismatch_tool, "arguments": probe.mismatch_arguments }),
        MODERN,
    );
    let send = |message: &Value, headers: &[(&str, &str)]| {
        let mut raw = Raw::post(message.to_string());
        for (k, v) in headers {
            raw = raw.header(k, v);
        }
        ctx.client.send(raw)
    };

    let unknown = mcp::modern_request(122, "tools/list", json!({}), "2099-01-01");
    let exchange = send(
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

    let cases: [MismatchCase; 5] = [
        (
            "MCP-Protocol-Version differs from _meta",
            &list,
            vec![
                ("MCP-Protocol-Version", "2025-11-25"),
                ("Mcp-Method", "tools/list"),
            ],
        ),
        (
            "MCP-Protocol-Version missing",
            &list,
            vec![("Mcp-Method", "tools/list")],
        ),
        (
            "Mcp-Method missing",
            &list,
            vec![("MCP-Protocol-Version", MODERN)],
        ),
        (
            "Mcp-Method differs from the body",
            &list,
            vec![
                ("MCP-Protocol-Version", MODERN),
                ("Mcp-Method", "tools/call"),
            ],
        ),
        (
            "Mcp-Name differs from params.name",
            &call,
            vec![
                ("MCP-Protocol-Version", MODERN),
                ("Mcp-Method", "tools/call"),
                ("Mcp-Name", probe.mismatch_name.as_str()),
            ],
        ),
    ];
    for (name, message, headers) in cases {
        let exchange = send(message, &headers);
        let verdict = mcp::is_error(&exchange, &[HEADER_MISMATCH], &[400]);
        tally.case(
            name,
            &exchange,
            "HTTP 400 with error -32020 (HeaderMismatch)",
            verdict,
        );
    }

    tally.outcome(
        "mismatched or missing headers get 400 + -32020; an unknown version gets 400 + -32022 listing the supported ones",
        "Compare MCP-Protocol-Version with params._meta, Mcp-Method with method and Mcp-Name with params.name before doing anything else.",
    )
}
