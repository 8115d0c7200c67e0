//! Robustness: what hostile or careless input does to the server and its data. Every
//! verdict on data comes from D1 and KV read through Miniflare, outside the Worker.

use serde_json::{json, Value};

use super::mcp::{
    self, Tally, INVALID_PARAMS, INVALID_REQUEST, LEGACY, METHOD_NOT_FOUND, MODERN, PARSE_ERROR,
};
use super::{Check, CheckMeta, Context, On, Outcome, Runs};
use crate::harness::Inspect;
use crate::mcp_client::{Exchange, Raw};
use crate::report::Category;

/// Statements that would change the database, dressed up to get past naive filters.
/// None of them may change a single row or schema object.
pub const WRITE_ATTEMPTS: &[&str] = &[
    "DELETE FROM products",
    "SELECT 1; DELETE FROM products",
    "SELECT * FROM products;DROP TABLE orders;",
    "/* SELECT */ DELETE FROM products",
    "-- SELECT\nDELETE FROM products",
    "  \n\tDELETE FROM products WHERE id IN (SELECT id FROM products)",
    "WITH doomed AS (SELECT id FROM products) DELETE FROM products WHERE id IN doomed",
    "WITH x AS (SELECT 1) INSERT INTO products (id, name, category, price_cents) VALUES (99, 'x', 'y', 1)",
    "WITH x AS (SELECT 1) UPDATE products SET price_cents = 0",
    "WITH RECURSIVE c(x) AS (SELECT 1) DELETE FROM orders",
    "dRoP tAbLe orders",
    "DROP TABLE IF EXISTS orders",
    "CREATE TABLE pwned (x)",
    "INSERT INTO orders VALUES (9, 1, 1, '2026-01-01')",
    "INSERT INTO products SELECT id + 100, name, category, price_cents, in_stock FROM products",
    "REPLACE INTO products (id, name, category, price_cents) VALUES (1, 'pwned', 'x', 1)",
    "UPDATE products SET name = 'pwned'",
    "SELECT 1 UNION ALL SELECT 2; UPDATE products SET in_stock = 0",
    "SELECT 'a;b' AS s; DELETE FROM orders",
    "SELECT 1 /* ; */ ; DELETE FROM products",
    "SELECT * FROM products WHERE 1 = 1; -- harmless\nDELETE FROM orders",
    "ALTER TABLE products ADD COLUMN pwned TEXT",
    "ALTER TABLE products RENAME TO gone",
    "CREATE TRIGGER t AFTER INSERT ON orders BEGIN DELETE FROM products; END",
    "CREATE VIEW v AS SELECT * FROM products",
    "CREATE INDEX pwned_idx ON products(name)",
    "PRAGMA foreign_keys = OFF",
    "PRAGMA writable_schema = ON",
    "ATTACH DATABASE ':memory:' AS other",
    "BEGIN; DELETE FROM products; COMMIT",
    "VACUUM",
    "DELETE FROM products WHERE id = ?",
];

/// `query_data` is read-only however the SQL is dressed.
pub struct SqlReadOnly;

