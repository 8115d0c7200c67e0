//! The server's tools. Input problems the model can fix come back as a tool result with
//! `isError: true` (tools § error handling); a call to a tool that does not exist, or with
//! arguments that are not an object, is a protocol error (-32602).

use serde_json::{json, Map, Value};
use wasm_bindgen::JsValue;
use worker::Env;

use crate::jsonrpc::RpcError;
use crate::sql_guard;

/// Most rows `query_data` returns; the query is wrapped so D1 never produces more.
pub const MAX_ROWS: usize = 100;
/// Longest accepted key, in bytes (the Workers KV limit is 512).
pub const MAX_KEY_BYTES: usize = 512;
/// Largest accepted value, in bytes: this server keeps small notes, not blobs.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
/// Workers KV refuses expirations shorter than a minute.
pub const MIN_TTL_SECONDS: u64 = 60;
const KV_BINDING: &str = "KV";
const D1_BINDING: &str = "DB";

/// `outputSchema` and `structuredContent` exist from revision 2025-06-18 on.
pub fn has_structured_output(version: &str) -> bool {
    version >= "2025-06-18"
}

// ANCHOR: definitions
/// The tools as `tools/list` shows them, newest revision first: data, not code. `json!`
/// would compile these ninety lines into code that builds the same tree on every call;
/// as JSON text they cost their bytes once, and `mcp::tools_list` parses them once.
const DEFINITIONS: &str = include_str!("tools.json");

/// The tool definitions a client of `version` understands.
pub fn definitions(version: &str) -> Value {
    let mut tools: Value =
        serde_json::from_slice(DEFINITIONS.as_bytes()).expect("tools.json is JSON");
    if !has_structured_output(version) {
        for tool in tools.as_array_mut().into_iter().flatten() {
            if let Some(tool) = tool.as_object_mut() {
                tool.remove("outputSchema");
                tool.remove("title");
            }
        }
    }
    tools
}
// ANCHOR_END: definitions

// ANCHOR: tool-error
/// A tool failure the model can read and act on.
struct ToolError(String);

impl<E: std::fmt::Display> From<E> for ToolError {
    fn from(e: E) -> Self {
        ToolError(e.to_string())
    }
}
// ANCHOR_END: tool-error

pub async fn call(params: &Value, version: &str, env: &Env) -> Result<Value, RpcError> {
    let Some(name) = params.get("name").and_then(Value::as_str) else {
        return Err(RpcError::invalid_params(
            "tools/call needs params.name (a string)",
        ));
    };
    let empty = Map::new();
    let args = match params.get("arguments") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(args)) => args,
        Some(_) => {
            return Err(RpcError::invalid_params(
                "params.arguments must be an object",
            ))
        }
    };
    let outcome = match name {
        "query_data" => query_data(args, env).await,
        "store_value" => store_value(args, env).await,
        "get_value" => get_value(args, env).await,
        "list_keys" => list_keys(args, env).await,
        other => return Err(RpcError::invalid_params(format!("unknown tool: {other}"))),
    };
    // ANCHOR: tool-result
    Ok(match outcome {
        Ok(structured) => {
            let mut result = json!({
                "content": [{ "type": "text", "text": structured.to_string() }],
                "isError": false
            });
            if has_structured_output(version) {
                result["structuredContent"] = structured;
            }
            result
        }
        Err(ToolError(message)) => json!({
            "content": [{ "type": "text", "text": message }],
            "isError": true
        }),
    })
    // ANCHOR_END: tool-result
}

fn string_arg<'a>(args: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, ToolError> {
    match args.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ToolError(format!("`{name}` must be a string"))),
    }
}

fn required_string<'a>(args: &'a Map<String, Value>, name: &str) -> Result<&'a str, ToolError> {
    string_arg(args, name)?.ok_or_else(|| ToolError(format!("`{name}` is required")))
}

fn integer_arg(
    args: &Map<String, Value>,
    name: &str,
    min: u64,
    max: u64,
) -> Result<Option<u64>, ToolError> {
    match args.get(name) {
        None => Ok(None),
        Some(v) => match v.as_u64() {
            Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(ToolError(format!(
                "`{name}` must be an integer from {min} to {max}"
            ))),
        },
    }
}

fn reject_unknown(args: &Map<String, Value>, known: &[&str]) -> Result<(), ToolError> {
    match args.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(ToolError(format!("unknown argument `{k}`"))),
        None => Ok(()),
    }
}

fn checked_key(args: &Map<String, Value>) -> Result<&str, ToolError> {
    let key = required_string(args, "key")?;
    if key.is_empty() || key.len() > MAX_KEY_BYTES {
        return Err(ToolError(format!(
            "`key` must be 1 to {MAX_KEY_BYTES} bytes"
        )));
    }
    if key.chars().any(char::is_control) {
        return Err(ToolError(
            "`key` must not contain control characters".into(),
        ));
    }
    Ok(key)
}

