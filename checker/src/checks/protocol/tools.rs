//! The lab's tools: listed with valid definitions in every revision, and doing what they
//! say — effects on KV and D1 verified from outside the Worker, through Miniflare.

use serde_json::{json, Value};

use super::probes::{self, Kv, Query, ToolError};
use super::{expect_valid_result, summarise};
use crate::checks::mcp::{self, Tally, LEGACY, LEGACY_REVISIONS, MODERN};
use crate::checks::{Context, Outcome};
use crate::harness::Inspect;
use crate::mcp_client::{Exchange, Ids};

/// `tools/list` in every revision the server speaks.
pub fn tools_list(ctx: &mut Context) -> Outcome {
    let expected = ctx.spec.tools.clone();
    let mut tally = Tally::default();
    let revisions = LEGACY_REVISIONS.iter().copied().chain([MODERN]);
    for (n, revision) in revisions.enumerate() {
        let id = 50 + n as u64;
        let exchange = if revision == MODERN {
            mcp::send_modern(
                ctx,
                &mcp::modern_request(id, "tools/list", json!({}), MODERN),
            )
        } else {
            mcp::send_legacy(ctx, revision, &mcp::request(id, "tools/list", json!({})))
        };
        let verdict = match expect_valid_result(
            ctx,
            &exchange,
            id,
            "tools/list",
            revision,
            "ListToolsResult",
        ) {
            Err(outcome) => Err(outcome.message),
            Ok(body) => listing_verdict(&body["result"]["tools"], &expected, revision),
        };
        tally.case(
            &format!("tools/list ({revision})"),
            &exchange,
            &format!(
                "a ListToolsResult valid in {revision} listing {}{}",
                expected.join(", "),
                match revision < STRUCTURED_OUTPUT_SINCE {
                    true => "",
                    false => ", each with an outputSchema",
                }
            ),
            verdict,
        );
    }
    if let Ok(probe) = probes::section(ctx.lab, "[kv]", |cases| cases.kv) {
        schema_bounds_case(ctx, &mut tally, &probe);
    }
    tally.outcome(
        format!("lists {} in all 5 revisions, valid per each schema", expected.join(", ")),
        "Each tool needs a name, a description and an inputSchema of type object, and from 2025-06-18 on an outputSchema of type object; 2026-07-28 list results also need resultType, ttlMs and cacheScope.",
    )
}

/// The revision from which a tool declares `outputSchema` and returns `structuredContent`.
const STRUCTURED_OUTPUT_SINCE: &str = "2025-06-18";

/// A `tools/list` result's `tools` in `revision`: every `expected` tool is listed, and from
/// 2025-06-18 on each declares an `outputSchema` (an object schema), as the lab asks — without
/// one, no client can check the `structuredContent` the tool returns.
fn listing_verdict(tools: &Value, expected: &[String], revision: &str) -> Result<(), String> {
    let tools = tools.as_array().map(Vec::as_slice).unwrap_or_default();
    let find = |name: &str| tools.iter().find(|t| t["name"] == name);
    let missing: Vec<&str> = expected
        .iter()
        .map(String::as_str)
        .filter(|name| find(name).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(format!("missing {}", missing.join(", ")));
    }
    // Revision names are dates, so they compare as text.
    if revision < STRUCTURED_OUTPUT_SINCE {
        return Ok(());
    }
    let without: Vec<&str> = expected
        .iter()
        .map(String::as_str)
        .filter(|name| find(name).is_some_and(|t| t["outputSchema"]["type"] != "object"))
        .collect();
    match without.is_empty() {
        true => Ok(()),
        false => Err(format!(
            "no outputSchema (an object schema) on {}",
            without.join(", ")
        )),
    }
}

