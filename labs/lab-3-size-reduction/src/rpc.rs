//! JSON-RPC 2.0 framing: what a message is, and the reply and error objects.

use serde::Serialize;
use serde_json::Value;

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;

/// A JSON-RPC error object.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorObject {
    pub code: i64,
    pub message: String,
}

impl ErrorObject {
    pub fn new<S: Into<String>>(code: i64, message: S) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn invalid_params<S: Into<String>>(message: S) -> Self {
        Self::new(INVALID_PARAMS, message)
    }
}

#[derive(Debug, Serialize)]
pub struct JsonRpcResult<T: Serialize> {
    pub jsonrpc: &'static str,
    pub id: Value,
    pub result: T,
}

impl<T: Serialize> JsonRpcResult<T> {
    pub fn new(id: Value, result: T) -> Self {
        Self {
            jsonrpc: "2.0",
            id,
            result,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct JsonRpcError {
    pub jsonrpc: &'static str,
    /// `null` when the request's id could not be read.
    pub id: Value,
    pub error: ErrorObject,
}

impl JsonRpcError {
    pub fn new(id: Option<Value>, error: ErrorObject) -> Self {
        Self {
            jsonrpc: "2.0",
            id: id.unwrap_or(Value::Null),
            error,
        }
    }
}

/// One incoming request (`id: Some`) or notification (`id: None`).
#[derive(Debug)]
pub struct Incoming {
    pub id: Option<Value>,
    pub method: String,
    pub params: Value,
}

/// Checks the JSON-RPC envelope. On failure returns the id to answer with (`None` when the id
/// itself is unusable) and the error.
pub fn parse(message: &Value) -> Result<Incoming, (Option<Value>, ErrorObject)> {
    if message.is_array() {
        return Err((
            None,
            ErrorObject::new(INVALID_REQUEST, "batches are not supported"),
        ));
    }
    let Some(object) = message.as_object() else {
        return Err((
            None,
            ErrorObject::new(INVALID_REQUEST, "a JSON-RPC message must be an object"),
        ));
    };
    let id = match object.get("id") {
        None => None,
        Some(id @ (Value::String(_) | Value::Number(_))) => Some(id.clone()),
        Some(_) => {
            return Err((
                None,
                ErrorObject::new(INVALID_REQUEST, "id must be a string or a number"),
            ))
        }
    };
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err((
            id,
            ErrorObject::new(INVALID_REQUEST, "jsonrpc must be \"2.0\""),
        ));
    }
    let Some(method) = object.get("method").and_then(Value::as_str) else {
        return Err((
            id,
            ErrorObject::new(INVALID_REQUEST, "method must be a string"),
        ));
    };
    let params = match object.get("params") {
        None => Value::Object(Default::default()),
        Some(params @ Value::Object(_)) => params.clone(),
        Some(_) => {
            return Err((id, ErrorObject::invalid_params("params must be an object")));
        }
    };
    Ok(Incoming {
        id,
        method: method.to_string(),
        params,
    })
}

/// Whether a message is a JSON-RPC response (a client answering us): it needs no reply.
pub fn is_response(message: &Value) -> bool {
    message.get("method").is_none()
        && (message.get("result").is_some() || message.get("error").is_some())
}
