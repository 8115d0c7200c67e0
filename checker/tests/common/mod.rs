//! Helpers shared by the end-to-end tests: a unique marker that every process a test starts
//! inherits (so a test can prove none outlived the checker), and a copy of the course to
//! edit without touching the checkout.
#![allow(dead_code)] // each test file uses some of them

pub mod serve;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use std::time::{SystemTime, UNIX_EPOCH};

pub const MARKER_VAR: &str = "CHECKER_TEST_MARKER";

/// Where tests that grade the checkout's own labs keep progress (`CHECKER_STATE`): not the
/// checkout's `.checker-state.json`, or `cargo lab list` would show the suite's runs as the
/// student's progress.
pub fn test_state() -> PathBuf {
    repo_root().join("target").join("checker-test-state.json")
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn unique_marker(name: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{name}-{}-{nanos}", std::process::id())
}

/// Processes (pid, command line) whose environment carries `marker`.
pub fn processes_with(marker: &str) -> Vec<(u32, String)> {
    let needle = format!("{MARKER_VAR}={marker}");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if environ
            .split(|b| *b == 0)
            .any(|var| var == needle.as_bytes())
        {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            // A zombie has an empty command line and holds nothing but its pid.
            if !cmdline.trim().is_empty() {
                found.push((pid, cmdline));
            }
        }
    }
    found
}

pub fn assert_nothing_left(marker: &str) {
    // A process that has just exited may take a moment to leave /proc.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    let mut left = processes_with(marker);
    while !left.is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
        left = processes_with(marker);
    }
    assert!(left.is_empty(), "processes outlived the checker: {left:#?}");
}

/// Replaces `from` with `to` in a file of a course copy, failing when the edit no longer
/// applies (the file changed under the test).
pub fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.contains(from),
        "{} no longer contains {from:?}: the test's edit does not apply",
        path.display()
    );
    std::fs::write(path, text.replace(from, to)).unwrap();
}

/// Installs the tools into the real repository once per test process: a course copy links
/// to them (`.tools`, `node_modules`), and a link to nothing would break its bootstrap.
pub fn ensure_tools() {
    static SETUP: std::sync::Once = std::sync::Once::new();
    SETUP.call_once(|| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_checker"))
            .arg("setup")
            .current_dir(repo_root())
            .output()
            .expect("cannot run checker setup");
        assert!(
            out.status.success(),
            "checker setup failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
}

/// The Node.js the course's tools run on (Node 22+: PATH's, or the pinned one from
/// package-lock.json), once the tools are installed.
pub fn node() -> PathBuf {
    ensure_tools();
    checker::bootstrap::course_node(&repo_root())
        .unwrap_or_else(|problem| panic!("no Node.js 22+ for the tools: {problem:?}"))
}

/// A copy of the course (sources, manifests, labs, solutions) that links to the real
/// repository's installed tools.
pub fn course_copy() -> tempfile::TempDir {
    ensure_tools();
    let copy = tempfile::tempdir().unwrap();
    checker::mutants::scratch::copy_course(&repo_root(), copy.path()).unwrap();
    copy
}

/// A copy of the course (see [`course_copy`]) in which the reference solution of the lab
/// whose crate directory is `dir` (`lab-4-full-server`) has the package name `renamed`: a
/// mutated solution then never takes the real one's file names in the shared target directory
/// while other tests grade it.
pub fn course_copy_with_solution_renamed(dir: &str, renamed: &str) -> tempfile::TempDir {
    let copy = course_copy();
    let package = format!("\"solution-{dir}\"");
    for file in [
        format!("solutions/{dir}/Cargo.toml"),
        format!("checker/labs/{dir}/lab.toml"),
    ] {
        edit(&copy.path().join(file), &package, &format!("\"{renamed}\""));
    }
    copy
}

/// One check of a JSON report, by id.
pub fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {report:#}"))
}

/// The JSON report a `checker check … --format json` run printed, or a panic showing both streams.
pub fn json_report(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not a JSON report ({e}).\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// A finished command's standard output and error, one after the other, for messages.
pub fn output_text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
