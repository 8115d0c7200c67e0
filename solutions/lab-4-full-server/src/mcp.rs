//! MCP methods for a stateless, dual-era server.
//!
//! Two eras share one endpoint (versioning § backward compatibility):
//! - **modern** (2026-07-28): no handshake; every request names its protocol version and the
//!   client's capabilities in `params._meta`; `server/discover` advertises what we speak.
//! - **legacy** (2024-11-05 … 2025-11-25): `initialize` negotiates a version; later requests
//!   name it in the `MCP-Protocol-Version` header (from 2025-06-18).
//!
//! Nothing is kept between requests, so each request carries everything it needs.

use std::sync::OnceLock;

use serde_json::value::RawValue;
use serde_json::{json, Map, Value};
use worker::Env;

use crate::jsonrpc::{self, Incoming, RpcError, METHOD_NOT_FOUND};
use crate::tools;

// ANCHOR: versions
/// Revisions served statelessly with per-request `_meta`, newest first.
pub const MODERN_VERSIONS: &[&str] = &["2026-07-28"];
/// Revisions that begin with `initialize`, newest first.
pub const LEGACY_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// What a legacy client that sends no `MCP-Protocol-Version` header is assumed to speak
/// (Streamable HTTP, 2025-06-18 "Protocol Version Header").
pub const DEFAULT_HEADER_VERSION: &str = "2025-03-26";
// ANCHOR_END: versions

/// `_meta` keys of the modern revision.
pub const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub const META_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";

/// How long a client may cache `tools/list` and `server/discover`: the tools never change
/// while a deployment runs, and nothing in them depends on who asks.
const LIST_TTL_MS: u64 = 5 * 60 * 1000;

/// Every revision this server speaks, newest first.
pub fn supported_versions() -> Vec<&'static str> {
    MODERN_VERSIONS
        .iter()
        .chain(LEGACY_VERSIONS)
        .copied()
        .collect()
}

pub fn is_supported(version: &str) -> bool {
    MODERN_VERSIONS.contains(&version) || LEGACY_VERSIONS.contains(&version)
}

// ANCHOR: negotiate
/// Version negotiation for `initialize` (lifecycle § version negotiation): echo the client's
/// version when we support it, otherwise offer our newest legacy revision.
pub fn negotiate(requested: Option<&str>) -> &'static str {
    requested
        .and_then(|v| LEGACY_VERSIONS.iter().find(|s| **s == v).copied())
        .unwrap_or(LEGACY_VERSIONS[0])
}
// ANCHOR_END: negotiate

/// The revision a request is served under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Era {
    Modern(&'static str),
    Legacy(&'static str),
}

impl Era {
    pub fn version(self) -> &'static str {
        match self {
            Era::Modern(v) | Era::Legacy(v) => v,
        }
    }
}

fn server_info() -> Value {
    json!({ "name": "lab-4-full-server", "version": env!("CARGO_PKG_VERSION") })
}

const INSTRUCTIONS: &str = "Query the read-only D1 database with query_data; keep small notes in KV with store_value, get_value and list_keys.";

// ANCHOR: dispatch
/// A reply, serialized and ready to send.
pub struct Reply {
    pub json: Box<RawValue>,
    /// The error code when the reply is an error (a modern request's -32601 is sent as 404).
    pub error_code: Option<i64>,
}

/// Handles one request or notification; `None` means "no reply" (a notification).
pub async fn dispatch(msg: Incoming, era: Era, env: &Env) -> Option<Reply> {
    let Incoming { id, method, params } = msg;
    if method.starts_with("notifications/") {
        return None;
    }
    let version = era.version();
    let outcome = match (era, method.as_str()) {
        // The tool list is the same for every request of an era: served from its JSON text.
        (_, "tools/list") => {
            let json = jsonrpc::result(&id?, tools_list(era));
            return Some(Reply {
                json,
                error_code: None,
            });
        }
        (Era::Legacy(_), "initialize") => initialize(&params),
        (Era::Legacy(_), "ping") => Ok(Value::Object(Map::new())),
        (Era::Modern(_), "server/discover") => Ok(discover()),
        (_, "tools/call") => tools::call(&params, version, env).await,
        (_, other) => Err(RpcError::new(
            METHOD_NOT_FOUND,
            format!("method not found: {other} (protocol version {version})"),
        )),
    };
    let id = id?;
    Some(match outcome {
        Ok(result) => Reply {
            json: jsonrpc::result(&id, &jsonrpc::serialize(&decorate(result, era, &method))),
            error_code: None,
        },
        Err(e) => Reply {
            json: jsonrpc::error(&id, &e),
            error_code: Some(e.code),
        },
    })
}
// ANCHOR_END: dispatch

// ANCHOR: tools-list
/// The `tools/list` result of an era, serialized the first time it is asked for in this
/// isolate and reused by every later request: nothing in it depends on the request.
fn tools_list(era: Era) -> &'static RawValue {
    static MODERN: OnceLock<Box<RawValue>> = OnceLock::new();
    static STRUCTURED: OnceLock<Box<RawValue>> = OnceLock::new();
    static PLAIN: OnceLock<Box<RawValue>> = OnceLock::new();
    let cell = match era {
        Era::Modern(_) => &MODERN,
        Era::Legacy(v) if tools::has_structured_output(v) => &STRUCTURED,
        Era::Legacy(_) => &PLAIN,
    };
    cell.get_or_init(|| {
        let result = json!({ "tools": tools::definitions(era.version()) });
        jsonrpc::serialize(&decorate(result, era, "tools/list"))
    })
}
// ANCHOR_END: tools-list

// ANCHOR: decorate
/// Adds the fields every modern result carries (`resultType`, server identity) and the
/// caching hints of list results.
fn decorate(mut result: Value, era: Era, method: &str) -> Value {
    if let (Era::Modern(_), Some(fields)) = (era, result.as_object_mut()) {
        fields.insert("resultType".into(), json!("complete"));
        fields.insert("_meta".into(), json!({ META_SERVER_INFO: server_info() }));
        if method == "tools/list" || method == "server/discover" {
            fields.insert("ttlMs".into(), json!(LIST_TTL_MS));
            fields.insert("cacheScope".into(), json!("public"));
        }
    }
    result
}
// ANCHOR_END: decorate

fn capabilities() -> Value {
    json!({ "tools": { "listChanged": false } })
}

fn discover() -> Value {
    json!({
        "supportedVersions": supported_versions(),
        "capabilities": capabilities(),
        "instructions": INSTRUCTIONS,
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
        "capabilities": capabilities(),
        "serverInfo": server_info(),
        "instructions": INSTRUCTIONS,
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
    fn offers_newest_legacy_version_for_an_unknown_one() {
        assert_eq!(negotiate(Some("1999-01-01")), LEGACY_VERSIONS[0]);
        // A modern client does not use initialize; offering it a legacy version is right.
        assert_eq!(negotiate(Some("2026-07-28")), LEGACY_VERSIONS[0]);
    }

    #[test]
    fn modern_results_carry_result_type_and_cache_hints() {
        let listed = decorate(
            json!({ "tools": [] }),
            Era::Modern("2026-07-28"),
            "tools/list",
        );
        assert_eq!(listed["resultType"], "complete");
        assert_eq!(listed["cacheScope"], "public");
        assert!(listed["ttlMs"].is_u64());
        let legacy = decorate(
            json!({ "tools": [] }),
            Era::Legacy("2025-11-25"),
            "tools/list",
        );
        assert!(legacy.get("resultType").is_none());
    }
}