impl Check for SqlReadOnly {
    fn meta(&self) -> &'static CheckMeta {
        &CheckMeta {
            id: "robustness.sql-read-only",
            category: Category::Robustness,
            title: "query_data refuses every write attempt and D1 stays exactly as it was",
            doc: "labs/lab-4-full-server.md#read-only-sql",
            spec: Some("2025-11-25/server/tools#security-considerations"),
            runs: Runs::Worker,
        }
    }

    fn run(&self, on: On) -> Outcome {
        let ctx = on.worker();
        let Some(db) = ctx.lab.worker.d1.first().cloned() else {
            return Outcome::fail(
                "the lab manifest declares no D1 binding",
                "Report this to the course maintainers.",
            );
        };
        // The boundary means nothing if the tool cannot read at all.
        let control = mcp::call_tool(
            ctx,
            LEGACY,
            200,
            "query_data",
            json!({ "sql": "SELECT id FROM products ORDER BY id" }),
        );
        let readable = mcp::result_of(&control, &json!(200))
            .is_ok_and(|r| r["isError"] != json!(true) && r.to_string().contains("\"id\""));
        if !readable {
            return Outcome::fail(
                "query_data does not answer a plain SELECT, so its read-only boundary cannot be judged",
                "Make query_data run SELECT queries first (see protocol.tools-query).",
            )
            .with_evidence(Some(control.evidence_expecting("the rows of SELECT id FROM products")));
        }
        // Fast path: every attempt, then one comparison. Only if D1 changed is each attempt
        // replayed on a fresh fixture with a comparison of its own, to name the culprits.
        let before = snapshot(ctx, Inspect::D1Snapshot { db: db.clone() });
        let replies: Vec<Exchange> = WRITE_ATTEMPTS
            .iter()
            .enumerate()
            .map(|(n, sql)| attempt(ctx, n, sql))
            .collect();
        let after = snapshot(ctx, Inspect::D1Snapshot { db: db.clone() });
        let mut tally = Tally::default();
        let mut writes = 0;
        match (before, after) {
            (Ok(b), Ok(a)) if a == b => {
                for (sql, exchange) in WRITE_ATTEMPTS.iter().zip(&replies) {
                    tally.case(
                        &format!("{sql:?}"),
                        exchange,
                        "an isError result, and D1 unchanged",
                        mcp::is_tool_refusal(exchange),
                    );
                }
            }
            (Ok(_), Ok(_)) => {
                for (n, sql) in WRITE_ATTEMPTS.iter().enumerate() {
                    // Put the fixture back, so each attempt is judged on its own.
                    let _ = ctx.server.inspect(Inspect::D1Reset { db: db.clone() });
                    let before = snapshot(ctx, Inspect::D1Snapshot { db: db.clone() });
                    let exchange = attempt(ctx, n, sql);
                    let after = snapshot(ctx, Inspect::D1Snapshot { db: db.clone() });
                    let verdict = match (before, after) {
                        (Ok(b), Ok(a)) if a != b => {
                            writes += 1;
                            Err("it CHANGED the database".to_owned())
                        }
                        (Ok(_), Ok(_)) => mcp::is_tool_refusal(&exchange),
                        (Err(e), _) | (_, Err(e)) => {
                            Err(format!("cannot read D1 from outside the Worker: {e}"))
                        }
                    };
                    tally.case(
                        &format!("{sql:?}"),
                        &exchange,
                        "an isError result, and D1 unchanged",
                        verdict,
                    );
                }
                let _ = ctx.server.inspect(Inspect::D1Reset { db: db.clone() });
            }
            (Err(e), _) | (_, Err(e)) => {
                return Outcome::fail(
                    format!("cannot read D1 from outside the Worker: {e}"),
                    "Report this to the course maintainers.",
                );
            }
        }
        let attempts = tally.total();
        let mut outcome = tally.outcome(
            format!("all {attempts} write attempts refused; D1 unchanged"),
            "Checking that the SQL starts with SELECT is not a boundary. Tokenise it: skip strings, quoted names and comments; allow one statement; refuse every keyword that writes (see the lab README).",
        );
        if writes > 0 {
            outcome.credit = 0.0;
            outcome.message = format!(
                "{writes} of {attempts} write attempts changed the database. {}",
                outcome.message
            );
        }
        outcome
    }
}

fn attempt(ctx: &Context, n: usize, sql: &str) -> Exchange {
    let args = if sql.contains('?') {
        json!({ "sql": sql, "params": [1] })
    } else {
        json!({ "sql": sql })
    };
    mcp::call_tool(ctx, LEGACY, 201 + n as u64, "query_data", args)
}

fn snapshot(ctx: &mut Context, inspection: Inspect) -> Result<Value, String> {
    ctx.server.inspect(inspection).map_err(|e| format!("{e:#}"))
}

