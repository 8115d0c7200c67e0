//! The three tools. Problems with a tool's arguments come back as a result with
//! `isError: true` (tools § error handling); only an unknown tool, or arguments that are not
//! an object, is a protocol error (-32602).

use std::fmt::Write;

use serde_json::{json, Map, Value};

use crate::index::{self, Entry};
use crate::rpc::{RpcError, INVALID_PARAMS};

/// The tool definitions, as data: parsing a string at run time is far less code than the
/// `json!` macro's insert-by-insert construction of the same tree.
const TOOLS_JSON: &str = include_str!("../data/tools.json");

/// Largest `limit` of `search_docs`, and the default.
const MAX_LIMIT: u64 = 20;
const DEFAULT_LIMIT: u64 = 5;
/// Longest accepted query and path, in characters.
const MAX_QUERY_CHARS: usize = 200;
const MAX_PATH_CHARS: usize = 100;

/// `outputSchema` and `structuredContent` exist from revision 2025-06-18 on.
fn has_structured_output(version: &str) -> bool {
    version >= "2025-06-18"
}

pub fn list(version: &str) -> Value {
    let mut tools: Value = serde_json::from_str(TOOLS_JSON).unwrap_or_default();
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

/// What a tool produces: the text for a human and the same as structured data, or the text
/// of an error the model can act on.
type Outcome = Result<(String, Value), String>;

pub fn call(params: &Value, version: &str) -> Result<Value, RpcError> {
    let Some(name) = params.get("name").and_then(Value::as_str) else {
        return Err((
            INVALID_PARAMS,
            "tools/call needs params.name (a string)".into(),
        ));
    };
    let empty = Map::new();
    let args = match params.get("arguments") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(args)) => args,
        Some(_) => return Err((INVALID_PARAMS, "params.arguments must be an object".into())),
    };
    let outcome = match name {
        "search_docs" => search_docs(args),
        "get_doc" => get_doc(args),
        "doc_stats" => doc_stats(args),
        other => return Err((INVALID_PARAMS, format!("unknown tool: {other}"))),
    };
    Ok(match outcome {
        Ok((text, structured)) => {
            let mut result = json!({
                "content": [{ "type": "text", "text": text }],
                "isError": false
            });
            if has_structured_output(version) {
                result["structuredContent"] = structured;
            }
            result
        }
        Err(message) => json!({
            "content": [{ "type": "text", "text": message }],
            "isError": true
        }),
    })
}

/// Refuses arguments the tool does not take, naming them all in alphabetical order.
fn check_known(args: &Map<String, Value>, known: &[&str]) -> Result<(), String> {
    let mut unknown: Vec<&str> = args
        .keys()
        .map(String::as_str)
        .filter(|k| !known.contains(k))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    unknown.sort_unstable();
    let mut message = String::from(if unknown.len() == 1 {
        "unknown argument: "
    } else {
        "unknown arguments: "
    });
    for (i, name) in unknown.iter().enumerate() {
        if i > 0 {
            message.push_str(", ");
        }
        message.push('`');
        message.push_str(name);
        message.push('`');
    }
    message.push_str(" (this tool takes: ");
    message.push_str(&if known.is_empty() {
        "nothing".into()
    } else {
        known.join(", ")
    });
    message.push(')');
    Err(message)
}

/// A string argument: `Ok(None)` when absent, an error when it is not a string.
fn string_arg<'a>(args: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, String> {
    match args.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("`{name}` must be a string")),
    }
}

fn required_string<'a>(args: &'a Map<String, Value>, name: &str) -> Result<&'a str, String> {
    string_arg(args, name)?.ok_or_else(|| format!("`{name}` is required"))
}