/// Where an inputSchema states a bound on `key` (or `prefix`) or on `ttl_seconds`, it must not
/// invite what the tools refuse: a `maxLength` above the key limit, a `minimum` under KV's
/// shortest TTL. (No bound at all is fine: the tools refuse such arguments either way.)
fn schema_bounds_case(ctx: &mut Context, tally: &mut Tally, probe: &Kv) {
    let exchange = mcp::send_legacy(ctx, LEGACY, &mcp::request(58, "tools/list", json!({})));
    let verdict = mcp::result_of(&exchange, &json!(58)).and_then(|result| {
        let mut wrong = Vec::new();
        for tool in result["tools"].as_array().into_iter().flatten() {
            let name = tool["name"].as_str().unwrap_or("?");
            let properties = &tool["inputSchema"]["properties"];
            for key in ["key", "prefix"] {
                if let Some(max) = properties[key]["maxLength"].as_u64() {
                    if max > probe.max_key_bytes as u64 {
                        wrong.push(format!(
                            "{name}.{key} maxLength {max} > {}",
                            probe.max_key_bytes
                        ));
                    }
                }
            }
            if let Some(min) = properties["ttl_seconds"]["minimum"].as_f64() {
                if min < probe.min_ttl_seconds as f64 {
                    wrong.push(format!(
                        "{name}.ttl_seconds minimum {min} < {}",
                        probe.min_ttl_seconds
                    ));
                }
            }
        }
        match wrong.is_empty() {
            true => Ok(()),
            false => Err(wrong.join("; ")),
        }
    });
    tally.case(
        "inputSchema bounds",
        &exchange,
        &format!(
            "no key maxLength above {}, no ttl_seconds minimum under {}",
            probe.max_key_bytes, probe.min_ttl_seconds
        ),
        verdict,
    );
}

/// The tool's definition from `tools/list` (revision `LEGACY`), for its outputSchema.
fn tool_definition(ctx: &Context, name: &str) -> Option<Value> {
    let exchange = mcp::send_legacy(ctx, LEGACY, &mcp::request(59, "tools/list", json!({})));
    let result = mcp::result_of(&exchange, &json!(59)).ok()?;
    result["tools"]
        .as_array()?
        .iter()
        .find(|t| t["name"] == name)
        .cloned()
}

/// A successful tool result: the `CallToolResult`, valid, not an error, and with
/// `structuredContent` matching the tool's `outputSchema` when it declares one.
fn tool_success(
    ctx: &mut Context,
    exchange: &Exchange,
    id: u64,
    tool: &str,
) -> Result<Value, String> {
    let body = expect_valid_result(
        ctx,
        exchange,
        id,
        &format!("tools/call {tool}"),
        LEGACY,
        "CallToolResult",
    )
    .map_err(|o| o.message)?;
    let result = body["result"].clone();
    if result["isError"] == json!(true) {
        return Err(format!("the tool reported an error: {}", result["content"]));
    }
    if let Some(schema) = tool_definition(ctx, tool).and_then(|t| t.get("outputSchema").cloned()) {
        let Some(structured) = result.get("structuredContent") else {
            return Err(
                "the tool declares an outputSchema but the result has no structuredContent".into(),
            );
        };
        let validator = jsonschema::validator_for(&schema)
            .map_err(|e| format!("the tool's outputSchema is not a valid JSON Schema: {e}"))?;
        let errors: Vec<String> = validator
            .iter_errors(structured)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        if !errors.is_empty() {
            return Err(format!(
                "structuredContent does not match the tool's outputSchema: {}",
                summarise(&errors, 2)
            ));
        }
    }
    Ok(result)
}

/// The JSON a tool returned: its structuredContent, or its first text block parsed as JSON.
fn payload(result: &Value) -> Option<Value> {
    result.get("structuredContent").cloned().or_else(|| {
        result["content"][0]["text"]
            .as_str()
            .and_then(|t| serde_json::from_str(t).ok())
    })
}

/// Calls `tool` (revision `LEGACY`) as request `ids.next_id()`: that id, and the exchange.
fn call(ctx: &Context, ids: &mut Ids, tool: &str, arguments: Value) -> (u64, Exchange) {
    let id = ids.next_id();
    (id, mcp::call_tool(ctx, LEGACY, id, tool, arguments))
}

/// Calls `tool` as `call` does and holds the reply to a successful result (`tool_success`):
/// the exchange, for the report, and the result or why it is not one.
fn call_ok(
    ctx: &mut Context,
    ids: &mut Ids,
    tool: &str,
    arguments: Value,
) -> (Exchange, Result<Value, String>) {
    let (id, exchange) = call(ctx, ids, tool, arguments);
    let result = tool_success(ctx, &exchange, id, tool);
    (exchange, result)
}

