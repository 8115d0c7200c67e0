//! The official MCP TypeScript SDK, both generations, as real clients of the lab-4 solution:
//! `checker serve` runs the solution in workerd (through Miniflare), and the vitest suite in
//! `checker/client-tests` connects to it over Streamable HTTP, lists the tools and calls each of
//! them. `real-client.test.mjs` uses SDK v1 (`@modelcontextprotocol/sdk`), at its newest
//! revision and at older ones, all in the initialize era; `real-client-v2.test.mjs` uses SDK v2
//! (`@modelcontextprotocol/client`) with automatic version negotiation, pinned to 2026-07-28
//! (the stateless revision: `server/discover`, per-request `_meta`, `Mcp-Method`/`Mcp-Name`),
//! and in its default legacy mode (`initialize` at 2025-11-25).
//!
//! The processes this test starts carry a marker in their environment (node and workerd
//! inherit it); none of them may outlive the test.

use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;

use common::serve::{collect, serve_solution, wait_timeout};
use common::{assert_nothing_left, processes_with, repo_root, unique_marker, MARKER_VAR};

const VITEST_TIMEOUT: Duration = Duration::from_secs(120);

/// The outcome of one vitest run.
struct VitestRun {
    status: Option<ExitStatus>,
    output: String,
    passed: u64,
    failed: u64,
}

/// Counts from vitest's JSON report. Tests that never ran because the run failed (a failing
/// `beforeAll`, a file that does not load) count as failed: only a pass is a pass.
fn counts(report: Option<&Value>, succeeded: bool) -> (u64, u64) {
    let Some(report) = report else {
        return (0, 1);
    };
    let n = |key: &str| report[key].as_u64().unwrap_or(0);
    let passed = n("numPassedTests");
    let mut failed = n("numFailedTests");
    if !(succeeded && report["success"] == true) && failed == 0 {
        failed = n("numTotalTests").saturating_sub(passed).max(1);
    }
    (passed, failed)
}

fn run_vitest(root: &Path, url: &str, marker: &str) -> VitestRun {
    let results = tempfile::tempdir().unwrap();
    let json = results.path().join("vitest.json");
    let vitest = root.join("node_modules/vitest/vitest.mjs");
    assert!(
        vitest.is_file(),
        "{} is missing: `checker serve` runs `npm ci` from package-lock.json, which pins vitest",
        vitest.display()
    );
    let mut cmd = Command::new(common::node());
    cmd.arg(&vitest)
        .arg("run")
        .arg("--root")
        .arg(root.join("checker/client-tests"))
        .args(["--reporter=verbose", "--reporter=json"])
        .arg(format!("--outputFile.json={}", json.display()))
        .current_dir(root)
        .env("MCP_URL", url)
        .env(MARKER_VAR, marker)
        .env("NO_COLOR", "1")
        .env_remove("FORCE_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own process group, so a hung run is killed with its workers.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let started = Instant::now();
    let mut child = cmd.spawn().expect("node runs vitest");
    let stdout = collect(child.stdout.take().unwrap(), false);
    let stderr = collect(child.stderr.take().unwrap(), false);
    let status = wait_timeout(&mut child, VITEST_TIMEOUT);
    if status.is_none() {
        // SAFETY: the process group this test created for vitest (its id is vitest's pid).
        unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
        let _ = child.wait();
    }
    let mut output = stdout.finish();
    let errors = stderr.finish();
    if !errors.trim().is_empty() {
        output.push_str("--- stderr ---\n");
        output.push_str(&errors);
    }
    if status.is_none() {
        output.push_str(&format!(
            "--- vitest did not finish within {VITEST_TIMEOUT:?} and was killed ---\n"
        ));
    }
    output.push_str(&format!(
        "--- vitest took {:.1} s ---\n",
        started.elapsed().as_secs_f64()
    ));
    let report: Option<Value> = std::fs::read(&json)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let succeeded = status.is_some_and(|s| s.success());
    let (passed, failed) = counts(report.as_ref(), succeeded);
    VitestRun {
        status,
        output,
        passed,
        failed,
    }
}

#[test]
fn the_official_mcp_client_talks_to_the_served_solution() {
    let root = repo_root();
    let marker = unique_marker("real-client");
    let (mut serve, url) = serve_solution(&marker);
    assert!(
        !processes_with(&marker).is_empty(),
        "the runtime runs while serving"
    );

    let run = run_vitest(&root, &url, &marker);
    println!("{}", run.output);
    println!(
        "real MCP client: {} passed, {} failed",
        run.passed, run.failed
    );

    let status = serve.stop();
    let stderr = serve.take_stderr();
    assert!(
        run.status.is_some_and(|s| s.success()) && run.failed == 0 && run.passed > 0,
        "the vitest suite failed ({:?}); its output is above",
        run.status
    );
    assert_eq!(
        status.code(),
        Some(130),
        "serve exits 130 on Ctrl-C; stderr:\n{stderr}"
    );
    assert!(stderr.contains("nothing is left running"), "{stderr}");
    assert_nothing_left(&marker);
}

#[test]
fn a_run_counts_as_failed_unless_every_test_passed() {
    let report = |passed: u64, failed: u64, total: u64, success: bool| {
        serde_json::json!({
            "numPassedTests": passed, "numFailedTests": failed,
            "numTotalTests": total, "success": success
        })
    };
    assert_eq!(counts(Some(&report(18, 0, 18, true)), true), (18, 0));
    assert_eq!(counts(Some(&report(16, 2, 18, false)), false), (16, 2));
    // A failing beforeAll: every test skipped, none failed, the run failed.
    assert_eq!(counts(Some(&report(0, 0, 18, false)), false), (0, 18));
    // vitest exited non-zero although its report says success.
    assert_eq!(counts(Some(&report(18, 0, 18, true)), false), (18, 1));
    // No report at all.
    assert_eq!(counts(None, false), (0, 1));
}
