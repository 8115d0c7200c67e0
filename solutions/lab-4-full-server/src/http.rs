//! Streamable HTTP transport: stateless, JSON responses only, no SSE stream.
//!
//! Order of the gates matters: cheap refusals (path, origin, method, content type, size)
//! come before the body is read, and the body is read with a cap, so an oversized or
//! malicious request costs little and touches no storage.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use futures_util::StreamExt;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use worker::{Env, Headers, Method, Request, Response, Result};

use crate::jsonrpc::{self, RpcError, INVALID_PARAMS, INVALID_REQUEST, PARSE_ERROR};
use crate::mcp::{self, Era};

/// The one MCP endpoint.
const ENDPOINT: &str = "/mcp";
/// Largest request body accepted, in bytes; bigger bodies get 413 and are not read further.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// JSON-RPC error codes of the modern revision's HTTP transport.
const HEADER_MISMATCH: i64 = -32020;
const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

// ANCHOR: gates
pub async fn handle(mut req: Request, env: Env) -> Result<Response> {
    if req.path() != ENDPOINT {
        return plain(404, "not found: the MCP endpoint is POST /mcp");
    }
    let origin = req.headers().get("Origin")?;
    // DNS-rebinding protection (transports § security): refuse foreign origins with 403.
    if let Some(origin) = &origin {
        if !origin_allowed(origin) {
            return plain(403, "forbidden origin");
        }
    }
    let response = match req.method() {
        Method::Options => Ok(Response::empty()?.with_status(204)),
        Method::Post => post(&mut req, &env).await,
        // No server-initiated stream and no sessions: GET and DELETE are not offered.
        _ => Ok(plain(405, "method not allowed: use POST")?.with_headers(allow_header()?)),
    }?;
    with_cors(response, origin.as_deref())
}
// ANCHOR_END: gates

/// The MCP headers of one POST.
struct McpHeaders {
    protocol_version: Option<String>,
    method: Option<String>,
    name: Option<String>,
}

// ANCHOR: read-headers
impl McpHeaders {
    fn read(headers: &Headers) -> Result<Self> {
        let get = |name: &str| -> Result<Option<String>> {
            Ok(headers.get(name)?.map(|v| without_ows(&v).to_owned()))
        };
        Ok(Self {
            protocol_version: get("MCP-Protocol-Version")?,
            method: get("Mcp-Method")?,
            name: get("Mcp-Name")?,
        })
    }
}

/// A field value without the optional whitespace (spaces and tabs) around it, which is not
/// part of the value: RFC 9110 § 5.5, https://www.rfc-editor.org/rfc/rfc9110#section-5.5.
/// `Mcp-Method:  tools/list ` names the method `tools/list`.
fn without_ows(value: &str) -> &str {
    value.trim_matches([' ', '\t'])
}
// ANCHOR_END: read-headers

// ANCHOR: value-encoding
/// What a mirrored header value stands for (2026-07-28 § Streamable HTTP, Value Encoding:
/// https://modelcontextprotocol.io/specification/2026-07-28/basic/transports/streamable-http#value-encoding).
/// A client sends a value that is not plain header-safe ASCII (non-ASCII, control characters,
/// leading or trailing spaces, or text that looks like the sentinel) as
/// `=?base64?{Base64 of its UTF-8}?=`; the server decodes it before comparing it with the
/// body. Anything else is the value itself. A sentinel that does not decode to UTF-8 is an
/// error, which the caller answers with -32020 (HeaderMismatch).
fn decode_header_value(raw: &str) -> std::result::Result<String, String> {
    let Some(encoded) = raw
        .strip_prefix("=?base64?")
        .and_then(|rest| rest.strip_suffix("?="))
    else {
        return Ok(raw.to_owned());
    };
    let bytes = STANDARD
        .decode(encoded)
        .map_err(|e| format!("{raw:?} is not valid Base64 ({e})"))?;
    String::from_utf8(bytes).map_err(|_| format!("{raw:?} does not decode to UTF-8 text"))
}
// ANCHOR_END: value-encoding