/// `store_value`, `get_value` and `list_keys`, with KV read from outside the Worker; the
/// keys and values are `[kv]` of the lab's `cases.toml`.
pub fn kv_tools(ctx: &mut Context) -> Outcome {
    // Long on purpose: one story in order: store, read back, list, prefix, TTL; each step reads
    // what the last one wrote.
    let Some(kv) = ctx.lab.worker.kv.first().cloned() else {
        return Outcome::fail(
            "the lab manifest declares no KV binding",
            "Report this to the course maintainers.",
        );
    };
    let probe: Kv = match probes::section(ctx.lab, "[kv]", |cases| cases.kv) {
        Ok(probe) => probe,
        Err(outcome) => return *outcome,
    };
    let mut ids = ctx.client.ids(60);
    // A fresh value each run, so an old entry cannot pass for this one.
    let nanos = ctx
        .server
        .now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let value = format!("{} {nanos}", probe.value);
    let mut tally = Tally::default();

    let (exchange, result) = call_ok(
        ctx,
        &mut ids,
        "store_value",
        json!({ "key": probe.key, "value": value }),
    );
    let stored = result;
    let in_kv = ctx.server.inspect(Inspect::KvGet {
        ns: kv.clone(),
        key: probe.key.clone(),
    });
    let verdict = stored.and_then(|_| match in_kv {
        Ok(Value::String(found)) if found == value => Ok(()),
        Ok(found) => Err(format!(
            "KV holds {found} under {:?}, not the value sent",
            probe.key
        )),
        Err(e) => Err(format!("cannot read KV from outside the Worker: {e:#}")),
    });
    let plain_store = exchange.clone();
    tally.case(
        "store_value writes KV",
        &exchange,
        "the value in KV under the key, read through Miniflare",
        verdict,
    );

    let (exchange, result) = call_ok(ctx, &mut ids, "get_value", json!({ "key": probe.key }));
    let verdict = result.and_then(|result| {
        let text = result["content"][0]["text"].as_str().unwrap_or_default();
        if text.contains(&value) || payload(&result).is_some_and(|p| p["value"] == json!(value)) {
            Ok(())
        } else {
            Err("the stored value is not in the result".into())
        }
    });
    tally.case(
        "get_value reads it back",
        &exchange,
        "the stored value in the tool result",
        verdict,
    );

    let (exchange, result) = call_ok(
        ctx,
        &mut ids,
        "list_keys",
        json!({ "prefix": probe.list_prefix }),
    );
    let verdict = result.and_then(|result| {
        let text = result["content"][0]["text"].as_str().unwrap_or_default();
        let listed = payload(&result)
            .and_then(|p| p["keys"].as_array().cloned())
            .is_some_and(|keys| keys.contains(&json!(probe.key)));
        if listed || text.contains(&probe.key) {
            Ok(())
        } else {
            Err(format!("{} is not listed", probe.key))
        }
    });
    tally.case(
        "list_keys lists it",
        &exchange,
        "the stored key among the keys",
        verdict,
    );

    let ttl = probe.ttl_seconds;
    let (exchange, result) = call_ok(
        ctx,
        &mut ids,
        "store_value",
        json!({ "key": probe.ttl_key, "value": probe.ttl_value, "ttl_seconds": ttl }),
    );
    let now = ctx
        .server
        .now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let verdict = result.and_then(|_| {
        let snapshot = ctx
            .server
            .inspect(Inspect::KvSnapshot { ns: kv.clone() })
            .map_err(|e| format!("cannot read KV from outside the Worker: {e:#}"))?;
        match snapshot[&probe.ttl_key]["expiration"].as_i64() {
            Some(at) if (at - (now + ttl)).abs() <= 120 => Ok(()),
            Some(at) => Err(format!("expires {} s from now, not {ttl} s", at - now)),
            None => Err("stored without an expiration".into()),
        }
    });
    tally.case(
        "ttl_seconds sets an expiration",
        &exchange,
        "the KV entry expiring ttl_seconds from now",
        verdict,
    );

    let plain = ctx
        .server
        .inspect(Inspect::KvSnapshot { ns: kv.clone() })
        .map_err(|e| format!("cannot read KV from outside the Worker: {e:#}"));
    absent_key_case(ctx, &mut ids, &mut tally, &probe, nanos);
    listing_cases(ctx, &mut ids, &mut tally, &probe);
    no_expiration_case(&mut tally, &probe, &plain_store, plain);
    default_limit_case(ctx, &mut tally, &probe);
    boundary_case(ctx, &mut ids, &mut tally, &probe, &kv);

    tally.outcome(
        "values written through the tools are in KV, read back, listed (by prefix, up to limit), expire only when asked, and a missing key is found: false",
        "Use env.kv(\"KV\"): put(key, value) (with .expiration_ttl(ttl) only when ttl_seconds is given), get(key).text() (None is found: false, value: null), list().prefix(p).limit(n) (complete is list_complete).",
    )
}

