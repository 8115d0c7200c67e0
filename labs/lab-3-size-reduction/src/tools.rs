//! The three tools. Problems with a tool's arguments come back as a result with
//! `isError: true` (tools § error handling); only an unknown tool, or arguments that are not
//! an object, is a protocol error (-32602).

use std::fmt::Display;

use regex::Regex;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::index::{self, Entry};
use crate::rpc::ErrorObject;

/// Largest `limit` of `search_docs`, and the default.
const MAX_LIMIT: u64 = 20;
const DEFAULT_LIMIT: u64 = 5;
/// Longest accepted query and path, in characters.
const MAX_QUERY_CHARS: usize = 200;
const MAX_PATH_CHARS: usize = 100;
/// What a document path looks like.
const PATH_PATTERN: &str = "^/[a-z0-9][a-z0-9/-]*$";

/// `outputSchema` and `structuredContent` exist from revision 2025-06-18 on.
fn has_structured_output(version: &str) -> bool {
    version >= "2025-06-18"
}

#[derive(Serialize)]
pub struct ToolList {
    tools: Vec<Value>,
}

pub fn list(version: &str) -> ToolList {
    let mut tools = vec![
        json!({
            "name": "search_docs",
            "title": "Search the docs",
            "description": format!("Search the bundled notes on Workers, Rust and WebAssembly. Words are matched whole and case-insensitively in titles, tags and bodies (at most {} words); results are ranked by score, then by how recently a doc was updated.", index::MAX_QUERY_WORDS),
            "inputSchema": {
                "type": "object",
                "properties": {
                    "query": { "type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS, "description": "Words to look for." },
                    "limit": { "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT, "description": "Most results to return." }
                },
                "required": ["query"],
                "additionalProperties": false
            },
            "outputSchema": {
                "type": "object",
                "properties": {
                    "query": { "type": "string" },
                    "words": { "type": "array", "items": { "type": "string" } },
                    "total": { "type": "integer" },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "path": { "type": "string" },
                                "title": { "type": "string" },
                                "score": { "type": "number" },
                                "updated": { "type": "string" },
                                "tags": { "type": "array", "items": { "type": "string" } },
                                "snippet": { "type": "string" }
                            },
                            "required": ["path", "title", "score", "updated", "tags", "snippet"]
                        }
                    }
                },
                "required": ["query", "words", "total", "results"]
            },
            "annotations": { "readOnlyHint": true, "openWorldHint": false }
        }),
        json!({
            "name": "get_doc",
            "title": "Read a doc",
            "description": "Read one of the bundled notes in full, by its path (as search_docs returns it).",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "path": { "type": "string", "pattern": PATH_PATTERN, "maxLength": MAX_PATH_CHARS, "description": "The doc's path, e.g. /size/profile." }
                },
                "required": ["path"],
                "additionalProperties": false
            },
            "outputSchema": {
                "type": "object",
                "properties": {
                    "path": { "type": "string" },
                    "title": { "type": "string" },
                    "tags": { "type": "array", "items": { "type": "string" } },
                    "updated": { "type": "string" },
                    "words": { "type": "integer" },
                    "body": { "type": "string" }
                },
                "required": ["path", "title", "tags", "updated", "words", "body"]
            },
            "annotations": { "readOnlyHint": true, "openWorldHint": false }
        }),
        json!({
            "name": "doc_stats",
            "title": "Doc statistics",
            "description": "How many notes there are, how long they are, the most used tags, and the newest and oldest note.",
            "inputSchema": {
                "type": "object",
                "properties": {},
                "additionalProperties": false
            },
            "outputSchema": {
                "type": "object",
                "properties": {
                    "docs": { "type": "integer" },
                    "words": { "type": "integer" },
                    "averageWords": { "type": "number" },
                    "topTags": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": { "tag": { "type": "string" }, "count": { "type": "integer" } },
                            "required": ["tag", "count"]
                        }
                    },
                    "newest": { "type": "object", "properties": { "path": { "type": "string" }, "updated": { "type": "string" } }, "required": ["path", "updated"] },
                    "oldest": { "type": "object", "properties": { "path": { "type": "string" }, "updated": { "type": "string" } }, "required": ["path", "updated"] }
                },
                "required": ["docs", "words", "averageWords", "topTags", "newest", "oldest"]
            },
            "annotations": { "readOnlyHint": true, "openWorldHint": false }
        }),
    ];
    if !has_structured_output(version) {
        for tool in &mut tools {
            if let Some(tool) = tool.as_object_mut() {
                tool.remove("outputSchema");
                tool.remove("title");
            }
        }
    }
    ToolList { tools }
}

