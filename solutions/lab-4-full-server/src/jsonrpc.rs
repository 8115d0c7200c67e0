//! JSON-RPC 2.0 framing: what a message is, and the error objects the spec defines.

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

// ANCHOR: error-object
pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;

/// A JSON-RPC error object (`code`, `message`, optional `data`).
#[derive(Debug, Serialize)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}
// ANCHOR_END: error-object

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(INVALID_PARAMS, message)
    }
}

/// One incoming message, already checked to be a well-formed request or notification.
pub struct Incoming {
    /// `None` for a notification: it gets no reply.
    pub id: Option<Value>,
    pub method: String,
    pub params: Value,
}

/// Checks the JSON-RPC envelope. On failure returns the id to answer with (null when the
/// id itself is unusable) and the error.
pub fn parse_message(msg: &Value) -> Result<Incoming, (Value, RpcError)> {
    let Some(obj) = msg.as_object() else {
        return Err((
            Value::Null,
            RpcError::new(INVALID_REQUEST, "a JSON-RPC message must be an object"),
        ));
    };
    let id = match obj.get("id") {
        None => None,
        Some(id @ (Value::String(_) | Value::Number(_))) => Some(id.clone()),
        Some(_) => {
            return Err((
                Value::Null,
                RpcError::new(INVALID_REQUEST, "id must be a string or a number"),
            ))
        }
    };
    let reply_id = id.clone().unwrap_or(Value::Null);
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err((
            reply_id,
            RpcError::new(INVALID_REQUEST, "jsonrpc must be \"2.0\""),
        ));
    }
    let Some(method) = obj.get("method").and_then(Value::as_str) else {
        return Err((
            reply_id,
            RpcError::new(INVALID_REQUEST, "method must be a string"),
        ));
    };
    let params = match obj.get("params") {
        None => Value::Object(Default::default()),
        Some(p @ Value::Object(_)) => p.clone(),
        Some(_) => {
            return Err((
                reply_id,
                RpcError::invalid_params("params must be an object"),
            ))
        }
    };
    Ok(Incoming {
        id,
        method: method.to_owned(),
        params,
    })
}

// ANCHOR: envelope
/// A reply as it goes on the wire. Typed rather than a `json!` tree: the result (or error) is
/// serialized into the reply as it is, with no intermediate `Value` to build and drop, and a
/// result that never changes can be serialized once and reused (`mcp::tools_list`).
#[derive(Serialize)]
struct Envelope<'a> {
    jsonrpc: &'static str,
    id: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a RpcError>,
}

/// A reply carrying a result that is already JSON text.
pub fn result(id: &Value, result: &RawValue) -> Box<RawValue> {
    serialize(&Envelope {
        jsonrpc: "2.0",
        id,
        result: Some(result),
        error: None,
    })
}

/// A reply carrying an error.
pub fn error(id: &Value, error: &RpcError) -> Box<RawValue> {
    serialize(&Envelope {
        jsonrpc: "2.0",
        id,
        result: None,
        error: Some(error),
    })
}
// ANCHOR_END: envelope

/// JSON text of a value. Only maps with string keys and finite numbers are serialized here, and
/// serde_json cannot fail on those.
pub fn serialize<T: Serialize + ?Sized>(value: &T) -> Box<RawValue> {
    serde_json::value::to_raw_value(value).expect("replies are plain JSON")
}
