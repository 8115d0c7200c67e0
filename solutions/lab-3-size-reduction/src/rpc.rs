//! JSON-RPC 2.0 framing: what a message is, and the reply and error objects.
//!
//! Replies are built as `serde_json::Value`, not as one derived struct per reply shape: one
//! serialiser serves them all.

use serde_json::{json, Value};

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;

/// A JSON-RPC error: code and message.
pub type RpcError = (i64, String);

/// One incoming request (`id: Some`) or notification (`id: None`).
pub struct Incoming {
    pub id: Option<Value>,
    pub method: String,
    pub params: Value,
}

/// Checks the JSON-RPC envelope. On failure returns the id to answer with (null when the
/// id itself is unusable) and the error.
pub fn parse(message: &Value) -> Result<Incoming, (Value, i64, &'static str)> {
    if message.is_array() {
        return Err((Value::Null, INVALID_REQUEST, "batches are not supported"));
    }
    let Some(object) = message.as_object() else {
        return Err((
            Value::Null,
            INVALID_REQUEST,
            "a JSON-RPC message must be an object",
        ));
    };
    let id = match object.get("id") {
        None => None,
        Some(id @ (Value::String(_) | Value::Number(_))) => Some(id.clone()),
        Some(_) => {
            return Err((
                Value::Null,
                INVALID_REQUEST,
                "id must be a string or a number",
            ))
        }
    };
    let reply_id = id.clone().unwrap_or(Value::Null);
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err((reply_id, INVALID_REQUEST, "jsonrpc must be \"2.0\""));
    }
    let Some(method) = object.get("method").and_then(Value::as_str) else {
        return Err((reply_id, INVALID_REQUEST, "method must be a string"));
    };
    let params = match object.get("params") {
        None => Value::Object(Default::default()),
        Some(params @ Value::Object(_)) => params.clone(),
        Some(_) => return Err((reply_id, INVALID_PARAMS, "params must be an object")),
    };
    Ok(Incoming {
        id,
        method: method.into(),
        params,
    })
}

/// Whether a message is a JSON-RPC response (a client answering us): it needs no reply.
pub fn is_response(message: &Value) -> bool {
    message.get("method").is_none()
        && (message.get("result").is_some() || message.get("error").is_some())
}

pub fn result(id: Value, result: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "result": result })
}

pub fn error(id: Value, code: i64, message: String) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } })
}