/// A tool outcome: structured data and the text that says the same for a human.
struct Output<T: Serialize> {
    text: String,
    structured: T,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CallToolResult<T: Serialize> {
    content: Vec<TextContent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    structured_content: Option<T>,
    is_error: bool,
}

#[derive(Serialize)]
struct TextContent {
    #[serde(rename = "type")]
    kind: &'static str,
    text: String,
}

fn success<T: Serialize>(output: Output<T>, version: &str) -> Result<Value, ErrorObject> {
    let result = CallToolResult {
        content: vec![TextContent {
            kind: "text",
            text: output.text,
        }],
        structured_content: if has_structured_output(version) {
            Some(output.structured)
        } else {
            None
        },
        is_error: false,
    };
    serde_json::to_value(result).map_err(|e| ErrorObject::invalid_params(format!("{e:?}")))
}

fn failure<M: Display>(message: M) -> Result<Value, ErrorObject> {
    let result: CallToolResult<Value> = CallToolResult {
        content: vec![TextContent {
            kind: "text",
            text: message.to_string(),
        }],
        structured_content: None,
        is_error: true,
    };
    serde_json::to_value(result).map_err(|e| ErrorObject::invalid_params(format!("{e:?}")))
}

pub fn call(params: &Value, version: &str) -> Result<Value, ErrorObject> {
    let Some(name) = params.get("name").and_then(Value::as_str) else {
        return Err(ErrorObject::invalid_params(
            "tools/call needs params.name (a string)",
        ));
    };
    let empty = Map::new();
    let args = match params.get("arguments") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(args)) => args,
        Some(_) => {
            return Err(ErrorObject::invalid_params(
                "params.arguments must be an object",
            ))
        }
    };
    match name {
        "search_docs" => match search_docs(args) {
            Ok(output) => success(output, version),
            Err(message) => failure(message),
        },
        "get_doc" => match get_doc(args) {
            Ok(output) => success(output, version),
            Err(message) => failure(message),
        },
        "doc_stats" => match doc_stats(args) {
            Ok(output) => success(output, version),
            Err(message) => failure(message),
        },
        other => Err(ErrorObject::invalid_params(format!(
            "unknown tool: {}",
            other
        ))),
    }
}

/// Refuses arguments the tool does not take, naming them all in alphabetical order.
fn check_known(args: &Map<String, Value>, known: &[&str]) -> Result<(), String> {
    let mut unknown: Vec<&String> = args
        .keys()
        .filter(|k| !known.contains(&k.as_str()))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    unknown.sort();
    let names: Vec<String> = unknown.iter().map(|k| format!("`{}`", k)).collect();
    Err(format!(
        "unknown argument{}: {} (this tool takes: {})",
        if names.len() == 1 { "" } else { "s" },
        names.join(", "),
        if known.is_empty() {
            "nothing".to_string()
        } else {
            known.join(", ")
        }
    ))
}

// ANCHOR: generic-arg
/// Reads an optional argument of type `T`.
fn arg<T: DeserializeOwned>(
    args: &Map<String, Value>,
    name: &str,
    what: &str,
) -> Result<Option<T>, String> {
    match args.get(name) {
        None => Ok(None),
        Some(value) => serde_json::from_value::<T>(value.clone())
            .map(Some)
            .map_err(|_| format!("`{}` must be {}", name, what)),
    }
}
// ANCHOR_END: generic-arg

fn required<T: DeserializeOwned>(
    args: &Map<String, Value>,
    name: &str,
    what: &str,
) -> Result<T, String> {
    arg::<T>(args, name, what)?.ok_or_else(|| format!("`{}` is required", name))
}

#[derive(Serialize)]
struct SearchOutput {
    query: String,
    words: Vec<String>,
    total: usize,
    results: Vec<index::Hit>,
}