async fn post(req: &mut Request, env: &Env) -> Result<Response> {
    let content_type = req.headers().get("Content-Type")?.unwrap_or_default();
    if !is_json(&content_type) {
        return plain(
            415,
            "unsupported media type: send Content-Type: application/json",
        );
    }
    let declared = req
        .headers()
        .get("Content-Length")?
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return too_large();
    }
    let headers = McpHeaders::read(req.headers())?;
    let Some(body) = read_capped(req, declared).await? else {
        return too_large();
    };
    let message: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            let err = RpcError::new(PARSE_ERROR, format!("parse error: {e}"));
            return json(400, &jsonrpc::error(&Value::Null, &err));
        }
    };
    // A modern request's header is compared with its body first (a header that differs is
    // -32020 even when it names a version we do not know); an initialize-era request has only
    // the header to go by.
    if let Some(version) = modern_version(&message, &headers) {
        return modern(message, version, &headers, env).await;
    }
    if let Some(v) = headers.protocol_version.as_deref() {
        if !mcp::is_supported(v) {
            return json(400, &unsupported_version(&request_id(&message), v));
        }
    }
    let version = headers
        .protocol_version
        .as_deref()
        .and_then(|v| mcp::LEGACY_VERSIONS.iter().find(|s| **s == v).copied())
        .unwrap_or(mcp::DEFAULT_HEADER_VERSION);
    legacy(message, version, env).await
}

/// The version a modern (per-request `_meta`) request asks for, if the request is modern:
/// its body names a version in `_meta`, or its header names a modern revision.
fn modern_version(message: &Value, headers: &McpHeaders) -> Option<String> {
    let in_body = message
        .pointer("/params/_meta")
        .and_then(|meta| meta.get(mcp::META_PROTOCOL_VERSION));
    match in_body {
        Some(Value::String(v)) => Some(v.clone()),
        Some(other) => Some(other.to_string()),
        None => headers
            .protocol_version
            .as_deref()
            .filter(|v| mcp::MODERN_VERSIONS.contains(v))
            .map(|_| String::new()),
    }
}

/// One request of the 2026-07-28 revision: headers and body must agree (transports §
/// server validation), the version must be one we speak, and unknown methods are 404.
async fn modern(
    message: Value,
    version: String,
    headers: &McpHeaders,
    env: &Env,
) -> Result<Response> {
    if message.is_array() {
        let err = RpcError::new(
            INVALID_REQUEST,
            "batches are not accepted by this protocol version",
        );
        return json(400, &jsonrpc::error(&Value::Null, &err));
    }
    let incoming = match jsonrpc::parse_message(&message) {
        Ok(incoming) => incoming,
        Err((id, err)) => return json(400, &jsonrpc::error(&id, &err)),
    };
    let id = incoming.id.clone().unwrap_or(Value::Null);
    // ANCHOR: missing-meta
    // A required `_meta` field missing makes the request malformed: -32602 Invalid params
    // with HTTP 400 (2026-07-28 § Basic, General fields, `_meta`, per-request protocol fields:
    // https://modelcontextprotocol.io/specification/2026-07-28/basic#meta). Not -32020:
    // there is no body value for the header to disagree with.
    if version.is_empty() {
        let what = if incoming.params.get("_meta").is_some_and(Value::is_object) {
            format!("params._meta lacks {:?}", mcp::META_PROTOCOL_VERSION)
        } else {
            "params._meta is missing".to_owned()
        };
        let err = RpcError::new(
            INVALID_PARAMS,
            format!("{what}: a 2026-07-28 request names its protocol version there"),
        );
        return json(400, &jsonrpc::error(&id, &err));
    }
    // ANCHOR_END: missing-meta
    // ANCHOR: header-validation
    // The header must equal the body's version before the version itself is judged: a
    // header naming an unknown version next to a known body version is a mismatch (-32020).
    if headers.protocol_version.as_deref() != Some(version.as_str()) {
        return mismatch(id, &format!("MCP-Protocol-Version header {:?} does not match the body's protocol version {version:?}", headers.protocol_version.as_deref().unwrap_or("(missing)")));
    }
    let Some(era) = mcp::MODERN_VERSIONS.iter().find(|v| **v == version) else {
        return json(400, &unsupported_version(&id, &version));
    };
    if headers.method.as_deref() != Some(incoming.method.as_str()) {
        return mismatch(
            id,
            &format!(
                "Mcp-Method header {:?} does not match the body's method {:?}",
                headers.method.as_deref().unwrap_or("(missing)"),
                incoming.method
            ),
        );
    }
    if incoming.method == "tools/call" {
        let body_name = incoming.params.get("name").and_then(Value::as_str);
        // A Base64 sentinel is decoded before the comparison (transports § Value Encoding).
        let header_name = match headers.name.as_deref().map(decode_header_value) {
            Some(Err(why)) => return mismatch(id, &format!("Mcp-Name header {why}")),
            Some(Ok(name)) => Some(name),
            None => None,
        };
        if header_name.as_deref() != body_name {
            return mismatch(
                id,
                &format!(
                    "Mcp-Name header {:?} does not match the body's params.name {:?}",
                    header_name.as_deref().unwrap_or("(missing)"),
                    body_name.unwrap_or("(missing)")
                ),
            );
        }
    }
    // ANCHOR_END: header-validation
    if incoming.id.is_some() {
        let capabilities = incoming
            .params
            .pointer("/_meta")
            .and_then(|meta| meta.get(mcp::META_CLIENT_CAPABILITIES));
        if !capabilities.is_some_and(Value::is_object) {
            let err = RpcError::new(
                INVALID_PARAMS,
                format!(
                    "params._meta must hold {:?} (an object, empty if the client has none)",
                    mcp::META_CLIENT_CAPABILITIES
                ),
            );
            return json(400, &jsonrpc::error(&id, &err));
        }
    }
    match mcp::dispatch(incoming, Era::Modern(era), env).await {
        None => accepted(),
        Some(reply) => {
            let not_found = reply.error_code == Some(jsonrpc::METHOD_NOT_FOUND);
            json(if not_found { 404 } else { 200 }, &reply.json)
        }
    }
}

