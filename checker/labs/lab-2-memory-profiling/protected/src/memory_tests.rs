//! Memory budgets, checked natively with the course's counting allocator (`alloc_meter`).
//!
//! They mirror what the checker measures in the Worker: nothing may be kept from one request to
//! the next, and a request may not need much more memory than its body already takes. Here the
//! body is allocated before the measurement starts, so the budget is for what answering it
//! costs on top: a quarter of the body's size (plus a little for small bodies).

use crate::alloc_meter::measure;
use crate::mcp::handle;

/// A `tools/call` request for `summarize_events` whose body is close to `bytes` long: events
/// with about 200 distinct keys, some more frequent than others, as a real log has.
fn request(bytes: usize, seed: u64) -> String {
    let mut state = seed;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as u32
    };
    let mut body = String::with_capacity(bytes + 256);
    body.push_str(&format!(
        r#"{{"jsonrpc":"2.0","id":{seed},"method":"tools/call","params":{{"name":"summarize_events","arguments":{{"events":["#
    ));
    let mut first = true;
    while body.len() + 200 < bytes {
        if !first {
            body.push(',');
        }
        first = false;
        let r = next() % 1000;
        let service = r * r / 25_000; // 0..40, skewed towards 0
        let route = next() % 5;
        let ts = 1_767_225_600_000 + u64::from(next() % 86_400_000);
        let latency = 1 + next() % 5000;
        let ok = next() % 20 != 0;
        body.push_str(&format!(
            r#"{{"ts":{ts},"key":"svc-{service:03}/route-{route}","latency_ms":{latency},"ok":{ok}}}"#
        ));
    }
    body.push_str("]}}}");
    body
}

#[test]
fn the_generated_request_is_answered() {
    let body = request(4096, 1);
    let reply = handle(body.as_ref());
    assert_eq!(reply.status, 200);
    let reply: serde_json::Value = serde_json::from_str(reply.body.as_deref().unwrap()).unwrap();
    assert_eq!(reply["result"]["isError"], false, "{reply}");
    assert!(
        reply["result"]["structuredContent"]["count"]
            .as_u64()
            .unwrap()
            > 20
    );
}

#[test]
fn nothing_is_kept_between_requests() {
    let warm_up = request(64 * 1024, 2);
    let body = request(64 * 1024, 3);
    let _ = measure(|| handle(warm_up.as_ref()));
    let usage = measure(|| handle(body.as_ref()));
    assert!(
        usage.retained <= 0,
        "after answering a request of {} bytes, {} more bytes are held than before it: \
         every request makes the Worker's memory grow",
        body.len(),
        usage.retained
    );
}

#[test]
fn a_large_request_needs_little_memory_beyond_its_body() {
    let body = request(1024 * 1024, 4);
    let budget = body.len() / 4 + 64 * 1024;
    let usage = measure(|| handle(body.as_ref()));
    assert!(
        usage.peak <= budget,
        "answering a request of {} bytes held up to {} bytes at once on top of the body \
         ({:.1} × the body); the budget is {} bytes",
        body.len(),
        usage.peak,
        usage.peak as f64 / body.len() as f64,
        budget
    );
}
