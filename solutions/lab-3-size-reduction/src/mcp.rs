//! MCP methods and version negotiation for a stateless server of the `initialize` era.

use serde_json::{json, Value};

use crate::rpc::{RpcError, INVALID_PARAMS, METHOD_NOT_FOUND};
use crate::tools;

/// Every revision this server speaks, newest first.
pub const SUPPORTED_VERSIONS: [&str; 4] = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// What a client that sends no `MCP-Protocol-Version` header is assumed to speak.
pub const DEFAULT_HEADER_VERSION: &str = "2025-03-26";

const INSTRUCTIONS: &str = "Search the bundled notes on Cloudflare Workers, Rust and WebAssembly with search_docs, read one with get_doc, and get an overview with doc_stats.";

/// The supported revision named `version`, if any.
pub fn supported(version: &str) -> Option<&'static str> {
    SUPPORTED_VERSIONS.into_iter().find(|v| *v == version)
}

/// Version negotiation (lifecycle § version negotiation): echo the client's version when we
/// support it, otherwise offer the newest we support.
pub fn negotiate(requested: &str) -> &'static str {
    supported(requested).unwrap_or(SUPPORTED_VERSIONS[0])
}

/// Handles one request; `version` is the revision the request is served under.
pub fn dispatch(method: &str, params: &Value, version: &str) -> Result<Value, RpcError> {
    match method {
        "initialize" => initialize(params),
        "ping" => Ok(json!({})),
        "tools/list" => Ok(json!({ "tools": tools::list(version) })),
        "tools/call" => tools::call(params, version),
        other => Err((METHOD_NOT_FOUND, format!("method not found: {other}"))),
    }
}

fn initialize(params: &Value) -> Result<Value, RpcError> {
    let Some(requested) = params.get("protocolVersion").and_then(Value::as_str) else {
        return Err((
            INVALID_PARAMS,
            "initialize needs params.protocolVersion (a string)".into(),
        ));
    };
    Ok(json!({
        "protocolVersion": negotiate(requested),
        "capabilities": { "tools": { "listChanged": false } },
        "serverInfo": { "name": "docs-search", "version": "1.0.0" },
        "instructions": INSTRUCTIONS,
    }))
}

/// Replies that must not change while you cut the module down (the checker replays many
/// more, in workerd). They run natively: `cargo test --manifest-path solutions/lab-3-size-reduction/Cargo.toml`.
#[cfg(test)]
mod tests {
    use super::{dispatch, negotiate};
    use serde_json::{json, Value};

    fn call(tool: &str, arguments: Value) -> Value {
        let params = json!({ "name": tool, "arguments": arguments });
        dispatch("tools/call", &params, "2025-11-25").unwrap_or_default()
    }

    #[test]
    fn negotiates_the_version() {
        let reply = dispatch(
            "initialize",
            &json!({ "protocolVersion": "1999-01-01" }),
            "2025-03-26",
        );
        assert_eq!(reply.unwrap_or_default()["protocolVersion"], "2025-11-25");
    }

    #[test]
    fn search_ranks_and_formats() {
        let result = call(
            "search_docs",
            json!({ "query": "wasm-opt size", "limit": 2 }),
        );
        let top = &result["structuredContent"]["results"][0];
        assert_eq!(top["path"], "/size/wasm-opt");
        assert_eq!(top["score"], json!(0.54));
        assert_eq!(top["updated"], "2026-01-25 (Sunday)");
        let text = result["content"][0]["text"].as_str().unwrap_or_default();
        assert!(text.starts_with("20 docs match \"wasm-opt size\"; showing 2:\n"));
        assert!(text.contains("score 0.54 · updated 2026-01-25 (Sunday)"));
    }

    #[test]
    fn stats_and_argument_errors() {
        let stats = call("doc_stats", json!({}));
        assert_eq!(stats["structuredContent"]["averageWords"], json!(89.2));
        let bad = call("get_doc", json!({ "path": "/Size/Profile" }));
        assert_eq!(bad["isError"], true);
    }

    #[test]
    fn negotiation_echoes_or_offers_the_newest() {
        assert_eq!(negotiate("2024-11-05"), "2024-11-05");
        assert_eq!(negotiate("2025-11-25"), "2025-11-25");
        assert_eq!(negotiate("1999-01-01"), "2025-11-25");
    }
}