/// What a bad request must get.
enum Expect {
    /// A JSON-RPC error with one of these codes, under one of these HTTP statuses.
    Error(&'static [i64], &'static [u16]),
    /// A refused tool call: `isError: true`, or -32602.
    ToolRefusal,
    /// One of these HTTP statuses, whatever the body.
    Status(&'static [u16]),
}

impl Expect {
    fn describe(&self) -> String {
        match self {
            Expect::Error(codes, statuses) => format!(
                "HTTP {} with JSON-RPC error {}",
                mcp::join(statuses),
                codes
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
            Expect::ToolRefusal => "a tool result with isError: true (or error -32602)".into(),
            Expect::Status(statuses) => format!("HTTP {}", mcp::join(statuses)),
        }
    }

    fn judge(&self, exchange: &Exchange) -> Result<(), String> {
        match self {
            Expect::Error(codes, statuses) => mcp::is_error(exchange, codes, statuses),
            Expect::ToolRefusal => mcp::is_tool_refusal(exchange),
            Expect::Status(statuses) => match exchange.status() {
                Some(s) if statuses.contains(&s) => Ok(()),
                Some(s) => Err(format!("HTTP {s}")),
                None => Err(exchange.summary()),
            },
        }
    }
}

const ANY_4XX_OR_200: &[u16] = &[200, 400];

/// One request of the battery: a name, what to send, what must come back.
struct Case {
    name: String,
    raw: Raw,
    expect: Expect,
}

fn body(text: impl Into<Vec<u8>>) -> Raw {
    Raw::post(text).header("MCP-Protocol-Version", LEGACY)
}

fn tool(name: &str, args: Value) -> Raw {
    body(mcp::request(1, "tools/call", json!({ "name": name, "arguments": args })).to_string())
}

fn modern(message: Value, headers: &[(&str, &str)]) -> Raw {
    let mut raw = Raw::post(message.to_string());
    for (k, v) in headers {
        raw = raw.header(k, v);
    }
    raw
}

/// The battery: malformed JSON, wrong types, missing fields, huge and deeply nested bodies,
/// wrong content types, unknown methods and tools, bad headers and origins.
fn battery() -> Vec<Case> {
    use Expect::*;
    let parse: Expect = Error(&[PARSE_ERROR], &[400]);
    let mut cases: Vec<Case> = Vec::new();
    let mut add = |name: &str, raw: Raw, expect: Expect| {
        cases.push(Case {
            name: name.into(),
            raw,
            expect,
        })
    };

    // Not JSON at all.
    add(
        "truncated JSON",
        body(r#"{"jsonrpc":"2.0","id":1,"method":"ping""#),
        Error(&[PARSE_ERROR], &[400]),
    );
    add(
        "plain text",
        body("ping please"),
        Error(&[PARSE_ERROR], &[400]),
    );
    add(
        "empty body",
        body(""),
        Error(&[PARSE_ERROR, INVALID_REQUEST], &[400]),
    );
    add(
        "trailing comma",
        body(r#"{"jsonrpc":"2.0","id":1,"method":"ping",}"#),
        Error(&[PARSE_ERROR], &[400]),
    );
    add(
        "invalid UTF-8",
        body(vec![b'{', 0xff, 0xfe, b'}']),
        Error(&[PARSE_ERROR], &[400]),
    );
    add(
        "garbage after the object",
        body(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}garbage"#),
        Error(&[PARSE_ERROR], &[400]),
    );
    add(
        "single quotes",
        body("{'jsonrpc':'2.0','id':1,'method':'ping'}"),
        parse,
    );
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let mut raw = body(deep);
    raw.body_shell = Some("python3 -c \"print('['*100000 + ']'*100000, end='')\"".into());
    add(
        "100 000 nested arrays",
        raw,
        Error(&[PARSE_ERROR, INVALID_REQUEST], &[400]),
    );
    let nested = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"get_value","arguments":{}1{}}}}}"#,
        r#"{"a":"#.repeat(5_000),
        "}".repeat(5_000)
    );
    let mut raw = body(nested);
    raw.body_shell = Some("python3 -c \"print('{\\\"jsonrpc\\\":\\\"2.0\\\",\\\"id\\\":1,\\\"method\\\":\\\"tools/call\\\",\\\"params\\\":{\\\"name\\\":\\\"get_value\\\",\\\"arguments\\\":' + '{\\\"a\\\":'*5000 + '1' + '}'*5000 + '}}', end='')\"".into());
    add(
        "5 000 nested objects in arguments",
        raw,
        Error(&[PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS], &[200, 400]),
    );

    // JSON, but not a valid request.
    for (name, text) in [
        ("jsonrpc 1.0", r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#),
        ("jsonrpc missing", r#"{"id":1,"method":"ping"}"#),
        (
            "jsonrpc as a number",
            r#"{"jsonrpc":2.0,"id":1,"method":"ping"}"#,
        ),
        ("method missing", r#"{"jsonrpc":"2.0","id":1}"#),
        ("method a number", r#"{"jsonrpc":"2.0","id":1,"method":42}"#),
        ("method null", r#"{"jsonrpc":"2.0","id":1,"method":null}"#),
        (
            "id an object",
            r#"{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}"#,
        ),
        (
            "id an array",
            r#"{"jsonrpc":"2.0","id":[1],"method":"ping"}"#,
        ),
        (
            "id a boolean",
            r#"{"jsonrpc":"2.0","id":true,"method":"ping"}"#,
        ),
        ("a bare number", "42"),
        ("a bare string", r#""ping""#),
        ("null", "null"),
    ] {
        add(name, body(text), Error(&[INVALID_REQUEST], ANY_4XX_OR_200));
    }
    add(
        "empty batch (2025-03-26)",
        Raw::post("[]").header("MCP-Protocol-Version", "2025-03-26"),
        Error(&[INVALID_REQUEST], ANY_4XX_OR_200),
    );
    add(
        "batch under 2025-11-25",
        body(r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#),
        Status(&[400, 405, 415, 422]),
    );

    // Methods that do not exist here.
    for method in [
        "tools/destroy",
        "resources/list",
        "prompts/list",
        "TOOLS/LIST",
        "",
        "rpc.discover",
        "completion/complete",
        "logging/setLevel",
    ] {
        let text = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": {} }).to_string();
        add(
            &format!("unknown method {method:?}"),
            body(text),
            Error(&[METHOD_NOT_FOUND], ANY_4XX_OR_200),
        );
    }

    // Bad params.
    for (name, text) in [
        (
            "params an array",
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[1]}"#,
        ),
        (
            "params a string",
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":"query_data"}"#,
        ),
        (
            "tools/call without name",
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}"#,
        ),
        (
            "tools/call with a numeric name",
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":7}}"#,
        ),
        (
            "unknown tool",
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"drop_database","arguments":{}}}"#,
        ),
        (
            "arguments a string",
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_value","arguments":"key"}}"#,
        ),
        (
            "initialize without protocolVersion",
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#,
        ),
    ] {
        add(
            name,
            body(text),
            Error(&[INVALID_PARAMS, INVALID_REQUEST], ANY_4XX_OR_200),
        );
    }

    // Tool arguments the model got wrong: the tool refuses, nothing is written.
    for (name, tool_name, args) in [
        (
            "store_value without value",
            "store_value",
            json!({ "key": "k" }),
        ),
        (
            "store_value with a numeric key",
            "store_value",
            json!({ "key": 42, "value": "v" }),
        ),
        (
            "store_value with an object value",
            "store_value",
            json!({ "key": "k", "value": { "nested": 1 } }),
        ),
        (
            "store_value with an empty key",
            "store_value",
            json!({ "key": "", "value": "v" }),
        ),
        (
            "store_value with a 600-byte key",
            "store_value",
            json!({ "key": "k".repeat(600), "value": "v" }),
        ),
        (
            "store_value with a 100 KiB value",
            "store_value",
            json!({ "key": "big", "value": "v".repeat(100 * 1024) }),
        ),
        (
            "store_value with ttl_seconds as text",
            "store_value",
            json!({ "key": "k", "value": "v", "ttl_seconds": "soon" }),
        ),
        (
            "store_value with a negative ttl",
            "store_value",
            json!({ "key": "k", "value": "v", "ttl_seconds": -5 }),
        ),
        (
            "store_value with a 10 s ttl (KV minimum is 60)",
            "store_value",
            json!({ "key": "k", "value": "v", "ttl_seconds": 10 }),
        ),
        (
            "store_value with an extra argument",
            "store_value",
            json!({ "key": "k", "value": "v", "admin": true }),
        ),
        ("get_value without key", "get_value", json!({})),
        (
            "get_value with a NUL in the key",
            "get_value",
            json!({ "key": "a\u{0}b" }),
        ),
        ("list_keys with limit 0", "list_keys", json!({ "limit": 0 })),
        (
            "list_keys with limit as text",
            "list_keys",
            json!({ "limit": "ten" }),
        ),
        ("query_data without sql", "query_data", json!({})),
        (
            "query_data with numeric sql",
            "query_data",
            json!({ "sql": 42 }),
        ),
        (
            "query_data with params as text",
            "query_data",
            json!({ "sql": "SELECT ?", "params": "1" }),
        ),
        (
            "query_data with an object param",
            "query_data",
            json!({ "sql": "SELECT ?", "params": [{ "a": 1 }] }),
        ),
        (
            "query_data with empty sql",
            "query_data",
            json!({ "sql": "" }),
        ),
        (
            "query_data with a syntax error",
            "query_data",
            json!({ "sql": "SELEC * FROM products" }),
        ),
    ] {
        add(name, tool(tool_name, args), ToolRefusal);
    }

    // HTTP-level mistakes.
    let ping = mcp::request(1, "ping", json!({})).to_string();
    add(
        "Content-Type text/plain",
        body(ping.clone()).header("Content-Type", "text/plain"),
        Status(&[400, 415]),
    );
    add(
        "no Content-Type",
        body(ping.clone()).header("Content-Type", ""),
        Status(&[400, 415]),
    );
    add(
        "Content-Type form-urlencoded",
        body(ping.clone()).header("Content-Type", "application/x-www-form-urlencoded"),
        Status(&[400, 415]),
    );
    let mut raw = body(format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"pad":"{}"}}}}"#,
        "x".repeat(3 * 1024 * 1024)
    ));
    raw.body_shell = Some(r#"printf '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"'; head -c 3145728 /dev/zero | tr '\0' x; printf '"}}'"#.into());
    add("3 MiB body", raw, Status(&[413]));
    add(
        "MCP-Protocol-Version banana",
        Raw::post(ping.clone()).header("MCP-Protocol-Version", "banana"),
        Status(&[400]),
    );
    add(
        "MCP-Protocol-Version 2024-01-01",
        Raw::post(ping.clone()).header("MCP-Protocol-Version", "2024-01-01"),
        Status(&[400]),
    );
    add(
        "Origin of another site",
        body(ping.clone()).header("Origin", "https://evil.example"),
        Status(&[403]),
    );
    add(
        "Origin look-alike",
        body(ping.clone()).header("Origin", "http://localhost.evil.example"),
        Status(&[403]),
    );
    add(
        "Origin null",
        body(ping.clone()).header("Origin", "null"),
        Status(&[403]),
    );
    for method in ["GET", "PUT", "DELETE", "PATCH"] {
        let raw = Raw {
            method,
            body: Vec::new(),
            default_headers: false,
            ..body("")
        };
        add(&format!("{method} /mcp"), raw, Status(&[405]));
    }
    for path in ["/", "/mcp/extra", "/MCP", "/sse"] {
        add(
            &format!("POST {path}"),
            Raw {
                path: Some(path.into()),
                ..body(ping.clone())
            },
            Status(&[404]),
        );
    }

    // 2026-07-28 requests with broken metadata.
    let list = mcp::modern_request(1, "tools/list", json!({}), MODERN);
    add(
        "2026-07-28 without Mcp-Method",
        modern(list.clone(), &[("MCP-Protocol-Version", MODERN)]),
        Error(&[mcp::HEADER_MISMATCH], &[400]),
    );
    add(
        "2026-07-28 with a 2099 version",
        modern(
            mcp::modern_request(1, "tools/list", json!({}), "2099-01-01"),
            &[
                ("MCP-Protocol-Version", "2099-01-01"),
                ("Mcp-Method", "tools/list"),
            ],
        ),
        Error(&[mcp::UNSUPPORTED_VERSION], &[400]),
    );
    let mut no_caps = list.clone();
    no_caps["params"]["_meta"]
        .as_object_mut()
        .map(|m| m.remove(mcp::META_CAPABILITIES));
    add(
        "2026-07-28 without clientCapabilities",
        modern(
            no_caps,
            &[
                ("MCP-Protocol-Version", MODERN),
                ("Mcp-Method", "tools/list"),
            ],
        ),
        Error(&[INVALID_PARAMS, INVALID_REQUEST], &[400]),
    );
    cases
}

