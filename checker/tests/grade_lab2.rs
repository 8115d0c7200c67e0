//! Lab 2 end to end, in the real runtime: linear memory is read after every request by the
//! checker's entry module (JavaScript side) and by the course probe (inside wasm), and live
//! heap bytes by the probe's counting allocator, which the checker builds in. The starting
//! point leaks and peaks for the reasons the lab teaches; the solution does not; a solution
//! that keeps 64 bytes per request fails on live bytes though its pages stay flat.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

mod common;

use common::{check, course_copy, edit, repo_root};

fn grade(args: &[&str], out: &Path) -> (i32, Value) {
    grade_in(None, args, out)
}

/// Grades the checkout, or a copy of the course (`course`), which builds into the checkout's
/// target directory so its dependencies are not compiled again.
fn grade_in(course: Option<&Path>, args: &[&str], out: &Path) -> (i32, Value) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_checker"));
    if let Some(root) = course {
        cmd.env("COURSE_ROOT", root)
            .env("CARGO_TARGET_DIR", repo_root().join("target"));
    }
    let status = cmd
        .args(args)
        .env("CHECKER_STATE", common::test_state())
        .args(["--format", "json", "--out"])
        .arg(out)
        .stdin(Stdio::null())
        .status()
        .expect("the checker runs");
    let report = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    (status.code().unwrap_or(-1), report)
}

fn message(report: &Value, id: &str) -> String {
    check(report, id)["message"].as_str().unwrap().to_owned()
}

#[test]
fn the_starting_point_answers_right_but_leaks_peaks_and_would_be_killed() {
    let dir = tempfile::tempdir().unwrap();
    let (code, report) = grade(&["check", "lab-2"], &dir.path().join("lab-2.json"));
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        check(&report, "memory.results")["status"],
        "pass",
        "{report:#}"
    );
    for id in ["memory.growth", "memory.peak", "memory.limit"] {
        assert_eq!(check(&report, id)["status"], "fail", "{id}: {report:#}");
    }
    let growth = message(&report, "memory.growth");
    assert!(
        growth.contains("deployed, the runtime may cancel this request"),
        "{growth}"
    );
    let grown = check(&report, "memory.growth")["measured"]["value"]
        .as_f64()
        .unwrap();
    assert!(grown > 100.0, "the leak is visible in pages: {grown}");
    assert!(growth.contains("live heap grew by"), "{growth}");
    let peak = check(&report, "memory.peak");
    let payload = 32.0 * 1024.0 * 1024.0;
    assert!(
        peak["measured"]["value"].as_f64().unwrap() > 4.0 * payload,
        "{peak:#}"
    );
    assert!(
        message(&report, "memory.limit").contains("the runtime may cancel requests, error 1102")
    );
    // The miss can be reproduced: the reproduce line regenerates the very payload.
    let reproduce = check(&report, "memory.peak")["evidence"]["reproduce"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        reproduce.contains("cargo lab payload --seed 201"),
        "{reproduce}"
    );
    // The chart is written next to the report.
    let chart = std::fs::read_to_string(dir.path().join("lab-2-memory.svg")).unwrap();
    assert!(
        chart.starts_with("<svg") && chart.contains("isolate limit"),
        "{chart}"
    );
}

#[test]
fn the_solution_does_not_grow_and_peaks_near_the_payload() {
    let dir = tempfile::tempdir().unwrap();
    let (code, report) = grade(
        &["check", "lab-2", "--solution"],
        &dir.path().join("lab-2.json"),
    );
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["score"], report["max_score"]);
    let growth = check(&report, "memory.growth");
    assert_eq!(growth["measured"]["value"], 0.0, "{growth:#}");
    let text = growth["message"].as_str().unwrap();
    eprintln!("{text}");
    assert!(text.contains("after 1000 more"), "{text}");
    // Inside (memory.size through the course probe) and JavaScript readings agreed on
    // every one of the 1020 requests.
    assert!(
        text.contains("inside and JavaScript readings agree"),
        "{text}"
    );
    // Live heap bytes, counted by the probe's allocator: what is allocated after the last
    // request is what was after the warm-up.
    assert!(text.contains("0 bytes per request (+0 in all"), "{text}");
    let peak = check(&report, "memory.peak");
    let payload = 32.0 * 1024.0 * 1024.0;
    let measured = peak["measured"]["value"].as_f64().unwrap();
    eprintln!("{}", peak["message"]);
    assert!(
        measured <= 1.25 * payload + 4.0 * 1024.0 * 1024.0,
        "{peak:#}"
    );
    assert!(dir.path().join("lab-2-solution-memory.svg").exists());
}