fn search_docs(args: &Map<String, Value>) -> Result<Output<SearchOutput>, String> {
    check_known(args, &["query", "limit"])?;
    let query: String = required(args, "query", "a string")?;
    let length = query.chars().count();
    if length == 0 || length > MAX_QUERY_CHARS {
        return Err(format!(
            "`query` must be 1 to {} characters, not {}",
            MAX_QUERY_CHARS, length
        ));
    }
    let limit_error = format!("an integer from 1 to {}", MAX_LIMIT);
    let limit: u64 = arg(args, "limit", &limit_error)?.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(format!("`limit` must be {}", limit_error));
    }
    let words = index::query_words(&query);
    if words.is_empty() {
        return Err("`query` has no words to search for: use letters or digits".to_string());
    }
    let mut hits = index::search(&words);
    let total = hits.len();
    hits.truncate(limit as usize);
    let text = if hits.is_empty() {
        format!("No docs match \"{}\".", query)
    } else {
        let mut text = format!(
            "{} {} \"{}\"; showing {}:\n",
            total,
            if total == 1 {
                "doc matches"
            } else {
                "docs match"
            },
            query,
            hits.len()
        );
        for (i, hit) in hits.iter().enumerate() {
            text.push_str(&format!(
                "\n{}. {} ({})\n   score {:.2} · updated {}\n   {}\n",
                i + 1,
                hit.title,
                hit.path,
                hit.score,
                hit.updated,
                hit.snippet
            ));
        }
        text
    };
    Ok(Output {
        text,
        structured: SearchOutput {
            query,
            words,
            total,
            results: hits,
        },
    })
}

fn path_pattern() -> Regex {
    Regex::new(PATH_PATTERN).expect("valid pattern")
}

#[derive(Serialize)]
struct DocOutput {
    path: String,
    title: String,
    tags: Vec<String>,
    updated: String,
    words: usize,
    body: String,
}

fn get_doc(args: &Map<String, Value>) -> Result<Output<DocOutput>, String> {
    check_known(args, &["path"])?;
    let path: String = required(args, "path", "a string")?;
    if path.chars().count() > MAX_PATH_CHARS || !path_pattern().is_match(&path) {
        return Err(format!(
            "`path` must look like /size/profile: a slash, then lowercase letters, digits, - and / (at most {} characters)",
            MAX_PATH_CHARS
        ));
    }
    let Some(entry) = index::find(&path) else {
        return Err(format!(
            "no doc at {}; search_docs lists the paths that exist",
            path
        ));
    };
    let doc = &entry.doc;
    let updated = index::display_date(&doc.updated);
    let text = format!(
        "# {}\n{} · updated {} · tags: {}\n\n{}",
        doc.title,
        doc.path,
        updated,
        doc.tags.join(", "),
        doc.body
    );
    Ok(Output {
        text,
        structured: DocOutput {
            path: doc.path.clone(),
            title: doc.title.clone(),
            tags: doc.tags.clone(),
            updated,
            words: entry.body_words.len(),
            body: doc.body.clone(),
        },
    })
}

#[derive(Serialize)]
struct TagCount {
    tag: String,
    count: usize,
}

#[derive(Serialize)]
struct Dated {
    path: String,
    updated: String,
}

impl Dated {
    fn of(entry: &Entry) -> Self {
        Dated {
            path: entry.doc.path.clone(),
            updated: index::display_date(&entry.doc.updated),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatsOutput {
    docs: usize,
    words: usize,
    average_words: f64,
    top_tags: Vec<TagCount>,
    newest: Dated,
    oldest: Dated,
}

fn doc_stats(args: &Map<String, Value>) -> Result<Output<StatsOutput>, String> {
    check_known(args, &[])?;
    let stats = index::stats();
    let newest = Dated::of(stats.newest);
    let oldest = Dated::of(stats.oldest);
    let top: Vec<String> = stats
        .tags
        .iter()
        .map(|(tag, count)| format!("{} ({})", tag, count))
        .collect();
    let text = format!(
        "{} docs, {} words ({:.1} per doc on average).\nNewest: {} ({}).\nOldest: {} ({}).\nTop tags: {}.",
        stats.docs,
        stats.words,
        stats.average_words,
        newest.path,
        newest.updated,
        oldest.path,
        oldest.updated,
        top.join(", ")
    );
    Ok(Output {
        text,
        structured: StatsOutput {
            docs: stats.docs,
            words: stats.words,
            average_words: stats.average_words,
            top_tags: stats
                .tags
                .into_iter()
                .map(|(tag, count)| TagCount { tag, count })
                .collect(),
            newest,
            oldest,
        },
    })
}
