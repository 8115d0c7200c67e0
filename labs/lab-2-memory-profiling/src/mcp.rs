//! MCP over JSON-RPC: the methods, their errors and the tool.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::debug_log;
use crate::summary;

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;

/// Revisions this server speaks, newest first.
pub const VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

pub const TOOL: &str = "summarize_events";

/// An HTTP answer: status and JSON text, or no body at all (202 for a notification).
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Option<String>,
}

impl Reply {
    fn accepted() -> Self {
        Self {
            status: 202,
            body: None,
        }
    }

    fn json(status: u16, message: &Value) -> Self {
        Self {
            status,
            body: Some(message.to_string()),
        }
    }

    fn result(id: Value, result: Value) -> Self {
        Self::json(
            200,
            &json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        )
    }

    fn error(status: u16, id: Value, code: i64, message: &str) -> Self {
        Self::json(
            status,
            &json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } }),
        )
    }
}

thread_local! {
    /// Requests served by this instance so far.
    static SERVED: Cell<u64> = const { Cell::new(0) };
    /// Answers already given, by request: a request seen before is answered from memory,
    /// without summarizing its events again.
    static ANSWERS: RefCell<HashMap<String, Reply>> = RefCell::new(HashMap::new());
}

/// Answers one request body.
pub fn handle(body: &str) -> Reply {
    let number = SERVED.with(|served| {
        served.set(served.get() + 1);
        served.get()
    });
    // Log every request as it came in, numbered.
    let request = format!("request {number}: {body}");
    debug_log::note(request.clone());

    if let Some(reply) = ANSWERS.with(|answers| answers.borrow().get(&request).cloned()) {
        return reply;
    }
    let reply = answer(body);
    ANSWERS.with(|answers| answers.borrow_mut().insert(request, reply.clone()));
    reply
}

fn answer(body: &str) -> Reply {
    // Parse the whole message first, then look at what is in it.
    let message: Value = match serde_json::from_str(body) {
        Ok(message) => message,
        Err(e) => return Reply::error(400, Value::Null, PARSE_ERROR, &format!("parse error: {e}")),
    };
    let Some(fields) = message.as_object() else {
        return Reply::error(
            400,
            Value::Null,
            INVALID_REQUEST,
            "a JSON-RPC request must be an object",
        );
    };
    let id = match fields.get("id") {
        None => None,
        Some(id @ (Value::String(_) | Value::Number(_))) => Some(id.clone()),
        Some(_) => {
            return Reply::error(
                400,
                Value::Null,
                INVALID_REQUEST,
                "id must be a string or a number",
            )
        }
    };
    let reply_id = id.clone().unwrap_or(Value::Null);
    if fields.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Reply::error(400, reply_id, INVALID_REQUEST, "jsonrpc must be \"2.0\"");
    }
    let Some(method) = fields.get("method").and_then(Value::as_str) else {
        // A response to a request we never sent needs no answer either.
        if id.is_none() && (fields.contains_key("result") || fields.contains_key("error")) {
            return Reply::accepted();
        }
        return Reply::error(400, reply_id, INVALID_REQUEST, "method must be a string");
    };
    // A notification gets no JSON-RPC answer.
    let Some(id) = id else {
        return Reply::accepted();
    };
    let no_params = Map::new();
    let params = match fields.get("params") {
        None => &no_params,
        Some(Value::Object(params)) => params,
        Some(_) => return Reply::error(200, id, INVALID_PARAMS, "params must be an object"),
    };
    let outcome = match method {
        "initialize" => initialize(params),
        "ping" => Ok(json!({})),
        "tools/list" => Ok(json!({ "tools": [definition()] })),
        "tools/call" => call(params),
        other => Err((METHOD_NOT_FOUND, format!("method not found: {other}"))),
    };
    match outcome {
        Ok(result) => Reply::result(id, result),
        Err((code, message)) => Reply::error(200, id, code, &message),
    }
}

/// Echo the client's revision when we speak it, else offer our newest.
pub fn negotiate(requested: &str) -> &'static str {
    VERSIONS
        .iter()
        .find(|v| **v == requested)
        .copied()
        .unwrap_or(VERSIONS[0])
}

fn initialize(params: &Map<String, Value>) -> Result<Value, (i64, String)> {
    let Some(requested) = params.get("protocolVersion").and_then(Value::as_str) else {
        return Err((
            INVALID_PARAMS,
            "initialize needs params.protocolVersion (a string)".to_owned(),
        ));
    };
    Ok(json!({
        "protocolVersion": negotiate(requested),
        "capabilities": { "tools": {} },
        "serverInfo": { "name": env!("CARGO_PKG_NAME"), "version": env!("CARGO_PKG_VERSION") },
    }))
}

