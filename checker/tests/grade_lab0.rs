//! Lab 0 end to end, through the real pipeline (wasm32 build, workerd via Miniflare, HTTP):
//! the starting point fails each task's check for the reason the task teaches, the reference
//! solution passes every check, and an echo that reads the body as text is caught.

use std::process::{Command, Output, Stdio};

use serde_json::Value;

mod common;

use common::{assert_nothing_left, check, edit, repo_root, unique_marker, MARKER_VAR};

fn checker(marker: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_checker"));
    cmd.env(MARKER_VAR, marker)
        .env("CHECKER_STATE", common::test_state())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    cmd
}

fn grade(marker: &str, args: &[&str], envs: &[(&str, &std::path::Path)]) -> (Output, Value) {
    let mut cmd = checker(marker);
    cmd.args(args).args(["--format", "json"]);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let output = cmd.output().expect("the checker runs");
    let report = common::json_report(&output);
    (output, report)
}

/// The JSON report of a run as Exercism's `results.json` (`checker render --format exercism`,
/// from the same report), checked against the interface's rules
/// (exercism/docs, building/tooling/test-runners/interface.md).
fn exercism_of(marker: &str, output: &Output) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("report.json");
    std::fs::write(&saved, &output.stdout).unwrap();
    let rendered = checker(marker)
        .args(["render"])
        .arg(&saved)
        .args(["--format", "exercism"])
        .output()
        .unwrap();
    let results: Value = serde_json::from_slice(&rendered.stdout).expect("results.json is JSON");
    let report = common::json_report(output);
    assert_eq!(results["version"], 3);
    let status = results["status"].as_str().unwrap();
    assert!(["pass", "fail", "error"].contains(&status), "{results:#}");
    // A message is required on error, and null or absent otherwise.
    assert_eq!(
        results["message"].is_string(),
        status == "error",
        "{results:#}"
    );
    let tests = results["tests"].as_array().unwrap();
    // In the order of the tests file: the lab's checks, as the report lists them.
    let names: Vec<&str> = tests.iter().map(|t| t["name"].as_str().unwrap()).collect();
    let checks: Vec<String> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}: {}",
                c["id"].as_str().unwrap(),
                c["title"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(names, checks);
    for test in tests {
        assert!(
            ["pass", "fail", "error"].contains(&test["status"].as_str().unwrap()),
            "{test:#}"
        );
        assert!(
            test.get("output")
                .is_none_or(|o| o.as_str().is_some_and(|o| o.chars().count() <= 500)),
            "output is limited to 500 characters: {test:#}"
        );
        assert!(
            test.get("task_id")
                .is_none_or(|t| t.as_u64().is_some_and(|n| n >= 1)),
            "{test:#}"
        );
    }
    assert_eq!(
        status == "pass",
        tests.iter().all(|t| t["status"] == "pass"),
        "{results:#}"
    );
    results
}

/// What the starting point must fail, and a phrase of the reason each gives.
const STARTING_POINT_FAILURES: &[(&str, &str)] = &[
    ("protocol.hello", "GET /: Content-Type: text/plain"),
    ("protocol.echo", "a JSON body: the body came back different"),
    ("protocol.not-found", "GET /nope: HTTP 200"),
];

#[test]
fn the_starting_point_fails_each_task_for_its_reason() {
    let marker = unique_marker("lab-0");
    let (output, report) = grade(&marker, &["check", "lab-0"], &[]);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    assert_eq!(check(&report, "build")["status"], "pass");
    for (id, phrase) in STARTING_POINT_FAILURES {
        let c = check(&report, id);
        assert_eq!(c["status"], "fail", "{c:#}");
        assert_eq!(c["points"], 0.0, "{c:#}");
        let message = c["message"].as_str().unwrap();
        assert!(
            message.contains(phrase),
            "{id} should say {phrase:?}: {message}"
        );
        assert!(
            c["evidence"]["reproduce"]
                .as_str()
                .is_some_and(|r| r.starts_with("curl ")),
            "{c:#}"
        );
    }
    let tasks: Vec<&str> = report["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(tasks, ["hello", "echo", "not-found"]);
    let results = exercism_of(&marker, &output);
    assert_eq!(results["status"], "fail");
    insta::assert_json_snapshot!("lab-0-starting-point-exercism", results);

    let human = checker(&marker).args(["check", "0"]).output().unwrap();
    let text = String::from_utf8(human.stdout).unwrap();
    assert!(
        text.contains("\nnext: task 1/3 · GET / answers JSON · 1 of 2 checks passing ·"),
        "{text}"
    );
    assert_nothing_left(&marker);
}

#[test]
fn the_solution_passes_every_check() {
    let marker = unique_marker("lab-0-solution");
    let (output, report) = grade(&marker, &["check", "first-worker", "--solution"], &[]);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["score"], report["max_score"]);
    for c in report["checks"].as_array().unwrap() {
        assert_eq!(c["status"], "pass", "{c:#}");
    }
    let results = exercism_of(&marker, &output);
    assert_eq!(results["status"], "pass");
    insta::assert_json_snapshot!("lab-0-solution-exercism", results);
    assert_nothing_left(&marker);
}

/// The lesson of task 2: `text()` decodes the body, and bytes that are not UTF-8 come back
/// as U+FFFD, three bytes each. The grader must see the difference.
#[test]
fn an_echo_that_reads_text_fails_on_bytes_that_are_not_utf8() {
    let marker = unique_marker("lab-0-text-echo");
    let copy =
        common::course_copy_with_solution_renamed("lab-0-first-worker", "solution-lab-0-text-echo");
    edit(
        &copy.path().join("solutions/lab-0-first-worker/src/lib.rs"),
        "let body = req.bytes().await?;\n    let headers = Headers::new();\n    headers.set(\"Content-Type\", &content_type)?;\n    Ok(Response::from_bytes(body)?.with_headers(headers))",
        "let body = req.text().await?;\n    let headers = Headers::new();\n    headers.set(\"Content-Type\", &content_type)?;\n    Ok(Response::ok(body)?.with_headers(headers))",
    );
    let target = repo_root().join("target");
    let (output, report) = grade(
        &marker,
        &["check", "lab-0", "--solution"],
        &[("COURSE_ROOT", copy.path()), ("CARGO_TARGET_DIR", &target)],
    );
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let echo = check(&report, "protocol.echo");
    assert_eq!(echo["status"], "fail", "{echo:#}");
    let message = echo["message"].as_str().unwrap();
    assert!(
        message.starts_with("4 of 5 cases right; bytes that are not UTF-8: the body came back different (5 bytes sent, 11 received)"),
        "{message}"
    );
    assert_nothing_left(&marker);
}