/// A copy of the course whose reference solution has `change` made to its fetch handler, under
/// a package name of its own: the mutant's module never takes the real solution's file name
/// in the shared target directory while the other tests grade it.
fn mutant(package: &str, from: &str, to: &str) -> tempfile::TempDir {
    let copy = course_copy();
    edit(
        &copy
            .path()
            .join("solutions/lab-2-memory-profiling/src/lib.rs"),
        from,
        to,
    );
    for file in [
        "solutions/lab-2-memory-profiling/Cargo.toml",
        "checker/labs/lab-2-memory-profiling/lab.toml",
    ] {
        edit(
            &copy.path().join(file),
            "\"solution-lab-2-memory-profiling\"",
            &format!("\"{package}\""),
        );
    }
    copy
}

#[test]
fn a_solution_that_keeps_64_bytes_per_request_fails_growth_on_live_bytes() {
    // 64 bytes that are never freed, once per request; `black_box` so the optimiser cannot
    // drop an allocation nobody reads.
    let copy = mutant(
        "solution-lab-2-leak",
        "let reply = mcp::handle(&body);",
        "let reply = mcp::handle(&body);\n    std::mem::forget(std::hint::black_box(vec![0u8; 64]));",
    );
    let dir = tempfile::tempdir().unwrap();
    let (code, report) = grade_in(
        Some(copy.path()),
        &["check", "lab-2", "--solution"],
        &dir.path().join("lab-2.json"),
    );
    assert_eq!(code, 1, "{report:#}");
    let growth = check(&report, "memory.growth");
    assert_eq!(growth["status"], "fail", "{growth:#}");
    let text = growth["message"].as_str().unwrap();
    eprintln!("{text}");
    assert!(
        text.contains("live heap grew by 64 bytes per request over 1000 requests"),
        "{text}"
    );
    // Pages alone would have passed it: 64 KB over the run fits in the allocator's free blocks.
    assert_eq!(growth["measured"]["value"], 0.0, "{growth:#}");
    assert!(text.contains("+0 pages"), "{text}");
    // Evidence like every miss: the first request that kept something, what came back with
    // the reading after it, and the baseline it should have returned to.
    let evidence = &growth["evidence"];
    assert!(
        evidence["request"]
            .as_str()
            .unwrap()
            .contains("summarize_events"),
        "{evidence:#}"
    );
    let got = evidence["response"].as_str().unwrap();
    assert!(got.contains("live heap after it (request 21)"), "{got}");
    assert!(
        evidence["expected"]
            .as_str()
            .unwrap()
            .starts_with("live heap back at the baseline"),
        "{evidence:#}"
    );
    for id in ["memory.results", "memory.peak", "memory.limit"] {
        assert_eq!(check(&report, id)["status"], "pass", "{id}: {report:#}");
    }
}

#[test]
fn a_lab_with_its_own_global_allocator_is_graded_on_pages_and_told_why() {
    let copy = mutant(
        "solution-lab-2-own-allocator",
        "use worker::",
        "#[global_allocator]\nstatic OWN: std::alloc::System = std::alloc::System;\n\nuse worker::",
    );
    let dir = tempfile::tempdir().unwrap();
    let (_, report) = grade_in(
        Some(copy.path()),
        &["check", "lab-2", "--solution"],
        &dir.path().join("lab-2.json"),
    );
    assert_eq!(check(&report, "build")["status"], "pass", "{report:#}");
    let growth = check(&report, "memory.growth");
    assert_eq!(growth["status"], "pass", "{growth:#}");
    let text = growth["message"].as_str().unwrap();
    assert!(text.contains("+0 pages"), "{text}");
    assert!(
        text.contains("live heap not measured: the lab brings its own #[global_allocator]"),
        "{text}"
    );
}