/// The value stored without `ttl_seconds` (by `store`; `plain` is KV as read after it) has no
/// expiration.
fn no_expiration_case(
    tally: &mut Tally,
    probe: &Kv,
    store: &Exchange,
    plain: Result<Value, String>,
) {
    let verdict = plain.and_then(|snapshot| {
        let entry = &snapshot[&probe.key];
        match &entry["expiration"] {
            _ if entry.is_null() => Err(format!("{:?} is not in KV", probe.key)),
            Value::Null => Ok(()),
            at => Err(format!("expires at {at}, though no ttl_seconds was given")),
        }
    });
    tally.case(
        "store_value without ttl_seconds does not expire",
        store,
        "the KV entry without an expiration",
        verdict,
    );
}

/// The longest key with the longest value the tools accept: stored, byte for byte. (One byte
/// more of either is refused: `robustness.bad-input`.)
fn boundary_case(ctx: &mut Context, ids: &mut Ids, tally: &mut Tally, probe: &Kv, kv: &str) {
    let fill = probe.max_key_bytes.saturating_sub(probe.list_prefix.len());
    let key = format!("{}{}", probe.list_prefix, "k".repeat(fill));
    let value = "v".repeat(probe.max_value_bytes);
    let (exchange, result) = call_ok(
        ctx,
        ids,
        "store_value",
        json!({ "key": key, "value": value }),
    );
    let verdict = result.and_then(|_| {
        match ctx.server.inspect(Inspect::KvGet {
            ns: kv.to_owned(),
            key: key.clone(),
        }) {
            Ok(Value::String(found)) if found == value => Ok(()),
            Ok(Value::String(found)) => Err(format!(
                "KV holds {} bytes under the key, not the {} sent",
                found.len(),
                value.len()
            )),
            Ok(other) => Err(format!("KV holds {other} under the key")),
            Err(e) => Err(format!("cannot read KV from outside the Worker: {e:#}")),
        }
    });
    tally.case(
        &format!(
            "store_value at the limits ({}-byte key, {}-byte value)",
            probe.max_key_bytes, probe.max_value_bytes
        ),
        &exchange,
        "stored: the limits are inclusive",
        verdict,
    );
}

/// `list_keys` without `limit` returns `default_list_limit` keys and `complete: false` once
/// more keys than that share the prefix: the default is part of the tool's contract.
fn default_limit_case(ctx: &mut Context, tally: &mut Tally, probe: &Kv) {
    let prefix = format!("{}many:", probe.list_prefix);
    // Ids of their own, well above every other check's.
    let mut ids = ctx.client.ids(1000);
    for n in 0..=probe.default_list_limit {
        let key = format!("{prefix}{n:04}");
        let (id, exchange) = call(
            ctx,
            &mut ids,
            "store_value",
            json!({ "key": key, "value": "v" }),
        );
        let stored = mcp::result_of(&exchange, &json!(id)).and_then(|result| {
            match result["isError"] == json!(true) {
                true => Err(format!("the tool reported an error: {}", result["content"])),
                false => Ok(()),
            }
        });
        if let Err(why) = stored {
            let expected = format!("{key} stored");
            tally.case("list_keys' default limit", &exchange, &expected, Err(why));
            return;
        }
    }
    let (exchange, result) = call_ok(ctx, &mut ids, "list_keys", json!({ "prefix": prefix }));
    let verdict = result.and_then(|result| {
        let p = payload(&result).ok_or("no structured result with keys")?;
        let listed = p["keys"].as_array().map_or(0, Vec::len);
        if listed == probe.default_list_limit && p["complete"] == json!(false) {
            Ok(())
        } else {
            Err(format!("{listed} key(s), complete {}", p["complete"]))
        }
    });
    tally.case(
        "list_keys without limit",
        &exchange,
        &format!(
            "{} keys (the default limit) and complete: false ({} keys share the prefix)",
            probe.default_list_limit,
            probe.default_list_limit + 1
        ),
        verdict,
    );
}

