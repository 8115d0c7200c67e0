//! `checker watch` with real file edits, on a copy of the course: it grades once in full, then
//! again after each save — with the runtime kept warm — showing only what changed, and stops
//! on Ctrl-C with exit status 130 and nothing left running.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{assert_nothing_left, course_copy, repo_root, unique_marker, MARKER_VAR};

/// Reads `watch`'s output until the line that ends a report; returns that report's lines.
fn next_report(lines: &mpsc::Receiver<String>) -> String {
    let mut report = String::new();
    loop {
        let line = lines
            .recv_timeout(Duration::from_secs(240))
            .unwrap_or_else(|e| panic!("no report from watch ({e}); so far:\n{report}"));
        let done = line.starts_with("watching ");
        report.push_str(&line);
        report.push('\n');
        if done {
            return report;
        }
    }
}

#[test]
fn watch_regrades_on_save_shows_what_changed_and_stops_cleanly() {
    let marker = unique_marker("watch");
    let copy = course_copy();
    let state = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(["watch", "lab-4"])
        .env(MARKER_VAR, &marker)
        .env("COURSE_ROOT", copy.path())
        .env("CARGO_TARGET_DIR", repo_root().join("target"))
        .env("CHECKER_STATE", state.path().join("state.json"))
        .env("CHECKER_PROGRESS", "always")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, lines) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let stderr = child.stderr.take().unwrap();
    let progress = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());

    let first = next_report(&lines);
    assert!(
        first.contains("── grading labs/lab-4-full-server (first run)"),
        "{first}"
    );
    assert!(
        first.contains("✔ build") && first.contains("✘ protocol.initialize"),
        "{first}"
    );

    // A save that changes nothing graded: re-graded, and nothing to show but the score.
    let lib = copy.path().join("labs/lab-4-full-server/src/lib.rs");
    let source = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, format!("{source}\n// a comment\n")).unwrap();
    let second = next_report(&lines);
    assert!(second.contains("changed)"), "{second}");
    assert!(second.contains("no check changed"), "{second}");
    assert!(
        !second.contains("protocol.initialize"),
        "unchanged checks are not repeated:\n{second}"
    );

    // A save that breaks the build: the build check changed, with the compiler's error.
    assert!(
        source.contains("parse_body(&body)"),
        "the test's edit no longer applies"
    );
    std::fs::write(
        &lib,
        source.replace("parse_body(&body)", "parse_body(&bod)"),
    )
    .unwrap();
    let third = next_report(&lines);
    assert!(
        third.contains("! build") && third.contains("(was ✔ 1)"),
        "{third}"
    );
    assert!(third.contains("cannot find value `bod`"), "{third}");

    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    let progress = progress.join().unwrap();
    assert_eq!(status.code(), Some(130), "{progress}");
    assert!(
        progress.contains("running the new build in the warm workerd"),
        "the second run reused the runtime:\n{progress}"
    );
    assert_nothing_left(&marker);
}
