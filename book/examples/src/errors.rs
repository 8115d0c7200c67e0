//! One error type per level (the errors page): a JSON-RPC error object for the client's
//! protocol code, and a tool error that becomes a result the model reads. The tool here,
//! `word_count`, is not one of the labs' tools: the page shows the pattern, lab 4 asks you to
//! apply it to your own tools.

use serde::Serialize;
use serde_json::{json, Value};

// ANCHOR: error-object
/// The `error` member of a JSON-RPC 2.0 response. `code` tells the client's protocol code
/// what went wrong; `message` is for a person; `data` is optional detail.
#[derive(Debug, Serialize)]
pub struct RpcError {
    pub code: i32,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl RpcError {
    pub const PARSE_ERROR: i32 = -32700;
    pub const INVALID_REQUEST: i32 = -32600;
    pub const METHOD_NOT_FOUND: i32 = -32601;
    pub const INVALID_PARAMS: i32 = -32602;

    pub fn method_not_found(method: &str) -> Self {
        RpcError {
            code: Self::METHOD_NOT_FOUND,
            message: format!("method not found: {method}"),
            data: None,
        }
    }

    /// The whole response: the request's `id` goes back unchanged (`null` when it could not
    /// be read, as for a parse error).
    pub fn response(self, id: &Value) -> Value {
        json!({ "jsonrpc": "2.0", "id": id, "error": self })
    }
}
// ANCHOR_END: error-object

// ANCHOR: tool-error
/// Whatever went wrong inside a tool, as a sentence for the model. Any error that can be
/// displayed converts into it, so `?` works on storage and parsing errors inside a tool.
/// (It does not implement `Display` itself: that would make this impl overlap with
/// `From<T> for T`.)
#[derive(Debug)]
pub struct ToolError(pub String);

impl<E: std::fmt::Display> From<E> for ToolError {
    fn from(error: E) -> Self {
        ToolError(error.to_string())
    }
}

/// An example tool: counts the words of `text`. Bad arguments are tool errors, not
/// JSON-RPC errors: the model reads them and can fix its next call.
pub fn word_count(arguments: &Value) -> Result<Value, ToolError> {
    let text = arguments
        .get("text")
        .ok_or_else(|| ToolError("missing argument `text` (a string)".into()))?
        .as_str()
        .ok_or_else(|| ToolError("`text` must be a string".into()))?;
    if text.len() > 10_000 {
        return Err(ToolError(format!(
            "`text` is {} bytes; at most 10000 are accepted",
            text.len()
        )));
    }
    Ok(json!({ "words": text.split_whitespace().count() }))
}
// ANCHOR_END: tool-error

// ANCHOR: tool-result
/// The tool's outcome as a `CallToolResult`: success and failure are both results, told
/// apart by `isError`, and both carry text the model can read.
pub fn call_tool_result(outcome: Result<Value, ToolError>) -> Value {
    match outcome {
        Ok(value) => json!({
            "content": [{ "type": "text", "text": value.to_string() }],
            "isError": false,
        }),
        Err(ToolError(message)) => json!({
            "content": [{ "type": "text", "text": message }],
            "isError": true,
        }),
    }
}
// ANCHOR_END: tool-result

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_method_is_a_json_rpc_error_with_the_requests_id() {
        let reply = RpcError::method_not_found("tools/destroy").response(&json!(7));
        assert_eq!(reply["id"], 7);
        assert_eq!(reply["error"]["code"], -32601);
        assert!(reply["error"].get("data").is_none(), "no data: the member is left out");
    }

    #[test]
    fn a_bad_argument_is_a_result_the_model_can_read() {
        let result = call_tool_result(word_count(&json!({ "text": 42 })));
        assert_eq!(result["isError"], true);
        assert_eq!(result["content"][0]["text"], "`text` must be a string");
    }

    #[test]
    fn a_good_call_is_a_result_too() {
        let result = call_tool_result(word_count(&json!({ "text": "one two  three" })));
        assert_eq!(result["isError"], false);
        assert_eq!(result["content"][0]["text"], r#"{"words":3}"#);
    }

    #[test]
    fn question_mark_turns_any_displayable_error_into_a_tool_error() {
        fn parse(text: &str) -> Result<u32, ToolError> {
            Ok(text.parse::<u32>()?)
        }
        let ToolError(message) = parse("many").unwrap_err();
        assert_eq!(message, "invalid digit found in string");
    }
}