/// `get_value` of a key nobody stored: a result saying so (`found: false`, `value: null`),
/// not an error and not a value.
fn absent_key_case(ctx: &mut Context, ids: &mut Ids, tally: &mut Tally, probe: &Kv, nanos: u128) {
    let absent = format!("{}-absent-{nanos}", probe.key);
    let (exchange, result) = call_ok(ctx, ids, "get_value", json!({ "key": absent }));
    let verdict = result.and_then(|result| match payload(&result) {
        Some(p) if p["found"] == json!(false) && p["value"].is_null() => Ok(()),
        Some(p) => Err(format!(
            "found is {} and value {} for a key that was never stored",
            p["found"], p["value"]
        )),
        None => Err("no structured result with found and value".into()),
    });
    tally.case(
        "get_value of a missing key",
        &exchange,
        "a result with found: false and value: null",
        verdict,
    );
}

/// What the listing arguments do, now that two keys share the list prefix: a longer `prefix`
/// lists only its own key, `limit: 1` returns one key and `complete: false`.
fn listing_cases(ctx: &mut Context, ids: &mut Ids, tally: &mut Tally, probe: &Kv) {
    let keys_of = |result: &Value| -> Result<(Vec<Value>, Value), String> {
        let p = payload(result).ok_or("no structured result with keys")?;
        let keys = p["keys"]
            .as_array()
            .cloned()
            .ok_or("keys is not an array")?;
        Ok((keys, p["complete"].clone()))
    };
    let (exchange, result) = call_ok(ctx, ids, "list_keys", json!({ "prefix": probe.key }));
    let verdict = result.and_then(|result| {
        let (keys, _) = keys_of(&result)?;
        if keys == vec![json!(probe.key)] {
            Ok(())
        } else {
            Err(format!("listed {keys:?}"))
        }
    });
    tally.case(
        "list_keys with a longer prefix",
        &exchange,
        &format!(
            "exactly [{:?}]: {:?} does not start with it",
            probe.key, probe.ttl_key
        ),
        verdict,
    );

    let (exchange, result) = call_ok(
        ctx,
        ids,
        "list_keys",
        json!({ "prefix": probe.list_prefix, "limit": 1 }),
    );
    let verdict = result.and_then(|result| {
        let (keys, complete) = keys_of(&result)?;
        if keys.len() == 1 && complete == json!(false) {
            Ok(())
        } else {
            Err(format!("{} key(s), complete {complete}", keys.len()))
        }
    });
    tally.case(
        "list_keys with limit 1",
        &exchange,
        "one key and complete: false (two keys share the prefix)",
        verdict,
    );
}