async fn query_data(args: &Map<String, Value>, env: &Env) -> Result<Value, ToolError> {
    reject_unknown(args, &["sql", "params"])?;
    let sql = required_string(args, "sql")?;
    let query = sql_guard::check_read_only(sql)?;
    let binds = match args.get("params") {
        None => Vec::new(),
        Some(Value::Array(values)) => values.iter().map(to_js).collect::<Result<_, _>>()?,
        Some(_) => return Err(ToolError("`params` must be an array".into())),
    };
    // Our own integer, never user text: fetch one row more than we return to detect truncation.
    let wrapped = format!("SELECT * FROM (\n{query}\n) LIMIT {}", MAX_ROWS + 1);
    let db = env.d1(D1_BINDING)?;
    let mut rows: Vec<Value> = db.prepare(wrapped).bind(&binds)?.all().await?.results()?;
    let truncated = rows.len() > MAX_ROWS;
    rows.truncate(MAX_ROWS);
    Ok(json!({ "rows": rows, "truncated": truncated }))
}

fn to_js(value: &Value) -> Result<JsValue, ToolError> {
    Ok(match value {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::Number(n) => JsValue::from_f64(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => JsValue::from_str(s),
        _ => {
            return Err(ToolError(
                "`params` may hold only strings, numbers, booleans and null".into(),
            ))
        }
    })
}

async fn store_value(args: &Map<String, Value>, env: &Env) -> Result<Value, ToolError> {
    reject_unknown(args, &["key", "value", "ttl_seconds"])?;
    let key = checked_key(args)?;
    let value = required_string(args, "value")?;
    if value.len() > MAX_VALUE_BYTES {
        return Err(ToolError(format!(
            "`value` must be at most {MAX_VALUE_BYTES} bytes"
        )));
    }
    let ttl = integer_arg(args, "ttl_seconds", MIN_TTL_SECONDS, 365 * 24 * 3600)?;
    let mut put = env.kv(KV_BINDING)?.put(key, value)?;
    if let Some(ttl) = ttl {
        put = put.expiration_ttl(ttl);
    }
    put.execute().await?;
    Ok(json!({ "key": key, "stored": true }))
}

async fn get_value(args: &Map<String, Value>, env: &Env) -> Result<Value, ToolError> {
    reject_unknown(args, &["key"])?;
    let key = checked_key(args)?;
    let value = env.kv(KV_BINDING)?.get(key).text().await?;
    Ok(json!({ "key": key, "found": value.is_some(), "value": value }))
}

async fn list_keys(args: &Map<String, Value>, env: &Env) -> Result<Value, ToolError> {
    reject_unknown(args, &["prefix", "limit"])?;
    let prefix = string_arg(args, "prefix")?;
    let limit = integer_arg(args, "limit", 1, 1000)?.unwrap_or(100);
    let mut list = env.kv(KV_BINDING)?.list().limit(limit);
    if let Some(prefix) = prefix {
        list = list.prefix(prefix.to_owned());
    }
    let page = list.execute().await?;
    let keys: Vec<String> = page.keys.into_iter().map(|k| k.name).collect();
    Ok(json!({ "keys": keys, "complete": page.list_complete }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(tools: &Value, tool: &str, field: &str) -> Value {
        let tool = tools.as_array().unwrap().iter().find(|t| t["name"] == tool);
        tool.unwrap()["inputSchema"]["properties"][field].clone()
    }

    /// tools.json is data the compiler does not see: it must state the limits the code enforces.
    #[test]
    fn the_definitions_state_the_limits_the_code_enforces() {
        let tools = definitions("2026-07-28");
        for (tool, field) in [
            ("store_value", "key"),
            ("get_value", "key"),
            ("list_keys", "prefix"),
        ] {
            assert_eq!(
                input(&tools, tool, field)["maxLength"],
                MAX_KEY_BYTES,
                "{tool}.{field}"
            );
        }
        assert_eq!(
            input(&tools, "store_value", "value")["maxLength"],
            MAX_VALUE_BYTES
        );
        assert_eq!(
            input(&tools, "store_value", "ttl_seconds")["minimum"],
            MIN_TTL_SECONDS
        );
        let query = &tools[0];
        assert_eq!(query["name"], "query_data");
        let description = query["description"].as_str().unwrap();
        assert!(
            description.contains(&format!("At most {MAX_ROWS} rows")),
            "{description}"
        );
    }

    #[test]
    fn revisions_before_2025_06_18_get_no_output_schemas_or_titles() {
        for tool in definitions("2025-03-26").as_array().unwrap() {
            assert!(
                tool.get("outputSchema").is_none() && tool.get("title").is_none(),
                "{tool}"
            );
        }
        for tool in definitions("2025-06-18").as_array().unwrap() {
            assert!(
                tool["outputSchema"].is_object() && tool["title"].is_string(),
                "{tool}"
            );
        }
    }
}
