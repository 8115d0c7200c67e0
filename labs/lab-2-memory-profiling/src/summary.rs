//! The `summarize_events` tool: check the events, then compute the summary.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::debug_log;

/// How many keys `top_keys` lists.
pub const TOP_KEYS: usize = 5;

/// One event of the tool's input.
#[derive(Clone, Debug)]
pub struct Event {
    pub ts: u64,
    pub key: String,
    pub latency_ms: u32,
    pub ok: bool,
}

/// The type each field must have, as the error message says it.
fn expected(field: &str) -> &'static str {
    match field {
        "ts" => "an integer from 0 to 18446744073709551615 (milliseconds)",
        "key" => "a string",
        "latency_ms" => "an integer from 0 to 4294967295",
        _ => "a boolean",
    }
}

fn missing(index: usize, field: &str) -> String {
    format!("events[{index}] is missing \"{field}\"")
}

fn wrong_type(index: usize, field: &str) -> String {
    format!("events[{index}].{field} must be {}", expected(field))
}

/// Reads `arguments.events` into a list of events. An `Err` is a message for the client: it
/// names the first bad event, checking its fields in the order ts, key, latency_ms, ok.
pub fn parse_events(arguments: &Map<String, Value>) -> Result<Vec<Event>, String> {
    let events = match arguments.get("events") {
        None => {
            return Err(
                "events is required: an array of {ts, key, latency_ms, ok} objects".to_owned(),
            )
        }
        Some(Value::Array(events)) => events,
        Some(_) => return Err("events must be an array".to_owned()),
    };
    let mut parsed = Vec::new();
    for (i, event) in events.iter().enumerate() {
        let Some(fields) = event.as_object() else {
            return Err(format!("events[{i}] must be an object"));
        };
        let ts = match fields.get("ts") {
            None => return Err(missing(i, "ts")),
            Some(v) => v.as_u64().ok_or_else(|| wrong_type(i, "ts"))?,
        };
        let key = match fields.get("key") {
            None => return Err(missing(i, "key")),
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(wrong_type(i, "key")),
        };
        let latency_ms = match fields.get("latency_ms") {
            None => return Err(missing(i, "latency_ms")),
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| wrong_type(i, "latency_ms"))?,
        };
        let ok = match fields.get("ok") {
            None => return Err(missing(i, "ok")),
            Some(v) => v.as_bool().ok_or_else(|| wrong_type(i, "ok"))?,
        };
        parsed.push(Event {
            ts,
            key,
            latency_ms,
            ok,
        });
    }
    if parsed.is_empty() {
        return Err("events must not be empty".to_owned());
    }
    Ok(parsed)
}

/// The nearest-rank percentile of sorted, non-empty values: the value at 1-based rank
/// ceil(n × q / 100).
pub fn nearest_rank(sorted: &[u32], q: u64) -> u32 {
    let n = sorted.len() as u64;
    let rank = (n * q).div_ceil(100).max(1);
    sorted[(rank - 1) as usize]
}

/// The summary of a non-empty list of events.
pub fn summarize(events: &[Event]) -> Value {
    let count = events.len() as u64;
    let ok = events.iter().filter(|e| e.ok).count() as u64;

    let latencies: Vec<u32> = events.iter().map(|e| e.latency_ms).collect();
    let mut sorted = latencies.clone();
    sorted.sort();
    let sum: u64 = latencies.iter().map(|&l| u64::from(l)).sum();

    // One line for the debug log with every key, so a surprising summary can be explained.
    let keys_line: String = events.iter().map(|e| format!("{},", e.key)).collect();
    debug_log::note(format!("summarized {count} events; keys: {keys_line}"));

    let mut counts: HashMap<String, u64> = HashMap::new();
    for event in events {
        *counts.entry(event.key.clone()).or_insert(0) += 1;
    }
    let mut ranked: Vec<(String, u64)> = counts.into_iter().collect();
    // Most frequent first; equal counts in byte order of the key.
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(TOP_KEYS);
    let top_keys: Vec<Value> = ranked
        .into_iter()
        .map(|(key, count)| json!({ "key": key, "count": count }))
        .collect();

    let first = events.iter().map(|e| e.ts).min().unwrap_or(0);
    let last = events.iter().map(|e| e.ts).max().unwrap_or(0);

    json!({
        "count": count,
        "ok": ok,
        "errors": count - ok,
        "latency_ms": {
            "min": sorted[0],
            "p50": nearest_rank(&sorted, 50),
            "p90": nearest_rank(&sorted, 90),
            "p99": nearest_rank(&sorted, 99),
            "max": sorted[sorted.len() - 1],
            "mean": sum / count,
        },
        "top_keys": top_keys,
        "ts": { "first": first, "last": last },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arguments(json: &str) -> Map<String, Value> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn nearest_rank_percentiles() {
        let ten: Vec<u32> = (1..=10).collect();
        assert_eq!(nearest_rank(&ten, 50), 5);
        assert_eq!(nearest_rank(&ten, 90), 9);
        assert_eq!(nearest_rank(&ten, 99), 10);
        assert_eq!(nearest_rank(&[10, 20, 30], 50), 20);
        assert_eq!(nearest_rank(&[7], 99), 7);
    }

    #[test]
    fn summary_of_a_few_events() {
        let events = parse_events(&arguments(
            r#"{"events": [
                {"ts": 300, "key": "b", "latency_ms": 30, "ok": true},
                {"ts": 100, "key": "a", "latency_ms": 10, "ok": false},
                {"ts": 200, "key": "b", "latency_ms": 25, "ok": true, "region": "eu"},
                {"ts": 150, "key": "c", "latency_ms": 40, "ok": true}
            ]}"#,
        ))
        .unwrap();
        assert_eq!(
            summarize(&events),
            json!({
                "count": 4, "ok": 3, "errors": 1,
                "latency_ms": { "min": 10, "p50": 25, "p90": 40, "p99": 40, "max": 40, "mean": 26 },
                "top_keys": [
                    { "key": "b", "count": 2 }, { "key": "a", "count": 1 }, { "key": "c", "count": 1 }
                ],
                "ts": { "first": 100, "last": 300 }
            })
        );
    }

    #[test]
    fn bad_events_are_described() {
        let err = |json: &str| parse_events(&arguments(json)).unwrap_err();
        assert_eq!(err(r#"{"events": []}"#), "events must not be empty");
        assert_eq!(err(r#"{"events": 3}"#), "events must be an array");
        assert_eq!(
            err(r#"{"events": [{"ts": 1, "key": "a", "latency_ms": 1, "ok": true}, []]}"#),
            "events[1] must be an object"
        );
        assert_eq!(
            err(r#"{"events": [{"ok": 1, "key": "a", "latency_ms": 1}]}"#),
            "events[0] is missing \"ts\""
        );
        assert_eq!(
            err(r#"{"events": [{"ts": 1, "key": "a", "latency_ms": -1, "ok": true}]}"#),
            "events[0].latency_ms must be an integer from 0 to 4294967295"
        );
    }
}
