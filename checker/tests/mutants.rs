//! Does the grader fail a solution with one small bug in it? The full mutation run is too long
//! for every commit (`cargo run -p checker -- mutants`, about an hour and a half on two cores;
//! its last result is in checker/mutants/runs/), so `cargo test` grades the fixed sample in
//! checker/mutants/sample.toml — a few mutants per lab, cargo-mutants' and hand-written — and
//! fails if any of them passes.

use std::process::{Command, Stdio};

mod common;

use common::{assert_nothing_left, unique_marker, MARKER_VAR};

fn mutants(marker: &str, args: &[&str]) -> std::process::Output {
    common::ensure_tools();
    Command::new(env!("CARGO_BIN_EXE_checker"))
        .arg("mutants")
        .args(args)
        .env(MARKER_VAR, marker)
        .env("CHECKER_STATE", common::test_state())
        .env("CHECKER_PROGRESS", "always")
        .stdin(Stdio::null())
        .output()
        .expect("the checker runs")
}

#[test]
fn every_mutant_of_the_sample_fails_the_grader() {
    let marker = unique_marker("mutants-sample");
    let output = mutants(&marker, &["--sample"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}\n{stderr}");
    assert_eq!(
        output.status.code(),
        Some(0),
        "a sampled mutant survived (or the run failed): see SURVIVED above"
    );
    for lab in ["lab-0", "lab-1", "lab-2", "lab-3", "lab-4"] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{lab}: ")))
            .unwrap_or_else(|| panic!("no result line for {lab}:\n{stdout}"));
        assert!(
            line.contains("survived 0,") && line.contains("equivalent 0,"),
            "{line}"
        );
        assert!(!line.contains("caught 0,"), "{line}");
    }
    // One progress line per graded mutant, each caught and naming the checks that caught it.
    let graded: Vec<&str> = stderr.lines().filter(|l| l.starts_with('[')).collect();
    assert_eq!(graded.len(), 12, "{stderr}");
    assert!(
        graded
            .iter()
            .all(|l| l.contains(" caught ") && l.contains(" by ")),
        "{stderr}"
    );
    assert_nothing_left(&marker);
}

#[test]
fn every_listed_mutant_applies_to_the_solutions_as_they_are() {
    // `--list` applies each mutant (cargo-mutants' diffs and the course's find/replace) to
    // the solution in memory first, so a hand-written mutant gone stale fails here.
    let output = mutants(&unique_marker("mutants-list"), &["--list"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let root = common::repo_root();
    for lab in checker::course::labs(&root).unwrap() {
        let written = checker::mutants::catalog::course_mutants(&root, &lab)
            .unwrap()
            .hand
            .len();
        let listed = stdout
            .lines()
            .filter(|l| l.starts_with(&format!("{}\thand: ", lab.id)))
            .count();
        assert!(written > 0, "{} has no hand-written mutant", lab.id);
        assert_eq!(
            listed, written,
            "{}: every hand-written mutant is listed:\n{stdout}",
            lab.id
        );
    }
}
