//! MCP methods for a stateless server: every request stands alone, so the protocol version
//! comes from `initialize` (for that reply) or from the `MCP-Protocol-Version` header.

use serde_json::{json, Value};
use worker::Env;

use crate::jsonrpc::{self, Incoming, RpcError, METHOD_NOT_FOUND};
use crate::tools;

/// Revisions this server speaks, newest first.
pub const SUPPORTED_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// What a client that sends no `MCP-Protocol-Version` header is assumed to speak
/// (Streamable HTTP, 2025-06-18 "Protocol Version Header").
pub const DEFAULT_HEADER_VERSION: &str = "2025-03-26";

/// Version negotiation (lifecycle § initialization): echo the client's version when we
/// support it, otherwise offer our newest and let the client decide.
pub fn negotiate(requested: Option<&str>) -> &'static str {
    requested
        .and_then(|v| SUPPORTED_VERSIONS.iter().find(|s| **s == v).copied())
        .unwrap_or(SUPPORTED_VERSIONS[0])
}

/// Handles one request or notification; `None` means "no reply" (a notification).
pub async fn dispatch(msg: Incoming, version: &str, env: &Env) -> Option<Value> {
    let Incoming { id, method, params } = msg;
    let outcome = match method.as_str() {
        "initialize" => initialize(&params),
        "ping" => Ok(json!({})),
        "tools/list" => Ok(json!({ "tools": tools::definitions(version) })),
        "tools/call" => tools::call(&params, version, env).await,
        m if m.starts_with("notifications/") => return None,
        other => Err(RpcError::new(
            METHOD_NOT_FOUND,
            format!("method not found: {other}"),
        )),
    };
    let id = id?;
    Some(match outcome {
        Ok(result) => jsonrpc::result(id, result),
        Err(e) => jsonrpc::error(id, e),
    })
}

fn initialize(params: &Value) -> Result<Value, RpcError> {
    let Some(requested) = params.get("protocolVersion").and_then(Value::as_str) else {
        return Err(RpcError::invalid_params(
            "initialize needs params.protocolVersion (a string)",
        ));
    };
    Ok(json!({
        "protocolVersion": negotiate(Some(requested)),
        "capabilities": { "tools": { "listChanged": false } },
        "serverInfo": { "name": "lab-4-full-server", "version": env!("CARGO_PKG_VERSION") },
        "instructions": "Query the read-only D1 database with query_data; keep small notes in KV with store_value, get_value and list_keys."
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_a_supported_version() {
        assert_eq!(negotiate(Some("2024-11-05")), "2024-11-05");
    }

    #[test]
    fn offers_newest_for_an_unknown_version() {
        assert_eq!(negotiate(Some("1999-01-01")), SUPPORTED_VERSIONS[0]);
    }
}