/// `query_data`: bound parameters, rows as D1 has them, and the row limit; the SQL is `[query]`
/// of the lab's `cases.toml`.
pub fn query_data(ctx: &mut Context) -> Outcome {
    // Long on purpose: one tally case per promise of query_data (rows as D1 has them, bound
    // parameters, the row limit), each its own request.
    let Some(db) = ctx.lab.worker.d1.first().cloned() else {
        return Outcome::fail(
            "the lab manifest declares no D1 binding",
            "Report this to the course maintainers.",
        );
    };
    let query: Query = match probes::section(ctx.lab, "[query]", |cases| cases.query) {
        Ok(query) => query,
        Err(outcome) => return *outcome,
    };
    let limit = ctx.spec.row_limit.unwrap_or(100);
    let mut ids = ctx.client.ids(70);
    let mut tally = Tally::default();

    let (exchange, result) = call_ok(
        ctx,
        &mut ids,
        "query_data",
        json!({ "sql": query.sql, "params": query.params }),
    );
    let truth = d1_rows(ctx, &db, &query.truth);
    let same_rows = |result: Value| rows_are(&result, truth.clone());
    let verdict = result.and_then(same_rows);
    tally.case(
        "bound parameter",
        &exchange,
        "the rows D1 returns for the same query",
        verdict,
    );

    let (exchange, result) = call_ok(
        ctx,
        &mut ids,
        "query_data",
        json!({ "sql": query.typed_sql, "params": query.typed_params }),
    );
    let typed_truth = d1_rows(ctx, &db, &query.typed_truth);
    let verdict = result.and_then(|result| rows_are(&result, typed_truth));
    tally.case(
        "a null, a boolean and a number bound",
        &exchange,
        "the rows D1 returns with those values written in (true is 1)",
        verdict,
    );

    let (exchange, result) = call_ok(
        ctx,
        &mut ids,
        "query_data",
        json!({ "sql": query.terminated_sql }),
    );
    let verdict = result.and_then(same_rows);
    tally.case(
        "a query ending in ;",
        &exchange,
        "the same rows: one statement, terminated, is still one statement",
        verdict,
    );

    // Ids of their own, after the row limit's.
    let mut read_ids = ctx.client.ids(1200);
    for sql in &query.harmless_reads {
        let (exchange, result) = call_ok(ctx, &mut read_ids, "query_data", json!({ "sql": sql }));
        let truth = d1_rows(ctx, &db, sql);
        let verdict = result.and_then(|result| rows_are(&result, truth));
        tally.case(
            &format!("a read: {sql}"),
            &exchange,
            "the rows D1 returns: writing words in strings, quoted names and comments are not writes",
            verdict,
        );
    }

    let (exchange, result) = call_ok(
        ctx,
        &mut ids,
        "query_data",
        json!({ "sql": query.injection_sql, "params": query.injection_params }),
    );
    let verdict = result.and_then(|result| {
        match payload(&result).and_then(|p| p["rows"].as_array().map(Vec::len)) {
            Some(0) => Ok(()),
            Some(n) => Err(format!(
                "{n} rows: the parameter was pasted into the SQL, not bound"
            )),
            None => Err("no rows array in the result".into()),
        }
    });
    tally.case(
        "parameter is data, not SQL",
        &exchange,
        "0 rows (the value is bound, never spliced)",
        verdict,
    );

    let many_rows = json!({ "sql": query.many_rows_sql });
    let (exchange, result) = call_ok(ctx, &mut ids, "query_data", many_rows);
    let verdict = result.and_then(|result| row_count_is(&result, limit, true));
    tally.case(
        "row limit",
        &exchange,
        &format!(
            "exactly {limit} rows and \"truncated\": true for a {}-row query",
            query.many_rows
        ),
        verdict,
    );

    let (exchange, result) = call_ok(
        ctx,
        &mut ids,
        "query_data",
        json!({ "sql": query.limit_rows_sql }),
    );
    let verdict = result.and_then(|result| row_count_is(&result, limit, false));
    tally.case(
        "exactly the row limit",
        &exchange,
        &format!("all {limit} rows and \"truncated\": false: nothing was cut"),
        verdict,
    );

    tally.outcome(
        format!("rows match D1, parameters are bound, at most {limit} rows come back"),
        format!("Bind values with .bind(&[...]); wrap the query so D1 itself stops after {limit} rows (+1 to know it was truncated)."),
    )
}

/// The rows D1 itself returns for `sql`, read from outside the Worker.
fn d1_rows(ctx: &mut Context, db: &str, sql: &str) -> Result<Value, String> {
    ctx.server
        .inspect(Inspect::D1Query {
            db: db.to_owned(),
            sql: sql.to_owned(),
        })
        .map_err(|e| format!("cannot read D1 from outside the Worker: {e:#}"))
}

/// A `query_data` result of `rows` rows, marked `truncated` or not.
fn row_count_is(result: &Value, rows: usize, truncated: bool) -> Result<(), String> {
    let payload = payload(result).ok_or("no JSON in the result")?;
    match (
        payload["rows"].as_array().map(Vec::len),
        &payload["truncated"],
    ) {
        (Some(n), Value::Bool(t)) if n == rows && *t == truncated => Ok(()),
        (Some(n), t) => Err(format!("{n} rows, truncated: {t}")),
        (None, _) => Err("no rows array in the result".into()),
    }
}

/// A `query_data` result whose rows are `truth`.
fn rows_are(result: &Value, truth: Result<Value, String>) -> Result<(), String> {
    let truth = truth?;
    match payload(result).map(|p| p["rows"].clone()) {
        Some(rows) if rows == truth => Ok(()),
        Some(rows) => Err(format!("rows {rows} but D1 has {truth}")),
        None => Err("no rows in the result".into()),
    }
}

