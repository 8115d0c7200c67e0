//! Deterministic event payloads for the memory lab, and the answer the lab must give for
//! each, computed here independently of the lab's code.

use std::collections::HashMap;
use std::fmt::Write;

use serde_json::{json, Value};

/// xorshift64*: small, fast and the same on every machine, so a seed names a payload.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// A `tools/call summarize_events` request of about `target_bytes`, and its expected result.
pub struct Payload {
    pub body: String,
    pub expected: Value,
    pub events: usize,
}

pub fn generate(seed: u64, target_bytes: usize, id: u64) -> Payload {
    // Long on purpose: the payload and the answer it must get are made in one pass over one
    // random stream, so they cannot disagree.
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut body = String::with_capacity(target_bytes + 256);
    let _ = write!(
        body,
        r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"summarize_events","arguments":{{"events":["#
    );
    let mut latencies: Vec<u32> = Vec::new();
    let mut keys: HashMap<String, u64> = HashMap::new();
    let (mut ok, mut first_ts, mut last_ts) = (0u64, u64::MAX, 0u64);
    let mut ts = 1_767_225_600_000u64 + seed % 1000;
    while body.len() < target_bytes || latencies.is_empty() {
        let r = rng.next();
        // Skewed: low service numbers are far more common, as in real traffic.
        let service = (r % 1000) * (r % 1000) / 5000;
        let key = format!("svc-{service:03}/route-{}", (r >> 20) % 4);
        let latency = (1 + (r >> 32) % 5000) as u32;
        let is_ok = (r >> 48) % 100 >= 5;
        ts += (r >> 40) % 50;
        if !latencies.is_empty() {
            body.push(',');
        }
        let _ = write!(
            body,
            r#"{{"ts":{ts},"key":"{key}","latency_ms":{latency},"ok":{is_ok}}}"#
        );
        latencies.push(latency);
        *keys.entry(key).or_default() += 1;
        ok += u64::from(is_ok);
        first_ts = first_ts.min(ts);
        last_ts = last_ts.max(ts);
    }
    body.push_str("]}}}");
    let n = latencies.len() as u64;
    let sum: u64 = latencies.iter().map(|&l| u64::from(l)).sum();
    latencies.sort_unstable();
    let rank = |q: u64| latencies[(n * q).div_ceil(100).max(1) as usize - 1];
    let mut top: Vec<(String, u64)> = keys.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top.truncate(5);
    let expected = json!({
        "count": n,
        "ok": ok,
        "errors": n - ok,
        "latency_ms": {
            "min": latencies[0],
            "p50": rank(50),
            "p90": rank(90),
            "p99": rank(99),
            "max": latencies[latencies.len() - 1],
            "mean": sum / n,
        },
        "top_keys": top.iter().map(|(k, c)| json!({ "key": k, "count": c })).collect::<Vec<_>>(),
        "ts": { "first": first_ts, "last": last_ts },
    });
    Payload {
        body,
        expected,
        events: n as usize,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_names_one_payload_and_its_answer_follows_the_contract() {
        let a = generate(7, 4096, 1);
        assert_eq!(a.body, generate(7, 4096, 1).body);
        assert_ne!(a.body, generate(8, 4096, 1).body);
        assert!(a.body.len() >= 4096 && a.body.len() < 4096 + 200);
        let parsed: Value = serde_json::from_str(&a.body).unwrap();
        let events = parsed["params"]["arguments"]["events"].as_array().unwrap();
        assert_eq!(events.len(), a.events);
        assert_eq!(a.expected["count"], events.len());
        // Nearest rank, recomputed the slow way.
        let mut lat: Vec<u64> = events
            .iter()
            .map(|e| e["latency_ms"].as_u64().unwrap())
            .collect();
        lat.sort();
        let n = lat.len() as f64;
        assert_eq!(
            a.expected["latency_ms"]["p90"],
            lat[(n * 0.9).ceil() as usize - 1]
        );
        let top = a.expected["top_keys"].as_array().unwrap();
        assert!(top.len() <= 5);
        assert!(top
            .windows(2)
            .all(|w| w[0]["count"].as_u64() >= w[1]["count"].as_u64()));
    }
}
