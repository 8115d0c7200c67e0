//! MCP over JSON-RPC for one stateless request: the methods, their errors and the tool.
//!
//! [`handle`] takes the body as bytes and borrows from it for the whole request; it keeps
//! nothing once it returns.

use serde_json::{json, Value};

use crate::envelope::{self, Arguments, Envelope, ParamFields, Params};
use crate::events::Events;
use crate::json::Json;
use crate::summary::Summary;

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;

/// Revisions this server speaks, newest first.
pub const VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

pub const TOOL: &str = "summarize_events";
/// The starting point's name (its package's): the same answers, to the byte, are the lab's
/// contract, and the course's protocol corpus holds the starting point's replies.
pub const SERVER_NAME: &str = "lab-2-memory-profiling";

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

/// Answers one request body.
pub fn handle(body: &[u8]) -> Reply {
    match envelope::parse(body) {
        Ok(envelope) => respond(envelope),
        Err(e) => Reply::error(400, Value::Null, PARSE_ERROR, &format!("parse error: {e}")),
    }
}

fn respond(envelope: Envelope<'_>) -> Reply {
    if !envelope.object {
        return Reply::error(
            400,
            Value::Null,
            INVALID_REQUEST,
            "a JSON-RPC request must be an object",
        );
    }
    let id = match &envelope.id {
        None => None,
        Some(id @ (Json::Str(_) | Json::U64(_) | Json::I64(_) | Json::F64(_))) => {
            Some(id.to_value())
        }
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
    if envelope.jsonrpc.as_ref().and_then(Json::as_str) != Some("2.0") {
        return Reply::error(400, reply_id, INVALID_REQUEST, "jsonrpc must be \"2.0\"");
    }
    let Some(method) = envelope.method.as_ref().and_then(Json::as_str) else {
        // A response to a request we never sent needs no answer either.
        if id.is_none() && envelope.is_response {
            return Reply::accepted();
        }
        return Reply::error(400, reply_id, INVALID_REQUEST, "method must be a string");
    };
    // A notification gets no JSON-RPC answer.
    let Some(id) = id else {
        return Reply::accepted();
    };
    let params = match envelope.params {
        None => ParamFields::default(),
        Some(Params::Object(fields)) => fields,
        Some(Params::NotObject) => {
            return Reply::error(200, id, INVALID_PARAMS, "params must be an object")
        }
    };
    let outcome = match method {
        "initialize" => initialize(&params),
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

fn initialize(params: &ParamFields<'_>) -> Result<Value, (i64, String)> {
    let Some(requested) = params.protocol_version.as_ref().and_then(Json::as_str) else {
        return Err((
            INVALID_PARAMS,
            "initialize needs params.protocolVersion (a string)".to_owned(),
        ));
    };
    Ok(json!({
        "protocolVersion": negotiate(requested),
        "capabilities": { "tools": {} },
        "serverInfo": { "name": SERVER_NAME, "version": env!("CARGO_PKG_VERSION") },
    }))
}

fn call(params: ParamFields<'_>) -> Result<Value, (i64, String)> {
    let Some(name) = params.name.as_ref().and_then(Json::as_str) else {
        return Err((
            INVALID_PARAMS,
            "tools/call needs params.name (a string)".to_owned(),
        ));
    };
    if name != TOOL {
        return Err((INVALID_PARAMS, format!("unknown tool: {name}")));
    }
    let events = match params.arguments {
        None => None,
        Some(Arguments::Object { events }) => events,
        Some(Arguments::NotObject) => {
            return Err((
                INVALID_PARAMS,
                "params.arguments must be an object".to_owned(),
            ))
        }
    };
    let summary = match events {
        None => Err("events is required: an array of {ts, key, latency_ms, ok} objects".to_owned()),
        Some(Events::NotArray) => Err("events must be an array".to_owned()),
        Some(Events::Invalid(problem)) => Err(problem),
        Some(Events::Folded(acc)) => acc
            .finish()
            .ok_or_else(|| "events must not be empty".to_owned()),
    };
    Ok(match summary {
        Ok(summary) => tool_result(&summary),
        Err(message) => tool_error(&message),
    })
}

fn tool_result(summary: &Summary<'_>) -> Value {
    let text = serde_json::to_string(summary).expect("a summary is plain data");
    let structured = serde_json::to_value(summary).expect("a summary is plain data");
    json!({
        "content": [{ "type": "text", "text": text }],
        "structuredContent": structured,
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
        let reply = handle(body.as_bytes());
        (
            reply.status,
            reply.body.map(|b| serde_json::from_str(&b).unwrap()),
        )
    }

    fn tools_call(arguments: &str) -> Value {
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"summarize_events","arguments":{arguments}}}}}"#
        );
        let (status, reply) = call_json(&body);
        assert_eq!(status, 200);
        reply.unwrap()["result"].clone()
    }

    #[test]
    fn negotiates_the_version() {
        assert_eq!(negotiate("2024-11-05"), "2024-11-05");
        assert_eq!(negotiate("2025-03-26"), "2025-03-26");
        assert_eq!(negotiate("2099-01-01"), "2025-11-25");
        let (_, reply) = call_json(
            r#"{"jsonrpc":"2.0","id":"a","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
        );
        let result = &reply.unwrap()["result"];
        assert_eq!(result["protocolVersion"], "2025-06-18");
        assert_eq!(result["capabilities"], json!({ "tools": {} }));
        assert_eq!(result["serverInfo"]["name"], SERVER_NAME);
    }

    #[test]
    fn notifications_and_ping() {
        assert_eq!(
            handle(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            Reply::accepted()
        );
        let (status, reply) = call_json(r#"{"jsonrpc":"2.0","id":3,"method":"ping"}"#);
        assert_eq!(status, 200);
        assert_eq!(
            reply.unwrap(),
            json!({ "jsonrpc": "2.0", "id": 3, "result": {} })
        );
    }

    #[test]
    fn json_rpc_errors() {
        let (status, reply) = call_json("{not json");
        assert_eq!(status, 400);
        let reply = reply.unwrap();
        assert_eq!(reply["error"]["code"], PARSE_ERROR);
        assert_eq!(reply["id"], Value::Null);
        let code = |body: &str| {
            call_json(body).1.unwrap()["error"]["code"]
                .as_i64()
                .unwrap()
        };
        assert_eq!(code("[]"), INVALID_REQUEST);
        assert_eq!(
            code(r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#),
            INVALID_REQUEST
        );
        assert_eq!(code(r#"{"jsonrpc":"2.0","id":1}"#), INVALID_REQUEST);
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":[1],"method":"ping"}"#),
            INVALID_REQUEST
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":"nope"}"#),
            METHOD_NOT_FOUND
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"nope"}}"#),
            INVALID_PARAMS
        );
        assert_eq!(
            code(
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"summarize_events","arguments":[]}}"#
            ),
            INVALID_PARAMS
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#),
            INVALID_PARAMS
        );
    }

    #[test]
    fn the_tool_answers_as_text_and_structured_content() {
        let result = tools_call(
            r#"{"events":[{"ts":2,"key":"b","latency_ms":10,"ok":true},{"ts":1,"key":"a","latency_ms":30,"ok":false,"x":1}]}"#,
        );
        let expected = json!({
            "count": 2, "ok": 1, "errors": 1,
            "latency_ms": { "min": 10, "p50": 10, "p90": 30, "p99": 30, "max": 30, "mean": 20 },
            "top_keys": [{ "key": "a", "count": 1 }, { "key": "b", "count": 1 }],
            "ts": { "first": 1, "last": 2 }
        });
        assert_eq!(result["structuredContent"], expected);
        let text: Value =
            serde_json::from_str(result["content"][0]["text"].as_str().unwrap()).unwrap();
        assert_eq!(text, expected);
        assert_eq!(result["isError"], false);
    }

    #[test]
    fn bad_input_is_a_tool_error() {
        for (arguments, message) in [
            ("{}", "events is required"),
            (r#"{"events":{}}"#, "events must be an array"),
            (r#"{"events":[]}"#, "events must not be empty"),
            (
                r#"{"events":[{"ts":1,"key":"a","ok":true}]}"#,
                "events[0] is missing \"latency_ms\"",
            ),
            (
                r#"{"events":[{"ts":1,"key":"a","latency_ms":1,"ok":true},{"ts":"1","key":"a","latency_ms":1,"ok":true}]}"#,
                "events[1].ts must be",
            ),
        ] {
            let result = tools_call(arguments);
            assert_eq!(result["isError"], true, "{arguments}");
            let text = result["content"][0]["text"].as_str().unwrap();
            assert!(text.starts_with(message), "{arguments}: {text}");
        }
    }

    #[test]
    fn the_tool_is_listed_with_its_schema() {
        let (_, reply) = call_json(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#);
        let tools = &reply.unwrap()["result"]["tools"];
        assert_eq!(tools.as_array().unwrap().len(), 1);
        assert_eq!(tools[0]["name"], TOOL);
        assert_eq!(
            tools[0]["inputSchema"]["properties"]["events"]["items"]["required"],
            json!(["ts", "key", "latency_ms", "ok"])
        );
    }
}