fn search_docs(args: &Map<String, Value>) -> Outcome {
    check_known(args, &["query", "limit"])?;
    let query = required_string(args, "query")?;
    let length = query.chars().count();
    if length == 0 || length > MAX_QUERY_CHARS {
        return Err(format!(
            "`query` must be 1 to {MAX_QUERY_CHARS} characters, not {length}"
        ));
    }
    let limit = match args.get("limit") {
        None => DEFAULT_LIMIT,
        Some(v) => match v.as_u64() {
            Some(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => return Err(format!("`limit` must be an integer from 1 to {MAX_LIMIT}")),
        },
    };
    let words = index::query_words(query);
    if words.is_empty() {
        return Err("`query` has no words to search for: use letters or digits".into());
    }
    let mut hits = index::search(&words);
    let total = hits.len();
    hits.truncate(limit as usize);
    let mut text = String::new();
    if hits.is_empty() {
        let _ = write!(text, "No docs match \"{query}\".");
    } else {
        let matches = if total == 1 {
            "doc matches"
        } else {
            "docs match"
        };
        let _ = writeln!(
            text,
            "{total} {matches} \"{query}\"; showing {}:",
            hits.len()
        );
    }
    let mut results = Vec::with_capacity(hits.len());
    for (i, hit) in hits.iter().enumerate() {
        let entry = hit.entry;
        let updated = index::display_date(entry.updated);
        let snippet = index::snippet(entry.body, &words);
        let _ = write!(
            text,
            "\n{}. {} ({})\n   score {} · updated {updated}\n   {snippet}\n",
            i + 1,
            entry.title,
            entry.path,
            index::decimal(hit.score, 2),
        );
        results.push(json!({
            "path": entry.path,
            "title": entry.title,
            "score": hit.score as f64 / 100.0,
            "updated": updated,
            "tags": entry.tags,
            "snippet": snippet,
        }));
    }
    let structured = json!({
        "query": query,
        "words": words,
        "total": total,
        "results": results,
    });
    Ok((text, structured))
}

/// What a document path looks like: `^/[a-z0-9][a-z0-9/-]*$`, without a regex engine.
fn is_doc_path(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    rest.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && rest
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'/' || b == b'-')
}

fn get_doc(args: &Map<String, Value>) -> Outcome {
    check_known(args, &["path"])?;
    let path = required_string(args, "path")?;
    if path.chars().count() > MAX_PATH_CHARS || !is_doc_path(path) {
        return Err(format!("`path` must look like /size/profile: a slash, then lowercase letters, digits, - and / (at most {MAX_PATH_CHARS} characters)"));
    }
    let Some(entry) = index::find(path) else {
        return Err(format!(
            "no doc at {path}; search_docs lists the paths that exist"
        ));
    };
    let updated = index::display_date(entry.updated);
    let text = format!(
        "# {}\n{} · updated {updated} · tags: {}\n\n{}",
        entry.title,
        entry.path,
        entry.tags.join(", "),
        entry.body
    );
    let structured = json!({
        "path": entry.path,
        "title": entry.title,
        "tags": entry.tags,
        "updated": updated,
        "words": entry.body_words.len(),
        "body": entry.body,
    });
    Ok((text, structured))
}

fn dated(entry: &Entry) -> Value {
    json!({ "path": entry.path, "updated": index::display_date(entry.updated) })
}

fn doc_stats(args: &Map<String, Value>) -> Outcome {
    check_known(args, &[])?;
    let Some(stats) = index::stats() else {
        return Err("there are no docs".into());
    };
    let (newest, oldest) = (stats.newest, stats.oldest);
    let mut text = format!(
        "{} docs, {} words ({} per doc on average).\nNewest: {} ({}).\nOldest: {} ({}).\nTop tags: ",
        stats.docs,
        stats.words,
        index::decimal(stats.average_tenths, 1),
        newest.path,
        index::display_date(newest.updated),
        oldest.path,
        index::display_date(oldest.updated),
    );
    let mut top_tags = Vec::with_capacity(stats.tags.len());
    for (i, (tag, count)) in stats.tags.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        let _ = write!(text, "{tag} ({count})");
        top_tags.push(json!({ "tag": tag, "count": count }));
    }
    text.push('.');
    let structured = json!({
        "docs": stats.docs,
        "words": stats.words,
        "averageWords": stats.average_tenths as f64 / 10.0,
        "topTags": top_tags,
        "newest": dated(newest),
        "oldest": dated(oldest),
    });
    Ok((text, structured))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_paths() {
        assert!(is_doc_path("/size/profile"));
        assert!(is_doc_path("/a"));
        assert!(is_doc_path("/0-/"));
        assert!(!is_doc_path("/"));
        assert!(!is_doc_path("//a"));
        assert!(!is_doc_path("/-a"));
        assert!(!is_doc_path("/Size"));
        assert!(!is_doc_path("size"));
        assert!(!is_doc_path("/size\n"));
        assert!(!is_doc_path("/größe"));
    }

    #[test]
    fn tool_definitions_parse_and_shrink_for_old_revisions() {
        let new = list("2025-11-25");
        assert_eq!(new.as_array().map(Vec::len), Some(3));
        assert!(new[0].get("outputSchema").is_some());
        let old = list("2025-03-26");
        assert!(old[0].get("outputSchema").is_none() && old[0].get("title").is_none());
    }
}
