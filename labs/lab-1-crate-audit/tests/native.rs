//! Course-owned native tests: every helper, on the host (`cargo test`). Identical in the lab
//! and in the solution; the lab must keep passing them while it learns to run on wasm32.
#![cfg(not(target_arch = "wasm32"))]
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

#[test]
fn request_ids_are_random_uuid_v4() {
    let ids: HashSet<String> = (0..100).map(|_| request_id()).collect();
    assert_eq!(ids.len(), 100);
    for id in &ids {
        assert_eq!(id.len(), 36, "{id}");
        assert_eq!(&id[14..15], "4", "version nibble of {id}");
    }
}

#[test]
fn now_is_rfc3339_utc() {
    let now = now_rfc3339();
    assert_eq!(now.len(), 24, "{now}");
    assert!(now.ends_with('Z') && &now[10..11] == "T", "{now}");
    assert!(now.as_str() >= "2025-01-01", "{now}");
    assert!(unix_millis() > 1_735_689_600_000);
    assert_eq!(
        format_rfc3339(1_773_480_413_589),
        "2026-03-14T09:26:53.589Z"
    );
}

/// Every day from 1970 to 2770 against a calendar walked by hand: an oracle that shares nothing
/// with the library's arithmetic, through leap years and the century rule (2000 and 2400 are
/// leap years, 2100, 2200 and 2300 are not).
#[test]
fn every_date_is_the_calendar_day_after_the_one_before() {
    let leap = |y: u32| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let (mut year, mut month, mut day) = (1970_u32, 1_u32, 1_u32);
    for days in 0..292_500_u64 {
        let expected = format!("{year:04}-{month:02}-{day:02}T00:00:00.000Z");
        assert_eq!(format_rfc3339(days * 86_400_000), expected, "day {days}");
        let length = match month {
            4 | 6 | 9 | 11 => 30,
            2 if leap(year) => 29,
            2 => 28,
            _ => 31,
        };
        day += 1;
        if day > length {
            (day, month) = (1, month + 1);
            if month > 12 {
                (month, year) = (1, year + 1);
            }
        }
    }
    assert_eq!(format_rfc3339(86_399_999), "1970-01-01T23:59:59.999Z");
}

#[test]
fn stopwatch_measures() {
    let watch = Stopwatch::start();
    std::thread::sleep(Duration::from_millis(20));
    assert!(watch.elapsed() >= Duration::from_millis(20));
    assert!(watch.elapsed_ms() >= 20);
}

#[test]
fn jitter_stays_in_range() {
    let samples: Vec<Duration> = (0..200)
        .map(|_| jitter(Duration::from_millis(50)))
        .collect();
    assert!(samples.iter().all(|d| *d <= Duration::from_millis(50)));
    assert!(samples.iter().any(|d| *d != samples[0]), "not random");
    assert_eq!(jitter(Duration::ZERO), Duration::ZERO);
}

#[test]
fn hmac_sha256_rfc4231_case_2() {
    let sig = sign(b"Jefe", b"what do ya want for nothing?");
    assert_eq!(
        sig,
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    assert!(verify(b"Jefe", b"what do ya want for nothing?", &sig));
    assert!(!verify(b"Jefe", b"what do ya want for nothing!", &sig));
    assert!(!verify(b"jefe", b"what do ya want for nothing?", &sig));
    assert!(!verify(b"Jefe", b"what do ya want for nothing?", "not hex"));
}

#[tokio::test]
async fn timeout_passes_fast_futures_and_stops_slow_ones() {
    assert_eq!(
        with_timeout(Duration::from_secs(1), async { 42 }).await,
        Ok(42)
    );
    let slow = with_timeout(Duration::from_millis(20), futures::future::pending::<()>()).await;
    assert_eq!(
        slow,
        Err(TimedOut {
            after: Duration::from_millis(20)
        })
    );
    // The error a log line or a JSON-RPC message will show says what happened.
    assert_eq!(slow.unwrap_err().to_string(), "timed out after 20 ms");
}

#[tokio::test]
async fn retry_backs_off_then_succeeds() {
    let policy = RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
    };
    let calls = Cell::new(0);
    let watch = Stopwatch::start();
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
    // At least half of 10 ms, then half of 20 ms.
    assert!(
        watch.elapsed() >= Duration::from_millis(15),
        "{:?}",
        watch.elapsed()
    );

    let always: Result<(), u32> = retry(&policy, |attempt| async move { Err(attempt) }).await;
    assert_eq!(always, Err(4));
}

#[test]
fn retry_delays_grow_and_stay_capped() {
    let policy = RetryPolicy {
        max_attempts: 10,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(1000),
    };
    for (attempt, (lo, hi)) in [
        (1, (50, 100)),
        (2, (100, 200)),
        (3, (200, 400)),
        (8, (500, 1000)),
    ] {
        let d = policy.delay_for(attempt);
        assert!(
            d >= Duration::from_millis(lo) && d <= Duration::from_millis(hi),
            "{attempt}: {d:?}"
        );
    }
}

#[test]
fn config_defaults_and_overrides() {
    let config = Config::load(&HashMap::new()).expect("defaults");
    assert_eq!(config.server_name, "mcp-helpers");
    assert_eq!(config.max_retries, 3);

    let vars: HashMap<String, String> = [
        ("MCP_SERVER_NAME", "notes"),
        ("MCP_TIMEOUT_MS", "2500"),
        ("MCP_LOG_LEVEL", "Debug"),
        ("UNRELATED_BINDING", "ignored"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let config = Config::load(&vars).expect("overrides");
    assert_eq!(config.server_name, "notes");
    assert_eq!(config.request_timeout, Duration::from_millis(2500));
    assert_eq!(config.log_level, "debug");
    assert_eq!(config.max_retries, 3);

    let bad: HashMap<String, String> = [("MCP_MAX_RETRIES".to_owned(), "many".to_owned())].into();
    let error = Config::load(&bad).unwrap_err();
    assert!(matches!(error, ConfigError::Invalid { .. }), "{error:?}");
    // The message names what to fix.
    let message = error.to_string();
    assert!(
        message.contains("MCP_MAX_RETRIES") && message.contains("many"),
        "{message}"
    );

    // Natively, the file MCP_CONFIG_FILE names, then the process environment, then `vars`.
    // In this one test: the environment is the process's, shared by every test thread.
    let dir = std::env::temp_dir().join(format!("lab-1-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mcp.env");
    std::fs::write(
        &file,
        "# MCP_LOG_LEVEL=trace\n\nMCP_SERVER_NAME = from-file\nMCP_MAX_RETRIES=7\nnot a pair\n",
    )
    .unwrap();
    std::env::set_var("MCP_CONFIG_FILE", &file);
    let config = Config::load(&HashMap::new()).expect("the config file");
    assert_eq!(
        (config.server_name.as_str(), config.max_retries, config.log_level.as_str()),
        ("from-file", 7, "info"),
        "the file's settings, comments skipped"
    );
    std::env::set_var("MCP_MAX_RETRIES", "9");
    let config = Config::load(&vars).expect("file, environment and vars");
    assert_eq!(config.max_retries, 9, "the environment overrides the file");
    assert_eq!(config.server_name, "notes", "vars override both");
    std::env::remove_var("MCP_MAX_RETRIES");
    // A file that exists but cannot be read (here: a directory) is an error, not a default.
    std::env::set_var("MCP_CONFIG_FILE", &dir);
    let unreadable = Config::load(&HashMap::new()).unwrap_err();
    assert!(matches!(unreadable, ConfigError::Io { .. }), "{unreadable:?}");
    std::env::remove_var("MCP_CONFIG_FILE");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
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