/// A barrage of bad requests: each gets the right refusal, and nothing is lost.
pub struct BadInput;

impl Check for BadInput {
    fn meta(&self) -> &'static CheckMeta {
        &CheckMeta {
            id: "robustness.bad-input",
            category: Category::Robustness,
            title: "bad requests get the right error, the server keeps serving, and D1 and KV are untouched",
            doc: "labs/lab-4-full-server.md#bad-input",
            spec: Some("2025-11-25/basic/transports#sending-messages-to-the-server"),
            runs: Runs::Worker,
        }
    }

    fn run(&self, on: On) -> Outcome {
        let ctx = on.worker();
        let (Some(db), Some(kv)) = (
            ctx.lab.worker.d1.first().cloned(),
            ctx.lab.worker.kv.first().cloned(),
        ) else {
            return Outcome::fail(
                "the lab manifest declares no D1 or KV binding",
                "Report this to the course maintainers.",
            );
        };
        let d1_before = snapshot(ctx, Inspect::D1Snapshot { db: db.clone() });
        let kv_before = snapshot(ctx, Inspect::KvSnapshot { ns: kv.clone() });
        let mut tally = Tally::default();
        for case in battery() {
            let exchange = ctx.client.send(case.raw);
            let verdict = case.expect.judge(&exchange);
            tally.case(&case.name, &exchange, &case.expect.describe(), verdict);
        }
        let sent = tally.total();
        // Still serving after all that?
        let alive = mcp::send_legacy(ctx, LEGACY, &mcp::request(999, "tools/list", json!({})));
        tally.case(
            "still serving afterwards",
            &alive,
            "a tools/list result",
            mcp::result_of(&alive, &json!(999)).map(drop),
        );
        let d1_after = snapshot(ctx, Inspect::D1Snapshot { db: db.clone() });
        let kv_after = snapshot(ctx, Inspect::KvSnapshot { ns: kv.clone() });
        tally.fact("D1 unchanged", unchanged(d1_before, d1_after));
        tally.fact("KV unchanged", unchanged(kv_before, kv_after));
        tally.outcome(
            format!("{sent} bad requests each got the right refusal; the server kept serving; D1 and KV unchanged"),
            "Validate before acting: parse errors -32700 (400), invalid requests -32600, unknown methods -32601, bad params -32602, bad tool arguments isError: true; HTTP gates (415, 413, 400, 403, 405, 404) before any of that.",
        )
    }
}

fn unchanged(before: Result<Value, String>, after: Result<Value, String>) -> Result<(), String> {
    match (before, after) {
        (Ok(b), Ok(a)) if a == b => Ok(()),
        (Ok(_), Ok(_)) => Err("the data changed during the battery".into()),
        (Err(e), _) | (_, Err(e)) => Err(format!("cannot read it from outside the Worker: {e}")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_battery_and_the_write_attempts_are_as_large_as_promised() {
        assert!(super::battery().len() >= 50, "{}", super::battery().len());
        assert!(super::WRITE_ATTEMPTS.len() >= 20);
    }
}