/// Tool errors: unknown tools are protocol errors; bad input and failures (`[[tool_error]]` of
/// the lab's `cases.toml`) are results.
pub fn tool_errors(ctx: &mut Context) -> Outcome {
    // Long on purpose: one tally case per way a tool call can go wrong (unknown tool, bad
    // arguments, a failing query), each its own request.
    let cases: Vec<ToolError> =
        match probes::section(ctx.lab, "[[tool_error]]", |cases| cases.tool_errors) {
            Ok(cases) => cases,
            Err(outcome) => return *outcome,
        };
    let mut ids = ctx.client.ids(80);
    let mut tally = Tally::default();
    let exchange = mcp::call_tool(ctx, LEGACY, ids.next_id(), "no_such_tool", json!({}));
    tally.case(
        "unknown tool",
        &exchange,
        "a JSON-RPC error -32602",
        mcp::is_error(&exchange, &[mcp::INVALID_PARAMS], &[200, 400]),
    );
    for (id, case) in ids.zip(cases) {
        let exchange = mcp::call_tool(ctx, LEGACY, id, &case.tool, case.arguments);
        let verdict = mcp::is_tool_refusal(&exchange).and_then(|()| {
            // An isError result is still a CallToolResult, and must say what went wrong.
            let Ok(result) = mcp::result_of(&exchange, &json!(id)) else {
                return Ok(());
            };
            match ctx.schemas.result_violations(
                LEGACY,
                exchange.json().unwrap_or(&Value::Null),
                "CallToolResult",
            ) {
                Ok(v) if v.is_empty() => {}
                Ok(v) => return Err(format!("not a valid CallToolResult: {}", summarise(&v, 2))),
                Err(e) => return Err(format!("cannot validate: {e:#}")),
            }
            if result["content"][0]["text"]
                .as_str()
                .is_some_and(|t| !t.trim().is_empty())
            {
                Ok(())
            } else {
                Err("isError result without a text explaining the error".into())
            }
        });
        tally.case(
            &case.name,
            &exchange,
            "a result with isError: true and a text saying why",
            verdict,
        );
    }
    tally.outcome(
        "unknown tools are -32602; bad arguments and failed queries are isError results the model can read",
        "Only a tool that does not exist is a protocol error (-32602); put argument and execution errors in a CallToolResult with isError: true.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected() -> Vec<String> {
        vec!["query_data".into(), "get_value".into()]
    }

    #[test]
    fn row_counts_need_the_right_truncated_flag() {
        let rows = |n: usize, t: bool| json!({ "structuredContent": { "rows": vec![json!({});n], "truncated": t } });
        assert_eq!(row_count_is(&rows(100, false), 100, false), Ok(()));
        assert_eq!(row_count_is(&rows(100, true), 100, true), Ok(()));
        assert_eq!(
            row_count_is(&rows(100, true), 100, false),
            Err("100 rows, truncated: true".into())
        );
        assert_eq!(
            row_count_is(&rows(101, false), 100, false),
            Err("101 rows, truncated: false".into())
        );
    }

    #[test]
    fn a_listing_names_every_tool() {
        let tools = json!([{ "name": "query_data" }]);
        assert_eq!(
            listing_verdict(&tools, &expected(), "2025-03-26"),
            Err("missing get_value".into())
        );
    }

    #[test]
    fn output_schemas_are_required_from_2025_06_18_on() {
        let with = json!({ "type": "object" });
        let tools = json!([
            { "name": "query_data", "outputSchema": with },
            { "name": "get_value" }
        ]);
        assert_eq!(listing_verdict(&tools, &expected(), "2025-03-26"), Ok(()));
        for revision in ["2025-06-18", "2025-11-25", "2026-07-28"] {
            assert_eq!(
                listing_verdict(&tools, &expected(), revision),
                Err("no outputSchema (an object schema) on get_value".into())
            );
        }
        let tools = json!([
            { "name": "query_data", "outputSchema": with },
            { "name": "get_value", "outputSchema": with }
        ]);
        assert_eq!(listing_verdict(&tools, &expected(), "2026-07-28"), Ok(()));
    }
}
