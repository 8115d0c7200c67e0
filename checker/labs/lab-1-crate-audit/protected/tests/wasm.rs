//! Course-owned wasm tests: every helper, compiled for wasm32-unknown-unknown and run under
//! Node by wasm-bindgen-test-runner (no browser). Identical in the lab and in the solution.
//!
//! ```sh
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=../../.tools/bin/wasm-bindgen-test-runner \
//!     cargo test --target wasm32-unknown-unknown --test wasm
//! ```
#![cfg(target_arch = "wasm32")]
// `reference-solution` is a feature of the solution crate only.
#![allow(unexpected_cfgs)]

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

// The same file runs against the lab and the reference solution (whose Cargo.toml enables
// the feature `reference-solution`); either way the library is `mcp_helpers` here.
#[cfg(not(feature = "reference-solution"))]
use lab_1_crate_audit as mcp_helpers;
#[cfg(feature = "reference-solution")]
use solution_lab_1_crate_audit as mcp_helpers;

use mcp_helpers::*;
use wasm_bindgen_test::wasm_bindgen_test;

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[wasm_bindgen_test]
fn ids_are_random_uuid_v4() {
    let ids: HashSet<String> = (0..100).map(|_| request_id()).collect();
    assert_eq!(ids.len(), 100);
    for id in &ids {
        assert_eq!(id.len(), 36, "{id}");
        assert_eq!(&id[14..15], "4", "version nibble of {id}");
    }
}

#[wasm_bindgen_test]
fn timestamps_now_is_rfc3339_utc() {
    let now = now_rfc3339();
    assert_eq!(now.len(), 24, "{now}");
    assert!(now.ends_with('Z') && &now[10..11] == "T", "{now}");
    assert!(now.as_str() >= "2025-01-01", "{now}");
    assert!(unix_millis() > 1_735_689_600_000);
}

#[wasm_bindgen_test]
fn timestamps_stopwatch_measures() {
    let watch = Stopwatch::start();
    let mut spins = 0u64;
    while watch.elapsed() < Duration::from_millis(5) {
        spins += 1;
        assert!(spins < 50_000_000, "the stopwatch does not advance");
    }
    assert!(watch.elapsed_ms() >= 5);
    assert!(watch.elapsed() < Duration::from_secs(5));
}

#[wasm_bindgen_test]
fn jitter_stays_in_range() {
    let samples: Vec<Duration> = (0..200)
        .map(|_| jitter(Duration::from_millis(50)))
        .collect();
    assert!(samples.iter().all(|d| *d <= Duration::from_millis(50)));
    assert!(samples.iter().any(|d| *d != samples[0]), "not random");
}

#[wasm_bindgen_test]
fn hmac_signs_and_verifies() {
    let sig = sign(b"Jefe", b"what do ya want for nothing?");
    assert_eq!(
        sig,
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    assert!(verify(b"Jefe", b"what do ya want for nothing?", &sig));
    assert!(!verify(b"Jefe", b"what do ya want for nothing!", &sig));
    assert!(!verify(b"Jefe", b"what do ya want for nothing?", "zz"));
}

#[wasm_bindgen_test]
async fn timeout_passes_fast_futures() {
    assert_eq!(
        with_timeout(Duration::from_secs(1), async { 42 }).await,
        Ok(42)
    );
}

#[wasm_bindgen_test]
async fn timeout_stops_slow_futures() {
    let slow = with_timeout(Duration::from_millis(20), futures::future::pending::<()>()).await;
    assert_eq!(
        slow,
        Err(TimedOut {
            after: Duration::from_millis(20)
        })
    );
}

#[wasm_bindgen_test]
async fn retry_backs_off_then_succeeds() {
    let policy = RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
    };
    let calls = Cell::new(0);
    let result: Result<&str, String> = retry(&policy, |attempt| {
        calls.set(calls.get() + 1);
        async move {
            if attempt < 3 {
                Err(format!("attempt {attempt} failed"))
            } else {
                Ok("done")
            }
        }
    })
    .await;
    assert_eq!(result, Ok("done"));
    assert_eq!(calls.get(), 3);

    let always: Result<(), u32> = retry(&policy, |attempt| async move { Err(attempt) }).await;
    assert_eq!(always, Err(4));
}

#[wasm_bindgen_test]
async fn retry_really_waits() {
    let policy = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
    };
    let before = Stopwatch::start();
    let _: Result<(), ()> = retry(&policy, |_| async { Err(()) }).await;
    // At least half of 20 ms, then half of 40 ms.
    assert!(
        before.elapsed() >= Duration::from_millis(29),
        "{:?}",
        before.elapsed()
    );
}

#[wasm_bindgen_test]
fn config_comes_from_bindings() {
    let config = Config::load(&vars(&[
        ("MCP_SERVER_NAME", "notes"),
        ("MCP_TIMEOUT_MS", "2500"),
        ("MCP_LOG_LEVEL", "Debug"),
        ("UNRELATED_BINDING", "ignored"),
    ]))
    .expect("config from bindings");
    assert_eq!(config.server_name, "notes");
    assert_eq!(config.request_timeout, Duration::from_millis(2500));
    assert_eq!(config.log_level, "debug");
    assert_eq!(config.max_retries, 3, "default");

    let defaults = Config::load(&HashMap::new()).expect("defaults");
    assert_eq!(defaults.server_name, "mcp-helpers");
    assert!(matches!(
        Config::load(&vars(&[("MCP_MAX_RETRIES", "many")])),
        Err(ConfigError::Invalid { .. })
    ));
}

#[wasm_bindgen_test]
async fn fan_out_keeps_order() {
    let jobs: Vec<_> = (0u32..8)
        .map(|i| async move { sign(b"key", &i.to_be_bytes()) })
        .collect();
    let results = fan_out(jobs).await;
    assert_eq!(results.len(), 8);
    for (i, sig) in results.iter().enumerate() {
        assert_eq!(sig, &sign(b"key", &(i as u32).to_be_bytes()));
    }
}

#[wasm_bindgen_test]
async fn fan_out_runs_jobs_concurrently() {
    let watch = Stopwatch::start();
    let jobs: Vec<_> = (0u64..5)
        .map(|i| async move {
            let waited =
                with_timeout(Duration::from_millis(60), futures::future::pending::<()>()).await;
            (i, waited.is_err())
        })
        .collect();
    let results = fan_out(jobs).await;
    assert_eq!(results, (0..5).map(|i| (i, true)).collect::<Vec<_>>());
    // One after the other would take 300 ms.
    assert!(
        watch.elapsed() < Duration::from_millis(250),
        "{:?}",
        watch.elapsed()
    );
}