/// A request of a revision that starts with `initialize`.
async fn legacy(message: Value, version: &'static str, env: &Env) -> Result<Response> {
    match message {
        // ANCHOR: batches
        Value::Array(batch) => {
            // JSON-RPC batches exist in 2025-03-26 only (2024-11-05 is answered alike).
            if version >= "2025-06-18" || batch.is_empty() {
                let err = RpcError::new(
                    INVALID_REQUEST,
                    "batches are not accepted by this protocol version",
                );
                return json(400, &jsonrpc::error(&Value::Null, &err));
            }
            let mut replies = Vec::new();
            for item in &batch {
                if let Some(reply) = legacy_one(item, version, env).await {
                    replies.push(reply.json);
                }
            }
            if replies.is_empty() {
                return accepted();
            }
            json(200, &jsonrpc::serialize(&replies))
        }
        // ANCHOR_END: batches
        single => match jsonrpc::parse_message(&single) {
            Ok(incoming) => match mcp::dispatch(incoming, Era::Legacy(version), env).await {
                Some(reply) => json(200, &reply.json),
                None => accepted(),
            },
            // A JSON-RPC response sent to us needs no answer, like a notification.
            Err(_) if is_response(&single) => accepted(),
            Err((id, err)) => json(400, &jsonrpc::error(&id, &err)),
        },
    }
}

async fn legacy_one(message: &Value, version: &'static str, env: &Env) -> Option<mcp::Reply> {
    match jsonrpc::parse_message(message) {
        Ok(incoming) => mcp::dispatch(incoming, Era::Legacy(version), env).await,
        Err(_) if is_response(message) => None,
        Err((id, err)) => Some(mcp::Reply {
            json: jsonrpc::error(&id, &err),
            error_code: Some(err.code),
        }),
    }
}

fn is_response(message: &Value) -> bool {
    message.get("result").is_some() || message.get("error").is_some()
}

/// The id to answer with when the request is refused before it is parsed as a whole.
fn request_id(message: &Value) -> Value {
    match message.get("id") {
        Some(id @ (Value::String(_) | Value::Number(_))) => id.clone(),
        _ => Value::Null,
    }
}

// ANCHOR: unsupported-version
fn unsupported_version(id: &Value, requested: &str) -> Box<RawValue> {
    let mut err = RpcError::new(
        UNSUPPORTED_PROTOCOL_VERSION,
        format!("unsupported protocol version {requested:?}"),
    );
    err.data = Some(json!({ "requested": requested, "supported": mcp::supported_versions() }));
    jsonrpc::error(id, &err)
}
// ANCHOR_END: unsupported-version

fn mismatch(id: Value, why: &str) -> Result<Response> {
    let err = RpcError::new(HEADER_MISMATCH, format!("header mismatch: {why}"));
    json(400, &jsonrpc::error(&id, &err))
}

// ANCHOR: read-capped
/// Reads the body, stopping as soon as it passes the limit (`None`). A body whose length was
/// declared, and checked against the limit, is read in one piece: the runtime delivers no more
/// than the Content-Length it framed the request with. Without one the body is streamed and
/// counted, so a client that sends no Content-Length cannot make us buffer more than the limit.
async fn read_capped(req: &mut Request, declared: Option<usize>) -> Result<Option<Vec<u8>>> {
    if declared.is_some() {
        // One promise instead of a stream read per chunk: the cheaper path for every request
        // a client library sends.
        return Ok(Some(req.bytes().await?));
    }
    let mut body = Vec::new();
    let mut stream = req.stream()?;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}
