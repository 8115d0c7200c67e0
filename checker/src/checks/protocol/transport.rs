//! JSON-RPC framing errors and the Streamable HTTP rules of the endpoint itself.

use serde_json::{json, Value};

use crate::checks::mcp::{
    self, Tally, INVALID_PARAMS, INVALID_REQUEST, LEGACY, METHOD_NOT_FOUND, PARSE_ERROR,
};
use crate::checks::{Context, Outcome};
use crate::mcp_client::Raw;

/// The standard JSON-RPC error codes, each for its own kind of mistake.
pub fn json_rpc_errors(ctx: &mut Context) -> Outcome {
    // Long on purpose: one tally case per JSON-RPC error code, each its own malformed message.
    let mut tally = Tally::default();
    // A parse error has no usable id: the reply's id is null (JSON-RPC 2.0 § 5) or absent.
    let exchange = ctx.client.send(
        Raw::post(r#"{"jsonrpc":"2.0","id":1,"method":"#).header("MCP-Protocol-Version", LEGACY),
    );
    let verdict =
        mcp::is_error(&exchange, &[PARSE_ERROR], &[400, 200]).and_then(|()| {
            match exchange.json().and_then(|b| b.get("id")) {
                None | Some(Value::Null) => Ok(()),
                Some(id) => Err(format!(
                    "id {id}: a reply to an unparsable message cannot know the id"
                )),
            }
        });
    tally.case(
        "malformed JSON",
        &exchange,
        "HTTP 400, error -32700, id null",
        verdict,
    );

    let cases: [(&str, Value, i64); 6] = [
        (
            "jsonrpc 1.0",
            json!({ "jsonrpc": "1.0", "id": 2, "method": "ping" }),
            INVALID_REQUEST,
        ),
        (
            "method missing",
            json!({ "jsonrpc": "2.0", "id": 3 }),
            INVALID_REQUEST,
        ),
        (
            "id is an object",
            json!({ "jsonrpc": "2.0", "id": { "n": 1 }, "method": "ping" }),
            INVALID_REQUEST,
        ),
        (
            "unknown method",
            json!({ "jsonrpc": "2.0", "id": 5, "method": "tools/destroy", "params": {} }),
            METHOD_NOT_FOUND,
        ),
        (
            "resources not offered",
            json!({ "jsonrpc": "2.0", "id": 6, "method": "resources/list", "params": {} }),
            METHOD_NOT_FOUND,
        ),
        (
            "tools/call without a name",
            json!({ "jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": { "arguments": {} } }),
            INVALID_PARAMS,
        ),
    ];
    for (name, message, code) in cases {
        let exchange = mcp::send_legacy(ctx, LEGACY, &message);
        let mut verdict = mcp::is_error(&exchange, &[code], &[200, 400]);
        if verdict.is_ok()
            && message["id"].is_number()
            && exchange.json().map(|b| &b["id"]) != Some(&message["id"])
        {
            verdict = Err(format!(
                "the error's id is not the request's id {}",
                message["id"]
            ));
        }
        tally.case(
            name,
            &exchange,
            &format!("a JSON-RPC error {code} with the request's id"),
            verdict,
        );
    }
    tally.outcome(
        "each kind of bad message gets its JSON-RPC error code",
        "-32700 when the body is not JSON (id null), -32600 when it is not a valid request, -32601 for an unknown method, -32602 for bad params.",
    )
}

/// Streamable HTTP: one POST endpoint, origin check, size limit, protocol-version header.
pub fn http_rules(ctx: &mut Context) -> Outcome {
    // Long on purpose: one tally case per rule of the transport (endpoint, methods, origin,
    // body size, version header), each building its own request: kept together so the list of
    // rules reads as one.
    let mut tally = Tally::default();
    let ping = mcp::request(1, "ping", json!({})).to_string();
    let status_is = |wanted: &'static [u16]| {
        move |exchange: &crate::mcp_client::Exchange| match exchange.status() {
            Some(s) if wanted.contains(&s) => Ok(()),
            Some(s) => Err(format!("HTTP {s}")),
            None => Err(exchange.summary()),
        }
    };

    let get = Raw {
        method: "GET",
        body: Vec::new(),
        default_headers: false,
        ..Raw::post("")
    }
    .header("Accept", "text/event-stream");
    let exchange = ctx.client.send(get);
    // RFC 9110 § 15.5.6: a 405 MUST carry an Allow header naming the methods that work.
    let verdict = status_is(&[405])(&exchange).and_then(|()| {
        match exchange.reply().and_then(|r| r.header("Allow")) {
            Some(allow) if allow.to_ascii_uppercase().contains("POST") => Ok(()),
            Some(allow) => Err(format!("405, but Allow: {allow} does not name POST")),
            None => Err("405, but without an Allow header".into()),
        }
    });
    tally.case(
        "GET (no server stream)",
        &exchange,
        "HTTP 405 Method Not Allowed, with Allow: POST",
        verdict,
    );

    let other = Raw {
        path: Some("/not-mcp".into()),
        ..Raw::post(ping.clone())
    };
    let exchange = ctx.client.send(other);
    tally.case(
        "POST to another path",
        &exchange,
        "HTTP 404 Not Found",
        status_is(&[404])(&exchange),
    );

    let foreign = Raw::post(ping.clone()).header("Origin", "https://attacker.example");
    let exchange = ctx.client.send(foreign);
    tally.case(
        "foreign Origin",
        &exchange,
        "HTTP 403 Forbidden (DNS-rebinding protection)",
        status_is(&[403])(&exchange),
    );

    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"pad":"{}"}}}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    let mut raw = Raw::post(huge).header("MCP-Protocol-Version", LEGACY);
    raw.body_shell = Some(r#"printf '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"'; head -c 2097152 /dev/zero | tr '\0' x; printf '"}}'"#.into());
    let exchange = ctx.client.send(raw);
    tally.case(
        "2 MiB body",
        &exchange,
        "HTTP 413 Content Too Large",
        status_is(&[413])(&exchange),
    );

    let exchange = ctx
        .client
        .send(Raw::post(ping.clone()).header("MCP-Protocol-Version", "banana"));
    tally.case(
        "invalid MCP-Protocol-Version",
        &exchange,
        "HTTP 400 Bad Request",
        status_is(&[400])(&exchange),
    );

    let preflight = Raw {
        method: "OPTIONS",
        body: Vec::new(),
        default_headers: false,
        ..Raw::post("")
    }
    .header("Origin", "http://localhost:6274")
    .header("Access-Control-Request-Method", "POST")
    .header(
        "Access-Control-Request-Headers",
        "content-type, mcp-protocol-version",
    );
    let exchange = ctx.client.send(preflight);
    let verdict = match exchange.reply() {
        Some(r) if (200..300).contains(&r.status) => {
            let allow_origin = r.header("Access-Control-Allow-Origin").unwrap_or_default();
            let methods = r
                .header("Access-Control-Allow-Methods")
                .unwrap_or_default()
                .to_ascii_uppercase();
            let headers = r
                .header("Access-Control-Allow-Headers")
                .unwrap_or_default()
                .to_ascii_lowercase();
            if allow_origin != "http://localhost:6274" && allow_origin != "*" {
                Err(format!("Access-Control-Allow-Origin is {allow_origin:?}"))
            } else if !methods.contains("POST") {
                Err(format!(
                    "Access-Control-Allow-Methods is {methods:?}, without POST"
                ))
            } else if !headers.contains("mcp-protocol-version") && headers != "*" {
                Err(format!(
                    "Access-Control-Allow-Headers is {headers:?}, without MCP-Protocol-Version"
                ))
            } else {
                Ok(())
            }
        }
        Some(r) => Err(format!("HTTP {}", r.status)),
        None => Err(exchange.summary()),
    };
    tally.case(
        "CORS preflight from a local origin",
        &exchange,
        "HTTP 2xx with Access-Control-Allow-Origin, -Methods (POST) and -Headers (MCP-Protocol-Version)",
        verdict,
    );

    tally.outcome(
        "GET 405, other paths 404, foreign origins 403, oversized bodies 413, bad version header 400, CORS preflight answered",
        "Route before parsing: path, Origin, method, size; then the MCP-Protocol-Version header. See the lab README's table.",
    )
}

