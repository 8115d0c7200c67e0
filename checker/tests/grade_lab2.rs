//! Lab 2 end to end, in the real runtime: linear memory is read after every request by the
//! checker's entry module (JavaScript side) and by the course probe (inside wasm). The
//! starting point leaks and peaks for the reasons the lab teaches; the solution does not.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

mod common;

use common::check;

fn grade(args: &[&str], out: &Path) -> (i32, Value) {
    let status = Command::new(env!("CARGO_BIN_EXE_checker"))
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
        growth.contains("production would have killed it"),
        "{growth}"
    );
    let grown = check(&report, "memory.growth")["measured"]["value"]
        .as_f64()
        .unwrap();
    assert!(grown > 100.0, "the leak is visible in pages: {grown}");
    let peak = check(&report, "memory.peak");
    let payload = 32.0 * 1024.0 * 1024.0;
    assert!(
        peak["measured"]["value"].as_f64().unwrap() > 4.0 * payload,
        "{peak:#}"
    );
    assert!(message(&report, "memory.limit").contains("would be killed in production"));
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
    assert!(text.contains("after 1000 more"), "{text}");
    // Inside (memory.size through the course probe) and JavaScript readings agreed on
    // every one of the 1020 requests.
    assert!(
        text.contains("inside and JavaScript readings agree"),
        "{text}"
    );
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
