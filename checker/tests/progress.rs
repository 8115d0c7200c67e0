//! `cargo lab progress`: progress exported from one checkout and imported into another shows
//! in `list` there, importing twice changes nothing, and a file that is not an export is
//! refused without touching the progress.

use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;

use common::output_text;

fn checker(state: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(args)
        .env("CHECKER_STATE", state)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("the checker runs")
}

/// A state file as `check` and `hint` leave it: lab 0 graded at 4 of 6 points, one hint seen.
const LAPTOP: &str = r#"{"labs":{"lab-0":{"last":{"score":4.0,"max_score":6.0,"passed":false,
  "checked_at":1764633600,"checks":[{"id":"protocol.echo","category":"protocol","status":"fail",
  "points":0.0,"max_points":2.0,"message":"0 of 5 cases right","doc":"book/src/labs/lab-0-first-worker.md#the-echo"}]},
  "hints_shown":{"protocol.echo":1}}}}"#;

#[test]
fn progress_travels_between_checkouts() {
    let dir = tempfile::tempdir().unwrap();
    let laptop = dir.path().join("laptop-state.json");
    let codespace = dir.path().join("codespace-state.json");
    std::fs::write(&laptop, LAPTOP).unwrap();
    let file = dir.path().join("progress.json");

    let exported = checker(&laptop, &["progress", "--export", file.to_str().unwrap()]);
    assert!(exported.status.success(), "{}", output_text(&exported));
    assert!(
        output_text(&exported).contains("progress of 1 lab(s) written"),
        "{}",
        output_text(&exported)
    );

    let before = output_text(&checker(&codespace, &["list"]));
    assert!(
        before.contains("lab-0") && before.contains("not started"),
        "{before}"
    );
    let imported = checker(
        &codespace,
        &["progress", "--import", file.to_str().unwrap()],
    );
    assert!(imported.status.success(), "{}", output_text(&imported));
    assert!(
        output_text(&imported).contains("progress merged from"),
        "{}",
        output_text(&imported)
    );
    let after = output_text(&checker(&codespace, &["list"]));
    let lab0 = after.lines().find(|l| l.starts_with("lab-0")).unwrap();
    assert!(lab0.contains("4/6"), "{after}");
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&codespace).unwrap()).unwrap();
    assert_eq!(state["labs"]["lab-0"]["hints_shown"]["protocol.echo"], 1);

    let again = checker(
        &codespace,
        &["progress", "--import", file.to_str().unwrap()],
    );
    assert!(
        output_text(&again).contains("nothing new"),
        "{}",
        output_text(&again)
    );

    // A JSON report is not a progress file: refused, exit 2, progress untouched.
    let report = dir.path().join("report.json");
    std::fs::write(&report, r#"{"schema_version":1,"lab":"lab-0"}"#).unwrap();
    let kept = std::fs::read_to_string(&codespace).unwrap();
    let refused = checker(
        &codespace,
        &["progress", "--import", report.to_str().unwrap()],
    );
    assert_eq!(refused.status.code(), Some(2), "{}", output_text(&refused));
    assert!(
        output_text(&refused).contains("not a progress file"),
        "{}",
        output_text(&refused)
    );
    assert_eq!(std::fs::read_to_string(&codespace).unwrap(), kept);

    // One of the two directions is required.
    let neither = checker(&codespace, &["progress"]);
    assert_eq!(neither.status.code(), Some(2), "{}", output_text(&neither));
}