/// JSON-RPC batches: accepted by 2025-03-26 (the revision that added them), refused from
/// 2025-06-18 (which removed them). 2024-11-05 had none; nothing is sent under it.
pub fn batches(ctx: &mut Context) -> Outcome {
    // Long on purpose: one tally case per batch rule in each revision (allowed in 2025-03-26
    // only), each its own request.
    let mut tally = Tally::default();
    let batch = json!([
        mcp::request(91, "ping", json!({})),
        mcp::request(Value::Null, "notifications/initialized", json!({})),
        mcp::request(92, "tools/list", json!({})),
    ]);
    let exchange = mcp::send_legacy(ctx, "2025-03-26", &batch);
    let verdict = match exchange.json() {
        Some(Value::Array(replies)) => {
            let mut ids: Vec<i64> = replies.iter().filter_map(|r| r["id"].as_i64()).collect();
            ids.sort();
            if ids == [91, 92]
                && replies.len() == 2
                && replies.iter().all(|r| r.get("result").is_some())
            {
                Ok(())
            } else {
                Err(format!("replies {}", Value::Array(replies.clone())))
            }
        }
        _ => Err(exchange.summary()),
    };
    tally.case(
        "batch (2025-03-26)",
        &exchange,
        "an array of two results, ids 91 and 92, none for the notification",
        verdict,
    );

    let exchange = mcp::send_legacy(
        ctx,
        "2025-03-26",
        &json!([mcp::request(
            Value::Null,
            "notifications/initialized",
            json!({})
        )]),
    );
    let verdict = match exchange.status() {
        Some(202) => Ok(()),
        Some(s) => Err(format!("HTTP {s}")),
        None => Err(exchange.summary()),
    };
    tally.case(
        "batch of notifications only (2025-03-26)",
        &exchange,
        "HTTP 202, empty body",
        verdict,
    );

    // A response inside a batch gets no reply (it answers nothing the server asked), and a
    // message that is neither request, notification nor response gets an error of its own.
    let exchange = mcp::send_legacy(
        ctx,
        "2025-03-26",
        &json!([
            { "jsonrpc": "2.0", "id": 93, "result": {} },
            { "jsonrpc": "2.0", "id": 94 },
        ]),
    );
    let verdict = match exchange.json() {
        Some(Value::Array(replies))
            if replies.len() == 1
                && replies[0]["id"] == 94
                && replies[0]["error"]["code"] == INVALID_REQUEST =>
        {
            Ok(())
        }
        Some(other) => Err(format!("replies {other}")),
        None => Err(exchange.summary()),
    };
    tally.case(
        "batch of a response and an invalid message (2025-03-26)",
        &exchange,
        "an array of one reply: error -32600 for id 94, nothing for the response (id 93)",
        verdict,
    );

    let exchange = mcp::send_legacy(ctx, "2025-06-18", &batch);
    let verdict = match exchange.status() {
        // The statuses `robustness.bad-input` accepts for a batch under 2025-11-25 (cases.toml):
        // a refusal of the message, not of the request's route, origin or size.
        Some(400 | 405 | 415 | 422) => Ok(()),
        Some(s) => Err(format!("HTTP {s}: {}", exchange.summary())),
        None => Err(exchange.summary()),
    };
    tally.case(
        "batch (2025-06-18)",
        &exchange,
        "HTTP 400, 405, 415 or 422 (batches were removed in 2025-06-18), e.g. 400 with -32600",
        verdict,
    );

    tally.outcome(
        "batches answered under 2025-03-26, refused under 2025-06-18",
        "Read the MCP-Protocol-Version header: 2025-03-26 allows arrays of messages; 2025-06-18 and later do not.",
    )
}
