//! Lab 1 end to end: the starting point builds and passes natively but not for wasm32, for
//! the reasons the lab teaches; the solution passes every check on both targets; and
//! `checker audit` names each breaking dependency with its path and fix.

mod common;

use std::process::{Command, Stdio};

use serde_json::Value;

fn checker(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(args)
        .env("CHECKER_STATE", common::test_state())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("the checker runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

fn status(report: &Value, id: &str) -> String {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {report:#}"))["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn the_starting_point_works_natively_and_not_on_wasm32() {
    let (code, out) = checker(&["check", "lab-1", "--format", "json"]);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, 1, "{report:#}");
    for (id, expected) in [
        ("build.wasm32", "fail"),
        ("build.native", "pass"),
        ("tests.native", "pass"),
        ("tests.wasm", "fail"),
        ("audit.tree", "fail"),
        ("audit.report", "fail"),
    ] {
        assert_eq!(status(&report, id), expected, "{id}: {report:#}");
    }
}

#[test]
fn the_solution_passes_on_both_targets() {
    let (code, out) = checker(&["check", "lab-1", "--solution", "--format", "json"]);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["score"], report["max_score"]);
}

#[test]
fn audit_names_each_breaking_dependency_with_its_path_and_fix() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let (code, out) = checker(&[
        "audit",
        root.join("labs/lab-1-crate-audit").to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}");
    for (name, path) in [
        ("mio", "lab-1-crate-audit → tokio → mio"),
        ("uuid", "lab-1-crate-audit → uuid"),
        (
            "getrandom",
            "lab-1-crate-audit → rand → rand_core → getrandom",
        ),
    ] {
        let line = out
            .lines()
            .find(|l| l.contains(&format!("✘ {name} ")))
            .unwrap_or_else(|| panic!("{name} not named:\n{out}"));
        assert!(line.contains(path), "{line}");
    }
    for trap in [
        "SystemTime::now",
        "Instant::now",
        "thread::spawn",
        "thread::sleep",
        "std::fs::",
        "std::env::var",
    ] {
        assert!(
            out.contains(&format!("✘ {trap} ")),
            "{trap} not found:\n{out}"
        );
    }
    assert!(out.contains("fix: "), "{out}");
}
