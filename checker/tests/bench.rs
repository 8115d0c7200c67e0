//! `cargo lab bench lab-4 --solution`: one real run against the TypeScript reference, in
//! Miniflare. The figures vary from run to run, so the test asserts their presence, that they
//! are positive, and that every ratio is computed from the same run's two figures — not any
//! speed (the figures are printed for people; see issue 21 and the reference page).

mod common;

use std::process::{Command, Stdio};

use serde_json::Value;

fn ratio_holds(pair: &Value, what: &str) {
    let (rust, ts, ratio) = (
        pair["rust"]
            .as_f64()
            .unwrap_or_else(|| panic!("{what}: {pair}")),
        pair["ts"]
            .as_f64()
            .unwrap_or_else(|| panic!("{what}: {pair}")),
        pair["ratio"]
            .as_f64()
            .unwrap_or_else(|| panic!("{what}: {pair}")),
    );
    assert!(rust > 0.0 && ts > 0.0, "{what}: {pair}");
    assert!(
        (ratio - rust / ts).abs() < 0.001,
        "{what}: the ratio is not rust ÷ ts of this run: {pair}"
    );
}

#[test]
fn bench_compares_the_solution_with_the_typescript_reference_in_one_run() {
    common::ensure_tools();
    let marker = common::unique_marker("bench");
    let output = Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(["bench", "lab-4", "--solution", "--format", "json"])
        .env(common::MARKER_VAR, &marker)
        .stdin(Stdio::null())
        .output()
        .expect("the checker runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let c: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(c["schema_version"], 2);
    assert_eq!(c["lab"], "lab-4");
    assert_eq!(c["target"], "solutions/lab-4-full-server");
    for key in ["workerd", "miniflare", "note"] {
        assert!(
            c[key].as_str().is_some_and(|s| !s.is_empty()),
            "{key}: {c:#}"
        );
    }
    for key in ["size_raw", "size_gzip", "cold_start_ms"] {
        ratio_holds(&c[key], key);
    }
    let methods = c["methods"].as_array().unwrap();
    let names: Vec<&str> = methods
        .iter()
        .map(|m| m["method"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["tools/list", "get_value"]);
    for m in methods {
        // The reference solution answers what the TypeScript reference answers.
        assert_eq!(m["reply_matches_reference"], true, "{m}");
        for key in ["requests_per_second_1", "requests_per_second_8"] {
            ratio_holds(&m[key], key);
        }
        // /proc exists here (Linux): CPU is measured, and it is not negative above the floor.
        assert!(m["floor_cpu_ms_per_request"].as_f64().unwrap() > 0.0, "{m}");
        let cpu = &m["cpu_ms_above_floor"];
        assert!(cpu["rust"].as_f64().unwrap() >= 0.0, "{m}");
        assert!(cpu["ts"].as_f64().unwrap() > 0.0, "{m}");
    }
    // Nine runtimes were started (three cold starts for each server, two measured, one
    // floor): none outlives the command.
    common::assert_nothing_left(&marker);
}