fn call(params: &Map<String, Value>) -> Result<Value, (i64, String)> {
    let Some(name) = params.get("name").and_then(Value::as_str) else {
        return Err((
            INVALID_PARAMS,
            "tools/call needs params.name (a string)".to_owned(),
        ));
    };
    if name != TOOL {
        return Err((INVALID_PARAMS, format!("unknown tool: {name}")));
    }
    let no_arguments = Map::new();
    let arguments = match params.get("arguments") {
        None => &no_arguments,
        Some(Value::Object(arguments)) => arguments,
        Some(_) => {
            return Err((
                INVALID_PARAMS,
                "params.arguments must be an object".to_owned(),
            ))
        }
    };
    Ok(match summary::parse_events(arguments) {
        Ok(events) => tool_result(summary::summarize(&events)),
        Err(message) => tool_error(&message),
    })
}

fn tool_result(summary: Value) -> Value {
    json!({
        "content": [{ "type": "text", "text": summary.to_string() }],
        "structuredContent": summary,
        "isError": false,
    })
}

fn tool_error(message: &str) -> Value {
    json!({ "content": [{ "type": "text", "text": message }], "isError": true })
}

/// The one tool, as `tools/list` describes it.
pub fn definition() -> Value {
    let latency = json!({ "type": "integer", "minimum": 0 });
    json!({
        "name": TOOL,
        "title": "Summarize events",
        "description": "Summarize a batch of request events: how many succeeded and failed, latency percentiles (nearest rank), the five most frequent keys and the time span covered.",
        "inputSchema": {
            "type": "object",
            "properties": {
                "events": {
                    "type": "array",
                    "minItems": 1,
                    "description": "The events to summarize. Other fields on an event are ignored.",
                    "items": {
                        "type": "object",
                        "properties": {
                            "ts": { "type": "integer", "minimum": 0, "maximum": u64::MAX, "description": "Time of the event, milliseconds since the Unix epoch." },
                            "key": { "type": "string", "description": "What the event is about, e.g. a route." },
                            "latency_ms": { "type": "integer", "minimum": 0, "maximum": u32::MAX, "description": "Latency in whole milliseconds." },
                            "ok": { "type": "boolean", "description": "Whether the request succeeded." }
                        },
                        "required": ["ts", "key", "latency_ms", "ok"]
                    }
                }
            },
            "required": ["events"]
        },
        "outputSchema": {
            "type": "object",
            "properties": {
                "count": { "type": "integer", "minimum": 1 },
                "ok": { "type": "integer", "minimum": 0 },
                "errors": { "type": "integer", "minimum": 0 },
                "latency_ms": {
                    "type": "object",
                    "properties": {
                        "min": latency, "p50": latency, "p90": latency, "p99": latency,
                        "max": latency, "mean": latency
                    },
                    "required": ["min", "p50", "p90", "p99", "max", "mean"]
                },
                "top_keys": {
                    "type": "array",
                    "maxItems": 5,
                    "items": {
                        "type": "object",
                        "properties": {
                            "key": { "type": "string" },
                            "count": { "type": "integer", "minimum": 1 }
                        },
                        "required": ["key", "count"]
                    }
                },
                "ts": {
                    "type": "object",
                    "properties": {
                        "first": { "type": "integer", "minimum": 0 },
                        "last": { "type": "integer", "minimum": 0 }
                    },
                    "required": ["first", "last"]
                }
            },
            "required": ["count", "ok", "errors", "latency_ms", "top_keys", "ts"]
        },
        "annotations": { "readOnlyHint": true, "openWorldHint": false }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call_json(body: &str) -> (u16, Option<Value>) {
        let reply = handle(body);
        (
            reply.status,
            reply.body.map(|b| serde_json::from_str(&b).unwrap()),
        )
    }

    #[test]
    fn negotiates_the_version() {
        assert_eq!(negotiate("2024-11-05"), "2024-11-05");
        assert_eq!(negotiate("2099-01-01"), "2025-11-25");
    }

    #[test]
    fn notifications_ping_and_errors() {
        assert_eq!(
            handle(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            Reply::accepted()
        );
        let (status, reply) = call_json(r#"{"jsonrpc":"2.0","id":3,"method":"ping"}"#);
        assert_eq!(status, 200);
        assert_eq!(
            reply.unwrap(),
            json!({ "jsonrpc": "2.0", "id": 3, "result": {} })
        );
        let (status, reply) = call_json("{not json");
        assert_eq!(status, 400);
        assert_eq!(reply.unwrap()["error"]["code"], PARSE_ERROR);
        let (_, reply) =
            call_json(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"nope"}}"#);
        assert_eq!(reply.unwrap()["error"]["code"], INVALID_PARAMS);
    }

    #[test]
    fn the_tool_answers_as_text_and_structured_content() {
        let (_, reply) = call_json(
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"summarize_events","arguments":{"events":[{"ts":2,"key":"b","latency_ms":10,"ok":true},{"ts":1,"key":"a","latency_ms":30,"ok":false}]}}}"#,
        );
        let result = &reply.unwrap()["result"];
        let text: Value =
            serde_json::from_str(result["content"][0]["text"].as_str().unwrap()).unwrap();
        assert_eq!(text, result["structuredContent"]);
        assert_eq!(result["structuredContent"]["latency_ms"]["mean"], 20);
        assert_eq!(result["isError"], false);
    }
}