// ANCHOR_END: read-capped

fn is_json(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

// ANCHOR: origin
fn origin_allowed(origin: &str) -> bool {
    ["http://localhost", "http://127.0.0.1", "https://localhost"]
        .iter()
        .any(|allowed| origin == *allowed || origin.starts_with(&format!("{allowed}:")))
}
// ANCHOR_END: origin

fn allow_header() -> Result<Headers> {
    let headers = Headers::new();
    headers.set("Allow", "POST, OPTIONS")?;
    Ok(headers)
}

fn with_cors(response: Response, origin: Option<&str>) -> Result<Response> {
    let Some(origin) = origin else {
        return Ok(response);
    };
    let headers = response.headers().clone();
    headers.set("Access-Control-Allow-Origin", origin)?;
    headers.set("Vary", "Origin")?;
    headers.set("Access-Control-Allow-Methods", "POST, OPTIONS")?;
    headers.set(
        "Access-Control-Allow-Headers",
        "Content-Type, Accept, MCP-Protocol-Version, Mcp-Session-Id, Mcp-Method, Mcp-Name",
    )?;
    headers.set("Access-Control-Max-Age", "86400")?;
    Ok(response.with_headers(headers))
}

fn too_large() -> Result<Response> {
    plain(
        413,
        &format!("request body too large: the limit is {MAX_BODY_BYTES} bytes"),
    )
}

fn accepted() -> Result<Response> {
    Ok(Response::empty()?.with_status(202))
}

fn plain(status: u16, text: &str) -> Result<Response> {
    Ok(Response::ok(text)?.with_status(status))
}

/// A JSON reply. The body is already JSON text: it is sent as it is, not serialized again.
fn json(status: u16, body: &RawValue) -> Result<Response> {
    Ok(Response::builder()
        .with_status(status)
        .with_header("Content-Type", "application/json")?
        .fixed(body.get().as_bytes().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("Application/JSON"));
        assert!(!is_json("text/plain"));
        assert!(!is_json(""));
        assert!(!is_json("application/jsonp"));
    }

    #[test]
    fn origins() {
        assert!(origin_allowed("http://localhost:5173"));
        assert!(origin_allowed("http://127.0.0.1"));
        assert!(!origin_allowed("http://localhost.evil.example"));
        assert!(!origin_allowed("https://evil.example"));
    }

    fn headers(version: Option<&str>) -> McpHeaders {
        McpHeaders {
            protocol_version: version.map(str::to_owned),
            method: None,
            name: None,
        }
    }

    #[test]
    fn optional_whitespace_is_not_part_of_a_value() {
        assert_eq!(without_ows("  query_data  "), "query_data");
        assert_eq!(without_ows("\ttools/list "), "tools/list");
        assert_eq!(without_ows("a b"), "a b");
    }

    #[test]
    fn base64_sentinels_are_decoded() {
        assert_eq!(decode_header_value("query_data").unwrap(), "query_data");
        // The spec's own examples.
        assert_eq!(
            decode_header_value("=?base64?SGVsbG8sIOS4lueVjA==?=").unwrap(),
            "Hello, 世界"
        );
        assert_eq!(
            decode_header_value("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=").unwrap(),
            "=?base64?literal?="
        );
        // Not a sentinel: the markers are case-sensitive and both must be there.
        assert_eq!(
            decode_header_value("=?BASE64?eA==?=").unwrap(),
            "=?BASE64?eA==?="
        );
        assert_eq!(
            decode_header_value("=?base64?eA==").unwrap(),
            "=?base64?eA=="
        );
        assert!(decode_header_value("=?base64?!!not base64!!?=").is_err());
        assert!(decode_header_value("=?base64?//79?=").is_err(), "not UTF-8");
    }

    #[test]
    fn era_comes_from_meta_or_a_modern_header() {
        let modern =
            json!({"params": {"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}}});
        assert_eq!(
            modern_version(&modern, &headers(None)).as_deref(),
            Some("2026-07-28")
        );
        let plain = json!({"params": {}});
        assert_eq!(modern_version(&plain, &headers(Some("2025-11-25"))), None);
        assert_eq!(
            modern_version(&plain, &headers(Some("2026-07-28"))).as_deref(),
            Some("")
        );
    }
}
